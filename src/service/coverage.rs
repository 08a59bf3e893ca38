//! The coverage of a cycle: which regions a report has rows for (the
//! kecamatan of the kabupaten, the desa of a kecamatan, or one desa), their
//! household figures summed from the database's per-desa counts, and which
//! programs' budget counts in a region (one of its target regions, or its
//! company's working area, overlaps it). Rendering is `api::reports`'.

use crate::domain::region_lookup::RegionLevel;
use std::collections::BTreeMap;

use crate::db::replica::Reads;
use crate::db::reports::{self as store, BudgetProgram, DesaCounts};
use crate::db::{cycles, regions};
use crate::domain::region::regions_overlap;
use crate::domain::region_lookup::RegionRow;
use crate::error::ApiError;

/// One row of the report: a region and how far the cycle reaches it.
#[derive(Debug, Clone)]
pub struct RegionCoverage {
    pub region: RegionRow,
    pub counts: DesaCounts,
    /// Whole rupiah of the programs counting in the region.
    pub budget: i64,
}

/// Programs and budget of one group (sector, type or strategy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetGroup {
    pub key: String,
    pub programs: i64,
    pub budget: i64,
}

/// The programs counting in the region asked for, and their budget by group.
#[derive(Debug, Clone)]
pub struct Budget {
    pub programs: i64,
    pub total: i64,
    pub by_sector: Vec<BudgetGroup>,
    pub by_type: Vec<BudgetGroup>,
    pub by_strategy: Vec<BudgetGroup>,
}

/// The coverage report of a cycle.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The region asked for; `None` for the whole kabupaten.
    pub region: Option<RegionRow>,
    pub rows: Vec<RegionCoverage>,
    /// The sums of the rows' figures.
    pub totals: DesaCounts,
    pub budget: Budget,
}

fn counts_in(program: &BudgetProgram, region: Option<&str>) -> bool {
    match region {
        None => true,
        Some(r) => program.regions.iter().any(|pr| regions_overlap(pr, r)),
    }
}

fn budget(programs: &[&BudgetProgram]) -> Budget {
    let group = |key: &dyn Fn(&BudgetProgram) -> String| {
        let mut m: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for p in programs {
            let e = m.entry(key(p)).or_default();
            e.0 += 1;
            // Saturating: a report never wraps, whatever the budgets.
            e.1 = e.1.saturating_add(p.budget);
        }
        m.into_iter()
            .map(|(key, (programs, budget))| BudgetGroup {
                key,
                programs,
                budget,
            })
            .collect()
    };
    Budget {
        programs: programs.len() as i64,
        total: programs
            .iter()
            .map(|p| p.budget)
            .fold(0, i64::saturating_add),
        // Grouped by wire string: the groups come out in its order.
        by_sector: group(&|p| p.sector.as_str().to_string()),
        by_type: group(&|p| p.program_type.as_str().to_string()),
        by_strategy: group(&|p| p.strategy.as_str().to_string()),
    }
}

/// The coverage of cycle `year` in region `asked` (any code `regions::resolve`
/// knows; `None` or the kabupaten: the whole kabupaten), in one read.
/// Read for `caller` where [`Reads`] sends it (a standby when there is one).
pub async fn report(
    reads: &Reads,
    caller: &str,
    year: i32,
    asked: Option<String>,
) -> Result<Coverage, ApiError> {
    let (region, row_regions, counts, programs) = reads
        .read(caller, false, move |c| -> Result<_, ApiError> {
            cycles::get(c, year)?;
            let region = match &asked {
                Some(code) if !crate::domain::region::is_kukar_code(code) => {
                    return Err(ApiError::invalid_parameter(
                        "region",
                        "is not a region of Kutai Kartanegara",
                    ))
                }
                // A well-formed code of Kukar that names no region: no such report.
                Some(code) => Some(regions::resolve(c, code)?.ok_or_else(ApiError::not_found)?),
                None => None,
            };
            let region = region.filter(|r| r.level != RegionLevel::Kabupaten);
            let all = regions::all(c)?;
            let rows: Vec<_> = match &region {
                None => all
                    .into_iter()
                    .filter(|r| r.level == RegionLevel::Kecamatan)
                    .collect(),
                Some(r) if r.level == RegionLevel::Kecamatan => all
                    .into_iter()
                    .filter(|x| x.parent_code.as_deref() == Some(r.code.as_str()))
                    .collect(),
                Some(r) => vec![r.clone()],
            };
            let prefix = region.as_ref().map(|r| r.code.clone());
            let counts = store::coverage_by_desa(c, year, &prefix)?;
            let programs = store::budget_programs(c, year)?;
            Ok((region, rows, counts, programs))
        })
        .await?;
    let mut rows = Vec::with_capacity(row_regions.len());
    let mut totals = DesaCounts::default();
    for r in row_regions {
        let mut sum = DesaCounts::default();
        for (desa, n) in &counts {
            if regions_overlap(desa, &r.code) && desa.len() >= r.code.len() {
                sum += *n;
            }
        }
        totals += sum;
        let budget = programs
            .iter()
            .filter(|p| counts_in(p, Some(&r.code)))
            .map(|p| p.budget)
            .fold(0, i64::saturating_add);
        rows.push(RegionCoverage {
            region: r,
            counts: sum,
            budget,
        });
    }
    let in_region: Vec<&BudgetProgram> = programs
        .iter()
        .filter(|p| counts_in(p, region.as_ref().map(|r| r.code.as_str())))
        .collect();
    Ok(Coverage {
        region,
        rows,
        totals,
        budget: budget(&in_region),
    })
}
