//! Reading one tabular sheet from uploaded bytes, CSV or XLSX, into strings.
//!
//! Owns everything format-specific so the P3KE/DTKS parsers see only headers
//! and rows of text: BOM and delimiter sniffing for CSV; for XLSX (read by
//! [`crate::import::xlsx`]), sheet choice by name, Excel dates rendered as
//! `YYYY-MM-DD`, and integer-valued numbers rendered without `.0` so NIK/KK
//! typed as numbers survive. Line numbers are 1-based as a user sees them in
//! Excel or an editor (header = line 1). Both formats are read within the
//! caps of [`crate::import::limits`].

use std::collections::HashMap;
use std::io::Read;

use chrono::{Days, NaiveDate};

use crate::import::limits::{MAX_CELLS, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROW_BYTES};
use crate::import::xlsx::{SheetStream, Workbook};

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
    /// The file goes past a cap of [`crate::import::limits`] (size, ratio,
    /// columns, cell length, …): refused before it can exhaust the service.
    #[error("the file is too complex to import: {0}")]
    TooComplex(String),
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

/// A file as the readers take it: an XLSX whole (its zip directory sits at
/// its end, so it is read by position), a CSV as a stream, never held whole.
pub enum Input<'a> {
    Xlsx(&'a [u8]),
    Csv(Box<dyn Read + 'a>),
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(bytes: &'a [u8]) -> Input<'a> {
        match detect_media(bytes) {
            Media::Xlsx => Input::Xlsx(bytes),
            Media::Csv => Input::Csv(Box::new(bytes)),
        }
    }
}

impl<'a> From<&'a Vec<u8>> for Input<'a> {
    fn from(bytes: &'a Vec<u8>) -> Input<'a> {
        Input::from(bytes.as_slice())
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Input<'a> {
    fn from(bytes: &'a [u8; N]) -> Input<'a> {
        Input::from(bytes.as_slice())
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

/// What a CSV reader streams from.
type CsvStream<'a> = Recent<std::io::Chain<std::io::Cursor<Vec<u8>>, Box<dyn Read + 'a>>>;

enum Source<'a> {
    Csv {
        reader: Box<csv::Reader<CsvStream<'a>>>,
        record: csv::ByteRecord,
        cells: u64,
    },
    Xlsx(Box<SheetStream<'a>>),
}

/// How much of a CSV is read ahead to sniff it, and the reader's buffer.
const CSV_PEEK: usize = 64 * 1024;

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

/// The separator of the header line (outside quotes): the most frequent of
/// `,`, `;` and `|` (DTSEN writes pipes), `,` when none is more frequent.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let (mut counts, mut quoted) = ([0usize; 3], false);
    const CANDIDATES: [u8; 3] = [b',', b';', b'|'];
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    // The first of equals wins, so a tie keeps the comma.
    let best = (1..CANDIDATES.len()).fold(0, |b, i| if counts[i] > counts[b] { i } else { b });
    CANDIDATES[best]
}

/// Reads one CSV record within the caps; `false` at the end of the file.
fn read_csv_record(
    reader: &mut csv::Reader<CsvStream<'_>>,
    record: &mut csv::ByteRecord,
    cells: &mut u64,
) -> Result<bool, FileError> {
    if !reader
        .read_byte_record(record)
        .map_err(|e| FileError::Unreadable(e.to_string()))?
    {
        return Ok(false);
    }
    let line = record.position().map_or(0, |p| p.line());
    let too_complex = |what: String| FileError::TooComplex(format!("line {line} {what}"));
    if record.len() > MAX_COLUMNS {
        return Err(too_complex(format!("has more than {MAX_COLUMNS} columns")));
    }
    if record.as_slice().len() > MAX_ROW_BYTES {
        return Err(too_complex(format!(
            "holds more than {MAX_ROW_BYTES} bytes of text"
        )));
    }
    // A char takes at least one byte: only a field this long may be too long.
    if let Some(i) = record.iter().position(|f| {
        f.len() > MAX_CELL_CHARS && String::from_utf8_lossy(f).chars().count() > MAX_CELL_CHARS
    }) {
        return Err(too_complex(format!(
            "has a cell (column {}) longer than {MAX_CELL_CHARS} characters",
            i + 1
        )));
    }
    *cells += record.len() as u64;
    if *cells > MAX_CELLS {
        return Err(FileError::TooComplex(format!(
            "the file has more than {MAX_CELLS} cells"
        )));
    }
    Ok(true)
}

/// How many of the bytes last read a [`Recent`] keeps: the csv reader's
/// buffer ([`CSV_PEEK`]) plus the longest record it hands over (a quoted
/// [`MAX_ROW_BYTES`] may take twice its size), so a record's first bytes are
/// still there when the record is placed on its line.
const RECENT_BYTES: usize = 2 * CSV_PEEK + 2 * MAX_ROW_BYTES;

/// A reader that remembers the last [`RECENT_BYTES`] bytes it gave out,
/// so [`csv_line`] can look at a record's first bytes without the file
/// being held whole.
struct Recent<R> {
    inner: R,
    ring: Vec<u8>,
    /// Bytes given out so far: byte `n` of the stream, if still kept, is at
    /// `ring[n % RECENT_BYTES]`.
    read: u64,
}

impl<R: Read> Recent<R> {
    fn new(inner: R) -> Recent<R> {
        Recent {
            inner,
            ring: vec![0; RECENT_BYTES],
            read: 0,
        }
    }

    /// The kept bytes from stream offset `from` on, oldest first; none when
    /// `from` has already left the ring.
    fn since(&self, from: u64) -> impl Iterator<Item = u8> + '_ {
        let kept = self.read.saturating_sub(RECENT_BYTES as u64);
        let range = if from < kept {
            self.read..self.read
        } else {
            from..self.read
        };
        range.map(|n| self.ring[(n % RECENT_BYTES as u64) as usize])
    }
}

impl<R: Read> Read for Recent<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut at = (self.read % RECENT_BYTES as u64) as usize;
        // A read larger than the ring keeps only its tail.
        let mut given = &buf[n.saturating_sub(RECENT_BYTES)..n];
        while !given.is_empty() {
            let k = given.len().min(RECENT_BYTES - at);
            self.ring[at..at + k].copy_from_slice(&given[..k]);
            given = &given[k..];
            at = (at + k) % RECENT_BYTES;
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// The line a record starts on, as an editor numbers it. The csv reader
/// may place a record on line ends it has not consumed yet (the `\n` of a
/// `\r\n`, blank lines before it), on a line above its first cell: a file
/// saved by Excel on Windows had its lines reported one short. Those line
/// ends are counted here, from the bytes the reader last read (a run of
/// blank lines longer than [`RECENT_BYTES`] is counted only in part).
fn csv_line(recent: &Recent<impl Read>, p: &csv::Position) -> usize {
    let skipped = recent
        .since(p.byte())
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| *b == b'\n')
        .count();
    p.line() as usize + skipped
}

/// Puts a row's cells in `buf`, reusing the strings of the row before: a
/// reader allocating a string a cell spent a fifth of its time in the
/// allocator.
fn fill<'c>(buf: &mut Vec<String>, cells: impl Iterator<Item = &'c [u8]>) {
    let mut n = 0;
    for bytes in cells {
        // As `lossy`, without a new string.
        let text = String::from_utf8_lossy(bytes);
        match buf.get_mut(n) {
            Some(cell) => {
                cell.clear();
                cell.push_str(&text);
            }
            None => buf.push(text.into_owned()),
        }
        n += 1;
    }
    buf.truncate(n);
}

impl<'a> SheetReader<'a> {
    /// Opens a CSV stream (UTF-8 with or without BOM; `,`, `;` or `|`). Only
    /// its first [`CSV_PEEK`] bytes are read ahead (BOM, binary content, the
    /// separator of the header line); the rest is read as the rows are.
    pub fn csv(input: impl Read + 'a, name: &str) -> Result<SheetReader<'a>, FileError> {
        let mut input: Box<dyn Read + 'a> = Box::new(input);
        let mut head = Vec::with_capacity(CSV_PEEK);
        (&mut input)
            .take(CSV_PEEK as u64)
            .read_to_end(&mut head)
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        let whole = head.len() < CSV_PEEK;
        if head.starts_with(b"\xEF\xBB\xBF") {
            head.drain(..3);
        }
        if whole && head.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(FileError::Empty);
        }
        if head.iter().take(4096).any(|&b| b == 0) {
            return Err(FileError::UnsupportedFormat);
        }
        let delimiter = sniff_delimiter(&head);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(CSV_PEEK)
            .from_reader(Recent::new(std::io::Cursor::new(head).chain(input)));
        let mut record = csv::ByteRecord::new();
        let mut cells = 0;
        if !read_csv_record(&mut reader, &mut record, &mut cells)? {
            return Err(FileError::Empty);
        }
        let header = Header::new(record.iter().map(lossy).collect());
        Ok(SheetReader {
            name: name.to_string(),
            header,
            source: Source::Csv {
                reader: Box::new(reader),
                record,
                cells,
            },
        })
    }

    /// Opens the sheet named `name` (case-insensitive) of an XLSX workbook
    /// and reads its header row; `Ok(None)` when the workbook has no such sheet.
    pub fn xlsx(workbook: &Workbook<'a>, name: &str) -> Result<Option<SheetReader<'a>>, FileError> {
        let Some(mut stream) = workbook.sheet(name)? else {
            return Ok(None);
        };
        let Some((_, names)) = stream.header()? else {
            return Err(FileError::Empty);
        };
        Ok(Some(SheetReader {
            name: stream.name.clone(),
            header: Header::new(names),
            source: Source::Xlsx(Box::new(stream)),
        }))
    }

    /// Reads the next non-blank row into `buf`; returns its line number.
    pub fn next_row(&mut self, buf: &mut Vec<String>) -> Result<Option<usize>, FileError> {
        loop {
            let line = match &mut self.source {
                Source::Csv {
                    reader,
                    record,
                    cells,
                } => {
                    if !read_csv_record(reader, record, cells)? {
                        return Ok(None);
                    }
                    let line = record
                        .position()
                        .map_or(0, |p| csv_line(reader.get_ref(), p));
                    fill(buf, record.iter());
                    line
                }
                Source::Xlsx(stream) => match stream.next_row(buf)? {
                    Some(line) => line,
                    None => return Ok(None),
                },
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
    fn sniffs_pipes_commas_and_semicolons_outside_quotes() {
        assert_eq!(sniff_delimiter(b"\"a,b\"|\"c;d\"|\"e\"\nx,y,z,w"), b'|');
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
        assert_eq!(sniff_delimiter(b"a,b|c,d\n"), b',');
        assert_eq!(sniff_delimiter(b"nama\n"), b',');
        let rows = SheetReader::csv(&b"\"a\"|\"b\"\n\"1|2\"|\"3\"\n"[..], "x")
            .unwrap()
            .into_rows()
            .unwrap();
        assert_eq!(rows[0].1, vec!["1|2".to_string(), "3".into()]);
    }

    #[test]
    fn line_numbers_follow_multiline_fields() {
        let bytes = b"a,b\n\"x\ny\",1\nz,2\n";
        let rows = SheetReader::csv(&bytes[..], "x")
            .unwrap()
            .into_rows()
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn line_numbers_hold_for_windows_line_ends() {
        let bytes = b"a,b\r\n\"x\r\ny\",1\r\n\r\nz,2\r\nw,3";
        let rows = SheetReader::csv(&bytes[..], "x")
            .unwrap()
            .into_rows()
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 5, 6]);
    }

    #[test]
    fn line_numbers_hold_for_windows_line_ends_far_into_a_stream() {
        // Past the ring and the reader's buffer several times over, read in
        // small pieces as a spooled upload may be.
        struct Trickle<'b>(&'b [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(1000);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut text = String::from("a,b\r\n");
        for i in 0..60_000 {
            text.push_str(&format!("x{i},{i}\r\n"));
        }
        text.push_str("\r\nlast,1\r\n");
        let rows = SheetReader::csv(Trickle(text.as_bytes()), "x")
            .unwrap()
            .into_rows()
            .unwrap();
        assert_eq!(rows.len(), 60_001);
        assert_eq!(rows[59_999].0, 60_001);
        assert_eq!(rows[60_000].0, 60_003);
    }

    #[test]
    fn empty_and_binary_files_are_file_errors() {
        assert!(matches!(
            SheetReader::csv(&b""[..], "x"),
            Err(FileError::Empty)
        ));
        assert!(matches!(
            SheetReader::csv(&b"\xEF\xBB\xBF  \n"[..], "x"),
            Err(FileError::Empty)
        ));
        assert!(matches!(
            SheetReader::csv(&b"\xD0\xCF\x11\xE0\0\0"[..], "x"),
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
        let wb = Workbook::open(&bytes).unwrap();
        assert!(SheetReader::xlsx(&wb, "other").unwrap().is_none());
        let rows = SheetReader::xlsx(&wb, "DATA")
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
