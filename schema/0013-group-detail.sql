-- 0013: what the group page read from every report of a group on every view (issue 13: the
-- detail view of a group with 100,000 reports decompressed and parsed all of them twice), kept per
-- group as reports arrive, move (merge, split) and are parsed again (reparse):
--   group_tasks: reports per task (the comm, without the pid; '' when the report names none);
--   group_names: the lock names its reports printed that normalize to another canonical class.
-- And the signature index of the tombstones: a report with the signature of a group merged away
-- goes to the group it was merged into (store_group_upsert()), looked up on every new signature.

CREATE TABLE group_tasks (
        grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        task TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (grp, task)
) WITHOUT ROWID;
INSERT INTO group_tasks (grp, task, n)
        SELECT grp, coalesce(json_extract(lockdep_parsed(parsed), '$.task'), ''), count(*) FROM reports
        WHERE grp IS NOT NULL GROUP BY 1, 2;

CREATE TABLE group_names (
        grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        canonical TEXT NOT NULL,
        printed TEXT NOT NULL,
        PRIMARY KEY (grp, canonical, printed)
) WITHOUT ROWID;
INSERT INTO group_names (grp, canonical, printed)
        WITH p AS MATERIALIZED (SELECT grp, lockdep_parsed(parsed) AS j FROM reports WHERE grp IS NOT NULL),
        n (grp, printed, canonical) AS (
                SELECT p.grp, c.value ->> 'class', c.value ->> 'canonical' FROM p, json_each(p.j, '$.chain') c
                UNION SELECT p.grp, p.j ->> '$.acquiring.class', p.j ->> '$.acquiring.canonical' FROM p
                UNION SELECT p.grp, p.j ->> '$.holding.class', p.j ->> '$.holding.canonical' FROM p)
        SELECT DISTINCT grp, canonical, printed FROM n
        WHERE printed IS NOT NULL AND canonical IS NOT NULL AND printed != canonical;

CREATE INDEX group_tombstones_signature ON group_tombstones(signature);
