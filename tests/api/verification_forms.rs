//! ODK Collect and KoBoCollect (issue 14, items 3 and 6): the program's
//! XLSForm, and its CSV export run as a batch of visits — through to a
//! `moved` visit's change request approved and in the month's export.
//! `bench/odk/check.sh` (in `.ci/run`) converts the same form with
//! pyxform's `xls2xform`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, day, today, TestApp};
use rbpk::domain::role::Role;
use rbpk::import::sheet::SheetReader;
use rbpk::import::xlsx::Workbook;
use serde_json::{json, Value};

const SUBMISSIONS: &str = "/api/v1/verification-submissions";
const HEADER: &str = "SubmissionDate,start,end,desa,target_id,visited_on,result,notes,location-Latitude,location-Longitude,location-Altitude,location-Accuracy,consent_to_share,photo,meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion";

/// A sheet of an XLSX as rows of text, its header first.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let book = Workbook::open(bytes).unwrap();
    let reader = SheetReader::xlsx(&book, name).unwrap().unwrap();
    let mut rows = vec![reader.header.names.clone()];
    rows.extend(reader.into_rows().unwrap().into_iter().map(|(_, r)| r));
    rows
}

/// One ODK Central export row: a visit of `target` on `visited_on`.
fn odk_row(instance: u32, target: &str, visited_on: &str, result: &str) -> String {
    let id = format!("uuid:0b8f6a52-7c1e-4d3a-9f2b-{instance:012}");
    format!(
        "{now}T02:00:00.000Z,{visited_on}T09:00:00.000+08:00,{visited_on}T09:12:00.000+08:00,64.02.06.2001,{target},{visited_on},{result},\"Atap bocor, dinding papan\",-0.4312,116.9876,12,5,yes,1733300000.jpg,{id},{id},5,verifikator,0,1,,,collect:abc,0,1a2b",
        now = day(0)
    )
}

async fn submit(app: &TestApp, role: Role, csv: &str) -> common::Resp {
    app.send(
        app.req(Method::POST, SUBMISSIONS, role)
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(csv.to_string()),
    )
    .await
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
async fn the_form_lists_the_programs_active_targets_for_who_records_visits() {
    let app = TestApp::spawn().await;
    let kec = app.registry(150).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 3).await;
    // One target dropped: it is not a choice.
    let dropped = app
        .delete(
            &format!("/api/v1/programs/{}/targets/{}", p.id, p.targets[2]),
            Role::Company,
        )
        .await;
    assert!(dropped.status.is_success(), "{}", dropped.body);

    let path = format!("/api/v1/programs/{}/verification-form", p.id);
    let form = app.get(&path, Role::Verifier).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        form.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let short: String =
        p.id.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(12)
            .collect();
    assert_eq!(
        form.header("content-disposition").as_deref(),
        Some(format!("attachment; filename=\"rbpk_verifikasi_{short}.xlsx\"").as_str())
    );
    let survey = sheet(&form.raw, "survey");
    let names: Vec<&str> = survey[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        names,
        [
            "start",
            "end",
            "desa",
            "target_id",
            "visited_on",
            "result",
            "notes",
            "location",
            "consent_to_share",
            "photo"
        ]
    );
    let choices = sheet(&form.raw, "choices");
    let targets: Vec<&Vec<String>> = choices.iter().filter(|r| r[0] == "target").collect();
    assert_eq!(targets.len(), 2, "{choices:?}");
    for t in &targets {
        assert!(p.targets[..2].contains(&t[1]), "{t:?}");
        // The head's name, never a whole No. KK or NIK (16 digits).
        let household = &p.households[p.targets.iter().position(|x| *x == t[1]).unwrap()];
        let h = app
            .get(&format!("/api/v1/households/{household}"), Role::Bappeda)
            .await;
        assert!(
            t[2].starts_with(h.body["head_name"].as_str().unwrap()),
            "{t:?}"
        );
        let digits: Vec<usize> = t[2]
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .collect();
        assert!(digits.iter().all(|n| *n < 16), "{t:?}");
        assert!(
            choices.iter().any(|d| d[0] == "desa" && d[1] == t[3]),
            "{t:?}"
        );
    }
    let results: Vec<&str> = choices
        .iter()
        .filter(|r| r[0] == "result")
        .map(|r| r[1].as_str())
        .collect();
    assert_eq!(
        results,
        [
            "eligible",
            "ineligible",
            "not_found",
            "moved",
            "deceased",
            "already_assisted"
        ]
    );
    let settings = sheet(&form.raw, "settings");
    assert_eq!(settings[1][1], format!("rbpk_verifikasi_{short}"));
    // The same targets, the same version.
    let again = app.get(&path, Role::Opd).await;
    assert_eq!(sheet(&again.raw, "settings")[1][2], settings[1][2]);

    // The download is audited.
    let audit = app
        .get(
            &format!(
                "/api/v1/audit-events?entity_id={}&action=download_verification_form",
                p.id
            ),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert_eq!(audit.body["total"], 2, "{}", audit.body);

    // A company does not take forms; another agency gets 404 (covered by
    // the matrix); a program not being verified has none.
    assert_problem(&app.get(&path, Role::Company).await, 403, "forbidden");
    let draft = app
        .post(
            "/api/v1/programs",
            Role::Company,
            json!({"cycle_year": 2027, "title": "Air bersih", "type": "water",
                "strategy": "reduce_burden", "budget": 100_000_000, "opd_code": rbpk::db::seed::DEMO_OPD_CODE,
                "target_regions": [kec]}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let none = app
        .get(
            &format!(
                "/api/v1/programs/{}/verification-form",
                draft.body["id"].as_str().unwrap()
            ),
            Role::Verifier,
        )
        .await;
    assert_problem(&none, 409, "program_not_verifiable");
}

/// Issue 14, item 6: an ODK export of 20 visits (two resent, one
/// conflicting) → outcomes → the `moved` visit's change request approved →
/// the household moved and in the month's export.
#[actix_web::test]
async fn an_odk_export_runs_as_a_batch_through_to_the_months_registry_export() {
    let app = TestApp::spawn().await;
    let kec = app.registry(700).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 18).await;
    // Another verifier's visit of the last target, dated today, reached the
    // server first; the phone's visit of yesterday conflicts with it.
    let earlier = app.verify(&p.targets[17], "eligible").await;
    assert_eq!(earlier.status, 201, "{}", earlier.body);

    let mut rows = vec![HEADER.to_string()];
    for (i, target) in p.targets[..17].iter().enumerate() {
        let result = if i == 1 { "moved" } else { "eligible" };
        rows.push(odk_row(i as u32 + 1, target, &day(0), result));
    }
    // Rows 1 and 2 sent again in the same export (a phone that synced twice).
    rows.push(rows[1].clone());
    rows.push(rows[2].clone());
    rows.push(odk_row(20, &p.targets[17], &day(-1), "ineligible"));
    let csv = rows.join("\r\n") + "\r\n";

    let first = submit(&app, Role::Verifier, &csv).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let mut expected = vec!["created"; 17];
    expected.extend(["duplicate", "duplicate", "conflict"]);
    assert_eq!(outcomes(&first), expected, "{}", first.body);
    assert_eq!(
        first.body["summary"],
        json!({"created": 17, "duplicate": 2, "conflict": 1, "rejected": 0})
    );
    let items = first.body["items"].as_array().unwrap();
    assert_eq!(items[0]["line"], 2);
    assert_eq!(items[19]["line"], 21);
    assert_eq!(
        items[0]["client_id"],
        "uuid:0b8f6a52-7c1e-4d3a-9f2b-000000000001"
    );
    let v = &items[0]["verification"];
    assert_eq!(v["target_id"], p.targets[0].as_str());
    assert_eq!(v["latitude"], -0.4312);
    assert_eq!(v["consent_to_share"], true);
    assert_eq!(v["notes"], "Atap bocor, dinding papan");
    assert_eq!(
        items[17]["verification"]["id"], v["id"],
        "a resent row is the visit it made"
    );
    assert_eq!(items[19]["problem"]["code"], "target_changed");
    assert_eq!(
        items[19]["current"]["latest_visit"]["id"],
        earlier.body["id"]
    );

    // The whole export sent again changes nothing.
    let again = submit(&app, Role::Verifier, &csv).await;
    assert_eq!(
        again.body["summary"],
        json!({"created": 0, "duplicate": 19, "conflict": 1, "rejected": 0}),
        "{}",
        again.body
    );
    let visits = app
        .get(
            &format!("/api/v1/verifications?program_id={}&per_page=100", p.id),
            Role::Bappeda,
        )
        .await;
    assert_eq!(visits.body["total"], 18, "{}", visits.body);

    // The moved visit filed its change request; Bappeda approves it.
    let moved_visit = items[1]["verification"]["id"].as_str().unwrap();
    let filed = app
        .get(
            &format!("/api/v1/change-requests?household_id={}", p.households[1]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(filed.body["total"], 1, "{}", filed.body);
    let request = &filed.body["items"][0];
    assert_eq!(request["type"], "moved");
    assert_eq!(request["verification_id"], moved_visit);
    let request_id = request["id"].as_str().unwrap();
    let decided = app
        .post(
            &format!("/api/v1/change-requests/{request_id}/decision"),
            Role::Bappeda,
            json!({"decision": "approve", "note": "Pindah ke luar desa."}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let household = app
        .get(
            &format!("/api/v1/households/{}", p.households[1]),
            Role::Bappeda,
        )
        .await;
    assert_eq!(household.body["status"], "moved");
    let month = today().format("%Y-%m").to_string();
    let export = app
        .get(
            &format!("/api/v1/change-requests/export?month={month}"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(export.status, 200, "{}", export.body);
    let listed: Vec<&Value> = export.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["request_id"] == request_id)
        .collect();
    assert_eq!(listed.len(), 1, "{}", export.body);
    assert_eq!(listed[0]["type"], "moved");
}

#[actix_web::test]
async fn each_row_stands_alone_and_a_file_that_is_not_the_export_is_refused() {
    let app = TestApp::spawn().await;
    let kec = app.registry(80).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 2).await;
    // A KoBo export: `;`, a BOM, bare UUIDs, the geopoint joined.
    let kobo = format!(
        "\u{feff}end;target_id;visited_on;result;notes;location;consent_to_share;_uuid;_submission_time;_validation_status\n\
         ;{t0};{d};eligible;;-0.5 117.1 0 5;no;0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a77;{d}T02:00:00;\n\
         ;{t1};{future};eligible;;;;0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a78;{d}T02:00:00;\n\
         ;{t1};{d};maybe;;;;0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a79;{d}T02:00:00;\n\
         ;{t1};{d};eligible;;;;0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a80;{d}T02:00:00;validation_status_not_approved\n\
         ;{t1};{d};eligible;;;;;{d}T02:00:00;\n\
         ;00000000-0000-4000-8000-000000000000;{d};eligible;;;;0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a81;{d}T02:00:00;\n",
        t0 = p.targets[0],
        t1 = p.targets[1],
        d = day(0),
        future = day(3),
    );
    let resp = submit(&app, Role::Verifier, &kobo).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        outcomes(&resp),
        ["created", "rejected", "rejected", "rejected", "rejected", "rejected"],
        "{}",
        resp.body
    );
    let items = resp.body["items"].as_array().unwrap();
    assert_eq!(
        items[0]["client_id"],
        "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a77"
    );
    assert_eq!(items[0]["verification"]["consent_to_share"], false);
    assert_eq!(items[0]["verification"]["latitude"], -0.5);
    assert_eq!(items[1]["problem"]["errors"][0]["field"], "visited_on");
    assert_eq!(items[2]["problem"]["errors"][0]["field"], "result");
    assert_eq!(
        items[3]["problem"]["errors"][0]["field"],
        "_validation_status"
    );
    assert_eq!(items[4]["problem"]["errors"][0]["field"], "meta-instanceID");
    assert_eq!(items[5]["problem"]["errors"][0]["field"], "target_id");
    // The JSON batch with the same id is the same visit.
    let batch = app
        .post(
            "/api/v1/verifications/batch",
            Role::Verifier,
            json!({"items": [{"client_id": "uuid:0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a77", "target_id": p.targets[0],
                "visited_on": day(0), "result": "eligible", "recorded_at": "2026-12-04T05:10:00Z"}]}),
        )
        .await;
    assert_eq!(
        batch.body["items"][0]["outcome"], "duplicate",
        "{}",
        batch.body
    );

    // Exported with labels instead of names: refused whole, saying how.
    let labels = "Keluarga sasaran,Tanggal kunjungan,Hasil verifikasi\nx,y,z\n";
    let refused = submit(&app, Role::Verifier, labels).await;
    assert_problem(&refused, 422, "not_the_form");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("XML values and headers"));
    let mut long = vec![HEADER.to_string()];
    for i in 0..501 {
        long.push(odk_row(i + 1000, &p.targets[0], &day(0), "eligible"));
    }
    let too_many = submit(&app, Role::Verifier, &long.join("\n")).await;
    assert_problem(&too_many, 422, "too_many_rows");
    let json_body = app
        .post(SUBMISSIONS, Role::Verifier, json!({"items": []}))
        .await;
    assert_problem(&json_body, 415, "unsupported_media_type");
    assert_problem(&submit(&app, Role::Company, &kobo).await, 403, "forbidden");
    // Nothing of the refused files was recorded.
    let visits = app
        .get(
            &format!("/api/v1/verifications?program_id={}", p.id),
            Role::Bappeda,
        )
        .await;
    assert_eq!(visits.body["total"], 1, "{}", visits.body);
}
