//! Realisation of the cycle's CSR programs, plan against what was delivered,
//! and the companies' realisation reports that freeze it (issue 15, item 4).
//! The lifecycle of a report is `domain::realisation`'s.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::{self, Actor};
use super::schema::{
    households as h, program_targets as pt, programs as p, realisation_reports as rr,
};
use super::{check_version, new_id, now, DbConnection, DbError, IfMatch};
use crate::domain::program::{Funding, ProgramStatus, TargetStatus};
use crate::domain::realisation::ReportStatus;

/// One program's plan and realisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"program_id": "8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "title": "Bedah rumah 40 KK Tenggarong",
    "status": "running", "budget": 1200000000, "realised_value": 450000000, "households_planned": 40, "households_served": 15}))]
pub struct ProgramFigures {
    #[schema(format = Uuid)]
    pub program_id: String,
    pub title: String,
    pub status: ProgramStatus,
    /// Whole rupiah agreed.
    pub budget: i64,
    /// Whole rupiah realised: the sum of its targets' realised values.
    pub realised_value: i64,
    /// Its active targets' households.
    pub households_planned: i64,
    /// Those marked served.
    pub households_served: i64,
}

/// A company's plan against realisation in a cycle: its agreed CSR programs
/// (agreed, running or completed) and what reached their targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub planned_budget: i64,
    pub realised_value: i64,
    /// Distinct households that are active targets of those programs.
    pub households_planned: i64,
    /// Distinct households served by them.
    pub households_served: i64,
    /// Distinct desa of the households served.
    pub desa_reached: i64,
    pub programs: Vec<ProgramFigures>,
}

/// The figures of every company with an agreed CSR program in cycle `year`
/// (or of `company` alone), by company id, in two reads.
pub fn figures_by_company(
    conn: &mut DbConnection,
    year: i32,
    company: Option<&str>,
) -> Result<HashMap<String, Figures>, DbError> {
    type ProgramRow = (String, Option<String>, String, ProgramStatus, i64);
    let mut q = p::table
        .filter(p::cycle_year.eq(year))
        .filter(p::funding.eq(Funding::Csr))
        .filter(p::status.eq_any([
            ProgramStatus::Agreed,
            ProgramStatus::Running,
            ProgramStatus::Completed,
        ]))
        .select((p::id, p::company_id, p::title, p::status, p::budget))
        .order((p::created_at.asc(), p::id.asc()))
        .into_boxed();
    if let Some(c) = company {
        q = q.filter(p::company_id.eq(c.to_string()));
    }
    let programs: Vec<ProgramRow> = q.load(conn)?;
    let ids: Vec<&String> = programs.iter().map(|r| &r.0).collect();
    // Per program: (household, status, realised value, desa) of each active target.
    type Target = (String, TargetStatus, Option<i64>, String);
    let mut targets: HashMap<String, Vec<Target>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String, TargetStatus, Option<i64>, String)> = pt::table
            .inner_join(h::table)
            .filter(pt::program_id.eq_any(chunk.iter().map(|s| s.as_str())))
            .filter(pt::active.eq(true))
            .select((
                pt::program_id,
                pt::household_id,
                pt::status,
                pt::realized_value,
                h::region_code,
            ))
            .load(conn)?;
        for (program, household, status, realised, desa) in rows {
            targets
                .entry(program)
                .or_default()
                .push((household, status, realised, desa));
        }
    }
    struct Sets {
        figures: Figures,
        planned: HashSet<String>,
        served: HashSet<String>,
        desa: HashSet<String>,
    }
    let mut by_company: BTreeMap<String, Sets> = BTreeMap::new();
    for (id, company, title, status, budget) in programs {
        let Some(company) = company else { continue };
        let sets = by_company.entry(company).or_insert_with(|| Sets {
            figures: Figures::default(),
            planned: HashSet::new(),
            served: HashSet::new(),
            desa: HashSet::new(),
        });
        let mut program = ProgramFigures {
            program_id: id.clone(),
            title,
            status,
            budget,
            realised_value: 0,
            households_planned: 0,
            households_served: 0,
        };
        for (household, status, realised, desa) in targets.remove(&id).unwrap_or_default() {
            program.households_planned += 1;
            program.realised_value = program.realised_value.saturating_add(realised.unwrap_or(0));
            if status == TargetStatus::Served {
                program.households_served += 1;
                sets.served.insert(household.clone());
                sets.desa.insert(desa);
            }
            sets.planned.insert(household);
        }
        let f = &mut sets.figures;
        f.planned_budget = f.planned_budget.saturating_add(program.budget);
        f.realised_value = f.realised_value.saturating_add(program.realised_value);
        f.programs.push(program);
    }
    Ok(by_company
        .into_iter()
        .map(|(company, mut s)| {
            s.figures.households_planned = s.planned.len() as i64;
            s.figures.households_served = s.served.len() as i64;
            s.figures.desa_reached = s.desa.len() as i64;
            (company, s.figures)
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ReportRow {
    pub id: String,
    pub company_id: String,
    pub cycle_year: i32,
    pub period: String,
    pub status: ReportStatus,
    pub notes: Option<String>,
    pub planned_budget: Option<i64>,
    pub realised_value: Option<i64>,
    pub households_planned: Option<i64>,
    pub households_served: Option<i64>,
    pub desa_reached: Option<i64>,
    pub programs: Option<String>,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_by: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ReportRow {
    fn audit_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["version", "created_at", "updated_at", "programs"] {
                o.remove(k);
            }
        }
        v
    }

    /// The frozen per-program figures (empty before submission).
    pub fn program_figures(&self) -> Vec<ProgramFigures> {
        self.programs
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }
}

/// Which reports a caller reaches: every one, or its company's.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub company_id: Option<String>,
    pub cycle_year: Option<i32>,
    pub period: Option<String>,
    pub status: Option<ReportStatus>,
}

type Boxed<'a> = rr::BoxedQuery<'a, super::DbBackend>;

fn filtered(f: &ReportFilter) -> Boxed<'_> {
    let mut q = rr::table.into_boxed();
    if let Some(v) = &f.company_id {
        q = q.filter(rr::company_id.eq(v.clone()));
    }
    if let Some(v) = f.cycle_year {
        q = q.filter(rr::cycle_year.eq(v));
    }
    if let Some(v) = &f.period {
        q = q.filter(rr::period.eq(v.clone()));
    }
    if let Some(v) = f.status {
        q = q.filter(rr::status.eq(v));
    }
    q
}

pub fn list(
    conn: &mut DbConnection,
    f: &ReportFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ReportRow>, i64), DbError> {
    let total = filtered(f).count().get_result::<i64>(conn)?;
    let rows = filtered(f)
        .order((
            rr::cycle_year.desc(),
            rr::period.asc(),
            rr::created_at.asc(),
            rr::id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .load::<ReportRow>(conn)?;
    Ok((rows, total))
}

/// Report `id`, if it is `company`'s (or any, for `None`).
pub fn get(conn: &mut DbConnection, id: &str, company: Option<&str>) -> Result<ReportRow, DbError> {
    let mut q = rr::table.filter(rr::id.eq(id.to_string())).into_boxed();
    if let Some(c) = company {
        q = q.filter(rr::company_id.eq(c.to_string()));
    }
    Ok(q.first::<ReportRow>(conn)?)
}

/// Every report of cycle `year` (or of `company`'s), for the realisation table.
pub fn of_cycle(
    conn: &mut DbConnection,
    year: i32,
    company: Option<&str>,
) -> Result<Vec<ReportRow>, DbError> {
    let f = ReportFilter {
        company_id: company.map(str::to_string),
        cycle_year: Some(year),
        ..ReportFilter::default()
    };
    Ok(filtered(&f).load::<ReportRow>(conn)?)
}

/// A new draft; a second report of the same company and period is a 409.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    company_id: &str,
    cycle_year: i32,
    period: &str,
    notes: Option<&str>,
) -> Result<ReportRow, DbError> {
    let exists = rr::table
        .filter(rr::company_id.eq(company_id))
        .filter(rr::period.eq(period))
        .select(rr::id)
        .first::<String>(conn)
        .optional()?;
    if let Some(other) = exists {
        return Err(DbError::conflict_with(
            "report_exists",
            format!("the company already has a report for {period}"),
            serde_json::json!({"report_id": other}),
        ));
    }
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(rr::table)
        .values((
            rr::id.eq(&id),
            rr::company_id.eq(company_id),
            rr::cycle_year.eq(cycle_year),
            rr::period.eq(period),
            rr::status.eq(ReportStatus::Draft),
            rr::notes.eq(notes),
            rr::version.eq(1),
            rr::created_at.eq(t),
            rr::updated_at.eq(t),
        ))
        .returning(rr::all_columns)
        .get_result::<ReportRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "realisation_report",
        &id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Writes a change to a report if `expected` is still its version (`apply`
/// gets its id and version and makes the change, or finds it stale), with
/// its audit record under `action`.
fn write(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: &ReportRow,
    expected: IfMatch,
    apply: impl FnOnce(&mut DbConnection, &str, i32) -> QueryResult<Option<ReportRow>>,
) -> Result<ReportRow, DbError> {
    check_version(&expected, before.version)?;
    let row = apply(conn, &before.id, before.version)?.ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        action,
        "realisation_report",
        &row.id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Submits a report (`expected`: the version the client read), freezing
/// `figures` as of `on`.
pub fn submit(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ReportRow,
    expected: IfMatch,
    figures: &Figures,
    notes: Option<&str>,
    on: NaiveDate,
) -> Result<ReportRow, DbError> {
    let programs = serde_json::to_string(&figures.programs)?;
    write(conn, actor, "submit", before, expected, |c, id, v| {
        diesel::update(rr::table.filter(rr::id.eq(id)).filter(rr::version.eq(v)))
            .set((
                rr::status.eq(ReportStatus::Submitted),
                rr::notes.eq(notes.map(str::to_string).or(before.notes.clone())),
                rr::planned_budget.eq(figures.planned_budget),
                rr::realised_value.eq(figures.realised_value),
                rr::households_planned.eq(figures.households_planned),
                rr::households_served.eq(figures.households_served),
                rr::desa_reached.eq(figures.desa_reached),
                rr::programs.eq(programs),
                rr::submitted_on.eq(on),
                rr::submitted_by.eq(&actor.name),
                rr::version.eq(v + 1),
                rr::updated_at.eq(now()),
            ))
            .returning(rr::all_columns)
            .get_result::<ReportRow>(c)
            .optional()
    })
}

/// Records Bappeda's review: the new status and its note.
pub fn review(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ReportRow,
    expected: IfMatch,
    status: ReportStatus,
    note: Option<&str>,
    on: NaiveDate,
) -> Result<ReportRow, DbError> {
    write(conn, actor, "review", before, expected, |c, id, v| {
        diesel::update(rr::table.filter(rr::id.eq(id)).filter(rr::version.eq(v)))
            .set((
                rr::status.eq(status),
                rr::review_note.eq(note),
                rr::reviewed_on.eq(on),
                rr::reviewed_by.eq(&actor.name),
                rr::version.eq(v + 1),
                rr::updated_at.eq(now()),
            ))
            .returning(rr::all_columns)
            .get_result::<ReportRow>(c)
            .optional()
    })
}
