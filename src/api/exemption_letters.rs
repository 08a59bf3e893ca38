//! Exemption letters: a company that cannot take part in a cycle
//! files its reason; Bappeda reviews, the Bupati decides, the company may
//! withdraw before the decision. Every step goes through
//! [`decide_exemption`], the one table of who may do what from which status.

use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use super::{if_match, regency_today, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::exemption_letters::{self as store, LetterFilter, LetterRow, NewLetter, Step};
use crate::db::{self, Pool};
use crate::domain::company::check_text;
use crate::domain::compliance::{
    decide_exemption, ExemptionAction, ExemptionDecision, ExemptionError, ExemptionStatus,
    ReasonCategory, ReviewRecommendation,
};
use crate::domain::role::Role;
use crate::error::{ApiError, FieldError};

/// The largest scanned letter accepted: 5 MiB.
pub const MAX_DOCUMENT: usize = 5 * 1024 * 1024;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_letters)
        .service(file_letter)
        .service(get_letter)
        .service(review_letter)
        .service(decide_letter)
        .service(withdraw_letter)
        .service(
            // The document's own body limit; JSON bodies are unaffected.
            scope::scope("/exemption-letters/{id}/document")
                .app_data(web::PayloadConfig::new(MAX_DOCUMENT))
                .service(put_document)
                .service(get_document),
        );
}

/// The raw bytes of a PDF file, as the body of the document operations. Only
/// its schema is used: OpenAPI 3.1 writes a binary body as a string with a
/// `contentMediaType` (and no `format`).
pub struct PdfFile;

impl utoipa::PartialSchema for PdfFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("application/pdf")
            .into()
    }
}

impl ToSchema for PdfFile {}

fn flow_error(e: ExemptionError) -> ApiError {
    match e {
        ExemptionError::RoleNotAllowed { .. } => ApiError::Forbidden {
            detail: e.to_string(),
        },
        ExemptionError::NotAllowedFromState { status, .. } => ApiError::conflict_with(
            e.code(),
            e.to_string(),
            serde_json::json!({ "letter_status": status.map(|s| s.as_str()) }),
        ),
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "3b8f7a52-1c55-4c1b-8f0e-2a4d7d3c9b10", "company_id": "00000000-0000-4000-8000-000000000001",
    "cycle_year": 2027, "letter_number": "045/MSL-CSR/XI/2026", "letter_date": "2026-11-20",
    "reason_category": "financial_hardship", "reason": "Harga TBS turun; perusahaan merugi dua tahun berturut-turut.",
    "status": "reviewed", "review_recommendation": "accept", "review_note": "Laporan keuangan terlampir dan sesuai.",
    "reviewed_by": "bappeda", "reviewed_at": "2026-11-25T02:00:00Z", "decision_note": null, "decided_by": null,
    "decided_at": null, "has_document": true, "document_size": 182034, "document_uploaded_at": "2026-11-20T03:00:00Z",
    "created_at": "2026-11-20T02:55:00Z", "updated_at": "2026-11-25T02:00:00Z"}))]
pub struct ExemptionLetter {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub company_id: String,
    pub cycle_year: i32,
    /// The company's own letter number (*nomor surat*).
    pub letter_number: String,
    pub letter_date: NaiveDate,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub status: ExemptionStatus,
    /// Bappeda's recommendation, once reviewed.
    pub review_recommendation: Option<ReviewRecommendation>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The Bupati's note with the decision.
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Whether a scanned letter was uploaded (`GET …/document`).
    pub has_document: bool,
    /// Size of the scanned letter in bytes.
    pub document_size: Option<i32>,
    pub document_uploaded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<LetterRow> for ExemptionLetter {
    type Error = ApiError;
    fn try_from(r: LetterRow) -> Result<ExemptionLetter, ApiError> {
        Ok(ExemptionLetter {
            reason_category: r.reason_category,
            status: r.status,
            review_recommendation: r.review_recommendation,
            id: r.id,
            company_id: r.company_id,
            cycle_year: r.cycle_year,
            letter_number: r.letter_number,
            letter_date: r.letter_date,
            reason: r.reason,
            review_note: r.review_note,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at.map(utc),
            decision_note: r.decision_note,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(utc),
            has_document: r.document_size.is_some(),
            document_size: r.document_size,
            document_uploaded_at: r.document_uploaded_at.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

fn respond(res: actix_web::HttpResponseBuilder, row: LetterRow) -> Result<HttpResponse, ApiError> {
    let version = row.version;
    Ok(with_etag(res, version, &ExemptionLetter::try_from(row)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cycle_year": 2027, "letter_number": "045/MSL-CSR/XI/2026", "letter_date": "2026-11-20",
    "reason_category": "financial_hardship", "reason": "Harga TBS turun; perusahaan merugi dua tahun berturut-turut."}))]
pub struct NewLetterBody {
    /// The cycle the company cannot take part in; it must exist.
    #[schema(minimum = 2000, maximum = 2100)]
    pub cycle_year: i32,
    /// 1–100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub letter_number: String,
    /// Not after today.
    pub letter_date: NaiveDate,
    pub reason_category: ReasonCategory,
    /// 1–5000 characters.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"recommendation": "accept", "note": "Laporan keuangan terlampir dan sesuai."}))]
pub struct ReviewBody {
    pub recommendation: ReviewRecommendation,
    /// Why; 1–2000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "accepted", "note": "Dibebaskan untuk tahun 2027."}))]
pub struct DecisionBody {
    pub decision: ExemptionDecision,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LetterQuery {
    /// Planning year.
    pub cycle: Option<i32>,
    /// Only this company's letters (its id); a company sees only its own anyway.
    pub company_id: Option<uuid::Uuid>,
    /// Only letters in this status.
    pub status: Option<ExemptionStatus>,
    /// 1-based page, default 1.
    pub page: Option<i64>,
    /// Default 50, at most 200.
    pub per_page: Option<i64>,
}

const MAX_NUMBER: usize = 100;
const MAX_REASON: usize = 5000;
const MAX_NOTE: usize = 2000;

/// 404 for a `company` caller and another company's letter, the same answer
/// as for a missing letter.
fn check_reach(user: &AuthUser, row: &LetterRow) -> Result<(), ApiError> {
    match user.role() {
        Role::Company if user.company_id() != Some(row.company_id.as_str()) => {
            Err(ApiError::not_found())
        }
        _ => Ok(()),
    }
}

/// List exemption letters, newest cycle first.
///
/// Bappeda, bupati and admin see every letter; a company only its own.
#[utoipa::path(tag = "exemption-letters", params(LetterQuery),
    responses((status = 200, body = Page<ExemptionLetter>)))]
#[get("/exemption-letters")]
async fn list_letters(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<LetterQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_LETTERS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    let company_id = match user.company_id() {
        Some(own) => {
            if q.company_id.is_some_and(|c| c.to_string() != own) {
                // Another company's letters are outside reach: nothing to list.
                return Ok(paging.respond::<ExemptionLetter>(&req, vec![], 0));
            }
            Some(own.to_string())
        }
        None => q.company_id.map(|id| id.to_string()),
    };
    let filter = LetterFilter {
        cycle_year: q.cycle,
        company_id,
        status: q.status,
    };
    let (rows, total) = db::run(&pool, move |c| {
        store::list(c, &filter, paging.offset(), paging.limit())
    })
    .await?;
    let items = rows
        .into_iter()
        .map(ExemptionLetter::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.respond(&req, items, total))
}

/// File an exemption letter for a cycle, as `submitted`. The company is the
/// caller's own (from the token); the cycle must exist (422 on `cycle_year`).
/// A company has at most one active (submitted, reviewed or accepted) letter
/// per cycle: a second is a 409 `exemption_letter_exists` naming the first;
/// after a withdrawal or a rejection it may file again. Upload the scanned
/// letter afterwards with `PUT …/{id}/document`.
///
/// Bappeda and admins do not file on a company's behalf: the letter is the
/// company's own statement, addressed to the Bupati through the head of Bappeda,
/// who reviews it.
#[utoipa::path(tag = "exemption-letters", request_body = NewLetterBody,
    responses((status = 201, body = ExemptionLetter, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`exemption_letter_exists` (with `existing_letter_id`)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/exemption-letters")]
async fn file_letter(
    user: AuthUser,
    body: web::Json<NewLetterBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::FILE_LETTER)?;
    decide_exemption(None, ExemptionAction::Submit, user.role()).map_err(flow_error)?;
    let company_id = user
        .company_id()
        .ok_or_else(ApiError::forbidden)?
        .to_string();
    let b = body.into_inner();
    let mut errors = Vec::new();
    let number = check_text(&b.letter_number, MAX_NUMBER)
        .map_err(|e| errors.push(FieldError::new("letter_number", e)))
        .ok();
    let reason = check_text(&b.reason, MAX_REASON)
        .map_err(|e| errors.push(FieldError::new("reason", e)))
        .ok();
    if b.letter_date > regency_today() {
        errors.push(FieldError::new("letter_date", "must not be in the future"));
    }
    let (Some(letter_number), Some(reason), true) = (number, reason, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let actor = user.actor();
    let row = db::tx(&pool, move |c| {
        store::create(
            c,
            &actor,
            NewLetter {
                company_id,
                cycle_year: b.cycle_year,
                letter_number,
                letter_date: b.letter_date,
                reason_category: b.reason_category,
                reason,
            },
        )
    })
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/exemption-letters/{}", row.id),
    ));
    respond(res, row)
}

/// Read an exemption letter (without the scan; see `has_document`).
///
/// A company reads only its own (another company's letter is a 404, like a
/// missing one).
#[utoipa::path(tag = "exemption-letters", params(("id" = String, Path)),
    responses((status = 200, body = ExemptionLetter, headers(("ETag" = String)))))]
#[get("/exemption-letters/{id}")]
async fn get_letter(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_LETTER)?;
    let id = id.into_inner();
    let row = db::run(&pool, move |c| store::get(c, &id)).await?;
    check_reach(&user, &row)?;
    respond(HttpResponse::Ok(), row)
}

/// One step of the flow, in one transaction: load, check reach and version,
/// decide, apply.
async fn step(
    req: &HttpRequest,
    user: &AuthUser,
    pool: &Pool,
    id: String,
    action: ExemptionAction,
    fields: Step,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(req)?;
    let actor = user.actor();
    let caller = user.clone();
    let row = db::tx(pool, move |c| -> Result<_, ApiError> {
        let before = store::get(c, &id)?;
        check_reach(&caller, &before)?;
        db::check_version(&expected, before.version)?;
        let status: ExemptionStatus = before.status;
        let to = decide_exemption(Some(status), action, caller.role()).map_err(flow_error)?;
        let decided = matches!(fields, Step::Decide { .. });
        let row = store::apply_step(c, &actor, &before, action.as_str(), to, fields)?;
        if decided {
            crate::service::events::letter_decided(c, &row)?;
        }
        Ok(row)
    })
    .await?;
    respond(HttpResponse::Ok(), row)
}

/// Bappeda's review of a `submitted` letter: a recommendation (`accept` or
/// `reject`) for the Bupati, with a note. The letter becomes `reviewed`; from
/// any other status this is a 409 `invalid_transition`.
///
/// `If-Match` is honoured (412 when stale).
#[utoipa::path(tag = "exemption-letters", request_body = ReviewBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = ExemptionLetter, headers(("ETag" = String))),
        (status = 409, description = "`invalid_transition` (with the letter's `letter_status`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/exemption-letters/{id}/review")]
async fn review_letter(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<ReviewBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::REVIEW_LETTER)?;
    let b = body.into_inner();
    let note = check_text(&b.note, MAX_NOTE).map_err(|e| ApiError::invalid_field("note", e))?;
    let fields = Step::Review {
        recommendation: b.recommendation,
        note,
    };
    step(
        &req,
        &user,
        &pool,
        id.into_inner(),
        ExemptionAction::Review,
        fields,
    )
    .await
}

/// The Bupati's decision on a `reviewed` letter: `accepted` (the company is
/// exempt for the cycle) or `rejected`, with an optional note. From any other
/// status this is a 409 `invalid_transition`.
///
/// `If-Match` is honoured (412 when stale).
#[utoipa::path(tag = "exemption-letters", request_body = DecisionBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = ExemptionLetter, headers(("ETag" = String))),
        (status = 409, description = "`invalid_transition` (with the letter's `letter_status`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/exemption-letters/{id}/decision")]
async fn decide_letter(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<DecisionBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DECIDE_LETTER)?;
    let b = body.into_inner();
    let note = b
        .note
        .filter(|n| !n.trim().is_empty())
        .map(|n| check_text(&n, MAX_NOTE))
        .transpose()
        .map_err(|e| ApiError::invalid_field("note", e))?;
    let action = ExemptionAction::from(b.decision);
    step(
        &req,
        &user,
        &pool,
        id.into_inner(),
        action,
        Step::Decide { note },
    )
    .await
}

/// The company takes its letter back before the Bupati decides (from
/// `submitted` or `reviewed`); after the decision this is a 409
/// `invalid_transition`. It may then file a new one.
///
/// A company, its own letter only. `If-Match` is honoured (412 when stale).
#[utoipa::path(tag = "exemption-letters", 
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = ExemptionLetter, headers(("ETag" = String))),
        (status = 409, description = "`invalid_transition` (with the letter's `letter_status`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/exemption-letters/{id}/withdraw")]
async fn withdraw_letter(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::WITHDRAW_LETTER)?;
    step(
        &req,
        &user,
        &pool,
        id.into_inner(),
        ExemptionAction::Withdraw,
        Step::Withdraw,
    )
    .await
}

/// Whether a `Content-Type` header names `application/pdf` (parameters allowed).
fn is_pdf_media_type(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/pdf"))
}

/// Upload the scanned letter as the raw body (`Content-Type: application/pdf`,
/// at most 5 MiB; the bytes must start with `%PDF-`). It replaces an earlier
/// upload. Only while the letter is `submitted` or `reviewed` (409
/// `letter_closed` after the decision or a withdrawal). 413 above 5 MiB; 415
/// for another media type or bytes that are not a PDF.
///
/// A company, its own letter only. `If-Match` is honoured (412 when stale).
#[utoipa::path(tag = "exemption-letters", 
    request_body(content = inline(PdfFile), content_type = "application/pdf", description = "The scanned letter, at most 5 MiB"),
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = ExemptionLetter, headers(("ETag" = String))),
        (status = 409, description = "`letter_closed`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("")]
async fn put_document(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: Result<web::Bytes, actix_web::Error>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::PUT_DOCUMENT)?;
    if !is_pdf_media_type(&req) {
        return Err(ApiError::UnsupportedMediaType {
            detail: "the body must be the scanned letter as application/pdf".into(),
        });
    }
    let pdf = body.map_err(|e| match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::PayloadTooLarge {
            detail: format!("the scanned letter may have at most {MAX_DOCUMENT} bytes"),
        },
        _ => ApiError::bad_request("invalid_body", e.to_string()),
    })?;
    if pdf.len() > MAX_DOCUMENT {
        return Err(ApiError::PayloadTooLarge {
            detail: format!("the scanned letter may have at most {MAX_DOCUMENT} bytes"),
        });
    }
    if !pdf.starts_with(b"%PDF-") {
        return Err(ApiError::UnsupportedMediaType {
            detail: "the body is not a PDF (it does not start with %PDF-)".into(),
        });
    }
    let expected = if_match(&req)?;
    let actor = user.actor();
    let id = id.into_inner();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let before = store::get(c, &id)?;
        check_reach(&user, &before)?;
        if !matches!(
            before.status,
            ExemptionStatus::Submitted | ExemptionStatus::Reviewed
        ) {
            return Err(ApiError::conflict_with(
                "letter_closed",
                format!(
                    "the scanned letter can be replaced only before the decision; the letter is {}",
                    before.status
                ),
                serde_json::json!({ "letter_status": before.status }),
            ));
        }
        Ok(store::put_document(c, &actor, &before, expected, &pdf)?)
    })
    .await?;
    respond(HttpResponse::Ok(), row)
}

/// Download the scanned letter (`application/pdf`); 404 `no_document` when
/// none was uploaded.
///
/// A company, its own letter only.
#[utoipa::path(tag = "exemption-letters", params(("id" = String, Path)),
    responses((status = 200, description = "The scanned letter", content_type = "application/pdf", body = inline(PdfFile)),
        (status = 404, description = "`not_found`, or `no_document` when the letter has no scan", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("")]
async fn get_document(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_DOCUMENT)?;
    let id = id.into_inner();
    let letter_id = id.clone();
    let pdf = db::run(&pool, move |c| -> Result<_, ApiError> {
        let row = store::get(c, &id)?;
        check_reach(&user, &row)?;
        Ok(store::document(c, &id)?)
    })
    .await?
    .ok_or_else(|| ApiError::missing("no_document", "no scanned letter was uploaded"))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"exemption-letter-{letter_id}.pdf\""),
        ))
        .body(pdf))
}
