//! The NIK (Nomor Induk Kependudukan): parsing, the sex and birth date it
//! encodes, masking for callers who may not see personal data, and the check
//! that a record's sex and birth date agree with it.
//!
//! Layout `PPKKCC DDMMYY SSSS`: region of first registration, birth day (+40 for
//! women), month, two-digit year, serial. There is no checksum, so a NIK that
//! parses is only *plausible*; Dukcapil is the authority on whether it exists.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A syntactically valid NIK: 16 digits with a real birth date and a serial ≥ 0001.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nik(String);

/// Why a string is not a NIK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Wrong length or a non-digit character.
    #[error("NIK must be 16 digits")]
    NotSixteenDigits,
    /// DD (minus 40 for women) and MM do not form a real date in 19YY or 20YY.
    #[error("NIK day/month is not a real date")]
    NotARealDate,
    /// The last four digits are 0000.
    #[error("NIK serial must be 0001 or more")]
    SerialZero,
}

/// Sex as recorded in P3KE/DTKS and encoded in the NIK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The wire string: `male` or `female`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Reads the values P3KE and DTKS use (`LAKI-LAKI`, `PEREMPUAN`, `L`, `P`,
    /// SIKS-NG's `1`/`2`) and the wire strings; `None` for anything else.
    pub fn from_source(raw: &str) -> Option<Sex> {
        let v: String = raw
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_uppercase)
            .collect();
        match v.as_str() {
            "LAKILAKI" | "L" | "LK" | "PRIA" | "MALE" | "M" | "1" => Some(Sex::Male),
            "PEREMPUAN" | "P" | "PR" | "WANITA" | "FEMALE" | "F" | "W" | "2" => Some(Sex::Female),
            _ => None,
        }
    }

    /// The P3KE/DTKS label, used when writing export files.
    pub fn source_label(self) -> &'static str {
        match self {
            Sex::Male => "LAKI-LAKI",
            Sex::Female => "PEREMPUAN",
        }
    }
}

impl std::str::FromStr for Sex {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sex::from_source(s).ok_or(())
    }
}

/// A disagreement between a NIK and the sex or birth date recorded beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NikFlag {
    SexMismatch,
    BirthDateMismatch,
}

impl NikFlag {
    /// The flag string stored on records (`nik_sex_mismatch`, `nik_birth_date_mismatch`).
    pub fn as_str(self) -> &'static str {
        match self {
            NikFlag::SexMismatch => "nik_sex_mismatch",
            NikFlag::BirthDateMismatch => "nik_birth_date_mismatch",
        }
    }
}

/// Removes what spreadsheets add around identity numbers: spaces inside the
/// number and Excel's leading apostrophe that forces a text cell.
pub(crate) fn clean_digits(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('\'')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A personal identifier (NIK, No. KK) as a caller who may not see personal
/// data sees it: the first 6 (region) and last 2 characters, the rest `*`.
/// The one masking rule for stored values, valid or not: a value of 8
/// characters or fewer would show all of itself, so it is masked whole.
pub fn mask_digits(s: &str) -> String {
    let n = s.chars().count();
    if n <= 8 {
        return "*".repeat(n);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i + 2 >= n { c } else { '*' })
        .collect()
}

fn two(s: &str, at: usize) -> u32 {
    // Only called on strings already checked to be 16 ASCII digits.
    s.as_bytes()[at..at + 2]
        .iter()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

impl Nik {
    /// Parses a NIK, tolerating surrounding/inner spaces and a leading apostrophe.
    pub fn parse(raw: &str) -> Result<Nik, NikError> {
        let s = clean_digits(raw);
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NikError::NotSixteenDigits);
        }
        let nik = Nik(s);
        let (day, month, yy) = nik.day_month_yy();
        let real = |year: i32| NaiveDate::from_ymd_opt(year, month, day).is_some();
        if !(real(1900 + yy as i32) || real(2000 + yy as i32)) {
            return Err(NikError::NotARealDate);
        }
        if nik.0.ends_with("0000") {
            return Err(NikError::SerialZero);
        }
        Ok(nik)
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth day (without the +40), month and two-digit year.
    fn day_month_yy(&self) -> (u32, u32, u32) {
        let raw_day = two(&self.0, 6);
        let day = if raw_day > 40 { raw_day - 40 } else { raw_day };
        (day, two(&self.0, 8), two(&self.0, 10))
    }

    /// Female when the day field is above 40.
    pub fn sex(&self) -> Sex {
        if two(&self.0, 6) > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The birth date, with the century chosen so the date is not after `today`.
    pub fn birth_date(&self, today: NaiveDate) -> NaiveDate {
        let (day, month, yy) = self.day_month_yy();
        let c20 = NaiveDate::from_ymd_opt(2000 + yy as i32, month, day);
        let c19 = NaiveDate::from_ymd_opt(1900 + yy as i32, month, day);
        match (c20, c19) {
            (Some(d), _) if d <= today => d,
            (_, Some(d)) => d,
            (Some(d), None) => d,
            // `parse` guarantees one century gives a real date; MIN is never reached.
            (None, None) => NaiveDate::MIN,
        }
    }

    /// `640206********01`: region and last two digits, enough to tell records apart.
    pub fn mask(&self) -> String {
        mask_digits(&self.0)
    }

    /// The 4-digit kecamatan part `PPKK` + `CC` (first 6 digits).
    pub fn region_part(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Nik {
    type Error = NikError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Nik::parse(&value)
    }
}

impl From<Nik> for String {
    fn from(n: Nik) -> String {
        n.0
    }
}

/// Flags where the recorded sex or birth date disagrees with the NIK.
/// Birth dates compare on day, month and two-digit year only, because the NIK
/// does not carry the century.
pub fn check_consistency(
    nik: &Nik,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
) -> Vec<NikFlag> {
    let mut flags = Vec::new();
    if let Some(s) = sex {
        if s != nik.sex() {
            flags.push(NikFlag::SexMismatch);
        }
    }
    if let Some(d) = birth_date {
        let (day, month, yy) = nik.day_month_yy();
        if d.day() != day || d.month() != month || d.year().rem_euclid(100) as u32 != yy {
            flags.push(NikFlag::BirthDateMismatch);
        }
    }
    flags
}

/// Builds a NIK string from its parts (used by the demo generator and tests).
pub fn compose(region6: &str, sex: Sex, birth_date: NaiveDate, serial: u16) -> String {
    let day = birth_date.day() + if sex == Sex::Female { 40 } else { 0 };
    format!(
        "{region6}{day:02}{:02}{:02}{serial:04}",
        birth_date.month(),
        birth_date.year().rem_euclid(100)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_a_male_nik() {
        let nik = Nik::parse(" 6402061203850001 ").unwrap();
        assert_eq!(nik.as_str(), "6402061203850001");
        assert_eq!(nik.sex(), Sex::Male);
        assert_eq!(nik.birth_date(d(2025, 1, 1)), d(1985, 3, 12));
    }

    #[test]
    fn female_day_has_forty_added() {
        let nik = Nik::parse("6402065203150002").unwrap();
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_date(d(2025, 1, 1)), d(2015, 3, 12));
    }

    #[test]
    fn century_is_not_in_the_future() {
        let nik = Nik::parse("6402060101300001").unwrap();
        assert_eq!(nik.birth_date(d(2025, 6, 1)), d(1930, 1, 1));
        let nik = Nik::parse("6402060101240001").unwrap();
        assert_eq!(nik.birth_date(d(2025, 6, 1)), d(2024, 1, 1));
    }

    #[test]
    fn rejects_february_30_and_impossible_days() {
        assert_eq!(Nik::parse("6402063002850001"), Err(NikError::NotARealDate));
        assert_eq!(Nik::parse("6402067002850001"), Err(NikError::NotARealDate));
        assert_eq!(Nik::parse("6402063213850001"), Err(NikError::NotARealDate));
        assert_eq!(Nik::parse("6402060001850001"), Err(NikError::NotARealDate));
        // 29 Feb 00 exists in 2000 only; either century is accepted.
        assert!(Nik::parse("6402062902000001").is_ok());
        assert_eq!(Nik::parse("6402062902010001"), Err(NikError::NotARealDate));
    }

    #[test]
    fn rejects_serial_zero() {
        assert_eq!(Nik::parse("6402061203850000"), Err(NikError::SerialZero));
    }

    #[test]
    fn rejects_wrong_length_and_letters() {
        assert_eq!(
            Nik::parse("640206120385001"),
            Err(NikError::NotSixteenDigits)
        );
        assert_eq!(
            Nik::parse("64020612038500011"),
            Err(NikError::NotSixteenDigits)
        );
        assert_eq!(
            Nik::parse("64020612038500A1"),
            Err(NikError::NotSixteenDigits)
        );
        assert_eq!(Nik::parse(""), Err(NikError::NotSixteenDigits));
        assert_eq!(
            NikError::NotSixteenDigits.to_string(),
            "NIK must be 16 digits"
        );
    }

    #[test]
    fn tolerates_spreadsheet_artifacts() {
        assert!(Nik::parse("'6402 0612 0385 0001").is_ok());
    }

    #[test]
    fn masks_all_but_region_and_last_two() {
        let nik = Nik::parse("6402061203850001").unwrap();
        assert_eq!(nik.mask(), "640206********01");
    }

    #[test]
    fn masks_a_short_value_whole() {
        assert_eq!(mask_digits(""), "");
        assert_eq!(mask_digits("1234"), "****");
        assert_eq!(mask_digits("12345678"), "********");
        assert_eq!(mask_digits("123456789"), "123456*89");
    }

    #[test]
    fn masks_a_malformed_value_by_the_same_rule() {
        // Stored as given when it did not parse: still only 6 + 2 visible.
        assert_eq!(mask_digits("6402-0612-0385"), "6402-0******85");
        assert_eq!(mask_digits("64020612038500011"), "640206*********11");
        assert_eq!(mask_digits("ÄÖÜ640206xx"), "ÄÖÜ640***xx");
    }

    #[test]
    fn flags_sex_and_birth_date_mismatch() {
        let nik = Nik::parse("6402065203150002").unwrap();
        assert!(check_consistency(&nik, Some(Sex::Female), Some(d(2015, 3, 12))).is_empty());
        assert!(check_consistency(&nik, None, None).is_empty());
        assert_eq!(
            check_consistency(&nik, Some(Sex::Male), Some(d(2015, 3, 13))),
            vec![NikFlag::SexMismatch, NikFlag::BirthDateMismatch]
        );
        // Only the two-digit year is compared.
        assert!(check_consistency(&nik, None, Some(d(1915, 3, 12))).is_empty());
    }

    #[test]
    fn compose_round_trips() {
        let s = compose("640206", Sex::Female, d(1990, 7, 5), 12);
        assert_eq!(s, "6402064507900012");
        let nik = Nik::parse(&s).unwrap();
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_date(d(2025, 1, 1)), d(1990, 7, 5));
    }

    #[test]
    fn sex_reads_source_values() {
        for v in ["LAKI-LAKI", "Laki-laki", "laki laki", "L", "male"] {
            assert_eq!(Sex::from_source(v), Some(Sex::Male), "{v}");
        }
        for v in ["PEREMPUAN", "Perempuan", "P", "female"] {
            assert_eq!(Sex::from_source(v), Some(Sex::Female), "{v}");
        }
        assert_eq!(Sex::from_source("X"), None);
        assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
    }
}
