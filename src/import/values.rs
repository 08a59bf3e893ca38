//! The P3KE/DTKS value sets and their normalized codes.
//!
//! Each column with a known value set has one [`ValueSet`]: source labels
//! (normalized: upper case, single spaces, no spaces around `/`) mapped to the
//! snake_case codes we store, and the list of codes as a `pub const` slice so the
//! service can document them in OpenAPI and validate filters without a DB CHECK.
//! The ministries add values over time, so an unknown value is not an error:
//! [`ValueSet::map`] returns it as [`Mapped::Unknown`] and the importer keeps it
//! (lower-cased) with a flag.

use crate::import::limits::echo;

/// One column's value set.
#[derive(Debug, Clone, Copy)]
pub struct ValueSet {
    /// The P3KE header this set belongs to (for flags and docs).
    pub column: &'static str,
    /// Normalized source label → code. The first label for a code is the
    /// canonical one used when writing files; later ones are aliases.
    pub entries: &'static [(&'static str, &'static str)],
    /// Every code the set can produce.
    pub codes: &'static [&'static str],
}

/// The result of mapping one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// The cell is empty.
    Empty,
    /// A known label, as its code.
    Known(&'static str),
    /// A label not in the set, lower-cased and trimmed.
    Unknown(String),
}

/// Upper-cases, trims, collapses whitespace and drops spaces around `/`, so
/// `Jerami/Ijuk/Rumbia/ Daun-daunan` and `JERAMI/IJUK/RUMBIA/DAUN-DAUNAN` meet.
pub fn normalize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.trim().chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && c != '/' && !out.ends_with('/') {
            out.push(' ');
        }
        pending_space = false;
        // Nearly every cell is ASCII: Unicode's case table only for the rest
        // (in the profile of a DTSEN import it was a fifth of the reader).
        if c.is_ascii() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

impl ValueSet {
    /// Maps a cell to its code.
    pub fn map(&self, raw: &str) -> Mapped {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Mapped::Empty;
        }
        let key = normalize(trimmed);
        match self.entries.iter().find(|(label, _)| *label == key) {
            Some((_, code)) => Mapped::Known(code),
            None => Mapped::Unknown(trimmed.to_lowercase()),
        }
    }

    /// The canonical source label of a code (for writing export files).
    pub fn label(&self, code: &str) -> Option<&'static str> {
        self.entries
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(l, _)| *l)
    }
}

macro_rules! value_set {
    ($name:ident, $codes:ident, $column:expr, [$(($label:expr, $code:expr)),+ $(,)?], [$($c:expr),+ $(,)?]) => {
        #[doc = concat!("Codes of `", $column, "`.")]
        pub const $codes: &[&str] = &[$($c),+];
        #[doc = concat!("Value set of `", $column, "`.")]
        pub const $name: ValueSet = ValueSet {
            column: $column,
            entries: &[$(($label, $code)),+],
            codes: $codes,
        };
    };
}

value_set!(
    RELATION,
    RELATION_CODES,
    "Hubungan dengan Kepala Keluarga",
    [
        ("KEPALA KELUARGA", "head"),
        ("ISTRI/SUAMI", "spouse"),
        ("ANAK", "child"),
        ("LAINNYA", "other"),
        ("ISTRI", "spouse"),
        ("SUAMI", "spouse"),
        ("KEPALA RUMAH TANGGA", "head"),
        ("ANAK KANDUNG", "child"),
        ("ANAK TIRI", "child"),
        ("ANAK ANGKAT", "child"),
        ("CUCU", "other"),
        ("ORANG TUA", "other"),
        ("MERTUA", "other"),
        ("MENANTU", "other"),
        ("FAMILI LAIN", "other"),
        ("PEMBANTU", "other"),
    ],
    ["head", "spouse", "child", "other"]
);

value_set!(
    MARITAL_STATUS,
    MARITAL_STATUS_CODES,
    "Status Kawin",
    [
        ("BELUM KAWIN", "single"),
        ("KAWIN", "married"),
        ("CERAI HIDUP", "divorced"),
        ("CERAI MATI", "widowed"),
        ("KAWIN TERCATAT", "married"),
        ("KAWIN BELUM TERCATAT", "married"),
    ],
    ["single", "married", "divorced", "widowed"]
);

value_set!(
    OCCUPATION,
    OCCUPATION_CODES,
    "Pekerjaan",
    [
        ("NELAYAN", "fisher"),
        ("PEDAGANG", "trader"),
        ("PEGAWAI SWASTA", "private_employee"),
        ("PEJABAT NEGARA", "state_official"),
        ("PEKERJA LEPAS", "casual_worker"),
        ("PENSIUNAN", "retired"),
        ("PETANI", "farmer"),
        ("PNS/TNI/POLRI", "civil_servant"),
        ("TIDAK/BELUM BEKERJA", "not_working"),
        ("WIRASWASTA", "entrepreneur"),
    ],
    [
        "fisher",
        "trader",
        "private_employee",
        "state_official",
        "casual_worker",
        "retired",
        "farmer",
        "civil_servant",
        "not_working",
        "entrepreneur"
    ]
);

value_set!(
    EMPLOYMENT_STATUS,
    EMPLOYMENT_STATUS_CODES,
    "Status Pekerjaan",
    [
        ("BERUSAHA SENDIRI", "self_employed"),
        (
            "BERUSAHA DIBANTU BURUH TETAP/DIBAYAR",
            "employer_paid_workers"
        ),
        (
            "BERUSAHA DIBANTU BURUH TIDAK TETAP/BURUH TIDAK DIBAYAR",
            "employer_unpaid_workers"
        ),
        ("BURUH/KARYAWAN/PEGAWAI", "employee"),
        ("PEKERJA BEBAS", "freelance"),
        ("PEKERJA KELUARGA/TIDAK DIBAYAR", "family_worker"),
        ("KOSONG", "unknown"),
    ],
    [
        "self_employed",
        "employer_paid_workers",
        "employer_unpaid_workers",
        "employee",
        "freelance",
        "family_worker",
        "unknown"
    ]
);

value_set!(
    EDUCATION,
    EDUCATION_CODES,
    "Pendidikan",
    [
        ("TIDAK/BELUM SEKOLAH", "no_school"),
        ("TDK TAMAT SD/SEDERAJAT", "primary_incomplete"),
        ("MASIH SD/SEDERAJAT", "in_primary"),
        ("TAMAT SD/SEDERAJAT", "primary"),
        ("MASIH SLTP/SEDERAJAT", "in_junior_secondary"),
        ("TAMAT SLTP/SEDERAJAT", "junior_secondary"),
        ("MASIH SLTA/SEDERAJAT", "in_senior_secondary"),
        ("TAMAT SLTA/SEDERAJAT", "senior_secondary"),
        ("MASIH PT/AKADEMI", "in_tertiary"),
        ("TAMAT PT/AKADEMI", "tertiary"),
        ("TIDAK TAMAT SD/SEDERAJAT", "primary_incomplete"),
    ],
    [
        "no_school",
        "primary_incomplete",
        "in_primary",
        "primary",
        "in_junior_secondary",
        "junior_secondary",
        "in_senior_secondary",
        "senior_secondary",
        "in_tertiary",
        "tertiary"
    ]
);

value_set!(
    HOUSE_OWNERSHIP,
    HOUSE_OWNERSHIP_CODES,
    "Kepemilikan Rumah",
    [
        ("MILIK SENDIRI", "own"),
        ("KONTRAK/SEWA", "rented"),
        ("BEBAS SEWA/MENUMPANG", "rent_free"),
        ("DINAS", "official"),
        ("LAINNYA", "other"),
    ],
    ["own", "rented", "rent_free", "official", "other"]
);

value_set!(
    YES_NO,
    YES_NO_CODES,
    "Ya/Tidak",
    [
        ("YA", "yes"),
        ("TIDAK", "no"),
        ("KOSONG", "unknown"),
        ("Y", "yes"),
        ("T", "no"),
    ],
    ["yes", "no", "unknown"]
);

value_set!(
    ROOF_MATERIAL,
    ROOF_MATERIAL_CODES,
    "Jenis Atap",
    [
        ("ASBES/SENG", "asbestos_zinc"),
        ("BAMBU", "bamboo"),
        ("BETON", "concrete"),
        ("GENTENG", "tile"),
        ("JERAMI/IJUK/RUMBIA/DAUN-DAUNAN", "thatch"),
        ("KAYU/SIRAP", "wood_shingle"),
        ("LAINNYA", "other"),
    ],
    [
        "asbestos_zinc",
        "bamboo",
        "concrete",
        "tile",
        "thatch",
        "wood_shingle",
        "other"
    ]
);

value_set!(
    WALL_MATERIAL,
    WALL_MATERIAL_CODES,
    "Jenis Dinding",
    [
        ("BAMBU", "bamboo"),
        ("KAYU/PAPAN", "wood"),
        ("SENG", "zinc"),
        ("TEMBOK", "masonry"),
        ("LAINNYA", "other"),
    ],
    ["bamboo", "wood", "zinc", "masonry", "other"]
);

value_set!(
    FLOOR_MATERIAL,
    FLOOR_MATERIAL_CODES,
    "Jenis Lantai",
    [
        ("BAMBU", "bamboo"),
        ("KAYU/PAPAN", "wood"),
        ("KERAMIK/GRANIT/MARMER/UBIN/TEGEL/TERASO", "ceramic_stone"),
        ("SEMEN", "cement"),
        ("TANAH", "earth"),
        ("LAINNYA", "other"),
    ],
    [
        "bamboo",
        "wood",
        "ceramic_stone",
        "cement",
        "earth",
        "other"
    ]
);

value_set!(
    QUALITY,
    QUALITY_CODES,
    "Kualitas Atap/Dinding/Lantai",
    [
        ("BAGUS/KUALITAS TINGGI", "good"),
        ("JELEK/KUALITAS RENDAH", "poor"),
        ("KOSONG", "unknown"),
    ],
    ["good", "poor", "unknown"]
);

value_set!(
    LIGHTING,
    LIGHTING_CODES,
    "Sumber Penerangan",
    [
        ("LISTRIK PLN METERAN", "pln_metered"),
        ("LISTRIK PLN NON METERAN", "pln_unmetered"),
        ("LISTRIK NON-PLN", "non_pln"),
        ("BUKAN LISTRIK", "no_electricity"),
        ("LISTRIK NON PLN", "non_pln"),
        ("LISTRIK PLN NON-METERAN", "pln_unmetered"),
    ],
    ["pln_metered", "pln_unmetered", "non_pln", "no_electricity"]
);

value_set!(
    POWER_CAPACITY,
    POWER_CAPACITY_CODES,
    "Daya Listrik Terpasang",
    [
        ("=< 900 WATT", "up_to_900w"),
        ("> 900 WATT", "above_900w"),
        ("KOSONG", "unknown"),
        ("<= 900 WATT", "up_to_900w"),
        ("=<900 WATT", "up_to_900w"),
        (">900 WATT", "above_900w"),
    ],
    ["up_to_900w", "above_900w", "unknown"]
);

value_set!(
    COOKING_FUEL,
    COOKING_FUEL_CODES,
    "Bahan Bakar Memasak",
    [
        ("LISTRIK/GAS", "electricity_gas"),
        ("MINYAK TANAH", "kerosene"),
        ("ARANG/KAYU", "charcoal_wood"),
        ("LAINNYA", "other"),
    ],
    ["electricity_gas", "kerosene", "charcoal_wood", "other"]
);

value_set!(
    DRINKING_WATER,
    DRINKING_WATER_CODES,
    "Sumber Air Minum",
    [
        ("AIR KEMASAN/ISI ULANG", "bottled"),
        ("LEDENG/PAM", "piped"),
        ("SUMUR BOR", "bored_well"),
        ("SUMUR TERLINDUNG", "protected_well"),
        ("SUMUR TIDAK TERLINDUNG", "unprotected_well"),
        ("AIR PERMUKAAN (SUNGAI, DANAU, DLL)", "surface_water"),
        ("AIR HUJAN", "rain_water"),
        ("LAINNYA", "other"),
        ("AIR PERMUKAAN (SUNGAI,DANAU,DLL)", "surface_water"),
    ],
    [
        "bottled",
        "piped",
        "bored_well",
        "protected_well",
        "unprotected_well",
        "surface_water",
        "rain_water",
        "other"
    ]
);

value_set!(
    TOILET,
    TOILET_CODES,
    "Memiliki fasilitas Buang Air Besar",
    [
        ("MILIK SENDIRI", "own"),
        ("UMUM/BERSAMA", "shared"),
        ("LAINNYA", "other"),
        ("KOSONG", "unknown"),
        ("TIDAK ADA", "none"),
    ],
    ["own", "shared", "other", "none", "unknown"]
);

value_set!(
    STUNTING_RISK,
    STUNTING_RISK_CODES,
    "Resiko Stunting",
    [
        ("BERESIKO STUNTING", "at_risk"),
        ("TIDAK BERESIKO STUNTING", "not_at_risk"),
        ("BUKAN TARGET SASARAN", "not_target"),
        ("BERISIKO STUNTING", "at_risk"),
        ("TIDAK BERISIKO STUNTING", "not_at_risk"),
    ],
    ["at_risk", "not_at_risk", "not_target"]
);

value_set!(
    VERIFICATION_PRIORITY,
    VERIFICATION_PRIORITY_CODES,
    "Prioritas Verval",
    [
        ("NORMAL", "normal"),
        ("KELUARGA DUPLIKAT (NIK & NAMA)", "duplicate_family"),
        ("KELUARGA NIK KOSONG", "empty_nik"),
        ("KELUARGA TIDAK ADA USIA 17+ TAHUN", "no_adult"),
        ("NIK DUPLIKAT", "duplicate_nik"),
    ],
    [
        "normal",
        "duplicate_family",
        "empty_nik",
        "no_adult",
        "duplicate_nik"
    ]
);

value_set!(
    DUKCAPIL_MATCH,
    DUKCAPIL_MATCH_CODES,
    "Padan Dukcapil",
    [
        ("PADAN", "matched"),
        ("TIDAK PADAN", "not_matched"),
        ("KOSONG", "unknown"),
    ],
    ["matched", "not_matched", "unknown"]
);

/// Every value set, for docs and tests.
pub const ALL: &[ValueSet] = &[
    RELATION,
    MARITAL_STATUS,
    OCCUPATION,
    EMPLOYMENT_STATUS,
    EDUCATION,
    HOUSE_OWNERSHIP,
    YES_NO,
    ROOF_MATERIAL,
    WALL_MATERIAL,
    FLOOR_MATERIAL,
    QUALITY,
    LIGHTING,
    POWER_CAPACITY,
    COOKING_FUEL,
    DRINKING_WATER,
    TOILET,
    STUNTING_RISK,
    VERIFICATION_PRIORITY,
    DUKCAPIL_MATCH,
];

/// Maps a cell to an optional code, keeping and flagging unknown values.
/// `header` is the column as named in the file, so the flag says where to look:
/// `unknown_value:Jenis Atap=XYZ`.
pub fn categorical(
    set: &ValueSet,
    header: &str,
    raw: &str,
    flags: &mut Vec<String>,
) -> Option<String> {
    match set.map(raw) {
        Mapped::Empty => None,
        Mapped::Known(code) => Some(code.to_owned()),
        Mapped::Unknown(v) => {
            flags.push(format!("unknown_value:{header}={}", echo(raw)));
            Some(v)
        }
    }
}

/// A `Ya`/`Tidak` cell as an optional bool (`KOSONG`/empty = unknown).
pub fn yes_no(header: &str, raw: &str, flags: &mut Vec<String>) -> Option<bool> {
    match YES_NO.map(raw) {
        Mapped::Known("yes") => Some(true),
        Mapped::Known("no") => Some(false),
        Mapped::Empty | Mapped::Known(_) => None,
        Mapped::Unknown(_) => {
            flags.push(format!("unknown_value:{header}={}", echo(raw)));
            None
        }
    }
}

/// A Dukcapil match cell (`PADAN`/`TIDAK PADAN`/`KOSONG`) as an optional bool.
pub fn dukcapil(header: &str, raw: &str, flags: &mut Vec<String>) -> Option<bool> {
    match DUKCAPIL_MATCH.map(raw) {
        Mapped::Known("matched") => Some(true),
        Mapped::Known("not_matched") => Some(false),
        Mapped::Empty | Mapped::Known(_) => None,
        Mapped::Unknown(_) => {
            flags.push(format!("unknown_value:{header}={}", echo(raw)));
            None
        }
    }
}

/// The label to write for an optional bool in a `Ya`/`Tidak` column.
pub fn yes_no_label(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "YA",
        Some(false) => "TIDAK",
        None => "KOSONG",
    }
}

/// The label to write for an optional Dukcapil match.
pub fn dukcapil_label(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "PADAN",
        Some(false) => "TIDAK PADAN",
        None => "KOSONG",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_stored_normalized_and_codes_listed() {
        for set in ALL {
            for (label, code) in set.entries {
                assert_eq!(&normalize(label), label, "{}", set.column);
                assert!(set.codes.contains(code), "{} {code}", set.column);
            }
            for code in set.codes {
                assert!(set.label(code).is_some(), "{} {code}", set.column);
            }
        }
    }

    #[test]
    fn normalizes_beyond_ascii_too() {
        assert_eq!(normalize("  tanah / bambu  "), "TANAH/BAMBU");
        assert_eq!(normalize("straße  ärmel"), "STRASSE ÄRMEL");
    }

    #[test]
    fn maps_labels_tolerating_case_and_spacing() {
        assert_eq!(
            ROOF_MATERIAL.map("JERAMI/IJUK/RUMBIA/ DAUN-DAUNAN"),
            Mapped::Known("thatch")
        );
        assert_eq!(
            ROOF_MATERIAL.map("  asbes / seng "),
            Mapped::Known("asbestos_zinc")
        );
        assert_eq!(
            DRINKING_WATER.map("Air Permukaan (Sungai, Danau, dll)"),
            Mapped::Known("surface_water")
        );
        assert_eq!(
            POWER_CAPACITY.map("=< 900 Watt"),
            Mapped::Known("up_to_900w")
        );
        assert_eq!(QUALITY.map("KOSONG"), Mapped::Known("unknown"));
        assert_eq!(QUALITY.map(""), Mapped::Empty);
    }

    #[test]
    fn unknown_value_is_kept_lowercased_and_flagged() {
        let mut flags = Vec::new();
        let v = categorical(&ROOF_MATERIAL, "Jenis Atap", " Daun Nipah ", &mut flags);
        assert_eq!(v.as_deref(), Some("daun nipah"));
        assert_eq!(
            flags,
            vec!["unknown_value:Jenis Atap=Daun Nipah".to_string()]
        );
    }

    #[test]
    fn yes_no_and_dukcapil() {
        let mut flags = Vec::new();
        assert_eq!(yes_no("Penerima PKH", "Ya", &mut flags), Some(true));
        assert_eq!(yes_no("Penerima PKH", "TIDAK", &mut flags), Some(false));
        assert_eq!(yes_no("Penerima PKH", "", &mut flags), None);
        assert_eq!(
            dukcapil("Padan Dukcapil", "TIDAK PADAN", &mut flags),
            Some(false)
        );
        assert!(flags.is_empty());
        assert_eq!(yes_no("Penerima PKH", "mungkin", &mut flags), None);
        assert_eq!(flags.len(), 1);
    }
}
