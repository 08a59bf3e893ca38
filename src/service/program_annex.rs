//! The agreement annex of a program (issue 15, item 5; docs/DECISIONS.md
//! "Agreement annex"): what the agreement attaches — its number, the parties
//! and who signed for each when, and the target families with their planned
//! values — as the caller may see the families (`domain::consent`). The
//! handler renders it as JSON, CSV, XLSX or a printable PDF.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::json;

use super::Caller;
use crate::db::programs::{self as programs_store, ProgramRow};
use crate::db::{self, audit, companies, exposure, households, regions, targets, Pool};
use crate::domain::consent::Disclosure;
use crate::domain::program::TargetStatus;
use crate::error::ApiError;

/// A party to the agreement and its signature, as far as it is signed.
#[derive(Debug, Clone)]
pub struct Party {
    /// The company's name, or the lead agency's code.
    pub name: String,
    /// Who signed for the party (the account that signed); `None` while unsigned.
    pub signed_by: Option<String>,
    pub signed_on: Option<NaiveDate>,
}

/// One target family of the annex, as the caller may see it.
#[derive(Debug, Clone)]
pub struct AnnexRow {
    /// 1, 2, … in the annex's order (kecamatan, desa, head's name).
    pub number: usize,
    pub target_id: String,
    pub household_id: String,
    /// Withheld (`None`) when the family is pseudonymised for the caller.
    pub head_name: Option<String>,
    pub address: Option<String>,
    pub desa_code: String,
    pub desa: String,
    pub kecamatan: String,
    /// Whole, masked (a company) or withheld (pseudonymised).
    pub kk_number: Option<String>,
    /// The head's NIK, shown as the No. KK is.
    pub nik: Option<String>,
    pub pseudonymised: bool,
    pub status: TargetStatus,
    /// Whole rupiah.
    pub planned_value: i64,
}

/// What the agreement attaches.
#[derive(Debug, Clone)]
pub struct Annex {
    pub program: ProgramRow,
    /// The company party; `None` for a program without one (an agency's
    /// own, budget-funded program): then the lead agency alone signs.
    pub company: Option<Party>,
    /// The lead agency.
    pub agency: Party,
    /// The active targets.
    pub rows: Vec<AnnexRow>,
    /// The sum of the rows' planned values.
    pub total_planned: i64,
}

/// The annex of program `id` in the caller's reach (outside it: 404). Only
/// a program with an agreement (`ProgramStatus::has_agreement`; else 409 `no_agreement`).
/// It names families, so each download is audited
/// (`download_program_annex`, with the format and the number of targets),
/// and a company's read of each family it sees by name too
/// (`read_personal_data`, as the household endpoints do).
pub async fn annex(
    pool: &Pool,
    caller: Caller,
    id: String,
    format: &'static str,
) -> Result<Annex, ApiError> {
    db::tx(pool, move |c| {
        let program = programs_store::get(c, &id, &caller.reach())?;
        if !program.status.has_agreement() {
            return Err(ApiError::conflict_with(
                "no_agreement",
                format!(
                    "a program that is {} has no agreement to attach targets to; it must be verified, agreed, running or completed",
                    program.status
                ),
                json!({"program_status": program.status.as_str()}),
            ));
        }
        // A budget-funded (APBD) program has no company: its annex has the
        // lead agency alone.
        let company = program
            .company_id
            .as_deref()
            .map(|company_id| companies::get(c, company_id))
            .transpose()?
            .map(|company| Party {
                name: company.name,
                signed_by: program.signed_by_company.clone(),
                signed_on: program.signed_by_company_on,
            });
        let agency = Party {
            name: program.opd_code.clone().unwrap_or_default(),
            signed_by: program.signed_by_opd.clone(),
            signed_on: program.signed_by_opd_on,
        };

        let active = targets::active(c, &id)?;
        let ids: Vec<String> = active.iter().map(|t| t.household_id.clone()).collect();
        let families: HashMap<String, households::HouseholdRow> = households::in_order(c, &ids)?
            .into_iter()
            .map(|h| (h.id.clone(), h))
            .collect();
        let gated = match &caller.company_id {
            Some(company) => exposure::pseudonymised(c, company, &ids)?,
            None => Default::default(),
        };
        let names: HashMap<String, String> = regions::all(c)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
        let name_of = |code: &str| names.get(code).cloned().unwrap_or_default();

        let mut rows = Vec::with_capacity(active.len());
        for t in active {
            let Some(h) = families.get(&t.household_id) else {
                continue;
            };
            let view = Disclosure::of(caller.reads_are_audited, gated.contains(&h.id));
            let kecamatan = h
                .region_code
                .rsplit_once('.')
                .map(|(k, _)| name_of(k))
                .unwrap_or_default();
            rows.push(AnnexRow {
                number: 0,
                target_id: t.id,
                household_id: h.id.clone(),
                head_name: view.naming(Some(h.head_name.clone())),
                address: view.naming(h.address.clone()),
                desa_code: h.region_code.clone(),
                desa: name_of(&h.region_code),
                kecamatan,
                kk_number: view.identifier(h.kk_number.clone()),
                nik: view.identifier(h.head_nik.clone()),
                pseudonymised: view.is_pseudonymised(),
                status: t.status,
                planned_value: t.planned_value,
            });
        }
        // Kecamatan, desa, then the head's name: how a lead agency walks
        // the list; pseudonymised families (no name) by their reference.
        rows.sort_by(|a, b| {
            (&a.kecamatan, &a.desa, &a.head_name, &a.household_id).cmp(&(
                &b.kecamatan,
                &b.desa,
                &b.head_name,
                &b.household_id,
            ))
        });
        for (i, row) in rows.iter_mut().enumerate() {
            row.number = i + 1;
        }
        let total_planned = rows.iter().map(|r| r.planned_value).sum();

        audit::record(
            c,
            &caller.actor,
            "download_program_annex",
            "program",
            &program.id,
            None,
            Some(&json!({"format": format, "targets": rows.len()})),
        )?;
        if caller.reads_are_audited {
            let named: Vec<String> = rows
                .iter()
                .filter(|r| !r.pseudonymised)
                .map(|r| r.household_id.clone())
                .collect();
            households::audit_company_read(c, &caller.actor, &named)?;
        }
        Ok(Annex {
            program,
            company,
            agency,
            rows,
            total_planned,
        })
    })
    .await
}
