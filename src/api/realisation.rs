//! Realisation reports and the realisation of a cycle over HTTP (issue 15,
//! item 4; DESIGN.md §6.3). Rules: `domain::realisation`; workflow and the
//! cycle's table: `service::realisation`; figures: `db::realisation`.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::reports::{
    add_sheet, download, negotiate, table_response, xlsx_failed, Cell, Format, XLSX,
};
use super::{if_match, regency_today, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::realisation::{ProgramFigures, ReportFilter, ReportRow};
use crate::db::Pool;
use crate::domain::company::check_text;
use crate::domain::realisation::{Period, ReportStatus, ReviewDecision};
use crate::error::ApiError;
use crate::service::realisation::{self as service, PeriodRow};
use crate::service::Caller;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_realisation_reports)
        .service(create_realisation_report)
        .service(get_realisation_report)
        .service(submit_realisation_report)
        .service(review_realisation_report)
        .service(realisation);
}

/// Longest note or review note, characters.
const MAX_NOTE: usize = 5000;

/// A company's periodic TJSL realisation report.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c", "company_id": "00000000-0000-4000-8000-000000000001",
    "cycle_year": 2027, "period": "2027-Q1", "status": "submitted", "due_on": "2027-04-10", "days_late": 0,
    "notes": "Bedah rumah tahap 1 selesai.", "planned_budget": 1200000000, "realised_value": 450000000,
    "households_planned": 40, "households_served": 15, "desa_reached": 3,
    "programs": [{"program_id": "8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "title": "Bedah rumah 40 KK Tenggarong",
        "status": "running", "budget": 1200000000, "realised_value": 450000000, "households_planned": 40, "households_served": 15}],
    "submitted_on": "2027-04-08", "submitted_by": "csr.sawit", "reviewed_on": null, "reviewed_by": null, "review_note": null,
    "created_at": "2027-04-01T02:00:00Z", "updated_at": "2027-04-08T03:00:00Z"}))]
pub struct RealisationReport {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub company_id: String,
    pub cycle_year: i32,
    /// `YYYY-Q1` … `YYYY-Q4`, or `YYYY` for the year.
    #[schema(pattern = "^[0-9]{4}(-Q[1-4])?$")]
    pub period: String,
    /// `draft` → `submitted` → `approved`, or `needs_revision` → `submitted` again.
    pub status: ReportStatus,
    /// The 10th of the month after the period.
    pub due_on: NaiveDate,
    /// Days past `due_on` it was submitted (or, unsubmitted, is now); 0 on time.
    pub days_late: i64,
    pub notes: Option<String>,
    /// Frozen at submission (null before): whole rupiah of the company's
    /// agreed CSR programs of the cycle.
    pub planned_budget: Option<i64>,
    /// Frozen at submission: the sum of their targets' realised values.
    pub realised_value: Option<i64>,
    /// Frozen at submission: distinct households targeted.
    pub households_planned: Option<i64>,
    /// Frozen at submission: distinct households served.
    pub households_served: Option<i64>,
    /// Frozen at submission: distinct desa of the households served.
    pub desa_reached: Option<i64>,
    /// Frozen at submission, per program (empty before).
    pub programs: Vec<ProgramFigures>,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_by: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
    pub reviewed_by: Option<String>,
    /// Bappeda's note with its last review.
    pub review_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RealisationReport {
    fn of(r: ReportRow, today: NaiveDate) -> RealisationReport {
        let period = Period::parse(&r.period).unwrap_or(Period::year(r.cycle_year));
        RealisationReport {
            programs: r.program_figures(),
            due_on: period.due_on(),
            days_late: crate::domain::realisation::days_late(period, r.submitted_on, today),
            id: r.id,
            company_id: r.company_id,
            cycle_year: r.cycle_year,
            period: r.period,
            status: r.status,
            notes: r.notes,
            planned_budget: r.planned_budget,
            realised_value: r.realised_value,
            households_planned: r.households_planned,
            households_served: r.households_served,
            desa_reached: r.desa_reached,
            submitted_on: r.submitted_on,
            submitted_by: r.submitted_by,
            reviewed_on: r.reviewed_on,
            reviewed_by: r.reviewed_by,
            review_note: r.review_note,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

fn respond(res: actix_web::HttpResponseBuilder, row: ReportRow) -> HttpResponse {
    let version = row.version;
    with_etag(res, version, &RealisationReport::of(row, regency_today()))
}

/// An optional note, trimmed; over the bound is a 422 on `field`.
fn note(value: Option<String>, field: &str) -> Result<Option<String>, ApiError> {
    value
        .filter(|n| !n.trim().is_empty())
        .map(|n| check_text(&n, MAX_NOTE))
        .transpose()
        .map_err(|e| ApiError::invalid_field(field, e))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only reports of this cycle.
    pub cycle: Option<i32>,
    /// Only reports for this period.
    #[param(pattern = "^[0-9]{4}(-Q[1-4])?$")]
    pub period: Option<String>,
    /// Only reports in this status.
    pub status: Option<ReportStatus>,
    /// Only this company's reports (a company sees only its own anyway).
    pub company_id: Option<uuid::Uuid>,
    /// 1-based page, default 1.
    pub page: Option<i64>,
    /// Default 50, at most 200.
    pub per_page: Option<i64>,
}

/// List realisation reports by cycle and period.
///
/// A company sees only its own; the other roles all.
#[utoipa::path(tag = "realisation", params(ReportQuery),
    responses((status = 200, body = Page<RealisationReport>)))]
#[get("/realisation-reports")]
async fn list_realisation_reports(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<ReportQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_REALISATION_REPORTS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    let period = match &q.period {
        Some(p) => Some(
            Period::parse(p)
                .ok_or_else(|| ApiError::invalid_parameter("period", "is not YYYY-Qn or YYYY"))?
                .to_string(),
        ),
        None => None,
    };
    let filter = ReportFilter {
        company_id: q.company_id.map(|c| c.to_string()),
        cycle_year: q.cycle,
        period,
        status: q.status,
    };
    let (rows, total) = service::list(
        &pool,
        Caller::from(&user),
        filter,
        paging.offset(),
        paging.limit(),
    )
    .await?;
    let today = regency_today();
    let items: Vec<RealisationReport> = rows
        .into_iter()
        .map(|r| RealisationReport::of(r, today))
        .collect();
    Ok(paging.respond(&req, items, total))
}

/// A report to start.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period": "2027-Q1", "notes": "Bedah rumah tahap 1."}))]
pub struct NewRealisationReport {
    /// `YYYY-Q1` … `YYYY-Q4`, or `YYYY` for the year; the cycle `YYYY` must exist.
    #[schema(pattern = "^[0-9]{4}(-Q[1-4])?$")]
    pub period: String,
    /// Admin only: the company it is filed for (a company files its own).
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    /// The company's account of the period, at most 5,000 characters.
    #[schema(max_length = 5000, pattern = "^[^\\u0000]*$")]
    pub notes: Option<String>,
}

/// Start a realisation report (a `draft`) for a period of a cycle.
///
/// A company files its own; admin names `company_id`. One report per company
/// and period (a second: 409 `report_exists`, naming the first). Its figures
/// are empty until it is submitted.
#[utoipa::path(tag = "realisation", request_body = NewRealisationReport,
    responses((status = 201, body = RealisationReport, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`report_exists`: the company already has a report for the period (`report_id`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a period that is not `YYYY-Qn`/`YYYY` or has no cycle, an unknown or inactive company", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/realisation-reports")]
async fn create_realisation_report(
    user: AuthUser,
    body: web::Json<NewRealisationReport>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_REALISATION_REPORT)?;
    let b = body.into_inner();
    let notes = note(b.notes, "notes")?;
    let row = service::create(&pool, Caller::from(&user), b.company_id, b.period, notes).await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/realisation-reports/{}", row.id),
    ));
    Ok(respond(res, row))
}

/// Read a realisation report.
///
/// A company reads only its own (another's is a 404, as a missing one).
#[utoipa::path(tag = "realisation", params(("id" = String, Path)),
    responses((status = 200, body = RealisationReport, headers(("ETag" = String)))))]
#[get("/realisation-reports/{id}")]
async fn get_realisation_report(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_REALISATION_REPORT)?;
    let row = service::get(&pool, Caller::from(&user), id.into_inner()).await?;
    Ok(respond(HttpResponse::Ok(), row))
}

/// What a company adds when it submits.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notes": "Bedah rumah tahap 1 selesai; tahap 2 mulai Mei."}))]
pub struct SubmitReport {
    /// Replaces the report's notes when given; at most 5,000 characters.
    #[schema(max_length = 5000, pattern = "^[^\\u0000]*$")]
    pub notes: Option<String>,
}

/// Submit a realisation report: its figures are frozen as they stand now.
///
/// From `draft` or `needs_revision` (else 409 `invalid_report_status`); a
/// company its own. The frozen figures are the company's agreed CSR programs
/// of the cycle (agreed, running, completed): their budget, the realised
/// value of their targets, the households targeted and served and the desa
/// reached, with one line per program. Later deliveries do not change them;
/// a report sent back is frozen again when resubmitted.
#[utoipa::path(tag = "realisation", request_body = SubmitReport,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = RealisationReport, headers(("ETag" = String))),
        (status = 409, description = "`invalid_report_status`: already submitted or approved", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/realisation-reports/{id}/submit")]
async fn submit_realisation_report(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<SubmitReport>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::SUBMIT_REALISATION_REPORT)?;
    let expected = if_match(&req)?;
    let notes = note(body.into_inner().notes, "notes")?;
    let row = service::submit(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        notes,
        regency_today(),
    )
    .await?;
    Ok(respond(HttpResponse::Ok(), row))
}

/// Bappeda's review.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "request_revision", "note": "Lampirkan BAST tahap 1."}))]
pub struct ReviewReport {
    /// `approve`, or `request_revision` (with a note).
    pub decision: ReviewDecision,
    /// Required with `request_revision`; at most 5,000 characters.
    #[schema(max_length = 5000, pattern = "^[^\\u0000]*$")]
    pub note: Option<String>,
}

/// Review a submitted realisation report: approve it, or send it back with a
/// note saying what to fix (422 `note_required` without one).
///
/// Only a `submitted` report (else 409 `invalid_report_status`).
#[utoipa::path(tag = "realisation", request_body = ReviewReport,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = RealisationReport, headers(("ETag" = String))),
        (status = 409, description = "`invalid_report_status`: not submitted", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_etag`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`note_required`: a revision request without a note", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/realisation-reports/{id}/review")]
async fn review_realisation_report(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<ReviewReport>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::REVIEW_REALISATION_REPORT)?;
    let expected = if_match(&req)?;
    let b = body.into_inner();
    let note = note(b.note, "note")?;
    let row = service::review(
        &pool,
        Caller::from(&user),
        id.into_inner(),
        expected,
        b.decision,
        note,
        regency_today(),
    )
    .await?;
    Ok(respond(HttpResponse::Ok(), row))
}

// ------------------------------------------------ the realisation of a cycle

/// One company in one period: its plan beside the report filed for it.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"company_id": "00000000-0000-4000-8000-000000000001", "company_name": "PT Sawit Kukar Lestari",
    "period": "2027-Q1", "due_on": "2027-04-10", "report_id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c",
    "report_status": "approved", "submitted_on": "2027-04-08", "days_late": 0, "late": false,
    "planned_budget": 1200000000, "realised_value": 450000000, "households_planned": 40, "households_served": 15, "desa_reached": 3}))]
pub struct RealisationRow {
    #[schema(format = Uuid)]
    pub company_id: String,
    pub company_name: String,
    #[schema(pattern = "^[0-9]{4}(-Q[1-4])?$")]
    pub period: String,
    pub due_on: NaiveDate,
    #[schema(format = Uuid)]
    pub report_id: Option<String>,
    /// Null when no report was started for the period.
    pub report_status: Option<ReportStatus>,
    pub submitted_on: Option<NaiveDate>,
    /// Days past `due_on` it was submitted, or is still missing; 0 on time.
    pub days_late: i64,
    /// `days_late > 0`.
    pub late: bool,
    /// The plan: frozen with a submitted report, else as it stands now.
    pub planned_budget: i64,
    /// From the submitted report; null without one.
    pub realised_value: Option<i64>,
    pub households_planned: Option<i64>,
    pub households_served: Option<i64>,
    pub desa_reached: Option<i64>,
}

impl From<PeriodRow> for RealisationRow {
    fn from(r: PeriodRow) -> RealisationRow {
        let frozen = r.report.as_ref().filter(|x| x.planned_budget.is_some());
        RealisationRow {
            company_id: r.company_id,
            company_name: r.company_name,
            period: r.period.to_string(),
            due_on: r.due_on,
            report_id: r.report.as_ref().map(|x| x.id.clone()),
            report_status: r.report.as_ref().map(|x| x.status),
            submitted_on: r.report.as_ref().and_then(|x| x.submitted_on),
            days_late: r.days_late,
            late: r.days_late > 0,
            planned_budget: frozen
                .and_then(|x| x.planned_budget)
                .unwrap_or(r.planned_budget),
            realised_value: frozen.and_then(|x| x.realised_value),
            households_planned: frozen.and_then(|x| x.households_planned),
            households_served: frozen.and_then(|x| x.households_served),
            desa_reached: frozen.and_then(|x| x.desa_reached),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RealisationTable {
    pub cycle_year: i32,
    /// The regency day (WITA) lateness was computed for.
    pub as_of: NaiveDate,
    pub generated_at: DateTime<Utc>,
    /// Per company (obliged ones, and any with an agreed program), its five
    /// periods in order: `Q1` … `Q4`, then the year.
    pub items: Vec<RealisationRow>,
}

const HEADERS: [&str; 14] = [
    "company_id",
    "company_name",
    "period",
    "due_on",
    "report_id",
    "report_status",
    "submitted_on",
    "days_late",
    "planned_budget",
    "realised_value",
    "households_planned",
    "households_served",
    "desa_reached",
    "late",
];

fn cells(r: &RealisationRow) -> Vec<Cell> {
    let text = |s: Option<String>| s.map_or(Cell::Empty, Cell::Text);
    let int = |n: Option<i64>| n.map_or(Cell::Empty, Cell::Int);
    vec![
        Cell::Text(r.company_id.clone()),
        Cell::Text(r.company_name.clone()),
        Cell::Text(r.period.clone()),
        Cell::Text(r.due_on.to_string()),
        text(r.report_id.clone()),
        text(r.report_status.map(|s| s.as_str().to_string())),
        text(r.submitted_on.map(|d| d.to_string())),
        Cell::Int(r.days_late),
        Cell::Int(r.planned_budget),
        int(r.realised_value),
        int(r.households_planned),
        int(r.households_served),
        int(r.desa_reached),
        Cell::Text(r.late.to_string()),
    ]
}

/// The workbook of the table: one sheet per period with a column chart of
/// plan against realisation per company beside its rows.
fn realisation_workbook(year: i32, items: &[RealisationRow]) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Chart, ChartType, Workbook};
    let mut book = Workbook::new();
    for period in Period::of_cycle(year) {
        let name = period.to_string();
        let rows: Vec<Vec<Cell>> = items
            .iter()
            .filter(|r| r.period == name)
            .map(cells)
            .collect();
        let sheet = add_sheet(&mut book, &(name.as_str(), &HEADERS[..], &rows[..]))?;
        if rows.is_empty() {
            continue;
        }
        // Company names (column 1) against plan (8) and realisation (9).
        let last = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let mut chart = Chart::new(ChartType::Column);
        chart
            .title()
            .set_name(&format!("Rencana dan realisasi {name}"));
        for (series, column) in [("planned_budget", 8), ("realised_value", 9)] {
            chart
                .add_series()
                .set_name(series)
                .set_categories((name.as_str(), 1, 1, last, 1))
                .set_values((name.as_str(), 1, column, last, column));
        }
        sheet
            .insert_chart(last + 2, 1, &chart)
            .map_err(xlsx_failed)?;
    }
    book.save_to_buffer().map_err(xlsx_failed)
}

/// The realisation of a cycle: per company and period, plan against
/// realisation, the report's status and lateness.
///
/// One row per company and period (`Q1` … `Q4`, then the year) for every
/// active company with a TJSP duty or an agreed CSR program: the plan (the
/// agreed programs' budget; frozen with a submitted report), the report's
/// frozen figures, its status (null: none started) and how many days past
/// its due date (the 10th of the month after the period) it was submitted
/// or is still missing. JSON, CSV (`Accept: text/csv`) or XLSX (one sheet
/// per period with a column chart of plan against realisation per
/// company); any other `Accept` is a 406.
///
/// A company sees only its own rows.
#[utoipa::path(tag = "realisation",
    params(("year" = i32, Path, description = "Planning year", minimum = 2000, maximum = 2100),
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `text/csv` or the XLSX media type")),
    responses(
        (status = 200, description = "The table", content(
            (RealisationTable = "application/json"),
            (String = "text/csv", example = "company_id,company_name,period,due_on,report_id,report_status,submitted_on,days_late,planned_budget,realised_value,households_planned,households_served,desa_reached,late\n00000000-0000-4000-8000-000000000001,PT Sawit Kukar Lestari,2027-Q1,2027-04-10,0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c,approved,2027-04-08,0,1200000000,450000000,40,15,3,false\n"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "`not_found`: no such cycle", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "`not_acceptable`: the Accept header names none of the three media types", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/cycles/{year}/realisation")]
async fn realisation(
    req: HttpRequest,
    user: AuthUser,
    year: web::Path<i32>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::REALISATION)?;
    let format = negotiate(&req)?;
    let year = year.into_inner();
    let today = regency_today();
    let rows = service::of_cycle(&pool, Caller::from(&user), year, today).await?;
    let items: Vec<RealisationRow> = rows.into_iter().map(RealisationRow::from).collect();
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(RealisationTable {
            cycle_year: year,
            as_of: today,
            generated_at: Utc::now(),
            items,
        })),
        // `negotiate` offers no PDF; `table_response` refuses it.
        Format::Csv | Format::Pdf => {
            let rows: Vec<Vec<Cell>> = items.iter().map(cells).collect();
            table_response(format, &format!("realisasi-{year}"), &HEADERS, &rows, None)
        }
        Format::Xlsx => Ok(download(
            XLSX,
            &format!("realisasi-{year}.xlsx"),
            realisation_workbook(year, &items)?,
        )),
    }
}
