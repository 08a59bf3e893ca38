//! Photos of visits (issue 14, item 2): `POST /verifications/{id}/photos`
//! takes one JPEG or PNG (≤ 5 MiB, ≤ 4 per visit) as the raw body; the
//! bytes go to the object store (`crate::storage`), the database keeps the
//! metadata and SHA-256. `GET /verifications/{id}/photos` lists them,
//! `GET /verification-photos/{id}` answers the bytes. Reach is the visit's
//! (`service::verification_photos`).
//!
//! A body whose media type is neither `image/jpeg` nor `image/png` is 415;
//! one that says so but is not a whole image of that type (a text file
//! renamed `.jpg`, a cut-off upload) is 422 `invalid_image`: the media type
//! is one taken, the content is not what it claims.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use super::{files, utc};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::verification_photos::PhotoRow;
use crate::db::Pool;
use crate::domain::photo::{check_image, ImageType, MAX_PHOTO_BYTES};
use crate::error::ApiError;
use crate::service::verification_photos as service;
use crate::service::Caller;
use crate::storage::Objects;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        // The photo's own body limit; JSON bodies are unaffected.
        scope::scope("/verifications/{id}/photos")
            .app_data(web::PayloadConfig::new(MAX_PHOTO_BYTES))
            .service(add_verification_photo)
            .service(list_verification_photos),
    )
    .service(get_verification_photo);
}

/// A photo of a visit (its metadata; the bytes at `href`).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "verification_id": "5b1f2a3c-4d5e-4f6a-8b7c-9d0e1f2a3b4c",
    "content_type": "image/jpeg", "size_bytes": 482133,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "created_by": "verifier", "created_at": "2026-12-04T05:12:00Z",
    "href": "/api/v1/verification-photos/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}))]
pub struct Photo {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub verification_id: String,
    /// `image/jpeg` or `image/png`.
    #[schema(pattern = "^image/(jpeg|png)$")]
    pub content_type: String,
    /// Bytes, 1 to 5 MiB.
    #[schema(minimum = 1, maximum = 5242880)]
    pub size_bytes: i32,
    /// SHA-256 of the bytes, hex; also the download's ETag.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// The username that added it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Where to download it.
    pub href: String,
}

impl From<PhotoRow> for Photo {
    fn from(r: PhotoRow) -> Photo {
        Photo {
            href: format!("/api/v1/verification-photos/{}", r.id),
            id: r.id,
            verification_id: r.verification_id,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            created_by: r.created_by,
            created_at: utc(r.created_at),
        }
    }
}

/// The photos of one visit, oldest first.
#[derive(Serialize, ToSchema)]
pub struct PhotoList {
    #[schema(max_items = 4)]
    pub items: Vec<Photo>,
}

/// The raw bytes of a JPEG photo, as a body; only its schema is used.
pub struct JpegFile;
impl utoipa::PartialSchema for JpegFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("image/jpeg")
            .into()
    }
}
impl ToSchema for JpegFile {}

/// The raw bytes of a PNG photo, as a body; only its schema is used.
pub struct PngFile;
impl utoipa::PartialSchema for PngFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("image/png")
            .into()
    }
}
impl ToSchema for PngFile {}

/// Add a photo to a field visit.
///
/// The body is the photo itself, `image/jpeg` or `image/png`, at most 5 MiB;
/// its bytes must be a whole image of that type (signature, header with a
/// size, end marker), else 422 `invalid_image`. A visit keeps at most 4
/// photos (409 `photo_limit_reached`). The bytes are kept in the object
/// store, with their SHA-256; when the store fails the answer is 503 and
/// nothing is recorded. Who may record visits may add photos to the visits
/// it reaches (an opd those of the programs it leads); 404 otherwise.
#[utoipa::path(tag = "verifications",
    request_body(content((inline(JpegFile) = "image/jpeg"), (inline(PngFile) = "image/png")), description = "The photo, at most 5 MiB"),
    params(("id" = String, Path, description = "The visit")),
    responses((status = 201, body = Photo, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "`photo_limit_reached`: the visit has 4 photos", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 5 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: neither image/jpeg nor image/png", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_image`: the bytes are not a whole image of the declared type", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`: the object store failed; nothing recorded", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("")]
async fn add_verification_photo(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: Result<web::Bytes, actix_web::Error>,
    pool: web::Data<Pool>,
    objects: web::Data<Objects>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::ADD_VERIFICATION_PHOTO)?;
    let (kind, bytes) = files::upload(
        &req,
        body,
        ImageType::from_media_type,
        "image/jpeg or image/png",
        MAX_PHOTO_BYTES,
        "a photo",
    )?;
    check_image(kind, &bytes)
        .map_err(|e| ApiError::unprocessable("invalid_image", e.to_string()))?;
    let row = service::add(
        &pool,
        &objects,
        Caller::from(&user),
        id.into_inner(),
        kind,
        bytes,
    )
    .await?;
    let photo = Photo::from(row);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, photo.href.clone()))
        .insert_header((header::ETAG, files::etag(&photo.sha256)))
        .json(photo))
}

/// List the photos of a field visit (metadata; download each at `href`).
///
/// Readers of the visit read its photos (404 outside their reach, as for
/// the visit). A company reads them for its own programs' visits only, each
/// read audited, and gets none (`items` empty) for a household it sees
/// pseudonymised, as it gets no notes or coordinates of such a visit.
#[utoipa::path(tag = "verifications", params(("id" = String, Path, description = "The visit")),
    responses((status = 200, body = PhotoList)))]
#[get("")]
async fn list_verification_photos(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_VERIFICATION_PHOTOS)?;
    let rows = service::list(&pool, Caller::from(&user), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PhotoList {
        items: rows.into_iter().map(Photo::from).collect(),
    }))
}

/// Download a photo of a field visit.
///
/// The bytes as uploaded, with their `Content-Type` and the SHA-256 as
/// `ETag`. Reach as for its visit; a company gets 404 for a photo of a
/// household it sees pseudonymised. 503 when the object store fails.
#[utoipa::path(tag = "verifications", params(("id" = String, Path, description = "The photo")),
    responses((status = 200, description = "The photo", headers(("ETag" = String)),
            content((inline(JpegFile) = "image/jpeg"), (inline(PngFile) = "image/png"))),
        (status = 503, description = "`service_unavailable`: the object store failed", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/verification-photos/{id}")]
async fn get_verification_photo(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
    objects: web::Data<Objects>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_VERIFICATION_PHOTO)?;
    let (row, bytes) = service::get(&pool, &objects, Caller::from(&user), id.into_inner()).await?;
    Ok(files::download(&row.content_type, &row.sha256, bytes))
}
