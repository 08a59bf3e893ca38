//! Deliveries and the metadata of their evidence (the bytes are in the
//! object store, `crate::storage`, under `object_key`). Every change is
//! audited here, with the row before and after.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{deliveries as d, delivery_evidence as ev};
use super::{check_version, new_id, now, DbConnection, DbError, IfMatch};
use crate::domain::delivery::DeliveryFields;

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct DeliveryRow {
    pub id: String,
    pub program_id: String,
    pub target_id: String,
    pub delivered_on: NaiveDate,
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    pub value: i64,
    pub handover_number: Option<String>,
    pub notes: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub recorded_by: String,
    pub confirmed_on: Option<NaiveDate>,
    pub confirmed_by: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct EvidenceRow {
    pub id: String,
    pub delivery_id: String,
    pub content_type: String,
    pub size_bytes: i32,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub object_key: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Evidence about to be recorded: its bytes are already in the store.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub id: String,
    pub delivery_id: String,
    pub content_type: &'static str,
    pub size_bytes: i32,
    pub sha256: String,
    pub object_key: String,
}

fn audit_value(r: &DeliveryRow) -> serde_json::Value {
    json!({"program_id": r.program_id, "target_id": r.target_id, "delivered_on": r.delivered_on,
        "item": r.item, "quantity": r.quantity, "unit": r.unit, "value": r.value,
        "handover_number": r.handover_number, "confirmed_on": r.confirmed_on, "confirmed_by": r.confirmed_by})
}

/// Records a delivery of target `target_id` of program `program_id`.
pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    program_id: &str,
    target_id: &str,
    f: &DeliveryFields,
) -> Result<DeliveryRow, DbError> {
    let t = now();
    let row = diesel::insert_into(d::table)
        .values((
            d::id.eq(new_id()),
            d::program_id.eq(program_id),
            d::target_id.eq(target_id),
            d::delivered_on.eq(f.delivered_on),
            d::item.eq(&f.item),
            d::quantity.eq(f.quantity),
            d::unit.eq(&f.unit),
            d::value.eq(f.value),
            d::handover_number.eq(&f.handover_number),
            d::notes.eq(&f.notes),
            d::latitude.eq(f.latitude),
            d::longitude.eq(f.longitude),
            d::recorded_by.eq(&actor.name),
            d::version.eq(1),
            d::created_at.eq(t),
            d::updated_at.eq(t),
        ))
        .returning(d::all_columns)
        .get_result::<DeliveryRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "delivery",
        &row.id,
        None,
        Some(&audit_value(&row)),
    )?;
    Ok(row)
}

/// One delivery by id (reach is the caller's to check, by its program).
pub fn get(conn: &mut DbConnection, id: &str) -> Result<DeliveryRow, DbError> {
    Ok(d::table.filter(d::id.eq(id)).first(conn)?)
}

/// A target's deliveries, by date, and how many there are.
pub fn of_target(
    conn: &mut DbConnection,
    target_id: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<DeliveryRow>, i64), DbError> {
    let total = d::table
        .filter(d::target_id.eq(target_id))
        .count()
        .get_result(conn)?;
    let rows = d::table
        .filter(d::target_id.eq(target_id))
        .order((d::delivered_on.asc(), d::created_at.asc(), d::id.asc()))
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// Marks a delivery confirmed on `on` (`expected`: the version the client read).
pub fn confirm(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &DeliveryRow,
    expected: IfMatch,
    on: NaiveDate,
) -> Result<DeliveryRow, DbError> {
    check_version(&expected, before.version)?;
    let row = diesel::update(
        d::table
            .filter(d::id.eq(&before.id))
            .filter(d::version.eq(before.version))
            .filter(d::confirmed_on.is_null()),
    )
    .set((
        d::confirmed_on.eq(on),
        d::confirmed_by.eq(&actor.name),
        d::version.eq(before.version + 1),
        d::updated_at.eq(now()),
    ))
    .returning(d::all_columns)
    .get_result::<DeliveryRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        "confirm",
        "delivery",
        &row.id,
        Some(&audit_value(before)),
        Some(&audit_value(&row)),
    )?;
    Ok(row)
}

/// Deletes an unconfirmed delivery and its evidence rows; returns the
/// evidence's object keys, for the store.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &DeliveryRow,
    expected: IfMatch,
) -> Result<Vec<String>, DbError> {
    check_version(&expected, before.version)?;
    let keys: Vec<String> = ev::table
        .filter(ev::delivery_id.eq(&before.id))
        .select(ev::object_key)
        .load(conn)?;
    diesel::delete(ev::table.filter(ev::delivery_id.eq(&before.id))).execute(conn)?;
    let n = diesel::delete(
        d::table
            .filter(d::id.eq(&before.id))
            .filter(d::version.eq(before.version))
            .filter(d::confirmed_on.is_null()),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(DbError::Stale);
    }
    audit::record(
        conn,
        actor,
        "delete",
        "delivery",
        &before.id,
        Some(&audit_value(before)),
        None,
    )?;
    Ok(keys)
}

/// The evidence of the given deliveries, oldest first.
pub fn evidence_of(
    conn: &mut DbConnection,
    delivery_ids: &[String],
) -> Result<Vec<EvidenceRow>, DbError> {
    Ok(ev::table
        .filter(ev::delivery_id.eq_any(delivery_ids))
        .order((ev::created_at.asc(), ev::id.asc()))
        .load(conn)?)
}

/// How many evidence files a delivery keeps.
pub fn evidence_count(conn: &mut DbConnection, delivery_id: &str) -> Result<i64, DbError> {
    Ok(ev::table
        .filter(ev::delivery_id.eq(delivery_id))
        .count()
        .get_result(conn)?)
}

/// One evidence file's metadata by id.
pub fn evidence(conn: &mut DbConnection, id: &str) -> Result<EvidenceRow, DbError> {
    Ok(ev::table.filter(ev::id.eq(id)).first(conn)?)
}

/// Records an evidence file's metadata, audited.
pub fn insert_evidence(
    conn: &mut DbConnection,
    actor: &Actor,
    e: &NewEvidence,
) -> Result<EvidenceRow, DbError> {
    let row = diesel::insert_into(ev::table)
        .values((
            ev::id.eq(&e.id),
            ev::delivery_id.eq(&e.delivery_id),
            ev::content_type.eq(e.content_type),
            ev::size_bytes.eq(e.size_bytes),
            ev::sha256.eq(&e.sha256),
            ev::object_key.eq(&e.object_key),
            ev::created_by.eq(&actor.name),
            ev::created_at.eq(now()),
        ))
        .returning(ev::all_columns)
        .get_result::<EvidenceRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "delivery_evidence",
        &row.id,
        None,
        Some(
            &json!({"delivery_id": row.delivery_id, "content_type": row.content_type,
            "size_bytes": row.size_bytes, "sha256": row.sha256}),
        ),
    )?;
    Ok(row)
}
