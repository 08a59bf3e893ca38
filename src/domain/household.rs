//! Typed household (keluarga) and member (individu) records as the importers
//! produce them and the service stores them. Categorical fields hold the codes
//! of `crate::import::values`; an unknown source value is kept lower-cased and
//! named in `flags`, so nothing the ministries send is silently dropped.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::nik::Sex;

// The registry file an import reads, P3KE or DTKS; it also decides which
// fields a matched family may change (docs/DECISIONS.md, "Matching on
// import"). The `format` query parameter, the import record and `rbpk
// import --format` all name it by `as_str`. (A plain comment: a doc line
// here would become the parameter's description in the contract.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    P3ke,
    Dtks,
}

impl ImportFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [ImportFormat; 2] = [ImportFormat::P3ke, ImportFormat::Dtks];

    /// The wire name: `p3ke` or `dtks`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::P3ke => "p3ke",
            ImportFormat::Dtks => "dtks",
        }
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

/// One family as read from P3KE (`KEPALA-KELUARGA`) or assembled from DTKS rows.
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
    /// `values::HOUSE_OWNERSHIP_CODES`.
    pub house_ownership: Option<String>,
    /// Savings/jewellery/livestock/other assets.
    pub has_savings: Option<bool>,
    /// `values::ROOF_MATERIAL_CODES`.
    pub roof_material: Option<String>,
    /// `values::QUALITY_CODES`.
    pub roof_quality: Option<String>,
    /// `values::WALL_MATERIAL_CODES`.
    pub wall_material: Option<String>,
    pub wall_quality: Option<String>,
    /// `values::FLOOR_MATERIAL_CODES`.
    pub floor_material: Option<String>,
    pub floor_quality: Option<String>,
    /// `values::LIGHTING_CODES`.
    pub lighting_source: Option<String>,
    /// `values::POWER_CAPACITY_CODES`.
    pub power_capacity: Option<String>,
    /// `values::COOKING_FUEL_CODES`.
    pub cooking_fuel: Option<String>,
    /// `values::DRINKING_WATER_CODES`.
    pub drinking_water: Option<String>,
    /// `values::TOILET_CODES`.
    pub toilet_facility: Option<String>,
    /// `values::STUNTING_RISK_CODES`.
    pub stunting_risk: Option<String>,
    pub bpnt: bool,
    pub bpum: bool,
    pub bst: bool,
    pub pkh: bool,
    pub sembako: bool,
    pub prakerja: bool,
    pub kur: bool,
    /// `Dimuktakhirkan Tahun`.
    pub updated_year: Option<i16>,
    /// Data-quality flags, e.g. `nik_invalid`, `nik_sex_mismatch`,
    /// `unknown_value:Jenis Atap=XYZ`.
    pub flags: Vec<String>,
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
}

/// Longest name prefix a search takes.
pub const MAX_NAME_PREFIX: usize = 100;

/// Whether a search term can be the start of a person's name: letters
/// (any script), spaces and the marks names carry (`'`, `.`, `-`, `,`), at
/// least one letter, at most [`MAX_NAME_PREFIX`] characters. Digits and
/// anything else are not: a company's `q` is a name prefix only, so it can
/// never probe NIK, No. KK or ids (docs/SECURITY.md, "No NIK oracle").
pub fn is_name_prefix(term: &str) -> bool {
    let term = term.trim();
    term.chars().count() <= MAX_NAME_PREFIX
        && term.chars().any(char::is_alphabetic)
        && term
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '.' | '-' | ','))
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
