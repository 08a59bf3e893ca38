//! The region tree of Kukar: kabupaten, kecamatan, desa/kelurahan.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{bad_param, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::regions::{self as store, RegionFilter};
use crate::db::{self, Pool};
use crate::domain::region::{normalize_code, RegionRow};
use crate::domain::region_lookup::RegionLevel;
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_regions).service(get_region);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"code": "64.02.19.2001", "code10": "6402192001", "name": "Kedang Ipil", "level": "desa",
    "parent_code": "64.02.19", "old_code": "64.02.08.2001", "old_name": null}))]
pub struct Region {
    /// Kemendagri code with dots.
    pub code: String,
    /// The same code without dots, as P3KE files write it.
    pub code10: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    /// The 2019 code, where it changed in 2025.
    pub old_code: Option<String>,
    /// The name before 2025, where it changed.
    pub old_name: Option<String>,
}

impl From<RegionRow> for Region {
    fn from(r: RegionRow) -> Region {
        Region {
            code: r.code,
            code10: r.code10,
            name: r.name,
            level: r.level,
            parent_code: r.parent_code,
            old_code: r.old_code,
            old_name: r.old_name,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    #[param(inline)]
    /// Only regions of this level.
    pub level: Option<RegionLevel>,
    /// Children of this region (code with or without dots).
    #[param(
        pattern = "^([0-9]{2}(\\.[0-9]{2}(\\.[0-9]{2}(\\.[0-9]{4})?)?)?|[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{4})?)?)?)$"
    )]
    pub parent: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    pub page: Option<i64>,
    /// Default 50, at most 200 (the whole of Kukar has 258 regions).
    pub per_page: Option<i64>,
}

/// List regions.
#[utoipa::path(tag = "regions", params(RegionQuery),
    responses((status = 200, body = super::Page<Region>)))]
#[get("/regions")]
async fn list_regions(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<RegionQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_REGIONS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let parent = match &q.parent {
        Some(p) => {
            Some(normalize_code(p).ok_or_else(|| bad_param("parent", "is not a region code"))?)
        }
        None => None,
    };
    let filter = RegionFilter {
        level: q.level,
        parent,
        q: q.q.clone(),
    };
    let (rows, total) = db::run(&pool, move |c| {
        store::list(c, &filter, paging.offset(), paging.limit())
    })
    .await?;
    let items: Vec<Region> = rows.into_iter().map(Region::from).collect();
    Ok(paging.respond(&req, items, total))
}

/// Read one region by its code, with or without dots; a 2019 code answers
/// with the region that carries it now.
#[utoipa::path(tag = "regions", params(("code" = String, Path, example = "64.02.06.2001")),
    responses((status = 200, body = Region)))]
#[get("/regions/{code}")]
async fn get_region(
    user: AuthUser,
    code: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_REGION)?;
    let code = code.into_inner();
    let row = db::run(&pool, move |c| store::resolve(c, &code))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok().json(Region::from(row)))
}
