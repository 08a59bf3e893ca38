//! Companies: the CSR (TJSP) duty holders, their contacts and working area.

use crate::db::IfMatch;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::companies;
use super::{check_version, like_contains, lower, now, regions, DbConnection, LIKE_ESCAPE};
use super::{taken, DbError};
use crate::domain::company::LegalForm;
use crate::domain::compliance::Sector;

#[derive(Debug, Clone, Queryable)]
pub struct CompanyRow {
    pub id: String,
    pub name: String,
    pub legal_form: LegalForm,
    pub nib: String,
    pub sector: Sector,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// JSON array of dotted region codes.
    pub working_area: String,
    pub active: bool,
    /// Households recommendations may show it per cycle; `None`: the default.
    pub exposure_cap: Option<i32>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CompanyRow {
    /// The working area as codes; a stored value that is not a JSON array of
    /// strings is a bug, reported as such.
    pub fn working_area(&self) -> Result<Vec<String>, DbError> {
        serde_json::from_str(&self.working_area)
            .map_err(|e| DbError::internal(format!("company {} working_area: {e}", self.id)))
    }

    fn audit_value(&self) -> serde_json::Value {
        json!({
            "id": self.id, "name": self.name, "legal_form": self.legal_form, "nib": self.nib,
            "sector": self.sector, "address": self.address, "contact_name": self.contact_name,
            "contact_email": self.contact_email, "contact_phone": self.contact_phone,
            "working_area": serde_json::from_str::<serde_json::Value>(&self.working_area)
                .unwrap_or(serde_json::Value::Null),
            "active": self.active, "exposure_cap": self.exposure_cap,
        })
    }
}

/// A validated company to create (codes of the working area already resolved).
pub struct NewCompany {
    pub id: String,
    pub name: String,
    pub legal_form: LegalForm,
    pub nib: String,
    pub sector: Sector,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub working_area: Vec<String>,
    pub active: bool,
    pub exposure_cap: Option<i32>,
}

/// Validated fields to change; `None` leaves a field as it is, `Some(None)`
/// clears an optional one.
#[derive(Default)]
pub struct CompanyChanges {
    pub name: Option<String>,
    pub legal_form: Option<LegalForm>,
    pub nib: Option<String>,
    pub sector: Option<Sector>,
    pub address: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub working_area: Option<Vec<String>>,
    pub active: Option<bool>,
    pub exposure_cap: Option<Option<i32>>,
}

/// Filters of the company list.
#[derive(Debug, Default, Clone)]
pub struct CompanyFilter {
    /// Only this company (a `company` caller sees its own and nothing else).
    pub only_id: Option<String>,
    pub sector: Option<Sector>,
    /// `LIKE` patterns over the working area (any of them matches); see
    /// [`crate::domain::company::working_area_patterns`].
    pub region_patterns: Vec<String>,
    pub active: Option<bool>,
    /// Part of the name, any case.
    pub q: Option<String>,
}

/// Resolves working-area codes (current or 2019, dotted or not) to current
/// dotted codes, sorted and without duplicates. Only kecamatan and
/// desa/kelurahan codes name a working area; the kabupaten is all of Kukar.
pub fn resolve_working_area(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<Vec<String>, DbError> {
    let resolved = regions::resolve_all(conn, "working_area", codes)?;
    if let Some(r) = resolved
        .iter()
        .find(|r| r.level == crate::domain::region_lookup::RegionLevel::Kabupaten)
    {
        return Err(DbError::invalid_field(
            "working_area",
            format!(
                "`{}` is the kabupaten; name its kecamatan or desa/kelurahan",
                r.code
            ),
        ));
    }
    let mut out: Vec<String> = resolved.into_iter().map(|r| r.code).collect();
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: NewCompany,
) -> Result<CompanyRow, DbError> {
    let t = now();
    let area = serde_json::to_string(&new.working_area)?;
    let row = diesel::insert_into(companies::table)
        .values((
            companies::id.eq(&new.id),
            companies::name.eq(&new.name),
            companies::legal_form.eq(new.legal_form),
            companies::nib.eq(&new.nib),
            companies::sector.eq(new.sector),
            companies::address.eq(&new.address),
            companies::contact_name.eq(&new.contact_name),
            companies::contact_email.eq(&new.contact_email),
            companies::contact_phone.eq(&new.contact_phone),
            companies::working_area.eq(&area),
            companies::active.eq(new.active),
            companies::exposure_cap.eq(new.exposure_cap),
            companies::version.eq(1),
            companies::created_at.eq(t),
            companies::updated_at.eq(t),
        ))
        .returning(companies::all_columns)
        .get_result::<CompanyRow>(conn)
        .map_err(taken(
            "nib_taken",
            format!("another company is registered with NIB {}", new.nib),
        ))?;
    audit::record(
        conn,
        actor,
        "create",
        "company",
        &row.id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<CompanyRow, DbError> {
    Ok(companies::table.find(id).first::<CompanyRow>(conn)?)
}

/// Whether a company with this id exists.
pub fn exists(conn: &mut DbConnection, id: &str) -> Result<bool, DbError> {
    let n: i64 = companies::table
        .filter(companies::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn list(
    conn: &mut DbConnection,
    f: &CompanyFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<CompanyRow>, i64), DbError> {
    let filtered = || {
        let mut q = companies::table.into_boxed();
        if let Some(v) = &f.only_id {
            q = q.filter(companies::id.eq(v.clone()));
        }
        if let Some(v) = &f.sector {
            q = q.filter(companies::sector.eq(*v));
        }
        if let Some(v) = f.active {
            q = q.filter(companies::active.eq(v));
        }
        if let Some(v) = &f.q {
            q = q.filter(
                lower(companies::name)
                    .like(like_contains(&v.to_lowercase()))
                    .escape(LIKE_ESCAPE),
            );
        }
        if let Some((first, rest)) = f.region_patterns.split_first() {
            let mut any: Box<
                dyn BoxableExpression<companies::table, _, SqlType = diesel::sql_types::Bool>,
            > = Box::new(companies::working_area.like(first.clone()));
            for p in rest {
                any = Box::new(any.or(companies::working_area.like(p.clone())));
            }
            q = q.filter(any);
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered()
        .order((companies::name.asc(), companies::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<CompanyRow>(conn)?;
    Ok((rows, total))
}

/// Applies `changes` if `expected` (from `If-Match`) is still the version.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    expected: IfMatch,
    changes: CompanyChanges,
) -> Result<CompanyRow, DbError> {
    let before = get(conn, id)?;
    check_version(&expected, before.version)?;
    let area = match &changes.working_area {
        Some(codes) => serde_json::to_string(codes)?,
        None => before.working_area.clone(),
    };
    let nib = changes.nib.unwrap_or(before.nib.clone());
    let updated = diesel::update(
        companies::table
            .filter(companies::id.eq(id))
            .filter(companies::version.eq(before.version)),
    )
    .set((
        companies::name.eq(changes.name.unwrap_or(before.name.clone())),
        companies::legal_form.eq(changes.legal_form.unwrap_or(before.legal_form)),
        companies::nib.eq(&nib),
        companies::sector.eq(changes.sector.unwrap_or(before.sector)),
        companies::address.eq(changes.address.unwrap_or(before.address.clone())),
        companies::contact_name.eq(changes.contact_name.unwrap_or(before.contact_name.clone())),
        companies::contact_email.eq(changes
            .contact_email
            .unwrap_or(before.contact_email.clone())),
        companies::contact_phone.eq(changes
            .contact_phone
            .unwrap_or(before.contact_phone.clone())),
        companies::working_area.eq(&area),
        companies::active.eq(changes.active.unwrap_or(before.active)),
        companies::exposure_cap.eq(changes.exposure_cap.unwrap_or(before.exposure_cap)),
        companies::version.eq(before.version + 1),
        companies::updated_at.eq(now()),
    ))
    .returning(companies::all_columns)
    .get_result::<CompanyRow>(conn)
    .optional()
    .map_err(taken(
        "nib_taken",
        format!("another company is registered with NIB {nib}"),
    ))?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        "update",
        "company",
        id,
        Some(&before.audit_value()),
        Some(&updated.audit_value()),
    )?;
    Ok(updated)
}
