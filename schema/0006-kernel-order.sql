-- 0006: a group's kernel range by version, not by time of arrival (issue 13). kernel_first and
-- kernel_last become the oldest and newest release by common/kernel-release.c's order (the
-- collation "kernel_version") among the releases the group was reported on: a group reported on
-- 6.4 and later on 6.1.55 spans 6.1.55 .. 6.4.
--
-- The data step is not here: databases made by the early edits of 0001/0002 lack the columns
-- until schema_repair() adds them, which runs after the migrations. store_open() recomputes the
-- ranges of a database older than this version once the shape is whole (store.c,
-- KERNEL_RANGES_SQL); this file only moves user_version past it.
SELECT 1;
