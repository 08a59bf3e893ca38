//! Which households a program should take, ranked with reasons.

use std::collections::HashSet;

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::households::{render, Household};
use super::{bad_param, regency_today};
use crate::api::access;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::programs as programs_store;
use crate::db::replica::Reads;
use crate::db::{companies, exposure, households};
use crate::domain::exposure::is_live;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::service::recommendations::ranked;
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(recommendations);
}

/// Default and largest `limit`.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 200;

#[derive(Serialize, ToSchema)]
pub struct Recommendation {
    /// As the caller may see it (masked for a company).
    pub household: Household,
    /// Higher ranks first: extreme poverty dominates, then need matching the
    /// program type, then welfare (see `src/domain/ranking.rs`).
    pub score: i64,
    pub reasons: Vec<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// How many, 1–200 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 20)]
    pub limit: Option<usize>,
}

/// Ranked households for a program: active families in its target regions
/// (default: the company's working area; none without one) that are not
/// already a target of a program of the same type in the cycle, extreme poor
/// first, then by the need that matches the type, each with its reasons.
///
/// For a company, what a page shows is exposed to it (readable, masked,
/// until its cycle ends on 31 December of the cycle year) and counts against
/// its exposure cap: distinct households shown per cycle, the company's
/// `exposure_cap` or the service default (`RBPK_COMPANY_EXPOSURE_CAP`, 500).
/// Households shown before in the cycle do not count again. A page that
/// would cross the cap is cut to the remainder; once nothing remains, a page
/// with any household not shown before is a 403 `exposure_cap_reached`
/// (with `cap`, `shown`). `X-Exposure-Cap` and `X-Exposure-Remaining` say
/// where the company stands. A program of an ended cycle shows a company
/// nothing (409 `cycle_ended`).
///
/// A company only for its own programs, an opd for those it leads.
#[utoipa::path(tag = "programs", params(("id" = String, Path), RecommendationQuery),
    responses((status = 200, body = Vec<Recommendation>, headers(
            ("X-Exposure-Cap" = i64, description = "Company callers: the cap of distinct households shown per cycle"),
            ("X-Exposure-Remaining" = i64, description = "Company callers: households not shown before that may still be shown this cycle"))),
        (status = 403, description = "`forbidden` (role), or `exposure_cap_reached` (company: its cap for the cycle is used up; `cap`, `shown`, `cycle_year`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cycle_ended` (company: the program's cycle ended on 31 December of its year)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/programs/{id}/recommendations")]
async fn recommendations(
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<RecommendationQuery>,
    reads: web::Data<Reads>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::RECOMMENDATIONS)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad_param("limit", "must be between 1 and 200"));
    }
    let id = id.into_inner();
    let reach = Caller::from(&user).reach();
    let default_cap = config.exposure_cap;
    let caller = user.claims.sub.clone();
    let audited = user.reads_are_audited();
    let (items, cap) = reads.read(&caller, audited, move |c| {
        let program = programs_store::get(c, &id, &reach)?;
        let company_caller = user.role() == Role::Company;
        if company_caller && !is_live(program.cycle_year, regency_today()) {
            return Err(ApiError::conflict(
                "cycle_ended",
                format!(
                    "cycle {} ended on 31 December {}; its households are no longer shown to companies",
                    program.cycle_year, program.cycle_year
                ),
            ));
        }
        let mut regions = program.regions();
        if regions.is_empty() {
            // A CSR program without regions serves its company's working
            // area; an APBD program the whole regency.
            regions = match &program.company_id {
                Some(company) => companies::get(c, company)?.working_area()?,
                None => vec![crate::domain::region::KUKAR.to_string()],
            };
        }
        let mut ranked = ranked(c, &program, &regions, limit, regency_today())?;
        let ids: Vec<String> = ranked.iter().map(|(id, _)| id.to_string()).collect();
        let mut cap = None;
        if let (true, Some(company)) = (company_caller, &program.company_id) {
            let company_cap = exposure::cap_of(c, company, default_cap)?;
            let admitted = exposure::admit_shown(
                c,
                company,
                program.cycle_year,
                &ids,
                company_cap,
            )?;
            let shown: HashSet<&str> = admitted.ids.iter().map(String::as_str).collect();
            ranked.retain(|(id, _)| shown.contains(id.as_str()));
            cap = Some((admitted.cap, admitted.remaining));
        }
        let ids: Vec<String> = ranked.iter().map(|(id, _)| id.to_string()).collect();
        let rows = households::in_order(c, &ids)?;
        let households = render(c, &user, rows)?;
        let items = households
            .into_iter()
            .zip(ranked)
            .map(|(household, (_, scored))| Recommendation {
                household,
                score: scored.score,
                reasons: scored.reasons,
            })
            .collect::<Vec<_>>();
        Ok((items, cap))
    })
    .await?;
    let mut res = HttpResponse::Ok();
    if let Some((cap, remaining)) = cap {
        res.insert_header(("X-Exposure-Cap", cap.to_string()))
            .insert_header(("X-Exposure-Remaining", remaining.to_string()));
    }
    Ok(res.json(items))
}
