//! Planning cycles: one year and its calendar.

use crate::db::IfMatch;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::cycles;
use super::{check_version, now, DbConnection};
use super::{taken, DbError};
use crate::domain::cycle::Calendar;

#[derive(Debug, Clone, Queryable)]
pub struct CycleRow {
    pub year: i32,
    pub proposals_close: NaiveDate,
    pub verification_start: NaiveDate,
    pub verification_end: NaiveDate,
    pub agreement_deadline: NaiveDate,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CycleRow {
    pub fn calendar(&self) -> Calendar {
        Calendar {
            proposals_close: self.proposals_close,
            verification_start: self.verification_start,
            verification_end: self.verification_end,
            agreement_deadline: self.agreement_deadline,
        }
    }

    fn audit_value(&self) -> serde_json::Value {
        json!({
            "year": self.year,
            "proposals_close": self.proposals_close,
            "verification_start": self.verification_start,
            "verification_end": self.verification_end,
            "agreement_deadline": self.agreement_deadline,
        })
    }
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    year: i32,
    cal: &Calendar,
) -> Result<CycleRow, DbError> {
    let t = now();
    let row = diesel::insert_into(cycles::table)
        .values((
            cycles::year.eq(year),
            cycles::proposals_close.eq(cal.proposals_close),
            cycles::verification_start.eq(cal.verification_start),
            cycles::verification_end.eq(cal.verification_end),
            cycles::agreement_deadline.eq(cal.agreement_deadline),
            cycles::version.eq(1),
            cycles::created_at.eq(t),
            cycles::updated_at.eq(t),
        ))
        .returning(cycles::all_columns)
        .get_result::<CycleRow>(conn)
        .map_err(taken(
            "cycle_exists",
            format!("cycle {year} already exists"),
        ))?;
    let year_id = year.to_string();
    audit::record(
        conn,
        actor,
        "create",
        "cycle",
        &year_id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, year: i32) -> Result<CycleRow, DbError> {
    Ok(cycles::table.find(year).first::<CycleRow>(conn)?)
}

pub fn list(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> Result<(Vec<CycleRow>, i64), DbError> {
    let total = cycles::table.count().get_result::<i64>(conn)?;
    let rows = cycles::table
        .order(cycles::year.desc())
        .offset(offset)
        .limit(limit)
        .load::<CycleRow>(conn)?;
    Ok((rows, total))
}

/// Replaces the calendar of a cycle if `expected` is still its version.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    year: i32,
    expected: IfMatch,
    cal: &Calendar,
) -> Result<CycleRow, DbError> {
    let before = get(conn, year)?;
    check_version(&expected, before.version)?;
    let row = diesel::update(
        cycles::table
            .filter(cycles::year.eq(year))
            .filter(cycles::version.eq(before.version)),
    )
    .set((
        cycles::proposals_close.eq(cal.proposals_close),
        cycles::verification_start.eq(cal.verification_start),
        cycles::verification_end.eq(cal.verification_end),
        cycles::agreement_deadline.eq(cal.agreement_deadline),
        cycles::version.eq(before.version + 1),
        cycles::updated_at.eq(now()),
    ))
    .returning(cycles::all_columns)
    .get_result::<CycleRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        "update",
        "cycle",
        &year.to_string(),
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}
