//! Program transitions and settlement: a requested lifecycle action decided
//! once by `domain::program::decide`, and the automatic steps (`verified`,
//! `agreed`) that [`settle`] applies after anything that changes targets or
//! signatures, in the same transaction. Also proposing and editing programs
//! (the fields' rules, target regions inside the company's working area
//! unless bappeda or admin overrides, audited) and what a caller sees of a
//! program ([`ProgramView`]: its target count and the actions open to it).

use crate::db::IfMatch;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::Caller;
use crate::db::audit::{self, Actor};
use crate::db::programs::{self as store, ProgramFields, ProgramFilter, ProgramRow};
use crate::db::{self, companies, cycles, regions, DbConnection, Pool};
use crate::domain::company::outside_working_area;
use crate::domain::program::{
    after_verification, available_actions, decide, Action, Funding, ProgramStatus, ProgramType,
    Strategy,
};
use crate::domain::role::Role;
use crate::error::{ApiError, FieldError};

/// A program as one caller sees it.
#[derive(Debug, Clone)]
pub struct ProgramView {
    pub row: ProgramRow,
    pub status: ProgramStatus,
    pub targets_count: i64,
    /// The lifecycle actions the caller could take on `today`.
    pub available_actions: Vec<Action>,
}

/// The programs as `caller` sees them on `today`, in the order given.
pub fn views(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: Vec<ProgramRow>,
    today: NaiveDate,
) -> Result<Vec<ProgramView>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let counts = store::target_counts(conn, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let status = row.status;
        let calendar = cycles::get(conn, row.cycle_year)?.calendar();
        let facts = store::facts(conn, &row, true)?;
        let actions = if owns(caller, &row) {
            available_actions(status, caller.role, today, &calendar, &facts)
                .into_iter()
                .filter(|a| *a != Action::Sign || matches!(caller.role, Role::Company | Role::Opd))
                .collect()
        } else {
            Vec::new()
        };
        out.push(ProgramView {
            targets_count: counts.get(&row.id).copied().unwrap_or(0),
            row,
            status,
            available_actions: actions,
        });
    }
    Ok(out)
}

/// One program as `caller` sees it on `today`.
pub fn view(
    conn: &mut DbConnection,
    caller: &Caller,
    row: ProgramRow,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    views(conn, caller, vec![row], today)?
        .pop()
        .ok_or_else(ApiError::not_found)
}

/// Whether the caller acts for this program: its company, its lead agency, or
/// Bappeda/admin. Readers such as the Bupati and viewers act on nothing.
fn owns(caller: &Caller, program: &ProgramRow) -> bool {
    match caller.role {
        Role::Company => caller.company_id.is_some() && caller.company_id == program.company_id,
        Role::Opd => caller.opd_code.as_deref() == program.opd_code.as_deref(),
        Role::Bappeda | Role::Admin => true,
        _ => false,
    }
}

/// Applies the automatic steps (`mark_verified`, `agree`) after a change.
pub fn settle(
    conn: &mut DbConnection,
    actor: &Actor,
    row: ProgramRow,
) -> Result<ProgramRow, ApiError> {
    let status = row.status;
    let facts = store::facts(conn, &row, false)?;
    let next = after_verification(status, &facts);
    if next == status {
        return Ok(row);
    }
    let action = if next == ProgramStatus::Agreed {
        "agree"
    } else {
        "mark_verified"
    };
    let moved = store::set_status(conn, actor, action, &row, IfMatch::ANY, next, None)?;
    super::events::program_moved(conn, status, &moved)?;
    // Verified can lead on to agreed in the same change.
    settle(conn, actor, moved)
}

/// A lifecycle action a caller requests (not `sign`, which has
/// [`super::signatures::sign`], nor the automatic ones).
#[derive(Debug, Clone)]
pub struct Transition {
    pub action: Action,
    /// Why (required for `reject` and `cancel`).
    pub note: Option<String>,
    /// An admin's reason to act outside the calendar window.
    pub override_reason: Option<String>,
}

/// Moves a program through its lifecycle (`expected`: the version the client
/// read), then settles it, in one transaction; a closed window is set aside
/// only by an admin's override, which the status note records.
pub async fn transition(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    request: Transition,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    let window_override = caller.window_override(request.override_reason, "a calendar window")?;
    db::tx(pool, move |c| {
        let before = store::get(c, &id, &caller.reach())?;
        let status = before.status;
        let calendar = cycles::get(c, before.cycle_year)?.calendar();
        let note = request.note.filter(|n| !n.trim().is_empty());
        let facts = store::facts(c, &before, note.is_some())?;
        let next = decide(
            status,
            request.action,
            caller.role,
            today,
            &calendar,
            &facts,
            &window_override,
        )?;
        let status_note = match (&note, window_override.reason()) {
            (Some(n), Some(r)) => Some(format!("{n} (window overridden: {r})")),
            (None, Some(r)) => Some(format!("window overridden: {r}")),
            (n, None) => n.clone(),
        };
        let row = store::set_status(
            c,
            &caller.actor,
            request.action.as_str(),
            &before,
            expected,
            next,
            status_note.as_deref(),
        )?;
        super::events::program_moved(c, status, &row)?;
        let row = settle(c, &caller.actor, row)?;
        view(c, &caller, row, today)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cycle_year": 2027, "title": "Bedah rumah 40 KK Tenggarong", "type": "housing",
    "strategy": "reduce_burden", "budget": 1200000000, "opd_code": "PERKIM", "target_regions": ["64.02.06"]}))]
pub struct NewProgram {
    #[schema(minimum = 2000, maximum = 2100)]
    pub cycle_year: i32,
    /// `csr` (a company's TJSP program) or `apbd` (an agency's own program on
    /// the regency budget, with no company). Default: `apbd` when an opd
    /// creates it (an agency creates only its own APBD programs), else `csr`.
    pub funding: Option<Funding>,
    /// CSR: required for bappeda and admin; a company files for itself.
    /// APBD: must be absent.
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub title: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub program_type: ProgramType,
    pub strategy: Strategy,
    /// Whole rupiah, 0 to 10^15.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub budget: i64,
    /// Lead agency code, e.g. `DINSOS`, `PERKIM`, `DINKES`. APBD: required
    /// for bappeda and admin; an opd leads its own (its code, or absent).
    #[schema(pattern = "^[A-Z0-9_]{2,20}$")]
    pub opd_code: Option<String>,
    /// Region codes (kecamatan or desa); default: the company's working area
    /// (APBD programs: anywhere in the regency, none by default).
    /// Each must lie in the company's working area (a desa of a working-area
    /// kecamatan does; a kecamatan containing a working-area desa does not),
    /// else 422 naming it — unless bappeda or admin gives `region_override_reason`.
    pub target_regions: Option<Vec<String>>,
    /// Bappeda, admin: why target regions outside the company's working area
    /// are set (required then; audited as `override_target_regions`). A
    /// company sending it gets 403.
    pub region_override_reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"budget": 1350000000, "opd_code": "PERKIM"}))]
pub struct ProgramPatch {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub program_type: Option<ProgramType>,
    pub strategy: Option<Strategy>,
    /// Whole rupiah, 0 to 10^15.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub budget: Option<i64>,
    #[schema(pattern = "^[A-Z0-9_]{2,20}$")]
    pub opd_code: Option<String>,
    /// As on creation: inside the company's working area unless bappeda or
    /// admin gives `region_override_reason`.
    pub target_regions: Option<Vec<String>>,
    /// As on creation.
    pub region_override_reason: Option<String>,
}

/// The largest program budget, rupiah: a thousand trillion, far above any
/// CSR program, and low enough that report sums stay far from `i64::MAX`.
pub const MAX_BUDGET: i64 = 1_000_000_000_000_000;

fn check_fields(title: &str, budget: i64, opd: Option<&str>) -> Result<(), ApiError> {
    let mut e = Vec::new();
    if title.trim().is_empty() || title.chars().count() > 200 {
        e.push(FieldError::new("title", "must be 1–200 characters"));
    }
    if !(0..=MAX_BUDGET).contains(&budget) {
        e.push(FieldError::new(
            "budget",
            format!("must be 0 to {MAX_BUDGET} whole rupiah"),
        ));
    }
    if opd.is_some_and(|o| !crate::domain::account::valid_opd_code(o)) {
        e.push(FieldError::new(
            "opd_code",
            "must be 2–20 capital letters, digits or _ (e.g. DINSOS)",
        ));
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(e))
    }
}

/// The override reason a caller gave, if any; only bappeda and admin may
/// give one (403 otherwise).
fn override_reason(caller: &Caller, reason: Option<String>) -> Result<Option<String>, ApiError> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason.is_some() && !matches!(caller.role, Role::Bappeda | Role::Admin) {
        return Err(ApiError::Forbidden {
            detail: "only bappeda or admin may set target regions outside the working area".into(),
        });
    }
    Ok(reason)
}

/// Target regions as stored (current dotted codes, JSON), checked against
/// the company's working area (docs/DECISIONS.md, "Exposure and search"):
/// a region outside it is a 422 naming it, unless an override reason is
/// given (bappeda, admin — see [`override_reason`]); then the regions outside
/// are returned for the audit.
fn region_json(
    conn: &mut DbConnection,
    company_id: Option<&str>,
    codes: &[String],
    reason: Option<&str>,
) -> Result<(String, Vec<String>), ApiError> {
    let resolved: Vec<String> = regions::resolve_all(conn, "target_regions", codes)?
        .into_iter()
        .map(|r| r.code)
        .collect();
    // An APBD program serves the whole regency: no working area bounds it.
    let Some(company_id) = company_id else {
        return Ok((serde_json::to_string(&resolved)?, Vec::new()));
    };
    let area = companies::get(conn, company_id)?.working_area()?;
    let outside = outside_working_area(&resolved, &area);
    if !outside.is_empty() && reason.is_none() {
        return Err(ApiError::validation(
            outside
                .iter()
                .map(|code| {
                    FieldError::new(
                        "target_regions",
                        format!(
                            "`{code}` lies outside the company's working area ({}); bappeda or \
                             admin may set it with region_override_reason",
                            area.join(", ")
                        ),
                    )
                })
                .collect(),
        ));
    }
    Ok((serde_json::to_string(&resolved)?, outside))
}

/// Audits target regions set outside the working area, with the reason.
fn audit_override(
    conn: &mut DbConnection,
    actor: &Actor,
    program_id: &str,
    outside: &[String],
    reason: Option<&str>,
) -> Result<(), ApiError> {
    if outside.is_empty() {
        return Ok(());
    }
    Ok(audit::record(
        conn,
        actor,
        "override_target_regions",
        "program",
        program_id,
        None,
        Some(&json!({"outside_working_area": outside, "reason": reason})),
    )?)
}

/// A page of the programs the caller reaches that match `filter`, as it sees
/// them on `today`, and how many there are.
pub async fn list(
    pool: &Pool,
    caller: Caller,
    filter: ProgramFilter,
    offset: i64,
    limit: i64,
    today: NaiveDate,
) -> Result<(Vec<ProgramView>, i64), ApiError> {
    db::run(pool, move |c| {
        let (rows, total) = store::list(c, &filter, &caller.reach(), offset, limit)?;
        Ok((views(c, &caller, rows, today)?, total))
    })
    .await
}

/// Program `id`, if the caller reaches it, as it sees it on `today`.
pub async fn get(
    pool: &Pool,
    caller: Caller,
    id: String,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    db::run(pool, move |c| {
        let row = store::get(c, &id, &caller.reach())?;
        view(c, &caller, row, today)
    })
    .await
}

/// Creates a draft program, in one transaction with the audit of target
/// regions set outside the company's working area.
pub async fn create(
    pool: &Pool,
    caller: Caller,
    b: NewProgram,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    let (company_id, opd_code) = parties(&caller, &b)?;
    check_fields(&b.title, b.budget, opd_code.as_deref())?;
    let reason = override_reason(&caller, b.region_override_reason.clone())?;
    db::tx(pool, move |c| {
        cycles::get(c, b.cycle_year)
            .map_err(|_| ApiError::invalid_field("cycle_year", "no such cycle"))?;
        if let Some(company_id) = &company_id {
            let company = companies::get(c, company_id)
                .map_err(|_| ApiError::invalid_field("company_id", "no such company"))?;
            if !company.active {
                return Err(ApiError::invalid_field(
                    "company_id",
                    "the company is not active",
                ));
            }
        }
        let (target_regions, outside) = region_json(
            c,
            company_id.as_deref(),
            &b.target_regions.unwrap_or_default(),
            reason.as_deref(),
        )?;
        let fields = ProgramFields {
            opd_code,
            title: b.title.trim().to_string(),
            description: b.description,
            program_type: b.program_type,
            strategy: b.strategy,
            budget: b.budget,
            target_regions,
        };
        let row = store::create(
            c,
            &caller.actor,
            b.cycle_year,
            company_id.as_deref(),
            &fields,
        )?;
        audit_override(c, &caller.actor, &row.id, &outside, reason.as_deref())?;
        view(c, &caller, row, today)
    })
    .await
}

/// The company and lead agency of a new program, by its funding and who
/// creates it: a company files its own CSR programs; an agency its own APBD
/// programs, which it leads; bappeda and admin either, naming the parties.
fn parties(caller: &Caller, b: &NewProgram) -> Result<(Option<String>, Option<String>), ApiError> {
    let funding = b.funding.unwrap_or(if caller.role == Role::Opd {
        Funding::Apbd
    } else {
        Funding::Csr
    });
    match funding {
        Funding::Csr => {
            if caller.role == Role::Opd {
                return Err(ApiError::invalid_field(
                    "funding",
                    "an agency creates only its own APBD programs; a CSR program is proposed \
                     by its company or by bappeda",
                ));
            }
            let company_id = match (caller.company_id.clone(), b.company_id.clone()) {
                (Some(own), Some(given)) if own != given => {
                    return Err(ApiError::invalid_field(
                        "company_id",
                        "a company proposes only its own programs",
                    ))
                }
                (Some(own), _) => own,
                (None, Some(given)) => given,
                (None, None) => return Err(ApiError::invalid_field("company_id", "is required")),
            };
            Ok((Some(company_id), b.opd_code.clone()))
        }
        Funding::Apbd => {
            if caller.role == Role::Company {
                return Err(ApiError::invalid_field(
                    "funding",
                    "a company's programs are CSR programs; APBD programs are the regency's own",
                ));
            }
            if b.company_id.is_some() {
                return Err(ApiError::invalid_field(
                    "company_id",
                    "an APBD program has no company; leave it out",
                ));
            }
            let opd_code = match (caller.opd_code.clone(), b.opd_code.clone()) {
                (Some(own), Some(given)) if own != given => {
                    return Err(ApiError::invalid_field(
                        "opd_code",
                        "an agency creates only programs it leads",
                    ))
                }
                (Some(own), _) => own,
                (None, Some(given)) => given,
                (None, None) => {
                    return Err(ApiError::invalid_field(
                        "opd_code",
                        "an APBD program needs its lead agency",
                    ))
                }
            };
            Ok((None, Some(opd_code)))
        }
    }
}

/// An agency edits and deletes only its own APBD programs: a CSR program it
/// leads is the company's proposal until agreed (409: the program's funding,
/// not the role, stands in the way).
fn editor(caller: &Caller, program: &ProgramRow) -> Result<(), ApiError> {
    if caller.role == Role::Opd && program.funding == Funding::Csr {
        return Err(ApiError::conflict(
            "not_an_apbd_program",
            "an agency edits only its own APBD programs; a CSR program is the company's to edit",
        ));
    }
    Ok(())
}

/// Edits program `id` while it is `draft` or `proposed` (`expected`: the
/// version the client read), in one transaction with the audit of target
/// regions set outside the company's working area.
pub async fn update(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    patch: ProgramPatch,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    let reason = override_reason(&caller, patch.region_override_reason.clone())?;
    db::tx(pool, move |c| {
        let before = store::get(c, &id, &caller.reach())?;
        editor(&caller, &before)?;
        if caller.opd_code.is_some()
            && patch.opd_code.is_some()
            && patch.opd_code != caller.opd_code
        {
            return Err(ApiError::invalid_field(
                "opd_code",
                "an agency cannot hand its program to another agency; ask bappeda",
            ));
        }
        if !matches!(
            before.status,
            ProgramStatus::Draft | ProgramStatus::Proposed
        ) {
            return Err(ApiError::conflict(
                "program_locked",
                format!(
                    "a program that is {} can no longer be edited",
                    before.status
                ),
            ));
        }
        let program_type = patch.program_type.unwrap_or(before.program_type);
        if program_type != before.program_type
            && store::target_counts(c, std::slice::from_ref(&before.id))?.contains_key(&before.id)
        {
            return Err(ApiError::conflict(
                "targets_exist",
                "remove the targets before changing the program type",
            ));
        }
        let (target_regions, outside) = match &patch.target_regions {
            Some(codes) => region_json(c, before.company_id.as_deref(), codes, reason.as_deref())?,
            None => (before.target_regions.clone(), Vec::new()),
        };
        let fields = ProgramFields {
            opd_code: patch.opd_code.or(before.opd_code.clone()),
            title: patch
                .title
                .map(|t| t.trim().to_string())
                .unwrap_or(before.title.clone()),
            description: patch.description.or(before.description.clone()),
            program_type,
            strategy: patch.strategy.unwrap_or(before.strategy),
            budget: patch.budget.unwrap_or(before.budget),
            target_regions,
        };
        check_fields(&fields.title, fields.budget, fields.opd_code.as_deref())?;
        let row = store::update_fields(c, &caller.actor, &before, expected, &fields)?;
        audit_override(c, &caller.actor, &row.id, &outside, reason.as_deref())?;
        view(c, &caller, row, today)
    })
    .await
}

/// Deletes program `id` while it is a draft (`expected`: the version the
/// client read).
pub async fn delete(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
) -> Result<(), ApiError> {
    db::tx(pool, move |c| {
        let before = store::get(c, &id, &caller.reach())?;
        editor(&caller, &before)?;
        if before.status != ProgramStatus::Draft {
            return Err(ApiError::conflict(
                "not_a_draft",
                "only a draft can be deleted; withdraw a submitted program",
            ));
        }
        Ok(store::delete(c, &caller.actor, &before, expected)?)
    })
    .await
}
