//! Recommendation ranking: which households a
//! program should take, best first, each with the reasons it was chosen.
//!
//! The database has already narrowed the candidates (target regions, active,
//! not a target of another program of the same type in the cycle); this
//! module only orders them. Scores are integers so equal families compare
//! equal exactly and the order is reproducible across machines.
//!
//! # Weights
//!
//! `score = extreme + need × 1 000 + welfare`, three tiers that never overlap:
//!
//! | tier | value | meaning |
//! |---|---|---|
//! | extreme | 1 000 000 if desil 1 | extreme poverty first (Inpres 4/2022), whatever the need |
//! | need | 0–999 points × 1 000 | need matching the program type, see [`need`] |
//! | welfare | 0–100 | tiebreak: `101 − percentile`, else `106 − 10 × desil` (the middle of the desil's percentile band), else 0 |
//!
//! Need points by program type:
//!
//! | type | points |
//! |---|---|
//! | housing | poor roof +1, poor wall +1, poor floor +1 (P3KE's quality; where only the material is known, as from DTSEN: thatch or bamboo roof, bamboo wall, earth or bamboo floor) |
//! | sanitation | no toilet +2; shared or other toilet +1 |
//! | water | unprotected well or surface water +2; rain water or other source +1 |
//! | electricity | no electricity +3; non-PLN +2; PLN without own meter +1 |
//! | nutrition | stunting risk +2 |
//! | health | stunting risk +2; cooking with wood, charcoal or kerosene +1; +1 per member with a disability and +1 per member with a chronic illness (at most 5 each) |
//! | education | +1 per school-age child not in school (at most 5) |
//! | economic | +1 per working-age member without work (at most 5) |
//! | social_security | as food, and +1 per member with a disability (at most 5) |
//! | food, other | desil 2 +2, desil 3 +1; 5–6 members +1, 7+ members +2 |
//!
//! A household without desil or percentile (e.g. DTKS-only) is not treated as
//! extreme poor and gets no welfare points: it ranks after every equally
//! needy family whose poverty is known. Field values are the stored
//! snake_case strings; a value outside the known set (the ministries add
//! values) scores nothing rather than failing.

use std::ops::RangeInclusive;

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::domain::program::ProgramType;

/// Ages (whole years) at which a member not in school counts for education.
pub const SCHOOL_AGE: RangeInclusive<u32> = 7..=18;
/// Ages (whole years) at which a member without work counts for economic programs.
pub const WORKING_AGE: RangeInclusive<u32> = 19..=59;
/// Education codes of members who are in school (src/import/values.rs).
pub const IN_SCHOOL: [&str; 4] = [
    "in_primary",
    "in_junior_secondary",
    "in_senior_secondary",
    "in_tertiary",
];
/// Occupation code of a member without work.
pub const WITHOUT_WORK: &str = "not_working";

/// The birth dates of everyone whose age on `today` lies in `ages`, as
/// `(born after, born on or before)`: the age rule becomes an index range
/// the database can count by, instead of an age computed per member.
pub fn born_within(today: NaiveDate, ages: &RangeInclusive<u32>) -> (NaiveDate, NaiveDate) {
    let years_ago = |years: u32| {
        today
            .checked_sub_months(Months::new(years * 12))
            .unwrap_or(NaiveDate::MIN)
    };
    (years_ago(ages.end() + 1), years_ago(*ages.start()))
}

/// Whether ranking for `program_type` needs facts about the members
/// (their number, ages, schooling or work), not only the household's.
pub fn ranks_by_members(program_type: ProgramType) -> bool {
    matches!(
        program_type,
        ProgramType::Education
            | ProgramType::Economic
            | ProgramType::Health
            | ProgramType::Food
            | ProgramType::SocialSecurity
            | ProgramType::Other
    )
}

/// The household facts ranking reads for a program type, besides desil and
/// percentile which every type reads: candidates are read by the thousand,
/// and a fact no rule of the type reads need not be loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactsRead {
    /// Roof, wall and floor: quality and material.
    pub house: bool,
    pub cooking_fuel: bool,
    pub toilet_facility: bool,
    pub drinking_water: bool,
    pub lighting_source: bool,
    pub stunting_risk: bool,
}

/// Which household facts `need` reads for `program_type` (the test
/// `every_fact_need_reads_is_loaded` keeps the two in step).
pub fn facts_read(program_type: ProgramType) -> FactsRead {
    let none = FactsRead::default();
    match program_type {
        ProgramType::Housing => FactsRead {
            house: true,
            ..none
        },
        ProgramType::Sanitation => FactsRead {
            toilet_facility: true,
            ..none
        },
        ProgramType::Water => FactsRead {
            drinking_water: true,
            ..none
        },
        ProgramType::Electricity => FactsRead {
            lighting_source: true,
            ..none
        },
        ProgramType::Nutrition => FactsRead {
            stunting_risk: true,
            ..none
        },
        ProgramType::Health => FactsRead {
            stunting_risk: true,
            cooking_fuel: true,
            ..none
        },
        ProgramType::Education
        | ProgramType::Economic
        | ProgramType::Food
        | ProgramType::SocialSecurity
        | ProgramType::Other => none,
    }
}

/// Added for desil 1: larger than any possible need + welfare sum.
pub const EXTREME_POOR_WEIGHT: i64 = 1_000_000;
/// Multiplier of one need point: larger than any welfare tiebreak.
pub const NEED_WEIGHT: i64 = 1_000;
/// Need points are capped so the need tier can never reach the extreme tier.
pub const MAX_NEED_POINTS: i64 = 999;
/// Counted children or workers beyond this add nothing more: one family with
/// many members should not outrank several with real but smaller need.
pub const MAX_COUNTED_MEMBERS: u32 = 5;
/// Highest welfare tiebreak (percentile 1).
const MAX_WELFARE: i64 = 100;

// The three tiers must never overlap; checked when compiling, not at run time.
const _: () = assert!(
    MAX_NEED_POINTS * NEED_WEIGHT + MAX_WELFARE < EXTREME_POOR_WEIGHT && MAX_WELFARE < NEED_WEIGHT
);

/// What ranking needs to know about one household.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Household id; also the final tiebreak.
    pub id: &'a str,
    /// Welfare decile 1–10 (1 = extreme poverty).
    pub desil: Option<i16>,
    /// Welfare percentile 1–100.
    pub percentile: Option<i16>,
    /// `good`, `poor` or `unknown`.
    pub roof_quality: Option<&'a str>,
    /// `values::ROOF_MATERIAL_CODES`: what decides when the quality is unknown.
    pub roof_material: Option<&'a str>,
    pub wall_material: Option<&'a str>,
    pub floor_material: Option<&'a str>,
    /// `electricity_gas`, `kerosene`, `charcoal_wood` or `other`.
    pub cooking_fuel: Option<&'a str>,
    /// `good`, `poor` or `unknown`.
    pub wall_quality: Option<&'a str>,
    /// `good`, `poor` or `unknown`.
    pub floor_quality: Option<&'a str>,
    /// `own`, `shared`, `other` or `none`.
    pub toilet_facility: Option<&'a str>,
    /// `bottled`, `piped`, `bored_well`, `protected_well`, `unprotected_well`,
    /// `surface_water`, `rain_water` or `other`.
    pub drinking_water: Option<&'a str>,
    /// `pln_metered`, `pln_unmetered`, `non_pln` or `no_electricity`.
    pub lighting_source: Option<&'a str>,
    /// `at_risk`, `not_at_risk` or `not_target`.
    pub stunting_risk: Option<&'a str>,
    /// Members aged 7–18 who are not in school.
    pub school_age_not_in_school: u32,
    /// Members aged 19–59 whose occupation is unemployed.
    pub working_age_without_work: u32,
    /// Number of family members.
    pub members_count: u32,
    /// Members with a disability (Washington Group cut-off).
    pub with_disability: u32,
    /// Members with a chronic illness.
    pub chronically_ill: u32,
}

/// Materials that make a part of the house poor when no quality was
/// assessed (DTSEN gives materials only).
fn poor_material(part: &str, material: Option<&str>) -> bool {
    matches!(
        (part, material),
        ("roof", Some("thatch" | "bamboo"))
            | ("wall", Some("bamboo"))
            | ("floor", Some("earth" | "bamboo"))
    )
}

/// A household's score and the reasons behind it, in order of weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scored {
    pub score: i64,
    pub extreme_poor: bool,
    /// Human-readable English reasons, e.g. `extreme poor (desil 1)`.
    pub reasons: Vec<String>,
}

/// Need points for `program_type`; each contribution's reason is written
/// only when `reasons` is given: ranking scores every candidate of a region
/// but explains only the few it returns.
fn need(
    program_type: ProgramType,
    c: &Candidate<'_>,
    mut reasons: Option<&mut Vec<String>>,
) -> i64 {
    let mut points = 0;
    let mut add = |p: i64, reason: &dyn Fn() -> String| {
        points += p;
        if let Some(reasons) = reasons.as_deref_mut() {
            reasons.push(reason());
        }
    };
    let counted = |n: u32| i64::from(n.min(MAX_COUNTED_MEMBERS));
    let plural = |n: u32, one: &str, many: &str| {
        if n == 1 {
            one.to_owned()
        } else {
            many.to_owned()
        }
    };
    match program_type {
        ProgramType::Housing => {
            for (quality, material, part) in [
                (c.roof_quality, c.roof_material, "roof"),
                (c.wall_quality, c.wall_material, "wall"),
                (c.floor_quality, c.floor_material, "floor"),
            ] {
                if quality == Some("poor") {
                    add(1, &|| format!("poor {part} quality"));
                } else if quality.is_none() && poor_material(part, material) {
                    let material = material.unwrap_or_default();
                    add(1, &|| format!("poor {part} ({material})"));
                }
            }
        }
        ProgramType::Sanitation => match c.toilet_facility {
            Some("none") => add(2, &|| "no own toilet (none at all)".to_owned()),
            Some("shared") => add(1, &|| "no own toilet (shared facility)".to_owned()),
            Some("other") => add(1, &|| "no own toilet (other facility)".to_owned()),
            _ => {}
        },
        ProgramType::Water => match c.drinking_water {
            Some("unprotected_well") => add(2, &|| {
                "unprotected drinking water source (unprotected well)".to_owned()
            }),
            Some("surface_water") => add(2, &|| {
                "unprotected drinking water source (surface water)".to_owned()
            }),
            Some("rain_water") => add(1, &|| "rain water as drinking water".to_owned()),
            Some("other") => add(1, &|| "other drinking water source".to_owned()),
            _ => {}
        },
        ProgramType::Electricity => match c.lighting_source {
            Some("no_electricity") => add(3, &|| "no electricity".to_owned()),
            Some("non_pln") => add(2, &|| "no PLN power (non-PLN electricity)".to_owned()),
            Some("pln_unmetered") => add(1, &|| "PLN power without own meter".to_owned()),
            _ => {}
        },
        ProgramType::Nutrition | ProgramType::Health => {
            if c.stunting_risk == Some("at_risk") {
                add(2, &|| "stunting risk".to_owned());
            }
            if program_type == ProgramType::Health {
                if let Some(fuel @ ("charcoal_wood" | "kerosene")) = c.cooking_fuel {
                    add(1, &|| format!("cooking with {}", fuel.replace('_', " or ")));
                }
                for (n, one, many) in [
                    (
                        c.with_disability,
                        "member with a disability",
                        "members with a disability",
                    ),
                    (
                        c.chronically_ill,
                        "member with a chronic illness",
                        "members with a chronic illness",
                    ),
                ] {
                    if n > 0 {
                        add(counted(n), &|| format!("{n} {}", plural(n, one, many)));
                    }
                }
            }
        }
        ProgramType::Education => {
            let n = c.school_age_not_in_school;
            if n > 0 {
                add(counted(n), &|| {
                    format!(
                        "{n} {} not in school",
                        plural(n, "school-age child", "school-age children")
                    )
                });
            }
        }
        ProgramType::Economic => {
            let n = c.working_age_without_work;
            if n > 0 {
                add(counted(n), &|| {
                    format!(
                        "{n} {} without work",
                        plural(n, "working-age member", "working-age members")
                    )
                });
            }
        }
        ProgramType::Food | ProgramType::SocialSecurity | ProgramType::Other => {
            // Desil itself is already named by the welfare reason; these
            // points only let it outweigh the welfare tiebreak of others.
            match c.desil {
                Some(2) => add(2, &|| "very poor (desil 2)".to_owned()),
                Some(3) => add(1, &|| "poor (desil 3)".to_owned()),
                _ => {}
            }
            match c.members_count {
                n @ 7.. => add(2, &|| format!("large family ({n} members)")),
                n @ 5..=6 => add(1, &|| format!("large family ({n} members)")),
                _ => {}
            }
            let n = c.with_disability;
            if program_type == ProgramType::SocialSecurity && n > 0 {
                add(counted(n), &|| {
                    format!(
                        "{n} {}",
                        plural(n, "member with a disability", "members with a disability")
                    )
                });
            }
        }
    }
    points.min(MAX_NEED_POINTS)
}

/// Scores one candidate for a program of `program_type`, with its reasons.
pub fn score(program_type: ProgramType, c: &Candidate<'_>) -> Scored {
    let extreme_poor = c.desil == Some(1);
    let mut reasons = Vec::new();
    if extreme_poor {
        reasons.push("extreme poor (desil 1)".to_owned());
    }
    let points = points(program_type, c, Some(&mut reasons));
    // Name the welfare position when it is all that explains the choice;
    // otherwise the list would be empty for a family with no recorded need.
    if !extreme_poor && reasons.is_empty() {
        match (c.desil, c.percentile) {
            (Some(d), Some(p)) => reasons.push(format!("desil {d} (percentile {p})")),
            (Some(d), None) => reasons.push(format!("desil {d}")),
            (None, Some(p)) => reasons.push(format!("percentile {p}")),
            (None, None) => {
                reasons.push("in the program's target area, no specific need recorded".to_owned())
            }
        }
    }
    Scored {
        score: points,
        extreme_poor,
        reasons,
    }
}

/// The score of one candidate: extreme poverty, need, welfare (the weights
/// above); the need's reasons go to `reasons` when given.
fn points(program_type: ProgramType, c: &Candidate<'_>, reasons: Option<&mut Vec<String>>) -> i64 {
    extreme(c.desil) + need(program_type, c, reasons) * NEED_WEIGHT + welfare(c.desil, c.percentile)
}

/// The extreme tier: desil 1 outranks every other family.
fn extreme(desil: Option<i16>) -> i64 {
    if desil == Some(1) {
        EXTREME_POOR_WEIGHT
    } else {
        0
    }
}

/// The welfare tiebreak: `101 − percentile`, else `106 − 10 × desil`, else
/// 0. `db::recommendations` orders candidates by the same rule in SQL
/// (the HTTP test `bounded_reads_rank_as_reading_every_candidate` keeps
/// the two in step).
pub fn welfare(desil: Option<i16>, percentile: Option<i16>) -> i64 {
    match (percentile, desil) {
        (Some(p), _) if (1..=100).contains(&p) => MAX_WELFARE + 1 - i64::from(p),
        (_, Some(d)) if (1..=10).contains(&d) => 106 - 10 * i64::from(d),
        _ => 0,
    }
}

/// The most need points `program_type` can give, for the types whose need
/// lies in the household's own facts; none for the types that count
/// members (`ranks_by_members`), whose need a household's row cannot bound.
pub fn max_need(program_type: ProgramType) -> Option<i64> {
    match program_type {
        ProgramType::Housing | ProgramType::Electricity => Some(3),
        ProgramType::Sanitation | ProgramType::Water | ProgramType::Nutrition => Some(2),
        ProgramType::Health
        | ProgramType::Education
        | ProgramType::Economic
        | ProgramType::Food
        | ProgramType::SocialSecurity
        | ProgramType::Other => None,
    }
}

/// Whether `kept`, the best `limit` (best first) of candidates read in
/// order of welfare (best first, then id), is final: no candidate not yet
/// read, all of them ranking after `last` in that order and of its tier
/// (all extreme poor, or none), could enter it. Such a candidate scores at
/// most `last`'s tier + the type's most need + `last`'s welfare; one that
/// scores exactly that has `last`'s welfare and a later id than every kept
/// candidate of that welfare, so it ties and loses. Lets recommendations read
/// a region's candidates a few at a time instead of all of them.
pub fn settled(
    program_type: ProgramType,
    kept: &[(&str, Scored)],
    limit: usize,
    last: &Candidate<'_>,
) -> bool {
    let (Some(most_need), Some((_, weakest))) = (max_need(program_type), kept.last()) else {
        return false;
    };
    let beyond =
        extreme(last.desil) + most_need * NEED_WEIGHT + welfare(last.desil, last.percentile);
    kept.len() == limit && weakest.score >= beyond
}

/// Ranks candidates best first and keeps at most `limit`. Equal scores are
/// ordered by id, so the same input in any order gives the same answer.
/// Every candidate is scored; only those kept are explained.
pub fn rank<'a>(
    program_type: ProgramType,
    candidates: &[Candidate<'a>],
    limit: usize,
) -> Vec<(&'a str, Scored)> {
    let mut scored: Vec<(i64, &Candidate<'a>)> = candidates
        .iter()
        .map(|c| (points(program_type, c, None), c))
        .collect();
    let best_first = |a: &(i64, &Candidate<'a>), b: &(i64, &Candidate<'a>)| {
        b.0.cmp(&a.0).then_with(|| a.1.id.cmp(b.1.id))
    };
    if scored.len() > limit && limit > 0 {
        scored.select_nth_unstable_by(limit - 1, best_first);
    }
    scored.truncate(limit);
    scored.sort_unstable_by(best_first);
    scored
        .into_iter()
        .map(|(_, c)| (c.id, score(program_type, c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Need points for `program_type`, with one reason per contribution.
    fn explained_need(program_type: ProgramType, c: &Candidate<'_>) -> (i64, Vec<String>) {
        let mut reasons = Vec::new();
        let points = need(program_type, c, Some(&mut reasons));
        (points, reasons)
    }

    #[test]
    fn born_within_agrees_with_the_age_in_whole_years_on_every_day() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Around leap days and year ends, where a month-based bound could slip.
        let todays = [
            day(2024, 2, 28),
            day(2024, 2, 29),
            day(2024, 3, 1),
            day(2025, 2, 28),
            day(2025, 3, 1),
            day(2026, 12, 31),
            day(2027, 1, 1),
        ];
        for today in todays {
            for ages in [SCHOOL_AGE, WORKING_AGE] {
                let (after, until) = born_within(today, &ages);
                let mut birth = day(1960, 1, 1);
                while birth <= today {
                    let age = today.years_since(birth).unwrap();
                    assert_eq!(
                        birth > after && birth <= until,
                        ages.contains(&age),
                        "today {today}, born {birth}, age {age}, range {ages:?}"
                    );
                    birth = birth.succ_opt().unwrap();
                }
            }
        }
    }

    #[test]
    fn every_fact_need_reads_is_loaded() {
        // Every fact needy; then the facts `facts_read` leaves out blanked,
        // as the candidates query loads them: a rule reading an unlisted fact
        // would score the two differently.
        let needy = Candidate {
            id: "h",
            desil: Some(2),
            percentile: Some(15),
            roof_quality: Some("poor"),
            wall_material: Some("bamboo"),
            floor_material: Some("earth"),
            cooking_fuel: Some("kerosene"),
            toilet_facility: Some("none"),
            drinking_water: Some("surface_water"),
            lighting_source: Some("no_electricity"),
            stunting_risk: Some("at_risk"),
            school_age_not_in_school: 2,
            working_age_without_work: 2,
            members_count: 7,
            with_disability: 1,
            chronically_ill: 1,
            ..Default::default()
        };
        for program_type in ProgramType::ALL {
            let read = facts_read(program_type);
            let only = |wanted: bool, v: Option<&'static str>| v.filter(|_| wanted);
            let loaded = Candidate {
                roof_quality: only(read.house, needy.roof_quality),
                wall_quality: only(read.house, needy.wall_quality),
                floor_quality: only(read.house, needy.floor_quality),
                roof_material: only(read.house, needy.roof_material),
                wall_material: only(read.house, needy.wall_material),
                floor_material: only(read.house, needy.floor_material),
                cooking_fuel: only(read.cooking_fuel, needy.cooking_fuel),
                toilet_facility: only(read.toilet_facility, needy.toilet_facility),
                drinking_water: only(read.drinking_water, needy.drinking_water),
                lighting_source: only(read.lighting_source, needy.lighting_source),
                stunting_risk: only(read.stunting_risk, needy.stunting_risk),
                ..needy
            };
            assert_eq!(
                score(program_type, &loaded),
                score(program_type, &needy),
                "{program_type:?}"
            );
        }
    }

    #[test]
    fn member_facts_are_read_for_the_types_that_rank_by_members() {
        let by_members: Vec<ProgramType> = ProgramType::ALL
            .iter()
            .copied()
            .filter(|t| ranks_by_members(*t))
            .collect();
        assert_eq!(
            by_members,
            [
                ProgramType::Health,
                ProgramType::Education,
                ProgramType::Economic,
                ProgramType::Food,
                ProgramType::SocialSecurity,
                ProgramType::Other
            ]
        );
    }

    fn family(id: &str, desil: i16) -> Candidate<'_> {
        Candidate {
            id,
            desil: Some(desil),
            roof_quality: Some("good"),
            wall_quality: Some("good"),
            floor_quality: Some("good"),
            toilet_facility: Some("own"),
            drinking_water: Some("piped"),
            lighting_source: Some("pln_metered"),
            stunting_risk: Some("not_at_risk"),
            members_count: 3,
            ..Candidate::default()
        }
    }

    fn ids<'a>(ranked: &[(&'a str, Scored)]) -> Vec<&'a str> {
        ranked.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn extreme_poor_rank_first_even_with_less_need() {
        let solid_house_extreme = family("a", 1);
        let ruin_desil_2 = Candidate {
            roof_quality: Some("poor"),
            wall_quality: Some("poor"),
            floor_quality: Some("poor"),
            ..family("b", 2)
        };
        let ranked = rank(
            ProgramType::Housing,
            &[ruin_desil_2, solid_house_extreme],
            10,
        );
        assert_eq!(ids(&ranked), ["a", "b"]);
        assert!(ranked[0].1.extreme_poor);
        assert_eq!(ranked[0].1.reasons, ["extreme poor (desil 1)"]);
        assert_eq!(
            ranked[1].1.reasons,
            [
                "poor roof quality",
                "poor wall quality",
                "poor floor quality"
            ]
        );
    }

    #[test]
    fn housing_prefers_a_poor_roof() {
        let poor_roof = Candidate {
            roof_quality: Some("poor"),
            ..family("z", 3)
        };
        let ranked = rank(ProgramType::Housing, &[family("a", 3), poor_roof], 10);
        assert_eq!(ids(&ranked), ["z", "a"]);
        assert_eq!(ranked[0].1.reasons, ["poor roof quality"]);
        assert_eq!(ranked[0].1.score, 1_000 + 76);
    }

    #[test]
    fn sanitation_prefers_no_toilet_over_shared_over_own() {
        let none = Candidate {
            toilet_facility: Some("none"),
            ..family("n", 3)
        };
        let shared = Candidate {
            toilet_facility: Some("shared"),
            ..family("s", 3)
        };
        let ranked = rank(ProgramType::Sanitation, &[family("o", 3), shared, none], 10);
        assert_eq!(ids(&ranked), ["n", "s", "o"]);
        assert_eq!(ranked[0].1.reasons, ["no own toilet (none at all)"]);
        assert_eq!(ranked[1].1.reasons, ["no own toilet (shared facility)"]);
    }

    #[test]
    fn dtsen_needs_materials_fuel_disability_and_illness() {
        // DTSEN gives materials, no quality: thatch roof and earth floor are poor.
        let snapshot = Candidate {
            roof_quality: None,
            wall_quality: None,
            floor_quality: None,
            roof_material: Some("thatch"),
            wall_material: Some("wood"),
            floor_material: Some("earth"),
            cooking_fuel: Some("charcoal_wood"),
            with_disability: 1,
            chronically_ill: 2,
            ..family("s", 4)
        };
        let (points, reasons) = explained_need(ProgramType::Housing, &snapshot);
        assert_eq!(points, 2);
        assert_eq!(reasons, ["poor roof (thatch)", "poor floor (earth)"]);
        // An assessed quality wins over the material.
        let assessed = Candidate {
            roof_quality: Some("good"),
            ..snapshot
        };
        assert_eq!(explained_need(ProgramType::Housing, &assessed).0, 1);
        let (points, reasons) = explained_need(ProgramType::Health, &snapshot);
        assert_eq!(points, 4);
        assert_eq!(
            reasons,
            [
                "cooking with charcoal or wood",
                "1 member with a disability",
                "2 members with a chronic illness"
            ]
        );
        let (points, reasons) = explained_need(ProgramType::SocialSecurity, &snapshot);
        assert_eq!(
            (points, reasons),
            (1, vec!["1 member with a disability".to_string()])
        );
        // Rain water is a need of its own.
        let rain = Candidate {
            drinking_water: Some("rain_water"),
            ..family("r", 4)
        };
        assert_eq!(explained_need(ProgramType::Water, &rain).0, 1);
    }

    #[test]
    fn water_electricity_and_nutrition_reward_their_own_need() {
        let well = Candidate {
            drinking_water: Some("unprotected_well"),
            ..family("w", 3)
        };
        assert_eq!(
            score(ProgramType::Water, &well).reasons,
            ["unprotected drinking water source (unprotected well)"]
        );
        let dark = Candidate {
            lighting_source: Some("no_electricity"),
            ..family("e", 3)
        };
        let non_pln = Candidate {
            lighting_source: Some("non_pln"),
            ..family("f", 3)
        };
        assert_eq!(
            ids(&rank(ProgramType::Electricity, &[non_pln, dark], 5)),
            ["e", "f"]
        );
        let stunting = Candidate {
            stunting_risk: Some("at_risk"),
            ..family("s", 3)
        };
        assert_eq!(
            score(ProgramType::Nutrition, &stunting).reasons,
            ["stunting risk"]
        );
        assert_eq!(score(ProgramType::Health, &stunting).score, 2_000 + 76);
        // Need for one type is not need for another.
        assert_eq!(score(ProgramType::Housing, &stunting).score, 76);
    }

    #[test]
    fn education_and_economic_count_members_up_to_a_cap() {
        let one = Candidate {
            school_age_not_in_school: 1,
            ..family("a", 3)
        };
        assert_eq!(
            score(ProgramType::Education, &one).reasons,
            ["1 school-age child not in school"]
        );
        let nine = Candidate {
            school_age_not_in_school: 9,
            ..family("b", 3)
        };
        let s = score(ProgramType::Education, &nine);
        assert_eq!(s.reasons, ["9 school-age children not in school"]);
        assert_eq!(s.score, 5_000 + 76);
        let jobless = Candidate {
            working_age_without_work: 2,
            ..family("c", 3)
        };
        assert_eq!(
            score(ProgramType::Economic, &jobless).reasons,
            ["2 working-age members without work"]
        );
    }

    #[test]
    fn food_prefers_lower_desil_and_larger_families() {
        let big = Candidate {
            members_count: 7,
            ..family("big", 4)
        };
        let d2 = family("d2", 2);
        let d4 = family("d4", 4);
        let ranked = rank(ProgramType::Food, &[d4, big, d2], 10);
        // desil 2 (2 points, welfare 86) beats 7 members at desil 4 (2 points, welfare 66).
        assert_eq!(ids(&ranked), ["d2", "big", "d4"]);
        assert_eq!(ranked[1].1.reasons, ["large family (7 members)"]);
        assert_eq!(ranked[2].1.reasons, ["desil 4"]);
    }

    #[test]
    fn lower_percentile_breaks_ties_within_the_same_need() {
        let p35 = Candidate {
            percentile: Some(35),
            ..family("a", 4)
        };
        let p31 = Candidate {
            percentile: Some(31),
            ..family("b", 4)
        };
        let ranked = rank(ProgramType::Housing, &[p35, p31], 10);
        assert_eq!(ids(&ranked), ["b", "a"]);
        assert_eq!(ranked[0].1.reasons, ["desil 4 (percentile 31)"]);
    }

    #[test]
    fn unknown_welfare_ranks_after_known_welfare() {
        let unknown = Candidate {
            desil: None,
            ..family("a", 1)
        };
        let ranked = rank(ProgramType::Housing, &[unknown, family("b", 10)], 10);
        assert_eq!(ids(&ranked), ["b", "a"]);
        assert!(!ranked[1].1.extreme_poor);
        assert_eq!(
            ranked[1].1.reasons,
            ["in the program's target area, no specific need recorded"]
        );
    }

    #[test]
    fn ties_are_ordered_by_id_whatever_the_input_order() {
        let input = [family("c", 2), family("a", 2), family("b", 2)];
        let reversed = [family("b", 2), family("a", 2), family("c", 2)];
        assert_eq!(ids(&rank(ProgramType::Water, &input, 10)), ["a", "b", "c"]);
        assert_eq!(
            rank(ProgramType::Water, &input, 10),
            rank(ProgramType::Water, &reversed, 10)
        );
    }

    #[test]
    fn limit_keeps_the_best() {
        let input = [family("a", 3), family("b", 1), family("c", 2)];
        assert_eq!(ids(&rank(ProgramType::Other, &input, 2)), ["b", "c"]);
        assert!(rank(ProgramType::Other, &input, 0).is_empty());
    }

    #[test]
    fn unknown_field_values_score_nothing() {
        let odd = Candidate {
            toilet_facility: Some("JAMBAN CEMPLUNG"),
            ..family("a", 3)
        };
        assert_eq!(score(ProgramType::Sanitation, &odd).score, 76);
    }

    /// Every value each household-fact rule names, one not named, and none.
    fn facts_of_every_kind() -> Vec<Candidate<'static>> {
        let quality = [None, Some("good"), Some("poor"), Some("unknown")];
        let roof = [None, Some("thatch"), Some("bamboo"), Some("tile")];
        let wall = [None, Some("bamboo"), Some("masonry")];
        let floor = [None, Some("earth"), Some("bamboo"), Some("ceramic")];
        let toilet = [
            None,
            Some("own"),
            Some("shared"),
            Some("other"),
            Some("none"),
        ];
        let water = [
            None,
            Some("piped"),
            Some("unprotected_well"),
            Some("surface_water"),
            Some("rain_water"),
            Some("other"),
        ];
        let light = [
            None,
            Some("pln_metered"),
            Some("pln_unmetered"),
            Some("non_pln"),
            Some("no_electricity"),
        ];
        let stunting = [None, Some("at_risk"), Some("not_at_risk")];
        let mut houses = Vec::new();
        for rq in quality {
            for wq in quality {
                for fq in quality {
                    for rm in roof {
                        for wm in wall {
                            for fm in floor {
                                houses.push([rq, wq, fq, rm, wm, fm]);
                            }
                        }
                    }
                }
            }
        }
        let mut all = Vec::new();
        for [rq, wq, fq, rm, wm, fm] in houses {
            // Each rule but housing reads one fact: every value of each
            // comes round within six.
            for i in 0..6 {
                all.push(Candidate {
                    roof_quality: rq,
                    wall_quality: wq,
                    floor_quality: fq,
                    roof_material: rm,
                    wall_material: wm,
                    floor_material: fm,
                    toilet_facility: toilet[i % toilet.len()],
                    drinking_water: water[i % water.len()],
                    lighting_source: light[i % light.len()],
                    stunting_risk: stunting[i % stunting.len()],
                    ..family("h", 1)
                });
            }
        }
        all
    }

    #[test]
    fn max_need_is_the_most_a_household_fact_type_gives() {
        let all = facts_of_every_kind();
        for program_type in ProgramType::ALL {
            let Some(most) = max_need(program_type) else {
                assert!(ranks_by_members(program_type), "{program_type:?}");
                continue;
            };
            assert!(!ranks_by_members(program_type), "{program_type:?}");
            let reached = all
                .iter()
                .map(|c| need(program_type, c, None))
                .max()
                .unwrap_or_default();
            assert_eq!(reached, most, "{program_type:?}");
        }
    }

    /// Reading candidates best welfare first and stopping once `settled`
    /// gives the ranking of reading them all, at every point it stops.
    #[test]
    fn a_settled_prefix_ranks_as_every_candidate() {
        let kinds = facts_of_every_kind();
        let ids: Vec<String> = (0..1000)
            .map(|i| format!("h{:04}", (i * 37) % 1000))
            .collect();
        let mut seed = 7_u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap_or_default() % n
        };
        for extreme_poor in [true, false] {
            let mut all: Vec<Candidate<'_>> = ids
                .iter()
                .map(|id| {
                    let few = [None, Some(1), Some(2), Some(3), Some(250)];
                    let desil = if extreme_poor {
                        Some(1)
                    } else {
                        [None, Some(2), Some(3), Some(9)][next(4)]
                    };
                    Candidate {
                        id,
                        desil,
                        percentile: few[next(few.len())],
                        ..kinds[next(kinds.len())]
                    }
                })
                .collect();
            all.sort_by(|a, b| {
                let w = |c: &Candidate<'_>| welfare(c.desil, c.percentile);
                w(b).cmp(&w(a)).then_with(|| a.id.cmp(b.id))
            });
            for program_type in ProgramType::ALL
                .into_iter()
                .filter(|t| max_need(*t).is_some())
            {
                for limit in [1, 5, 20] {
                    let whole = rank(program_type, &all, limit);
                    let mut stopped_early = false;
                    for read in (1..all.len()).step_by(3) {
                        let kept = rank(program_type, &all[..read], limit);
                        if settled(program_type, &kept, limit, &all[read - 1]) {
                            assert_eq!(kept, whole, "{program_type:?} {limit} after {read}");
                            stopped_early = true;
                        }
                    }
                    assert!(stopped_early, "{program_type:?} {limit}: never settled");
                }
            }
        }
    }
}
