//! The event feed (docs/EVENTS.md): what happened, in order, for systems
//! that poll instead of receiving webhooks.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{bad_param, utc};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::events as store;
use crate::db::replica::Reads;
use crate::domain::event::{EventScope, EventType};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_events);
}

/// Most events one page of the feed returns.
pub const MAX_LIMIT: i64 = 500;

/// One event.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5c0-7d1e-7aa0-9c1e-5b2f8e4d3c21", "cursor": "1042",
    "type": "program.status_changed", "occurred_at": "2027-03-02T04:15:09.120000Z",
    "data": {"program_id": "0193a5b0-1111-7aaa-8bbb-0123456789ab", "company_id": "00000000-0000-4000-8000-000000000001",
        "cycle_year": 2027, "from": "consolidated", "to": "verified", "version": 7}}))]
pub struct Event {
    /// The event's id; also the `webhook-id` a webhook receives it under.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its place in the feed: pass it as `after` to read what follows.
    #[schema(pattern = "^[0-9]{1,18}$")]
    pub cursor: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// Ids, states and dates of what changed; never personal data. The
    /// fields of each type are listed in docs/EVENTS.md.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A page of the feed.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next": "1042"}))]
pub struct EventPage {
    pub items: Vec<Event>,
    /// The cursor to read on from (the last event's, or `after` when the page
    /// is empty): poll `?after={next}`.
    #[schema(pattern = "^[0-9]{1,18}$")]
    pub next: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events after this cursor (default `0`: from the first).
    #[param(pattern = "^[0-9]{1,18}$", example = "0")]
    pub after: Option<String>,
    /// How many at most (1–500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The events the caller may see, oldest first: everything for the
/// regency's roles, a company's own programs and letters for a company,
/// the programs an agency leads for an opd. Stable across instances: the
/// cursor is the database's, and events become visible in cursor order.
#[utoipa::path(tag = "events", params(EventQuery),
    responses((status = 200, body = EventPage)))]
#[get("/events")]
async fn list_events(
    user: AuthUser,
    q: web::Query<EventQuery>,
    reads: web::Data<Reads>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_EVENTS)?;
    let scope =
        EventScope::of(user.role(), user.company_id(), user.opd_code()).ok_or_else(|| {
            ApiError::Forbidden {
                detail: "this account is not bound to a company or agency".into(),
            }
        })?;
    let after = match q.after.as_deref() {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0 && a.len() <= 18 && a.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad_param("after", "must be a cursor: 1–18 digits"))?,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad_param("limit", "must be between 1 and 500"));
    }
    let rows = reads
        .read(&user.claims.sub, false, move |c| {
            store::feed(c, &scope, after, limit)
        })
        .await?;
    let next = rows.last().map_or(after, |r| r.seq).to_string();
    let items = rows
        .into_iter()
        .map(|r| Event {
            data: r.data_json(),
            id: r.id,
            cursor: r.seq.to_string(),
            event_type: r.event_type,
            occurred_at: utc(r.occurred_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(EventPage { items, next }))
}
