//! The whole yearly cycle in one test, through HTTP only: the registry is
//! imported; company A proposes, is consolidated, takes recommended targets,
//! has them verified and signs with its agency; company B is exempted by the
//! Bupati; company C does nothing. After the deadline the compliance report
//! and the coverage report say so. Then A's program runs: deliveries with
//! evidence, confirmed by the agency, the program completed; A's realisation
//! report is submitted, sent back, resubmitted and approved; the realisation
//! of the cycle and the public summary show it. The calendar is moved
//! through the API to make each window current (relative to today in WITA);
//! nothing sleeps.

// Helpers panic on a broken setup: that is a test failure, as in the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{day, Resp, TestApp};
use rbpk::domain::role::Role;
use serde_json::{json, Value};

async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut req = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")));
    if let Some(b) = body {
        req = req.set_json(b);
    }
    app.send(req).await
}

#[track_caller]
fn ok(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status.as_u16(), status, "{what}: {}", resp.body);
}

#[actix_web::test]
async fn the_yearly_cycle_from_import_to_compliance_and_coverage() {
    let app = TestApp::spawn().await;
    let bappeda = app.token(Role::Bappeda);

    // The registry: a synthetic P3KE export, families then members.
    let files = common::demo_files(120, 11);
    let families = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(families.body["status"], "done", "{}", families.body);
    let members = app.import("p3ke", "text/csv", &files.members_csv).await;
    assert_eq!(members.body["status"], "done", "{}", members.body);
    let first_poor = app
        .get(
            "/api/v1/households?extreme=true&status=active&per_page=1",
            Role::Bappeda,
        )
        .await;
    let kecamatan = first_poor.body["items"][0]["region_code"].as_str().unwrap()[..8].to_string();

    // The cycle, with the proposal window open.
    app.calendar(1, 2, 3, 4).await;

    // Three companies registered by Bappeda.
    let mut ids = Vec::new();
    for (name, nib, sector) in [
        ("PT Sawit Mahakam A", "8120100000001", "plantation"),
        ("PT Batubara Kutai B", "8120100000002", "mining"),
        ("CV Niaga Tenggarong C", "8120100000003", "other"),
    ] {
        let r = call(&app, Method::POST, "/api/v1/companies", &bappeda, Some(json!({
            "name": name, "legal_form": "pt", "nib": nib, "sector": sector, "working_area": [kecamatan]}))).await;
        ok(&r, 201, "company");
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let (a, b, c) = (ids[0].clone(), ids[1].clone(), ids[2].clone());

    // Company A's officer gets an account and logs in.
    let user = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "csr.sawit-a", "password": "sawit-a-rahasia-2027",
            "role": "company", "company_id": a}),
        )
        .await;
    ok(&user, 201, "user");
    let login = app
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/token")
                .set_json(json!({"username": "csr.sawit-a", "password": "sawit-a-rahasia-2027"})),
        )
        .await;
    ok(&login, 200, "login");
    let company_a = login.body["access_token"].as_str().unwrap().to_string();
    let perkim = app.token_for("kabid.perkim", Role::Opd, None, Some("PERKIM"));
    let verifier = app.token(Role::Verifier);

    // A proposes a housing program inside the proposal window.
    let program = call(
        &app,
        Method::POST,
        "/api/v1/programs",
        &company_a,
        Some(json!({
        "cycle_year": 2027, "title": "Bedah rumah tidak layak huni", "type": "housing",
        "strategy": "reduce_burden", "budget": 750_000_000, "opd_code": "PERKIM"})),
    )
    .await;
    ok(&program, 201, "program");
    let pid = program.body["id"].as_str().unwrap().to_string();
    let transitions = format!("/api/v1/programs/{pid}/transitions");
    ok(
        &call(
            &app,
            Method::POST,
            &transitions,
            &company_a,
            Some(json!({"action": "submit"})),
        )
        .await,
        200,
        "submit",
    );

    // Proposals close; verification opens today; Bappeda consolidates.
    app.calendar(-1, 0, 1, 2).await;
    let consolidated = call(
        &app,
        Method::POST,
        &transitions,
        &bappeda,
        Some(json!({"action": "consolidate"})),
    )
    .await;
    ok(&consolidated, 200, "consolidate");
    assert_eq!(consolidated.body["status"], "consolidated");

    // A takes the three households recommended first.
    let recs = call(
        &app,
        Method::GET,
        &format!("/api/v1/programs/{pid}/recommendations?limit=3"),
        &company_a,
        None,
    )
    .await;
    ok(&recs, 200, "recommendations");
    let recs = recs.body.as_array().unwrap().clone();
    assert_eq!(recs.len(), 3);
    assert_eq!(
        recs[0]["household"]["extreme_poor"], true,
        "extreme poor first"
    );
    let mut targets = Vec::new();
    for rec in &recs {
        let t = call(
            &app,
            Method::POST,
            &format!("/api/v1/programs/{pid}/targets"),
            &company_a,
            Some(json!({"household_id": rec["household"]["id"], "planned_value": 250_000_000})),
        )
        .await;
        ok(&t, 201, "target");
        targets.push(t.body["id"].as_str().unwrap().to_string());
    }

    // The field team verifies them inside the verification window.
    for (i, target) in targets.iter().enumerate() {
        let v = call(&app, Method::POST, "/api/v1/verifications", &verifier, Some(json!({
            "target_id": target, "visited_on": day(0), "result": "eligible",
            "notes": format!("Kunjungan {i}: atap dan dinding rusak."), "latitude": -0.43, "longitude": 116.98}))).await;
        ok(&v, 201, "verification");
    }
    let read = call(
        &app,
        Method::GET,
        &format!("/api/v1/programs/{pid}"),
        &company_a,
        None,
    )
    .await;
    assert_eq!(read.body["status"], "verified");
    let seen = call(
        &app,
        Method::GET,
        &format!("/api/v1/verifications?program_id={pid}"),
        &company_a,
        None,
    )
    .await;
    assert_eq!(seen.body["total"], 3, "A reads the visits of its program");

    // A and the lead agency sign: the program is agreed.
    let sig = json!({"agreement_number": "PKS/017/BAPPEDA/XII/2026", "signed_on": day(0)});
    let signed = call(
        &app,
        Method::POST,
        &format!("/api/v1/programs/{pid}/signatures"),
        &company_a,
        Some(sig.clone()),
    )
    .await;
    ok(&signed, 200, "company signs");
    let agreed = call(
        &app,
        Method::POST,
        &format!("/api/v1/programs/{pid}/signatures"),
        &perkim,
        Some(sig),
    )
    .await;
    ok(&agreed, 200, "opd signs");
    assert_eq!(agreed.body["status"], "agreed");

    // B files an exemption letter with its scan; Bappeda recommends; the Bupati accepts.
    let company_b = app.token_for("csr.batubara-b", Role::Company, Some(&b), None);
    let letter = call(&app, Method::POST, "/api/v1/exemption-letters", &company_b, Some(json!({
        "cycle_year": 2027, "letter_number": "012/BKB/XI/2026", "letter_date": day(-3),
        "reason_category": "not_operating", "reason": "Tambang berhenti beroperasi sejak Juni 2026."}))).await;
    ok(&letter, 201, "letter");
    let lid = letter.body["id"].as_str().unwrap().to_string();
    let pdf = app
        .send(
            TestRequest::put()
                .uri(&format!("/api/v1/exemption-letters/{lid}/document"))
                .insert_header(("Authorization", format!("Bearer {company_b}")))
                .insert_header(("Content-Type", "application/pdf"))
                .set_payload(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec()),
        )
        .await;
    assert!(pdf.status.is_success(), "document: {}", pdf.body);
    ok(
        &app.post(
            &format!("/api/v1/exemption-letters/{lid}/review"),
            Role::Bappeda,
            json!({"recommendation": "accept", "note": "Bukti penghentian operasi lengkap."}),
        )
        .await,
        200,
        "review",
    );
    ok(
        &app.post(
            &format!("/api/v1/exemption-letters/{lid}/decision"),
            Role::Bupati,
            json!({"decision": "accepted", "note": "Disetujui."}),
        )
        .await,
        200,
        "decision",
    );

    // Before the deadline C is still pending.
    let before = app
        .get("/api/v1/cycles/2027/compliance", Role::Bappeda)
        .await;
    let state_of = |report: &Value, id: &str| {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["company_id"] == id)
            .map(|r| r["state"].clone())
            .unwrap()
    };
    assert_eq!(state_of(&before.body, &c), "pending");

    // After the agreement deadline.
    app.calendar(-5, -4, -3, -1).await;
    let report = app
        .get("/api/v1/cycles/2027/compliance", Role::Bupati)
        .await;
    ok(&report, 200, "compliance");
    assert_eq!(state_of(&report.body, &a), "compliant");
    assert_eq!(state_of(&report.body, &b), "exempt");
    assert_eq!(state_of(&report.body, &c), "non_compliant");
    let c_row = report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["company_id"] == c.as_str())
        .unwrap();
    assert_eq!(c_row["obliged"], false, "sector other is informational");

    // Coverage counts A's families as targeted and verified.
    let coverage = app
        .get(
            &format!("/api/v1/cycles/2027/coverage?region={kecamatan}"),
            Role::Viewer,
        )
        .await;
    ok(&coverage, 200, "coverage");
    assert_eq!(coverage.body["totals"]["targeted"], 3);
    assert_eq!(coverage.body["totals"]["verified_eligible"], 3);
    assert_eq!(coverage.body["budget"]["total"], 750_000_000);
    let extreme_targets = recs
        .iter()
        .filter(|r| r["household"]["extreme_poor"] == true)
        .count() as i64;
    assert_eq!(
        coverage.body["totals"]["extreme_poor_unreached"]
            .as_i64()
            .unwrap(),
        coverage.body["totals"]["extreme_poor"].as_i64().unwrap() - extreme_targets
    );

    delivery_to_public_summary(
        &app, &pid, &targets, &company_a, &perkim, &a, &b, &kecamatan,
    )
    .await;
}

/// The cycle after the agreement (issue 15): A's agreed program with three
/// eligible targets runs, delivers and is reported on.
#[allow(clippy::too_many_arguments)]
async fn delivery_to_public_summary(
    app: &TestApp,
    pid: &str,
    targets: &[String],
    company_a: &str,
    perkim: &str,
    a: &str,
    b: &str,
    kecamatan: &str,
) {
    let transitions = format!("/api/v1/programs/{pid}/transitions");
    let start = call(
        app,
        Method::POST,
        &transitions,
        company_a,
        Some(json!({"action": "start"})),
    )
    .await;
    ok(&start, 200, "start");
    assert_eq!(start.body["status"], "running");

    // A delivers to each family; the handover is shown by a photo and a signed receipt.
    let mut deliveries = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let d = call(app, Method::POST, &format!("/api/v1/programs/{pid}/targets/{target}/deliveries"),
            company_a, Some(json!({"delivered_on": day(0), "item": "Paket bahan bangunan", "quantity": 1,
                "unit": "paket", "value": 200_000_000 + i as i64, "handover_number": format!("BAST/{i}/2027")}))).await;
        ok(&d, 201, "delivery");
        deliveries.push(d.body["id"].as_str().unwrap().to_string());
    }
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    for (content_type, bytes) in [("image/png", common::png()), ("application/pdf", pdf)] {
        let e = app
            .send(
                app.req_as(
                    Method::POST,
                    &format!("/api/v1/deliveries/{}/evidence", deliveries[0]),
                    company_a,
                )
                .insert_header(("content-type", content_type))
                .set_payload(bytes),
            )
            .await;
        ok(&e, 201, "evidence");
    }
    // The lead agency confirms: each family is served, its realised value recorded.
    for d in &deliveries {
        let c = call(
            app,
            Method::POST,
            &format!("/api/v1/deliveries/{d}/confirm"),
            perkim,
            Some(json!({})),
        )
        .await;
        ok(&c, 200, "confirm");
    }
    let delivered = call(
        app,
        Method::GET,
        &format!("/api/v1/deliveries/{}", deliveries[0]),
        company_a,
        None,
    )
    .await;
    assert_eq!(
        delivered.body["evidence"].as_array().unwrap().len(),
        2,
        "{}",
        delivered.body
    );
    let complete = call(
        app,
        Method::POST,
        &transitions,
        perkim,
        Some(json!({"action": "complete"})),
    )
    .await;
    ok(&complete, 200, "complete");
    assert_eq!(complete.body["status"], "completed");

    // A reports the first quarter; Bappeda sends it back once, then approves.
    let report = call(
        app,
        Method::POST,
        "/api/v1/realisation-reports",
        company_a,
        Some(json!({"period": "2027-Q1", "notes": "Bedah rumah tiga keluarga."})),
    )
    .await;
    ok(&report, 201, "report");
    assert_eq!(report.body["status"], "draft");
    assert_eq!(
        report.body["realised_value"],
        Value::Null,
        "no figures before submission"
    );
    let rid = report.body["id"].as_str().unwrap().to_string();
    let submitted = call(
        app,
        Method::POST,
        &format!("/api/v1/realisation-reports/{rid}/submit"),
        company_a,
        Some(json!({})),
    )
    .await;
    ok(&submitted, 200, "submit report");
    let realised = 3 * 200_000_000 + 3;
    assert_eq!(submitted.body["status"], "submitted");
    assert_eq!(submitted.body["planned_budget"], 750_000_000);
    assert_eq!(submitted.body["realised_value"], realised);
    assert_eq!(submitted.body["households_planned"], 3);
    assert_eq!(submitted.body["households_served"], 3);
    assert!(submitted.body["desa_reached"].as_i64().unwrap() >= 1);
    assert_eq!(submitted.body["programs"][0]["program_id"], pid);
    assert_eq!(submitted.body["due_on"], "2027-04-10");
    let review = format!("/api/v1/realisation-reports/{rid}/review");
    let back = app
        .post(
            &review,
            Role::Bappeda,
            json!({"decision": "request_revision", "note": "Lampirkan BAST."}),
        )
        .await;
    ok(&back, 200, "request revision");
    assert_eq!(back.body["status"], "needs_revision");
    ok(
        &call(
            app,
            Method::POST,
            &format!("/api/v1/realisation-reports/{rid}/submit"),
            company_a,
            Some(json!({"notes": "BAST terlampir."})),
        )
        .await,
        200,
        "resubmit",
    );
    let approved = app
        .post(&review, Role::Bappeda, json!({"decision": "approve"}))
        .await;
    ok(&approved, 200, "approve");
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["notes"], "BAST terlampir.");

    // The realisation of the cycle: A's approved quarter beside its plan; B
    // (obliged, exempt) listed with nothing filed; A sees only its own rows.
    let table = app
        .get("/api/v1/cycles/2027/realisation", Role::Bupati)
        .await;
    ok(&table, 200, "realisation");
    let rows = table.body["items"].as_array().unwrap();
    let row = |company: &str, period: &str| {
        rows.iter()
            .find(|r| r["company_id"] == company && r["period"] == period)
            .unwrap_or_else(|| panic!("no row {company} {period}: {}", table.body))
            .clone()
    };
    let q1 = row(a, "2027-Q1");
    assert_eq!(q1["report_status"], "approved");
    assert_eq!(q1["realised_value"], realised);
    assert_eq!(q1["planned_budget"], 750_000_000);
    assert_eq!(q1["late"], false);
    assert_eq!(row(a, "2027-Q2")["report_status"], Value::Null);
    assert_eq!(row(a, "2027")["planned_budget"], 750_000_000);
    assert_eq!(row(b, "2027-Q1")["report_status"], Value::Null);
    assert_eq!(rows.len() % 5, 0, "five periods per company");
    let own = call(
        app,
        Method::GET,
        "/api/v1/cycles/2027/realisation",
        company_a,
        None,
    )
    .await;
    ok(&own, 200, "own realisation");
    assert!(own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["company_id"] == a));
    assert_eq!(own.body["items"].as_array().unwrap().len(), 5);
    let csv = app
        .send(
            app.req(
                Method::GET,
                "/api/v1/cycles/2027/realisation",
                Role::Bappeda,
            )
            .insert_header(("accept", "text/csv")),
        )
        .await;
    ok(&csv, 200, "realisation csv");
    let text = String::from_utf8(csv.raw.clone()).unwrap();
    assert!(
        text.starts_with("company_id,company_name,period,due_on,"),
        "{text}"
    );
    assert!(
        text.contains(&format!(",2027-Q1,2027-04-10,{rid},approved,")),
        "{text}"
    );
    let xlsx = app
        .send(
            app.req(
                Method::GET,
                "/api/v1/cycles/2027/realisation",
                Role::Bappeda,
            )
            .insert_header((
                "accept",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )),
        )
        .await;
    ok(&xlsx, 200, "realisation xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.raw.clone())).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().to_string()).collect();
    for sheet in 1..=5 {
        assert!(
            names.contains(&format!("xl/worksheets/sheet{sheet}.xml")),
            "{names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("xl/charts/chart")),
        "a chart per period: {names:?}"
    );
    let mut workbook = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut workbook)
        .unwrap();
    assert!(
        workbook.contains("name=\"2027-Q1\"") && workbook.contains("name=\"2027\""),
        "{workbook}"
    );

    // The public summary, with no token: A's money and compliance, the
    // kecamatan's families, its three targets as "<5".
    let summary = app.get_anonymous("/api/v1/public/summary?cycle=2027").await;
    ok(&summary, 200, "public summary");
    assert_eq!(
        summary.header("cache-control").as_deref(),
        Some("public, max-age=300")
    );
    let company = summary.body["companies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["company_name"] == "PT Sawit Mahakam A")
        .unwrap()
        .clone();
    assert_eq!(company["realised_value"], realised);
    assert_eq!(company["planned_budget"], 750_000_000);
    assert_eq!(company["compliance_state"], "compliant");
    assert_eq!(company["programs"], "<5");
    let kec = summary.body["kecamatan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == kecamatan)
        .unwrap()
        .clone();
    assert_eq!(kec["targeted"], "<5");
    assert_eq!(kec["served"], "<5");
    assert!(kec["families"].as_i64().unwrap() >= 5, "{kec}");
    let text = summary.body.to_string();
    assert!(
        !text.contains("kk_number") && !text.contains("nik") && !text.contains("head_name"),
        "{text}"
    );
    let etag = summary.header("etag").unwrap();
    let again = app
        .send(
            TestRequest::get()
                .uri("/api/v1/public/summary?cycle=2027")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(again.status.as_u16(), 304);
    assert_eq!(again.header("etag"), Some(etag));
    let long = app
        .send(
            TestRequest::get()
                .uri("/api/v1/public/summary?cycle=2027")
                .insert_header(("if-none-match", "0".repeat(201))),
        )
        .await;
    common::assert_problem(&long, 400, "invalid_header");
}
