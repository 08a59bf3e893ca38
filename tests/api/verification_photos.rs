//! Photos of visits (issue 14, item 2): uploaded as the raw body, checked to
//! be whole JPEG/PNG images, kept in the object store with their SHA-256,
//! read back byte for byte; limits; the visit's reach and the consent gate;
//! a store that fails leaves nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, jpeg, png, Resp, TestApp};
use rbpk::domain::role::Role;
use serde_json::json;
use sha2::{Digest, Sha256};

fn photos_path(visit: &str) -> String {
    format!("/api/v1/verifications/{visit}/photos")
}

async fn upload(app: &TestApp, visit: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    app.send(
        app.req(Method::POST, &photos_path(visit), Role::Verifier)
            .insert_header(("content-type", content_type.to_string()))
            .set_payload(bytes),
    )
    .await
}

/// A program with one visit recorded; returns the app, the visit's id.
async fn visited(app: TestApp) -> (TestApp, String) {
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 1).await;
    let visit = app.verify(&p.targets[0], "eligible").await;
    assert_eq!(visit.status, 201, "{}", visit.body);
    let id = visit.body["id"].as_str().unwrap().to_string();
    (app, id)
}

#[actix_web::test]
async fn a_photo_comes_back_byte_for_byte_with_its_type_and_checksum() {
    let (app, visit) = visited(TestApp::spawn().await).await;
    let bytes = jpeg();
    let created = upload(&app, &visit, "image/jpeg", bytes.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(created.body["sha256"], sha.as_str());
    assert_eq!(created.body["size_bytes"], bytes.len());
    assert_eq!(created.body["content_type"], "image/jpeg");
    assert_eq!(created.body["created_by"], "verifier");
    let href = created.body["href"].as_str().unwrap().to_string();
    assert_eq!(created.header("location").as_deref(), Some(href.as_str()));
    assert_eq!(created.etag(), format!("\"{sha}\""));

    let got = app.get(&href, Role::Bupati).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.raw, bytes, "the bytes as uploaded");
    assert_eq!(got.header("content-type").as_deref(), Some("image/jpeg"));
    assert_eq!(got.etag(), format!("\"{sha}\""));

    let png_bytes = png();
    let second = upload(&app, &visit, "image/png", png_bytes.clone()).await;
    assert_eq!(second.status, 201, "{}", second.body);
    let list = app.get(&photos_path(&visit), Role::Opd).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], created.body["id"]);
    assert_eq!(items[1]["content_type"], "image/png");
    let got = app
        .get(second.body["href"].as_str().unwrap(), Role::Company)
        .await;
    assert_eq!(got.raw, png_bytes);
    assert_eq!(got.header("content-type").as_deref(), Some("image/png"));
    // Audited as any change.
    let audit = app
        .get(
            "/api/v1/audit-events?entity=verification_photo",
            Role::Admin,
        )
        .await;
    assert!(audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "create"));
}

#[actix_web::test]
async fn what_is_not_a_whole_image_too_large_or_one_too_many_is_refused() {
    let (app, visit) = visited(TestApp::spawn().await).await;
    let text = b"Ini bukan foto, hanya teks yang diberi nama foto.jpg\n".to_vec();
    assert_problem(
        &upload(&app, &visit, "image/jpeg", text).await,
        422,
        "invalid_image",
    );
    let cut = png()[..30].to_vec();
    assert_problem(
        &upload(&app, &visit, "image/png", cut).await,
        422,
        "invalid_image",
    );
    assert_problem(
        &upload(&app, &visit, "image/png", jpeg()).await,
        422,
        "invalid_image",
    );
    assert_problem(
        &upload(&app, &visit, "image/gif", b"GIF89a".to_vec()).await,
        415,
        "unsupported_media_type",
    );
    let mut big = jpeg();
    big.splice(2..2, vec![0u8; 5 * 1024 * 1024]);
    assert_problem(
        &upload(&app, &visit, "image/jpeg", big).await,
        413,
        "payload_too_large",
    );
    for _ in 0..4 {
        assert_eq!(upload(&app, &visit, "image/png", png()).await.status, 201);
    }
    let fifth = upload(&app, &visit, "image/png", png()).await;
    assert_problem(&fifth, 409, "photo_limit_reached");
    let list = app.get(&photos_path(&visit), Role::Bappeda).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 4);
    assert_problem(
        &upload(&app, "no-such-visit", "image/png", png()).await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn a_company_reads_photos_of_its_own_programs_visits_only() {
    let (app, visit) = visited(TestApp::spawn().await).await;
    let created = upload(&app, &visit, "image/png", png()).await;
    let href = created.body["href"].as_str().unwrap().to_string();
    let own = app.get(&photos_path(&visit), Role::Company).await;
    assert_eq!(own.body["items"].as_array().unwrap().len(), 1);
    let (_, other) = app
        .company("PT Lain", "8120104567222", "mining", &["64.02.06"])
        .await;
    let list = app
        .send(app.req_as(Method::GET, &photos_path(&visit), &other))
        .await;
    assert_problem(&list, 404, "not_found");
    let bytes = app.send(app.req_as(Method::GET, &href, &other)).await;
    assert_problem(&bytes, 404, "not_found");
    // A company never adds photos.
    let add = app
        .send(
            app.req(Method::POST, &photos_path(&visit), Role::Company)
                .insert_header(("content-type", "image/png"))
                .set_payload(png()),
        )
        .await;
    assert_problem(&add, 403, "forbidden");
}

#[actix_web::test]
async fn a_company_gets_no_photos_of_a_household_behind_the_consent_gate() {
    let app = TestApp::spawn().await;
    let kec = app.families_behind_the_consent_gate(150, 7).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 1).await;
    let visit = app.verify(&p.targets[0], "eligible").await;
    let visit = visit.body["id"].as_str().unwrap().to_string();
    let created = upload(&app, &visit, "image/jpeg", jpeg()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let href = created.body["href"].as_str().unwrap().to_string();

    let list = app.get(&photos_path(&visit), Role::Company).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"], json!([]), "withheld like the notes");
    assert_problem(&app.get(&href, Role::Company).await, 404, "not_found");
    // Government readers see it.
    assert_eq!(app.get(&href, Role::Bappeda).await.status, 200);
    // The family agrees at a later visit: the company sees the photos.
    let agreed = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": p.targets[0], "visited_on": common::day(0), "result": "eligible",
                "consent_to_share": true}),
        )
        .await;
    assert_eq!(agreed.status, 201, "{}", agreed.body);
    let list = app.get(&photos_path(&visit), Role::Company).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&href, Role::Company).await.status, 200);
}

#[actix_web::test]
async fn a_failing_object_store_answers_503_and_records_nothing() {
    let dir = std::env::temp_dir().join(format!("rbpk-objects-{}", uuid::Uuid::new_v4()));
    let store = dir.clone();
    let app = TestApp::spawn_with(move |c| {
        c.object_store = rbpk::storage::Location::Directory(store);
    })
    .await;
    let (app, visit) = visited(app).await;
    // The store's directory becomes a file: every write fails.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"not a directory").unwrap();
    let failed = upload(&app, &visit, "image/png", png()).await;
    assert_problem(&failed, 503, "service_unavailable");
    let list = app.get(&photos_path(&visit), Role::Bappeda).await;
    assert_eq!(
        list.body["items"],
        json!([]),
        "no metadata without its object"
    );
    std::fs::remove_file(&dir).unwrap();
}

#[actix_web::test]
async fn an_unreachable_s3_store_answers_503_and_records_nothing() {
    let app = TestApp::spawn_with(|c| c.object_store = common::unreachable_s3_store()).await;
    let (app, visit) = visited(app).await;
    let failed = upload(&app, &visit, "image/jpeg", jpeg()).await;
    assert_problem(&failed, 503, "service_unavailable");
    let list = app.get(&photos_path(&visit), Role::Bappeda).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.body["items"],
        json!([]),
        "no metadata without its object"
    );
}
