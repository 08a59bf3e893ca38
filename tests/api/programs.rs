//! Programs: proposal to signatures, calendar windows, targets without double
//! targeting, recommendations and what companies may see.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, demo_files, TestApp};
use rbpk::domain::role::Role;
use serde_json::{json, Value};

const YEAR: i32 = 2031;
const DEMO_COMPANY: &str = "00000000-0000-4000-8000-000000000001";

/// A registry, and a cycle whose proposal window is open.
async fn setup() -> TestApp {
    let app = TestApp::spawn().await;
    let files = demo_files(400, 5);
    app.import("p3ke", "text/csv", &files.families_csv).await;
    app.import("p3ke", "text/csv", &files.members_csv).await;
    app.cycle(YEAR, 5, 6, 10, 20).await;
    app
}

async fn propose(app: &TestApp, role: Role, body: Value) -> Value {
    let resp = app.post("/api/v1/programs", role, body).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body
}

fn housing(extra: Value) -> Value {
    let mut body = json!({"cycle_year": YEAR, "title": "Bedah rumah Tenggarong", "type": "housing",
        "strategy": "reduce_burden", "budget": 1_200_000_000i64, "opd_code": "PERKIM"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

async fn act(app: &TestApp, id: &str, role: Role, body: Value) -> common::Resp {
    app.post(&format!("/api/v1/programs/{id}/transitions"), role, body)
        .await
}

#[actix_web::test]
async fn a_company_proposes_its_program_and_submits_it_in_the_proposal_window() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({}))).await;
    assert_eq!(p["status"], "draft");
    assert_eq!(p["company_id"], DEMO_COMPANY);
    assert_eq!(p["type"], "housing");
    assert!(
        p["available_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("submit")),
        "{p}"
    );
    let id = p["id"].as_str().unwrap();
    let resp = act(&app, id, Role::Company, json!({"action": "submit"})).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "proposed");
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=program&entity_id={id}&action=submit"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(audit.body["total"], 1);
    assert_eq!(audit.body["items"][0]["after"]["status"], "proposed");
}

#[actix_web::test]
async fn a_company_cannot_propose_for_another_company_nor_for_a_missing_cycle() {
    let app = setup().await;
    let resp = app
        .post(
            "/api/v1/programs",
            Role::Company,
            housing(json!({"company_id": "someone-else"})),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let resp = app
        .post(
            "/api/v1/programs",
            Role::Company,
            housing(json!({"cycle_year": 1999})),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "cycle_year");
    let resp = app
        .post("/api/v1/programs", Role::Bappeda, housing(json!({})))
        .await;
    assert_eq!(resp.body["errors"][0]["field"], "company_id");
    let resp = app
        .post(
            "/api/v1/programs",
            Role::Company,
            housing(json!({"budget": -1, "opd_code": "perkim"})),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"].as_array().unwrap().len(), 2);
    let resp = app
        .post(
            "/api/v1/programs",
            Role::Company,
            housing(json!({"target_regions": ["64.02.99"]})),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_problem(
        &app.post("/api/v1/programs", Role::Viewer, housing(json!({})))
            .await,
        403,
        "forbidden",
    );
}

#[actix_web::test]
async fn submitting_after_the_proposal_window_is_409_naming_it_unless_an_admin_overrides() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({}))).await;
    let id = p["id"].as_str().unwrap();
    app.cycle(YEAR, -1, 0, 10, 20).await;
    let resp = act(&app, id, Role::Company, json!({"action": "submit"})).await;
    assert_problem(&resp, 409, "proposal_window_closed");
    assert_eq!(resp.body["window_until"], common::day(-1));
    let resp = act(
        &app,
        id,
        Role::Bappeda,
        json!({"action": "submit", "override_reason": "late letter"}),
    )
    .await;
    assert_problem(&resp, 403, "forbidden");
    let resp = act(
        &app,
        id,
        Role::Admin,
        json!({"action": "submit", "override_reason": "surat terlambat, disetujui Kepala Bappeda"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "proposed");
    assert!(resp.body["status_note"]
        .as_str()
        .unwrap()
        .contains("overridden"));
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=program&entity_id={id}&action=submit"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.body["items"][0]["actor"], "admin");
    assert!(audit.body["items"][0]["after"]["status_note"]
        .as_str()
        .unwrap()
        .contains("surat terlambat"));
}

#[actix_web::test]
async fn consolidation_waits_for_the_window_needs_a_lead_agency_and_is_bappedas() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({"opd_code": null}))).await;
    let id = p["id"].as_str().unwrap();
    act(&app, id, Role::Company, json!({"action": "submit"})).await;
    let resp = act(&app, id, Role::Bappeda, json!({"action": "consolidate"})).await;
    assert_problem(&resp, 409, "consolidation_window_not_open");
    app.cycle(YEAR, -1, 0, 10, 20).await;
    assert_problem(
        &act(&app, id, Role::Company, json!({"action": "consolidate"})).await,
        403,
        "forbidden",
    );
    let resp = act(&app, id, Role::Bappeda, json!({"action": "consolidate"})).await;
    assert_eq!(resp.status, 409, "{}", resp.body);
    let patched = app
        .patch(
            &format!("/api/v1/programs/{id}"),
            Role::Bappeda,
            json!({"opd_code": "PERKIM"}),
            None,
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let resp = act(
        &app,
        id,
        Role::Bappeda,
        json!({"action": "consolidate", "note": "masuk RKPD"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "consolidated");
    // Consolidated programs are no longer edited.
    let resp = app
        .patch(
            &format!("/api/v1/programs/{id}"),
            Role::Company,
            json!({"budget": 1}),
            None,
        )
        .await;
    assert_problem(&resp, 409, "program_locked");
}

#[actix_web::test]
async fn a_rejection_needs_a_note_and_ends_the_program() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({}))).await;
    let id = p["id"].as_str().unwrap();
    act(&app, id, Role::Company, json!({"action": "submit"})).await;
    app.cycle(YEAR, -1, 0, 10, 20).await;
    assert_problem(
        &act(&app, id, Role::Bappeda, json!({"action": "reject"})).await,
        422,
        "note_required",
    );
    let resp = act(
        &app,
        id,
        Role::Bappeda,
        json!({"action": "reject", "note": "di luar prioritas"}),
    )
    .await;
    assert_eq!(resp.body["status"], "rejected");
    assert_problem(
        &act(&app, id, Role::Company, json!({"action": "withdraw"})).await,
        409,
        "invalid_transition",
    );
    assert_problem(
        &act(&app, id, Role::Company, json!({"action": "sign"})).await,
        422,
        "validation_failed",
    );
}

#[actix_web::test]
async fn only_a_draft_is_deleted() {
    let app = setup().await;
    let a = propose(&app, Role::Company, housing(json!({}))).await;
    let b = propose(&app, Role::Company, housing(json!({}))).await;
    act(
        &app,
        b["id"].as_str().unwrap(),
        Role::Company,
        json!({"action": "submit"}),
    )
    .await;
    assert_eq!(
        app.delete(
            &format!("/api/v1/programs/{}", a["id"].as_str().unwrap()),
            Role::Company
        )
        .await
        .status,
        204
    );
    assert_problem(
        &app.delete(
            &format!("/api/v1/programs/{}", b["id"].as_str().unwrap()),
            Role::Company,
        )
        .await,
        409,
        "not_a_draft",
    );
    assert_problem(
        &app.get(
            &format!("/api/v1/programs/{}", a["id"].as_str().unwrap()),
            Role::Bappeda,
        )
        .await,
        404,
        "not_found",
    );
}

async fn recommended(app: &TestApp, id: &str, role: Role, limit: usize) -> Vec<Value> {
    let resp = app
        .get(
            &format!("/api/v1/programs/{id}/recommendations?limit={limit}"),
            role,
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body.as_array().unwrap().clone()
}

#[actix_web::test]
async fn recommendations_rank_extreme_poor_first_within_the_working_area_with_reasons() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({}))).await;
    let id = p["id"].as_str().unwrap();
    let recs = recommended(&app, id, Role::Bappeda, 200).await;
    assert!(!recs.is_empty());
    for r in &recs {
        let region = r["household"]["region_code"].as_str().unwrap();
        assert!(
            region.starts_with("64.02.06.") || region.starts_with("64.02.07."),
            "{region}"
        );
        assert!(!r["reasons"].as_array().unwrap().is_empty(), "{r}");
        assert_eq!(r["household"]["status"], "active");
    }
    let scores: Vec<i64> = recs.iter().map(|r| r["score"].as_i64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let first_non_extreme = recs
        .iter()
        .position(|r| r["household"]["desil"] != 1)
        .unwrap_or(recs.len());
    assert!(
        recs[first_non_extreme..]
            .iter()
            .all(|r| r["household"]["desil"] != 1),
        "extreme poor first"
    );
    assert!(
        recs[0]["reasons"][0].as_str().unwrap().contains("extreme"),
        "{}",
        recs[0]
    );
    // Bappeda sees full NIKs.
    assert!(!recs[0]["household"]["head_nik"]
        .as_str()
        .unwrap()
        .contains('*'));
    assert_problem(
        &app.get(
            &format!("/api/v1/programs/{id}/recommendations?limit=0"),
            Role::Bappeda,
        )
        .await,
        400,
        "invalid_parameter",
    );
    assert_problem(
        &app.get(
            &format!("/api/v1/programs/{id}/recommendations?limit=201"),
            Role::Bappeda,
        )
        .await,
        400,
        "invalid_parameter",
    );
}

/// Recommendations load only the household facts a program's type ranks on
/// (`domain::ranking::facts_read`): each one's score and reasons are those
/// of the household it shows, facts and all, so a fact read into the wrong
/// place, or left out, shows here.
#[actix_web::test]
async fn each_type_ranks_on_the_facts_its_households_show() {
    use rbpk::domain::program::ProgramType;
    use rbpk::domain::ranking::{score, Candidate};
    let app = setup().await;
    for (wire, program_type) in [
        ("housing", ProgramType::Housing),
        ("sanitation", ProgramType::Sanitation),
        ("water", ProgramType::Water),
        ("electricity", ProgramType::Electricity),
        ("nutrition", ProgramType::Nutrition),
    ] {
        let p = propose(&app, Role::Company, housing(json!({"type": wire}))).await;
        let recs = recommended(&app, p["id"].as_str().unwrap(), Role::Bappeda, 200).await;
        assert!(recs.len() > 20, "{wire}: {}", recs.len());
        let mut needy = 0;
        for r in &recs {
            let h = &r["household"];
            let text = |v: &Value| v.as_str().map(str::to_owned);
            let house = |field: &str| text(&h["housing"][field]);
            let facts = [
                house("roof_quality"),
                house("wall_quality"),
                house("floor_quality"),
                house("roof_material"),
                house("wall_material"),
                house("floor_material"),
                house("cooking_fuel"),
                house("toilet_facility"),
                house("drinking_water"),
                house("lighting_source"),
                text(&h["stunting_risk"]),
            ];
            let small = |v: &Value| v.as_i64().and_then(|n| i16::try_from(n).ok());
            let candidate = Candidate {
                id: h["id"].as_str().unwrap(),
                desil: small(&h["desil"]),
                percentile: small(&h["percentile"]),
                roof_quality: facts[0].as_deref(),
                wall_quality: facts[1].as_deref(),
                floor_quality: facts[2].as_deref(),
                roof_material: facts[3].as_deref(),
                wall_material: facts[4].as_deref(),
                floor_material: facts[5].as_deref(),
                cooking_fuel: facts[6].as_deref(),
                toilet_facility: facts[7].as_deref(),
                drinking_water: facts[8].as_deref(),
                lighting_source: facts[9].as_deref(),
                stunting_risk: facts[10].as_deref(),
                ..Default::default()
            };
            let expected = score(program_type, &candidate);
            assert_eq!(r["score"], expected.score, "{wire}: {r}");
            assert_eq!(r["reasons"], json!(expected.reasons), "{wire}: {r}");
            needy += usize::from(expected.score % 1_000_000 >= 1_000);
        }
        // The demo households have needs of every kind: a type whose facts
        // were not read would rank on welfare alone.
        assert!(needy > 0, "{wire}: no household ranked on a need");
    }
}

/// Types whose need lies in the household's facts read candidates best
/// welfare first, a few at a time (`service::recommendations`): every
/// shorter list is the start of the longest one, which reads every
/// candidate — the database's welfare order and ranking's agree.
#[actix_web::test]
async fn bounded_reads_rank_as_reading_every_candidate() {
    let app = setup().await;
    for wire in ["housing", "sanitation", "water", "electricity", "nutrition"] {
        let p = propose(&app, Role::Company, housing(json!({"type": wire}))).await;
        let id = p["id"].as_str().unwrap();
        let every = recommended(&app, id, Role::Bappeda, 200).await;
        assert!(every.len() > 20, "{wire}: {}", every.len());
        let shown = |recs: &[Value]| -> Vec<(Value, Value)> {
            recs.iter()
                .map(|r| (r["household"]["id"].clone(), r["score"].clone()))
                .collect()
        };
        for limit in 1..=every.len().min(25) {
            let few = recommended(&app, id, Role::Bappeda, limit).await;
            assert_eq!(shown(&few), shown(&every[..limit]), "{wire}, limit {limit}");
        }
    }
}

#[actix_web::test]
async fn a_company_sees_recommended_households_masked_then_may_read_them_and_each_read_is_audited()
{
    let app = setup().await;
    let p = propose(
        &app,
        Role::Company,
        housing(json!({"target_regions": ["64.02.06"]})),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let before = app.get("/api/v1/households", Role::Company).await;
    assert_eq!(before.body["total"], 0);
    let recs = recommended(&app, id, Role::Company, 5).await;
    assert_eq!(recs.len(), 5);
    let h = &recs[0]["household"];
    let nik = h["head_nik"].as_str().unwrap();
    assert_eq!(nik.len(), 16);
    assert_eq!(&nik[6..14], "********", "{nik}");
    assert!(h["head_birth_date"].is_null());
    let hid = h["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/v1/households/{hid}"), Role::Company)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["head_nik"], nik);
    let members = app
        .get(&format!("/api/v1/households/{hid}/members"), Role::Company)
        .await;
    assert!(members
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["nik"].is_null() || m["nik"].as_str().unwrap().contains('*')));
    let list = app
        .get("/api/v1/households?per_page=200", Role::Company)
        .await;
    assert_eq!(list.body["total"], 5);
    let audit = app
        .get(
            &format!("/api/v1/audit-events?action=read_personal_data&entity_id={hid}"),
            Role::Bappeda,
        )
        .await;
    assert!(audit.body["total"].as_i64().unwrap() >= 3, "{}", audit.body);
    assert_eq!(audit.body["items"][0]["role"], "company");
}

#[actix_web::test]
async fn a_household_is_a_target_of_one_program_of_a_type_per_cycle() {
    let app = setup().await;
    let (other, other_token) = app
        .company(
            "PT Bara Kutai Energi",
            "8120104567890",
            "mining",
            &["64.02.06"],
        )
        .await;
    let a = propose(
        &app,
        Role::Company,
        housing(json!({"target_regions": ["64.02.06"]})),
    )
    .await;
    let a_id = a["id"].as_str().unwrap();
    let recs = recommended(&app, a_id, Role::Company, 3).await;
    let hid = recs[0]["household"]["id"].as_str().unwrap().to_string();
    let added = app
        .post(
            &format!("/api/v1/programs/{a_id}/targets"),
            Role::Company,
            json!({"household_id": hid, "planned_value": 30_000_000}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.body["status"], "proposed");

    let b = propose(
        &app,
        Role::Bappeda,
        housing(json!({"company_id": other, "title": "RTLH Bara Kutai"})),
    )
    .await;
    let b_id = b["id"].as_str().unwrap();
    let again = app
        .post(
            &format!("/api/v1/programs/{b_id}/targets"),
            Role::Bappeda,
            json!({"household_id": hid}),
        )
        .await;
    assert_problem(&again, 409, "already_targeted");
    assert_eq!(again.body["other_program_id"], a_id);
    assert!(again.body["detail"]
        .as_str()
        .unwrap()
        .contains("Bedah rumah"));
    // The same family may get help of another type.
    let water = propose(&app, Role::Bappeda, json!({"cycle_year": YEAR, "company_id": other, "title": "Air bersih", "type": "water", "strategy": "reduce_burden", "budget": 1})).await;
    let ok = app
        .post(
            &format!("/api/v1/programs/{}/targets", water["id"].as_str().unwrap()),
            Role::Bappeda,
            json!({"household_id": hid}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    // Recommendations of the same type leave it out.
    let recs_b = app
        .send(app.req_as(
            Method::GET,
            &format!("/api/v1/programs/{b_id}/recommendations?limit=200"),
            &other_token,
        ))
        .await;
    assert!(recs_b
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["household"]["id"] != hid.as_str()));
    // Withdrawing program A frees the household.
    act(&app, a_id, Role::Company, json!({"action": "withdraw"})).await;
    let freed = app
        .post(
            &format!("/api/v1/programs/{b_id}/targets"),
            Role::Bappeda,
            json!({"household_id": hid}),
        )
        .await;
    assert_eq!(freed.status, 201, "{}", freed.body);
}

#[actix_web::test]
async fn concurrent_attempts_to_target_one_household_leave_exactly_one_target() {
    let app = setup().await;
    let (other, _) = app
        .company(
            "PT Bara Kutai Energi",
            "8120104567890",
            "mining",
            &["64.02.06"],
        )
        .await;
    let a = propose(
        &app,
        Role::Bappeda,
        housing(json!({"company_id": DEMO_COMPANY})),
    )
    .await;
    let b = propose(&app, Role::Bappeda, housing(json!({"company_id": other}))).await;
    let recs = recommended(&app, a["id"].as_str().unwrap(), Role::Bappeda, 1).await;
    let hid = recs[0]["household"]["id"].as_str().unwrap();
    let body = json!({"household_id": hid});
    let path_a = format!("/api/v1/programs/{}/targets", a["id"].as_str().unwrap());
    let path_b = format!("/api/v1/programs/{}/targets", b["id"].as_str().unwrap());
    let (ra, rb) = futures_util::join!(
        app.post(&path_a, Role::Bappeda, body.clone()),
        app.post(&path_b, Role::Bappeda, body.clone())
    );
    let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
    statuses.sort();
    assert!(
        statuses == [201, 409] || statuses == [201, 503],
        "{statuses:?} {} {}",
        ra.body,
        rb.body
    );
    let total_a = app.get(&path_a, Role::Bappeda).await.body["total"]
        .as_i64()
        .unwrap();
    let total_b = app.get(&path_b, Role::Bappeda).await.body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(total_a + total_b, 1);
}

#[actix_web::test]
async fn a_company_names_only_households_it_was_shown() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({}))).await;
    let id = p["id"].as_str().unwrap();
    let any = app
        .get("/api/v1/households?per_page=1", Role::Bappeda)
        .await;
    let hid = any.body["items"][0]["id"].as_str().unwrap();
    let resp = app
        .post(
            &format!("/api/v1/programs/{id}/targets"),
            Role::Company,
            json!({"household_id": hid}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["message"], "no such household");
}

#[actix_web::test]
async fn both_signatures_without_verified_targets_do_not_make_an_agreement() {
    let app = setup().await;
    let p = propose(&app, Role::Company, housing(json!({"opd_code": "DINSOS"}))).await;
    let id = p["id"].as_str().unwrap();
    let recs = recommended(&app, id, Role::Company, 2).await;
    for r in &recs {
        app.post(
            &format!("/api/v1/programs/{id}/targets"),
            Role::Company,
            json!({"household_id": r["household"]["id"]}),
        )
        .await;
    }
    act(&app, id, Role::Company, json!({"action": "submit"})).await;
    // Too early to sign a proposal.
    let sign = json!({"agreement_number": "PKS/001/2031", "signed_on": common::day(0)});
    assert_problem(
        &app.post(
            &format!("/api/v1/programs/{id}/signatures"),
            Role::Company,
            sign.clone(),
        )
        .await,
        409,
        "invalid_transition",
    );
    app.cycle(YEAR, -1, 0, 10, 20).await;
    act(&app, id, Role::Bappeda, json!({"action": "consolidate"})).await;
    let c = app
        .post(
            &format!("/api/v1/programs/{id}/signatures"),
            Role::Company,
            sign.clone(),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["signed_by_company_on"], common::day(0));
    let mismatch = app
        .post(
            &format!("/api/v1/programs/{id}/signatures"),
            Role::Opd,
            json!({"agreement_number": "OTHER", "signed_on": common::day(0)}),
        )
        .await;
    assert_problem(&mismatch, 422, "validation_failed");
    let o = app
        .post(
            &format!("/api/v1/programs/{id}/signatures"),
            Role::Opd,
            sign.clone(),
        )
        .await;
    assert_eq!(o.status, 200, "{}", o.body);
    // Until a field visit finds a target eligible, `agreed` is out of reach.
    assert_eq!(o.body["status"], "consolidated");
    assert_eq!(o.body["signed_by_opd_on"], common::day(0));
    // Another agency may not sign, and nobody signs after the deadline.
    let stranger = app.token_for("dinkes", Role::Opd, None, Some("DINKES"));
    let resp = app
        .send(
            app.req_as(
                Method::POST,
                &format!("/api/v1/programs/{id}/signatures"),
                &stranger,
            )
            .set_json(sign.clone()),
        )
        .await;
    assert_problem(&resp, 404, "not_found");
    app.cycle(YEAR, -30, -29, -25, -1).await;
    let late = app
        .post(
            &format!("/api/v1/programs/{id}/signatures"),
            Role::Company,
            json!({"agreement_number": "PKS/001/2031", "signed_on": common::day(-2)}),
        )
        .await;
    assert_problem(&late, 409, "agreement_window_closed");
    assert_problem(
        &app.post(
            &format!("/api/v1/programs/{id}/signatures"),
            Role::Company,
            json!({"agreement_number": "X", "signed_on": common::day(3)}),
        )
        .await,
        422,
        "validation_failed",
    );
}

#[actix_web::test]
async fn programs_filter_and_each_caller_sees_its_reach() {
    let app = setup().await;
    let (other, other_token) = app
        .company(
            "PT Bara Kutai Energi",
            "8120104567890",
            "mining",
            &["64.02.13"],
        )
        .await;
    propose(
        &app,
        Role::Company,
        housing(json!({"target_regions": ["64.02.06.1001"]})),
    )
    .await;
    propose(&app, Role::Company, json!({"cycle_year": YEAR, "title": "Air", "type": "water", "strategy": "reduce_burden", "budget": 5, "opd_code": "DINSOS"})).await;
    propose(
        &app,
        Role::Bappeda,
        housing(json!({"company_id": other, "opd_code": "DINKES", "target_regions": ["64.02.13"]})),
    )
    .await;
    let all = app
        .get(&format!("/api/v1/programs?cycle={YEAR}"), Role::Viewer)
        .await;
    assert_eq!(all.body["total"], 3);
    assert_eq!(
        app.get("/api/v1/programs?type=water", Role::Bupati)
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/programs?status=draft&type=housing", Role::Bappeda)
            .await
            .body["total"],
        2
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/programs?company_id={other}"),
            Role::Bappeda
        )
        .await
        .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/programs?region=64.02.06", Role::Bappeda)
            .await
            .body["total"],
        1,
        "a desa inside the kecamatan"
    );
    assert_eq!(
        app.get("/api/v1/programs?region=64.02.13.1001", Role::Bappeda)
            .await
            .body["total"],
        1,
        "inside a target kecamatan"
    );
    let own = app.get("/api/v1/programs", Role::Company).await;
    assert_eq!(own.body["total"], 2);
    let theirs = app
        .send(app.req_as(Method::GET, "/api/v1/programs", &other_token))
        .await;
    assert_eq!(theirs.body["total"], 1);
    let mine = own.body["items"][0]["id"].as_str().unwrap();
    assert_problem(
        &app.send(app.req_as(
            Method::GET,
            &format!("/api/v1/programs/{mine}"),
            &other_token,
        ))
        .await,
        404,
        "not_found",
    );
    let led = app.get("/api/v1/programs", Role::Opd).await;
    assert_eq!(led.body["total"], 1, "DINSOS leads one");
    assert_problem(
        &app.get("/api/v1/programs?type=roads", Role::Bappeda).await,
        400,
        "invalid_query",
    );
}

/// A birth date that makes someone `age` on the regency's today, half a year
/// away from a birthday so the test holds on any day it runs.
fn born_aged(age: u32) -> String {
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let birthday = today
        .checked_sub_months(chrono::Months::new(age * 12 + 6))
        .unwrap();
    birthday.to_string()
}

#[actix_web::test]
async fn member_based_needs_rank_by_the_members_ages_schooling_and_work() {
    let app = setup().await;
    let h = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Keluarga Uji Kebutuhan", "region_code": "64.02.06.1001", "desil": 1, "percentile": 1}),
        )
        .await;
    assert_eq!(h.status, 201, "{}", h.body);
    let hid = h.body["id"].as_str().unwrap().to_string();
    // Seven members: two school-age children out of school (one with no
    // schooling recorded), one in school, one child too young and one adult
    // too old to count, two working-age adults of whom one has no work.
    for (name, age, education, occupation) in [
        ("Anak Satu", 10, Some("no_school"), None),
        ("Anak Dua", 15, None, None),
        ("Anak Tiga", 12, Some("in_primary"), None),
        ("Anak Kecil", 4, Some("no_school"), None),
        ("Nenek", 70, Some("primary"), Some("not_working")),
        ("Bapak", 40, Some("primary"), Some("not_working")),
        ("Ibu", 35, Some("primary"), Some("farmer")),
    ] {
        let m = app
            .post(
                &format!("/api/v1/households/{hid}/members"),
                Role::Bappeda,
                json!({"name": name, "birth_date": born_aged(age), "education": education, "occupation": occupation}),
            )
            .await;
        assert_eq!(m.status, 201, "{name}: {}", m.body);
    }
    let reasons_for = |recs: &[Value]| -> Vec<String> {
        let ours = recs
            .iter()
            .find(|r| r["household"]["id"] == hid.as_str())
            .unwrap_or_else(|| panic!("household {hid} not recommended"));
        ours["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    };
    for (program_type, reason) in [
        ("education", "2 school-age children not in school"),
        ("economic", "1 working-age member without work"),
        ("food", "large family (7 members)"),
        ("social_security", "large family (7 members)"),
    ] {
        let p = propose(
            &app,
            Role::Company,
            housing(json!({"type": program_type, "target_regions": ["64.02.06"]})),
        )
        .await;
        let recs = recommended(&app, p["id"].as_str().unwrap(), Role::Bappeda, 200).await;
        let reasons = reasons_for(&recs);
        assert_eq!(
            reasons,
            ["extreme poor (desil 1)", reason],
            "{program_type}"
        );
    }
}
