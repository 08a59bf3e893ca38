//! The DTKS (Kemensos, SIKS-NG) import: one row per person, grouped by
//! `nomor_kk` into families. The head is the row with `hubungan_keluarga`
//! KEPALA KELUARGA; the region comes as names and is matched through
//! [`RegionLookup`]. DTKS has no desil, so households from it carry none and a
//! family already known from P3KE keeps its own.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::household::{HouseholdRecord, MemberRecord};
use crate::domain::kk::KkNumber;
use crate::domain::nik::clean_digits;
use crate::domain::region_lookup::RegionLookup;
use crate::import::limits::echo;
use crate::import::p3ke::{
    read_date, read_nik, read_sex, Cols, FileError, Parsed, ParsedImport, RejectedRow,
};
use crate::import::sheet::{Input, SheetReader};
use crate::import::values::{self, categorical};
use crate::import::xlsx::Workbook;

/// The name rejected rows and records carry as their sheet.
pub const DTKS_SHEET: &str = "DTKS";

/// DTKS column headers, exactly as SIKS-NG exports them.
pub mod col {
    pub const ID: &str = "iddtks";
    pub const PROVINCE: &str = "provinsi";
    pub const REGENCY: &str = "kabupaten_kota";
    pub const KECAMATAN: &str = "kecamatan";
    pub const DESA: &str = "desa_kelurahan";
    pub const ADDRESS: &str = "alamat";
    pub const DUSUN: &str = "dusun";
    pub const RT: &str = "rt";
    pub const RW: &str = "rw";
    pub const KK: &str = "nomor_kk";
    pub const NIK: &str = "nomor_nik";
    pub const NAME: &str = "nama";
    pub const BIRTH_DATE: &str = "tanggal_lahir";
    pub const BIRTH_PLACE: &str = "tempat_lahir";
    pub const SEX: &str = "jenis_kelamin";
    pub const MOTHER_NAME: &str = "nama_ibu_kandung";
    pub const RELATION: &str = "hubungan_keluarga";
}

/// Every DTKS header, in export order.
pub const DTKS_HEADERS: &[&str] = &[
    col::ID,
    col::PROVINCE,
    col::REGENCY,
    col::KECAMATAN,
    col::DESA,
    col::ADDRESS,
    col::DUSUN,
    col::RT,
    col::RW,
    col::KK,
    col::NIK,
    col::NAME,
    col::BIRTH_DATE,
    col::BIRTH_PLACE,
    col::SEX,
    col::MOTHER_NAME,
    col::RELATION,
];

/// Columns without which rows cannot be grouped, placed or matched.
pub const DTKS_REQUIRED: &[&str] = &[
    col::ID,
    col::KECAMATAN,
    col::DESA,
    col::KK,
    col::NIK,
    col::NAME,
    col::RELATION,
];

/// `alamat, dusun, RT 001/RW 002`, leaving out empty parts.
pub fn join_address(alamat: &str, dusun: &str, rt: &str, rw: &str) -> Option<String> {
    let mut parts: Vec<String> = [alamat, dusun]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    match (rt.trim(), rw.trim()) {
        ("", "") => {}
        (rt, "") => parts.push(format!("RT {rt}")),
        ("", rw) => parts.push(format!("RW {rw}")),
        (rt, rw) => parts.push(format!("RT {rt}/RW {rw}")),
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

struct Row {
    line: usize,
    cells: Vec<String>,
}

/// Opens a DTKS export (CSV, or the sheet named `DTKS` of an XLSX, else its
/// first sheet) and checks its headers; no data row is read yet.
pub fn open_dtks<'a>(input: impl Into<Input<'a>>) -> Result<SheetReader<'a>, FileError> {
    let reader = match input.into() {
        Input::Csv(stream) => SheetReader::csv(stream, DTKS_SHEET)?,
        Input::Xlsx(bytes) => {
            let workbook = Workbook::open(bytes)?;
            let name = match workbook.sheet(DTKS_SHEET)? {
                Some(_) => DTKS_SHEET.to_string(),
                None => workbook
                    .sheet_names()
                    .into_iter()
                    .next()
                    .ok_or(FileError::Empty)?,
            };
            SheetReader::xlsx(&workbook, &name)?.ok_or(FileError::Empty)?
        }
    };
    let missing = reader.header.missing(DTKS_REQUIRED);
    if !missing.is_empty() {
        return Err(FileError::MissingColumns {
            sheet: DTKS_SHEET.to_string(),
            columns: missing,
        });
    }
    Ok(reader)
}

/// Parses a DTKS export (see [`open_dtks`]).
pub fn parse_dtks<'a>(
    input: impl Into<Input<'a>>,
    regions: &dyn RegionLookup,
    today: NaiveDate,
) -> Result<ParsedImport, FileError> {
    let reader = open_dtks(input)?;
    let cols = Cols::new(&reader.header, DTKS_HEADERS);
    let rows: Vec<Row> = reader
        .into_rows()?
        .into_iter()
        .map(|(line, cells)| Row { line, cells })
        .collect();

    let mut out = ParsedImport {
        rows_total: rows.len(),
        ..ParsedImport::default()
    };
    let reject = |out: &mut ParsedImport, line: usize, reason: String| {
        out.rejected.push(RejectedRow {
            line,
            sheet: DTKS_SHEET.to_string(),
            reason,
        });
    };

    // Group by No. KK in order of first appearance, so output follows the file.
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let kk = clean_digits(cols.get(&row.cells, col::KK));
        if kk.is_empty() {
            reject(&mut out, row.line, format!("missing {}", col::KK));
            continue;
        }
        groups
            .entry(kk.clone())
            .or_insert_with(|| {
                order.push(kk);
                Vec::new()
            })
            .push(i);
    }

    for kk in order {
        let Some(indexes) = groups.get(&kk) else {
            continue;
        };
        let mut members: Vec<(usize, &Row, MemberRecord)> = Vec::new();
        for &i in indexes {
            let row = &rows[i];
            match member_from_row(&cols, &row.cells, &kk, today) {
                Ok(m) => members.push((i, row, m)),
                Err(reason) => reject(&mut out, row.line, reason),
            }
        }
        let heads: Vec<usize> = members
            .iter()
            .enumerate()
            .filter(|(_, (_, _, m))| m.relation.as_deref() == Some("head"))
            .map(|(j, _)| j)
            .collect();
        let Some(&head_at) = heads.first() else {
            for (_, row, _) in &members {
                reject(
                    &mut out,
                    row.line,
                    format!(
                        "family {} {} has no usable KEPALA KELUARGA row",
                        col::KK,
                        echo(&kk)
                    ),
                );
            }
            continue;
        };
        let (_, head_row, head) = &members[head_at];
        let g = |name: &str| cols.get(&head_row.cells, name);
        let Some(region_code) = regions.desa_by_names(g(col::KECAMATAN), g(col::DESA)) else {
            let reason = format!(
                "unknown region: kecamatan '{}', desa/kelurahan '{}'",
                echo(g(col::KECAMATAN)),
                echo(g(col::DESA))
            );
            for (_, row, _) in &members {
                reject(&mut out, row.line, reason.clone());
            }
            continue;
        };
        let mut flags = head.flags.clone();
        if KkNumber::parse(&kk).is_err() {
            flags.push("kk_invalid".to_string());
        }
        if heads.len() > 1 {
            flags.push("multiple_heads".to_string());
        }
        let household = HouseholdRecord {
            p3ke_family_id: None,
            dtks_id: head.dtks_id.clone(),
            kk_number: Some(kk.clone()),
            head_name: head.name.clone(),
            head_nik: head.nik.clone(),
            head_nik_valid: head.nik_valid,
            head_sex: head.sex,
            head_birth_date: head.birth_date,
            head_marital_status: head.marital_status.clone(),
            region_code,
            address: join_address(g(col::ADDRESS), g(col::DUSUN), g(col::RT), g(col::RW)),
            flags,
            ..HouseholdRecord::default()
        };
        out.families.push(Parsed {
            line: head_row.line,
            sheet: DTKS_SHEET.to_string(),
            record: household,
        });
        for (_, row, m) in members {
            out.members.push(Parsed {
                line: row.line,
                sheet: DTKS_SHEET.to_string(),
                record: m,
            });
        }
    }
    Ok(out)
}

fn member_from_row(
    cols: &Cols,
    row: &[String],
    kk: &str,
    today: NaiveDate,
) -> Result<MemberRecord, String> {
    let g = |name: &str| cols.get(row, name);
    let birth_date = read_date(col::BIRTH_DATE, g(col::BIRTH_DATE))?;
    let mut flags = Vec::new();
    let sex = read_sex(col::SEX, g(col::SEX), &mut flags);
    let (nik, nik_valid) = read_nik(g(col::NIK), sex, birth_date, today, &mut flags);
    let relation = categorical(
        &values::RELATION,
        col::RELATION,
        g(col::RELATION),
        &mut flags,
    );
    let id = g(col::ID);
    Ok(MemberRecord {
        p3ke_family_id: None,
        kk_number: Some(kk.to_string()),
        p3ke_individual_id: None,
        dtks_id: (!id.is_empty()).then(|| id.to_string()),
        nik,
        nik_valid,
        name: g(col::NAME).to_string(),
        sex,
        birth_date,
        relation,
        flags,
        ..MemberRecord::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::data::{self as demo_data, reference_date};
    use crate::domain::region_lookup::tests::kukar;

    const HEADER: &str = "iddtks,provinsi,kabupaten_kota,kecamatan,desa_kelurahan,alamat,dusun,rt,rw,nomor_kk,nomor_nik,nama,tanggal_lahir,tempat_lahir,jenis_kelamin,nama_ibu_kandung,hubungan_keluarga\n";

    fn parse(body: &str) -> ParsedImport {
        let text = format!("{HEADER}{body}");
        parse_dtks(text.as_bytes(), &kukar(), reference_date()).unwrap()
    }

    #[test]
    fn groups_rows_by_kk_and_matches_old_names() {
        let p = parse(
            "D1,KALTIM,KUKAR,LOA KULU,Karya Utama,Jl. A,Dusun I,001,002,6402020101010001,6402021203850001,ANDI,12-03-1985,X,LAKI-LAKI,M,KEPALA KELUARGA\n\
             D3,KALTIM,KUKAR,Kota Bangun Darat,Kedang  Ipil,,,,,6402190101010002,6402195203900001,CICI,12/03/1990,X,PEREMPUAN,M,KEPALA KELUARGA\n\
             D2,KALTIM,KUKAR,LOA KULU,Karya Utama,Jl. A,Dusun I,001,002,6402020101010001,6402025203870001,BUNGA,1987-03-12,X,PEREMPUAN,M,ISTRI\n",
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.rows_total, 3);
        assert_eq!(p.families.len(), 2);
        let f = &p.families[0];
        assert_eq!(f.line, 2);
        assert_eq!(f.record.region_code, "64.02.02.2009");
        assert_eq!(f.record.dtks_id.as_deref(), Some("D1"));
        assert_eq!(f.record.kk_number.as_deref(), Some("6402020101010001"));
        assert_eq!(f.record.head_name, "ANDI");
        assert_eq!(f.record.desil, None);
        assert_eq!(
            f.record.address.as_deref(),
            Some("Jl. A, Dusun I, RT 001/RW 002")
        );
        assert_eq!(p.families[1].record.region_code, "64.02.19.2001");
        let lines: Vec<_> = p.members.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![2, 4, 3]);
        assert_eq!(p.members[1].record.relation.as_deref(), Some("spouse"));
        assert_eq!(
            p.members[1].record.kk_number.as_deref(),
            Some("6402020101010001")
        );
    }

    #[test]
    fn rejects_unknown_region_and_headless_family_but_keeps_others() {
        let p = parse(
            "D1,,,LOA KULU,Atlantis,,,,,6402020101010001,6402021203850001,ANDI,,,L,,KEPALA KELUARGA\n\
             D2,,,LOA KULU,Jonggon Jaya,,,,,6402020101010002,6402021203850002,BUDI,,,L,,KEPALA KELUARGA\n\
             D3,,,LOA KULU,Jonggon Jaya,,,,,6402020101010003,6402025203850003,CICI,,,P,,ANAK\n\
             D4,,,LOA KULU,Jonggon Jaya,,,,,,6402025203850004,DEDI,,,P,,ANAK\n",
        );
        assert_eq!(p.families.len(), 1);
        assert_eq!(p.families[0].record.head_name, "BUDI");
        let rejected: Vec<_> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (5, "missing nomor_kk"),
                (
                    2,
                    "unknown region: kecamatan 'LOA KULU', desa/kelurahan 'Atlantis'"
                ),
                (
                    4,
                    "family nomor_kk 6402020101010003 has no usable KEPALA KELUARGA row"
                ),
            ]
        );
    }

    #[test]
    fn demo_dtks_round_trip() {
        let regions = kukar();
        let data = demo_data::generate(200, 3, &regions);
        let dir = std::env::temp_dir().join(format!("registry-dtks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dtks.csv");
        demo_data::write_dtks_csv(&data, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let p = parse_dtks(&bytes, &regions, reference_date()).unwrap();
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let want: Vec<_> = data
            .families()
            .filter(|f| f.household.dtks_id.is_some())
            .collect();
        assert_eq!(p.families.len(), want.len());
        for (got, want) in p.families.iter().zip(&want) {
            let (g, w) = (&got.record, &want.household);
            assert_eq!(
                (&g.dtks_id, &g.kk_number, &g.region_code),
                (&w.dtks_id, &w.kk_number, &w.region_code)
            );
            assert_eq!(
                (&g.head_nik, g.head_birth_date, g.head_sex),
                (&w.head_nik, w.head_birth_date, w.head_sex)
            );
            assert_eq!(g.address, w.address);
            assert!(g.flags.is_empty(), "{:?}", g.flags);
        }
        assert_eq!(
            p.members.len(),
            want.iter().map(|f| f.members.len()).sum::<usize>()
        );
        assert_eq!(parse_dtks(&bytes, &regions, reference_date()).unwrap(), p);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
