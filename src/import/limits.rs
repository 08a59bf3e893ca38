//! How far an uploaded file may go: the caps every reader of an import file
//! enforces, and the one way a cell's value is quoted back to the user.
//!
//! An upload is untrusted input from a privileged but fallible user (or a
//! stolen token): a 2 KB XLSX can claim a billion shared strings or a cell at
//! `XFD1048576`, a 1 MB zip can inflate to gigabytes. Every cap here is far
//! above what a real P3KE or DTKS export of a regency needs (see
//! `docs/DECISIONS.md`, "Import files cannot hurt the service"), and each one
//! is checked before the memory it guards is taken.

/// Entries in an XLSX archive. Excel writes 10–20; images, comments and many
/// sheets stay well under this.
pub const MAX_ZIP_ENTRIES: usize = 1_000;

/// Uncompressed size of one archive entry, as the zip directory declares it
/// and as actually inflated (the reader stops at the declared size too, so a
/// lying directory gains nothing). A 100,000-family P3KE sheet is ~150 MB of XML.
pub const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// Uncompressed size of all entries together.
pub const MAX_ARCHIVE_BYTES: u64 = 2 << 30;

/// Uncompressed ÷ compressed size of an entry larger than
/// [`RATIO_FREE_BYTES`]. Worksheet XML compresses 5–30×; a zip bomb 1000×.
pub const MAX_COMPRESSION_RATIO: u64 = 100;

/// Entries up to this size may have any ratio: tiny parts (an empty sheet,
/// `[Content_Types].xml`) compress oddly and cost nothing.
pub const RATIO_FREE_BYTES: u64 = 1 << 20;

/// Longest XML tag or text run between two `<` in any part of a workbook.
/// The XML parser buffers one event at a time, so this bounds its buffer
/// whatever the file holds (one cell of 32,767 characters, escaped, fits).
pub const MAX_XML_RUN: usize = 1 << 20;

/// Decoded text of all shared strings together: they are the one part of a
/// workbook held in memory while its sheets are read.
pub const MAX_SHARED_STRINGS_BYTES: usize = 64 << 20;

/// Characters in one cell: Excel's own limit, so no file Excel wrote exceeds it.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Bytes of text in one row, all cells together. A P3KE row is ~1 KB; this cap
/// bounds what the rows and records in flight between reader and writer hold.
pub const MAX_ROW_BYTES: usize = 64 << 10;

/// Columns of a sheet (the highest column a cell may name). P3KE has 41,
/// DTKS 17, a DTSEN family file about 60; re-saved files may add a few.
pub const MAX_COLUMNS: usize = 256;

/// Highest row number a cell may name: Excel's own last row.
pub const MAX_ROW_NUMBER: usize = 1_048_576;

/// Cells read from one file, all sheets together (~20 million for the largest
/// regency's P3KE export). Bounds the time an import may take.
pub const MAX_CELLS: u64 = 50_000_000;

/// Rows of a DTSEN code book (`kolom | kode | keterangan`). A real one has a
/// few hundred; the book is held in memory while the data files are read,
/// so it is the one import file whose rows are all kept.
pub const MAX_CODE_BOOK_ROWS: usize = 10_000;

/// Characters of a cell quoted back in a rejection reason or flag.
pub const ECHO_CHARS: usize = 40;

/// A value as quoted back to the user: trimmed, and cut to [`ECHO_CHARS`]
/// characters followed by `…`, so a rejected row costs a few dozen bytes
/// in the import record however large the cell was.
pub fn echo(value: &str) -> String {
    let value = value.trim();
    match value.char_indices().nth(ECHO_CHARS) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_keeps_short_values_and_cuts_long_ones_on_a_char_boundary() {
        assert_eq!(echo("  6402999999 "), "6402999999");
        let long = "é".repeat(1000);
        let cut = echo(&long);
        assert_eq!(cut.chars().count(), ECHO_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(echo(&"x".repeat(ECHO_CHARS)), "x".repeat(ECHO_CHARS));
    }
}
