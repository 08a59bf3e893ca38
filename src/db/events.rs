//! The outbox of events (DESIGN §6.5, docs/EVENTS.md): written in the
//! transaction of the change that causes it, with one delivery row for every
//! webhook that is to receive it; read back as the feed.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::schema::{events as ev, webhook_deliveries as wd, webhooks as wh};
use super::{new_id, now, DbConnection, DbError};
use crate::domain::event::{DeliveryStatus, EventScope, EventType, NewEvent};

/// One event as stored.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub event_type: EventType,
    pub occurred_at: NaiveDateTime,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    pub data: String,
}

impl EventRow {
    /// What the event says, as JSON.
    pub fn data_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }
}

/// Writes an event and its deliveries. Call it inside the transaction of
/// the change (so a change that rolls back emits nothing), after the change
/// itself: on PostgreSQL it takes the events' turn until commit, so events
/// commit in the order of their `seq` and a reader of the feed that has
/// seen `seq` n has seen every event before it. (SQLite writers already
/// take turns for the whole database.)
pub fn emit(conn: &mut DbConnection, event: NewEvent) -> Result<i64, DbError> {
    if let DbConnection::Postgresql(c) = conn {
        // Any constant of ours: the key of the events' advisory lock.
        c.batch_execute("SELECT pg_advisory_xact_lock(6502061965)")?;
    }
    let at = now();
    let seq: i64 = diesel::insert_into(ev::table)
        .values((
            ev::id.eq(new_id()),
            ev::event_type.eq(event.event_type),
            ev::occurred_at.eq(at),
            ev::company_id.eq(&event.company_id),
            ev::opd_code.eq(&event.opd_code),
            ev::data.eq(event.data.to_string()),
        ))
        .returning(ev::seq)
        .get_result(conn)?;
    let hooks: Vec<(String, Option<String>, String)> = wh::table
        .filter(wh::active.eq(true))
        .select((wh::id, wh::company_id, wh::events))
        .load(conn)?;
    let wanted = format!("\"{}\"", event.event_type.as_str());
    for (hook, company, types) in hooks {
        let in_scope = match &company {
            None => true,
            Some(c) => event.company_id.as_deref() == Some(c.as_str()),
        };
        if in_scope && types.contains(&wanted) {
            diesel::insert_into(wd::table)
                .values((
                    wd::id.eq(new_id()),
                    wd::webhook_id.eq(hook),
                    wd::event_seq.eq(seq),
                    wd::status.eq(DeliveryStatus::Pending),
                    wd::attempts.eq(0),
                    wd::next_attempt_at.eq(at),
                    wd::created_at.eq(at),
                ))
                .execute(conn)?;
        }
    }
    Ok(seq)
}

/// Events after `after` that `scope` may see, oldest first, at most `limit`.
pub fn feed(
    conn: &mut DbConnection,
    scope: &EventScope,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, DbError> {
    let mut q = ev::table
        .filter(ev::seq.gt(after))
        .select((
            ev::seq,
            ev::id,
            ev::event_type,
            ev::occurred_at,
            ev::company_id,
            ev::opd_code,
            ev::data,
        ))
        .order(ev::seq.asc())
        .limit(limit)
        .into_boxed();
    q = match scope {
        EventScope::All => q,
        EventScope::Company(c) => q.filter(ev::company_id.eq(c.clone())),
        EventScope::Opd(o) => q.filter(ev::opd_code.eq(o.clone())),
    };
    Ok(q.load(conn)?)
}

/// The newest event's `seq` (0 when there is none): where a reader that
/// wants only what happens from now on starts.
pub fn latest_seq(conn: &mut DbConnection) -> Result<i64, DbError> {
    let max: Option<i64> = ev::table.select(diesel::dsl::max(ev::seq)).first(conn)?;
    Ok(max.unwrap_or(0))
}
