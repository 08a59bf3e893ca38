//! Oversight reports of a cycle: the compliance of companies with their TJSP
//! duty and the coverage of poor families by programs, each as JSON, CSV or
//! XLSX by the `Accept` header (the way officials open them).
//!
//! Reports are not paged: compliance has one row per active company and
//! coverage one per kecamatan or desa (at most a few hundred rows).

use actix_web::http::header;
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::regency_today;
use crate::api::access;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::replica::Reads;
use crate::db::reports as store;
use crate::db::{cycles, exposure};
use crate::domain::compliance::{ComplianceState, ExemptionStatus, Sector};
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::service::coverage::{self as service, Budget, BudgetGroup};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(compliance)
        .service(coverage)
        .service(exposure_report);
}

pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub const PDF: &str = "application/pdf";

/// The representations a report (or another download) can be answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    /// A printable document (the agreement annex, `api::program_annex`).
    Pdf,
}

impl Format {
    /// The media type `Accept` names it by.
    pub const fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => CSV,
            Format::Xlsx => XLSX,
            Format::Pdf => PDF,
        }
    }
}

/// What the reports offer: JSON, CSV and XLSX.
pub const TABLES: &[Format] = &[Format::Json, Format::Csv, Format::Xlsx];

/// Picks a report's representation from `Accept` ([`negotiate_among`] the
/// [`TABLES`]).
pub fn negotiate(req: &HttpRequest) -> Result<Format, ApiError> {
    negotiate_among(req, TABLES)
}

/// Picks the representation from `Accept`: the first listed media type of
/// `offered` (its first is the default: `*/*` and a missing header mean it;
/// `application/*` and `text/*` the first offered of their kind); a header
/// naming none of them is a 406.
pub fn negotiate_among(req: &HttpRequest, offered: &[Format]) -> Result<Format, ApiError> {
    // Caches must know the answer depends on `Accept` (`middleware::vary_accept`).
    req.extensions_mut()
        .insert(super::middleware::VariesByAccept);
    let default = offered.first().copied().unwrap_or(Format::Json);
    let Some(value) = req.headers().get(header::ACCEPT) else {
        return Ok(default);
    };
    let value = value.to_str().unwrap_or("");
    if value.trim().is_empty() {
        return Ok(default);
    }
    let mut ranked: Vec<(f32, usize, &str)> = value
        .split(',')
        .enumerate()
        .map(|(i, part)| {
            let mut pieces = part.split(';');
            let media = pieces.next().unwrap_or("").trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q, i, media)
        })
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in ranked {
        let media = media.to_ascii_lowercase();
        let found = match media.as_str() {
            "*/*" => Some(default),
            wildcard if wildcard.ends_with("/*") => {
                let kind = &wildcard[..wildcard.len() - 1];
                offered
                    .iter()
                    .copied()
                    .find(|f| f.media_type().starts_with(kind))
            }
            exact => offered.iter().copied().find(|f| f.media_type() == exact),
        };
        if let Some(format) = found {
            return Ok(format);
        }
    }
    let names: Vec<&str> = offered.iter().map(|f| f.media_type()).collect();
    Err(ApiError::NotAcceptable {
        detail: format!(
            "this is available as {}; Accept was `{value}`",
            names.join(", ")
        ),
    })
}

/// A named sheet: its title, column headers and rows.
pub(crate) type Sheet<'a> = (&'a str, &'a [&'a str], &'a [Vec<Cell>]);

/// A table as CSV or XLSX, for download.
pub(crate) fn table_response(
    format: Format,
    name: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
    extra_sheet: Option<Sheet<'_>>,
) -> Result<HttpResponse, ApiError> {
    match format {
        Format::Json | Format::Pdf => Err(ApiError::internal("not a table format")),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let fail = |e: csv::Error| ApiError::internal(format!("csv: {e}"));
            w.write_record(headers).map_err(fail)?;
            for r in rows {
                w.write_record(r.iter().map(Cell::text)).map_err(fail)?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
            Ok(download(
                "text/csv; charset=utf-8",
                &format!("{name}.csv"),
                bytes,
            ))
        }
        Format::Xlsx => {
            let mut sheets: Vec<Sheet<'_>> = vec![(name, headers, rows)];
            sheets.extend(extra_sheet);
            Ok(download(XLSX, &format!("{name}.xlsx"), workbook(&sheets)?))
        }
    }
}

/// A file to download, as `name`.
pub(crate) fn download(content_type: &str, name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// An XLSX writer's error as ours.
pub(crate) fn xlsx_failed(e: rust_xlsxwriter::XlsxError) -> ApiError {
    ApiError::internal(format!("xlsx: {e}"))
}

/// Adds a sheet named `title` (cut to Excel's 31 characters) holding the
/// table: its headers in bold, then the rows.
pub(crate) fn add_sheet<'b>(
    book: &'b mut rust_xlsxwriter::Workbook,
    (title, headers, rows): &Sheet<'_>,
) -> Result<&'b mut rust_xlsxwriter::Worksheet, ApiError> {
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    let title: String = title.chars().take(31).collect();
    sheet.set_name(title).map_err(xlsx_failed)?;
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx_failed)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
                Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(|_| ()),
                Cell::Empty => Ok(()),
            }
            .map_err(xlsx_failed)?;
        }
    }
    sheet.autofit();
    Ok(sheet)
}

/// Sheets as one XLSX workbook, each with its headers in bold.
pub(crate) fn workbook(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, ApiError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for sheet in sheets {
        add_sheet(&mut book, sheet)?;
    }
    book.save_to_buffer().map_err(xlsx_failed)
}

/// One cell of a downloaded table.
pub(crate) enum Cell {
    Text(String),
    Int(i64),
    Empty,
}

/// A text cell as a CSV cell: one that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab or carriage return first) gets a leading `'`, so a
/// company named `=HYPERLINK(…)` stays text when Bappeda opens the export.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => csv_text(s),
            Cell::Int(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

// ---------------------------------------------------------------- compliance

/// One company's standing in the cycle.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"company_id": "00000000-0000-4000-8000-000000000001", "company_name": "PT Sawit Kukar Lestari",
    "sector": "plantation", "agreed_programs": 1, "exemption_status": null, "state": "compliant", "obliged": true}))]
pub struct ComplianceRow {
    pub company_id: String,
    pub company_name: String,
    pub sector: Sector,
    /// Programs of the cycle that are agreed, running or completed.
    pub agreed_programs: i64,
    /// The company's exemption letter for the cycle: `accepted` if one was
    /// accepted, else the status of the latest one filed; `null` without one.
    pub exemption_status: Option<ExemptionStatus>,
    /// `compliant` (≥ 1 agreed program), `exempt` (accepted letter),
    /// `pending` (until the agreement deadline), `non_compliant` (after it).
    pub state: ComplianceState,
    /// Whether the TJSP duty applies (plantation, mining); rows of sector
    /// `other` are informational.
    pub obliged: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceReport {
    pub cycle_year: i32,
    /// After this day companies without an agreed program or accepted
    /// letter are `non_compliant`.
    pub agreement_deadline: NaiveDate,
    /// The regency day (WITA) the states were computed for.
    pub as_of: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub items: Vec<ComplianceRow>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// Only companies of this sector.
    pub sector: Option<Sector>,
    /// Only companies in this compliance state.
    pub state: Option<ComplianceState>,
}

/// Compliance of every active company with its TJSP duty in a cycle.
///
/// Every active plantation and mining company must have at least one agreed
/// (or running, or completed) program or an accepted exemption letter by the
/// agreement deadline; companies of sector `other` get an informational row
/// (`obliged: false`). Answers JSON, CSV (`Accept: text/csv`) or XLSX
/// (`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`);
/// any other `Accept` is a 406.
///
/// A company sees only its own row; the other roles every row.
#[utoipa::path(tag = "reports", 
    params(("year" = i32, Path, description = "Planning year"), ComplianceQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `text/csv` or the XLSX media type")),
    responses(
        (status = 200, description = "The report", content(
            (ComplianceReport = "application/json"),
            (String = "text/csv", example = "company_id,company_name,sector,obliged,agreed_programs,exemption_status,state\n00000000-0000-4000-8000-000000000001,PT Sawit Kukar Lestari,plantation,true,1,,compliant\n"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 406, description = "`not_acceptable`: the Accept header names none of the three media types", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/cycles/{year}/compliance")]
async fn compliance(
    req: HttpRequest,
    user: AuthUser,
    year: web::Path<i32>,
    q: web::Query<ComplianceQuery>,
    reads: web::Data<Reads>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::COMPLIANCE)?;
    let format = negotiate(&req)?;
    let year = year.into_inner();
    let q = q.into_inner();
    let own = match user.role() {
        Role::Company => Some(
            user.company_id()
                .ok_or_else(ApiError::forbidden)?
                .to_string(),
        ),
        _ => None,
    };
    let today = regency_today();
    let caller = &user.claims.sub;
    let (cycle, standings) = reads
        .read(caller, false, move |c| -> Result<_, ApiError> {
            let cycle = cycles::get(c, year)?;
            Ok((cycle, store::standings(c, year, own.as_deref())?))
        })
        .await?;
    let deadline = cycle.agreement_deadline;
    let mut items = Vec::new();
    for s in standings {
        let sector: Sector = s.sector;
        let exemption: Option<ExemptionStatus> = s.exemption_status;
        let a = s.assess(today, deadline);
        if q.sector.is_some_and(|f| f != sector) || q.state.is_some_and(|f| f != a.state) {
            continue;
        }
        items.push(ComplianceRow {
            company_id: s.company_id,
            company_name: s.company_name,
            sector,
            agreed_programs: s.agreed_programs,
            exemption_status: exemption,
            state: a.state,
            obliged: a.obliged,
        });
    }
    if format == Format::Json {
        return Ok(HttpResponse::Ok().json(ComplianceReport {
            cycle_year: year,
            agreement_deadline: deadline,
            as_of: today,
            generated_at: Utc::now(),
            items,
        }));
    }
    let headers = [
        "company_id",
        "company_name",
        "sector",
        "obliged",
        "agreed_programs",
        "exemption_status",
        "state",
    ];
    let rows: Vec<Vec<Cell>> = items
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.company_id),
                Cell::Text(r.company_name),
                Cell::Text(r.sector.as_str().to_string()),
                Cell::Text(r.obliged.to_string()),
                Cell::Int(r.agreed_programs),
                r.exemption_status
                    .map(|e| Cell::Text(e.as_str().to_string()))
                    .unwrap_or(Cell::Empty),
                Cell::Text(r.state.as_str().to_string()),
            ]
        })
        .collect();
    table_response(format, &format!("compliance-{year}"), &headers, &rows, None)
}

// ------------------------------------------------------------------ coverage

/// The households of one region and how far the cycle's programs reach them.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"region_code": "64.02.06", "region_name": "Tenggarong", "region_level": "kecamatan",
    "households": 5120, "extreme_poor": 840, "targeted": 120, "verified_eligible": 96, "served": 0,
    "extreme_poor_unreached": 760, "budget": 1200000000,
    "unreached_link": "/api/v1/households?region=64.02.06&extreme=true&status=active&not_targeted_in=2027"}))]
pub struct CoverageRow {
    pub region_code: String,
    pub region_name: String,
    /// `kecamatan`, `desa` or `kelurahan`.
    pub region_level: crate::domain::region_lookup::RegionLevel,
    /// Active households.
    pub households: i64,
    /// Active households in desil 1.
    pub extreme_poor: i64,
    /// Distinct households that are active targets of the cycle's programs
    /// (programs not rejected, withdrawn or cancelled), whatever their status.
    pub targeted: i64,
    /// Targets verified eligible or already served.
    pub verified_eligible: i64,
    /// Targets served (realisation recorded).
    pub served: i64,
    /// Active extreme-poor households that no program of the cycle targets.
    pub extreme_poor_unreached: i64,
    /// Whole rupiah of the programs counting in this region (see the
    /// operation); a program spanning several regions counts in each, so
    /// this column does not add up across rows.
    pub budget: i64,
    /// The household list of this region's active extreme-poor families that
    /// no program of the cycle targets (`extreme_poor_unreached` of them).
    pub unreached_link: String,
}

/// Budget of the programs in one group (sector, type or strategy).
#[derive(Serialize, ToSchema)]
pub struct BudgetLine {
    /// The sector, program type or strategy.
    pub key: String,
    pub programs: i64,
    /// Whole rupiah.
    pub budget: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BudgetTotals {
    pub programs: i64,
    /// Whole rupiah.
    pub total: i64,
    pub by_sector: Vec<BudgetLine>,
    pub by_type: Vec<BudgetLine>,
    pub by_strategy: Vec<BudgetLine>,
}

/// The region a coverage report was asked for.
#[derive(Serialize, ToSchema)]
pub struct ReportRegion {
    pub code: String,
    pub name: String,
    pub level: crate::domain::region_lookup::RegionLevel,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageReport {
    pub cycle_year: i32,
    /// The region asked for; `null` for the whole kabupaten.
    pub region: Option<ReportRegion>,
    pub generated_at: DateTime<Utc>,
    pub items: Vec<CoverageRow>,
    /// The sums of the rows' household figures.
    pub totals: CoverageTotals,
    /// Programs of the cycle (proposed or later, not rejected, withdrawn or
    /// cancelled) counting in the region asked for.
    pub budget: BudgetTotals,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageTotals {
    pub households: i64,
    pub extreme_poor: i64,
    pub targeted: i64,
    pub verified_eligible: i64,
    pub served: i64,
    pub extreme_poor_unreached: i64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// Without it: one row per kecamatan. A kecamatan code: one row per desa
    /// of it. A desa code: that desa. Dotted or not; 2019 codes accepted.
    #[param(pattern = "^(64\\.02(\\.[0-9]{2}(\\.[0-9]{4})?)?|6402([0-9]{2}([0-9]{4})?)?)$")]
    pub region: Option<String>,
}

impl From<BudgetGroup> for BudgetLine {
    fn from(g: BudgetGroup) -> BudgetLine {
        BudgetLine {
            key: g.key,
            programs: g.programs,
            budget: g.budget,
        }
    }
}

impl From<Budget> for BudgetTotals {
    fn from(b: Budget) -> BudgetTotals {
        let lines = |groups: Vec<BudgetGroup>| groups.into_iter().map(BudgetLine::from).collect();
        BudgetTotals {
            programs: b.programs,
            total: b.total,
            by_sector: lines(b.by_sector),
            by_type: lines(b.by_type),
            by_strategy: lines(b.by_strategy),
        }
    }
}

/// Coverage of families by the cycle's programs, per region.
///
/// Without `region` one row per kecamatan; with a kecamatan code one row
/// per desa of it; with a desa code that desa. Figures are counted by the
/// database. Budget: a program counts in a region when one of its target
/// regions (or, when it names none, its company's working area) is the
/// region, lies in it or contains it; drafts and rejected, withdrawn or
/// cancelled programs do not count. Answers JSON, CSV (`Accept: text/csv`,
/// the rows) or XLSX (sheets `coverage` and `budget`); any other `Accept`
/// is a 406.
#[utoipa::path(tag = "reports", 
    params(("year" = i32, Path, description = "Planning year"), CoverageQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `text/csv` or the XLSX media type")),
    responses(
        (status = 200, description = "The report", content(
            (CoverageReport = "application/json"),
            (String = "text/csv", example = "region_code,region_name,region_level,households,extreme_poor,targeted,verified_eligible,served,extreme_poor_unreached,budget,unreached_link\n64.02.06,Tenggarong,kecamatan,5120,840,120,96,0,760,1200000000,/api/v1/households?region=64.02.06&extreme=true&status=active&not_targeted_in=2027\n"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 406, description = "`not_acceptable`: the Accept header names none of the three media types", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/cycles/{year}/coverage")]
async fn coverage(
    req: HttpRequest,
    user: AuthUser,
    year: web::Path<i32>,
    q: web::Query<CoverageQuery>,
    reads: web::Data<Reads>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::COVERAGE)?;
    let format = negotiate(&req)?;
    let year = year.into_inner();
    let report = service::report(&reads, &user.claims.sub, year, q.into_inner().region).await?;
    let items: Vec<CoverageRow> = report
        .rows
        .into_iter()
        .map(|row| CoverageRow {
            unreached_link: format!(
                "/api/v1/households?region={}&extreme=true&status=active&not_targeted_in={year}",
                row.region.code
            ),
            region_code: row.region.code,
            region_name: row.region.name,
            region_level: row.region.level,
            households: row.counts.households,
            extreme_poor: row.counts.extreme_poor,
            targeted: row.counts.targeted,
            verified_eligible: row.counts.verified_eligible,
            served: row.counts.served,
            extreme_poor_unreached: row.counts.extreme_poor_unreached,
            budget: row.budget,
        })
        .collect();
    let (region, totals, budget) = (report.region, report.totals, report.budget.into());
    if format == Format::Json {
        return Ok(HttpResponse::Ok().json(CoverageReport {
            cycle_year: year,
            region: region.map(|r| ReportRegion {
                code: r.code,
                name: r.name,
                level: r.level,
            }),
            generated_at: Utc::now(),
            items,
            totals: CoverageTotals {
                households: totals.households,
                extreme_poor: totals.extreme_poor,
                targeted: totals.targeted,
                verified_eligible: totals.verified_eligible,
                served: totals.served,
                extreme_poor_unreached: totals.extreme_poor_unreached,
            },
            budget,
        }));
    }
    let headers = [
        "region_code",
        "region_name",
        "region_level",
        "households",
        "extreme_poor",
        "targeted",
        "verified_eligible",
        "served",
        "extreme_poor_unreached",
        "budget",
        "unreached_link",
    ];
    let rows: Vec<Vec<Cell>> = items
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.region_code),
                Cell::Text(r.region_name),
                Cell::Text(r.region_level.to_string()),
                Cell::Int(r.households),
                Cell::Int(r.extreme_poor),
                Cell::Int(r.targeted),
                Cell::Int(r.verified_eligible),
                Cell::Int(r.served),
                Cell::Int(r.extreme_poor_unreached),
                Cell::Int(r.budget),
                Cell::Text(r.unreached_link),
            ]
        })
        .collect();
    let budget_headers = ["group", "key", "programs", "budget"];
    let mut budget_rows = vec![vec![
        Cell::Text("total".into()),
        Cell::Empty,
        Cell::Int(budget.programs),
        Cell::Int(budget.total),
    ]];
    for (group, lines) in [
        ("sector", &budget.by_sector),
        ("type", &budget.by_type),
        ("strategy", &budget.by_strategy),
    ] {
        for l in lines {
            budget_rows.push(vec![
                Cell::Text(group.into()),
                Cell::Text(l.key.clone()),
                Cell::Int(l.programs),
                Cell::Int(l.budget),
            ]);
        }
    }
    table_response(
        format,
        &format!("coverage-{year}"),
        &headers,
        &rows,
        Some(("budget", &budget_headers, &budget_rows)),
    )
}

// ------------------------------------------------------------------ exposure

/// What one cycle exposed to one company (docs/DECISIONS.md, exposure).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"company_id": "00000000-0000-4000-8000-000000000001", "company_name": "PT Mitra Sawit Lestari (demo)",
    "active": true, "shown": 120, "read": 35, "targeted": 40, "cap": 500, "exposure_cap": null, "remaining": 380,
    "last_shown_at": "2026-11-20T02:00:00Z"}))]
pub struct ExposureRow {
    pub company_id: String,
    pub company_name: String,
    pub active: bool,
    /// Distinct households recommendations showed the company in the cycle
    /// (what the cap counts).
    pub shown: i64,
    /// Of the households exposed to it in the cycle, those it read through
    /// the household endpoints (list, read, members).
    pub read: i64,
    /// Distinct households that are an active target of its programs of the cycle.
    pub targeted: i64,
    /// The cap in force: the company's `exposure_cap`, else the default.
    pub cap: i64,
    /// The company's own `exposure_cap`; `null`: the default applies.
    pub exposure_cap: Option<i32>,
    /// Households it may still be shown this cycle.
    pub remaining: i64,
    pub last_shown_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ExposureReport {
    pub cycle_year: i32,
    /// The last day the cycle's exposure lets companies read the households
    /// shown (31 December of the cycle year); afterwards only their targets.
    pub ends_on: Option<NaiveDate>,
    /// Whether that day has passed (regency time).
    pub ended: bool,
    /// `RBPK_COMPANY_EXPOSURE_CAP`: the cap of a company without its own.
    pub default_cap: i64,
    pub generated_at: DateTime<Utc>,
    pub items: Vec<ExposureRow>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExposureQuery {}

/// What a cycle exposed to each company: households shown by
/// recommendations (against the cap), read, targeted, and the cap. One row
/// per company, by name. Answers JSON, CSV (`Accept: text/csv`) or XLSX
/// (`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`);
/// any other `Accept` is a 406.
#[utoipa::path(tag = "reports", 
    params(("year" = i32, Path, description = "Planning year"), ExposureQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `text/csv` or the XLSX media type")),
    responses(
        (status = 200, description = "The report", content(
            (ExposureReport = "application/json"),
            (String = "text/csv", example = "company_id,company_name,active,shown,read,targeted,cap,exposure_cap,remaining,last_shown_at\n00000000-0000-4000-8000-000000000001,PT Mitra Sawit Lestari (demo),true,120,35,40,500,,380,2026-11-20T02:00:00Z\n"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 406, description = "`not_acceptable`: the Accept header names none of the three media types", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/cycles/{year}/exposure")]
async fn exposure_report(
    req: HttpRequest,
    user: AuthUser,
    year: web::Path<i32>,
    _q: web::Query<ExposureQuery>,
    reads: web::Data<Reads>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::EXPOSURE_REPORT)?;
    let format = negotiate(&req)?;
    let year = year.into_inner();
    let default_cap = i64::from(config.exposure_cap);
    let rows = reads
        .read(&user.claims.sub, false, move |c| {
            cycles::get(c, year)?;
            exposure::report(c, year)
        })
        .await?;
    let items: Vec<ExposureRow> = rows
        .into_iter()
        .map(|r| {
            let cap = r.exposure_cap.map_or(default_cap, i64::from);
            ExposureRow {
                remaining: (cap - r.shown).max(0),
                cap,
                company_id: r.company_id,
                company_name: r.company_name,
                active: r.active,
                shown: r.shown,
                read: r.read,
                targeted: r.targeted,
                exposure_cap: r.exposure_cap,
                last_shown_at: r.last_shown_at.map(crate::api::utc),
            }
        })
        .collect();
    if format == Format::Json {
        return Ok(HttpResponse::Ok().json(ExposureReport {
            cycle_year: year,
            ends_on: crate::domain::exposure::ends_on(year),
            ended: !crate::domain::exposure::is_live(year, regency_today()),
            default_cap,
            generated_at: Utc::now(),
            items,
        }));
    }
    let headers = [
        "company_id",
        "company_name",
        "active",
        "shown",
        "read",
        "targeted",
        "cap",
        "exposure_cap",
        "remaining",
        "last_shown_at",
    ];
    let rows: Vec<Vec<Cell>> = items
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.company_id),
                Cell::Text(r.company_name),
                Cell::Text(r.active.to_string()),
                Cell::Int(r.shown),
                Cell::Int(r.read),
                Cell::Int(r.targeted),
                Cell::Int(r.cap),
                r.exposure_cap
                    .map(|c| Cell::Int(i64::from(c)))
                    .unwrap_or(Cell::Empty),
                Cell::Int(r.remaining),
                r.last_shown_at
                    .map(|t| Cell::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
                    .unwrap_or(Cell::Empty),
            ]
        })
        .collect();
    table_response(format, &format!("exposure-{year}"), &headers, &rows, None)
}
