//! The audit trail: every change, and every read of personal data by a company,
//! written in the same transaction as what it records.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use super::schema::audit_events;
use super::DbError;
use super::{new_id, now, DbConnection};

/// Who acts, as named in audit events.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// The service itself (seeding, imports started from the command line).
    pub fn system(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            role: "system".to_string(),
            request_id: None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
}

/// Writes one audit event. Call it inside the transaction of the change.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), DbError> {
    let row = AuditRow {
        id: new_id(),
        at: now(),
        actor: actor.name.clone(),
        role: actor.role.clone(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: entity_id.to_string(),
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
        request_id: actor.request_id.clone(),
    };
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// Filters of the audit list.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<NaiveDateTime>,
}

/// One page of audit events, newest first, and the total.
pub fn list(
    conn: &mut DbConnection,
    f: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditRow>, i64), DbError> {
    let filtered = || {
        let mut q = audit_events::table.into_boxed();
        if let Some(v) = &f.entity {
            q = q.filter(audit_events::entity.eq(v.clone()));
        }
        if let Some(v) = &f.entity_id {
            q = q.filter(audit_events::entity_id.eq(v.clone()));
        }
        if let Some(v) = &f.actor {
            q = q.filter(audit_events::actor.eq(v.clone()));
        }
        if let Some(v) = &f.action {
            q = q.filter(audit_events::action.eq(v.clone()));
        }
        if let Some(v) = f.since {
            q = q.filter(audit_events::at.ge(v));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered()
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .offset(offset)
        .limit(limit)
        .load::<AuditRow>(conn)?;
    Ok((rows, total))
}
