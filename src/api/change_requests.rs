//! Change requests over HTTP (issue 14, DESIGN §6.4): filed from the field
//! by an operator (its area's households), a verifier, an opd or Bappeda;
//! decided by Bappeda, the DINSOS opd or an admin (approval applies the
//! payload); withdrawn by their submitter; the month's approved changes as
//! the SIKS-NG export (CSV or XLSX). Rules: `domain::change_request`; the
//! workflow: `service::change_requests`.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::reports::{negotiate, table_response, Cell, Format};
use super::{if_match, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::change_requests::ChangeRequestFilter;
use crate::db::Pool;
use crate::domain::change_request::{
    ChangePayload, ChangeStatus, ChangeType, Conflict, DeceasedPayload, Decision, KkSplitPayload,
    MemberLeftPayload, MovedPayload, MAX_REASON,
};
use crate::domain::company::check_text;
use crate::domain::household::{HouseholdInput, MemberInput};
use crate::error::ApiError;
use crate::service::change_requests::{self as service, View};
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    // The export first: `/change-requests/export` is not an id.
    cfg.service(list_change_requests)
        .service(file_change_request)
        .service(export_change_requests)
        .service(get_change_request)
        .service(decide_change_request)
        .service(withdraw_change_request);
}

/// The payload of a change: its schema by `type` (any of them: a `moved`
/// payload may read as a correction too).
fn payload_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::AnyOfBuilder;
    use utoipa::PartialSchema;
    AnyOfBuilder::new()
        .item(MovedPayload::schema())
        .item(DeceasedPayload::schema())
        .item(MemberInput::schema())
        .item(MemberLeftPayload::schema())
        .item(HouseholdInput::schema())
        .item(KkSplitPayload::schema())
        .description(Some(
            "The new values, by `type`: `moved` MovedPayload, `deceased` DeceasedPayload, \
             `member_added` MemberInput, `member_left` MemberLeftPayload, `correction` \
             HouseholdInput (without `status`), `kk_split` KkSplitPayload",
        ))
        .into()
}

/// A change request.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f",
    "type": "moved", "payload": {"region_code": "64.02.06.1002", "address": "Jl. Loa Ipuh RT 03"},
    "reason": "Keluarga pindah ke Loa Ipuh sejak Oktober.", "status": "submitted", "submitted_by": "operator",
    "submitted_role": "operator", "verification_id": null, "decided_by": null, "decision_note": null, "decided_at": null,
    "conflicts": [{"id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c", "type": "correction", "fields": ["address"]}],
    "created_at": "2026-12-05T02:00:00Z", "updated_at": "2026-12-05T02:00:00Z"}))]
pub struct ChangeRequest {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub household_id: String,
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    /// The new values (see the `type`'s payload schema).
    #[schema(schema_with = payload_schema)]
    pub payload: serde_json::Value,
    pub reason: String,
    pub status: ChangeStatus,
    /// The account that filed it.
    pub submitted_by: String,
    /// Its role when it filed.
    pub submitted_role: String,
    /// The field visit that filed it (a `moved` or `deceased` visit).
    #[schema(format = Uuid)]
    pub verification_id: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Other submitted requests on the same household touching the same
    /// fields, as they stand now; empty once this one is closed.
    pub conflicts: Vec<Conflict>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<View> for ChangeRequest {
    fn from(v: View) -> ChangeRequest {
        let r = v.row;
        ChangeRequest {
            payload: r.payload_value(),
            id: r.id,
            household_id: r.household_id,
            change_type: r.change_type,
            reason: r.reason,
            status: r.status,
            submitted_by: r.submitted_by,
            submitted_role: r.submitted_role,
            verification_id: r.verification_id,
            decided_by: r.decided_by,
            decision_note: r.decision_note,
            decided_at: r.decided_at.map(utc),
            conflicts: v.conflicts,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

fn respond(res: actix_web::HttpResponseBuilder, view: View) -> HttpResponse {
    let version = view.row.version;
    with_etag(res, version, &ChangeRequest::from(view))
}

/// A change request to file: the household, the `type` with its `payload`,
/// and why.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({"type": "moved", "household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f",
    "payload": {"region_code": "64.02.06.1002", "address": "Jl. Loa Ipuh RT 03"},
    "reason": "Keluarga pindah ke Loa Ipuh sejak Oktober."}))]
pub enum NewChangeRequestBody {
    Moved {
        #[schema(format = Uuid)]
        household_id: String,
        payload: MovedPayload,
        /// 1–2000 characters.
        #[schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        reason: String,
    },
    Deceased {
        #[schema(format = Uuid)]
        household_id: String,
        payload: DeceasedPayload,
        #[schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        reason: String,
    },
    MemberAdded {
        #[schema(format = Uuid)]
        household_id: String,
        /// The member (`name` required).
        payload: MemberInput,
        #[schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        reason: String,
    },
    MemberLeft {
        #[schema(format = Uuid)]
        household_id: String,
        payload: MemberLeftPayload,
        #[schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        reason: String,
    },
    Correction {
        #[schema(format = Uuid)]
        household_id: String,
        /// The household fields to correct (at least one; not `status`).
        payload: Box<HouseholdInput>,
        #[schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        reason: String,
    },
    KkSplit {
        #[schema(format = Uuid)]
        household_id: String,
        payload: KkSplitPayload,
        #[schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        reason: String,
    },
}

impl NewChangeRequestBody {
    fn into_parts(self) -> (String, ChangePayload, String) {
        use NewChangeRequestBody::*;
        match self {
            Moved {
                household_id,
                payload,
                reason,
            } => (household_id, ChangePayload::Moved(payload), reason),
            Deceased {
                household_id,
                payload,
                reason,
            } => (household_id, ChangePayload::Deceased(payload), reason),
            MemberAdded {
                household_id,
                payload,
                reason,
            } => (household_id, ChangePayload::MemberAdded(payload), reason),
            MemberLeft {
                household_id,
                payload,
                reason,
            } => (household_id, ChangePayload::MemberLeft(payload), reason),
            Correction {
                household_id,
                payload,
                reason,
            } => (household_id, ChangePayload::Correction(payload), reason),
            KkSplit {
                household_id,
                payload,
                reason,
            } => (household_id, ChangePayload::KkSplit(payload), reason),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "approve", "note": "Sesuai hasil verifikasi desa."}))]
pub struct ChangeDecisionBody {
    pub decision: Decision,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeRequestQuery {
    /// Only the requests on this household.
    pub household_id: Option<uuid::Uuid>,
    /// Only requests in this status.
    pub status: Option<ChangeStatus>,
    /// Only requests of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub change_type: Option<ChangeType>,
    /// Only the requests the caller filed.
    pub mine: Option<bool>,
    /// 1-based page, default 1.
    pub page: Option<i64>,
    /// Default 50, at most 200.
    pub per_page: Option<i64>,
}

/// List change requests, newest first.
///
/// An operator sees the requests on its area's households; the other roles
/// all. Each submitted request lists its `conflicts`.
#[utoipa::path(tag = "change-requests", params(ChangeRequestQuery),
    responses((status = 200, body = Page<ChangeRequest>)))]
#[get("/change-requests")]
async fn list_change_requests(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<ChangeRequestQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_CHANGE_REQUESTS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    let filter = ChangeRequestFilter {
        household_id: q.household_id.map(|h| h.to_string()),
        status: q.status,
        change_type: q.change_type,
        submitted_by: q.mine.filter(|m| *m).map(|_| user.claims.sub.clone()),
    };
    let (views, total) = service::list(
        &pool,
        Caller::from(&user),
        filter,
        paging.offset(),
        paging.limit(),
    )
    .await?;
    let items: Vec<ChangeRequest> = views.into_iter().map(ChangeRequest::from).collect();
    Ok(paging.respond(&req, items, total))
}

/// File a change request for a household.
///
/// The payload is checked against the household as it is now (422 with
/// `payload.…` fields when it cannot apply: an unknown member, a region that
/// is not a desa, a value outside its code list). An operator files only for
/// its area's households: any other is refused like a missing one (422
/// `household_id`). A family that is `deceased` or a `duplicate` takes no
/// change.
#[utoipa::path(tag = "change-requests", request_body = NewChangeRequestBody,
    responses((status = 201, body = ChangeRequest, headers(("ETag" = String), ("Location" = String)))))]
#[post("/change-requests")]
async fn file_change_request(
    user: AuthUser,
    body: web::Json<NewChangeRequestBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::FILE_CHANGE_REQUEST)?;
    let (household_id, change, reason) = body.into_inner().into_parts();
    let reason =
        check_text(&reason, MAX_REASON).map_err(|e| ApiError::invalid_field("reason", e))?;
    let view = service::file(&pool, Caller::from(&user), household_id, change, reason).await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/change-requests/{}", view.row.id),
    ));
    Ok(respond(res, view))
}

/// Read a change request, with its current `conflicts`.
///
/// An operator reads only requests on its area's households; any other is
/// a 404, as for a missing one.
#[utoipa::path(tag = "change-requests", params(("id" = String, Path)),
    responses((status = 200, body = ChangeRequest, headers(("ETag" = String)))))]
#[get("/change-requests/{id}")]
async fn get_change_request(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_CHANGE_REQUEST)?;
    let view = service::get(&pool, Caller::from(&user), id.into_inner()).await?;
    Ok(respond(HttpResponse::Ok(), view))
}

/// Decide a submitted change request: `approve` (its payload is applied to
/// the household in the same transaction — recorded in the family's history
/// as a manual change naming the request — or, when the household changed
/// so that it no longer applies, nothing happens and the answer is a 409
/// `change_not_applicable` with the reasons) or `reject`.
///
/// Bappeda, an admin, or an opd account of DINSOS (Dinas Sosial); another
/// agency is a 403. A request that is no longer submitted is a 409
/// `change_request_closed` (of two concurrent decisions one wins).
/// `If-Match` is honoured (412 when stale).
#[utoipa::path(tag = "change-requests", request_body = ChangeDecisionBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = ChangeRequest, headers(("ETag" = String))),
        (status = 409, description = "`change_request_closed` (with `request_status`) or `change_not_applicable` (with `errors`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/change-requests/{id}/decision")]
async fn decide_change_request(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<ChangeDecisionBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DECIDE_CHANGE_REQUEST)?;
    let expected = if_match(&req)?;
    let b = body.into_inner();
    let note = b
        .note
        .filter(|n| !n.trim().is_empty())
        .map(|n| check_text(&n, MAX_REASON))
        .transpose()
        .map_err(|e| ApiError::invalid_field("note", e))?;
    let view = service::decide(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        b.decision,
        note,
    )
    .await?;
    Ok(respond(HttpResponse::Ok(), view))
}

/// Withdraw a submitted change request: only the account that filed it
/// (another is a 403); once decided or withdrawn, a 409
/// `change_request_closed`. `If-Match` is honoured (412 when stale).
#[utoipa::path(tag = "change-requests",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = ChangeRequest, headers(("ETag" = String))),
        (status = 409, description = "`change_request_closed` (with `request_status`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/change-requests/{id}/withdraw")]
async fn withdraw_change_request(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::WITHDRAW_CHANGE_REQUEST)?;
    let expected = if_match(&req)?;
    let view = service::withdraw(&pool, Caller::from(&user), id.into_inner(), expected).await?;
    Ok(respond(HttpResponse::Ok(), view))
}

/// The representation of the export asked for by `format`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
    Xlsx,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The month (regency time, WITA) whose approved changes to list: `YYYY-MM`.
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-12")]
    pub month: String,
    /// `csv` or `xlsx` (or `json`); overrides `Accept`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// One approved change, as a desa operator keys it into SIKS-NG.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"desa_code": "64.02.06.1001", "desa_name": "Jahab", "kk_number": "6402060101260001",
    "nik": "6402061203850003", "type": "moved", "new_values": "region_code: 64.02.06.1002; address: Jl. Loa Ipuh RT 03",
    "decided_on": "2026-12-07", "request_id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"}))]
pub struct ExportItem {
    /// The desa/kelurahan of the family when the change was approved.
    pub desa_code: String,
    pub desa_name: String,
    /// The family's No. KK before the change.
    pub kk_number: Option<String>,
    /// The NIK of the person concerned (the head for a family's change).
    pub nik: Option<String>,
    #[serde(rename = "type")]
    pub change_type: String,
    /// The new values, `field: value` joined by `; `.
    pub new_values: String,
    /// The day of the approval (WITA).
    pub decided_on: Option<NaiveDate>,
    #[schema(format = Uuid)]
    pub request_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeExport {
    /// `YYYY-MM`.
    pub month: String,
    pub generated_at: DateTime<Utc>,
    pub items: Vec<ExportItem>,
}

/// The month's approved changes, in the shape desa operators key into
/// SIKS-NG: one row per change (desa code and name, No. KK, NIK of the
/// person concerned, change type, new values, decision day, request id).
///
/// NIKs are personal data: government roles only; an operator gets its
/// area's desa. JSON, CSV or XLSX by `format`, else by `Accept` (`text/csv`,
/// the XLSX media type); an `Accept` naming none of the three is a 406
/// either way.
#[utoipa::path(tag = "change-requests",
    params(ExportQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `text/csv` or the XLSX media type")),
    responses(
        (status = 200, description = "The export", content(
            (ChangeExport = "application/json"),
            (String = "text/csv", example = "desa_code,desa_name,kk_number,nik,type,new_values,decided_on,request_id\n64.02.06.1001,Jahab,6402060101260001,6402061203850003,moved,region_code: 64.02.06.1002,2026-12-07,0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b\n"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 406, description = "`not_acceptable`: the Accept header names none of the three media types", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/change-requests/export")]
async fn export_change_requests(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<ExportQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::EXPORT_CHANGE_REQUESTS)?;
    let q = q.into_inner();
    // `Accept` is honoured (an unacceptable one is a 406) unless `format` names one.
    let negotiated = negotiate(&req)?;
    let format = match q.format {
        Some(ExportFormat::Json) => Format::Json,
        Some(ExportFormat::Csv) => Format::Csv,
        Some(ExportFormat::Xlsx) => Format::Xlsx,
        None => negotiated,
    };
    let (year, month) = service::parse_month(&q.month)
        .ok_or_else(|| ApiError::invalid_parameter("month", "must be a month, YYYY-MM"))?;
    let rows = service::export(&pool, Caller::from(&user), year, month).await?;
    let items: Vec<ExportItem> = rows
        .into_iter()
        .map(|r| ExportItem {
            desa_code: r.desa_code,
            desa_name: r.desa_name,
            kk_number: r.kk_number,
            nik: r.nik,
            change_type: r.change_type,
            new_values: r.new_values,
            decided_on: r.decided_on,
            request_id: r.request_id,
        })
        .collect();
    if format == Format::Json {
        return Ok(HttpResponse::Ok().json(ChangeExport {
            month: q.month,
            generated_at: Utc::now(),
            items,
        }));
    }
    let headers = [
        "desa_code",
        "desa_name",
        "kk_number",
        "nik",
        "type",
        "new_values",
        "decided_on",
        "request_id",
    ];
    let text = |v: Option<String>| v.map(Cell::Text).unwrap_or(Cell::Empty);
    let rows: Vec<Vec<Cell>> = items
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.desa_code),
                Cell::Text(r.desa_name),
                text(r.kk_number),
                text(r.nik),
                Cell::Text(r.change_type),
                Cell::Text(r.new_values),
                text(r.decided_on.map(|d| d.to_string())),
                Cell::Text(r.request_id),
            ]
        })
        .collect();
    table_response(
        format,
        &format!("change-requests-{}", q.month),
        &headers,
        &rows,
        None,
    )
}
