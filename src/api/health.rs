//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::Pool;
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers. 503 while it cannot be reached; 200 again
/// as soon as it is back, without a restart.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/ready")]
async fn ready(pool: web::Data<Pool>) -> Result<HttpResponse, ApiError> {
    let pool = pool.get_ref().clone();
    web::block(move || {
        use diesel::r2d2::R2D2Connection;
        // A probe must answer fast: wait one second for a connection at most.
        let mut c = pool.get_timeout(std::time::Duration::from_secs(1))?;
        c.ping().map_err(|_| ApiError::Unavailable {
            detail: "the database does not answer".into(),
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
    }))
}
