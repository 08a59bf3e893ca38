//! Import records: what was uploaded, how far its processing got, and what it
//! did. They outlive the process: an import cut off by a restart is marked
//! `failed` with the reason when the service starts again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::household_imports as hi;
use super::DbError;
use super::{new_id, now, DbConnection};
use crate::domain::household::{ImportFormat, ImportStatus};
use crate::import::p3ke::RejectedRow;

/// At most this many rejected rows are kept with their reasons; all are counted.
pub const MAX_REJECTED_KEPT: usize = 1000;

#[derive(Debug, Clone, Queryable)]
pub struct ImportRow {
    pub id: String,
    pub format: ImportFormat,
    pub media_type: String,
    pub status: ImportStatus,
    pub rows_total: i32,
    pub rows_done: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected_count: i32,
    pub rejected: String,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// The snapshot the file belongs to (`None` only for records from before
    /// datasets, which the migration gave one).
    pub dataset_id: Option<String>,
}

impl ImportRow {
    pub fn rejected_rows(&self) -> Vec<RejectedRow> {
        serde_json::from_str(&self.rejected).unwrap_or_default()
    }
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    format: ImportFormat,
    media_type: &str,
    rows_total: usize,
    dataset_id: &str,
) -> Result<ImportRow, DbError> {
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(hi::table)
        .values((
            hi::id.eq(&id),
            hi::format.eq(format),
            hi::media_type.eq(media_type),
            hi::status.eq(ImportStatus::Queued),
            hi::rows_total.eq(i32::try_from(rows_total).unwrap_or(i32::MAX)),
            hi::dataset_id.eq(dataset_id),
            hi::created_by.eq(&actor.name),
            hi::created_at.eq(t),
            hi::updated_at.eq(t),
        ))
        .returning(hi::all_columns)
        .get_result::<ImportRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "household_import",
        &id,
        None,
        Some(
            &json!({"format": format, "media_type": media_type, "rows_total": rows_total,
            "dataset_id": dataset_id}),
        ),
    )?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<ImportRow, DbError> {
    Ok(hi::table.find(id).first::<ImportRow>(conn)?)
}

pub fn set_status(conn: &mut DbConnection, id: &str, status: ImportStatus) -> Result<(), DbError> {
    diesel::update(hi::table.find(id))
        .set((hi::status.eq(status), hi::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// What one written batch adds to an import's counts.
#[derive(Debug, Default)]
pub struct Progress {
    pub rows_done: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<RejectedRow>,
}

/// Adds a batch's counts; call it in the batch's transaction so counts and
/// data never disagree.
pub fn advance(conn: &mut DbConnection, id: &str, p: &Progress) -> Result<(), DbError> {
    let current = get(conn, id)?;
    let mut kept = current.rejected_rows();
    let room = MAX_REJECTED_KEPT.saturating_sub(kept.len());
    kept.extend(p.rejected.iter().take(room).cloned());
    let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    diesel::update(hi::table.find(id))
        .set((
            hi::rows_done.eq(n(p.rows_done).max(current.rows_done)),
            hi::created.eq(current.created + n(p.created)),
            hi::updated.eq(current.updated + n(p.updated)),
            hi::unchanged.eq(current.unchanged + n(p.unchanged)),
            hi::rejected_count.eq(current.rejected_count + n(p.rejected.len())),
            hi::rejected.eq(serde_json::to_string(&kept)?),
            hi::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks an import finished: `done`, or `failed` with the reason.
pub fn finish(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    error: Option<&str>,
    rows_total: Option<usize>,
) -> Result<ImportRow, DbError> {
    let t = now();
    let status = if error.is_some() {
        ImportStatus::Failed
    } else {
        ImportStatus::Done
    };
    let current = get(conn, id)?;
    let rows_total = rows_total
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(current.rows_total);
    let row = diesel::update(hi::table.find(id))
        .set((
            hi::status.eq(status),
            hi::error.eq(error),
            hi::rows_total.eq(rows_total),
            hi::rows_done.eq(if error.is_some() {
                current.rows_done
            } else {
                rows_total
            }),
            hi::updated_at.eq(t),
            hi::finished_at.eq(Some(t)),
        ))
        .returning(hi::all_columns)
        .get_result::<ImportRow>(conn)?;
    audit::record(
        conn,
        actor,
        status.as_str(),
        "household_import",
        id,
        None,
        Some(
            &json!({"created": row.created, "updated": row.updated, "unchanged": row.unchanged,
            "rejected": row.rejected_count, "error": row.error}),
        ),
    )?;
    Ok(row)
}

/// Imports left `queued` or `running` by a process that stopped: they will
/// never finish, so say so. Returns how many there were.
pub fn fail_interrupted(conn: &mut DbConnection) -> Result<usize, DbError> {
    let t = now();
    Ok(diesel::update(
        hi::table.filter(hi::status.eq_any([ImportStatus::Queued, ImportStatus::Running])),
    )
    .set((
        hi::status.eq(ImportStatus::Failed),
        hi::error.eq(Some(
            "interrupted: the service stopped before the import finished; \
                 the batches written so far are complete, and importing the file again is safe",
        )),
        hi::updated_at.eq(t),
        hi::finished_at.eq(Some(t)),
    ))
    .execute(conn)?)
}
