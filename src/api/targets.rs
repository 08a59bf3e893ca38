//! The targets of a program: households (optionally one member) it will
//! reach, with planned and realised value. One household is an active target
//! of at most one program of the same type per cycle.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{if_match, regency_today, utc, with_etag, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::targets::TargetRow;
use crate::db::Pool;
use crate::domain::program::TargetStatus;
use crate::error::ApiError;
use crate::service::targets::{self as service, TargetChange};
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_targets)
        .service(add_target)
        .service(get_target)
        .service(update_target)
        .service(remove_target);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "program_id": "8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f", "member_id": null,
    "status": "eligible", "planned_value": 30000000, "realized_value": null, "active": true,
    "created_at": "2026-11-20T02:00:00Z", "updated_at": "2026-12-05T01:00:00Z"}))]
pub struct Target {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    #[schema(format = Uuid)]
    pub household_id: String,
    pub member_id: Option<String>,
    /// `proposed`, then the latest verification result, then `served`.
    pub status: TargetStatus,
    /// Whole rupiah.
    pub planned_value: i64,
    /// Whole rupiah, once delivered.
    pub realized_value: Option<i64>,
    /// False once the program was rejected, withdrawn or cancelled.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<TargetRow> for Target {
    type Error = ApiError;
    fn try_from(r: TargetRow) -> Result<Target, ApiError> {
        Ok(Target {
            status: r.status,
            id: r.id,
            program_id: r.program_id,
            household_id: r.household_id,
            member_id: r.member_id,
            planned_value: r.planned_value,
            realized_value: r.realized_value,
            active: r.active,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TargetQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f", "planned_value": 30000000}))]
pub struct NewTarget {
    #[schema(format = Uuid)]
    pub household_id: String,
    /// One member the program reaches (e.g. a stunted child), if not the whole family.
    #[schema(format = Uuid)]
    pub member_id: Option<String>,
    /// Whole rupiah, default 0.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub planned_value: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"realized_value": 29500000}))]
pub struct TargetPatch {
    /// Until the program is agreed.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub planned_value: Option<i64>,
    /// Once the program is running: records delivery and marks the target `served`.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub realized_value: Option<i64>,
}

/// The targets of a program.
///
/// A company only for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", params(("id" = String, Path), TargetQuery),
    responses((status = 200, body = super::Page<Target>)))]
#[get("/programs/{id}/targets")]
async fn list_targets(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<TargetQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_TARGETS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let (rows, total) = service::list(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        paging.offset(),
        paging.limit(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(Target::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.respond(&req, items, total))
}

/// Add a target while the program is not yet agreed. A company adds households
/// it may read (shown by a recommendation in a live cycle, or already its
/// target); a household that is an active target of another program of the
/// same type in the cycle is a 409 `already_targeted`, naming that program
/// (`other_program_id`, `other_program_title`) to government roles, and to a
/// company only when the program is its own.
///
/// A company only for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", request_body = NewTarget, params(("id" = String, Path)),
    responses((status = 201, body = Target, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`already_targeted` (with `other_program_id` and `other_program_title`, except for a company when the other program is not its own) or `targets_locked`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/programs/{id}/targets")]
async fn add_target(
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<NewTarget>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::ADD_TARGET)?;
    let b = body.into_inner();
    let target = service::NewTarget {
        household_id: b.household_id,
        member_id: b.member_id,
        planned_value: b.planned_value.unwrap_or(0),
    };
    let row = service::add(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        target,
        regency_today(),
    )
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        "Location",
        format!("/api/v1/programs/{}/targets/{}", row.program_id, row.id),
    ));
    Ok(with_etag(res, row.version, &Target::try_from(row)?))
}

/// Read a target.
///
/// A company only for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", params(("id" = String, Path), ("target_id" = String, Path)),
    responses((status = 200, body = Target, headers(("ETag" = String)))))]
#[get("/programs/{id}/targets/{target_id}")]
async fn get_target(
    user: AuthUser,
    path: web::Path<(String, String)>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_TARGET)?;
    let (id, target_id) = path.into_inner();
    let row = service::get(&pool, Caller::from(&user), id, target_id).await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Target::try_from(row)?,
    ))
}

/// Change a target's planned value (until agreement) or record its realised
/// value (while the program runs; the target becomes `served`).
///
/// A company only for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", request_body = TargetPatch,
    params(("id" = String, Path), ("target_id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Target, headers(("ETag" = String))),
        (status = 409, description = "`targets_locked` or `not_running`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/programs/{id}/targets/{target_id}")]
async fn update_target(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<TargetPatch>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_TARGET)?;
    let expected = if_match(&req)?;
    let b = body.into_inner();
    let (id, target_id) = path.into_inner();
    let change = TargetChange {
        planned_value: b.planned_value,
        realized_value: b.realized_value,
    };
    let row = service::update(&pool, Caller::from(&user), id, target_id, expected, change).await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Target::try_from(row)?,
    ))
}

/// Remove a target while the program is not yet agreed.
///
/// A company only for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", 
    params(("id" = String, Path), ("target_id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "`targets_locked`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/programs/{id}/targets/{target_id}")]
async fn remove_target(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<(String, String)>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::REMOVE_TARGET)?;
    let expected = if_match(&req)?;
    let (id, target_id) = path.into_inner();
    service::remove(&pool, Caller::from(&user), id, target_id, expected).await?;
    Ok(HttpResponse::NoContent().finish())
}
