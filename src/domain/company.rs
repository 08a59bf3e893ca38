//! Rules of company records: the NIB, the legal form,
//! contact details, and how a working area matches a region.
//!
//! The sector is [`crate::domain::compliance::Sector`]: it decides the TJSP
//! duty, so it lives with the compliance rules.

use std::fmt;

use crate::domain::role::wire_enum;

wire_enum! {
    /// The legal form of a company (*bentuk badan usaha*).
    pub enum LegalForm: "legal form" {
        /// Perseroan Terbatas.
        Pt = "pt",
        /// Commanditaire Vennootschap.
        Cv = "cv",
        /// Cooperative.
        Koperasi = "koperasi",
        /// Regional state-owned enterprise (Badan Usaha Milik Daerah).
        Bumd = "bumd",
        /// State-owned enterprise (Badan Usaha Milik Negara).
        Bumn = "bumn",
        /// Any other form (firma, yayasan, branch of a foreign company, …).
        Other = "other",
    }
}

/// *Nomor Induk Berusaha*, the business identification number issued by OSS:
/// exactly 13 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nib(String);

impl Nib {
    /// Accepts 13 digits, ignoring surrounding whitespace.
    pub fn parse(input: &str) -> Result<Nib, &'static str> {
        let s = input.trim();
        if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Nib(s.to_string()))
        } else {
            Err("must be exactly 13 digits")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Nib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest company name, address and contact name accepted.
pub const MAX_NAME: usize = 200;
pub const MAX_ADDRESS: usize = 500;

/// A required free-text field: not blank, at most `max` characters as sent
/// (the contract's `maxLength` counts what the client sends, spaces and
/// all), stored trimmed.
pub fn check_text(value: &str, max: usize) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else if value.chars().count() > max {
        Err(format!("must have at most {max} characters"))
    } else {
        Ok(t.to_string())
    }
}

/// A plausible e-mail address: one `@`, a local part, a dotted domain, no
/// spaces, at most 254 characters. Deliverability is not ours to judge.
pub fn check_email(value: &str) -> Result<String, &'static str> {
    let t = value.trim();
    let bad = "must be an e-mail address such as csr@example.co.id";
    if t.len() > 254 || t.chars().any(char::is_whitespace) {
        return Err(bad);
    }
    let Some((local, domain)) = t.split_once('@') else {
        return Err(bad);
    };
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok {
        return Err(bad);
    }
    Ok(t.to_string())
}

/// A phone number as people write it: digits, spaces, `+` and `-`, 8–20
/// characters, at least 8 digits (`+62 541 661234`, `0812-5555-1234`).
pub fn check_phone(value: &str) -> Result<String, &'static str> {
    let t = value.trim();
    let shape = (8..=20).contains(&t.chars().count())
        && value.chars().count() <= 20
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'));
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if shape && digits >= 8 {
        Ok(t.to_string())
    } else {
        Err("must be 8–20 characters of digits, spaces, `+` and `-`")
    }
}

/// `LIKE` patterns that find, in a working area stored as a JSON array of
/// codes, every code overlapping `code`: the code itself, the regions inside
/// it, and the regions it lies inside. Region codes contain only digits and
/// dots, so no pattern needs escaping.
pub fn working_area_patterns(code: &str) -> Vec<String> {
    let mut out = vec![format!("%\"{code}\"%"), format!("%\"{code}.%")];
    let mut ancestor = code;
    while let Some((parent, _)) = ancestor.rsplit_once('.') {
        out.push(format!("%\"{parent}\"%"));
        ancestor = parent;
    }
    out
}

/// The target regions that do not lie in the working area (docs/SECURITY.md):
/// a region lies in it when it is one of its codes or inside one (a desa of
/// a working-area kecamatan); a kecamatan does not lie in one of its desa.
/// Codes are current dotted codes.
pub fn outside_working_area(targets: &[String], area: &[String]) -> Vec<String> {
    targets
        .iter()
        .filter(|t| {
            !area.iter().any(|a| {
                *t == a
                    || t.strip_prefix(a.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_regions_lie_in_the_working_area_when_equal_or_inside() {
        let area = vec!["64.02.06".to_string(), "64.02.07.2004".to_string()];
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(outside_working_area(&t(&["64.02.06", "64.02.06.1001"]), &area).is_empty());
        assert!(outside_working_area(&t(&["64.02.07.2004"]), &area).is_empty());
        assert_eq!(
            outside_working_area(&t(&["64.02.07", "64.02.060", "64.02.08.1001"]), &area),
            t(&["64.02.07", "64.02.060", "64.02.08.1001"])
        );
        assert_eq!(
            outside_working_area(&t(&["64.02.06"]), &[]),
            t(&["64.02.06"])
        );
    }

    #[test]
    fn a_nib_is_exactly_13_digits() {
        assert_eq!(
            Nib::parse(" 9120001234567 ").unwrap().as_str(),
            "9120001234567"
        );
        assert!(Nib::parse("912000123456").is_err());
        assert!(Nib::parse("91200012345678").is_err());
        assert!(Nib::parse("91200012345a7").is_err());
        assert!(Nib::parse("").is_err());
    }

    #[test]
    fn legal_forms_travel_in_lower_case() {
        assert_eq!("pt".parse::<LegalForm>().unwrap(), LegalForm::Pt);
        assert!("PT".parse::<LegalForm>().is_err());
        assert_eq!(
            serde_json::to_string(&LegalForm::ALL).unwrap(),
            r#"["pt","cv","koperasi","bumd","bumn","other"]"#
        );
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(check_email(" csr@mitra.co.id ").unwrap(), "csr@mitra.co.id");
        for bad in [
            "csr",
            "@mitra.co.id",
            "csr@mitra",
            "csr@.id",
            "c sr@mitra.id",
            "a@b@c.id",
            "csr@mitra..id",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_are_digits_spaces_plus_and_dashes_of_8_to_20_characters() {
        for ok in ["+62 541 661234", "0812-5555-1234", "05416612345"] {
            assert!(check_phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1234567",
            "+62 (541) 661234",
            "0812 5555 1234 5555 12",
            "call me",
            "+-+- -+-+",
        ] {
            assert!(check_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(check_text("  PT Mitra ", 11).unwrap(), "PT Mitra");
        // Counted as sent: the padding counts towards the bound.
        assert!(check_text("  PT Mitra ", 10).is_err());
        assert!(check_text("   ", 10).is_err());
        assert!(check_text("abcdefghijk", 10).is_err());
    }

    #[test]
    fn working_area_patterns_cover_the_code_its_children_and_its_ancestors() {
        assert_eq!(
            working_area_patterns("64.02.06.1001"),
            [
                "%\"64.02.06.1001\"%",
                "%\"64.02.06.1001.%",
                "%\"64.02.06\"%",
                "%\"64.02\"%",
                "%\"64\"%"
            ]
        );
        let stored = r#"["64.02.06","64.02.07.1001"]"#;
        let like = |p: &str| {
            let inner = p.trim_matches('%');
            stored.contains(inner)
        };
        assert!(working_area_patterns("64.02.06.1001")
            .iter()
            .any(|p| like(p)));
        assert!(working_area_patterns("64.02.07").iter().any(|p| like(p)));
        assert!(!working_area_patterns("64.02.08").iter().any(|p| like(p)));
    }
}
