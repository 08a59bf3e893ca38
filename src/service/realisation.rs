//! Realisation reports and the realisation of a cycle (issue 15, item 4):
//! a company files one report per period, its figures frozen from
//! `db::realisation::figures_by_company` when it submits; Bappeda approves it
//! or sends it back. The cycle's table puts each company's plan beside its
//! reports, period by period, with their lateness.

use chrono::NaiveDate;

use super::Caller;
use crate::db::realisation::{self as store, Figures, ReportFilter, ReportRow};
use crate::db::{self, companies, cycles, IfMatch, Pool};
use crate::domain::realisation::{self as rules, Period, ReviewDecision};
use crate::domain::role::Role;
use crate::error::ApiError;

/// The company a caller files for: a company itself; admin names one.
fn filer(caller: &Caller, named: Option<String>) -> Result<String, ApiError> {
    match (&caller.company_id, named) {
        (Some(own), Some(given)) if *own != given => Err(ApiError::invalid_field(
            "company_id",
            "a company files only its own reports",
        )),
        (Some(own), _) => Ok(own.clone()),
        (None, Some(given)) => Ok(given),
        (None, None) => Err(ApiError::invalid_field("company_id", "is required")),
    }
}

/// A period of cycle `year`, from its wire form.
pub fn period_of(text: &str, field: &str) -> Result<Period, ApiError> {
    Period::parse(text).ok_or_else(|| {
        ApiError::invalid_field(field, "must be YYYY-Q1 … YYYY-Q4, or YYYY for the year")
    })
}

/// A new draft report of the caller's company for `period`.
pub async fn create(
    pool: &Pool,
    caller: Caller,
    company_id: Option<String>,
    period: String,
    notes: Option<String>,
) -> Result<ReportRow, ApiError> {
    let company_id = filer(&caller, company_id)?;
    let period = period_of(&period, "period")?;
    db::tx(pool, move |c| {
        cycles::get(c, period.year).map_err(|_| {
            ApiError::invalid_field("period", format!("there is no {} cycle", period.year))
        })?;
        let company = companies::get(c, &company_id)
            .map_err(|_| ApiError::invalid_field("company_id", "no such company"))?;
        if !company.active {
            return Err(ApiError::invalid_field(
                "company_id",
                "the company is not active",
            ));
        }
        Ok(store::create(
            c,
            &caller.actor,
            &company_id,
            period.year,
            &period.to_string(),
            notes.as_deref().map(str::trim).filter(|n| !n.is_empty()),
        )?)
    })
    .await
}

/// Reports the caller reaches (a company its own) matching `filter`.
pub async fn list(
    pool: &Pool,
    caller: Caller,
    mut filter: ReportFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ReportRow>, i64), ApiError> {
    if let Some(own) = &caller.company_id {
        if filter.company_id.as_ref().is_some_and(|c| c != own) {
            return Ok((Vec::new(), 0));
        }
        filter.company_id = Some(own.clone());
    }
    db::run(pool, move |c| Ok(store::list(c, &filter, offset, limit)?)).await
}

/// Report `id` in the caller's reach (a company's own; else 404).
pub async fn get(pool: &Pool, caller: Caller, id: String) -> Result<ReportRow, ApiError> {
    db::run(pool, move |c| {
        Ok(store::get(c, &id, caller.company_id.as_deref())?)
    })
    .await
}

/// Submits report `id`: its figures are frozen as they stand `today`.
pub async fn submit(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    notes: Option<String>,
    today: NaiveDate,
) -> Result<ReportRow, ApiError> {
    db::tx(pool, move |c| {
        let before = store::get(c, &id, caller.company_id.as_deref())?;
        rules::submit(before.status, caller.role)?;
        let figures: Figures =
            store::figures_by_company(c, before.cycle_year, Some(&before.company_id))?
                .remove(&before.company_id)
                .unwrap_or_default();
        Ok(store::submit(
            c,
            &caller.actor,
            &before,
            expected,
            &figures,
            notes.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            today,
        )?)
    })
    .await
}

/// Bappeda's review of report `id`.
pub async fn review(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    decision: ReviewDecision,
    note: Option<String>,
    today: NaiveDate,
) -> Result<ReportRow, ApiError> {
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    db::tx(pool, move |c| {
        let before = store::get(c, &id, caller.company_id.as_deref())?;
        let status = rules::review(before.status, caller.role, decision, note.is_some())?;
        Ok(store::review(
            c,
            &caller.actor,
            &before,
            expected,
            status,
            note.as_deref(),
            today,
        )?)
    })
    .await
}

/// Whether a company has a row in the realisation of a cycle: the duty
/// applies to it, or it took part anyway with an agreed program.
fn listed(obliged: bool, plan: &Figures) -> bool {
    obliged || !plan.programs.is_empty()
}

/// One company's standing in one period of the cycle.
#[derive(Debug, Clone)]
pub struct PeriodRow {
    pub company_id: String,
    pub company_name: String,
    pub period: Period,
    pub due_on: NaiveDate,
    /// The plan as it stands now (agreed programs' budget).
    pub planned_budget: i64,
    /// The report filed for the period, if any.
    pub report: Option<ReportRow>,
    pub days_late: i64,
}

/// The realisation of cycle `year`: per company with a TJSP duty or an
/// agreed program (a company caller: its own) and per period, the plan
/// beside the report filed for it and how late it is on `today`.
pub async fn of_cycle(
    pool: &Pool,
    caller: Caller,
    year: i32,
    today: NaiveDate,
) -> Result<Vec<PeriodRow>, ApiError> {
    let own = match caller.role {
        Role::Company => Some(caller.company_id.clone().ok_or_else(ApiError::forbidden)?),
        _ => None,
    };
    db::run(pool, move |c| {
        cycles::get(c, year)?;
        let standings = db::reports::standings(c, year, own.as_deref())?;
        let mut figures = store::figures_by_company(c, year, own.as_deref())?;
        let reports = store::of_cycle(c, year, own.as_deref())?;
        let mut rows = Vec::new();
        for s in standings {
            let plan = figures.remove(&s.company_id).unwrap_or_default();
            if !listed(s.sector.is_obliged(), &plan) {
                continue;
            }
            for period in Period::of_cycle(year) {
                let report = reports
                    .iter()
                    .find(|r| r.company_id == s.company_id && r.period == period.to_string())
                    .cloned();
                let submitted = report.as_ref().and_then(|r| r.submitted_on);
                rows.push(PeriodRow {
                    company_id: s.company_id.clone(),
                    company_name: s.company_name.clone(),
                    period,
                    due_on: period.due_on(),
                    planned_budget: plan.planned_budget,
                    days_late: rules::days_late(period, submitted, today),
                    report,
                });
            }
        }
        Ok(rows)
    })
    .await
}

/// One company's year as the public sees it: its compliance and what its
/// agreed CSR programs planned and realised.
#[derive(Debug, Clone)]
pub struct CompanyYear {
    pub company_name: String,
    pub sector: crate::domain::compliance::Sector,
    pub state: crate::domain::compliance::ComplianceState,
    pub programs: i64,
    pub planned_budget: i64,
    pub realised_value: i64,
}

/// Every active company obliged to the TJSP duty, or with an agreed CSR
/// program, in cycle `year` on `today`, by name.
pub async fn companies_of_cycle(
    pool: &Pool,
    year: i32,
    today: NaiveDate,
) -> Result<Vec<CompanyYear>, ApiError> {
    db::run(pool, move |c| {
        let deadline = cycles::get(c, year)?.agreement_deadline;
        let mut figures = store::figures_by_company(c, year, None)?;
        let mut out = Vec::new();
        for s in db::reports::standings(c, year, None)? {
            let plan = figures.remove(&s.company_id).unwrap_or_default();
            let a = s.assess(today, deadline);
            if !listed(a.obliged, &plan) {
                continue;
            }
            out.push(CompanyYear {
                company_name: s.company_name,
                sector: s.sector,
                state: a.state,
                programs: plan.programs.len() as i64,
                planned_budget: plan.planned_budget,
                realised_value: plan.realised_value,
            });
        }
        Ok(out)
    })
    .await
}
