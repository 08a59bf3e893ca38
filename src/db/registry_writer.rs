//! Writing imported families and members in batches: match each record to the
//! registry (P3KE id, then DTKS id, then head NIK + name; a DTSEN family by
//! No. KK, then its head's NIK, then any of its members' NIKs; members by P3KE
//! individual id, then NIK, then name within the family), then insert, update
//! or leave it, and say what moved. Each batch runs in its caller's transaction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::exposure::HouseholdCondition;
use super::grouped_insert::insert_grouped;
use super::household_changes as history;
use super::households::{HouseholdRow, HouseholdValues, MemberRow, MemberValues};
use super::row_time::RowTime;
use super::schema::{households as h, members as m};
use super::{copy, DbError};
use super::{new_id, now, DbConnection};
use crate::domain::history::{changes, FieldChange};
use crate::domain::household::{
    merge_imported_household, merge_imported_member, name_key, HouseholdRecord, HouseholdStatus,
    ImportFormat, MemberRecord,
};
use crate::import::limits::echo;
use crate::import::p3ke::{Parsed, RejectedRow};

/// What one batch did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
    /// Every household a family batch holds (created, updated or unchanged)
    /// with the No. KK the file gives it: the ones its dataset now names.
    /// Empty for members.
    pub households: Vec<(String, Option<String>)>,
    /// What moved in each household that was there before the batch.
    pub changes: Vec<(String, Vec<FieldChange>)>,
    pub rejected: Vec<RejectedRow>,
}

/// A record read from a file, with the values a new row of it is written
/// with when they were made as it was read: on SQLite the reader makes
/// them (`import::job`), so the writer, the bound there, only writes them.
/// Making them (the content hash is a SHA-256 of the record's JSON) took a
/// tenth of the SQLite writer's time in a 270,000-family DTSEN import
/// (docs/PERFORMANCE.md, session 20).
pub struct Prepared<R, V> {
    pub parsed: Parsed<R>,
    values: Option<V>,
}

impl<R, V: for<'r> From<&'r R>> Prepared<R, V> {
    /// The record, with its values made now or as it is written.
    pub fn new(parsed: Parsed<R>, make_values: bool) -> Self {
        let values = make_values.then(|| V::from(&parsed.record));
        Prepared { parsed, values }
    }

    /// Lets go of the values made as it was read: the record has changed
    /// since.
    pub fn changed(&mut self) {
        self.values = None;
    }

    /// The values its new row is written with: those made as it was read,
    /// handed over once; else made now (also when the record changed, or
    /// when a batch that failed is written again row by row).
    fn take_values(&mut self) -> V {
        self.values
            .take()
            .unwrap_or_else(|| V::from(&self.parsed.record))
    }
}

pub type PreparedFamily = Prepared<HouseholdRecord, HouseholdValues>;
pub type PreparedMember = Prepared<MemberRecord, MemberValues>;

#[derive(Insertable, serde::Serialize)]
#[diesel(table_name = h, treat_none_as_default_value = false)]
struct NewHousehold {
    id: String,
    #[diesel(embed)]
    #[serde(flatten)]
    values: HouseholdValues,
    status: HouseholdStatus,
    needs_update: bool,
    version: i32,
    created_at: RowTime,
    updated_at: RowTime,
}

#[derive(Insertable, serde::Serialize)]
#[diesel(table_name = m, treat_none_as_default_value = false)]
struct NewMember {
    id: String,
    household_id: String,
    #[diesel(embed)]
    #[serde(flatten)]
    values: MemberValues,
    version: i32,
    created_at: RowTime,
    updated_at: RowTime,
}

/// A household the batch changes: its new values and bookkeeping.
#[derive(serde::Serialize)]
struct HouseholdUpdate {
    id: String,
    #[serde(flatten)]
    values: HouseholdValues,
    not_in_latest_snapshot: bool,
    version: i32,
    updated_at: NaiveDateTime,
}

/// A member the batch changes.
#[derive(serde::Serialize)]
struct MemberUpdate {
    id: String,
    #[serde(flatten)]
    values: MemberValues,
    version: i32,
    updated_at: NaiveDateTime,
}

/// Where the PostgreSQL import copies each kind of row (`db::copy`): new
/// rows into their tables, changed ones into a temporary table that one
/// `UPDATE … FROM` then applies.
macro_rules! copy_target {
    ($name:ident, $table:path, $target:literal) => {
        struct $name;
        impl copy::CopyInto for $name {
            type Table = $table;
            const TARGET: &'static str = $target;
            fn columns() -> &'static std::sync::OnceLock<String> {
                static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                &COLUMNS
            }
        }
    };
}
copy_target!(NewHouseholds, h::table, "households");
copy_target!(NewMembers, m::table, "members");
copy_target!(HouseholdUpdates, h::table, "import_household_updates");
copy_target!(MemberUpdates, m::table, "import_member_updates");

/// New rows: one `COPY` on PostgreSQL; on SQLite inserts of a fixed number
/// of rows (`grouped_insert`), in the batch's transaction. Every column is
/// bound (no `DEFAULT`: the values are `treat_none_as_default_value =
/// false`), so diesel prepares each insert once and keeps it; a row with a
/// `DEFAULT` has its SQL built anew each time — in the profile of a
/// 270,000-family import that building took a sixth of the writer's time;
/// an insert of a batch's whole rows would be parsed anew each batch. The
/// rows come as an iterator that makes each one (its
/// values, its content hash) as it is written: on PostgreSQL while the
/// COPY stores the rows before it (`copy::copy_rows`).
fn insert_households(
    conn: &mut DbConnection,
    rows: impl ExactSizeIterator<Item = NewHousehold>,
) -> Result<(), DbError> {
    if rows.len() == 0 {
        return Ok(());
    }
    match conn {
        DbConnection::Sqlite(c) => insert_grouped!(c, h::table, rows),
        DbConnection::Postgresql(c) => {
            copy::copy_rows::<NewHouseholds, _>(c, rows)?;
        }
    }
    Ok(())
}

fn insert_members(
    conn: &mut DbConnection,
    rows: impl ExactSizeIterator<Item = NewMember>,
) -> Result<(), DbError> {
    if rows.len() == 0 {
        return Ok(());
    }
    match conn {
        DbConnection::Sqlite(c) => insert_grouped!(c, m::table, rows),
        DbConnection::Postgresql(c) => {
            copy::copy_rows::<NewMembers, _>(c, rows)?;
        }
    }
    Ok(())
}

/// Changed rows: on PostgreSQL copied into a temporary table of their
/// columns and applied by one `UPDATE … FROM`; on SQLite an update a row
/// (a prepared statement, in the batch's transaction).
fn update_households(conn: &mut DbConnection, rows: &[HouseholdUpdate]) -> Result<(), DbError> {
    match conn {
        DbConnection::Sqlite(c) => {
            for u in rows {
                diesel::update(h::table.filter(h::id.eq(&u.id)))
                    .set((
                        &u.values,
                        h::not_in_latest_snapshot.eq(u.not_in_latest_snapshot),
                        h::version.eq(u.version),
                        h::updated_at.eq(u.updated_at),
                    ))
                    .execute(c)?;
            }
            Ok(())
        }
        DbConnection::Postgresql(c) => {
            update_from_copy::<HouseholdUpdates, _>(c, "households", rows)
        }
    }
}

fn update_members(conn: &mut DbConnection, rows: &[MemberUpdate]) -> Result<(), DbError> {
    match conn {
        DbConnection::Sqlite(c) => {
            for u in rows {
                diesel::update(m::table.filter(m::id.eq(&u.id)))
                    .set((
                        &u.values,
                        m::version.eq(u.version),
                        m::updated_at.eq(u.updated_at),
                    ))
                    .execute(c)?;
            }
            Ok(())
        }
        DbConnection::Postgresql(c) => update_from_copy::<MemberUpdates, _>(c, "members", rows),
    }
}

/// Copies `rows` (an `id` and the columns they set) into `D::TARGET`, a
/// temporary table made from `table`'s columns, and sets them by id.
fn update_from_copy<D: copy::CopyInto, R: serde::Serialize>(
    c: &mut diesel::PgConnection,
    table: &str,
    rows: &[R],
) -> Result<(), DbError>
where
    D::Table: Default,
{
    use diesel::connection::SimpleConnection;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns = copy::column_names(first)?;
    let target = D::TARGET;
    let set = columns
        .iter()
        .filter(|c| c.as_str() != "\"id\"")
        .map(|c| format!("{c} = u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    // A temporary table holds no constraint: only the rows of this batch.
    c.batch_execute(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {target} AS SELECT {} FROM {table} WITH NO DATA",
        columns.join(", ")
    ))?;
    copy::copy_rows::<D, _>(c, rows)?;
    c.batch_execute(&format!(
        "UPDATE {table} AS t SET {set} FROM {target} AS u WHERE t.id = u.id; DELETE FROM {target}"
    ))?;
    Ok(())
}

/// The flat form of a record, as history compares them.
fn flat<T: serde::Serialize>(record: &T) -> serde_json::Value {
    serde_json::to_value(record).unwrap_or_default()
}

/// A member's flat form without its family keys, as history compares it.
fn member_flat(r: &MemberRecord) -> serde_json::Value {
    flat(&MemberRecord {
        p3ke_family_id: None,
        kk_number: None,
        ..r.clone()
    })
}

/// Keys a look-up binds at most (SQLite binds at most 32,766 parameters).
const LOOKUP_CHUNK: usize = 10_000;

/// The households a batch of families may match, with an index per key.
#[derive(Default)]
struct Candidates {
    rows: Vec<HouseholdRow>,
    by_p3ke: HashMap<String, usize>,
    by_dtks: HashMap<String, usize>,
    by_nik_name: HashMap<(String, String), usize>,
    by_kk: HashMap<String, usize>,
    by_head_nik: HashMap<String, usize>,
    by_member_nik: HashMap<String, usize>,
}

impl Candidates {
    /// Loads them one key at a time, each query on its own index: an OR
    /// across the columns would scan the whole table for every batch.
    fn load(
        conn: &mut DbConnection,
        batch: &[PreparedFamily],
        source: ImportFormat,
    ) -> Result<Candidates, DbError> {
        let keys = |f: fn(&HouseholdRecord) -> Option<&String>| -> Vec<String> {
            batch
                .iter()
                .filter_map(|p| f(&p.parsed.record).cloned())
                .collect()
        };
        let p3ke_ids = keys(|r| r.p3ke_family_id.as_ref());
        let dtks_ids = keys(|r| r.dtks_id.as_ref());
        let niks = keys(|r| (!r.head_nik.is_empty()).then_some(&r.head_nik));
        let snapshot = source == ImportFormat::Dtsen;
        let mut rows = Vec::new();
        let mut load = |conn: &mut DbConnection, ids: &[String], cond: HouseholdCondition| {
            if !ids.is_empty() {
                rows.extend(
                    h::table
                        .filter(cond)
                        .select(HouseholdRow::as_select())
                        .load(conn)?,
                );
            }
            Ok::<(), DbError>(())
        };
        load(
            conn,
            &p3ke_ids,
            Box::new(h::p3ke_family_id.assume_not_null().eq_any(p3ke_ids.clone())),
        )?;
        load(
            conn,
            &dtks_ids,
            Box::new(h::dtks_id.assume_not_null().eq_any(dtks_ids.clone())),
        )?;
        load(
            conn,
            &niks,
            Box::new(h::head_nik.assume_not_null().eq_any(niks.clone())),
        )?;
        let mut member_homes: Vec<(String, String)> = Vec::new();
        if snapshot {
            let kks = keys(|r| r.kk_number.as_ref());
            load(
                conn,
                &kks,
                Box::new(h::kk_number.assume_not_null().eq_any(kks.clone())),
            )?;
            let member_niks: Vec<String> = batch
                .iter()
                .flat_map(|p| p.parsed.record.member_niks.iter().cloned())
                .collect();
            if !member_niks.is_empty() {
                // A family may name any number of members: the look-up goes
                // in pieces that stay within SQLite's bound parameters.
                for niks in member_niks.chunks(LOOKUP_CHUNK) {
                    member_homes.extend(
                        m::table
                            .filter(m::nik.assume_not_null().eq_any(niks))
                            .select((m::nik.assume_not_null(), m::household_id))
                            .load::<(String, String)>(conn)?,
                    );
                }
                let homes: Vec<String> = member_homes.iter().map(|(_, h)| h.clone()).collect();
                load(conn, &homes, Box::new(h::id.eq_any(homes.clone())))?;
            }
        }
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        rows.dedup_by(|a, b| a.id == b.id);
        let mut c = Candidates {
            rows,
            ..Candidates::default()
        };
        for (i, row) in c.rows.iter().enumerate() {
            if let Some(id) = &row.p3ke_family_id {
                c.by_p3ke.insert(id.clone(), i);
            }
            if let Some(id) = &row.dtks_id {
                c.by_dtks.insert(id.clone(), i);
            }
            if let Some(nik) = &row.head_nik {
                c.by_nik_name
                    .insert((nik.clone(), name_key(&row.head_name)), i);
                c.by_head_nik.insert(nik.clone(), i);
            }
            if let Some(kk) = &row.kk_number {
                c.by_kk.insert(kk.clone(), i);
            }
        }
        let index: HashMap<&str, usize> = c
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        for (nik, home) in member_homes {
            if let Some(&i) = index.get(home.as_str()) {
                c.by_member_nik.insert(nik, i);
            }
        }
        Ok(c)
    }

    /// The household a record matches: a P3KE or DTKS family by its ids, then
    /// its head's NIK and name; a snapshot's family by its No. KK, then its
    /// head's NIK, then its members' NIKs in the snapshot's order.
    fn find(&self, r: &HouseholdRecord, source: ImportFormat) -> Option<usize> {
        if source == ImportFormat::Dtsen {
            return r
                .kk_number
                .as_ref()
                .and_then(|kk| self.by_kk.get(kk))
                .or_else(|| self.by_head_nik.get(&r.head_nik))
                .or_else(|| r.member_niks.iter().find_map(|n| self.by_member_nik.get(n)))
                .copied();
        }
        r.p3ke_family_id
            .as_ref()
            .and_then(|id| self.by_p3ke.get(id))
            .or_else(|| r.dtks_id.as_ref().and_then(|id| self.by_dtks.get(id)))
            .or_else(|| {
                self.by_nik_name
                    .get(&(r.head_nik.clone(), name_key(&r.head_name)))
            })
            .copied()
    }
}

/// Writes one batch of families.
pub fn upsert_families(
    conn: &mut DbConnection,
    batch: &mut [PreparedFamily],
    source: ImportFormat,
) -> Result<BatchOutcome, DbError> {
    let existing = Candidates::load(conn, batch, source)?;
    // A household matched once in a batch is not matched again: when a
    // family splits, the first new family keeps the household, the others
    // become households of their own.
    let mut matched = std::collections::HashSet::new();
    let mut out = BatchOutcome::default();
    // New households: their id and place in the batch.
    let mut new: Vec<(String, usize)> = Vec::new();
    let mut updates = Vec::new();
    let t = now();
    for (at, item) in batch.iter().enumerate() {
        let r = &item.parsed.record;
        let found = existing
            .find(r, source)
            .filter(|i| matched.insert(*i))
            .map(|i| &existing.rows[i]);
        match found {
            Some(row) => {
                // A P3KE id already taken by another family means two files disagree.
                if let (Some(new_id), Some(old_id)) = (&r.p3ke_family_id, &row.p3ke_family_id) {
                    if new_id != old_id {
                        out.rejected.push(RejectedRow {
                            line: item.parsed.line,
                            sheet: item.parsed.sheet.clone(),
                            reason: format!(
                                "matches family {} by NIK and name but carries P3KE id {}",
                                echo(old_id),
                                echo(new_id)
                            ),
                        });
                        continue;
                    }
                }
                let before = row.to_record();
                let merged = merge_imported_household(&before, r, source);
                let values = HouseholdValues::from(&merged);
                out.households
                    .push((row.id.clone(), merged.kk_number.clone()));
                if values.content_hash == row.content_hash {
                    out.unchanged += 1;
                    continue;
                }
                updates.push(HouseholdUpdate {
                    id: row.id.clone(),
                    values,
                    not_in_latest_snapshot: false,
                    version: row.version + 1,
                    updated_at: t,
                });
                out.changes
                    .push((row.id.clone(), changes(&flat(&before), &flat(&merged), "")));
                out.updated.push(row.id.clone());
            }
            None => new.push((new_id(), at)),
        }
    }
    out.created.extend(new.iter().map(|(id, _)| id.clone()));
    out.households.extend(
        new.iter()
            .map(|(id, at)| (id.clone(), batch[*at].parsed.record.kk_number.clone())),
    );
    update_households(conn, &updates)?;
    let stamp = RowTime::new(t);
    insert_households(
        conn,
        new.into_iter().map(|(id, at)| NewHousehold {
            id,
            values: batch[at].take_values(),
            status: HouseholdStatus::Active,
            needs_update: false,
            version: 1,
            created_at: stamp.clone(),
            updated_at: stamp.clone(),
        }),
    )?;
    Ok(out)
}

/// Writes one batch of members; a member whose family is not in the registry
/// is a rejected row.
pub fn upsert_members(
    conn: &mut DbConnection,
    batch: &mut [PreparedMember],
    source: ImportFormat,
) -> Result<BatchOutcome, DbError> {
    // A family's members are adjacent: each key once, not once a member.
    let distinct = |keys: Vec<String>| -> Vec<String> {
        let mut keys = keys;
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    let family_ids = distinct(
        batch
            .iter()
            .filter_map(|p| p.parsed.record.p3ke_family_id.clone())
            .collect(),
    );
    let kks = distinct(
        batch
            .iter()
            .filter_map(|p| p.parsed.record.kk_number.clone())
            .collect(),
    );
    let mut families: Vec<(String, Option<String>, Option<String>)> = h::table
        .filter(h::p3ke_family_id.assume_not_null().eq_any(&family_ids))
        .select((h::id, h::p3ke_family_id, h::kk_number))
        .load(conn)?;
    if !kks.is_empty() {
        families.extend(
            h::table
                .filter(h::kk_number.assume_not_null().eq_any(&kks))
                .select((h::id, h::p3ke_family_id, h::kk_number))
                .load::<(String, Option<String>, Option<String>)>(conn)?,
        );
    }
    let mut household_by_p3ke = HashMap::new();
    let mut household_by_kk = HashMap::new();
    for (id, p3ke, kk) in &families {
        if let Some(p) = p3ke {
            household_by_p3ke.insert(p.clone(), id.clone());
        }
        if let Some(k) = kk {
            household_by_kk.insert(k.clone(), id.clone());
        }
    }
    let household_ids: Vec<String> = families.iter().map(|f| f.0.clone()).collect();
    let individual_ids: Vec<String> = batch
        .iter()
        .filter_map(|p| p.parsed.record.p3ke_individual_id.clone())
        .collect();
    let mut existing = m::table
        .filter(m::household_id.eq_any(&household_ids))
        .load::<MemberRow>(conn)?;
    existing.extend(
        m::table
            .filter(
                m::p3ke_individual_id
                    .assume_not_null()
                    .eq_any(&individual_ids),
            )
            .filter(m::household_id.ne_all(&household_ids))
            .load::<MemberRow>(conn)?,
    );
    let mut by_individual = HashMap::new();
    let mut by_nik = HashMap::new();
    let mut by_name = HashMap::new();
    for (i, row) in existing.iter().enumerate() {
        if let Some(id) = &row.p3ke_individual_id {
            by_individual.insert(id.clone(), i);
        }
        if let Some(nik) = &row.nik {
            by_nik.insert((row.household_id.clone(), nik.clone()), i);
        }
        by_name.insert((row.household_id.clone(), name_key(&row.name)), i);
    }

    let has_members: std::collections::HashSet<&str> =
        existing.iter().map(|r| r.household_id.as_str()).collect();
    let mut moved: HashMap<String, Vec<FieldChange>> = HashMap::new();
    let mut out = BatchOutcome::default();
    // New members: id, household and place in the batch.
    let mut new: Vec<(String, String, usize)> = Vec::new();
    let mut updates = Vec::new();
    let t = now();
    for (at, item) in batch.iter().enumerate() {
        let r = &item.parsed.record;
        let household = r
            .p3ke_family_id
            .as_ref()
            .and_then(|id| household_by_p3ke.get(id))
            .or_else(|| r.kk_number.as_ref().and_then(|kk| household_by_kk.get(kk)));
        let Some(household) = household else {
            out.rejected.push(RejectedRow {
                line: item.parsed.line,
                sheet: item.parsed.sheet.clone(),
                reason: match (&r.p3ke_family_id, &r.kk_number) {
                    (Some(id), _) => format!(
                        "family {} is not in the registry: import its KEPALA-KELUARGA row first",
                        echo(id)
                    ),
                    (None, Some(kk)) => {
                        format!("family with No. KK {} is not in the registry", echo(kk))
                    }
                    _ => "the member names no family".to_string(),
                },
            });
            continue;
        };
        // A P3KE member is its individual id; NIK and name only identify
        // members of files without one (DTKS), within their family.
        let found = match &r.p3ke_individual_id {
            Some(id) => by_individual.get(id),
            None => (!r.nik.is_empty())
                .then(|| by_nik.get(&(household.clone(), r.nik.clone())))
                .flatten()
                .or_else(|| by_name.get(&(household.clone(), name_key(&r.name)))),
        }
        .map(|&i| &existing[i]);
        let before = found.map(MemberRow::to_record);
        let merged = before.as_ref().map(|b| merge_imported_member(b, r, source));
        match (&before, &merged) {
            (Some(b), Some(after)) if found.is_some_and(|row| row.household_id == *household) => {
                moved.entry(household.clone()).or_default().extend(changes(
                    &member_flat(b),
                    &member_flat(after),
                    &history::member_prefix(Some(&r.nik), &r.name),
                ));
            }
            (None, _) if has_members.contains(household.as_str()) => {
                // A member joining a family already held; members of a family
                // new to the registry are not news.
                moved
                    .entry(household.clone())
                    .or_default()
                    .push(history::member_moved(Some(&r.nik), &r.name, true));
            }
            _ => {}
        }
        match found {
            Some(row) if row.household_id != *household => {
                out.rejected.push(RejectedRow {
                    line: item.parsed.line,
                    sheet: item.parsed.sheet.clone(),
                    reason: "the individual id belongs to a member of another family".to_string(),
                });
            }
            Some(row) => {
                let values = MemberValues::from(merged.as_ref().unwrap_or(r));
                if values.content_hash == row.content_hash {
                    out.unchanged += 1;
                } else {
                    out.updated.push(row.id.clone());
                    updates.push(MemberUpdate {
                        id: row.id.clone(),
                        values,
                        version: row.version + 1,
                        updated_at: t,
                    });
                }
            }
            None => new.push((new_id(), household.clone(), at)),
        }
    }
    out.created.extend(new.iter().map(|(id, _, _)| id.clone()));
    update_members(conn, &updates)?;
    let stamp = RowTime::new(t);
    insert_members(
        conn,
        new.into_iter().map(|(id, household_id, at)| NewMember {
            id,
            household_id,
            values: batch[at].take_values(),
            version: 1,
            created_at: stamp.clone(),
            updated_at: stamp.clone(),
        }),
    )?;
    out.changes = moved.into_iter().collect();
    Ok(out)
}

/// Which of `ids` were created at or after `since`: for an import that
/// began then, the households it brought (their members are not news to
/// their history). One indexed look-up a batch, instead of a set of every
/// household the import created.
pub fn created_since(
    conn: &mut DbConnection,
    ids: &[&str],
    since: NaiveDateTime,
) -> Result<std::collections::HashSet<String>, DbError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(h::table
        .filter(h::id.eq_any(ids))
        .filter(h::created_at.ge(since))
        .select(h::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::query_builder::QueryId;

    fn known_statically<Q: QueryId>(_: &Q) -> bool {
        Q::HAS_STATIC_QUERY_ID
    }

    fn new_household(t: NaiveDateTime) -> NewHousehold {
        NewHousehold {
            id: new_id(),
            values: HouseholdValues::from(&HouseholdRecord::default()),
            status: HouseholdStatus::Active,
            needs_update: false,
            version: 1,
            created_at: RowTime::new(t),
            updated_at: RowTime::new(t),
        }
    }

    fn new_member(household: &NewHousehold, t: NaiveDateTime) -> NewMember {
        NewMember {
            id: new_id(),
            household_id: household.id.clone(),
            values: MemberValues::from(&MemberRecord::default()),
            version: 1,
            created_at: RowTime::new(t),
            updated_at: RowTime::new(t),
        }
    }

    /// Diesel keeps a statement prepared by its query's type when that type
    /// says all of it; otherwise it builds the SQL of every row to find it
    /// (a sixth of a SQLite import's writer). A field that may insert
    /// `DEFAULT` makes the type say too little.
    #[test]
    fn new_rows_are_inserted_by_a_statement_known_by_its_type() {
        let t = now();
        let household = new_household(t);
        let member = new_member(&household, t);
        assert!(known_statically(
            &diesel::insert_into(h::table).values(&household)
        ));
        assert!(known_statically(
            &diesel::insert_into(m::table).values(&member)
        ));
    }

    /// The same for the groups SQLite inserts (`grouped_insert`): a group
    /// of a fixed size, not a `Vec`, or each batch would build and parse
    /// its statements anew.
    #[test]
    fn groups_of_new_rows_are_inserted_by_a_statement_known_by_its_type() {
        use crate::db::grouped_insert::ROWS_PER_INSERT;
        let t = now();
        let households: [NewHousehold; ROWS_PER_INSERT] = std::array::from_fn(|_| new_household(t));
        let members: [NewMember; ROWS_PER_INSERT] =
            std::array::from_fn(|i| new_member(&households[i], t));
        assert!(known_statically(
            &diesel::insert_into(h::table).values(&households)
        ));
        assert!(known_statically(
            &diesel::insert_into(m::table).values(&members)
        ));
        let as_vec: Vec<&NewHousehold> = households.iter().collect();
        assert!(!known_statically(
            &diesel::insert_into(h::table).values(as_vec)
        ));
    }
}
