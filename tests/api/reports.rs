//! Compliance and coverage reports: states by deadline, letters and agreed
//! programs; rows by region level; roles; CSV, XLSX and 406.

// Helpers panic on a broken setup: that is a test failure, as in the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, TestApp, XLSX};
use rbpk::domain::role::Role;
use serde_json::json;

async fn company(app: &TestApp, name: &str, nib: &str, sector: &str) -> String {
    let r = app
        .post(
            "/api/v1/companies",
            Role::Bappeda,
            json!({"name": name, "legal_form": "pt", "nib": nib, "sector": sector}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

fn row<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["company_id"] == id)
        .unwrap_or_else(|| panic!("no row for {id}: {report}"))
}

async fn accept(app: &TestApp, company_id: &str) {
    let token = app.token_for("b", Role::Company, Some(company_id), None);
    let filed = app
        .send(
            app.req(Method::POST, "/api/v1/exemption-letters", Role::Company)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .set_json(json!({"cycle_year": 2027, "letter_number": "1/X/2026", "letter_date": common::day(0),
                    "reason_category": "not_operating", "reason": "Izin usaha dibekukan."})),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let id = filed.body["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/exemption-letters/{id}/review"),
            Role::Bappeda,
            json!({"recommendation": "accept", "note": "ok"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/exemption-letters/{id}/decision"),
            Role::Bupati,
            json!({"decision": "accepted", "note": "ok"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[actix_web::test]
async fn companies_are_pending_until_the_deadline_and_non_compliant_after_it() {
    let app = TestApp::spawn().await;
    app.calendar(-3, -2, -1, 0).await;
    let mining = company(&app, "PT Bara", "8120104567890", "mining").await;
    let other = company(&app, "CV Lain", "8120104567891", "other").await;
    let exempt = company(&app, "PT Sawit B", "8120104567892", "plantation").await;
    accept(&app, &exempt).await;
    let report = app
        .get("/api/v1/cycles/2027/compliance", Role::Bappeda)
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.body["agreement_deadline"], common::day(0));
    assert_eq!(row(&report.body, &mining)["state"], "pending");
    assert_eq!(row(&report.body, &mining)["obliged"], true);
    assert_eq!(row(&report.body, &other)["obliged"], false);
    assert_eq!(row(&report.body, &exempt)["state"], "exempt");
    assert_eq!(row(&report.body, &exempt)["exemption_status"], "accepted");
    assert!(row(&report.body, &mining)["exemption_status"].is_null());
    app.calendar(-4, -3, -2, -1).await;
    let after = app
        .get("/api/v1/cycles/2027/compliance", Role::Viewer)
        .await;
    assert_eq!(row(&after.body, &mining)["state"], "non_compliant");
    assert_eq!(row(&after.body, &other)["state"], "non_compliant");
    assert_eq!(row(&after.body, &exempt)["state"], "exempt");
    let filtered = app
        .get(
            "/api/v1/cycles/2027/compliance?sector=mining&state=non_compliant",
            Role::Bupati,
        )
        .await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(filtered.body["items"][0]["company_id"], mining.as_str());
}

#[actix_web::test]
async fn an_agreed_program_makes_its_company_compliant() {
    let app = TestApp::spawn().await;
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 1).await;
    assert_eq!(app.verify(&p.targets[0], "eligible").await.status, 201);
    app.sign_agreement(&p.id, "PKS/9").await;
    let report = app
        .get("/api/v1/cycles/2027/compliance", Role::Company)
        .await;
    assert_eq!(report.status, 200);
    let items = report.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "a company sees only its own row");
    assert_eq!(items[0]["company_id"], rbpk::db::seed::DEMO_COMPANY_ID);
    assert_eq!(items[0]["agreed_programs"], 1);
    assert_eq!(items[0]["state"], "compliant");
}

#[actix_web::test]
async fn compliance_roles_formats_and_bad_requests() {
    let app = TestApp::spawn().await;
    app.calendar(1, 2, 3, 4).await;
    for role in [Role::Opd, Role::Verifier] {
        assert_problem(
            &app.get("/api/v1/cycles/2027/compliance", role).await,
            403,
            "forbidden",
        );
    }
    assert_problem(
        &app.get("/api/v1/cycles/2031/compliance", Role::Bappeda)
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        app.get("/api/v1/cycles/2027/compliance?state=late", Role::Bappeda)
            .await
            .status,
        400
    );
    assert_eq!(
        app.get("/api/v1/cycles/2027/compliance?page=1", Role::Bappeda)
            .await
            .status,
        400
    );
    let csv = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/compliance", Role::Bappeda)
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.raw.clone()).unwrap();
    assert!(
        text.starts_with(
            "company_id,company_name,sector,obliged,agreed_programs,exemption_status,state\n"
        ),
        "{text}"
    );
    assert!(text.contains(rbpk::db::seed::DEMO_COMPANY_ID));
    assert!(text.contains(",pending"));
    let xlsx = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/compliance", Role::Bappeda)
                .insert_header(("Accept", XLSX)),
        )
        .await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.header("content-type").unwrap(), XLSX);
    assert!(xlsx.raw.starts_with(b"PK"), "an XLSX is a zip");
    let json_preferred = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/compliance", Role::Bappeda)
                .insert_header(("Accept", "text/csv;q=0.5, application/json")),
        )
        .await;
    assert_eq!(
        json_preferred.header("content-type").unwrap(),
        "application/json"
    );
    let xml = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/compliance", Role::Bappeda)
                .insert_header(("Accept", "application/xml")),
        )
        .await;
    assert_problem(&xml, 406, "not_acceptable");
}

#[actix_web::test]
async fn coverage_counts_per_kecamatan_per_desa_and_for_one_desa() {
    let app = TestApp::spawn().await;
    let kec = app.registry(80).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 2).await;
    assert_eq!(app.verify(&p.targets[0], "eligible").await.status, 201);
    assert_eq!(app.verify(&p.targets[1], "ineligible").await.status, 201);
    let all = app.get("/api/v1/cycles/2027/coverage", Role::Viewer).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 20, "one row per kecamatan");
    let active = app
        .get("/api/v1/households?status=active&per_page=1", Role::Bappeda)
        .await;
    assert_eq!(all.body["totals"]["households"], active.body["total"]);
    let extreme = app
        .get(
            "/api/v1/households?status=active&extreme=true&per_page=1",
            Role::Bappeda,
        )
        .await;
    assert_eq!(all.body["totals"]["extreme_poor"], extreme.body["total"]);
    assert_eq!(all.body["totals"]["targeted"], 2);
    assert_eq!(all.body["totals"]["verified_eligible"], 1);
    assert_eq!(all.body["totals"]["served"], 0);
    let row = items
        .iter()
        .find(|r| r["region_code"] == kec.as_str())
        .unwrap();
    assert_eq!(row["targeted"], 2);
    assert_eq!(row["budget"], 500_000_000);
    assert_eq!(
        row["unreached_link"],
        format!("/api/v1/households?region={kec}&extreme=true&status=active&not_targeted_in=2027")
    );
    // The link lists exactly the unreached extreme-poor families.
    let link = row["unreached_link"].as_str().unwrap().to_string();
    let unreached = app.get(&format!("{link}&per_page=1"), Role::Bappeda).await;
    assert_eq!(unreached.status, 200, "{}", unreached.body);
    assert_eq!(unreached.body["total"], row["extreme_poor_unreached"]);
    assert_eq!(all.body["budget"]["total"], 500_000_000);
    assert_eq!(all.body["budget"]["by_type"][0]["key"], "housing");
    assert_eq!(all.body["budget"]["by_sector"][0]["key"], "plantation");
    assert_eq!(all.body["budget"]["by_strategy"][0]["key"], "reduce_burden");
    // One kecamatan: its desa; unreached = extreme poor minus reached extreme poor.
    let desa_rows = app
        .get(
            &format!(
                "/api/v1/cycles/2027/coverage?region={}",
                kec.replace('.', "")
            ),
            Role::Bappeda,
        )
        .await;
    assert_eq!(desa_rows.status, 200, "{}", desa_rows.body);
    assert_eq!(desa_rows.body["region"]["code"], kec.as_str());
    let desa = desa_rows.body["items"].as_array().unwrap();
    assert!(desa.iter().all(|r| r["region_code"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{kec}."))));
    assert_eq!(desa_rows.body["totals"]["households"], row["households"]);
    assert_eq!(
        desa_rows.body["totals"]["extreme_poor_unreached"],
        row["extreme_poor_unreached"]
    );
    let one = desa
        .iter()
        .find(|r| r["targeted"].as_i64().unwrap() > 0)
        .unwrap();
    let code = one["region_code"].as_str().unwrap();
    let single = app
        .get(
            &format!("/api/v1/cycles/2027/coverage?region={code}"),
            Role::Opd,
        )
        .await;
    assert_eq!(single.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(single.body["items"][0]["targeted"], one["targeted"]);
    assert_eq!(
        single.body["budget"]["total"], 500_000_000,
        "the program's kecamatan contains the desa"
    );
    // Another kecamatan is not in the program's region.
    let elsewhere = items
        .iter()
        .find(|r| r["region_code"] != kec.as_str())
        .unwrap();
    assert_eq!(elsewhere["budget"], 0);
}

#[actix_web::test]
async fn coverage_roles_formats_and_bad_regions() {
    let app = TestApp::spawn().await;
    app.calendar(1, 2, 3, 4).await;
    assert_problem(
        &app.get("/api/v1/cycles/2027/coverage", Role::Company).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/api/v1/cycles/2027/coverage?region=99.99", Role::Bappeda)
            .await,
        400,
        "invalid_parameter",
    );
    assert_problem(
        &app.get("/api/v1/cycles/2030/coverage", Role::Bappeda).await,
        404,
        "not_found",
    );
    let kab = app
        .get("/api/v1/cycles/2027/coverage?region=64.02", Role::Bupati)
        .await;
    assert_eq!(kab.body["items"].as_array().unwrap().len(), 20);
    let csv = app
        .send(
            app.req(
                Method::GET,
                "/api/v1/cycles/2027/coverage?region=64.02.06",
                Role::Bappeda,
            )
            .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.raw.clone()).unwrap();
    assert!(
        text.starts_with("region_code,region_name,region_level,households"),
        "{text}"
    );
    assert!(text.lines().count() > 2);
    let xlsx = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/coverage", Role::Bappeda)
                .insert_header(("Accept", XLSX)),
        )
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.raw.starts_with(b"PK"));
    let pdf = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/coverage", Role::Bappeda)
                .insert_header(("Accept", "application/pdf")),
        )
        .await;
    assert_problem(&pdf, 406, "not_acceptable");
}

#[actix_web::test]
async fn a_report_says_its_answer_varies_by_accept() {
    let app = TestApp::spawn().await;
    app.calendar(10, 20, 30, 40).await;
    for accept in ["application/json", "text/csv", XLSX] {
        let r = app
            .send(
                app.req(Method::GET, "/api/v1/cycles/2027/compliance", Role::Bappeda)
                    .insert_header(("Accept", accept)),
            )
            .await;
        assert_eq!(r.status, 200, "{accept}");
        let vary: Vec<String> = r
            .headers
            .get_all("vary")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
            .collect();
        assert!(vary.iter().any(|v| v == "accept"), "{accept}: {vary:?}");
    }
    // A list chosen by nothing but its query does not claim to vary.
    let list = app.get("/api/v1/regions?per_page=1", Role::Bappeda).await;
    assert!(list
        .header("vary")
        .is_none_or(|v| !v.to_ascii_lowercase().contains("accept")));
}
