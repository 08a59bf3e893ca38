//! A family's history: what each snapshot and each manual change moved
//! (`household_changes`), beside the snapshots that hold it
//! (`household_datasets`). Written in the transaction of the change.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::Actor;
use super::schema::{datasets as d, household_changes as hc, household_datasets as hd};
use super::{new_id, now, DbConnection, DbError};
use crate::domain::dataset::DatasetSource;
use crate::domain::history::FieldChange;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// An import of a snapshot (P3KE, DTKS or DTSEN).
    Snapshot,
    /// A change through the API.
    Manual,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Snapshot => "snapshot",
            ChangeKind::Manual => "manual",
        }
    }
}

/// Who made a change and under which import and snapshot.
pub struct Origin<'a> {
    pub kind: ChangeKind,
    pub actor: &'a Actor,
    pub dataset: Option<&'a str>,
    pub import: Option<&'a str>,
}

/// Records what moved in each household; households where nothing moved
/// leave no row.
pub fn record(
    conn: &mut DbConnection,
    origin: &Origin<'_>,
    moved: &[(String, Vec<FieldChange>)],
) -> Result<(), DbError> {
    let t = now();
    let rows: Vec<_> = moved
        .iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(household, c)| {
            (
                hc::id.eq(new_id()),
                hc::household_id.eq(household.clone()),
                hc::kind.eq(origin.kind.as_str()),
                hc::dataset_id.eq(origin.dataset.map(str::to_string)),
                hc::import_id.eq(origin.import.map(str::to_string)),
                hc::actor.eq(origin.actor.name.clone()),
                hc::changes.eq(serde_json::to_string(c).unwrap_or_else(|_| "[]".into())),
                hc::created_at.eq(t),
            )
        })
        .collect();
    // Multi-row inserts go to each backend's own connection (diesel's
    // `MultiConnection` has none), as in `registry_writer`.
    for chunk in rows.chunks(500) {
        let chunk = chunk.to_vec();
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(hc::table).values(chunk).execute(c)?,
            DbConnection::Postgresql(c) => {
                diesel::insert_into(hc::table).values(chunk).execute(c)?
            }
        };
    }
    Ok(())
}

/// Records a change made through the API to one household.
pub fn manual(
    conn: &mut DbConnection,
    actor: &Actor,
    household: &str,
    changes: Vec<FieldChange>,
) -> Result<(), DbError> {
    let origin = Origin {
        kind: ChangeKind::Manual,
        actor,
        dataset: None,
        import: None,
    };
    record(conn, &origin, &[(household.to_string(), changes)])
}

/// The manual changes recorded so far for these households: what
/// [`tag_request`] leaves alone.
pub fn manual_ids(conn: &mut DbConnection, households: &[String]) -> Result<Vec<String>, DbError> {
    Ok(hc::table
        .filter(hc::household_id.eq_any(households))
        .filter(hc::kind.eq(ChangeKind::Manual.as_str()))
        .select(hc::id)
        .load(conn)?)
}

/// Names `request` on the manual changes of these households recorded since
/// `before` (their ids from [`manual_ids`]): the changes approving the
/// request made through the registry's own writes. The caller holds the
/// households' row locks, so no other writer's change is among them.
pub fn tag_request(
    conn: &mut DbConnection,
    households: &[String],
    before: &[String],
    request: &str,
) -> Result<(), DbError> {
    diesel::update(
        hc::table
            .filter(hc::household_id.eq_any(households))
            .filter(hc::kind.eq(ChangeKind::Manual.as_str()))
            .filter(hc::change_request_id.is_null())
            .filter(hc::id.ne_all(before)),
    )
    .set(hc::change_request_id.eq(request))
    .execute(conn)?;
    Ok(())
}

/// A member joining (`to`) or leaving (`from`) a family, as history shows it.
pub fn member_moved(nik: Option<&str>, name: &str, joined: bool) -> FieldChange {
    let who = serde_json::json!({"nik": nik, "name": name});
    let (from, to) = if joined {
        (serde_json::Value::Null, who)
    } else {
        (who, serde_json::Value::Null)
    };
    FieldChange {
        field: "members".to_string(),
        from,
        to,
    }
}

/// The prefix of a member's fields in history: `members[NIK].`, or the
/// name for a member without NIK.
pub fn member_prefix(nik: Option<&str>, name: &str) -> String {
    format!(
        "members[{}].",
        nik.filter(|n| !n.is_empty()).unwrap_or(name)
    )
}

/// A snapshot that holds the family, with the No. KK it gave it.
#[derive(Debug, Clone, Queryable)]
pub struct SnapshotLink {
    pub dataset_id: String,
    pub source: DatasetSource,
    pub version: String,
    pub condition_date: Option<NaiveDate>,
    pub kk_number: Option<String>,
    pub linked_at: NaiveDateTime,
}

/// One recorded change.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub kind: ChangeKind,
    /// The snapshot whose import made it (also one that no longer holds
    /// the family: the one that found it gone).
    pub snapshot: Option<(String, DatasetSource, String, Option<NaiveDate>)>,
    pub actor: String,
    pub changes: Vec<FieldChange>,
    pub created_at: NaiveDateTime,
    /// The change request whose approval made it.
    pub change_request_id: Option<String>,
}

/// The snapshots that hold the household and every change recorded for it,
/// oldest first.
pub fn of_household(
    conn: &mut DbConnection,
    household: &str,
) -> Result<(Vec<SnapshotLink>, Vec<ChangeRow>), DbError> {
    let links = hd::table
        .inner_join(d::table)
        .filter(hd::household_id.eq(household))
        .order((hd::linked_at.asc(), d::id.asc()))
        .select((
            d::id,
            d::source,
            d::snapshot_version,
            d::condition_date,
            hd::kk_number,
            hd::linked_at,
        ))
        .load::<SnapshotLink>(conn)?;
    type Row = (
        String,
        Option<(String, DatasetSource, String, Option<NaiveDate>)>,
        String,
        String,
        NaiveDateTime,
        Option<String>,
    );
    let changes = hc::table
        .left_join(d::table)
        .filter(hc::household_id.eq(household))
        .order((hc::created_at.asc(), hc::id.asc()))
        .select((
            hc::kind,
            (d::id, d::source, d::snapshot_version, d::condition_date).nullable(),
            hc::actor,
            hc::changes,
            hc::created_at,
            hc::change_request_id,
        ))
        .load::<Row>(conn)?
        .into_iter()
        .map(
            |(kind, snapshot, actor, changes, created_at, change_request_id)| ChangeRow {
                kind: if kind == "manual" {
                    ChangeKind::Manual
                } else {
                    ChangeKind::Snapshot
                },
                snapshot,
                actor,
                changes: serde_json::from_str(&changes).unwrap_or_default(),
                created_at,
                change_request_id,
            },
        )
        .collect();
    Ok((links, changes))
}
