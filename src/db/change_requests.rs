//! Change requests (issue 14): their rows, the list within a caller's area,
//! the open requests of households (for `conflicts[]`), the one conditional
//! step of the flow, and a month's approved changes for the SIKS-NG export.
//! Applying a payload is `service::change_requests`, through
//! `db::households`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{change_requests as cr, households as h, regions as r};
use super::DbError;
use super::{new_id, now, DbConnection};
use crate::domain::change_request::{ChangePayload, ChangeStatus, ChangeType};

#[derive(Debug, Clone, Queryable)]
pub struct ChangeRequestRow {
    pub id: String,
    pub household_id: String,
    pub change_type: ChangeType,
    /// The payload's JSON (`ChangePayload::payload_json`).
    pub payload: String,
    pub reason: String,
    pub status: ChangeStatus,
    pub submitted_by: String,
    pub submitted_role: String,
    pub verification_id: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    /// At approval: the desa whose operator keys the change into SIKS-NG.
    pub applied_region_code: Option<String>,
    /// At approval: the family's No. KK before the change.
    pub applied_kk_number: Option<String>,
    /// At approval: the NIK of the person concerned.
    pub applied_nik: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ChangeRequestRow {
    /// The typed change.
    pub fn change(&self) -> Result<ChangePayload, DbError> {
        let value: serde_json::Value = serde_json::from_str(&self.payload)?;
        ChangePayload::from_parts(self.change_type, value)
            .map_err(|e| DbError::internal(format!("change request {}: {e}", self.id)))
    }

    /// The payload as JSON (what the API shows).
    pub fn payload_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or_default()
    }

    fn audit_value(&self) -> serde_json::Value {
        json!({
            "id": self.id, "household_id": self.household_id, "type": self.change_type,
            "payload": self.payload_value(), "reason": self.reason, "status": self.status,
            "submitted_by": self.submitted_by, "verification_id": self.verification_id,
            "decided_by": self.decided_by, "decision_note": self.decision_note,
        })
    }
}

/// A request to file, its payload already checked.
pub struct NewChangeRequest {
    pub household_id: String,
    pub payload: ChangePayload,
    pub reason: String,
    pub submitted_role: String,
    /// The visit that filed it, when a visit did.
    pub verification_id: Option<String>,
}

/// Files a request as `submitted`, audited as `submit`.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: NewChangeRequest,
) -> Result<ChangeRequestRow, DbError> {
    let t = now();
    let row = diesel::insert_into(cr::table)
        .values((
            cr::id.eq(new_id()),
            cr::household_id.eq(&new.household_id),
            cr::change_type.eq(new.payload.change_type()),
            cr::payload.eq(new.payload.payload_json().to_string()),
            cr::reason.eq(&new.reason),
            cr::status.eq(ChangeStatus::Submitted),
            cr::submitted_by.eq(&actor.name),
            cr::submitted_role.eq(&new.submitted_role),
            cr::verification_id.eq(&new.verification_id),
            cr::version.eq(1),
            cr::created_at.eq(t),
            cr::updated_at.eq(t),
        ))
        .returning(cr::all_columns)
        .get_result::<ChangeRequestRow>(conn)?;
    audit::record(
        conn,
        actor,
        "submit",
        "change_request",
        &row.id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Filters of the list.
#[derive(Debug, Clone, Default)]
pub struct ChangeRequestFilter {
    pub household_id: Option<String>,
    pub status: Option<ChangeStatus>,
    pub change_type: Option<ChangeType>,
    /// Only the requests this account filed.
    pub submitted_by: Option<String>,
}

type Boxed<'a> = cr::BoxedQuery<'a, super::DbBackend>;

/// The requests on households of `area` (a dotted kecamatan or desa code;
/// `None`: all), with the filters.
fn filtered<'a>(f: &'a ChangeRequestFilter, area: Option<&'a str>) -> Boxed<'a> {
    let mut q = cr::table.into_boxed();
    if let Some(area) = area {
        let (lo, hi) = super::regions::within(area);
        q = q.filter(
            cr::household_id.eq_any(
                h::table
                    .filter(h::region_code.ge(lo).and(h::region_code.lt(hi)))
                    .select(h::id),
            ),
        );
    }
    if let Some(v) = &f.household_id {
        q = q.filter(cr::household_id.eq(v.clone()));
    }
    if let Some(v) = f.status {
        q = q.filter(cr::status.eq(v));
    }
    if let Some(v) = f.change_type {
        q = q.filter(cr::change_type.eq(v));
    }
    if let Some(v) = &f.submitted_by {
        q = q.filter(cr::submitted_by.eq(v.clone()));
    }
    q
}

/// One page, newest first, and the total.
pub fn list(
    conn: &mut DbConnection,
    f: &ChangeRequestFilter,
    area: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ChangeRequestRow>, i64), DbError> {
    let total = filtered(f, area).count().get_result::<i64>(conn)?;
    let rows = filtered(f, area)
        .order((cr::created_at.desc(), cr::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<ChangeRequestRow>(conn)?;
    Ok((rows, total))
}

/// A request on a household of `area` (`None`: any); outside it "not found".
pub fn get(
    conn: &mut DbConnection,
    id: &str,
    area: Option<&str>,
) -> Result<ChangeRequestRow, DbError> {
    let f = ChangeRequestFilter::default();
    Ok(filtered(&f, area)
        .filter(cr::id.eq(id.to_string()))
        .first::<ChangeRequestRow>(conn)?)
}

/// The submitted requests of these households: (household, id, change).
pub fn open_of(
    conn: &mut DbConnection,
    households: &[String],
) -> Result<Vec<(String, String, ChangePayload)>, DbError> {
    if households.is_empty() {
        return Ok(Vec::new());
    }
    cr::table
        .filter(cr::household_id.eq_any(households))
        .filter(cr::status.eq(ChangeStatus::Submitted))
        .order((cr::created_at.asc(), cr::id.asc()))
        .load::<ChangeRequestRow>(conn)?
        .into_iter()
        .map(|r| Ok((r.household_id.clone(), r.id.clone(), r.change()?)))
        .collect()
}

/// What a step writes besides the status.
pub enum Step {
    /// A decision and its note.
    Decide {
        note: Option<String>,
    },
    Withdraw,
}

/// Moves a `submitted` request to `to`, only if it is still submitted at
/// `before.version`: of two concurrent steps one wins, the other is a 409
/// `change_request_closed`. Audited as `action`.
pub fn step(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ChangeRequestRow,
    action: &str,
    to: ChangeStatus,
    step: Step,
) -> Result<ChangeRequestRow, DbError> {
    let t = now();
    let (decided_by, decision_note, decided_at) = match step {
        Step::Decide { note } => (Some(actor.name.clone()), note, Some(t)),
        Step::Withdraw => (None, None, None),
    };
    let row = diesel::update(
        cr::table
            .filter(cr::id.eq(&before.id))
            .filter(cr::status.eq(ChangeStatus::Submitted))
            .filter(cr::version.eq(before.version)),
    )
    .set((
        cr::status.eq(to),
        cr::decided_by.eq(decided_by),
        cr::decision_note.eq(decision_note),
        cr::decided_at.eq(decided_at),
        cr::version.eq(before.version + 1),
        cr::updated_at.eq(t),
    ))
    .returning(cr::all_columns)
    .get_result::<ChangeRequestRow>(conn)
    .optional()?;
    let Some(row) = row else {
        let current = cr::table
            .find(&before.id)
            .select(cr::status)
            .first::<ChangeStatus>(conn)?;
        return Err(DbError::conflict_with(
            "change_request_closed",
            format!("the change request is {current}; another step came first"),
            json!({"request_status": current}),
        ));
    };
    audit::record(
        conn,
        actor,
        action,
        "change_request",
        &row.id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Keeps, on an approved request, what the export names.
pub fn set_applied(
    conn: &mut DbConnection,
    id: &str,
    region_code: &str,
    kk_number: Option<&str>,
    nik: Option<&str>,
) -> Result<ChangeRequestRow, DbError> {
    Ok(diesel::update(cr::table.filter(cr::id.eq(id)))
        .set((
            cr::applied_region_code.eq(region_code),
            cr::applied_kk_number.eq(kk_number),
            cr::applied_nik.eq(nik),
        ))
        .returning(cr::all_columns)
        .get_result::<ChangeRequestRow>(conn)?)
}

/// The requests approved in `[from, until)`, of the desa inside `area`
/// (`None`: all), oldest decision first, each with its desa's name.
pub fn approved_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
    area: Option<&str>,
) -> Result<Vec<(ChangeRequestRow, Option<String>)>, DbError> {
    let (lo, hi) = super::regions::within_or_all(area);
    let rows = cr::table
        .filter(cr::status.eq(ChangeStatus::Approved))
        .filter(cr::decided_at.ge(from).and(cr::decided_at.lt(until)))
        .filter(
            cr::applied_region_code
                .ge(lo)
                .and(cr::applied_region_code.lt(hi)),
        )
        .order((cr::decided_at.asc(), cr::id.asc()))
        .load::<ChangeRequestRow>(conn)?;
    let codes: Vec<String> = rows
        .iter()
        .filter_map(|r| r.applied_region_code.clone())
        .collect();
    let names: std::collections::HashMap<String, String> = r::table
        .filter(r::code.eq_any(&codes))
        .select((r::code, r::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let name = row
                .applied_region_code
                .as_ref()
                .and_then(|c| names.get(c).cloned());
            (row, name)
        })
        .collect())
}
