//! Datasets: snapshots and their hand-over, named by every import and by
//! the households they hold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::Method;
use rbpk::domain::role::Role;
use serde_json::json;

use crate::common::{assert_problem, demo_files, TestApp};

async fn dtsen_dataset(app: &TestApp) -> crate::common::Resp {
    app.post(
        "/api/v1/datasets",
        Role::Bappeda,
        json!({"source": "dtsen", "version": "2025-Q3", "condition_date": "2025-09-30",
            "received_on": "2025-11-03", "bast_number": "BAST/045/BPS-KUKAR/XI/2025",
            "bast_type": "pemanfaatan", "onward_sharing": false, "expires_on": "2026-12-31"}),
    )
    .await
}

#[actix_rt::test]
async fn bappeda_records_a_snapshot_and_corrects_it_with_if_match() {
    let app = TestApp::spawn().await;
    let created = dtsen_dataset(&app).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["source"], "dtsen");
    assert_eq!(created.body["version"], "2025-Q3");
    assert_eq!(created.body["onward_sharing"], false);
    assert_eq!(created.body["households_count"], 0);
    let id = created.body["id"].as_str().unwrap().to_string();
    let etag = created.etag();
    assert_eq!(
        created.header("location").as_deref(),
        Some(format!("/api/v1/datasets/{id}").as_str())
    );

    let changed = app
        .patch(
            &format!("/api/v1/datasets/{id}"),
            Role::Bappeda,
            json!({"onward_sharing": true, "notes": "Addendum to the BAST"}),
            Some(&etag),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["onward_sharing"], true);
    assert_eq!(changed.body["source"], "dtsen");
    let stale = app
        .patch(
            &format!("/api/v1/datasets/{id}"),
            Role::Bappeda,
            json!({"notes": "again"}),
            Some(&etag),
        )
        .await;
    assert_problem(&stale, 412, "stale_etag");

    let listed = app.get("/api/v1/datasets?source=dtsen", Role::Admin).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["id"], id);
    let p3ke = app.get("/api/v1/datasets?source=p3ke", Role::Admin).await;
    assert_eq!(p3ke.body["total"], 0);

    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=dataset&entity_id={id}"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.body["total"], 2, "{}", audit.body);
}

#[actix_rt::test]
async fn dates_out_of_order_and_an_empty_version_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/datasets",
            Role::Bappeda,
            json!({"source": "dtsen", "version": " ", "condition_date": "2025-09-30",
                "received_on": "2025-09-01", "onward_sharing": false}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["version", "received_on"]);
}

#[actix_rt::test]
async fn an_import_naming_no_dataset_gets_one_and_its_households_name_it() {
    let app = TestApp::spawn().await;
    let files = demo_files(40, 3);
    let done = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    let dataset = done.body["dataset_id"].as_str().unwrap().to_string();

    let record = app
        .get(&format!("/api/v1/datasets/{dataset}"), Role::Bappeda)
        .await;
    assert_eq!(record.status, 200, "{}", record.body);
    assert_eq!(record.body["source"], "p3ke");
    assert_eq!(record.body["onward_sharing"], true);
    assert_eq!(record.body["households_count"], done.body["created"]);

    let household = app
        .get("/api/v1/households?per_page=1", Role::Bappeda)
        .await;
    assert_eq!(household.body["items"][0]["datasets"][0]["id"], dataset);
    assert_eq!(household.body["items"][0]["datasets"][0]["source"], "p3ke");

    // The same file again, naming the same dataset: nothing new, no second link.
    let again = app
        .import(
            &format!("p3ke&dataset_id={dataset}"),
            "text/csv",
            &files.families_csv,
        )
        .await;
    assert_eq!(again.body["dataset_id"], dataset.as_str());
    assert_eq!(again.body["created"], 0);
    let record = app
        .get(&format!("/api/v1/datasets/{dataset}"), Role::Bappeda)
        .await;
    assert_eq!(record.body["households_count"], done.body["created"]);
    let one = app
        .get(
            &format!(
                "/api/v1/households/{}",
                household.body["items"][0]["id"].as_str().unwrap()
            ),
            Role::Bappeda,
        )
        .await;
    assert_eq!(one.body["datasets"].as_array().unwrap().len(), 1);
}

#[actix_rt::test]
async fn an_import_naming_a_dataset_of_another_source_or_none_is_422() {
    let app = TestApp::spawn().await;
    let dtsen = dtsen_dataset(&app).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let files = demo_files(5, 3);
    for (dataset, message) in [
        (dtsen.as_str(), "is a dtsen dataset; this file is p3ke"),
        ("00000000-0000-4000-8000-0000000000ff", "no such dataset"),
    ] {
        let resp = app
            .send(
                app.req(
                    Method::POST,
                    &format!("/api/v1/household-imports?format=p3ke&dataset_id={dataset}"),
                    Role::Bappeda,
                )
                .insert_header(("content-type", "text/csv"))
                .set_payload(files.families_csv.clone()),
            )
            .await;
        assert_problem(&resp, 422, "validation_failed");
        assert_eq!(resp.body["errors"][0]["field"], "dataset_id");
        assert_eq!(resp.body["errors"][0]["message"], message);
    }
    let imports = app
        .get("/api/v1/audit-events?entity=household_import", Role::Admin)
        .await;
    assert_eq!(
        imports.body["total"], 0,
        "a refused import leaves no record"
    );
}
