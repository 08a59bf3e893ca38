//! Recording a field visit and what it sets: the target's status (unless a
//! later-dated visit exists), the household's `needs_update` for `moved` and
//! `deceased` (`db::verifications::record`), and the program's automatic
//! steps ([`settle`]), in one transaction; inside the cycle's verification
//! window unless an admin overrides it. Also the reads of visits, which a
//! company's reads audit (their notes may be personal data), and whose notes
//! and coordinates a company does not read for a household it sees
//! pseudonymised.

use chrono::NaiveDate;
use serde_json::json;

use super::programs::settle;
use super::Caller;
use crate::db::programs::{self as programs_store, ProgramReach};
use crate::db::targets::TargetRow;
use crate::db::verifications::{
    self as store, NewVerification, VerificationFilter, VerificationRow,
};
use crate::db::{self, audit, cycles, exposure, DbConnection, Pool};
use crate::domain::cycle::Window;
use crate::domain::program::{Override, ProgramStatus, TargetStatus, TransitionError};
use crate::domain::role::Role;
use crate::error::ApiError;

/// A visit as the verifier reports it, its fields checked at the edge.
#[derive(Debug, Clone)]
pub struct Visit {
    pub target_id: String,
    /// When given, it must be the target's program.
    pub program_id: Option<String>,
    /// Its `override_reason` is set here, from the one below.
    pub verification: NewVerification,
    /// An admin's reason to record outside the verification window.
    pub override_reason: Option<String>,
}

/// A recorded visit, with where it left its target and program.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub row: VerificationRow,
    pub target_status: TargetStatus,
    pub program_status: ProgramStatus,
}

/// Audits a company's read of visits: their notes may be personal data.
fn audit_company_read(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: &[VerificationRow],
) -> Result<(), ApiError> {
    if caller.role != Role::Company {
        return Ok(());
    }
    for r in rows {
        audit::record(
            conn,
            &caller.actor,
            "read_personal_data",
            "verification",
            &r.id,
            None,
            None,
        )?;
    }
    Ok(())
}

/// A company reads neither the notes nor the coordinates of a visit to a
/// household it sees pseudonymised (the consent gate,
/// `db::exposure::pseudonymised_for`): free text written in the field may
/// name the family, and the coordinates locate the house whose address it
/// does not see. One query for the page.
fn withhold_for_gate(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: &mut [VerificationRow],
) -> Result<(), ApiError> {
    let Some(company) = caller.company_id.as_deref() else {
        return Ok(());
    };
    let households: Vec<String> = rows.iter().map(|r| r.household_id.clone()).collect();
    let gated = exposure::pseudonymised(conn, company, &households)?;
    for r in rows.iter_mut().filter(|r| gated.contains(&r.household_id)) {
        r.notes = None;
        r.latitude = None;
        r.longitude = None;
    }
    Ok(())
}

/// A page of the visits the caller reaches, and how many there are.
pub async fn list(
    pool: &Pool,
    caller: Caller,
    filter: VerificationFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<VerificationRow>, i64), ApiError> {
    db::read(pool, caller.reads_are_audited, move |c| {
        let (mut rows, total) = store::list(c, &filter, &caller.reach(), offset, limit)?;
        audit_company_read(c, &caller, &rows)?;
        withhold_for_gate(c, &caller, &mut rows)?;
        Ok((rows, total))
    })
    .await
}

/// One visit the caller reaches.
pub async fn get(pool: &Pool, caller: Caller, id: String) -> Result<VerificationRow, ApiError> {
    db::read(pool, caller.reads_are_audited, move |c| {
        let mut row = store::get(c, &id, &caller.reach())?;
        audit_company_read(c, &caller, std::slice::from_ref(&row))?;
        withhold_for_gate(c, &caller, std::slice::from_mut(&mut row))?;
        Ok(row)
    })
    .await
}

/// Records a visit of one target (in the verification window of `today`) and settles its program,
/// in one transaction.
pub async fn record(
    pool: &Pool,
    caller: Caller,
    visit: Visit,
    today: NaiveDate,
) -> Result<Recorded, ApiError> {
    let window_override =
        caller.window_override(visit.override_reason.clone(), "the verification window")?;
    db::tx(pool, move |c| {
        record_visit(c, &caller, visit, &window_override, today)
    })
    .await
}

/// Records one visit on the caller's open transaction: the one path of a
/// single `POST /verifications` and of every item of a batch, so both obey
/// the same rules. The target must be in the caller's reach, its program
/// `consolidated` or `verified`, the target active, and `today` inside the
/// cycle's verification window (or `window_override` an admin's). A visit
/// synced from a device (`verification.device`) is also refused (409
/// `target_changed`) when a visit dated later than it was recorded in the
/// meantime: the device did not know of it. The result then sets the
/// target's status (unless a later-dated visit exists), and the program is
/// settled.
pub fn record_visit(
    c: &mut DbConnection,
    caller: &Caller,
    visit: Visit,
    window_override: &Override,
    today: NaiveDate,
) -> Result<Recorded, ApiError> {
    let mut new = visit.verification;
    let target = store::target_for_visit(c, &visit.target_id)?
        .ok_or_else(|| ApiError::invalid_field("target_id", "no such target"))?;
    if visit
        .program_id
        .as_ref()
        .is_some_and(|p| p != &target.program_id)
    {
        return Err(ApiError::invalid_field(
            "program_id",
            "is not the program of this target",
        ));
    }
    // An agency outside the program gets the same answer as for a
    // target that does not exist.
    let program = programs_store::get(c, &target.program_id, &caller.reach())
        .map_err(|_| ApiError::invalid_field("target_id", "no such target"))?;
    let status = program.status;
    if !matches!(
        status,
        ProgramStatus::Consolidated | ProgramStatus::Verified
    ) {
        return Err(ApiError::conflict_with(
            "program_not_verifiable",
            format!("targets of a program that is {status} are not verified; it must be consolidated or verified"),
            json!({"program_status": status.as_str()}),
        ));
    }
    if !target.active {
        return Err(ApiError::conflict(
            "target_inactive",
            "the target is no longer active",
        ));
    }
    let calendar = cycles::get(c, program.cycle_year)?.calendar();
    let window = Window::Verification;
    if let Some(code) = window.code(window.position(&calendar, today)) {
        match window_override.reason() {
            Some(reason) => new.override_reason = Some(reason.to_string()),
            None => {
                let (from, until) = window.bounds(&calendar);
                return Err(TransitionError::OutsideWindow {
                    window,
                    code,
                    from,
                    until,
                }
                .into());
            }
        }
    }
    if new.device.is_some() {
        if let Some(later) = store::latest(c, &target.id)?.filter(|l| l.visited_on > new.visited_on)
        {
            return Err(ApiError::conflict_with(
                "target_changed",
                format!(
                    "a visit dated {} was recorded for this target since; this visit of {} is not recorded",
                    later.visited_on, new.visited_on
                ),
                json!({"latest_visit_id": later.id, "latest_visited_on": later.visited_on}),
            ));
        }
    }
    let (row, target) = store::record(c, &caller.actor, &target, &new)?;
    // A `moved` or `deceased` visit files its change request (issue 14).
    super::change_requests::on_visit(c, caller, &row, target.member_id.as_deref())?;
    let program = programs_store::get(c, &target.program_id, &ProgramReach::All)?;
    super::events::target_verified(c, &program, &row, target.status)?;
    let program = settle(c, &caller.actor, program)?;
    Ok(Recorded {
        row,
        target_status: target.status,
        program_status: program.status,
    })
}

// --- issue 14: visits synced from devices in a batch ---------------------

/// The problem codes that mean the target changed since the device saw it
/// (its program closed for visits, the target dropped, a later visit): the
/// item is answered `conflict` with the target's state now.
const CHANGED: &[&str] = &[
    "program_not_verifiable",
    "target_inactive",
    "target_changed",
];

/// A target as it is now, for a device whose visit conflicted with it.
#[derive(Debug, Clone)]
pub struct TargetState {
    pub target: TargetRow,
    pub program_status: ProgramStatus,
    /// The latest visit by date, if any.
    pub latest_visit: Option<VerificationRow>,
}

/// What became of one item of a batch.
#[derive(Debug)]
pub enum Outcome {
    /// Recorded now.
    Created(Recorded),
    /// The caller synced this `client_id` before: the visit it made then.
    Duplicate(VerificationRow),
    /// The target changed since the device saw it; nothing recorded.
    Conflict {
        problem: ApiError,
        current: Box<TargetState>,
    },
    /// Refused for this reason (the same problem a single visit gets);
    /// nothing recorded.
    Rejected(ApiError),
}

/// An item of a batch: a visit synced from a device (`verification.device`
/// set), or the reason it was refused before it reached the database.
pub type BatchItem = Result<Visit, ApiError>;

/// Records each visit of a batch in a transaction of its own, in order
/// (never all-or-nothing), through [`record_visit`]; a resent item (same
/// caller, same `client_id`) is answered with the visit it made the first
/// time. Fails as a whole only when the database fails (earlier items stay
/// recorded, and a resend finds them as duplicates).
///
/// The items' transactions commit without waiting for the disk
/// ([`db::defer_flush`]); the batch ends with its audit record committed the
/// ordinary way, which makes every item durable before the device is told
/// `created`.
pub async fn record_batch(
    pool: &Pool,
    caller: Caller,
    items: Vec<BatchItem>,
    today: NaiveDate,
) -> Result<Vec<Outcome>, ApiError> {
    db::run(pool, move |c| {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(match item {
                Err(problem) => Outcome::Rejected(problem),
                Ok(visit) => sync_one(c, &caller, visit, today)?,
            });
        }
        db::transaction(c, |c| audit_batch(c, &caller, &out))?;
        Ok(out)
    })
    .await
}

/// The batch as one audit record: how many items had each outcome (each
/// visit made has its own record already).
fn audit_batch(c: &mut DbConnection, caller: &Caller, out: &[Outcome]) -> Result<(), ApiError> {
    let count = |f: fn(&Outcome) -> bool| out.iter().filter(|o| f(o)).count();
    let summary = json!({
        "items": out.len(),
        "created": count(|o| matches!(o, Outcome::Created(_))),
        "duplicate": count(|o| matches!(o, Outcome::Duplicate(_))),
        "conflict": count(|o| matches!(o, Outcome::Conflict { .. })),
        "rejected": count(|o| matches!(o, Outcome::Rejected(_))),
    });
    audit::record(
        c,
        &caller.actor,
        "sync_visits",
        "verification_batch",
        &crate::db::new_id(),
        None,
        Some(&summary),
    )?;
    Ok(())
}

/// Whether a failure is the service's own (the database), not the item's.
fn fails_the_request(e: &ApiError) -> bool {
    matches!(e, ApiError::Unavailable { .. } | ApiError::Internal(_))
}

fn sync_one(
    c: &mut DbConnection,
    caller: &Caller,
    visit: Visit,
    today: NaiveDate,
) -> Result<Outcome, ApiError> {
    let Some(client_id) = visit
        .verification
        .device
        .as_ref()
        .map(|d| d.client_id.clone())
    else {
        return Err(ApiError::internal("a batch item without its device record"));
    };
    let target_id = visit.target_id.clone();
    let verifier = caller.actor.name.clone();
    let done = db::transaction(c, |c| -> Result<Outcome, ApiError> {
        db::defer_flush(c)?;
        if let Some(row) = store::by_client(c, &verifier, &client_id)? {
            return Ok(Outcome::Duplicate(row));
        }
        record_visit(c, caller, visit, &Override::None, today).map(Outcome::Created)
    });
    match done {
        Ok(outcome) => Ok(outcome),
        Err(e) if fails_the_request(&e) => Err(e),
        // The same item sent twice at once: the other one made the visit.
        Err(e) if e.code() == "duplicate" => match store::by_client(c, &verifier, &client_id)? {
            Some(row) => Ok(Outcome::Duplicate(row)),
            None => Ok(Outcome::Rejected(e)),
        },
        Err(e) if CHANGED.contains(&e.code()) => Ok(Outcome::Conflict {
            current: Box::new(target_state(c, &target_id)?),
            problem: e,
        }),
        Err(e) => Ok(Outcome::Rejected(e)),
    }
}

/// The target's state now: read only after a conflict, which the caller's
/// reach already admitted.
fn target_state(c: &mut DbConnection, target_id: &str) -> Result<TargetState, ApiError> {
    let target = store::target(c, target_id)?.ok_or_else(ApiError::not_found)?;
    let program = programs_store::get(c, &target.program_id, &ProgramReach::All)?;
    let latest_visit = store::latest(c, target_id)?;
    Ok(TargetState {
        target,
        program_status: program.status,
        latest_visit,
    })
}
