//! The DTSEN (BPS, Inpres 4/2025) snapshot: a family file (`keluarga`), a
//! member file (`anggota`) and their code books, each recognised by its
//! headers, as pipe-, comma- or semicolon-separated CSV or as XLSX (layout:
//! `shared/formats/DTSEN.md`).
//!
//! Rows become [`DtsenFamily`] and [`DtsenMember`], records of their own: the
//! household tables do not hold DTSEN's fields yet. Categorical values are
//! decoded through the snapshot's code book ([`CodeBook`]) into our codes,
//! the P3KE ones where P3KE has the concept, so mapping a record onto a
//! household is a copy. A row is rejected only when it cannot be keyed
//! (no No. KK, no NIK, the same key twice in the file); bad values are kept
//! or dropped with a flag, as the P3KE importer does. The region stays raw:
//! [`resolve_desa`] finds the desa. Rows are handed over one by one
//! ([`DtsenSink`]), so a file is never held as records whole.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::household::{AssetCounts, Disability, Housing};
use crate::domain::kk::KkNumber;
use crate::domain::nik::{clean_digits, Sex};
use crate::domain::region_lookup::RegionLookup;
use crate::import::dtks::join_address;
use crate::import::dtsen_codes::{self as codes, decode, decode_label, decode_yes_no, CodeBook};
use crate::import::limits::echo;
use crate::import::p3ke::{parse_whole, read_nik, Cols, Parsed, RejectedRow};
use crate::import::seen::SeenKeys;
use crate::import::sheet::{parse_date, FileError, Header, Input, SheetReader};
use crate::import::xlsx::Workbook;

/// The name rejected rows and records of the family file carry as their sheet.
pub const FAMILY_SHEET: &str = "KELUARGA";
/// The name rejected rows and records of the member file carry as their sheet.
pub const MEMBER_SHEET: &str = "ANGGOTA";

/// DTSEN column headers, as the regional tooling names them.
pub mod col {
    pub const PROVINCE_CODE: &str = "kode_provinsi";
    pub const PROVINCE: &str = "provinsi";
    pub const REGENCY_CODE: &str = "kode_kabupaten_kota";
    pub const REGENCY: &str = "kabupaten_kota";
    pub const KECAMATAN_CODE: &str = "kode_kecamatan";
    pub const KECAMATAN: &str = "kecamatan";
    pub const DESA_CODE: &str = "kode_kelurahan_desa";
    pub const DESA: &str = "kelurahan_desa";
    pub const ADDRESS: &str = "alamat";
    pub const KK: &str = "nomor_kartu_keluarga";
    pub const MEMBERS_COUNT: &str = "jumlah_anggota_keluarga";
    pub const HEAD_NAME: &str = "nama_kepala_keluarga";
    pub const DESIL_NATIONAL: &str = "desil_nasional";
    pub const DESIL_PROVINCE: &str = "desil_provinsi";
    pub const DESIL_REGENCY: &str = "desil_kabupaten_kota";
    pub const PBI_NATIONAL: &str = "pbi_nas";
    pub const PBI_REGIONAL: &str = "pbi_pemda";
    pub const PLN_CUSTOMER_ID: &str = "id_pelanggan_pln";
    pub const OWNERSHIP: &str = "status_kepemilikan_rumah";
    pub const FLOOR: &str = "jenis_lantai_terluas";
    pub const FLOOR_AREA: &str = "luas_lantai";
    pub const WALL: &str = "jenis_dinding_terluas";
    pub const ROOF: &str = "jenis_atap_terluas";
    pub const WATER: &str = "sumber_air_minum_utama";
    pub const LIGHTING: &str = "sumber_penerangan_utama";
    pub const POWER: &str = "daya_terpasang";
    pub const COOKING_FUEL: &str = "bahan_bakar_utama_memasak";
    pub const TOILET: &str = "fasilitas_bab";
    pub const TOILET_TYPE: &str = "jenis_kloset";
    pub const SEWAGE: &str = "pembuangan_akhir_tinja";
    pub const OWNS_ASSETS: &str = "kepemilikan_aset";
    pub const GAS_CYLINDERS: &str = "aset_bergerak_tabung_gas";
    pub const REFRIGERATORS: &str = "aset_bergerak_lemari_es";
    pub const AIR_CONDITIONERS: &str = "aset_bergerak_ac";
    pub const WATER_HEATERS: &str = "aset_bergerak_pemanas_air";
    pub const LANDLINES: &str = "aset_bergerak_telepon_rumah";
    pub const TELEVISIONS: &str = "aset_bergerak_televisi";
    pub const GOLD_GRAMS: &str = "aset_bergerak_emas_perhiasan";
    pub const COMPUTERS: &str = "aset_bergerak_komputer_laptop";
    pub const MOTORCYCLES: &str = "aset_bergerak_sepeda_motor";
    pub const BICYCLES: &str = "aset_bergerak_sepeda";
    pub const CARS: &str = "aset_bergerak_mobil";
    pub const BOATS: &str = "aset_bergerak_perahu";
    pub const MOTOR_BOATS: &str = "aset_bergerak_kapal_motor";
    pub const SMARTPHONES: &str = "aset_bergerak_smartphone";
    pub const OTHER_LAND_HA: &str = "aset_tidak_bergerak_lahan_lainnya";
    pub const OTHER_HOUSES: &str = "aset_tidak_bergerak_rumah_lainnya";
    pub const CATTLE: &str = "jumlah_ternak_sapi";
    pub const BUFFALO: &str = "jumlah_ternak_kerbau";
    pub const HORSES: &str = "jumlah_ternak_kuda";
    pub const PIGS: &str = "jumlah_ternak_babi";
    pub const GOATS_SHEEP: &str = "jumlah_ternak_kambing_domba";
    pub const FAMILIES_IN_HOUSE: &str = "keluarga_dalam_rumah";
    pub const LOCATION: &str = "lokasi";
    pub const LATITUDE: &str = "latitude";
    pub const LONGITUDE: &str = "longitude";

    pub const NIK: &str = "nomor_induk_kependudukan";
    pub const NAME: &str = "nama";
    pub const BIRTH_DATE: &str = "tanggal_lahir";
    pub const SEX: &str = "jenis_kelamin";
    pub const RELATION: &str = "status_hubungan_keluarga";
    pub const MARITAL: &str = "status_kawin";
    pub const SCHOOL: &str = "partisipasi_sekolah";
    pub const SCHOOL_LEVEL: &str = "jenjang_tertinggi_yang_diduduki";
    pub const SCHOOL_GRADE: &str = "kelas_tertinggi_yang_diduduki";
    pub const CERTIFICATE: &str = "ijazah_tertinggi_yang_dimiliki";
    pub const WORKING: &str = "status_bekerja";
    pub const INDUSTRY: &str = "lapangan_usaha_dari_pekerjaan_utama";
    pub const EMPLOYMENT: &str = "status_dalam_pekerjaan_utama";
    pub const OWNS_BUSINESS: &str = "kepemilikan_usaha";
    pub const MEMBER_PBI_NATIONAL: &str = "pbi_nasional";
    pub const MEMBER_PBI_REGIONAL: &str = "pbi_pemda";
    pub const SEEING: &str = "penglihatan";
    pub const HEARING: &str = "pendengaran";
    pub const WALKING: &str = "berjalan_atau_naik_tangga";
    pub const HANDS: &str = "menggunakan_tangan_jari";
    pub const REMEMBERING: &str = "mengingat_konsentrasi";
    pub const BEHAVIOUR: &str = "perilaku_emosional";
    pub const COMMUNICATING: &str = "berbicara_komunikasi";
    pub const SELF_CARE: &str = "mengurus_diri_sendiri";
    pub const CHRONIC_ILLNESS: &str = "penyakit_kronis";
    pub const NUTRITION: &str = "kondisi_gizi";
    pub const KTP_ADDRESS: &str = "alamat_ktp";
    pub const KTP_RT: &str = "rt_ktp";
    pub const KTP_RW: &str = "rw_ktp";
    pub const KTP_DUSUN: &str = "dusun_ktp";
    pub const KTP_OCCUPATION: &str = "pekerjaan_ktp";
}

/// The family file's headers, in the order the demo writes them.
pub const FAMILY_HEADERS: &[&str] = &[
    col::PROVINCE_CODE,
    col::PROVINCE,
    col::REGENCY_CODE,
    col::REGENCY,
    col::KECAMATAN_CODE,
    col::KECAMATAN,
    col::DESA_CODE,
    col::DESA,
    col::ADDRESS,
    col::KK,
    col::MEMBERS_COUNT,
    col::HEAD_NAME,
    col::DESIL_NATIONAL,
    col::DESIL_PROVINCE,
    col::DESIL_REGENCY,
    col::PBI_NATIONAL,
    col::PBI_REGIONAL,
    col::PLN_CUSTOMER_ID,
    col::OWNERSHIP,
    col::FLOOR,
    col::FLOOR_AREA,
    col::WALL,
    col::ROOF,
    col::WATER,
    col::LIGHTING,
    col::POWER,
    col::COOKING_FUEL,
    col::TOILET,
    col::TOILET_TYPE,
    col::SEWAGE,
    col::OWNS_ASSETS,
    col::GAS_CYLINDERS,
    col::REFRIGERATORS,
    col::AIR_CONDITIONERS,
    col::WATER_HEATERS,
    col::LANDLINES,
    col::TELEVISIONS,
    col::GOLD_GRAMS,
    col::COMPUTERS,
    col::MOTORCYCLES,
    col::BICYCLES,
    col::CARS,
    col::BOATS,
    col::MOTOR_BOATS,
    col::SMARTPHONES,
    col::OTHER_LAND_HA,
    col::OTHER_HOUSES,
    col::CATTLE,
    col::BUFFALO,
    col::HORSES,
    col::PIGS,
    col::GOATS_SHEEP,
    col::FAMILIES_IN_HOUSE,
    col::LATITUDE,
    col::LONGITUDE,
];

/// Family columns read besides [`FAMILY_HEADERS`].
const FAMILY_EXTRA: &[&str] = &[col::LOCATION];

/// The member file's headers, in the order the demo writes them.
pub const MEMBER_HEADERS: &[&str] = &[
    col::NIK,
    col::KK,
    col::NAME,
    col::BIRTH_DATE,
    col::SEX,
    col::RELATION,
    col::MARITAL,
    col::SCHOOL,
    col::SCHOOL_LEVEL,
    col::SCHOOL_GRADE,
    col::CERTIFICATE,
    col::WORKING,
    col::INDUSTRY,
    col::EMPLOYMENT,
    col::OWNS_BUSINESS,
    col::MEMBER_PBI_NATIONAL,
    col::MEMBER_PBI_REGIONAL,
    col::SEEING,
    col::HEARING,
    col::WALKING,
    col::HANDS,
    col::REMEMBERING,
    col::BEHAVIOUR,
    col::COMMUNICATING,
    col::SELF_CARE,
    col::CHRONIC_ILLNESS,
    col::NUTRITION,
    col::KTP_ADDRESS,
    col::KTP_RT,
    col::KTP_RW,
    col::KTP_DUSUN,
    col::KTP_OCCUPATION,
];

/// The Washington Group items, in file order.
pub const DISABILITY_HEADERS: &[&str] = &[
    col::SEEING,
    col::HEARING,
    col::WALKING,
    col::HANDS,
    col::REMEMBERING,
    col::BEHAVIOUR,
    col::COMMUNICATING,
    col::SELF_CARE,
];

/// Columns without which a family row cannot be keyed or placed.
pub const FAMILY_REQUIRED: &[&str] = &[col::KK, col::HEAD_NAME, col::DESIL_NATIONAL];
/// Columns without which a member row cannot be keyed.
pub const MEMBER_REQUIRED: &[&str] = &[col::NIK, col::KK, col::NAME];

/// The region of a family as the file gives it: codes (Kemendagri 2025 or
/// 2019, with or without dots, or whole or only their own segment) and names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DtsenRegion {
    pub province_code: String,
    pub province: String,
    pub regency_code: String,
    pub regency: String,
    pub kecamatan_code: String,
    pub kecamatan: String,
    pub desa_code: String,
    pub desa: String,
}

/// One family row of a DTSEN snapshot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DtsenFamily {
    /// No. KK (digits when valid, else as given); the family's key within
    /// the snapshot, not ours.
    pub kk_number: String,
    pub kk_valid: bool,
    pub head_name: String,
    pub members_count: Option<u32>,
    pub region: DtsenRegion,
    pub address: Option<String>,
    /// The desil used for targeting (1 = extreme poor).
    pub desil_national: Option<i16>,
    pub desil_province: Option<i16>,
    pub desil_regency: Option<i16>,
    pub pbi_national: Option<bool>,
    pub pbi_regional: Option<bool>,
    pub pln_customer_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub families_in_house: Option<u32>,
    /// `values::HOUSE_OWNERSHIP_CODES`.
    pub house_ownership: Option<String>,
    /// Floor area, m².
    pub floor_area: Option<f64>,
    /// Materials, water, lighting, power, fuel and toilet in the P3KE codes;
    /// DTSEN has no quality columns, so those stay `None`.
    pub housing: Housing,
    /// `dtsen_codes::TOILET_TYPE` codes.
    pub toilet_type: Option<String>,
    /// `dtsen_codes::SEWAGE_DISPOSAL` codes.
    pub sewage_disposal: Option<String>,
    pub owns_assets: Option<bool>,
    /// Assets and livestock.
    pub assets: AssetCounts,
    /// As the P3KE records: `kk_invalid`, `unknown_value:<column>=<value>`,
    /// `invalid_value:<column>=<value>`.
    pub flags: Vec<String>,
}

/// What a family's head is, as the member file says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Head {
    pub nik_valid: bool,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub marital_status: Option<String>,
    pub occupation: Option<String>,
    pub employment_status: Option<String>,
    pub education: Option<String>,
}

/// A person of the member file as the snapshot's roster takes them
/// (`import::snapshot`): the NIK and No. KK (as their member would have
/// them) and, when the person heads the family, the head's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DtsenPerson {
    pub nik: String,
    pub kk_number: String,
    pub head: Option<Head>,
}

/// One member row of a DTSEN snapshot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DtsenMember {
    /// NIK (digits when valid, else as given): the member's key.
    pub nik: String,
    pub nik_valid: bool,
    /// The family's No. KK in this snapshot.
    pub kk_number: String,
    pub kk_valid: bool,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// `values::RELATION_CODES`.
    pub relation: Option<String>,
    /// `values::MARITAL_STATUS_CODES`.
    pub marital_status: Option<String>,
    /// `dtsen_codes::SCHOOL_PARTICIPATION` codes.
    pub school_participation: Option<String>,
    /// Attending school now (from `school_participation`).
    pub in_school: Option<bool>,
    /// `jenjang`/`kelas tertinggi yang diduduki`, as their labels (lower case).
    pub school_level: Option<String>,
    pub school_grade: Option<String>,
    /// `dtsen_codes::CERTIFICATE` codes.
    pub certificate: Option<String>,
    /// `values::EDUCATION_CODES`, from certificate and participation.
    pub education: Option<String>,
    pub working: Option<bool>,
    /// Industry of the main work, as its label (lower case).
    pub industry: Option<String>,
    /// `values::EMPLOYMENT_STATUS_CODES`.
    pub employment_status: Option<String>,
    pub owns_business: Option<bool>,
    pub pbi_national: Option<bool>,
    pub pbi_regional: Option<bool>,
    pub disability: Disability,
    /// `dtsen_codes::CHRONIC_ILLNESS` codes (`none`, `hypertension`, …).
    pub chronic_illness: Option<String>,
    /// Nutrition status, as its label (lower case).
    pub nutrition: Option<String>,
    /// The KTP address: `alamat, dusun, RT/RW`.
    pub ktp_address: Option<String>,
    /// `values::OCCUPATION_CODES`, from the KTP.
    pub occupation: Option<String>,
    pub flags: Vec<String>,
}

/// What a DTSEN file is, by its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtsenFileKind {
    Families,
    Members,
    CodeBook,
}

/// A DTSEN file opened and its headers checked; no data row read yet.
pub struct DtsenFile<'a> {
    pub kind: DtsenFileKind,
    pub reader: SheetReader<'a>,
}

/// What the headers say the file is, if any of the three: a code book by
/// its three columns; a member file by the NIK; a family file by the No. KK
/// with the head's name or the desil. A file with both a NIK and the family
/// signature is a member file only if it also has a column of a person
/// (relation, sex, birth date): some exports add the head's NIK to families.
pub fn kind_of(header: &Header) -> Option<DtsenFileKind> {
    let has = |c: &str| header.position(c).is_some();
    let family = has(col::KK) && (has(col::HEAD_NAME) || has(col::DESIL_NATIONAL));
    let person = has(col::RELATION) || has(col::SEX) || has(col::BIRTH_DATE);
    if codes::is_code_book(header) {
        Some(DtsenFileKind::CodeBook)
    } else if has(col::NIK) && (person || !family) {
        Some(DtsenFileKind::Members)
    } else if family {
        Some(DtsenFileKind::Families)
    } else {
        None
    }
}

/// Opens a DTSEN file (CSV, or the first sheet of an XLSX whose headers are
/// a family, member or code book file's) and checks its required columns.
pub fn open_dtsen<'a>(input: impl Into<Input<'a>>) -> Result<DtsenFile<'a>, FileError> {
    let (kind, reader) = match input.into() {
        Input::Csv(stream) => {
            let reader = SheetReader::csv(stream, "CSV")?;
            (kind_of(&reader.header), reader)
        }
        Input::Xlsx(bytes) => {
            let workbook = Workbook::open(bytes)?;
            let mut found = None;
            for name in workbook.sheet_names() {
                if let Some(r) = SheetReader::xlsx(&workbook, &name)? {
                    if let Some(kind) = kind_of(&r.header) {
                        found = Some((Some(kind), r));
                        break;
                    }
                }
            }
            found.ok_or_else(unrecognised)?
        }
    };
    let kind = kind.ok_or_else(unrecognised)?;
    let (sheet, required) = match kind {
        DtsenFileKind::Families => (FAMILY_SHEET, FAMILY_REQUIRED),
        DtsenFileKind::Members => (MEMBER_SHEET, MEMBER_REQUIRED),
        DtsenFileKind::CodeBook => (codes::CODE_BOOK_SHEET, &[][..]),
    };
    let missing = reader.header.missing(required);
    if !missing.is_empty() {
        return Err(FileError::MissingColumns {
            sheet: sheet.to_string(),
            columns: missing,
        });
    }
    Ok(DtsenFile { kind, reader })
}

fn unrecognised() -> FileError {
    FileError::UnrecognisedSheet(format!(
        "a DTSEN file must be the family file (with '{}' and '{}'), the member file (with '{}') or a code book ('{} | {} | {}')",
        col::KK,
        col::HEAD_NAME,
        col::NIK,
        codes::col::COLUMN,
        codes::col::CODE,
        codes::col::LABEL
    ))
}

/// Where parsed DTSEN rows go (see `p3ke::ImportSink`).
pub trait DtsenSink {
    /// One non-blank data row was read.
    fn row_read(&mut self);
    fn family(&mut self, item: Parsed<DtsenFamily>) -> Result<(), FileError>;
    fn member(&mut self, item: Parsed<DtsenMember>) -> Result<(), FileError>;
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError>;
}

/// The outcome of parsing DTSEN files, collected in memory.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ParsedDtsen {
    pub families: Vec<Parsed<DtsenFamily>>,
    pub members: Vec<Parsed<DtsenMember>>,
    pub rejected: Vec<RejectedRow>,
    pub rows_total: usize,
}

impl DtsenSink for ParsedDtsen {
    fn row_read(&mut self) {
        self.rows_total += 1;
    }
    fn family(&mut self, item: Parsed<DtsenFamily>) -> Result<(), FileError> {
        self.families.push(item);
        Ok(())
    }
    fn member(&mut self, item: Parsed<DtsenMember>) -> Result<(), FileError> {
        self.members.push(item);
        Ok(())
    }
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError> {
        self.rejected.push(row);
        Ok(())
    }
}

/// Parses one family or member file, decoding through `book` (the built-in
/// book overridden by the snapshot's own: [`CodeBook::overridden_by`]).
pub fn parse_dtsen<'a>(
    input: impl Into<Input<'a>>,
    book: &CodeBook,
    today: NaiveDate,
) -> Result<ParsedDtsen, FileError> {
    let mut out = ParsedDtsen::default();
    stream_dtsen(input, book, today, &mut out)?;
    Ok(out)
}

/// As [`parse_dtsen`], handing each row to `out` as soon as it is read. A
/// code book given here is refused: it is read with [`CodeBook::read`].
pub fn stream_dtsen<'a>(
    input: impl Into<Input<'a>>,
    book: &CodeBook,
    today: NaiveDate,
    out: &mut dyn DtsenSink,
) -> Result<(), FileError> {
    let file = open_dtsen(input)?;
    match file.kind {
        DtsenFileKind::Families => read_families(file.reader, book, out),
        DtsenFileKind::Members => read_member_rows(
            file.reader,
            |cols, row| member_from_row(cols, row, book, today).map(|m| (m.nik.clone(), m)),
            |out, item| out.member(item),
            out,
        ),
        DtsenFileKind::CodeBook => Err(FileError::UnrecognisedSheet(
            "this is a DTSEN code book; give it as the code book, not as data".to_string(),
        )),
    }
}

/// Reads a member file for the snapshot's roster: each person to `each`,
/// reading of each row only what the roster needs.
pub fn stream_roster<'a>(
    input: impl Into<Input<'a>>,
    book: &CodeBook,
    today: NaiveDate,
    each: &mut dyn FnMut(Parsed<DtsenPerson>) -> Result<(), FileError>,
) -> Result<(), FileError> {
    let file = open_dtsen(input)?;
    if file.kind != DtsenFileKind::Members {
        return Err(FileError::UnrecognisedSheet(
            "the roster is read from a DTSEN member file".to_string(),
        ));
    }
    read_member_rows(
        file.reader,
        |cols, row| person_from_row(cols, row, book, today).map(|p| (p.nik.clone(), p)),
        |_, item| each(item),
        &mut Uncounted,
    )
}

/// The roster's read counts and refuses nothing: its rows are counted, and
/// refused, when the members are read.
struct Uncounted;

impl DtsenSink for Uncounted {
    fn row_read(&mut self) {}
    fn family(&mut self, _: Parsed<DtsenFamily>) -> Result<(), FileError> {
        Ok(())
    }
    fn member(&mut self, _: Parsed<DtsenMember>) -> Result<(), FileError> {
        Ok(())
    }
    fn rejected(&mut self, _: RejectedRow) -> Result<(), FileError> {
        Ok(())
    }
}

/// Reads the rows of `reader`, keying each record, rejecting rows without a
/// key or repeating one.
fn read_keyed<T>(
    mut reader: SheetReader<'_>,
    sheet: &str,
    key_header: &str,
    names: &[&'static str],
    mut record: impl FnMut(&Cols, &[String]) -> Result<(String, T), String>,
    mut emit: impl FnMut(&mut dyn DtsenSink, Parsed<T>) -> Result<(), FileError>,
    out: &mut dyn DtsenSink,
) -> Result<(), FileError> {
    let cols = Cols::new(&reader.header, names);
    let mut seen = SeenKeys::default();
    let mut row = Vec::new();
    while let Some(line) = reader.next_row(&mut row)? {
        out.row_read();
        let reject = |reason| RejectedRow {
            line,
            sheet: sheet.to_string(),
            reason,
        };
        match record(&cols, &row) {
            Ok((key, record)) => {
                if let Some(first) = seen.first_line(&key, line) {
                    out.rejected(reject(format!(
                        "duplicate {key_header} '{}' (first at line {first})",
                        echo(&key)
                    )))?;
                    continue;
                }
                emit(
                    out,
                    Parsed {
                        line,
                        sheet: sheet.to_string(),
                        record,
                    },
                )?;
            }
            Err(reason) => out.rejected(reject(reason))?,
        }
    }
    Ok(())
}

fn read_families(
    reader: SheetReader<'_>,
    book: &CodeBook,
    out: &mut dyn DtsenSink,
) -> Result<(), FileError> {
    let names: Vec<&'static str> = FAMILY_HEADERS.iter().chain(FAMILY_EXTRA).copied().collect();
    read_keyed(
        reader,
        FAMILY_SHEET,
        col::KK,
        &names,
        |cols, row| {
            let f = family_from_row(cols, row, book)?;
            Ok((f.kk_number.clone(), f))
        },
        |out, item| out.family(item),
        out,
    )
}

/// A member file's rows keyed by NIK, each made by `record` and handed on
/// by `emit`: the members' read and the roster's refuse the same rows and
/// take the same repeats, so the roster names exactly the people who
/// become members.
fn read_member_rows<T>(
    reader: SheetReader<'_>,
    record: impl FnMut(&Cols, &[String]) -> Result<(String, T), String>,
    emit: impl FnMut(&mut dyn DtsenSink, Parsed<T>) -> Result<(), FileError>,
    out: &mut dyn DtsenSink,
) -> Result<(), FileError> {
    read_keyed(
        reader,
        MEMBER_SHEET,
        col::NIK,
        MEMBER_HEADERS,
        record,
        emit,
        out,
    )
}

/// The No. KK as stored and whether it is valid; `None` when empty.
fn read_kk(raw: &str, flags: &mut Vec<String>) -> Option<(String, bool)> {
    let t = clean_digits(raw);
    if t.is_empty() {
        return None;
    }
    match KkNumber::parse(&t) {
        Ok(kk) => Some((kk.into(), true)),
        Err(_) => {
            flags.push("kk_invalid".to_string());
            Some((t, false))
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn invalid(header: &str, raw: &str, flags: &mut Vec<String>) {
    flags.push(format!("invalid_value:{header}={}", echo(raw)));
}

/// An optional count (a whole number ≥ 0); anything else is flagged.
fn count(header: &str, raw: &str, flags: &mut Vec<String>) -> Option<u32> {
    match parse_whole(raw).map(|n| n.map(u32::try_from)) {
        Ok(None) => None,
        Ok(Some(Ok(n))) => Some(n),
        _ => {
            invalid(header, raw, flags);
            None
        }
    }
}

/// An optional quantity (≥ 0, decimal point or comma); anything else is flagged.
fn quantity(header: &str, raw: &str, flags: &mut Vec<String>) -> Option<f64> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    match t.replace(',', ".").parse::<f64>() {
        Ok(q) if q.is_finite() && q >= 0.0 => Some(q),
        _ => {
            invalid(header, raw, flags);
            None
        }
    }
}

/// A desil 1–10; anything else is flagged and read as none (only BPS sets
/// desil, so we never guess one).
fn desil(header: &str, raw: &str, flags: &mut Vec<String>) -> Option<i16> {
    match parse_whole(raw) {
        Ok(None) => None,
        Ok(Some(d)) if (1..=10).contains(&d) => i16::try_from(d).ok(),
        _ => {
            invalid(header, raw, flags);
            None
        }
    }
}

fn coordinate(raw: &str, limit: f64) -> Option<f64> {
    let v = raw.trim().replace(',', ".").parse::<f64>().ok()?;
    (v.is_finite() && v.abs() <= limit).then_some(v)
}

/// The geotag from `latitude`/`longitude`, else from `lokasi` (`lat, lon`,
/// `lat;lon` or `lat lon`); a malformed or out-of-range one is flagged.
fn geotag(
    lat: &str,
    lon: &str,
    location: &str,
    flags: &mut Vec<String>,
) -> (Option<f64>, Option<f64>) {
    if !lat.trim().is_empty() || !lon.trim().is_empty() {
        return match (coordinate(lat, 90.0), coordinate(lon, 180.0)) {
            (Some(a), Some(o)) => (Some(a), Some(o)),
            _ => {
                invalid(col::LATITUDE, &format!("{lat} {lon}"), flags);
                (None, None)
            }
        };
    }
    let t = location.trim();
    if t.is_empty() {
        return (None, None);
    }
    // `lat;lon`, `lat, lon` (one comma), else `lat lon` (decimal commas).
    let parts: Vec<&str> = if t.contains(';') {
        t.split(';').collect()
    } else if t.matches(',').count() == 1 {
        t.split(',').collect()
    } else {
        t.split_whitespace().collect()
    };
    match parts.as_slice() {
        [a, o] => match (coordinate(a, 90.0), coordinate(o, 180.0)) {
            (Some(a), Some(o)) => (Some(a), Some(o)),
            _ => {
                invalid(col::LOCATION, t, flags);
                (None, None)
            }
        },
        _ => {
            invalid(col::LOCATION, t, flags);
            (None, None)
        }
    }
}

fn family_from_row(cols: &Cols, row: &[String], book: &CodeBook) -> Result<DtsenFamily, String> {
    let g = |name: &str| cols.get(row, name);
    let mut flags = Vec::new();
    let Some((kk_number, kk_valid)) = read_kk(g(col::KK), &mut flags) else {
        return Err(format!("missing {}", col::KK));
    };
    let mut cat = |concept: &codes::Concept, header: &str| {
        decode(book, concept, header, g(header), &mut flags)
    };
    let house_ownership = cat(&codes::HOUSE_OWNERSHIP, col::OWNERSHIP);
    let housing = Housing {
        roof_material: cat(&codes::ROOF_MATERIAL, col::ROOF),
        roof_quality: None,
        wall_material: cat(&codes::WALL_MATERIAL, col::WALL),
        wall_quality: None,
        floor_material: cat(&codes::FLOOR_MATERIAL, col::FLOOR),
        floor_quality: None,
        lighting_source: cat(&codes::LIGHTING, col::LIGHTING),
        power_capacity: cat(&codes::POWER_CAPACITY, col::POWER),
        cooking_fuel: cat(&codes::COOKING_FUEL, col::COOKING_FUEL),
        drinking_water: cat(&codes::DRINKING_WATER, col::WATER),
        toilet_facility: cat(&codes::TOILET, col::TOILET),
    };
    let toilet_type = cat(&codes::TOILET_TYPE, col::TOILET_TYPE);
    let sewage_disposal = cat(&codes::SEWAGE_DISPOSAL, col::SEWAGE);
    let yes_no =
        |header: &str, flags: &mut Vec<String>| decode_yes_no(book, header, g(header), flags);
    let pbi_national = yes_no(col::PBI_NATIONAL, &mut flags);
    let pbi_regional = yes_no(col::PBI_REGIONAL, &mut flags);
    let owns_assets = yes_no(col::OWNS_ASSETS, &mut flags);
    let mut n = |header: &str| count(header, g(header), &mut flags);
    let members_count = n(col::MEMBERS_COUNT);
    let families_in_house = n(col::FAMILIES_IN_HOUSE);
    let mut assets = AssetCounts {
        cattle: n(col::CATTLE),
        buffalo: n(col::BUFFALO),
        horses: n(col::HORSES),
        pigs: n(col::PIGS),
        goats_sheep: n(col::GOATS_SHEEP),
        gas_cylinders: n(col::GAS_CYLINDERS),
        refrigerators: n(col::REFRIGERATORS),
        air_conditioners: n(col::AIR_CONDITIONERS),
        water_heaters: n(col::WATER_HEATERS),
        landlines: n(col::LANDLINES),
        televisions: n(col::TELEVISIONS),
        computers: n(col::COMPUTERS),
        motorcycles: n(col::MOTORCYCLES),
        bicycles: n(col::BICYCLES),
        cars: n(col::CARS),
        boats: n(col::BOATS),
        motor_boats: n(col::MOTOR_BOATS),
        smartphones: n(col::SMARTPHONES),
        other_houses: n(col::OTHER_HOUSES),
        ..AssetCounts::default()
    };
    assets.gold_grams = quantity(col::GOLD_GRAMS, g(col::GOLD_GRAMS), &mut flags);
    assets.other_land_ha = quantity(col::OTHER_LAND_HA, g(col::OTHER_LAND_HA), &mut flags);
    let floor_area = quantity(col::FLOOR_AREA, g(col::FLOOR_AREA), &mut flags);
    let desil_national = desil(col::DESIL_NATIONAL, g(col::DESIL_NATIONAL), &mut flags);
    let desil_province = desil(col::DESIL_PROVINCE, g(col::DESIL_PROVINCE), &mut flags);
    let desil_regency = desil(col::DESIL_REGENCY, g(col::DESIL_REGENCY), &mut flags);
    let (latitude, longitude) = geotag(
        g(col::LATITUDE),
        g(col::LONGITUDE),
        g(col::LOCATION),
        &mut flags,
    );
    Ok(DtsenFamily {
        kk_number,
        kk_valid,
        head_name: g(col::HEAD_NAME).to_string(),
        members_count,
        region: DtsenRegion {
            province_code: g(col::PROVINCE_CODE).to_string(),
            province: g(col::PROVINCE).to_string(),
            regency_code: g(col::REGENCY_CODE).to_string(),
            regency: g(col::REGENCY).to_string(),
            kecamatan_code: g(col::KECAMATAN_CODE).to_string(),
            kecamatan: g(col::KECAMATAN).to_string(),
            desa_code: g(col::DESA_CODE).to_string(),
            desa: g(col::DESA).to_string(),
        },
        address: non_empty(g(col::ADDRESS)),
        desil_national,
        desil_province,
        desil_regency,
        pbi_national,
        pbi_regional,
        pln_customer_id: non_empty(&clean_digits(g(col::PLN_CUSTOMER_ID))),
        latitude,
        longitude,
        families_in_house,
        house_ownership,
        floor_area,
        housing,
        toilet_type,
        sewage_disposal,
        owns_assets,
        assets,
        flags,
    })
}

/// Our education code from the highest certificate and school participation
/// (`values::EDUCATION_CODES`): "in" the level above the certificate while
/// still at school.
fn education(certificate: Option<&str>, school: Option<&str>) -> Option<String> {
    let in_school = school == Some("in_school");
    let code = match certificate? {
        "none" if school == Some("never_attended") => "no_school",
        "none" if in_school => "in_primary",
        "none" => "primary_incomplete",
        "primary" if in_school => "in_junior_secondary",
        "primary" => "primary",
        "junior_secondary" if in_school => "in_senior_secondary",
        "junior_secondary" => "junior_secondary",
        "senior_secondary" if in_school => "in_tertiary",
        "senior_secondary" => "senior_secondary",
        "diploma" | "bachelor" | "postgraduate" => "tertiary",
        _ => return None,
    };
    Some(code.to_string())
}

/// Who a member row names, read before the rest of it: the NIK and No. KK
/// (a row without either is refused), birth date and sex, and what they
/// flagged. The roster needs no more of most people ([`person_from_row`]);
/// a member is this and the rest of its row ([`member_from_row`]).
struct Identity {
    nik: String,
    nik_valid: bool,
    kk_number: String,
    kk_valid: bool,
    birth_date: Option<NaiveDate>,
    sex: Option<Sex>,
    flags: Vec<String>,
}

fn identity_from_row(
    cols: &Cols,
    row: &[String],
    book: &CodeBook,
    today: NaiveDate,
) -> Result<Identity, String> {
    let g = |name: &str| cols.get(row, name);
    if g(col::NIK).is_empty() {
        return Err(format!("missing {}", col::NIK));
    }
    let mut flags = Vec::new();
    let Some((kk_number, kk_valid)) = read_kk(g(col::KK), &mut flags) else {
        return Err(format!("missing {}", col::KK));
    };
    let birth_date = match g(col::BIRTH_DATE) {
        "" => None,
        raw => parse_date(raw).or_else(|| {
            invalid(col::BIRTH_DATE, raw, &mut flags);
            None
        }),
    };
    // Through the book (`1`/`2`), then any spelling `Sex` knows (`L`, `P`, …).
    let sex = decode_label(book, col::SEX, g(col::SEX)).and_then(|label| {
        let sex = Sex::from_source(label);
        if sex.is_none() {
            flags.push(format!("unknown_value:{}={}", col::SEX, echo(label)));
        }
        sex
    });
    let (nik, nik_valid) = read_nik(g(col::NIK), sex, birth_date, today, &mut flags);
    Ok(Identity {
        nik,
        nik_valid,
        kk_number,
        kk_valid,
        birth_date,
        sex,
        flags,
    })
}

/// A person as the snapshot's roster takes them: the row's identity and,
/// for a head, the head's fields; the rest of the row is not read.
fn person_from_row(
    cols: &Cols,
    row: &[String],
    book: &CodeBook,
    today: NaiveDate,
) -> Result<DtsenPerson, String> {
    let g = |name: &str| cols.get(row, name);
    let who = identity_from_row(cols, row, book, today)?;
    // Flags are the member's, raised when its row is read whole.
    let mut flags = Vec::new();
    let mut cat = |concept: &codes::Concept, header: &str| {
        decode(book, concept, header, g(header), &mut flags)
    };
    let head = (cat(&codes::RELATION, col::RELATION).as_deref() == Some("head")).then(|| Head {
        nik_valid: who.nik_valid,
        sex: who.sex,
        birth_date: who.birth_date,
        marital_status: cat(&codes::MARITAL_STATUS, col::MARITAL),
        occupation: cat(&codes::OCCUPATION, col::KTP_OCCUPATION),
        employment_status: cat(&codes::EMPLOYMENT_STATUS, col::EMPLOYMENT),
        education: education(
            cat(&codes::CERTIFICATE, col::CERTIFICATE).as_deref(),
            cat(&codes::SCHOOL_PARTICIPATION, col::SCHOOL).as_deref(),
        ),
    });
    Ok(DtsenPerson {
        nik: who.nik,
        kk_number: who.kk_number,
        head,
    })
}

fn member_from_row(
    cols: &Cols,
    row: &[String],
    book: &CodeBook,
    today: NaiveDate,
) -> Result<DtsenMember, String> {
    let g = |name: &str| cols.get(row, name);
    let who = identity_from_row(cols, row, book, today)?;
    let mut flags = who.flags;
    let mut cat = |concept: &codes::Concept, header: &str| {
        decode(book, concept, header, g(header), &mut flags)
    };
    let relation = cat(&codes::RELATION, col::RELATION);
    let marital_status = cat(&codes::MARITAL_STATUS, col::MARITAL);
    let school_participation = cat(&codes::SCHOOL_PARTICIPATION, col::SCHOOL);
    let certificate = cat(&codes::CERTIFICATE, col::CERTIFICATE);
    let employment_status = cat(&codes::EMPLOYMENT_STATUS, col::EMPLOYMENT);
    let chronic_illness = cat(&codes::CHRONIC_ILLNESS, col::CHRONIC_ILLNESS);
    let occupation = cat(&codes::OCCUPATION, col::KTP_OCCUPATION);
    let mut difficulty = |header: &str| cat(&codes::DIFFICULTY, header);
    let disability = Disability {
        seeing: difficulty(col::SEEING),
        hearing: difficulty(col::HEARING),
        walking: difficulty(col::WALKING),
        using_hands: difficulty(col::HANDS),
        remembering: difficulty(col::REMEMBERING),
        behaviour: difficulty(col::BEHAVIOUR),
        communicating: difficulty(col::COMMUNICATING),
        self_care: difficulty(col::SELF_CARE),
    };
    let yes_no =
        |header: &str, flags: &mut Vec<String>| decode_yes_no(book, header, g(header), flags);
    let working = yes_no(col::WORKING, &mut flags);
    let owns_business = yes_no(col::OWNS_BUSINESS, &mut flags);
    let pbi_national = yes_no(col::MEMBER_PBI_NATIONAL, &mut flags);
    let pbi_regional = yes_no(col::MEMBER_PBI_REGIONAL, &mut flags);
    let label = |header: &str| decode_label(book, header, g(header)).map(|l| l.to_lowercase());
    let in_school = match school_participation.as_deref() {
        Some("in_school") => Some(true),
        Some("never_attended" | "no_longer_in_school") => Some(false),
        _ => None,
    };
    Ok(DtsenMember {
        education: education(certificate.as_deref(), school_participation.as_deref()),
        nik: who.nik,
        nik_valid: who.nik_valid,
        kk_number: who.kk_number,
        kk_valid: who.kk_valid,
        name: g(col::NAME).to_string(),
        birth_date: who.birth_date,
        sex: who.sex,
        relation,
        marital_status,
        school_participation,
        in_school,
        school_level: label(col::SCHOOL_LEVEL),
        school_grade: label(col::SCHOOL_GRADE),
        certificate,
        working,
        industry: label(col::INDUSTRY),
        employment_status,
        owns_business,
        pbi_national,
        pbi_regional,
        disability,
        chronic_illness,
        nutrition: label(col::NUTRITION),
        ktp_address: join_address(
            g(col::KTP_ADDRESS),
            g(col::KTP_DUSUN),
            g(col::KTP_RT),
            g(col::KTP_RW),
        ),
        occupation,
        flags,
    })
}

/// How a family's desa was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionMatch {
    /// By its Kemendagri (2025) code.
    Code,
    /// By its 2019 Kemendagri code.
    OldCode,
    /// By kecamatan and desa names.
    Names,
}

/// The 10 digits of the desa code the file gives: the desa column when it
/// holds a whole code, else the kecamatan's 6 digits and the desa's 4.
fn desa_digits(region: &DtsenRegion) -> Option<String> {
    let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let desa = digits(&region.desa_code);
    match desa.len() {
        10 => Some(desa),
        4 => {
            let kec = digits(&region.kecamatan_code);
            (kec.len() == 6).then(|| format!("{kec}{desa}"))
        }
        _ => None,
    }
}

/// Finds the family's desa: by its Kemendagri code (dots or not), then as a
/// 2019 code, then by the kecamatan and desa names (case, spaces and the
/// `Desa`/`Kelurahan` prefixes ignored, old names known). Returns the 2025
/// dotted code and how it was found, or the reason none matched. A BPS code
/// (Kukar is `6403` there) matches no Kukar desa, so it falls to the names.
pub fn resolve_desa(
    region: &DtsenRegion,
    regions: &dyn RegionLookup,
) -> Result<(String, RegionMatch), String> {
    if let Some(digits) = desa_digits(region) {
        // Current codes win the index over 2019 codes, so a code that comes
        // back with the same digits was found as a current one.
        if let Some(code) = regions.desa_by_code10(&digits) {
            let by = if code.replace('.', "") == digits {
                RegionMatch::Code
            } else {
                RegionMatch::OldCode
            };
            return Ok((code, by));
        }
    }
    if let Some(code) = regions.desa_by_names(&region.kecamatan, &region.desa) {
        return Ok((code, RegionMatch::Names));
    }
    Err(format!(
        "unknown region: {} '{}', {} '{}', {} '{}'",
        col::DESA_CODE,
        echo(&region.desa_code),
        col::KECAMATAN,
        echo(&region.kecamatan),
        col::DESA,
        echo(&region.desa)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::region_lookup::tests::kukar;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
    }

    fn builtin() -> CodeBook {
        CodeBook::builtin()
    }

    const FAMILIES: &str = "\u{feff}\"kode_kecamatan\"|\"kecamatan\"|\"kode_kelurahan_desa\"|\"kelurahan_desa\"|\"nomor_kartu_keluarga\"|\"nama_kepala_keluarga\"|\"desil_nasional\"|\"jenis_atap_terluas\"|\"sumber_air_minum_utama\"|\"alamat\"|\"aset_bergerak_sepeda_motor\"|\"lokasi\"\n\
\"640206\"|\"Tenggarong\"|\"1001\"|\"Kel. Maluhu\"|\"6402061234567890\"|\"Siti | Aminah\"|\"1\"|\"7\"|\"SUMUR TAK TERLINDUNG\"|\"Jl. \"\"Mawar\"\" 3\"|\"2\"|\"-0.41, 116.98\"\n\
\"\"|\"\"|\"\"|\"\"|\"\"|\"Tanpa KK\"|\"2\"|\"\"|\"\"|\"\"|\"\"|\"\"\n\
\"64.02.06\"|\"Tenggarong\"|\"64.02.06.1001\"|\"\"|\"64020612\"|\"Budi\"|\"12\"|\"genteng\"|\"99\"|\"\"|\"dua\"|\"\"\n\
\"640206\"|\"Tenggarong\"|\"1001\"|\"\"|\"6402061234567890\"|\"Lagi\"|\"1\"|\"\"|\"\"|\"\"|\"\"|\"\"\n";

    #[test]
    fn pipe_separated_quoted_file_with_bom() {
        let parsed = parse_dtsen(FAMILIES.as_bytes(), &builtin(), today()).unwrap();
        assert_eq!(parsed.rows_total, 4);
        assert_eq!(parsed.families.len(), 2);
        let a = &parsed.families[0];
        assert_eq!((a.line, a.sheet.as_str()), (2, FAMILY_SHEET));
        let f = &a.record;
        assert_eq!(f.head_name, "Siti | Aminah");
        assert_eq!(f.address.as_deref(), Some("Jl. \"Mawar\" 3"));
        assert_eq!(
            (f.kk_number.as_str(), f.kk_valid),
            ("6402061234567890", true)
        );
        assert_eq!(f.desil_national, Some(1));
        assert_eq!(f.housing.roof_material.as_deref(), Some("thatch"));
        assert_eq!(
            f.housing.drinking_water.as_deref(),
            Some("unprotected_well")
        );
        assert_eq!(f.assets.motorcycles, Some(2));
        assert_eq!((f.latitude, f.longitude), (Some(-0.41), Some(116.98)));
        assert!(f.flags.is_empty(), "{:?}", f.flags);
    }

    #[test]
    fn bad_values_are_flagged_and_the_row_kept() {
        let parsed = parse_dtsen(FAMILIES.as_bytes(), &builtin(), today()).unwrap();
        let b = &parsed.families[1].record;
        assert_eq!((b.kk_number.as_str(), b.kk_valid), ("64020612", false));
        assert_eq!(b.desil_national, None);
        assert_eq!(b.housing.roof_material.as_deref(), Some("tile"));
        assert_eq!(b.housing.drinking_water.as_deref(), Some("99"));
        assert_eq!(
            b.flags,
            vec![
                "kk_invalid",
                "unknown_value:sumber_air_minum_utama=99",
                "invalid_value:aset_bergerak_sepeda_motor=dua",
                "invalid_value:desil_nasional=12",
            ]
        );
    }

    #[test]
    fn rows_without_a_key_or_repeating_one_are_rejected_with_their_line() {
        let parsed = parse_dtsen(FAMILIES.as_bytes(), &builtin(), today()).unwrap();
        let rejected: Vec<(usize, &str)> = parsed
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (3, "missing nomor_kartu_keluarga"),
                (
                    5,
                    "duplicate nomor_kartu_keluarga '6402061234567890' (first at line 2)"
                ),
            ]
        );
    }

    const MEMBERS: &str = "nomor_induk_kependudukan,nomor_kartu_keluarga,nama,tanggal_lahir,jenis_kelamin,status_hubungan_keluarga,partisipasi_sekolah,ijazah_tertinggi_yang_dimiliki,status_bekerja,berjalan_atau_naik_tangga,penyakit_kronis,status_kawin\n\
6402065203850001,6402061234567890,Siti,1985-03-12,2,1,2,SMA/Sederajat,1,3,Hipertensi,kawin\n\
6402060102100001,6402061234567890,Bayu,01-02-2010,Laki-laki,anak,1,1,2,1,0,1\n\
,6402061234567890,Tanpa NIK,,,,,,,,,\n\
6402060102100002,,Tanpa KK,,,,,,,,,\n\
12345,6402061234567890,Cici,kemarin,x,3,,,,,,\n";

    #[test]
    fn member_file_with_commas_codes_and_labels() {
        let parsed = parse_dtsen(MEMBERS.as_bytes(), &builtin(), today()).unwrap();
        assert_eq!(parsed.rows_total, 5);
        assert_eq!(parsed.members.len(), 3);
        let siti = &parsed.members[0].record;
        assert_eq!(siti.sex, Some(Sex::Female));
        assert_eq!(siti.relation.as_deref(), Some("head"));
        assert_eq!(siti.marital_status.as_deref(), Some("married"));
        assert_eq!(siti.education.as_deref(), Some("senior_secondary"));
        assert_eq!(siti.in_school, Some(false));
        assert_eq!(siti.working, Some(true));
        assert_eq!(
            siti.disability.walking.as_deref(),
            Some("a_lot_of_difficulty")
        );
        assert!(siti.disability.has_disability());
        assert_eq!(siti.chronic_illness.as_deref(), Some("hypertension"));
        assert!(siti.nik_valid && siti.flags.is_empty(), "{:?}", siti.flags);
        let bayu = &parsed.members[1].record;
        assert_eq!(bayu.sex, Some(Sex::Male));
        assert_eq!(bayu.relation.as_deref(), Some("child"));
        assert_eq!(bayu.marital_status.as_deref(), Some("single"));
        assert_eq!(bayu.in_school, Some(true));
        assert_eq!(bayu.education.as_deref(), Some("in_junior_secondary"));
        assert_eq!(bayu.chronic_illness.as_deref(), Some("none"));
        assert!(!bayu.disability.has_disability());
        assert!(bayu.flags.is_empty(), "{:?}", bayu.flags);
    }

    /// The roster reads a few columns of each row, yet names the people the
    /// member file's members are, no more, no fewer (rows without a NIK or
    /// a No. KK, repeated NIKs), with the head's fields as its member has them.
    #[test]
    fn the_roster_names_the_members_with_their_heads() {
        let file = format!(
            "{MEMBERS}6402060102100001,6402069999999999,Bayu lagi,,,,,,,,,\n\
             6402064107900003,6402069999999999,Rina,1990-07-01,P,Kepala Keluarga,3,D4/S1,1,,,cerai hidup\n"
        );
        let mut roster = Vec::new();
        stream_roster(file.as_bytes(), &builtin(), today(), &mut |item| {
            roster.push((item.line, item.record));
            Ok(())
        })
        .unwrap();
        let members = parse_dtsen(file.as_bytes(), &builtin(), today()).unwrap();
        let expected: Vec<(usize, DtsenPerson)> = members
            .members
            .into_iter()
            .map(|item| {
                let m = item.record;
                let head = (m.relation.as_deref() == Some("head")).then_some(Head {
                    nik_valid: m.nik_valid,
                    sex: m.sex,
                    birth_date: m.birth_date,
                    marital_status: m.marital_status,
                    occupation: m.occupation,
                    employment_status: m.employment_status,
                    education: m.education,
                });
                let person = DtsenPerson {
                    nik: m.nik,
                    kk_number: m.kk_number,
                    head,
                };
                (item.line, person)
            })
            .collect();
        assert_eq!(roster, expected);
        let heads: Vec<(usize, Option<&str>)> = roster
            .iter()
            .filter_map(|(line, p)| Some((*line, p.head.as_ref()?.education.as_deref())))
            .collect();
        assert_eq!(
            heads,
            [(2, Some("senior_secondary")), (8, Some("tertiary"))]
        );
    }

    #[test]
    fn member_rows_without_nik_or_kk_are_rejected_and_bad_niks_flagged() {
        let parsed = parse_dtsen(MEMBERS.as_bytes(), &builtin(), today()).unwrap();
        let rejected: Vec<(usize, &str)> = parsed
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (4, "missing nomor_induk_kependudukan"),
                (5, "missing nomor_kartu_keluarga")
            ]
        );
        let cici = &parsed.members[2].record;
        assert_eq!((cici.nik.as_str(), cici.nik_valid), ("12345", false));
        assert_eq!(cici.birth_date, None);
        assert_eq!(
            cici.flags,
            vec![
                "invalid_value:tanggal_lahir=kemarin",
                "unknown_value:jenis_kelamin=x",
                "nik_invalid"
            ]
        );
    }

    #[test]
    fn semicolons_and_the_files_own_code_book_win() {
        let file = CodeBook::read(
            b"\"kolom\";\"kode\";\"keterangan\"\n\"jenis_atap_terluas\";\"1\";\"Seng\"\n\"jenis_atap_terluas\";\"2\";\"Ijuk\"\n",
        )
        .unwrap();
        assert!(file.rejected.is_empty());
        let book = builtin().overridden_by(&file.book);
        let csv = "nomor_kartu_keluarga;nama_kepala_keluarga;desil_nasional;jenis_atap_terluas;jenis_lantai_terluas\n\
                   6402061234567890;A;1;1;8\n6402061234567891;B;1;2;Tanah\n6402061234567892;C;1;3;\n";
        let parsed = parse_dtsen(csv.as_bytes(), &book, today()).unwrap();
        let roofs: Vec<_> = parsed
            .families
            .iter()
            .map(|f| f.record.housing.roof_material.clone())
            .collect();
        assert_eq!(
            roofs,
            vec![
                Some("asbestos_zinc".to_string()),
                Some("ijuk".to_string()),
                Some("3".to_string())
            ]
        );
        assert_eq!(
            parsed.families[1].record.flags,
            vec!["unknown_value:jenis_atap_terluas=Ijuk"]
        );
        // The floor column is not in the file's book: the built-in codes hold.
        assert_eq!(
            parsed.families[0].record.housing.floor_material.as_deref(),
            Some("earth")
        );
        assert_eq!(
            parsed.families[1].record.housing.floor_material.as_deref(),
            Some("earth")
        );
    }

    #[test]
    fn files_are_recognised_by_their_headers() {
        let kind = |s: &str| open_dtsen(s.as_bytes()).map(|f| f.kind);
        assert_eq!(kind("kolom|kode|keterangan\n"), Ok(DtsenFileKind::CodeBook));
        assert_eq!(
            kind("nomor_kartu_keluarga,desil_nasional,nama_kepala_keluarga\n"),
            Ok(DtsenFileKind::Families)
        );
        assert_eq!(
            kind("nama;nomor_induk_kependudukan;nomor_kartu_keluarga\n"),
            Ok(DtsenFileKind::Members)
        );
        assert_eq!(
            kind("nomor_kartu_keluarga|nama_kepala_keluarga|desil_nasional|nomor_induk_kependudukan\n"),
            Ok(DtsenFileKind::Families)
        );
        assert_eq!(
            kind("nomor_kartu_keluarga|nama_kepala_keluarga|nama|nomor_induk_kependudukan|jenis_kelamin\n"),
            Ok(DtsenFileKind::Members)
        );
        assert!(matches!(
            kind("a,b\n"),
            Err(FileError::UnrecognisedSheet(_))
        ));
        assert_eq!(
            kind("nomor_induk_kependudukan\n").unwrap_err().to_string(),
            "sheet ANGGOTA is missing required columns: nomor_kartu_keluarga, nama"
        );
        assert!(parse_dtsen(b"kolom|kode|keterangan\n", &builtin(), today()).is_err());
    }

    #[test]
    fn an_xlsx_family_file_reads_like_its_csv() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("keluarga").unwrap();
        for (c, h) in [
            col::KK,
            col::HEAD_NAME,
            col::DESIL_NATIONAL,
            col::ROOF,
            col::TOILET,
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1, 0, 6402061234567890.0).unwrap();
        ws.write_string(1, 1, "Siti").unwrap();
        ws.write_number(1, 2, 3.0).unwrap();
        ws.write_string(1, 3, "Genteng").unwrap();
        ws.write_number(1, 4, 6.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let parsed = parse_dtsen(&bytes, &builtin(), today()).unwrap();
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
        let f = &parsed.families[0];
        assert_eq!((f.line, f.sheet.as_str()), (2, FAMILY_SHEET));
        assert_eq!(f.record.kk_number, "6402061234567890");
        assert_eq!(f.record.desil_national, Some(3));
        assert_eq!(f.record.housing.roof_material.as_deref(), Some("tile"));
        assert_eq!(f.record.housing.toilet_facility.as_deref(), Some("none"));
    }

    #[test]
    fn desa_by_code_then_2019_code_then_names() {
        let t = kukar();
        let region = |kec_code: &str, kec: &str, code: &str, desa: &str| DtsenRegion {
            kecamatan_code: kec_code.into(),
            kecamatan: kec.into(),
            desa_code: code.into(),
            desa: desa.into(),
            ..DtsenRegion::default()
        };
        let r = |reg: DtsenRegion| resolve_desa(&reg, &t);
        assert_eq!(
            r(region("", "", "6402192001", "")),
            Ok(("64.02.19.2001".to_string(), RegionMatch::Code))
        );
        assert_eq!(
            r(region("", "", "64.02.19.2001", "")),
            Ok(("64.02.19.2001".to_string(), RegionMatch::Code))
        );
        assert_eq!(
            r(region("640219", "", "2001", "")),
            Ok(("64.02.19.2001".to_string(), RegionMatch::Code))
        );
        assert_eq!(
            r(region("64.02.08", "", "64.02.08.2001", "")),
            Ok(("64.02.19.2001".to_string(), RegionMatch::OldCode))
        );
        assert_eq!(
            r(region("", "LOA KULU", "6402999999", "Desa Jonggon Jaya")),
            Ok(("64.02.02.2009".to_string(), RegionMatch::Names))
        );
        assert_eq!(
            r(region("", "Nowhere", "6402999999", "X")).unwrap_err(),
            "unknown region: kode_kelurahan_desa '6402999999', kecamatan 'Nowhere', kelurahan_desa 'X'"
        );
    }
}
