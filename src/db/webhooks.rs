//! Webhooks and their deliveries: the records a company (or the admin)
//! manages, and the worker's claims on due deliveries (docs/EVENTS.md).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Actor};
use super::schema::{events as ev, webhook_deliveries as wd, webhooks as wh};
use super::{check_version, new_id, now, DbConnection, DbError, IfMatch};
use crate::domain::event::{DeliveryStatus, EventType, MAX_STRAIGHT_FAILURES};

/// The columns of a [`WebhookRow`]: all but the secret.
type Columns = (
    wh::id,
    wh::url,
    wh::events,
    wh::active,
    wh::company_id,
    wh::created_by,
    wh::failure_count,
    wh::last_success_at,
    wh::last_failure_at,
    wh::disabled_at,
    wh::version,
    wh::created_at,
    wh::updated_at,
);

const COLUMNS: Columns = (
    wh::id,
    wh::url,
    wh::events,
    wh::active,
    wh::company_id,
    wh::created_by,
    wh::failure_count,
    wh::last_success_at,
    wh::last_failure_at,
    wh::disabled_at,
    wh::version,
    wh::created_at,
    wh::updated_at,
);

/// A webhook as the API shows it (never its secret).
#[derive(Debug, Clone, Queryable)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub active: bool,
    pub company_id: Option<String>,
    pub created_by: String,
    pub failure_count: i32,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_failure_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl WebhookRow {
    /// The event types it receives.
    pub fn event_types(&self) -> Vec<EventType> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }

    fn audit_value(&self) -> serde_json::Value {
        serde_json::json!({
            "url": self.url, "events": self.event_types(), "active": self.active,
            "company_id": self.company_id, "version": self.version,
        })
    }
}

/// A webhook's fields as written (the secret only when set or changed).
#[derive(Debug, Clone)]
pub struct WebhookFields {
    pub url: String,
    pub events: Vec<EventType>,
    pub active: bool,
}

/// Which webhooks a caller manages: a company its own, the admin all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookReach {
    All,
    Company(String),
}

fn events_json(events: &[EventType]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".into())
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: WebhookFields,
    secret: &str,
    company_id: Option<String>,
) -> Result<WebhookRow, DbError> {
    let t = now();
    let row = diesel::insert_into(wh::table)
        .values((
            wh::id.eq(new_id()),
            wh::url.eq(&fields.url),
            wh::events.eq(events_json(&fields.events)),
            wh::secret.eq(secret),
            wh::active.eq(fields.active),
            wh::company_id.eq(&company_id),
            wh::created_by.eq(&actor.name),
            wh::failure_count.eq(0),
            wh::version.eq(1),
            wh::created_at.eq(t),
            wh::updated_at.eq(t),
        ))
        .returning(COLUMNS)
        .get_result::<WebhookRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "webhook",
        &row.id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

fn reached(reach: &WebhookReach) -> wh::BoxedQuery<'static, super::DbBackend> {
    let q = wh::table.into_boxed();
    match reach {
        WebhookReach::All => q,
        WebhookReach::Company(c) => q.filter(wh::company_id.eq(c.clone())),
    }
}

/// A page of the webhooks the caller manages, oldest first, and their count.
pub fn list(
    conn: &mut DbConnection,
    reach: &WebhookReach,
    offset: i64,
    limit: i64,
) -> Result<(Vec<WebhookRow>, i64), DbError> {
    let total = reached(reach).count().get_result(conn)?;
    let rows = reached(reach)
        .select(COLUMNS)
        .order((wh::created_at.asc(), wh::id.asc()))
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// One webhook the caller manages; `NotFound` for another company's.
pub fn get(conn: &mut DbConnection, reach: &WebhookReach, id: &str) -> Result<WebhookRow, DbError> {
    Ok(reached(reach)
        .filter(wh::id.eq(id.to_string()))
        .select(COLUMNS)
        .first(conn)?)
}

/// Replaces a webhook's fields if `expected` admits its version. Turning it
/// back on clears its straight failures, so it gets its ten tries again.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &WebhookRow,
    expected: &IfMatch,
    fields: WebhookFields,
    secret: Option<&str>,
) -> Result<WebhookRow, DbError> {
    check_version(expected, before.version)?;
    let reenabled = fields.active && !before.active;
    let row = diesel::update(
        wh::table
            .filter(wh::id.eq(&before.id))
            .filter(wh::version.eq(before.version)),
    )
    .set((
        wh::url.eq(&fields.url),
        wh::events.eq(events_json(&fields.events)),
        wh::active.eq(fields.active),
        wh::failure_count.eq(if reenabled { 0 } else { before.failure_count }),
        wh::disabled_at.eq(if fields.active {
            None
        } else {
            before.disabled_at
        }),
        wh::version.eq(before.version + 1),
        wh::updated_at.eq(now()),
    ))
    .returning(COLUMNS)
    .get_result::<WebhookRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    if let Some(s) = secret {
        diesel::update(wh::table.filter(wh::id.eq(&row.id)))
            .set(wh::secret.eq(s))
            .execute(conn)?;
    }
    let mut after = row.audit_value();
    after["secret_changed"] = serde_json::Value::Bool(secret.is_some());
    audit::record(
        conn,
        actor,
        "update",
        "webhook",
        &row.id,
        Some(&before.audit_value()),
        Some(&after),
    )?;
    Ok(row)
}

/// Deletes a webhook and its delivery log.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &WebhookRow,
    expected: &IfMatch,
) -> Result<(), DbError> {
    check_version(expected, before.version)?;
    diesel::delete(wd::table.filter(wd::webhook_id.eq(&before.id))).execute(conn)?;
    let n = diesel::delete(
        wh::table
            .filter(wh::id.eq(&before.id))
            .filter(wh::version.eq(before.version)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(DbError::Stale);
    }
    audit::record(
        conn,
        actor,
        "delete",
        "webhook",
        &before.id,
        Some(&before.audit_value()),
        None,
    )?;
    Ok(())
}

/// One line of a webhook's delivery log.
#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A page of a webhook's deliveries, newest first, and their count.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<DeliveryRow>, i64), DbError> {
    let filtered = || {
        let q = wd::table
            .inner_join(ev::table)
            .filter(wd::webhook_id.eq(webhook_id.to_string()))
            .into_boxed();
        match status {
            Some(s) => q.filter(wd::status.eq(s)),
            None => q,
        }
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .select((
            wd::id,
            ev::id,
            ev::event_type,
            wd::status,
            wd::attempts,
            wd::next_attempt_at,
            wd::last_status_code,
            wd::last_error,
            wd::delivered_at,
            wd::created_at,
        ))
        .order(wd::event_seq.desc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// A delivery the worker holds: where it goes, how it is signed, what it says.
#[derive(Debug, Clone, Queryable)]
pub struct Claimed {
    pub delivery_id: String,
    pub webhook_id: String,
    pub attempts: i32,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub event_type: EventType,
    pub occurred_at: NaiveDateTime,
    pub data: String,
}

/// The due deliveries that are next in line: for each active webhook with
/// pending deliveries, its first pending delivery (the head) if it is due
/// and held by no live claim, and up to `per_webhook` − 1 deliveries after
/// it, in order; at most `per_round` in all. All are held until
/// `lease_until`. On PostgreSQL the webhooks are taken `FOR UPDATE SKIP
/// LOCKED`: an instance claiming at the same moment skips the webhooks
/// another is claiming, and afterwards finds their heads held. So each
/// webhook receives its events in order and no delivery goes out twice at
/// once. Run it in a transaction.
pub fn claim(
    conn: &mut DbConnection,
    per_round: i64,
    per_webhook: i64,
    lease_until: NaiveDateTime,
) -> Result<Vec<Claimed>, DbError> {
    let t = now();
    macro_rules! with_work {
        () => {
            wh::table
                .filter(wh::active.eq(true))
                .filter(diesel::dsl::exists(
                    wd::table
                        .filter(wd::webhook_id.eq(wh::id))
                        .filter(wd::status.eq(DeliveryStatus::Pending)),
                ))
                .order(wh::id.asc())
                .select(wh::id)
        };
    }
    let hooks: Vec<String> = match conn {
        DbConnection::Postgresql(c) => with_work!().for_update().skip_locked().load(c)?,
        // SQLite's writers take turns for the whole database: nothing to skip.
        DbConnection::Sqlite(c) => with_work!().load(c)?,
    };
    let mut ids: Vec<String> = Vec::new();
    for hook in hooks {
        let room = per_round - i64::try_from(ids.len()).unwrap_or(i64::MAX);
        if room <= 0 {
            break;
        }
        let line: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = wd::table
            .filter(wd::webhook_id.eq(&hook))
            .filter(wd::status.eq(DeliveryStatus::Pending))
            .order(wd::event_seq.asc())
            .limit(per_webhook.min(room))
            .select((wd::id, wd::next_attempt_at, wd::claimed_until))
            .load(conn)?;
        let head_ready = line
            .first()
            .is_some_and(|(_, due, held)| *due <= t && held.is_none_or(|h| h < t));
        if head_ready {
            ids.extend(
                line.into_iter()
                    .take_while(|(_, _, held)| held.is_none_or(|h| h < t))
                    .map(|(id, _, _)| id),
            );
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(wd::table.filter(wd::id.eq_any(&ids)))
        .set(wd::claimed_until.eq(lease_until))
        .execute(conn)?;
    Ok(wd::table
        .inner_join(wh::table)
        .inner_join(ev::table)
        .filter(wd::id.eq_any(&ids))
        .select((
            wd::id,
            wd::webhook_id,
            wd::attempts,
            wh::url,
            wh::secret,
            ev::id,
            ev::event_type,
            ev::occurred_at,
            ev::data,
        ))
        .order((wd::webhook_id.asc(), wd::event_seq.asc()))
        .load(conn)?)
}

/// Lets claimed deliveries go untried (they wait behind one that failed).
pub fn release(conn: &mut DbConnection, ids: &[String]) -> Result<(), DbError> {
    diesel::update(wd::table.filter(wd::id.eq_any(ids)))
        .set(wd::claimed_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status_code: i32 },
    /// It answered otherwise or could not be reached; `retry_at`: when to try
    /// again, `None`: give the delivery up.
    Failed {
        status_code: Option<i32>,
        error: String,
        retry_at: Option<NaiveDateTime>,
    },
}

/// Records an attempt on the delivery and its webhook: a success clears the
/// webhook's straight failures; the tenth straight failure disables it.
pub fn record_attempt(
    conn: &mut DbConnection,
    claimed: &Claimed,
    attempt: &Attempt,
) -> Result<(), DbError> {
    let t = now();
    let attempts = claimed.attempts + 1;
    match attempt {
        Attempt::Delivered { status_code } => {
            diesel::update(wd::table.filter(wd::id.eq(&claimed.delivery_id)))
                .set((
                    wd::status.eq(DeliveryStatus::Delivered),
                    wd::attempts.eq(attempts),
                    wd::last_status_code.eq(Some(*status_code)),
                    wd::last_error.eq(None::<String>),
                    wd::delivered_at.eq(Some(t)),
                    wd::claimed_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            diesel::update(wh::table.filter(wh::id.eq(&claimed.webhook_id)))
                .set((wh::failure_count.eq(0), wh::last_success_at.eq(Some(t))))
                .execute(conn)?;
        }
        Attempt::Failed {
            status_code,
            error,
            retry_at,
        } => {
            let status = if retry_at.is_some() {
                DeliveryStatus::Pending
            } else {
                DeliveryStatus::Failed
            };
            diesel::update(wd::table.filter(wd::id.eq(&claimed.delivery_id)))
                .set((
                    wd::status.eq(status),
                    wd::attempts.eq(attempts),
                    wd::last_status_code.eq(*status_code),
                    wd::last_error.eq(Some(error.chars().take(500).collect::<String>())),
                    wd::next_attempt_at.eq(retry_at.unwrap_or(t)),
                    wd::claimed_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            let failures: i32 = diesel::update(wh::table.filter(wh::id.eq(&claimed.webhook_id)))
                .set((
                    wh::failure_count.eq(wh::failure_count + 1),
                    wh::last_failure_at.eq(Some(t)),
                ))
                .returning(wh::failure_count)
                .get_result(conn)?;
            if failures >= MAX_STRAIGHT_FAILURES {
                diesel::update(
                    wh::table
                        .filter(wh::id.eq(&claimed.webhook_id))
                        .filter(wh::active.eq(true)),
                )
                .set((wh::active.eq(false), wh::disabled_at.eq(Some(t))))
                .execute(conn)?;
                audit::record(
                    conn,
                    &Actor::system("webhook-worker"),
                    "disable",
                    "webhook",
                    &claimed.webhook_id,
                    None,
                    Some(&serde_json::json!({"failure_count": failures})),
                )?;
            }
        }
    }
    Ok(())
}
