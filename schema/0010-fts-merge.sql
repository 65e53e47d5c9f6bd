-- 0010: the full-text index merges its segments 16 at a time instead of FTS5's default of 4
-- (issue 11, bench/RESULTS.md). Reports are indexed in batches behind the writes
-- (store_index_text()); each batch flushes new segments, and FTS5 merges them into larger ones as
-- it goes. Merging 4 at a time rewrote every indexed report about log4(reports / batch) times;
-- 16 at a time, half as often: the fill of 5,000 reports into a 100,000-report index took 0.55 s
-- of CPU with 4 and 0.27 s with 16. A search reads at most 15 segments a level instead of 3.
-- The setting is stored in the index (reports_fts_config), so every connection uses it.
INSERT INTO reports_fts (reports_fts, rank) VALUES ('automerge', 16);
