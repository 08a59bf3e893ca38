//! The households a program targets, with audit, keeping the
//! no-double-targeting constraint: a household is an active target of at most
//! one program of a type per cycle.

use crate::db::IfMatch;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::programs::ProgramRow;
use super::schema::{households as h, members as m, program_targets as pt, programs as p};
use super::DbError;
use super::{check_version, new_id, now, DbConnection};
use crate::domain::household::HouseholdStatus;
use crate::domain::program::{ProgramType, TargetStatus};

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct TargetRow {
    pub id: String,
    pub program_id: String,
    pub household_id: String,
    pub member_id: Option<String>,
    pub cycle_year: i32,
    pub program_type: ProgramType,
    pub active: bool,
    pub status: TargetStatus,
    pub planned_value: i64,
    pub realized_value: Option<i64>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TargetRow {
    fn audit_value(&self) -> serde_json::Value {
        json!({"program_id": self.program_id, "household_id": self.household_id, "member_id": self.member_id,
            "status": self.status, "planned_value": self.planned_value, "realized_value": self.realized_value,
            "active": self.active})
    }
}

pub fn targets(
    conn: &mut DbConnection,
    program_id: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<TargetRow>, i64), DbError> {
    let total = pt::table
        .filter(pt::program_id.eq(program_id))
        .count()
        .get_result::<i64>(conn)?;
    let rows = pt::table
        .filter(pt::program_id.eq(program_id))
        .order((pt::created_at.asc(), pt::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<TargetRow>(conn)?;
    Ok((rows, total))
}

/// The program's active targets, in the order they were added.
pub fn active(conn: &mut DbConnection, program_id: &str) -> Result<Vec<TargetRow>, DbError> {
    Ok(pt::table
        .filter(pt::program_id.eq(program_id))
        .filter(pt::active.eq(true))
        .order((pt::created_at.asc(), pt::id.asc()))
        .load::<TargetRow>(conn)?)
}

pub fn target(
    conn: &mut DbConnection,
    program_id: &str,
    target_id: &str,
) -> Result<TargetRow, DbError> {
    Ok(pt::table
        .filter(pt::program_id.eq(program_id))
        .filter(pt::id.eq(target_id))
        .first::<TargetRow>(conn)?)
}

/// The household of each of the given targets, in one query.
pub fn households_of(
    conn: &mut DbConnection,
    target_ids: &[String],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    Ok(pt::table
        .filter(pt::id.eq_any(target_ids))
        .select((pt::id, pt::household_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Adds a household as a target, which exposes it to the program's company
/// (`db::exposure`). A household already an active target of another program
/// of the same type in the cycle is a 409 naming that program — to a company
/// (`caller_company`) only when the program is its own; the unique index
/// makes this hold under concurrent requests too.
pub fn add_target(
    conn: &mut DbConnection,
    actor: &Actor,
    caller_company: Option<&str>,
    program: &ProgramRow,
    household_id: &str,
    member_id: Option<&str>,
    planned_value: i64,
) -> Result<TargetRow, DbError> {
    let household_status: HouseholdStatus = h::table
        .find(household_id)
        .select(h::status)
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::invalid_field("household_id", "no such household"))?;
    if household_status != HouseholdStatus::Active {
        return Err(DbError::invalid_field(
            "household_id",
            format!("the household is {}, not active", household_status.as_str()),
        ));
    }
    if let Some(mid) = member_id {
        let belongs = m::table
            .filter(m::id.eq(mid))
            .filter(m::household_id.eq(household_id))
            .count()
            .get_result::<i64>(conn)?;
        if belongs == 0 {
            return Err(DbError::invalid_field(
                "member_id",
                "is not a member of this household",
            ));
        }
    }
    if let Some(other) = competing_target(conn, program, household_id)? {
        return Err(double_targeting(other, caller_company));
    }
    let t = now();
    let id = new_id();
    // In a savepoint: on PostgreSQL a failed statement aborts the transaction,
    // and the loser of a race still has to read which program won.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(pt::table)
            .values((
                pt::id.eq(&id),
                pt::program_id.eq(&program.id),
                pt::household_id.eq(household_id),
                pt::member_id.eq(member_id),
                pt::cycle_year.eq(program.cycle_year),
                pt::program_type.eq(program.program_type),
                pt::active.eq(true),
                pt::status.eq(TargetStatus::Proposed),
                pt::planned_value.eq(planned_value),
                pt::version.eq(1),
                pt::created_at.eq(t),
                pt::updated_at.eq(t),
            ))
            .returning(pt::all_columns)
            .get_result::<TargetRow>(conn)
    });
    let row = match inserted {
        Ok(row) => row,
        Err(e) => {
            // Lost a race against another request: say which program won.
            return Err(match DbError::from(e) {
                e if e.is_collision() => match competing_target(conn, program, household_id)? {
                    Some(other) => double_targeting(other, caller_company),
                    None => DbError::conflict(
                        "already_targeted",
                        "the household is already a target of this program",
                    ),
                },
                // Anything else keeps its own meaning (e.g. 503 for a busy database).
                other => other,
            });
        }
    };
    audit::record(
        conn,
        actor,
        "create",
        "target",
        &id,
        None,
        Some(&row.audit_value()),
    )?;
    if let Some(company_id) = &program.company_id {
        super::exposure::record_targeted(conn, company_id, program.cycle_year, household_id)?;
    }
    Ok(row)
}

/// The other program of the same type and cycle holding the household, or this
/// one if it already is a target here.
fn competing_target(
    conn: &mut DbConnection,
    program: &ProgramRow,
    household_id: &str,
) -> Result<Option<OtherProgram>, DbError> {
    Ok(pt::table
        .inner_join(p::table)
        .filter(pt::household_id.eq(household_id))
        .filter(
            pt::program_id.eq(&program.id).or(pt::active
                .eq(true)
                .and(pt::cycle_year.eq(program.cycle_year))
                .and(pt::program_type.eq(program.program_type))),
        )
        .select((p::id, p::title, p::company_id))
        .first::<OtherProgram>(conn)
        .optional()?)
}

/// The id, title and company (none for APBD) of the program already holding
/// a household.
type OtherProgram = (String, String, Option<String>);

/// The 409 of double targeting. Another program is not named to a company:
/// another company's is that company's business, an APBD program the
/// regency's (docs/SECURITY.md, "No naming of others").
fn double_targeting((id, title, owner): OtherProgram, caller_company: Option<&str>) -> DbError {
    if caller_company.is_some_and(|c| owner.as_deref() != Some(c)) {
        return DbError::conflict(
            "already_targeted",
            "the household is already a target of another program of the same type in this cycle",
        );
    }
    DbError::conflict_with(
        "already_targeted",
        format!("the household is already a target of program \"{title}\" ({id}) of the same type in this cycle"),
        json!({"other_program_id": id, "other_program_title": title}),
    )
}

pub fn update_target(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &TargetRow,
    expected: IfMatch,
    planned_value: i64,
    realized_value: Option<i64>,
    status: TargetStatus,
) -> Result<TargetRow, DbError> {
    check_version(&expected, before.version)?;
    let row = diesel::update(
        pt::table
            .filter(pt::id.eq(&before.id))
            .filter(pt::version.eq(before.version)),
    )
    .set((
        pt::planned_value.eq(planned_value),
        pt::realized_value.eq(realized_value),
        pt::status.eq(status),
        pt::version.eq(before.version + 1),
        pt::updated_at.eq(now()),
    ))
    .returning(pt::all_columns)
    .get_result::<TargetRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        "update",
        "target",
        &before.id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn remove_target(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &TargetRow,
    expected: IfMatch,
) -> Result<(), DbError> {
    check_version(&expected, before.version)?;
    diesel::delete(pt::table.filter(pt::id.eq(&before.id))).execute(conn)?;
    audit::record(
        conn,
        actor,
        "delete",
        "target",
        &before.id,
        Some(&before.audit_value()),
        None,
    )?;
    Ok(())
}
