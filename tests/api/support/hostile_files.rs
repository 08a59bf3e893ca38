//! Hostile import files, generated here so that none is committed as a binary:
//! each one reproduces an attack of issue 10, item 5 (a cell at `XFD1048576`,
//! a huge `uniqueCount`, one large shared string in many cells, a zip bomb, a
//! 10 MB cell, 20,000 columns, damaged zips, a 50 MB CSV line). All data is
//! synthetic.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

/// The required KEPALA-KELUARGA headers and one valid row for them.
pub const FAMILY_HEADERS: [&str; 5] = [
    "ID Keluarga P3KE",
    "Kode Kemdagri",
    "Desil Kesejahteraan",
    "Nama Kepala Keluarga",
    "NIK Kepala Keluarga",
];
pub const FAMILY_ROW: [&str; 5] = [
    "P3KE-H1",
    "6402061001",
    "1",
    "SITI AMINAH",
    "6402064506800001",
];

/// A zip archive of the given parts, deflated (as Excel writes them).
pub fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (name, data) in parts {
        w.start_file(*name, options).unwrap();
        for chunk in data.chunks(1 << 20) {
            w.write_all(chunk).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="KEPALA-KELUARGA" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A one-sheet workbook (`KEPALA-KELUARGA`) with the given sheet data and,
/// when given, shared strings part.
pub fn workbook(sheet_data: &[u8], shared_strings: Option<&[u8]>) -> Vec<u8> {
    let mut sheet = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#.to_vec();
    sheet.extend_from_slice(sheet_data);
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", &sheet),
    ];
    if let Some(sst) = shared_strings {
        parts.push(("xl/sharedStrings.xml", sst));
    }
    zip(&parts)
}

/// Column letters of a 0-based index (`0` → `A`, `16383` → `XFD`).
pub fn column(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

/// A row of inline-string cells.
pub fn inline_row(row: usize, values: &[&str]) -> String {
    let cells: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"<c r="{}{row}" t="inlineStr"><is><t>{v}</t></is></c>"#,
                column(i)
            )
        })
        .collect();
    format!(r#"<row r="{row}">{cells}</row>"#)
}

/// A shared strings part with the given strings and claimed counts.
pub fn shared_strings(strings: &[&str], unique_count: &str) -> Vec<u8> {
    let items: String = strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{unique_count}" uniqueCount="{unique_count}">{items}</sst>"#
    )
    .into_bytes()
}

/// Letters that do not compress much, so a large cell passes the ratio check
/// and reaches the reader (a fixed xorshift: the same bytes every run).
pub fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect()
}

/// One cell, at `XFD1048576` (Excel's last cell), and nothing else: the
/// bounding box a dense reader would allocate is 17 billion cells.
pub fn cell_at_xfd1048576() -> Vec<u8> {
    workbook(
        br#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#,
        None,
    )
}

/// A valid one-family workbook whose shared strings claim a trillion entries.
pub fn huge_unique_count() -> Vec<u8> {
    let mut strings: Vec<&str> = FAMILY_HEADERS.to_vec();
    strings.extend_from_slice(&FAMILY_ROW);
    let sst = shared_strings(&strings, "1000000000000");
    let row = |r: usize, first: usize| {
        let cells: String = (0..5)
            .map(|i| format!(r#"<c r="{}{r}" t="s"><v>{}</v></c>"#, column(i), first + i))
            .collect();
        format!(r#"<row r="{r}">{cells}</row>"#)
    };
    let data = format!("{}{}", row(1, 0), row(2, 5));
    workbook(data.as_bytes(), Some(&sst))
}

/// Headers, then 2,000 rows of five cells that all show one shared string
/// of `size` bytes: 10,000 references, ~30 KB zipped.
pub fn one_large_shared_string(size: usize) -> Vec<u8> {
    let big = "A".repeat(size);
    let mut strings: Vec<&str> = FAMILY_HEADERS.to_vec();
    strings.push(&big);
    let sst = shared_strings(&strings, "6");
    let mut data = String::new();
    data.push_str(r#"<row r="1">"#);
    for i in 0..5 {
        data.push_str(&format!(r#"<c r="{}1" t="s"><v>{i}</v></c>"#, column(i)));
    }
    data.push_str("</row>");
    for r in 2..2002 {
        data.push_str(&format!(r#"<row r="{r}">"#));
        for i in 0..5 {
            data.push_str(&format!(r#"<c r="{}{r}" t="s"><v>5</v></c>"#, column(i)));
        }
        data.push_str("</row>");
    }
    workbook(data.as_bytes(), Some(&sst))
}

/// A workbook whose sheet part inflates to `size` bytes, almost all blanks
/// (~1 MB zipped per GB). Written in chunks, so the test never holds it.
pub fn zip_bomb(size: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    for (name, data) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        w.start_file(name, options).unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    w.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let head = format!("<worksheet><sheetData>{}", inline_row(1, &FAMILY_HEADERS));
    w.write_all(head.as_bytes()).unwrap();
    let blanks = vec![b' '; 1 << 20];
    let mut written = head.len();
    while written < size {
        let n = blanks.len().min(size - written);
        w.write_all(&blanks[..n]).unwrap();
        written += n;
    }
    w.write_all(b"</sheetData></worksheet>").unwrap();
    w.finish().unwrap().into_inner()
}

/// Headers, then a row whose name cell holds `size` bytes of inline text.
pub fn large_inline_cell(size: usize) -> Vec<u8> {
    let text = String::from_utf8(noise(size)).unwrap();
    let mut row: Vec<&str> = FAMILY_ROW.to_vec();
    row[3] = &text;
    let data = format!("{}{}", inline_row(1, &FAMILY_HEADERS), inline_row(2, &row));
    workbook(data.as_bytes(), None)
}

/// A header row of `n` columns (the required ones first).
pub fn many_columns_xlsx(n: usize) -> Vec<u8> {
    let names: Vec<String> = (0..n)
        .map(|i| {
            FAMILY_HEADERS
                .get(i)
                .map_or(format!("Kolom {i}"), |h| h.to_string())
        })
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    workbook(inline_row(1, &refs).as_bytes(), None)
}

/// The same as CSV.
pub fn many_columns_csv(n: usize) -> Vec<u8> {
    let names: Vec<String> = (0..n)
        .map(|i| {
            FAMILY_HEADERS
                .get(i)
                .map_or(format!("Kolom {i}"), |h| h.to_string())
        })
        .collect();
    format!("{}\n{}\n", names.join(","), FAMILY_ROW.join(",")).into_bytes()
}

/// A zip signature followed by noise.
pub fn garbage_zip() -> Vec<u8> {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend(noise(4096));
    bytes
}

/// A CSV that is one line of `size` bytes.
pub fn one_line_csv(size: usize) -> Vec<u8> {
    let mut bytes = FAMILY_HEADERS.join(",").into_bytes();
    bytes.push(b',');
    bytes.resize(size, b'x');
    bytes
}
