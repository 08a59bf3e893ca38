//! Planning cycles and their calendar.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{if_match, utc, with_etag, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::cycles::{self as store, CycleRow};
use crate::db::{self, Pool};
use crate::domain::cycle::Calendar;
use crate::error::{ApiError, FieldError};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_cycles)
        .service(create_cycle)
        .service(get_cycle)
        .service(update_cycle);
}

/// The planning years this service accepts.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"year": 2027, "proposals_close": "2026-11-30", "verification_start": "2026-12-01",
    "verification_end": "2026-12-21", "agreement_deadline": "2027-01-31",
    "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"}))]
pub struct Cycle {
    /// The planning year the programs run in.
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// Last day companies may submit proposals (default 30 Nov of the year before).
    pub proposals_close: NaiveDate,
    /// First day of integrated field verification (default 1 Dec).
    pub verification_start: NaiveDate,
    /// Last day of field verification (default 21 Dec).
    pub verification_end: NaiveDate,
    /// Last day agreements may be signed (default 31 Jan of the year).
    pub agreement_deadline: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CycleRow> for Cycle {
    fn from(r: CycleRow) -> Cycle {
        Cycle {
            year: r.year,
            proposals_close: r.proposals_close,
            verification_start: r.verification_start,
            verification_end: r.verification_end,
            agreement_deadline: r.agreement_deadline,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2027}))]
pub struct NewCycle {
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// Each date defaults to the regency's calendar for the year.
    pub proposals_close: Option<NaiveDate>,
    pub verification_start: Option<NaiveDate>,
    pub verification_end: Option<NaiveDate>,
    pub agreement_deadline: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verification_end": "2026-12-23"}))]
pub struct CyclePatch {
    pub proposals_close: Option<NaiveDate>,
    pub verification_start: Option<NaiveDate>,
    pub verification_end: Option<NaiveDate>,
    pub agreement_deadline: Option<NaiveDate>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CycleQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn checked(cal: Calendar) -> Result<Calendar, ApiError> {
    cal.validate().map_err(|errs| {
        ApiError::validation(
            errs.into_iter()
                .map(|v| FieldError::new(v.field, v.reason))
                .collect(),
        )
    })?;
    Ok(cal)
}

fn apply(cal: Calendar, p: &CyclePatch) -> Calendar {
    Calendar {
        proposals_close: p.proposals_close.unwrap_or(cal.proposals_close),
        verification_start: p.verification_start.unwrap_or(cal.verification_start),
        verification_end: p.verification_end.unwrap_or(cal.verification_end),
        agreement_deadline: p.agreement_deadline.unwrap_or(cal.agreement_deadline),
    }
}

/// List planning cycles, newest first.
#[utoipa::path(tag = "cycles", params(CycleQuery),
    responses((status = 200, body = super::Page<Cycle>)))]
#[get("/cycles")]
async fn list_cycles(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<CycleQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_CYCLES)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let (rows, total) = db::run(&pool, move |c| {
        store::list(c, paging.offset(), paging.limit())
    })
    .await?;
    Ok(paging.respond(&req, rows.into_iter().map(Cycle::from).collect(), total))
}

/// Open a planning cycle. Dates not given take the regency's defaults:
/// proposals until 30 Nov of the year before, verification 1–21 Dec,
/// agreements by 31 Jan of the year. Dates must be in that order.
#[utoipa::path(tag = "cycles", request_body = NewCycle,
    responses((status = 201, body = Cycle, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`cycle_exists`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/cycles")]
async fn create_cycle(
    user: AuthUser,
    body: web::Json<NewCycle>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_CYCLE)?;
    let b = body.into_inner();
    if !YEARS.contains(&b.year) {
        return Err(ApiError::invalid_field(
            "year",
            "must be between 2000 and 2100",
        ));
    }
    let defaults = Calendar::default_for(b.year)
        .ok_or_else(|| ApiError::invalid_field("year", "has no calendar"))?;
    let cal = checked(apply(
        defaults,
        &CyclePatch {
            proposals_close: b.proposals_close,
            verification_start: b.verification_start,
            verification_end: b.verification_end,
            agreement_deadline: b.agreement_deadline,
        },
    ))?;
    let actor = user.actor();
    let row = db::tx(&pool, move |c| store::create(c, &actor, b.year, &cal)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/cycles/{}", row.year)));
    Ok(with_etag(res, row.version, &Cycle::from(row)))
}

/// Read a cycle.
#[utoipa::path(tag = "cycles", params(("year" = i32, Path, example = 2027)),
    responses((status = 200, body = Cycle, headers(("ETag" = String)))))]
#[get("/cycles/{year}")]
async fn get_cycle(
    user: AuthUser,
    year: web::Path<i32>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_CYCLE)?;
    let year = year.into_inner();
    let row = db::run(&pool, move |c| store::get(c, year)).await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Cycle::from(row),
    ))
}

/// Move a cycle's dates; the result must still be in order.
///
/// Send `If-Match`; a stale one is a 412.
#[utoipa::path(tag = "cycles", request_body = CyclePatch,
    params(("year" = i32, Path, example = 2027), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Cycle, headers(("ETag" = String)))))]
#[patch("/cycles/{year}")]
async fn update_cycle(
    req: HttpRequest,
    user: AuthUser,
    year: web::Path<i32>,
    body: web::Json<CyclePatch>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_CYCLE)?;
    let expected = if_match(&req)?;
    let year = year.into_inner();
    let actor = user.actor();
    let patch = body.into_inner();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let current = store::get(c, year)?;
        let cal = checked(apply(current.calendar(), &patch))?;
        Ok(store::update(c, &actor, year, expected, &cal)?)
    })
    .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Cycle::from(row),
    ))
}
