//! Change requests (issue 14, DESIGN §6.4): filing one for a household the
//! caller reaches (an operator its area's), reading them with their
//! `conflicts[]`, withdrawing, and deciding — approval applies the payload
//! in the decision's transaction through the registry's own writes
//! (`db::households::update`, `add_member`, `delete_member`, `create`), so
//! the family's history and audit trail record it as any manual change,
//! named with the request. Also the hook a `moved` or `deceased` visit
//! files through ([`on_visit`]) and the month's approved changes for the
//! SIKS-NG export.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::json;

use super::Caller;
use crate::db::change_requests::{
    self as store, ChangeRequestFilter, ChangeRequestRow, NewChangeRequest, Step,
};
use crate::db::households::{
    self as registry, HouseholdRow, HouseholdValues, MemberRow, MemberValues, Reach,
};
use crate::db::verifications::VerificationRow;
use crate::db::{self, household_changes, regions, DbConnection, IfMatch, Pool};
use crate::domain::change_request::{
    conflicts, decide as flow, Acting, ChangeAction, ChangeError, ChangePayload, ChangeStatus,
    Conflict, DeceasedPayload, Decision, MovedPayload, MAX_REASON,
};
use crate::domain::household::{
    apply_household_change, apply_member_change, HouseholdRecord, HouseholdStatus, MemberRecord,
};
use crate::domain::program::VerificationResult;
use crate::domain::role::Role;
use crate::error::{ApiError, FieldError};

/// A request as a caller reads it: the row and its conflicts (computed now).
#[derive(Debug, Clone)]
pub struct View {
    pub row: ChangeRequestRow,
    pub conflicts: Vec<Conflict>,
}

/// The area an operator reaches (`None`: every household).
fn area(caller: &Caller) -> Option<String> {
    match caller.role {
        Role::Operator => caller.region_code.clone(),
        _ => None,
    }
}

fn reach(caller: &Caller) -> Reach {
    match area(caller) {
        Some(a) => Reach::Area(a),
        None => Reach::All,
    }
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> ApiError {
        match e {
            ChangeError::RoleNotAllowed { .. } | ChangeError::NotSubmitter => ApiError::Forbidden {
                detail: e.to_string(),
            },
            ChangeError::Closed { status, .. } => ApiError::conflict_with(
                "change_request_closed",
                e.to_string(),
                json!({ "request_status": status }),
            ),
        }
    }
}

/// The rows with their conflicts: one query for the open requests of the
/// page's households.
fn views(conn: &mut DbConnection, rows: Vec<ChangeRequestRow>) -> Result<Vec<View>, ApiError> {
    let mut households: Vec<String> = rows.iter().map(|r| r.household_id.clone()).collect();
    households.sort();
    households.dedup();
    let open = store::open_of(conn, &households)?;
    rows.into_iter()
        .map(|row| {
            let conflicts = if row.status == ChangeStatus::Submitted {
                let same: Vec<(String, ChangePayload)> = open
                    .iter()
                    .filter(|(h, _, _)| *h == row.household_id)
                    .map(|(_, id, p)| (id.clone(), p.clone()))
                    .collect();
                conflicts((&row.id, &row.change()?), &same)
            } else {
                Vec::new()
            };
            Ok(View { row, conflicts })
        })
        .collect()
}

/// A page of the requests the caller reaches, and how many there are.
pub async fn list(
    pool: &Pool,
    caller: Caller,
    filter: ChangeRequestFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<View>, i64), ApiError> {
    db::read(pool, false, move |c| {
        let (rows, total) = store::list(c, &filter, area(&caller).as_deref(), offset, limit)?;
        Ok((views(c, rows)?, total))
    })
    .await
}

/// One request the caller reaches; outside its area "not found".
pub async fn get(pool: &Pool, caller: Caller, id: String) -> Result<View, ApiError> {
    db::read(pool, false, move |c| {
        let row = store::get(c, &id, area(&caller).as_deref())?;
        Ok(views(c, vec![row])?.remove(0))
    })
    .await
}

/// Files a request for a household the caller reaches (a household outside
/// an operator's area is refused as one that does not exist), its payload
/// checked against the household now (422).
pub async fn file(
    pool: &Pool,
    caller: Caller,
    household_id: String,
    change: ChangePayload,
    reason: String,
) -> Result<View, ApiError> {
    flow(
        None,
        ChangeAction::Submit,
        Acting {
            role: caller.role,
            opd_code: caller.opd_code.as_deref(),
            is_submitter: true,
        },
    )?;
    db::tx(pool, move |c| {
        let household = registry::get(c, &household_id, &reach(&caller)).map_err(|e| match e {
            db::DbError::NotFound => ApiError::invalid_field("household_id", "no such household"),
            other => other.into(),
        })?;
        plan(c, &household, &change).map_err(ApiError::validation)?;
        let row = store::create(
            c,
            &caller.actor,
            NewChangeRequest {
                household_id,
                payload: change,
                reason,
                submitted_role: caller.role.as_str().to_string(),
                verification_id: None,
            },
        )?;
        Ok(views(c, vec![row])?.remove(0))
    })
    .await
}

/// Withdraws the caller's own submitted request.
pub async fn withdraw(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
) -> Result<View, ApiError> {
    db::tx(pool, move |c| {
        let before = store::get(c, &id, area(&caller).as_deref())?;
        db::check_version(&expected, before.version)?;
        let to = flow(
            Some(before.status),
            ChangeAction::Withdraw,
            Acting {
                role: caller.role,
                opd_code: caller.opd_code.as_deref(),
                is_submitter: before.submitted_by == caller.actor.name,
            },
        )?;
        let row = store::step(c, &caller.actor, &before, "withdraw", to, Step::Withdraw)?;
        Ok(views(c, vec![row])?.remove(0))
    })
    .await
}

/// Decides a submitted request. The status changes first, conditionally
/// (of two concurrent decisions one wins, the other is a 409); an approval
/// then applies the payload in the same transaction, or — when the
/// household changed so that it no longer applies — everything rolls back
/// and the answer is a 409 `change_not_applicable` with the reasons.
pub async fn decide(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    decision: Decision,
    note: Option<String>,
) -> Result<View, ApiError> {
    let action = ChangeAction::from(decision);
    db::tx(pool, move |c| {
        let before = store::get(c, &id, area(&caller).as_deref())?;
        db::check_version(&expected, before.version)?;
        let to = flow(
            Some(before.status),
            action,
            Acting {
                role: caller.role,
                opd_code: caller.opd_code.as_deref(),
                is_submitter: before.submitted_by == caller.actor.name,
            },
        )?;
        let mut row = store::step(
            c,
            &caller.actor,
            &before,
            action.as_str(),
            to,
            Step::Decide { note },
        )?;
        if to == ChangeStatus::Approved {
            row = apply(c, &caller, &row)?;
        }
        super::events::change_request_decided(c, &row)?;
        Ok(views(c, vec![row])?.remove(0))
    })
    .await
}

/// What approving a change writes, worked out (and checked) before writing.
enum Plan {
    /// The household's values and maybe its status.
    Household {
        record: Box<HouseholdRecord>,
        status: Option<HouseholdStatus>,
    },
    /// A member leaves (died or left); the family is `deceased` when the
    /// last member died.
    RemoveMember {
        member: Box<MemberRow>,
        then_status: Option<HouseholdStatus>,
    },
    AddMember(Box<MemberRecord>),
    /// Members leave for a new family (its record).
    Split {
        members: Vec<MemberRow>,
        family: Box<HouseholdRecord>,
    },
}

/// A plan with the NIK of the person the change concerns (the export's).
struct Planned {
    plan: Plan,
    nik: Option<String>,
}

fn field(name: &str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError::new(format!("payload.{name}"), message)]
}

fn prefixed(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(format!("payload.{}", e.field), e.message))
        .collect()
}

/// A desa/kelurahan of Kukar for `payload.<name>`, as the registry stores it.
fn village(conn: &mut DbConnection, name: &str, code: &str) -> Result<String, Vec<FieldError>> {
    match regions::resolve(conn, code) {
        Ok(Some(r)) if r.is_village() => Ok(r.code),
        Ok(Some(_)) => Err(field(name, "must be a desa or kelurahan")),
        Ok(None) => Err(field(name, format!("unknown region code `{code}`"))),
        Err(e) => Err(field(name, e.to_string())),
    }
}

fn member_of(
    conn: &mut DbConnection,
    household: &HouseholdRow,
    name: &str,
    id: &str,
) -> Result<MemberRow, Vec<FieldError>> {
    registry::member(conn, &household.id, id)
        .map_err(|_| field(name, format!("`{id}` is not a member of this family")))
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// What `change` would write on `household` as it is now, or why it cannot
/// (each reason on its `payload.` field): the check at filing (422) and at
/// approval (409).
fn plan(
    conn: &mut DbConnection,
    household: &HouseholdRow,
    change: &ChangePayload,
) -> Result<Planned, Vec<FieldError>> {
    change
        .check()
        .map_err(|e| field(e.field, e.message.clone()))?;
    if matches!(
        household.status,
        HouseholdStatus::Deceased | HouseholdStatus::Duplicate
    ) {
        return Err(vec![FieldError::new(
            "household_id",
            format!(
                "the family is {}; no change applies",
                household.status.as_str()
            ),
        )]);
    }
    let head_nik = household.head_nik.clone();
    let planned = match change {
        ChangePayload::Moved(MovedPayload {
            region_code,
            address,
            ..
        }) => {
            if household.status == HouseholdStatus::Moved {
                return Err(vec![FieldError::new(
                    "household_id",
                    "the family has already moved away",
                )]);
            }
            let mut record = household.to_record();
            if let Some(a) = non_empty(address) {
                record.address = Some(a);
            }
            let status = match region_code {
                Some(code) => {
                    record.region_code = village(conn, "region_code", code)?;
                    None
                }
                None => Some(HouseholdStatus::Moved),
            };
            Planned {
                plan: Plan::Household {
                    record: Box::new(record),
                    status,
                },
                nik: head_nik,
            }
        }
        ChangePayload::Deceased(DeceasedPayload { member_id, .. }) => match member_id {
            Some(id) => {
                let member = member_of(conn, household, "member_id", id)?;
                let others = registry::members_of(conn, &household.id)
                    .map_err(|e| field("member_id", e.to_string()))?
                    .len()
                    > 1;
                Planned {
                    nik: member.nik.clone(),
                    plan: Plan::RemoveMember {
                        member: Box::new(member),
                        then_status: (!others).then_some(HouseholdStatus::Deceased),
                    },
                }
            }
            None => Planned {
                plan: Plan::Household {
                    record: Box::new(household.to_record()),
                    status: Some(HouseholdStatus::Deceased),
                },
                nik: head_nik,
            },
        },
        ChangePayload::MemberLeft(m) => {
            let member = member_of(conn, household, "member_id", &m.member_id)?;
            Planned {
                nik: member.nik.clone(),
                plan: Plan::RemoveMember {
                    member: Box::new(member),
                    then_status: None,
                },
            }
        }
        ChangePayload::MemberAdded(input) => {
            let record =
                apply_member_change(MemberRecord::default(), input.clone()).map_err(prefixed)?;
            if !record.nik.is_empty() {
                let members = registry::members_of(conn, &household.id)
                    .map_err(|e| field("nik", e.to_string()))?;
                if members
                    .iter()
                    .any(|m| m.nik.as_deref() == Some(&record.nik))
                {
                    return Err(field("nik", "is already a member of this family"));
                }
            }
            Planned {
                nik: Some(record.nik.clone()).filter(|n| !n.is_empty()),
                plan: Plan::AddMember(Box::new(record)),
            }
        }
        ChangePayload::Correction(input) => {
            let mut input = input.as_ref().clone();
            let region = input.region_code.take();
            let mut record =
                apply_household_change(household.to_record(), input).map_err(prefixed)?;
            if let Some(code) = region {
                record.region_code = village(conn, "region_code", &code)?;
            }
            Planned {
                plan: Plan::Household {
                    record: Box::new(record),
                    status: None,
                },
                nik: head_nik,
            }
        }
        ChangePayload::KkSplit(split) => {
            let members = split
                .member_ids
                .iter()
                .map(|id| member_of(conn, household, "member_ids", id))
                .collect::<Result<Vec<_>, _>>()?;
            let all = registry::members_of(conn, &household.id)
                .map_err(|e| field("member_ids", e.to_string()))?;
            if members.len() >= all.len() {
                return Err(field(
                    "member_ids",
                    "someone must stay in the family; for the whole family file `correction` with its new kk_number",
                ));
            }
            if household.kk_number.as_deref() == Some(split.kk_number.as_str()) {
                return Err(field("kk_number", "is the family's own No. KK"));
            }
            let mut family = household.to_record();
            if let Some(code) = &split.region_code {
                family.region_code = village(conn, "region_code", code)?;
            }
            if let Some(a) = non_empty(&split.address) {
                family.address = Some(a);
            }
            // The new family keeps the welfare data it was assessed with
            // until a snapshot assesses it; its head is the first member
            // named, its ids of the old family are not its own.
            let head = &members[0];
            family.p3ke_family_id = None;
            family.dtks_id = None;
            family.kk_number = Some(split.kk_number.clone());
            family.head_name = head.name.clone();
            family.head_nik = head.nik.clone().unwrap_or_default();
            family.head_nik_valid = head.nik_valid;
            family.head_sex = head.sex;
            family.head_birth_date = head.birth_date;
            family.head_marital_status = head.marital_status.clone();
            family.head_occupation = head.occupation.clone();
            family.head_employment_status = head.employment_status.clone();
            family.head_education = head.education.clone();
            Planned {
                nik: head.nik.clone(),
                plan: Plan::Split {
                    members,
                    family: Box::new(family),
                },
            }
        }
    };
    Ok(planned)
}

/// Applies an approved request to its household (locked first) through the
/// registry's writes, names the request on the history they record, and
/// keeps what the export needs.
fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    request: &ChangeRequestRow,
) -> Result<ChangeRequestRow, ApiError> {
    let actor = &caller.actor;
    let hid = request.household_id.clone();
    db::lock_row(conn, "households", &hid)?;
    let household = registry::get(conn, &hid, &Reach::All)?;
    let change = request.change()?;
    let Planned { plan, nik } = plan(conn, &household, &change).map_err(|errors| {
        let reasons: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        ApiError::conflict_with(
            "change_not_applicable",
            format!(
                "the household changed since the request was filed; it no longer applies ({})",
                reasons.join("; ")
            ),
            json!({ "errors": errors }),
        )
    })?;
    let mut touched = vec![hid.clone()];
    let before = household_changes::manual_ids(conn, &touched)?;
    match plan {
        Plan::Household { record, status } => {
            registry::update(
                conn,
                actor,
                &hid,
                IfMatch::ANY,
                &HouseholdValues::from(record.as_ref()),
                status,
            )?;
        }
        Plan::RemoveMember {
            member,
            then_status,
        } => {
            registry::delete_member(conn, actor, &hid, &member.id, IfMatch::ANY)?;
            if let Some(status) = then_status {
                let now = registry::get(conn, &hid, &Reach::All)?;
                registry::update(
                    conn,
                    actor,
                    &hid,
                    IfMatch::ANY,
                    &HouseholdValues::from(&now.to_record()),
                    Some(status),
                )?;
            }
        }
        Plan::AddMember(record) => {
            registry::add_member(conn, actor, &hid, &MemberValues::from(record.as_ref()))?;
        }
        Plan::Split { members, family } => {
            let new = registry::create(conn, actor, &HouseholdValues::from(family.as_ref()))?;
            touched.push(new.id.clone());
            for (i, m) in members.into_iter().enumerate() {
                registry::delete_member(conn, actor, &hid, &m.id, IfMatch::ANY)?;
                let mut record = m.to_record();
                if i == 0 {
                    record.relation = Some("head".to_string());
                }
                registry::add_member(conn, actor, &new.id, &MemberValues::from(&record))?;
            }
        }
    }
    household_changes::tag_request(conn, &touched, &before, &request.id)?;
    Ok(store::set_applied(
        conn,
        &request.id,
        &household.region_code,
        household.kk_number.as_deref(),
        nik.as_deref(),
    )?)
}

/// Files the change request a visit found (`moved`: the family left, for
/// where is not known; `deceased`: the target's member died, or the family's
/// person when the target is the whole family), submitted by the visit's
/// recorder, in the visit's transaction. Other results file nothing.
pub fn on_visit(
    conn: &mut DbConnection,
    caller: &Caller,
    visit: &VerificationRow,
    member_id: Option<&str>,
) -> Result<(), ApiError> {
    let change = match visit.result {
        VerificationResult::Moved => ChangePayload::Moved(MovedPayload {
            moved_on: Some(visit.visited_on),
            ..MovedPayload::default()
        }),
        VerificationResult::Deceased => ChangePayload::Deceased(DeceasedPayload {
            member_id: member_id.map(str::to_string),
            died_on: None,
        }),
        _ => return Ok(()),
    };
    let mut reason = format!(
        "Field visit on {} found the target {}",
        visit.visited_on, visit.result
    );
    if let Some(notes) = visit.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        reason.push_str(": ");
        reason.push_str(notes.trim());
    }
    let reason: String = reason.chars().take(MAX_REASON).collect();
    store::create(
        conn,
        &caller.actor,
        NewChangeRequest {
            household_id: visit.household_id.clone(),
            payload: change,
            reason,
            submitted_role: caller.role.as_str().to_string(),
            verification_id: Some(visit.id.clone()),
        },
    )?;
    Ok(())
}

/// One approved change as desa operators key it into SIKS-NG.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub desa_code: String,
    pub desa_name: String,
    pub kk_number: Option<String>,
    pub nik: Option<String>,
    pub change_type: String,
    /// The new values, `field: value` joined by `; `.
    pub new_values: String,
    /// The decision's day (WITA).
    pub decided_on: Option<NaiveDate>,
    pub request_id: String,
}

/// The first instant (UTC) of a month in the regency (WITA), and of the next.
pub fn month_bounds(year: i32, month: u32) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let offset = chrono::Duration::hours(crate::domain::cycle::WITA_UTC_OFFSET_HOURS);
    Some((
        start.and_hms_opt(0, 0, 0)? - offset,
        next.and_hms_opt(0, 0, 0)? - offset,
    ))
}

/// `field: value` pairs of a payload, nested ones dotted.
fn new_values(payload: &serde_json::Value) -> String {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            serde_json::Value::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect();
                out.push(format!("{prefix}: {}", parts.join(", ")));
            }
            serde_json::Value::String(s) => out.push(format!("{prefix}: {s}")),
            other => out.push(format!("{prefix}: {other}")),
        }
    }
    let mut out = Vec::new();
    walk("", payload, &mut out);
    out.join("; ")
}

/// The changes approved in a month (WITA) that the caller may export: an
/// operator those of its area's desa.
pub async fn export(
    pool: &Pool,
    caller: Caller,
    year: i32,
    month: u32,
) -> Result<Vec<ExportRow>, ApiError> {
    let (from, until) = month_bounds(year, month)
        .ok_or_else(|| ApiError::invalid_parameter("month", "must be a month, YYYY-MM"))?;
    let area = area(&caller);
    let rows = db::read(pool, false, move |c| {
        store::approved_between(c, from, until, area.as_deref())
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|(r, name)| ExportRow {
            desa_code: r.applied_region_code.clone().unwrap_or_default(),
            desa_name: name.unwrap_or_default(),
            kk_number: r.applied_kk_number.clone(),
            nik: r.applied_nik.clone(),
            change_type: r.change_type.as_str().to_string(),
            new_values: new_values(&r.payload_value()),
            decided_on: r
                .decided_at
                .map(|t| crate::domain::cycle::regency_day(t.and_utc())),
            request_id: r.id,
        })
        .collect())
}

/// `YYYY-MM` as (year, month).
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    NaiveDate::from_ymd_opt(y, m, 1).map(|d| (d.year(), d.month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_read_in_the_regency_time() {
        assert_eq!(parse_month("2026-12"), Some((2026, 12)));
        for bad in ["2026-13", "2026-1", "26-12", "2026/12", "x"] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
        let (from, until) = month_bounds(2026, 12).unwrap();
        assert_eq!(from.to_string(), "2026-11-30 16:00:00");
        assert_eq!(until.to_string(), "2026-12-31 16:00:00");
    }

    #[test]
    fn new_values_read_as_field_value_pairs() {
        let v = json!({"address": "Jl. B", "housing": {"roof_quality": "poor"}, "member_ids": ["a", "b"]});
        assert_eq!(
            new_values(&v),
            "address: Jl. B; housing.roof_quality: poor; member_ids: a, b"
        );
    }
}
