//! Uploading P3KE and DTKS files into the registry. The upload answers 202
//! at once; the import runs in the background and reports its progress.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::utc;
use crate::api::access;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::household_imports::{self as records, ImportRow};
use crate::db::{self, Pool};
use crate::domain::household::{ImportFormat, ImportStatus};
use crate::error::ApiError;
use crate::import::file::{ImportFile, Spool};
use crate::import::job;
use crate::import::sheet::Media;
use crate::service::imports;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_import).service(get_import);
}

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Rejected {
    /// Line (CSV) or row (XLSX) in the file, the header being 1.
    #[schema(value_type = i32, minimum = 2, maximum = 2_147_483_647)]
    pub line: usize,
    /// `KEPALA-KELUARGA`, `INDIVIDU`, `DTKS`, or for DTSEN `KELUARGA`,
    /// `ANGGOTA`, `KODE`.
    pub sheet: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "5c2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "format": "p3ke", "status": "done", "rows_total": 1200, "rows_done": 1200,
    "created": 1195, "updated": 0, "unchanged": 0, "rejected_count": 5,
    "rejected": [{"line": 17, "sheet": "KEPALA-KELUARGA", "reason": "unknown region code 6402999999"}],
    "error": null, "created_by": "bappeda", "created_at": "2026-11-28T08:00:00Z", "finished_at": "2026-11-28T08:00:03Z",
    "dataset_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"}))]
pub struct Import {
    pub id: String,
    /// `p3ke`, `dtks` or `dtsen`.
    pub format: ImportFormat,
    /// `queued` (waiting for the instance's import lane), `running`, `done`, `failed`.
    pub status: ImportStatus,
    /// Data rows: while queued or running an estimate (a CSV's lines; 0 for
    /// an XLSX), exact once done.
    pub rows_total: i32,
    pub rows_done: i32,
    /// Families and members added.
    pub created: i32,
    /// Families and members changed.
    pub updated: i32,
    /// Rows that matched the registry exactly (a re-import changes nothing).
    pub unchanged: i32,
    pub rejected_count: i32,
    /// The first 1000 rejected rows with their reasons.
    pub rejected: Vec<Rejected>,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The dataset (snapshot) the file belongs to.
    #[schema(format = Uuid)]
    pub dataset_id: Option<String>,
}

impl From<ImportRow> for Import {
    fn from(r: ImportRow) -> Import {
        Import {
            rejected: r
                .rejected_rows()
                .into_iter()
                .map(|x| Rejected {
                    line: x.line,
                    sheet: x.sheet,
                    reason: x.reason,
                })
                .collect(),
            id: r.id,
            format: r.format,
            status: r.status,
            rows_total: r.rows_total,
            rows_done: r.rows_done,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected_count: r.rejected_count,
            error: r.error,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            finished_at: r.finished_at.map(utc),
            dataset_id: r.dataset_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `p3ke` (KEPALA-KELUARGA and/or INDIVIDU sheets), `dtks` (SIKS-NG
    /// export) or `dtsen` (a BPS snapshot: family, member and code book files).
    #[param(inline)]
    pub format: ImportFormat,
    /// The dataset (snapshot) the file belongs to, of the same source; without
    /// it, one is made for the import (shared onward, as imports were before
    /// datasets). A dataset that does not exist or is of another source: 422.
    pub dataset_id: Option<uuid::Uuid>,
}

/// An upload that could not be written to its temporary file.
fn spool_failed(e: std::io::Error) -> ApiError {
    ApiError::internal(format!("the upload could not be stored: {e}"))
}

/// Writes a raw body to a temporary file as it arrives, up to `limit` bytes,
/// answering 413 in problem+json above it. (Writes land in the page cache:
/// they are not worth a blocking thread each.)
async fn spool_body(mut payload: web::Payload, limit: usize) -> Result<Spool, ApiError> {
    let mut spool = Spool::new().map_err(spool_failed)?;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        if spool.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge {
                detail: format!("the file is larger than the limit of {limit} bytes"),
            });
        }
        spool.write(&chunk).map_err(spool_failed)?;
    }
    Ok(spool)
}

/// Most files one DTSEN upload holds: a family file, a member file and
/// their code books, with room for a snapshot split in parts.
pub const MAX_SNAPSHOT_FILES: usize = 8;

/// The media type of the request, lower-cased, without parameters.
pub(crate) fn media_type_of(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_lowercase())
        .unwrap_or_default()
}

/// The files of a `multipart/form-data` body, each a part (any name), up
/// to `limit` bytes in all: 413 above it, 422 past [`MAX_SNAPSHOT_FILES`].
async fn read_parts(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<ImportFile>, ApiError> {
    let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut files, mut total) = (Vec::new(), 0usize);
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        if files.len() == MAX_SNAPSHOT_FILES {
            return Err(ApiError::unprocessable(
                "unreadable_file",
                format!("a DTSEN upload holds at most {MAX_SNAPSHOT_FILES} files"),
            ));
        }
        let mut spool = Spool::new().map_err(spool_failed)?;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
            total += chunk.len();
            if total > limit {
                return Err(ApiError::PayloadTooLarge {
                    detail: format!("the files are larger than the limit of {limit} bytes"),
                });
            }
            spool.write(&chunk).map_err(spool_failed)?;
        }
        files.push(spool.finish().map_err(spool_failed)?);
    }
    Ok(files)
}

/// Upload a P3KE or DTKS file, or a DTSEN snapshot. The body is the raw
/// file: `text/csv` (one P3KE sheet, recognised by its headers — import
/// KEPALA-KELUARGA before INDIVIDU — or the DTKS export) or XLSX (a P3KE
/// workbook may hold both sheets), or that file as the one part of a
/// `multipart/form-data` body (as a browser's form sends it). A DTSEN
/// snapshot (`format=dtsen`) is `multipart/form-data` with its files as
/// parts of any name: the family
/// file, the member file and their code books (`kolom | kode | keterangan`),
/// each CSV (`|`, `,` or `;`) or XLSX and recognised by its headers; one
/// raw CSV or XLSX file is taken too. Codes are read through the snapshot's
/// code books, else the built-in ones; labels are taken as well. A family
/// is matched by its No. KK, then its head's NIK, then its members' NIKs,
/// so a family whose No. KK changed keeps its household; its desa by
/// Kemendagri code, then 2019 code, then names. The files are checked
/// (media, the XLSX zip directory, the sheets' headers — not their rows)
/// and answered with 202 and the import's id at once. Imports run one at a
/// time per instance: the rest wait as `queued`. Rows are then read once
/// and written in batches; a file that goes past a cap while it is read
/// (cells, columns, cell length) ends the import `failed` with the reason.
/// Re-importing the same file changes nothing (`unchanged`); what a newer
/// file changes is kept in each household's history; each row that cannot
/// be taken is reported with its line and reason, and never costs its
/// neighbours.
#[utoipa::path(tag = "households", params(ImportQuery),
    request_body(content(
        (Vec<u8> = "text/csv", example = "ID Keluarga P3KE,Kode Kemdagri,Desil Kesejahteraan,Nama Kepala Keluarga,NIK Kepala Keluarga\nP3KE-1,6402061001,1,SITI AMINAH,6402064506800001\n"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Vec<u8> = "multipart/form-data"),
    )),
    responses((status = 202, body = Import, headers(("Location" = String))),
        (status = 422, description = "`unreadable_file`: not CSV/XLSX, a damaged zip, no header, missing required columns, a DTSEN file that is neither families, members nor a code book, more than one file for P3KE or DTKS; `file_too_complex`: past a cap of the importer (zip entries, uncompressed size, compression ratio, columns, cell or row length)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: this instance already holds its maximum of queued and running imports; retry after `Retry-After` seconds", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/household-imports")]
async fn create_import(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<ImportQuery>,
    payload: web::Payload,
    pool: web::Data<Pool>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_IMPORT)?;
    let media_type = media_type_of(&req);
    let expected_media = match media_type.as_str() {
        "text/csv" | "application/csv" => Some(Media::Csv),
        XLSX => Some(Media::Xlsx),
        "multipart/form-data" => None,
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                detail: format!("the body must be text/csv, {XLSX} or multipart/form-data"),
            })
        }
    };
    // Taken before the body is read: a full queue costs no buffering.
    let ticket = job::Ticket::take().ok_or(ApiError::TooManyRequests { retry_after: 30 })?;
    let files = match expected_media {
        Some(expected) => {
            let spool = spool_body(payload, config.import_limit).await?;
            if !spool.is_empty() && spool.media() != expected {
                return Err(ApiError::UnsupportedMediaType {
                    detail: format!("the file's content is not {media_type}"),
                });
            }
            vec![spool.finish().map_err(spool_failed)?]
        }
        None => read_parts(&req, payload, config.import_limit).await?,
    };
    let dataset = q.dataset_id.map(|id| id.to_string());
    let row = imports::start(
        &pool,
        user.actor(),
        ticket,
        q.format,
        media_type,
        dataset,
        files,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/household-imports/{}", row.id),
        ))
        .json(Import::from(row)))
}

/// An import's progress, and when done its counts and rejected rows.
#[utoipa::path(tag = "households", params(("id" = String, Path)),
    responses((status = 200, body = Import)))]
#[get("/household-imports/{id}")]
async fn get_import(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_IMPORT)?;
    let id = id.into_inner();
    let row = db::run(&pool, move |c| records::get(c, &id)).await?;
    Ok(HttpResponse::Ok().json(Import::from(row)))
}
