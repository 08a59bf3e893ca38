//! Reading the CSV export of a program's verification form
//! (`crate::domain::xlsform`) as ODK Central and KoBoToolbox write it
//! (issue 14, item 3; docs/DECISIONS.md "ODK and KoBo forms"): one
//! submission a row, each row read on its own so that one bad row is that
//! row's `rejected`, never the file's.
//!
//! The two servers differ in how they name what is not a question:
//!
//! | | ODK Central | KoBoToolbox |
//! |---|---|---|
//! | the submission's id | `meta-instanceID`, `KEY` (`uuid:…`) | `meta/instanceID` (`uuid:…`), `_uuid` (bare) |
//! | coordinates | `location-Latitude`, `location-Longitude` | `_location_latitude`, `_location_longitude`, or `location` as `lat lon alt acc` |
//! | when it was sent | `SubmissionDate` | `_submission_time` (UTC, no zone) |
//! | a reviewer's refusal | `ReviewState` = `rejected` | `_validation_status` = `validation_status_not_approved` |
//!
//! KoBo separates with `;` by default and both may start with a BOM: the
//! sheet reader takes care of that. The questions are read by their names
//! (KoBo: export with "XML values and headers").

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::domain::program::VerificationResult;
use crate::domain::xlsform::{field, NO, YES};
use crate::domain::FieldError;
use crate::import::sheet::{cell, FileError, Header, SheetReader};

/// One submission, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The submission's `instanceID` (`uuid:…`): the visit's `client_id`.
    pub client_id: String,
    /// When the phone finished the form (`end`), else when it was sent.
    pub recorded_at: DateTime<Utc>,
    pub target_id: String,
    pub visited_on: NaiveDate,
    pub result: VerificationResult,
    pub notes: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub consent_to_share: Option<bool>,
}

/// A row of the export: its line (header = 1), the id it carries (empty
/// when none) and the submission, or why it cannot be one.
#[derive(Debug, Clone)]
pub struct SubmissionRow {
    pub line: usize,
    pub client_id: String,
    pub submission: Result<Submission, Vec<FieldError>>,
}

/// Why the file as a whole cannot be read as the form's export.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("the export has more than {0} submissions; send it in parts")]
    TooManyRows(usize),
    #[error("{0}")]
    NotTheForm(String),
}

/// Candidate headers of the values that are not questions, in preference order.
const ID_COLUMNS: &[&str] = &[
    "meta-instanceID",
    "meta/instanceID",
    "instanceID",
    "KEY",
    "_uuid",
];
const SENT_COLUMNS: &[&str] = &["SubmissionDate", "_submission_time"];
const LATITUDE_COLUMNS: &[&str] = &["location-Latitude", "_location_latitude"];
const LONGITUDE_COLUMNS: &[&str] = &["location-Longitude", "_location_longitude"];
/// (column, value) pairs that mean a reviewer refused the submission.
const REFUSED: &[(&str, &str)] = &[
    ("ReviewState", "rejected"),
    ("_validation_status", "validation_status_not_approved"),
];

/// The columns of one export, found once from its header.
struct Columns {
    id: Option<usize>,
    end: Option<usize>,
    sent: Option<usize>,
    target: usize,
    visited_on: usize,
    result: usize,
    notes: Option<usize>,
    latitude: Option<usize>,
    longitude: Option<usize>,
    location: Option<usize>,
    consent: Option<usize>,
    refused: Vec<(usize, &'static str, &'static str)>,
}

fn first_of(header: &Header, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| header.position(n))
}

impl Columns {
    fn find(header: &Header) -> Result<Columns, ExportError> {
        let required = [field::TARGET, field::VISITED_ON, field::RESULT];
        let missing = header.missing(&required);
        if !missing.is_empty() {
            return Err(ExportError::NotTheForm(format!(
                "not an export of the verification form: the columns {} are missing \
                 (export from ODK Central as CSV, or from KoBoToolbox as CSV with \
                 \"XML values and headers\")",
                missing.join(", ")
            )));
        }
        let pos = |n: &str| header.position(n);
        Ok(Columns {
            id: first_of(header, ID_COLUMNS),
            end: pos(field::END),
            sent: first_of(header, SENT_COLUMNS),
            target: pos(field::TARGET).unwrap_or_default(),
            visited_on: pos(field::VISITED_ON).unwrap_or_default(),
            result: pos(field::RESULT).unwrap_or_default(),
            notes: pos(field::NOTES),
            latitude: first_of(header, LATITUDE_COLUMNS),
            longitude: first_of(header, LONGITUDE_COLUMNS),
            location: pos(field::LOCATION),
            consent: pos(field::CONSENT),
            refused: REFUSED
                .iter()
                .filter_map(|(c, v)| pos(c).map(|i| (i, *c, *v)))
                .collect(),
        })
    }
}

/// Reads an export of at most `max_rows` submissions.
pub fn read(bytes: &[u8], max_rows: usize) -> Result<Vec<SubmissionRow>, ExportError> {
    let mut sheet = SheetReader::csv(bytes, "submissions")?;
    let columns = Columns::find(&sheet.header)?;
    let mut rows = Vec::new();
    let mut buf = Vec::new();
    while let Some(line) = sheet.next_row(&mut buf)? {
        if rows.len() == max_rows {
            return Err(ExportError::TooManyRows(max_rows));
        }
        let client_id = client_id(cell(&buf, columns.id));
        let submission = submission(&columns, &buf, &client_id);
        rows.push(SubmissionRow {
            line,
            client_id,
            submission,
        });
    }
    Ok(rows)
}

/// ODK writes `uuid:…`, KoBo's `_uuid` the bare UUID: one visit sent
/// through either (or through the JSON batch with ODK's id) is the same
/// `client_id`.
fn client_id(raw: &str) -> String {
    if uuid::Uuid::parse_str(raw).is_ok() {
        format!("uuid:{raw}")
    } else {
        raw.to_string()
    }
}

fn submission(
    columns: &Columns,
    row: &[String],
    client_id: &str,
) -> Result<Submission, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));
    for (i, name, value) in &columns.refused {
        if cell(row, Some(*i)) == *value {
            fail(
                name,
                format!("`{value}`: refused by a reviewer, not recorded"),
            );
        }
    }
    if client_id.is_empty() {
        fail(
            "meta-instanceID",
            "missing: the submission's instanceID is its client_id".into(),
        );
    }
    let recorded_at = recorded_at(columns, row);
    if recorded_at.is_none() {
        fail(
            field::END,
            "missing or not a date-time (nor SubmissionDate/_submission_time)".into(),
        );
    }
    let target_id = cell(row, Some(columns.target)).to_string();
    if target_id.is_empty() {
        fail(field::TARGET, "missing".into());
    }
    let raw_date = cell(row, Some(columns.visited_on));
    let visited_on = NaiveDate::parse_from_str(raw_date, "%Y-%m-%d").ok();
    if visited_on.is_none() {
        fail(
            field::VISITED_ON,
            format!("`{raw_date}` is not a date (YYYY-MM-DD)"),
        );
    }
    let result = cell(row, Some(columns.result))
        .parse::<VerificationResult>()
        .map_err(|e| fail(field::RESULT, e.to_string()))
        .ok();
    let (latitude, longitude) = match coordinates(columns, row) {
        Ok(c) => c,
        Err(message) => {
            fail(field::LOCATION, message);
            (None, None)
        }
    };
    let consent_to_share = match cell(row, columns.consent) {
        "" => None,
        YES | "true" | "1" => Some(true),
        NO | "false" | "0" => Some(false),
        other => {
            fail(
                field::CONSENT,
                format!("`{other}` is neither {YES} nor {NO}"),
            );
            None
        }
    };
    let notes = Some(cell(row, columns.notes).to_string()).filter(|n| !n.is_empty());
    match (recorded_at, visited_on, result) {
        (Some(recorded_at), Some(visited_on), Some(result)) if errors.is_empty() => {
            Ok(Submission {
                client_id: client_id.to_string(),
                recorded_at,
                target_id,
                visited_on,
                result,
                notes,
                latitude,
                longitude,
                consent_to_share,
            })
        }
        _ => Err(errors),
    }
}

/// `end` as the phone wrote it (with its offset), else when the server got
/// it (ODK: RFC 3339; KoBo: UTC without a zone).
fn recorded_at(columns: &Columns, row: &[String]) -> Option<DateTime<Utc>> {
    [columns.end, columns.sent]
        .into_iter()
        .map(|c| cell(row, c))
        .find(|v| !v.is_empty())
        .and_then(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|d| d.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .map(|d| d.and_utc())
                })
        })
}

/// The geopoint from its split columns, else from `lat lon alt acc`; both
/// or neither.
fn coordinates(columns: &Columns, row: &[String]) -> Result<(Option<f64>, Option<f64>), String> {
    let (lat, lon) = match (cell(row, columns.latitude), cell(row, columns.longitude)) {
        ("", "") => {
            let mut parts = cell(row, columns.location).split_whitespace();
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
        }
        pair => pair,
    };
    let number = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{s}` is not a coordinate"))
    };
    match (lat, lon) {
        ("", "") => Ok((None, None)),
        (lat, lon) => Ok((Some(number(lat)?), Some(number(lon)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODK: &str = "SubmissionDate,start,end,desa,target_id,visited_on,result,notes,location-Latitude,location-Longitude,location-Altitude,location-Accuracy,consent_to_share,photo,meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion\n\
2026-12-05T02:00:00.000Z,2026-12-04T09:00:00.000+08:00,2026-12-04T09:12:00.000+08:00,64.02.06.2001,t-1,2026-12-04,eligible,\"Atap bocor, dinding papan\",-0.4312,116.9876,12,5,yes,1.jpg,uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01,uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01,5,verifikator,0,1,,,collect:abc,0,1a2b\n\
2026-12-05T02:00:01.000Z,2026-12-04T10:00:00.000+08:00,,64.02.06.2001,t-2,2026-13-04,gone,,,,,,maybe,,,,5,verifikator,0,0,,rejected,collect:abc,0,1a2b\n";

    #[test]
    fn an_odk_central_export_reads_row_by_row() {
        let rows = read(ODK.as_bytes(), 500).unwrap();
        assert_eq!(rows.len(), 2);
        let first = rows[0].submission.clone().unwrap();
        assert_eq!(first.client_id, "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01");
        assert_eq!(first.recorded_at.to_rfc3339(), "2026-12-04T01:12:00+00:00");
        assert_eq!(first.target_id, "t-1");
        assert_eq!(first.result, VerificationResult::Eligible);
        assert_eq!(first.notes.as_deref(), Some("Atap bocor, dinding papan"));
        assert_eq!(
            (first.latitude, first.longitude),
            (Some(-0.4312), Some(116.9876))
        );
        assert_eq!(first.consent_to_share, Some(true));
        assert_eq!(rows[1].line, 3);
        let errors = rows[1].submission.clone().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "ReviewState",
                "meta-instanceID",
                "visited_on",
                "result",
                "consent_to_share"
            ]
        );
    }

    #[test]
    fn a_kobo_export_with_semicolons_bare_uuids_and_a_joined_geopoint_reads_the_same() {
        let kobo = "\u{feff}start;end;desa;target_id;visited_on;result;notes;location;_location_latitude;_location_longitude;consent_to_share;_id;_uuid;_submission_time;_validation_status\n\
2026-12-04T09:00:00.000+08:00;;64.02.06.2001;t-1;2026-12-04;moved;;-0.5 117.1 0 5;;;no;7;0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01;2026-12-05T02:00:00;\n";
        let rows = read(kobo.as_bytes(), 500).unwrap();
        let s = rows[0].submission.clone().unwrap();
        assert_eq!(s.client_id, "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01");
        assert_eq!(s.recorded_at.to_rfc3339(), "2026-12-05T02:00:00+00:00");
        assert_eq!((s.latitude, s.longitude), (Some(-0.5), Some(117.1)));
        assert_eq!(s.consent_to_share, Some(false));
        assert_eq!(s.result, VerificationResult::Moved);
    }

    #[test]
    fn a_file_that_is_not_the_form_or_too_long_is_refused_whole() {
        let labels = "Keluarga sasaran,Tanggal kunjungan,Hasil verifikasi\nx,y,z\n";
        assert!(matches!(
            read(labels.as_bytes(), 500),
            Err(ExportError::NotTheForm(m)) if m.contains("XML values and headers")
        ));
        let three = "target_id,visited_on,result\na,2026-12-04,eligible\nb,2026-12-04,eligible\nc,2026-12-04,eligible\n";
        assert_eq!(
            read(three.as_bytes(), 2).unwrap_err(),
            ExportError::TooManyRows(2)
        );
    }
}
