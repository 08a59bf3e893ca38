//! Field verifications: one row per visit of a target. Recording one also
//! sets the target's status (the latest visit supersedes earlier ones, which
//! stay as history) and flags moved or deceased families for a data update.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::programs::ProgramReach;
use super::schema::{households as h, program_targets as pt, programs as p, verifications as v};
use super::targets::TargetRow;
use super::DbError;
use super::{new_id, now, DbConnection};
use crate::domain::program::{TargetStatus, VerificationResult};

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct VerificationRow {
    pub id: String,
    pub program_id: String,
    pub target_id: String,
    pub household_id: String,
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    pub notes: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub verifier: String,
    pub override_reason: Option<String>,
    pub created_at: NaiveDateTime,
    /// The family's answer on sharing with the program's company; `None`:
    /// not asked (`db::exposure::pseudonymised_for`).
    pub consent_to_share: Option<bool>,
    /// The device's own id of a visit synced in a batch; `None` for a visit
    /// recorded on its own.
    pub client_id: Option<String>,
    /// When the device recorded it (batch items only).
    pub recorded_at: Option<NaiveDateTime>,
}

/// A visit as a device recorded it offline: its own id, unique per account
/// (a resend is recognised by it), and when it was recorded there.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub client_id: String,
    pub recorded_at: NaiveDateTime,
}

/// A validated visit to record.
#[derive(Debug, Clone)]
pub struct NewVerification {
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    pub notes: Option<String>,
    /// Both or neither (checked at the edge).
    pub coordinates: Option<(f64, f64)>,
    pub override_reason: Option<String>,
    /// Whether the family agreed that the program's company sees its
    /// by-name data; `None` when the visit did not ask.
    pub consent_to_share: Option<bool>,
    /// Set when the visit was synced from a device (a batch item).
    pub device: Option<DeviceRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct VerificationFilter {
    pub program_id: Option<String>,
    pub household_id: Option<String>,
    pub result: Option<VerificationResult>,
}

type Boxed<'a> = v::BoxedQuery<'a, super::DbBackend>;

fn filtered<'a>(f: &'a VerificationFilter, reach: &'a ProgramReach) -> Boxed<'a> {
    let mut q = v::table.into_boxed();
    match reach {
        ProgramReach::All => {}
        ProgramReach::Company(c) => {
            q = q.filter(
                v::program_id.eq_any(p::table.filter(p::company_id.eq(c.clone())).select(p::id)),
            )
        }
        ProgramReach::Opd(o) => {
            q = q.filter(
                v::program_id.eq_any(p::table.filter(p::opd_code.eq(o.clone())).select(p::id)),
            )
        }
    }
    if let Some(x) = &f.program_id {
        q = q.filter(v::program_id.eq(x.clone()));
    }
    if let Some(x) = &f.household_id {
        q = q.filter(v::household_id.eq(x.clone()));
    }
    if let Some(x) = &f.result {
        q = q.filter(v::result.eq(*x));
    }
    q
}

/// One page of visits, newest first, and the total.
pub fn list(
    conn: &mut DbConnection,
    f: &VerificationFilter,
    reach: &ProgramReach,
    offset: i64,
    limit: i64,
) -> Result<(Vec<VerificationRow>, i64), DbError> {
    let total = filtered(f, reach).count().get_result::<i64>(conn)?;
    let rows = filtered(f, reach)
        .order((v::visited_on.desc(), v::created_at.desc(), v::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<VerificationRow>(conn)?;
    Ok((rows, total))
}

/// A visit within the caller's reach; outside it, "not found".
pub fn get(
    conn: &mut DbConnection,
    id: &str,
    reach: &ProgramReach,
) -> Result<VerificationRow, DbError> {
    let f = VerificationFilter::default();
    Ok(filtered(&f, reach)
        .filter(v::id.eq(id.to_string()))
        .first::<VerificationRow>(conn)?)
}

/// The latest visit of a target already recorded, by visit date then by
/// recording time: a visit dated earlier than the latest one is history and
/// does not change the target's status.
pub fn latest(
    conn: &mut DbConnection,
    target_id: &str,
) -> Result<Option<VerificationRow>, DbError> {
    Ok(v::table
        .filter(v::target_id.eq(target_id))
        .order((v::visited_on.desc(), v::created_at.desc()))
        .first::<VerificationRow>(conn)
        .optional()?)
}

/// Records a visit of `target`, sets the target's status when it is the
/// latest visit, and flags the household when the family moved or died.
/// Returns the visit and the target as it is now.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &TargetRow,
    visit: &NewVerification,
) -> Result<(VerificationRow, TargetRow), DbError> {
    let supersedes = latest(conn, &target.id)?.is_none_or(|l| visit.visited_on >= l.visited_on);
    let id = new_id();
    let row = diesel::insert_into(v::table)
        .values((
            v::id.eq(&id),
            v::program_id.eq(&target.program_id),
            v::target_id.eq(&target.id),
            v::household_id.eq(&target.household_id),
            v::visited_on.eq(visit.visited_on),
            v::result.eq(visit.result),
            v::notes.eq(visit.notes.as_deref()),
            v::latitude.eq(visit.coordinates.map(|c| c.0)),
            v::longitude.eq(visit.coordinates.map(|c| c.1)),
            v::verifier.eq(&actor.name),
            v::override_reason.eq(visit.override_reason.as_deref()),
            v::created_at.eq(now()),
            v::consent_to_share.eq(visit.consent_to_share),
            v::client_id.eq(visit.device.as_ref().map(|d| d.client_id.as_str())),
            v::recorded_at.eq(visit.device.as_ref().map(|d| d.recorded_at)),
        ))
        .returning(v::all_columns)
        .get_result::<VerificationRow>(conn)?;
    audit::record(
        conn,
        actor,
        if visit.override_reason.is_some() {
            "create_window_overridden"
        } else {
            "create"
        },
        "verification",
        &id,
        None,
        Some(&serde_json::to_value(&row)?),
    )?;
    let target = if supersedes {
        let status = TargetStatus::from(visit.result);
        super::targets::update_target(
            conn,
            actor,
            target,
            super::IfMatch::ANY,
            target.planned_value,
            target.realized_value,
            status,
        )?
    } else {
        target.clone()
    };
    if visit.result.flags_household_update() {
        flag_household(conn, actor, &target.household_id, visit.result)?;
    }
    Ok((row, target))
}

/// The visit `verifier` (an account's username) already synced with this
/// `client_id`, if any: what a resent batch item made the first time.
pub fn by_client(
    conn: &mut DbConnection,
    verifier: &str,
    client_id: &str,
) -> Result<Option<VerificationRow>, DbError> {
    Ok(v::table
        .filter(v::verifier.eq(verifier))
        .filter(v::client_id.eq(client_id))
        .first::<VerificationRow>(conn)
        .optional()?)
}

/// Marks a family for a data update; the record itself stays as it is.
fn flag_household(
    conn: &mut DbConnection,
    actor: &Actor,
    household_id: &str,
    result: VerificationResult,
) -> Result<(), DbError> {
    let changed = diesel::update(
        h::table
            .filter(h::id.eq(household_id))
            .filter(h::needs_update.eq(false)),
    )
    .set((
        h::needs_update.eq(true),
        h::version.eq(h::version + 1),
        h::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed > 0 {
        audit::record(
            conn,
            actor,
            "flag_for_update",
            "household",
            household_id,
            Some(&json!({"needs_update": false})),
            Some(&json!({"needs_update": true, "reason": result.as_str()})),
        )?;
    }
    Ok(())
}

/// A target by id alone, with its program id (verifications name only the target).
pub fn target(conn: &mut DbConnection, target_id: &str) -> Result<Option<TargetRow>, DbError> {
    Ok(pt::table
        .filter(pt::id.eq(target_id))
        .first::<TargetRow>(conn)
        .optional()?)
}

/// The target a visit is recorded for, its program's row and its own locked
/// (program first, the order every writer of both uses): two teams syncing
/// visits of one program at once queue, and neither gets a 412 for a
/// version check it never asked for (a visit carries no If-Match).
pub fn target_for_visit(
    conn: &mut DbConnection,
    target_id: &str,
) -> Result<Option<TargetRow>, DbError> {
    let Some(found) = target(conn, target_id)? else {
        return Ok(None);
    };
    super::lock_row(conn, "programs", &found.program_id)?;
    super::lock_row(conn, "program_targets", &found.id)?;
    // Read again: the version may have moved while we waited for the locks.
    target(conn, target_id)
}
