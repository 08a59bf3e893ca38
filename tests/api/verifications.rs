//! Field verifications: who records them, when, for which programs; what a
//! result does to the target, the household and the program; the history;
//! who reads them; and the agreement reached through them, on to completion.

// Helpers panic on a broken setup: that is a test failure, as in the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{assert_problem, day, TestApp};
use rbpk::domain::role::Role;
use serde_json::json;

async fn setup(n: usize) -> (TestApp, common::ConsolidatedProgram) {
    let app = TestApp::spawn().await;
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    let program = app.consolidated_program(&kec, n).await;
    (app, program)
}

fn program_path(id: &str) -> String {
    format!("/api/v1/programs/{id}")
}

#[actix_web::test]
async fn a_visit_sets_the_target_status_and_the_last_one_makes_the_program_verified() {
    let (app, p) = setup(2).await;
    let first = app.verify(&p.targets[0], "eligible").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["id"].as_str().unwrap();
    assert_eq!(
        first.header("location").unwrap(),
        format!("/api/v1/verifications/{id}")
    );
    assert_eq!(first.body["program_id"], p.id.as_str());
    assert_eq!(first.body["household_id"], p.households[0].as_str());
    assert_eq!(first.body["verifier"], "verifier");
    assert_eq!(first.body["latitude"], -0.4312);
    assert_eq!(first.body["target_status"], "eligible");
    assert_eq!(first.body["program_status"], "consolidated");
    let target = app
        .get(
            &format!("{}/targets/{}", program_path(&p.id), p.targets[0]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(target.body["status"], "eligible");
    let second = app.verify(&p.targets[1], "ineligible").await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.body["program_status"], "verified");
    let program = app.get(&program_path(&p.id), Role::Bappeda).await;
    assert_eq!(program.body["status"], "verified");
}

#[actix_web::test]
async fn a_later_visit_supersedes_an_earlier_one_and_both_stay_in_the_history() {
    let (app, p) = setup(1).await;
    let first = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": p.targets[0], "visited_on": day(-1), "result": "not_found"}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["target_status"], "not_found");
    let second = app.verify(&p.targets[0], "eligible").await;
    assert_eq!(second.body["target_status"], "eligible");
    // A visit dated before the latest is history: it does not change the status.
    let late_entry = app
        .post(
            "/api/v1/verifications",
            Role::Bappeda,
            json!({"target_id": p.targets[0], "visited_on": day(-2), "result": "ineligible"}),
        )
        .await;
    assert_eq!(late_entry.status, 201, "{}", late_entry.body);
    assert_eq!(late_entry.body["target_status"], "eligible");
    let history = app
        .get(
            &format!("/api/v1/verifications?program_id={}", p.id),
            Role::Bappeda,
        )
        .await;
    assert_eq!(history.body["total"], 3);
    assert_eq!(history.body["items"][0]["result"], "eligible");
    let only = app
        .get("/api/v1/verifications?result=not_found", Role::Bappeda)
        .await;
    assert_eq!(only.body["total"], 1);
    let by_household = app
        .get(
            &format!("/api/v1/verifications?household_id={}", p.households[0]),
            Role::Verifier,
        )
        .await;
    assert_eq!(by_household.body["total"], 3);
}

#[actix_web::test]
async fn moved_and_deceased_flag_the_household_without_deleting_it() {
    let (app, p) = setup(2).await;
    assert_eq!(app.verify(&p.targets[0], "moved").await.status, 201);
    assert_eq!(app.verify(&p.targets[1], "deceased").await.status, 201);
    for hid in &p.households {
        let h = app
            .get(&format!("/api/v1/households/{hid}"), Role::Bappeda)
            .await;
        assert_eq!(h.status, 200);
        assert_eq!(h.body["needs_update"], true);
        assert_eq!(h.body["status"], "active");
    }
    let audit = app
        .get("/api/v1/audit-events?entity=household", Role::Admin)
        .await;
    let flagged = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "flag_for_update")
        .count();
    assert_eq!(flagged, 2);
}

#[actix_web::test]
async fn outside_the_window_is_409_with_its_dates_and_an_admin_may_override_with_a_reason() {
    let (app, p) = setup(1).await;
    app.calendar(-3, -2, -1, 2).await;
    let late = app.verify(&p.targets[0], "eligible").await;
    assert_problem(&late, 409, "verification_window_closed");
    assert_eq!(late.body["window"], "verification");
    assert_eq!(late.body["window_until"], day(-1));
    app.calendar(-1, 1, 2, 3).await;
    let early = app.verify(&p.targets[0], "eligible").await;
    assert_problem(&early, 409, "verification_window_not_open");
    assert_eq!(early.body["window_from"], day(1));
    let body = json!({"target_id": p.targets[0], "visited_on": day(0), "result": "eligible",
        "override_reason": "Tim terlambat karena banjir"});
    let bappeda = app
        .post("/api/v1/verifications", Role::Bappeda, body.clone())
        .await;
    assert_problem(&bappeda, 403, "forbidden");
    let admin = app.post("/api/v1/verifications", Role::Admin, body).await;
    assert_eq!(admin.status, 201, "{}", admin.body);
    assert_eq!(admin.body["override_reason"], "Tim terlambat karena banjir");
    let audit = app
        .get("/api/v1/audit-events?entity=verification", Role::Admin)
        .await;
    assert_eq!(audit.body["items"][0]["action"], "create_window_overridden");
}

#[actix_web::test]
async fn only_targets_of_consolidated_or_verified_programs_are_verified() {
    let (app, p) = setup(1).await;
    let other = app
        .post(
            "/api/v1/programs",
            Role::Bappeda,
            json!({"cycle_year": 2027, "company_id": rbpk::db::seed::DEMO_COMPANY_ID, "title": "Jamban sehat",
                "type": "sanitation", "strategy": "reduce_burden", "budget": 1000, "opd_code": "DINSOS"}),
        )
        .await;
    let pid = other.body["id"].as_str().unwrap();
    let target = app
        .post(
            &format!("/api/v1/programs/{pid}/targets"),
            Role::Bappeda,
            json!({"household_id": p.households[0]}),
        )
        .await;
    assert_eq!(target.status, 201, "{}", target.body);
    let draft = app
        .verify(target.body["id"].as_str().unwrap(), "eligible")
        .await;
    assert_problem(&draft, 409, "program_not_verifiable");
    assert_eq!(draft.body["program_status"], "draft");
    let unknown = app.verify("no-such-target", "eligible").await;
    assert_problem(&unknown, 422, "validation_failed");
    let wrong_program = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": p.targets[0], "program_id": pid, "visited_on": day(0), "result": "eligible"}),
        )
        .await;
    assert_problem(&wrong_program, 422, "validation_failed");
    assert_eq!(wrong_program.body["errors"][0]["field"], "program_id");
}

#[actix_web::test]
async fn bad_dates_and_coordinates_are_422_naming_each_field() {
    let (app, p) = setup(1).await;
    let resp = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": p.targets[0], "visited_on": day(1), "result": "eligible", "latitude": 91.0}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["visited_on", "latitude", "longitude"]);
    let resp = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": p.targets[0], "visited_on": day(0), "result": "eligible", "longitude": 181.0, "latitude": 0.0}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let resp = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": p.targets[0], "visited_on": day(0), "result": "rumor"}),
        )
        .await;
    assert_problem(&resp, 400, "invalid_body");
}

#[actix_web::test]
async fn writers_and_readers_by_role() {
    let (app, p) = setup(1).await;
    let body = json!({"target_id": p.targets[0], "visited_on": day(0), "result": "eligible"});
    for role in [Role::Company, Role::Viewer, Role::Bupati] {
        let r = app.post("/api/v1/verifications", role, body.clone()).await;
        assert_problem(&r, 403, "forbidden");
    }
    // The lead agency records; another agency does not reach the program.
    let other_opd = app.token_for("dinkes", Role::Opd, None, Some("DINKES"));
    let req = app
        .req(
            actix_web::http::Method::POST,
            "/api/v1/verifications",
            Role::Opd,
        )
        .insert_header(("Authorization", format!("Bearer {other_opd}")))
        .set_json(body.clone());
    assert_problem(&app.send(req).await, 422, "validation_failed");
    let lead = app.post("/api/v1/verifications", Role::Opd, body).await;
    assert_eq!(lead.status, 201, "{}", lead.body);
    let id = lead.body["id"].as_str().unwrap();
    let path = format!("/api/v1/verifications/{id}");
    for role in [
        Role::Verifier,
        Role::Opd,
        Role::Bappeda,
        Role::Admin,
        Role::Bupati,
        Role::Company,
    ] {
        let r = app.get(&path, role).await;
        assert_eq!(r.status, 200, "{role:?}: {}", r.body);
        assert!(r.body.get("target_status").is_none());
    }
    assert_problem(&app.get(&path, Role::Viewer).await, 403, "forbidden");
    assert_problem(
        &app.get("/api/v1/verifications", Role::Viewer).await,
        403,
        "forbidden",
    );
    // Another company: 404 on the record, nothing in the list.
    let (_, stranger) = app
        .company("PT Lain", "8120104567222", "mining", &["64.02.06"])
        .await;
    let get = |path: String| {
        app.req(actix_web::http::Method::GET, &path, Role::Company)
            .insert_header(("Authorization", format!("Bearer {stranger}")))
    };
    assert_problem(&app.send(get(path.clone())).await, 404, "not_found");
    let list = app.send(get("/api/v1/verifications".into())).await;
    assert_eq!(list.body["total"], 0);
    let other_agency = app
        .send(
            app.req(actix_web::http::Method::GET, &path, Role::Opd)
                .insert_header(("Authorization", format!("Bearer {other_opd}"))),
        )
        .await;
    assert_eq!(other_agency.status, 404);
    // The owning company's reads are audited: notes may be personal data.
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=verification&entity_id={id}"),
            Role::Admin,
        )
        .await;
    assert!(audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "read_personal_data" && e["role"] == "company"));
}

#[actix_web::test]
async fn bad_list_parameters_are_400() {
    let app = TestApp::spawn().await;
    for q in ["result=maybe", "colour=red", "per_page=500"] {
        let r = app
            .get(&format!("/api/v1/verifications?{q}"), Role::Bappeda)
            .await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
    }
}

#[actix_web::test]
async fn a_program_walks_from_verification_through_agreement_to_completion() {
    let (app, p) = setup(2).await;
    assert_eq!(app.verify(&p.targets[0], "eligible").await.status, 201);
    assert_eq!(
        app.verify(&p.targets[1], "already_assisted").await.status,
        201
    );
    let sig = json!({"agreement_number": "PKS/001/2027", "signed_on": day(0)});
    let path = program_path(&p.id);
    let company = app
        .post(&format!("{path}/signatures"), Role::Company, sig.clone())
        .await;
    assert_eq!(company.status, 200, "{}", company.body);
    assert_eq!(company.body["status"], "verified");
    let opd = app
        .post(&format!("{path}/signatures"), Role::Opd, sig)
        .await;
    assert_eq!(opd.status, 200, "{}", opd.body);
    assert_eq!(opd.body["status"], "agreed");
    // Agreed: no more visits.
    assert_problem(
        &app.verify(&p.targets[0], "eligible").await,
        409,
        "program_not_verifiable",
    );
    let t = format!("{path}/transitions");
    let early = app
        .post(&t, Role::Company, json!({"action": "complete"}))
        .await;
    assert_eq!(early.status, 409, "{}", early.body);
    let start = app
        .post(&t, Role::Company, json!({"action": "start"}))
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    assert_eq!(start.body["status"], "running");
    let not_eligible = app
        .patch(
            &format!("{path}/targets/{}", p.targets[1]),
            Role::Company,
            json!({"realized_value": 1}),
            None,
        )
        .await;
    assert_problem(&not_eligible, 409, "not_eligible");
    let served = app
        .patch(
            &format!("{path}/targets/{}", p.targets[0]),
            Role::Opd,
            json!({"realized_value": 24_500_000}),
            None,
        )
        .await;
    assert_eq!(served.status, 200, "{}", served.body);
    assert_eq!(served.body["status"], "served");
    let done = app.post(&t, Role::Opd, json!({"action": "complete"})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "completed");
}
