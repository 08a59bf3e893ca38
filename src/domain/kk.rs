//! The No. KK (Kartu Keluarga number). Stored but never a key: it changes when a
//! family moves or splits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::nik::{clean_digits, mask_digits};

/// A 16-digit family card number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KkNumber(String);

/// Why a string is not a No. KK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KkError {
    #[error("No. KK must be 16 digits")]
    NotSixteenDigits,
}

impl KkNumber {
    /// Parses 16 digits, tolerating spaces and Excel's leading apostrophe.
    pub fn parse(raw: &str) -> Result<KkNumber, KkError> {
        let s = clean_digits(raw);
        if s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(KkNumber(s))
        } else {
            Err(KkError::NotSixteenDigits)
        }
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 6 and last 2 digits visible, like a masked NIK.
    pub fn mask(&self) -> String {
        mask_digits(&self.0)
    }
}

impl fmt::Display for KkNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for KkNumber {
    type Error = KkError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        KkNumber::parse(&value)
    }
}

impl From<KkNumber> for String {
    fn from(k: KkNumber) -> String {
        k.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        let kk = KkNumber::parse(" 6402061234567890").unwrap();
        assert_eq!(kk.as_str(), "6402061234567890");
        assert_eq!(kk.mask(), "640206********90");
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            KkNumber::parse("640206123456789"),
            Err(KkError::NotSixteenDigits)
        );
        assert_eq!(
            KkNumber::parse("64020612345678x0"),
            Err(KkError::NotSixteenDigits)
        );
    }
}
