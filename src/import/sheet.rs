//! Reading one tabular sheet from uploaded bytes, CSV or XLSX, into strings.
//!
//! Owns everything format-specific so the P3KE/DTKS parsers see only headers
//! and rows of text: BOM and delimiter sniffing for CSV; for XLSX, sheet choice
//! by name, Excel dates rendered as `YYYY-MM-DD`, and integer-valued numbers
//! rendered without `.0` so NIK/KK typed as numbers survive. Line numbers are
//! 1-based as a user sees them in Excel or an editor (header = line 1).

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
use chrono::{Days, NaiveDate};

/// Why an uploaded file cannot be read at all (as opposed to a rejected row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not UTF-8/latin text and not a ZIP-based XLSX (e.g. an old `.xls` or a PDF).
    #[error("the file is neither CSV nor XLSX")]
    UnsupportedFormat,
    /// No bytes, or no header row.
    #[error("the file is empty")]
    Empty,
    /// The XLSX could not be opened or a sheet could not be read.
    #[error("cannot read the workbook: {0}")]
    Unreadable(String),
    /// Required columns are absent.
    #[error("sheet {sheet} is missing required columns: {}", .columns.join(", "))]
    MissingColumns { sheet: String, columns: Vec<String> },
    /// No sheet the importer knows (e.g. neither KEPALA-KELUARGA nor INDIVIDU).
    #[error("{0}")]
    UnrecognisedSheet(String),
    /// Whoever consumed the rows stopped the read (e.g. the database failed).
    #[error("import stopped: {0}")]
    Aborted(String),
}

/// What kind of file the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Csv,
    Xlsx,
}

/// XLSX is a ZIP archive; everything else is treated as CSV text.
pub fn detect_media(bytes: &[u8]) -> Media {
    if bytes.starts_with(b"PK\x03\x04") {
        Media::Xlsx
    } else {
        Media::Csv
    }
}

/// Column headers with a case- and space-insensitive index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Headers as written in the file (trimmed).
    pub names: Vec<String>,
    index: HashMap<String, usize>,
}

fn header_key(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Header {
    /// Builds the index; the first of duplicate headers wins.
    pub fn new(names: Vec<String>) -> Header {
        let names: Vec<String> = names
            .into_iter()
            .map(|n| n.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut index = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            index.entry(header_key(n)).or_insert(i);
        }
        Header { names, index }
    }

    /// Position of a column, ignoring case and surrounding spaces.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(&header_key(name)).copied()
    }

    /// The required headers that are absent, as named by the caller.
    pub fn missing(&self, required: &[&str]) -> Vec<String> {
        required
            .iter()
            .filter(|h| self.position(h).is_none())
            .map(|h| h.to_string())
            .collect()
    }
}

/// A cell of a row by optional column index; absent columns read as empty.
pub fn cell(row: &[String], col: Option<usize>) -> &str {
    col.and_then(|i| row.get(i)).map_or("", |s| s.trim())
}

enum Source<'a> {
    Csv(csv::Reader<&'a [u8]>, csv::ByteRecord),
    Xlsx {
        range: Range<Data>,
        next: usize,
        first_row: usize,
    },
}

/// A sheet being read row by row, so large files need not be held as strings.
pub struct SheetReader<'a> {
    /// The sheet name (the XLSX sheet, or the name given for a CSV).
    pub name: String,
    pub header: Header,
    source: Source<'a>,
}

fn lossy(bytes: &[u8]) -> String {
    // Excel on Windows may save CSV as cp1252; keep the row rather than fail it.
    String::from_utf8_lossy(bytes).into_owned()
}

/// `;` when the header line has more semicolons than commas (outside quotes).
fn sniff_delimiter(text: &[u8]) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0usize, 0usize, false);
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

fn fill(buf: &mut Vec<String>, cells: impl Iterator<Item = String>) {
    buf.clear();
    buf.extend(cells);
}

impl<'a> SheetReader<'a> {
    /// Opens CSV bytes (UTF-8 with or without BOM; `,` or `;`).
    pub fn csv(bytes: &'a [u8], name: &str) -> Result<SheetReader<'a>, FileError> {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(FileError::Empty);
        }
        if body.iter().take(4096).any(|&b| b == 0) {
            return Err(FileError::UnsupportedFormat);
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sniff_delimiter(body))
            .from_reader(body);
        let mut record = csv::ByteRecord::new();
        let found = reader
            .read_byte_record(&mut record)
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        if !found {
            return Err(FileError::Empty);
        }
        let header = Header::new(record.iter().map(lossy).collect());
        Ok(SheetReader {
            name: name.to_string(),
            header,
            source: Source::Csv(reader, record),
        })
    }

    /// Opens the sheet named `name` (case-insensitive) of an XLSX workbook;
    /// `Ok(None)` when the workbook has no such sheet.
    pub fn xlsx(bytes: &[u8], name: &str) -> Result<Option<SheetReader<'static>>, FileError> {
        let mut wb: Xlsx<Cursor<&[u8]>> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| FileError::Unreadable(e.to_string()))?;
        let Some(actual) = wb
            .sheet_names()
            .into_iter()
            .find(|s| s.trim().eq_ignore_ascii_case(name.trim()))
        else {
            return Ok(None);
        };
        let range = wb
            .worksheet_range(&actual)
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        let first_col = range.start().map_or(0, |(_, c)| c as usize);
        let Some(head) = range.rows().next() else {
            return Err(FileError::Empty);
        };
        // Keep column positions absolute so a sheet starting at column B still lines up.
        let names = std::iter::repeat_n(String::new(), first_col)
            .chain(head.iter().map(render_cell))
            .collect();
        Ok(Some(SheetReader {
            name: actual,
            header: Header::new(names),
            source: Source::Xlsx {
                range,
                next: 1,
                first_row,
            },
        }))
    }

    /// Reads the next non-blank row into `buf`; returns its line number.
    pub fn next_row(&mut self, buf: &mut Vec<String>) -> Result<Option<usize>, FileError> {
        loop {
            let line = match &mut self.source {
                Source::Csv(reader, record) => {
                    let found = reader
                        .read_byte_record(record)
                        .map_err(|e| FileError::Unreadable(e.to_string()))?;
                    if !found {
                        return Ok(None);
                    }
                    let line = record.position().map_or(0, |p| p.line() as usize);
                    fill(buf, record.iter().map(lossy));
                    line
                }
                Source::Xlsx {
                    range,
                    next,
                    first_row,
                } => {
                    // Indexed access: `rows().nth()` would rescan from the top each time.
                    if *next >= range.height() {
                        return Ok(None);
                    }
                    let first_col = range.start().map_or(0, |(_, c)| c as usize);
                    let r = *next;
                    let cells = (0..range.width())
                        .map(|c| range.get((r, c)).map_or_else(String::new, render_cell));
                    fill(
                        buf,
                        std::iter::repeat_n(String::new(), first_col).chain(cells),
                    );
                    *next += 1;
                    *first_row + *next
                }
            };
            if buf.iter().any(|c| !c.trim().is_empty()) {
                return Ok(Some(line));
            }
        }
    }

    /// All remaining non-blank rows with their line numbers.
    pub fn into_rows(mut self) -> Result<Vec<(usize, Vec<String>)>, FileError> {
        let mut rows = Vec::new();
        let mut buf = Vec::new();
        while let Some(line) = self.next_row(&mut buf)? {
            rows.push((line, std::mem::take(&mut buf)));
        }
        Ok(rows)
    }
}

/// A cell as text: dates as `YYYY-MM-DD`, integral floats without `.0`.
fn render_cell(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => render_float(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => excel_serial_to_date(dt.as_f64())
            .map_or_else(|| render_float(dt.as_f64()), |d| d.to_string()),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
    }
}

fn render_float(f: f64) -> String {
    // Integers up to 2^53 are exact in f64, which covers every 16-digit NIK/KK
    // below 9007199254740992 (all Indonesian region prefixes up to 90).
    if f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Excel's 1900 date system (serial 1 = 1900-01-01, with the Lotus leap-year bug).
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as u64;
    // Serial 60 is the non-existent 1900-02-29; from 61 on, 1899-12-30 is day 0.
    let base = if days < 60 {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    base.checked_add_days(Days::new(days))
}

/// `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY` (also with a time part after a
/// space or `T`), or an Excel serial number.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    for fmt in ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.len() <= 8 {
        return s.parse::<f64>().ok().and_then(excel_serial_to_date);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_media() {
        assert_eq!(detect_media(b"PK\x03\x04rest"), Media::Xlsx);
        assert_eq!(detect_media(b"a,b\n"), Media::Csv);
    }

    #[test]
    fn reads_csv_with_bom_and_semicolons() {
        let bytes = "\u{feff}Nama ; NIK;Alamat\n\"Siti; A\";'6402;\"Jl. \"\"X\"\"\"\n\n;;\nB;2;3\n"
            .as_bytes();
        let reader = SheetReader::csv(bytes, "x").unwrap();
        assert_eq!(reader.header.names, vec!["Nama", "NIK", "Alamat"]);
        assert_eq!(reader.header.position(" nik "), Some(1));
        assert_eq!(reader.header.position("NAMA"), Some(0));
        let rows = reader.into_rows().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            (
                2,
                vec!["Siti; A".to_string(), "'6402".into(), "Jl. \"X\"".into()]
            )
        );
        assert_eq!(rows[1].0, 5);
    }

    #[test]
    fn line_numbers_follow_multiline_fields() {
        let bytes = b"a,b\n\"x\ny\",1\nz,2\n";
        let rows = SheetReader::csv(bytes, "x").unwrap().into_rows().unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn empty_and_binary_files_are_file_errors() {
        assert!(matches!(SheetReader::csv(b"", "x"), Err(FileError::Empty)));
        assert!(matches!(
            SheetReader::csv(b"\xEF\xBB\xBF  \n", "x"),
            Err(FileError::Empty)
        ));
        assert!(matches!(
            SheetReader::csv(b"\xD0\xCF\x11\xE0\0\0", "x"),
            Err(FileError::UnsupportedFormat)
        ));
    }

    #[test]
    fn missing_headers_are_named() {
        let h = Header::new(vec!["A".into(), "b ".into()]);
        assert_eq!(h.missing(&["a", "B", "C"]), vec!["C".to_string()]);
    }

    #[test]
    fn parses_dates() {
        let d = NaiveDate::from_ymd_opt(1985, 3, 12).unwrap();
        for s in [
            "1985-03-12",
            "12-03-1985",
            "12/03/1985",
            "31118",
            "1985-03-12 00:00:00",
            "1985-03-12T00:00",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("30/02/1985"), None);
        assert_eq!(parse_date("kemarin"), None);
        assert_eq!(
            excel_serial_to_date(1.0),
            NaiveDate::from_ymd_opt(1900, 1, 1)
        );
        assert_eq!(
            excel_serial_to_date(61.0),
            NaiveDate::from_ymd_opt(1900, 3, 1)
        );
    }

    #[test]
    fn renders_xlsx_cells() {
        assert_eq!(
            render_cell(&Data::Float(6402061203850001.0)),
            "6402061203850001"
        );
        assert_eq!(render_cell(&Data::Float(3.0)), "3");
        assert_eq!(render_cell(&Data::Float(2.5)), "2.5");
        assert_eq!(render_cell(&Data::Int(7)), "7");
    }

    #[test]
    fn reads_an_xlsx_sheet_by_name_case_insensitively() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("Data").unwrap();
        ws.write_string(0, 0, "NIK").unwrap();
        ws.write_string(0, 1, "Tanggal").unwrap();
        ws.write_number(1, 0, 6402061203850001.0).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1985, 3, 12).unwrap();
        ws.write_datetime_with_format(1, 1, &date, &fmt).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        assert_eq!(detect_media(&bytes), Media::Xlsx);
        assert!(SheetReader::xlsx(&bytes, "other").unwrap().is_none());
        let rows = SheetReader::xlsx(&bytes, "DATA")
            .unwrap()
            .unwrap()
            .into_rows()
            .unwrap();
        assert_eq!(
            rows,
            vec![(
                2,
                vec!["6402061203850001".to_string(), "1985-03-12".to_string()]
            )]
        );
    }
}
