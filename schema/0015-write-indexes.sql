-- The write path keeps one index fewer (issue 11: ingest into a database of 1,000,000 reports).
-- boots_host (0002) repeated the first column of the UNIQUE (host, boot_id) index, which answers
-- every query by host as well (EXPLAIN QUERY PLAN: SEARCH boots USING INDEX
-- sqlite_autoindex_boots_1 (host=?)); each new boot paid for a second random index insert.
DROP INDEX IF EXISTS boots_host;
