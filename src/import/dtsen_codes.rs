//! DTSEN code books: what the numeric codes of a DTSEN file mean, and how a
//! decoded value becomes one of our normalized codes.
//!
//! A snapshot comes with its own code books (`kolom | kode | keterangan`);
//! they win over the built-in table of `shared/formats/DTSEN.md`, column by
//! column. A cell is read as a code of the book when the book has it, else as
//! a label; labels are matched after [`normalize`] (case, spaces, `/`).
//! Where a P3KE value set holds the same concept (roof, water, relation, …)
//! the DTSEN values map onto *its* codes, so a household carries one
//! vocabulary whichever file set it; the P3KE labels are accepted too.

use std::borrow::Cow;
/// Looked up for every coded cell of a snapshot: hashed fast.
type HashMap<K, V> = foldhash::HashMap<K, V>;

use crate::import::limits::{echo, MAX_CODE_BOOK_ROWS};
use crate::import::p3ke::parse_whole;
use crate::import::sheet::{FileError, Input, SheetReader};
use crate::import::values::{self, normalize, ValueSet};
use crate::import::xlsx::Workbook;

/// Headers of a code book file.
pub mod col {
    pub const COLUMN: &str = "kolom";
    pub const CODE: &str = "kode";
    pub const LABEL: &str = "keterangan";
}

/// One categorical concept of DTSEN: the columns that use it, the built-in
/// codes with their labels (normalized) and our code for each, and the P3KE
/// value set of the same concept whose labels are accepted as well.
#[derive(Debug, Clone, Copy)]
pub struct Concept {
    /// Our name of the concept (`roof_material`, …).
    pub name: &'static str,
    /// DTSEN columns holding it.
    pub columns: &'static [&'static str],
    /// `(DTSEN code, label, our code)`. The first label of a DTSEN code is
    /// the one of the built-in book; entries with an empty DTSEN code are
    /// label aliases only.
    pub entries: &'static [(&'static str, &'static str, &'static str)],
    /// The P3KE value set of the same concept, if any.
    pub also: Option<&'static ValueSet>,
}

impl Concept {
    /// Our code for a label (already normalized), if the concept knows it.
    fn ours(&self, key: &str) -> Option<&'static str> {
        self.entries
            .iter()
            .find(|(_, label, _)| *label == key)
            .map(|(_, _, ours)| *ours)
            .or_else(|| match self.also?.map(key) {
                values::Mapped::Known(code) => Some(code),
                _ => None,
            })
    }

    /// The DTSEN code the built-in book gives one of our codes (for writing
    /// files): the first entry with that code.
    pub fn dtsen_code(&self, ours: &str) -> Option<&'static str> {
        self.entries
            .iter()
            .find(|(code, _, o)| !code.is_empty() && *o == ours)
            .map(|(code, _, _)| *code)
    }
}

macro_rules! concept {
    ($name:ident, $our:expr, [$($c:expr),+ $(,)?], $also:expr, [$(($code:expr, $label:expr, $ours:expr)),+ $(,)?]) => {
        #[doc = concat!("DTSEN `", $our, "`.")]
        pub const $name: Concept = Concept {
            name: $our,
            columns: &[$($c),+],
            entries: &[$(($code, $label, $ours)),+],
            also: $also,
        };
    };
}

concept!(
    ROOF_MATERIAL,
    "roof_material",
    ["jenis_atap_terluas"],
    Some(&values::ROOF_MATERIAL),
    [
        ("1", "BETON", "concrete"),
        ("2", "GENTENG", "tile"),
        ("3", "SENG", "asbestos_zinc"),
        ("4", "ASBES", "asbestos_zinc"),
        ("5", "BAMBU", "bamboo"),
        ("6", "KAYU/SIRAP", "wood_shingle"),
        ("7", "JERAMI/IJUK/DAUN-DAUNAN/RUMBIA", "thatch"),
        ("8", "LAINNYA", "other"),
    ]
);

concept!(
    WALL_MATERIAL,
    "wall_material",
    ["jenis_dinding_terluas"],
    Some(&values::WALL_MATERIAL),
    [
        ("1", "TEMBOK", "masonry"),
        ("2", "PLESTERAN ANYAMAN BAMBU/KAWAT", "bamboo"),
        ("3", "KAYU/PAPAN", "wood"),
        ("4", "ANYAMAN BAMBU", "bamboo"),
        ("5", "BATANG KAYU", "wood"),
        ("6", "BAMBU", "bamboo"),
        ("7", "LAINNYA", "other"),
    ]
);

concept!(
    FLOOR_MATERIAL,
    "floor_material",
    ["jenis_lantai_terluas"],
    Some(&values::FLOOR_MATERIAL),
    [
        ("1", "MARMER/GRANIT", "ceramic_stone"),
        ("2", "KERAMIK", "ceramic_stone"),
        ("3", "PARKET/VINIL/KARPET", "other"),
        ("4", "UBIN/TEGEL/TERASO", "ceramic_stone"),
        ("5", "KAYU/PAPAN", "wood"),
        ("6", "SEMEN/BATA MERAH", "cement"),
        ("7", "BAMBU", "bamboo"),
        ("8", "TANAH", "earth"),
        ("9", "LAINNYA", "other"),
    ]
);

concept!(
    DRINKING_WATER,
    "drinking_water",
    ["sumber_air_minum_utama"],
    Some(&values::DRINKING_WATER),
    [
        ("1", "AIR KEMASAN BERMERK", "bottled"),
        ("2", "AIR ISI ULANG", "bottled"),
        ("3", "LEDING", "piped"),
        ("4", "SUMUR BOR/POMPA", "bored_well"),
        ("5", "SUMUR TERLINDUNG", "protected_well"),
        ("6", "SUMUR TAK TERLINDUNG", "unprotected_well"),
        ("7", "MATA AIR TERLINDUNG", "protected_well"),
        ("8", "MATA AIR TAK TERLINDUNG", "unprotected_well"),
        ("9", "AIR PERMUKAAN", "surface_water"),
        ("10", "AIR HUJAN", "rain_water"),
        ("11", "LAINNYA", "other"),
        ("", "SUMUR TIDAK TERLINDUNG", "unprotected_well"),
        ("", "MATA AIR TIDAK TERLINDUNG", "unprotected_well"),
    ]
);

concept!(
    LIGHTING,
    "lighting_source",
    ["sumber_penerangan_utama"],
    Some(&values::LIGHTING),
    [
        ("1", "LISTRIK PLN DENGAN METERAN", "pln_metered"),
        ("2", "LISTRIK PLN TANPA METERAN", "pln_unmetered"),
        ("3", "LISTRIK NON-PLN", "non_pln"),
        ("4", "BUKAN LISTRIK", "no_electricity"),
    ]
);

concept!(
    POWER_CAPACITY,
    "power_capacity",
    ["daya_terpasang"],
    Some(&values::POWER_CAPACITY),
    [
        ("1", "450 WATT", "up_to_900w"),
        ("2", "900 WATT", "up_to_900w"),
        ("3", "1.300 WATT", "above_900w"),
        ("4", "2.200 WATT", "above_900w"),
        ("5", "> 2.200 WATT", "above_900w"),
        ("6", "TANPA METERAN", "unknown"),
    ]
);

concept!(
    COOKING_FUEL,
    "cooking_fuel",
    ["bahan_bakar_utama_memasak"],
    Some(&values::COOKING_FUEL),
    [
        ("0", "TIDAK MEMASAK DI RUMAH", "other"),
        ("1", "LISTRIK", "electricity_gas"),
        ("2", "ELPIJI 5,5 KG", "electricity_gas"),
        ("3", "ELPIJI 12 KG", "electricity_gas"),
        ("4", "ELPIJI 3 KG", "electricity_gas"),
        ("5", "GAS KOTA", "electricity_gas"),
        ("6", "BIOGAS", "electricity_gas"),
        ("7", "MINYAK TANAH", "kerosene"),
        ("8", "BRIKET", "charcoal_wood"),
        ("9", "ARANG", "charcoal_wood"),
        ("10", "KAYU BAKAR", "charcoal_wood"),
        ("11", "LAINNYA", "other"),
    ]
);

concept!(
    TOILET,
    "toilet_facility",
    ["fasilitas_bab"],
    Some(&values::TOILET),
    [
        ("1", "ADA, HANYA KELUARGA SENDIRI", "own"),
        ("2", "ADA, BERSAMA KELUARGA TERTENTU", "shared"),
        ("3", "ADA, MCK KOMUNAL", "shared"),
        ("4", "ADA, MCK UMUM", "shared"),
        ("5", "ADA, TIDAK DIGUNAKAN", "none"),
        ("6", "TIDAK ADA", "none"),
    ]
);

concept!(
    TOILET_TYPE,
    "toilet_type",
    ["jenis_kloset"],
    None,
    [
        ("1", "LEHER ANGSA", "gooseneck"),
        ("2", "PLENGSENGAN DENGAN TUTUP", "plengsengan_covered"),
        ("3", "PLENGSENGAN TANPA TUTUP", "plengsengan_open"),
        ("4", "CEMPLUNG/CUBLUK", "pit"),
    ]
);

concept!(
    SEWAGE_DISPOSAL,
    "sewage_disposal",
    ["pembuangan_akhir_tinja"],
    None,
    [
        ("1", "TANGKI SEPTIK", "septic_tank"),
        ("2", "IPAL", "treatment_plant"),
        ("3", "KOLAM/SAWAH/SUNGAI/LAUT", "open_water"),
        ("4", "LUBANG TANAH", "soil_pit"),
        ("5", "PANTAI/TANAH LAPANG/KEBUN", "open_ground"),
        ("6", "LAINNYA", "other"),
    ]
);

concept!(
    HOUSE_OWNERSHIP,
    "house_ownership",
    ["status_kepemilikan_rumah"],
    Some(&values::HOUSE_OWNERSHIP),
    [
        ("1", "MILIK SENDIRI", "own"),
        ("2", "KONTRAK/SEWA", "rented"),
        ("3", "BEBAS SEWA", "rent_free"),
        ("4", "DINAS", "official"),
        ("5", "LAINNYA", "other"),
    ]
);

concept!(
    SEX,
    "sex",
    ["jenis_kelamin"],
    None,
    [("1", "LAKI-LAKI", "male"), ("2", "PEREMPUAN", "female"),]
);

concept!(
    RELATION,
    "relation",
    ["status_hubungan_keluarga"],
    Some(&values::RELATION),
    [
        ("1", "KEPALA KELUARGA", "head"),
        ("2", "ISTRI/SUAMI", "spouse"),
        ("3", "ANAK", "child"),
        ("4", "MENANTU", "other"),
        ("5", "CUCU", "other"),
        ("6", "ORANG TUA/MERTUA", "other"),
        ("7", "PEMBANTU/SOPIR", "other"),
        ("8", "LAINNYA", "other"),
    ]
);

concept!(
    MARITAL_STATUS,
    "marital_status",
    ["status_kawin"],
    Some(&values::MARITAL_STATUS),
    [
        ("1", "BELUM KAWIN", "single"),
        ("2", "KAWIN", "married"),
        ("3", "CERAI HIDUP", "divorced"),
        ("4", "CERAI MATI", "widowed"),
    ]
);

concept!(
    SCHOOL_PARTICIPATION,
    "school_participation",
    ["partisipasi_sekolah"],
    None,
    [
        ("0", "TIDAK/BELUM PERNAH SEKOLAH", "never_attended"),
        ("1", "MASIH SEKOLAH", "in_school"),
        ("2", "TIDAK BERSEKOLAH LAGI", "no_longer_in_school"),
    ]
);

concept!(
    CERTIFICATE,
    "certificate",
    ["ijazah_tertinggi_yang_dimiliki"],
    None,
    [
        ("0", "TIDAK PUNYA", "none"),
        ("1", "SD/SEDERAJAT", "primary"),
        ("2", "SMP/SEDERAJAT", "junior_secondary"),
        ("3", "SMA/SEDERAJAT", "senior_secondary"),
        ("4", "D1–D3", "diploma"),
        ("5", "D4/S1", "bachelor"),
        ("6", "S2/S3", "postgraduate"),
        ("", "D1-D3", "diploma"),
    ]
);

concept!(
    YES_NO,
    "yes_no",
    [
        "pbi_nas",
        "pbi_pemda",
        "pbi_nasional",
        "status_bekerja",
        "kepemilikan_usaha",
        "kepemilikan_aset",
    ],
    Some(&values::YES_NO),
    [("1", "YA", "yes"), ("2", "TIDAK", "no"),]
);

concept!(
    DIFFICULTY,
    "difficulty",
    [
        "penglihatan",
        "pendengaran",
        "berjalan_atau_naik_tangga",
        "menggunakan_tangan_jari",
        "mengingat_konsentrasi",
        "perilaku_emosional",
        "berbicara_komunikasi",
        "mengurus_diri_sendiri",
    ],
    None,
    [
        ("1", "TIDAK KESULITAN", "no_difficulty"),
        ("2", "SEDIKIT KESULITAN", "some_difficulty"),
        ("3", "BANYAK KESULITAN", "a_lot_of_difficulty"),
        ("4", "TIDAK BISA SAMA SEKALI", "cannot_do_at_all"),
    ]
);

concept!(
    CHRONIC_ILLNESS,
    "chronic_illness",
    ["penyakit_kronis"],
    None,
    [
        ("0", "TIDAK ADA", "none"),
        ("1", "HIPERTENSI", "hypertension"),
        ("2", "REMATIK", "rheumatism"),
        ("3", "ASMA", "asthma"),
        ("4", "JANTUNG", "heart_disease"),
        ("5", "DIABETES", "diabetes"),
        ("6", "TBC", "tuberculosis"),
        ("7", "STROKE", "stroke"),
        ("8", "KANKER", "cancer"),
        ("9", "GAGAL GINJAL", "kidney_failure"),
        ("10", "LAINNYA", "other"),
    ]
);

/// The member's position in work: no built-in codes (DTSEN.md lists none),
/// decoded through the file's book onto the P3KE employment statuses.
pub const EMPLOYMENT_STATUS: Concept = Concept {
    name: "employment_status",
    columns: &["status_dalam_pekerjaan_utama"],
    entries: &[],
    also: Some(&values::EMPLOYMENT_STATUS),
};

/// The occupation on the KTP, onto the P3KE occupations.
pub const OCCUPATION: Concept = Concept {
    name: "occupation",
    columns: &["pekerjaan_ktp"],
    entries: &[],
    also: Some(&values::OCCUPATION),
};

/// Every concept, for the built-in book, docs and tests.
pub const ALL: &[Concept] = &[
    ROOF_MATERIAL,
    WALL_MATERIAL,
    FLOOR_MATERIAL,
    DRINKING_WATER,
    LIGHTING,
    POWER_CAPACITY,
    COOKING_FUEL,
    TOILET,
    TOILET_TYPE,
    SEWAGE_DISPOSAL,
    HOUSE_OWNERSHIP,
    SEX,
    RELATION,
    MARITAL_STATUS,
    SCHOOL_PARTICIPATION,
    CERTIFICATE,
    YES_NO,
    DIFFICULTY,
    CHRONIC_ILLNESS,
    EMPLOYMENT_STATUS,
    OCCUPATION,
];

/// The concepts of the family file.
pub const FAMILY_CONCEPTS: &[Concept] = &[
    HOUSE_OWNERSHIP,
    FLOOR_MATERIAL,
    WALL_MATERIAL,
    ROOF_MATERIAL,
    DRINKING_WATER,
    LIGHTING,
    POWER_CAPACITY,
    COOKING_FUEL,
    TOILET,
    TOILET_TYPE,
    SEWAGE_DISPOSAL,
];

/// The concepts of the member file.
pub const MEMBER_CONCEPTS: &[Concept] = &[
    SEX,
    RELATION,
    MARITAL_STATUS,
    SCHOOL_PARTICIPATION,
    CERTIFICATE,
    DIFFICULTY,
    CHRONIC_ILLNESS,
];

/// A column name as a code book key: trimmed, lower case.
fn column_key(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    if t.bytes().any(|b| !b.is_ascii() || b.is_ascii_uppercase()) {
        Cow::Owned(t.to_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// A code as a book key: `01`, `1` and `1.0` are the same code. A code
/// written as its key already (`1`, `12`: most cells) is used as it is.
fn code_key(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    let canonical = matches!(t.as_bytes(), [b'0'] | [b'1'..=b'9', ..])
        && t.len() < 16
        && t.bytes().all(|b| b.is_ascii_digit());
    if canonical {
        return Cow::Borrowed(t);
    }
    match parse_whole(s) {
        Ok(Some(n)) => Cow::Owned(n.to_string()),
        _ => Cow::Borrowed(t),
    }
}

/// What the codes of each column mean: column → code → label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeBook {
    columns: HashMap<String, HashMap<String, String>>,
}

/// The outcome of reading a code book file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadCodeBook {
    pub book: CodeBook,
    /// Rows without column or code, or repeating a (column, code) with
    /// another label; the first label is kept.
    pub rejected: Vec<crate::import::p3ke::RejectedRow>,
}

/// The name rejected rows of a code book carry as their sheet.
pub const CODE_BOOK_SHEET: &str = "KODE";

impl CodeBook {
    /// The table of `shared/formats/DTSEN.md`.
    pub fn builtin() -> CodeBook {
        let mut book = CodeBook::default();
        for concept in ALL {
            for column in concept.columns {
                for (code, label, _) in concept.entries.iter().filter(|e| !e.0.is_empty()) {
                    book.columns
                        .entry(column.to_string())
                        .or_default()
                        .entry(code.to_string())
                        .or_insert_with(|| label.to_string());
                }
            }
        }
        book
    }

    /// Whether the book says anything about the column.
    pub fn has_column(&self, column: &str) -> bool {
        self.columns.contains_key(column_key(column).as_ref())
    }

    /// The label of a code of a column.
    pub fn label(&self, column: &str, code: &str) -> Option<&str> {
        self.columns
            .get(column_key(column).as_ref())?
            .get(code_key(code).as_ref())
            .map(String::as_str)
    }

    /// Every (column, code, label), sorted, for writing a book.
    pub fn entries(&self) -> Vec<(&str, &str, &str)> {
        let mut out: Vec<(&str, &str, &str)> = self
            .columns
            .iter()
            .flat_map(|(c, codes)| {
                codes
                    .iter()
                    .map(move |(k, l)| (c.as_str(), k.as_str(), l.as_str()))
            })
            .collect();
        out.sort_by_key(|(c, k, _)| (*c, k.parse::<i64>().unwrap_or(i64::MAX), *k));
        out
    }

    /// This book with `file`'s columns put in place of its own: the file's
    /// book wins column by column, so a code the file drops is not read
    /// with this book's meaning.
    pub fn overridden_by(mut self, file: &CodeBook) -> CodeBook {
        for (column, codes) in &file.columns {
            self.columns.insert(column.clone(), codes.clone());
        }
        self
    }

    /// Reads a code book file (CSV, or the first sheet of an XLSX with the
    /// headers `kolom`, `kode`, `keterangan`).
    pub fn read<'a>(input: impl Into<Input<'a>>) -> Result<ReadCodeBook, FileError> {
        let reader = open_code_book(input)?;
        Self::read_from(reader)
    }

    /// Reads the rows of an opened code book.
    pub fn read_from(mut reader: SheetReader<'_>) -> Result<ReadCodeBook, FileError> {
        let at = |name: &str| reader.header.position(name);
        let (c_col, c_code, c_label) = (at(col::COLUMN), at(col::CODE), at(col::LABEL));
        let mut out = ReadCodeBook::default();
        let mut row = Vec::new();
        let mut rows = 0;
        while let Some(line) = reader.next_row(&mut row)? {
            rows += 1;
            if rows > MAX_CODE_BOOK_ROWS {
                return Err(FileError::TooComplex(format!(
                    "a code book has more than {MAX_CODE_BOOK_ROWS} rows"
                )));
            }
            let g = |i: Option<usize>| crate::import::sheet::cell(&row, i);
            let (column, code, label) = (g(c_col), g(c_code), g(c_label));
            let reject = |reason: String| crate::import::p3ke::RejectedRow {
                line,
                sheet: CODE_BOOK_SHEET.to_string(),
                reason,
            };
            if column.is_empty() || code.is_empty() {
                out.rejected
                    .push(reject(format!("missing {} or {}", col::COLUMN, col::CODE)));
                continue;
            }
            let codes = out
                .book
                .columns
                .entry(column_key(column).into_owned())
                .or_default();
            match codes.get(code_key(code).as_ref()) {
                Some(first) if first != label => out.rejected.push(reject(format!(
                    "code '{}' of '{}' given twice ('{}', then '{}'); the first is kept",
                    echo(code),
                    echo(column),
                    echo(first),
                    echo(label)
                ))),
                Some(_) => {}
                None => {
                    codes.insert(code_key(code).into_owned(), label.to_string());
                }
            }
        }
        Ok(out)
    }
}

/// Whether a header row is a code book's.
pub fn is_code_book(header: &crate::import::sheet::Header) -> bool {
    header
        .missing(&[col::COLUMN, col::CODE, col::LABEL])
        .is_empty()
}

/// Opens a code book file and checks its headers.
pub fn open_code_book<'a>(input: impl Into<Input<'a>>) -> Result<SheetReader<'a>, FileError> {
    let reader = match input.into() {
        Input::Csv(stream) => SheetReader::csv(stream, CODE_BOOK_SHEET)?,
        Input::Xlsx(bytes) => {
            let workbook = Workbook::open(bytes)?;
            let mut found = None;
            for name in workbook.sheet_names() {
                if let Some(r) = SheetReader::xlsx(&workbook, &name)? {
                    if is_code_book(&r.header) {
                        found = Some(r);
                        break;
                    }
                }
            }
            found.ok_or_else(missing_code_book_columns)?
        }
    };
    if !is_code_book(&reader.header) {
        return Err(missing_code_book_columns());
    }
    Ok(reader)
}

fn missing_code_book_columns() -> FileError {
    FileError::MissingColumns {
        sheet: CODE_BOOK_SHEET.to_string(),
        columns: vec![col::COLUMN.into(), col::CODE.into(), col::LABEL.into()],
    }
}

/// Decodes a cell of `column` through `book` into our code of `concept`:
/// empty → `None`; a code of the book → its label; then the label (the
/// decoded one, or the cell itself) → our code. What no label matches is
/// kept lower-cased and flagged `unknown_value:<column>=<value>`.
pub fn decode(
    book: &CodeBook,
    concept: &Concept,
    column: &str,
    raw: &str,
    flags: &mut Vec<String>,
) -> Option<String> {
    let label = decode_label(book, column, raw)?;
    match concept.ours(&normalize(label)) {
        Some(ours) => Some(ours.to_string()),
        None => {
            flags.push(format!("unknown_value:{column}={}", echo(label)));
            Some(label.trim().to_lowercase())
        }
    }
}

/// The label of a cell: the book's label when the cell is one of its codes
/// for `column`, else the cell itself; `None` when empty.
pub fn decode_label<'a>(book: &'a CodeBook, column: &str, raw: &'a str) -> Option<&'a str> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    Some(book.label(column, t).unwrap_or(t))
}

/// A yes/no cell (`1`/`2`, `Ya`/`Tidak`) as an optional bool; unknown
/// values are flagged and read as unknown.
pub fn decode_yes_no(
    book: &CodeBook,
    column: &str,
    raw: &str,
    flags: &mut Vec<String>,
) -> Option<bool> {
    match decode(book, &YES_NO, column, raw, flags).as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_normalized_and_codes_unique_per_concept() {
        for concept in ALL {
            let mut seen = std::collections::HashSet::new();
            for (code, label, _) in concept.entries {
                assert_eq!(&normalize(label), label, "{}", concept.name);
                assert!(
                    code.is_empty() || seen.insert(*code),
                    "{} {code}",
                    concept.name
                );
            }
        }
    }

    #[test]
    fn p3ke_concepts_map_onto_p3ke_codes() {
        for concept in ALL {
            if let Some(set) = concept.also {
                for (_, _, ours) in concept.entries {
                    assert!(set.codes.contains(ours), "{} {ours}", concept.name);
                }
            }
        }
    }

    #[test]
    fn builtin_book_reads_codes_and_labels() {
        let book = CodeBook::builtin();
        let mut flags = Vec::new();
        let d = |raw: &str, flags: &mut Vec<String>| {
            decode(&book, &ROOF_MATERIAL, "jenis_atap_terluas", raw, flags)
        };
        assert_eq!(d("7", &mut flags).as_deref(), Some("thatch"));
        assert_eq!(d(" 07 ", &mut flags).as_deref(), Some("thatch"));
        assert_eq!(
            d("jerami / ijuk/daun-daunan/rumbia", &mut flags).as_deref(),
            Some("thatch")
        );
        assert_eq!(d("Genteng", &mut flags).as_deref(), Some("tile"));
        // A P3KE label of the same concept.
        assert_eq!(
            d("ASBES/SENG", &mut flags).as_deref(),
            Some("asbestos_zinc")
        );
        assert_eq!(d("", &mut flags), None);
        assert!(flags.is_empty(), "{flags:?}");
        assert_eq!(d("99", &mut flags).as_deref(), Some("99"));
        assert_eq!(d("Daun Nipah", &mut flags).as_deref(), Some("daun nipah"));
        assert_eq!(
            flags,
            vec![
                "unknown_value:jenis_atap_terluas=99",
                "unknown_value:jenis_atap_terluas=Daun Nipah"
            ]
        );
    }

    #[test]
    fn a_file_book_replaces_a_column_whole() {
        let file = CodeBook::read(
            "kolom;kode;keterangan\njenis_atap_terluas;1;Genteng\njenis_atap_terluas;2;Beton\n;3;x\nJenis_Atap_Terluas;1;Seng\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(file.rejected.len(), 2, "{:?}", file.rejected);
        assert_eq!(file.rejected[0].line, 4);
        let book = CodeBook::builtin().overridden_by(&file.book);
        let mut flags = Vec::new();
        let mut d =
            |raw: &str| decode(&book, &ROOF_MATERIAL, "jenis_atap_terluas", raw, &mut flags);
        assert_eq!(d("1").as_deref(), Some("tile"));
        assert_eq!(d("2").as_deref(), Some("concrete"));
        assert_eq!(d("7").as_deref(), Some("7"));
        assert_eq!(flags, vec!["unknown_value:jenis_atap_terluas=7"]);
        // Other columns keep the built-in codes.
        assert_eq!(book.label("status_kawin", "2"), Some("KAWIN"));
    }

    #[test]
    fn codes_and_columns_are_keyed_alike_however_written() {
        for (code, key) in [
            ("7", "7"),
            ("0", "0"),
            ("07", "7"),
            (" 7 ", "7"),
            ("7.0", "7"),
            ("00", "0"),
            ("-1", "-1"),
            ("x1", "x1"),
            ("1234567890123456", "1234567890123456"),
        ] {
            assert_eq!(code_key(code), key, "{code:?}");
        }
        assert_eq!(column_key(" Jenis_Atap "), "jenis_atap");
        assert_eq!(column_key("jenis_atap"), "jenis_atap");
        let book = CodeBook::builtin();
        assert_eq!(
            book.label(" STATUS_KAWIN", "02"),
            book.label("status_kawin", "2")
        );
    }

    #[test]
    fn a_code_book_past_its_cap_is_refused() {
        let mut csv = String::from("kolom,kode,keterangan\n");
        for i in 0..=MAX_CODE_BOOK_ROWS {
            csv.push_str(&format!("c,{i},x\n"));
        }
        assert!(matches!(
            CodeBook::read(csv.as_bytes()),
            Err(FileError::TooComplex(_))
        ));
    }
}
