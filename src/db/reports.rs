//! The queries behind the oversight reports: compliance of companies and
//! coverage of families per cycle. Household figures are counted by the
//! database (`GROUP BY` desa), never by loading the registry into memory:
//! each query returns at most one row per desa (237 in Kukar).

use std::collections::HashMap;

use diesel::dsl::{count, count_star};
use diesel::prelude::*;

use super::schema::{
    companies as co, exemption_letters as el, households as h, program_targets as pt, programs as p,
};
use super::DbConnection;
use super::DbError;
use crate::domain::compliance::{ExemptionStatus, Sector};
use crate::domain::household::HouseholdStatus;
use crate::domain::program::{ProgramStatus, ProgramType, Strategy};

/// One active company with what compliance needs to know of it in a cycle.
#[derive(Debug, Clone)]
pub struct CompanyStanding {
    pub company_id: String,
    pub company_name: String,
    pub sector: Sector,
    /// Programs of the cycle that are agreed, running or completed.
    pub agreed_programs: i64,
    /// The status of its letter for the cycle: `accepted` if one was
    /// accepted, else the latest one filed; `None` without a letter.
    pub exemption_status: Option<ExemptionStatus>,
}

impl CompanyStanding {
    /// Its compliance state on `today` (`domain::compliance::assess`).
    pub fn assess(
        &self,
        today: chrono::NaiveDate,
        deadline: chrono::NaiveDate,
    ) -> crate::domain::compliance::Assessment {
        let agreed = u32::try_from(self.agreed_programs).unwrap_or(u32::MAX);
        crate::domain::compliance::assess(
            self.sector,
            agreed,
            self.exemption_status,
            today,
            deadline,
        )
    }
}

/// The standing of every active company (or only `company_id`), by name.
pub fn standings(
    conn: &mut DbConnection,
    year: i32,
    company_id: Option<&str>,
) -> Result<Vec<CompanyStanding>, DbError> {
    let mut q = co::table
        .filter(co::active.eq(true))
        .select((co::id, co::name, co::sector))
        .order((co::name.asc(), co::id.asc()))
        .into_boxed();
    if let Some(id) = company_id {
        q = q.filter(co::id.eq(id.to_string()));
    }
    let companies: Vec<(String, String, Sector)> = q.load(conn)?;
    let agreed: HashMap<String, i64> = p::table
        .filter(p::cycle_year.eq(year))
        .filter(p::status.eq_any([
            ProgramStatus::Agreed,
            ProgramStatus::Running,
            ProgramStatus::Completed,
        ]))
        .group_by(p::company_id)
        .select((p::company_id, count_star()))
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        // APBD programs (no company) count for no company's duty.
        .filter_map(|(c, n)| Some((c?, n)))
        .collect();
    let mut letters: HashMap<String, ExemptionStatus> = HashMap::new();
    let rows: Vec<(String, ExemptionStatus)> = el::table
        .filter(el::cycle_year.eq(year))
        .order((el::created_at.asc(), el::id.asc()))
        .select((el::company_id, el::status))
        .load(conn)?;
    for (company, status) in rows {
        let entry = letters.entry(company).or_insert(status);
        if *entry != ExemptionStatus::Accepted {
            *entry = status;
        }
    }
    Ok(companies
        .into_iter()
        .map(|(id, name, sector)| CompanyStanding {
            agreed_programs: agreed.get(&id).copied().unwrap_or(0),
            exemption_status: letters.get(&id).copied(),
            company_id: id,
            company_name: name,
            sector,
        })
        .collect())
}

/// Household figures of one desa in a cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DesaCounts {
    /// Active households.
    pub households: i64,
    /// Active households in desil 1.
    pub extreme_poor: i64,
    /// Distinct households that are active targets of the cycle's programs.
    pub targeted: i64,
    /// Of those, targets verified eligible or already served.
    pub verified_eligible: i64,
    pub served: i64,
    /// Active desil-1 households that are no active target of the cycle.
    pub extreme_poor_unreached: i64,
}

impl std::ops::AddAssign for DesaCounts {
    fn add_assign(&mut self, o: DesaCounts) {
        self.households += o.households;
        self.extreme_poor += o.extreme_poor;
        self.targeted += o.targeted;
        self.verified_eligible += o.verified_eligible;
        self.served += o.served;
        self.extreme_poor_unreached += o.extreme_poor_unreached;
    }
}

/// Counts per desa code for a cycle, within `region` (a dotted code of any
/// level; `None` for the whole kabupaten).
pub fn coverage_by_desa(
    conn: &mut DbConnection,
    year: i32,
    region: &Option<String>,
) -> Result<HashMap<String, DesaCounts>, DbError> {
    let mut out: HashMap<String, DesaCounts> = HashMap::new();
    let mut put = |rows: Vec<(String, i64)>, set: fn(&mut DesaCounts, i64)| {
        for (code, n) in rows {
            set(out.entry(code).or_default(), n);
        }
    };
    let (lo, hi) = super::regions::within_or_all(region.as_deref());
    let in_region = h::region_code.ge(lo).and(h::region_code.lt(hi));
    let households = h::table
        .filter(h::status.eq(HouseholdStatus::Active))
        .filter(in_region.clone())
        .group_by(h::region_code)
        .select((h::region_code, count_star()))
        .load::<(String, i64)>(conn)?;
    put(households, |c, n| c.households = n);
    let extreme = h::table
        .filter(h::status.eq(HouseholdStatus::Active))
        .filter(h::desil.eq(1))
        .filter(in_region.clone())
        .group_by(h::region_code)
        .select((h::region_code, count_star()))
        .load::<(String, i64)>(conn)?;
    put(extreme, |c, n| c.extreme_poor = n);
    let targets = |statuses: &'static [&'static str]| {
        pt::table
            .inner_join(h::table)
            .filter(pt::cycle_year.eq(year))
            .filter(pt::active.eq(true))
            .filter(pt::status.eq_any(statuses))
            .filter(in_region.clone())
            .group_by(h::region_code)
            .select((h::region_code, count(pt::household_id).aggregate_distinct()))
    };
    let any_status: &'static [&'static str] = &[
        "proposed",
        "eligible",
        "ineligible",
        "not_found",
        "moved",
        "deceased",
        "already_assisted",
        "served",
    ];
    put(targets(any_status).load::<(String, i64)>(conn)?, |c, n| {
        c.targeted = n
    });
    put(
        targets(&["eligible", "served"]).load::<(String, i64)>(conn)?,
        |c, n| c.verified_eligible = n,
    );
    put(targets(&["served"]).load::<(String, i64)>(conn)?, |c, n| {
        c.served = n
    });
    let reached = pt::table
        .filter(pt::cycle_year.eq(year))
        .filter(pt::active.eq(true))
        .select(pt::household_id);
    let unreached = h::table
        .filter(h::status.eq(HouseholdStatus::Active))
        .filter(h::desil.eq(1))
        .filter(in_region.clone())
        .filter(diesel::dsl::not(h::id.eq_any(reached)))
        .group_by(h::region_code)
        .select((h::region_code, count_star()))
        .load::<(String, i64)>(conn)?;
    put(unreached, |c, n| c.extreme_poor_unreached = n);
    Ok(out)
}

/// A program of a cycle as the budget report sees it.
#[derive(Debug, Clone)]
pub struct BudgetProgram {
    pub id: String,
    pub sector: Sector,
    pub program_type: ProgramType,
    pub strategy: Strategy,
    pub budget: i64,
    /// Its target regions, or its company's working area when it names none
    /// (the default recommendations use too).
    pub regions: Vec<String>,
}

/// Programs of the cycle that are proposals or more: drafts are not yet
/// proposals, and rejected, withdrawn or cancelled programs will not happen.
pub fn budget_programs(conn: &mut DbConnection, year: i32) -> Result<Vec<BudgetProgram>, DbError> {
    type Row = (String, Sector, ProgramType, Strategy, i64, String, String);
    let rows: Vec<Row> = p::table
        .inner_join(co::table)
        .filter(p::cycle_year.eq(year))
        .filter(p::status.ne_all([
            ProgramStatus::Draft,
            ProgramStatus::Rejected,
            ProgramStatus::Withdrawn,
            ProgramStatus::Cancelled,
        ]))
        .order(p::id.asc())
        .select((
            p::id,
            co::sector,
            p::program_type,
            p::strategy,
            p::budget,
            p::target_regions,
            co::working_area,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, sector, program_type, strategy, budget, targets, area)| {
                let mut regions: Vec<String> = serde_json::from_str(&targets).unwrap_or_default();
                if regions.is_empty() {
                    regions = serde_json::from_str(&area).unwrap_or_default();
                }
                BudgetProgram {
                    id,
                    sector,
                    program_type,
                    strategy,
                    budget,
                    regions,
                }
            },
        )
        .collect())
}
