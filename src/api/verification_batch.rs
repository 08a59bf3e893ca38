//! Visits recorded offline and synced later (issue 14, docs/DECISIONS.md
//! "Field work as it happens"): `POST /verifications/batch` takes up to 500
//! visits a device kept, and records each in a transaction of its own
//! through the same service function as `POST /verifications`
//! (`service::verifications::record_visit`), so one rule never has two
//! versions. Each item is idempotent by (caller, `client_id`) and answered
//! in order: `created`, `duplicate`, `conflict` or `rejected`. The
//! XLSForm submissions (`super::verification_forms`) answer the same way.

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use super::regency_today;
use super::verifications::{check_bounds, check_visit, Verification};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::verifications::{DeviceRecord, NewVerification};
use crate::db::Pool;
use crate::domain::program::{ProgramStatus, TargetStatus, VerificationResult};
use crate::error::{ApiError, FieldError, Problem};
use crate::service::verifications::{self as service, BatchItem, Outcome, TargetState, Visit};
use crate::service::Caller;

/// Most visits in one batch (and rows in one submissions file).
pub const MAX_ITEMS: usize = 500;
/// Largest batch body: 500 visits with notes of 2000 characters each fit.
pub const MAX_BATCH_BODY: usize = 8 * 1024 * 1024;
/// Longest `client_id`, characters.
pub const MAX_CLIENT_ID: usize = 100;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        // Its own JSON limit: a full batch is larger than one record.
        scope::scope("/verifications/batch")
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_BATCH_BODY)
                    .error_handler(super::json_error),
            )
            .service(record_verification_batch),
    );
}

/// One visit as a device recorded it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"client_id": "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01", "target_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "visited_on": "2026-12-04", "result": "eligible", "notes": "Atap bocor, dinding papan lapuk.",
    "latitude": -0.4312, "longitude": 116.9876, "consent_to_share": true, "recorded_at": "2026-12-04T05:10:00Z"}))]
pub struct SyncedVisit {
    /// The device's own id of this visit, 1 to 100 characters (e.g. ODK's
    /// `instanceID`). Sending it again, in this or a later batch, by the
    /// same account answers `duplicate` with the visit it made.
    #[schema(min_length = 1, max_length = 100)]
    pub client_id: String,
    /// The target visited.
    pub target_id: uuid::Uuid,
    /// Not in the future (regency time, WITA); else the item is `rejected`.
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// -90..90; give both coordinates or neither (else the item is `rejected`).
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// -180..180.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// The family's answer on sharing its by-name data with the program's
    /// company, as for a single visit; leave it out when not asked.
    pub consent_to_share: Option<bool>,
    /// When the device recorded the visit (kept as given; device clocks drift).
    pub recorded_at: DateTime<Utc>,
}

/// Visits recorded offline, 1 to 500.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"client_id": "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01", "target_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "visited_on": "2026-12-04", "result": "eligible", "notes": "Atap bocor, dinding papan lapuk.",
    "latitude": -0.4312, "longitude": 116.9876, "consent_to_share": true, "recorded_at": "2026-12-04T05:10:00Z"}]}))]
pub struct VisitBatch {
    #[schema(min_items = 1, max_items = 500)]
    pub items: Vec<SyncedVisit>,
}

/// What became of one item.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Recorded now; `verification` is the new visit.
    Created,
    /// This caller sent this `client_id` before; `verification` is the visit it made then.
    Duplicate,
    /// The target changed since the device saw it (its program no longer
    /// takes visits, the target was dropped, or a visit dated later was
    /// recorded); nothing recorded; `current` is the target now, `problem` says why.
    Conflict,
    /// Refused, nothing recorded; `problem` says why (the problem a single
    /// visit would get: unknown target, date in the future, window closed…).
    Rejected,
}

/// A target's latest visit, in a conflict's `current`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestVisit {
    #[schema(format = Uuid)]
    pub id: String,
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
}

/// The target as it is now, answered with a `conflict`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentTarget {
    #[schema(format = Uuid)]
    pub target_id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    #[schema(format = Uuid)]
    pub household_id: String,
    pub status: TargetStatus,
    /// False when the target was dropped from its program.
    pub active: bool,
    pub program_status: ProgramStatus,
    /// The latest visit by date (null: none yet).
    pub latest_visit: Option<LatestVisit>,
}

impl From<TargetState> for CurrentTarget {
    fn from(s: TargetState) -> CurrentTarget {
        CurrentTarget {
            target_id: s.target.id,
            program_id: s.target.program_id,
            household_id: s.target.household_id,
            status: s.target.status,
            active: s.target.active,
            program_status: s.program_status,
            latest_visit: s.latest_visit.map(|v| LatestVisit {
                id: v.id,
                visited_on: v.visited_on,
                result: v.result,
            }),
        }
    }
}

/// The answer for one item, whatever carried it (a batch item, a CSV row).
#[derive(Serialize, ToSchema)]
pub struct ItemResult {
    /// The item's `client_id`.
    pub client_id: String,
    pub outcome: ItemOutcome,
    /// With `created` and `duplicate`: the visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// With `conflict`: the target now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<CurrentTarget>,
    /// With `conflict` and `rejected`: why, as a problem document
    /// (`status`, `code`, `detail`, `errors[]` per field) like the error a
    /// single visit would get.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl ItemResult {
    pub fn new(client_id: String, outcome: Outcome) -> Result<ItemResult, ApiError> {
        let mut item = ItemResult {
            client_id,
            outcome: ItemOutcome::Rejected,
            verification: None,
            current: None,
            problem: None,
        };
        match outcome {
            Outcome::Created(recorded) => {
                let mut v = Verification::try_from(recorded.row)?;
                v.target_status = Some(recorded.target_status);
                v.program_status = Some(recorded.program_status);
                item.outcome = ItemOutcome::Created;
                item.verification = Some(v);
            }
            Outcome::Duplicate(row) => {
                item.outcome = ItemOutcome::Duplicate;
                item.verification = Some(Verification::try_from(row)?);
            }
            Outcome::Conflict { problem, current } => {
                item.outcome = ItemOutcome::Conflict;
                item.current = Some(CurrentTarget::from(*current));
                item.problem = Some(problem.problem());
            }
            Outcome::Rejected(problem) => {
                item.problem = Some(problem.problem());
            }
        }
        Ok(item)
    }
}

/// How many items had each outcome.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct OutcomeCounts {
    pub created: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub rejected: usize,
}

impl OutcomeCounts {
    pub fn of<'a>(outcomes: impl Iterator<Item = &'a ItemOutcome>) -> OutcomeCounts {
        let mut c = OutcomeCounts::default();
        for o in outcomes {
            match o {
                ItemOutcome::Created => c.created += 1,
                ItemOutcome::Duplicate => c.duplicate += 1,
                ItemOutcome::Conflict => c.conflict += 1,
                ItemOutcome::Rejected => c.rejected += 1,
            }
        }
        c
    }
}

/// One item's answer, by its place in the batch.
#[derive(Serialize, ToSchema)]
pub struct BatchItemResult {
    /// 0-based place of the item in `items`.
    #[schema(minimum = 0, maximum = 499)]
    pub index: usize,
    #[serde(flatten)]
    pub result: ItemResult,
}

/// Every item's answer, in the order sent, and the counts.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"index": 0, "client_id": "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01", "outcome": "rejected",
     "problem": {"type": "https://rbpk.kukarkab.go.id/problems/validation_failed", "title": "Unprocessable Content",
        "status": 422, "detail": "target_id: no such target", "code": "validation_failed",
        "errors": [{"field": "target_id", "message": "no such target"}]}}],
    "summary": {"created": 0, "duplicate": 0, "conflict": 0, "rejected": 1}}))]
pub struct BatchResult {
    pub items: Vec<BatchItemResult>,
    pub summary: OutcomeCounts,
}

/// A visit from a device, whatever carried it (a batch item, a CSV row).
#[derive(Debug, Clone)]
pub struct DeviceVisit {
    pub client_id: String,
    pub recorded_at: DateTime<Utc>,
    pub target_id: String,
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    pub notes: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub consent_to_share: Option<bool>,
}

impl DeviceVisit {
    /// The visit as the service records it: checked as a single visit is
    /// (`check_visit`), or the item's `rejected` problem.
    pub fn into_item(self) -> BatchItem {
        let coordinates = check_visit(
            self.visited_on,
            self.notes.as_deref(),
            self.latitude,
            self.longitude,
        )?;
        Ok(Visit {
            target_id: self.target_id,
            program_id: None,
            verification: NewVerification {
                visited_on: self.visited_on,
                result: self.result,
                notes: self.notes.filter(|n| !n.trim().is_empty()),
                coordinates,
                override_reason: None,
                consent_to_share: self.consent_to_share,
                device: Some(DeviceRecord {
                    client_id: self.client_id,
                    recorded_at: truncate_micros(self.recorded_at),
                }),
            },
            override_reason: None,
        })
    }
}

/// An instant as both backends store it (microseconds).
fn truncate_micros(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    DateTime::from_timestamp_micros(t.timestamp_micros())
        .map(|d| d.naive_utc())
        .unwrap_or_else(|| t.naive_utc())
}

/// The contract's bounds of a batch: 1 to 500 items, each `client_id` 1 to
/// 100 characters, notes and coordinates within theirs. Breaking one
/// refuses the whole batch (422), naming the item: a client that keeps to
/// the contract never sends it, while what only the server can judge (the
/// date, the target, the window) is answered per item.
fn check_batch(items: &[SyncedVisit]) -> Result<(), ApiError> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(ApiError::invalid_field(
            "items",
            format!(
                "must hold 1 to {MAX_ITEMS} visits; it holds {}",
                items.len()
            ),
        ));
    }
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = item.client_id.chars().count();
        if n == 0 || n > MAX_CLIENT_ID {
            errors.push(FieldError::new(
                format!("items[{i}].client_id"),
                format!("must be 1 to {MAX_CLIENT_ID} characters"),
            ));
        }
        for e in check_bounds(item.notes.as_deref(), item.latitude, item.longitude) {
            errors.push(FieldError::new(
                format!("items[{i}].{}", e.field),
                e.message,
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Sync visits recorded offline: up to 500, each standing alone.
///
/// Each item is recorded in a transaction of its own, in order, by the same
/// rules as `POST /verifications` (reach, program `consolidated` or
/// `verified`, target active, today in the verification window, no date in
/// the future, both coordinates or neither) — never all-or-nothing. The
/// answer is 200 with one entry per item, in order:
///
/// - `created`: recorded now (`verification`, with `target_status` and
///   `program_status`);
/// - `duplicate`: this account sent this `client_id` before (in this batch
///   or an earlier one); `verification` is the visit it made, and nothing
///   changes — resending a whole batch is safe;
/// - `conflict`: the target changed since the device saw it — its program no
///   longer takes visits (`program_not_verifiable`), the target was dropped
///   (`target_inactive`), or a visit dated later than this one was recorded
///   meanwhile (`target_changed`); nothing recorded; `current` is the
///   target now;
/// - `rejected`: refused with `problem` (an unknown target or one outside
///   the caller's reach, a date in the future, one coordinate only, the
///   window closed).
///
/// A batch outside the contract's bounds (no item or more than 500, a
/// `client_id` longer than 100 characters, notes or coordinates out of
/// range) is refused whole with 422 naming the item (`items[3].latitude`).
/// An opd reaches the targets of the programs it leads; others it gets as
/// unknown targets. There is no admin override of the window here.
#[utoipa::path(tag = "verifications", request_body = VisitBatch,
    responses((status = 200, body = BatchResult),
        (status = 413, description = "`payload_too_large`: the body is over 8 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: no item or more than 500, or an item outside the contract's bounds (named as `items[i].field`)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("")]
async fn record_verification_batch(
    user: AuthUser,
    body: web::Json<VisitBatch>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::RECORD_VERIFICATION_BATCH)?;
    let batch = body.into_inner();
    check_batch(&batch.items)?;
    let mut client_ids = Vec::with_capacity(batch.items.len());
    let items: Vec<BatchItem> = batch
        .items
        .into_iter()
        .map(|i| {
            client_ids.push(i.client_id.clone());
            DeviceVisit {
                client_id: i.client_id,
                recorded_at: i.recorded_at,
                target_id: i.target_id.to_string(),
                visited_on: i.visited_on,
                result: i.result,
                notes: i.notes,
                latitude: i.latitude,
                longitude: i.longitude,
                consent_to_share: i.consent_to_share,
            }
            .into_item()
        })
        .collect();
    let outcomes =
        service::record_batch(&pool, Caller::from(&user), items, regency_today()).await?;
    let items = client_ids
        .into_iter()
        .zip(outcomes)
        .enumerate()
        .map(|(index, (client_id, outcome))| {
            Ok(BatchItemResult {
                index,
                result: ItemResult::new(client_id, outcome)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let summary = OutcomeCounts::of(items.iter().map(|i| &i.result.outcome));
    Ok(HttpResponse::Ok().json(BatchResult { items, summary }))
}
