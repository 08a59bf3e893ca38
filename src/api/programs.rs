//! Programs: one company's contribution in one cycle, led by one OPD, moving
//! through the lifecycle of `domain::program` (proposal, consolidation,
//! verification, agreement, implementation).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{bad_param, if_match, regency_today, utc, with_etag, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::programs::ProgramFilter;
use crate::db::Pool;
use crate::domain::program::{Action, Funding, ProgramStatus, ProgramType, Strategy};
use crate::domain::region::normalize_code;
use crate::error::ApiError;
use crate::service::programs::{self as service, ProgramView};
pub use crate::service::programs::{NewProgram, ProgramPatch};
use crate::service::signatures;
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_programs)
        .service(create_program)
        .service(get_program)
        .service(update_program)
        .service(delete_program)
        .service(transition)
        .service(sign);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "cycle_year": 2027, "company_id": "00000000-0000-4000-8000-000000000001",
    "funding": "csr", "opd_code": "PERKIM", "title": "Bedah rumah 40 KK Tenggarong", "description": null, "type": "housing",
    "strategy": "reduce_burden", "budget": 1200000000, "target_regions": ["64.02.06"], "status": "consolidated",
    "status_note": null, "agreement_number": null, "signed_by_company_on": null, "signed_by_opd_on": null,
    "targets_count": 40, "available_actions": ["withdraw"],
    "created_at": "2026-11-02T03:00:00Z", "updated_at": "2026-12-01T02:00:00Z"}))]
pub struct Program {
    #[schema(format = Uuid)]
    pub id: String,
    pub cycle_year: i32,
    /// The company; null for an APBD program.
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    /// `csr`: a company's TJSP program; `apbd`: an agency's own program on
    /// the regency budget (no company; the lead agency alone signs).
    pub funding: Funding,
    /// The lead agency (OPD), e.g. `PERKIM`; required before consolidation.
    pub opd_code: Option<String>,
    pub title: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub program_type: ProgramType,
    pub strategy: Strategy,
    /// Whole rupiah.
    pub budget: i64,
    /// Region codes; empty means the company's working area.
    pub target_regions: Vec<String>,
    pub status: ProgramStatus,
    /// The reason given with the last rejection, cancellation or override.
    pub status_note: Option<String>,
    pub agreement_number: Option<String>,
    pub signed_by_company_on: Option<NaiveDate>,
    pub signed_by_opd_on: Option<NaiveDate>,
    pub targets_count: i64,
    /// The lifecycle actions the caller could take today.
    pub available_actions: Vec<Action>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ProgramView> for Program {
    type Error = ApiError;
    fn try_from(v: ProgramView) -> Result<Program, ApiError> {
        let r = v.row;
        Ok(Program {
            target_regions: r.regions(),
            program_type: r.program_type,
            strategy: r.strategy,
            id: r.id,
            cycle_year: r.cycle_year,
            targets_count: v.targets_count,
            company_id: r.company_id,
            funding: r.funding,
            opd_code: r.opd_code,
            title: r.title,
            description: r.description,
            budget: r.budget,
            status: v.status,
            status_note: r.status_note,
            agreement_number: r.agreement_number,
            signed_by_company_on: r.signed_by_company_on,
            signed_by_opd_on: r.signed_by_opd_on,
            available_actions: v.available_actions,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

/// A program as the caller sees it, with the version its `ETag` names.
fn answer(view: ProgramView) -> Result<(i32, Program), ApiError> {
    Ok((view.row.version, Program::try_from(view)?))
}

/// 200 with the program and its `ETag`.
fn ok(view: ProgramView) -> Result<HttpResponse, ApiError> {
    let (version, item) = answer(view)?;
    Ok(with_etag(HttpResponse::Ok(), version, &item))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgramQuery {
    /// Planning year.
    pub cycle: Option<i32>,
    /// Only this company's programs (its id).
    pub company_id: Option<uuid::Uuid>,
    /// Only CSR or only APBD programs.
    pub funding: Option<Funding>,
    /// Only programs led by this agency (e.g. `DINSOS`).
    pub opd_code: Option<String>,
    /// Only programs in this status.
    pub status: Option<ProgramStatus>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    /// Only programs of this type.
    pub program_type: Option<ProgramType>,
    /// Programs whose target regions contain, or lie in, this region.
    #[param(
        pattern = "^([0-9]{2}(\\.[0-9]{2}(\\.[0-9]{2}(\\.[0-9]{4})?)?)?|[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{4})?)?)?)$"
    )]
    pub region: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// List programs.
///
/// Admin, bappeda, bupati, viewer and verifier see every program; a company its
/// own; an opd those it leads.
#[utoipa::path(tag = "programs", params(ProgramQuery),
    responses((status = 200, body = super::Page<Program>)))]
#[get("/programs")]
async fn list_programs(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<ProgramQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_PROGRAMS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    let region = match &q.region {
        Some(r) => {
            Some(normalize_code(r).ok_or_else(|| bad_param("region", "is not a region code"))?)
        }
        None => None,
    };
    let filter = ProgramFilter {
        cycle: q.cycle,
        company_id: q.company_id.map(|id| id.to_string()),
        funding: q.funding,
        opd_code: q.opd_code,
        status: q.status,
        program_type: q.program_type,
        region,
    };
    let (views, total) = service::list(
        &pool,
        Caller::from(&user),
        filter,
        paging.offset(),
        paging.limit(),
        regency_today(),
    )
    .await?;
    let items = views
        .into_iter()
        .map(Program::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.respond(&req, items, total))
}

/// Propose a program (created as `draft`; `submit` it within the proposal window).
///
/// A company proposes for itself; bappeda and admin name `company_id`. The
/// cycle and the company must exist and the company be active. Target
/// regions must lie in the company's working area (422 naming each region
/// outside it, field `target_regions`); bappeda and admin may set others with
/// `region_override_reason`, which is audited (a company sending one: 403).
///
/// `funding: apbd` makes an agency's own program on the regency budget, with
/// no company: an opd creates only these (its own code as lead agency, the
/// default funding for it), bappeda and admin name `opd_code`; target regions
/// anywhere in the regency. It goes through the same lifecycle, the lead
/// agency taking the company's steps and signing alone; its targets count
/// against CSR programs' in the one-target-per-type rule.
#[utoipa::path(tag = "programs", request_body = NewProgram,
    responses((status = 201, body = Program, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "`forbidden`: the role may not, or a company sent `region_override_reason`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, e.g. a target region outside the company's working area, `funding` the caller may not create (a company: `apbd`; an opd: `csr`), a `company_id` on an APBD program", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/programs")]
async fn create_program(
    user: AuthUser,
    body: web::Json<NewProgram>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_PROGRAM)?;
    let view = service::create(
        &pool,
        Caller::from(&user),
        body.into_inner(),
        regency_today(),
    )
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/programs/{}", view.row.id)));
    let (version, item) = answer(view)?;
    Ok(with_etag(res, version, &item))
}

/// Read a program.
///
/// Outside the caller's reach (as for listing) the answer is 404.
#[utoipa::path(tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Program, headers(("ETag" = String)))))]
#[get("/programs/{id}")]
async fn get_program(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_PROGRAM)?;
    let view = service::get(&pool, Caller::from(&user), id.into_inner(), regency_today()).await?;
    ok(view)
}

/// Edit a program while it is `draft` or `proposed` (the lead agency may
/// still be set while `proposed`, which consolidation needs). The type cannot
/// change once targets exist. Target regions follow the rule of creation:
/// inside the company's working area (422 naming each region outside it),
/// others only by bappeda or admin with `region_override_reason` (audited).
///
/// A company only its own; an opd only its own APBD programs (409
/// `not_an_apbd_program` on a CSR program it leads) and never hands one to another agency (422). Send
/// `If-Match`; a stale one is a 412.
#[utoipa::path(tag = "programs", request_body = ProgramPatch,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Program, headers(("ETag" = String))),
        (status = 403, description = "`forbidden`: the role may not, or a company sent `region_override_reason`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, e.g. a target region outside the company's working area", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`program_locked` (not draft/proposed), `targets_exist` (type change) or `not_an_apbd_program` (an opd on a CSR program)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/programs/{id}")]
async fn update_program(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<ProgramPatch>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_PROGRAM)?;
    let expected = if_match(&req)?;
    let view = service::update(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        body.into_inner(),
        regency_today(),
    )
    .await?;
    ok(view)
}

/// Delete a draft program (a submitted one is withdrawn instead).
///
/// A company only its own; an opd only its own APBD programs.
#[utoipa::path(tag = "programs", 
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "`not_a_draft`, or `not_an_apbd_program` (an opd on a CSR program)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/programs/{id}")]
async fn delete_program(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DELETE_PROGRAM)?;
    let expected = if_match(&req)?;
    service::delete(&pool, Caller::from(&user), id.into_inner(), expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "consolidate", "note": "Masuk RKPD 2027"}))]
pub struct TransitionRequest {
    /// `submit`, `consolidate`, `reject`, `withdraw`, `start`, `complete`, `cancel`.
    pub action: Action,
    /// Required for `reject` and `cancel`.
    pub note: Option<String>,
    /// Admin only: carry out the action outside its calendar window, with the
    /// reason (audited).
    pub override_reason: Option<String>,
}

/// Move a program through its lifecycle. The table of actions, roles, windows
/// and preconditions is in `docs/program-lifecycle.md`. Outside the action's
/// calendar window the answer is 409 with a `code` naming the window (e.g.
/// `proposal_window_closed`) and its dates; an admin may override a closed
/// window with `override_reason`.
///
/// Each action has its own roles — submit: company (own), bappeda, admin;
/// consolidate, reject: bappeda, admin; withdraw: company (own), admin; start,
/// complete: company (own), opd (lead), bappeda, admin; cancel: bappeda, admin.
#[utoipa::path(tag = "programs", request_body = TransitionRequest,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Program, headers(("ETag" = String))),
        (status = 409, description = "`invalid_transition`, a window code such as `proposal_window_closed`, or a precondition such as `lead_opd_missing`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`note_required`, or a request body that is not valid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/programs/{id}/transitions")]
async fn transition(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<TransitionRequest>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::TRANSITION)?;
    let expected = if_match(&req)?;
    let b = body.into_inner();
    if !Action::REQUESTABLE.contains(&b.action) {
        return Err(ApiError::invalid_field(
            "action",
            "must be submit, consolidate, reject, withdraw, start, complete or cancel (signing has its own endpoint)",
        ));
    }
    let request = service::Transition {
        action: b.action,
        note: b.note,
        override_reason: b.override_reason,
    };
    let view = service::transition(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        request,
        regency_today(),
    )
    .await?;
    ok(view)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"agreement_number": "PKS/012/BAPPEDA/I/2027", "signed_on": "2027-01-20"}))]
pub struct SignatureRequest {
    /// The agreement's number; both parties sign the same one.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub agreement_number: String,
    /// Not in the future.
    pub signed_on: NaiveDate,
}

/// Sign the agreement, as the company or as the lead agency, until the
/// cycle's agreement deadline. When both have signed and at least one target
/// is verified eligible (and every target has a result), the program becomes
/// `agreed`.
///
/// A company signs for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", request_body = SignatureRequest,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Program, headers(("ETag" = String))),
        (status = 409, description = "`invalid_transition` or `agreement_window_closed`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/programs/{id}/signatures")]
async fn sign(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<SignatureRequest>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::SIGN)?;
    let expected = if_match(&req)?;
    let b = body.into_inner();
    let view = signatures::sign(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        &b.agreement_number,
        b.signed_on,
        regency_today(),
    )
    .await?;
    ok(view)
}
