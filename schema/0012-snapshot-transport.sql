-- 0012: /proc/lockdep snapshots carried by the journal (docs/LATENT.md, "Collection and transport"):
-- each stored once whatever carried it and however often, and counted when it is not stored.

-- The snapshots stored: the same snapshot again (a journal read again after a restart, the same
-- snapshot from the spool and from the journal, a file imported twice) adds nothing, not even to
-- dep_boots.n_snapshots. digest: of its dependencies (order-free), so two snapshots of one boot
-- with the same time (files saved within one clock tick) stay two.
CREATE TABLE dep_snapshots (
        release INTEGER NOT NULL REFERENCES dep_releases(id),
        boot INTEGER NOT NULL,             -- dep_boots.ordinal
        taken INTEGER NOT NULL,            -- realtime usec of the snapshot (its collector's)
        digest INTEGER NOT NULL,
        PRIMARY KEY (release, boot, taken, digest)
) WITHOUT ROWID;

-- Snapshots that were not stored, by reason, never silently (lockdepctl stats, /metrics):
-- 'untrusted' (journal entries not written by lockdep-collect.service as root), 'incomplete' (a
-- part of a chunked snapshot is missing), 'refused' (the acceptance rule of store/ingest.c said no).
CREATE TABLE dep_snapshot_rejects (
        reason TEXT PRIMARY KEY CHECK (reason IN ('untrusted', 'incomplete', 'refused')),
        n INTEGER NOT NULL,
        last_at INTEGER NOT NULL,          -- realtime usec
        last_source TEXT NOT NULL,
        last_what TEXT NOT NULL            -- which snapshot or entry, and why
);

-- A journal stream whose cursor (cursors.position) is "at:" an entry read before (the start of a
-- report or of a chunked snapshot still open) is read again from there after a restart: position
-- is the last entry read before, so that what was counted above is not counted twice.
CREATE TABLE journal_seen (
        stream TEXT PRIMARY KEY,           -- cursors.source of the stream
        position TEXT NOT NULL             -- a journal cursor
);
