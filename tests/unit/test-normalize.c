/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Covers: lockdep_canonical_class() (DESIGN.md section 4, LOCKDEP_FORMATS.md section 11) with the
 * built-in alias table and with user entries added by lockdep_aliases_add_text(): #N dropped,
 * /N kept, #N/M -> /M, the rename aliases (mmap_sem/mmap_lock, s_active/kn->count/kn->active,
 * &(&X)->rlock, rq->lock), user overrides, wildcards, syntax errors with their line number.
 */

#include "lockdep.h"

#include "tap.h"

static LockdepAliases *defaults(void) {
        LockdepAliases *a = NULL;
        int r = lockdep_aliases_new(&a);
        if (r < 0 || !a) {
                printf("Bail out! lockdep_aliases_new() failed: %d\n", r);
                exit(EXIT_FAILURE);
        }
        return a;
}

/* canonical class of name, as a static-lifetime string for the checks (leaked: tests are tiny) */
static const char *canon(const LockdepAliases *a, const char *name) {
        char *c = lockdep_canonical_class(a, name);
        if (!c) {
                printf("# lockdep_canonical_class(\"%s\") returned NULL\n", name);
                return "(NULL)";
        }
        return c;
}

#define CHECK_SAME(a, x, y) CHECK_STREQ(canon(a, x), canon(a, y))
#define CHECK_DIFF(a, x, y) CHECK_STRNE(canon(a, x), canon(a, y))

TEST(plain_names_unchanged) {
        LockdepAliases *a = defaults();

        CHECK_STREQ(canon(a, "rtnl_mutex"), "rtnl_mutex");
        CHECK_STREQ(canon(a, "sk_lock-AF_INET6"), "sk_lock-AF_INET6");
        CHECK_STREQ(canon(a, "&xt[i].mutex"), "&xt[i].mutex");
        CHECK_STREQ(canon(a, "per_cpu_ptr(&cgroup_rstat_cpu_lock, cpu)"),
                    "per_cpu_ptr(&cgroup_rstat_cpu_lock, cpu)");
        CHECK_STREQ(canon(a, "rn5t618:170:(&rn5t618_regmap_config)->lock"),
                    "rn5t618:170:(&rn5t618_regmap_config)->lock");
        lockdep_aliases_free(a);
}

TEST(name_version_dropped) {
        LockdepAliases *a = defaults();

        CHECK_STREQ(canon(a, "&sb->s_type->i_mutex_key#11"), "&sb->s_type->i_mutex_key");
        CHECK_STREQ(canon(a, "&lo->lo_ctl_mutex#2"), "&lo->lo_ctl_mutex");
        CHECK_STREQ(canon(a, "sb_writers#12"), "sb_writers");
        CHECK_STREQ(canon(a, "&q->q_usage_counter(io)#55"), "&q->q_usage_counter(io)");
        CHECK_SAME(a, "(wq_completion)wg-kex-wireguard1#8", "(wq_completion)wg-kex-wireguard1");
        /* different ordinals of one name are one class across boots */
        CHECK_SAME(a, "&type->s_umount_key#46", "&type->s_umount_key#3");
        CHECK_SAME(a, "&type->s_umount_key#46", "&type->s_umount_key");
        lockdep_aliases_free(a);
}

TEST(subclass_kept) {
        LockdepAliases *a = defaults();

        CHECK_STREQ(canon(a, "&pipe->mutex/1"), "&pipe->mutex/1");
        CHECK_STREQ(canon(a, "ksm_thread_mutex/1"), "ksm_thread_mutex/1");
        CHECK_DIFF(a, "&pipe->mutex/1", "&pipe->mutex");
        CHECK_DIFF(a, "&pipe->mutex/1", "&pipe->mutex/2");
        lockdep_aliases_free(a);
}

TEST(version_and_subclass) {
        LockdepAliases *a = defaults();

        CHECK_STREQ(canon(a, "&type->s_umount_key#46/1"), "&type->s_umount_key/1");
        CHECK_STREQ(canon(a, "&type->i_mutex_dir_key#5/1"), "&type->i_mutex_dir_key/1");
        CHECK_SAME(a, "&type->s_umount_key#46/1", "&type->s_umount_key#2/1");
        CHECK_DIFF(a, "&type->s_umount_key#46/1", "&type->s_umount_key#46");
        lockdep_aliases_free(a);
}

TEST(alias_mmap) {
        LockdepAliases *a = defaults();

        CHECK_SAME(a, "&mm->mmap_sem", "&mm->mmap_lock");
        CHECK_SAME(a, "&mm->mmap_sem#2", "&mm->mmap_lock");
        CHECK_SAME(a, "&mm->mmap_sem", "&mm->mmap_lock#2");
        CHECK_SAME(a, "&mm->mmap_sem/1", "&mm->mmap_lock/1");
        CHECK_DIFF(a, "&mm->mmap_sem/1", "&mm->mmap_lock");
        CHECK_DIFF(a, "&mm->mmap_lock", "&mm->page_table_lock");
        lockdep_aliases_free(a);
}

TEST(alias_kernfs_active) {
        LockdepAliases *a = defaults();

        CHECK_SAME(a, "s_active#37", "kn->count#4");
        CHECK_SAME(a, "kn->count#4", "kn->active");
        CHECK_SAME(a, "s_active", "kn->active#12");
        CHECK_DIFF(a, "kn->active", "&kn->active_lock_never_seen");
        lockdep_aliases_free(a);
}

TEST(alias_spinlock_wrapper) {
        LockdepAliases *a = defaults();

        CHECK_SAME(a, "&(&zone->lock)->rlock", "&zone->lock");
        CHECK_SAME(a, "&(&r->consumer_lock)->rlock", "&r->consumer_lock");
        CHECK_SAME(a, "&(&hashinfo->ehash_locks[i])->rlock", "&hashinfo->ehash_locks[i]");
        CHECK_SAME(a, "&(&port->lock)->rlock", "&port->lock");
        CHECK_DIFF(a, "&(&zone->lock)->rlock", "&(&port->lock)->rlock");
        lockdep_aliases_free(a);
}

TEST(alias_runqueue) {
        LockdepAliases *a = defaults();

        CHECK_SAME(a, "&rq->lock", "&rq->__lock");
        CHECK_DIFF(a, "&rq->lock", "&p->pi_lock");
        lockdep_aliases_free(a);
}

TEST(canonical_is_idempotent) {
        static const char *const names[] = {
                "&mm->mmap_sem", "s_active#37", "&(&zone->lock)->rlock", "&rq->lock",
                "&type->s_umount_key#46/1", "&sb->s_type->i_mutex_key#11", "kn->count#4",
        };
        LockdepAliases *a = defaults();

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                const char *c = canon(a, names[i]);
                CHECK_STREQ(canon(a, c), c);
        }
        lockdep_aliases_free(a);
}

TEST(user_entry_added) {
        LockdepAliases *a = defaults();
        static const char text[] = "# local renames\n"
                                   "\n"
                                   "&my_drv->old_lock = &my_drv->new_lock\n";
        unsigned bad = 0;

        CHECK_DIFF(a, "&my_drv->old_lock", "&my_drv->new_lock");
        CHECK(lockdep_aliases_add_text(a, text, strlen(text), &bad) >= 0);
        CHECK_SAME(a, "&my_drv->old_lock", "&my_drv->new_lock");
        CHECK_SAME(a, "&my_drv->old_lock#3", "&my_drv->new_lock");
        /* defaults still there */
        CHECK_SAME(a, "&mm->mmap_sem", "&mm->mmap_lock");
        lockdep_aliases_free(a);
}

TEST(user_entry_overrides_default) {
        LockdepAliases *a = defaults();
        /* both sides of the default rq alias are redirected, whatever direction the default uses */
        static const char text[] = "&rq->lock = zz_runqueue_a\n"
                                   "&rq->__lock = zz_runqueue_b\n";
        unsigned bad = 0;

        CHECK_SAME(a, "&rq->lock", "&rq->__lock");
        CHECK(lockdep_aliases_add_text(a, text, strlen(text), &bad) >= 0);
        CHECK_STREQ(canon(a, "&rq->lock"), "zz_runqueue_a");
        CHECK_STREQ(canon(a, "&rq->__lock"), "zz_runqueue_b");
        CHECK_DIFF(a, "&rq->lock", "&rq->__lock");
        lockdep_aliases_free(a);
}

TEST(later_user_entry_wins) {
        LockdepAliases *a = defaults();
        static const char t1[] = "zz_thing = zz_first\n";
        static const char t2[] = "zz_thing = zz_second\n";
        unsigned bad = 0;

        CHECK(lockdep_aliases_add_text(a, t1, strlen(t1), &bad) >= 0);
        CHECK_STREQ(canon(a, "zz_thing"), "zz_first");
        CHECK(lockdep_aliases_add_text(a, t2, strlen(t2), &bad) >= 0);
        CHECK_STREQ(canon(a, "zz_thing"), "zz_second");
        lockdep_aliases_free(a);
}

TEST(user_wildcard) {
        LockdepAliases *a = defaults();
        static const char text[] = "zz_pool_*_lock = zz_pool_*\n";
        unsigned bad = 0;

        CHECK(lockdep_aliases_add_text(a, text, strlen(text), &bad) >= 0);
        CHECK_STREQ(canon(a, "zz_pool_abc_lock"), "zz_pool_abc");
        CHECK_STREQ(canon(a, "zz_pool_abc_lock#4/1"), "zz_pool_abc/1");
        CHECK_STREQ(canon(a, "zz_pool_abc_mutex"), "zz_pool_abc_mutex");
        lockdep_aliases_free(a);
}

TEST(text_without_trailing_newline) {
        LockdepAliases *a = defaults();
        static const char text[] = "zz_a = zz_b";
        unsigned bad = 0;

        CHECK(lockdep_aliases_add_text(a, text, strlen(text), &bad) >= 0);
        CHECK_STREQ(canon(a, "zz_a"), "zz_b");
        lockdep_aliases_free(a);
}

TEST(len_is_respected) {
        /* only the first len bytes count: the garbage after them must not be parsed */
        LockdepAliases *a = defaults();
        static const char text[] = "zz_c = zz_d\nthis line is not in the table";
        unsigned bad = 0;

        CHECK(lockdep_aliases_add_text(a, text, strlen("zz_c = zz_d\n"), &bad) >= 0);
        CHECK_STREQ(canon(a, "zz_c"), "zz_d");
        lockdep_aliases_free(a);
}

static void check_bad_text(const char *text, unsigned want_line) {
        LockdepAliases *a = defaults();
        unsigned bad = 0;
        int r = lockdep_aliases_add_text(a, text, strlen(text), &bad);

        CHECK_INTEQ(r, -EINVAL);
        CHECK_MSG(bad == want_line, "bad line for %s: %u, want %u", text, bad, want_line);
        lockdep_aliases_free(a);
}

TEST(malformed_line_rejected) {
        check_bad_text("zz_ok = zz_fine\n# comment\n\nthis line has no equals sign\nzz_x = zz_y\n", 4);
        check_bad_text("no equals\n", 1);
        check_bad_text("zz_a = zz_b\n = zz_empty_left\n", 2);
        check_bad_text("zz_a = zz_b\nzz_c = zz_d\nzz_empty_right =\n", 3);
        check_bad_text("zz_a = zz_b\nzz_*_x_* = zz_two_wildcards\n", 2);
}

TAP_MAIN(T(plain_names_unchanged), T(name_version_dropped), T(subclass_kept), T(version_and_subclass),
         T(alias_mmap), T(alias_kernfs_active), T(alias_spinlock_wrapper), T(alias_runqueue),
         T(canonical_is_idempotent), T(user_entry_added),
         T(user_entry_overrides_default), T(later_user_entry_wins), T(user_wildcard),
         T(text_without_trailing_newline), T(len_is_respected), T(malformed_line_rejected))
