//! Typed household (keluarga) and member (individu) records as the importers
//! produce them and the service stores them, and the rules that change them:
//! a manual change ([`apply_household_change`], [`apply_member_change`]: the
//! API's validation) and an import's merge with what is stored
//! ([`merge_imported_household`], [`merge_imported_member`]). Categorical
//! fields hold the codes of `crate::import::values`; an unknown source value
//! is kept lower-cased and named in `flags`, so nothing the ministries send is
//! silently dropped.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::company::MAX_ADDRESS;
use crate::domain::kk::KkNumber;
use crate::domain::nik::{check_consistency, Nik, Sex};
use crate::domain::FieldError;
use crate::import::values;

// The registry file an import reads, P3KE, DTKS or a DTSEN snapshot; it also decides which
// fields a matched family may change (docs/DECISIONS.md, "Matching on
// import"). The `format` query parameter, the import record and `rbpk
// import --format` all name it by `as_str`. (A plain comment: a doc line
// here would become the parameter's description in the contract.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    P3ke,
    Dtks,
    Dtsen,
}

impl ImportFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [ImportFormat; 3] =
        [ImportFormat::P3ke, ImportFormat::Dtks, ImportFormat::Dtsen];

    /// The wire name: `p3ke`, `dtks` or `dtsen`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::P3ke => "p3ke",
            ImportFormat::Dtks => "dtks",
            ImportFormat::Dtsen => "dtsen",
        }
    }
}

/// Where an import stands: `queued` for the instance's import lane,
/// `running`, then `done` or `failed` (also an import cut off by a stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl ImportStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown import format `{s}`"))
    }
}

// The groups of a household record, shared by the record, the API's
// `Household` (as its `housing`, `assistance` and `assets` objects) and the
// row conversions. Flattened into the record, so its serialised form (and
// the content hash computed from it) keeps one flat key per field. Plain
// comments on the structs: a doc line would become the schema's description.

// The dwelling, P3KE's housing columns (codes of `crate::import::values`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Housing {
    /// `roof_material` codes of P3KE `Jenis Atap`.
    #[schema(schema_with = crate::openapi::codes::outputs::roof_material)]
    pub roof_material: Option<String>,
    /// `good`, `poor`, `unknown`.
    #[schema(schema_with = crate::openapi::codes::outputs::quality)]
    pub roof_quality: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::wall_material)]
    pub wall_material: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::quality)]
    pub wall_quality: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::floor_material)]
    pub floor_material: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::quality)]
    pub floor_quality: Option<String>,
    /// `pln_metered`, `pln_unmetered`, `non_pln`, `no_electricity`.
    #[schema(schema_with = crate::openapi::codes::outputs::lighting)]
    pub lighting_source: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::power_capacity)]
    pub power_capacity: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::cooking_fuel)]
    pub cooking_fuel: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::drinking_water)]
    pub drinking_water: Option<String>,
    /// `own`, `shared`, `other`, `unknown`.
    #[schema(schema_with = crate::openapi::codes::outputs::toilet)]
    pub toilet_facility: Option<String>,
}

// The assistance programmes the family receives (`receives_*` columns).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Assistance {
    pub bpnt: bool,
    pub bpum: bool,
    pub bst: bool,
    pub pkh: bool,
    pub sembako: bool,
    pub prakerja: bool,
    pub kur: bool,
}

// What the family owns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Assets {
    // `values::HOUSE_OWNERSHIP_CODES`.
    #[schema(schema_with = crate::openapi::codes::outputs::house_ownership)]
    pub house_ownership: Option<String>,
    /// Savings, jewellery, livestock or other assets.
    pub has_savings: Option<bool>,
}

// A DTSEN family's assets and livestock as counts or quantities (stored
// whole, as one JSON object: they are read and written together).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct AssetCounts {
    pub gas_cylinders: Option<u32>,
    pub refrigerators: Option<u32>,
    pub air_conditioners: Option<u32>,
    pub water_heaters: Option<u32>,
    pub landlines: Option<u32>,
    pub televisions: Option<u32>,
    /// Gold and jewellery, grams.
    #[schema(minimum = 0, maximum = 1e9)]
    pub gold_grams: Option<f64>,
    pub computers: Option<u32>,
    pub motorcycles: Option<u32>,
    pub bicycles: Option<u32>,
    pub cars: Option<u32>,
    pub boats: Option<u32>,
    pub motor_boats: Option<u32>,
    pub smartphones: Option<u32>,
    /// Other land, hectares.
    #[schema(minimum = 0, maximum = 1e9)]
    pub other_land_ha: Option<f64>,
    pub other_houses: Option<u32>,
    pub cattle: Option<u32>,
    pub buffalo: Option<u32>,
    pub horses: Option<u32>,
    pub pigs: Option<u32>,
    pub goats_sheep: Option<u32>,
}

// The Washington Group items of a member, each `no_difficulty`,
// `some_difficulty`, `a_lot_of_difficulty` or `cannot_do_at_all`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct Disability {
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub seeing: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub hearing: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub walking: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub using_hands: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub remembering: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub behaviour: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub communicating: Option<String>,
    #[schema(schema_with = crate::openapi::codes::difficulty)]
    pub self_care: Option<String>,
}

impl Disability {
    fn items(&self) -> [&Option<String>; 8] {
        [
            &self.seeing,
            &self.hearing,
            &self.walking,
            &self.using_hands,
            &self.remembering,
            &self.behaviour,
            &self.communicating,
            &self.self_care,
        ]
    }

    /// The Washington Group cut-off: a lot of difficulty, or cannot do at
    /// all, in any item.
    pub fn has_disability(&self) -> bool {
        self.items().iter().any(|i| {
            matches!(
                i.as_deref(),
                Some("a_lot_of_difficulty" | "cannot_do_at_all")
            )
        })
    }
}

/// One family as read from P3KE (`KEPALA-KELUARGA`), assembled from DTKS rows
/// or from a DTSEN snapshot. The fields only DTSEN carries are left out of
/// the serialised record while empty, so the content hashes of families
/// stored before them stay as they were.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HouseholdRecord {
    /// `ID Keluarga P3KE`; `None` for a family known only from DTKS.
    pub p3ke_family_id: Option<String>,
    /// `iddtks` of the head (DTKS only).
    pub dtks_id: Option<String>,
    /// No. KK (DTKS only; P3KE's family sheet does not carry it).
    pub kk_number: Option<String>,
    pub head_name: String,
    /// The head's NIK as given (digits only when valid, else the raw text).
    pub head_nik: String,
    /// Whether `head_nik` parsed as a NIK.
    pub head_nik_valid: bool,
    pub head_sex: Option<Sex>,
    pub head_birth_date: Option<NaiveDate>,
    /// `values::MARITAL_STATUS_CODES`.
    pub head_marital_status: Option<String>,
    /// `values::OCCUPATION_CODES`.
    pub head_occupation: Option<String>,
    /// `values::EMPLOYMENT_STATUS_CODES`.
    pub head_employment_status: Option<String>,
    /// `values::EDUCATION_CODES`.
    pub head_education: Option<String>,
    /// 2025 dotted desa/kelurahan code, e.g. `64.02.06.2001`.
    pub region_code: String,
    pub address: Option<String>,
    /// Desil kesejahteraan 1–10 (1 = extreme poverty).
    pub desil: Option<i16>,
    /// Persentil 0–100.
    pub percentile: Option<i16>,
    /// `values::VERIFICATION_PRIORITY_CODES`.
    pub verification_priority: Option<String>,
    /// Head's NIK matched by Dukcapil (`PADAN` = true).
    pub dukcapil_match: Option<bool>,
    #[serde(flatten)]
    pub assets: Assets,
    #[serde(flatten)]
    pub housing: Housing,
    /// `values::STUNTING_RISK_CODES`.
    pub stunting_risk: Option<String>,
    #[serde(flatten)]
    pub assistance: Assistance,
    /// `Dimuktakhirkan Tahun`: the year the source last updated the family.
    /// Named `updated_year` in the serialised record because the stored
    /// content hashes were computed from it; renaming the key would make
    /// every family read as changed on its next import.
    #[serde(rename = "updated_year")]
    pub data_year: Option<i16>,
    /// Data-quality flags, e.g. `nik_invalid`, `nik_sex_mismatch`,
    /// `unknown_value:Jenis Atap=XYZ`.
    pub flags: Vec<String>,
    /// DTSEN's desil: national (the one `desil` takes), provincial, regency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desil_national: Option<i16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desil_province: Option<i16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desil_regency: Option<i16>,
    /// The house's geotag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Families living in the same house.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub families_in_house: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pln_customer_id: Option<String>,
    /// PBI JKN (health insurance contributions paid by the state or the regency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pbi_national: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pbi_regional: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_counts: Option<AssetCounts>,
    /// The NIKs of the family's members as a snapshot lists them, the
    /// head's first: how a family whose No. KK changed is found (DTSEN).
    /// Only carried from the file to the matching, never stored.
    #[serde(skip)]
    pub member_niks: Vec<String>,
}

impl HouseholdRecord {
    /// Desil 1 is extreme poverty (the Inpres 4/2022 target group).
    pub fn is_extreme_poor(&self) -> bool {
        self.desil == Some(1)
    }
}

/// One person as read from P3KE (`INDIVIDU`) or DTKS.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemberRecord {
    /// Family key in P3KE files.
    pub p3ke_family_id: Option<String>,
    /// Family key in DTKS files (the No. KK as given).
    pub kk_number: Option<String>,
    pub p3ke_individual_id: Option<String>,
    /// `iddtks` of the person (DTKS only).
    pub dtks_id: Option<String>,
    /// NIK as given (digits only when valid).
    pub nik: String,
    pub nik_valid: bool,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// `values::RELATION_CODES`: `head`, `spouse`, `child`, `other`.
    pub relation: Option<String>,
    /// `values::MARITAL_STATUS_CODES`.
    pub marital_status: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub employment_status: Option<String>,
    pub dukcapil_match: Option<bool>,
    pub flags: Vec<String>,
    /// DTSEN's Washington Group items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<Disability>,
    /// `none`, `hypertension`, … (DTSEN `penyakit_kronis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chronic_illness: Option<String>,
    /// Attending school now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_school: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working: Option<bool>,
}

// Where a family stands in the registry: `active` until it graduates,
// moves, dies out or is found a duplicate. (A plain comment: a doc line
// here would become the schema's description in the contract.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdStatus {
    Active,
    Graduated,
    Moved,
    Deceased,
    Duplicate,
}

impl HouseholdStatus {
    /// Every status.
    pub const ALL: [HouseholdStatus; 5] = [
        HouseholdStatus::Active,
        HouseholdStatus::Graduated,
        HouseholdStatus::Moved,
        HouseholdStatus::Deceased,
        HouseholdStatus::Duplicate,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdStatus::Active => "active",
            HouseholdStatus::Graduated => "graduated",
            HouseholdStatus::Moved => "moved",
            HouseholdStatus::Deceased => "deceased",
            HouseholdStatus::Duplicate => "duplicate",
        }
    }
}

impl FromStr for HouseholdStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HouseholdStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown household status `{s}`"))
    }
}

/// The record to store when an imported family `incoming` matches `existing`
/// (docs/DECISIONS.md, "Matching on import"). P3KE carries the whole family
/// and replaces it, keeping the DTKS id and No. KK it lacks; DTKS carries
/// identity and address only, so desil, housing and assistance stay. A DTSEN
/// snapshot replaces identity, region, desil, housing and its own fields,
/// and keeps what only P3KE and DTKS carry (their ids, percentile, priority,
/// assistance, the housing qualities). Once a DTSEN snapshot has set the
/// desil, only a snapshot changes it: only BPS ranks families.
pub fn merge_imported_household(
    existing: &HouseholdRecord,
    incoming: &HouseholdRecord,
    format: ImportFormat,
) -> HouseholdRecord {
    match format {
        ImportFormat::P3ke => {
            let from_snapshot = existing.desil_national.is_some();
            HouseholdRecord {
                dtks_id: incoming.dtks_id.clone().or(existing.dtks_id.clone()),
                kk_number: incoming.kk_number.clone().or(existing.kk_number.clone()),
                desil: if from_snapshot {
                    existing.desil
                } else {
                    incoming.desil
                },
                ..with_snapshot_fields(incoming, existing)
            }
        }
        ImportFormat::Dtks => HouseholdRecord {
            dtks_id: incoming.dtks_id.clone().or(existing.dtks_id.clone()),
            kk_number: incoming.kk_number.clone(),
            head_name: incoming.head_name.clone(),
            head_nik: incoming.head_nik.clone(),
            head_nik_valid: incoming.head_nik_valid,
            head_sex: incoming.head_sex.or(existing.head_sex),
            head_birth_date: incoming.head_birth_date.or(existing.head_birth_date),
            head_marital_status: incoming
                .head_marital_status
                .clone()
                .or(existing.head_marital_status.clone()),
            region_code: incoming.region_code.clone(),
            address: incoming.address.clone().or(existing.address.clone()),
            flags: incoming.flags.clone(),
            ..existing.clone()
        },
        ImportFormat::Dtsen => {
            let or = |new: &Option<String>, old: &Option<String>| new.clone().or(old.clone());
            let (head_nik, head_nik_valid) = if incoming.head_nik.is_empty() {
                (existing.head_nik.clone(), existing.head_nik_valid)
            } else {
                (incoming.head_nik.clone(), incoming.head_nik_valid)
            };
            HouseholdRecord {
                p3ke_family_id: existing.p3ke_family_id.clone(),
                dtks_id: existing.dtks_id.clone(),
                head_nik,
                head_nik_valid,
                head_sex: incoming.head_sex.or(existing.head_sex),
                head_birth_date: incoming.head_birth_date.or(existing.head_birth_date),
                head_marital_status: or(
                    &incoming.head_marital_status,
                    &existing.head_marital_status,
                ),
                head_occupation: or(&incoming.head_occupation, &existing.head_occupation),
                head_employment_status: or(
                    &incoming.head_employment_status,
                    &existing.head_employment_status,
                ),
                head_education: or(&incoming.head_education, &existing.head_education),
                address: or(&incoming.address, &existing.address),
                percentile: existing.percentile,
                verification_priority: existing.verification_priority.clone(),
                dukcapil_match: existing.dukcapil_match,
                stunting_risk: existing.stunting_risk.clone(),
                assistance: existing.assistance.clone(),
                data_year: incoming.data_year.or(existing.data_year),
                assets: Assets {
                    house_ownership: or(
                        &incoming.assets.house_ownership,
                        &existing.assets.house_ownership,
                    ),
                    has_savings: incoming.assets.has_savings.or(existing.assets.has_savings),
                },
                housing: Housing {
                    roof_quality: existing.housing.roof_quality.clone(),
                    wall_quality: existing.housing.wall_quality.clone(),
                    floor_quality: existing.housing.floor_quality.clone(),
                    ..incoming.housing.clone()
                },
                ..incoming.clone()
            }
        }
    }
}

/// `incoming` with the fields only a DTSEN snapshot sets taken from
/// `existing`: a P3KE file does not carry them and must not erase them.
fn with_snapshot_fields(incoming: &HouseholdRecord, existing: &HouseholdRecord) -> HouseholdRecord {
    HouseholdRecord {
        desil_national: existing.desil_national,
        desil_province: existing.desil_province,
        desil_regency: existing.desil_regency,
        latitude: existing.latitude,
        longitude: existing.longitude,
        families_in_house: existing.families_in_house,
        pln_customer_id: existing.pln_customer_id.clone(),
        pbi_national: existing.pbi_national,
        pbi_regional: existing.pbi_regional,
        asset_counts: existing.asset_counts.clone(),
        ..incoming.clone()
    }
}

/// The record to store when an imported member `incoming` matches
/// `existing`. P3KE replaces the member; a DTKS row names a person (NIK,
/// name, sex, birth date, relation) but not their P3KE id, schooling or
/// work: those stay as P3KE had them.
pub fn merge_imported_member(
    existing: &MemberRecord,
    incoming: &MemberRecord,
    format: ImportFormat,
) -> MemberRecord {
    match format {
        ImportFormat::P3ke => {
            return MemberRecord {
                disability: existing.disability.clone(),
                chronic_illness: existing.chronic_illness.clone(),
                in_school: existing.in_school,
                working: existing.working,
                ..incoming.clone()
            }
        }
        // A snapshot names the person whole but not their P3KE id or
        // Dukcapil check.
        ImportFormat::Dtsen => {
            return MemberRecord {
                p3ke_individual_id: existing.p3ke_individual_id.clone(),
                dtks_id: existing.dtks_id.clone(),
                occupation: incoming.occupation.clone().or(existing.occupation.clone()),
                education: incoming.education.clone().or(existing.education.clone()),
                dukcapil_match: existing.dukcapil_match,
                ..incoming.clone()
            }
        }
        ImportFormat::Dtks => {}
    }
    MemberRecord {
        nik: if incoming.nik.is_empty() {
            existing.nik.clone()
        } else {
            incoming.nik.clone()
        },
        nik_valid: if incoming.nik.is_empty() {
            existing.nik_valid
        } else {
            incoming.nik_valid
        },
        name: incoming.name.clone(),
        sex: incoming.sex.or(existing.sex),
        birth_date: incoming.birth_date.or(existing.birth_date),
        relation: incoming.relation.clone().or(existing.relation.clone()),
        marital_status: incoming
            .marital_status
            .clone()
            .or(existing.marital_status.clone()),
        flags: incoming.flags.clone(),
        ..existing.clone()
    }
}

/// A name as imports match it: words single-spaced, lower case.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Housing fields of a change; absent fields stay as they are.
#[derive(Deserialize, Serialize, ToSchema, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HousingInput {
    #[schema(schema_with = crate::openapi::codes::inputs::roof_material)]
    pub roof_material: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::quality)]
    pub roof_quality: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::wall_material)]
    pub wall_material: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::quality)]
    pub wall_quality: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::floor_material)]
    pub floor_material: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::quality)]
    pub floor_quality: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::lighting)]
    pub lighting_source: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::power_capacity)]
    pub power_capacity: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::cooking_fuel)]
    pub cooking_fuel: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::drinking_water)]
    pub drinking_water: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::toilet)]
    pub toilet_facility: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AssistanceInput {
    pub bpnt: Option<bool>,
    pub bpum: Option<bool>,
    pub bst: Option<bool>,
    pub pkh: Option<bool>,
    pub sembako: Option<bool>,
    pub prakerja: Option<bool>,
    pub kur: Option<bool>,
}

#[derive(Deserialize, Serialize, ToSchema, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AssetsInput {
    #[schema(schema_with = crate::openapi::codes::inputs::house_ownership)]
    pub house_ownership: Option<String>,
    pub has_savings: Option<bool>,
}

/// A family to create (`head_name` and `region_code` required) or the fields
/// of one to change. Categorical values take the codes the registry shows.
#[derive(Deserialize, Serialize, ToSchema, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"head_name": "Rudi Hartono", "head_nik": "6402061203850003", "region_code": "64.02.06.1001",
    "desil": 2, "housing": {"roof_quality": "poor", "toilet_facility": "shared"}}))]
pub struct HouseholdInput {
    #[schema(max_length = 64)]
    pub p3ke_family_id: Option<String>,
    #[schema(max_length = 64)]
    pub dtks_id: Option<String>,
    /// 16 digits.
    #[schema(pattern = "^[0-9]{16}$")]
    pub kk_number: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub head_name: Option<String>,
    /// 16 digits, a real birth date (day + 40 for women), serial ≥ 0001.
    #[schema(
        pattern = "^[0-9]{6}(0[1-9]|[12][0-9]|3[01]|4[1-9]|[56][0-9]|7[01])(0[1-9]|1[0-2])[0-9]{2}([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})$"
    )]
    pub head_nik: Option<String>,
    /// `male` or `female`.
    #[schema(schema_with = crate::openapi::codes::inputs::sex)]
    pub head_sex: Option<String>,
    pub head_birth_date: Option<NaiveDate>,
    #[schema(schema_with = crate::openapi::codes::inputs::marital_status)]
    pub head_marital_status: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::occupation)]
    pub head_occupation: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::employment_status)]
    pub head_employment_status: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::education)]
    pub head_education: Option<String>,
    /// A desa/kelurahan code (2019 codes are mapped to 2025 ones).
    #[schema(pattern = "^[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{4}$")]
    pub region_code: Option<String>,
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// 1–10.
    #[schema(minimum = 1, maximum = 10)]
    pub desil: Option<i32>,
    /// 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub percentile: Option<i32>,
    #[schema(schema_with = crate::openapi::codes::inputs::verification_priority)]
    pub verification_priority: Option<String>,
    pub dukcapil_match: Option<bool>,
    #[schema(schema_with = crate::openapi::codes::inputs::stunting_risk)]
    pub stunting_risk: Option<String>,
    #[schema(minimum = 2000, maximum = 2100)]
    pub data_year: Option<i32>,
    pub housing: Option<HousingInput>,
    pub assistance: Option<AssistanceInput>,
    pub assets: Option<AssetsInput>,
    /// Only on change.
    pub status: Option<HouseholdStatus>,
}

/// Checks a categorical code against its value set.
fn code(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<String>,
    codes: &[&str],
) -> Option<String> {
    let v = value?;
    if codes.contains(&v.as_str()) {
        Some(v)
    } else {
        errors.push(FieldError::new(
            field,
            format!("must be one of: {}", codes.join(", ")),
        ));
        None
    }
}

fn set<T>(target: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *target = value;
    }
}

fn parse_sex(errors: &mut Vec<FieldError>, field: &str, v: Option<String>) -> Option<Sex> {
    let v = v?;
    match v.as_str() {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        _ => {
            errors.push(FieldError::new(field, "must be male or female"));
            None
        }
    }
}

/// Re-checks a NIK against sex and birth date; the NIK itself must be valid.
fn nik_flags(nik: &str, sex: Option<Sex>, birth: Option<NaiveDate>, flags: &mut Vec<String>) {
    flags.retain(|f| !f.starts_with("nik_"));
    match Nik::parse(nik) {
        Ok(n) => flags.extend(
            check_consistency(&n, sex, birth)
                .iter()
                .map(|f| f.as_str().to_string()),
        ),
        Err(_) if nik.is_empty() => flags.push("nik_empty".into()),
        Err(_) => flags.push("nik_invalid".into()),
    }
}

/// A person's name as entered: trimmed, 1–200 characters.
fn set_name(errors: &mut Vec<FieldError>, field: &str, target: &mut String, value: Option<String>) {
    let Some(name) = value else { return };
    if name.trim().is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new(field, "must be 1–200 characters"));
    }
    *target = name.trim().to_string();
}

/// Longest P3KE/DTKS family or person id a client may enter.
pub const MAX_SOURCE_ID: usize = 64;

/// An id or an address as entered: at most `max` characters.
fn set_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    target: &mut Option<String>,
    value: Option<String>,
    max: usize,
) {
    let Some(text) = value else { return };
    if text.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    *target = Some(text);
}

/// A NIK as entered must parse (unlike an imported one, kept and flagged):
/// stored as its 16 digits and marked valid.
fn set_nik(
    errors: &mut Vec<FieldError>,
    field: &str,
    (nik, valid): (&mut String, &mut bool),
    value: Option<String>,
) {
    let Some(raw) = value else { return };
    match Nik::parse(&raw) {
        Ok(n) => {
            *nik = n.as_str().to_string();
            *valid = true;
        }
        Err(err) => errors.push(FieldError::new(field, err.to_string())),
    }
}

/// Applies a manual change (create or update) to a record, collecting every
/// invalid field: the API's one household validation.
pub fn apply_household_change(
    base: HouseholdRecord,
    i: HouseholdInput,
) -> Result<HouseholdRecord, Vec<FieldError>> {
    let mut e = Vec::new();
    let mut r = base;
    set_name(&mut e, "head_name", &mut r.head_name, i.head_name);
    set_nik(
        &mut e,
        "head_nik",
        (&mut r.head_nik, &mut r.head_nik_valid),
        i.head_nik,
    );
    if let Some(kk) = i.kk_number {
        match KkNumber::parse(&kk) {
            Ok(k) => r.kk_number = Some(k.as_str().to_string()),
            Err(err) => e.push(FieldError::new("kk_number", err.to_string())),
        }
    }
    if let Some(d) = i.desil {
        if !(1..=10).contains(&d) {
            e.push(FieldError::new("desil", "must be between 1 and 10"));
        }
        r.desil = i16::try_from(d).ok();
    }
    if let Some(p) = i.percentile {
        if !(0..=100).contains(&p) {
            e.push(FieldError::new("percentile", "must be between 0 and 100"));
        }
        r.percentile = i16::try_from(p).ok();
    }
    if let Some(y) = i.data_year {
        if !(2000..=2100).contains(&y) {
            e.push(FieldError::new(
                "data_year",
                "must be between 2000 and 2100",
            ));
        }
        r.data_year = i16::try_from(y).ok();
    }
    set_text(
        &mut e,
        "p3ke_family_id",
        &mut r.p3ke_family_id,
        i.p3ke_family_id,
        MAX_SOURCE_ID,
    );
    set_text(&mut e, "dtks_id", &mut r.dtks_id, i.dtks_id, MAX_SOURCE_ID);
    set_text(&mut e, "address", &mut r.address, i.address, MAX_ADDRESS);
    set(&mut r.head_birth_date, i.head_birth_date);
    set(&mut r.dukcapil_match, i.dukcapil_match);
    set(&mut r.head_sex, parse_sex(&mut e, "head_sex", i.head_sex));
    set(
        &mut r.head_marital_status,
        code(
            &mut e,
            "head_marital_status",
            i.head_marital_status,
            values::MARITAL_STATUS_CODES,
        ),
    );
    set(
        &mut r.head_occupation,
        code(
            &mut e,
            "head_occupation",
            i.head_occupation,
            values::OCCUPATION_CODES,
        ),
    );
    set(
        &mut r.head_employment_status,
        code(
            &mut e,
            "head_employment_status",
            i.head_employment_status,
            values::EMPLOYMENT_STATUS_CODES,
        ),
    );
    set(
        &mut r.head_education,
        code(
            &mut e,
            "head_education",
            i.head_education,
            values::EDUCATION_CODES,
        ),
    );
    set(
        &mut r.verification_priority,
        code(
            &mut e,
            "verification_priority",
            i.verification_priority,
            values::VERIFICATION_PRIORITY_CODES,
        ),
    );
    set(
        &mut r.stunting_risk,
        code(
            &mut e,
            "stunting_risk",
            i.stunting_risk,
            values::STUNTING_RISK_CODES,
        ),
    );
    if let Some(hs) = i.housing {
        set(
            &mut r.housing.roof_material,
            code(
                &mut e,
                "housing.roof_material",
                hs.roof_material,
                values::ROOF_MATERIAL_CODES,
            ),
        );
        set(
            &mut r.housing.roof_quality,
            code(
                &mut e,
                "housing.roof_quality",
                hs.roof_quality,
                values::QUALITY_CODES,
            ),
        );
        set(
            &mut r.housing.wall_material,
            code(
                &mut e,
                "housing.wall_material",
                hs.wall_material,
                values::WALL_MATERIAL_CODES,
            ),
        );
        set(
            &mut r.housing.wall_quality,
            code(
                &mut e,
                "housing.wall_quality",
                hs.wall_quality,
                values::QUALITY_CODES,
            ),
        );
        set(
            &mut r.housing.floor_material,
            code(
                &mut e,
                "housing.floor_material",
                hs.floor_material,
                values::FLOOR_MATERIAL_CODES,
            ),
        );
        set(
            &mut r.housing.floor_quality,
            code(
                &mut e,
                "housing.floor_quality",
                hs.floor_quality,
                values::QUALITY_CODES,
            ),
        );
        set(
            &mut r.housing.lighting_source,
            code(
                &mut e,
                "housing.lighting_source",
                hs.lighting_source,
                values::LIGHTING_CODES,
            ),
        );
        set(
            &mut r.housing.power_capacity,
            code(
                &mut e,
                "housing.power_capacity",
                hs.power_capacity,
                values::POWER_CAPACITY_CODES,
            ),
        );
        set(
            &mut r.housing.cooking_fuel,
            code(
                &mut e,
                "housing.cooking_fuel",
                hs.cooking_fuel,
                values::COOKING_FUEL_CODES,
            ),
        );
        set(
            &mut r.housing.drinking_water,
            code(
                &mut e,
                "housing.drinking_water",
                hs.drinking_water,
                values::DRINKING_WATER_CODES,
            ),
        );
        set(
            &mut r.housing.toilet_facility,
            code(
                &mut e,
                "housing.toilet_facility",
                hs.toilet_facility,
                values::TOILET_CODES,
            ),
        );
    }
    if let Some(a) = i.assets {
        set(
            &mut r.assets.house_ownership,
            code(
                &mut e,
                "assets.house_ownership",
                a.house_ownership,
                values::HOUSE_OWNERSHIP_CODES,
            ),
        );
        set(&mut r.assets.has_savings, a.has_savings);
    }
    if let Some(a) = i.assistance {
        let flags = [
            (&mut r.assistance.bpnt, a.bpnt),
            (&mut r.assistance.bpum, a.bpum),
            (&mut r.assistance.bst, a.bst),
            (&mut r.assistance.pkh, a.pkh),
            (&mut r.assistance.sembako, a.sembako),
            (&mut r.assistance.prakerja, a.prakerja),
            (&mut r.assistance.kur, a.kur),
        ];
        for (target, value) in flags {
            if let Some(v) = value {
                *target = v;
            }
        }
    }
    if r.head_name.is_empty() {
        e.push(FieldError::new("head_name", "is required"));
    }
    nik_flags(
        &r.head_nik.clone(),
        r.head_sex,
        r.head_birth_date,
        &mut r.flags,
    );
    if e.is_empty() {
        Ok(r)
    } else {
        Err(e)
    }
}

/// A member to add (`name` required) or the fields of one to change.
#[derive(Deserialize, Serialize, ToSchema, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Nur Aini", "nik": "6402065507120001", "sex": "female", "birth_date": "2012-07-15", "relation": "child"}))]
pub struct MemberInput {
    #[schema(max_length = 64)]
    pub p3ke_individual_id: Option<String>,
    /// 16 digits, consistent with the birth date and sex where given (else flagged).
    #[schema(
        pattern = "^[0-9]{6}(0[1-9]|[12][0-9]|3[01]|4[1-9]|[56][0-9]|7[01])(0[1-9]|1[0-2])[0-9]{2}([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})$"
    )]
    pub nik: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    /// `male` or `female`.
    #[schema(schema_with = crate::openapi::codes::inputs::sex)]
    pub sex: Option<String>,
    pub birth_date: Option<NaiveDate>,
    #[schema(schema_with = crate::openapi::codes::inputs::relation)]
    pub relation: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::marital_status)]
    pub marital_status: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::education)]
    pub education: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::occupation)]
    pub occupation: Option<String>,
    #[schema(schema_with = crate::openapi::codes::inputs::employment_status)]
    pub employment_status: Option<String>,
    pub dukcapil_match: Option<bool>,
}

/// Applies a manual change (create or update) to a member, collecting every
/// invalid field.
pub fn apply_member_change(
    base: MemberRecord,
    i: MemberInput,
) -> Result<MemberRecord, Vec<FieldError>> {
    let mut e = Vec::new();
    let mut r = base;
    set_name(&mut e, "name", &mut r.name, i.name);
    set_nik(&mut e, "nik", (&mut r.nik, &mut r.nik_valid), i.nik);
    set_text(
        &mut e,
        "p3ke_individual_id",
        &mut r.p3ke_individual_id,
        i.p3ke_individual_id,
        MAX_SOURCE_ID,
    );
    set(&mut r.birth_date, i.birth_date);
    set(&mut r.dukcapil_match, i.dukcapil_match);
    set(&mut r.sex, parse_sex(&mut e, "sex", i.sex));
    set(
        &mut r.relation,
        code(&mut e, "relation", i.relation, values::RELATION_CODES),
    );
    set(
        &mut r.marital_status,
        code(
            &mut e,
            "marital_status",
            i.marital_status,
            values::MARITAL_STATUS_CODES,
        ),
    );
    set(
        &mut r.education,
        code(&mut e, "education", i.education, values::EDUCATION_CODES),
    );
    set(
        &mut r.occupation,
        code(&mut e, "occupation", i.occupation, values::OCCUPATION_CODES),
    );
    set(
        &mut r.employment_status,
        code(
            &mut e,
            "employment_status",
            i.employment_status,
            values::EMPLOYMENT_STATUS_CODES,
        ),
    );
    if r.name.is_empty() {
        e.push(FieldError::new("name", "is required"));
    }
    nik_flags(&r.nik.clone(), r.sex, r.birth_date, &mut r.flags);
    if e.is_empty() {
        Ok(r)
    } else {
        Err(e)
    }
}

/// Longest name prefix a search takes.
pub const MAX_NAME_PREFIX: usize = 100;

/// Whether a search term can be the start of a person's name: letters
/// (any script), spaces and the marks names carry (`'`, `.`, `-`, `,`), at
/// least one letter, at most [`MAX_NAME_PREFIX`] characters. Digits and
/// anything else are not: a company's `q` is a name prefix only, so it can
/// never probe NIK, No. KK or ids (docs/SECURITY.md, "No NIK oracle").
pub fn is_name_prefix(term: &str) -> bool {
    // Counted as sent, like the parameter's maxLength.
    let sent = term.chars().count();
    let term = term.trim();
    sent <= MAX_NAME_PREFIX
        && term.chars().any(char::is_alphabetic)
        && term
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '.' | '-' | ','))
}

#[cfg(test)]
mod change_and_merge_tests {
    use super::*;

    fn family() -> HouseholdRecord {
        HouseholdRecord {
            p3ke_family_id: Some("P3KE-1".into()),
            dtks_id: Some("DTKS-1".into()),
            kk_number: Some("6402060101900001".into()),
            head_name: "Siti".into(),
            head_nik: "6402064507900012".into(),
            head_nik_valid: true,
            region_code: "64.02.06.1001".into(),
            desil: Some(1),
            housing: Housing {
                roof_quality: Some("poor".into()),
                ..Housing::default()
            },
            assistance: Assistance {
                pkh: true,
                ..Assistance::default()
            },
            ..HouseholdRecord::default()
        }
    }

    #[test]
    fn the_serialised_record_stays_flat_for_the_content_hash() {
        // Stored content hashes were computed from the flat record: the
        // groups are flattened and the year keeps its old key.
        let v = serde_json::to_value(family()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "house_ownership",
            "roof_quality",
            "toilet_facility",
            "pkh",
            "kur",
            "updated_year",
        ] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
        for k in ["housing", "assistance", "assets", "data_year"] {
            assert!(!keys.contains(&k), "{k} in {keys:?}");
        }
        let json = serde_json::to_string(&family()).unwrap();
        assert!(json.contains(r#""dukcapil_match":null,"house_ownership":null,"has_savings":null,"roof_material":null"#));
        assert!(json.contains(r#""stunting_risk":null,"bpnt":false"#));
        assert!(json.contains(r#""kur":false,"updated_year":null,"flags":[]"#));
    }

    #[test]
    fn a_change_sets_only_the_fields_it_names_and_reflags_the_nik() {
        let change = HouseholdInput {
            desil: Some(3),
            head_sex: Some("male".into()),
            housing: Some(HousingInput {
                toilet_facility: Some("shared".into()),
                ..HousingInput::default()
            }),
            ..HouseholdInput::default()
        };
        let r = apply_household_change(family(), change).unwrap();
        assert_eq!(r.desil, Some(3));
        assert_eq!(r.housing.roof_quality.as_deref(), Some("poor"));
        assert_eq!(r.housing.toilet_facility.as_deref(), Some("shared"));
        assert!(r.assistance.pkh);
        // The NIK says female (day + 40), the change says male.
        assert_eq!(r.flags, ["nik_sex_mismatch"]);
    }

    #[test]
    fn a_change_reports_every_invalid_field() {
        let change = HouseholdInput {
            head_nik: Some("123".into()),
            desil: Some(11),
            housing: Some(HousingInput {
                roof_quality: Some("splendid".into()),
                ..HousingInput::default()
            }),
            ..HouseholdInput::default()
        };
        let fields: Vec<String> = apply_household_change(family(), change)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["head_nik", "desil", "housing.roof_quality"]);
        let no_name = apply_household_change(HouseholdRecord::default(), HouseholdInput::default());
        assert_eq!(no_name.unwrap_err()[0].field, "head_name");
    }

    #[test]
    fn p3ke_replaces_a_family_but_keeps_the_dtks_id_and_kk_it_lacks() {
        let incoming = HouseholdRecord {
            dtks_id: None,
            kk_number: None,
            desil: Some(4),
            assistance: Assistance::default(),
            ..family()
        };
        let merged = merge_imported_household(&family(), &incoming, ImportFormat::P3ke);
        assert_eq!(merged.dtks_id.as_deref(), Some("DTKS-1"));
        assert_eq!(merged.kk_number, family().kk_number);
        assert_eq!(merged.desil, Some(4));
        assert!(!merged.assistance.pkh);
    }

    #[test]
    fn dtks_changes_identity_and_address_only() {
        let incoming = HouseholdRecord {
            p3ke_family_id: None,
            head_name: "Siti Aminah".into(),
            address: Some("Jl. Baru".into()),
            desil: None,
            housing: Housing::default(),
            assistance: Assistance::default(),
            ..family()
        };
        let merged = merge_imported_household(&family(), &incoming, ImportFormat::Dtks);
        assert_eq!(merged.head_name, "Siti Aminah");
        assert_eq!(merged.address.as_deref(), Some("Jl. Baru"));
        assert_eq!(merged.p3ke_family_id.as_deref(), Some("P3KE-1"));
        assert_eq!(merged.desil, Some(1));
        assert_eq!(merged.housing.roof_quality.as_deref(), Some("poor"));
        assert!(merged.assistance.pkh);
    }

    #[test]
    fn a_dtks_member_keeps_what_p3ke_knew_and_a_p3ke_member_replaces_it() {
        let existing = MemberRecord {
            p3ke_individual_id: Some("IND-1".into()),
            nik: "6402064507900012".into(),
            nik_valid: true,
            name: "Siti".into(),
            education: Some("sd".into()),
            ..MemberRecord::default()
        };
        let incoming = MemberRecord {
            name: "Siti Aminah".into(),
            relation: Some("head".into()),
            ..MemberRecord::default()
        };
        let dtks = merge_imported_member(&existing, &incoming, ImportFormat::Dtks);
        assert_eq!(dtks.name, "Siti Aminah");
        assert_eq!(dtks.nik, existing.nik);
        assert_eq!(dtks.education.as_deref(), Some("sd"));
        assert_eq!(dtks.p3ke_individual_id.as_deref(), Some("IND-1"));
        assert_eq!(
            merge_imported_member(&existing, &incoming, ImportFormat::P3ke),
            incoming
        );
        assert_eq!(name_key("  Siti   AMINAH "), "siti aminah");
    }
}

#[cfg(test)]
mod import_format_tests {
    use super::ImportFormat;

    #[test]
    fn formats_round_trip_through_their_wire_names() {
        for f in ImportFormat::ALL {
            assert_eq!(f.as_str().parse::<ImportFormat>(), Ok(f));
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert!("P3KE".parse::<ImportFormat>().is_err());
    }
}

#[cfg(test)]
mod name_prefix_tests {
    use super::is_name_prefix;

    #[test]
    fn names_are_prefixes_and_identifiers_or_wildcards_are_not() {
        for ok in [
            "Siti",
            "siti nur",
            "Nur'aini",
            "Muh. Rizki",
            "Ni Luh-Ayu",
            "Ébé",
        ] {
            assert!(is_name_prefix(ok), "{ok}");
        }
        for bad in [
            "6402061203850003",
            "P3KE-640206",
            "Siti2",
            "%",
            "_",
            "Si%",
            "",
            " ",
            "..",
        ] {
            assert!(!is_name_prefix(bad), "{bad}");
        }
        assert!(!is_name_prefix(&"a".repeat(101)));
    }
}
