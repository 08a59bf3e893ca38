//! Webhooks (docs/EVENTS.md): where a company's ERP or an agency system
//! wants events pushed, signed the Standard Webhooks way. A company manages
//! its own and receives its own events; the admin manages all, and an
//! admin's webhook without a company receives every event.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{if_match, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::webhooks::{self as store, DeliveryRow, WebhookFields, WebhookReach, WebhookRow};
use crate::db::{self, Pool};
use crate::domain::event::{secret_key, DeliveryStatus, EventType, WebhookUrl};
use crate::domain::role::Role;
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(list_webhook_deliveries);
}

/// A webhook (its secret is never shown).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5c0-aaaa-7bbb-8ccc-0123456789ab", "url": "https://erp.example.co.id/hooks/rbpk",
    "events": ["program.status_changed", "program.signed"], "active": true,
    "company_id": "00000000-0000-4000-8000-000000000001", "failure_count": 0,
    "last_success_at": "2027-03-02T04:15:10Z", "last_failure_at": null, "disabled_at": null,
    "created_by": "csr.mitra", "created_at": "2027-01-10T02:00:00Z", "updated_at": "2027-01-10T02:00:00Z"}))]
pub struct Webhook {
    #[schema(format = Uuid)]
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    /// Off when its owner turned it off or after 10 straight failed attempts.
    pub active: bool,
    /// The company whose events it receives; `null`: every event (admin).
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    /// Failed attempts since the last success.
    #[schema(minimum = 0, maximum = 2147483647)]
    pub failure_count: i32,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// When the failures turned it off.
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Webhook {
        Webhook {
            events: r.event_types(),
            id: r.id,
            url: r.url,
            active: r.active,
            company_id: r.company_id,
            failure_count: r.failure_count,
            last_success_at: r.last_success_at.map(utc),
            last_failure_at: r.last_failure_at.map(utc),
            disabled_at: r.disabled_at.map(utc),
            created_by: r.created_by,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// A webhook to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://erp.example.co.id/hooks/rbpk",
    "events": ["program.status_changed", "program.signed", "target.verified"],
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))]
pub struct NewWebhook {
    /// `https://` to a public host; a private or loopback host (and plain
    /// `http://`) only where the service's `RBPK_WEBHOOK_ALLOW_HOSTS` names it.
    #[schema(
        min_length = 10,
        max_length = 2048,
        pattern = "^https?://[^\\s@\\u0000]+$"
    )]
    pub url: String,
    /// The event types to receive (at least one; a repeated one counts once).
    #[schema(min_items = 1, max_items = 10)]
    pub events: Vec<EventType>,
    /// The signing secret, `whsec_` and the base64 of 24–64 random bytes
    /// (e.g. `whsec_$(openssl rand -base64 32)`); write-only, never shown.
    #[schema(
        write_only,
        min_length = 38,
        max_length = 94,
        pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$"
    )]
    pub secret: String,
    /// Default `true`.
    pub active: Option<bool>,
    /// Admin only: the company whose events it receives (default: none, so
    /// every event). A company's webhook is always its own.
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
}

/// Fields to change; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": true}))]
pub struct WebhookPatch {
    #[schema(
        min_length = 10,
        max_length = 2048,
        pattern = "^https?://[^\\s@\\u0000]+$"
    )]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 10)]
    pub events: Option<Vec<EventType>>,
    /// A new signing secret (rotation); write-only.
    #[schema(
        write_only,
        min_length = 38,
        max_length = 94,
        pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$"
    )]
    pub secret: Option<String>,
    /// `true` turns a webhook that failures turned off back on, with its
    /// failure count cleared; what waited is then delivered in order.
    pub active: Option<bool>,
}

/// One line of a webhook's delivery log.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5c0-bbbb-7ccc-8ddd-0123456789ab", "event_id": "0193a5c0-7d1e-7aa0-9c1e-5b2f8e4d3c21",
    "event_type": "program.signed", "status": "delivered", "attempts": 1, "next_attempt_at": "2027-03-02T04:15:09Z",
    "last_status_code": 200, "last_error": null, "delivered_at": "2027-03-02T04:15:10Z",
    "created_at": "2027-03-02T04:15:09Z"}))]
pub struct Delivery {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub event_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    #[schema(minimum = 0, maximum = 2147483647)]
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: DateTime<Utc>,
    /// The receiver's last HTTP status, if it answered.
    #[schema(minimum = 100, maximum = 599)]
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Delivery {
        Delivery {
            id: r.id,
            event_id: r.event_id,
            event_type: r.event_type,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: utc(r.next_attempt_at),
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            delivered_at: r.delivered_at.map(utc),
            created_at: utc(r.created_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn reach(user: &AuthUser) -> WebhookReach {
    match user.company_id() {
        Some(c) if user.role() == Role::Company => WebhookReach::Company(c.to_string()),
        _ => WebhookReach::All,
    }
}

/// The URL and event rules; 422 naming the field.
fn checked(
    url: String,
    events: Vec<EventType>,
    active: bool,
    config: &Config,
) -> Result<WebhookFields, ApiError> {
    WebhookUrl::parse(&url)
        .and_then(|u| u.check(&config.webhooks.allow_hosts))
        .map_err(|e| ApiError::invalid_field("url", e.to_string()))?;
    let events: Vec<EventType> = events
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if events.is_empty() {
        return Err(ApiError::invalid_field(
            "events",
            "must name at least one event type",
        ));
    }
    Ok(WebhookFields {
        url,
        events,
        active,
    })
}

fn checked_secret(secret: &str) -> Result<(), ApiError> {
    secret_key(secret).map(|_| ()).ok_or_else(|| {
        ApiError::invalid_field(
            "secret",
            "must be whsec_ and the base64 of 24–64 random bytes",
        )
    })
}

/// The webhooks the caller manages (a company its own), oldest first.
#[utoipa::path(tag = "webhooks", params(PageQuery),
    responses((status = 200, body = Page<Webhook>)))]
#[get("/webhooks")]
async fn list_webhooks(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<PageQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_WEBHOOKS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let reach = reach(&user);
    let (rows, total) = db::run(&pool, move |c| {
        store::list(c, &reach, paging.offset(), paging.limit())
    })
    .await?;
    let items: Vec<Webhook> = rows.into_iter().map(Webhook::from).collect();
    Ok(paging.respond(&req, items, total))
}

/// Add a webhook. It receives the events of its types that happen from now
/// on (a company: its own programs' and letters'), each `POST`ed as
/// `{id, type, occurred_at, data}` with `webhook-id`, `webhook-timestamp`
/// and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`;
/// a 2xx answer within 10 s is a delivery, anything else is tried again
/// (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), in order per webhook; 10
/// straight failures turn it off.
#[utoipa::path(tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = Webhook, headers(("ETag" = String), ("Location" = String)))))]
#[post("/webhooks")]
async fn create_webhook(
    user: AuthUser,
    body: web::Json<NewWebhook>,
    pool: web::Data<Pool>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_WEBHOOK)?;
    let b = body.into_inner();
    let company_id = match reach(&user) {
        WebhookReach::Company(own) => {
            if b.company_id.as_ref().is_some_and(|c| c != &own) {
                return Err(ApiError::invalid_field(
                    "company_id",
                    "a company's webhook is its own",
                ));
            }
            Some(own)
        }
        WebhookReach::All => b.company_id,
    };
    let fields = checked(b.url, b.events, b.active.unwrap_or(true), &config)?;
    checked_secret(&b.secret)?;
    let actor = user.actor();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        if let Some(company) = &company_id {
            if !crate::db::companies::exists(c, company)? {
                return Err(ApiError::invalid_field("company_id", "no such company"));
            }
        }
        Ok(store::create(c, &actor, fields, &b.secret, company_id)?)
    })
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/webhooks/{}", row.id)));
    let version = row.version;
    Ok(with_etag(res, version, &Webhook::from(row)))
}

/// Read a webhook (a company only its own).
#[utoipa::path(tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = Webhook, headers(("ETag" = String)))))]
#[get("/webhooks/{id}")]
async fn get_webhook(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_WEBHOOK)?;
    let reach = reach(&user);
    let id = id.into_inner();
    let row = db::run(&pool, move |c| store::get(c, &reach, &id)).await?;
    let version = row.version;
    Ok(with_etag(HttpResponse::Ok(), version, &Webhook::from(row)))
}

/// Change a webhook: its URL, events, secret (rotation), or `active`
/// (turning it back on after failures). Send `If-Match`; a stale one is a 412.
#[utoipa::path(tag = "webhooks", request_body = WebhookPatch,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Webhook, headers(("ETag" = String)))))]
#[patch("/webhooks/{id}")]
async fn update_webhook(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<WebhookPatch>,
    pool: web::Data<Pool>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_WEBHOOK)?;
    let expected = if_match(&req)?;
    let p = body.into_inner();
    if let Some(s) = &p.secret {
        checked_secret(s)?;
    }
    let reach = reach(&user);
    let id = id.into_inner();
    let actor = user.actor();
    let config = config.into_inner();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let before = store::get(c, &reach, &id)?;
        let fields = checked(
            p.url.unwrap_or_else(|| before.url.clone()),
            p.events.unwrap_or_else(|| before.event_types()),
            p.active.unwrap_or(before.active),
            &config,
        )?;
        Ok(store::update(
            c,
            &actor,
            &before,
            &expected,
            fields,
            p.secret.as_deref(),
        )?)
    })
    .await?;
    let version = row.version;
    Ok(with_etag(HttpResponse::Ok(), version, &Webhook::from(row)))
}

/// Delete a webhook and its delivery log; what it had not received is not
/// sent.
#[utoipa::path(tag = "webhooks",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Deleted")))]
#[delete("/webhooks/{id}")]
async fn delete_webhook(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DELETE_WEBHOOK)?;
    let expected = if_match(&req)?;
    let reach = reach(&user);
    let id = id.into_inner();
    let actor = user.actor();
    db::tx(&pool, move |c| -> Result<_, ApiError> {
        let before = store::get(c, &reach, &id)?;
        Ok(store::delete(c, &actor, &before, &expected)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log, newest first: each event it is to receive,
/// its state, attempts and the receiver's last answer.
#[utoipa::path(tag = "webhooks", params(("id" = String, Path), DeliveryQuery),
    responses((status = 200, body = Page<Delivery>)))]
#[get("/webhooks/{id}/deliveries")]
async fn list_webhook_deliveries(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<DeliveryQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_WEBHOOK_DELIVERIES)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let status = q.status;
    let reach = reach(&user);
    let id = id.into_inner();
    let (rows, total) = db::run(&pool, move |c| -> Result<_, ApiError> {
        store::get(c, &reach, &id)?;
        Ok(store::deliveries(
            c,
            &id,
            status,
            paging.offset(),
            paging.limit(),
        )?)
    })
    .await?;
    let items: Vec<Delivery> = rows.into_iter().map(Delivery::from).collect();
    Ok(paging.respond(&req, items, total))
}
