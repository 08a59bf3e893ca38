-- Indexes of the registry's read paths that an import into an empty table
-- builds after its rows (src/db/deferred_indexes.rs): each waits here, with
-- the statement that builds it, until it is built again, so an import cut
-- off by a stop leaves them for the next start.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
