//! Exemption letters: filing, review, decision, withdrawal, one active letter
//! per company and cycle, privacy between companies, the scanned letter, and
//! the audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, Resp, TestApp};
use rbpk::db::seed::DEMO_COMPANY_ID;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn letter() -> Value {
    json!({
        "cycle_year": 2027, "letter_number": "045/MSL-CSR/XI/2025", "letter_date": "2025-11-20",
        "reason_category": "financial_hardship",
        "reason": "Harga TBS turun; perusahaan merugi dua tahun berturut-turut."
    })
}

/// A fresh app with cycle 2027.
async fn app_with_cycle() -> TestApp {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/v1/cycles", Role::Bappeda, json!({"year": 2027}))
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    app
}

/// Files the demo company's letter; returns its id.
async fn file(app: &TestApp) -> String {
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, letter())
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body["id"].as_str().unwrap_or_default().to_string()
}

fn path(id: &str, tail: &str) -> String {
    format!("/api/v1/exemption-letters/{id}{tail}")
}

async fn review(app: &TestApp, id: &str, recommendation: &str) -> Resp {
    app.post(
        &path(id, "/review"),
        Role::Bappeda,
        json!({"recommendation": recommendation, "note": "Laporan keuangan terlampir."}),
    )
    .await
}

async fn decide(app: &TestApp, id: &str, decision: &str) -> Resp {
    app.post(
        &path(id, "/decision"),
        Role::Bupati,
        json!({"decision": decision, "note": "Sesuai rekomendasi Bappeda."}),
    )
    .await
}

async fn withdraw(app: &TestApp, id: &str) -> Resp {
    app.post(&path(id, "/withdraw"), Role::Company, json!({}))
        .await
}

async fn upload(app: &TestApp, id: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    app.send(
        app.req(Method::PUT, &path(id, "/document"), Role::Company)
            .insert_header(("Content-Type", content_type.to_string()))
            .set_payload(bytes),
    )
    .await
}

/// A token of a second company (registered by Bappeda); returns it and the id.
async fn other_company(app: &TestApp) -> (String, String) {
    let resp = app
        .post(
            "/api/v1/companies",
            Role::Bappeda,
            json!({"name": "PT Bara Kutai Energi", "legal_form": "pt", "nib": "8120104567890", "sector": "mining"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.body["id"].as_str().unwrap_or_default().to_string();
    (app.token_for("other", Role::Company, Some(&id), None), id)
}

async fn as_token(app: &TestApp, method: Method, path: &str, token: &str) -> Resp {
    app.send(
        actix_web::test::TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .set_json(json!({})),
    )
    .await
}

#[actix_web::test]
async fn a_company_files_a_letter_for_its_own_company() {
    let app = app_with_cycle().await;
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, letter())
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.body["id"].as_str().unwrap();
    assert_eq!(resp.header("location").unwrap(), path(id, ""));
    assert_eq!(resp.etag(), "\"1\"");
    assert_eq!(resp.body["company_id"], DEMO_COMPANY_ID);
    assert_eq!(resp.body["cycle_year"], 2027);
    assert_eq!(resp.body["status"], "submitted");
    assert_eq!(resp.body["reason_category"], "financial_hardship");
    assert_eq!(resp.body["has_document"], false);
    assert!(resp.body["review_recommendation"].is_null());
    assert!(resp.body.get("document").is_none());
    let read = app.get(&path(id, ""), Role::Bupati).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, resp.body);
}

#[actix_web::test]
async fn filing_for_a_cycle_that_does_not_exist_is_422() {
    let app = app_with_cycle().await;
    let mut body = letter();
    body["cycle_year"] = json!(2031);
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, body)
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "cycle_year");
}

#[actix_web::test]
async fn an_empty_reason_and_a_future_date_are_422() {
    let app = app_with_cycle().await;
    let mut body = letter();
    body["reason"] = json!("  ");
    body["letter_date"] = json!("2999-01-01");
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, body)
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["reason", "letter_date"]);
}

#[actix_web::test]
async fn only_a_company_files_and_names_no_other_company() {
    let app = app_with_cycle().await;
    for role in [Role::Bappeda, Role::Admin, Role::Bupati, Role::Viewer] {
        let resp = app.post("/api/v1/exemption-letters", role, letter()).await;
        assert_problem(&resp, 403, "forbidden");
    }
    let mut body = letter();
    body["company_id"] = json!("someone-else");
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, body)
        .await;
    assert_problem(&resp, 400, "invalid_body");
}

#[actix_web::test]
async fn a_letter_is_reviewed_then_accepted_and_every_step_is_audited() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = review(&app, &id, "accept").await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "reviewed");
    assert_eq!(resp.body["review_recommendation"], "accept");
    assert_eq!(resp.body["review_note"], "Laporan keuangan terlampir.");
    assert_eq!(resp.body["reviewed_by"], "bappeda");
    assert!(resp.body["reviewed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(resp.etag(), "\"2\"");

    let resp = decide(&app, &id, "accepted").await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "accepted");
    assert_eq!(resp.body["decision_note"], "Sesuai rekomendasi Bappeda.");
    assert_eq!(resp.body["decided_by"], "bupati");

    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=exemption_letter&entity_id={id}"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(audit.status, 200);
    let steps: Vec<(String, Value, Value)> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["before"]["status"].clone(),
                e["after"]["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("accept".into(), json!("reviewed"), json!("accepted")),
            ("review".into(), json!("submitted"), json!("reviewed")),
            ("create".into(), Value::Null, json!("submitted")),
        ]
    );
}

#[actix_web::test]
async fn a_reviewed_letter_can_be_rejected() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    assert_eq!(review(&app, &id, "reject").await.status, 200);
    let resp = decide(&app, &id, "rejected").await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "rejected");
    assert_eq!(resp.body["review_recommendation"], "reject");
}

#[actix_web::test]
async fn each_step_only_from_its_status_and_by_its_role() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    // The Bupati cannot decide before Bappeda reviewed.
    let resp = decide(&app, &id, "accepted").await;
    assert_problem(&resp, 409, "invalid_transition");
    assert_eq!(resp.body["letter_status"], "submitted");
    // Reviewing is Bappeda's, deciding the Bupati's; admins do neither.
    let resp = app
        .post(
            &path(&id, "/review"),
            Role::Bupati,
            json!({"recommendation": "accept", "note": "x"}),
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
    let resp = app
        .post(
            &path(&id, "/review"),
            Role::Admin,
            json!({"recommendation": "accept", "note": "x"}),
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
    assert_eq!(review(&app, &id, "accept").await.status, 200);
    // A second review is out of order.
    assert_problem(
        &review(&app, &id, "reject").await,
        409,
        "invalid_transition",
    );
    let resp = app
        .post(
            &path(&id, "/decision"),
            Role::Bappeda,
            json!({"decision": "accepted"}),
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
}

#[actix_web::test]
async fn a_review_needs_a_note() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = app
        .post(
            &path(&id, "/review"),
            Role::Bappeda,
            json!({"recommendation": "accept", "note": ""}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "note");
}

#[actix_web::test]
async fn a_stale_if_match_on_a_step_is_412() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    assert_eq!(review(&app, &id, "accept").await.status, 200);
    let resp = app
        .send(
            app.req(Method::POST, &path(&id, "/decision"), Role::Bupati)
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"decision": "accepted"})),
        )
        .await;
    assert_problem(&resp, 412, "stale_etag");
    let resp = app
        .send(
            app.req(Method::POST, &path(&id, "/decision"), Role::Bupati)
                .insert_header(("If-Match", "\"2\""))
                .set_json(json!({"decision": "accepted"})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
}

#[actix_web::test]
async fn a_company_withdraws_before_the_decision() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    assert_eq!(review(&app, &id, "reject").await.status, 200);
    let resp = withdraw(&app, &id).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "withdrawn");
    // Withdrawn is final.
    assert_problem(&withdraw(&app, &id).await, 409, "invalid_transition");
    assert_problem(
        &review(&app, &id, "accept").await,
        409,
        "invalid_transition",
    );
}

#[actix_web::test]
async fn withdrawing_after_the_decision_is_409() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    assert_eq!(review(&app, &id, "accept").await.status, 200);
    assert_eq!(decide(&app, &id, "accepted").await.status, 200);
    let resp = withdraw(&app, &id).await;
    assert_problem(&resp, 409, "invalid_transition");
    assert_eq!(resp.body["letter_status"], "accepted");
    let resp = app
        .post(&path(&id, "/withdraw"), Role::Bappeda, json!({}))
        .await;
    assert_problem(&resp, 403, "forbidden");
}

#[actix_web::test]
async fn a_second_active_letter_is_409_until_the_first_is_withdrawn() {
    let app = app_with_cycle().await;
    let first = file(&app).await;
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, letter())
        .await;
    assert_problem(&resp, 409, "exemption_letter_exists");
    assert_eq!(resp.body["existing_letter_id"], first.as_str());
    assert_eq!(withdraw(&app, &first).await.status, 200);
    let second = file(&app).await;
    assert_ne!(second, first);
    // Another cycle is another matter.
    let resp = app
        .post("/api/v1/cycles", Role::Bappeda, json!({"year": 2028}))
        .await;
    assert_eq!(resp.status, 201);
    let mut body = letter();
    body["cycle_year"] = json!(2028);
    let resp = app
        .post("/api/v1/exemption-letters", Role::Company, body)
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
}

#[actix_web::test]
async fn a_rejected_letter_does_not_block_a_new_one() {
    let app = app_with_cycle().await;
    let first = file(&app).await;
    assert_eq!(review(&app, &first, "reject").await.status, 200);
    assert_eq!(decide(&app, &first, "rejected").await.status, 200);
    file(&app).await;
}

#[actix_web::test]
async fn another_company_cannot_see_or_touch_the_letter() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let (token, other_id) = other_company(&app).await;
    let missing = as_token(&app, Method::GET, &path("no-such-id", ""), &token).await;
    let foreign = as_token(&app, Method::GET, &path(&id, ""), &token).await;
    assert_problem(&foreign, 404, "not_found");
    assert_eq!(foreign.body, missing.body);
    assert_problem(
        &as_token(&app, Method::POST, &path(&id, "/withdraw"), &token).await,
        404,
        "not_found",
    );
    assert_problem(
        &as_token(&app, Method::GET, &path(&id, "/document"), &token).await,
        404,
        "not_found",
    );
    let list = as_token(&app, Method::GET, "/api/v1/exemption-letters", &token).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["total"], 0);
    let list = as_token(
        &app,
        Method::GET,
        &format!("/api/v1/exemption-letters?company_id={DEMO_COMPANY_ID}"),
        &token,
    )
    .await;
    assert_eq!(list.body["total"], 0);
    // Its own letter it sees; the demo company does not see that one.
    let resp = app
        .send(
            actix_web::test::TestRequest::post()
                .uri("/api/v1/exemption-letters")
                .insert_header(("Authorization", format!("Bearer {token}")))
                .set_json(letter()),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["company_id"], other_id.as_str());
    let demo_list = app.get("/api/v1/exemption-letters", Role::Company).await;
    assert_eq!(demo_list.body["total"], 1);
    assert_eq!(demo_list.body["items"][0]["id"], id.as_str());
}

#[actix_web::test]
async fn readers_are_bappeda_bupati_admin_and_the_company() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    for role in [Role::Bappeda, Role::Bupati, Role::Admin, Role::Company] {
        assert_eq!(app.get(&path(&id, ""), role).await.status, 200, "{role}");
    }
    for role in [Role::Viewer, Role::Opd, Role::Verifier] {
        assert_problem(&app.get(&path(&id, ""), role).await, 403, "forbidden");
        assert_problem(
            &app.get("/api/v1/exemption-letters", role).await,
            403,
            "forbidden",
        );
    }
}

#[actix_web::test]
async fn the_list_filters_by_cycle_company_and_status() {
    let app = app_with_cycle().await;
    let first = file(&app).await;
    assert_eq!(withdraw(&app, &first).await.status, 200);
    let second = file(&app).await;
    let get = |q: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/exemption-letters?{q}"), Role::Bappeda)
                .await
        }
    };
    assert_eq!(get("cycle=2027".into()).await.body["total"], 2);
    assert_eq!(get("cycle=2028".into()).await.body["total"], 0);
    let submitted = get("status=submitted".into()).await;
    assert_eq!(submitted.body["total"], 1);
    assert_eq!(submitted.body["items"][0]["id"], second.as_str());
    assert_eq!(
        get(format!("company_id={DEMO_COMPANY_ID}&status=withdrawn"))
            .await
            .body["items"][0]["id"],
        first.as_str()
    );
    assert_problem(&get("status=lost".into()).await, 400, "invalid_query");
}

#[actix_web::test]
async fn an_uploaded_pdf_is_returned_byte_for_byte() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = upload(&app, &id, "application/pdf", PDF.to_vec()).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["has_document"], true);
    assert_eq!(resp.body["document_size"], PDF.len());
    assert_eq!(resp.etag(), "\"2\"");
    for role in [Role::Company, Role::Bappeda, Role::Bupati] {
        let doc = app.get(&path(&id, "/document"), role).await;
        assert_eq!(doc.status, 200);
        assert_eq!(
            doc.header("content-type").as_deref(),
            Some("application/pdf")
        );
        assert_eq!(doc.raw, PDF);
    }
    // A second upload replaces the first, and is audited as such.
    let mut second = PDF.to_vec();
    second.extend_from_slice(b"% revised\n");
    assert_eq!(
        upload(&app, &id, "application/pdf", second.clone())
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&path(&id, "/document"), Role::Bappeda).await.raw,
        second
    );
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=exemption_letter&entity_id={id}&action=replace_document"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.body["total"], 1, "{}", audit.body);
    assert_eq!(
        audit.body["items"][0]["after"]["document_size"],
        second.len()
    );
    assert_eq!(
        audit.body["items"][0]["after"]["document_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[actix_web::test]
async fn a_letter_without_a_scan_answers_404_no_document() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = app.get(&path(&id, "/document"), Role::Bappeda).await;
    assert_problem(&resp, 404, "no_document");
}

#[actix_web::test]
async fn bytes_that_are_not_a_pdf_are_415() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = upload(&app, &id, "application/pdf", b"GIF89a not a pdf".to_vec()).await;
    assert_problem(&resp, 415, "unsupported_media_type");
    let letter = app.get(&path(&id, ""), Role::Company).await;
    assert_eq!(letter.body["has_document"], false);
}

#[actix_web::test]
async fn another_content_type_is_415() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = upload(&app, &id, "image/png", PDF.to_vec()).await;
    assert_problem(&resp, 415, "unsupported_media_type");
    let resp = upload(&app, &id, "application/pdf; charset=binary", PDF.to_vec()).await;
    assert_eq!(resp.status, 200, "parameters are allowed: {}", resp.body);
}

#[actix_web::test]
async fn a_scan_over_5_mib_is_413() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let mut big = PDF.to_vec();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let resp = upload(&app, &id, "application/pdf", big).await;
    assert_problem(&resp, 413, "payload_too_large");
    let mut exact = PDF.to_vec();
    exact.resize(5 * 1024 * 1024, b' ');
    let resp = upload(&app, &id, "application/pdf", exact).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
}

#[actix_web::test]
async fn only_the_company_uploads_and_only_before_the_decision() {
    let app = app_with_cycle().await;
    let id = file(&app).await;
    let resp = app
        .send(
            app.req(Method::PUT, &path(&id, "/document"), Role::Bappeda)
                .insert_header(("Content-Type", "application/pdf"))
                .set_payload(PDF.to_vec()),
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
    assert_eq!(review(&app, &id, "accept").await.status, 200);
    assert_eq!(
        upload(&app, &id, "application/pdf", PDF.to_vec())
            .await
            .status,
        200
    );
    assert_eq!(decide(&app, &id, "accepted").await.status, 200);
    let resp = upload(&app, &id, "application/pdf", PDF.to_vec()).await;
    assert_problem(&resp, 409, "letter_closed");
    assert_eq!(resp.body["letter_status"], "accepted");
}

#[actix_web::test]
async fn concurrent_filings_leave_exactly_one_active_letter() {
    let app = app_with_cycle().await;
    let attempts = (0..4).map(|_| app.post("/api/v1/exemption-letters", Role::Company, letter()));
    let results = futures_util::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != 201) {
        // PostgreSQL answers the loser with the unique index (409); SQLite
        // serialises writers and may instead ask it to retry (503).
        assert!(
            r.code() == "exemption_letter_exists" || r.status == 503,
            "{}",
            r.body
        );
    }
    let list = app
        .get("/api/v1/exemption-letters?status=submitted", Role::Bappeda)
        .await;
    assert_eq!(list.body["total"], 1);
}

#[actix_web::test]
async fn the_database_itself_refuses_a_second_active_letter() {
    use diesel::result::{DatabaseErrorKind, Error};
    use diesel::RunQueryDsl;
    let app = app_with_cycle().await;
    file(&app).await;
    let mut conn = app.state.pool.get().unwrap();
    let insert = |id: &str, status: &str| {
        format!(
            "INSERT INTO exemption_letters (id, company_id, cycle_year, letter_number, letter_date, \
             reason_category, reason, status, version, created_at, updated_at) VALUES ('{id}', \
             '{DEMO_COMPANY_ID}', 2027, '1', '2025-11-20', 'other', 'x', '{status}', 1, \
             '2026-11-28 00:00:00', '2026-11-28 00:00:00')"
        )
    };
    let err = diesel::sql_query(insert("raw-1", "reviewed"))
        .execute(&mut *conn)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
        ),
        "{err:?}"
    );
    // Inactive letters are not counted.
    diesel::sql_query(insert("raw-2", "withdrawn"))
        .execute(&mut *conn)
        .unwrap();
    diesel::sql_query(insert("raw-3", "rejected"))
        .execute(&mut *conn)
        .unwrap();
}
