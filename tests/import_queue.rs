//! Imports run one at a time per instance (issue 10, item 5): the others wait
//! as `queued`, so imports never hold the whole connection pool and other
//! requests keep being answered.
//!
//! A test binary of its own, beside `tests/api/`, on purpose: the lane
//! (`import::job::Ticket::run_in_turn`) and the cap on pending imports
//! (`MAX_PENDING`) belong to the process. In the api binary most modules
//! (households, import safety, the authorization matrix, programs, reports…)
//! upload files at the same time, so this test's three uploads could meet a
//! full cap (429)
//! and its 60 s would include their imports: it would fail for reasons that
//! are not the lane's. Isolating it there would need every test that uploads
//! a file to take a harness lock; a second binary keeps the whole process to
//! this test alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/common/mod.rs"]
mod common;

use actix_web::http::Method;
use common::{demo_files, TestApp};
use rbpk::domain::role::Role;

#[actix_web::test]
async fn parallel_uploads_run_one_at_a_time_while_other_requests_are_answered() {
    let app = TestApp::spawn().await;
    let files = demo_files(300, 9);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let started = app
            .send(
                app.req(
                    Method::POST,
                    "/api/v1/household-imports?format=p3ke",
                    Role::Bappeda,
                )
                .insert_header(("content-type", "text/csv"))
                .set_payload(files.families_csv.clone()),
            )
            .await;
        assert_eq!(started.status, 202, "{}", started.body);
        assert_eq!(started.body["status"], "queued");
        ids.push(started.body["id"].as_str().unwrap().to_string());
    }
    let mut seen_running = 0;
    for _ in 0..2400 {
        let mut statuses = Vec::new();
        for id in &ids {
            let r = app
                .get(&format!("/api/v1/household-imports/{id}"), Role::Bappeda)
                .await;
            assert_eq!(r.status, 200);
            statuses.push(r.body["status"].as_str().unwrap().to_string());
        }
        // The GETs above are three reads at three moments: import 1 may end
        // and import 2 start between them, so they cannot show overlap. One
        // query over the records is one snapshot of the lane.
        let running: i64 = {
            use diesel::prelude::*;
            use rbpk::db::schema::household_imports as hi;
            let mut conn = app.state.pool.get().unwrap();
            hi::table
                .filter(hi::status.eq("running"))
                .count()
                .get_result(&mut *conn)
                .unwrap()
        };
        assert!(
            running <= 1,
            "{running} imports running at once (last reads: {statuses:?})"
        );
        let running = usize::try_from(running).unwrap();
        seen_running += running;
        // Other users are served meanwhile.
        let list = app.get("/api/v1/households?per_page=5", Role::Opd).await;
        assert_eq!(list.status, 200, "{}", list.body);
        if statuses.iter().all(|s| s == "done" || s == "failed") {
            assert!(statuses.iter().all(|s| s == "done"), "{statuses:?}");
            let first = app
                .get(
                    &format!("/api/v1/household-imports/{}", ids[0]),
                    Role::Bappeda,
                )
                .await;
            assert_eq!(first.body["created"], 300);
            let total = app
                .get("/api/v1/households?per_page=1", Role::Bappeda)
                .await;
            assert_eq!(
                total.body["total"], 300,
                "the same file three times is one registry"
            );
            println!("observations with an import running: {seen_running}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the imports did not finish within 60 s");
}
