//! Accounts, managed by admins.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{if_match, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::accounts::AccountCache;
use crate::auth::{password, AuthUser};
use crate::db::users::{self as store, NewUser, UserChanges, UserFilter, UserRow};
use crate::db::{self, Pool};
use crate::domain::account::{check_binding, password_problem, valid_username};
use crate::domain::role::Role;
use crate::error::{ApiError, FieldError};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(delete_user);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "7f0c2a4e-5b1d-4c1e-9a53-0d2f1b7c9e11", "username": "csr.mitra", "role": "company",
    "company_id": "00000000-0000-4000-8000-000000000001", "opd_code": null, "region_code": null, "active": true,
    "created_at": "2026-11-28T08:00:00Z", "updated_at": "2026-11-28T08:00:00Z"}))]
pub struct User {
    #[schema(format = Uuid)]
    pub id: String,
    pub username: String,
    pub role: Role,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    /// The kecamatan or desa/kelurahan of an `operator` account.
    pub region_code: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;
    fn try_from(r: UserRow) -> Result<User, ApiError> {
        Ok(User {
            role: r.role,
            id: r.id,
            username: r.username,
            company_id: r.company_id,
            opd_code: r.opd_code,
            region_code: r.region_code,
            active: r.active,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "dinsos.andi", "password": "a-long-password", "role": "opd", "opd_code": "DINSOS"}))]
pub struct NewUserBody {
    /// 3–64 letters, digits, `.`, `_`, `-`.
    #[schema(pattern = "^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    /// At least 12 characters, not the username.
    #[schema(min_length = 12)]
    pub password: String,
    pub role: Role,
    /// Required for `company` accounts and must name an existing company
    /// (422 otherwise); forbidden for other roles.
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    /// Required for `opd` accounts (e.g. `DINSOS`), forbidden otherwise.
    #[schema(pattern = "^[A-Z0-9_]{2,20}$")]
    pub opd_code: Option<String>,
    /// Required for `operator` accounts, forbidden otherwise: the kecamatan
    /// (`64.02.06`) or desa/kelurahan (`64.02.06.1001`) it works for, dotted
    /// or not; it must exist (422 otherwise).
    #[schema(pattern = "^64\\.?02\\.?[0-9]{2}(\\.?[0-9]{4})?$")]
    pub region_code: Option<String>,
    /// Defaults to `true`.
    pub active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UserPatch {
    /// At least 12 characters, not the username. A new password, role,
    /// binding or `active` ends the account's current tokens.
    #[schema(min_length = 12)]
    pub password: Option<String>,
    /// Changing the role replaces `company_id`/`opd_code` with the ones given.
    pub role: Option<Role>,
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    #[schema(pattern = "^[A-Z0-9_]{2,20}$")]
    pub opd_code: Option<String>,
    #[schema(pattern = "^64\\.?02\\.?[0-9]{2}(\\.?[0-9]{4})?$")]
    pub region_code: Option<String>,
    pub active: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only accounts of this role.
    pub role: Option<Role>,
    /// Only the accounts of this company (its id).
    pub company_id: Option<uuid::Uuid>,
    /// Only active accounts, or only disabled ones.
    pub active: Option<bool>,
    /// 1-based page, default 1.
    pub page: Option<i64>,
    /// Default 50, at most 200.
    pub per_page: Option<i64>,
}

fn check_password(username: &str, password: &str) -> Result<(), ApiError> {
    match password_problem(username, password) {
        Some(why) => Err(ApiError::invalid_field("password", why)),
        None => Ok(()),
    }
}

/// List accounts.
#[utoipa::path(tag = "users", params(UserQuery),
    responses((status = 200, body = Page<User>)))]
#[get("/users")]
async fn list_users(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<UserQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_USERS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let filter = UserFilter {
        role: q.role,
        company_id: q.company_id.map(|id| id.to_string()),
        active: q.active,
    };
    let (rows, total) = db::run(&pool, move |c| {
        store::list(c, &filter, paging.offset(), paging.limit())
    })
    .await?;
    let items = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.respond(&req, items, total))
}

/// Create an account.
///
/// A `company` account names its company, an `opd` account its agency, an
/// `operator` account its kecamatan or desa/kelurahan (`region_code`); the
/// username must be free (409 `username_taken`).
#[utoipa::path(tag = "users", request_body = NewUserBody,
    responses((status = 201, body = User, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`username_taken`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/users")]
async fn create_user(
    user: AuthUser,
    body: web::Json<NewUserBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_USER)?;
    let b = body.into_inner();
    let mut errors = Vec::new();
    if !valid_username(&b.username) {
        errors.push(FieldError::new(
            "username",
            "must be 3–64 letters, digits, `.`, `_` or `-`",
        ));
    }
    if let Err(ApiError::Unprocessable { errors: e, .. }) = check_password(&b.username, &b.password)
    {
        errors.extend(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    check_binding(
        b.role,
        b.company_id.as_deref(),
        b.opd_code.as_deref(),
        b.region_code.as_deref(),
    )?;
    let actor = user.actor();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let new = NewUser {
            password_hash: password::hash(&b.password)?,
            username: b.username,
            role: b.role,
            company_id: b.company_id,
            opd_code: b.opd_code,
            region_code: b.region_code,
            active: b.active.unwrap_or(true),
        };
        Ok(store::create(c, &actor, new)?)
    })
    .await?;
    let version = row.version;
    let location = format!("/api/v1/users/{}", row.id);
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", location));
    Ok(with_etag(res, version, &User::try_from(row)?))
}

/// Read an account.
#[utoipa::path(tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User, headers(("ETag" = String)))))]
#[get("/users/{id}")]
async fn get_user(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_USER)?;
    let id = id.into_inner();
    let row = db::run(&pool, move |c| store::get(c, &id)).await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &User::try_from(row)?,
    ))
}

/// Change an account: role and binding, password, or disable it (a disabled
/// account can no longer get a token).
///
/// Send `If-Match` with the `ETag` you read; a stale one is a 412.
#[utoipa::path(tag = "users", request_body = UserPatch,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = User, headers(("ETag" = String)))))]
#[patch("/users/{id}")]
async fn update_user(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<UserPatch>,
    pool: web::Data<Pool>,
    accounts: web::Data<AccountCache>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_USER)?;
    let expected = if_match(&req)?;
    let p = body.into_inner();
    let actor = user.actor();
    let id = id.into_inner();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        if let Some(pw) = &p.password {
            check_password(&store::get(c, &id)?.username, pw)?;
        }
        let changes = UserChanges {
            password_hash: p.password.as_deref().map(password::hash).transpose()?,
            role: p.role,
            // A new role takes exactly the binding sent with it.
            company_id: if p.role.is_some() {
                Some(p.company_id)
            } else {
                p.company_id.map(Some)
            },
            opd_code: if p.role.is_some() {
                Some(p.opd_code)
            } else {
                p.opd_code.map(Some)
            },
            region_code: if p.role.is_some() {
                Some(p.region_code)
            } else {
                p.region_code.map(Some)
            },
            active: p.active,
        };
        Ok(store::update(c, &actor, &id, expected, changes)?)
    })
    .await?;
    accounts.forget(&row.username);
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &User::try_from(row)?,
    ))
}

/// Delete an account. Its audit trail stays; its tokens stop working.
///
/// An admin cannot delete the account they use (409).
#[utoipa::path(tag = "users", 
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "`cannot_delete_self`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/users/{id}")]
async fn delete_user(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
    accounts: web::Data<AccountCache>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DELETE_USER)?;
    let expected = if_match(&req)?;
    let actor = user.actor();
    let id = id.into_inner();
    let deleted = db::tx(&pool, move |c| store::delete(c, &actor, &id, expected)).await?;
    accounts.forget(&deleted.username);
    Ok(HttpResponse::NoContent().finish())
}
