//! Deliveries and their evidence (issue 15, items 2 and 3): what reached a
//! target, shown by what. Rules in `service::deliveries`; checks of the
//! fields and files in `domain::delivery`.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use super::exemption_letters::PdfFile;
use super::targets::TargetQuery;
use super::verification_photos::{JpegFile, PngFile};
use super::{files, if_match, regency_today, utc, with_etag, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::deliveries::{DeliveryRow, EvidenceRow};
use crate::db::Pool;
use crate::domain::delivery::{DeliveryFields, EvidenceType, MAX_EVIDENCE_BYTES};
use crate::error::ApiError;
use crate::service::deliveries as service;
use crate::service::Caller;
use crate::storage::Objects;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_deliveries)
        .service(record_delivery)
        .service(get_delivery)
        .service(delete_delivery)
        .service(confirm_delivery)
        .service(
            // The evidence's own body limit; JSON bodies are unaffected.
            scope::scope("/deliveries/{id}/evidence")
                .app_data(web::PayloadConfig::new(MAX_EVIDENCE_BYTES))
                .service(add_delivery_evidence),
        )
        .service(get_evidence);
}

/// What reached a target.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"delivered_on": "2027-03-01", "item": "Semen 50 kg", "quantity": 40, "unit": "sak",
    "value": 2600000, "handover_number": "BAST/017/III/2027", "notes": "Diterima kepala keluarga.",
    "latitude": -0.4312, "longitude": 116.9876}))]
pub struct NewDelivery {
    /// Not in the future (regency time).
    pub delivered_on: NaiveDate,
    /// What was handed over, 1 to 200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub item: String,
    /// More than 0, at most 1e9.
    #[schema(exclusive_minimum = 0, maximum = 1_000_000_000)]
    pub quantity: f64,
    /// 1 to 30 characters (`sak`, `kg`, `unit`, `paket`…).
    #[schema(
        min_length = 1,
        max_length = 30,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub unit: String,
    /// Worth, whole rupiah.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub value: i64,
    /// The handover record's number (BAST), at most 100 characters.
    #[schema(max_length = 100, pattern = "^[^\\u0000]*$")]
    pub handover_number: Option<String>,
    /// At most 2000 characters.
    #[schema(max_length = 2000, pattern = "^[^\\u0000]*$")]
    pub notes: Option<String>,
    /// -90..90; give both coordinates or neither.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// -180..180.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

/// A file that shows a delivery (its metadata; the bytes at `href`).
#[derive(Serialize, ToSchema)]
pub struct Evidence {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub delivery_id: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    #[schema(pattern = "^(image/jpeg|image/png|application/pdf)$")]
    pub content_type: String,
    /// Bytes, 1 to 10 MiB.
    #[schema(minimum = 1, maximum = 10485760)]
    pub size_bytes: i32,
    /// SHA-256 of the bytes, hex; also the download's ETag.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Where to download it.
    pub href: String,
}

impl From<EvidenceRow> for Evidence {
    fn from(r: EvidenceRow) -> Evidence {
        Evidence {
            href: format!("/api/v1/evidence/{}", r.id),
            id: r.id,
            delivery_id: r.delivery_id,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            created_by: r.created_by,
            created_at: utc(r.created_at),
        }
    }
}

/// A delivery to a target.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "program_id": "5b1f2a3c-4d5e-4f6a-8b7c-9d0e1f2a3b4c",
    "target_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "delivered_on": "2027-03-01", "item": "Semen 50 kg",
    "quantity": 40, "unit": "sak", "value": 2600000, "handover_number": "BAST/017/III/2027",
    "notes": "Diterima kepala keluarga.", "latitude": -0.4312, "longitude": 116.9876, "recorded_by": "company",
    "confirmed_on": null, "confirmed_by": null, "evidence": [], "version": 1,
    "created_at": "2027-03-01T05:00:00Z", "updated_at": "2027-03-01T05:00:00Z"}))]
pub struct Delivery {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    #[schema(format = Uuid)]
    pub target_id: String,
    pub delivered_on: NaiveDate,
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    pub value: i64,
    pub handover_number: Option<String>,
    /// Null for a company when it sees the household pseudonymised.
    pub notes: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The username that recorded it.
    pub recorded_by: String,
    /// Set when the lead agency confirmed it (then never deleted).
    pub confirmed_on: Option<NaiveDate>,
    pub confirmed_by: Option<String>,
    #[schema(max_items = 10)]
    pub evidence: Vec<Evidence>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<(DeliveryRow, Vec<EvidenceRow>)> for Delivery {
    fn from((r, evidence): (DeliveryRow, Vec<EvidenceRow>)) -> Delivery {
        Delivery {
            id: r.id,
            program_id: r.program_id,
            target_id: r.target_id,
            delivered_on: r.delivered_on,
            item: r.item,
            quantity: r.quantity,
            unit: r.unit,
            value: r.value,
            handover_number: r.handover_number,
            notes: r.notes,
            latitude: r.latitude,
            longitude: r.longitude,
            recorded_by: r.recorded_by,
            confirmed_on: r.confirmed_on,
            confirmed_by: r.confirmed_by,
            evidence: evidence.into_iter().map(Evidence::from).collect(),
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// The deliveries to a target, by date.
///
/// Readers of the program: a company its own programs', an opd those it
/// leads (404 otherwise). A company gets no notes or coordinates for a
/// household it sees pseudonymised.
#[utoipa::path(tag = "deliveries", params(("id" = String, Path, description = "The program"),
        ("target_id" = String, Path, description = "The target"), TargetQuery),
    responses((status = 200, body = super::Page<Delivery>)))]
#[get("/programs/{id}/targets/{target_id}/deliveries")]
async fn list_deliveries(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<(String, String)>,
    q: web::Query<TargetQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_DELIVERIES)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let (id, target_id) = path.into_inner();
    let (rows, total) = service::list(
        &pool,
        Caller::from(&user),
        id,
        target_id,
        paging.offset(),
        paging.limit(),
    )
    .await?;
    let items: Vec<Delivery> = rows.into_iter().map(Delivery::from).collect();
    Ok(paging.respond(&req, items, total))
}

/// Record a delivery to a target while the program runs.
///
/// By the program's company or its lead agency (an admin too), for an
/// active target verified eligible (409 `not_eligible`), while the program
/// is `running` (409 `not_running`). It counts once the lead agency
/// confirms it (`POST /deliveries/{id}/confirm`).
#[utoipa::path(tag = "deliveries", request_body = NewDelivery,
    params(("id" = String, Path, description = "The program"), ("target_id" = String, Path, description = "The target")),
    responses((status = 201, body = Delivery, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`not_running`: the program is not running; `not_eligible`: the target is not an active target verified eligible", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/programs/{id}/targets/{target_id}/deliveries")]
async fn record_delivery(
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<NewDelivery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::RECORD_DELIVERY)?;
    let (id, target_id) = path.into_inner();
    let b = body.into_inner();
    let fields = DeliveryFields {
        delivered_on: b.delivered_on,
        item: b.item,
        quantity: b.quantity,
        unit: b.unit,
        value: b.value,
        handover_number: b.handover_number,
        notes: b.notes,
        latitude: b.latitude,
        longitude: b.longitude,
    };
    let row = service::record(
        &pool,
        Caller::from(&user),
        id,
        target_id,
        fields,
        regency_today(),
    )
    .await?;
    let location = format!("/api/v1/deliveries/{}", row.id);
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, location));
    Ok(with_etag(
        res,
        row.version,
        &Delivery::from((row, Vec::new())),
    ))
}

/// One delivery, with its evidence.
#[utoipa::path(tag = "deliveries", params(("id" = String, Path, description = "The delivery")),
    responses((status = 200, body = Delivery, headers(("ETag" = String)))))]
#[get("/deliveries/{id}")]
async fn get_delivery(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_DELIVERY)?;
    let d = service::get(&pool, Caller::from(&user), id.into_inner()).await?;
    let version = d.0.version;
    Ok(with_etag(HttpResponse::Ok(), version, &Delivery::from(d)))
}

/// Delete a delivery that is not confirmed, while the program runs.
///
/// Its evidence goes with it. A confirmed delivery is never deleted (409
/// `delivery_confirmed`).
#[utoipa::path(tag = "deliveries",
    params(("id" = String, Path, description = "The delivery"), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "`delivery_confirmed` or `not_running`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/deliveries/{id}")]
async fn delete_delivery(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
    objects: web::Data<Objects>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DELETE_DELIVERY)?;
    let expected = if_match(&req)?;
    service::delete(
        &pool,
        &objects,
        Caller::from(&user),
        id.into_inner(),
        expected,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirm a delivery (the lead agency).
///
/// The target becomes `served` and the delivery's value is added to its
/// realised value, in one transaction with the events `delivery.confirmed`
/// and (the first time) `target.served`. Once confirmed, a delivery is
/// never deleted.
#[utoipa::path(tag = "deliveries",
    params(("id" = String, Path, description = "The delivery"), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Delivery, headers(("ETag" = String))),
        (status = 409, description = "`already_confirmed`, `not_running`, `not_eligible` (the target was dropped) or `value_overflow`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/deliveries/{id}/confirm")]
async fn confirm_delivery(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CONFIRM_DELIVERY)?;
    let expected = if_match(&req)?;
    let d = service::confirm(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        regency_today(),
    )
    .await?;
    let version = d.0.version;
    Ok(with_etag(HttpResponse::Ok(), version, &Delivery::from(d)))
}

/// Add an evidence file to a delivery: a photo of the handover or a signed receipt.
///
/// The body is the file itself, `image/jpeg`, `image/png` or
/// `application/pdf`, at most 10 MiB; its bytes must be a whole file of
/// that type, else 422 `invalid_file`. A delivery keeps at most 10 (409
/// `evidence_limit_reached`). The bytes are kept in the object store with
/// their SHA-256; when the store fails the answer is 503 and nothing is
/// recorded. Who records deliveries adds evidence while the program runs.
#[utoipa::path(tag = "deliveries",
    request_body(content((inline(JpegFile) = "image/jpeg"), (inline(PngFile) = "image/png"), (inline(PdfFile) = "application/pdf")),
        description = "The file, at most 10 MiB"),
    params(("id" = String, Path, description = "The delivery")),
    responses((status = 201, body = Evidence, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "`evidence_limit_reached` or `not_running`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 10 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not image/jpeg, image/png or application/pdf", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_file`: the bytes are not a whole file of the declared type", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`: the object store failed; nothing recorded", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("")]
async fn add_delivery_evidence(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: Result<web::Bytes, actix_web::Error>,
    pool: web::Data<Pool>,
    objects: web::Data<Objects>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::ADD_DELIVERY_EVIDENCE)?;
    let (kind, bytes) = files::upload(
        &req,
        body,
        EvidenceType::from_media_type,
        "image/jpeg, image/png or application/pdf",
        MAX_EVIDENCE_BYTES,
        "an evidence file",
    )?;
    kind.check(&bytes)
        .map_err(|e| ApiError::unprocessable("invalid_file", e.to_string()))?;
    let row = service::add_evidence(
        &pool,
        &objects,
        Caller::from(&user),
        id.into_inner(),
        kind,
        bytes,
    )
    .await?;
    let evidence = Evidence::from(row);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, evidence.href.clone()))
        .insert_header((header::ETAG, files::etag(&evidence.sha256)))
        .json(evidence))
}

/// Download an evidence file.
///
/// The bytes as uploaded, with their `Content-Type` and the SHA-256 as
/// `ETag`. Reach as for its delivery. 503 when the object store fails.
#[utoipa::path(tag = "deliveries", params(("id" = String, Path, description = "The evidence file")),
    responses((status = 200, description = "The file", headers(("ETag" = String)),
            content((inline(JpegFile) = "image/jpeg"), (inline(PngFile) = "image/png"), (inline(PdfFile) = "application/pdf"))),
        (status = 503, description = "`service_unavailable`: the object store failed", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/evidence/{id}")]
async fn get_evidence(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
    objects: web::Data<Objects>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_EVIDENCE)?;
    let (row, bytes) =
        service::evidence(&pool, &objects, Caller::from(&user), id.into_inner()).await?;
    Ok(files::download(&row.content_type, &row.sha256, bytes))
}
