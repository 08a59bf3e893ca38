//! Accounts: who may log in, with which role, bound to which company or agency.

use crate::db::IfMatch;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::users;
use super::{check_version, new_id, now, DbConnection};
use super::{taken, DbError};
use crate::domain::role::Role;

#[derive(Debug, Clone, Queryable)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Named by every token issued for the account; bumped by a change that
    /// must end the account's sessions (see [`update`]).
    pub token_version: i32,
    /// The desa/kelurahan or kecamatan of an `operator` account.
    pub region_code: Option<String>,
}

impl UserRow {
    /// The audit view: never the password hash.
    pub fn audit_value(&self) -> serde_json::Value {
        json!({
            "id": self.id, "username": self.username, "role": self.role,
            "company_id": self.company_id, "opd_code": self.opd_code, "active": self.active,
            "region_code": self.region_code,
        })
    }
}

/// A validated account to create.
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    pub active: bool,
    /// An operator's region, dotted or not (stored dotted, see [`check_region`]).
    pub region_code: Option<String>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserChanges {
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub company_id: Option<Option<String>>,
    pub opd_code: Option<Option<String>>,
    pub active: Option<bool>,
    pub region_code: Option<Option<String>>,
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

/// 422 on `company_id` unless it names an existing company.
fn check_company(conn: &mut DbConnection, company_id: Option<&str>) -> Result<(), DbError> {
    match company_id {
        Some(id) if !super::companies::exists(conn, id)? => Err(DbError::invalid_field(
            "company_id",
            format!("no company has id `{id}`"),
        )),
        _ => Ok(()),
    }
}

/// An operator's region as stored: 422 on `region_code` unless it names a
/// kecamatan or desa/kelurahan of the regions table (a 2019 code maps to its
/// 2025 one); the dotted current code.
fn check_region(conn: &mut DbConnection, code: Option<&str>) -> Result<Option<String>, DbError> {
    use crate::domain::region_lookup::RegionLevel;
    let Some(code) = code else {
        return Ok(None);
    };
    match super::regions::resolve(conn, code)? {
        Some(r) if r.level != RegionLevel::Kabupaten => Ok(Some(r.code)),
        Some(_) => Err(DbError::invalid_field(
            "region_code",
            "an operator works for a kecamatan or a desa/kelurahan, not the kabupaten",
        )),
        None => Err(DbError::invalid_field(
            "region_code",
            format!("no region has code `{code}`"),
        )),
    }
}

pub fn create(conn: &mut DbConnection, actor: &Actor, new: NewUser) -> Result<UserRow, DbError> {
    check_company(conn, new.company_id.as_deref())?;
    let region_code = check_region(conn, new.region_code.as_deref())?;
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::username.eq(&new.username),
            users::password_hash.eq(&new.password_hash),
            users::role.eq(new.role),
            users::company_id.eq(&new.company_id),
            users::opd_code.eq(&new.opd_code),
            users::active.eq(new.active),
            users::version.eq(1),
            users::created_at.eq(t),
            users::updated_at.eq(t),
            users::token_version.eq(1),
            users::region_code.eq(&region_code),
        ))
        .returning(users::all_columns)
        .get_result::<UserRow>(conn)
        .map_err(taken(
            "username_taken",
            format!("username `{}` is taken", new.username),
        ))?;
    audit::record(
        conn,
        actor,
        "create",
        "user",
        &row.id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<UserRow, DbError> {
    Ok(users::table.find(id).first::<UserRow>(conn)?)
}

pub fn by_username(conn: &mut DbConnection, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .first::<UserRow>(conn)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub company_id: Option<String>,
    pub active: Option<bool>,
}

pub fn list(
    conn: &mut DbConnection,
    f: &UserFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<UserRow>, i64), DbError> {
    let filtered = || {
        let mut q = users::table.into_boxed();
        if let Some(v) = &f.role {
            q = q.filter(users::role.eq(*v));
        }
        if let Some(v) = &f.company_id {
            q = q.filter(users::company_id.eq(v.clone()));
        }
        if let Some(v) = f.active {
            q = q.filter(users::active.eq(v));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered()
        .order(users::username.asc())
        .offset(offset)
        .limit(limit)
        .load::<UserRow>(conn)?;
    Ok((rows, total))
}

/// Applies `changes` if `expected` (from `If-Match`) is still the version.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    expected: IfMatch,
    changes: UserChanges,
) -> Result<UserRow, DbError> {
    let before = get(conn, id)?;
    check_version(&expected, before.version)?;
    let role = changes.role.unwrap_or(before.role);
    let company_id = changes.company_id.unwrap_or(before.company_id.clone());
    let opd_code = changes.opd_code.unwrap_or(before.opd_code.clone());
    let region_code = changes.region_code.unwrap_or(before.region_code.clone());
    crate::domain::account::check_binding(
        role,
        company_id.as_deref(),
        opd_code.as_deref(),
        region_code.as_deref(),
    )?;
    if company_id != before.company_id {
        check_company(conn, company_id.as_deref())?;
    }
    let region_code = check_region(conn, region_code.as_deref())?;
    let active = changes.active.unwrap_or(before.active);
    // A new password, role, binding or active flag ends every session of the
    // account: tokens name the version they were issued under.
    let ends_sessions = changes.password_hash.is_some()
        || role != before.role
        || company_id != before.company_id
        || opd_code != before.opd_code
        || region_code != before.region_code
        || active != before.active;
    let token_version = before.token_version + i32::from(ends_sessions);
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(before.version)),
    )
    .set((
        users::password_hash.eq(changes
            .password_hash
            .unwrap_or(before.password_hash.clone())),
        users::role.eq(role),
        users::company_id.eq(&company_id),
        users::opd_code.eq(&opd_code),
        users::active.eq(active),
        users::token_version.eq(token_version),
        users::region_code.eq(&region_code),
        users::version.eq(before.version + 1),
        users::updated_at.eq(now()),
    ))
    .returning(users::all_columns)
    .get_result::<UserRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        "update",
        "user",
        id,
        Some(&before.audit_value()),
        Some(&updated.audit_value()),
    )?;
    Ok(updated)
}

pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    expected: IfMatch,
) -> Result<UserRow, DbError> {
    let before = get(conn, id)?;
    check_version(&expected, before.version)?;
    if before.username == actor.name {
        return Err(DbError::conflict(
            "cannot_delete_self",
            "an administrator cannot delete the account they are logged in with",
        ));
    }
    diesel::delete(users::table.filter(users::id.eq(id))).execute(conn)?;
    audit::record(
        conn,
        actor,
        "delete",
        "user",
        id,
        Some(&before.audit_value()),
        None,
    )?;
    Ok(before)
}
