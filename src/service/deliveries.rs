//! Deliveries (issue 15, items 2 and 3; DESIGN.md §6.3; docs/DECISIONS.md
//! "Deliveries"): what reached a target of a running program. Recorded by
//! the program's company or its lead agency, for a target verified
//! eligible; confirmed by the lead agency, which serves the target and adds
//! the delivery's value to the target's realised value, in one transaction
//! with the events; a confirmed delivery is never deleted. Evidence files
//! go to the object store (`super::files`). Reach is the program's: a
//! company its own programs, an agency those it leads (404 otherwise); a
//! company reads no notes, coordinates or evidence of a delivery to a
//! household it sees pseudonymised.

use std::collections::HashSet;

use actix_web::web::Bytes;
use chrono::NaiveDate;
use serde_json::json;

use super::{files, Caller};
use crate::db::deliveries::{self as store, DeliveryRow, EvidenceRow, NewEvidence};
use crate::db::programs::{self as programs_store, ProgramRow};
use crate::db::targets::{self, TargetRow};
use crate::db::{self, exposure, new_id, DbConnection, IfMatch, Pool};
use crate::domain::delivery::{DeliveryFields, EvidenceType, MAX_EVIDENCE, VALUE_MAX};
use crate::domain::program::{ProgramStatus, TargetStatus};
use crate::error::ApiError;
use crate::storage::Objects;

/// A delivery with its evidence.
pub type WithEvidence = (DeliveryRow, Vec<EvidenceRow>);

fn running(program: &ProgramRow, what: &str) -> Result<(), ApiError> {
    if program.status == ProgramStatus::Running {
        Ok(())
    } else {
        Err(ApiError::conflict_with(
            "not_running",
            format!("{what} while the program runs; it is {}", program.status),
            json!({"program_status": program.status.as_str()}),
        ))
    }
}

/// The delivery and its program, when the caller reaches the program (404
/// otherwise, as for a delivery that does not exist).
fn reached(
    c: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<(DeliveryRow, ProgramRow), ApiError> {
    let delivery = store::get(c, id)?;
    let program = programs_store::get(c, &delivery.program_id, &caller.reach())
        .map_err(|_| ApiError::not_found())?;
    Ok((delivery, program))
}

/// The deliveries among `rows` whose household the caller, a company, sees
/// pseudonymised (the consent gate, as for visits); none for other roles.
fn gated(
    c: &mut DbConnection,
    caller: &Caller,
    rows: &[DeliveryRow],
) -> Result<HashSet<String>, ApiError> {
    let Some(company) = caller.company_id.as_deref() else {
        return Ok(HashSet::new());
    };
    let target_ids: Vec<String> = rows.iter().map(|r| r.target_id.clone()).collect();
    let households = targets::households_of(c, &target_ids)?;
    let ids: Vec<String> = households.values().cloned().collect();
    let pseudonymised = exposure::pseudonymised(c, company, &ids)?;
    Ok(rows
        .iter()
        .filter(|r| {
            households
                .get(&r.target_id)
                .is_some_and(|h| pseudonymised.contains(h))
        })
        .map(|r| r.id.clone())
        .collect())
}

/// The deliveries with their evidence as the caller may see them: of a
/// household behind the consent gate a company reads no notes, coordinates
/// or evidence (photos of the handover show the family).
fn with_evidence(
    c: &mut DbConnection,
    caller: &Caller,
    mut rows: Vec<DeliveryRow>,
) -> Result<Vec<WithEvidence>, ApiError> {
    let withheld = gated(c, caller, &rows)?;
    for r in rows.iter_mut().filter(|r| withheld.contains(&r.id)) {
        r.notes = None;
        r.latitude = None;
        r.longitude = None;
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let evidence = store::evidence_of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = if withheld.contains(&r.id) {
                Vec::new()
            } else {
                evidence
                    .iter()
                    .filter(|e| e.delivery_id == r.id)
                    .cloned()
                    .collect()
            };
            (r, mine)
        })
        .collect())
}

/// Records a delivery of target `target_id` of program `program_id`.
pub async fn record(
    pool: &Pool,
    caller: Caller,
    program_id: String,
    target_id: String,
    fields: DeliveryFields,
    today: NaiveDate,
) -> Result<DeliveryRow, ApiError> {
    db::tx(pool, move |c| {
        let program = programs_store::get(c, &program_id, &caller.reach())?;
        let target = targets::target(c, &program_id, &target_id)?;
        let errors = fields.check(today);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        running(&program, "deliveries are recorded")?;
        servable(&target)?;
        Ok(store::insert(
            c,
            &caller.actor,
            &program.id,
            &target.id,
            &fields.trimmed(),
        )?)
    })
    .await
}

/// Only an active target verified eligible (or already served) receives.
fn servable(target: &TargetRow) -> Result<(), ApiError> {
    if target.active && matches!(target.status, TargetStatus::Eligible | TargetStatus::Served) {
        Ok(())
    } else {
        Err(ApiError::conflict_with(
            "not_eligible",
            "deliveries go to an active target verified eligible",
            json!({"target_status": target.status.as_str(), "active": target.active}),
        ))
    }
}

/// A page of a target's deliveries with their evidence, and how many there are.
pub async fn list(
    pool: &Pool,
    caller: Caller,
    program_id: String,
    target_id: String,
    offset: i64,
    limit: i64,
) -> Result<(Vec<WithEvidence>, i64), ApiError> {
    db::run(pool, move |c| {
        programs_store::get(c, &program_id, &caller.reach())?;
        targets::target(c, &program_id, &target_id)?;
        let (rows, total) = store::of_target(c, &target_id, offset, limit)?;
        Ok((with_evidence(c, &caller, rows)?, total))
    })
    .await
}

/// One delivery with its evidence.
pub async fn get(pool: &Pool, caller: Caller, id: String) -> Result<WithEvidence, ApiError> {
    db::run(pool, move |c| {
        let (delivery, _) = reached(c, &caller, &id)?;
        Ok(with_evidence(c, &caller, vec![delivery])?.remove(0))
    })
    .await
}

/// Confirms a delivery (the lead agency, or an admin): the target becomes
/// `served` and its realised value grows by the delivery's value, with the
/// events `delivery.confirmed` and (the first time) `target.served`, all in
/// one transaction.
pub async fn confirm(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    today: NaiveDate,
) -> Result<WithEvidence, ApiError> {
    db::tx(pool, move |c| {
        let (before, program) = reached(c, &caller, &id)?;
        if before.confirmed_on.is_some() {
            return Err(ApiError::conflict(
                "already_confirmed",
                "the delivery is confirmed already",
            ));
        }
        running(&program, "deliveries are confirmed")?;
        // Two confirmations of one target's deliveries at once add up in turn.
        db::lock_row(c, "program_targets", &before.target_id)?;
        let target = targets::target(c, &program.id, &before.target_id)?;
        servable(&target)?;
        let realised = target
            .realized_value
            .unwrap_or(0)
            .checked_add(before.value)
            .filter(|v| *v <= VALUE_MAX)
            .ok_or_else(|| {
                ApiError::conflict(
                    "value_overflow",
                    "the target's realised value would overflow",
                )
            })?;
        let delivery = store::confirm(c, &caller.actor, &before, expected, today)?;
        let served = targets::update_target(
            c,
            &caller.actor,
            &target,
            IfMatch::ANY,
            target.planned_value,
            Some(realised),
            TargetStatus::Served,
        )?;
        super::events::delivery_confirmed(c, &program, &delivery)?;
        if target.status != TargetStatus::Served {
            super::events::target_served(c, &program, &served)?;
        }
        Ok(with_evidence(c, &caller, vec![delivery])?.remove(0))
    })
    .await
}

/// Deletes an unconfirmed delivery (and its evidence) while the program runs.
pub async fn delete(
    pool: &Pool,
    objects: &Objects,
    caller: Caller,
    id: String,
    expected: IfMatch,
) -> Result<(), ApiError> {
    let keys = db::tx(pool, move |c| {
        let (before, program) = reached(c, &caller, &id)?;
        if before.confirmed_on.is_some() {
            return Err(ApiError::conflict(
                "delivery_confirmed",
                "a confirmed delivery is never deleted",
            ));
        }
        running(&program, "deliveries are deleted")?;
        Ok(store::delete(c, &caller.actor, &before, expected)?)
    })
    .await?;
    for key in keys {
        if let Err(e) = objects.delete(&key).await {
            log::error!("evidence of a deleted delivery stays in the store at {key}: {e}");
        }
    }
    Ok(())
}

fn evidence_limit() -> ApiError {
    ApiError::conflict_with(
        "evidence_limit_reached",
        format!("a delivery keeps at most {MAX_EVIDENCE} evidence files"),
        json!({"max_evidence": MAX_EVIDENCE}),
    )
}

/// Adds an evidence file (already checked: `kind` and whole) to a delivery
/// while its program runs.
pub async fn add_evidence(
    pool: &Pool,
    objects: &Objects,
    caller: Caller,
    delivery_id: String,
    kind: EvidenceType,
    bytes: Bytes,
) -> Result<EvidenceRow, ApiError> {
    let check = caller.clone();
    let did = delivery_id.clone();
    db::run(pool, move |c| -> Result<(), ApiError> {
        let (_, program) = reached(c, &check, &did)?;
        running(&program, "evidence is added")?;
        if store::evidence_count(c, &did)? >= MAX_EVIDENCE {
            return Err(evidence_limit());
        }
        Ok(())
    })
    .await?;
    let id = new_id();
    let object_key = format!("delivery-evidence/{delivery_id}/{id}");
    let new = NewEvidence {
        id,
        delivery_id,
        content_type: kind.media_type(),
        size_bytes: files::size_of(&bytes)?,
        sha256: files::sha256_hex(&bytes),
        object_key: object_key.clone(),
    };
    files::put_then_record(pool, objects, object_key, bytes, move |c| {
        // Two uploads to one delivery at once queue here, so the count holds;
        // a delivery deleted meanwhile is gone (404).
        db::lock_row(c, "deliveries", &new.delivery_id)?;
        store::get(c, &new.delivery_id)?;
        if store::evidence_count(c, &new.delivery_id)? >= MAX_EVIDENCE {
            return Err(evidence_limit());
        }
        Ok(store::insert_evidence(c, &caller.actor, &new)?)
    })
    .await
}

/// One evidence file and its bytes, when the caller reaches its delivery.
pub async fn evidence(
    pool: &Pool,
    objects: &Objects,
    caller: Caller,
    id: String,
) -> Result<(EvidenceRow, Bytes), ApiError> {
    let row = db::run(pool, move |c| {
        let row = store::evidence(c, &id)?;
        let (delivery, _) = reached(c, &caller, &row.delivery_id)?;
        // Behind the consent gate: as if the file did not exist.
        if !gated(c, &caller, std::slice::from_ref(&delivery))?.is_empty() {
            return Err(ApiError::not_found());
        }
        Ok::<_, ApiError>(row)
    })
    .await?;
    let bytes = files::read(objects, &row.object_key).await?;
    Ok((row, bytes))
}
