/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /proc/lockdep snapshots as structured journal entries (docs/LATENT.md, "Collection and
 * transport"): what lockdepctl snapshot --journal writes and lockdepd's journal source reads, so
 * that systemd-journal-upload carries a test machine's snapshots to the central lockdepd with the
 * rest of its journal. The one definition of the format, for both ends.
 *
 * A snapshot is the text of its spool file (lockdepctl snapshot's "# lockdep-snapshot: 1" head,
 * then the classes and dependencies), cut at line ends into parts of at most
 * SNAPSHOT_JOURNAL_PART_MAX bytes (below the 64 KiB that sd_journal_get_data() returns of a field
 * by default, far below journald's limits). One entry per part, in order, each with:
 *
 *   MESSAGE_ID=SNAPSHOT_JOURNAL_MESSAGE_ID
 *   MESSAGE=lockdep snapshot USEC-BOOTID part I/N: ...   (for people reading journalctl)
 *   LOCKDEP_SNAPSHOT=USEC-BOOTID        the snapshot (its spool file's name without .lockdep)
 *   LOCKDEP_SNAPSHOT_PART=I             1..N
 *   LOCKDEP_SNAPSHOT_PARTS=N            1..SNAPSHOT_JOURNAL_PARTS_MAX
 *   LOCKDEP_SNAPSHOT_BYTES=B            length of this part's LOCKDEP_SNAPSHOT_TEXT
 *   LOCKDEP_SNAPSHOT_TEXT=...           the part's text
 *   LOCKDEP_KERNEL=RELEASE              also in the text's head; for journalctl matches
 *   LOCKDEP_BOOT_ID=BOOTID
 *
 * The reader trusts an entry only with the fields journald itself adds (a client cannot set
 * them): _TRANSPORT=journal, _UID=0 and _SYSTEMD_UNIT=SNAPSHOT_JOURNAL_UNIT; anything else with
 * this MESSAGE_ID is counted as untrusted and never stored. Parts are joined per machine and
 * boot: a part out of order, or a snapshot left unfinished when the next one begins, is counted as
 * incomplete and not stored.
 */

#define SNAPSHOT_JOURNAL_MESSAGE_ID "9a052e7d7f694e47889a7b98581e1368"
#define SNAPSHOT_JOURNAL_UNIT "lockdep-collect.service"
#define SNAPSHOT_JOURNAL_PART_MAX (48 * 1024)
#define SNAPSHOT_JOURNAL_PARTS_MAX 4096 /* 192 MiB of text: far more than any kernel's graph */
