//! Exposure (docs/SECURITY.md, "What a company sees"): which households each company may read, recorded
//! per (company, cycle, household). A household becomes readable to a company
//! when a recommendation shows it (counted against the company's cap for the
//! cycle) or a program of the company targets it. It stays readable while its
//! cycle is live (`domain::exposure`) or while it is an active target of one
//! of the company's programs. [`readable_by`] is the one place that decides
//! what a company may read; household lists, reads and targets all use it.
//! Of what it may read, [`pseudonymised_for`] is the one place that decides
//! what a company sees without names (the consent gate); what each view shows
//! is `domain::consent`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::schema::{
    companies as co, datasets as d, exposures as e, household_datasets as hd, households as h,
    program_targets as pt, programs as p, verifications as v,
};
use super::DbError;
use super::{lock_row, now, DbBackend, DbConnection};
use crate::domain::exposure::{admit, CapReached};

/// A condition on households.
pub type HouseholdCondition =
    Box<dyn BoxableExpression<h::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

/// "The company may read the household": exposed to it in a cycle from
/// `live_from` on, or an active target of one of its programs.
pub fn readable_by(company_id: &str, live_from: i32) -> HouseholdCondition {
    let exposed = e::table
        .filter(e::company_id.eq(company_id.to_string()))
        .filter(e::cycle_year.ge(live_from))
        .select(e::household_id);
    let programs = p::table
        .filter(p::company_id.eq(company_id.to_string()))
        .select(p::id);
    let targeted = pt::table
        .filter(pt::active.eq(true))
        .filter(pt::program_id.eq_any(programs))
        .select(pt::household_id);
    Box::new(h::id.eq_any(exposed).or(h::id.eq_any(targeted)))
}

/// "The company sees the household pseudonymised" (the consent gate,
/// docs/SECURITY.md): every dataset behind it forbids onward sharing (it is
/// linked to one at least — a household no snapshot holds, entered by hand,
/// is not gated — and to none that allows it), and the family's latest
/// answer at a visit of one of the company's programs is not consent. The
/// latest answer by visit date wins, so a later refusal closes the household
/// again; on the same day a refusal wins. A visit that did not ask
/// (`consent_to_share` null) changes nothing. Consent opens the household to
/// that company only, and only what exposure lets it read
/// ([`readable_by`]).
pub fn pseudonymised_for(company_id: &str) -> HouseholdCondition {
    use diesel::dsl::{case_when, max};
    let linked = hd::table.select(hd::household_id);
    let shared = hd::table
        .inner_join(d::table)
        .filter(d::onward_sharing.eq(true))
        .select(hd::household_id);
    let programs = p::table
        .filter(p::company_id.eq(company_id.to_string()))
        .select(p::id);
    let agreed = || max(case_when(v::consent_to_share.eq(true), v::visited_on));
    let refused = || max(case_when(v::consent_to_share.eq(false), v::visited_on));
    let consented = v::table
        .filter(v::consent_to_share.is_not_null())
        .filter(v::program_id.eq_any(programs))
        .group_by(v::household_id)
        .having(refused().is_null().or(agreed().gt(refused())))
        .select(v::household_id);
    Box::new(
        h::id
            .eq_any(linked)
            .and(diesel::dsl::not(h::id.eq_any(shared)))
            .and(diesel::dsl::not(h::id.eq_any(consented))),
    )
}

/// Which of these households the company sees pseudonymised: one query for
/// a page ([`pseudonymised_for`]).
pub fn pseudonymised(
    conn: &mut DbConnection,
    company_id: &str,
    household_ids: &[String],
) -> Result<HashSet<String>, DbError> {
    if household_ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(h::table
        .filter(h::id.eq_any(household_ids))
        .filter(pseudonymised_for(company_id))
        .select(h::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Whether the company may read this household now.
pub fn may_read(
    conn: &mut DbConnection,
    company_id: &str,
    household_id: &str,
    live_from: i32,
) -> Result<bool, DbError> {
    let n: i64 = h::table
        .filter(h::id.eq(household_id.to_string()))
        .filter(readable_by(company_id, live_from))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The company's cap per cycle: its own `exposure_cap`, else `default`.
pub fn cap_of(conn: &mut DbConnection, company_id: &str, default: u32) -> Result<i64, DbError> {
    let own: Option<i32> = co::table
        .find(company_id)
        .select(co::exposure_cap)
        .first(conn)?;
    Ok(own.map_or(i64::from(default), i64::from))
}

/// What a page of recommendations may show a company: see
/// [`crate::domain::exposure::admit`]. Records what it shows, so the cap
/// holds across requests; on PostgreSQL the company's row is locked first,
/// so two simultaneous pages cannot both take the last room.
pub fn admit_shown(
    conn: &mut DbConnection,
    company_id: &str,
    cycle_year: i32,
    ranked: &[String],
    cap: i64,
) -> Result<Admitted, DbError> {
    lock_row(conn, "companies", company_id)?;
    let shown_before = shown_count(conn, company_id, cycle_year)?;
    let already: HashSet<String> = e::table
        .filter(e::company_id.eq(company_id))
        .filter(e::cycle_year.eq(cycle_year))
        .filter(e::shown_at.is_not_null())
        .filter(e::household_id.eq_any(ranked))
        .select(e::household_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let admitted: Vec<String> = admit(ranked, &already, cap - shown_before)
        .map_err(|CapReached| cap_reached(cycle_year, cap, shown_before))?
        .into_iter()
        .cloned()
        .collect();
    let new: Vec<String> = admitted
        .iter()
        .filter(|id| !already.contains(*id))
        .cloned()
        .collect();
    record_shown(conn, company_id, cycle_year, &new)?;
    let shown = shown_before + i64::try_from(new.len()).unwrap_or(i64::MAX);
    Ok(Admitted {
        ids: admitted,
        cap,
        remaining: (cap - shown).max(0),
    })
}

/// The households a page may show, and the cap's state after it.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub ids: Vec<String>,
    pub cap: i64,
    pub remaining: i64,
}

fn cap_reached(cycle_year: i32, cap: i64, shown: i64) -> DbError {
    DbError::refused(
        "exposure_cap_reached",
        format!(
            "this company was already shown {shown} households in cycle {cycle_year}, its cap; \
             households shown before stay readable, new ones are not shown (Bappeda may raise \
             the company's exposure_cap)"
        ),
        json!({"cycle_year": cycle_year, "cap": cap, "shown": shown}),
    )
}

fn shown_count(conn: &mut DbConnection, company_id: &str, cycle_year: i32) -> Result<i64, DbError> {
    Ok(e::table
        .filter(e::company_id.eq(company_id))
        .filter(e::cycle_year.eq(cycle_year))
        .filter(e::shown_at.is_not_null())
        .count()
        .get_result(conn)?)
}

/// Records that a recommendation showed these households to the company.
/// Recommendations go through [`admit_shown`], which holds the cap; this
/// alone does not (seeding, tests).
pub fn record_shown(
    conn: &mut DbConnection,
    company_id: &str,
    cycle_year: i32,
    household_ids: &[String],
) -> Result<(), DbError> {
    ensure_rows(conn, company_id, cycle_year, household_ids)?;
    diesel::update(
        e::table
            .filter(e::company_id.eq(company_id))
            .filter(e::cycle_year.eq(cycle_year))
            .filter(e::household_id.eq_any(household_ids))
            .filter(e::shown_at.is_null()),
    )
    .set(e::shown_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Records that a program of the company targets the household.
pub fn record_targeted(
    conn: &mut DbConnection,
    company_id: &str,
    cycle_year: i32,
    household_id: &str,
) -> Result<(), DbError> {
    let ids = [household_id.to_string()];
    ensure_rows(conn, company_id, cycle_year, &ids)?;
    diesel::update(
        e::table
            .filter(e::company_id.eq(company_id))
            .filter(e::cycle_year.eq(cycle_year))
            .filter(e::household_id.eq(household_id))
            .filter(e::targeted_at.is_null()),
    )
    .set(e::targeted_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Records the company's first read of these households in each cycle whose
/// exposure let it read them (a live cycle, or one where it targeted them).
pub fn mark_read(
    conn: &mut DbConnection,
    company_id: &str,
    household_ids: &[String],
    live_from: i32,
) -> Result<(), DbError> {
    if household_ids.is_empty() {
        return Ok(());
    }
    diesel::update(
        e::table
            .filter(e::company_id.eq(company_id))
            .filter(e::household_id.eq_any(household_ids))
            .filter(e::read_at.is_null())
            .filter(e::cycle_year.ge(live_from).or(e::targeted_at.is_not_null())),
    )
    .set(e::read_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Adds the missing (company, cycle, household) rows, with no time set.
fn ensure_rows(
    conn: &mut DbConnection,
    company_id: &str,
    cycle_year: i32,
    household_ids: &[String],
) -> Result<(), DbError> {
    if household_ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = household_ids
        .iter()
        .map(|hid| {
            (
                e::company_id.eq(company_id),
                e::cycle_year.eq(cycle_year),
                e::household_id.eq(hid),
            )
        })
        .collect();
    // Insert-or-ignore is spelled differently by each backend, and a
    // multi-row insert only compiles on the inner connections (diesel's
    // `MultiConnection` does not support it).
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(e::table)
            .values(&rows)
            .execute(c)?,
        DbConnection::Postgresql(c) => diesel::insert_into(e::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(())
}

/// One company's exposure in a cycle.
#[derive(Debug, Clone)]
pub struct CompanyExposure {
    pub company_id: String,
    pub company_name: String,
    pub active: bool,
    pub exposure_cap: Option<i32>,
    /// Distinct households recommendations showed it (what the cap counts).
    pub shown: i64,
    /// Of the households exposed in the cycle, those it read.
    pub read: i64,
    /// Distinct households that are an active target of its programs of the cycle.
    pub targeted: i64,
    pub last_shown_at: Option<NaiveDateTime>,
}

/// Per company (every one, by name): what the cycle exposed to it.
pub fn report(conn: &mut DbConnection, cycle_year: i32) -> Result<Vec<CompanyExposure>, DbError> {
    use diesel::dsl::{count, count_star, max};
    let shown: HashMap<String, (i64, Option<NaiveDateTime>)> = e::table
        .filter(e::cycle_year.eq(cycle_year))
        .filter(e::shown_at.is_not_null())
        .group_by(e::company_id)
        .select((e::company_id, count_star(), max(e::shown_at)))
        .load::<(String, i64, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .map(|(c, n, at)| (c, (n, at)))
        .collect();
    let read: HashMap<String, i64> = e::table
        .filter(e::cycle_year.eq(cycle_year))
        .filter(e::read_at.is_not_null())
        .group_by(e::company_id)
        .select((e::company_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let targeted: HashMap<String, i64> = pt::table
        .inner_join(p::table)
        .filter(p::cycle_year.eq(cycle_year))
        .filter(pt::active.eq(true))
        .group_by(p::company_id)
        .select((p::company_id, count(pt::household_id).aggregate_distinct()))
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        // APBD programs (no company) expose nothing to a company.
        .filter_map(|(c, n)| Some((c?, n)))
        .collect();
    let companies = co::table
        .order((co::name.asc(), co::id.asc()))
        .select((co::id, co::name, co::active, co::exposure_cap))
        .load::<(String, String, bool, Option<i32>)>(conn)?;
    Ok(companies
        .into_iter()
        .map(|(id, name, active, exposure_cap)| {
            let (shown, last_shown_at) = shown.get(&id).copied().unwrap_or((0, None));
            CompanyExposure {
                read: read.get(&id).copied().unwrap_or(0),
                targeted: targeted.get(&id).copied().unwrap_or(0),
                company_id: id,
                company_name: name,
                active,
                exposure_cap,
                shown,
                last_shown_at,
            }
        })
        .collect())
}
