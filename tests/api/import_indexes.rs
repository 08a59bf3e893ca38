//! An import into an empty table builds that table's read-path indexes,
//! and on PostgreSQL adds its foreign keys, after its rows
//! (src/db/deferred_indexes.rs): whether the import ends, fails or is cut
//! off by a stop, the registry has every index and key it had before, a
//! table in use keeps its indexes throughout, and a key the rows break
//! fails the import with the reason and waits until they are mended.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::hostile_files as hostile;

use common::{demo_files, TestApp, XLSX};
use diesel::prelude::*;
use rbpk::db::{deferred_indexes, DbConnection};
use rbpk::domain::role::Role;

/// The tables an import fills, as SQL's list.
const TABLES: &str = "('households', 'members', 'household_datasets')";

/// The `name` column of a catalog query, per backend.
fn catalog(conn: &mut DbConnection, sqlite: &str, postgres: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let found = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sqlite).load::<Named>(c),
        DbConnection::Postgresql(c) => diesel::sql_query(postgres).load::<Named>(c),
    };
    found.unwrap().into_iter().map(|n| n.name).collect()
}

/// The indexes of the tables an import fills, by name, from the catalog.
fn registry_indexes(conn: &mut DbConnection) -> Vec<String> {
    catalog(
        conn,
        &format!(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN {TABLES} \
             ORDER BY name"
        ),
        &format!(
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN {TABLES} ORDER BY indexname"
        ),
    )
}

/// The checked foreign keys of the tables an import fills, as
/// `table(column) -> table`, from the catalog.
fn registry_keys(conn: &mut DbConnection) -> Vec<String> {
    catalog(
        conn,
        &format!(
            "SELECT m.name || '(' || k.\"from\" || ') -> ' || k.\"table\" AS name \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) k \
             WHERE m.type = 'table' AND m.name IN {TABLES} ORDER BY 1"
        ),
        &format!(
            "SELECT k.conrelid::regclass || '(' || a.attname || ') -> ' || k.confrelid::regclass \
             AS name FROM pg_constraint k \
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
             WHERE k.contype = 'f' AND k.convalidated \
             AND k.conrelid::regclass::text IN {TABLES} ORDER BY 1"
        ),
    )
}

/// How many foreign keys of `table` an import into it puts off: on
/// PostgreSQL each, on SQLite none (it cannot drop one).
fn keys_put_off(conn: &mut DbConnection, table: &str) -> usize {
    match conn {
        DbConnection::Sqlite(_) => 0,
        DbConnection::Postgresql(_) => registry_keys(conn)
            .iter()
            .filter(|k| k.starts_with(&format!("{table}(")))
            .count(),
    }
}

/// Indexes and keys still waiting to be made.
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
    let keys = registry_keys(&mut conn);
    for key in [
        "households(region_code) -> regions",
        "members(household_id) -> households",
        "household_datasets(household_id) -> households",
        "household_datasets(dataset_id) -> datasets",
    ] {
        assert!(keys.contains(&key.to_string()), "{key}: {keys:?}");
    }

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
    assert_eq!(registry_keys(&mut conn), keys);
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
    let keys = registry_keys(&mut conn);
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
    assert_eq!(registry_keys(&mut conn), keys);
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
    let keys = registry_keys(&mut conn);
    // Families and their dataset links are held; members are not yet.
    let members_keys = keys_put_off(&mut conn, "members");
    let deferred = deferred_indexes::defer_on_empty_tables(&mut conn).unwrap();
    assert_eq!(deferred, 2 + members_keys);
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
    let held: Vec<String> = registry_keys(&mut conn)
        .into_iter()
        .filter(|k| !k.starts_with("members("))
        .collect();
    assert_eq!(
        held,
        keys.iter()
            .filter(|k| !k.starts_with("members("))
            .cloned()
            .collect::<Vec<_>>(),
        "the keys of tables in use stay"
    );
    assert_eq!(
        deferred_indexes::build_waiting(&mut conn).unwrap(),
        2 + members_keys
    );
    assert_eq!(registry_indexes(&mut conn), before);
    assert_eq!(registry_keys(&mut conn), keys);
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

#[actix_web::test]
async fn a_foreign_key_the_rows_break_fails_the_import_and_waits_until_they_are_mended() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.pool.get().unwrap();
    let (indexes, keys) = (registry_indexes(&mut conn), registry_keys(&mut conn));
    let members_keys = keys_put_off(&mut conn, "members");
    // An import put the empty registry's indexes and keys off; a member of
    // no family got in meanwhile (what no import or request writes).
    let deferred = deferred_indexes::defer_on_empty_tables(&mut conn).unwrap();
    assert!(deferred >= 8 + members_keys, "{deferred}");
    diesel::sql_query(
        "INSERT INTO members (id, household_id, name, created_at, updated_at) \
         VALUES ('stray-member', 'no-such-family', 'Stray', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    .execute(&mut conn)
    .map_or_else(
        // SQLite kept the key: it refuses the row, and nothing waits on it.
        |e| assert_eq!(members_keys, 0, "{e}"),
        |n| assert_eq!((n, members_keys), (1, 1)),
    );

    let files = demo_files(10, 23);
    let done = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(done.body["created"], 10, "{}", done.body);
    if members_keys == 0 {
        assert_eq!(done.body["status"], "done", "{}", done.body);
        assert_eq!(registry_keys(&mut conn), keys);
        assert_eq!(waiting(&mut conn), 0);
        return;
    }
    // The families are in, with every index; the import says which key
    // their table's rows break, and that key alone waits.
    assert_eq!(done.body["status"], "failed", "{}", done.body);
    let error = done.body["error"].as_str().unwrap();
    assert!(error.contains("members_household_id_fkey"), "{error}");
    assert_eq!(registry_indexes(&mut conn), indexes);
    assert!(!registry_keys(&mut conn).contains(&"members(household_id) -> households".to_string()));
    assert_eq!(waiting(&mut conn), 1);
    // A start logs it and serves on; once the row is mended the key is back.
    assert!(deferred_indexes::build_waiting(&mut conn).is_err());
    diesel::sql_query("DELETE FROM members WHERE id = 'stray-member'")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(deferred_indexes::build_waiting(&mut conn).unwrap(), 1);
    assert_eq!(registry_keys(&mut conn), keys);
    assert_eq!(waiting(&mut conn), 0);
}
