//! What can go wrong in storage, said in storage and domain terms: a duplicate
//! value, a missing reference, a stale version, a refused write. Which
//! backend message means what (SQLite's "database is locked", PostgreSQL's
//! refusal of NUL) is decided here, with the other backend-specific lines;
//! which HTTP status and problem code each gets is decided once, in
//! `error.rs` (`From<DbError> for ApiError`).
//!
//! The `Display` of each variant is the sentence a client reads as the
//! problem's `detail` (and an import as a rejected row's reason), so it
//! names what conflicted, never how the database is built.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Map, Value};

/// A failure of a query or of a rule checked against stored records.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No such record, or one outside the caller's reach.
    #[error("no such record")]
    NotFound,
    /// The `If-Match` version is no longer the record's current one.
    #[error("If-Match does not name the current version; fetch the record again")]
    Stale,
    /// A unique value (an id, a NIB, a number) is already stored.
    #[error("a record with the same unique value already exists")]
    Duplicate,
    /// A referenced record (foreign key) does not exist.
    #[error("a referenced record does not exist")]
    MissingReference,
    /// A value breaks a CHECK or NOT NULL constraint.
    #[error("a value is outside what the registry accepts")]
    InvalidValue,
    /// Another transaction changed the same records (a serialization failure).
    #[error("another request changed the same records; retry")]
    ConcurrentUpdate,
    /// Text the backend cannot store: PostgreSQL refuses NUL (U+0000), which
    /// JSON and URLs can carry; SQLite stores it.
    #[error("text must not contain the NUL character (U+0000)")]
    NulInText,
    /// The database cannot be reached, lost the connection or is busy; the
    /// message says which.
    #[error("{0}")]
    Unavailable(&'static str),
    /// A stored record conflicts with the write (a domain rule: the household
    /// is already targeted, the cycle exists); `code` names the rule, `extra`
    /// carries what a client can act on.
    #[error("{detail}")]
    Conflict {
        code: String,
        detail: String,
        extra: Map<String, Value>,
    },
    /// One input field does not fit what is stored (an unknown region code,
    /// a household that is not active).
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// A limit of the caller's refuses the read (the exposure cap); `extra`
    /// says which.
    #[error("{detail}")]
    Refused {
        code: String,
        detail: String,
        extra: Map<String, Value>,
    },
    /// A bug or an unexpected failure (a stored value that does not parse,
    /// an unknown backend error); logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl DbError {
    /// A conflict with a rule's code.
    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        DbError::Conflict {
            code: code.into(),
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// A conflict carrying extra members (ids, dates) a client can act on.
    pub fn conflict_with(code: &str, detail: impl Into<String>, extra: Value) -> Self {
        DbError::Conflict {
            code: code.into(),
            detail: detail.into(),
            extra: object(extra),
        }
    }

    /// A refusal by a limit of the caller's, with the limit in `extra`.
    pub fn refused(code: &str, detail: impl Into<String>, extra: Value) -> Self {
        DbError::Refused {
            code: code.into(),
            detail: detail.into(),
            extra: object(extra),
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        DbError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        DbError::Internal(detail.into())
    }

    /// Whether the write collided with a stored record: a duplicate unique
    /// value, or a concurrent writer of the same records.
    pub fn is_collision(&self) -> bool {
        matches!(self, DbError::Duplicate | DbError::ConcurrentUpdate)
    }
}

/// For `.map_err`: a collision ([`DbError::is_collision`]) read as the
/// record's own conflict (`household_exists`, `nib_taken`); anything else
/// keeps its meaning (e.g. a busy database).
pub fn taken(code: &'static str, detail: impl Into<String>) -> impl FnOnce(DieselError) -> DbError {
    let detail = detail.into();
    move |e| match DbError::from(e) {
        e if e.is_collision() => DbError::conflict(code, detail),
        other => other,
    }
}

fn object(extra: Value) -> Map<String, Value> {
    match extra {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    // The constraint's name is enough for the log; the client
                    // learns what conflicted, not how the database is built.
                    log::info!("unique violation: {}", info.message());
                    DbError::Duplicate
                }
                DatabaseErrorKind::ForeignKeyViolation => DbError::MissingReference,
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    log::info!("constraint violation: {}", info.message());
                    DbError::InvalidValue
                }
                DatabaseErrorKind::SerializationFailure => DbError::ConcurrentUpdate,
                DatabaseErrorKind::ClosedConnection => {
                    DbError::Unavailable("the database connection was lost")
                }
                _ => {
                    let msg = info.message();
                    // SQLite reports a busy database as a plain error, not a kind.
                    if msg.contains("database is locked") {
                        DbError::Unavailable("the database is busy; retry")
                    } else if msg.contains("invalid byte sequence for encoding") {
                        DbError::NulInText
                    } else {
                        DbError::Internal(format!("database error: {msg}"))
                    }
                }
            },
            other => DbError::Internal(format!("database error: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        log::warn!("database unavailable: {err}");
        DbError::Unavailable("the database cannot be reached")
    }
}

impl From<actix_web::error::BlockingError> for DbError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        DbError::Internal("blocking task was cancelled".into())
    }
}

/// A value that does not serialize to JSON (an audit value, a stored list) is a bug.
impl From<serde_json::Error> for DbError {
    fn from(err: serde_json::Error) -> Self {
        DbError::Internal(format!("json: {err}"))
    }
}

/// An account whose binding (company, agency) does not fit its role.
impl From<crate::domain::account::BindingError> for DbError {
    fn from(e: crate::domain::account::BindingError) -> Self {
        DbError::invalid_field(e.field, e.message)
    }
}
