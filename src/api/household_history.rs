//! A family's history: per snapshot that holds it and per manual change,
//! oldest first, what moved (`db::household_changes`).

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::utc;
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::household_changes::{self as store, ChangeKind, ChangeRow, SnapshotLink};
use crate::db::households;
use crate::db::{self, Pool};
use crate::domain::dataset::DatasetSource;
use crate::domain::history::FieldChange;
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(household_history);
}

// Where an entry of history comes from: `snapshot` (an import of a dataset)
// or `manual` (a change through the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HistoryKind {
    Snapshot,
    Manual,
}

/// The snapshot of an entry.
#[derive(Serialize, ToSchema)]
pub struct HistorySnapshot {
    #[schema(format = Uuid)]
    pub id: String,
    pub source: DatasetSource,
    pub version: String,
    /// The date the snapshot describes (`tanggal kondisi`).
    pub condition_date: Option<NaiveDate>,
}

/// One snapshot that holds the family, or one manual change.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    /// When the snapshot first held the family, or when the change was made.
    pub at: DateTime<Utc>,
    pub kind: HistoryKind,
    /// The snapshot (`snapshot` entries).
    pub dataset: Option<HistorySnapshot>,
    /// The No. KK the snapshot gave the family.
    pub kk_number: Option<String>,
    /// Who made the change, or ran the import.
    pub actor: Option<String>,
    /// What moved; empty when the snapshot changed nothing (or first
    /// brought the family).
    pub changes: Vec<FieldChange>,
    /// The change request whose approval made this manual change
    /// (`/change-requests/{id}`); null otherwise.
    #[schema(format = Uuid)]
    pub change_request_id: Option<String>,
}

/// A family's history, oldest first.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f", "entries": [
    {"at": "2026-03-01T08:00:00Z", "kind": "snapshot", "dataset": {"id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "source": "dtsen", "version": "2025-Q4", "condition_date": "2025-12-31"},
     "kk_number": "6402061234567890", "actor": "bappeda", "changes": [], "change_request_id": null},
    {"at": "2026-09-01T08:00:00Z", "kind": "snapshot", "dataset": {"id": "2d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "source": "dtsen", "version": "2026-Q2", "condition_date": "2026-06-30"},
     "kk_number": "6402061234567899", "actor": "bappeda", "changes": [{"field": "desil", "from": 1, "to": 3}, {"field": "kk_number", "from": "6402061234567890", "to": "6402061234567899"}], "change_request_id": null},
    {"at": "2026-10-02T03:00:00Z", "kind": "manual", "dataset": null, "kk_number": null, "actor": "bappeda", "changes": [{"field": "address", "from": "Jl. A", "to": "Jl. B"}],
     "change_request_id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"}]}))]
pub struct HouseholdHistory {
    #[schema(format = Uuid)]
    pub household_id: String,
    pub entries: Vec<HistoryEntry>,
}

/// The entries, oldest first: one per snapshot holding the family with what
/// its imports moved, and one per manual change.
fn entries(links: Vec<SnapshotLink>, changes: Vec<ChangeRow>) -> Vec<HistoryEntry> {
    let mut out: Vec<HistoryEntry> = links
        .into_iter()
        .map(|l| HistoryEntry {
            at: utc(l.linked_at),
            kind: HistoryKind::Snapshot,
            kk_number: l.kk_number,
            actor: None,
            changes: Vec::new(),
            change_request_id: None,
            dataset: Some(HistorySnapshot {
                id: l.dataset_id,
                source: l.source,
                version: l.version,
                condition_date: l.condition_date,
            }),
        })
        .collect();
    for c in changes {
        let dataset_id = c.snapshot.as_ref().map(|s| &s.0);
        let of_snapshot = out.iter_mut().find(|e| {
            e.kind == HistoryKind::Snapshot
                && c.kind == ChangeKind::Snapshot
                && e.dataset.as_ref().map(|d| &d.id) == dataset_id
        });
        match of_snapshot {
            Some(entry) => {
                entry.actor.get_or_insert(c.actor);
                entry.changes.extend(c.changes);
            }
            None => out.push(HistoryEntry {
                at: utc(c.created_at),
                kind: match c.kind {
                    ChangeKind::Snapshot => HistoryKind::Snapshot,
                    ChangeKind::Manual => HistoryKind::Manual,
                },
                dataset: c
                    .snapshot
                    .map(|(id, source, version, condition_date)| HistorySnapshot {
                        id,
                        source,
                        version,
                        condition_date,
                    }),
                kk_number: None,
                actor: Some(c.actor),
                changes: c.changes,
                change_request_id: c.change_request_id,
            }),
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// A household's history.
///
/// Per snapshot that holds the family (P3KE, DTKS or DTSEN dataset) and per
/// manual change, oldest first: what moved (desil 1 → 3, the address, a
/// new No. KK, members who joined or left, a member's fields), with the
/// snapshot's No. KK. Not for companies: history shows past identities.
#[utoipa::path(tag = "households", params(("id" = String, Path)),
    responses((status = 200, body = HouseholdHistory)))]
#[get("/households/{id}/history")]
async fn household_history(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::HOUSEHOLD_HISTORY)?;
    let id = id.into_inner();
    // An operator reads the history of its area's households only.
    let reach = super::households::reach(&user);
    let history = db::read(&pool, false, move |c| -> Result<_, ApiError> {
        households::get(c, &id, &reach)?;
        let (links, changes) = store::of_household(c, &id)?;
        Ok(HouseholdHistory {
            household_id: id,
            entries: entries(links, changes),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(history))
}
