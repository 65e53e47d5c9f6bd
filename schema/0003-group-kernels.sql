-- 0003: reports per group and kernel release, kept up to date on insert, so a group page does not
-- aggregate over all of a large group's reports (the fleet benchmark's largest group: 35,848).

CREATE TABLE group_kernels (
        grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        kernel TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (grp, kernel)
) WITHOUT ROWID;
INSERT INTO group_kernels (grp, kernel, n)
        SELECT r.grp, b.kernel, count(*) FROM reports r JOIN boots b ON b.id = r.boot
        WHERE r.grp IS NOT NULL AND b.kernel IS NOT NULL GROUP BY r.grp, b.kernel;
