//! Reading the audit trail.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{parse_instant, utc, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::audit::{self as store, AuditFilter, AuditRow};
use crate::db::{self, Pool};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e", "at": "2026-11-28T09:15:02.120000Z", "actor": "bappeda", "role": "bappeda",
    "action": "update", "entity": "cycle", "entity_id": "2027",
    "before": {"verification_end": "2026-12-21"}, "after": {"verification_end": "2026-12-23"},
    "request_id": "4e1f…"}))]
pub struct AuditEvent {
    pub id: String,
    pub at: DateTime<Utc>,
    /// Username (or identity-provider subject) of who acted.
    pub actor: String,
    pub role: String,
    /// `create`, `update`, `delete`, a lifecycle action, or `read_personal_data`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> AuditEvent {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEvent {
            id: r.id,
            at: utc(r.at),
            actor: r.actor,
            role: r.role,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: parse(r.before),
            after: parse(r.after),
            request_id: r.request_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `user`, `cycle`, `household`, `program`.
    pub entity: Option<String>,
    /// Only events of this record (its id, or a cycle's year).
    pub entity_id: Option<String>,
    /// Username of who acted.
    pub actor: Option<String>,
    /// Only events of this action (e.g. `create`, `update`, `read`, `search`).
    pub action: Option<String>,
    /// RFC 3339 instant; events at or after it.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The audit trail, newest first: every change with old and new values, and
/// every read of personal data by a company.
#[utoipa::path(tag = "audit", params(AuditQuery),
    responses((status = 200, body = super::Page<AuditEvent>)))]
#[get("/audit-events")]
async fn list_audit_events(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<AuditQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_AUDIT_EVENTS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    let filter = AuditFilter {
        since: q
            .since
            .as_deref()
            .map(|s| parse_instant("since", s))
            .transpose()?,
        entity: q.entity,
        entity_id: q.entity_id,
        actor: q.actor,
        action: q.action,
    };
    let (rows, total) = db::run(&pool, move |c| {
        store::list(c, &filter, paging.offset(), paging.limit())
    })
    .await?;
    Ok(paging.respond(
        &req,
        rows.into_iter().map(AuditEvent::from).collect(),
        total,
    ))
}
