//! The P3KE (Kemenko PMK) import: sheets KEPALA-KELUARGA (families) and
//! INDIVIDU (members), from one XLSX holding either or both, or a CSV holding
//! one of them (recognised by its headers).
//!
//! Rows are rejected only when they cannot be stored (no id, unknown region,
//! malformed number or date, duplicate id in the same file); data-quality
//! problems (bad or empty NIK, NIK disagreeing with sex/birth date, unknown
//! category values) are kept and flagged. The parse is pure: the same bytes
//! always give the same [`ParsedImport`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::household::{Assets, Assistance, HouseholdRecord, Housing, MemberRecord};
use crate::domain::nik::{check_consistency, Nik, Sex};
use crate::domain::region_lookup::RegionLookup;
use crate::import::limits::echo;
use crate::import::seen::SeenKeys;
use crate::import::sheet::{cell, parse_date, Header, Input, SheetReader};
use crate::import::values::{self, categorical, dukcapil, yes_no};
use crate::import::xlsx::Workbook;

pub use crate::import::sheet::FileError;

/// Sheet of families.
pub const FAMILY_SHEET: &str = "KEPALA-KELUARGA";
/// Sheet of individuals.
pub const MEMBER_SHEET: &str = "INDIVIDU";

/// P3KE column headers, exactly as the ministry writes them.
pub mod col {
    pub const FAMILY_ID: &str = "ID Keluarga P3KE";
    pub const UPDATED_YEAR: &str = "Dimuktakhirkan Tahun";
    pub const PROVINCE: &str = "Provinsi";
    pub const REGENCY: &str = "Kabupaten/Kota";
    pub const KECAMATAN: &str = "Kecamatan";
    pub const DESA: &str = "Desa/Kelurahan";
    pub const REGION_CODE: &str = "Kode Kemdagri";
    pub const DESIL: &str = "Desil Kesejahteraan";
    pub const PERCENTILE: &str = "Persentil";
    pub const ADDRESS: &str = "Alamat";
    pub const PRIORITY: &str = "Prioritas Verval";
    pub const HEAD_NAME: &str = "Nama Kepala Keluarga";
    pub const HEAD_NIK: &str = "NIK Kepala Keluarga";
    pub const HEAD_NIK_MATCH: &str = "NIK Kepala Keluarga Padan Kemdagri";
    pub const HEAD_SEX: &str = "Jenis Kelamin Kepala Keluarga";
    pub const HEAD_BIRTH_DATE: &str = "Tanggal Lahir Kepala Keluarga";
    pub const HEAD_MARITAL: &str = "Status Kawin Kepala Keluarga";
    pub const HEAD_OCCUPATION: &str = "Pekerjaan Kepala Keluarga";
    pub const HEAD_EMPLOYMENT: &str = "Status Pekerjaan Kepala Keluarga";
    pub const HEAD_EDUCATION: &str = "Pendidikan Kepala Keluarga";
    pub const OWNERSHIP: &str = "Kepemilikan Rumah";
    pub const SAVINGS: &str = "Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya";
    pub const ROOF: &str = "Jenis Atap";
    pub const ROOF_QUALITY: &str = "Kualitas Atap";
    pub const WALL: &str = "Jenis Dinding";
    pub const WALL_QUALITY: &str = "Kualitas Dinding";
    pub const FLOOR: &str = "Jenis Lantai";
    pub const FLOOR_QUALITY: &str = "Kualitas Lantai";
    pub const LIGHTING: &str = "Sumber Penerangan";
    pub const POWER: &str = "Daya Listrik Terpasang";
    pub const COOKING_FUEL: &str = "Bahan Bakar Memasak";
    pub const WATER: &str = "Sumber Air Minum";
    pub const TOILET: &str = "Memiliki fasilitas Buang Air Besar";
    pub const STUNTING: &str = "Resiko Stunting";
    pub const BPNT: &str = "Penerima BPNT";
    pub const BPUM: &str = "Penerima BPUM";
    pub const BST: &str = "Penerima BST";
    pub const PKH: &str = "Penerima PKH";
    pub const SEMBAKO: &str = "Penerima SEMBAKO";
    pub const PRAKERJA: &str = "Penerima Prakerja";
    pub const KUR: &str = "Penerima KUR";
    pub const INDIVIDUAL_ID: &str = "ID Individu";
    pub const NAME: &str = "Nama";
    pub const NIK: &str = "NIK";
    pub const NIK_MATCH: &str = "Padan Dukcapil";
    pub const SEX: &str = "Jenis Kelamin";
    pub const RELATION: &str = "Hubungan dengan Kepala Keluarga";
    pub const BIRTH_DATE: &str = "Tanggal Lahir";
    pub const MARITAL: &str = "Status Kawin";
    pub const OCCUPATION: &str = "Pekerjaan";
    pub const EMPLOYMENT: &str = "Status Pekerjaan";
    pub const EDUCATION: &str = "Pendidikan";
    pub const AGE_2023: &str = "Usia 2023";
    pub const AGE_GROUP_2023: &str = "Kelompok Usia 2023";
}

/// The seven assistance columns, in file order.
pub const ASSISTANCE_HEADERS: &[&str] = &[
    col::BPNT,
    col::BPUM,
    col::BST,
    col::PKH,
    col::SEMBAKO,
    col::PRAKERJA,
    col::KUR,
];

/// Every KEPALA-KELUARGA header, in the order the ministry exports them.
pub const FAMILY_HEADERS: &[&str] = &[
    col::FAMILY_ID,
    col::UPDATED_YEAR,
    col::PROVINCE,
    col::REGENCY,
    col::KECAMATAN,
    col::DESA,
    col::REGION_CODE,
    col::DESIL,
    col::PERCENTILE,
    col::ADDRESS,
    col::PRIORITY,
    col::HEAD_NAME,
    col::HEAD_NIK,
    col::HEAD_NIK_MATCH,
    col::HEAD_SEX,
    col::HEAD_BIRTH_DATE,
    col::HEAD_MARITAL,
    col::HEAD_OCCUPATION,
    col::HEAD_EMPLOYMENT,
    col::HEAD_EDUCATION,
    col::OWNERSHIP,
    col::SAVINGS,
    col::ROOF,
    col::ROOF_QUALITY,
    col::WALL,
    col::WALL_QUALITY,
    col::FLOOR,
    col::FLOOR_QUALITY,
    col::LIGHTING,
    col::POWER,
    col::COOKING_FUEL,
    col::WATER,
    col::TOILET,
    col::STUNTING,
    col::BPNT,
    col::BPUM,
    col::BST,
    col::PKH,
    col::SEMBAKO,
    col::PRAKERJA,
    col::KUR,
];

/// Every INDIVIDU header, in export order.
pub const MEMBER_HEADERS: &[&str] = &[
    col::FAMILY_ID,
    col::INDIVIDUAL_ID,
    col::PROVINCE,
    col::REGENCY,
    col::KECAMATAN,
    col::DESA,
    col::REGION_CODE,
    col::DESIL,
    col::PERCENTILE,
    col::ADDRESS,
    col::PRIORITY,
    col::NAME,
    col::NIK,
    col::NIK_MATCH,
    col::SEX,
    col::RELATION,
    col::BIRTH_DATE,
    col::MARITAL,
    col::OCCUPATION,
    col::EMPLOYMENT,
    col::EDUCATION,
    col::AGE_2023,
    col::AGE_GROUP_2023,
    col::BPNT,
    col::BPUM,
    col::BST,
    col::PKH,
    col::SEMBAKO,
    col::PRAKERJA,
    col::KUR,
];

/// Columns without which a family row cannot be stored or matched; the others
/// may be absent and read as empty.
pub const FAMILY_REQUIRED: &[&str] = &[
    col::FAMILY_ID,
    col::REGION_CODE,
    col::DESIL,
    col::HEAD_NAME,
    col::HEAD_NIK,
];
/// Columns without which a member row cannot be stored or matched.
pub const MEMBER_REQUIRED: &[&str] = &[
    col::FAMILY_ID,
    col::INDIVIDUAL_ID,
    col::NAME,
    col::NIK,
    col::RELATION,
];

/// The outcome of parsing one import file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ParsedImport {
    pub families: Vec<Parsed<HouseholdRecord>>,
    pub members: Vec<Parsed<MemberRecord>>,
    pub rejected: Vec<RejectedRow>,
    /// Non-blank data rows read, over all sheets.
    pub rows_total: usize,
}

/// A record with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parsed<T> {
    pub line: usize,
    pub sheet: String,
    pub record: T,
}

/// A row that cannot be stored, with the reason a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub line: usize,
    pub sheet: String,
    pub reason: String,
}

/// Column positions resolved once per sheet.
pub(crate) struct Cols(foldhash::HashMap<&'static str, usize>);

impl Cols {
    pub(crate) fn new(header: &Header, names: &[&'static str]) -> Cols {
        Cols(
            names
                .iter()
                .filter_map(|n| header.position(n).map(|i| (*n, i)))
                .collect(),
        )
    }

    pub(crate) fn get<'r>(&self, row: &'r [String], name: &str) -> &'r str {
        cell(row, self.0.get(name).copied())
    }
}

/// Where parsed rows go: collected in memory ([`ParsedImport`]), or written to
/// the registry in batches while the file is still being read, so a large file
/// never has to be held as records all at once.
pub trait ImportSink {
    /// One non-blank data row was read.
    fn row_read(&mut self);
    fn family(&mut self, item: Parsed<HouseholdRecord>) -> Result<(), FileError>;
    fn member(&mut self, item: Parsed<MemberRecord>) -> Result<(), FileError>;
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError>;
    /// A person of a DTSEN member file, read ahead of the families so they
    /// can be given their head and matched by their members' NIKs
    /// (`import::snapshot`); a sink that writes no families ignores it.
    fn roster(&mut self, entry: crate::import::snapshot::RosterEntry) -> Result<(), FileError> {
        let _ = entry;
        Ok(())
    }
}

impl ImportSink for ParsedImport {
    fn row_read(&mut self) {
        self.rows_total += 1;
    }
    fn family(&mut self, item: Parsed<HouseholdRecord>) -> Result<(), FileError> {
        self.families.push(item);
        Ok(())
    }
    fn member(&mut self, item: Parsed<MemberRecord>) -> Result<(), FileError> {
        self.members.push(item);
        Ok(())
    }
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError> {
        self.rejected.push(row);
        Ok(())
    }
}

/// Parses a P3KE export (XLSX with KEPALA-KELUARGA and/or INDIVIDU, or a CSV of one).
/// `today` decides which birth dates are in the future.
pub fn parse_p3ke<'a>(
    input: impl Into<Input<'a>>,
    regions: &dyn RegionLookup,
    today: NaiveDate,
) -> Result<ParsedImport, FileError> {
    let mut out = ParsedImport::default();
    stream_p3ke(input, regions, today, &mut out)?;
    Ok(out)
}

/// The sheets of a P3KE file, opened and their headers checked, before any
/// data row is read: a file is taken whole or not at all.
pub struct P3keSheets<'a> {
    pub families: Option<SheetReader<'a>>,
    pub members: Option<SheetReader<'a>>,
}

/// Opens a P3KE export: the KEPALA-KELUARGA and/or INDIVIDU sheets of an
/// XLSX, or a CSV of one of them recognised by its headers. Reads only what
/// that needs (the zip directory, the sheet list, the header rows), so the
/// upload can check a file cheaply and the import then reads it once.
pub fn open_p3ke<'a>(input: impl Into<Input<'a>>) -> Result<P3keSheets<'a>, FileError> {
    let sheets = match input.into() {
        Input::Xlsx(bytes) => {
            let workbook = Workbook::open(bytes)?;
            let families = SheetReader::xlsx(&workbook, FAMILY_SHEET)?;
            let members = SheetReader::xlsx(&workbook, MEMBER_SHEET)?;
            if families.is_none() && members.is_none() {
                return Err(FileError::UnrecognisedSheet(format!(
                    "the workbook has neither a {FAMILY_SHEET} nor an {MEMBER_SHEET} sheet"
                )));
            }
            P3keSheets { families, members }
        }
        Input::Csv(stream) => {
            let reader = SheetReader::csv(stream, "CSV")?;
            if reader.header.position(col::HEAD_NIK).is_some() {
                P3keSheets {
                    families: Some(reader),
                    members: None,
                }
            } else if reader.header.position(col::INDIVIDUAL_ID).is_some() {
                P3keSheets {
                    families: None,
                    members: Some(reader),
                }
            } else {
                return Err(FileError::UnrecognisedSheet(format!(
                    "a P3KE CSV must be the {FAMILY_SHEET} sheet (with column '{}') or the {MEMBER_SHEET} sheet (with column '{}')",
                    col::HEAD_NIK,
                    col::INDIVIDUAL_ID
                )));
            }
        }
    };
    if let Some(s) = &sheets.families {
        check_headers(s, FAMILY_REQUIRED)?;
    }
    if let Some(s) = &sheets.members {
        check_headers(s, MEMBER_REQUIRED)?;
    }
    Ok(sheets)
}

/// As [`parse_p3ke`], handing each row to `out` as soon as it is read.
/// Families of an XLSX are all handed over before its members.
pub fn stream_p3ke<'a>(
    input: impl Into<Input<'a>>,
    regions: &dyn RegionLookup,
    today: NaiveDate,
    out: &mut dyn ImportSink,
) -> Result<(), FileError> {
    let sheets = open_p3ke(input)?;
    if let Some(s) = sheets.families {
        read_families(s, FAMILY_SHEET, regions, today, out)?;
    }
    if let Some(s) = sheets.members {
        read_members(s, MEMBER_SHEET, today, out)?;
    }
    Ok(())
}

fn check_headers(reader: &SheetReader<'_>, required: &[&str]) -> Result<(), FileError> {
    let missing = reader.header.missing(required);
    if missing.is_empty() {
        Ok(())
    } else {
        let sheet = if required == FAMILY_REQUIRED {
            FAMILY_SHEET
        } else {
            MEMBER_SHEET
        };
        Err(FileError::MissingColumns {
            sheet: sheet.to_string(),
            columns: missing,
        })
    }
}

/// An optional whole number; `3`, ` 3 ` and `3.0` (XLSX) are the same.
pub(crate) fn parse_whole(raw: &str) -> Result<Option<i64>, ()> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Some(i));
    }
    match t.replace(',', ".").parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
        _ => Err(()),
    }
}

/// An optional date cell; the reason names the column and value when malformed.
pub(crate) fn read_date(header: &str, raw: &str) -> Result<Option<NaiveDate>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    parse_date(raw)
        .map(Some)
        .ok_or_else(|| format!("{header} is not a date: '{}'", echo(raw)))
}

/// An optional sex cell; unknown values are flagged and read as unknown.
pub(crate) fn read_sex(header: &str, raw: &str, flags: &mut Vec<String>) -> Option<Sex> {
    if raw.trim().is_empty() {
        return None;
    }
    let sex = Sex::from_source(raw);
    if sex.is_none() {
        flags.push(format!("unknown_value:{header}={}", echo(raw)));
    }
    sex
}

/// The NIK as stored (digits when valid, else as given) and whether it is valid,
/// flagging empty, invalid and inconsistent NIKs.
pub(crate) fn read_nik(
    raw: &str,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
    flags: &mut Vec<String>,
) -> (String, bool) {
    if birth_date.is_some_and(|d| d > today) {
        flags.push("birth_date_in_future".to_string());
    }
    let t = raw.trim();
    if t.is_empty() {
        flags.push("nik_empty".to_string());
        return (String::new(), false);
    }
    match Nik::parse(t) {
        Ok(nik) => {
            flags.extend(
                check_consistency(&nik, sex, birth_date)
                    .iter()
                    .map(|f| f.as_str().to_string()),
            );
            (nik.into(), true)
        }
        Err(_) => {
            flags.push("nik_invalid".to_string());
            (t.to_string(), false)
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn read_families(
    mut reader: SheetReader<'_>,
    sheet: &str,
    regions: &dyn RegionLookup,
    today: NaiveDate,
    out: &mut dyn ImportSink,
) -> Result<(), FileError> {
    let cols = Cols::new(&reader.header, FAMILY_HEADERS);
    let mut seen = SeenKeys::default();
    let mut row = Vec::new();
    while let Some(line) = reader.next_row(&mut row)? {
        out.row_read();
        match family_from_row(&cols, &row, regions, today) {
            Ok(record) => {
                let id = record.p3ke_family_id.clone().unwrap_or_default();
                if let Some(first) = seen.first_line(&id, line) {
                    out.rejected(RejectedRow {
                        line,
                        sheet: sheet.to_string(),
                        reason: format!(
                            "duplicate {} '{}' (first at line {first})",
                            col::FAMILY_ID,
                            echo(&id)
                        ),
                    })?;
                    continue;
                }
                out.family(Parsed {
                    line,
                    sheet: sheet.to_string(),
                    record,
                })?;
            }
            Err(reason) => out.rejected(RejectedRow {
                line,
                sheet: sheet.to_string(),
                reason,
            })?,
        }
    }
    Ok(())
}

fn family_from_row(
    cols: &Cols,
    row: &[String],
    regions: &dyn RegionLookup,
    today: NaiveDate,
) -> Result<HouseholdRecord, String> {
    let g = |name: &str| cols.get(row, name);
    let id = g(col::FAMILY_ID);
    if id.is_empty() {
        return Err(format!("missing {}", col::FAMILY_ID));
    }
    let code = g(col::REGION_CODE);
    let region_code = regions.desa_by_code10(code).ok_or_else(|| {
        format!(
            "unknown region code '{}' in {}",
            echo(code),
            col::REGION_CODE
        )
    })?;
    let desil = match parse_whole(g(col::DESIL)) {
        Ok(None) => None,
        Ok(Some(d)) if (1..=10).contains(&d) => Some(d as i16),
        _ => {
            return Err(format!(
                "{} must be a whole number 1-10, got '{}'",
                col::DESIL,
                echo(g(col::DESIL))
            ))
        }
    };
    let percentile = match g(col::PERCENTILE).replace(',', ".").parse::<f64>() {
        _ if g(col::PERCENTILE).is_empty() => None,
        Ok(p) if (0.0..=100.0).contains(&p) => Some(p.round() as i16),
        _ => {
            return Err(format!(
                "{} must be a number 0-100, got '{}'",
                col::PERCENTILE,
                echo(g(col::PERCENTILE))
            ))
        }
    };
    let data_year = match parse_whole(g(col::UPDATED_YEAR)) {
        Ok(None) => None,
        Ok(Some(y)) if (1900..=2200).contains(&y) => Some(y as i16),
        _ => {
            return Err(format!(
                "{} must be a year, got '{}'",
                col::UPDATED_YEAR,
                echo(g(col::UPDATED_YEAR))
            ))
        }
    };
    let head_birth_date = read_date(col::HEAD_BIRTH_DATE, g(col::HEAD_BIRTH_DATE))?;

    let mut flags = Vec::new();
    let head_sex = read_sex(col::HEAD_SEX, g(col::HEAD_SEX), &mut flags);
    let (head_nik, head_nik_valid) = read_nik(
        g(col::HEAD_NIK),
        head_sex,
        head_birth_date,
        today,
        &mut flags,
    );
    let mut cat =
        |set: &values::ValueSet, header: &str| categorical(set, header, g(header), &mut flags);
    let head_marital_status = cat(&values::MARITAL_STATUS, col::HEAD_MARITAL);
    let head_occupation = cat(&values::OCCUPATION, col::HEAD_OCCUPATION);
    let head_employment_status = cat(&values::EMPLOYMENT_STATUS, col::HEAD_EMPLOYMENT);
    let head_education = cat(&values::EDUCATION, col::HEAD_EDUCATION);
    let verification_priority = cat(&values::VERIFICATION_PRIORITY, col::PRIORITY);
    let house_ownership = cat(&values::HOUSE_OWNERSHIP, col::OWNERSHIP);
    let roof_material = cat(&values::ROOF_MATERIAL, col::ROOF);
    let roof_quality = cat(&values::QUALITY, col::ROOF_QUALITY);
    let wall_material = cat(&values::WALL_MATERIAL, col::WALL);
    let wall_quality = cat(&values::QUALITY, col::WALL_QUALITY);
    let floor_material = cat(&values::FLOOR_MATERIAL, col::FLOOR);
    let floor_quality = cat(&values::QUALITY, col::FLOOR_QUALITY);
    let lighting_source = cat(&values::LIGHTING, col::LIGHTING);
    let power_capacity = cat(&values::POWER_CAPACITY, col::POWER);
    let cooking_fuel = cat(&values::COOKING_FUEL, col::COOKING_FUEL);
    let drinking_water = cat(&values::DRINKING_WATER, col::WATER);
    let toilet_facility = cat(&values::TOILET, col::TOILET);
    let stunting_risk = cat(&values::STUNTING_RISK, col::STUNTING);
    let dukcapil_match = dukcapil(col::HEAD_NIK_MATCH, g(col::HEAD_NIK_MATCH), &mut flags);
    let has_savings = yes_no(col::SAVINGS, g(col::SAVINGS), &mut flags);
    let [bpnt, bpum, bst, pkh, sembako, prakerja, kur] =
        assistance(|h| cols.get(row, h), &mut flags);

    Ok(HouseholdRecord {
        p3ke_family_id: Some(id.to_string()),
        dtks_id: None,
        kk_number: None,
        head_name: g(col::HEAD_NAME).to_string(),
        head_nik,
        head_nik_valid,
        head_sex,
        head_birth_date,
        head_marital_status,
        head_occupation,
        head_employment_status,
        head_education,
        region_code,
        address: non_empty(g(col::ADDRESS)),
        desil,
        percentile,
        verification_priority,
        dukcapil_match,
        assets: Assets {
            house_ownership,
            has_savings,
        },
        housing: Housing {
            roof_material,
            roof_quality,
            wall_material,
            wall_quality,
            floor_material,
            floor_quality,
            lighting_source,
            power_capacity,
            cooking_fuel,
            drinking_water,
            toilet_facility,
        },
        stunting_risk,
        assistance: Assistance {
            bpnt,
            bpum,
            bst,
            pkh,
            sembako,
            prakerja,
            kur,
        },
        data_year,
        flags,
        ..Default::default()
    })
}

/// The seven `Penerima …` columns; empty or `KOSONG` reads as not received.
fn assistance<'r>(g: impl Fn(&str) -> &'r str, flags: &mut Vec<String>) -> [bool; 7] {
    let mut out = [false; 7];
    for (slot, header) in out.iter_mut().zip(ASSISTANCE_HEADERS) {
        *slot = yes_no(header, g(header), flags).unwrap_or(false);
    }
    out
}

fn read_members(
    mut reader: SheetReader<'_>,
    sheet: &str,
    today: NaiveDate,
    out: &mut dyn ImportSink,
) -> Result<(), FileError> {
    let cols = Cols::new(&reader.header, MEMBER_HEADERS);
    let mut seen = SeenKeys::default();
    let mut row = Vec::new();
    while let Some(line) = reader.next_row(&mut row)? {
        out.row_read();
        match member_from_row(&cols, &row, today) {
            Ok(record) => {
                let id = record.p3ke_individual_id.clone().unwrap_or_default();
                if let Some(first) = seen.first_line(&id, line) {
                    out.rejected(RejectedRow {
                        line,
                        sheet: sheet.to_string(),
                        reason: format!(
                            "duplicate {} '{}' (first at line {first})",
                            col::INDIVIDUAL_ID,
                            echo(&id)
                        ),
                    })?;
                    continue;
                }
                out.member(Parsed {
                    line,
                    sheet: sheet.to_string(),
                    record,
                })?;
            }
            Err(reason) => out.rejected(RejectedRow {
                line,
                sheet: sheet.to_string(),
                reason,
            })?,
        }
    }
    Ok(())
}

fn member_from_row(cols: &Cols, row: &[String], today: NaiveDate) -> Result<MemberRecord, String> {
    let g = |name: &str| cols.get(row, name);
    let family_id = g(col::FAMILY_ID);
    if family_id.is_empty() {
        return Err(format!("missing {}", col::FAMILY_ID));
    }
    let individual_id = g(col::INDIVIDUAL_ID);
    if individual_id.is_empty() {
        return Err(format!("missing {}", col::INDIVIDUAL_ID));
    }
    let birth_date = read_date(col::BIRTH_DATE, g(col::BIRTH_DATE))?;
    let mut flags = Vec::new();
    let sex = read_sex(col::SEX, g(col::SEX), &mut flags);
    let (nik, nik_valid) = read_nik(g(col::NIK), sex, birth_date, today, &mut flags);
    let mut cat =
        |set: &values::ValueSet, header: &str| categorical(set, header, g(header), &mut flags);
    let relation = cat(&values::RELATION, col::RELATION);
    let marital_status = cat(&values::MARITAL_STATUS, col::MARITAL);
    let education = cat(&values::EDUCATION, col::EDUCATION);
    let occupation = cat(&values::OCCUPATION, col::OCCUPATION);
    let employment_status = cat(&values::EMPLOYMENT_STATUS, col::EMPLOYMENT);
    let dukcapil_match = dukcapil(col::NIK_MATCH, g(col::NIK_MATCH), &mut flags);
    Ok(MemberRecord {
        p3ke_family_id: Some(family_id.to_string()),
        kk_number: None,
        p3ke_individual_id: Some(individual_id.to_string()),
        dtks_id: None,
        nik,
        nik_valid,
        name: g(col::NAME).to_string(),
        sex,
        birth_date,
        relation,
        marital_status,
        education,
        occupation,
        employment_status,
        dukcapil_match,
        flags,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::data::{self as demo_data, reference_date};
    use crate::domain::region_lookup::tests::kukar;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("registry-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const FAMILY_CSV: &str = "\u{feff}kode kemdagri ; DESIL KESEJAHTERAAN;id keluarga p3ke;Nama Kepala Keluarga;NIK Kepala Keluarga;Jenis Kelamin Kepala Keluarga;Tanggal Lahir Kepala Keluarga;Jenis Atap;Persentil;Penerima PKH\n\
6402061001;1;P3KE-A;Siti Aminah;6402065203850001;PEREMPUAN;12/03/1985;GENTENG;5;Ya\n\
6402999999;2;P3KE-B;Budi;6402061203850002;LAKI-LAKI;12-03-1985;GENTENG;15;Tidak\n\
6402082001;11;P3KE-C;Cici;6402061203850003;PEREMPUAN;1985-03-12;GENTENG;;Tidak\n\
6402082001;2;P3KE-D;Dedi;12345;LAKI-LAKI;1985-03-12;DAUN NIPAH;;\n\
6402082001;3;;Tanpa Id;;LAKI-LAKI;;;;\n\
6402061001;4;P3KE-E;Eka;6402061203850005;PEREMPUAN;13-03-1985;;abc;\n\
6402061001;4;P3KE-A;Siti lagi;;;;;;\n";

    #[test]
    fn csv_with_bom_semicolons_and_any_header_order() {
        let parsed = parse_p3ke(FAMILY_CSV.as_bytes(), &kukar(), today()).unwrap();
        assert_eq!(parsed.rows_total, 7);
        let ids: Vec<_> = parsed
            .families
            .iter()
            .map(|f| f.record.p3ke_family_id.clone().unwrap())
            .collect();
        assert_eq!(ids, vec!["P3KE-A", "P3KE-D"]);
        let a = &parsed.families[0];
        assert_eq!((a.line, a.sheet.as_str()), (2, FAMILY_SHEET));
        assert_eq!(a.record.region_code, "64.02.06.1001");
        assert_eq!(a.record.desil, Some(1));
        assert!(a.record.is_extreme_poor());
        assert_eq!(a.record.percentile, Some(5));
        assert_eq!(a.record.head_sex, Some(Sex::Female));
        assert_eq!(
            a.record.head_birth_date,
            NaiveDate::from_ymd_opt(1985, 3, 12)
        );
        assert_eq!(a.record.housing.roof_material.as_deref(), Some("tile"));
        assert!(a.record.assistance.pkh && !a.record.assistance.bpnt);
        assert!(a.record.head_nik_valid);
        assert!(a.record.flags.is_empty(), "{:?}", a.record.flags);
    }

    #[test]
    fn old_region_code_bad_nik_and_unknown_values_are_kept_and_flagged() {
        let parsed = parse_p3ke(FAMILY_CSV.as_bytes(), &kukar(), today()).unwrap();
        let d = &parsed.families[1].record;
        assert_eq!(d.region_code, "64.02.19.2001");
        assert_eq!(d.head_nik, "12345");
        assert!(!d.head_nik_valid);
        assert_eq!(d.housing.roof_material.as_deref(), Some("daun nipah"));
        assert_eq!(
            d.flags,
            vec!["nik_invalid", "unknown_value:Jenis Atap=DAUN NIPAH"]
        );
    }

    #[test]
    fn rejects_what_cannot_be_stored_and_keeps_neighbours() {
        let parsed = parse_p3ke(FAMILY_CSV.as_bytes(), &kukar(), today()).unwrap();
        let rejected: Vec<(usize, &str)> = parsed
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(rejected.len(), 5, "{rejected:?}");
        assert_eq!(
            rejected[0],
            (3, "unknown region code '6402999999' in Kode Kemdagri")
        );
        assert_eq!(
            rejected[1],
            (
                4,
                "Desil Kesejahteraan must be a whole number 1-10, got '11'"
            )
        );
        assert_eq!(rejected[2], (6, "missing ID Keluarga P3KE"));
        assert_eq!(
            rejected[3],
            (7, "Persentil must be a number 0-100, got 'abc'")
        );
        assert_eq!(
            rejected[4],
            (8, "duplicate ID Keluarga P3KE 'P3KE-A' (first at line 2)")
        );
    }

    #[test]
    fn flags_nik_that_disagrees_with_sex_and_birth_date() {
        let csv = "ID Keluarga P3KE,Kode Kemdagri,Desil Kesejahteraan,Nama Kepala Keluarga,NIK Kepala Keluarga,Jenis Kelamin Kepala Keluarga,Tanggal Lahir Kepala Keluarga\n\
                   X,6402061001,2,Eka,6402061203850005,PEREMPUAN,13-03-1985\n";
        let parsed = parse_p3ke(csv.as_bytes(), &kukar(), today()).unwrap();
        assert_eq!(
            parsed.families[0].record.flags,
            vec!["nik_sex_mismatch", "nik_birth_date_mismatch"]
        );
        assert!(parsed.families[0].record.head_nik_valid);
    }

    #[test]
    fn member_csv_is_recognised_by_its_headers() {
        let csv = "ID Keluarga P3KE,ID Individu,Nama,NIK,Hubungan dengan Kepala Keluarga,Jenis Kelamin,Tanggal Lahir,Padan Dukcapil,Status Kawin\n\
                   F1,I1,Ani,,ANAK,PEREMPUAN,01-02-2010,KOSONG,BELUM KAWIN\n\
                   F1,I2,Bayu,6402060102100001,CUCU,L,bukan tanggal,PADAN,\n\
                   ,I3,Cahya,,ANAK,,,,\n";
        let parsed = parse_p3ke(csv.as_bytes(), &kukar(), today()).unwrap();
        assert_eq!(parsed.rows_total, 3);
        assert_eq!(parsed.members.len(), 1);
        let m = &parsed.members[0].record;
        assert_eq!(
            (m.relation.as_deref(), m.marital_status.as_deref()),
            (Some("child"), Some("single"))
        );
        assert_eq!(
            (m.nik.as_str(), m.nik_valid, m.dukcapil_match),
            ("", false, None)
        );
        assert_eq!(m.flags, vec!["nik_empty"]);
        assert_eq!(
            parsed.rejected[0].reason,
            "Tanggal Lahir is not a date: 'bukan tanggal'"
        );
        assert_eq!(parsed.rejected[1].reason, "missing ID Keluarga P3KE");
    }

    #[test]
    fn file_errors() {
        let regions = kukar();
        assert_eq!(parse_p3ke(b"", &regions, today()), Err(FileError::Empty));
        assert!(matches!(
            parse_p3ke(b"a,b\n1,2\n", &regions, today()),
            Err(FileError::UnrecognisedSheet(_))
        ));
        let err = parse_p3ke(
            b"NIK Kepala Keluarga,Desil Kesejahteraan\n",
            &regions,
            today(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sheet KEPALA-KELUARGA is missing required columns: ID Keluarga P3KE, Kode Kemdagri, Nama Kepala Keluarga"
        );
        assert_eq!(
            parse_p3ke(b"\xD0\xCF\x11\xE0\0\0\0", &regions, today()),
            Err(FileError::UnsupportedFormat)
        );
    }

    fn expected(data: &demo_data::DemoData) -> (Vec<HouseholdRecord>, Vec<MemberRecord>) {
        let mut families = Vec::new();
        let mut members = Vec::new();
        for f in data.families() {
            // P3KE files carry neither No. KK nor DTKS ids.
            families.push(HouseholdRecord {
                kk_number: None,
                dtks_id: None,
                ..f.household
            });
            members.extend(f.members.into_iter().map(|m| MemberRecord {
                kk_number: None,
                dtks_id: None,
                ..m.record
            }));
        }
        (families, members)
    }

    #[test]
    fn csv_round_trip_of_demo_data_has_no_rejections_and_is_deterministic() {
        let regions = kukar();
        let data = demo_data::generate(200, 7, &regions);
        let dir = temp_dir("p3ke-csv");
        let (fp, ip) = (dir.join("k.csv"), dir.join("i.csv"));
        demo_data::write_p3ke_csv(&data, &fp, &ip).unwrap();
        let fam_bytes = std::fs::read(&fp).unwrap();
        let families = parse_p3ke(&fam_bytes, &regions, reference_date()).unwrap();
        let members = parse_p3ke(&std::fs::read(&ip).unwrap(), &regions, reference_date()).unwrap();
        assert!(families.rejected.is_empty(), "{:?}", families.rejected);
        assert!(members.rejected.is_empty(), "{:?}", members.rejected);
        let (want_f, want_m) = expected(&data);
        assert_eq!(
            families
                .families
                .iter()
                .map(|p| p.record.clone())
                .collect::<Vec<_>>(),
            want_f
        );
        assert_eq!(
            members
                .members
                .iter()
                .map(|p| p.record.clone())
                .collect::<Vec<_>>(),
            want_m
        );
        assert_eq!(families.families[0].line, 2);
        assert_eq!(
            parse_p3ke(&fam_bytes, &regions, reference_date()).unwrap(),
            families
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn xlsx_round_trip_of_demo_data() {
        let regions = kukar();
        let data = demo_data::generate(60, 11, &regions);
        let dir = temp_dir("p3ke-xlsx");
        let path = dir.join("p3ke.xlsx");
        demo_data::write_p3ke_xlsx(&data, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let parsed = parse_p3ke(&bytes, &regions, reference_date()).unwrap();
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
        let (want_f, want_m) = expected(&data);
        assert_eq!(
            parsed
                .families
                .iter()
                .map(|p| p.record.clone())
                .collect::<Vec<_>>(),
            want_f
        );
        assert_eq!(
            parsed
                .members
                .iter()
                .map(|p| p.record.clone())
                .collect::<Vec<_>>(),
            want_m
        );
        assert_eq!(parsed.rows_total, want_f.len() + want_m.len());
        assert_eq!(parsed.members[0].sheet, MEMBER_SHEET);
        assert_eq!(
            parse_p3ke(&bytes, &regions, reference_date()).unwrap(),
            parsed
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
