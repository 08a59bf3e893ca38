//! A program's targets: adding, changing and removing them while the program
//! allows it (`domain::program::targets_editable`), with the rules as they
//! are called here: a company names only households it may read
//! (`db::exposure`), a household is an active target of at most one program
//! of the same type per cycle (`db::targets::add_target`), and the program is
//! settled after every change that can complete its verification.

use crate::db::IfMatch;
use chrono::NaiveDate;

use super::programs::settle;
use super::Caller;
use crate::db::programs::{self as programs_store, ProgramReach};
use crate::db::targets::{self as store, TargetRow};
use crate::db::{self, exposure, Pool};
use crate::domain::exposure::first_live_cycle;
use crate::domain::program::{targets_editable, ProgramStatus, TargetStatus};
use crate::error::ApiError;

/// A new target of a program.
#[derive(Debug, Clone)]
pub struct NewTarget {
    pub household_id: String,
    /// One member the program reaches, if not the whole family.
    pub member_id: Option<String>,
    /// Whole rupiah.
    pub planned_value: i64,
}

/// A change of a target: its planned value (until agreement) or its realised
/// value (while the program runs).
#[derive(Debug, Clone, Default)]
pub struct TargetChange {
    pub planned_value: Option<i64>,
    pub realized_value: Option<i64>,
}

fn editable(status: ProgramStatus) -> Result<(), ApiError> {
    if targets_editable(status) {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "targets_locked",
            format!("targets of a program that is {status} cannot be added, changed or removed"),
        ))
    }
}

/// A target's value: 0 to the largest program budget, so report sums stay
/// far from overflow as they do for budgets.
fn money(field: &str, v: i64) -> Result<i64, ApiError> {
    if !(0..=super::programs::MAX_BUDGET).contains(&v) {
        Err(ApiError::invalid_field(
            field,
            format!("must be 0 to {} whole rupiah", super::programs::MAX_BUDGET),
        ))
    } else {
        Ok(v)
    }
}

/// A page of the targets of program `id` (within the caller's reach), and
/// how many there are.
pub async fn list(
    pool: &Pool,
    caller: Caller,
    id: String,
    offset: i64,
    limit: i64,
) -> Result<(Vec<TargetRow>, i64), ApiError> {
    Ok(db::run(pool, move |c| {
        programs_store::get(c, &id, &caller.reach())?;
        store::targets(c, &id, offset, limit)
    })
    .await?)
}

/// One target of program `id` (within the caller's reach).
pub async fn get(
    pool: &Pool,
    caller: Caller,
    id: String,
    target_id: String,
) -> Result<TargetRow, ApiError> {
    Ok(db::run(pool, move |c| {
        programs_store::get(c, &id, &caller.reach())?;
        store::target(c, &id, &target_id)
    })
    .await?)
}

/// Adds a target to program `id` and settles the program, in one
/// transaction; `today` decides which cycles are live for a company's reads.
pub async fn add(
    pool: &Pool,
    caller: Caller,
    id: String,
    target: NewTarget,
    today: NaiveDate,
) -> Result<TargetRow, ApiError> {
    let planned = money("planned_value", target.planned_value)?;
    db::tx(pool, move |c| {
        let program = programs_store::get(c, &id, &caller.reach())?;
        editable(program.status)?;
        let company = caller.company_id.as_deref();
        if let Some(company) = company {
            // A company names only households it may read.
            let live_from = first_live_cycle(today);
            if !exposure::may_read(c, company, &target.household_id, live_from)? {
                return Err(ApiError::invalid_field("household_id", "no such household"));
            }
        }
        let row = store::add_target(
            c,
            &caller.actor,
            company,
            &program,
            &target.household_id,
            target.member_id.as_deref(),
            planned,
        )?;
        let program = programs_store::get(c, &id, &ProgramReach::All)?;
        settle(c, &caller.actor, program)?;
        Ok(row)
    })
    .await
}

/// Changes target `target_id` of program `id` (`expected`: the version the
/// client read); a realised value marks it `served`.
pub async fn update(
    pool: &Pool,
    caller: Caller,
    id: String,
    target_id: String,
    expected: IfMatch,
    change: TargetChange,
) -> Result<TargetRow, ApiError> {
    db::tx(pool, move |c| {
        let program = programs_store::get(c, &id, &caller.reach())?;
        let status = program.status;
        let before = store::target(c, &id, &target_id)?;
        let mut planned = before.planned_value;
        let mut realized = before.realized_value;
        let mut target_status: TargetStatus = before.status;
        if let Some(v) = change.planned_value {
            editable(status)?;
            planned = money("planned_value", v)?;
        }
        if let Some(v) = change.realized_value {
            if status != ProgramStatus::Running {
                return Err(ApiError::conflict(
                    "not_running",
                    "realised values are recorded while the program runs",
                ));
            }
            if !matches!(target_status, TargetStatus::Eligible | TargetStatus::Served) {
                return Err(ApiError::conflict(
                    "not_eligible",
                    "only a target verified eligible can be served",
                ));
            }
            realized = Some(money("realized_value", v)?);
            target_status = TargetStatus::Served;
        }
        Ok(store::update_target(
            c,
            &caller.actor,
            &before,
            expected,
            planned,
            realized,
            target_status,
        )?)
    })
    .await
}

/// Removes target `target_id` of program `id` (`expected`: the version the
/// client read) and settles the program, in one transaction.
pub async fn remove(
    pool: &Pool,
    caller: Caller,
    id: String,
    target_id: String,
    expected: IfMatch,
) -> Result<(), ApiError> {
    db::tx(pool, move |c| {
        let program = programs_store::get(c, &id, &caller.reach())?;
        editable(program.status)?;
        let before = store::target(c, &id, &target_id)?;
        store::remove_target(c, &caller.actor, &before, expected)?;
        settle(c, &caller.actor, program)?;
        Ok(())
    })
    .await
}
