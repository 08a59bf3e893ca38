//! Field verifications (docs/DECISIONS.md, "Verifications, compliance and
//! coverage"): a visit to one target of a consolidated or verified program,
//! inside the cycle's verification window.
//! The result becomes the target's status; `moved` and `deceased` flag the
//! family for a data update; the program moves on to `verified` (and
//! `agreed`, when both parties already signed) on its own.
//!
//! Notes are free text written in the field and may describe the family
//! (health, who lives there), so they are treated as personal data: viewers
//! do not read verifications at all, and every read by a company is audited
//! like its reads of households. Coordinates are those of a house already
//! named in the registry by address, so they add nothing a reader of the
//! target does not know; they are returned to every reader who sees that
//! address. A company reads neither the notes nor the coordinates of a
//! visit to a household it sees pseudonymised (the consent gate), whose
//! address it does not see either.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{regency_today, utc, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::verifications::{NewVerification, VerificationFilter, VerificationRow};
use crate::db::Pool;
use crate::domain::program::{ProgramStatus, TargetStatus, VerificationResult};
use crate::error::{ApiError, FieldError};
use crate::service::verifications::{self as service, Visit};
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_verifications)
        .service(record_verification)
        .service(get_verification);
}

/// One field visit.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "5b1f2a3c-4d5e-4f6a-8b7c-9d0e1f2a3b4c", "program_id": "8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "target_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f",
    "visited_on": "2026-12-04", "result": "eligible", "notes": "Atap bocor, dinding papan lapuk.",
    "latitude": -0.4312, "longitude": 116.9876, "verifier": "verifikator.tenggarong",
    "override_reason": null, "consent_to_share": true, "client_id": null, "recorded_at": null, "target_status": "eligible", "program_status": "verified",
    "created_at": "2026-12-04T05:10:00Z"}))]
pub struct Verification {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    #[schema(format = Uuid)]
    pub target_id: String,
    #[schema(format = Uuid)]
    pub household_id: String,
    /// The day of the visit (not in the future).
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    /// What the verifier saw; may describe the family (personal data).
    /// Null for a company when the household is pseudonymised for it
    /// (`Household.pseudonymised`): the text may name the family.
    pub notes: Option<String>,
    /// WGS 84 degrees, -90..90; present together with `longitude` or not at
    /// all. Null for a company when the household is pseudonymised for it.
    pub latitude: Option<f64>,
    /// WGS 84 degrees, -180..180; null with `latitude`.
    pub longitude: Option<f64>,
    /// The username that recorded the visit.
    pub verifier: String,
    /// Set when an admin recorded the visit outside the verification window.
    pub override_reason: Option<String>,
    /// The family's answer to sharing its by-name data with the program's
    /// company: `true` agreed, `false` refused, `null` not asked. The latest
    /// answer (by visit date) opens a household behind the consent gate to
    /// that company, or closes it again (docs/SECURITY.md, "What a company sees").
    pub consent_to_share: Option<bool>,
    /// The device's own id of a visit synced in a batch
    /// (`POST /verifications/batch`, `/verification-submissions`); null for
    /// a visit recorded on its own.
    pub client_id: Option<String>,
    /// When the device recorded a synced visit; null for a visit recorded on its own.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Only in the answer to `POST`: the target's status after this visit
    /// (an earlier-dated visit does not change it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_status: Option<TargetStatus>,
    /// Only in the answer to `POST`: the program's status after this visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_status: Option<ProgramStatus>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<VerificationRow> for Verification {
    type Error = ApiError;
    fn try_from(r: VerificationRow) -> Result<Verification, ApiError> {
        Ok(Verification {
            result: r.result,
            id: r.id,
            program_id: r.program_id,
            target_id: r.target_id,
            household_id: r.household_id,
            visited_on: r.visited_on,
            notes: r.notes,
            latitude: r.latitude,
            longitude: r.longitude,
            verifier: r.verifier,
            override_reason: r.override_reason,
            consent_to_share: r.consent_to_share,
            client_id: r.client_id,
            recorded_at: r.recorded_at.map(utc),
            target_status: None,
            program_status: None,
            created_at: utc(r.created_at),
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerificationQuery {
    /// Only visits of this program's targets (its id).
    pub program_id: Option<uuid::Uuid>,
    /// Only visits of this family (its id).
    pub household_id: Option<uuid::Uuid>,
    /// Only visits with this result.
    pub result: Option<VerificationResult>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "visited_on": "2026-12-04", "result": "eligible",
    "notes": "Atap bocor, dinding papan lapuk.", "latitude": -0.4312, "longitude": 116.9876,
    "consent_to_share": true}))]
pub struct NewVisit {
    /// The target visited; its program is found from it.
    #[schema(format = Uuid)]
    pub target_id: String,
    /// Optional cross-check: when given it must be the target's program.
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// Not in the future (regency time, WITA).
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// -90..90; give both coordinates or neither.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// -180..180.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Admin only: record the visit outside the verification window, with
    /// the reason (audited).
    pub override_reason: Option<String>,
    /// Whether the family agreed that the program's company sees its by-name
    /// data (`true`), refused (`false`); leave it out when not asked. For a
    /// household whose every dataset forbids onward sharing, the latest
    /// answer decides whether that company sees it masked or pseudonymised;
    /// other companies are not affected. Audited with the visit.
    pub consent_to_share: Option<bool>,
}

/// The bounds the contract states on a visit's fields (notes' length,
/// coordinate ranges): a batch breaking them is refused whole.
pub(super) fn check_bounds(
    notes: Option<&str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Vec<FieldError> {
    let mut e = Vec::new();
    if notes.is_some_and(|n| n.chars().count() > 2000) {
        e.push(FieldError::new("notes", "must be at most 2000 characters"));
    }
    if latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        e.push(FieldError::new("latitude", "must be between -90 and 90"));
    }
    if longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        e.push(FieldError::new("longitude", "must be between -180 and 180"));
    }
    e
}

/// Checks a visit's fields (the same for one visit and for each item of a
/// batch); returns its coordinates.
pub(super) fn check_visit(
    visited_on: NaiveDate,
    notes: Option<&str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Result<Option<(f64, f64)>, ApiError> {
    let mut e = Vec::new();
    if visited_on > regency_today() {
        e.push(FieldError::new("visited_on", "must not be in the future"));
    }
    e.extend(check_bounds(notes, latitude, longitude));
    let coordinates = match (latitude, longitude) {
        (Some(la), Some(lo)) => Some((la, lo)),
        (None, None) => None,
        (Some(_), None) => {
            e.push(FieldError::new(
                "longitude",
                "is required together with latitude",
            ));
            None
        }
        (None, Some(_)) => {
            e.push(FieldError::new(
                "latitude",
                "is required together with longitude",
            ));
            None
        }
    };
    if e.is_empty() {
        Ok(coordinates)
    } else {
        Err(ApiError::validation(e))
    }
}

/// List field visits, newest visit first; every visit stays in the history.
///
/// Verifier, bappeda, admin and bupati see every visit; an opd those of the
/// programs it leads; a company those of its own programs (each read is audited;
/// `notes` and coordinates null where the household is pseudonymised for it).
#[utoipa::path(tag = "verifications", params(VerificationQuery),
    responses((status = 200, body = super::Page<Verification>)))]
#[get("/verifications")]
async fn list_verifications(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<VerificationQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_VERIFICATIONS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    let filter = VerificationFilter {
        program_id: q.program_id.map(|id| id.to_string()),
        household_id: q.household_id.map(|id| id.to_string()),
        result: q.result,
    };
    let (rows, total) = service::list(
        &pool,
        Caller::from(&user),
        filter,
        paging.offset(),
        paging.limit(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(Verification::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.respond(&req, items, total))
}

/// Read one field visit.
///
/// Outside the caller's reach (as for listing) the answer is 404.
#[utoipa::path(tag = "verifications", params(("id" = String, Path)),
    responses((status = 200, body = Verification)))]
#[get("/verifications/{id}")]
async fn get_verification(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_VERIFICATION)?;
    let row = service::get(&pool, Caller::from(&user), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Verification::try_from(row)?))
}

/// Record a field visit of one target.
///
/// The target's program must be `consolidated` or `verified` (409
/// `program_not_verifiable` otherwise) and today must lie in the cycle's
/// verification window (409 `verification_window_not_open` /
/// `verification_window_closed` with `window_from` and `window_until`); an
/// admin may record outside it with `override_reason` (audited). The result
/// becomes the target's status unless a later-dated visit already exists
/// (every visit stays in the history); `moved` and `deceased` set the
/// household's `needs_update` (nothing is deleted). When every target has a
/// result the program becomes `verified`, and `agreed` when both parties
/// have signed and one target is eligible.
///
/// `consent_to_share` records the family's answer on sharing its by-name
/// data with the program's company (the consent gate: a household whose
/// every dataset forbids onward sharing is pseudonymised for companies until
/// the latest answer at a visit of the company's program is `true`; it opens
/// to that company only). It is audited with the visit.
///
/// An opd only for the programs it leads.
#[utoipa::path(tag = "verifications", request_body = NewVisit,
    responses((status = 201, body = Verification, headers(("Location" = String))),
        (status = 409, description = "`program_not_verifiable`, `target_inactive`, `verification_window_not_open` or `verification_window_closed`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a date in the future, coordinates out of range or only one of them, a `program_id` that is not the target's, or an unknown target", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/verifications")]
async fn record_verification(
    user: AuthUser,
    body: web::Json<NewVisit>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::RECORD_VERIFICATION)?;
    let b = body.into_inner();
    let coordinates = check_visit(b.visited_on, b.notes.as_deref(), b.latitude, b.longitude)?;
    let visit = Visit {
        target_id: b.target_id,
        program_id: b.program_id,
        verification: NewVerification {
            visited_on: b.visited_on,
            result: b.result,
            notes: b.notes.filter(|n| !n.trim().is_empty()),
            coordinates,
            override_reason: None,
            consent_to_share: b.consent_to_share,
            device: None,
        },
        override_reason: b.override_reason,
    };
    let recorded = service::record(&pool, Caller::from(&user), visit, regency_today()).await?;
    let mut item = Verification::try_from(recorded.row)?;
    item.target_status = Some(recorded.target_status);
    item.program_status = Some(recorded.program_status);
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/verifications/{}", item.id)));
    Ok(res.json(item))
}
