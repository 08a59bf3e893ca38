//! The consent gate (docs/SECURITY.md, "What a company sees"; issue 13 item
//! 4): a household whose every dataset forbids onward sharing is
//! pseudonymised for companies in lists, reads, members, recommendations and
//! targets, and a name search does not find it; a visit of the company's
//! program recording the family's `consent_to_share: true` opens it to that
//! company only (masked as before), audited; a later refusal closes it again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::Method;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

use crate::common::{self, assert_masked, demo_files, split_rows, Resp, TestApp};

/// A registry whose families all come from a snapshot that forbids onward
/// sharing, the demo company's consolidated housing program with `n`
/// targets in the kecamatan of the first extreme-poor family, and one of the
/// targeted families also held by a snapshot that allows sharing.
struct Gate {
    app: TestApp,
    program: common::ConsolidatedProgram,
    /// A target's household behind the gate.
    gated: String,
    /// A target's household also in a sharing snapshot: masked as before.
    shared: String,
    kecamatan: String,
}

async fn dataset(app: &TestApp, version: &str, onward_sharing: bool) -> String {
    let resp = app
        .post(
            "/api/v1/datasets",
            Role::Bappeda,
            json!({"source": "p3ke", "version": version, "onward_sharing": onward_sharing}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body["id"].as_str().unwrap().to_string()
}

async fn gate() -> Gate {
    let app = TestApp::spawn().await;
    let files = demo_files(400, 7);
    let closed = dataset(&app, "closed", false).await;
    for file in [&files.families_csv, &files.members_csv] {
        let done = app
            .import(&format!("p3ke&dataset_id={closed}"), "text/csv", file)
            .await;
        assert_eq!(done.body["status"], "done", "{}", done.body);
    }
    let first = app
        .get("/api/v1/households?extreme=true&per_page=1", Role::Bappeda)
        .await;
    let kecamatan = first.body["items"][0]["region_code"].as_str().unwrap()[..8].to_string();
    app.demo_company_works_in(&kecamatan).await;
    let program = app.consolidated_program(&kecamatan, 3).await;
    let gated = program.households[0].clone();
    let shared = program.households[1].clone();

    // The second family is in a snapshot that allows sharing too: one such
    // snapshot is enough to lift the gate.
    let family_id = household(&app, &shared, Role::Bappeda).await.body["p3ke_family_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (header, row) = {
        let text = String::from_utf8(files.families_csv.clone()).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().to_string();
        let row = lines.find(|l| l.contains(&family_id)).unwrap().to_string();
        (header, row)
    };
    let open = dataset(&app, "open", true).await;
    let done = app
        .import(
            &format!("p3ke&dataset_id={open}"),
            "text/csv",
            format!("{header}\n{row}\n").as_bytes(),
        )
        .await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    Gate {
        app,
        program,
        gated,
        shared,
        kecamatan,
    }
}

async fn household(app: &TestApp, id: &str, role: Role) -> Resp {
    let resp = app.get(&format!("/api/v1/households/{id}"), role).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp
}

async fn as_token(app: &TestApp, token: &str, path: &str) -> Resp {
    let resp = app.send(app.req_as(Method::GET, path, token)).await;
    assert_eq!(resp.status, 200, "{path}: {}", resp.body);
    resp
}

/// The household as a company sees it behind the gate: no name, NIK, No.
/// KK, address, birth date or source id; region, desil and needs stay.
fn assert_pseudonymised(h: &Value) {
    assert_eq!(h["pseudonymised"], true, "{h}");
    for k in [
        "head_name",
        "head_nik",
        "kk_number",
        "address",
        "head_birth_date",
        "p3ke_family_id",
        "dtks_id",
    ] {
        assert!(h[k].is_null(), "{k} shown: {h}");
    }
    assert!(h["region_code"].is_string(), "{h}");
    assert!(h["desil"].is_number(), "{h}");
    assert!(h["housing"].is_object(), "{h}");
    assert_masked(h, "pseudonymised household");
}

/// The household masked as a company always saw it: name and address,
/// NIK and No. KK masked, no birth date.
fn assert_masked_by_name(h: &Value, full: &Value) {
    assert_eq!(h["pseudonymised"], false, "{h}");
    assert_eq!(h["head_name"], full["head_name"]);
    assert_eq!(h["address"], full["address"]);
    assert!(h["head_nik"].as_str().unwrap().contains('*'), "{h}");
    assert_masked(h, "masked household");
}

/// The first word of a name: a prefix a company may search by.
fn first_name(h: &Value) -> String {
    h["head_name"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn item<'a>(page: &'a Value, id: &str) -> Option<&'a Value> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
}

#[actix_web::test]
async fn a_household_every_snapshot_of_which_forbids_sharing_is_pseudonymised_for_companies() {
    let g = gate().await;
    let app = &g.app;
    let full = household(app, &g.gated, Role::Bappeda).await.body;
    assert!(full["head_name"].is_string() && full["head_nik"].is_string());
    assert_eq!(
        full["pseudonymised"], false,
        "government roles see it whole"
    );
    let shared_full = household(app, &g.shared, Role::Bappeda).await.body;

    // Read.
    let read = household(app, &g.gated, Role::Company).await.body;
    assert_pseudonymised(&read);
    assert_eq!(read["id"], g.gated.as_str(), "the id is the reference");
    assert_eq!(read["desil"], full["desil"]);
    assert_eq!(read["region_code"], full["region_code"]);
    assert_masked_by_name(
        &household(app, &g.shared, Role::Company).await.body,
        &shared_full,
    );

    // Members: age band, sex and schooling, nothing that names them.
    let members = app
        .get(
            &format!("/api/v1/households/{}/members", g.gated),
            Role::Company,
        )
        .await;
    assert_eq!(members.status, 200, "{}", members.body);
    let members = members.body.as_array().unwrap().clone();
    assert!(!members.is_empty());
    for m in &members {
        assert_eq!(m["pseudonymised"], true, "{m}");
        for k in ["name", "nik", "birth_date", "p3ke_individual_id"] {
            assert!(m[k].is_null(), "{k} shown: {m}");
        }
        assert!(m.get("sex").is_some() && m.get("education").is_some());
    }
    assert!(
        members.iter().any(|m| m["age_band"].is_string()),
        "{members:?}"
    );
    let shared_members = app
        .get(
            &format!("/api/v1/households/{}/members", g.shared),
            Role::Company,
        )
        .await;
    for m in shared_members.body.as_array().unwrap() {
        assert_eq!(m["pseudonymised"], false, "{m}");
        assert!(m["name"].is_string(), "{m}");
    }

    // List.
    let list = app
        .get("/api/v1/households?per_page=100", Role::Company)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_pseudonymised(item(&list.body, &g.gated).unwrap());
    assert_masked_by_name(item(&list.body, &g.shared).unwrap(), &shared_full);

    // Recommendations: every family but the shared one is gated-only.
    let recs = app
        .get(
            &format!(
                "/api/v1/programs/{}/recommendations?limit=200",
                g.program.id
            ),
            Role::Company,
        )
        .await;
    assert_eq!(recs.status, 200, "{}", recs.body);
    let recs = recs.body.as_array().unwrap();
    assert!(!recs.is_empty());
    for r in recs {
        assert_pseudonymised(&r["household"]);
    }

    // Targets carry no household data at all.
    let targets = app
        .get(
            &format!("/api/v1/programs/{}/targets", g.program.id),
            Role::Company,
        )
        .await;
    assert_eq!(targets.status, 200, "{}", targets.body);
    let text = targets.body.to_string();
    assert!(text.contains(&g.gated));
    assert!(!text.contains(full["head_name"].as_str().unwrap()));
    assert!(!text.contains(full["head_nik"].as_str().unwrap()));

    // A name search does not find the gated family, though Bappeda's does;
    // the shared family is still found by its name.
    let name = first_name(&full);
    let found = app
        .get(&format!("/api/v1/households?q={name}"), Role::Company)
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(item(&found.body, &g.gated).is_none(), "{}", found.body);
    let bappeda = app
        .get(
            &format!("/api/v1/households?q={name}&per_page=100"),
            Role::Bappeda,
        )
        .await;
    assert!(item(&bappeda.body, &g.gated).is_some(), "{}", bappeda.body);
    let shared_name = first_name(&shared_full);
    let found = app
        .get(
            &format!("/api/v1/households?q={shared_name}&per_page=100"),
            Role::Company,
        )
        .await;
    assert!(item(&found.body, &g.shared).is_some(), "{}", found.body);
}

#[actix_web::test]
async fn consent_at_a_visit_of_the_companys_program_opens_the_household_to_that_company_only() {
    let g = gate().await;
    let app = &g.app;
    let full = household(app, &g.gated, Role::Bappeda).await.body;

    // Another company, whose water program shows it the same family.
    let (_, other) = app
        .company(
            "PT Lain",
            "8120104567999",
            "mining",
            &[g.kecamatan.as_str()],
        )
        .await;
    let created = app
        .send(
            app.req_as(Method::POST, "/api/v1/programs", &other)
                .set_json(
                    json!({"cycle_year": 2027, "title": "Air bersih", "type": "water",
                    "strategy": "reduce_burden", "budget": 1_000_000, "opd_code": "PERKIM",
                    "target_regions": [g.kecamatan]}),
                ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let other_program = created.body["id"].as_str().unwrap().to_string();
    let recs = as_token(
        app,
        &other,
        &format!("/api/v1/programs/{other_program}/recommendations?limit=200"),
    )
    .await;
    let shown = recs
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["household"]["id"] == g.gated.as_str())
        .expect("the other company is shown the family");
    assert_pseudonymised(&shown["household"]);

    // A visit that does not ask changes nothing.
    let target = &g.program.targets[0];
    let visit = |consent: Option<bool>, day: i64| {
        let mut body = json!({"target_id": target, "visited_on": common::day(day),
            "result": "eligible", "notes": "Rumah papan, atap bocor.",
            "latitude": -0.4312, "longitude": 116.9876});
        if let Some(c) = consent {
            body["consent_to_share"] = json!(c);
        }
        app.post("/api/v1/verifications", Role::Verifier, body)
    };
    let silent = visit(None, -2).await;
    assert_eq!(silent.status, 201, "{}", silent.body);
    assert!(silent.body["consent_to_share"].is_null(), "{}", silent.body);
    assert_pseudonymised(&household(app, &g.gated, Role::Company).await.body);
    // Nor does the company read the visit's notes, which may name the family.
    let silent_path = format!(
        "/api/v1/verifications/{}",
        silent.body["id"].as_str().unwrap()
    );
    let read = app.get(&silent_path, Role::Company).await;
    assert_eq!(read.status, 200, "{}", read.body);
    for k in ["notes", "latitude", "longitude"] {
        assert!(read.body[k].is_null(), "{k}: {}", read.body);
    }
    let listed = app
        .get(
            &format!("/api/v1/verifications?household_id={}", g.gated),
            Role::Company,
        )
        .await;
    assert!(
        listed.body["items"][0]["notes"].is_null(),
        "{}",
        listed.body
    );
    let government = app.get(&silent_path, Role::Bappeda).await;
    assert_eq!(government.body["notes"], "Rumah papan, atap bocor.");

    // Consent opens it to the demo company, masked as before.
    let agreed = visit(Some(true), -1).await;
    assert_eq!(agreed.status, 201, "{}", agreed.body);
    assert_eq!(agreed.body["consent_to_share"], true);
    let opened = household(app, &g.gated, Role::Company).await.body;
    assert_masked_by_name(&opened, &full);
    let members = app
        .get(
            &format!("/api/v1/households/{}/members", g.gated),
            Role::Company,
        )
        .await;
    for m in members.body.as_array().unwrap() {
        assert_eq!(m["pseudonymised"], false, "{m}");
        assert!(m["name"].is_string(), "{m}");
        assert_masked(m, "opened member");
    }
    let found = app
        .get(
            &format!("/api/v1/households?q={}&per_page=100", first_name(&full)),
            Role::Company,
        )
        .await;
    assert!(item(&found.body, &g.gated).is_some(), "{}", found.body);
    let recorded = app
        .get(
            &format!(
                "/api/v1/verifications/{}",
                agreed.body["id"].as_str().unwrap()
            ),
            Role::Company,
        )
        .await;
    assert_eq!(recorded.body["consent_to_share"], true, "{}", recorded.body);
    assert_eq!(recorded.body["notes"], "Rumah papan, atap bocor.");
    assert_eq!(recorded.body["latitude"], -0.4312);

    // ... but not to the other company.
    assert_pseudonymised(
        &as_token(app, &other, &format!("/api/v1/households/{}", g.gated))
            .await
            .body,
    );
    let list = as_token(app, &other, "/api/v1/households?per_page=100").await;
    assert_pseudonymised(item(&list.body, &g.gated).unwrap());

    // The consent is audited with the visit, and the opened read like any
    // company read.
    let audit = app
        .get(
            &format!(
                "/api/v1/audit-events?entity=verification&entity_id={}",
                agreed.body["id"].as_str().unwrap()
            ),
            Role::Admin,
        )
        .await;
    let created = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "create")
        .expect("the visit is audited");
    assert_eq!(created["after"]["consent_to_share"], true, "{created}");
    let reads = app
        .get(
            &format!(
                "/api/v1/audit-events?entity=household&entity_id={}&per_page=100",
                g.gated
            ),
            Role::Admin,
        )
        .await;
    assert!(
        reads.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "read_personal_data" && e["role"] == "company"),
        "{}",
        reads.body
    );

    // A later refusal closes it again.
    let refused = visit(Some(false), 0).await;
    assert_eq!(refused.status, 201, "{}", refused.body);
    assert_pseudonymised(&household(app, &g.gated, Role::Company).await.body);
}

#[actix_web::test]
async fn a_household_no_snapshot_holds_and_a_registry_shared_onward_are_not_gated() {
    let app = TestApp::spawn().await;
    let files = demo_files(30, 3);
    let (even, _) = split_rows(&files.families_csv);
    let done = app.import("p3ke", "text/csv", &even).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    let first = app
        .get("/api/v1/households?extreme=true&per_page=1", Role::Bappeda)
        .await;
    let kecamatan = first.body["items"][0]["region_code"].as_str().unwrap()[..8].to_string();
    let by_hand = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Keluarga Lapangan", "region_code": first.body["items"][0]["region_code"],
                "desil": 1}),
        )
        .await;
    assert_eq!(by_hand.status, 201, "{}", by_hand.body);
    app.demo_company_works_in(&kecamatan).await;
    let program = app.consolidated_program(&kecamatan, 1).await;
    let recs = app
        .get(
            &format!("/api/v1/programs/{}/recommendations?limit=200", program.id),
            Role::Company,
        )
        .await;
    assert_eq!(recs.status, 200, "{}", recs.body);
    let recs = recs.body.as_array().unwrap();
    // Shown or targeted, the company may read it: by name, masked.
    let read = household(&app, by_hand.body["id"].as_str().unwrap(), Role::Company).await;
    assert_eq!(read.body["pseudonymised"], false, "{}", read.body);
    assert_eq!(read.body["head_name"], "Keluarga Lapangan");
    for r in recs {
        assert_eq!(r["household"]["pseudonymised"], false, "{r}");
        assert!(r["household"]["head_name"].is_string(), "{r}");
        assert_masked(&r["household"], "shared registry");
    }
}
