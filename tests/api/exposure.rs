//! Exposure (docs/SECURITY.md, issue 10 items 3, 4 and part of 9): what a company
//! may see of the registry, for how long, and how it may search it.
//! Target regions stay inside the working area, recommendations stop at the
//! company's cap, ended cycles close what they showed, a company's `q` is a
//! name prefix only, and another company's program is never named to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashSet;

use actix_web::http::Method;
use common::{assert_problem, demo_files, Resp, TestApp, XLSX};
use rbpk::domain::role::Role;
use serde_json::{json, Value};

const YEAR: i32 = 2031;
/// A cycle whose year is over (today is later than 31 December 2025).
const ENDED: i32 = 2025;
const AREA: [&str; 2] = ["64.02.06", "64.02.07"];
const TYPES: [&str; 11] = [
    "housing",
    "sanitation",
    "water",
    "electricity",
    "nutrition",
    "health",
    "education",
    "economic",
    "food",
    "social_security",
    "other",
];

async fn registry(app: &TestApp) {
    let files = demo_files(400, 5);
    let done = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    app.cycle(YEAR, 5, 6, 10, 20).await;
}

async fn setup() -> TestApp {
    let app = TestApp::spawn().await;
    registry(&app).await;
    app
}

async fn as_company(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let mut req = app.req_as(method, path, token);
    if let Some(b) = body {
        req = req.set_json(b);
    }
    app.send(req).await
}

fn program(regions: &[&str]) -> Value {
    json!({"cycle_year": YEAR, "title": "Bedah rumah", "type": "housing",
        "strategy": "reduce_burden", "budget": 100_000_000i64, "opd_code": "PERKIM",
        "target_regions": regions})
}

async fn new_program(app: &TestApp, token: &str, body: Value) -> String {
    let r = as_company(app, token, Method::POST, "/api/v1/programs", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn recommendations(app: &TestApp, token: &str, program: &str, limit: usize) -> Resp {
    as_company(
        app,
        token,
        Method::GET,
        &format!("/api/v1/programs/{program}/recommendations?limit={limit}"),
        None,
    )
    .await
}

fn ids(recs: &Resp) -> Vec<String> {
    recs.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["household"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Active households of a region, as Bappeda counts them.
async fn households_in(app: &TestApp, region: &str) -> i64 {
    app.get(
        &format!("/api/v1/households?region={region}&status=active&per_page=1"),
        Role::Bappeda,
    )
    .await
    .body["total"]
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn target_regions_stay_inside_the_working_area_unless_bappeda_overrides_with_a_reason() {
    let app = setup().await;
    let desa = app
        .get("/api/v1/regions?parent=64.02.07&per_page=1", Role::Bappeda)
        .await
        .body["items"][0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let (company, token) = app
        .company(
            "PT Area Terbatas",
            "8120104567001",
            "mining",
            &["64.02.06", &desa],
        )
        .await;
    let desa_of_06 = app
        .get("/api/v1/regions?parent=64.02.06&per_page=1", Role::Bappeda)
        .await
        .body["items"][0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    // Inside: a working-area kecamatan, a desa of it, a working-area desa.
    for inside in [
        vec!["64.02.06"],
        vec![desa_of_06.as_str()],
        vec![desa.as_str()],
    ] {
        new_program(&app, &token, program(&inside)).await;
    }
    // Outside: another kecamatan, and the kecamatan around a working-area desa.
    for outside in ["64.02.08", "64.02.07"] {
        let r = as_company(
            &app,
            &token,
            Method::POST,
            "/api/v1/programs",
            Some(program(&[outside])),
        )
        .await;
        assert_problem(&r, 422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "target_regions");
        assert!(
            r.body["detail"].as_str().unwrap().contains(outside),
            "{}",
            r.body
        );
    }
    let id = new_program(&app, &token, program(&["64.02.06"])).await;
    let path = format!("/api/v1/programs/{id}");
    let r = as_company(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"target_regions": ["64.02.06", "64.02.09"]})),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("64.02.09"));
    let r = as_company(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"target_regions": ["64.02.09"], "region_override_reason": "kami mau"})),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    // Bappeda: refused without a reason, accepted and audited with one.
    let r = app
        .patch(
            &path,
            Role::Bappeda,
            json!({"target_regions": ["64.02.09"]}),
            None,
        )
        .await;
    assert_problem(&r, 422, "validation_failed");
    let r = app
        .patch(
            &path,
            Role::Bappeda,
            json!({"target_regions": ["64.02.09"], "region_override_reason": "Perluasan wilayah sesuai SK Bupati"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["target_regions"], json!(["64.02.09"]));
    let created = app
        .post(
            "/api/v1/programs",
            Role::Admin,
            json!({"cycle_year": YEAR, "company_id": company, "title": "Air bersih", "type": "water",
                "strategy": "reduce_burden", "budget": 1, "target_regions": ["64.02.10"],
                "region_override_reason": "Desa terdampak banjir"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let audit = app
        .get(
            "/api/v1/audit-events?action=override_target_regions",
            Role::Bappeda,
        )
        .await;
    assert_eq!(audit.body["total"], 2, "{}", audit.body);
    let reasons: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["after"]["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"Perluasan wilayah sesuai SK Bupati"),
        "{reasons:?}"
    );
    assert!(reasons.contains(&"Desa terdampak banjir"), "{reasons:?}");
}

/// The harvest script of issue 10: patch the draft's target regions over
/// every kecamatan and its type over every type, reading 200
/// recommendations each time.
#[actix_web::test]
async fn the_harvest_loop_stays_in_the_working_area_and_stops_at_the_cap() {
    let app = setup().await;
    let (company, token) = app
        .company("PT Pemanen Data", "8120104567002", "mining", &AREA)
        .await;
    let in_area = households_in(&app, AREA[0]).await + households_in(&app, AREA[1]).await;
    let cap = in_area / 2;
    assert!(cap >= 5, "too few households in the area: {in_area}");
    let set_cap = app
        .patch(
            &format!("/api/v1/companies/{company}"),
            Role::Bappeda,
            json!({"exposure_cap": cap}),
            None,
        )
        .await;
    assert_eq!(set_cap.status, 200, "{}", set_cap.body);
    assert_eq!(set_cap.body["exposure_cap"], cap);

    let kecamatan: Vec<String> = app
        .get(
            "/api/v1/regions?level=kecamatan&per_page=200",
            Role::Bappeda,
        )
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kecamatan.len(), 20);
    let id = new_program(&app, &token, program(&[AREA[0]])).await;
    let path = format!("/api/v1/programs/{id}");
    let mut seen: HashSet<String> = HashSet::new();
    let (mut refused_regions, mut capped) = (0, 0);
    for k in &kecamatan {
        let r = as_company(
            &app,
            &token,
            Method::PATCH,
            &path,
            Some(json!({"target_regions": [k]})),
        )
        .await;
        if AREA.contains(&k.as_str()) {
            assert_eq!(r.status, 200, "{}", r.body);
        } else {
            assert_problem(&r, 422, "validation_failed");
            assert!(
                r.body["detail"].as_str().unwrap().contains(k.as_str()),
                "{}",
                r.body
            );
            refused_regions += 1;
        }
        for t in TYPES {
            let r = as_company(&app, &token, Method::PATCH, &path, Some(json!({"type": t}))).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let recs = recommendations(&app, &token, &id, 200).await;
            if recs.status == 403 {
                assert_problem(&recs, 403, "exposure_cap_reached");
                assert_eq!(recs.body["cap"], cap);
                capped += 1;
                continue;
            }
            assert_eq!(recs.status, 200, "{}", recs.body);
            for r in recs.body.as_array().unwrap() {
                let region = r["household"]["region_code"].as_str().unwrap();
                assert!(
                    AREA.iter().any(|a| region.starts_with(&format!("{a}."))),
                    "{region} is outside the working area"
                );
            }
            seen.extend(ids(&recs));
            assert!(seen.len() as i64 <= cap, "{} shown, cap {cap}", seen.len());
        }
    }
    assert_eq!(refused_regions, 18);
    assert!(capped > 0, "the cap never stopped the loop");
    assert_eq!(seen.len() as i64, cap);
    let readable = as_company(
        &app,
        &token,
        Method::GET,
        "/api/v1/households?per_page=200",
        None,
    )
    .await;
    assert_eq!(readable.body["total"], cap, "{}", readable.body);
}

#[actix_web::test]
async fn a_page_crossing_the_cap_is_cut_to_the_remainder_and_shown_households_do_not_count_twice() {
    let app = TestApp::spawn_with(|c| c.exposure_cap = 3).await;
    registry(&app).await;
    let (_, token) = app
        .company("PT Batas Tiga", "8120104567003", "plantation", &AREA)
        .await;
    let id = new_program(&app, &token, program(&AREA)).await;
    let first = recommendations(&app, &token, &id, 2).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(ids(&first).len(), 2);
    assert_eq!(first.header("x-exposure-cap").as_deref(), Some("3"));
    assert_eq!(first.header("x-exposure-remaining").as_deref(), Some("1"));
    // 2 shown before + 1 new: cut to the remainder.
    let cut = recommendations(&app, &token, &id, 10).await;
    assert_eq!(cut.status, 200, "{}", cut.body);
    let cut_ids = ids(&cut);
    assert_eq!(cut_ids.len(), 3, "{}", cut.body);
    assert!(ids(&first).iter().all(|h| cut_ids.contains(h)));
    assert_eq!(cut.header("x-exposure-remaining").as_deref(), Some("0"));
    // The same households again cost nothing.
    let again = recommendations(&app, &token, &id, 2).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(ids(&again), ids(&first));
    // Anything new is refused, also through a fresh program of the cycle.
    let more = recommendations(&app, &token, &id, 10).await;
    assert_problem(&more, 403, "exposure_cap_reached");
    assert_eq!(more.body["shown"], 3);
    let other = new_program(&app, &token, program(&[AREA[1]])).await;
    assert_problem(
        &recommendations(&app, &token, &other, 5).await,
        403,
        "exposure_cap_reached",
    );
    let readable = as_company(
        &app,
        &token,
        Method::GET,
        "/api/v1/households?per_page=200",
        None,
    )
    .await;
    assert_eq!(readable.body["total"], 3);
    // Government callers are not capped.
    let bappeda = app
        .get(
            &format!("/api/v1/programs/{other}/recommendations?limit=10"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(bappeda.status, 200, "{}", bappeda.body);
}

#[actix_web::test]
async fn an_ended_cycle_no_longer_opens_what_it_showed_except_the_companys_targets() {
    let app = setup().await;
    app.cycle(ENDED, 5, 6, 10, 20).await;
    let (company, token) = app
        .company("PT Siklus Lama", "8120104567004", "mining", &AREA)
        .await;
    let old = new_program(
        &app,
        &token,
        json!({"cycle_year": ENDED, "title": "RTLH 2025", "type": "housing",
            "strategy": "reduce_burden", "budget": 1, "target_regions": AREA}),
    )
    .await;
    assert_problem(
        &recommendations(&app, &token, &old, 5).await,
        409,
        "cycle_ended",
    );
    // Arrange: three families were shown to the company, two in the ended
    // cycle and one in a live one (as a recommendation of that year would).
    let listed = app
        .get(
            "/api/v1/households?region=64.02.06&status=active&per_page=3",
            Role::Bappeda,
        )
        .await;
    let hh: Vec<String> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(hh.len(), 3);
    {
        let mut conn = app.state.pool.get().unwrap();
        rbpk::db::exposure::record_shown(&mut conn, &company, ENDED, &hh[..2]).unwrap();
        rbpk::db::exposure::record_shown(&mut conn, &company, YEAR, &hh[2..]).unwrap();
    }
    // One of the ended cycle's families is the company's target.
    let target = app
        .post(
            &format!("/api/v1/programs/{old}/targets"),
            Role::Bappeda,
            json!({"household_id": hh[0]}),
        )
        .await;
    assert_eq!(target.status, 201, "{}", target.body);
    let read = |h: &str| format!("/api/v1/households/{h}");
    assert_eq!(
        as_company(&app, &token, Method::GET, &read(&hh[0]), None)
            .await
            .status,
        200
    );
    assert_problem(
        &as_company(&app, &token, Method::GET, &read(&hh[1]), None).await,
        404,
        "not_found",
    );
    assert_problem(
        &as_company(
            &app,
            &token,
            Method::GET,
            &format!("{}/members", read(&hh[1])),
            None,
        )
        .await,
        404,
        "not_found",
    );
    assert_eq!(
        as_company(&app, &token, Method::GET, &read(&hh[2]), None)
            .await
            .status,
        200
    );
    let list = as_company(
        &app,
        &token,
        Method::GET,
        "/api/v1/households?per_page=200",
        None,
    )
    .await;
    let visible: HashSet<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(visible, HashSet::from([hh[0].as_str(), hh[2].as_str()]));
    // Nor may the company name the closed family as a target.
    let live = new_program(&app, &token, program(&AREA)).await;
    let r = as_company(
        &app,
        &token,
        Method::POST,
        &format!("/api/v1/programs/{live}/targets"),
        Some(json!({"household_id": hh[1]})),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
}

#[actix_web::test]
async fn the_exposure_report_counts_shown_read_targeted_and_the_cap_per_company() {
    let app = setup().await;
    let (company, token) = app
        .company("PT Laporan Paparan", "8120104567005", "mining", &AREA)
        .await;
    let r = app
        .patch(
            &format!("/api/v1/companies/{company}"),
            Role::Admin,
            json!({"exposure_cap": 5}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A company may read its cap but not change it.
    let own = as_company(
        &app,
        &token,
        Method::GET,
        &format!("/api/v1/companies/{company}"),
        None,
    )
    .await;
    assert_eq!(own.body["exposure_cap"], 5);
    let r = as_company(
        &app,
        &token,
        Method::PATCH,
        &format!("/api/v1/companies/{company}"),
        Some(json!({"exposure_cap": 500})),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    let id = new_program(&app, &token, program(&AREA)).await;
    let shown = ids(&recommendations(&app, &token, &id, 3).await);
    assert_eq!(shown.len(), 3);
    let read = as_company(
        &app,
        &token,
        Method::GET,
        &format!("/api/v1/households/{}", shown[0]),
        None,
    )
    .await;
    assert_eq!(read.status, 200);
    let target = as_company(
        &app,
        &token,
        Method::POST,
        &format!("/api/v1/programs/{id}/targets"),
        Some(json!({"household_id": shown[1]})),
    )
    .await;
    assert_eq!(target.status, 201, "{}", target.body);

    let report = app
        .get(&format!("/api/v1/cycles/{YEAR}/exposure"), Role::Bappeda)
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.body["ends_on"], format!("{YEAR}-12-31"));
    assert_eq!(report.body["ended"], false);
    assert_eq!(report.body["default_cap"], 500);
    let rows = report.body["items"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["company_id"] == company.as_str())
        .unwrap();
    assert_eq!(
        (
            &row["shown"],
            &row["read"],
            &row["targeted"],
            &row["cap"],
            &row["remaining"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(5), &json!(2)),
        "{row}"
    );
    let demo = rows
        .iter()
        .find(|r| r["company_id"] == "00000000-0000-4000-8000-000000000001")
        .unwrap();
    assert_eq!(
        (&demo["shown"], &demo["cap"], &demo["exposure_cap"]),
        (&json!(0), &json!(500), &Value::Null)
    );

    let csv = app
        .send(
            app.req(
                Method::GET,
                &format!("/api/v1/cycles/{YEAR}/exposure"),
                Role::Admin,
            )
            .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.raw.clone()).unwrap();
    assert!(
        text.starts_with(
            "company_id,company_name,active,shown,read,targeted,cap,exposure_cap,remaining"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("{company},PT Laporan Paparan,true,3,1,1,5,5,2,")),
        "{text}"
    );
    let xlsx = app
        .send(
            app.req(
                Method::GET,
                &format!("/api/v1/cycles/{YEAR}/exposure"),
                Role::Bappeda,
            )
            .insert_header(("Accept", XLSX)),
        )
        .await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.header("content-type").as_deref(), Some(XLSX));
    assert_eq!(&xlsx.raw[..2], b"PK");
    for role in [Role::Company, Role::Viewer, Role::Bupati, Role::Opd] {
        assert_problem(
            &app.get(&format!("/api/v1/cycles/{YEAR}/exposure"), role)
                .await,
            403,
            "forbidden",
        );
    }
    assert_problem(
        &app.get("/api/v1/cycles/2099/exposure", Role::Bappeda).await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn a_companys_q_is_a_name_prefix_only_and_every_search_term_is_audited() {
    let app = setup().await;
    let (company, token) = app
        .company("PT Cari Nama", "8120104567006", "mining", &AREA)
        .await;
    let id = new_program(&app, &token, program(&AREA)).await;
    let shown = ids(&recommendations(&app, &token, &id, 5).await);
    let full = app
        .get(&format!("/api/v1/households/{}", shown[0]), Role::Bappeda)
        .await;
    let nik = full.body["head_nik"].as_str().unwrap().to_string();
    let name = full.body["head_name"].as_str().unwrap().to_string();
    let search = |q: &str| {
        let q = q.replace('%', "%25").replace(' ', "%20");
        format!("/api/v1/households?q={q}")
    };
    // The NIK of a family it can read, its No. KK-like digits, wildcards: refused.
    for bad in [nik.as_str(), "640206", "%", "_", "P3KE-6402061001"] {
        let r = as_company(&app, &token, Method::GET, &search(bad), None).await;
        assert_problem(&r, 422, "name_prefix_only");
        assert_eq!(r.body["errors"][0]["field"], "q");
    }
    let prefix: String = name.chars().take(3).collect();
    let hit = as_company(
        &app,
        &token,
        Method::GET,
        &search(&prefix.to_lowercase()),
        None,
    )
    .await;
    assert_eq!(hit.status, 200, "{}", hit.body);
    let hits = hit.body["items"].as_array().unwrap();
    assert!(
        hits.iter().any(|h| h["id"] == shown[0].as_str()),
        "{}",
        hit.body
    );
    assert!(hits
        .iter()
        .all(|h| shown.contains(&h["id"].as_str().unwrap().to_string())));
    let miss = as_company(&app, &token, Method::GET, &search("Zzyzx"), None).await;
    assert_eq!(miss.body["total"], 0);
    let audit = app
        .get(
            &format!("/api/v1/audit-events?action=search&entity=household_search&entity_id={company}&per_page=50"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(audit.body["total"], 7, "{}", audit.body);
    let events = audit.body["items"].as_array().unwrap();
    let refused = events
        .iter()
        .filter(|e| e["after"]["refused"] == true)
        .count();
    assert_eq!(refused, 5);
    assert!(events
        .iter()
        .any(|e| e["after"]["q"] == nik.as_str() && e["after"]["matches"].is_null()));
    assert!(events
        .iter()
        .any(|e| e["after"]["q"] == "Zzyzx" && e["after"]["matches"] == 0));
    // Government roles still find a family by NIK.
    let by_nik = app.get(&search(&nik), Role::Bappeda).await;
    assert!(by_nik.body["total"].as_i64().unwrap() >= 1);
}

#[actix_web::test]
async fn like_wildcards_in_search_terms_match_only_themselves() {
    let app = setup().await;
    for path in [
        "/api/v1/households?q=%25",
        "/api/v1/households?q=_",
        "/api/v1/households?q=%25%25",
        "/api/v1/regions?q=%25",
        "/api/v1/regions?q=_",
        "/api/v1/companies?q=%25",
        "/api/v1/companies?q=_",
    ] {
        let r = app.get(path, Role::Bappeda).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.body["total"], 0, "{path}: {}", r.body);
    }
    // The same searches without wildcards still find what they name.
    assert!(
        app.get("/api/v1/regions?q=Tenggarong", Role::Bappeda)
            .await
            .body["total"]
            .as_i64()
            .unwrap()
            >= 1
    );
    assert!(
        app.get("/api/v1/companies?q=mitra", Role::Bappeda)
            .await
            .body["total"]
            .as_i64()
            .unwrap()
            >= 1
    );
}

#[actix_web::test]
async fn already_targeted_names_another_companys_program_to_government_roles_only() {
    let app = setup().await;
    let (_, other_token) = app
        .company("PT Lain Sendiri", "8120104567007", "mining", &["64.02.06"])
        .await;
    // The other company is shown the family first.
    let theirs = new_program(&app, &other_token, program(&["64.02.06"])).await;
    let hid = ids(&recommendations(&app, &other_token, &theirs, 1).await)[0].clone();
    // The demo company takes it.
    let mine = app
        .post("/api/v1/programs", Role::Company, program(&["64.02.06"]))
        .await;
    let mine_id = mine.body["id"].as_str().unwrap().to_string();
    let recs = app
        .get(
            &format!("/api/v1/programs/{mine_id}/recommendations?limit=200"),
            Role::Company,
        )
        .await;
    assert!(recs
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["household"]["id"] == hid.as_str()));
    let taken = app
        .post(
            &format!("/api/v1/programs/{mine_id}/targets"),
            Role::Company,
            json!({"household_id": hid}),
        )
        .await;
    assert_eq!(taken.status, 201, "{}", taken.body);
    // To the other company: a conflict, no program named.
    let r = as_company(
        &app,
        &other_token,
        Method::POST,
        &format!("/api/v1/programs/{theirs}/targets"),
        Some(json!({"household_id": hid})),
    )
    .await;
    assert_problem(&r, 409, "already_targeted");
    assert!(r.body.get("other_program_id").is_none(), "{}", r.body);
    assert!(r.body.get("other_program_title").is_none(), "{}", r.body);
    assert!(
        !r.body["detail"].as_str().unwrap().contains(&mine_id),
        "{}",
        r.body
    );
    // To Bappeda: the program is named.
    let r = app
        .post(
            &format!("/api/v1/programs/{theirs}/targets"),
            Role::Bappeda,
            json!({"household_id": hid}),
        )
        .await;
    assert_problem(&r, 409, "already_targeted");
    assert_eq!(r.body["other_program_id"], mine_id.as_str());
    // To the demo company about its own program: named too.
    let second = app
        .post("/api/v1/programs", Role::Company, program(&["64.02.06"]))
        .await;
    let r = app
        .post(
            &format!(
                "/api/v1/programs/{}/targets",
                second.body["id"].as_str().unwrap()
            ),
            Role::Company,
            json!({"household_id": hid}),
        )
        .await;
    assert_problem(&r, 409, "already_targeted");
    assert_eq!(r.body["other_program_id"], mine_id.as_str());
}
