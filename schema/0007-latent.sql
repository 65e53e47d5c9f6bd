-- 0007: the lock dependency graphs that boots export in /proc/lockdep, united per kernel release
-- across the fleet, and the cycles of the union that no single boot contained (docs/LATENT.md).
-- Sets of boots and hosts are run-length BLOBs (store/idset.h) over the ordinals below, so 10,000
-- boots that learned mostly the same dependencies cost about their union, not their sum.

CREATE TABLE dep_releases (
        id INTEGER PRIMARY KEY,
        release TEXT NOT NULL UNIQUE,      -- the exact release string ("6.8.0-rc3-00012-gabc")
        n_boots INTEGER NOT NULL DEFAULT 0,
        n_hosts INTEGER NOT NULL DEFAULT 0,
        n_edges INTEGER NOT NULL DEFAULT 0,
        dirty INTEGER NOT NULL DEFAULT 1,  -- edges changed since the cycles were computed
        analyzed INTEGER,                  -- realtime usec of the last analysis
        capped INTEGER NOT NULL DEFAULT 0  -- the analysis stopped at its cycle limit
);

-- Canonical class names (the alias table's) and whether their identity across boots is uncertain.
CREATE TABLE dep_classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        uncertain INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE dep_hosts (
        release INTEGER NOT NULL REFERENCES dep_releases(id),
        ordinal INTEGER NOT NULL,          -- bit of the host in dep_edges.hosts
        host TEXT NOT NULL,
        PRIMARY KEY (release, ordinal),
        UNIQUE (release, host)
) WITHOUT ROWID;

CREATE TABLE dep_boots (
        release INTEGER NOT NULL REFERENCES dep_releases(id),
        ordinal INTEGER NOT NULL,          -- bit of the boot in dep_edges.boots
        boot_id TEXT NOT NULL,
        host INTEGER NOT NULL,             -- dep_hosts.ordinal
        first_snapshot INTEGER NOT NULL,   -- realtime usec
        last_snapshot INTEGER NOT NULL,
        n_snapshots INTEGER NOT NULL,
        n_edges INTEGER NOT NULL,          -- distinct dependencies of this boot
        truncated INTEGER NOT NULL DEFAULT 0, -- a snapshot of it was cut short
        PRIMARY KEY (release, ordinal),
        UNIQUE (release, boot_id)
) WITHOUT ROWID;

CREATE TABLE dep_edges (
        release INTEGER NOT NULL REFERENCES dep_releases(id),
        from_class INTEGER NOT NULL REFERENCES dep_classes(id), -- held while to_class is taken
        to_class INTEGER NOT NULL REFERENCES dep_classes(id),
        first_seen INTEGER NOT NULL,       -- realtime usec of the first snapshot that had it
        last_seen INTEGER NOT NULL,
        n_boots INTEGER NOT NULL,
        n_hosts INTEGER NOT NULL,
        boots BLOB NOT NULL,
        hosts BLOB NOT NULL,
        scc INTEGER NOT NULL DEFAULT 0,    -- inside a cycle-bearing component at the last analysis:
                                           -- a new boot on it, or a new row, makes the release dirty
        PRIMARY KEY (release, from_class, to_class)
) WITHOUT ROWID;

CREATE TABLE latent_cycles (
        id INTEGER PRIMARY KEY,
        release INTEGER NOT NULL REFERENCES dep_releases(id),
        classes TEXT NOT NULL,             -- JSON array of canonical names, smallest first
        length INTEGER NOT NULL,
        low_confidence INTEGER NOT NULL,   -- goes through a class of uncertain identity
        grp INTEGER,                       -- the group of lockdep's own report of this cycle
        found INTEGER NOT NULL,            -- realtime usec of the analysis that found it
        UNIQUE (release, classes)
);
