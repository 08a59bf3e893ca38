//! What the contract states of every request, the server enforces: the
//! body guard's bounds on texts, arrays and query values, U+0000 refused on
//! both backends, `3.0` read as an integer, region and id filters by their
//! shape, and the bounds the schemas give single fields.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rbpk::domain::role::Role;
use serde_json::json;

use crate::common::{assert_problem, TestApp};
use rbpk::db::seed::DEMO_COMPANY_ID;

#[actix_rt::test]
async fn a_text_past_5000_characters_is_422_naming_its_field() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(5001);
    let resp = app
        .patch(
            &format!("/api/v1/companies/{DEMO_COMPANY_ID}"),
            Role::Bappeda,
            json!({ "address": long }),
            None,
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "address");
}

#[actix_rt::test]
async fn an_array_past_1000_items_is_422_naming_its_field() {
    let app = TestApp::spawn().await;
    let area: Vec<String> = (0..1001).map(|_| "64.02.06".to_string()).collect();
    let resp = app
        .patch(
            &format!("/api/v1/companies/{DEMO_COMPANY_ID}"),
            Role::Bappeda,
            json!({ "working_area": area }),
            None,
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "working_area");
}

#[actix_rt::test]
async fn a_query_value_past_200_characters_is_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let resp = app
        .get(
            &format!("/api/v1/companies?q={}", "a".repeat(201)),
            Role::Bappeda,
        )
        .await;
    assert_problem(&resp, 400, "invalid_parameter");
    assert_eq!(resp.body["errors"][0]["field"], "q");
    let fits = app
        .get(
            &format!("/api/v1/companies?q={}", "a".repeat(200)),
            Role::Bappeda,
        )
        .await;
    assert_eq!(fits.status, 200, "{}", fits.body);
}

#[actix_rt::test]
async fn nul_in_a_body_or_a_query_is_400_on_every_backend() {
    let app = TestApp::spawn().await;
    let body = app
        .patch(
            &format!("/api/v1/companies/{DEMO_COMPANY_ID}"),
            Role::Bappeda,
            json!({ "contact_name": "Rina\u{0}" }),
            None,
        )
        .await;
    assert_problem(&body, 400, "invalid_text");
    let query = app.get("/api/v1/companies?q=a%00b", Role::Bappeda).await;
    assert_problem(&query, 400, "invalid_text");
    // Nothing was changed by the refused body.
    let company = app
        .get(
            &format!("/api/v1/companies/{DEMO_COMPANY_ID}"),
            Role::Bappeda,
        )
        .await;
    assert_ne!(company.body["contact_name"], "Rina\u{0}");
}

#[actix_rt::test]
async fn a_number_with_a_zero_fraction_is_the_integer_it_names() {
    let app = TestApp::spawn().await;
    let resp = app
        .patch(
            &format!("/api/v1/companies/{DEMO_COMPANY_ID}"),
            Role::Bappeda,
            serde_json::from_str(r#"{"exposure_cap": 250.0}"#).unwrap(),
            None,
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["exposure_cap"], 250);
    let fraction = app
        .patch(
            &format!("/api/v1/companies/{DEMO_COMPANY_ID}"),
            Role::Bappeda,
            serde_json::from_str(r#"{"exposure_cap": 250.5}"#).unwrap(),
            None,
        )
        .await;
    assert_problem(&fraction, 400, "invalid_body");
}

#[actix_rt::test]
async fn a_well_formed_kukar_code_naming_no_region_finds_nothing() {
    let app = TestApp::spawn().await;
    let households = app
        .get("/api/v1/households?region=64.02.99", Role::Bappeda)
        .await;
    assert_eq!(households.status, 200, "{}", households.body);
    assert_eq!(households.body["total"], 0);
    let companies = app
        .get("/api/v1/companies?region=6402991001", Role::Bappeda)
        .await;
    assert_eq!(companies.status, 200, "{}", companies.body);
    assert_eq!(companies.body["total"], 0);
    app.calendar(1, 2, 3, 4).await;
    let coverage = app
        .get(
            "/api/v1/cycles/2027/coverage?region=64.02.99",
            Role::Bappeda,
        )
        .await;
    assert_problem(&coverage, 404, "not_found");
    // Outside Kukar, or not a code at all: still a 400.
    for path in [
        "/api/v1/households?region=64.03",
        "/api/v1/companies?region=64.03.01",
        "/api/v1/cycles/2027/coverage?region=abc",
    ] {
        assert_problem(
            &app.get(path, Role::Bappeda).await,
            400,
            "invalid_parameter",
        );
    }
}

#[actix_rt::test]
async fn an_id_filter_that_is_not_a_uuid_is_400_not_an_empty_page() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/programs?company_id=demo",
        "/api/v1/users?company_id=1",
        "/api/v1/exemption-letters?company_id=x",
        "/api/v1/verifications?program_id=abc",
        "/api/v1/verifications?household_id=abc",
    ] {
        assert_problem(&app.get(path, Role::Admin).await, 400, "invalid_query");
    }
    let uuid = app
        .get(
            &format!("/api/v1/programs?company_id={DEMO_COMPANY_ID}"),
            Role::Admin,
        )
        .await;
    assert_eq!(uuid.status, 200, "{}", uuid.body);
}

#[actix_rt::test]
async fn an_opd_account_needs_an_agency_code_of_the_programs_shape() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "dinsos.budi", "password": "a-long-password-1", "role": "opd", "opd_code": "dinsos"}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "opd_code");
}

#[actix_rt::test]
async fn pages_past_a_million_are_400() {
    let app = TestApp::spawn().await;
    assert_problem(
        &app.get("/api/v1/regions?page=1000001", Role::Bappeda).await,
        400,
        "invalid_parameter",
    );
    let last = app.get("/api/v1/regions?page=1000000", Role::Bappeda).await;
    assert_eq!(last.status, 200, "{}", last.body);
}
