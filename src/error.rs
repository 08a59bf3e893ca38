//! The one error type of the service and its RFC 9457 `application/problem+json`
//! rendering. Every failure a client can see passes through [`ApiError`], so each
//! has a stable machine `code` an integrator can switch on.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::Error as DieselError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::db::DbError;

/// Base of the `type` URI of every problem; the code is appended.
pub const PROBLEM_TYPE_BASE: &str = "https://rbpk.kukarkab.go.id/problems/";

pub use crate::domain::FieldError;

/// RFC 9457 problem details, the body of every error response. Some problems
/// carry extra members (`other_program_id`, window dates, `cap`): the schema
/// is an object that allows them, so any RFC 9457 body fits it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://rbpk.kukarkab.go.id/problems/validation_failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "1 field is invalid",
    "code": "validation_failed",
    "errors": [{"field": "head_nik", "message": "must be 16 digits"}]
}))]
pub struct Problem {
    /// URI naming the problem type; ends with `code`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the HTTP status.
    pub title: String,
    pub status: u16,
    /// What went wrong in this request, for humans.
    pub detail: String,
    /// Stable machine code, e.g. `not_found`, `validation_failed`, `stale_etag`.
    pub code: String,
    /// Per-field reasons, for validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra members some problems carry (e.g. `other_program_id`, window
    /// dates): in the schema, the object's additional properties.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: Map<String, Value>,
}

/// Everything that can go wrong in a request. Each variant's doc names its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad JSON, unknown or bad query parameter).
    #[error("{detail}")]
    BadRequest {
        code: String,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 401: no token, a bad token, an expired one, or wrong credentials.
    #[error("{detail}")]
    Unauthorized { code: String, detail: String },
    /// 403: the caller's role may not do this.
    #[error("{detail}")]
    Forbidden { detail: String },
    /// 403 with its own code: the role may do this, but a limit of the
    /// caller's refuses it now (e.g. `exposure_cap_reached`); `extra` says which.
    #[error("{detail}")]
    Refused {
        code: String,
        detail: String,
        extra: Map<String, Value>,
    },
    /// 404: no such record, or a record outside the caller's reach (same answer).
    #[error("{detail}")]
    NotFound { detail: String },
    /// 404 with its own code: the record is in reach but the part asked for
    /// is not there (e.g. `no_document` for a letter without a scan).
    #[error("{detail}")]
    Missing { code: String, detail: String },
    /// 405: the path exists, the method does not; `allow` lists the methods.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    /// 406: the `Accept` header names no media type this operation can
    /// produce (reports answer JSON, CSV and XLSX).
    #[error("{detail}")]
    NotAcceptable { detail: String },
    /// 409: the request conflicts with the state of a record (duplicate, lifecycle,
    /// calendar window, double targeting).
    #[error("{detail}")]
    Conflict {
        code: String,
        detail: String,
        extra: Map<String, Value>,
    },
    /// 412: `If-Match` names a version that is no longer current.
    #[error("{detail}")]
    PreconditionFailed { detail: String },
    /// 413: the body is larger than allowed.
    #[error("{detail}")]
    PayloadTooLarge { detail: String },
    /// 415: the body's media type is not one this operation takes.
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    /// 422: a well-formed request whose content is invalid.
    #[error("{detail}")]
    Unprocessable {
        code: String,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 429: too many attempts; retry after the given seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// 503: the database cannot be reached.
    #[error("{detail}")]
    Unavailable { detail: String },
    /// 500: a bug or an unexpected failure; the detail is logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// 400 for one query parameter.
    pub fn invalid_parameter(name: &str, message: &str) -> Self {
        ApiError::BadRequest {
            code: "invalid_parameter".into(),
            detail: format!("query parameter `{name}` {message}"),
            errors: vec![FieldError::new(name, message)],
        }
    }
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: code.into(),
            detail: detail.into(),
            errors: vec![],
        }
    }
    pub fn unauthorized(code: &str, detail: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            code: code.into(),
            detail: detail.into(),
        }
    }
    pub fn forbidden() -> Self {
        ApiError::Forbidden {
            detail: "your role may not do this".into(),
        }
    }
    pub fn not_found() -> Self {
        ApiError::NotFound {
            detail: "no such record".into(),
        }
    }
    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code: code.into(),
            detail: detail.into(),
            extra: Map::new(),
        }
    }
    /// A conflict carrying extra members (ids, dates) a client can act on.
    pub fn conflict_with(code: &str, detail: impl Into<String>, extra: Value) -> Self {
        let extra = match extra {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        ApiError::Conflict {
            code: code.into(),
            detail: detail.into(),
            extra,
        }
    }
    /// 403 with a code and extra members (e.g. the cap that was reached).
    pub fn refused(code: &str, detail: impl Into<String>, extra: Value) -> Self {
        let extra = match extra {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        ApiError::Refused {
            code: code.into(),
            detail: detail.into(),
            extra,
        }
    }
    /// 404 with a specific code, for a missing part of a record in reach.
    pub fn missing(code: &str, detail: impl Into<String>) -> Self {
        ApiError::Missing {
            code: code.into(),
            detail: detail.into(),
        }
    }
    pub fn unprocessable(code: &str, detail: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            code: code.into(),
            detail: detail.into(),
            errors: vec![],
        }
    }
    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => format!("{}: {}", errors[0].field, errors[0].message),
            n => format!("{n} fields are invalid"),
        };
        ApiError::Unprocessable {
            code: "validation_failed".into(),
            detail,
            errors,
        }
    }
    /// 422 for a single invalid field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }
    pub fn stale() -> Self {
        ApiError::PreconditionFailed {
            detail: "If-Match does not name the current version; fetch the record again".into(),
        }
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError::Internal(detail.into())
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> &str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Refused { code, .. }
            | ApiError::Missing { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotAcceptable { .. } => "not_acceptable",
            ApiError::PreconditionFailed { .. } => "stale_etag",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable { .. } => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The problem document this error renders to.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(_) => "unexpected error; it has been logged".to_string(),
            ApiError::MethodNotAllowed { allow } => format!("this path answers only {allow}"),
            ApiError::TooManyRequests { retry_after } => {
                format!("too many attempts; retry after {retry_after} s")
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => {
                errors.clone()
            }
            _ => vec![],
        };
        let extra = match self {
            ApiError::Conflict { extra, .. } | ApiError::Refused { extra, .. } => extra.clone(),
            _ => Map::new(),
        };
        Problem {
            problem_type: format!("{PROBLEM_TYPE_BASE}{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: self.code().to_string(),
            errors,
            extra,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::Refused { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } | ApiError::Missing { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            log::error!("internal error: {detail}");
        }
        let mut builder = HttpResponse::build(self.status_code());
        builder.content_type("application/problem+json");
        match self {
            ApiError::MethodNotAllowed { allow } => {
                builder.insert_header((header::ALLOW, allow.clone()));
            }
            ApiError::TooManyRequests { retry_after } => {
                builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            ApiError::Unauthorized { .. } => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        builder.json(self.problem())
    }
}

/// The one mapping of storage failures to problems: a duplicate or a
/// concurrent update is 409, a missing reference or a refused value 422,
/// NUL in text 400, an unreachable or busy database 503.
impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        let detail = err.to_string();
        match err {
            DbError::NotFound => ApiError::NotFound { detail },
            DbError::Stale => ApiError::PreconditionFailed { detail },
            DbError::Duplicate => ApiError::conflict("duplicate", detail),
            DbError::ConcurrentUpdate => ApiError::conflict("concurrent_update", detail),
            DbError::MissingReference => ApiError::unprocessable("invalid_reference", detail),
            DbError::InvalidValue => ApiError::unprocessable("invalid_value", detail),
            DbError::NulInText => ApiError::bad_request("invalid_text", detail),
            DbError::Unavailable(_) => ApiError::Unavailable { detail },
            DbError::Conflict { code, extra, .. } => ApiError::Conflict {
                code,
                detail,
                extra,
            },
            DbError::InvalidField { field, message } => ApiError::invalid_field(&field, message),
            DbError::Refused { code, extra, .. } => ApiError::Refused {
                code,
                detail,
                extra,
            },
            DbError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

/// A diesel error met outside `db` (diesel's transaction bookkeeping in
/// [`crate::db::tx`]), read as `db` reads it.
impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        DbError::from(err).into()
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        DbError::from(err).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        DbError::from(err).into()
    }
}

/// A refused program transition: 403 for a role that may not, 409 with the
/// window's dates outside its calendar window, 422 or 409 for a precondition.
impl From<crate::domain::program::TransitionError> for ApiError {
    fn from(e: crate::domain::program::TransitionError) -> Self {
        use crate::domain::program::TransitionError;
        match &e {
            TransitionError::RoleNotAllowed { .. } => ApiError::Forbidden {
                detail: e.to_string(),
            },
            TransitionError::OutsideWindow {
                window,
                code,
                from,
                until,
            } => ApiError::conflict_with(
                code,
                format!("the {window} window is not open today (from {from:?} until {until:?})"),
                serde_json::json!({"window": window.to_string(), "window_from": from, "window_until": until}),
            ),
            TransitionError::Precondition { code, detail } if e.http_status() == 422 => {
                ApiError::unprocessable(code, detail.clone())
            }
            _ => ApiError::conflict(e.code(), e.to_string()),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        ApiError::Internal(format!("json: {err}"))
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errs: validator::ValidationErrors) -> Self {
        let mut fields: Vec<FieldError> = Vec::new();
        collect_validation(&errs, "", &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::validation(fields)
    }
}

fn collect_validation(errs: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errs.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| e.code.to_string());
                    out.push(FieldError::new(name.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_validation(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect_validation(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

impl From<crate::domain::account::BindingError> for ApiError {
    fn from(e: crate::domain::account::BindingError) -> Self {
        ApiError::invalid_field(e.field, e.message)
    }
}

impl From<crate::auth::password::HashError> for ApiError {
    fn from(e: crate::auth::password::HashError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<crate::domain::realisation::ReportError> for ApiError {
    fn from(e: crate::domain::realisation::ReportError) -> Self {
        use crate::domain::realisation::ReportError;
        match &e {
            ReportError::Role { .. } => ApiError::Forbidden {
                detail: e.to_string(),
            },
            ReportError::WrongStatus { .. } => {
                ApiError::conflict("invalid_report_status", e.to_string())
            }
            ReportError::NoteRequired => ApiError::unprocessable("note_required", e.to_string()),
        }
    }
}
