//! Stored outcomes of POST requests sent with an `Idempotency-Key`, so that a
//! client (an ERP retrying after a time-out) gets the first answer again.

use diesel::prelude::*;

use super::schema::idempotency_keys as ik;
use super::DbError;
use super::{now, DbConnection};

/// What a key already stands for.
pub enum Claim {
    /// The key is new: it is now reserved for this request.
    Reserved,
    /// The same request finished before: replay its response.
    Replay {
        status: u16,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
    /// The same request is still running.
    InProgress,
    /// The key was used for another request (other body, method or path).
    Mismatch,
}

/// Reserves `key` for this request, or says what it already stands for.
pub fn claim(
    conn: &mut DbConnection,
    actor: &str,
    key: &str,
    method: &str,
    path: &str,
    body_hash: &str,
) -> Result<Claim, DbError> {
    let existing = ik::table
        .filter(ik::actor.eq(actor))
        .filter(ik::idem_key.eq(key))
        .select((
            ik::method,
            ik::path,
            ik::body_hash,
            ik::status,
            ik::response_body,
            ik::response_headers,
        ))
        .first::<(
            String,
            String,
            String,
            Option<i32>,
            Option<Vec<u8>>,
            Option<String>,
        )>(conn)
        .optional()?;
    match existing {
        None => {
            let inserted = diesel::insert_into(ik::table)
                .values((
                    ik::actor.eq(actor),
                    ik::idem_key.eq(key),
                    ik::method.eq(method),
                    ik::path.eq(path),
                    ik::body_hash.eq(body_hash),
                    ik::created_at.eq(now()),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => Ok(Claim::Reserved),
                // Another instance reserved it between our read and our insert.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => Ok(Claim::InProgress),
                Err(e) => Err(e.into()),
            }
        }
        Some((m, p, h, status, body, headers)) => {
            if m != method || p != path || h != body_hash {
                return Ok(Claim::Mismatch);
            }
            match status {
                None => Ok(Claim::InProgress),
                Some(status) => Ok(Claim::Replay {
                    status: u16::try_from(status).unwrap_or(500),
                    body: body.unwrap_or_default(),
                    headers: headers
                        .and_then(|h| serde_json::from_str(&h).ok())
                        .unwrap_or_default(),
                }),
            }
        }
    }
}

/// Stores the response a reserved key stands for from now on.
pub fn complete(
    conn: &mut DbConnection,
    actor: &str,
    key: &str,
    status: u16,
    body: &[u8],
    headers: &[(String, String)],
) -> Result<(), DbError> {
    let headers = serde_json::to_string(headers)?;
    diesel::update(
        ik::table
            .filter(ik::actor.eq(actor))
            .filter(ik::idem_key.eq(key)),
    )
    .set((
        ik::status.eq(Some(i32::from(status))),
        ik::response_body.eq(Some(body.to_vec())),
        ik::response_headers.eq(Some(headers)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Frees a reserved key whose request failed on our side, so a retry can run.
pub fn release(conn: &mut DbConnection, actor: &str, key: &str) -> Result<(), DbError> {
    diesel::delete(
        ik::table
            .filter(ik::actor.eq(actor))
            .filter(ik::idem_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}
