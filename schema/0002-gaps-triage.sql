-- 0002: records lost by a source (kmsg EPIPE, sequence gaps) and the triage log that survives
-- reparse (who changed what on which group, keyed by signature so recomputed groups keep it).

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
