//! Region codes of Kemendagri (Kepmendagri 300.2.2-2138/2025) for Kukar:
//! the kabupaten, its kecamatan and their desa/kelurahan. The list ships with
//! the binary; old (2019) codes and names map to the current ones.

/// The official list (Kepmendagri 300.2.2-2138/2025), kept in `data/`.
pub const KUKAR_REGIONS_CSV: &str = include_str!("../../data/kukar_wilayah_kepmendagri_2025.csv");

pub use crate::domain::region_lookup::RegionRow;

/// The official list as rows, for seeding. The kabupaten's parent (the
/// province) is not a region of this list, so it has none.
pub fn official_rows() -> Result<Vec<RegionRow>, String> {
    let table = crate::domain::region_lookup::RegionTable::from_csv(KUKAR_REGIONS_CSV)
        .map_err(|e| e.to_string())?;
    Ok(table
        .rows()
        .into_iter()
        .map(|mut r| {
            if r.level == crate::domain::region_lookup::RegionLevel::Kabupaten {
                r.parent_code = None;
            }
            r
        })
        .collect())
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

/// The code of Kabupaten Kutai Kartanegara (2019 and 2025 alike).
pub const KUKAR: &str = "64.02";

/// Whether `input` has the shape of a code inside Kukar (the kabupaten, a
/// kecamatan or a desa, dotted or not), whether or not such a region exists.
pub fn is_kukar_code(input: &str) -> bool {
    normalize_code(input).is_some_and(|c| regions_overlap(&c, KUKAR) && c.len() >= KUKAR.len())
}

/// Whether two dotted region codes overlap: equal, or one lies inside the
/// other (`64.02.06` and `64.02.06.1001`). `64.02.1` is not inside `64.02.10`.
pub fn regions_overlap(a: &str, b: &str) -> bool {
    let inside = |child: &str, parent: &str| {
        child
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('.'))
    };
    a == b || inside(a, b) || inside(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_list_has_one_kabupaten_20_kecamatan_and_237_desa() {
        let rows = official_rows().unwrap();
        let count = |l: &str| rows.iter().filter(|r| r.level.as_str() == l).count();
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

    #[test]
    fn regions_overlap_when_equal_or_nested_on_a_dot() {
        assert!(regions_overlap("64.02.06", "64.02.06"));
        assert!(regions_overlap("64.02.06", "64.02.06.1001"));
        assert!(regions_overlap("64.02.06.1001", "64.02"));
        assert!(!regions_overlap("64.02.06", "64.02.07.1001"));
        assert!(!regions_overlap("64.02.1", "64.02.10"));
    }
}
