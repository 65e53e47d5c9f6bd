-- 0008: a group that disappears leaves a tombstone, so its id keeps answering: /groups/OLD and
-- `lockdepctl show OLD` say where it went (store_group_successor()). A merge names the group it
-- went into (into_grp; a merge into a group that was itself merged later is followed, A -> B -> C);
-- a group deleted because reparse or an ingest moved all its reports away has into_grp NULL.
-- The signature is kept so the triage history of the old group stays visible on its successor.

CREATE TABLE group_tombstones (
        id INTEGER PRIMARY KEY,            -- the id the group had
        signature TEXT NOT NULL,           -- its signature (triage_log is keyed by signature)
        into_grp INTEGER,                  -- the group it was merged into; NULL: deleted, emptied
        reason TEXT NOT NULL CHECK (reason IN ('merge', 'emptied')),
        at INTEGER NOT NULL                -- realtime usec
);
CREATE INDEX group_tombstones_into ON group_tombstones(into_grp);

-- Every deletion leaves one; store_merge_groups() then fills in into_grp and reason 'merge'.
CREATE TRIGGER groups_tombstone AFTER DELETE ON groups BEGIN
        INSERT OR REPLACE INTO group_tombstones (id, signature, into_grp, reason, at)
        VALUES (old.id, old.signature, NULL, 'emptied', CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

-- SQLite may give a new group the id of a deleted one (the largest): the live group wins, and
-- tombstones that led to the reused id now lead nowhere rather than to a stranger.
CREATE TRIGGER groups_untombstone AFTER INSERT ON groups BEGIN
        DELETE FROM group_tombstones WHERE id = new.id;
        UPDATE group_tombstones SET into_grp = NULL, reason = 'emptied' WHERE into_grp = new.id;
END;
