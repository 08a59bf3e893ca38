//! What recommendations rank: a program's candidate households and their
//! members' needs. The ranking itself is `domain::ranking`.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::programs::ProgramRow;
use super::schema::{households as h, members as m, program_targets as pt};
use super::DbConnection;
use super::DbError;
use crate::domain::household::HouseholdStatus;
use crate::domain::ranking::{
    born_within, facts_read, Candidate, IN_SCHOOL, SCHOOL_AGE, WITHOUT_WORK, WORKING_AGE,
};

/// The columns recommendations rank on.
#[derive(Debug, Clone, Queryable)]
pub struct CandidateRow {
    pub id: String,
    pub desil: Option<i32>,
    pub percentile: Option<i32>,
    pub roof_quality: Option<String>,
    pub wall_quality: Option<String>,
    pub floor_quality: Option<String>,
    pub roof_material: Option<String>,
    pub wall_material: Option<String>,
    pub floor_material: Option<String>,
    pub cooking_fuel: Option<String>,
    pub toilet_facility: Option<String>,
    pub drinking_water: Option<String>,
    pub lighting_source: Option<String>,
    pub stunting_risk: Option<String>,
}

impl CandidateRow {
    /// What ranking reads of this household, with its members' needs.
    pub fn candidate(&self, needs: MemberNeeds) -> Candidate<'_> {
        Candidate {
            id: &self.id,
            desil: self.desil.and_then(|d| i16::try_from(d).ok()),
            percentile: self.percentile.and_then(|d| i16::try_from(d).ok()),
            roof_quality: self.roof_quality.as_deref(),
            wall_quality: self.wall_quality.as_deref(),
            floor_quality: self.floor_quality.as_deref(),
            roof_material: self.roof_material.as_deref(),
            wall_material: self.wall_material.as_deref(),
            floor_material: self.floor_material.as_deref(),
            cooking_fuel: self.cooking_fuel.as_deref(),
            toilet_facility: self.toilet_facility.as_deref(),
            drinking_water: self.drinking_water.as_deref(),
            lighting_source: self.lighting_source.as_deref(),
            stunting_risk: self.stunting_risk.as_deref(),
            school_age_not_in_school: needs.out_of_school,
            working_age_without_work: needs.without_work,
            members_count: needs.members,
            with_disability: needs.with_disability,
            chronically_ill: needs.chronically_ill,
        }
    }
}

/// `domain::ranking::welfare` in SQL, to read candidates best welfare first.
const WELFARE: &str = "CASE WHEN percentile BETWEEN 1 AND 100 THEN 101 - percentile \
     WHEN desil BETWEEN 1 AND 10 THEN 106 - 10 * desil ELSE 0 END";

/// Active households in the regions (none without regions), not already an active target of a
/// program of the same type in the cycle (this one included): the extreme
/// poor, or the others. Facts ranking does not read for the program's type
/// come back empty (`domain::ranking::facts_read`): a region's candidates
/// are thousands of rows, and each text read is an allocation. With
/// `first`, only that many, best welfare first and then by id in byte
/// order (as ranking compares ids, whatever the database's collation).
pub fn candidates(
    conn: &mut DbConnection,
    program: &ProgramRow,
    regions: &[String],
    extreme_poor: bool,
    first: Option<i64>,
) -> Result<Vec<CandidateRow>, DbError> {
    use diesel::dsl::case_when;
    use diesel::sql_types::Bool;
    let read = facts_read(program.program_type);
    let (house, fuel, toilet, water, lighting, stunting) = (
        read.house.into_sql::<Bool>(),
        read.cooking_fuel.into_sql::<Bool>(),
        read.toilet_facility.into_sql::<Bool>(),
        read.drinking_water.into_sql::<Bool>(),
        read.lighting_source.into_sql::<Bool>(),
        read.stunting_risk.into_sql::<Bool>(),
    );
    let taken = pt::table
        .filter(pt::cycle_year.eq(program.cycle_year))
        .filter(pt::program_type.eq(program.program_type))
        .filter(
            pt::active
                .eq(true)
                .or(pt::program_id.eq(program.id.clone())),
        )
        .select(pt::household_id);
    let mut q = h::table
        .filter(h::status.eq(HouseholdStatus::Active))
        // `NOT (id IN (…))`, which PostgreSQL runs as one hashed subplan;
        // `ne_all` would be `id != ALL(…)`, rescanned for each candidate.
        .filter(diesel::dsl::not(h::id.eq_any(taken)))
        .into_boxed();
    q = if extreme_poor {
        q.filter(h::desil.eq(1))
    } else {
        q.filter(h::desil.ne(1).or(h::desil.is_null()))
    };
    // No regions (a company without a working area) means no households,
    // never the whole registry.
    let Some(cond) = in_regions(regions) else {
        return Ok(Vec::new());
    };
    q = q.filter(cond);
    if let Some(first) = first {
        let by_id = match conn {
            DbConnection::Sqlite(_) => "id",
            DbConnection::Postgresql(_) => "id COLLATE \"C\"",
        };
        q = q
            .order_by(diesel::dsl::sql::<diesel::sql_types::Integer>(WELFARE).desc())
            .then_order_by(diesel::dsl::sql::<diesel::sql_types::Text>(by_id))
            .limit(first);
    }
    Ok(q.select((
        h::id,
        h::desil,
        h::percentile,
        case_when(house, h::roof_quality),
        case_when(house, h::wall_quality),
        case_when(house, h::floor_quality),
        case_when(house, h::roof_material),
        case_when(house, h::wall_material),
        case_when(house, h::floor_material),
        case_when(fuel, h::cooking_fuel),
        case_when(toilet, h::toilet_facility),
        case_when(water, h::drinking_water),
        case_when(lighting, h::lighting_source),
        case_when(stunting, h::stunting_risk),
    ))
    .load::<CandidateRow>(conn)?)
}

/// The condition "the household lies in one of the regions".
fn in_regions(regions: &[String]) -> Option<RegionCondition> {
    let in_region = |code: &String| {
        let (lo, hi) = super::regions::within(code);
        h::region_code.ge(lo).and(h::region_code.lt(hi))
    };
    let (first, rest) = regions.split_first()?;
    let mut cond: RegionCondition = Box::new(in_region(first));
    for r in rest {
        cond = Box::new(cond.or(in_region(r)));
    }
    Some(cond)
}

/// "The household lies in one of these regions".
type RegionCondition =
    Box<dyn BoxableExpression<h::table, super::DbBackend, SqlType = diesel::sql_types::Bool>>;

/// What ranking counts among a household's members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberNeeds {
    pub members: u32,
    /// School-age members not in school.
    pub out_of_school: u32,
    /// Working-age members without work.
    pub without_work: u32,
    pub with_disability: u32,
    pub chronically_ill: u32,
}

/// Per household of `households`: members, school-age members not in
/// school (DTSEN's `in_school`, else P3KE's education), working-age members
/// without work, members with a disability or a chronic illness — for the
/// types whose need lies with members. The age rules arrive as birth-date
/// ranges (`domain::ranking::born_within`).
pub fn member_needs(
    conn: &mut DbConnection,
    households: &[String],
    today: NaiveDate,
) -> Result<HashMap<String, MemberNeeds>, DbError> {
    use diesel::dsl::{case_when, count, count_star};
    use diesel::sql_types::Integer;
    /// Ids per query: under both backends' bound-parameter limits.
    const CHUNK: usize = 10_000;
    let (school_after, school_until) = born_within(today, &SCHOOL_AGE);
    let (work_after, work_until) = born_within(today, &WORKING_AGE);
    let mut out = HashMap::new();
    for ids in households.chunks(CHUNK) {
        let out_of_school = case_when(
            m::birth_date
                .gt(school_after)
                .and(m::birth_date.le(school_until))
                .and(
                    m::in_school.eq(false).or(m::in_school
                        .is_null()
                        .and(m::education.is_null().or(m::education.ne_all(IN_SCHOOL)))),
                ),
            1.into_sql::<Integer>(),
        );
        let disabled = case_when(m::has_disability.eq(true), 1.into_sql::<Integer>());
        let ill = case_when(
            m::chronic_illness
                .is_not_null()
                .and(m::chronic_illness.ne("none")),
            1.into_sql::<Integer>(),
        );
        let without_work = case_when(
            m::birth_date
                .gt(work_after)
                .and(m::birth_date.le(work_until))
                .and(m::occupation.eq(WITHOUT_WORK)),
            1.into_sql::<Integer>(),
        );
        let rows = m::table
            .filter(m::household_id.eq_any(ids))
            .group_by(m::household_id)
            .select((
                m::household_id,
                count_star(),
                count(out_of_school),
                count(without_work),
                count(disabled),
                count(ill),
            ))
            .load::<(String, i64, i64, i64, i64, i64)>(conn)?;
        let small = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        out.extend(
            rows.into_iter()
                .map(|(id, members, school, work, disabled, ill)| {
                    let needs = MemberNeeds {
                        members: small(members),
                        out_of_school: small(school),
                        without_work: small(work),
                        with_disability: small(disabled),
                        chronically_ill: small(ill),
                    };
                    (id, needs)
                }),
        );
    }
    Ok(out)
}
