//! The roster of the DTSEN import running on this connection (per person
//! of the member file: No. KK, NIK, line, and a head's fields), staged in a
//! table of the connection's own while the member file is read ahead, and
//! looked up by No. KK a batch of families at a time. It keeps the member
//! file's roster out of the process's memory (docs/DECISIONS.md,
//! "Streaming imports"): on PostgreSQL a temporary table; on SQLite a
//! temporary database on disk attached to the connection, because a bulk
//! session keeps SQLite's own temporary storage in memory
//! ([`super::begin_bulk_session`]).
//! Made by [`create`], gone with [`remove`] (or the connection).

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::grouped_insert::insert_grouped;
use super::{copy, DbConnection, DbError};
use crate::domain::nik::Sex;
use crate::import::snapshot::{Head, RosterEntry};

diesel::table! {
    import_roster (kk, nik) {
        kk -> BigInt,
        nik -> BigInt,
        line -> BigInt,
        head -> Bool,
        nik_valid -> Bool,
        sex -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        marital_status -> Nullable<Text>,
        occupation -> Nullable<Text>,
        employment_status -> Nullable<Text>,
        education -> Nullable<Text>,
    }
}

/// One staged person, in the table's column order. Every column is bound,
/// so SQLite's inserts are prepared once (`grouped_insert`).
#[derive(Insertable, Queryable, serde::Serialize)]
#[diesel(table_name = import_roster, treat_none_as_default_value = false)]
struct Staged {
    kk: i64,
    nik: i64,
    line: i64,
    head: bool,
    nik_valid: bool,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    marital_status: Option<String>,
    occupation: Option<String>,
    employment_status: Option<String>,
    education: Option<String>,
}

struct Roster;
impl copy::CopyInto for Roster {
    type Table = import_roster::table;
    const TARGET: &'static str = "import_roster";
    fn columns() -> &'static std::sync::OnceLock<String> {
        static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        &COLUMNS
    }
}

const COLUMNS: &str = "kk BIGINT NOT NULL, nik BIGINT NOT NULL, line BIGINT NOT NULL, \
     head BOOLEAN NOT NULL, nik_valid BOOLEAN NOT NULL, sex TEXT, birth_date DATE, \
     marital_status TEXT, occupation TEXT, employment_status TEXT, education TEXT";

/// The schema a SQLite connection attaches the roster's file as.
const SQLITE_FILE: &str = "import_roster_file";

/// An empty roster for a new import (one left by an import cut off on this
/// connection goes first).
pub fn create(conn: &mut DbConnection) -> Result<(), DbError> {
    remove(conn)?;
    match conn {
        DbConnection::Sqlite(_) => {
            // An empty name attaches a private temporary database: a file
            // SQLite unlinks as it opens it, so no roster of NIKs outlives
            // the connection, even a crash. Whether it lives in memory is
            // settled as it is attached, by `temp_store`: on disk.
            super::with_temporary_files(conn, |conn| {
                Ok(conn.batch_execute(&format!("ATTACH DATABASE '' AS {SQLITE_FILE}"))?)
            })?;
            // An attached database has a page cache of its own, at SQLite's
            // default 2 MB, not the bulk session's 64 MB: 16 MB took the
            // Kukar snapshot's import from 32.5 to 30.2 s for 5 MB more
            // (64 MB: 28.0 s for 50 MB more; docs/PERFORMANCE.md, session 18).
            conn.batch_execute(&format!(
                "CREATE TABLE {SQLITE_FILE}.import_roster ({COLUMNS}); \
                 PRAGMA {SQLITE_FILE}.cache_size = -16384;"
            ))?
        }
        DbConnection::Postgresql(c) => {
            c.batch_execute(&format!("CREATE TEMP TABLE import_roster ({COLUMNS})"))?
        }
    }
    Ok(())
}

/// Adds people to the roster (in their own transaction on SQLite, a `COPY`
/// on PostgreSQL).
pub fn stage(conn: &mut DbConnection, people: &[RosterEntry]) -> Result<(), DbError> {
    // NIKs and No. KKs are 16 digits: they fit an i64.
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let rows: Vec<Staged> = people
        .iter()
        .map(|p| {
            let h = p.head.clone().unwrap_or_default();
            Staged {
                kk: n(p.kk),
                nik: n(p.nik),
                line: n(p.line as u64),
                head: p.head.is_some(),
                nik_valid: h.nik_valid,
                sex: h.sex,
                birth_date: h.birth_date,
                marital_status: h.marital_status,
                occupation: h.occupation,
                employment_status: h.employment_status,
                education: h.education,
            }
        })
        .collect();
    match conn {
        DbConnection::Sqlite(c) => c.transaction(|c| {
            insert_grouped!(c, import_roster::table, rows.into_iter());
            Ok::<_, DbError>(())
        })?,
        DbConnection::Postgresql(c) => {
            copy::copy_rows::<Roster, _>(c, &rows)?;
        }
    }
    Ok(())
}

/// Indexes the roster by No. KK once it is whole, before the families look
/// it up (building the index at the end is cheaper than keeping it).
pub fn index(conn: &mut DbConnection) -> Result<(), DbError> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute(&format!(
            "CREATE INDEX {SQLITE_FILE}.import_roster_kk ON import_roster (kk)"
        ))?,
        // Without statistics the planner would scan the roster for each batch.
        DbConnection::Postgresql(c) => c.batch_execute(
            "CREATE INDEX import_roster_kk ON import_roster (kk); ANALYZE import_roster",
        )?,
    }
    Ok(())
}

/// The people of the families with these No. KKs.
pub fn of_families(conn: &mut DbConnection, kks: &[u64]) -> Result<Vec<RosterEntry>, DbError> {
    let kks: Vec<i64> = kks.iter().filter_map(|&k| i64::try_from(k).ok()).collect();
    let rows: Vec<Staged> = import_roster::table
        .filter(import_roster::kk.eq_any(&kks))
        .load(conn)?;
    let u = |v: i64| u64::try_from(v).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|s| RosterEntry {
            kk: u(s.kk),
            nik: u(s.nik),
            line: usize::try_from(s.line).unwrap_or_default(),
            head: s.head.then_some(Head {
                nik_valid: s.nik_valid,
                sex: s.sex,
                birth_date: s.birth_date,
                marital_status: s.marital_status,
                occupation: s.occupation,
                employment_status: s.employment_status,
                education: s.education,
            }),
        })
        .collect())
}

/// Removes the roster, if any (on SQLite its file too).
pub fn remove(conn: &mut DbConnection) -> Result<(), DbError> {
    match conn {
        DbConnection::Sqlite(c) => {
            let attached: i64 = diesel::select(sql::<BigInt>(&format!(
                "(SELECT count(*) FROM pragma_database_list WHERE name = '{SQLITE_FILE}')"
            )))
            .get_result(c)?;
            if attached > 0 {
                c.batch_execute(&format!("DETACH DATABASE {SQLITE_FILE}"))?;
            }
        }
        DbConnection::Postgresql(c) => {
            c.batch_execute("DROP TABLE IF EXISTS pg_temp.import_roster")?
        }
    }
    Ok(())
}
