//! A DTSEN snapshot as household and member records: its files sorted by
//! what their headers say (code books, then families, then members), the
//! families placed in their desa and given their head and members' NIKs
//! from the member file, so the registry writer can match a family whose
//! No. KK changed (`db::registry_writer`). Rows reach the writer through the
//! same `ImportSink` as P3KE and DTKS rows.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::household::{HouseholdRecord, MemberRecord};
use crate::domain::nik::Sex;
use crate::domain::region_lookup::RegionLookup;
use crate::import::dtsen::{
    open_dtsen, resolve_desa, stream_dtsen, DtsenFamily, DtsenFileKind, DtsenMember, DtsenSink,
};
use crate::import::dtsen_codes::CodeBook;
use crate::import::p3ke::{ImportSink, Parsed, RejectedRow};
use crate::import::sheet::FileError;

/// The files of one upload, by kind, in the order they came.
#[derive(Default)]
pub struct SnapshotFiles<'a> {
    pub code_books: Vec<&'a [u8]>,
    pub families: Vec<&'a [u8]>,
    pub members: Vec<&'a [u8]>,
}

/// Sorts the files by their headers; a file that is none of the three is
/// refused with the reason, as is an upload with no family or member file.
pub fn sort_files<'a>(files: &[&'a [u8]]) -> Result<SnapshotFiles<'a>, FileError> {
    let mut out = SnapshotFiles::default();
    for &bytes in files {
        match open_dtsen(bytes)?.kind {
            DtsenFileKind::CodeBook => out.code_books.push(bytes),
            DtsenFileKind::Families => out.families.push(bytes),
            DtsenFileKind::Members => out.members.push(bytes),
        }
    }
    if out.families.is_empty() && out.members.is_empty() {
        return Err(FileError::UnrecognisedSheet(
            "a DTSEN upload needs the family file, the member file or both; only code books were given"
                .to_string(),
        ));
    }
    Ok(out)
}

/// The built-in code book overridden by the snapshot's own books, in the
/// order given; the books' own rejected rows are reported.
fn code_book(files: &SnapshotFiles<'_>, out: &mut dyn ImportSink) -> Result<CodeBook, FileError> {
    let mut book = CodeBook::builtin();
    for bytes in &files.code_books {
        let read = CodeBook::read(bytes)?;
        for r in read.rejected {
            out.rejected(r)?;
        }
        book = book.overridden_by(&read.book);
    }
    Ok(book)
}

/// A No. KK or NIK as a number, when it is one (16 digits fit in a `u64`):
/// the roster of a whole regency then takes a few bytes a person.
fn key(digits: &str) -> Option<u64> {
    (digits.len() == 16).then(|| digits.parse().ok()).flatten()
}

/// What a family's head is, as the member file says.
#[derive(Debug, Clone, Default)]
struct Head {
    nik: String,
    nik_valid: bool,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    marital_status: Option<String>,
    occupation: Option<String>,
    employment_status: Option<String>,
    education: Option<String>,
}

/// The member file read ahead of the families: per No. KK the head and
/// every member's NIK, the head's first.
#[derive(Default)]
struct Roster {
    heads: HashMap<u64, Head>,
    /// (No. KK, NIK, is the head), sorted so a family's members are adjacent.
    niks: Vec<(u64, bool, u64)>,
}

impl DtsenSink for Roster {
    fn row_read(&mut self) {}
    fn family(&mut self, _: Parsed<DtsenFamily>) -> Result<(), FileError> {
        Ok(())
    }
    fn member(&mut self, item: Parsed<DtsenMember>) -> Result<(), FileError> {
        let m = item.record;
        let (Some(kk), Some(nik)) = (key(&m.kk_number), key(&m.nik)) else {
            return Ok(());
        };
        let head = m.relation.as_deref() == Some("head");
        // `false` sorts first: the head leads its family.
        self.niks.push((kk, !head, nik));
        if head {
            self.heads.insert(
                kk,
                Head {
                    nik: m.nik,
                    nik_valid: m.nik_valid,
                    sex: m.sex,
                    birth_date: m.birth_date,
                    marital_status: m.marital_status,
                    occupation: m.occupation,
                    employment_status: m.employment_status,
                    education: m.education,
                },
            );
        }
        Ok(())
    }
    fn rejected(&mut self, _: RejectedRow) -> Result<(), FileError> {
        Ok(())
    }
}

impl Roster {
    fn niks_of(&self, kk: u64) -> Vec<String> {
        let start = self.niks.partition_point(|&(k, _, _)| k < kk);
        self.niks[start..]
            .iter()
            .take_while(|&&(k, _, _)| k == kk)
            .map(|&(_, _, nik)| format!("{nik:016}"))
            .collect()
    }
}

/// The family as a household record in its desa, with its head from the roster.
fn household(f: DtsenFamily, region_code: String, roster: &Roster) -> HouseholdRecord {
    let kk = key(&f.kk_number);
    let head = kk
        .and_then(|k| roster.heads.get(&k))
        .cloned()
        .unwrap_or_default();
    HouseholdRecord {
        p3ke_family_id: None,
        dtks_id: None,
        kk_number: Some(f.kk_number),
        head_name: f.head_name,
        head_nik: head.nik,
        head_nik_valid: head.nik_valid,
        head_sex: head.sex,
        head_birth_date: head.birth_date,
        head_marital_status: head.marital_status,
        head_occupation: head.occupation,
        head_employment_status: head.employment_status,
        head_education: head.education,
        region_code,
        address: f.address,
        // The desil targeting uses is the national one.
        desil: f.desil_national,
        percentile: None,
        verification_priority: None,
        dukcapil_match: None,
        assets: crate::domain::household::Assets {
            house_ownership: f.house_ownership,
            has_savings: f.owns_assets,
        },
        housing: f.housing,
        stunting_risk: None,
        assistance: Default::default(),
        data_year: None,
        flags: f.flags,
        desil_national: f.desil_national,
        desil_province: f.desil_province,
        desil_regency: f.desil_regency,
        latitude: f.latitude,
        longitude: f.longitude,
        families_in_house: f.families_in_house.and_then(|n| i32::try_from(n).ok()),
        pln_customer_id: f.pln_customer_id,
        pbi_national: f.pbi_national,
        pbi_regional: f.pbi_regional,
        asset_counts: Some(f.assets),
        member_niks: kk.map(|k| roster.niks_of(k)).unwrap_or_default(),
    }
}

/// The member as a member record of the family with its No. KK.
fn member(m: DtsenMember) -> MemberRecord {
    MemberRecord {
        p3ke_family_id: None,
        kk_number: Some(m.kk_number),
        p3ke_individual_id: None,
        dtks_id: None,
        nik: m.nik,
        nik_valid: m.nik_valid,
        name: m.name,
        sex: m.sex,
        birth_date: m.birth_date,
        relation: m.relation,
        marital_status: m.marital_status,
        education: m.education,
        occupation: m.occupation,
        employment_status: m.employment_status,
        dukcapil_match: None,
        flags: m.flags,
        // A file without the Washington Group columns says nothing of them.
        disability: (m.disability != Default::default()).then_some(m.disability),
        chronic_illness: m.chronic_illness,
        in_school: m.in_school,
        working: m.working,
    }
}

/// Turns DTSEN rows into registry records for `out`.
struct ToRecords<'a> {
    out: &'a mut dyn ImportSink,
    regions: &'a dyn RegionLookup,
    roster: &'a Roster,
}

impl DtsenSink for ToRecords<'_> {
    fn row_read(&mut self) {
        self.out.row_read();
    }
    fn family(&mut self, item: Parsed<DtsenFamily>) -> Result<(), FileError> {
        match resolve_desa(&item.record.region, self.regions) {
            Ok((code, _)) => self.out.family(Parsed {
                line: item.line,
                sheet: item.sheet,
                record: household(item.record, code, self.roster),
            }),
            Err(reason) => self.out.rejected(RejectedRow {
                line: item.line,
                sheet: item.sheet,
                reason,
            }),
        }
    }
    fn member(&mut self, item: Parsed<DtsenMember>) -> Result<(), FileError> {
        self.out.member(Parsed {
            line: item.line,
            sheet: item.sheet,
            record: member(item.record),
        })
    }
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError> {
        self.out.rejected(row)
    }
}

/// Reads a snapshot's files into `out`: code books first, then the member
/// files once for the roster, then every family, then every member.
pub fn stream_snapshot(
    files: &[&[u8]],
    regions: &dyn RegionLookup,
    today: NaiveDate,
    out: &mut dyn ImportSink,
) -> Result<(), FileError> {
    let files = sort_files(files)?;
    let book = code_book(&files, out)?;
    let mut roster = Roster::default();
    for bytes in &files.members {
        stream_dtsen(bytes, &book, today, &mut roster)?;
    }
    roster.niks.sort_unstable();
    let mut records = ToRecords {
        out,
        regions,
        roster: &roster,
    };
    for bytes in files.families.iter().chain(&files.members) {
        stream_dtsen(bytes, &book, today, &mut records)?;
    }
    Ok(())
}
