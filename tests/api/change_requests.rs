//! Change requests and the operator role (issue 14, items 4 and 5): filing,
//! conflicts, approval applying the payload (and the history naming the
//! request), rejection, withdrawal, decisions that race, a payload that no
//! longer applies, the visit that files one, the SIKS-NG export, and what an
//! operator reaches.

// Helpers panic on a broken setup: that is a test failure, as in the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, today, TestApp};
use rbpk::domain::role::Role;
use serde_json::{json, Value};

/// The demo operator's desa (Jahab) and another desa of the same kecamatan.
const OWN_DESA: &str = "64.02.06.1001";
const OTHER_DESA: &str = "64.02.06.1002";

/// A family in `desa` with a head and two members; (household id, member ids).
async fn family(app: &TestApp, desa: &str, serial: u32) -> (String, Vec<String>) {
    let h = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Kepala Uji", "head_nik": format!("64020612038500{serial:02}"),
                "kk_number": format!("64020601012600{serial:02}"),
                "region_code": desa, "address": "Jl. Awal RT 01", "desil": 1}),
        )
        .await;
    assert_eq!(h.status, 201, "{}", h.body);
    let id = h.body["id"].as_str().unwrap().to_string();
    let mut members = Vec::new();
    for (i, name) in ["Istri Uji", "Anak Uji"].iter().enumerate() {
        let m = app
            .post(
                &format!("/api/v1/households/{id}/members"),
                Role::Bappeda,
                json!({"name": name, "nik": format!("640206550712{:02}{i:02}", serial), "relation": if i == 0 { "spouse" } else { "child" }}),
            )
            .await;
        assert_eq!(m.status, 201, "{}", m.body);
        members.push(m.body["id"].as_str().unwrap().to_string());
    }
    (id, members)
}

async fn file(app: &TestApp, role: Role, body: Value) -> common::Resp {
    app.post("/api/v1/change-requests", role, body).await
}

fn id(resp: &common::Resp) -> String {
    resp.body["id"].as_str().unwrap().to_string()
}

async fn decide(app: &TestApp, role: Role, request: &str, decision: &str) -> common::Resp {
    app.post(
        &format!("/api/v1/change-requests/{request}/decision"),
        role,
        json!({"decision": decision, "note": "Sesuai verifikasi."}),
    )
    .await
}

#[actix_web::test]
async fn filed_requests_list_their_conflicts_and_approval_applies_one_and_history_names_it() {
    let app = TestApp::spawn().await;
    let (h, _) = family(&app, OWN_DESA, 1).await;
    let moved = file(
        &app,
        Role::Operator,
        json!({"type": "moved", "household_id": h, "reason": "Pindah ke Loa Ipuh.",
            "payload": {"region_code": OTHER_DESA, "address": "Jl. Baru RT 03"}}),
    )
    .await;
    assert_eq!(moved.status, 201, "{}", moved.body);
    assert_eq!(moved.body["status"], "submitted");
    assert_eq!(moved.body["submitted_by"], "operator");
    assert_eq!(moved.body["type"], "moved");
    assert_eq!(moved.body["payload"]["region_code"], OTHER_DESA);
    assert_eq!(moved.body["conflicts"], json!([]));
    let location = moved.header("location").unwrap();
    let correction = file(
        &app,
        Role::Verifier,
        json!({"type": "correction", "household_id": h, "reason": "Alamat salah tulis.",
            "payload": {"address": "Jl. Awal RT 02", "desil": 2}}),
    )
    .await;
    assert_eq!(correction.status, 201, "{}", correction.body);
    assert_eq!(
        correction.body["conflicts"],
        json!([{"id": id(&moved), "type": "moved", "fields": ["address"]}])
    );
    let read = app.get(&location, Role::Bappeda).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.etag(), "\"1\"");
    assert_eq!(read.body["conflicts"][0]["id"], id(&correction).as_str());

    let approved = decide(&app, Role::Bappeda, &id(&moved), "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decided_by"], "bappeda");
    assert_eq!(approved.body["decision_note"], "Sesuai verifikasi.");
    assert_eq!(approved.body["conflicts"], json!([]));
    // Integrators hear of the decision (the regency's roles only).
    let events = app.get("/api/v1/events?limit=500", Role::Admin).await;
    let decided: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "change_request.decided")
        .collect();
    assert_eq!(decided.len(), 1, "{}", events.body);
    assert_eq!(decided[0]["data"]["change_request_id"], id(&moved).as_str());
    assert_eq!(decided[0]["data"]["status"], "approved");
    let household = app
        .get(&format!("/api/v1/households/{h}"), Role::Bappeda)
        .await;
    assert_eq!(household.body["region_code"], OTHER_DESA);
    assert_eq!(household.body["address"], "Jl. Baru RT 03");
    assert_eq!(household.body["status"], "active");
    let history = app
        .get(&format!("/api/v1/households/{h}/history"), Role::Bappeda)
        .await;
    let entry = history.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["change_request_id"] == id(&moved).as_str())
        .unwrap_or_else(|| panic!("no history entry names the request: {}", history.body));
    assert_eq!(entry["kind"], "manual");
    assert_eq!(entry["actor"], "bappeda");
    assert!(
        entry["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "region_code" && c["to"] == OTHER_DESA),
        "{entry}"
    );
    // The approval is audited, and so is the household's update it made.
    let audit = app
        .get(
            &format!(
                "/api/v1/audit-events?entity=change_request&entity_id={}",
                id(&moved)
            ),
            Role::Admin,
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"submit") && actions.contains(&"approve"),
        "{actions:?}"
    );

    // Once the other is closed, the correction has no conflict left.
    let correction_now = app
        .get(
            &format!("/api/v1/change-requests/{}", id(&correction)),
            Role::Verifier,
        )
        .await;
    assert_eq!(correction_now.body["conflicts"], json!([]));
    let rejected = decide(&app, Role::Opd, &id(&correction), "reject").await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert_eq!(rejected.body["status"], "rejected");
    let household = app
        .get(&format!("/api/v1/households/{h}"), Role::Bappeda)
        .await;
    assert_eq!(
        household.body["desil"], 1,
        "a rejected change changes nothing"
    );

    // Deciding twice: the second is a 409, whatever it asks.
    let again = decide(&app, Role::Admin, &id(&moved), "reject").await;
    assert_problem(&again, 409, "change_request_closed");
    assert_eq!(again.body["request_status"], "approved");
}

#[actix_web::test]
async fn only_the_submitter_withdraws_and_only_while_submitted() {
    let app = TestApp::spawn().await;
    let (h, members) = family(&app, OWN_DESA, 2).await;
    let left = file(
        &app,
        Role::Operator,
        json!({"type": "member_left", "household_id": h, "reason": "Menikah, ikut suami.",
            "payload": {"member_id": members[0]}}),
    )
    .await;
    assert_eq!(left.status, 201, "{}", left.body);
    let path = format!("/api/v1/change-requests/{}/withdraw", id(&left));
    let other = app.post(&path, Role::Bappeda, json!({})).await;
    assert_problem(&other, 403, "forbidden");
    let stale = app
        .send(
            app.req(Method::POST, &path, Role::Operator)
                .insert_header(("If-Match", "\"7\"")),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let withdrawn = app.post(&path, Role::Operator, json!({})).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert_eq!(withdrawn.etag(), "\"2\"");
    let twice = app.post(&path, Role::Operator, json!({})).await;
    assert_problem(&twice, 409, "change_request_closed");
    let decided = decide(&app, Role::Bappeda, &id(&left), "approve").await;
    assert_problem(&decided, 409, "change_request_closed");
    let members_now = app
        .get(&format!("/api/v1/households/{h}/members"), Role::Bappeda)
        .await;
    assert_eq!(members_now.body.as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn concurrent_decisions_one_wins_the_other_is_a_conflict() {
    let app = TestApp::spawn().await;
    let (h, _) = family(&app, OWN_DESA, 3).await;
    let r = file(
        &app,
        Role::Bappeda,
        json!({"type": "correction", "household_id": h, "reason": "Desil salah.", "payload": {"desil": 3}}),
    )
    .await;
    let request = id(&r);
    let (a, b) = futures_util::join!(
        decide(&app, Role::Bappeda, &request, "approve"),
        decide(&app, Role::Admin, &request, "reject")
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.code(), "change_request_closed");
}

#[actix_web::test]
async fn an_approval_that_no_longer_applies_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (h, members) = family(&app, OWN_DESA, 4).await;
    let died = file(
        &app,
        Role::Verifier,
        json!({"type": "deceased", "household_id": h, "reason": "Meninggal dunia.",
            "payload": {"member_id": members[1], "died_on": today().to_string()}}),
    )
    .await;
    assert_eq!(died.status, 201, "{}", died.body);
    // The member is removed by hand before the decision.
    let gone = app
        .delete(
            &format!("/api/v1/households/{h}/members/{}", members[1]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    let approved = decide(&app, Role::Bappeda, &id(&died), "approve").await;
    assert_problem(&approved, 409, "change_not_applicable");
    assert_eq!(approved.body["errors"][0]["field"], "payload.member_id");
    let still = app
        .get(
            &format!("/api/v1/change-requests/{}", id(&died)),
            Role::Bappeda,
        )
        .await;
    assert_eq!(
        still.body["status"], "submitted",
        "the decision rolled back"
    );
}

#[actix_web::test]
async fn payloads_are_checked_against_the_household_when_filed() {
    let app = TestApp::spawn().await;
    let (h, _) = family(&app, OWN_DESA, 5).await;
    for (body, field) in [
        (
            json!({"type": "member_left", "household_id": h, "reason": "x", "payload": {"member_id": "nobody"}}),
            "payload.member_id",
        ),
        (
            json!({"type": "moved", "household_id": h, "reason": "x", "payload": {"region_code": "64.02.06"}}),
            "payload.region_code",
        ),
        (
            json!({"type": "correction", "household_id": h, "reason": "x", "payload": {"status": "graduated"}}),
            "payload.status",
        ),
        (
            json!({"type": "correction", "household_id": h, "reason": "x", "payload": {"head_occupation": "astronaut"}}),
            "payload.head_occupation",
        ),
        (
            json!({"type": "moved", "household_id": "no-such-household", "reason": "x", "payload": {}}),
            "household_id",
        ),
        (
            json!({"type": "moved", "household_id": h, "reason": "   ", "payload": {}}),
            "reason",
        ),
    ] {
        let resp = file(&app, Role::Verifier, body.clone()).await;
        assert_problem(&resp, 422, "validation_failed");
        assert_eq!(
            resp.body["errors"][0]["field"], field,
            "{body}: {}",
            resp.body
        );
    }
    let unknown = file(
        &app,
        Role::Verifier,
        json!({"type": "moved", "household_id": h, "reason": "x", "payload": {}, "extra": 1}),
    )
    .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let wrong_type = file(
        &app,
        Role::Verifier,
        json!({"type": "moved", "household_id": h, "reason": "x", "payload": {"member_id": "m"}}),
    )
    .await;
    assert_eq!(wrong_type.status, 400, "{}", wrong_type.body);
}

#[actix_web::test]
async fn member_changes_and_a_kk_split_apply_through_the_registry() {
    let app = TestApp::spawn().await;
    let (h, members) = family(&app, OWN_DESA, 6).await;
    let added = file(
        &app,
        Role::Operator,
        json!({"type": "member_added", "household_id": h, "reason": "Kelahiran.",
            "payload": {"name": "Bayi Uji", "sex": "female", "relation": "child"}}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(
        decide(&app, Role::Opd, &id(&added), "approve").await.status,
        200
    );
    let split = file(
        &app,
        Role::Operator,
        json!({"type": "kk_split", "household_id": h, "reason": "Anak menikah, KK baru.",
            "payload": {"member_ids": [members[1]], "kk_number": "6402060101269999", "address": "Jl. Pisah"}}),
    )
    .await;
    assert_eq!(split.status, 201, "{}", split.body);
    let approved = decide(&app, Role::Bappeda, &id(&split), "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let left_behind = app
        .get(&format!("/api/v1/households/{h}/members"), Role::Bappeda)
        .await;
    let names: Vec<&str> = left_behind
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Bayi Uji") && !names.contains(&"Anak Uji"));
    let new_family = app
        .get("/api/v1/households?q=6402060101269999", Role::Bappeda)
        .await;
    assert_eq!(new_family.body["total"], 1, "{}", new_family.body);
    assert_eq!(new_family.body["items"][0]["head_name"], "Anak Uji");
    assert_eq!(new_family.body["items"][0]["address"], "Jl. Pisah");
    assert_eq!(new_family.body["items"][0]["members_count"], 1);
    let died = file(
        &app,
        Role::Bappeda,
        json!({"type": "deceased", "household_id": h, "reason": "Kepala keluarga meninggal.", "payload": {}}),
    )
    .await;
    assert_eq!(
        decide(&app, Role::Bappeda, &id(&died), "approve")
            .await
            .status,
        200
    );
    let household = app
        .get(&format!("/api/v1/households/{h}"), Role::Bappeda)
        .await;
    assert_eq!(household.body["status"], "deceased");
    let after = file(
        &app,
        Role::Bappeda,
        json!({"type": "correction", "household_id": h, "reason": "x", "payload": {"desil": 2}}),
    )
    .await;
    assert_problem(&after, 422, "validation_failed");
}

#[actix_web::test]
async fn only_dinsos_of_the_agencies_decides() {
    let app = TestApp::spawn().await;
    let (h, _) = family(&app, OWN_DESA, 7).await;
    let r = file(
        &app,
        Role::Opd,
        json!({"type": "correction", "household_id": h, "reason": "x", "payload": {"desil": 4}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let perkim = app.token_for("perkim.uji", Role::Opd, None, Some("PERKIM"));
    let refused = app
        .send(
            app.req_as(
                Method::POST,
                &format!("/api/v1/change-requests/{}/decision", id(&r)),
                &perkim,
            )
            .set_json(json!({"decision": "approve"})),
        )
        .await;
    assert_problem(&refused, 403, "forbidden");
    let company = app.get("/api/v1/change-requests", Role::Company).await;
    assert_problem(&company, 403, "forbidden");
    let company = app
        .get(
            &format!("/api/v1/change-requests/{}", id(&r)),
            Role::Company,
        )
        .await;
    assert_problem(&company, 403, "forbidden");
    let company = app
        .get(
            "/api/v1/change-requests/export?month=2026-12",
            Role::Company,
        )
        .await;
    assert_problem(&company, 403, "forbidden");
}

#[actix_web::test]
async fn an_operator_reaches_its_area_only() {
    let app = TestApp::spawn().await;
    let (own, own_members) = family(&app, OWN_DESA, 8).await;
    let (other, _) = family(&app, OTHER_DESA, 9).await;
    let list = app
        .get("/api/v1/households?per_page=200", Role::Operator)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let regions: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["region_code"].as_str().unwrap())
        .collect();
    assert!(
        !regions.is_empty() && regions.iter().all(|r| *r == OWN_DESA),
        "{regions:?}"
    );
    // Its full view: NIK unmasked.
    let own_read = app
        .get(&format!("/api/v1/households/{own}"), Role::Operator)
        .await;
    assert_eq!(own_read.status, 200);
    assert_eq!(own_read.body["head_nik"], "6402061203850008");
    // Another region's filter does not widen the area.
    let filtered = app
        .get(
            &format!("/api/v1/households?region={OTHER_DESA}"),
            Role::Operator,
        )
        .await;
    assert_eq!(filtered.body["total"], 0, "{}", filtered.body);
    for path in [
        format!("/api/v1/households/{other}"),
        format!("/api/v1/households/{other}/members"),
        format!("/api/v1/households/{other}/history"),
    ] {
        assert_problem(&app.get(&path, Role::Operator).await, 404, "not_found");
    }
    let members = app
        .get(&format!("/api/v1/households/{own}/members"), Role::Operator)
        .await;
    assert_eq!(members.body.as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&format!("/api/v1/households/{own}/history"), Role::Operator)
            .await
            .status,
        200
    );
    // Filing for a household outside is refused as for a missing one.
    let outside = file(
        &app,
        Role::Operator,
        json!({"type": "moved", "household_id": other, "reason": "x", "payload": {}}),
    )
    .await;
    assert_problem(&outside, 422, "validation_failed");
    // A request on a household outside is not found; the list holds only its area's.
    let theirs = file(
        &app,
        Role::Verifier,
        json!({"type": "moved", "household_id": other, "reason": "x", "payload": {}}),
    )
    .await;
    let mine = file(
        &app,
        Role::Verifier,
        json!({"type": "member_left", "household_id": own, "reason": "x", "payload": {"member_id": own_members[0]}}),
    )
    .await;
    assert_problem(
        &app.get(
            &format!("/api/v1/change-requests/{}", id(&theirs)),
            Role::Operator,
        )
        .await,
        404,
        "not_found",
    );
    let listed = app.get("/api/v1/change-requests", Role::Operator).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
    assert_eq!(listed.body["items"][0]["id"], id(&mine).as_str());
    // Nothing else: programs, reports, companies, users.
    for path in [
        "/api/v1/programs",
        "/api/v1/companies",
        "/api/v1/cycles/2031/coverage",
        "/api/v1/users",
        "/api/v1/audit-events",
    ] {
        assert_problem(&app.get(path, Role::Operator).await, 403, "forbidden");
    }
}

#[actix_web::test]
async fn an_operator_account_names_an_existing_region_and_a_new_region_ends_its_tokens() {
    let app = TestApp::spawn_with(|c| c.account_cache_ms = 0).await;
    for (body, field) in [
        (json!({"role": "operator"}), "region_code"),
        (
            json!({"role": "operator", "region_code": "64.02"}),
            "region_code",
        ),
        (
            json!({"role": "operator", "region_code": "64.02.99.9999"}),
            "region_code",
        ),
        (
            json!({"role": "viewer", "region_code": OWN_DESA}),
            "region_code",
        ),
    ] {
        let mut body = body;
        body["username"] = json!("operator.uji");
        body["password"] = json!("long-enough-pw-1");
        let resp = app.post("/api/v1/users", Role::Admin, body.clone()).await;
        assert_problem(&resp, 422, "validation_failed");
        assert_eq!(
            resp.body["errors"][0]["field"], field,
            "{body}: {}",
            resp.body
        );
    }
    let created = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "operator.kec", "password": "long-enough-pw-1", "role": "operator", "region_code": "640206"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["region_code"], "64.02.06");
    let login = app
        .send(
            actix_web::test::TestRequest::post()
                .uri("/api/v1/auth/token")
                .set_json(json!({"username": "operator.kec", "password": "long-enough-pw-1"})),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["access_token"].as_str().unwrap().to_string();
    // A kecamatan operator reaches every desa of it.
    let (other, _) = family(&app, OTHER_DESA, 10).await;
    let read = app
        .send(app.req_as(Method::GET, &format!("/api/v1/households/{other}"), &token))
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    let user = created.body["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/users/{user}"),
            Role::Admin,
            json!({"region_code": "64.02.07"}),
            None,
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let stale = app
        .send(app.req_as(Method::GET, &format!("/api/v1/households/{other}"), &token))
        .await;
    assert_problem(&stale, 401, "stale_token");
}

#[actix_web::test]
async fn a_moved_visit_files_a_change_request_in_its_transaction() {
    let app = TestApp::spawn().await;
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 2).await;
    let visit = app.verify(&p.targets[0], "moved").await;
    assert_eq!(visit.status, 201, "{}", visit.body);
    let eligible = app.verify(&p.targets[1], "eligible").await;
    assert_eq!(eligible.status, 201, "{}", eligible.body);
    let filed = app
        .get(
            &format!("/api/v1/change-requests?household_id={}", p.households[0]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(filed.body["total"], 1, "{}", filed.body);
    let r = &filed.body["items"][0];
    assert_eq!(r["type"], "moved");
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["submitted_by"], "verifier");
    assert_eq!(r["verification_id"], visit.body["id"]);
    assert_eq!(r["payload"]["moved_on"], today().to_string());
    assert!(r["reason"].as_str().unwrap().contains("moved"), "{r}");
    let none = app
        .get(
            &format!("/api/v1/change-requests?household_id={}", p.households[1]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(none.body["total"], 0, "an eligible visit files nothing");
    // Approving it marks the family moved away.
    let approved = decide(&app, Role::Bappeda, r["id"].as_str().unwrap(), "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let household = app
        .get(
            &format!("/api/v1/households/{}", p.households[0]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(household.body["status"], "moved");
}

#[actix_web::test]
async fn the_month_export_lists_approved_changes_as_csv_and_xlsx() {
    let app = TestApp::spawn().await;
    let (h, members) = family(&app, OWN_DESA, 11).await;
    let left = file(
        &app,
        Role::Operator,
        json!({"type": "member_left", "household_id": h, "reason": "Pindah sendiri.", "payload": {"member_id": members[0]}}),
    )
    .await;
    assert_eq!(
        decide(&app, Role::Bappeda, &id(&left), "approve")
            .await
            .status,
        200
    );
    let open = file(
        &app,
        Role::Operator,
        json!({"type": "correction", "household_id": h, "reason": "x", "payload": {"desil": 2}}),
    )
    .await;
    assert_eq!(open.status, 201);
    let month = today().format("%Y-%m").to_string();
    let json_export = app
        .get(
            &format!("/api/v1/change-requests/export?month={month}"),
            Role::Operator,
        )
        .await;
    assert_eq!(json_export.status, 200, "{}", json_export.body);
    let items = json_export.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "only approved changes: {}",
        json_export.body
    );
    assert_eq!(items[0]["desa_code"], OWN_DESA);
    assert_eq!(items[0]["desa_name"], "Jahab");
    assert_eq!(items[0]["kk_number"], "6402060101260011");
    assert_eq!(items[0]["nik"], "6402065507121100");
    assert_eq!(items[0]["type"], "member_left");
    assert_eq!(items[0]["request_id"], id(&left).as_str());
    assert_eq!(items[0]["decided_on"], today().to_string());

    let csv = app
        .send(
            app.req(
                Method::GET,
                &format!("/api/v1/change-requests/export?month={month}"),
                Role::Bappeda,
            )
            .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.raw.clone()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("desa_code,desa_name,kk_number,nik,type,new_values,decided_on,request_id")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("64.02.06.1001,Jahab,6402060101260011,6402065507121100,member_left,"),
        "{row}"
    );
    assert!(lines.next().is_none());

    let xlsx = app
        .get(
            &format!("/api/v1/change-requests/export?month={month}&format=xlsx"),
            Role::Admin,
        )
        .await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert!(xlsx.raw.starts_with(b"PK"), "an XLSX is a zip");

    let other_month = app
        .get(
            "/api/v1/change-requests/export?month=2020-01",
            Role::Bappeda,
        )
        .await;
    assert_eq!(other_month.body["items"], json!([]));
    let bad = app
        .get(
            "/api/v1/change-requests/export?month=2026-13",
            Role::Bappeda,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let not_acceptable = app
        .send(
            app.req(
                Method::GET,
                &format!("/api/v1/change-requests/export?month={month}"),
                Role::Bappeda,
            )
            .insert_header(("Accept", "application/pdf")),
        )
        .await;
    assert_eq!(not_acceptable.status, 406);
    let format_with_bad_accept = app
        .send(
            app.req(
                Method::GET,
                &format!("/api/v1/change-requests/export?month={month}&format=csv"),
                Role::Bappeda,
            )
            .insert_header(("Accept", "application/pdf")),
        )
        .await;
    assert_eq!(format_with_bad_accept.status, 406);
    // A verifier files requests but does not export NIKs.
    let verifier = app
        .get(
            &format!("/api/v1/change-requests/export?month={month}"),
            Role::Verifier,
        )
        .await;
    assert_problem(&verifier, 403, "forbidden");
}

#[actix_web::test]
async fn a_retried_decision_with_another_precondition_is_not_a_replay() {
    let app = TestApp::spawn().await;
    let (h, _) = family(&app, OWN_DESA, 12).await;
    let r = file(
        &app,
        Role::Bappeda,
        json!({"type": "correction", "household_id": h, "reason": "x", "payload": {"desil": 5}}),
    )
    .await;
    let path = format!("/api/v1/change-requests/{}/decision", id(&r));
    let send = |tag: &'static str| {
        app.send(
            app.req(Method::POST, &path, Role::Bappeda)
                .insert_header(("Idempotency-Key", "decide-once"))
                .insert_header(("If-Match", tag))
                .set_json(json!({"decision": "approve"})),
        )
    };
    let first = send("\"1\"").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = send("\"1\"").await;
    assert_eq!(replay.status, 200);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    let other = send("\"9\"").await;
    assert_problem(&other, 422, "idempotency_key_reused");
}
