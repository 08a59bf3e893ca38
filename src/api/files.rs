//! Files sent and answered as raw bodies (photos of visits, evidence of
//! deliveries): the media type read from `Content-Type`, the size bound,
//! and the download with its checksum as `ETag`.

use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// The type of a file sent as the raw body (`parse` reads `Content-Type`;
/// 415 naming `accepted` otherwise) and its bytes, at most `max` (413
/// naming `what`).
pub fn upload<K>(
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    parse: impl Fn(&str) -> Option<K>,
    accepted: &str,
    max: usize,
    what: &str,
) -> Result<(K, web::Bytes), ApiError> {
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse)
        .ok_or_else(|| ApiError::UnsupportedMediaType {
            detail: format!("{what} is sent as {accepted}"),
        })?;
    let too_large = || ApiError::PayloadTooLarge {
        detail: format!("{what} may have at most {max} bytes"),
    };
    let bytes = body.map_err(|e| match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => too_large(),
        _ => ApiError::bad_request("invalid_body", e.to_string()),
    })?;
    if bytes.len() > max {
        return Err(too_large());
    }
    Ok((kind, bytes))
}

/// The ETag of a stored file: its SHA-256.
pub fn etag(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

/// A stored file as the answer: its bytes, type and checksum.
pub fn download(content_type: &str, sha256: &str, bytes: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag(sha256)))
        .body(bytes)
}
