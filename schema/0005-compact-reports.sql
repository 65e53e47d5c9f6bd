-- 0005: smaller reports (issue 11, bench/RESULTS.md "Fleet scale"). chain_links repeated the chain
-- of every report (classes and stacks, a quarter of a report's bytes beside its full-text index)
-- and was never read: the chain is in reports.parsed. From this version on, reports.parsed is
-- written deflated (a zlib stream in a BLOB, store/store-pack.c) and read through the SQL function
-- lockdep_parsed(); rows written before stay TEXT, which lockdep_parsed() returns as it is.

DROP TABLE IF EXISTS chain_links;
