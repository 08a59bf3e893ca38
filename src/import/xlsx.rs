//! A bounded, streaming reader of XLSX workbooks: the sheets' cells as text,
//! one row at a time, and never more of the file in memory than its caps allow.
//!
//! Why not calamine: it builds a dense grid from a sheet's bounding box (one
//! cell at `XFD1048576` asks for 17 billion cells) and reserves the shared
//! strings a file claims (`uniqueCount`), so a 2 KB file can abort the process.
//! Here the zip directory is checked first ([`limits`]: entries, sizes,
//! compression ratio), each part is inflated through a guard that stops at its
//! declared size and at an overlong XML run, `uniqueCount` and `dimension` are
//! ignored, and every cell, row and column is capped as it is read.
//!
//! What a cell becomes is what the previous calamine-based reader produced:
//! shared, inline and formula strings as written, booleans `TRUE`/`FALSE`,
//! numbers without `.0` when whole, numbers styled as dates (built-in or
//! custom `numFmt`) as `YYYY-MM-DD`, error cells empty.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};
use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::import::limits::{
    MAX_ARCHIVE_BYTES, MAX_CELLS, MAX_CELL_CHARS, MAX_COLUMNS, MAX_COMPRESSION_RATIO,
    MAX_ENTRY_BYTES, MAX_ROW_BYTES, MAX_ROW_NUMBER, MAX_SHARED_STRINGS_BYTES, MAX_XML_RUN,
    MAX_ZIP_ENTRIES, RATIO_FREE_BYTES,
};
use crate::import::sheet::{excel_serial_to_date, FileError};

/// Cell formats (`cellXfs`) a workbook may declare; Excel's own limit is 64,000.
const MAX_CELL_FORMATS: usize = 65_536;

/// Where one part of the archive lies, from the zip directory.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    compressed: usize,
    size: u64,
    deflated: bool,
}

/// What the workbook's parts say, shared by the readers of its sheets.
struct Book<'a> {
    bytes: &'a [u8],
    /// Parts by lower-cased name (Excel's part names are case-insensitive).
    entries: HashMap<String, Entry>,
    /// Sheet names and their part, in workbook order.
    sheets: Vec<(String, String)>,
    /// Per cell format (`s` of a cell): whether numbers in it are dates.
    date_styles: Vec<bool>,
    /// Serials count from 1904-01-01 (old Mac workbooks).
    date1904: bool,
    /// Every shared string, loaded at the first data row.
    shared: RefCell<Option<Rc<Vec<String>>>>,
}

/// An opened workbook: its zip directory checked, its sheet list and styles read.
#[derive(Clone)]
pub struct Workbook<'a>(Rc<Book<'a>>);

fn too_complex(detail: impl Into<String>) -> FileError {
    FileError::TooComplex(detail.into())
}

fn unreadable(detail: impl Into<String>) -> FileError {
    FileError::Unreadable(detail.into())
}

/// Checks the zip directory before anything is inflated.
fn directory(bytes: &[u8]) -> Result<HashMap<String, Entry>, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not a readable XLSX (zip) file: {e}")))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(too_complex(format!(
            "the workbook has {} parts; at most {MAX_ZIP_ENTRIES} are accepted",
            archive.len()
        )));
    }
    let mut entries = HashMap::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let file = archive
            .by_index_raw(i)
            .map_err(|e| unreadable(format!("part {i} of the workbook: {e}")))?;
        let name = file.name().map(|n| n.to_string()).unwrap_or_default();
        let (size, compressed) = (file.size(), file.compressed_size());
        if size > MAX_ENTRY_BYTES {
            return Err(too_complex(format!(
                "part {name} inflates to {size} bytes; at most {MAX_ENTRY_BYTES} are accepted"
            )));
        }
        if size > RATIO_FREE_BYTES && size / compressed.max(1) > MAX_COMPRESSION_RATIO {
            return Err(too_complex(format!(
                "part {name} is compressed {}:1; at most {MAX_COMPRESSION_RATIO}:1 is accepted",
                size / compressed.max(1)
            )));
        }
        total = total.saturating_add(size);
        if total > MAX_ARCHIVE_BYTES {
            return Err(too_complex(format!(
                "the workbook inflates to more than {MAX_ARCHIVE_BYTES} bytes"
            )));
        }
        if file.encrypted() {
            return Err(unreadable("the workbook is password-protected"));
        }
        let deflated = match file.compression() {
            zip::CompressionMethod::Stored => false,
            zip::CompressionMethod::Deflated => true,
            other => {
                return Err(unreadable(format!(
                    "part {name} uses compression {other:?}, which Excel does not write"
                )))
            }
        };
        let start = file.data_start().unwrap_or(u64::MAX);
        let end = start.checked_add(compressed);
        let (Ok(start), Some(Ok(end))) = (usize::try_from(start), end.map(usize::try_from)) else {
            return Err(unreadable(format!("part {name} lies outside the file")));
        };
        if end > bytes.len() || (!deflated && compressed != size) {
            return Err(unreadable(format!("part {name} lies outside the file")));
        }
        entries.insert(
            name.to_lowercase(),
            Entry {
                start,
                compressed: end - start,
                size,
                deflated,
            },
        );
    }
    Ok(entries)
}

/// Raised by [`Guard`] through the XML parser's I/O error.
#[derive(Debug)]
struct Tripped(String);

impl std::fmt::Display for Tripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Tripped {}

/// Inflated bytes of one part, stopped at the size the directory declared
/// (a lying directory gains nothing) and at an XML run longer than
/// [`MAX_XML_RUN`] (the parser buffers one run at a time).
struct Guard<R> {
    inner: R,
    part: String,
    left: u64,
    run: usize,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let trip = |detail: String| std::io::Error::other(Tripped(detail));
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            trip(format!(
                "part {} inflates to more than its declared size",
                self.part
            ))
        })?;
        let mut segments = buf[..n].split(|&b| b == b'<');
        // The first segment continues the run of the previous read.
        self.run += segments.next().map_or(0, <[u8]>::len);
        let mut longest = self.run;
        for segment in segments {
            self.run = segment.len();
            longest = longest.max(self.run);
        }
        if longest > MAX_XML_RUN {
            return Err(trip(format!(
                "part {} has an element or text longer than {MAX_XML_RUN} bytes",
                self.part
            )));
        }
        Ok(n)
    }
}

type Xml<'a> = Reader<BufReader<Guard<Box<dyn Read + 'a>>>>;

/// A parser error, or a cap the guard enforced.
fn xml_error(part: &str, e: quick_xml::Error) -> FileError {
    if let quick_xml::Error::Io(io) = &e {
        if let Some(t) = io.get_ref().and_then(|i| i.downcast_ref::<Tripped>()) {
            return too_complex(t.0.clone());
        }
    }
    unreadable(format!("part {part} is not valid XML: {e}"))
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| {
            quick_xml::escape::unescape(&a.value)
                .map_or_else(|_| a.value.to_string(), |s| s.into_owned())
        })
}

/// The value of an attribute whose local name is `local`, whatever its prefix.
fn attr_local(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.value.to_string())
}

impl<'a> Workbook<'a> {
    /// Checks the zip directory, then reads the sheet list and the styles.
    pub fn open(bytes: &'a [u8]) -> Result<Workbook<'a>, FileError> {
        let mut book = Book {
            bytes,
            entries: directory(bytes)?,
            sheets: Vec::new(),
            date_styles: Vec::new(),
            date1904: false,
            shared: RefCell::new(None),
        };
        book.read_workbook()?;
        book.read_styles()?;
        Ok(Workbook(Rc::new(book)))
    }

    /// Sheet names in workbook order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.0.sheets.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The sheet named `name` (case-insensitive), positioned before its first row.
    pub fn sheet(&self, name: &str) -> Result<Option<SheetStream<'a>>, FileError> {
        let Some((actual, part)) = self
            .0
            .sheets
            .iter()
            .find(|(s, _)| s.trim().eq_ignore_ascii_case(name.trim()))
        else {
            return Ok(None);
        };
        let xml = self
            .0
            .part(part)?
            .ok_or_else(|| unreadable(format!("sheet {actual} has no part {part}")))?;
        Ok(Some(SheetStream {
            book: Rc::clone(&self.0),
            name: actual.clone(),
            part: part.clone(),
            xml,
            buf: Vec::new(),
            cells: 0,
            rows: 0,
            last_row: 0,
            done: false,
        }))
    }
}

impl<'a> Book<'a> {
    /// An XML reader over one part, or `None` when the archive lacks it.
    fn part(&self, name: &str) -> Result<Option<Xml<'a>>, FileError> {
        let Some(entry) = self.entries.get(&name.to_lowercase()).copied() else {
            return Ok(None);
        };
        // `directory` checked that the range lies inside the file.
        let raw = &self.bytes[entry.start..entry.start + entry.compressed];
        let inner: Box<dyn Read + 'a> = if entry.deflated {
            Box::new(flate2::read::DeflateDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        let mut xml = Reader::from_reader(BufReader::new(Guard {
            inner,
            part: name.to_string(),
            left: entry.size,
            run: 0,
        }));
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = false;
        Ok(Some(xml))
    }

    fn read_workbook(&mut self) -> Result<(), FileError> {
        let name = "xl/workbook.xml";
        let mut xml = self
            .part(name)?
            .ok_or_else(|| unreadable("the file is a zip archive but not an XLSX workbook"))?;
        let mut listed = Vec::new();
        let mut buf = Vec::new();
        loop {
            match xml
                .read_event_into(&mut buf)
                .map_err(|e| xml_error(name, e))?
            {
                Event::Start(e) if e.local_name().as_ref() == "sheet" => {
                    let sheet = attr(&e, "name").unwrap_or_default();
                    listed.push((sheet, attr_local(&e, "id")));
                }
                Event::Start(e) if e.local_name().as_ref() == "workbookPr" => {
                    self.date1904 = matches!(attr(&e, "date1904").as_deref(), Some("1" | "true"));
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        let targets = self.relationships()?;
        self.sheets = listed
            .into_iter()
            .enumerate()
            .map(|(i, (sheet, rid))| {
                let part = rid
                    .and_then(|r| targets.get(&r).cloned())
                    .unwrap_or_else(|| format!("xl/worksheets/sheet{}.xml", i + 1));
                (sheet, part)
            })
            .collect();
        Ok(())
    }

    /// `xl/_rels/workbook.xml.rels`: relationship id → part name.
    fn relationships(&self) -> Result<HashMap<String, String>, FileError> {
        let name = "xl/_rels/workbook.xml.rels";
        let mut out = HashMap::new();
        let Some(mut xml) = self.part(name)? else {
            return Ok(out);
        };
        let mut buf = Vec::new();
        loop {
            match xml
                .read_event_into(&mut buf)
                .map_err(|e| xml_error(name, e))?
            {
                Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                    if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                        let part = match target.strip_prefix('/') {
                            Some(absolute) => absolute.to_string(),
                            None => format!("xl/{target}"),
                        };
                        out.insert(id, part);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(out)
    }

    /// `xl/styles.xml`: which cell formats show numbers as dates.
    fn read_styles(&mut self) -> Result<(), FileError> {
        let name = "xl/styles.xml";
        let Some(mut xml) = self.part(name)? else {
            return Ok(());
        };
        let mut custom: HashMap<String, bool> = HashMap::new();
        let mut in_cell_xfs = false;
        let mut buf = Vec::new();
        loop {
            match xml
                .read_event_into(&mut buf)
                .map_err(|e| xml_error(name, e))?
            {
                Event::Start(e) => match e.local_name().as_ref() {
                    "numFmt" => {
                        if let (Some(id), Some(code)) =
                            (attr(&e, "numFmtId"), attr(&e, "formatCode"))
                        {
                            if custom.len() < MAX_CELL_FORMATS {
                                custom.insert(id, is_date_format(&code));
                            }
                        }
                    }
                    "cellXfs" => in_cell_xfs = true,
                    "xf" if in_cell_xfs => {
                        if self.date_styles.len() >= MAX_CELL_FORMATS {
                            return Err(too_complex(format!(
                                "the workbook declares more than {MAX_CELL_FORMATS} cell formats"
                            )));
                        }
                        let id = attr(&e, "numFmtId").unwrap_or_default();
                        let date = custom
                            .get(&id)
                            .copied()
                            .unwrap_or_else(|| is_builtin_date_format(&id));
                        self.date_styles.push(date);
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(())
    }

    /// Shared strings `0..=upto` (all when `None`), in order. `uniqueCount` is
    /// not read: the vector grows with what is really there, within the caps.
    fn load_shared(&self, upto: Option<usize>) -> Result<Vec<String>, FileError> {
        let name = "xl/sharedStrings.xml";
        let mut out = Vec::new();
        let Some(mut xml) = self.part(name)? else {
            return Ok(out);
        };
        let (mut bytes, mut buf) = (0usize, Vec::new());
        loop {
            if upto.is_some_and(|last| out.len() > last) {
                break;
            }
            match xml
                .read_event_into(&mut buf)
                .map_err(|e| xml_error(name, e))?
            {
                Event::Start(e) if e.local_name().as_ref() == "si" => {
                    let s = rich_text(&mut xml, name, "si")?;
                    bytes += s.len();
                    if bytes > MAX_SHARED_STRINGS_BYTES {
                        return Err(too_complex(format!(
                            "the shared strings exceed {MAX_SHARED_STRINGS_BYTES} bytes"
                        )));
                    }
                    if out.len() as u64 >= MAX_CELLS {
                        return Err(too_complex(format!(
                            "the workbook has more than {MAX_CELLS} shared strings"
                        )));
                    }
                    out.push(s);
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(out)
    }

    /// All shared strings, read once per workbook.
    fn shared(&self) -> Result<Rc<Vec<String>>, FileError> {
        if let Some(s) = self.shared.borrow().as_ref() {
            return Ok(Rc::clone(s));
        }
        let loaded = Rc::new(self.load_shared(None)?);
        *self.shared.borrow_mut() = Some(Rc::clone(&loaded));
        Ok(loaded)
    }
}

/// Appends text to a cell value, refusing it past [`MAX_CELL_CHARS`].
fn push_capped(value: &mut String, text: &str, part: &str) -> Result<(), FileError> {
    // A char is at most 4 bytes: below this many bytes no count is needed.
    if value.len() + text.len() > MAX_CELL_CHARS
        && value.chars().count() + text.chars().count() > MAX_CELL_CHARS
    {
        return Err(too_complex(format!(
            "a cell in part {part} is longer than {MAX_CELL_CHARS} characters"
        )));
    }
    value.push_str(text);
    Ok(())
}

/// The text of a string item (`<si>` or `<is>`) up to its end: the `<t>`
/// runs concatenated, phonetic runs (`<rPh>`) left out.
fn rich_text(xml: &mut Xml<'_>, part: &str, end: &str) -> Result<String, FileError> {
    let (mut value, mut buf) = (String::new(), Vec::new());
    let (mut in_t, mut in_phonetic) = (false, false);
    loop {
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(part, e))?
        {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                name if name == end => break,
                _ => {}
            },
            Event::Text(t) if in_t && !in_phonetic => {
                push_capped(&mut value, &t.xml10_content(), part)?;
            }
            Event::CData(t) if in_t && !in_phonetic => {
                push_capped(&mut value, &t.xml10_content(), part)?;
            }
            Event::GeneralRef(r) if in_t && !in_phonetic => {
                push_capped(&mut value, &entity(&r)?, part)?;
            }
            Event::Eof => return Err(unreadable(format!("part {part} ends inside a string"))),
            _ => {}
        }
        buf.clear();
    }
    Ok(unescape_excel(&value))
}

/// `&amp;`, `&#233;` and the other XML references in text.
fn entity(r: &quick_xml::events::BytesRef<'_>) -> Result<String, FileError> {
    if let Some(s) = quick_xml::escape::resolve_xml_entity(r) {
        return Ok(s.to_string());
    }
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c.to_string()),
        _ => Err(unreadable(format!(
            "unknown XML reference &{};",
            crate::import::limits::echo(r)
        ))),
    }
}

/// Excel writes control characters as `_xHHHH_` (and a literal `_x` as `_x005F_x`).
fn unescape_excel(s: &str) -> String {
    if !s.contains("_x") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let code = tail
            .get(2..6)
            .filter(|_| tail.as_bytes().get(6) == Some(&b'_'))
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match code {
            Some(c) => {
                out.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                rest = &tail[7..];
            }
            None => {
                out.push_str("_x");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Built-in number formats that show dates or times (ECMA-376 §18.8.30).
fn is_builtin_date_format(id: &str) -> bool {
    matches!(id.parse::<u32>(), Ok(14..=22 | 27..=36 | 45..=47 | 50..=58))
}

/// Whether a custom format code shows a date or time: a `d m y h s` outside
/// quotes, escapes and brackets in its first section, or an elapsed-time
/// bracket such as `[h]`.
fn is_date_format(code: &str) -> bool {
    let (mut escaped, mut quoted, mut bracket) = (false, false, None::<String>);
    for c in code.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        if let Some(inside) = bracket.as_mut() {
            if c == ']' {
                let elapsed = inside
                    .chars()
                    .all(|x| matches!(x, 'h' | 'H' | 'm' | 'M' | 's' | 'S'));
                if elapsed && !inside.is_empty() {
                    return true;
                }
                bracket = None;
            } else {
                inside.push(c);
            }
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '\\' | '_' | '*' => escaped = true,
            '[' => bracket = Some(String::new()),
            ';' => return false,
            'd' | 'D' | 'm' | 'M' | 'y' | 'Y' | 'h' | 'H' | 's' | 'S' => return true,
            _ => {}
        }
    }
    false
}

/// A cell as the sheet stores it, before shared strings and styles are applied.
enum Raw {
    Shared(usize),
    Text(String),
    Number { value: String, style: usize },
    Bool(bool),
    IsoDate(String),
    Empty,
}

/// A row as stored: its number and its cells by column.
type RawRow = (usize, Vec<(usize, Raw)>);

/// `B12` → (column 1, row 12), refusing coordinates past the caps before any
/// cell is made for them.
fn coordinates(reference: &str) -> Result<(usize, Option<usize>), FileError> {
    let letters = reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .count();
    if letters == 0 || letters > 3 {
        return Err(unreadable(format!(
            "cell reference '{}' is not a column and row",
            crate::import::limits::echo(reference)
        )));
    }
    let mut col = 0usize;
    for b in reference[..letters].bytes() {
        col = col * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    if col > MAX_COLUMNS {
        return Err(too_complex(format!(
            "cell {} lies beyond column {MAX_COLUMNS}",
            crate::import::limits::echo(reference)
        )));
    }
    let row = match &reference[letters..] {
        "" => None,
        digits => Some(row_number(digits)?),
    };
    Ok((col - 1, row))
}

fn row_number(digits: &str) -> Result<usize, FileError> {
    match digits.parse::<usize>() {
        Ok(n) if (1..=MAX_ROW_NUMBER).contains(&n) => Ok(n),
        _ => Err(too_complex(format!(
            "row '{}' lies outside rows 1-{MAX_ROW_NUMBER}",
            crate::import::limits::echo(digits)
        ))),
    }
}

/// One sheet read row by row.
pub struct SheetStream<'a> {
    book: Rc<Book<'a>>,
    /// The sheet's name as the workbook spells it.
    pub name: String,
    part: String,
    xml: Xml<'a>,
    buf: Vec<u8>,
    cells: u64,
    rows: usize,
    last_row: usize,
    done: bool,
}

impl SheetStream<'_> {
    /// The next row that has a cell, as stored, with its row number.
    fn next_raw(&mut self) -> Result<Option<RawRow>, FileError> {
        let part = self.part.clone();
        let mut row: Option<RawRow> = None;
        let mut next_col = 0usize;
        while !self.done {
            self.buf.clear();
            let event = self
                .xml
                .read_event_into(&mut self.buf)
                .map_err(|e| xml_error(&part, e))?;
            match event {
                Event::Start(e) if e.local_name().as_ref() == "row" => {
                    self.rows += 1;
                    if self.rows > MAX_ROW_NUMBER {
                        return Err(too_complex(format!(
                            "sheet {} has more than {MAX_ROW_NUMBER} rows",
                            self.name
                        )));
                    }
                    let number = match attr(&e, "r") {
                        Some(r) => row_number(&r)?,
                        None => self.last_row + 1,
                    };
                    self.last_row = number;
                    next_col = 0;
                    row = Some((number, Vec::new()));
                }
                Event::Start(e) if e.local_name().as_ref() == "c" => {
                    let reference = attr(&e, "r");
                    let kind = attr(&e, "t");
                    let style = attr(&e, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
                    let col = match reference.as_deref().map(coordinates).transpose()? {
                        Some((col, _)) => col,
                        None if next_col < MAX_COLUMNS => next_col,
                        None => {
                            return Err(too_complex(format!(
                                "sheet {} has a row beyond column {MAX_COLUMNS}",
                                self.name
                            )))
                        }
                    };
                    next_col = col + 1;
                    let value = self.cell(kind.as_deref(), style)?;
                    self.cells += 1;
                    if self.cells > MAX_CELLS {
                        return Err(too_complex(format!(
                            "sheet {} has more than {MAX_CELLS} cells",
                            self.name
                        )));
                    }
                    if let Some((_, cells)) = row.as_mut() {
                        if cells.len() >= MAX_COLUMNS {
                            return Err(too_complex(format!(
                                "sheet {} has a row of more than {MAX_COLUMNS} cells",
                                self.name
                            )));
                        }
                        cells.push((col, value));
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "row" => {
                    if let Some(r) = row.take() {
                        if r.1.iter().any(|(_, v)| !matches!(v, Raw::Empty)) {
                            return Ok(Some(r));
                        }
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "sheetData" => self.done = true,
                Event::Eof => self.done = true,
                _ => {}
            }
        }
        Ok(None)
    }

    /// The content of one `<c>` up to its end.
    fn cell(&mut self, kind: Option<&str>, style: usize) -> Result<Raw, FileError> {
        let part = self.part.clone();
        let mut value: Option<String> = None;
        let mut inline: Option<String> = None;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match self
                .xml
                .read_event_into(&mut buf)
                .map_err(|e| xml_error(&part, e))?
            {
                Event::Start(e) if e.local_name().as_ref() == "v" => {
                    value = Some(plain_text(&mut self.xml, &part, "v")?);
                }
                Event::Start(e) if e.local_name().as_ref() == "is" => {
                    inline = Some(rich_text(&mut self.xml, &part, "is")?);
                }
                Event::Start(e) if e.local_name().as_ref() == "f" => {
                    // The formula itself is not wanted, only its cached value.
                    plain_text(&mut self.xml, &part, "f")?;
                }
                Event::End(e) if e.local_name().as_ref() == "c" => break,
                Event::Eof => return Err(unreadable(format!("part {part} ends inside a cell"))),
                _ => {}
            }
        }
        Ok(match (kind, value, inline) {
            (Some("inlineStr"), _, Some(s)) => Raw::Text(s),
            (Some("s"), Some(v), _) => match v.trim().parse() {
                Ok(i) => Raw::Shared(i),
                Err(_) => Raw::Empty,
            },
            (Some("str"), Some(v), _) => Raw::Text(unescape_excel(&v)),
            (Some("b"), Some(v), _) => Raw::Bool(v.trim() == "1"),
            (Some("e"), ..) => Raw::Empty,
            (Some("d"), Some(v), _) => Raw::IsoDate(v),
            (_, Some(v), _) => Raw::Number { value: v, style },
            (_, None, Some(s)) => Raw::Text(s),
            (_, None, None) => Raw::Empty,
        })
    }

    /// Renders a raw row into `buf` (absolute column positions, so a sheet
    /// starting at column B still lines up), refusing rows past [`MAX_ROW_BYTES`].
    fn render(
        &self,
        cells: Vec<(usize, Raw)>,
        shared: &[String],
        buf: &mut Vec<String>,
    ) -> Result<(), FileError> {
        buf.clear();
        let mut bytes = 0usize;
        for (col, raw) in cells {
            let text = match raw {
                Raw::Empty => continue,
                Raw::Shared(i) => shared.get(i).cloned().ok_or_else(|| {
                    unreadable(format!(
                        "sheet {} refers to shared string {i}, which the workbook lacks",
                        self.name
                    ))
                })?,
                Raw::Text(s) => s,
                Raw::Bool(b) => if b { "TRUE" } else { "FALSE" }.to_string(),
                Raw::IsoDate(s) => s.get(..10).unwrap_or(&s).to_string(),
                Raw::Number { value, style } => self.number(&value, style),
            };
            bytes += text.len();
            if bytes > MAX_ROW_BYTES {
                return Err(too_complex(format!(
                    "a row of sheet {} holds more than {MAX_ROW_BYTES} bytes of text",
                    self.name
                )));
            }
            if buf.len() <= col {
                buf.resize(col + 1, String::new());
            }
            buf[col] = text;
        }
        Ok(())
    }

    fn number(&self, value: &str, style: usize) -> String {
        let Ok(f) = value.trim().parse::<f64>() else {
            return value.to_string();
        };
        if self.book.date_styles.get(style).copied().unwrap_or(false) {
            let serial = if self.book.date1904 { f + 1462.0 } else { f };
            if let Some(d) = excel_serial_to_date(serial) {
                return d.to_string();
            }
        }
        render_float(f)
    }

    /// The first row that has a cell, rendered with only the shared strings
    /// it needs: cheap enough to check headers when a file is uploaded.
    pub fn header(&mut self) -> Result<Option<(usize, Vec<String>)>, FileError> {
        let Some((line, cells)) = self.next_raw()? else {
            return Ok(None);
        };
        let last = cells
            .iter()
            .filter_map(|(_, v)| match v {
                Raw::Shared(i) => Some(*i),
                _ => None,
            })
            .max();
        let shared = match last {
            Some(last) => self.book.load_shared(Some(last))?,
            None => Vec::new(),
        };
        let mut buf = Vec::new();
        self.render(cells, &shared, &mut buf)?;
        Ok(Some((line, buf)))
    }

    /// The next row that has a cell, into `buf`; returns its row number.
    pub fn next_row(&mut self, buf: &mut Vec<String>) -> Result<Option<usize>, FileError> {
        let Some((line, cells)) = self.next_raw()? else {
            return Ok(None);
        };
        let shared = self.book.shared()?;
        self.render(cells, &shared, buf)?;
        Ok(Some(line))
    }
}

/// Text of a simple element (`<v>`, `<f>`) up to its end, capped like a cell.
fn plain_text(xml: &mut Xml<'_>, part: &str, end: &str) -> Result<String, FileError> {
    let (mut value, mut buf) = (String::new(), Vec::new());
    loop {
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(part, e))?
        {
            Event::Text(t) => push_capped(&mut value, &t.xml10_content(), part)?,
            Event::CData(t) => push_capped(&mut value, &t.xml10_content(), part)?,
            Event::GeneralRef(r) => push_capped(&mut value, &entity(&r)?, part)?,
            Event::End(e) if e.local_name().as_ref() == end => break,
            Event::Eof => return Err(unreadable(format!("part {part} ends inside a cell"))),
            _ => {}
        }
        buf.clear();
    }
    Ok(value)
}

/// A number as text: whole numbers without `.0`.
pub fn render_float(f: f64) -> String {
    // Integers up to 2^53 are exact in f64, which covers every 16-digit NIK/KK
    // below 9007199254740992 (all Indonesian region prefixes up to 90).
    if f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_are_recognised_as_the_previous_reader_did() {
        for code in [
            "dd/mm/yyyy",
            "DD-MM-YY",
            "yyyy-mm-dd;@",
            "[h]:mm:ss",
            "m\"M\"d\"D\"",
        ] {
            assert!(is_date_format(code), "{code}");
        }
        for code in [
            "0.00",
            "#,##0",
            "\"$\"#,##0_);[Red](\"$\"#,##0)",
            "0;[Red]-0",
            "@",
        ] {
            assert!(!is_date_format(code), "{code}");
        }
        assert!(is_builtin_date_format("14") && !is_builtin_date_format("2"));
    }

    #[test]
    fn coordinates_past_the_caps_are_refused_before_any_cell_is_made() {
        assert_eq!(coordinates("B12").unwrap(), (1, Some(12)));
        assert_eq!(coordinates("IV1").unwrap(), (255, Some(1)));
        assert!(matches!(
            coordinates("XFD1048576"),
            Err(FileError::TooComplex(_))
        ));
        assert!(matches!(
            coordinates("A1048577"),
            Err(FileError::TooComplex(_))
        ));
        assert!(matches!(coordinates("1A"), Err(FileError::Unreadable(_))));
    }

    #[test]
    fn excel_escapes_are_decoded() {
        assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
        assert_eq!(unescape_excel("_x005F_x000D_"), "_x000D_");
        assert_eq!(unescape_excel("no_xescape"), "no_xescape");
    }

    #[test]
    fn renders_numbers() {
        assert_eq!(render_float(6402061203850001.0), "6402061203850001");
        assert_eq!(render_float(3.0), "3");
        assert_eq!(render_float(2.5), "2.5");
    }

    #[test]
    fn the_guard_stops_at_the_declared_size_and_at_an_overlong_run() {
        let read_all = |data: Vec<u8>, declared: u64| {
            let mut g = Guard {
                inner: Cursor::new(data),
                part: "p".into(),
                left: declared,
                run: 0,
            };
            std::io::copy(&mut g, &mut std::io::sink())
        };
        assert!(read_all(b"<a>b</a>".to_vec(), 8).is_ok());
        assert!(read_all(b"<a>b</a>".to_vec(), 7).is_err());
        let long = vec![b'x'; MAX_XML_RUN + 10];
        let err = read_all(long, u64::MAX).unwrap_err();
        assert!(err.get_ref().unwrap().downcast_ref::<Tripped>().is_some());
        let mut many = Vec::new();
        for _ in 0..1000 {
            many.extend_from_slice(b"<c>");
            many.extend(std::iter::repeat_n(b'y', 1000));
        }
        assert!(read_all(many, u64::MAX).is_ok());
    }
}
