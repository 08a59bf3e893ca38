//! Programs of the TJSP cycle, their targets and the households recommended to
//! them. The lifecycle rules live in `domain::program`; this module stores
//! what they decide, with audit, and keeps the no-double-targeting constraint.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{households as h, members as m, program_targets as pt, programs as p};
use super::{check_version, new_id, now, DbConnection};
use crate::domain::program::{ProgramFacts, ProgramStatus, TargetStatus};
use crate::domain::ranking::{born_within, IN_SCHOOL, SCHOOL_AGE, WITHOUT_WORK, WORKING_AGE};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct ProgramRow {
    pub id: String,
    pub cycle_year: i32,
    pub company_id: String,
    pub opd_code: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub program_type: String,
    pub strategy: String,
    pub budget: i64,
    pub target_regions: String,
    pub status: String,
    pub status_note: Option<String>,
    pub agreement_number: Option<String>,
    pub signed_by_company_on: Option<NaiveDate>,
    pub signed_by_company: Option<String>,
    pub signed_by_opd_on: Option<NaiveDate>,
    pub signed_by_opd: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProgramRow {
    pub fn audit_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["version", "created_at", "updated_at"] {
                o.remove(k);
            }
        }
        v
    }

    pub fn regions(&self) -> Vec<String> {
        serde_json::from_str(&self.target_regions).unwrap_or_default()
    }

    pub fn status(&self) -> Result<ProgramStatus, ApiError> {
        self.status
            .parse()
            .map_err(|e| ApiError::internal(format!("{e}")))
    }
}

/// The fields a program is created or edited with.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = p, treat_none_as_null = true)]
pub struct ProgramFields {
    pub opd_code: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub program_type: String,
    pub strategy: String,
    pub budget: i64,
    pub target_regions: String,
}

/// Which programs a caller reaches.
#[derive(Debug, Clone)]
pub enum ProgramReach {
    All,
    Company(String),
    /// An agency reaches the programs it leads.
    Opd(String),
}

#[derive(Debug, Default, Clone)]
pub struct ProgramFilter {
    pub cycle: Option<i32>,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    pub status: Option<String>,
    pub program_type: Option<String>,
    /// A region code: programs whose target regions contain it or lie in it.
    pub region: Option<String>,
}

type Boxed<'a> = p::BoxedQuery<'a, super::DbBackend>;

fn reached<'a>(q: Boxed<'a>, reach: &'a ProgramReach) -> Boxed<'a> {
    match reach {
        ProgramReach::All => q,
        ProgramReach::Company(c) => q.filter(p::company_id.eq(c.clone())),
        ProgramReach::Opd(o) => q.filter(p::opd_code.eq(o.clone())),
    }
}

fn filtered<'a>(f: &'a ProgramFilter, reach: &'a ProgramReach) -> Boxed<'a> {
    let mut q = reached(p::table.into_boxed(), reach);
    if let Some(v) = f.cycle {
        q = q.filter(p::cycle_year.eq(v));
    }
    if let Some(v) = &f.company_id {
        q = q.filter(p::company_id.eq(v.clone()));
    }
    if let Some(v) = &f.opd_code {
        q = q.filter(p::opd_code.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(p::status.eq(v.clone()));
    }
    if let Some(v) = &f.program_type {
        q = q.filter(p::program_type.eq(v.clone()));
    }
    if let Some(code) = &f.region {
        // Regions are stored as a JSON array of dotted codes: a program matches
        // when one of them is the code, lies inside it, or contains it.
        let mut patterns = vec![format!("%\"{code}\"%"), format!("%\"{code}.%")];
        let mut parent = code.as_str();
        while let Some((up, _)) = parent.rsplit_once('.') {
            patterns.push(format!("%\"{up}\"%"));
            parent = up;
        }
        let mut cond: Box<
            dyn BoxableExpression<p::table, super::DbBackend, SqlType = diesel::sql_types::Bool>,
        > = Box::new(p::target_regions.like(patterns[0].clone()));
        for pattern in &patterns[1..] {
            cond = Box::new(cond.or(p::target_regions.like(pattern.clone())));
        }
        q = q.filter(cond);
    }
    q
}

pub fn list(
    conn: &mut DbConnection,
    f: &ProgramFilter,
    reach: &ProgramReach,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ProgramRow>, i64), ApiError> {
    let total = filtered(f, reach).count().get_result::<i64>(conn)?;
    let rows = filtered(f, reach)
        .order((p::cycle_year.desc(), p::created_at.asc(), p::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<ProgramRow>(conn)?;
    Ok((rows, total))
}

/// A program within the caller's reach; outside it, "not found".
pub fn get(
    conn: &mut DbConnection,
    id: &str,
    reach: &ProgramReach,
) -> Result<ProgramRow, ApiError> {
    Ok(reached(p::table.into_boxed(), reach)
        .filter(p::id.eq(id.to_string()))
        .first::<ProgramRow>(conn)?)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    cycle_year: i32,
    company_id: &str,
    fields: &ProgramFields,
) -> Result<ProgramRow, ApiError> {
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(p::table)
        .values((
            p::id.eq(&id),
            p::cycle_year.eq(cycle_year),
            p::company_id.eq(company_id),
            fields,
            p::status.eq(ProgramStatus::Draft.as_str()),
            p::version.eq(1),
            p::created_at.eq(t),
            p::updated_at.eq(t),
        ))
        .returning(p::all_columns)
        .get_result::<ProgramRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "program",
        &id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Writes a change to a program if `expected` is still its version.
fn write(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: &ProgramRow,
    expected: Option<i32>,
    apply: impl FnOnce(&mut DbConnection, &str, i32) -> QueryResult<Option<ProgramRow>>,
) -> Result<ProgramRow, ApiError> {
    check_version(expected, before.version)?;
    let row = apply(conn, &before.id, before.version)?.ok_or_else(ApiError::stale)?;
    audit::record(
        conn,
        actor,
        action,
        "program",
        &before.id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn update_fields(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ProgramRow,
    expected: Option<i32>,
    fields: &ProgramFields,
) -> Result<ProgramRow, ApiError> {
    write(conn, actor, "update", before, expected, |c, id, v| {
        diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(v)))
            .set((fields, p::version.eq(v + 1), p::updated_at.eq(now())))
            .returning(p::all_columns)
            .get_result::<ProgramRow>(c)
            .optional()
    })
}

/// Moves a program to `status` (a lifecycle action), with an optional note.
pub fn set_status(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: &ProgramRow,
    expected: Option<i32>,
    status: ProgramStatus,
    note: Option<&str>,
) -> Result<ProgramRow, ApiError> {
    let row = write(conn, actor, action, before, expected, |c, id, v| {
        diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(v)))
            .set((
                p::status.eq(status.as_str()),
                p::status_note.eq(note.map(str::to_string).or(before.status_note.clone())),
                p::version.eq(v + 1),
                p::updated_at.eq(now()),
            ))
            .returning(p::all_columns)
            .get_result::<ProgramRow>(c)
            .optional()
    })?;
    if status.is_terminal() && !matches!(status, ProgramStatus::Completed) {
        // A program that will not happen no longer holds its households.
        diesel::update(pt::table.filter(pt::program_id.eq(&row.id)))
            .set(pt::active.eq(false))
            .execute(conn)?;
    }
    Ok(row)
}

/// Which party signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Company,
    Opd,
}

pub fn sign(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ProgramRow,
    expected: Option<i32>,
    party: Party,
    agreement_number: &str,
    signed_on: NaiveDate,
) -> Result<ProgramRow, ApiError> {
    write(conn, actor, "sign", before, expected, |c, id, v| {
        let q = diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(v)));
        let common = (
            p::agreement_number.eq(Some(agreement_number)),
            p::version.eq(v + 1),
            p::updated_at.eq(now()),
        );
        match party {
            Party::Company => q
                .set((
                    common,
                    p::signed_by_company_on.eq(Some(signed_on)),
                    p::signed_by_company.eq(Some(&actor.name)),
                ))
                .returning(p::all_columns)
                .get_result::<ProgramRow>(c)
                .optional(),
            Party::Opd => q
                .set((
                    common,
                    p::signed_by_opd_on.eq(Some(signed_on)),
                    p::signed_by_opd.eq(Some(&actor.name)),
                ))
                .returning(p::all_columns)
                .get_result::<ProgramRow>(c)
                .optional(),
        }
    })
}

pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ProgramRow,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    check_version(expected, before.version)?;
    diesel::delete(pt::table.filter(pt::program_id.eq(&before.id))).execute(conn)?;
    diesel::delete(p::table.filter(p::id.eq(&before.id))).execute(conn)?;
    audit::record(
        conn,
        actor,
        "delete",
        "program",
        &before.id,
        Some(&before.audit_value()),
        None,
    )?;
    Ok(())
}

/// What the lifecycle's preconditions look at.
pub fn facts(
    conn: &mut DbConnection,
    program: &ProgramRow,
    note_given: bool,
) -> Result<ProgramFacts, ApiError> {
    let statuses: Vec<String> = pt::table
        .filter(pt::program_id.eq(&program.id))
        .select(pt::status)
        .load(conn)?;
    let count = |pred: &dyn Fn(TargetStatus) -> bool| {
        statuses
            .iter()
            .filter_map(|s| s.parse::<TargetStatus>().ok())
            .filter(|s| pred(*s))
            .count() as u32
    };
    Ok(ProgramFacts {
        has_lead_opd: program.opd_code.is_some(),
        targets_total: statuses.len() as u32,
        targets_with_result: count(&|s| s.has_result()),
        eligible_targets: count(&|s| matches!(s, TargetStatus::Eligible | TargetStatus::Served)),
        company_signed: program.signed_by_company_on.is_some(),
        opd_signed: program.signed_by_opd_on.is_some(),
        served_targets: count(&|s| s == TargetStatus::Served),
        note_given,
    })
}

/// Target counts per program, for lists.
pub fn target_counts(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, i64>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(pt::table
        .filter(pt::program_id.eq_any(ids))
        .group_by(pt::program_id)
        .select((pt::program_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct TargetRow {
    pub id: String,
    pub program_id: String,
    pub household_id: String,
    pub member_id: Option<String>,
    pub cycle_year: i32,
    pub program_type: String,
    pub active: bool,
    pub status: String,
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
) -> Result<(Vec<TargetRow>, i64), ApiError> {
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

pub fn target(
    conn: &mut DbConnection,
    program_id: &str,
    target_id: &str,
) -> Result<TargetRow, ApiError> {
    Ok(pt::table
        .filter(pt::program_id.eq(program_id))
        .filter(pt::id.eq(target_id))
        .first::<TargetRow>(conn)?)
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
) -> Result<TargetRow, ApiError> {
    let household_status: String = h::table
        .find(household_id)
        .select(h::status)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::invalid_field("household_id", "no such household"))?;
    if household_status != "active" {
        return Err(ApiError::invalid_field(
            "household_id",
            format!("the household is {household_status}, not active"),
        ));
    }
    if let Some(mid) = member_id {
        let belongs = m::table
            .filter(m::id.eq(mid))
            .filter(m::household_id.eq(household_id))
            .count()
            .get_result::<i64>(conn)?;
        if belongs == 0 {
            return Err(ApiError::invalid_field(
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
                pt::program_type.eq(&program.program_type),
                pt::active.eq(true),
                pt::status.eq(TargetStatus::Proposed.as_str()),
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
            return Err(match ApiError::from(e) {
                ApiError::Conflict { .. } => match competing_target(conn, program, household_id)? {
                    Some(other) => double_targeting(other, caller_company),
                    None => ApiError::conflict(
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
    super::exposure::record_targeted(conn, &program.company_id, program.cycle_year, household_id)?;
    Ok(row)
}

/// The other program of the same type and cycle holding the household, or this
/// one if it already is a target here.
fn competing_target(
    conn: &mut DbConnection,
    program: &ProgramRow,
    household_id: &str,
) -> Result<Option<OtherProgram>, ApiError> {
    Ok(pt::table
        .inner_join(p::table)
        .filter(pt::household_id.eq(household_id))
        .filter(
            pt::program_id.eq(&program.id).or(pt::active
                .eq(true)
                .and(pt::cycle_year.eq(program.cycle_year))
                .and(pt::program_type.eq(&program.program_type))),
        )
        .select((p::id, p::title, p::company_id))
        .first::<OtherProgram>(conn)
        .optional()?)
}

/// The id, title and company of the program already holding a household.
type OtherProgram = (String, String, String);

/// The 409 of double targeting. Another company's program is not named to a
/// company: its id and title are that company's business (DESIGN §1).
fn double_targeting((id, title, owner): OtherProgram, caller_company: Option<&str>) -> ApiError {
    if caller_company.is_some_and(|c| c != owner) {
        return ApiError::conflict(
            "already_targeted",
            "the household is already a target of another program of the same type in this cycle",
        );
    }
    ApiError::conflict_with(
        "already_targeted",
        format!("the household is already a target of program \"{title}\" ({id}) of the same type in this cycle"),
        json!({"other_program_id": id, "other_program_title": title}),
    )
}

pub fn update_target(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &TargetRow,
    expected: Option<i32>,
    planned_value: i64,
    realized_value: Option<i64>,
    status: TargetStatus,
) -> Result<TargetRow, ApiError> {
    check_version(expected, before.version)?;
    let row = diesel::update(
        pt::table
            .filter(pt::id.eq(&before.id))
            .filter(pt::version.eq(before.version)),
    )
    .set((
        pt::planned_value.eq(planned_value),
        pt::realized_value.eq(realized_value),
        pt::status.eq(status.as_str()),
        pt::version.eq(before.version + 1),
        pt::updated_at.eq(now()),
    ))
    .returning(pt::all_columns)
    .get_result::<TargetRow>(conn)
    .optional()?
    .ok_or_else(ApiError::stale)?;
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
    expected: Option<i32>,
) -> Result<(), ApiError> {
    check_version(expected, before.version)?;
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

/// The columns recommendations rank on.
#[derive(Debug, Clone, Queryable)]
pub struct CandidateRow {
    pub id: String,
    pub desil: Option<i32>,
    pub percentile: Option<i32>,
    pub roof_quality: Option<String>,
    pub wall_quality: Option<String>,
    pub floor_quality: Option<String>,
    pub toilet_facility: Option<String>,
    pub drinking_water: Option<String>,
    pub lighting_source: Option<String>,
    pub stunting_risk: Option<String>,
}

/// Active households in the regions (none without regions), not already an active target of a
/// program of the same type in the cycle (this one included): the extreme
/// poor, or the others.
pub fn candidates(
    conn: &mut DbConnection,
    program: &ProgramRow,
    regions: &[String],
    extreme_poor: bool,
) -> Result<Vec<CandidateRow>, ApiError> {
    let taken = pt::table
        .filter(pt::cycle_year.eq(program.cycle_year))
        .filter(pt::program_type.eq(program.program_type.clone()))
        .filter(
            pt::active
                .eq(true)
                .or(pt::program_id.eq(program.id.clone())),
        )
        .select(pt::household_id);
    let mut q = h::table
        .filter(h::status.eq("active"))
        .filter(h::id.ne_all(taken))
        .into_boxed();
    q = if extreme_poor {
        q.filter(h::desil.eq(1))
    } else {
        q.filter(h::desil.ne(1).or(h::desil.is_null()))
    };
    // No regions (a company without a working area) means no households,
    // never the whole registry.
    let Some(cond) = in_regions(regions) else {
        return Ok(Vec::new());
    };
    q = q.filter(cond);
    Ok(q.select((
        h::id,
        h::desil,
        h::percentile,
        h::roof_quality,
        h::wall_quality,
        h::floor_quality,
        h::toilet_facility,
        h::drinking_water,
        h::lighting_source,
        h::stunting_risk,
    ))
    .load::<CandidateRow>(conn)?)
}

/// The condition "the household lies in one of the regions".
fn in_regions(regions: &[String]) -> Option<RegionCondition> {
    let in_region = |code: &String| {
        let (lo, hi) = super::regions::within(code);
        h::region_code.ge(lo).and(h::region_code.lt(hi))
    };
    let (first, rest) = regions.split_first()?;
    let mut cond: RegionCondition = Box::new(in_region(first));
    for r in rest {
        cond = Box::new(cond.or(in_region(r)));
    }
    Some(cond)
}

/// "The household lies in one of these regions".
type RegionCondition =
    Box<dyn BoxableExpression<h::table, super::DbBackend, SqlType = diesel::sql_types::Bool>>;

/// Per household of `households`: members, school-age members not in
/// school, working-age members without work — for the types whose need lies
/// with members. The database counts them from the covering index
/// `members_household` alone; the age rules arrive as birth-date ranges
/// (`domain::ranking::born_within`).
pub fn member_needs(
    conn: &mut DbConnection,
    households: &[String],
    today: NaiveDate,
) -> Result<HashMap<String, (u32, u32, u32)>, ApiError> {
    use diesel::dsl::{case_when, count, count_star};
    use diesel::sql_types::Integer;
    /// Ids per query: under both backends' bound-parameter limits.
    const CHUNK: usize = 10_000;
    let (school_after, school_until) = born_within(today, &SCHOOL_AGE);
    let (work_after, work_until) = born_within(today, &WORKING_AGE);
    let mut out = HashMap::new();
    for ids in households.chunks(CHUNK) {
        let out_of_school = case_when(
            m::birth_date
                .gt(school_after)
                .and(m::birth_date.le(school_until))
                .and(m::education.is_null().or(m::education.ne_all(IN_SCHOOL))),
            1.into_sql::<Integer>(),
        );
        let without_work = case_when(
            m::birth_date
                .gt(work_after)
                .and(m::birth_date.le(work_until))
                .and(m::occupation.eq(WITHOUT_WORK)),
            1.into_sql::<Integer>(),
        );
        let rows = m::table
            .filter(m::household_id.eq_any(ids))
            .group_by(m::household_id)
            .select((
                m::household_id,
                count_star(),
                count(out_of_school),
                count(without_work),
            ))
            .load::<(String, i64, i64, i64)>(conn)?;
        let small = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        out.extend(
            rows.into_iter().map(|(id, members, school, work)| {
                (id, (small(members), small(school), small(work)))
            }),
        );
    }
    Ok(out)
}
