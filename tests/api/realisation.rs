//! Issue 15, items 1 and 4: APBD programs (an agency's own, no company,
//! signed by the agency alone, never targeting a family a CSR program of
//! the same type already holds) and realisation reports (one per company
//! and period, figures frozen at submission, Bappeda's review).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, day, Resp, TestApp};
use rbpk::db::seed;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

fn apbd_program(kecamatan: &str) -> Value {
    json!({"cycle_year": 2027, "title": "RTLH APBD 2027", "type": "housing", "strategy": "reduce_burden",
        "budget": 300_000_000, "target_regions": [kecamatan]})
}

#[actix_web::test]
async fn an_agency_runs_its_own_apbd_program_and_csr_never_pays_for_the_same_family() {
    let app = TestApp::spawn().await;
    let kec = app.registry(60).await;
    app.demo_company_works_in(&kec).await;
    // A CSR program of the demo company, led by the demo agency, one target.
    let csr = app.consolidated_program(&kec, 1).await;

    // Only the agency's own APBD programs: who may ask for what.
    let company_asks = app
        .post("/api/v1/programs", Role::Company, {
            let mut b = apbd_program(&kec);
            b["funding"] = json!("apbd");
            b
        })
        .await;
    assert_problem(&company_asks, 422, "validation_failed");
    assert_eq!(company_asks.body["errors"][0]["field"], "funding");
    let opd_asks_csr = app
        .post("/api/v1/programs", Role::Opd, {
            let mut b = apbd_program(&kec);
            b["funding"] = json!("csr");
            b
        })
        .await;
    assert_eq!(opd_asks_csr.body["errors"][0]["field"], "funding");
    let with_company = app
        .post("/api/v1/programs", Role::Opd, {
            let mut b = apbd_program(&kec);
            b["company_id"] = json!(seed::DEMO_COMPANY_ID);
            b
        })
        .await;
    assert_eq!(with_company.body["errors"][0]["field"], "company_id");
    let no_lead = app
        .post("/api/v1/programs", Role::Bappeda, {
            let mut b = apbd_program(&kec);
            b["funding"] = json!("apbd");
            b
        })
        .await;
    assert_eq!(no_lead.body["errors"][0]["field"], "opd_code");

    // The agency's program: APBD by default for it, led by it, no company.
    let created = app
        .post("/api/v1/programs", Role::Opd, apbd_program(&kec))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["funding"], "apbd");
    assert_eq!(created.body["company_id"], Value::Null);
    assert_eq!(created.body["opd_code"], seed::DEMO_OPD_CODE);
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/programs/{id}");
    // No company reads it.
    assert_eq!(app.get(&path, Role::Company).await.status, 404);
    let listed = app
        .get("/api/v1/programs?funding=apbd", Role::Company)
        .await;
    assert_eq!(listed.body["total"], 0, "{}", listed.body);
    let listed = app.get("/api/v1/programs?funding=apbd", Role::Opd).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
    // The agency edits its own, never hands it to another, never edits the company's.
    let renamed = app
        .patch(
            &path,
            Role::Opd,
            json!({"title": "RTLH APBD Tenggarong"}),
            None,
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let handed = app
        .patch(&path, Role::Opd, json!({"opd_code": "PERKIM"}), None)
        .await;
    assert_problem(&handed, 422, "validation_failed");
    let on_csr = app
        .patch(
            &format!("/api/v1/programs/{}", csr.id),
            Role::Opd,
            json!({"title": "x"}),
            None,
        )
        .await;
    assert_eq!(on_csr.status, 409, "{}", on_csr.body);
    assert_eq!(on_csr.body["code"], "not_an_apbd_program");

    // The agency takes the company's steps: submit in the proposal window,
    // then Bappeda consolidates.
    app.calendar(1, 2, 3, 4).await;
    let transitions = format!("{path}/transitions");
    let submitted = app
        .post(&transitions, Role::Opd, json!({"action": "submit"}))
        .await;
    assert_eq!(submitted.body["status"], "proposed", "{}", submitted.body);
    app.calendar(-1, 0, 1, 2).await;
    let consolidated = app
        .post(
            &transitions,
            Role::Bappeda,
            json!({"action": "consolidate"}),
        )
        .await;
    assert_eq!(
        consolidated.body["status"], "consolidated",
        "{}",
        consolidated.body
    );

    // One target per type per cycle across CSR and APBD: the CSR program's
    // family is refused, named to the agency (a government role)…
    let targets = format!("{path}/targets");
    let taken = app
        .post(
            &targets,
            Role::Opd,
            json!({"household_id": csr.households[0], "planned_value": 10_000_000}),
        )
        .await;
    assert_problem(&taken, 409, "already_targeted");
    assert_eq!(taken.body["other_program_id"], csr.id.as_str());
    // A family the company was shown for its own program goes to the APBD one.
    let recs = app
        .get(
            &format!("/api/v1/programs/{}/recommendations?limit=1", csr.id),
            Role::Company,
        )
        .await;
    assert_eq!(recs.status, 200, "{}", recs.body);
    let household = recs.body[0]["household"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let target = app
        .post(
            &targets,
            Role::Opd,
            json!({"household_id": household, "planned_value": 10_000_000}),
        )
        .await;
    assert_eq!(target.status, 201, "{}", target.body);
    // …and the APBD family to the company, without naming the program.
    let csr_targets = format!("/api/v1/programs/{}/targets", csr.id);
    let refused = app
        .post(
            &csr_targets,
            Role::Company,
            json!({"household_id": household}),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["code"], "already_targeted");
    assert!(
        refused.body.get("other_program_id").is_none(),
        "{}",
        refused.body
    );
    assert!(!refused.body.to_string().contains(&id), "{}", refused.body);
    let named = app
        .post(
            &csr_targets,
            Role::Bappeda,
            json!({"household_id": household}),
        )
        .await;
    assert_eq!(
        named.body["other_program_id"],
        id.as_str(),
        "{}",
        named.body
    );

    // Verified, then signed by the agency alone: agreed.
    let visit = app
        .verify(target.body["id"].as_str().unwrap(), "eligible")
        .await;
    assert_eq!(visit.status, 201, "{}", visit.body);
    let signed = app
        .post(
            &format!("{path}/signatures"),
            Role::Opd,
            json!({"agreement_number": "DPA/DINSOS/2027/004", "signed_on": day(0)}),
        )
        .await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(signed.body["status"], "agreed", "{}", signed.body);
    assert_eq!(signed.body["signed_by_company_on"], Value::Null);
}

async fn report(app: &TestApp, token: &str, body: Value) -> Resp {
    app.send(
        app.req_as(Method::POST, "/api/v1/realisation-reports", token)
            .set_json(body),
    )
    .await
}

#[actix_web::test]
async fn a_realisation_report_is_filed_once_per_period_frozen_and_reviewed() {
    let app = TestApp::spawn().await;
    app.calendar(1, 2, 3, 4).await;
    let own = app.token(Role::Company);
    let (_, other) = app
        .company("PT Lain", "8120104567111", "mining", &["64.02.06"])
        .await;

    let created = report(
        &app,
        &own,
        json!({"period": "2027-Q2", "notes": "Tahap 1."}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["company_id"], seed::DEMO_COMPANY_ID);
    assert_eq!(created.body["due_on"], "2027-07-10");
    assert_eq!(created.body["programs"], json!([]));
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/realisation-reports/{id}");
    assert_eq!(created.header("location").unwrap(), path);

    // Once per company and period; periods of existing cycles only.
    let again = report(&app, &own, json!({"period": "2027-Q2"})).await;
    assert_problem(&again, 409, "report_exists");
    assert_eq!(again.body["report_id"], id.as_str());
    for bad in ["2027-Q5", "Q1-2027", "2031"] {
        let r = report(&app, &own, json!({"period": bad})).await;
        assert_problem(&r, 422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "period", "{bad}");
    }
    // Admin names the company; another company's stays out of reach.
    let admin = app
        .post(
            "/api/v1/realisation-reports",
            Role::Admin,
            json!({"period": "2027", "company_id": seed::DEMO_COMPANY_ID}),
        )
        .await;
    assert_eq!(admin.status, 201, "{}", admin.body);
    let theirs = app.send(app.req_as(Method::GET, &path, &other)).await;
    assert_eq!(theirs.status, 404);
    let their_list = app
        .send(app.req_as(Method::GET, "/api/v1/realisation-reports", &other))
        .await;
    assert_eq!(their_list.body["total"], 0, "{}", their_list.body);
    let all = app
        .get(
            "/api/v1/realisation-reports?cycle=2027&period=2027-Q2",
            Role::Bupati,
        )
        .await;
    assert_eq!(all.body["total"], 1, "{}", all.body);

    // Lifecycle: nothing to review in a draft; the company submits.
    let review = format!("{path}/review");
    assert_problem(
        &app.post(&review, Role::Bappeda, json!({"decision": "approve"}))
            .await,
        409,
        "invalid_report_status",
    );
    let submit = format!("{path}/submit");
    let submitted = app.post(&submit, Role::Company, json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    assert_eq!(submitted.body["status"], "submitted");
    // No agreed program: frozen at zero, not left empty.
    assert_eq!(submitted.body["planned_budget"], 0);
    assert_eq!(submitted.body["households_served"], 0);
    assert_eq!(submitted.body["submitted_on"], day(0));
    assert_eq!(
        submitted.body["notes"], "Tahap 1.",
        "kept when not replaced"
    );
    assert_problem(
        &app.post(&submit, Role::Company, json!({})).await,
        409,
        "invalid_report_status",
    );
    // A revision request says what to fix.
    assert_problem(
        &app.post(
            &review,
            Role::Bappeda,
            json!({"decision": "request_revision", "note": "  "}),
        )
        .await,
        422,
        "note_required",
    );
    // A stale version is refused.
    let stale = app
        .send(
            app.req(Method::POST, &review, Role::Bappeda)
                .insert_header(("if-match", "\"1\""))
                .set_json(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let approved = app
        .send(
            app.req(Method::POST, &review, Role::Bappeda)
                .insert_header(("if-match", submitted.etag()))
                .set_json(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["reviewed_by"], "bappeda");
    assert_problem(
        &app.post(&submit, Role::Company, json!({})).await,
        409,
        "invalid_report_status",
    );
    // Every step is in the audit trail.
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=realisation_report&entity_id={id}"),
            Role::Admin,
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["create", "submit", "review"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}
