//! Datasets: snapshots of a registry source, each received under a hand-over
//! (BAST) that says whether by-name data may go on to companies.

use chrono::NaiveDate;

use crate::domain::household::ImportFormat;
use crate::domain::role::wire_enum;
use crate::domain::FieldError;

wire_enum! {
    /// The registry a snapshot comes from.
    pub enum DatasetSource: "dataset source" {
        /// Pensasaran Percepatan Penghapusan Kemiskinan Ekstrem (Kemenko PMK).
        P3ke = "p3ke",
        /// Data Terpadu Kesejahteraan Sosial (Kemensos).
        Dtks = "dtks",
        /// Data Tunggal Sosial Ekonomi Nasional (BPS), the registry since 2025.
        Dtsen = "dtsen",
    }
}

wire_enum! {
    /// The kind of hand-over (berita acara serah terima) the data came under.
    pub enum BastType: "BAST type" {
        /// For use by the regency's programs.
        Pemanfaatan = "pemanfaatan",
        /// For matching with the regency's own data.
        Pemadanan = "pemadanan",
        Other = "other",
    }
}

impl From<ImportFormat> for DatasetSource {
    fn from(format: ImportFormat) -> DatasetSource {
        match format {
            ImportFormat::P3ke => DatasetSource::P3ke,
            ImportFormat::Dtks => DatasetSource::Dtks,
            ImportFormat::Dtsen => DatasetSource::Dtsen,
        }
    }
}

/// Longest snapshot version and BAST number.
pub const MAX_LABEL: usize = 100;
/// Longest notes.
pub const MAX_NOTES: usize = 2000;

/// What a dataset says of itself, as entered.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetFields {
    pub source: DatasetSource,
    pub version: String,
    pub condition_date: Option<NaiveDate>,
    pub received_on: Option<NaiveDate>,
    pub bast_number: Option<String>,
    pub bast_type: Option<BastType>,
    pub onward_sharing: bool,
    pub expires_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

/// The rules of a dataset's fields: a version of 1–100 characters, a BAST
/// number and notes within their lengths, and dates in the order data
/// lives: its condition, then its receipt, then its expiry.
pub fn check(fields: &DatasetFields) -> Result<(), Vec<FieldError>> {
    let mut e = Vec::new();
    // Counted as sent, like the contract's maxLength; stored trimmed.
    if fields.version.trim().is_empty() || fields.version.chars().count() > MAX_LABEL {
        e.push(FieldError::new("version", "must be 1–100 characters"));
    }
    if fields
        .bast_number
        .as_ref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > MAX_LABEL)
    {
        e.push(FieldError::new("bast_number", "must be 1–100 characters"));
    }
    if fields
        .notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES)
    {
        e.push(FieldError::new("notes", "must be at most 2000 characters"));
    }
    if let (Some(condition), Some(received)) = (fields.condition_date, fields.received_on) {
        if received < condition {
            e.push(FieldError::new(
                "received_on",
                "must not be before condition_date",
            ));
        }
    }
    let start = fields.received_on.or(fields.condition_date);
    if let (Some(start), Some(expires)) = (start, fields.expires_on) {
        if expires < start {
            e.push(FieldError::new(
                "expires_on",
                "must not be before received_on (or condition_date)",
            ));
        }
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> DatasetFields {
        DatasetFields {
            source: DatasetSource::Dtsen,
            version: "2025-Q3".into(),
            condition_date: NaiveDate::from_ymd_opt(2025, 9, 30),
            received_on: NaiveDate::from_ymd_opt(2025, 11, 3),
            bast_number: Some("BAST/123/BPS/2025".into()),
            bast_type: Some(BastType::Pemanfaatan),
            onward_sharing: false,
            expires_on: NaiveDate::from_ymd_opt(2026, 12, 31),
            notes: None,
        }
    }

    #[test]
    fn a_complete_dataset_passes() {
        assert_eq!(check(&fields()), Ok(()));
    }

    #[test]
    fn dates_out_of_order_and_empty_labels_name_their_fields() {
        let f = DatasetFields {
            version: " ".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 9, 1),
            expires_on: NaiveDate::from_ymd_opt(2025, 8, 1),
            bast_number: Some(String::new()),
            ..fields()
        };
        let fields: Vec<String> = check(&f)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["version", "bast_number", "received_on", "expires_on"]
        );
    }

    #[test]
    fn lengths_count_what_was_sent_spaces_included() {
        let padded = format!("\n{}", "*".repeat(MAX_LABEL));
        let f = DatasetFields {
            version: padded,
            ..fields()
        };
        let errors = check(&f).unwrap_err();
        assert_eq!(errors[0].field, "version");
    }
}
