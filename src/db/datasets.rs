//! Datasets and which households each snapshot holds.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{datasets as d, household_datasets as hd};
use super::{check_version, new_id, now, DbConnection, DbError, IfMatch};
use crate::domain::dataset::{BastType, DatasetFields, DatasetSource};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = d)]
pub struct DatasetRow {
    pub id: String,
    pub source: DatasetSource,
    pub snapshot_version: String,
    pub condition_date: Option<NaiveDate>,
    pub received_on: Option<NaiveDate>,
    pub bast_number: Option<String>,
    pub bast_type: Option<BastType>,
    pub onward_sharing: bool,
    pub expires_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DatasetRow {
    pub fn fields(&self) -> DatasetFields {
        DatasetFields {
            source: self.source,
            version: self.snapshot_version.clone(),
            condition_date: self.condition_date,
            received_on: self.received_on,
            bast_number: self.bast_number.clone(),
            bast_type: self.bast_type,
            onward_sharing: self.onward_sharing,
            expires_on: self.expires_on,
            notes: self.notes.clone(),
        }
    }

    fn audit_value(&self) -> serde_json::Value {
        json!({
            "source": self.source, "version": self.snapshot_version,
            "condition_date": self.condition_date, "received_on": self.received_on,
            "bast_number": self.bast_number, "bast_type": self.bast_type,
            "onward_sharing": self.onward_sharing, "expires_on": self.expires_on,
            "notes": self.notes,
        })
    }
}

/// A dataset as the households list names it.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct DatasetRef {
    pub id: String,
    pub source: DatasetSource,
    pub version: String,
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    f: &DatasetFields,
) -> Result<DatasetRow, DbError> {
    let t = now();
    let row = diesel::insert_into(d::table)
        .values((
            d::id.eq(new_id()),
            d::source.eq(f.source),
            d::snapshot_version.eq(f.version.trim()),
            d::condition_date.eq(f.condition_date),
            d::received_on.eq(f.received_on),
            d::bast_number.eq(f.bast_number.as_deref().map(str::trim)),
            d::bast_type.eq(f.bast_type),
            d::onward_sharing.eq(f.onward_sharing),
            d::expires_on.eq(f.expires_on),
            d::notes.eq(f.notes.as_deref()),
            d::version.eq(1),
            d::created_at.eq(t),
            d::updated_at.eq(t),
        ))
        .returning(d::all_columns)
        .get_result::<DatasetRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "dataset",
        &row.id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<DatasetRow, DbError> {
    Ok(d::table
        .find(id)
        .select(DatasetRow::as_select())
        .first(conn)?)
}

/// A page of datasets, newest first, of one source or all.
pub fn list(
    conn: &mut DbConnection,
    source: Option<DatasetSource>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<DatasetRow>, i64), DbError> {
    let filtered = || {
        let mut q = d::table.into_boxed();
        if let Some(s) = source {
            q = q.filter(d::source.eq(s));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((d::created_at.desc(), d::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(DatasetRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Replaces a dataset's fields if `expected` is still its version. The source
/// never changes: the imports of the snapshot were read as that source.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    expected: IfMatch,
    f: &DatasetFields,
) -> Result<DatasetRow, DbError> {
    let before = get(conn, id)?;
    check_version(&expected, before.version)?;
    let row = diesel::update(
        d::table
            .filter(d::id.eq(id))
            .filter(d::version.eq(before.version)),
    )
    .set((
        d::snapshot_version.eq(f.version.trim()),
        d::condition_date.eq(f.condition_date),
        d::received_on.eq(f.received_on),
        d::bast_number.eq(f.bast_number.as_deref().map(str::trim)),
        d::bast_type.eq(f.bast_type),
        d::onward_sharing.eq(f.onward_sharing),
        d::expires_on.eq(f.expires_on),
        d::notes.eq(f.notes.as_deref()),
        d::version.eq(before.version + 1),
        d::updated_at.eq(now()),
    ))
    .returning(d::all_columns)
    .get_result::<DatasetRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        "update",
        "dataset",
        id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// How many households each dataset holds.
pub fn households_counts(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, i64>, DbError> {
    let rows: Vec<(String, i64)> = hd::table
        .filter(hd::dataset_id.eq_any(ids))
        .group_by(hd::dataset_id)
        .select((hd::dataset_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Records that the snapshot holds these households, each with the No. KK
/// the snapshot gave it (again is a no-op).
pub fn link(
    conn: &mut DbConnection,
    dataset: &str,
    households: &[(String, Option<String>)],
) -> Result<(), DbError> {
    if households.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = households.iter().map(|(id, _)| id.as_str()).collect();
    let already: std::collections::HashSet<String> = hd::table
        .filter(hd::dataset_id.eq(dataset))
        .filter(hd::household_id.eq_any(&ids))
        .select(hd::household_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let t = now();
    let rows: Vec<Link> = households
        .iter()
        .filter(|(h, _)| !already.contains(h))
        .map(|(h, kk)| Link {
            household_id: h.clone(),
            dataset_id: dataset.to_string(),
            linked_at: t,
            kk_number: kk.clone(),
        })
        .collect();
    // Each backend's own connection, as in `registry_writer`: SQLite steps
    // prepared inserts of a group of rows, PostgreSQL copies them.
    match conn {
        DbConnection::Sqlite(c) => {
            super::grouped_insert::insert_grouped!(c, hd::table, rows.into_iter())
        }
        DbConnection::Postgresql(c) => {
            super::copy::copy_rows::<Links, _>(c, &rows)?;
        }
    }
    Ok(())
}

/// A household's link to a dataset, as written: prepared inserts on SQLite
/// (no `DEFAULT`, as `registry_writer`'s rows). Owned: a statement kept by
/// its type needs a type that outlives any one batch.
#[derive(Insertable, serde::Serialize)]
#[diesel(table_name = hd, treat_none_as_default_value = false)]
struct Link {
    household_id: String,
    dataset_id: String,
    linked_at: NaiveDateTime,
    kk_number: Option<String>,
}

struct Links;
impl super::copy::CopyInto for Links {
    type Table = hd::table;
    const TARGET: &'static str = "household_datasets";
    fn columns() -> &'static std::sync::OnceLock<String> {
        static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        &COLUMNS
    }
}

/// The datasets behind each of these households, newest first.
pub fn of_households(
    conn: &mut DbConnection,
    households: &[String],
) -> Result<HashMap<String, Vec<DatasetRef>>, DbError> {
    let rows: Vec<(String, DatasetRef)> = hd::table
        .inner_join(d::table)
        .filter(hd::household_id.eq_any(households))
        .order((d::created_at.desc(), d::id.desc()))
        .select((hd::household_id, (d::id, d::source, d::snapshot_version)))
        .load(conn)?;
    let mut out: HashMap<String, Vec<DatasetRef>> = HashMap::new();
    for (household, dataset) in rows {
        out.entry(household).or_default().push(dataset);
    }
    Ok(out)
}

/// The dataset an import of `format` belongs to: the one named, which must
/// exist and be of the import's source, or one made for it (the way P3KE and
/// DTKS files arrived before datasets: shared onward as they always were).
pub fn for_import(
    conn: &mut DbConnection,
    actor: &Actor,
    source: DatasetSource,
    named: Option<&str>,
    today: NaiveDate,
) -> Result<DatasetRow, DbError> {
    let Some(id) = named else {
        return create(
            conn,
            actor,
            &DatasetFields {
                source,
                version: format!("import of {today}"),
                condition_date: None,
                received_on: Some(today),
                bast_number: None,
                bast_type: None,
                onward_sharing: true,
                expires_on: None,
                notes: Some("Made for an import that named no dataset".into()),
            },
        );
    };
    let row = match get(conn, id) {
        Err(DbError::NotFound) => {
            return Err(DbError::InvalidField {
                field: "dataset_id".into(),
                message: "no such dataset".into(),
            })
        }
        other => other?,
    };
    if row.source != source {
        return Err(DbError::InvalidField {
            field: "dataset_id".into(),
            message: format!("is a {} dataset; this file is {source}", row.source),
        });
    }
    Ok(row)
}

/// After a full snapshot (`dataset`, a DTSEN family file) was imported: the
/// families an older snapshot of its source held and this one does not are
/// flagged `not_in_latest_snapshot` (never deleted), and the ones it holds
/// lose the flag; each flip is in their history. A snapshot older than
/// another of its source changes no flag. Returns the families flagged.
pub fn mark_missing(
    conn: &mut DbConnection,
    actor: &Actor,
    import_id: &str,
    dataset: &str,
) -> Result<usize, DbError> {
    use super::household_changes::{record, ChangeKind, Origin};
    use super::schema::households as h;
    use crate::domain::history::FieldChange;
    let this = get(conn, dataset)?;
    let taken_on = |r: &DatasetRow| {
        r.condition_date
            .or(r.received_on)
            .unwrap_or(r.created_at.date())
    };
    let newer = d::table
        .filter(d::source.eq(this.source))
        .filter(d::id.ne(dataset))
        .select(DatasetRow::as_select())
        .load::<DatasetRow>(conn)?
        .iter()
        .any(|r| (taken_on(r), r.created_at) > (taken_on(&this), this.created_at));
    if newer {
        return Ok(0);
    }
    let held = hd::table
        .filter(hd::dataset_id.eq(dataset))
        .select(hd::household_id);
    let older = hd::table
        .inner_join(d::table)
        .filter(d::source.eq(this.source))
        .filter(d::id.ne(dataset))
        .select(hd::household_id);
    let missing: Vec<String> = h::table
        .filter(h::id.eq_any(older))
        .filter(diesel::dsl::not(h::id.eq_any(held)))
        .filter(h::not_in_latest_snapshot.eq(false))
        .select(h::id)
        .load(conn)?;
    let back: Vec<String> = h::table
        .filter(h::id.eq_any(held))
        .filter(h::not_in_latest_snapshot.eq(true))
        .select(h::id)
        .load(conn)?;
    let t = now();
    let origin = Origin {
        kind: ChangeKind::Snapshot,
        actor,
        dataset: Some(dataset),
        import: Some(import_id),
    };
    for (ids, flag) in [(&missing, true), (&back, false)] {
        for chunk in ids.chunks(1000) {
            diesel::update(h::table.filter(h::id.eq_any(chunk)))
                .set((
                    h::not_in_latest_snapshot.eq(flag),
                    h::version.eq(h::version + 1),
                    h::updated_at.eq(t),
                ))
                .execute(conn)?;
            let flipped: Vec<(String, Vec<FieldChange>)> = chunk
                .iter()
                .map(|id| {
                    let change = FieldChange {
                        field: "not_in_latest_snapshot".into(),
                        from: json!(!flag),
                        to: json!(flag),
                    };
                    (id.clone(), vec![change])
                })
                .collect();
            record(conn, &origin, &flipped)?;
        }
    }
    Ok(missing.len())
}
