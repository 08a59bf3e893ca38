//! The public summary of a cycle (issue 15, item 6; DESIGN.md §6.3): no
//! token, no personal data, every count of families under 5 shown as `"<5"`
//! (`domain::disclosure`), cacheable by any proxy. For the public, the DPRD
//! and the press asking where CSR money goes.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::middleware::MAX_QUERY_VALUE;
use super::regency_today;
use crate::db::replica::Reads;
use crate::db::Pool;
use crate::domain::compliance::{ComplianceState, Sector};
use crate::domain::disclosure::PublicCount;
use crate::error::ApiError;
use crate::service::coverage;
use crate::service::realisation::companies_of_cycle;

/// The caller key of the unauthenticated summary's reads (`db::replica`).
const PUBLIC_CALLER: &str = "(public)";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(public_summary);
}

/// How long caches may keep the summary, seconds: its figures move with
/// deliveries, a few times a day at most.
const MAX_AGE: u32 = 300;

/// One kecamatan's families and how far the cycle reached them.
#[derive(Serialize, ToSchema)]
pub struct PublicKecamatan {
    /// Kemendagri code, e.g. `64.02.06`.
    pub code: String,
    pub name: String,
    /// Active families in the registry.
    pub families: PublicCount,
    /// Of those, in desil 1 (extreme poor).
    pub extreme_poor: PublicCount,
    /// Families that are targets of the cycle's programs (CSR and APBD).
    pub targeted: PublicCount,
    /// Targets marked served.
    pub served: PublicCount,
}

/// One company's year: its compliance and its CSR programs' money.
#[derive(Serialize, ToSchema)]
pub struct PublicCompany {
    pub company_name: String,
    pub sector: Sector,
    /// Agreed (or running, or completed) CSR programs of the cycle.
    pub programs: PublicCount,
    /// Their budget, whole rupiah.
    pub planned_budget: i64,
    /// Realised so far, whole rupiah.
    pub realised_value: i64,
    pub compliance_state: ComplianceState,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"cycle_year": 2027, "as_of": "2027-06-30",
    "kecamatan": [{"code": "64.02.06", "name": "Tenggarong", "families": 5812, "extreme_poor": 1210, "targeted": 96, "served": "<5"}],
    "companies": [{"company_name": "PT Sawit Kukar Lestari", "sector": "plantation", "programs": "<5",
        "planned_budget": 1200000000, "realised_value": 450000000, "compliance_state": "compliant"}]}))]
pub struct PublicSummary {
    pub cycle_year: i32,
    /// The regency day (WITA) the figures are for.
    pub as_of: NaiveDate,
    /// Every kecamatan of the regency.
    pub kecamatan: Vec<PublicKecamatan>,
    /// Every active company with a TJSP duty, or with an agreed CSR program.
    pub companies: Vec<PublicCompany>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The planning year.
    #[param(minimum = 2000, maximum = 2100, example = 2027)]
    pub cycle: i32,
}

/// The public summary of a cycle: families, extreme poor, targeted and
/// served per kecamatan; per company its programs, budget, realisation and
/// compliance.
///
/// No token. No personal data: every count under 5 (0 included) is shown
/// as the string `"<5"`, and no totals are given from which a suppressed
/// count could be worked out. Cacheable: `Cache-Control: public,
/// max-age=300` and an `ETag` of the content; a request whose
/// `If-None-Match` names it is answered 304 with no body.
#[utoipa::path(tag = "public", params(SummaryQuery,
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a summary already held")),
    responses(
        (status = 200, body = PublicSummary, headers(("ETag" = String), ("Cache-Control" = String, description = "`public, max-age=300`"))),
        (status = 304, description = "Not modified: the summary named by `If-None-Match` is current", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 400, description = "`invalid_header`: an `If-None-Match` over 200 characters", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such cycle", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/public/summary")]
async fn public_summary(
    req: HttpRequest,
    q: web::Query<SummaryQuery>,
    pool: web::Data<Pool>,
    reads: web::Data<Reads>,
) -> Result<HttpResponse, ApiError> {
    let year = q.cycle;
    let today = regency_today();
    // Nobody writes as the public: the standby serves it within its lag.
    let report = coverage::report(&reads, PUBLIC_CALLER, year, None).await?;
    let companies = companies_of_cycle(&pool, year, today).await?;
    let summary = PublicSummary {
        cycle_year: year,
        as_of: today,
        kecamatan: report
            .rows
            .into_iter()
            .map(|r| PublicKecamatan {
                code: r.region.code,
                name: r.region.name,
                families: PublicCount(r.counts.households),
                extreme_poor: PublicCount(r.counts.extreme_poor),
                targeted: PublicCount(r.counts.targeted),
                served: PublicCount(r.counts.served),
            })
            .collect(),
        companies: companies
            .into_iter()
            .map(|c| PublicCompany {
                company_name: c.company_name,
                sector: c.sector,
                programs: PublicCount(c.programs),
                planned_budget: c.planned_budget,
                realised_value: c.realised_value,
                compliance_state: c.state,
            })
            .collect(),
    };
    let body = serde_json::to_vec(&summary)?;
    let etag = format!("\"{}\"", &crate::service::files::sha256_hex(&body)[..32]);
    let cache = (header::CACHE_CONTROL, format!("public, max-age={MAX_AGE}"));
    let held = match req.headers().get(header::IF_NONE_MATCH) {
        None => false,
        Some(v) if v.len() > MAX_QUERY_VALUE => {
            return Err(ApiError::bad_request(
                "invalid_header",
                format!("If-None-Match is longer than {MAX_QUERY_VALUE} characters"),
            ))
        }
        Some(v) => v
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")),
    };
    if held {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header(cache)
        .body(body))
}
