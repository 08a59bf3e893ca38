//! Which households a program should take, ranked with reasons.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::households::{render, Household};
use super::programs::reach;
use super::{bad_param, regency_today};
use crate::auth::AuthUser;
use crate::db::programs as store;
use crate::db::{self, companies, households, Pool};
use crate::domain::program::ProgramType;
use crate::domain::ranking::{rank, ranks_by_members, Candidate};
use crate::domain::role::Role;
use crate::error::ApiError;

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
    pub limit: Option<usize>,
}

/// Ranked households for a program: active families in its target regions
/// (default: the company's working area) that are not already a target of a
/// program of the same type in the cycle, extreme poor first, then by the need
/// that matches the type, each with its reasons. Households recommended to a
/// company's program become readable to that company (masked).
///
/// **Roles:** company (own), opd (lead), bappeda, admin.
#[utoipa::path(tag = "programs", security(("bearer" = [])), params(("id" = String, Path), RecommendationQuery),
    responses((status = 200, body = Vec<Recommendation>)))]
#[get("/programs/{id}/recommendations")]
async fn recommendations(
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<RecommendationQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Company, Role::Opd, Role::Bappeda, Role::Admin])?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad_param("limit", "must be between 1 and 200"));
    }
    let id = id.into_inner();
    let reach = reach(&user);
    let items = db::read(&pool, user.reads_are_audited(), move |c| {
        let program = store::get(c, &id, &reach)?;
        let program_type: ProgramType = program
            .program_type
            .parse()
            .map_err(|e| ApiError::internal(format!("{e}")))?;
        let mut regions = program.regions();
        if regions.is_empty() {
            regions = companies::get(c, &program.company_id)?.working_area()?;
        }
        // The extreme poor outrank every other family whatever their need
        // (domain::ranking), so the others are only read when the extreme
        // poor do not fill the list.
        let mut rows = store::candidates(c, &program, &regions, true)?;
        if rows.len() < limit {
            rows.extend(store::candidates(c, &program, &regions, false)?);
        }
        let needs = if ranks_by_members(program_type) {
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            store::member_needs(c, &ids, regency_today())?
        } else {
            Default::default()
        };
        let candidates: Vec<Candidate<'_>> = rows
            .iter()
            .map(|r| {
                let (members, school, work) = needs.get(&r.id).copied().unwrap_or_default();
                Candidate {
                    id: &r.id,
                    desil: r.desil.and_then(|d| i16::try_from(d).ok()),
                    percentile: r.percentile.and_then(|d| i16::try_from(d).ok()),
                    roof_quality: r.roof_quality.as_deref(),
                    wall_quality: r.wall_quality.as_deref(),
                    floor_quality: r.floor_quality.as_deref(),
                    toilet_facility: r.toilet_facility.as_deref(),
                    drinking_water: r.drinking_water.as_deref(),
                    lighting_source: r.lighting_source.as_deref(),
                    stunting_risk: r.stunting_risk.as_deref(),
                    school_age_not_in_school: school,
                    working_age_without_work: work,
                    members_count: members,
                }
            })
            .collect();
        let ranked = rank(program_type, &candidates, limit);
        let ids: Vec<String> = ranked.iter().map(|(id, _)| id.to_string()).collect();
        if user.role() == Role::Company {
            store::record_recommendations(c, &program.id, &ids)?;
        }
        let rows = households::in_order(c, &ids)?;
        let households = render(c, &user, rows)?;
        Ok(households
            .into_iter()
            .zip(ranked)
            .map(|(household, (_, scored))| Recommendation {
                household,
                score: scored.score,
                reasons: scored.reasons,
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(items))
}
