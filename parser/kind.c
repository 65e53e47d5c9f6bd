/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "parser-internal.h"

static const char *const kind_table[_LOCKDEP_KIND_MAX] = {
        [LOCKDEP_CIRCULAR] = "circular",
        [LOCKDEP_RECURSIVE] = "recursive",
        [LOCKDEP_INCONSISTENT] = "inconsistent",
        [LOCKDEP_IRQ_INVERSION] = "irq_inversion",
        [LOCKDEP_SAFE_UNSAFE] = "safe_unsafe",
        [LOCKDEP_BAD_UNLOCK_BALANCE] = "bad_unlock_balance",
        [LOCKDEP_BAD_CONTENTION] = "bad_contention",
        [LOCKDEP_HELD_LOCK_FREED] = "held_lock_freed",
        [LOCKDEP_HELD_AT_EXIT] = "held_at_exit",
        [LOCKDEP_RETURN_TO_USER] = "return_to_user",
        [LOCKDEP_NESTED_LOCK_NOT_TAKEN] = "nested_lock_not_taken",
        [LOCKDEP_INVALID_WAIT_CONTEXT] = "invalid_wait_context",
        [LOCKDEP_SUSPICIOUS_RCU] = "suspicious_rcu",
        [LOCKDEP_NON_STATIC_KEY] = "non_static_key",
        [LOCKDEP_CHAIN_KEY_COLLISION] = "chain_key_collision",
        [LOCKDEP_CAPACITY] = "capacity",
        [LOCKDEP_INTERNAL] = "internal",
};

const char *lockdep_kind_to_string(LockdepKind k) {
        if (k < 0 || k >= _LOCKDEP_KIND_MAX)
                return NULL;
        return kind_table[k];
}

LockdepKind lockdep_kind_from_string(const char *s) {
        if (!s)
                return _LOCKDEP_KIND_INVALID;
        for (int k = 0; k < _LOCKDEP_KIND_MAX; k++)
                if (strcmp(kind_table[k], s) == 0)
                        return (LockdepKind) k;
        return _LOCKDEP_KIND_INVALID;
}
