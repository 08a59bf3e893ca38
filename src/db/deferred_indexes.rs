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
//! On PostgreSQL the same goes for the foreign keys of those tables: each
//! row's check is put off to one pass over the table when the key is added
//! again (`PutOff::references`).
//!
//! Only a table that is empty when the import begins: a registry being
//! filled has no reader to serve yet, while in a registry in use the list
//! and search would go without their indexes for the whole import. Each
//! index or key waits in `deferred_indexes`, with the statement that
//! makes it, until it is made again; an import cut off by a stop, or that
//! lost its database as it ended, leaves them to the next import's end or
//! the next start, whichever comes first ([`build_waiting`], also in
//! `rbpk serve` and `rbpk import` as they start).

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use super::schema::deferred_indexes as di;
use super::{DbConnection, DbError};

/// What an import into an empty table puts off until its rows are in.
struct PutOff {
    table: &'static str,
    /// The indexes no import look-up uses. A name the backend lacks (the
    /// prefix index is PostgreSQL's) is passed over.
    read_paths: &'static [&'static str],
    /// Its foreign keys, which PostgreSQL checks row by row, as an
    /// after-row trigger that looks the referenced row up and locks it:
    /// 2.1 million checks for 300,000 families, 11 s of a 38 s import,
    /// against 0.5 s to add the four again over the full tables
    /// (docs/PERFORMANCE.md, session 19). Added again, a key checks every
    /// row the import wrote at once, as `pg_restore` does. SQLite cannot
    /// drop one (its checks are a connection's setting): there they are
    /// passed over. Nothing is let through meanwhile: the import's rows
    /// name families it wrote or found and regions it looked up, and the
    /// API looks a family or a region up before it writes a row naming it.
    references: &'static [&'static str],
}

const PUT_OFF: &[PutOff] = &[
    PutOff {
        table: "households",
        read_paths: &[
            "households_region",
            "households_desil",
            "households_desil_national",
            "households_updated",
            "households_head_name",
            "households_head_name_prefix",
        ],
        references: &["households_region_code_fkey"],
    },
    PutOff {
        table: "members",
        read_paths: &["members_nik", "members_disability"],
        references: &["members_household_id_fkey"],
    },
    PutOff {
        table: "household_datasets",
        read_paths: &["household_datasets_dataset"],
        references: &[
            "household_datasets_household_id_fkey",
            "household_datasets_dataset_id_fkey",
        ],
    },
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

/// The statement that adds the foreign key `name` of `table` again, as the
/// catalog holds it, or `None` when there is no such key (always on SQLite).
fn reference_definition(
    conn: &mut DbConnection,
    table: &str,
    name: &str,
) -> Result<Option<String>, DbError> {
    if let DbConnection::Sqlite(_) = conn {
        return Ok(None);
    }
    Ok(diesel::select(
        sql::<Nullable<Text>>(
            "(SELECT format('ALTER TABLE %I ADD CONSTRAINT %I %s', \
             c.relname, k.conname, pg_get_constraintdef(k.oid)) \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
             WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace \
             AND c.relname = ",
        )
        .bind::<Text, _>(table)
        .sql(" AND k.conname = ")
        .bind::<Text, _>(name)
        .sql(")"),
    )
    .get_result(conn)?)
}

/// Whether the index or foreign key `name` is in place.
fn exists(conn: &mut DbConnection, name: &str) -> Result<bool, DbError> {
    if let DbConnection::Sqlite(_) = conn {
        return Ok(definition(conn, name)?.is_some());
    }
    Ok(diesel::select(
        sql::<Bool>(
            "EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ",
        )
        .bind::<Text, _>(name)
        .sql(") OR EXISTS (SELECT 1 FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND conname = ")
        .bind::<Text, _>(name)
        .sql(")"),
    )
    .get_result(conn)?)
}

/// Drops the read-path indexes and the foreign keys of every table that
/// is empty, keeping how to make each again in `deferred_indexes`; returns
/// how many. One transaction: a definition is never lost without its index
/// or key, nor one dropped without its definition.
pub fn defer_on_empty_tables(conn: &mut DbConnection) -> Result<usize, DbError> {
    super::transaction(conn, |conn| {
        let mut deferred = 0;
        for put_off in PUT_OFF {
            let table = put_off.table;
            // Names of ours, never input.
            let empty: bool =
                diesel::select(sql::<Bool>(&format!("NOT EXISTS (SELECT 1 FROM {table})")))
                    .get_result(conn)?;
            if !empty {
                continue;
            }
            for name in put_off.read_paths {
                if let Some(statement) = definition(conn, name)? {
                    wait(conn, name, &statement, &format!("DROP INDEX {name}"))?;
                    deferred += 1;
                }
            }
            for name in put_off.references {
                if let Some(statement) = reference_definition(conn, table, name)? {
                    let drop = format!("ALTER TABLE {table} DROP CONSTRAINT {name}");
                    wait(conn, name, &statement, &drop)?;
                    deferred += 1;
                }
            }
        }
        Ok(deferred)
    })
}

/// Records how to make `name` again, then drops it.
fn wait(conn: &mut DbConnection, name: &str, statement: &str, drop: &str) -> Result<(), DbError> {
    diesel::insert_into(di::table)
        .values((di::name.eq(name), di::definition.eq(statement)))
        .execute(conn)?;
    conn.batch_execute(drop)?;
    Ok(())
}

/// Builds every index and adds every foreign key waiting in
/// `deferred_indexes`, each in a transaction of its own (one already there
/// again is only struck off); returns how many were waiting. A key the
/// rows break stays waiting, and the others are made all the same; the
/// first such failure is the error.
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
    let mut first_failure = None;
    for (name, statement) in waiting {
        let made = super::transaction(conn, |conn| {
            if !exists(conn, name)? {
                conn.batch_execute(statement)?;
            }
            diesel::delete(di::table.filter(di::name.eq(name))).execute(conn)?;
            Ok::<_, DbError>(())
        });
        match made {
            Ok(()) => {}
            Err(DbError::MissingReference) => {
                first_failure.get_or_insert(DbError::conflict(
                    "reference_broken",
                    format!(
                        "rows written while the foreign key {name} was put off break it; \
                         it stays off, waiting, until they are mended"
                    ),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    first_failure.map_or(Ok(()), Err)
}
