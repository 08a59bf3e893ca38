//! Writing imported families and members in batches: match each record to the
//! registry (P3KE id, then DTKS id, then head NIK + name; members by P3KE
//! individual id, then NIK, then name within the family), then insert, update
//! or leave it. Each batch runs in its caller's transaction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::households::{HouseholdRow, HouseholdValues, MemberRow, MemberValues};
use super::schema::{households as h, members as m};
use super::DbError;
use super::{new_id, now, DbConnection};
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
    /// Every household a family batch holds (created, updated or unchanged):
    /// the ones its dataset now names. Empty for members.
    pub households: Vec<String>,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Insertable)]
#[diesel(table_name = h)]
struct NewHousehold {
    id: String,
    #[diesel(embed)]
    values: HouseholdValues,
    status: HouseholdStatus,
    needs_update: bool,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = m)]
struct NewMember {
    id: String,
    household_id: String,
    #[diesel(embed)]
    values: MemberValues,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Multi-row inserts are not available through the multi-backend connection
/// (diesel's `MultiConnection`), so they go to the inner connection of each backend.
fn insert_households(conn: &mut DbConnection, rows: &[NewHousehold]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(h::table).values(rows).execute(c),
        DbConnection::Postgresql(c) => diesel::insert_into(h::table).values(rows).execute(c),
    }
}

fn insert_members(conn: &mut DbConnection, rows: &[NewMember]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(m::table).values(rows).execute(c),
        DbConnection::Postgresql(c) => diesel::insert_into(m::table).values(rows).execute(c),
    }
}

/// Writes one batch of families.
pub fn upsert_families(
    conn: &mut DbConnection,
    batch: &[Parsed<HouseholdRecord>],
    source: ImportFormat,
) -> Result<BatchOutcome, DbError> {
    let p3ke_ids: Vec<String> = batch
        .iter()
        .filter_map(|p| p.record.p3ke_family_id.clone())
        .collect();
    let dtks_ids: Vec<String> = batch
        .iter()
        .filter_map(|p| p.record.dtks_id.clone())
        .collect();
    let niks: Vec<String> = batch
        .iter()
        .filter(|p| !p.record.head_nik.is_empty())
        .map(|p| p.record.head_nik.clone())
        .collect();
    // One query per key, each on its own index: an OR across the three
    // columns would scan the whole table for every batch.
    let mut existing = h::table
        .filter(h::p3ke_family_id.assume_not_null().eq_any(&p3ke_ids))
        .select(HouseholdRow::as_select())
        .load(conn)?;
    if !dtks_ids.is_empty() {
        existing.extend(
            h::table
                .filter(h::dtks_id.assume_not_null().eq_any(&dtks_ids))
                .select(HouseholdRow::as_select())
                .load(conn)?,
        );
    }
    if !niks.is_empty() {
        existing.extend(
            h::table
                .filter(h::head_nik.assume_not_null().eq_any(&niks))
                .select(HouseholdRow::as_select())
                .load(conn)?,
        );
    }
    existing.sort_by(|a, b| a.id.cmp(&b.id));
    existing.dedup_by(|a, b| a.id == b.id);
    let mut by_p3ke = HashMap::new();
    let mut by_dtks = HashMap::new();
    let mut by_nik_name = HashMap::new();
    for (i, row) in existing.iter().enumerate() {
        if let Some(id) = &row.p3ke_family_id {
            by_p3ke.insert(id.clone(), i);
        }
        if let Some(id) = &row.dtks_id {
            by_dtks.insert(id.clone(), i);
        }
        if let Some(nik) = &row.head_nik {
            by_nik_name.insert((nik.clone(), name_key(&row.head_name)), i);
        }
    }

    let mut out = BatchOutcome::default();
    let mut new_values: Vec<(String, HouseholdValues)> = Vec::new();
    let t = now();
    for item in batch {
        let r = &item.record;
        let found = r
            .p3ke_family_id
            .as_ref()
            .and_then(|id| by_p3ke.get(id))
            .or_else(|| r.dtks_id.as_ref().and_then(|id| by_dtks.get(id)))
            .or_else(|| by_nik_name.get(&(r.head_nik.clone(), name_key(&r.head_name))))
            .map(|&i| &existing[i]);
        match found {
            Some(row) => {
                // A P3KE id already taken by another family means two files disagree.
                if let (Some(new_id), Some(old_id)) = (&r.p3ke_family_id, &row.p3ke_family_id) {
                    if new_id != old_id {
                        out.rejected.push(RejectedRow {
                            line: item.line,
                            sheet: item.sheet.clone(),
                            reason: format!(
                                "matches family {} by NIK and name but carries P3KE id {}",
                                echo(old_id),
                                echo(new_id)
                            ),
                        });
                        continue;
                    }
                }
                let merged = merge_imported_household(&row.to_record(), r, source);
                let values = HouseholdValues::from(&merged);
                out.households.push(row.id.clone());
                if values.content_hash == row.content_hash {
                    out.unchanged += 1;
                    continue;
                }
                diesel::update(h::table.filter(h::id.eq(&row.id)))
                    .set((&values, h::version.eq(row.version + 1), h::updated_at.eq(t)))
                    .execute(conn)?;
                out.updated.push(row.id.clone());
            }
            None => new_values.push((new_id(), HouseholdValues::from(r))),
        }
    }
    out.created
        .extend(new_values.iter().map(|(id, _)| id.clone()));
    out.households
        .extend(new_values.iter().map(|(id, _)| id.clone()));
    let rows: Vec<NewHousehold> = new_values
        .into_iter()
        .map(|(id, values)| NewHousehold {
            id,
            values,
            status: HouseholdStatus::Active,
            needs_update: false,
            version: 1,
            created_at: t,
            updated_at: t,
        })
        .collect();
    insert_households(conn, &rows)?;
    Ok(out)
}

/// Writes one batch of members; a member whose family is not in the registry
/// is a rejected row.
pub fn upsert_members(
    conn: &mut DbConnection,
    batch: &[Parsed<MemberRecord>],
    source: ImportFormat,
) -> Result<BatchOutcome, DbError> {
    let family_ids: Vec<String> = batch
        .iter()
        .filter_map(|p| p.record.p3ke_family_id.clone())
        .collect();
    let kks: Vec<String> = batch
        .iter()
        .filter_map(|p| p.record.kk_number.clone())
        .collect();
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
        .filter_map(|p| p.record.p3ke_individual_id.clone())
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

    let mut out = BatchOutcome::default();
    let mut new_values: Vec<(String, String, MemberValues)> = Vec::new();
    let t = now();
    for item in batch {
        let r = &item.record;
        let household = r
            .p3ke_family_id
            .as_ref()
            .and_then(|id| household_by_p3ke.get(id))
            .or_else(|| r.kk_number.as_ref().and_then(|kk| household_by_kk.get(kk)));
        let Some(household) = household else {
            out.rejected.push(RejectedRow {
                line: item.line,
                sheet: item.sheet.clone(),
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
        let values = match found {
            Some(row) => MemberValues::from(&merge_imported_member(&row.to_record(), r, source)),
            None => MemberValues::from(r),
        };
        match found {
            Some(row) if row.household_id != *household => {
                out.rejected.push(RejectedRow {
                    line: item.line,
                    sheet: item.sheet.clone(),
                    reason: "the individual id belongs to a member of another family".to_string(),
                });
            }
            Some(row) if values.content_hash == row.content_hash => out.unchanged += 1,
            Some(row) => {
                diesel::update(m::table.filter(m::id.eq(&row.id)))
                    .set((&values, m::version.eq(row.version + 1), m::updated_at.eq(t)))
                    .execute(conn)?;
                out.updated.push(row.id.clone());
            }
            None => new_values.push((new_id(), household.clone(), values)),
        }
    }
    out.created
        .extend(new_values.iter().map(|(id, _, _)| id.clone()));
    let rows: Vec<NewMember> = new_values
        .into_iter()
        .map(|(id, household_id, values)| NewMember {
            id,
            household_id,
            values,
            version: 1,
            created_at: t,
            updated_at: t,
        })
        .collect();
    insert_members(conn, &rows)?;
    Ok(out)
}
