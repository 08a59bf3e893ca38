//! Finding a Kukar desa/kelurahan from what import files give: a 10-digit
//! Kemendagri code (2025 or 2019) or kecamatan + desa names (current or old).
//! [`RegionTable`] is built from `kukar_wilayah_kepmendagri_2025.csv`, which is
//! also what the service seeds its regions table from ([`RegionTable::rows`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::role::wire_enum;

wire_enum! {
    /// The level of a region of the Kepmendagri list.
    pub enum RegionLevel: "region level" {
        Kabupaten = "kabupaten",
        Kecamatan = "kecamatan",
        Desa = "desa",
        Kelurahan = "kelurahan",
    }
}

/// Resolves file values to the 2025 dotted desa/kelurahan code.
pub trait RegionLookup {
    /// `6402062001` (2025 or 2019 code, dots ignored) → `64.02.06.2001`.
    fn desa_by_code10(&self, code10: &str) -> Option<String>;
    /// Kecamatan and desa names (case, spacing and old names tolerated) → code.
    fn desa_by_names(&self, kecamatan: &str, desa: &str) -> Option<String>;
}

/// One row of the regions CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionRow {
    /// Dotted 2025 code, e.g. `64.02.06.2001`.
    pub code: String,
    /// Digits only, e.g. `6402062001`.
    pub code10: String,
    pub level: RegionLevel,
    pub name: String,
    pub parent_code: Option<String>,
    /// Dotted code before 2025 (`kode_lama_2019`).
    pub old_code: Option<String>,
    /// Name before 2025 (`nama_lama`).
    pub old_name: Option<String>,
}

impl RegionRow {
    /// Desa or kelurahan: the levels a household can live in.
    pub fn is_village(&self) -> bool {
        matches!(self.level, RegionLevel::Desa | RegionLevel::Kelurahan)
    }
}

/// Why the regions CSV could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RegionTableError {
    #[error("regions CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("regions CSV: missing column {0}")]
    MissingColumn(&'static str),
    #[error("regions CSV: {0}")]
    Level(#[from] crate::domain::role::UnknownValue),
}

/// The Kukar regions with indexes for code and name lookups.
#[derive(Debug, Clone, Default)]
pub struct RegionTable {
    rows: Vec<RegionRow>,
    by_digits: HashMap<String, usize>,
    kecamatan_by_name: HashMap<String, String>,
    /// (kecamatan code, normalized desa name) → desa code. Includes old names,
    /// and desas under the kecamatan of their 2019 code, so a file that still
    /// uses the kecamatan a desa was split from finds it.
    desa_by_kec_name: HashMap<(String, String), String>,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Lower case, single spaces, without the `Desa`/`Kelurahan`/`Kecamatan` prefix
/// some exports put in front of the name.
pub fn normalize_name(s: &str) -> String {
    let lower = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    for prefix in [
        "kecamatan ",
        "kec. ",
        "kec ",
        "kelurahan ",
        "kel. ",
        "kel ",
        "desa ",
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    lower
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl RegionTable {
    /// Parses the regions CSV (header `kode,kode10,level,jenis,nama,kode_induk,
    /// kode_lama_2019,nama_lama,catatan`; columns found by name).
    pub fn from_csv(text: &str) -> Result<RegionTable, RegionTableError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers()?.clone();
        let col = |name: &'static str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or(RegionTableError::MissingColumn(name))
        };
        let (c_code, c_jenis, c_name, c_parent) = (
            col("kode")?,
            col("jenis")?,
            col("nama")?,
            col("kode_induk")?,
        );
        let c_old_code = col("kode_lama_2019").ok();
        let c_old_name = col("nama_lama").ok();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record?;
            let get = |i: usize| record.get(i).unwrap_or("").trim();
            let code = get(c_code).to_string();
            if code.is_empty() {
                continue;
            }
            rows.push(RegionRow {
                code10: digits(&code),
                code,
                level: get(c_jenis).to_lowercase().parse()?,
                name: get(c_name).to_string(),
                parent_code: non_empty(get(c_parent)),
                old_code: c_old_code.and_then(|i| non_empty(get(i))),
                old_name: c_old_name.and_then(|i| non_empty(get(i))),
            });
        }
        Ok(RegionTable::from_rows(rows))
    }

    /// Builds the indexes over already-parsed rows.
    pub fn from_rows(rows: Vec<RegionRow>) -> RegionTable {
        let mut t = RegionTable {
            rows,
            ..RegionTable::default()
        };
        for (i, r) in t.rows.iter().enumerate() {
            if r.level == RegionLevel::Kecamatan {
                t.kecamatan_by_name
                    .insert(normalize_name(&r.name), r.code.clone());
                if let Some(old) = &r.old_name {
                    t.kecamatan_by_name
                        .entry(normalize_name(old))
                        .or_insert_with(|| r.code.clone());
                }
            }
            if !r.is_village() {
                continue;
            }
            t.by_digits.insert(r.code10.clone(), i);
            let parent = r.parent_code.clone().unwrap_or_default();
            let mut names = vec![normalize_name(&r.name)];
            if let Some(old) = &r.old_name {
                names.push(normalize_name(old));
            }
            let mut parents = vec![parent];
            if let Some(old) = &r.old_code {
                // Old codes index only where no current code claims them.
                t.by_digits.entry(digits(old)).or_insert(i);
                if let Some((old_parent, _)) = old.rsplit_once('.') {
                    parents.push(old_parent.to_string());
                }
            }
            for p in &parents {
                for n in &names {
                    t.desa_by_kec_name
                        .entry((p.clone(), n.clone()))
                        .or_insert_with(|| r.code.clone());
                }
            }
        }
        t
    }

    /// All rows, in file order.
    pub fn rows(&self) -> Vec<RegionRow> {
        self.rows.clone()
    }

    /// The rows without copying.
    pub fn iter(&self) -> impl Iterator<Item = &RegionRow> {
        self.rows.iter()
    }

    /// A row by its dotted 2025 code.
    pub fn get(&self, code: &str) -> Option<&RegionRow> {
        self.rows.iter().find(|r| r.code == code)
    }
}

impl RegionLookup for RegionTable {
    fn desa_by_code10(&self, code10: &str) -> Option<String> {
        let d = digits(code10);
        if d.len() != 10 {
            return None;
        }
        self.by_digits.get(&d).map(|&i| self.rows[i].code.clone())
    }

    fn desa_by_names(&self, kecamatan: &str, desa: &str) -> Option<String> {
        let kec = self.kecamatan_by_name.get(&normalize_name(kecamatan))?;
        self.desa_by_kec_name
            .get(&(kec.clone(), normalize_name(desa)))
            .cloned()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn kukar() -> RegionTable {
        RegionTable::from_csv(crate::domain::region::KUKAR_REGIONS_CSV).unwrap()
    }

    #[test]
    fn reads_all_levels() {
        let t = kukar();
        let rows = t.rows();
        assert_eq!(
            rows.iter()
                .filter(|r| r.level == RegionLevel::Kecamatan)
                .count(),
            20
        );
        assert_eq!(rows.iter().filter(|r| r.is_village()).count(), 237);
        assert_eq!(rows[0].level, RegionLevel::Kabupaten);
    }

    #[test]
    fn maps_current_and_2019_codes() {
        let t = kukar();
        assert_eq!(
            t.desa_by_code10("6402192001").as_deref(),
            Some("64.02.19.2001")
        );
        assert_eq!(
            t.desa_by_code10("6402082001").as_deref(),
            Some("64.02.19.2001")
        );
        assert_eq!(
            t.desa_by_code10("64.02.19.2001").as_deref(),
            Some("64.02.19.2001")
        );
        assert_eq!(t.desa_by_code10("640219"), None);
        assert_eq!(t.desa_by_code10("6402999999"), None);
    }

    #[test]
    fn maps_names_including_old_names() {
        let t = kukar();
        assert_eq!(
            t.desa_by_names("LOA KULU", "karya  utama").as_deref(),
            Some("64.02.02.2009")
        );
        assert_eq!(
            t.desa_by_names("Loa Kulu", "Jonggon Jaya").as_deref(),
            Some("64.02.02.2009")
        );
        assert_eq!(
            t.desa_by_names("Kota Bangun Darat", "Kedang Ipil")
                .as_deref(),
            Some("64.02.19.2001")
        );
        // Still filed under the kecamatan it was split from.
        assert_eq!(
            t.desa_by_names("Kota Bangun", "Kedang Ipil").as_deref(),
            Some("64.02.19.2001")
        );
        assert_eq!(t.desa_by_names("Loa Kulu", "Nowhere"), None);
        assert_eq!(t.desa_by_names("Nowhere", "Jonggon Jaya"), None);
    }
}
