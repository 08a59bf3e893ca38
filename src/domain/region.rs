//! Region codes of Kemendagri (Kepmendagri 300.2.2-2138/2025) for Kukar:
//! the kabupaten, its kecamatan and their desa/kelurahan. The list ships with
//! the binary; old (2019) codes and names map to the current ones.

use serde::Deserialize;

/// The official list, as copied from `shared/` into `data/`.
pub const KUKAR_REGIONS_CSV: &str = include_str!("../../data/kukar_wilayah_kepmendagri_2025.csv");

/// Levels of the region tree.
pub const LEVELS: [&str; 4] = ["kabupaten", "kecamatan", "desa", "kelurahan"];

/// One region of the official list.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    /// Dotted code, e.g. `64.02.06.1001`.
    pub code: String,
    /// The same code without dots, as P3KE files write it.
    pub code10: String,
    pub level: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// The 2019 code this region had, where it changed.
    pub old_code: Option<String>,
    /// The name used before 2025, where it changed.
    pub old_name: Option<String>,
}

#[derive(Deserialize)]
struct CsvRow {
    kode: String,
    kode10: String,
    jenis: String,
    nama: String,
    kode_induk: String,
    kode_lama_2019: String,
    nama_lama: String,
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Parses the official CSV. The kabupaten's parent (the province) is not in the
/// list, so it has none.
pub fn parse_regions_csv(text: &str) -> Result<Vec<RegionRow>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.deserialize::<CsvRow>() {
        let r = rec.map_err(|e| format!("region list: {e}"))?;
        let level = r.jenis.trim().to_string();
        rows.push(RegionRow {
            code: r.kode.trim().to_string(),
            code10: r.kode10.trim().to_string(),
            parent_code: if level == "kabupaten" {
                None
            } else {
                non_empty(r.kode_induk)
            },
            level,
            name: r.nama.trim().to_string(),
            old_code: non_empty(r.kode_lama_2019),
            old_name: non_empty(r.nama_lama),
        });
    }
    Ok(rows)
}

/// Turns a code written with or without dots into the dotted form
/// (`6402061001` → `64.02.06.1001`); `None` when it has no region code's shape.
pub fn normalize_code(input: &str) -> Option<String> {
    let s = input.trim();
    let digits: String = s.chars().filter(|c| *c != '.').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = match digits.len() {
        2 => vec![&digits[0..2]],
        4 => vec![&digits[0..2], &digits[2..4]],
        6 => vec![&digits[0..2], &digits[2..4], &digits[4..6]],
        10 => vec![&digits[0..2], &digits[2..4], &digits[4..6], &digits[6..10]],
        _ => return None,
    };
    let dotted = parts.join(".");
    // A dotted input must have its dots where the code's segments are.
    if s.contains('.') && s != dotted {
        return None;
    }
    Some(dotted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_list_has_one_kabupaten_20_kecamatan_and_237_desa() {
        let rows = parse_regions_csv(KUKAR_REGIONS_CSV).unwrap();
        let count = |l: &str| rows.iter().filter(|r| r.level == l).count();
        assert_eq!(count("kabupaten"), 1);
        assert_eq!(count("kecamatan"), 20);
        assert_eq!(count("desa") + count("kelurahan"), 237);
        assert!(rows
            .iter()
            .any(|r| r.old_code.as_deref() == Some("64.02.08.2001")));
    }

    #[test]
    fn codes_normalize_with_and_without_dots() {
        assert_eq!(
            normalize_code("6402061001").as_deref(),
            Some("64.02.06.1001")
        );
        assert_eq!(normalize_code("64.02.06").as_deref(), Some("64.02.06"));
        assert_eq!(normalize_code("64.0206"), None);
        assert_eq!(normalize_code("64020"), None);
        assert_eq!(normalize_code("abc"), None);
    }
}
