//! The agreement annex (issue 15, item 5): `GET /programs/{id}/annex` as
//! CSV, XLSX, PDF and JSON for a program with an agreement — its active
//! targets, whole for Bappeda, masked for the company, the download audited
//! — and refused for a program without one, for an `Accept` it cannot
//! answer, and for another company.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_masked, assert_problem, day, Resp, TestApp};
use rbpk::domain::role::Role;
use rbpk::import::xlsx::Workbook;
use serde_json::json;

const NUMBER: &str = "PKS/011/2027";
const COLUMNS: &str = "number,target_id,household_id,pseudonymised,head_name,address,desa_code,desa,kecamatan,kk_number,nik,status,planned_value";

/// An agreed program with two targets, signed by both parties as `NUMBER`;
/// returns (program, targets, kecamatan).
async fn agreed(app: &TestApp) -> (String, Vec<String>, String) {
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 2).await;
    for t in &p.targets {
        assert_eq!(app.verify(t, "eligible").await.status, 201);
    }
    app.sign_agreement(&p.id, NUMBER).await;
    let program = app
        .get(&format!("/api/v1/programs/{}", p.id), Role::Bappeda)
        .await;
    assert_eq!(program.body["status"], "agreed", "{}", program.body);
    (p.id, p.targets, kec)
}

async fn annex(app: &TestApp, program: &str, role: Role, accept: &str) -> Resp {
    app.send(
        app.req(
            Method::GET,
            &format!("/api/v1/programs/{program}/annex"),
            role,
        )
        .insert_header(("Accept", accept.to_string())),
    )
    .await
}

/// The CSV's records, its header first.
fn csv_rows(raw: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(raw)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The XLSX's only sheet as rows of text.
fn xlsx_rows(raw: &[u8]) -> Vec<Vec<String>> {
    let book = Workbook::open(raw).unwrap();
    let mut sheet = book.sheet("lampiran").unwrap().expect("sheet `lampiran`");
    let mut rows = vec![sheet.header().unwrap().unwrap().1];
    let mut buf = Vec::new();
    while sheet.next_row(&mut buf).unwrap().is_some() {
        rows.push(buf.clone());
    }
    rows
}

fn whole_number(s: &str) -> bool {
    s.len() == 16 && s.chars().all(|c| c.is_ascii_digit())
}

#[actix_web::test]
async fn the_annex_lists_the_active_targets_whole_for_bappeda_and_masked_for_the_company() {
    let app = TestApp::spawn().await;
    let (program, targets, _) = agreed(&app).await;

    // CSV for Bappeda: the active targets, whole identifiers.
    let csv = annex(&app, &program, Role::Bappeda, "text/csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(
        csv.header("content-disposition").as_deref(),
        Some("attachment; filename=\"lampiran-PKS-011-2027.csv\"")
    );
    let rows = csv_rows(&csv.raw);
    assert_eq!(rows[0].join(","), COLUMNS);
    assert_eq!(rows.len() - 1, targets.len(), "one row per active target");
    let column = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let mut listed: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r[column("target_id")].as_str())
        .collect();
    listed.sort();
    let mut expected: Vec<&str> = targets.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(listed, expected);
    let with_nik = rows[1..]
        .iter()
        .filter(|r| !r[column("nik")].is_empty())
        .count();
    assert!(with_nik > 0, "the demo heads have NIKs");
    for r in &rows[1..] {
        for field in ["nik", "kk_number"] {
            let v = &r[column(field)];
            assert!(
                v.is_empty() || whole_number(v),
                "{field} whole for bappeda: {v}"
            );
        }
        assert_eq!(r[column("planned_value")], "25000000");
        assert!(!r[column("desa")].is_empty() && !r[column("kecamatan")].is_empty());
    }

    // CSV and JSON for the company: masked, or pseudonymised.
    let csv = annex(&app, &program, Role::Company, "text/csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = csv_rows(&csv.raw);
    assert_eq!(rows.len() - 1, targets.len());
    for r in &rows[1..] {
        for field in ["nik", "kk_number"] {
            let v = &r[column(field)];
            assert!(
                v.is_empty() || (v.contains('*') && v.len() == 16),
                "{field} masked for a company: {v}"
            );
        }
        if r[column("pseudonymised")] == "true" {
            assert!(r[column("head_name")].is_empty() && r[column("address")].is_empty());
        }
    }
    let json = annex(&app, &program, Role::Company, "application/json").await;
    assert_eq!(json.status, 200, "{}", json.body);
    assert_masked(&json.body, "annex");
    assert_eq!(json.body["agreement_number"], NUMBER);
    assert_eq!(
        json.body["targets"].as_array().unwrap().len(),
        targets.len()
    );
    assert_eq!(json.body["total_planned_value"], 50_000_000);
    assert_eq!(json.body["company"]["signed_on"], day(0));
    assert_eq!(json.body["lead_agency"]["signed_on"], day(0));

    // Each download is audited; the company's reads of the families too.
    let audit = app
        .get(
            &format!("/api/v1/audit-events?action=download_program_annex&entity_id={program}"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        3,
        "{}",
        audit.body
    );
}

#[actix_web::test]
async fn the_annex_opens_as_a_workbook_and_prints_as_a_pdf() {
    let app = TestApp::spawn().await;
    let (program, targets, _) = agreed(&app).await;

    let xlsx = annex(&app, &program, Role::Opd, common::XLSX).await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.body);
    assert_eq!(
        xlsx.header("content-disposition").as_deref(),
        Some("attachment; filename=\"lampiran-PKS-011-2027.xlsx\"")
    );
    let rows = xlsx_rows(&xlsx.raw);
    assert_eq!(rows[0], vec!["program_id".to_string(), program.clone()]);
    assert!(
        rows.iter()
            .any(|r| r.len() >= 2 && r[0] == "agreement_number" && r[1] == NUMBER),
        "{rows:?}"
    );
    let header = rows
        .iter()
        .position(|r| r.join(",") == COLUMNS)
        .expect("the table's header");
    let table = &rows[header + 1..header + 1 + targets.len()];
    assert_eq!(table[0][0], "1");
    assert!(targets.contains(&table[0][1]), "{table:?}");
    assert_eq!(table[1][0], "2");
    let total = &rows[header + 1 + targets.len()];
    assert_eq!(total[0], "total_planned_value");
    assert_eq!(total.last().unwrap(), "50000000");

    let pdf = annex(&app, &program, Role::Bappeda, "application/pdf").await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert_eq!(
        pdf.header("content-disposition").as_deref(),
        Some("attachment; filename=\"lampiran-PKS-011-2027.pdf\"")
    );
    assert!(pdf.raw.starts_with(b"%PDF-"));
    assert!(pdf.raw.ends_with(b"%%EOF") || pdf.raw.ends_with(b"%%EOF\n"));
    // Content streams are not compressed: the text is in the bytes.
    let text = String::from_utf8_lossy(&pdf.raw);
    assert!(text.contains(&format!("({NUMBER})")), "agreement number");
    assert!(text.contains("(25.000.000)"), "planned value");
    assert!(text.contains("(Pihak perusahaan)") && text.contains("(Perangkat daerah pemimpin)"));
}

#[actix_web::test]
async fn no_annex_without_an_agreement_nor_for_an_unknown_format_or_another_company() {
    let app = TestApp::spawn().await;
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 2).await;

    let early = annex(&app, &p.id, Role::Bappeda, "text/csv").await;
    assert_problem(&early, 409, "no_agreement");
    assert_eq!(early.body["program_status"], "consolidated");
    let draft = app
        .post(
            "/api/v1/programs",
            Role::Company,
            json!({"cycle_year": 2027, "title": "Air bersih", "type": "water", "strategy": "reduce_burden",
                "budget": 100_000_000, "target_regions": [kec]}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let draft_id = draft.body["id"].as_str().unwrap();
    assert_problem(
        &annex(&app, draft_id, Role::Company, "application/pdf").await,
        409,
        "no_agreement",
    );

    for t in &p.targets {
        assert_eq!(app.verify(t, "eligible").await.status, 201);
    }
    // Verified, not yet signed: the annex says so (paging over several
    // pages is `api::program_annex`'s unit test).
    let pdf = annex(&app, &p.id, Role::Bappeda, "application/pdf").await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    let text = String::from_utf8_lossy(&pdf.raw);
    assert!(text.contains("belum ditandatangani"));
    assert!(text.contains("(belum diberi nomor)"));
    assert_problem(
        &annex(&app, &p.id, Role::Bappeda, "image/png").await,
        406,
        "not_acceptable",
    );
    let (_, other) = app
        .company("PT Lain", "8120104567222", "mining", &[kec.as_str()])
        .await;
    let resp = app
        .send(
            app.req_as(
                Method::GET,
                &format!("/api/v1/programs/{}/annex", p.id),
                &other,
            )
            .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_problem(&resp, 404, "not_found");
    // A verifier reads every program's annex; a viewer none.
    assert_eq!(
        annex(&app, &p.id, Role::Verifier, "text/csv").await.status,
        200
    );
    assert_problem(
        &annex(&app, &p.id, Role::Viewer, "text/csv").await,
        403,
        "forbidden",
    );
}

#[actix_web::test]
async fn families_behind_the_consent_gate_are_pseudonymised_for_the_company() {
    let app = TestApp::spawn().await;
    // Every family in a snapshot that forbids onward sharing; the visits
    // below ask no consent, so the gate stays closed to the company.
    let kec = app.families_behind_the_consent_gate(60, 7).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 2).await;
    for t in &p.targets {
        assert_eq!(app.verify(t, "eligible").await.status, 201);
    }

    let json = annex(&app, &p.id, Role::Company, "application/json").await;
    assert_eq!(json.status, 200, "{}", json.body);
    assert_masked(&json.body, "gated annex");
    for t in json.body["targets"].as_array().unwrap() {
        assert_eq!(t["pseudonymised"], true, "{t}");
        for k in ["head_name", "address", "nik", "kk_number"] {
            assert!(t[k].is_null(), "{k} shown behind the gate: {t}");
        }
        assert!(t["desa"].is_string() && t["planned_value"].is_number());
    }
    let pdf = annex(&app, &p.id, Role::Company, "application/pdf").await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    let text = String::from_utf8_lossy(&pdf.raw);
    assert!(text.contains("(disamarkan)"));
    // Bappeda sees the same families by name.
    let whole = annex(&app, &p.id, Role::Bappeda, "application/json").await;
    for t in whole.body["targets"].as_array().unwrap() {
        assert_eq!(t["pseudonymised"], false, "{t}");
        assert!(t["head_name"].is_string(), "{t}");
    }
}
