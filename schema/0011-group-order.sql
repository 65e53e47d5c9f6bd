-- The group list's default order (last seen, newest first; ties by id) read from an index: a
-- page of the list costs its rows, not a sort of every group per request (issue 13: the uncached
-- /api/v1/groups and / on 5,000 groups). The id is the index's implicit last column.
CREATE INDEX IF NOT EXISTS groups_last_seen ON groups (last_seen DESC);
