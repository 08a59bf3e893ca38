//! Visits synced from devices in a batch (issue 14, item 1): each item on
//! its own, idempotent by (caller, client_id), answered created, duplicate,
//! conflict or rejected, in order; the same reach as one visit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{assert_problem, day, TestApp};
use rbpk::domain::role::Role;
use serde_json::{json, Value};

const BATCH: &str = "/api/v1/verifications/batch";

async fn setup(n: usize) -> (TestApp, common::ConsolidatedProgram) {
    let app = TestApp::spawn().await;
    let kec = app.registry(150).await;
    app.demo_company_works_in(&kec).await;
    let program = app.consolidated_program(&kec, n).await;
    (app, program)
}

fn item(client_id: &str, target_id: &str, visited_on: &str, result: &str) -> Value {
    json!({"client_id": client_id, "target_id": target_id, "visited_on": visited_on, "result": result,
        "notes": "Dinding papan, atap seng.", "latitude": -0.43, "longitude": 116.98,
        "consent_to_share": true, "recorded_at": "2026-12-04T05:10:00.123456Z"})
}

fn outcomes(resp: &common::Resp) -> Vec<String> {
    resp.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_mixed_batch_answers_each_item_in_order_and_a_resend_changes_nothing() {
    let (app, p) = setup(3).await;
    // Another team visited target 2 today; the device's visit is of yesterday.
    assert_eq!(app.verify(&p.targets[2], "eligible").await.status, 201);
    let body = json!({"items": [
        item("dev-1", &p.targets[0], &day(0), "eligible"),
        item("dev-2", "00000000-0000-4000-8000-00000000dead", &day(0), "eligible"),
        item("dev-3", &p.targets[1], &day(1), "eligible"),
        item("dev-4", &p.targets[2], &day(-1), "ineligible"),
    ]});
    let first = app.post(BATCH, Role::Verifier, body.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        outcomes(&first),
        ["created", "rejected", "rejected", "conflict"]
    );
    let items = &first.body["items"];
    for (i, item) in items.as_array().unwrap().iter().enumerate() {
        assert_eq!(item["index"], i);
        assert_eq!(item["client_id"], format!("dev-{}", i + 1));
    }
    let created = &items[0]["verification"];
    assert_eq!(created["target_id"], p.targets[0].as_str());
    assert_eq!(created["client_id"], "dev-1");
    assert_eq!(created["recorded_at"], "2026-12-04T05:10:00.123456Z");
    assert_eq!(created["target_status"], "eligible");
    assert_eq!(created["verifier"], "verifier");
    assert_eq!(items[1]["problem"]["code"], "validation_failed");
    assert_eq!(items[1]["problem"]["errors"][0]["field"], "target_id");
    assert_eq!(items[2]["problem"]["errors"][0]["field"], "visited_on");
    assert_eq!(items[3]["problem"]["code"], "target_changed");
    let current = &items[3]["current"];
    assert_eq!(current["target_id"], p.targets[2].as_str());
    assert_eq!(current["status"], "eligible");
    assert_eq!(current["active"], true);
    assert_eq!(current["latest_visit"]["visited_on"], day(0));
    assert_eq!(
        first.body["summary"],
        json!({"created": 1, "duplicate": 0, "conflict": 1, "rejected": 2})
    );

    let again = app.post(BATCH, Role::Verifier, body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        outcomes(&again),
        ["duplicate", "rejected", "rejected", "conflict"]
    );
    assert_eq!(
        again.body["items"][0]["verification"]["id"], created["id"],
        "a resent item answers the visit it made"
    );
    let visits = app
        .get(
            &format!("/api/v1/verifications?program_id={}", p.id),
            Role::Bappeda,
        )
        .await;
    assert_eq!(
        visits.body["total"], 2,
        "one visit per target synced, plus the team's"
    );
}

#[actix_web::test]
async fn a_client_id_is_recognised_across_batches_and_within_one() {
    let (app, p) = setup(2).await;
    let first = app
        .post(
            BATCH,
            Role::Verifier,
            json!({"items": [item("uuid:a", &p.targets[0], &day(0), "eligible")]}),
        )
        .await;
    assert_eq!(outcomes(&first), ["created"]);
    let id = first.body["items"][0]["verification"]["id"].clone();
    let second = app
        .post(
            BATCH,
            Role::Verifier,
            json!({"items": [
                // Same id with other content: still the visit made the first time.
                item("uuid:a", &p.targets[1], &day(0), "ineligible"),
                item("uuid:b", &p.targets[1], &day(0), "eligible"),
                item("uuid:b", &p.targets[1], &day(0), "eligible"),
            ]}),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(outcomes(&second), ["duplicate", "created", "duplicate"]);
    assert_eq!(second.body["items"][0]["verification"]["id"], id);
    assert_eq!(
        second.body["items"][2]["verification"]["id"],
        second.body["items"][1]["verification"]["id"]
    );
    assert_eq!(
        second.body["items"][1]["verification"]["program_status"],
        "verified"
    );
    // Another account's `uuid:a` is its own visit.
    let bappeda = app
        .post(
            BATCH,
            Role::Bappeda,
            json!({"items": [item("uuid:a", &p.targets[0], &day(0), "eligible")]}),
        )
        .await;
    assert_eq!(outcomes(&bappeda), ["created"]);
}

#[actix_web::test]
async fn a_batch_outside_the_contracts_bounds_is_refused_whole() {
    let (app, p) = setup(1).await;
    let many: Vec<Value> = (0..501)
        .map(|i| item(&format!("d{i}"), &p.targets[0], &day(0), "eligible"))
        .collect();
    let resp = app
        .post(BATCH, Role::Verifier, json!({"items": many}))
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "items");
    let empty = app.post(BATCH, Role::Verifier, json!({"items": []})).await;
    assert_problem(&empty, 422, "validation_failed");
    let mut far = item("d1", &p.targets[0], &day(0), "eligible");
    far["latitude"] = json!(91.0);
    let resp = app
        .post(
            BATCH,
            Role::Verifier,
            json!({"items": [item("d0", &p.targets[0], &day(0), "eligible"), far]}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "items[1].latitude");
    // Nothing of a refused batch was recorded.
    let visits = app.get("/api/v1/verifications", Role::Bappeda).await;
    assert_eq!(visits.body["total"], 0);
    let bad_target = app
        .post(
            BATCH,
            Role::Verifier,
            json!({"items": [item("d0", "not-a-uuid", &day(0), "eligible")]}),
        )
        .await;
    assert_problem(&bad_target, 400, "invalid_body");
}

#[actix_web::test]
async fn a_batch_reaches_what_one_visit_reaches() {
    let (app, p) = setup(2).await;
    // A company does not record visits, in a batch or not.
    let company = app
        .post(
            BATCH,
            Role::Company,
            json!({"items": [item("c1", &p.targets[0], &day(0), "eligible")]}),
        )
        .await;
    assert_problem(&company, 403, "forbidden");
    // An agency that does not lead the program meets its targets as unknown.
    let other = app.token_for("opd-perkim", Role::Opd, None, Some("PERKIM"));
    let req = app
        .req_as(actix_web::http::Method::POST, BATCH, &other)
        .set_json(json!({"items": [item("o1", &p.targets[0], &day(0), "eligible")]}));
    let resp = app.send(req).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(outcomes(&resp), ["rejected"]);
    assert_eq!(
        resp.body["items"][0]["problem"]["errors"][0],
        json!({"field": "target_id", "message": "no such target"})
    );
    assert!(resp.body["items"][0].get("current").is_none());
    // The lead agency records.
    let lead = app
        .post(
            BATCH,
            Role::Opd,
            json!({"items": [item("o1", &p.targets[0], &day(0), "eligible")]}),
        )
        .await;
    assert_eq!(outcomes(&lead), ["created"]);
    // The window applies as for one visit: closed, each item is rejected.
    app.calendar(-3, -2, -1, 2).await;
    let late = app
        .post(
            BATCH,
            Role::Verifier,
            json!({"items": [item("v9", &p.targets[1], &day(0), "eligible")]}),
        )
        .await;
    assert_eq!(outcomes(&late), ["rejected"]);
    assert_eq!(
        late.body["items"][0]["problem"]["code"],
        "verification_window_closed"
    );
}
