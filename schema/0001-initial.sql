-- 0001: hosts, boots, groups, reports with their raw text, chains, lock classes and edges,
-- source cursors, aliases, suppressions, full-text search (DESIGN.md section 6).
-- Frozen once released: later changes go into new files.

CREATE TABLE hosts (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,          -- machine id, or "name:<hostname>" when none is known
        machine_id TEXT,
        hostname TEXT
);

CREATE TABLE boots (
        id INTEGER PRIMARY KEY,
        host INTEGER NOT NULL REFERENCES hosts(id),
        boot_id TEXT NOT NULL,
        kernel TEXT,
        first_seen INTEGER NOT NULL,       -- realtime, microseconds
        lockdep_off_at INTEGER,            -- kernel monotonic time (usec) lockdep switched off
        lockdep_off_reason TEXT,
        UNIQUE (host, boot_id)
);

CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        signature TEXT NOT NULL,
        sig_version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        func_title TEXT,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        n_reports INTEGER NOT NULL DEFAULT 0,
        n_hosts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'new',
        note TEXT,
        UNIQUE (signature, sig_version)
);

CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        boot INTEGER NOT NULL REFERENCES boots(id),
        grp INTEGER REFERENCES groups(id),
        source TEXT NOT NULL,              -- kmsg, journal, file:<path>, import:<path>
        position TEXT,                     -- where in the source the title was
        usec INTEGER,                      -- kernel timestamp of the title line
        time INTEGER NOT NULL,             -- realtime usec when the report was seen / logged
        kind TEXT NOT NULL,
        truncated INTEGER NOT NULL DEFAULT 0,
        dedup_key TEXT NOT NULL,
        raw TEXT NOT NULL,
        parsed TEXT NOT NULL,              -- lockdepctl parse --json object
        UNIQUE (boot, dedup_key)
);
CREATE INDEX reports_grp ON reports (grp, time);
CREATE INDEX reports_time ON reports (time);

CREATE TABLE chain_links (
        report INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,         -- 0 = "-> #N" (highest), ... in printed order
        class TEXT NOT NULL,
        canonical TEXT NOT NULL,
        stack TEXT,                        -- JSON array of function names
        PRIMARY KEY (report, position)
) WITHOUT ROWID;

CREATE TABLE lock_classes (
        name TEXT PRIMARY KEY,
        canonical TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX lock_classes_canonical ON lock_classes (canonical);

CREATE TABLE lock_edges (
        id INTEGER PRIMARY KEY,
        from_class TEXT NOT NULL,          -- canonical classes: from is held while to is taken
        to_class TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        first_kernel TEXT,
        n INTEGER NOT NULL DEFAULT 0,
        UNIQUE (from_class, to_class)
);

CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        position TEXT NOT NULL,
        updated INTEGER NOT NULL
);

CREATE TABLE aliases (
        printed TEXT PRIMARY KEY,
        canonical TEXT NOT NULL
);

CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY,
        class TEXT,
        edge_from TEXT,
        edge_to TEXT,
        expires INTEGER,
        note TEXT,
        created INTEGER NOT NULL
);

-- Full-text search over the raw text. Filled in bulk behind the writes (store_index_text()):
-- indexing each report inside its own transaction costs twice as much as indexing a batch.
CREATE VIRTUAL TABLE reports_fts USING fts5 (raw, content = 'reports', content_rowid = 'id');
CREATE TABLE fts_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_upto INTEGER NOT NULL      -- reports.id up to which reports_fts is filled
);
INSERT INTO fts_state (id, indexed_upto) VALUES (1, 0);
CREATE TRIGGER reports_fts_ad AFTER DELETE ON reports BEGIN
        INSERT INTO reports_fts (reports_fts, rowid, raw) VALUES ('delete', old.id, old.raw);
END;
