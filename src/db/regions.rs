//! The regions table: seeded from the official list, read by every resource
//! that names a place.

use diesel::prelude::*;

use super::schema::regions;
use super::DbError;
use super::{like_contains, DbConnection, LIKE_ESCAPE};
use crate::domain::region::{normalize_code, official_rows, RegionRow};
use crate::domain::region_lookup::RegionLevel;

type Row = (
    String,
    String,
    RegionLevel,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn to_region(r: Row) -> RegionRow {
    RegionRow {
        code: r.0,
        code10: r.1,
        level: r.2,
        name: r.3,
        parent_code: r.4,
        old_code: r.5,
        old_name: r.6,
    }
}

/// Seeds the official list into an empty table; returns how many were added.
pub fn seed(conn: &mut DbConnection) -> Result<usize, DbError> {
    let existing: i64 = regions::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let rows = official_rows().map_err(DbError::internal)?;
    conn.transaction(|conn| {
        for r in &rows {
            diesel::insert_into(regions::table)
                .values((
                    regions::code.eq(&r.code),
                    regions::code10.eq(&r.code10),
                    regions::level.eq(&r.level),
                    regions::name.eq(&r.name),
                    regions::parent_code.eq(&r.parent_code),
                    regions::old_code.eq(&r.old_code),
                    regions::old_name.eq(&r.old_name),
                ))
                .execute(conn)?;
        }
        Ok(rows.len())
    })
}

/// Filters of the region list.
#[derive(Debug, Default, Clone)]
pub struct RegionFilter {
    pub level: Option<RegionLevel>,
    pub parent: Option<String>,
    pub q: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    f: &RegionFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<RegionRow>, i64), DbError> {
    let filtered = || {
        let mut q = regions::table.into_boxed();
        if let Some(v) = &f.level {
            q = q.filter(regions::level.eq(*v));
        }
        if let Some(v) = &f.parent {
            q = q.filter(regions::parent_code.eq(v.clone()));
        }
        if let Some(v) = &f.q {
            q = q.filter(regions::name.like(like_contains(v)).escape(LIKE_ESCAPE));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered()
        .order(regions::code.asc())
        .offset(offset)
        .limit(limit)
        .load::<Row>(conn)?
        .into_iter()
        .map(to_region)
        .collect();
    Ok((rows, total))
}

/// Finds a region by its current code or its 2019 code, dotted or not.
pub fn resolve(conn: &mut DbConnection, code: &str) -> Result<Option<RegionRow>, DbError> {
    let Some(dotted) = normalize_code(code) else {
        return Ok(None);
    };
    let found = regions::table
        .filter(regions::code.eq(&dotted))
        .first::<Row>(conn)
        .optional()?;
    if let Some(r) = found {
        return Ok(Some(to_region(r)));
    }
    Ok(regions::table
        .filter(regions::old_code.eq(&dotted))
        .first::<Row>(conn)
        .optional()?
        .map(to_region))
}

/// Resolves every code or fails with a 422 naming `field` and the unknown code.
pub fn resolve_all(
    conn: &mut DbConnection,
    field: &str,
    codes: &[String],
) -> Result<Vec<RegionRow>, DbError> {
    codes
        .iter()
        .map(|c| {
            resolve(conn, c)?
                .ok_or_else(|| DbError::invalid_field(field, format!("unknown region code `{c}`")))
        })
        .collect()
}

/// All regions, for in-memory lookups (imports, demo data).
pub fn all(conn: &mut DbConnection) -> Result<Vec<RegionRow>, DbError> {
    Ok(regions::table
        .order(regions::code.asc())
        .load::<Row>(conn)?
        .into_iter()
        .map(to_region)
        .collect())
}

/// The range of region codes inside `code`, the code itself included:
/// `[code, code + "/")`. Dotted codes are hierarchical and `/` is the
/// character right after `.`, so the range holds exactly `code` and `code.…`;
/// unlike `LIKE 'code.%'` a range uses the index on both backends.
pub fn within(code: &str) -> (String, String) {
    (code.to_string(), format!("{code}/"))
}

/// [`within`] `code`, or every region code when `None` (the whole
/// kabupaten): codes are digits and dots, all below `:` (the character
/// right after `9`), so `["", ":")` holds them all. One range shape for
/// both, so a query needs no boxing to make the filter optional.
pub fn within_or_all(code: Option<&str>) -> (String, String) {
    match code {
        Some(code) => within(code),
        None => (String::new(), ":".to_string()),
    }
}
