//! The HTTP layer: one module per resource, and the machinery they share
//! (pagination, ETags, strict extractors, error rendering of actix's own failures).

pub mod access;
pub mod audit;
pub mod auth;
pub mod change_requests;
pub mod companies;
pub mod cycles;
pub mod datasets;
pub mod deliveries;
pub mod events;
pub mod exemption_letters;
pub mod files;
pub mod health;
pub mod household_history;
pub mod households;
pub mod imports;
pub mod middleware;
pub mod pdf;
pub mod program_annex;
pub mod programs;
pub mod public;
pub mod realisation;
pub mod recommendations;
pub mod regions;
pub mod reports;
pub mod targets;
pub mod users;
pub mod verifications;
// issue 14: field work as it happens
pub mod verification_batch;
pub mod verification_forms;
pub mod verification_photos;
pub mod webhooks;

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::IfMatch;
use crate::error::ApiError;

/// Default and largest page sizes of every list (`per_page`): one bound for
/// all, so no list answers an unbounded read.
pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 200;
/// Largest page number: 200 million records at the largest page size, far
/// beyond any registry, so every page a client asks for has a bound.
pub const MAX_PAGE: i64 = 1_000_000;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// 1-based page number.
    pub page: i64,
    pub per_page: i64,
    /// Items over all pages.
    pub total: i64,
}

/// `page` and `per_page` after checking their range.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    /// 400 when `page` < 1 or `per_page` is outside 1..=200.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Result<Paging, ApiError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(bad_param("page", "must be between 1 and 1000000"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(bad_param("per_page", "must be between 1 and 200"));
        }
        Ok(Paging { page, per_page })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }

    /// The response: the page as JSON with a `Link` header (first, prev, next, last).
    pub fn respond<T: Serialize + ToSchema>(
        &self,
        req: &HttpRequest,
        items: Vec<T>,
        total: i64,
    ) -> HttpResponse {
        let last = ((total + self.per_page - 1) / self.per_page).max(1);
        let mut links = vec![
            link(req, 1, self.per_page, "first"),
            link(req, last, self.per_page, "last"),
        ];
        if self.page > 1 {
            links.push(link(req, (self.page - 1).min(last), self.per_page, "prev"));
        }
        if self.page < last {
            links.push(link(req, self.page + 1, self.per_page, "next"));
        }
        HttpResponse::Ok()
            .insert_header((header::LINK, links.join(", ")))
            .json(Page {
                items,
                page: self.page,
                per_page: self.per_page,
                total,
            })
    }
}

/// One `Link` entry: the same request with another page.
fn link(req: &HttpRequest, page: i64, per_page: i64, rel: &str) -> String {
    let mut params: Vec<String> = req
        .query_string()
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page=") && !p.starts_with("per_page="))
        .map(str::to_string)
        .collect();
    params.push(format!("page={page}"));
    params.push(format!("per_page={per_page}"));
    format!("<{}?{}>; rel=\"{rel}\"", req.path(), params.join("&"))
}

/// 400 for one query parameter.
pub fn bad_param(name: &str, message: &str) -> ApiError {
    ApiError::invalid_parameter(name, message)
}

/// The `ETag` of a record version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// What a client's `If-Match` asks: no precondition without the header or
/// with `*`, else the versions its strong tags name (see `db::IfMatch`).
pub fn if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    let values: Vec<&str> = req
        .headers()
        .get_all(header::IF_MATCH)
        .map(|v| v.to_str().map_err(|_| ApiError::stale()))
        .collect::<Result<_, _>>()?;
    if values.is_empty() {
        return Ok(IfMatch::ANY);
    }
    let tags: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tags == ["*"] {
        return Ok(IfMatch::ANY);
    }
    // Strong comparison (RFC 9110 §13.1.1): a weak tag matches nothing, and
    // neither does a tag that is not one of ours; the precondition holds when
    // any listed tag is the current version's.
    let versions = tags
        .iter()
        .filter_map(|t| t.strip_prefix('"')?.strip_suffix('"')?.parse::<i32>().ok())
        .collect();
    Ok(IfMatch::one_of(versions))
}

/// A JSON response carrying the record's `ETag`.
pub fn with_etag<T: Serialize>(
    mut res: actix_web::HttpResponseBuilder,
    version: i32,
    body: &T,
) -> HttpResponse {
    res.insert_header((header::ETAG, etag(version))).json(body)
}

/// Today in Kutai Kartanegara (WITA), as the cycle calendar reckons it.
pub use crate::domain::cycle::regency_today;

/// Instants on the wire: RFC 3339 in UTC with `Z`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Parses an RFC 3339 instant from a query parameter.
pub fn parse_instant(name: &str, value: &str) -> Result<NaiveDateTime, ApiError> {
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc).naive_utc())
        .map_err(|_| {
            bad_param(
                name,
                "must be an RFC 3339 instant, e.g. 2026-11-28T00:00:00Z",
            )
        })
}

/// `true`/`false` query values.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    True,
    False,
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        matches!(f, Flag::True)
    }
}

/// Bad or missing JSON bodies answer in problem+json like everything else.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
            detail: "the body must be application/json".into(),
        },
        JsonPayloadError::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge {
            detail: format!("the body has {length} bytes; the limit is {limit}"),
        },
        JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge {
            detail: format!("the body is larger than the limit of {limit} bytes"),
        },
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::bad_request(
            "invalid_body",
            format!("the body does not fit the schema: {e}"),
        ),
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge {
            detail: "the body is too large".into(),
        },
        other => ApiError::bad_request("invalid_body", other.to_string()),
    };
    api.into()
}

/// Unknown or malformed query parameters are a 400, never ignored.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::bad_request("invalid_query", format!("query parameters: {detail}")).into()
}

/// A path segment of the wrong shape (e.g. a year that is not a number).
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("path: {err}")).into()
}

/// Raw bodies (files) over their limit.
pub fn payload_error(err: PayloadError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        PayloadError::Overflow => ApiError::PayloadTooLarge {
            detail: "the body is larger than this operation takes".into(),
        }
        .into(),
        other => ApiError::bad_request("invalid_body", other.to_string()).into(),
    }
}
