//! The consent gate (docs/SECURITY.md, "What a company sees"): how much of a
//! household a caller sees. Government roles see it whole; a company sees it
//! masked (NIK and No. KK cut to their first 6 and last 2 digits, birth dates
//! hidden), or pseudonymised when every dataset behind it forbids onward
//! sharing and the family has not agreed, at a visit of one of the company's
//! programs, to share with it: then no name, NIK, No. KK, source ids,
//! address or birth date, only what a program needs to choose (region, desil,
//! needs, each member's age band, sex and schooling) and the household's id
//! as the reference. Which households are gated is decided in SQL, one query
//! per page (`db::exposure::pseudonymised_for`); this is what each view shows.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::nik::mask_digits;

/// How much of a household's personal data a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// Government roles: everything.
    Full,
    /// A company, for a household it may see by name: NIK and No. KK
    /// masked, birth dates hidden.
    Masked,
    /// A company, for a household behind the consent gate: nothing that
    /// names or locates the family.
    Pseudonymised,
}

impl Disclosure {
    /// The view of a caller: a company's is masked, or pseudonymised when
    /// the household is gated for it; everyone else's is full.
    pub fn of(company: bool, gated: bool) -> Disclosure {
        match (company, gated) {
            (false, _) => Disclosure::Full,
            (true, false) => Disclosure::Masked,
            (true, true) => Disclosure::Pseudonymised,
        }
    }

    pub fn is_pseudonymised(self) -> bool {
        self == Disclosure::Pseudonymised
    }

    /// A name, an address or a source registry's id (P3KE, DTKS): whole,
    /// unless pseudonymised (the source ids look the family up by name in
    /// the source's own data).
    pub fn naming<T>(self, value: Option<T>) -> Option<T> {
        if self.is_pseudonymised() {
            None
        } else {
            value
        }
    }

    /// A NIK or No. KK: whole, masked, or withheld.
    pub fn identifier(self, value: Option<String>) -> Option<String> {
        match self {
            Disclosure::Full => value,
            Disclosure::Masked => value.map(|v| mask_digits(&v)),
            Disclosure::Pseudonymised => None,
        }
    }

    /// A birth date: to government roles only (a company gets the age band).
    pub fn birth_date(self, value: Option<NaiveDate>) -> Option<NaiveDate> {
        self.government_only(value)
    }

    /// What only government roles see: a birth date, the house's geotag,
    /// the PLN customer id, a member's health (disability items, illness).
    pub fn government_only<T>(self, value: Option<T>) -> Option<T> {
        match self {
            Disclosure::Full => value,
            Disclosure::Masked | Disclosure::Pseudonymised => None,
        }
    }
}

/// A person's age in the bands programs plan by: under-fives (nutrition,
/// stunting), primary school age, secondary school age, working age, elderly.
/// Shown to every role, in place of the birth date a company never sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum AgeBand {
    #[serde(rename = "0-5")]
    UnderSix,
    #[serde(rename = "6-12")]
    PrimarySchool,
    #[serde(rename = "13-17")]
    SecondarySchool,
    #[serde(rename = "18-59")]
    WorkingAge,
    #[serde(rename = "60+")]
    Elderly,
}

impl AgeBand {
    /// The band of someone born on `birth`, in whole years on `today`
    /// (regency time); `None` for a birth date after today.
    pub fn of(birth: NaiveDate, today: NaiveDate) -> Option<AgeBand> {
        let age = today.years_since(birth)?;
        Some(match age {
            0..=5 => AgeBand::UnderSix,
            6..=12 => AgeBand::PrimarySchool,
            13..=17 => AgeBand::SecondarySchool,
            18..=59 => AgeBand::WorkingAge,
            _ => AgeBand::Elderly,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_company_sees_masked_or_pseudonymised_and_government_roles_see_everything() {
        assert_eq!(Disclosure::of(false, true), Disclosure::Full);
        assert_eq!(Disclosure::of(true, false), Disclosure::Masked);
        assert_eq!(Disclosure::of(true, true), Disclosure::Pseudonymised);
    }

    #[test]
    fn identifiers_are_whole_masked_or_withheld() {
        let nik = Some("6402061203850003".to_string());
        assert_eq!(Disclosure::Full.identifier(nik.clone()), nik);
        assert_eq!(
            Disclosure::Masked.identifier(nik.clone()).as_deref(),
            Some("640206********03")
        );
        assert_eq!(Disclosure::Pseudonymised.identifier(nik), None);
    }

    #[test]
    fn names_are_withheld_only_when_pseudonymised_and_birth_dates_from_every_company() {
        let name = Some("Siti");
        assert_eq!(Disclosure::Masked.naming(name), name);
        assert_eq!(Disclosure::Pseudonymised.naming(name), None);
        let born = Some(d(1985, 3, 12));
        assert_eq!(Disclosure::Full.birth_date(born), born);
        assert_eq!(Disclosure::Masked.birth_date(born), None);
        assert_eq!(Disclosure::Pseudonymised.birth_date(born), None);
    }

    #[test]
    fn age_bands_turn_on_the_birthday() {
        let today = d(2026, 12, 3);
        assert_eq!(AgeBand::of(d(2026, 12, 3), today), Some(AgeBand::UnderSix));
        assert_eq!(AgeBand::of(d(2020, 12, 4), today), Some(AgeBand::UnderSix));
        assert_eq!(
            AgeBand::of(d(2020, 12, 3), today),
            Some(AgeBand::PrimarySchool)
        );
        assert_eq!(
            AgeBand::of(d(2013, 12, 3), today),
            Some(AgeBand::SecondarySchool)
        );
        assert_eq!(
            AgeBand::of(d(2008, 12, 3), today),
            Some(AgeBand::WorkingAge)
        );
        assert_eq!(
            AgeBand::of(d(2008, 12, 4), today),
            Some(AgeBand::SecondarySchool)
        );
        assert_eq!(AgeBand::of(d(1966, 12, 3), today), Some(AgeBand::Elderly));
        assert_eq!(AgeBand::of(d(2027, 1, 1), today), None);
    }
}
