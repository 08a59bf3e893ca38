//! Deliveries and their evidence (issue 15, items 2 and 3; DESIGN.md §6.3):
//! what a delivery must say to be recorded, and what a file must be to
//! stand as its evidence. Pure checks; the rules that need the program
//! and its target live in `service::deliveries`.

use chrono::NaiveDate;

use super::photo::{check_image, ImageType};
use super::FieldError;

/// Largest evidence file: 10 MiB.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;
/// Most evidence files one delivery keeps.
pub const MAX_EVIDENCE: i64 = 10;
/// Bounds of the text fields, characters.
pub const ITEM_MAX: usize = 200;
pub const UNIT_MAX: usize = 30;
pub const HANDOVER_MAX: usize = 100;
pub const NOTES_MAX: usize = 2000;
/// Largest quantity: far above any handover (a billion kilograms of rice).
pub const QUANTITY_MAX: f64 = 1_000_000_000.0;
/// Largest value, whole rupiah: a program's largest budget.
pub const VALUE_MAX: i64 = 1_000_000_000_000_000;

/// A delivery as the caller reports it.
#[derive(Debug, Clone)]
pub struct DeliveryFields {
    pub delivered_on: NaiveDate,
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    pub value: i64,
    pub handover_number: Option<String>,
    pub notes: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize, required: bool) {
    let n = value.chars().count();
    if n > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    } else if required && value.trim().is_empty() {
        errors.push(FieldError::new(field, "must not be blank"));
    }
}

impl DeliveryFields {
    /// Every field's bounds, and a date not after `today` (regency time).
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.delivered_on > today {
            e.push(FieldError::new("delivered_on", "must not be in the future"));
        }
        text(&mut e, "item", &self.item, ITEM_MAX, true);
        text(&mut e, "unit", &self.unit, UNIT_MAX, true);
        if let Some(h) = &self.handover_number {
            text(&mut e, "handover_number", h, HANDOVER_MAX, false);
        }
        if let Some(n) = &self.notes {
            text(&mut e, "notes", n, NOTES_MAX, false);
        }
        if !(self.quantity.is_finite() && self.quantity > 0.0 && self.quantity <= QUANTITY_MAX) {
            e.push(FieldError::new(
                "quantity",
                format!("must be more than 0 and at most {QUANTITY_MAX}"),
            ));
        }
        if !(0..=VALUE_MAX).contains(&self.value) {
            e.push(FieldError::new(
                "value",
                format!("must be 0 to {VALUE_MAX} whole rupiah"),
            ));
        }
        match (self.latitude, self.longitude) {
            (Some(la), Some(lo)) => {
                if !(-90.0..=90.0).contains(&la) {
                    e.push(FieldError::new("latitude", "must be between -90 and 90"));
                }
                if !(-180.0..=180.0).contains(&lo) {
                    e.push(FieldError::new("longitude", "must be between -180 and 180"));
                }
            }
            (None, None) => {}
            (Some(_), None) => e.push(FieldError::new(
                "longitude",
                "is required together with latitude",
            )),
            (None, Some(_)) => e.push(FieldError::new(
                "latitude",
                "is required together with longitude",
            )),
        }
        e
    }

    /// The fields as stored: text trimmed, blank optional text dropped.
    pub fn trimmed(mut self) -> DeliveryFields {
        let opt = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.item = self.item.trim().to_string();
        self.unit = self.unit.trim().to_string();
        self.handover_number = opt(self.handover_number);
        self.notes = opt(self.notes);
        self
    }
}

/// The kinds of evidence taken: photos of the handover, signed receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceType {
    Image(ImageType),
    Pdf,
}

/// Why bytes are not evidence of the declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Image(#[from] super::photo::ImageError),
    #[error("the body is not a whole PDF (it must start with %PDF- and end with %%EOF)")]
    NotPdf,
}

impl EvidenceType {
    /// The type a `Content-Type` names (parameters ignored), if one taken.
    pub fn from_media_type(media_type: &str) -> Option<EvidenceType> {
        if let Some(image) = ImageType::from_media_type(media_type) {
            return Some(EvidenceType::Image(image));
        }
        let essence = media_type.split(';').next().unwrap_or("").trim();
        essence
            .eq_ignore_ascii_case("application/pdf")
            .then_some(EvidenceType::Pdf)
    }

    pub const fn media_type(self) -> &'static str {
        match self {
            EvidenceType::Image(i) => i.media_type(),
            EvidenceType::Pdf => "application/pdf",
        }
    }

    /// Whether `bytes` are a whole file of this type: an image from its
    /// header to its end marker (`domain::photo`), a PDF from `%PDF-` to a
    /// `%%EOF` in its last kilobyte (where writers put it, with trailing
    /// line ends).
    pub fn check(self, bytes: &[u8]) -> Result<(), EvidenceError> {
        match self {
            EvidenceType::Image(kind) => check_image(kind, bytes).map(|_| ()).map_err(Into::into),
            EvidenceType::Pdf => {
                let tail = &bytes[bytes.len().saturating_sub(1024)..];
                let ends = tail.windows(5).any(|w| w == b"%%EOF");
                if bytes.starts_with(b"%PDF-") && ends {
                    Ok(())
                } else {
                    Err(EvidenceError::NotPdf)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> DeliveryFields {
        DeliveryFields {
            delivered_on: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            item: "Semen 50 kg".into(),
            quantity: 40.0,
            unit: "sak".into(),
            value: 2_600_000,
            handover_number: Some(" BAST/001 ".into()),
            notes: Some("  ".into()),
            latitude: Some(-0.43),
            longitude: Some(116.98),
        }
    }

    #[test]
    fn a_delivery_is_checked_field_by_field() {
        let today = NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
        assert!(fields().check(today).is_empty());
        let mut bad = fields();
        bad.delivered_on = NaiveDate::from_ymd_opt(2027, 3, 3).unwrap();
        bad.item = " ".into();
        bad.quantity = 0.0;
        bad.value = -1;
        bad.longitude = None;
        let names: Vec<String> = bad.check(today).into_iter().map(|e| e.field).collect();
        assert_eq!(
            names,
            ["delivered_on", "item", "quantity", "value", "longitude"]
        );
        let t = fields().trimmed();
        assert_eq!(t.handover_number.as_deref(), Some("BAST/001"));
        assert_eq!(t.notes, None);
    }

    #[test]
    fn evidence_is_a_whole_pdf_or_image() {
        assert_eq!(
            EvidenceType::from_media_type("application/pdf; charset=binary"),
            Some(EvidenceType::Pdf)
        );
        assert_eq!(EvidenceType::from_media_type("text/plain"), None);
        assert!(EvidenceType::Pdf
            .check(b"%PDF-1.7\n1 0 obj\n%%EOF\n")
            .is_ok());
        assert!(EvidenceType::Pdf.check(b"%PDF-1.7\n1 0 obj\n").is_err());
        assert!(EvidenceType::Pdf.check(b"hello %%EOF").is_err());
    }
}
