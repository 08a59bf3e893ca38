//! Program transitions and settlement: a requested lifecycle action decided
//! once by `domain::program::decide`, and the automatic steps (`verified`,
//! `agreed`) that [`settle`] applies after anything that changes targets or
//! signatures, in the same transaction. Also what a caller sees of a program
//! ([`ProgramView`]: its target count and the actions open to it).

use chrono::NaiveDate;

use super::Caller;
use crate::db::programs::{self as store, ProgramRow};
use crate::db::{self, audit::Actor, cycles, DbConnection, Pool};
use crate::domain::program::{
    after_verification, available_actions, decide, Action, ProgramStatus,
};
use crate::domain::role::Role;
use crate::error::ApiError;

/// A program as one caller sees it.
#[derive(Debug, Clone)]
pub struct ProgramView {
    pub row: ProgramRow,
    pub status: ProgramStatus,
    pub targets_count: i64,
    /// The lifecycle actions the caller could take on `today`.
    pub available_actions: Vec<Action>,
}

/// The programs as `caller` sees them on `today`, in the order given.
pub fn views(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: Vec<ProgramRow>,
    today: NaiveDate,
) -> Result<Vec<ProgramView>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let counts = store::target_counts(conn, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let status = row.status()?;
        let calendar = cycles::get(conn, row.cycle_year)?.calendar();
        let facts = store::facts(conn, &row, true)?;
        let actions = if owns(caller, &row) {
            available_actions(status, caller.role, today, &calendar, &facts)
                .into_iter()
                .filter(|a| *a != Action::Sign || matches!(caller.role, Role::Company | Role::Opd))
                .collect()
        } else {
            Vec::new()
        };
        out.push(ProgramView {
            targets_count: counts.get(&row.id).copied().unwrap_or(0),
            row,
            status,
            available_actions: actions,
        });
    }
    Ok(out)
}

/// One program as `caller` sees it on `today`.
pub fn view(
    conn: &mut DbConnection,
    caller: &Caller,
    row: ProgramRow,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    views(conn, caller, vec![row], today)?
        .pop()
        .ok_or_else(ApiError::not_found)
}

/// Whether the caller acts for this program: its company, its lead agency, or
/// Bappeda/admin. Readers such as the Bupati and viewers act on nothing.
fn owns(caller: &Caller, program: &ProgramRow) -> bool {
    match caller.role {
        Role::Company => caller.company_id.as_deref() == Some(program.company_id.as_str()),
        Role::Opd => caller.opd_code.as_deref() == program.opd_code.as_deref(),
        Role::Bappeda | Role::Admin => true,
        _ => false,
    }
}

/// Applies the automatic steps (`mark_verified`, `agree`) after a change.
pub fn settle(
    conn: &mut DbConnection,
    actor: &Actor,
    row: ProgramRow,
) -> Result<ProgramRow, ApiError> {
    let status = row.status()?;
    let facts = store::facts(conn, &row, false)?;
    let next = after_verification(status, &facts);
    if next == status {
        return Ok(row);
    }
    let action = if next == ProgramStatus::Agreed {
        "agree"
    } else {
        "mark_verified"
    };
    let moved = store::set_status(conn, actor, action, &row, None, next, None)?;
    // Verified can lead on to agreed in the same change.
    settle(conn, actor, moved)
}

/// A lifecycle action a caller requests (not `sign`, which has
/// [`super::signatures::sign`], nor the automatic ones).
#[derive(Debug, Clone)]
pub struct Transition {
    pub action: Action,
    /// Why (required for `reject` and `cancel`).
    pub note: Option<String>,
    /// An admin's reason to act outside the calendar window.
    pub override_reason: Option<String>,
}

/// Moves a program through its lifecycle (`expected`: the version the client
/// read), then settles it, in one transaction; a closed window is set aside
/// only by an admin's override, which the status note records.
pub async fn transition(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: Option<i32>,
    request: Transition,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    let window_override = caller.window_override(request.override_reason, "a calendar window")?;
    db::tx(pool, move |c| {
        let before = store::get(c, &id, &caller.reach())?;
        let status = before.status()?;
        let calendar = cycles::get(c, before.cycle_year)?.calendar();
        let note = request.note.filter(|n| !n.trim().is_empty());
        let facts = store::facts(c, &before, note.is_some())?;
        let next = decide(
            status,
            request.action,
            caller.role,
            today,
            &calendar,
            &facts,
            &window_override,
        )?;
        let status_note = match (&note, window_override.reason()) {
            (Some(n), Some(r)) => Some(format!("{n} (window overridden: {r})")),
            (None, Some(r)) => Some(format!("window overridden: {r}")),
            (n, None) => n.clone(),
        };
        let row = store::set_status(
            c,
            &caller.actor,
            request.action.as_str(),
            &before,
            expected,
            next,
            status_note.as_deref(),
        )?;
        let row = settle(c, &caller.actor, row)?;
        view(c, &caller, row, today)
    })
    .await
}
