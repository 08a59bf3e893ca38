//! The registry's read-path indexes that an import into an empty table
//! builds after its rows instead of keeping them row by row: the list's
//! covering indexes, name search, the feed's order, the NIK search. Never
//! the keys an import looks its rows up by (`registry_writer`,
//! `datasets::link`): the primary keys, the P3KE and DTKS ids, the head's
//! NIK, the No. KK and `members_household`.
//!
//! Built once from the whole table, an index is sorted in one pass; kept
//! through a load, every insert walks it to a leaf, and keys in no order
//! (names, NIKs) dirty a new leaf each time, which every commit writes
//! again. Loading 300,000 families and 1.2 million members in the import's
//! batches took SQLite 42 s with these indexes and 17 s without, plus 4 s
//! to build them; PostgreSQL's own `\copy` 47.7 s against 35.4 s plus 3.8 s
//! (docs/PERFORMANCE.md, session 17).
//!
//! Only a table that is empty when the import begins: a registry being
//! filled has no reader to serve yet, while in a registry in use the list
//! and search would go without their indexes for the whole import. Each
//! index waits in `deferred_indexes`, with the statement that builds it,
//! until it is built again; an import cut off by a stop, or that lost its
//! database as it ended, leaves them to the next import's end or the next
//! start, whichever comes first ([`build_waiting`], also in `rbpk serve` and
//! `rbpk import` as they start).

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use super::schema::deferred_indexes as di;
use super::{DbConnection, DbError};

/// Per table an import fills, the indexes no import look-up uses. A name
/// the backend lacks (the prefix index is PostgreSQL's) is passed over.
const READ_PATHS: &[(&str, &[&str])] = &[
    (
        "households",
        &[
            "households_region",
            "households_desil",
            "households_desil_national",
            "households_updated",
            "households_head_name",
            "households_head_name_prefix",
        ],
    ),
    ("members", &["members_nik", "members_disability"]),
    ("household_datasets", &["household_datasets_dataset"]),
];

/// The statement that builds the index `name`, as the catalog holds it, or
/// `None` when there is no such index.
pub fn definition(conn: &mut DbConnection, name: &str) -> Result<Option<String>, DbError> {
    let catalog = match conn {
        DbConnection::Sqlite(_) => {
            "(SELECT sql FROM sqlite_master WHERE type = 'index' AND name = "
        }
        DbConnection::Postgresql(_) => {
            "(SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = "
        }
    };
    Ok(diesel::select(
        sql::<Nullable<Text>>(catalog)
            .bind::<Text, _>(name)
            .sql(")"),
    )
    .get_result(conn)?)
}

/// Drops the read-path indexes of every table that is empty, keeping how to
/// build each in `deferred_indexes`; returns how many. One transaction: a
/// definition is never lost without its index, nor an index dropped
/// without its definition.
pub fn defer_on_empty_tables(conn: &mut DbConnection) -> Result<usize, DbError> {
    super::transaction(conn, |conn| {
        let mut deferred = 0;
        for (table, indexes) in READ_PATHS {
            // Names of ours, never input.
            let empty: bool =
                diesel::select(sql::<Bool>(&format!("NOT EXISTS (SELECT 1 FROM {table})")))
                    .get_result(conn)?;
            if !empty {
                continue;
            }
            for name in *indexes {
                let Some(definition) = definition(conn, name)? else {
                    continue;
                };
                diesel::insert_into(di::table)
                    .values((di::name.eq(name), di::definition.eq(&definition)))
                    .execute(conn)?;
                conn.batch_execute(&format!("DROP INDEX {name}"))?;
                deferred += 1;
            }
        }
        Ok(deferred)
    })
}

/// Builds every index waiting in `deferred_indexes`, each in a transaction
/// of its own (one already there again is only struck off); returns how
/// many were waiting.
pub fn build_waiting(conn: &mut DbConnection) -> Result<usize, DbError> {
    let waiting: Vec<(String, String)> = di::table
        .select((di::name, di::definition))
        .order(di::name)
        .load(conn)?;
    if waiting.is_empty() {
        return Ok(0);
    }
    // SQLite sorts a new index's keys in memory up to its page cache's size
    // and the rest in temporary files; an import's connection keeps those
    // in memory (`begin_bulk_session`), where 1.2 million NIKs took the
    // import from 183 to 230 MB. Files, for the builds.
    super::with_temporary_files(conn, |conn| build(conn, &waiting))?;
    Ok(waiting.len())
}

fn build(conn: &mut DbConnection, waiting: &[(String, String)]) -> Result<(), DbError> {
    for (name, statement) in waiting {
        super::transaction(conn, |conn| {
            if definition(conn, name)?.is_none() {
                conn.batch_execute(statement)?;
            }
            diesel::delete(di::table.filter(di::name.eq(name))).execute(conn)?;
            Ok::<_, DbError>(())
        })?;
    }
    Ok(())
}
