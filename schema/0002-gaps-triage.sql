-- 0002: records lost by a source (kmsg EPIPE, sequence gaps), the triage log that survives
-- reparse (who changed what on which group, keyed by signature so recomputed groups keep it), and
-- per-group host counts so n_hosts is maintained without scanning a group's reports, and the
-- classes and edges of each group.

CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        boot INTEGER REFERENCES boots(id),
        at INTEGER NOT NULL,               -- realtime usec when noticed
        missed INTEGER NOT NULL            -- records lost, -1 when unknown
);

CREATE TABLE triage_log (
        id INTEGER PRIMARY KEY,
        signature TEXT NOT NULL,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,              -- status, note, merge, split, suppress
        value TEXT
);
CREATE INDEX triage_log_signature ON triage_log (signature, at);
CREATE INDEX boots_host ON boots (host);

CREATE TABLE group_hosts (
        grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        host INTEGER NOT NULL REFERENCES hosts(id),
        n INTEGER NOT NULL,
        PRIMARY KEY (grp, host)
) WITHOUT ROWID;
INSERT INTO group_hosts (grp, host, n)
        SELECT r.grp, b.host, count(*) FROM reports r JOIN boots b ON b.id = r.boot
        WHERE r.grp IS NOT NULL GROUP BY r.grp, b.host;

-- Which canonical classes and which observed edges each group involves (for --lock filters,
-- related groups and the per-group graph).
CREATE TABLE group_classes (
        grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        canonical TEXT NOT NULL,
        PRIMARY KEY (grp, canonical)
) WITHOUT ROWID;
CREATE INDEX group_classes_canonical ON group_classes (canonical);

CREATE TABLE edge_groups (
        edge INTEGER NOT NULL REFERENCES lock_edges(id) ON DELETE CASCADE,
        grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        PRIMARY KEY (edge, grp)
) WITHOUT ROWID;
CREATE INDEX edge_groups_grp ON edge_groups (grp);

-- Kernel range of each group, kept on the row so group lists need no per-group subqueries.
ALTER TABLE groups ADD COLUMN kernel_first TEXT;
ALTER TABLE groups ADD COLUMN kernel_last TEXT;
UPDATE groups SET
        kernel_first = (SELECT b.kernel FROM reports r JOIN boots b ON b.id = r.boot
                        WHERE r.grp = groups.id AND b.kernel IS NOT NULL ORDER BY r.time, r.id LIMIT 1),
        kernel_last = (SELECT b.kernel FROM reports r JOIN boots b ON b.id = r.boot
                       WHERE r.grp = groups.id AND b.kernel IS NOT NULL ORDER BY r.time DESC, r.id DESC LIMIT 1);
