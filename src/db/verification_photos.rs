//! Photos of visits: their metadata only (the bytes are in the object
//! store, `crate::storage`, under `object_key`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::verification_photos as vp;
use super::{now, DbConnection, DbError};

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct PhotoRow {
    pub id: String,
    pub verification_id: String,
    pub content_type: String,
    pub size_bytes: i32,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub object_key: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// A photo about to be recorded: its bytes are already in the store.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub id: String,
    pub verification_id: String,
    pub content_type: &'static str,
    pub size_bytes: i32,
    pub sha256: String,
    pub object_key: String,
}

/// How many photos a visit keeps.
pub fn count(conn: &mut DbConnection, verification_id: &str) -> Result<i64, DbError> {
    Ok(vp::table
        .filter(vp::verification_id.eq(verification_id))
        .count()
        .get_result(conn)?)
}

/// A visit's photos, oldest first.
pub fn list(conn: &mut DbConnection, verification_id: &str) -> Result<Vec<PhotoRow>, DbError> {
    Ok(vp::table
        .filter(vp::verification_id.eq(verification_id))
        .order((vp::created_at.asc(), vp::id.asc()))
        .load(conn)?)
}

/// One photo by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<PhotoRow, DbError> {
    Ok(vp::table.filter(vp::id.eq(id)).first(conn)?)
}

/// Records a photo's metadata, audited.
pub fn insert(conn: &mut DbConnection, actor: &Actor, p: &NewPhoto) -> Result<PhotoRow, DbError> {
    let row = diesel::insert_into(vp::table)
        .values((
            vp::id.eq(&p.id),
            vp::verification_id.eq(&p.verification_id),
            vp::content_type.eq(p.content_type),
            vp::size_bytes.eq(p.size_bytes),
            vp::sha256.eq(&p.sha256),
            vp::object_key.eq(&p.object_key),
            vp::created_by.eq(&actor.name),
            vp::created_at.eq(now()),
        ))
        .returning(vp::all_columns)
        .get_result::<PhotoRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "verification_photo",
        &row.id,
        None,
        Some(
            &json!({"verification_id": row.verification_id, "content_type": row.content_type,
            "size_bytes": row.size_bytes, "sha256": row.sha256}),
        ),
    )?;
    Ok(row)
}
