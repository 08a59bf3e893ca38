//! ODK Collect and KoBoCollect in the field (issue 14, item 3;
//! docs/DECISIONS.md "ODK and KoBo forms"): `GET
//! /programs/{id}/verification-form` writes the program's XLSForm
//! (`domain::xlsform`), and `POST /verification-submissions` takes that
//! form's CSV export from ODK Central or KoBoToolbox
//! (`import::odk_export`) and runs its rows as one batch of visits, each
//! answered as a batch item is (`super::verification_batch`).

use actix_web::error::PayloadError;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use super::imports::media_type_of;
use super::regency_today;
use super::reports::{download, workbook, Cell, Sheet, XLSX};
use super::verification_batch::{
    DeviceVisit, ItemResult, OutcomeCounts, MAX_BATCH_BODY, MAX_CLIENT_ID, MAX_ITEMS,
};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::Pool;
use crate::domain::xlsform::form_id;
use crate::error::{ApiError, FieldError};
use crate::import::odk_export::{self, ExportError, Submission, SubmissionRow};
use crate::service::verifications::{self as visits, BatchItem};
use crate::service::{verification_forms as service, Caller};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_verification_form).service(
        // An export of 500 submissions with long notes is larger than the
        // default body limit.
        scope::scope("/verification-submissions")
            .app_data(web::PayloadConfig::new(MAX_BATCH_BODY))
            .service(submit_verifications),
    );
}

/// The verification form of a program, as an XLSForm for ODK or KoBo.
///
/// An XLSX with the sheets `survey`, `choices` and `settings`: the desa, the
/// target (its choices are the program's active targets, named by the
/// head's name, address, desa and masked No. KK, filtered by the desa
/// picked), the visit date (not in the future), the result, notes (≤ 2000
/// characters), the house's location, the family's consent to share its
/// data with the program's company, and a photo. `form_id` is one per
/// program; `version` changes when the targets do. Upload it to ODK Central
/// or KoBoToolbox, collect offline, and send the CSV export to
/// `POST /verification-submissions`. Only for a program that is
/// `consolidated` or `verified` and has an active target (else 409). Who
/// records visits may download it for the programs it reaches (an opd those
/// it leads; 404 otherwise); each download is audited.
#[utoipa::path(tag = "verifications", params(("id" = String, Path, description = "The program")),
    responses((status = 200, description = "The XLSForm", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"rbpk_verifikasi_….xlsx\"`"))),
        (status = 409, description = "`program_not_verifiable`: the program is not consolidated or verified; `no_active_targets`: nothing to verify", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/programs/{id}/verification-form")]
async fn get_verification_form(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_VERIFICATION_FORM)?;
    let form = service::form(&pool, Caller::from(&user), id.into_inner()).await?;
    let cells: Vec<Vec<Vec<Cell>>> = form
        .sheets
        .iter()
        .map(|s| {
            s.rows
                .iter()
                .map(|r| r.iter().map(|c| Cell::Text(c.clone())).collect())
                .collect()
        })
        .collect();
    let sheets: Vec<Sheet<'_>> = form
        .sheets
        .iter()
        .zip(&cells)
        .map(|(s, rows)| (s.name, s.headers, rows.as_slice()))
        .collect();
    Ok(download(
        XLSX,
        &format!("{}.xlsx", form_id(&form.program.id)),
        workbook(&sheets)?,
    ))
}

/// One row's answer, by its line in the file.
#[derive(Serialize, ToSchema)]
pub struct SubmissionResult {
    /// The row's line in the file (the header is line 1).
    #[schema(minimum = 2)]
    pub line: usize,
    /// `client_id` is the submission's `instanceID` (empty when the row has none).
    #[serde(flatten)]
    pub result: ItemResult,
}

/// Every row's answer, in file order, and the counts.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"line": 2, "client_id": "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01", "outcome": "rejected",
     "problem": {"type": "https://rbpk.kukarkab.go.id/problems/validation_failed", "title": "Unprocessable Content",
        "status": 422, "detail": "visited_on: `2026-13-04` is not a date (YYYY-MM-DD)", "code": "validation_failed",
        "errors": [{"field": "visited_on", "message": "`2026-13-04` is not a date (YYYY-MM-DD)"}]}}],
    "summary": {"created": 0, "duplicate": 0, "conflict": 0, "rejected": 1}}))]
pub struct SubmissionsResult {
    pub items: Vec<SubmissionResult>,
    pub summary: OutcomeCounts,
}

/// A CSV export, as a body; only its schema is used.
pub struct SubmissionsCsv;
impl utoipa::PartialSchema for SubmissionsCsv {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("text/csv")
            .into()
    }
}
impl ToSchema for SubmissionsCsv {}

/// A row as the batch takes it, or the reason it is refused before it
/// reaches the database (the row's own errors, or the checks of a visit's
/// fields, `DeviceVisit::into_item`).
fn to_item(row: Result<Submission, Vec<FieldError>>) -> BatchItem {
    let s = row.map_err(ApiError::validation)?;
    if s.client_id.chars().count() > MAX_CLIENT_ID {
        return Err(ApiError::invalid_field(
            "meta-instanceID",
            format!("must be at most {MAX_CLIENT_ID} characters"),
        ));
    }
    DeviceVisit {
        client_id: s.client_id,
        recorded_at: s.recorded_at,
        target_id: s.target_id,
        visited_on: s.visited_on,
        result: s.result,
        notes: s.notes,
        latitude: s.latitude,
        longitude: s.longitude,
        consent_to_share: s.consent_to_share,
    }
    .into_item()
}

fn refused(e: ExportError) -> ApiError {
    match e {
        ExportError::File(e) => crate::service::imports::refused(e),
        ExportError::TooManyRows(_) => ApiError::unprocessable("too_many_rows", e.to_string()),
        ExportError::NotTheForm(_) => ApiError::unprocessable("not_the_form", e.to_string()),
    }
}

/// Send the CSV export of a verification form: each row recorded as a visit.
///
/// The body is the CSV export of a form from
/// `GET /programs/{id}/verification-form`, as ODK Central writes it
/// (`meta-instanceID`, `location-Latitude`, `SubmissionDate`, `ReviewState`)
/// or KoBoToolbox (`;`-separated, `_uuid`, `_location_latitude` or
/// `location`, `_submission_time`, `_validation_status`; export with "XML
/// values and headers"), at most 500 rows and 8 MiB. Each row is the visit
/// of its `target_id`, idempotent by its `instanceID` as a batch item is by
/// `client_id` (the same visit sent again — in this file, a later export,
/// or a JSON batch — is a `duplicate`), recorded with the rules and answered
/// with the outcomes of `POST /verifications/batch`, in file order with its
/// line. A row refused by a reviewer in ODK Central or KoBo, or with a
/// value that cannot be read, is `rejected` naming the column. The photo
/// column carries only a file name: send the photo to
/// `POST /verifications/{id}/photos` of the visit created.
#[utoipa::path(tag = "verifications",
    request_body(content((inline(SubmissionsCsv) = "text/csv",
        example = "end,desa,target_id,visited_on,result,notes,location-Latitude,location-Longitude,consent_to_share,meta-instanceID\n2026-12-04T09:12:00.000+08:00,64.02.06.2001,c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f,2026-12-04,eligible,Atap bocor,-0.4312,116.9876,yes,uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01\n")),
        description = "The form's CSV export, at most 500 rows and 8 MiB"),
    responses((status = 200, body = SubmissionsResult),
        (status = 413, description = "`payload_too_large`: the body is over 8 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_the_form`: the columns target_id, visited_on or result are missing (e.g. exported with labels); `too_many_rows`: more than 500 submissions; `unreadable_file`: not CSV text; `file_too_complex`: past a cap of the reader", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("")]
async fn submit_verifications(
    req: HttpRequest,
    user: AuthUser,
    body: Result<web::Bytes, actix_web::Error>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::SUBMIT_VERIFICATIONS)?;
    if !matches!(media_type_of(&req).as_str(), "text/csv" | "application/csv") {
        return Err(ApiError::UnsupportedMediaType {
            detail: "the body is the form's CSV export, text/csv".into(),
        });
    }
    let bytes = body.map_err(|e| match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::PayloadTooLarge {
            detail: format!("the export may have at most {MAX_BATCH_BODY} bytes"),
        },
        _ => ApiError::bad_request("invalid_body", e.to_string()),
    })?;
    let rows: Vec<SubmissionRow> = odk_export::read(&bytes, MAX_ITEMS).map_err(refused)?;
    let mut heads = Vec::with_capacity(rows.len());
    let items: Vec<BatchItem> = rows
        .into_iter()
        .map(|r| {
            heads.push((r.line, r.client_id));
            to_item(r.submission)
        })
        .collect();
    let outcomes = visits::record_batch(&pool, Caller::from(&user), items, regency_today()).await?;
    let items = heads
        .into_iter()
        .zip(outcomes)
        .map(|((line, client_id), outcome)| {
            Ok(SubmissionResult {
                line,
                result: ItemResult::new(client_id, outcome)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let summary = OutcomeCounts::of(items.iter().map(|i| &i.result.outcome));
    Ok(HttpResponse::Ok().json(SubmissionsResult { items, summary }))
}
