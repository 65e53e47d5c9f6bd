-- 0004: what lockdepd knows of each host's journal, so that a host that went silent is told apart
-- from a clean one; the journal files that could not be read; settings lockdepd and lockdepctl
-- share (DESIGN.md section 8).

-- realtime usec at which lockdepd last read entries of the host from a journal
ALTER TABLE hosts ADD COLUMN journal_read INTEGER;
-- realtime usec (the host's clock) of the newest journal entry of the host lockdepd has seen
ALTER TABLE hosts ADD COLUMN journal_last_entry INTEGER;

-- A journal file that could not be opened or read. The row stays when the file is read again
-- (ok_since), so n_failures only grows: it is a counter.
CREATE TABLE journal_files_failed (
        source TEXT NOT NULL,              -- "journal:DIR"
        file TEXT NOT NULL,                -- the file's path inside DIR
        errno INTEGER NOT NULL,            -- of the last failure
        error TEXT NOT NULL,               -- its message
        first_failed INTEGER NOT NULL,     -- realtime usec
        last_failed INTEGER NOT NULL,
        n_failures INTEGER NOT NULL,       -- failed attempts, ever
        ok_since INTEGER,                  -- read again since (realtime usec); NULL while it fails
        PRIMARY KEY (source, file)
) WITHOUT ROWID;

-- Keys: silent_after (seconds without journal entries after which a host counts as silent).
CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
) WITHOUT ROWID;
