//! The agreement annex (issue 15, item 5; docs/DECISIONS.md "Agreement
//! annex"): `GET /programs/{id}/annex` answers what the agreement attaches
//! (`service::program_annex`) as JSON, CSV (the targets), XLSX (the title
//! block, then the targets) or a PDF to print and sign (`api::pdf`), by
//! `Accept` through the reports' negotiation.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::pdf::{self, Face, Pages};
use super::reports::{
    download, negotiate_among, table_response, workbook, Cell, Format, Sheet, PDF, XLSX,
};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::Pool;
use crate::domain::program::{ProgramType, TargetStatus, VerificationResult};
use crate::domain::xlsform::result_label;
use crate::error::ApiError;
use crate::service::program_annex::{self as service, Annex, AnnexRow, Party};
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_program_annex);
}

/// What the annex can be answered in; JSON first, the default.
const ANNEX_FORMATS: &[Format] = &[Format::Json, Format::Csv, Format::Xlsx, Format::Pdf];

/// A party to the agreement and its signature so far.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"name": "PT Sawit Kukar Lestari", "signed_by": "csr-sawit", "signed_on": "2027-02-10"}))]
pub struct AnnexParty {
    /// The company's name, or the lead agency's code.
    pub name: String,
    /// The account that signed for the party; null while unsigned.
    pub signed_by: Option<String>,
    pub signed_on: Option<NaiveDate>,
}

/// One target family, as the caller may see it (masked NIK and No. KK for a
/// company; name, address, NIK and No. KK null when `pseudonymised`).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"number": 1, "target_id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
    "household_id": "0193a1b2-0000-7e4f-8a9b-0c1d2e3f4a5b", "pseudonymised": false, "head_name": "Siti Rahmawati",
    "address": "Jl. Mangkurawang RT 04", "desa_code": "64.02.06.2001", "desa": "Mangkurawang", "kecamatan": "Tenggarong",
    "kk_number": "640206********01", "nik": "640206********03", "status": "eligible", "planned_value": 25000000}))]
pub struct AnnexTarget {
    /// 1, 2, … ordered by kecamatan, desa and head's name.
    pub number: usize,
    pub target_id: String,
    pub household_id: String,
    /// Whether the family is behind the consent gate for the calling company.
    pub pseudonymised: bool,
    pub head_name: Option<String>,
    pub address: Option<String>,
    pub desa_code: String,
    pub desa: String,
    pub kecamatan: String,
    /// Masked for companies (first 6 and last 2 digits).
    pub kk_number: Option<String>,
    /// The head's NIK, masked for companies.
    pub nik: Option<String>,
    pub status: TargetStatus,
    /// Whole rupiah.
    pub planned_value: i64,
}

/// The agreement annex.
#[derive(Serialize, ToSchema)]
pub struct ProgramAnnex {
    pub program_id: String,
    pub title: String,
    pub cycle_year: i32,
    #[serde(rename = "type")]
    pub program_type: ProgramType,
    /// Null until a party signs.
    pub agreement_number: Option<String>,
    /// Whole rupiah.
    pub budget: i64,
    /// Null for a program without a company.
    pub company: Option<AnnexParty>,
    pub lead_agency: AnnexParty,
    /// The program's active targets.
    pub targets: Vec<AnnexTarget>,
    /// The sum of the targets' planned values, whole rupiah.
    pub total_planned_value: i64,
    pub generated_at: DateTime<Utc>,
}

impl From<Party> for AnnexParty {
    fn from(p: Party) -> AnnexParty {
        AnnexParty {
            name: p.name,
            signed_by: p.signed_by,
            signed_on: p.signed_on,
        }
    }
}

impl From<AnnexRow> for AnnexTarget {
    fn from(r: AnnexRow) -> AnnexTarget {
        AnnexTarget {
            number: r.number,
            target_id: r.target_id,
            household_id: r.household_id,
            pseudonymised: r.pseudonymised,
            head_name: r.head_name,
            address: r.address,
            desa_code: r.desa_code,
            desa: r.desa,
            kecamatan: r.kecamatan,
            kk_number: r.kk_number,
            nik: r.nik,
            status: r.status,
            planned_value: r.planned_value,
        }
    }
}

/// The agreement annex of a program: the agreement number, the parties and
/// who signed for each when, and the target families with their planned
/// values.
///
/// Only for a program with an agreement: `verified` (signatures may still
/// be partial: the annex shows what is signed), `agreed`, `running` or
/// `completed` (else 409 `no_agreement`). The targets are the active ones,
/// ordered by kecamatan, desa and head's name, each with head's name,
/// address, desa, kecamatan, No. KK, the head's NIK, the target's status
/// and its planned value, and the total. As the households API shows them:
/// whole to government roles, NIK and No. KK masked for a company, and name,
/// address, NIK and No. KK withheld for a family behind the consent gate
/// (`pseudonymised`).
///
/// By `Accept`: JSON (default), CSV (the targets, one row each),
/// XLSX (one sheet: the title block, then the targets and the total) or
/// `application/pdf` (A4 landscape: title block, the targets over as many
/// pages as needed with the header repeated, the total, and a block for
/// each party to sign); anything else is a 406. CSV, XLSX and PDF are
/// attachments named `lampiran-<agreement number>`.
///
/// Whoever reads the program's targets, in the same reach: a company only
/// its own programs, an opd those it leads (404 otherwise). The annex names
/// families, so each download is audited (`download_program_annex`), and a
/// company's read of each family it sees by name too.
#[utoipa::path(tag = "programs",
    params(("id" = String, Path, description = "The program"),
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `text/csv`, the XLSX media type or `application/pdf`")),
    responses(
        (status = 200, description = "The annex", content(
            (ProgramAnnex = "application/json"),
            (String = "text/csv", example = "number,target_id,household_id,pseudonymised,head_name,address,desa_code,desa,kecamatan,kk_number,nik,status,planned_value\n1,0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b,0193a1b2-0000-7e4f-8a9b-0c1d2e3f4a5b,false,Siti Rahmawati,Jl. Mangkurawang RT 04,64.02.06.2001,Mangkurawang,Tenggarong,640206********01,640206********03,eligible,25000000\n"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (inline(super::exemption_letters::PdfFile) = "application/pdf")),
            headers(("Content-Disposition" = String, description = "CSV, XLSX and PDF: `attachment; filename=\"lampiran-….pdf\"`"))),
        (status = 406, description = "`not_acceptable`: the Accept header names none of the four media types", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_agreement`: the program is not verified, agreed, running or completed (`program_status` says what it is)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/programs/{id}/annex")]
async fn get_program_annex(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_PROGRAM_ANNEX)?;
    let format = negotiate_among(&req, ANNEX_FORMATS)?;
    let label = match format {
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
        Format::Pdf => "pdf",
    };
    let annex = service::annex(&pool, Caller::from(&user), id.into_inner(), label).await?;
    let name = file_name(&annex);
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(json(annex))),
        Format::Csv => table_response(format, &name, TARGET_COLUMNS, &target_rows(&annex), None),
        Format::Xlsx => Ok(download(XLSX, &format!("{name}.xlsx"), sheet(&annex)?)),
        Format::Pdf => Ok(download(PDF, &format!("{name}.pdf"), document(&annex))),
    }
}

fn json(annex: Annex) -> ProgramAnnex {
    let p = annex.program;
    ProgramAnnex {
        program_id: p.id,
        title: p.title,
        cycle_year: p.cycle_year,
        program_type: p.program_type,
        agreement_number: p.agreement_number,
        budget: p.budget,
        company: annex.company.map(AnnexParty::from),
        lead_agency: annex.agency.into(),
        targets: annex.rows.into_iter().map(AnnexTarget::from).collect(),
        total_planned_value: annex.total_planned,
        generated_at: Utc::now(),
    }
}

/// `lampiran-<agreement number>` (the program id before one is given), in
/// characters every file system takes: `PKS/007/2027` becomes `PKS-007-2027`.
fn file_name(annex: &Annex) -> String {
    let p = &annex.program;
    let key = p.agreement_number.as_deref().unwrap_or(&p.id);
    let safe: String = key
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("lampiran-{safe}")
}

/// The columns of the CSV and of the XLSX's table, named as the JSON's fields.
const TARGET_COLUMNS: &[&str] = &[
    "number",
    "target_id",
    "household_id",
    "pseudonymised",
    "head_name",
    "address",
    "desa_code",
    "desa",
    "kecamatan",
    "kk_number",
    "nik",
    "status",
    "planned_value",
];

fn text(v: &Option<String>) -> Cell {
    v.clone().map(Cell::Text).unwrap_or(Cell::Empty)
}

fn target_rows(annex: &Annex) -> Vec<Vec<Cell>> {
    annex
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.number as i64),
                Cell::Text(r.target_id.clone()),
                Cell::Text(r.household_id.clone()),
                Cell::Text(r.pseudonymised.to_string()),
                text(&r.head_name),
                text(&r.address),
                Cell::Text(r.desa_code.clone()),
                Cell::Text(r.desa.clone()),
                Cell::Text(r.kecamatan.clone()),
                text(&r.kk_number),
                text(&r.nik),
                Cell::Text(r.status.as_str().to_string()),
                Cell::Int(r.planned_value),
            ]
        })
        .collect()
}

/// One sheet: the title block (a label and a value a row), a blank row,
/// the table's header, the targets, and the total.
fn sheet(annex: &Annex) -> Result<Vec<u8>, ApiError> {
    let p = &annex.program;
    let pair = |label: &str, value: Cell| vec![Cell::Text(label.to_string()), value];
    let date = |d: Option<NaiveDate>| d.map(|d| Cell::Text(d.to_string())).unwrap_or(Cell::Empty);
    let mut rows = vec![
        pair("title", Cell::Text(p.title.clone())),
        pair("cycle_year", Cell::Int(i64::from(p.cycle_year))),
        pair("type", Cell::Text(p.program_type.as_str().to_string())),
        pair("agreement_number", text(&p.agreement_number)),
    ];
    if let Some(company) = &annex.company {
        rows.push(pair("company", Cell::Text(company.name.clone())));
        rows.push(pair("company_signed_by", text(&company.signed_by)));
        rows.push(pair("company_signed_on", date(company.signed_on)));
    }
    rows.push(pair("lead_agency", Cell::Text(annex.agency.name.clone())));
    rows.push(pair("lead_agency_signed_by", text(&annex.agency.signed_by)));
    rows.push(pair("lead_agency_signed_on", date(annex.agency.signed_on)));
    rows.push(pair("budget", Cell::Int(p.budget)));
    rows.push(Vec::new());
    rows.push(
        TARGET_COLUMNS
            .iter()
            .map(|c| Cell::Text(c.to_string()))
            .collect(),
    );
    rows.extend(target_rows(annex));
    let mut total: Vec<Cell> = (0..TARGET_COLUMNS.len()).map(|_| Cell::Empty).collect();
    total[0] = Cell::Text("total_planned_value".into());
    total[TARGET_COLUMNS.len() - 1] = Cell::Int(annex.total_planned);
    rows.push(total);
    let headers = ["program_id", p.id.as_str()];
    let only: Sheet<'_> = ("lampiran", &headers, &rows);
    workbook(&[only])
}

// ----------------------------------------------------------------- the PDF

const MARGIN: f32 = 36.0;
const SIZE: f32 = 8.0;
const LEADING: f32 = 10.0;
/// A cell shows at most this many lines; the rest ends in `…`.
const MAX_LINES: usize = 4;
/// The foot of the page holds the page number.
const BOTTOM: f32 = 40.0;

/// The table's columns: heading, width in points, right-aligned.
const COLUMNS: [(&str, f32, bool); 9] = [
    ("No.", 24.0, true),
    ("Nama kepala keluarga", 120.0, false),
    ("Alamat", 150.0, false),
    ("Desa/kelurahan", 85.0, false),
    ("Kecamatan", 80.0, false),
    ("No. KK", 88.0, false),
    ("NIK kepala keluarga", 88.0, false),
    ("Status", 60.0, false),
    ("Nilai rencana (Rp)", 74.89, true),
];

/// `25000000` as `25.000.000`, the way rupiah are written.
fn rupiah(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if value < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `2027-02-10` as `10-02-2027`.
fn tanggal(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// The target's status as the agency reads it.
fn status_label(s: TargetStatus) -> &'static str {
    match s {
        TargetStatus::Proposed => "Belum diverifikasi",
        TargetStatus::Served => "Sudah disalurkan",
        _ => VerificationResult::ALL
            .into_iter()
            .find(|r| TargetStatus::from(*r) == s)
            .map(result_label)
            .unwrap_or(""),
    }
}

fn signed(p: &Party) -> String {
    match (&p.signed_by, p.signed_on) {
        (Some(by), Some(on)) => format!("ditandatangani oleh {by} pada {}", tanggal(on)),
        (Some(by), None) => format!("ditandatangani oleh {by}"),
        _ => "belum ditandatangani".to_string(),
    }
}

/// The cells of one target in the PDF, each wrapped to its column.
fn pdf_cells(r: &AnnexRow) -> Vec<Vec<String>> {
    let hidden = || "(disamarkan)".to_string();
    let values = [
        r.number.to_string(),
        if r.pseudonymised {
            let reference: String = r.household_id.chars().take(8).collect();
            format!("(disamarkan) {reference}")
        } else {
            r.head_name.clone().unwrap_or_default()
        },
        if r.pseudonymised {
            hidden()
        } else {
            r.address.clone().unwrap_or_default()
        },
        r.desa.clone(),
        r.kecamatan.clone(),
        r.kk_number.clone().unwrap_or_default(),
        r.nik.clone().unwrap_or_default(),
        status_label(r.status).to_string(),
        rupiah(r.planned_value),
    ];
    values
        .iter()
        .zip(COLUMNS)
        .map(|(v, (_, w, _))| {
            let mut lines = pdf::wrap(v, Face::Regular, SIZE, w - 6.0);
            if lines.len() > MAX_LINES {
                lines.truncate(MAX_LINES);
                if let Some(last) = lines.last_mut() {
                    last.push('…');
                }
            }
            lines
        })
        .collect()
}

/// Writes one table row (its cells' lines) with its top at `top`; returns
/// its bottom.
fn table_row(pages: &mut Pages, top: f32, cells: &[Vec<String>], face: Face) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let bottom = top - lines as f32 * LEADING - 4.0;
    let mut x = MARGIN;
    for (cell, (_, w, right)) in cells.iter().zip(COLUMNS) {
        for (i, line) in cell.iter().enumerate() {
            let y = top - 2.0 - SIZE - i as f32 * LEADING;
            if right {
                pages.text_right(x + w - 3.0, y, face, SIZE, line);
            } else {
                pages.text(x + 3.0, y, face, SIZE, line);
            }
        }
        x += w;
    }
    let right = pages.width() - MARGIN;
    pages.line((MARGIN, bottom), (right, bottom), 0.3);
    bottom
}

/// The table's header row on a grey band; returns its bottom.
fn table_header(pages: &mut Pages, top: f32) -> f32 {
    let cells: Vec<Vec<String>> = COLUMNS
        .iter()
        .map(|(h, w, _)| pdf::wrap(h, Face::Bold, SIZE, w - 6.0))
        .collect();
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
    let height = lines as f32 * LEADING + 4.0;
    let w = pages.width() - 2.0 * MARGIN;
    pages.band(MARGIN, top - height, w, height, 0.88);
    table_row(pages, top, &cells, Face::Bold)
}

/// The annex as a printable PDF.
fn document(annex: &Annex) -> Vec<u8> {
    let p = &annex.program;
    let number = p
        .agreement_number
        .as_deref()
        .unwrap_or("(belum diberi nomor)");
    let mut pages = Pages::new(pdf::A4_LANDSCAPE);
    let (w, h) = (pages.width(), pages.height());
    let right = w - MARGIN;

    // Title block.
    let mut y = h - MARGIN - 14.0;
    pages.text(MARGIN, y, Face::Bold, 14.0, "LAMPIRAN PERJANJIAN");
    y -= 14.0;
    pages.text(
        MARGIN,
        y,
        Face::Regular,
        10.0,
        "Daftar keluarga sasaran program dan nilai rencananya",
    );
    y -= 20.0;
    let mut block: Vec<(&str, String)> = vec![
        ("Nomor perjanjian", number.to_string()),
        ("Program", p.title.clone()),
        (
            "Tahun / jenis program",
            format!("{} / {}", p.cycle_year, p.program_type.as_str()),
        ),
    ];
    if let Some(company) = &annex.company {
        block.push((
            "Perusahaan",
            format!("{}, {}", company.name, signed(company)),
        ));
    }
    block.push((
        "Perangkat daerah pemimpin",
        format!("{}, {}", annex.agency.name, signed(&annex.agency)),
    ));
    block.push(("Anggaran", format!("Rp {}", rupiah(p.budget))));
    block.push((
        "Jumlah sasaran / total nilai rencana",
        format!(
            "{} keluarga / Rp {}",
            annex.rows.len(),
            rupiah(annex.total_planned)
        ),
    ));
    let value_x = MARGIN + 170.0;
    for (label, value) in &block {
        pages.text(MARGIN, y, Face::Bold, 9.0, label);
        for line in pdf::wrap(value, Face::Regular, 9.0, right - value_x) {
            pages.text(value_x, y, Face::Regular, 9.0, &line);
            y -= 12.0;
        }
    }
    y -= 8.0;

    // The targets, the header repeated on every page.
    let continued = format!("Lampiran perjanjian {number}: {} (lanjutan)", p.title);
    let mut top = table_header(&mut pages, y);
    for row in &annex.rows {
        let cells = pdf_cells(row);
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
        if top - lines as f32 * LEADING - 4.0 < BOTTOM {
            pages.new_page();
            let y = h - MARGIN - 10.0;
            pages.text(MARGIN, y, Face::Bold, 10.0, &continued);
            top = table_header(&mut pages, y - 10.0);
        }
        top = table_row(&mut pages, top, &cells, Face::Regular);
    }
    if top - 16.0 < BOTTOM {
        pages.new_page();
        top = h - MARGIN;
    }
    let total_y = top - 2.0 - SIZE - 2.0;
    pages.text_right(
        right - 80.0,
        total_y,
        Face::Bold,
        SIZE + 1.0,
        "Total nilai rencana (Rp)",
    );
    pages.text_right(
        right - 3.0,
        total_y,
        Face::Bold,
        SIZE + 1.0,
        &rupiah(annex.total_planned),
    );
    let mut y = total_y - 24.0;

    // Signatures: one column per party, the lead agency's alone when the
    // program has no company.
    let block_height = 150.0;
    if y - block_height < BOTTOM {
        pages.new_page();
        y = h - MARGIN - 10.0;
    }
    pages.text(
        MARGIN,
        y,
        Face::Regular,
        9.0,
        &format!(
            "Lampiran ini merupakan bagian yang tidak terpisahkan dari perjanjian nomor {number}."
        ),
    );
    y -= 24.0;
    let mut parties: Vec<(&str, &Party)> = Vec::new();
    if let Some(company) = &annex.company {
        parties.push(("Pihak perusahaan", company));
    }
    parties.push(("Perangkat daerah pemimpin", &annex.agency));
    let column = (w - 2.0 * MARGIN) / 2.0;
    for (i, (role, party)) in parties.iter().enumerate() {
        // A lone party signs in the right-hand column, where a signature
        // is looked for.
        let slot = if parties.len() == 1 { 1 } else { i };
        let x = MARGIN + slot as f32 * column + 20.0;
        let line_end = x + column - 60.0;
        pages.text(x, y, Face::Regular, 9.0, role);
        pages.text(x, y - 12.0, Face::Bold, 9.0, &party.name);
        let sign_line = y - 80.0;
        pages.line((x, sign_line), (line_end, sign_line), 0.5);
        pages.text(
            x,
            sign_line - 12.0,
            Face::Regular,
            9.0,
            &format!(
                "Nama: {}",
                party
                    .signed_by
                    .as_deref()
                    .unwrap_or("..............................")
            ),
        );
        pages.text(
            x,
            sign_line - 24.0,
            Face::Regular,
            9.0,
            &format!(
                "Tanggal: {}",
                party
                    .signed_on
                    .map(tanggal)
                    .unwrap_or_else(|| "....................".to_string())
            ),
        );
    }
    let title = format!("Lampiran perjanjian {number}");
    pages.finish(&title, |i, n| {
        format!("Lampiran perjanjian {number}, halaman {i} dari {n}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_are_grouped_by_thousands() {
        assert_eq!(rupiah(0), "0");
        assert_eq!(rupiah(950), "950");
        assert_eq!(rupiah(25_000_000), "25.000.000");
        assert_eq!(rupiah(1_234_567), "1.234.567");
    }

    fn annex(targets: usize, company: bool) -> Annex {
        let t = chrono::NaiveDate::from_ymd_opt(2027, 2, 10).unwrap();
        let program = crate::db::programs::ProgramRow {
            id: "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b".into(),
            cycle_year: 2027,
            company_id: Some("00000000-0000-4000-8000-000000000001".into()),
            funding: crate::domain::program::Funding::Csr,
            opd_code: Some("DINSOS".into()),
            title: "Bedah rumah".into(),
            description: None,
            program_type: ProgramType::Housing,
            strategy: crate::domain::program::Strategy::ReduceBurden,
            budget: 500_000_000,
            target_regions: "[]".into(),
            status: crate::domain::program::ProgramStatus::Agreed,
            status_note: None,
            agreement_number: Some("PKS/011/2027".into()),
            signed_by_company_on: Some(t),
            signed_by_company: Some("csr-sawit".into()),
            signed_by_opd_on: None,
            signed_by_opd: None,
            version: 1,
            created_at: t.and_hms_opt(0, 0, 0).unwrap(),
            updated_at: t.and_hms_opt(0, 0, 0).unwrap(),
        };
        let rows = (1..=targets)
            .map(|n| AnnexRow {
                number: n,
                target_id: format!("t{n}"),
                household_id: format!("h{n}"),
                head_name: Some(format!("Kepala Keluarga Nomor {n} 王")),
                address: Some(
                    "Jl. Poros Tenggarong Samarinda RT 004 Gang Mawar nomor 17 (belakang masjid)"
                        .into(),
                ),
                desa_code: "64.02.06.2001".into(),
                desa: "Mangkurawang".into(),
                kecamatan: "Tenggarong".into(),
                kk_number: Some("6402060101260001".into()),
                nik: Some("6402061203850003".into()),
                pseudonymised: n % 7 == 0,
                status: TargetStatus::Eligible,
                planned_value: 25_000_000,
            })
            .collect();
        Annex {
            program,
            company: company.then(|| Party {
                name: "PT Sawit Kukar Lestari".into(),
                signed_by: Some("csr-sawit".into()),
                signed_on: Some(t),
            }),
            agency: Party {
                name: "DINSOS".into(),
                signed_by: None,
                signed_on: None,
            },
            rows,
            total_planned: 25_000_000 * targets as i64,
        }
    }

    #[test]
    fn a_long_annex_runs_over_pages_with_the_header_repeated() {
        let pdf = document(&annex(80, true));
        let text = String::from_utf8_lossy(&pdf);
        let headers = text.matches("(Nama kepala keluarga)").count();
        assert!(headers >= 3, "80 targets on several pages: {headers}");
        assert!(
            text.contains(&format!("/Count {headers}")),
            "one header a page"
        );
        assert!(
            text.contains("(Lampiran perjanjian PKS/011/2027 ") || text.contains("PKS/011/2027")
        );
        assert!(text.contains("(2.000.000.000)"), "the total");
        assert!(
            text.contains("(Pihak perusahaan)") && text.contains("(Perangkat daerah pemimpin)")
        );
    }

    #[test]
    fn without_a_company_only_the_lead_agency_signs() {
        let pdf = document(&annex(2, false));
        let text = String::from_utf8_lossy(&pdf);
        assert!(!text.contains("(Pihak perusahaan)"));
        assert!(text.contains("(Perangkat daerah pemimpin)"));
    }

    #[test]
    fn the_file_is_named_by_the_agreement_number() {
        assert_eq!(file_name(&annex(1, true)), "lampiran-PKS-011-2027");
    }

    #[test]
    fn every_status_has_a_label() {
        for s in TargetStatus::ALL {
            assert!(!status_label(s).is_empty(), "{s:?}");
        }
    }
}
