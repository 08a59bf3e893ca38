//! An import into an empty table builds that table's read-path indexes
//! after its rows (src/db/deferred_indexes.rs): whether the import ends,
//! fails or is cut off by a stop, the registry has every index it had
//! before, and a table in use keeps its indexes throughout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::hostile_files as hostile;

use common::{demo_files, TestApp, XLSX};
use diesel::prelude::*;
use rbpk::db::{deferred_indexes, DbConnection};
use rbpk::domain::role::Role;

/// The indexes of the tables an import fills, by name, from the catalog.
fn registry_indexes(conn: &mut DbConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let tables = "('households', 'members', 'household_datasets')";
    let found = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN {tables} \
             ORDER BY name"
        ))
        .load::<Index>(c),
        DbConnection::Postgresql(c) => diesel::sql_query(format!(
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN {tables} ORDER BY indexname"
        ))
        .load::<Index>(c),
    };
    found.unwrap().into_iter().map(|i| i.name).collect()
}

/// Indexes still waiting to be built.
fn waiting(conn: &mut DbConnection) -> i64 {
    use rbpk::db::schema::deferred_indexes::dsl::*;
    deferred_indexes.count().get_result(conn).unwrap()
}

#[actix_web::test]
async fn an_import_into_an_empty_registry_leaves_every_index_it_found() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.pool.get().unwrap();
    let before = registry_indexes(&mut conn);
    assert!(
        before.contains(&"households_desil".to_string()),
        "{before:?}"
    );
    assert!(before.contains(&"members_nik".to_string()), "{before:?}");

    let files = demo_files(40, 17);
    let families = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(families.body["status"], "done", "{}", families.body);
    assert_eq!(families.body["created"], 40, "{}", families.body);
    assert_eq!(registry_indexes(&mut conn), before);
    let members = app.import("p3ke", "text/csv", &files.members_csv).await;
    assert_eq!(members.body["status"], "done", "{}", members.body);
    assert!(
        members.body["created"].as_i64().unwrap() > 40,
        "{}",
        members.body
    );
    assert_eq!(registry_indexes(&mut conn), before);
    assert_eq!(waiting(&mut conn), 0);

    // The read paths answer from them: a kecamatan's page and its total.
    let all = app
        .get("/api/v1/households?per_page=100", Role::Bappeda)
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["total"], 40, "{}", all.body);
    let region = all.body["items"][0]["region_code"].as_str().unwrap();
    let kecamatan = &region[..8];
    let in_kecamatan = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["region_code"].as_str().unwrap().starts_with(kecamatan))
        .count();
    let page = app
        .get(
            &format!("/api/v1/households?region={kecamatan}&per_page=100"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["total"], in_kecamatan, "{}", page.body);
}

#[actix_web::test]
async fn an_import_that_fails_still_builds_the_indexes_it_deferred() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.pool.get().unwrap();
    let before = registry_indexes(&mut conn);
    // Accepted at upload, stopped by the reader's cap during the import.
    let done = app
        .import("p3ke", XLSX, &hostile::one_large_shared_string(1_000_000))
        .await;
    assert_eq!(done.body["status"], "failed", "{}", done.body);
    assert_eq!(registry_indexes(&mut conn), before);
    assert_eq!(waiting(&mut conn), 0);
}

#[actix_web::test]
async fn indexes_deferred_by_an_import_cut_off_are_built_at_the_next_start() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.pool.get().unwrap();
    let before = registry_indexes(&mut conn);
    // An import deferred the indexes of the empty registry, then the
    // service stopped.
    let deferred = deferred_indexes::defer_on_empty_tables(&mut conn).unwrap();
    assert!(deferred >= 8, "{deferred}");
    assert_eq!(
        deferred_indexes::definition(&mut conn, "members_nik").unwrap(),
        None
    );
    assert_eq!(waiting(&mut conn), deferred as i64);
    let kept = registry_indexes(&mut conn);
    for key in ["households_kk", "households_head_nik", "members_household"] {
        assert!(
            kept.contains(&key.to_string()),
            "{key} is an import's key: {kept:?}"
        );
    }
    // What `rbpk serve` and `rbpk import` do as they start.
    assert_eq!(
        deferred_indexes::build_waiting(&mut conn).unwrap(),
        deferred
    );
    assert_eq!(registry_indexes(&mut conn), before);
    assert_eq!(waiting(&mut conn), 0);
    // A second start has nothing to build.
    assert_eq!(deferred_indexes::build_waiting(&mut conn).unwrap(), 0);
}

#[actix_web::test]
async fn a_table_in_use_keeps_its_indexes_while_an_import_writes() {
    let app = TestApp::spawn().await;
    let files = demo_files(10, 5);
    let families = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(families.body["status"], "done", "{}", families.body);
    let mut conn = app.state.pool.get().unwrap();
    let before = registry_indexes(&mut conn);
    // Families and their dataset links are held; members are not yet.
    let deferred = deferred_indexes::defer_on_empty_tables(&mut conn).unwrap();
    assert_eq!(deferred, 2);
    assert_eq!(
        deferred_indexes::definition(&mut conn, "members_nik").unwrap(),
        None
    );
    for read_path in [
        "households_desil",
        "households_region",
        "household_datasets_dataset",
    ] {
        assert!(
            deferred_indexes::definition(&mut conn, read_path)
                .unwrap()
                .is_some(),
            "{read_path}"
        );
    }
    assert_eq!(deferred_indexes::build_waiting(&mut conn).unwrap(), 2);
    assert_eq!(registry_indexes(&mut conn), before);
}

#[actix_web::test]
async fn indexes_left_waiting_are_built_by_the_next_import() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.pool.get().unwrap();
    let before = registry_indexes(&mut conn);
    // An import lost its database after deferring; the service went on.
    let deferred = deferred_indexes::defer_on_empty_tables(&mut conn).unwrap();
    assert!(deferred >= 8, "{deferred}");
    let files = demo_files(10, 9);
    let done = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    assert_eq!(registry_indexes(&mut conn), before);
    assert_eq!(waiting(&mut conn), 0);
}
