//! Synthetic, deterministic demo registry for Kukar: families in real desa
//! codes, valid NIKs consistent with sex and birth date, and writers for the
//! P3KE (CSV per sheet and XLSX) and DTKS (CSV) export formats and for a
//! DTSEN snapshot (pipe-separated family and member files, XLSX code books).
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
use crate::import::dtsen::{self, DISABILITY_HEADERS};
use crate::import::dtsen_codes::{self, CodeBook, Concept};
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
                    ..Default::default()
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
            ..Default::default()
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
    let mut written = write_format(data, dir, DemoFormat::P3ke)?;
    written.extend(write_format(data, dir, DemoFormat::Dtks)?);
    Ok(written)
}

/// The file sets `rbpk demo-data --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoFormat {
    /// `p3ke_keluarga.csv`, `p3ke_individu.csv` and `p3ke.xlsx`.
    P3ke,
    /// `dtks.csv`.
    Dtks,
    /// A DTSEN snapshot: [`DTSEN_FILES`].
    Dtsen,
}

impl DemoFormat {
    /// The names `--format` takes.
    pub const NAMES: [&'static str; 3] = ["p3ke", "dtks", "dtsen"];

    /// The format of a `--format` name.
    pub fn from_name(name: &str) -> Option<DemoFormat> {
        match name {
            "p3ke" => Some(DemoFormat::P3ke),
            "dtks" => Some(DemoFormat::Dtks),
            "dtsen" => Some(DemoFormat::Dtsen),
            _ => None,
        }
    }
}

/// Writes one format's files into `dir`; returns the paths written.
pub fn write_format(data: &DemoData, dir: &Path, format: DemoFormat) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    match format {
        DemoFormat::P3ke => {
            let fam = dir.join("p3ke_keluarga.csv");
            let ind = dir.join("p3ke_individu.csv");
            write_p3ke_csv(data, &fam, &ind)?;
            let mut written = vec![fam, ind];
            if data.len() <= XLSX_MAX_FAMILIES {
                let xlsx = dir.join("p3ke.xlsx");
                write_p3ke_xlsx(data, &xlsx)?;
                written.push(xlsx);
            }
            Ok(written)
        }
        DemoFormat::Dtks => {
            let dtks = dir.join("dtks.csv");
            write_dtks_csv(data, &dtks)?;
            Ok(vec![dtks])
        }
        DemoFormat::Dtsen => write_dtsen(data, dir),
    }
}

/// The DTSEN snapshot's files, named as BPS names them (snapshot year, then
/// the regency's code): family file, member file, their code books.
pub const DTSEN_FILES: [&str; 4] = [
    "keluarga_dtsen_v3_2025_6402.csv",
    "anggota_keluarga_dtsen_v3_2025_6402.csv",
    "Kode_DTSEN_keluarga_v3_2025.xlsx",
    "Kode_DTSEN_anggota_v3_2025.xlsx",
];

/// The DTSEN code of one of our codes, `Lainnya` when DTSEN has no such
/// value (a P3KE zinc wall), empty when neither exists.
fn dtsen_code(concept: &Concept, ours: Option<&str>) -> String {
    code_of(concept, ours).to_string()
}

/// The DTSEN code of one of our codes (see [`dtsen_code`]), from the built-in table.
fn code_of(concept: &Concept, ours: Option<&str>) -> &'static str {
    ours.and_then(|o| {
        concept
            .dtsen_code(o)
            .or_else(|| concept.dtsen_code("other"))
    })
    .unwrap_or("")
}

/// `1` (Ya) or `2` (Tidak).
fn dtsen_yes_no(v: bool) -> String {
    if v { "1" } else { "2" }.to_string()
}

/// What the P3KE-shaped family lacks and a DTSEN snapshot has (provincial
/// and regency desil, PBI, PLN id, assets, livestock, geotag): drawn from
/// their own random stream, so the families themselves stay as they are.
fn dtsen_family_cells(data: &DemoData, i: usize, f: &DemoFamily) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(
        data.seed ^ 0xD75E_0000 ^ (i as u64 + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F),
    );
    let h = &f.household;
    let desil = h.desil.unwrap_or(5);
    let near = |rng: &mut StdRng| (desil + rng.gen_range(-1..=1)).clamp(1, 10).to_string();
    let housing = &h.housing;
    let power = match housing.power_capacity.as_deref() {
        Some("up_to_900w") => one(&mut rng, &["1", "2"]),
        Some("above_900w") => one(&mut rng, &["3", "4", "5"]),
        Some(_) => "6",
        None => "",
    };
    let cooking = match housing.cooking_fuel.as_deref() {
        Some("electricity_gas") => one(&mut rng, &["4", "4", "4", "2", "1"]),
        Some("charcoal_wood") => one(&mut rng, &["10", "10", "9"]),
        other => code_of(&dtsen_codes::COOKING_FUEL, other),
    }
    .to_string();
    let toilet = housing.toilet_facility.as_deref();
    let with_toilet = matches!(toilet, Some("own" | "shared"));
    let pln = housing.lighting_source.as_deref() == Some("pln_metered");
    let mut n = |max: u32, p: f64| -> String {
        if rng.gen_bool(p) {
            rng.gen_range(1..=max).to_string()
        } else {
            "0".to_string()
        }
    };
    let assets = [
        n(2, 0.8),
        n(1, 0.5),
        n(1, 0.05),
        n(1, 0.03),
        n(1, 0.02),
        n(2, 0.8),
    ];
    let gold = n(20, 0.15);
    let more = [
        n(1, 0.1),
        n(2, 0.7),
        n(1, 0.3),
        n(1, 0.05),
        n(1, 0.1),
        n(1, 0.03),
    ];
    let smartphones = n(4, 0.85);
    let livestock = [n(3, 0.05), n(2, 0.02), n(1, 0.005), n(3, 0.03), n(6, 0.08)];
    let other_houses = n(1, 0.03);
    let land = if rng.gen_bool(0.1) {
        format!("{:.2}", rng.gen_range(0.1..3.0))
    } else {
        "0".to_string()
    };
    let mut row = vec![
        "64".to_string(),
        PROVINCE.to_string(),
        "6402".to_string(),
        REGENCY.to_string(),
        f.code10.get(..6).unwrap_or_default().to_string(),
        f.kecamatan_name.to_uppercase(),
        f.code10.clone(),
        f.desa_name.to_uppercase(),
        h.address.clone().unwrap_or_default(),
        h.kk_number.clone().unwrap_or_default(),
        f.members.len().to_string(),
        h.head_name.clone(),
        desil.to_string(),
        near(&mut rng),
        near(&mut rng),
        dtsen_yes_no(desil <= 4 && rng.gen_bool(0.8)),
        dtsen_yes_no(rng.gen_bool(0.15)),
        if pln {
            format!("5{:011}", rng.gen_range(0..100_000_000_000u64))
        } else {
            String::new()
        },
        dtsen_code(
            &dtsen_codes::HOUSE_OWNERSHIP,
            h.assets.house_ownership.as_deref(),
        ),
        dtsen_code(
            &dtsen_codes::FLOOR_MATERIAL,
            housing.floor_material.as_deref(),
        ),
        rng.gen_range(18..120).to_string(),
        dtsen_code(
            &dtsen_codes::WALL_MATERIAL,
            housing.wall_material.as_deref(),
        ),
        dtsen_code(
            &dtsen_codes::ROOF_MATERIAL,
            housing.roof_material.as_deref(),
        ),
        dtsen_code(
            &dtsen_codes::DRINKING_WATER,
            housing.drinking_water.as_deref(),
        ),
        dtsen_code(&dtsen_codes::LIGHTING, housing.lighting_source.as_deref()),
        power.to_string(),
        cooking,
        dtsen_code(&dtsen_codes::TOILET, toilet),
        if with_toilet {
            one(&mut rng, &["1", "1", "1", "2", "4"]).to_string()
        } else {
            String::new()
        },
        if toilet == Some("own") {
            one(&mut rng, &["1", "1", "4"]).to_string()
        } else {
            one(&mut rng, &["3", "4", "5"]).to_string()
        },
        dtsen_yes_no(h.assets.has_savings == Some(true)),
    ];
    row.extend(assets);
    row.push(gold);
    row.extend(more);
    row.push(smartphones);
    row.push(land);
    row.push(other_houses);
    row.extend(livestock);
    row.push(if rng.gen_bool(0.1) { "2" } else { "1" }.to_string());
    row.push(format!("{:.6}", rng.gen_range(-1.2..0.3)));
    row.push(format!("{:.6}", rng.gen_range(116.0..117.3)));
    debug_assert_eq!(row.len(), dtsen::FAMILY_HEADERS.len());
    row
}

/// `(partisipasi_sekolah, ijazah_tertinggi_yang_dimiliki)` that read back as
/// the member's education code.
fn dtsen_schooling(education: Option<&str>) -> (&'static str, &'static str) {
    match education {
        Some("no_school") => ("0", "0"),
        Some("in_primary") => ("1", "0"),
        Some("primary_incomplete") => ("2", "0"),
        Some("in_junior_secondary") => ("1", "1"),
        Some("primary") => ("2", "1"),
        Some("in_senior_secondary") => ("1", "2"),
        Some("junior_secondary") => ("2", "2"),
        Some("in_tertiary") => ("1", "3"),
        Some("senior_secondary") => ("2", "3"),
        Some("tertiary") => ("2", "5"),
        _ => ("", ""),
    }
}

fn dtsen_member_cells(data: &DemoData, i: usize, f: &DemoFamily, m: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(
        data.seed ^ 0xA5E0_0000 ^ ((i * 8 + m) as u64 + 1).wrapping_mul(0x1656_67B1_9E37_79F9),
    );
    let r = &f.members[m].record;
    let age_now = r.birth_date.map_or(0, |d| age(d, reference_date()));
    let (school, certificate) = dtsen_schooling(r.education.as_deref());
    let working = r.occupation.as_deref().map(|o| o != "not_working");
    let industry = match r.occupation.as_deref() {
        Some("farmer") => "Pertanian tanaman pangan",
        Some("fisher") => "Perikanan",
        Some("trader") => "Perdagangan",
        Some("not_working") | None => "",
        _ => "Jasa lainnya",
    };
    let owns_business = matches!(
        r.employment_status.as_deref(),
        Some("self_employed" | "employer_paid_workers" | "employer_unpaid_workers")
    );
    let mut difficulty = vec!["1"; DISABILITY_HEADERS.len()];
    if rng.gen_bool(if age_now >= 60 { 0.2 } else { 0.03 }) {
        let item = rng.gen_range(0..difficulty.len());
        difficulty[item] = one(&mut rng, &["2", "3", "3", "4"]);
    }
    let chronic = if age_now >= 40 && rng.gen_bool(0.3) {
        rng.gen_range(1..=10).to_string()
    } else {
        "0".to_string()
    };
    let code = |concept: &Concept, ours: Option<&str>| dtsen_code(concept, ours);
    let mut row = vec![
        r.nik.clone(),
        r.kk_number.clone().unwrap_or_default(),
        r.name.clone(),
        r.birth_date
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
        code(&dtsen_codes::SEX, r.sex.map(Sex::as_str)),
        code(&dtsen_codes::RELATION, r.relation.as_deref()),
        code(&dtsen_codes::MARITAL_STATUS, r.marital_status.as_deref()),
        school.to_string(),
        String::new(),
        String::new(),
        certificate.to_string(),
        working.map_or_else(String::new, dtsen_yes_no),
        industry.to_string(),
        r.employment_status
            .as_deref()
            .and_then(|e| values::EMPLOYMENT_STATUS.label(e))
            .unwrap_or_default()
            .to_string(),
        dtsen_yes_no(owns_business),
        dtsen_yes_no(f.household.assistance.pkh || f.household.desil.is_some_and(|d| d <= 4)),
        dtsen_yes_no(rng.gen_bool(0.1)),
    ];
    row.extend(difficulty.into_iter().map(str::to_string));
    row.extend([
        chronic,
        String::new(),
        f.street.clone(),
        f.rt.clone(),
        f.rw.clone(),
        f.dusun.clone(),
        r.occupation
            .as_deref()
            .and_then(|o| values::OCCUPATION.label(o))
            .unwrap_or_default()
            .to_string(),
    ]);
    debug_assert_eq!(row.len(), dtsen::MEMBER_HEADERS.len());
    row
}

/// Writes a code book (`kolom | kode | keterangan`) of the built-in codes of
/// the given columns.
fn write_code_book(path: &Path, columns: &[&str]) -> io::Result<()> {
    let book = CodeBook::builtin();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("kode").map_err(io_err)?;
    for (c, h) in [
        dtsen_codes::col::COLUMN,
        dtsen_codes::col::CODE,
        dtsen_codes::col::LABEL,
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).map_err(io_err)?;
    }
    let rows = book
        .entries()
        .into_iter()
        .filter(|(column, _, _)| columns.contains(column));
    for (r, (column, code, label)) in rows.enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, column).map_err(io_err)?;
        ws.write_string(r, 1, code).map_err(io_err)?;
        ws.write_string(r, 2, label).map_err(io_err)?;
    }
    wb.save(path).map_err(io_err)
}

/// Writes a DTSEN snapshot into `dir`: the family and member files (pipe
/// separated, every field quoted, coded values as numbers) and their code
/// books as XLSX ([`DTSEN_FILES`]); returns the paths written.
pub fn write_dtsen(data: &DemoData, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let paths: Vec<PathBuf> = DTSEN_FILES.iter().map(|n| dir.join(n)).collect();
    let writer = |path: &Path| -> io::Result<csv::Writer<BufWriter<File>>> {
        Ok(csv::WriterBuilder::new()
            .delimiter(b'|')
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(BufWriter::with_capacity(1 << 20, File::create(path)?)))
    };
    let mut fam = writer(&paths[0])?;
    let mut mem = writer(&paths[1])?;
    fam.write_record(dtsen::FAMILY_HEADERS)?;
    mem.write_record(dtsen::MEMBER_HEADERS)?;
    for (i, f) in data.families().enumerate() {
        fam.write_record(dtsen_family_cells(data, i, &f))?;
        for m in 0..f.members.len() {
            mem.write_record(dtsen_member_cells(data, i, &f, m))?;
        }
    }
    fam.flush()?;
    mem.flush()?;
    write_code_book(&paths[2], dtsen::FAMILY_HEADERS)?;
    write_code_book(&paths[3], dtsen::MEMBER_HEADERS)?;
    Ok(paths)
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
    fn a_dtsen_snapshot_reads_back_whole_through_the_dtsen_reader() {
        use crate::import::dtsen::{parse_dtsen, resolve_desa, RegionMatch};
        let regions = kukar();
        let data = generate(150, 5, &regions);
        let dir = std::env::temp_dir().join(format!("registry-dtsen-{}", std::process::id()));
        let paths = write_format(&data, &dir, DemoFormat::Dtsen).unwrap();
        let read = |i: usize| std::fs::read(&paths[i]).unwrap();
        assert!(read(0).starts_with(b"\"kode_provinsi\"|\"provinsi\"|"));
        let family_book = CodeBook::read(&read(2)).unwrap();
        let member_book = CodeBook::read(&read(3)).unwrap();
        assert!(family_book.rejected.is_empty() && member_book.rejected.is_empty());
        let book = CodeBook::builtin()
            .overridden_by(&family_book.book)
            .overridden_by(&member_book.book);
        let families = parse_dtsen(&read(0), &book, reference_date()).unwrap();
        let members = parse_dtsen(&read(1), &book, reference_date()).unwrap();
        assert!(families.rejected.is_empty(), "{:?}", families.rejected);
        assert!(members.rejected.is_empty(), "{:?}", members.rejected);
        let want: Vec<DemoFamily> = data.families().collect();
        assert_eq!(families.families.len(), want.len());
        assert_eq!(
            members.members.len(),
            want.iter().map(|f| f.members.len()).sum::<usize>()
        );
        for (got, f) in families.families.iter().zip(&want) {
            let (got, h) = (&got.record, &f.household);
            assert!(got.flags.is_empty(), "{:?}", got.flags);
            assert_eq!(Some(&got.kk_number), h.kk_number.as_ref());
            assert_eq!(got.desil_national, h.desil);
            assert_eq!(got.housing.roof_material, h.housing.roof_material);
            assert_eq!(got.housing.lighting_source, h.housing.lighting_source);
            assert_eq!(
                resolve_desa(&got.region, &regions),
                Ok((h.region_code.clone(), RegionMatch::Code))
            );
        }
        let want_members = want.iter().flat_map(|f| &f.members);
        for (got, m) in members.members.iter().zip(want_members) {
            let (got, m) = (&got.record, &m.record);
            assert!(got.flags.is_empty(), "{:?}", got.flags);
            assert_eq!(
                (&got.nik, got.sex, got.birth_date),
                (&m.nik, m.sex, m.birth_date)
            );
            assert_eq!(
                (&got.relation, &got.education, &got.occupation),
                (&m.relation, &m.education, &m.occupation)
            );
            assert_eq!(got.employment_status, m.employment_status);
        }
        std::fs::remove_dir_all(dir).unwrap();
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
