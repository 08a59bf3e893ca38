//! A DTSEN snapshot as household and member records: its files sorted by
//! what their headers say (code books, then families, then members), the
//! families placed in their desa and given their head and members' NIKs
//! from the member file, so the registry writer can match a family whose
//! No. KK changed (`db::registry_writer`). Rows reach the writer through the
//! same `ImportSink` as P3KE and DTKS rows.
//!
//! The member file is read twice: first for its roster (per person the No.
//! KK, the NIK and, for a head, the head's fields; only those columns are
//! read, `dtsen::stream_roster`), which the sink keeps
//! outside memory (`import::job` stages it in the database), then for the
//! members themselves. A batch of families looks its roster up by No. KK
//! and gets its heads here ([`give_heads`]); nothing of the whole file is
//! held (docs/DECISIONS.md, "Streaming imports").

use chrono::NaiveDate;

use crate::domain::household::{HouseholdRecord, MemberRecord};
use crate::domain::region_lookup::RegionLookup;
pub use crate::import::dtsen::Head;
use crate::import::dtsen::{
    open_dtsen, resolve_desa, stream_dtsen, stream_roster, DtsenFamily, DtsenFileKind, DtsenMember,
    DtsenSink,
};
use crate::import::dtsen_codes::CodeBook;
use crate::import::file::ImportFile;
use crate::import::p3ke::{ImportSink, Parsed, RejectedRow};
use crate::import::sheet::FileError;

/// The files of one upload, by kind, in the order they came.
#[derive(Default)]
pub struct SnapshotFiles<'a> {
    pub code_books: Vec<&'a ImportFile>,
    pub families: Vec<&'a ImportFile>,
    pub members: Vec<&'a ImportFile>,
}

/// Sorts the files by their headers; a file that is none of the three is
/// refused with the reason, as is an upload with no family or member file.
pub fn sort_files(files: &[ImportFile]) -> Result<SnapshotFiles<'_>, FileError> {
    let mut out = SnapshotFiles::default();
    for file in files {
        match open_dtsen(file.input()?)?.kind {
            DtsenFileKind::CodeBook => out.code_books.push(file),
            DtsenFileKind::Families => out.families.push(file),
            DtsenFileKind::Members => out.members.push(file),
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
    for file in &files.code_books {
        let read = CodeBook::read(file.input()?)?;
        for r in read.rejected {
            out.rejected(r)?;
        }
        book = book.overridden_by(&read.book);
    }
    Ok(book)
}

/// A No. KK or NIK as a number, when it is one (16 digits fit in a `u64`):
/// the roster keeps a few bytes a person.
fn key(digits: &str) -> Option<u64> {
    (digits.len() == 16).then(|| digits.parse().ok()).flatten()
}

/// One person of the member file as its family's record needs it: the No.
/// KK and NIK (both 16 digits; others cannot match), the line, and the
/// head's fields when the person heads the family.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterEntry {
    pub kk: u64,
    pub nik: u64,
    pub line: usize,
    pub head: Option<Head>,
}

/// Gives a batch of families their head and their members' NIKs from the
/// roster entries of their No. KKs (in any order): the head is the last
/// one the file names; the NIKs are the heads' first, then the others, each
/// by number, which is the order the registry writer tries them in.
pub fn give_heads<'f>(
    families: impl IntoIterator<Item = &'f mut HouseholdRecord>,
    entries: Vec<RosterEntry>,
) {
    let mut by_kk: std::collections::HashMap<u64, Vec<RosterEntry>> = Default::default();
    for e in entries {
        by_kk.entry(e.kk).or_default().push(e);
    }
    for r in families {
        let Some(mut people) = r
            .kk_number
            .as_deref()
            .and_then(key)
            .and_then(|kk| by_kk.remove(&kk))
        else {
            continue;
        };
        people.sort_by_key(|e| (e.head.is_none(), e.nik));
        r.member_niks = people.iter().map(|e| format!("{:016}", e.nik)).collect();
        let Some(head) = people
            .into_iter()
            .filter(|e| e.head.is_some())
            .max_by_key(|e| e.line)
        else {
            continue;
        };
        r.head_nik = format!("{:016}", head.nik);
        let h = head.head.unwrap_or_default();
        r.head_nik_valid = h.nik_valid;
        r.head_sex = h.sex;
        r.head_birth_date = h.birth_date;
        r.head_marital_status = h.marital_status;
        r.head_occupation = h.occupation;
        r.head_employment_status = h.employment_status;
        r.head_education = h.education;
    }
}

/// The family as a household record in its desa; its head and members'
/// NIKs come from the roster ([`give_heads`]).
fn household(f: DtsenFamily, region_code: String) -> HouseholdRecord {
    HouseholdRecord {
        p3ke_family_id: None,
        dtks_id: None,
        kk_number: Some(f.kk_number),
        head_name: f.head_name,
        head_nik: String::new(),
        head_nik_valid: false,
        head_sex: None,
        head_birth_date: None,
        head_marital_status: None,
        head_occupation: None,
        head_employment_status: None,
        head_education: None,
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
        member_niks: Vec::new(),
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
                record: household(item.record, code),
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
    files: &[ImportFile],
    regions: &dyn RegionLookup,
    today: NaiveDate,
    out: &mut dyn ImportSink,
) -> Result<(), FileError> {
    let files = sort_files(files)?;
    let book = code_book(&files, out)?;
    for file in &files.members {
        // Each person to the sink's roster; rows and rejections are counted
        // when the members are read.
        stream_roster(file.input()?, &book, today, &mut |item| {
            let p = item.record;
            let (Some(kk), Some(nik)) = (key(&p.kk_number), key(&p.nik)) else {
                return Ok(());
            };
            out.roster(RosterEntry {
                kk,
                nik,
                line: item.line,
                head: p.head,
            })
        })?;
    }
    let mut records = ToRecords { out, regions };
    for file in files.families.iter().chain(&files.members) {
        stream_dtsen(file.input()?, &book, today, &mut records)?;
    }
    Ok(())
}
