//! The verification form of a program for ODK Collect and KoBoCollect
//! (issue 14, item 3): its active targets as the verifier may pick them,
//! grouped by desa. Its answers come back through the batch of
//! [`super::verifications::record_batch`].

use std::collections::HashMap;

use serde_json::json;

use super::Caller;
use crate::db::programs::{self as programs_store, ProgramRow};
use crate::db::{self, audit, households, regions, targets, Pool};
use crate::domain::kk::KkNumber;
use crate::domain::program::ProgramStatus;
use crate::domain::xlsform::{DesaChoice, FormSheet, FormSource, TargetChoice};
use crate::error::ApiError;

/// A program's form: the sheets and the program they are for.
pub struct Form {
    pub program: ProgramRow,
    pub sheets: Vec<FormSheet>,
}

/// The form of program `id` in the caller's reach. Only a program whose
/// targets are verified (`consolidated` or `verified`) has one, and only
/// with an active target: ODK refuses a form whose choice list is empty.
/// The download is audited: it carries the families' names onto phones.
pub async fn form(pool: &Pool, caller: Caller, id: String) -> Result<Form, ApiError> {
    db::tx(pool, move |c| {
        let program = programs_store::get(c, &id, &caller.reach())?;
        if !matches!(
            program.status,
            ProgramStatus::Consolidated | ProgramStatus::Verified
        ) {
            return Err(ApiError::conflict_with(
                "program_not_verifiable",
                format!(
                    "a program that is {} has no verification form; it must be consolidated or verified",
                    program.status
                ),
                json!({"program_status": program.status.as_str()}),
            ));
        }
        let active = targets::active(c, &id)?;
        if active.is_empty() {
            return Err(ApiError::conflict(
                "no_active_targets",
                "the program has no active target to verify",
            ));
        }
        let ids: Vec<String> = active.iter().map(|t| t.household_id.clone()).collect();
        let families: HashMap<String, households::HouseholdRow> = households::in_order(c, &ids)?
            .into_iter()
            .map(|h| (h.id.clone(), h))
            .collect();
        let names: HashMap<String, String> = regions::all(c)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
        let mut choices = Vec::with_capacity(active.len());
        let mut desa: Vec<DesaChoice> = Vec::new();
        for t in &active {
            let Some(h) = families.get(&t.household_id) else {
                continue;
            };
            let desa_name = names.get(&h.region_code).cloned().unwrap_or_default();
            if !desa.iter().any(|d| d.code == h.region_code) {
                desa.push(DesaChoice {
                    code: h.region_code.clone(),
                    name: desa_name.clone(),
                });
            }
            choices.push(TargetChoice {
                target_id: t.id.clone(),
                desa_code: h.region_code.clone(),
                label: label(h, &desa_name),
            });
        }
        desa.sort_by(|a, b| a.name.cmp(&b.name));
        choices.sort_by(|a, b| a.label.cmp(&b.label));
        let sheets = crate::domain::xlsform::sheets(&FormSource {
            program_id: &program.id,
            program_title: &program.title,
            desa: &desa,
            targets: &choices,
        });
        audit::record(
            c,
            &caller.actor,
            "download_verification_form",
            "program",
            &program.id,
            None,
            Some(&json!({"targets": choices.len()})),
        )?;
        Ok(Form { program, sheets })
    })
    .await
}

/// A family as the verifier finds it in the list: head's name, address,
/// desa, and the No. KK masked.
fn label(h: &households::HouseholdRow, desa: &str) -> String {
    let mut label = h.head_name.clone();
    if let Some(address) = h.address.as_deref().filter(|a| !a.trim().is_empty()) {
        label.push_str(" — ");
        label.push_str(address.trim());
    }
    if !desa.is_empty() {
        label.push_str(", ");
        label.push_str(desa);
    }
    if let Some(kk) = h.kk_number.as_deref().and_then(|k| KkNumber::parse(k).ok()) {
        label.push_str(&format!(" (KK {})", kk.mask()));
    }
    label
}
