//! Companies: registration and validation, filters, what a company may see
//! and change of itself, optimistic locking, and the audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{assert_problem, TestApp};
use rbpk::db::seed::DEMO_COMPANY_ID;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

fn mining_company(nib: &str) -> Value {
    json!({
        "name": "PT Bara Kutai Energi", "legal_form": "pt", "nib": nib, "sector": "mining",
        "address": "Jl. Pesut No. 7, Loa Janan", "contact_name": "Agus Santoso",
        "contact_email": "csr@barakutai.example", "contact_phone": "0812-5555-1234",
        // A 2019 code (now 64.02.19.2001, Kedang Ipil), written without dots.
        "working_area": ["6402082001"]
    })
}

/// Registers a second company as Bappeda; returns its id.
async fn create_other(app: &TestApp) -> String {
    let resp = app
        .post(
            "/api/v1/companies",
            Role::Bappeda,
            mining_company("8120104567890"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body["id"].as_str().unwrap_or_default().to_string()
}

fn demo_path() -> String {
    format!("/api/v1/companies/{DEMO_COMPANY_ID}")
}

fn names(resp: &common::Resp) -> Vec<String> {
    resp.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[actix_web::test]
async fn the_demo_company_is_seeded_with_its_working_area() {
    let app = TestApp::spawn().await;
    let resp = app.get(&demo_path(), Role::Bappeda).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["name"], "PT Mitra Sawit Lestari (demo)");
    assert_eq!(resp.body["sector"], "plantation");
    assert_eq!(resp.body["legal_form"], "pt");
    assert_eq!(resp.body["nib"].as_str().unwrap().len(), 13);
    assert_eq!(resp.body["working_area"], json!(["64.02.06", "64.02.07"]));
    assert_eq!(resp.body["active"], true);
    assert_eq!(resp.etag(), "\"1\"");
}

#[actix_web::test]
async fn bappeda_registers_a_company_and_2019_codes_are_stored_as_current_ones() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/companies",
            Role::Bappeda,
            mining_company("8120104567890"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.body["id"].as_str().unwrap();
    assert_eq!(
        resp.header("location").unwrap(),
        format!("/api/v1/companies/{id}")
    );
    assert_eq!(resp.etag(), "\"1\"");
    assert_eq!(resp.body["working_area"], json!(["64.02.19.2001"]));
    assert_eq!(resp.body["contact_phone"], "0812-5555-1234");
    let read = app
        .get(&format!("/api/v1/companies/{id}"), Role::Bupati)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, resp.body);
}

#[actix_web::test]
async fn only_bappeda_and_admins_register_companies() {
    let app = TestApp::spawn().await;
    for role in [
        Role::Company,
        Role::Bupati,
        Role::Opd,
        Role::Verifier,
        Role::Viewer,
    ] {
        let resp = app
            .post("/api/v1/companies", role, mining_company("8120104567890"))
            .await;
        assert_problem(&resp, 403, "forbidden");
    }
    let resp = app
        .post(
            "/api/v1/companies",
            Role::Admin,
            mining_company("8120104567890"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
}

#[actix_web::test]
async fn a_bad_nib_and_bad_contacts_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let mut body = mining_company("81201045678");
    body["contact_email"] = json!("not-an-email");
    body["contact_phone"] = json!("call me");
    let resp = app.post("/api/v1/companies", Role::Bappeda, body).await;
    assert_problem(&resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["nib", "contact_email", "contact_phone"]);
    assert_eq!(
        resp.body["errors"][0]["message"],
        "must be exactly 13 digits"
    );
}

#[actix_web::test]
async fn an_unknown_working_area_code_is_422() {
    let app = TestApp::spawn().await;
    let mut body = mining_company("8120104567890");
    body["working_area"] = json!(["64.02.06", "64.02.99"]);
    let resp = app.post("/api/v1/companies", Role::Bappeda, body).await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "working_area");
    assert!(resp.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("64.02.99"));
}

#[actix_web::test]
async fn the_kabupaten_is_not_a_working_area() {
    let app = TestApp::spawn().await;
    let mut body = mining_company("8120104567890");
    body["working_area"] = json!(["64.02"]);
    let resp = app.post("/api/v1/companies", Role::Bappeda, body).await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "working_area");
}

#[actix_web::test]
async fn a_duplicate_nib_is_409_nib_taken() {
    let app = TestApp::spawn().await;
    create_other(&app).await;
    let mut body = mining_company("8120104567890");
    body["name"] = json!("PT Lain");
    let resp = app.post("/api/v1/companies", Role::Bappeda, body).await;
    assert_problem(&resp, 409, "nib_taken");
    // The same through PATCH.
    let resp = app
        .patch(
            &demo_path(),
            Role::Bappeda,
            json!({"nib": "8120104567890"}),
            None,
        )
        .await;
    assert_problem(&resp, 409, "nib_taken");
}

#[actix_web::test]
async fn the_list_filters_by_sector_region_active_and_name() {
    let app = TestApp::spawn().await;
    create_other(&app).await;
    let list = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/companies?{q}"), Role::Bappeda)
                .await
        }
    };
    let all = list("").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["total"], 2);
    assert_eq!(
        names(&list("sector=mining").await),
        ["PT Bara Kutai Energi"]
    );
    // A desa inside the demo company's kecamatan finds it …
    assert_eq!(
        names(&list("region=64.02.06.1001").await),
        ["PT Mitra Sawit Lestari (demo)"]
    );
    // … as does the kecamatan of the other company's desa, by its 2019 code.
    assert_eq!(
        names(&list("region=64.02.08.2001").await),
        ["PT Bara Kutai Energi"]
    );
    assert_eq!(
        names(&list("region=64.02.19").await),
        ["PT Bara Kutai Energi"]
    );
    assert_eq!(list("region=64.02").await.body["total"], 2);
    assert_eq!(list("region=64.02.01").await.body["total"], 0);
    assert_eq!(
        names(&list("q=SAWIT").await),
        ["PT Mitra Sawit Lestari (demo)"]
    );
    assert_eq!(list("q=50%25").await.body["total"], 0);
    assert_eq!(list("active=false").await.body["total"], 0);
    assert_eq!(
        list("active=true&per_page=1").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn bad_list_parameters_are_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .get("/api/v1/companies?region=99.99", Role::Bappeda)
        .await;
    assert_problem(&resp, 400, "invalid_parameter");
    let resp = app
        .get("/api/v1/companies?sector=fishing", Role::Bappeda)
        .await;
    assert_problem(&resp, 400, "invalid_query");
    let resp = app.get("/api/v1/companies?nib=1", Role::Bappeda).await;
    assert_problem(&resp, 400, "invalid_query");
}

#[actix_web::test]
async fn a_company_lists_and_reads_only_its_own_company() {
    let app = TestApp::spawn().await;
    let other_id = create_other(&app).await;
    let resp = app.get("/api/v1/companies", Role::Company).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["total"], 1);
    assert_eq!(resp.body["items"][0]["id"], DEMO_COMPANY_ID);
    let resp = app
        .get(&format!("/api/v1/companies/{other_id}"), Role::Company)
        .await;
    assert_problem(&resp, 404, "not_found");
}

#[actix_web::test]
async fn another_company_gets_404_on_the_first_and_lists_only_itself() {
    let app = TestApp::spawn().await;
    let other_id = create_other(&app).await;
    let token = app.token_for("other", Role::Company, Some(&other_id), None);
    let get = |path: String| {
        let token = token.clone();
        let app = &app;
        async move {
            app.send(
                actix_web::test::TestRequest::get()
                    .uri(&path)
                    .insert_header(("Authorization", format!("Bearer {token}"))),
            )
            .await
        }
    };
    let missing = get("/api/v1/companies/no-such-id".into()).await;
    let foreign = get(demo_path()).await;
    assert_problem(&foreign, 404, "not_found");
    assert_eq!(
        foreign.body, missing.body,
        "same answer as a missing record"
    );
    let list = get("/api/v1/companies".into()).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], other_id.as_str());
    let own = get(format!("/api/v1/companies/{other_id}")).await;
    assert_eq!(own.status, 200);
}

#[actix_web::test]
async fn a_viewer_reads_companies_without_the_contact_person() {
    let app = TestApp::spawn().await;
    let resp = app.get(&demo_path(), Role::Viewer).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["name"], "PT Mitra Sawit Lestari (demo)");
    assert!(resp.body["contact_name"].is_null());
    assert!(resp.body["contact_email"].is_null());
    assert!(resp.body["contact_phone"].is_null());
    let resp = app.get(&demo_path(), Role::Opd).await;
    assert!(resp.body["contact_name"].is_string());
}

#[actix_web::test]
async fn a_company_updates_its_own_contacts() {
    let app = TestApp::spawn().await;
    let resp = app
        .patch(
            &demo_path(),
            Role::Company,
            json!({"contact_name": "Dewi Lestari", "contact_email": "dewi@mitra.example", "contact_phone": ""}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["contact_name"], "Dewi Lestari");
    assert_eq!(resp.body["contact_email"], "dewi@mitra.example");
    assert!(
        resp.body["contact_phone"].is_null(),
        "an empty string clears it"
    );
    assert_eq!(resp.body["name"], "PT Mitra Sawit Lestari (demo)");
    assert_eq!(resp.etag(), "\"2\"");
}

#[actix_web::test]
async fn a_company_may_not_change_its_name_or_other_management_fields() {
    let app = TestApp::spawn().await;
    let resp = app
        .patch(
            &demo_path(),
            Role::Company,
            json!({"name": "PT Baru", "contact_name": "Dewi"}),
            None,
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
    assert!(resp.body["detail"].as_str().unwrap().contains("not name"));
    let unchanged = app.get(&demo_path(), Role::Company).await;
    assert_eq!(unchanged.body["contact_name"], "Demo CSR Officer");
}

#[actix_web::test]
async fn a_company_may_not_patch_another_company() {
    let app = TestApp::spawn().await;
    let other_id = create_other(&app).await;
    let resp = app
        .patch(
            &format!("/api/v1/companies/{other_id}"),
            Role::Company,
            json!({"contact_name": "Dewi"}),
            None,
        )
        .await;
    assert_problem(&resp, 404, "not_found");
    let resp = app
        .patch(
            &demo_path(),
            Role::Viewer,
            json!({"contact_name": "x"}),
            None,
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
}

#[actix_web::test]
async fn bappeda_changes_every_field_and_a_stale_if_match_is_412() {
    let app = TestApp::spawn().await;
    let resp = app
        .patch(
            &demo_path(),
            Role::Bappeda,
            json!({"sector": "mining", "legal_form": "bumd", "working_area": ["64.02.07.2001", "6402072001"], "active": false}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["sector"], "mining");
    assert_eq!(resp.body["legal_form"], "bumd");
    assert_eq!(resp.body["working_area"], json!(["64.02.07.2001"]));
    assert_eq!(resp.body["active"], false);
    let stale = app
        .patch(
            &demo_path(),
            Role::Bappeda,
            json!({"active": true}),
            Some("\"1\""),
        )
        .await;
    assert_problem(&stale, 412, "stale_etag");
    let current = app.get(&demo_path(), Role::Bappeda).await;
    assert_eq!(current.body["active"], false);
}

#[actix_web::test]
async fn unknown_fields_in_a_company_body_are_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .patch(&demo_path(), Role::Bappeda, json!({"npwp": "1"}), None)
        .await;
    assert_problem(&resp, 400, "invalid_body");
}

#[actix_web::test]
async fn company_changes_are_audited_with_old_and_new_values() {
    let app = TestApp::spawn().await;
    let id = create_other(&app).await;
    let path = format!("/api/v1/companies/{id}");
    let resp = app
        .patch(
            &path,
            Role::Admin,
            json!({"name": "PT Bara Kutai Energi Tbk"}),
            None,
        )
        .await;
    assert_eq!(resp.status, 200);
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=company&entity_id={id}"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.status, 200);
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let update = items.iter().find(|e| e["action"] == "update").unwrap();
    assert_eq!(update["before"]["name"], "PT Bara Kutai Energi");
    assert_eq!(update["after"]["name"], "PT Bara Kutai Energi Tbk");
    assert_eq!(update["actor"], "admin");
    let create = items.iter().find(|e| e["action"] == "create").unwrap();
    assert_eq!(create["actor"], "bappeda");
    assert_eq!(create["after"]["working_area"], json!(["64.02.19.2001"]));
}

#[actix_web::test]
async fn a_company_account_must_name_an_existing_company() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "csr.ghost", "password": "long-enough-pw", "role": "company", "company_id": "no-such-company"}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "company_id");
    let other_id = create_other(&app).await;
    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "csr.bara", "password": "long-enough-pw", "role": "company", "company_id": other_id}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let user_id = resp.body["id"].as_str().unwrap();
    let resp = app
        .patch(
            &format!("/api/v1/users/{user_id}"),
            Role::Admin,
            json!({"company_id": "no-such-company"}),
            None,
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "company_id");
}
