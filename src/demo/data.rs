//! Synthetic, deterministic demo registry for Kukar: families in real desa
//! codes, valid NIKs consistent with sex and birth date, and writers for the
//! P3KE (CSV per sheet and XLSX) and DTKS (CSV) export formats.
//!
//! Every name is assembled from syllables in this file: clearly synthetic, no
//! real person. Families are generated on demand from `(seed, index)` rather
//! than held in memory, so writing 100,000 families streams in constant memory
//! and every writer sees the same data.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::household::{Assets, Assistance, HouseholdRecord, Housing, MemberRecord};
use crate::domain::nik::{compose, Sex};
use crate::domain::region_lookup::RegionTable;
use crate::import::dtks::{join_address, DTKS_HEADERS};
use crate::import::p3ke::{FAMILY_HEADERS, FAMILY_SHEET, MEMBER_HEADERS, MEMBER_SHEET};
use crate::import::values::{self, dukcapil_label, yes_no_label, ValueSet};

/// Above this many families `write_all` skips the XLSX: rust_xlsxwriter keeps
/// the whole workbook in memory (its streaming mode needs an extra crate).
pub const XLSX_MAX_FAMILIES: usize = 20_000;

/// The date the demo population's ages are computed against.
pub fn reference_date() -> NaiveDate {
    // A literal valid date; the fallback is never taken.
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone)]
struct Village {
    code: String,
    code10: String,
    kecamatan: String,
    name: String,
}

/// A generated population: `families` families from `seed` over Kukar's desa.
#[derive(Debug, Clone)]
pub struct DemoData {
    families: usize,
    seed: u64,
    villages: Vec<Village>,
}

/// One generated family with the parts the export formats split apart.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoFamily {
    /// The truth: P3KE id, DTKS id (for ~70%), No. KK, region, housing, …
    pub household: HouseholdRecord,
    pub members: Vec<DemoMember>,
    pub kecamatan_name: String,
    pub desa_name: String,
    pub code10: String,
    pub street: String,
    pub dusun: String,
    pub rt: String,
    pub rw: String,
}

/// One generated person.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoMember {
    pub record: MemberRecord,
    pub birth_place: String,
    pub mother_name: String,
}

/// Plans `families` families from `seed` over the desa/kelurahan of `regions`.
pub fn generate(families: usize, seed: u64, regions: &RegionTable) -> DemoData {
    let villages = regions
        .iter()
        .filter(|r| r.is_village())
        .map(|r| Village {
            code: r.code.clone(),
            code10: r.code10.clone(),
            kecamatan: r
                .parent_code
                .as_deref()
                .and_then(|p| regions.get(p))
                .map(|k| k.name.clone())
                .unwrap_or_default(),
            name: r.name.clone(),
        })
        .collect();
    DemoData {
        families,
        seed,
        villages,
    }
}

const MALE_START: &[&str] = &[
    "Ar", "Bah", "Dar", "Ha", "Ju", "Mar", "Rah", "Sam", "Sur", "War", "Yus", "Ras", "Bud", "Jum",
    "Sya", "Ime", "Sal", "Kar", "Leg", "Pan",
];
const MALE_END: &[&str] = &[
    "di", "man", "yanto", "din", "wan", "sani", "tono", "ri", "mat", "ansyah", "udin", "no",
    "dullah", "ijo",
];
const FEMALE_START: &[&str] = &[
    "Si", "Nur", "Ru", "Wa", "Ma", "Ha", "Fa", "Ju", "Ros", "Mas", "Yu", "Sri", "Ai", "Ka", "Ita",
    "Ram",
];
const FEMALE_END: &[&str] = &[
    "ti", "nah", "yani", "sari", "lia", "ah", "wati", "ni", "mah", "rina", "dah", "yati",
];
const FAMILY_START: &[&str] = &[
    "Sa", "Ba", "La", "Ma", "Pa", "Ta", "Ra", "Ka", "Da", "Aji", "Wi", "Su",
];
const FAMILY_END: &[&str] = &[
    "rudin", "lang", "ttu", "sse", "ngi", "mbang", "jaya", "ra", "ruddin", "kusuma", "lengga",
    "tang",
];
const STREETS: &[&str] = &[
    "Poros",
    "Mawar",
    "Melati",
    "Pelabuhan",
    "Sungai Kapar",
    "Kenari",
    "Pesantren",
    "Masjid",
    "Pasar",
    "Kebun",
    "Danau",
    "Durian",
];
const DUSUN: &[&str] = &[
    "Dusun I",
    "Dusun II",
    "Dusun III",
    "Dusun Hulu",
    "Dusun Hilir",
    "Dusun Tengah",
];
const BIRTH_PLACES: &[&str] = &[
    "TENGGARONG",
    "SAMARINDA",
    "BALIKPAPAN",
    "KOTA BANGUN",
    "MUARA MUNTAI",
    "LOA JANAN",
    "BANJARMASIN",
    "MAKASSAR",
    "SURABAYA",
];

fn one<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

fn pick<'a>(rng: &mut StdRng, items: &[(&'a str, f64)]) -> &'a str {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen::<f64>() * total;
    for (v, w) in items {
        if x < *w {
            return v;
        }
        x -= w;
    }
    items.last().map_or("", |(v, _)| v)
}

fn first_name(rng: &mut StdRng, sex: Sex) -> String {
    match sex {
        Sex::Male => format!("{}{}", one(rng, MALE_START), one(rng, MALE_END)),
        Sex::Female => format!("{}{}", one(rng, FEMALE_START), one(rng, FEMALE_END)),
    }
}

fn family_name(rng: &mut StdRng) -> String {
    format!("{}{}", one(rng, FAMILY_START), one(rng, FAMILY_END))
}

fn birth_date(rng: &mut StdRng, min_age: u32, max_age: u32) -> NaiveDate {
    let days = rng.gen_range(u64::from(min_age) * 365..=u64::from(max_age) * 365 + 364);
    reference_date()
        .checked_sub_days(Days::new(days))
        .unwrap_or(reference_date())
}

fn age(d: NaiveDate, at: NaiveDate) -> i32 {
    let years = at.year() - d.year();
    if (at.month(), at.day()) < (d.month(), d.day()) {
        years - 1
    } else {
        years
    }
}

fn education_for(rng: &mut StdRng, age: i32) -> &'static str {
    match age {
        ..=6 => "no_school",
        7..=12 => "in_primary",
        13..=15 => "in_junior_secondary",
        16..=18 => "in_senior_secondary",
        _ => pick(
            rng,
            &[
                ("primary_incomplete", 0.2),
                ("primary", 0.35),
                ("junior_secondary", 0.2),
                ("senior_secondary", 0.2),
                ("tertiary", 0.03),
                ("no_school", 0.02),
            ],
        ),
    }
}

fn occupation_for(rng: &mut StdRng, age: i32) -> (&'static str, &'static str) {
    if !(19..=70).contains(&age) {
        return ("not_working", "unknown");
    }
    let occ = pick(
        rng,
        &[
            ("farmer", 0.3),
            ("fisher", 0.1),
            ("casual_worker", 0.2),
            ("trader", 0.1),
            ("entrepreneur", 0.08),
            ("private_employee", 0.07),
            ("not_working", 0.15),
        ],
    );
    let status = match occ {
        "not_working" => "unknown",
        "private_employee" | "casual_worker" => pick(rng, &[("employee", 0.6), ("freelance", 0.4)]),
        _ => pick(
            rng,
            &[
                ("self_employed", 0.7),
                ("employer_unpaid_workers", 0.2),
                ("family_worker", 0.1),
            ],
        ),
    };
    (occ, status)
}

impl DemoData {
    /// Number of families.
    pub fn len(&self) -> usize {
        if self.villages.is_empty() {
            0
        } else {
            self.families
        }
    }

    /// Whether there is nothing to generate (no families, or no desa to put them in).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All families, generated on the fly.
    pub fn families(&self) -> impl Iterator<Item = DemoFamily> + '_ {
        (0..self.len()).map(|i| self.family(i))
    }

    /// Family number `i` (0-based); the same for the same seed every time.
    pub fn family(&self, i: usize) -> DemoFamily {
        let mut rng =
            StdRng::seed_from_u64(self.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let v = &self.villages[rng.gen_range(0..self.villages.len())];
        let kec2 = v.code10.get(4..6).unwrap_or("01");
        let region6 = format!("6402{kec2}");
        let family_id = format!("P3KE-{}-{:07}", v.code10, i + 1);
        let kk = format!("{region6}{:02}{:08}", rng.gen_range(10..100), i + 1);
        let dtks = rng.gen_bool(0.7).then(|| format!("DTKS{:010}", i + 1));
        let size: usize = pick(
            &mut rng,
            &[
                ("1", 6.0),
                ("2", 12.0),
                ("3", 20.0),
                ("4", 25.0),
                ("5", 19.0),
                ("6", 11.0),
                ("7", 7.0),
            ],
        )
        .parse()
        .unwrap_or(4);
        let surname = family_name(&mut rng);
        let head_sex = if rng.gen_bool(0.85) {
            Sex::Male
        } else {
            Sex::Female
        };
        let head_birth = birth_date(&mut rng, 22, 80);
        let head_age = age(head_birth, reference_date());
        let with_spouse = size >= 2 && rng.gen_bool(if head_sex == Sex::Male { 0.95 } else { 0.2 });

        let mut people: Vec<(Sex, NaiveDate, &'static str, &'static str, String)> = Vec::new();
        let head_marital = if with_spouse {
            "married"
        } else if size == 1 && head_age < 30 {
            "single"
        } else {
            pick(&mut rng, &[("widowed", 0.6), ("divorced", 0.4)])
        };
        people.push((
            head_sex,
            head_birth,
            "head",
            head_marital,
            format!("{} {surname}", first_name(&mut rng, head_sex)),
        ));
        if with_spouse {
            let sex = if head_sex == Sex::Male {
                Sex::Female
            } else {
                Sex::Male
            };
            let spouse_age = (head_age + rng.gen_range(-6..=3)).clamp(19, 85) as u32;
            let d = birth_date(&mut rng, spouse_age, spouse_age);
            people.push((
                sex,
                d,
                "spouse",
                "married",
                format!("{} {}", first_name(&mut rng, sex), family_name(&mut rng)),
            ));
        }
        while people.len() < size {
            let last = people.len() + 1 == size;
            if last && size >= 4 && rng.gen_bool(0.15) {
                let sex = if rng.gen_bool(0.6) {
                    Sex::Female
                } else {
                    Sex::Male
                };
                let a = (head_age + rng.gen_range(18..=28)).min(92) as u32;
                let d = birth_date(&mut rng, a, a);
                people.push((
                    sex,
                    d,
                    "other",
                    "widowed",
                    format!("{} {}", first_name(&mut rng, sex), family_name(&mut rng)),
                ));
            } else {
                let sex = if rng.gen_bool(0.5) {
                    Sex::Female
                } else {
                    Sex::Male
                };
                let max = (head_age - 18).clamp(0, 30) as u32;
                let d = birth_date(&mut rng, 0, max);
                let marital = if age(d, reference_date()) >= 20 && rng.gen_bool(0.3) {
                    "married"
                } else {
                    "single"
                };
                people.push((
                    sex,
                    d,
                    "child",
                    marital,
                    format!("{} {surname}", first_name(&mut rng, sex)),
                ));
            }
        }

        let mother = format!(
            "{} {}",
            first_name(&mut rng, Sex::Female),
            family_name(&mut rng)
        );
        let mut members = Vec::with_capacity(people.len());
        for (m, (sex, birth, relation, marital, name)) in people.into_iter().enumerate() {
            let a = age(birth, reference_date());
            let (occupation, employment) = occupation_for(&mut rng, a);
            let serial = ((i * 8 + m) % 9999 + 1) as u16;
            let dukcapil = pick(&mut rng, &[("y", 0.9), ("n", 0.08), ("-", 0.02)]);
            members.push(DemoMember {
                record: MemberRecord {
                    p3ke_family_id: Some(family_id.clone()),
                    kk_number: Some(kk.clone()),
                    p3ke_individual_id: Some(format!(
                        "P3KEI-{}-{:07}-{:02}",
                        v.code10,
                        i + 1,
                        m + 1
                    )),
                    dtks_id: dtks.as_ref().map(|d| {
                        if m == 0 {
                            d.clone()
                        } else {
                            format!("{d}-{:02}", m + 1)
                        }
                    }),
                    nik: compose(&region6, sex, birth, serial),
                    nik_valid: true,
                    name,
                    sex: Some(sex),
                    birth_date: Some(birth),
                    relation: Some(relation.to_string()),
                    marital_status: Some(marital.to_string()),
                    education: Some(education_for(&mut rng, a).to_string()),
                    occupation: Some(occupation.to_string()),
                    employment_status: Some(employment.to_string()),
                    dukcapil_match: match dukcapil {
                        "y" => Some(true),
                        "n" => Some(false),
                        _ => None,
                    },
                    flags: Vec::new(),
                },
                birth_place: if rng.gen_bool(0.6) {
                    v.kecamatan.to_uppercase()
                } else {
                    one(&mut rng, BIRTH_PLACES).to_string()
                },
                mother_name: if m == 0 {
                    format!(
                        "{} {}",
                        first_name(&mut rng, Sex::Female),
                        family_name(&mut rng)
                    )
                } else {
                    mother.clone()
                },
            });
        }

        let desil = rng.gen_range(1..=4i16);
        let poor_house = rng.gen_bool(0.30);
        let s = |v: &str| Some(v.to_string());
        let (roof, wall, floor, quality) = if poor_house {
            (
                pick(
                    &mut rng,
                    &[
                        ("thatch", 0.3),
                        ("asbestos_zinc", 0.4),
                        ("wood_shingle", 0.2),
                        ("bamboo", 0.1),
                    ],
                ),
                pick(&mut rng, &[("bamboo", 0.3), ("wood", 0.6), ("zinc", 0.1)]),
                pick(&mut rng, &[("earth", 0.4), ("bamboo", 0.2), ("wood", 0.4)]),
                "poor",
            )
        } else {
            (
                pick(
                    &mut rng,
                    &[
                        ("asbestos_zinc", 0.6),
                        ("tile", 0.2),
                        ("concrete", 0.1),
                        ("wood_shingle", 0.1),
                    ],
                ),
                pick(&mut rng, &[("wood", 0.5), ("masonry", 0.5)]),
                pick(
                    &mut rng,
                    &[("cement", 0.4), ("ceramic_stone", 0.3), ("wood", 0.3)],
                ),
                "good",
            )
        };
        let lighting = pick(
            &mut rng,
            &[
                ("pln_metered", 0.7),
                ("pln_unmetered", 0.2),
                ("non_pln", 0.06),
                ("no_electricity", 0.04),
            ],
        );
        let power = if lighting == "pln_metered" {
            pick(&mut rng, &[("up_to_900w", 0.85), ("above_900w", 0.15)])
        } else {
            "unknown"
        };
        let head = &members[0].record;
        let household = HouseholdRecord {
            p3ke_family_id: Some(family_id.clone()),
            dtks_id: dtks.clone(),
            kk_number: Some(kk.clone()),
            head_name: head.name.clone(),
            head_nik: head.nik.clone(),
            head_nik_valid: true,
            head_sex: head.sex,
            head_birth_date: head.birth_date,
            head_marital_status: head.marital_status.clone(),
            head_occupation: head.occupation.clone(),
            head_employment_status: head.employment_status.clone(),
            head_education: head.education.clone(),
            region_code: v.code.clone(),
            address: None,
            desil: Some(desil),
            percentile: Some((desil - 1) * 10 + rng.gen_range(1..=10)),
            verification_priority: s(pick(
                &mut rng,
                &[
                    ("normal", 0.96),
                    ("duplicate_family", 0.03),
                    ("no_adult", 0.01),
                ],
            )),
            dukcapil_match: head.dukcapil_match,
            assets: Assets {
                house_ownership: s(pick(
                    &mut rng,
                    &[
                        ("own", 0.75),
                        ("rent_free", 0.12),
                        ("rented", 0.08),
                        ("official", 0.02),
                        ("other", 0.03),
                    ],
                )),
                has_savings: Some(rng.gen_bool(0.2)),
            },
            housing: Housing {
                roof_material: s(roof),
                roof_quality: s(quality),
                wall_material: s(wall),
                wall_quality: s(quality),
                floor_material: s(floor),
                floor_quality: s(quality),
                lighting_source: s(lighting),
                power_capacity: s(power),
                cooking_fuel: s(pick(
                    &mut rng,
                    &[
                        ("electricity_gas", 0.7),
                        ("charcoal_wood", 0.2),
                        ("kerosene", 0.08),
                        ("other", 0.02),
                    ],
                )),
                drinking_water: s(pick(
                    &mut rng,
                    &[
                        ("unprotected_well", 0.12),
                        ("surface_water", 0.08),
                        ("bottled", 0.25),
                        ("piped", 0.2),
                        ("bored_well", 0.15),
                        ("protected_well", 0.12),
                        ("rain_water", 0.06),
                        ("other", 0.02),
                    ],
                )),
                toilet_facility: s(pick(
                    &mut rng,
                    &[
                        ("own", 0.8),
                        ("shared", 0.1),
                        ("other", 0.08),
                        ("unknown", 0.02),
                    ],
                )),
            },
            stunting_risk: s(pick(
                &mut rng,
                &[
                    ("at_risk", 0.15),
                    ("not_at_risk", 0.45),
                    ("not_target", 0.4),
                ],
            )),
            assistance: Assistance {
                bpnt: rng.gen_bool(0.4),
                bpum: rng.gen_bool(0.05),
                bst: rng.gen_bool(0.1),
                pkh: rng.gen_bool(0.3),
                sembako: rng.gen_bool(0.35),
                prakerja: rng.gen_bool(0.03),
                kur: rng.gen_bool(0.04),
            },
            data_year: Some(if rng.gen_bool(0.7) { 2023 } else { 2022 }),
            flags: Vec::new(),
        };
        let street = format!(
            "Jl. {} No. {}",
            one(&mut rng, STREETS),
            rng.gen_range(1..200)
        );
        let dusun = one(&mut rng, DUSUN).to_string();
        let rt = format!("{:03}", rng.gen_range(1..30));
        let rw = format!("{:03}", rng.gen_range(1..8));
        let mut family = DemoFamily {
            household,
            members,
            kecamatan_name: v.kecamatan.clone(),
            desa_name: v.name.clone(),
            code10: v.code10.clone(),
            street,
            dusun,
            rt,
            rw,
        };
        family.household.address =
            join_address(&family.street, &family.dusun, &family.rt, &family.rw);
        family
    }
}

/// A cell to write: text, number, or date (a date cell in XLSX).
enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn label(set: &ValueSet, code: &Option<String>) -> Cell {
    match code {
        Some(c) => text(set.label(c).unwrap_or(c)),
        None => text(""),
    }
}

fn opt_number(v: Option<i16>) -> Cell {
    v.map_or_else(|| text(""), |n| Cell::Number(f64::from(n)))
}

fn opt_date(v: Option<NaiveDate>) -> Cell {
    v.map_or_else(|| text(""), Cell::Date)
}

fn yes(v: bool) -> Cell {
    text(if v { "Ya" } else { "Tidak" })
}

fn age_group(age: i32) -> &'static str {
    match age {
        ..=5 => "USIA < 5 TAHUN",
        6..=12 => "USIA 6-12 TAHUN",
        13..=15 => "USIA 13-15 TAHUN",
        16..=18 => "USIA 16-18 TAHUN",
        19..=59 => "USIA 19 - 59 TAHUN",
        _ => "USIA 60+ TAHUN",
    }
}

const PROVINCE: &str = "KALIMANTAN TIMUR";
const REGENCY: &str = "KUTAI KARTANEGARA";

fn common_cells(f: &DemoFamily) -> [Cell; 9] {
    let h = &f.household;
    [
        text(PROVINCE),
        text(REGENCY),
        text(f.kecamatan_name.to_uppercase()),
        text(f.desa_name.to_uppercase()),
        text(f.code10.clone()),
        opt_number(h.desil),
        opt_number(h.percentile),
        text(h.address.clone().unwrap_or_default()),
        label(&values::VERIFICATION_PRIORITY, &h.verification_priority),
    ]
}

fn assistance_cells(h: &HouseholdRecord) -> [Cell; 7] {
    [
        yes(h.assistance.bpnt),
        yes(h.assistance.bpum),
        yes(h.assistance.bst),
        yes(h.assistance.pkh),
        yes(h.assistance.sembako),
        yes(h.assistance.prakerja),
        yes(h.assistance.kur),
    ]
}

/// A KEPALA-KELUARGA row in `FAMILY_HEADERS` order.
fn family_cells(f: &DemoFamily) -> Vec<Cell> {
    let h = &f.household;
    let mut row = vec![
        text(h.p3ke_family_id.clone().unwrap_or_default()),
        opt_number(h.data_year),
    ];
    row.extend(common_cells(f));
    row.extend([
        text(h.head_name.clone()),
        text(h.head_nik.clone()),
        text(dukcapil_label(h.dukcapil_match)),
        text(h.head_sex.map_or("", Sex::source_label)),
        opt_date(h.head_birth_date),
        label(&values::MARITAL_STATUS, &h.head_marital_status),
        label(&values::OCCUPATION, &h.head_occupation),
        label(&values::EMPLOYMENT_STATUS, &h.head_employment_status),
        label(&values::EDUCATION, &h.head_education),
        label(&values::HOUSE_OWNERSHIP, &h.assets.house_ownership),
        text(yes_no_label(h.assets.has_savings)),
        label(&values::ROOF_MATERIAL, &h.housing.roof_material),
        label(&values::QUALITY, &h.housing.roof_quality),
        label(&values::WALL_MATERIAL, &h.housing.wall_material),
        label(&values::QUALITY, &h.housing.wall_quality),
        label(&values::FLOOR_MATERIAL, &h.housing.floor_material),
        label(&values::QUALITY, &h.housing.floor_quality),
        label(&values::LIGHTING, &h.housing.lighting_source),
        label(&values::POWER_CAPACITY, &h.housing.power_capacity),
        label(&values::COOKING_FUEL, &h.housing.cooking_fuel),
        label(&values::DRINKING_WATER, &h.housing.drinking_water),
        label(&values::TOILET, &h.housing.toilet_facility),
        label(&values::STUNTING_RISK, &h.stunting_risk),
    ]);
    row.extend(assistance_cells(h));
    debug_assert_eq!(row.len(), FAMILY_HEADERS.len());
    row
}

/// An INDIVIDU row in `MEMBER_HEADERS` order.
fn member_cells(f: &DemoFamily, m: &MemberRecord) -> Vec<Cell> {
    let age_2023 = m.birth_date.map_or(0, |d| (2023 - d.year()).max(0));
    let mut row = vec![
        text(m.p3ke_family_id.clone().unwrap_or_default()),
        text(m.p3ke_individual_id.clone().unwrap_or_default()),
    ];
    let mut common = common_cells(f).into_iter().collect::<Vec<_>>();
    common[8] = text("NORMAL"); // the individual sheet's own priority values
    row.extend(common);
    row.extend([
        text(m.name.clone()),
        text(m.nik.clone()),
        text(dukcapil_label(m.dukcapil_match)),
        text(m.sex.map_or("", Sex::source_label)),
        label(&values::RELATION, &m.relation),
        opt_date(m.birth_date),
        label(&values::MARITAL_STATUS, &m.marital_status),
        label(&values::OCCUPATION, &m.occupation),
        label(&values::EMPLOYMENT_STATUS, &m.employment_status),
        label(&values::EDUCATION, &m.education),
        Cell::Number(f64::from(age_2023)),
        text(age_group(age_2023)),
    ]);
    row.extend(assistance_cells(&f.household));
    debug_assert_eq!(row.len(), MEMBER_HEADERS.len());
    row
}

/// A DTKS row in `DTKS_HEADERS` order.
fn dtks_cells(f: &DemoFamily, m: &DemoMember) -> Vec<Cell> {
    let r = &m.record;
    let relation = match r.relation.as_deref() {
        Some("head") => "KEPALA KELUARGA",
        Some("spouse") => {
            if r.sex == Some(Sex::Female) {
                "ISTRI"
            } else {
                "SUAMI"
            }
        }
        Some("child") => "ANAK",
        _ => "FAMILI LAIN",
    };
    vec![
        text(r.dtks_id.clone().unwrap_or_default()),
        text(PROVINCE),
        text(REGENCY),
        text(f.kecamatan_name.to_uppercase()),
        text(f.desa_name.to_uppercase()),
        text(f.street.clone()),
        text(f.dusun.clone()),
        text(f.rt.clone()),
        text(f.rw.clone()),
        text(f.household.kk_number.clone().unwrap_or_default()),
        text(r.nik.clone()),
        text(r.name.to_uppercase()),
        opt_date(r.birth_date),
        text(m.birth_place.clone()),
        text(r.sex.map_or("", Sex::source_label)),
        text(m.mother_name.to_uppercase()),
        text(relation),
    ]
}

fn csv_text(cell: Cell, date_format: &str) -> String {
    match cell {
        Cell::Text(s) => s,
        Cell::Number(n) => format!("{n}"),
        Cell::Date(d) => d.format(date_format).to_string(),
    }
}

fn csv_writer(path: &Path) -> io::Result<csv::Writer<BufWriter<File>>> {
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        File::create(path)?,
    )))
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes the two P3KE sheets as CSV files (comma-separated, dates `DD-MM-YYYY`).
pub fn write_p3ke_csv(
    data: &DemoData,
    families_path: &Path,
    individuals_path: &Path,
) -> io::Result<()> {
    let mut fam = csv_writer(families_path)?;
    let mut ind = csv_writer(individuals_path)?;
    fam.write_record(FAMILY_HEADERS)?;
    ind.write_record(MEMBER_HEADERS)?;
    for f in data.families() {
        fam.write_record(
            family_cells(&f)
                .into_iter()
                .map(|c| csv_text(c, "%d-%m-%Y")),
        )?;
        for m in &f.members {
            ind.write_record(
                member_cells(&f, &m.record)
                    .into_iter()
                    .map(|c| csv_text(c, "%d-%m-%Y")),
            )?;
        }
    }
    fam.flush()?;
    ind.flush()
}

/// Writes the DTKS export (families with a DTKS id only; dates `DD/MM/YYYY`).
pub fn write_dtks_csv(data: &DemoData, path: &Path) -> io::Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record(DTKS_HEADERS)?;
    for f in data.families().filter(|f| f.household.dtks_id.is_some()) {
        for m in &f.members {
            w.write_record(
                dtks_cells(&f, m)
                    .into_iter()
                    .map(|c| csv_text(c, "%d/%m/%Y")),
            )?;
        }
    }
    w.flush()
}

/// Writes the P3KE workbook: sheets KEPALA-KELUARGA and INDIVIDU, NIK as text
/// cells, birth dates as Excel date cells, desil/percentile as numbers.
pub fn write_p3ke_xlsx(data: &DemoData, path: &Path) -> io::Result<()> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let write_sheet = |ws: &mut rust_xlsxwriter::Worksheet,
                       headers: &[&str],
                       rows: &mut dyn Iterator<Item = Vec<Cell>>|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h)?;
        }
        for (r, row) in rows.enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.into_iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) if s.is_empty() => {}
                    Cell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, c, n)?;
                    }
                    Cell::Date(d) => {
                        let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        ws.write_datetime_with_format(r, c, &dt, &date_format)?;
                    }
                }
            }
        }
        Ok(())
    };
    let ws = wb.add_worksheet().set_name(FAMILY_SHEET).map_err(io_err)?;
    write_sheet(
        ws,
        FAMILY_HEADERS,
        &mut data.families().map(|f| family_cells(&f)),
    )
    .map_err(io_err)?;
    let ws = wb.add_worksheet().set_name(MEMBER_SHEET).map_err(io_err)?;
    let mut members = data.families().flat_map(|f| {
        f.members
            .iter()
            .map(|m| member_cells(&f, &m.record))
            .collect::<Vec<_>>()
    });
    write_sheet(ws, MEMBER_HEADERS, &mut members).map_err(io_err)?;
    wb.save(path).map_err(io_err)
}

/// Writes `p3ke_keluarga.csv`, `p3ke_individu.csv`, `p3ke.xlsx` (up to
/// [`XLSX_MAX_FAMILIES`]) and `dtks.csv` into `dir`; returns the paths written.
pub fn write_all(data: &DemoData, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let fam = dir.join("p3ke_keluarga.csv");
    let ind = dir.join("p3ke_individu.csv");
    write_p3ke_csv(data, &fam, &ind)?;
    let mut written = vec![fam, ind];
    if data.len() <= XLSX_MAX_FAMILIES {
        let xlsx = dir.join("p3ke.xlsx");
        write_p3ke_xlsx(data, &xlsx)?;
        written.push(xlsx);
    }
    let dtks = dir.join("dtks.csv");
    write_dtks_csv(data, &dtks)?;
    written.push(dtks);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nik::{check_consistency, Nik};
    use crate::domain::region_lookup::tests::kukar;
    use std::collections::HashSet;

    #[test]
    fn deterministic_valid_and_plausibly_spread() {
        let regions = kukar();
        let data = generate(2000, 42, &regions);
        assert_eq!(data.family(17), generate(2000, 42, &regions).family(17));
        assert_ne!(data.family(17), generate(2000, 43, &regions).family(17));
        let (mut ids, mut niks, mut members, mut desil1, mut poor, mut dtks) =
            (HashSet::new(), HashSet::new(), 0, 0, 0, 0);
        for f in data.families() {
            let h = &f.household;
            assert!(ids.insert(h.p3ke_family_id.clone().unwrap()));
            assert!(regions.get(&h.region_code).unwrap().is_village());
            assert_eq!(h.kk_number.as_ref().unwrap().len(), 16);
            assert!((1..=7).contains(&f.members.len()));
            assert_eq!(f.members[0].record.relation.as_deref(), Some("head"));
            for m in &f.members {
                let r = &m.record;
                let nik = Nik::parse(&r.nik).unwrap();
                assert!(nik.as_str().starts_with("6402"));
                assert!(check_consistency(&nik, r.sex, r.birth_date).is_empty());
                assert_eq!(Some(nik.birth_date(reference_date())), r.birth_date);
                niks.insert(r.nik.clone());
                members += 1;
            }
            desil1 += usize::from(h.desil == Some(1));
            poor += usize::from(h.housing.roof_quality.as_deref() == Some("poor"));
            dtks += usize::from(h.dtks_id.is_some());
        }
        let avg = members as f64 / 2000.0;
        assert!((3.6..4.4).contains(&avg), "{avg}");
        assert!((400..600).contains(&desil1), "{desil1}");
        assert!((500..700).contains(&poor), "{poor}");
        assert!((1300..1500).contains(&dtks), "{dtks}");
        assert!(niks.len() as f64 > members as f64 * 0.999);
    }

    #[test]
    fn write_all_writes_four_files() {
        let data = generate(30, 1, &kukar());
        let dir = std::env::temp_dir().join(format!("registry-demo-{}", std::process::id()));
        let paths = write_all(&data, &dir).unwrap();
        let names: Vec<_> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                "p3ke_keluarga.csv",
                "p3ke_individu.csv",
                "p3ke.xlsx",
                "dtks.csv"
            ]
        );
        let head = std::fs::read_to_string(&paths[0]).unwrap();
        assert!(head.starts_with("ID Keluarga P3KE,Dimuktakhirkan Tahun,Provinsi,"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
