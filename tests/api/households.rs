//! The household registry: imports, filters, validation, privacy, duplicates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, demo_files, TestApp, XLSX};
use rbpk::domain::role::Role;
use serde_json::json;

const FAMILY_HEADER: &str = "ID Keluarga P3KE,Kode Kemdagri,Desil Kesejahteraan,Nama Kepala Keluarga,NIK Kepala Keluarga,Jenis Kelamin Kepala Keluarga,Tanggal Lahir Kepala Keluarga,Jenis Atap,Kualitas Atap";

#[actix_web::test]
async fn a_p3ke_csv_pair_imports_families_then_members_and_a_reimport_changes_nothing() {
    let app = TestApp::spawn().await;
    let files = demo_files(120, 7);
    let fam = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(fam.body["status"], "done", "{}", fam.body);
    assert_eq!(fam.body["created"], 120);
    assert_eq!(fam.body["rows_total"], 120);
    assert_eq!(fam.body["rows_done"], 120);
    assert_eq!(fam.body["rejected_count"], 0);
    let mem = app.import("p3ke", "text/csv", &files.members_csv).await;
    assert_eq!(mem.body["status"], "done", "{}", mem.body);
    assert_eq!(mem.body["rejected_count"], 0, "{}", mem.body);
    let members = mem.body["created"].as_i64().unwrap();
    assert!(members >= 120, "{members}");

    let again = app.import("p3ke", "text/csv", &files.families_csv).await;
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["updated"], 0);
    assert_eq!(again.body["unchanged"], 120);
    let again = app.import("p3ke", "text/csv", &files.members_csv).await;
    assert_eq!(again.body["unchanged"].as_i64().unwrap(), members);

    let list = app
        .get("/api/v1/households?per_page=1", Role::Bappeda)
        .await;
    assert_eq!(list.body["total"], 120);
    let total_members: i64 = {
        let all = app
            .get("/api/v1/households?per_page=200", Role::Bappeda)
            .await;
        all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["members_count"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(total_members, members);
}

/// A batch the database refuses for one row is written again row by row
/// (src/import/job.rs): the row alone is rejected, and its neighbours are
/// stored with the values of their own records, though the failed attempt
/// had already used the values the reader made for them
/// (`registry_writer::Prepared`) — a second import finds them unchanged.
#[actix_web::test]
async fn a_row_the_database_refuses_costs_only_itself_and_its_neighbours_are_stored_as_read() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    // A rule of this database alone, which the file's third family breaks.
    let mut conn = app.state.pool.get().unwrap();
    diesel::sql_query("CREATE UNIQUE INDEX test_one_head_per_name ON households (head_name)")
        .execute(&mut conn)
        .unwrap();
    let csv = format!(
        "{FAMILY_HEADER}\n\
         P3KE-R1,6402061001,1,SITI AMINAH,6402064506800001,PEREMPUAN,05-06-1980,BAMBU,JELEK/KUALITAS RENDAH\n\
         P3KE-R2,6402061001,2,BUDI SANTOSO,6402060101800001,LAKI-LAKI,1980-01-01,GENTENG,BAGUS/KUALITAS TINGGI\n\
         P3KE-R3,6402061001,3,SITI AMINAH,6402064101900002,PEREMPUAN,01/01/1990,GENTENG,BAGUS/KUALITAS TINGGI\n\
         P3KE-R4,6402061001,4,DEDI,6402060101850003,LAKI-LAKI,1985-01-01,BAMBU,JELEK/KUALITAS RENDAH\n"
    );
    let done = app.import("p3ke", "text/csv", csv.as_bytes()).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    assert_eq!(done.body["created"], 3, "{}", done.body);
    assert_eq!(done.body["rejected_count"], 1, "{}", done.body);
    let rejected = &done.body["rejected"][0];
    assert_eq!(rejected["line"], 4, "{rejected}");
    assert!(
        rejected["reason"]
            .as_str()
            .unwrap()
            .starts_with("conflicts with the registry"),
        "{rejected}"
    );
    let list = app
        .get("/api/v1/households?per_page=10", Role::Bappeda)
        .await;
    let mut heads: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["head_name"].as_str().unwrap())
        .collect();
    heads.sort_unstable();
    assert_eq!(
        heads,
        ["BUDI SANTOSO", "DEDI", "SITI AMINAH"],
        "{}",
        list.body
    );

    diesel::sql_query("DROP INDEX test_one_head_per_name")
        .execute(&mut conn)
        .unwrap();
    let again = app.import("p3ke", "text/csv", csv.as_bytes()).await;
    assert_eq!(again.body["status"], "done", "{}", again.body);
    assert_eq!(
        (
            &again.body["created"],
            &again.body["updated"],
            &again.body["unchanged"]
        ),
        (&json!(1), &json!(0), &json!(3)),
        "{}",
        again.body
    );
}

#[actix_web::test]
async fn an_xlsx_workbook_with_both_sheets_imports_in_one_go() {
    let app = TestApp::spawn().await;
    let files = demo_files(40, 11);
    let done = app.import("p3ke", XLSX, &files.xlsx).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    assert_eq!(done.body["rejected_count"], 0, "{}", done.body);
    let list = app
        .get("/api/v1/households?per_page=200", Role::Bappeda)
        .await;
    assert_eq!(list.body["total"], 40);
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["members_count"].as_i64().unwrap() >= 1));
}

#[actix_web::test]
async fn a_dtks_import_matches_p3ke_families_and_keeps_their_desil() {
    let app = TestApp::spawn().await;
    let files = demo_files(60, 3);
    app.import("p3ke", "text/csv", &files.families_csv).await;
    let before = app
        .get("/api/v1/households?per_page=200&sort=desil", Role::Bappeda)
        .await;
    let desil_before: Vec<_> = before.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["id"].clone(), h["desil"].clone()))
        .collect();
    let dtks = app.import("dtks", "text/csv", &files.dtks_csv).await;
    assert_eq!(dtks.body["status"], "done", "{}", dtks.body);
    let after = app
        .get("/api/v1/households?per_page=200&sort=desil", Role::Bappeda)
        .await;
    assert_eq!(
        after.body["total"], 60,
        "DTKS families matched, not duplicated"
    );
    let desil_after: Vec<_> = after.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["id"].clone(), h["desil"].clone()))
        .collect();
    assert_eq!(desil_before, desil_after);
    let with_dtks = after.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["dtks_id"].is_string())
        .count();
    assert!(with_dtks > 0);
    let again = app.import("dtks", "text/csv", &files.dtks_csv).await;
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["updated"], 0, "{}", again.body);
}

#[actix_web::test]
async fn bad_rows_are_rejected_with_line_and_reason_and_their_neighbours_kept() {
    let app = TestApp::spawn().await;
    let csv = format!(
        "{FAMILY_HEADER}\n\
         P3KE-A,6402061001,1,SITI AMINAH,6402064506800001,PEREMPUAN,05-06-1980,BAMBU,JELEK/KUALITAS RENDAH\n\
         P3KE-B,6402999999,2,BUDI,6402060101800001,LAKI-LAKI,1980-01-01,GENTENG,BAGUS/KUALITAS TINGGI\n\
         P3KE-C,6402061001,11,CICI,6402064101900002,PEREMPUAN,01/01/1990,GENTENG,BAGUS/KUALITAS TINGGI\n\
         P3KE-D,6402082001,3,DEDI,12345,LAKI-LAKI,,ATAP EMAS,BAGUS/KUALITAS TINGGI\n"
    );
    let done = app.import("p3ke", "text/csv", csv.as_bytes()).await;
    assert_eq!(done.body["status"], "done", "{}", done.body);
    assert_eq!(done.body["created"], 2);
    assert_eq!(done.body["rejected_count"], 2);
    let rejected = done.body["rejected"].as_array().unwrap();
    assert_eq!(rejected[0]["line"], 3);
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("6402999999"),
        "{}",
        rejected[0]
    );
    assert_eq!(rejected[1]["line"], 4);
    assert!(
        rejected[1]["reason"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("desil"),
        "{}",
        rejected[1]
    );

    // The 2019 code is mapped, the bad NIK and the unknown roof are kept and flagged.
    let d = app.get("/api/v1/households?q=P3KE-D", Role::Bappeda).await;
    let d = &d.body["items"][0];
    assert_eq!(d["region_code"], "64.02.19.2001");
    assert_eq!(d["head_nik_valid"], false);
    let flags: Vec<&str> = d["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        flags.iter().any(|f| f.starts_with("nik_invalid")),
        "{flags:?}"
    );
    assert!(flags.iter().any(|f| f.contains("Jenis Atap")), "{flags:?}");
    let a = app.get("/api/v1/households?q=P3KE-A", Role::Bappeda).await;
    assert_eq!(a.body["items"][0]["extreme_poor"], true);
    assert_eq!(a.body["items"][0]["housing"]["roof_quality"], "poor");
}

#[actix_web::test]
async fn a_member_whose_family_is_unknown_is_rejected() {
    let app = TestApp::spawn().await;
    let csv = "ID Keluarga P3KE,ID Individu,Nama,NIK,Hubungan dengan Kepala Keluarga\nP3KE-NOPE,IND-1,ANI,6402064506800001,ANAK\n";
    let done = app.import("p3ke", "text/csv", csv.as_bytes()).await;
    assert_eq!(done.body["created"], 0);
    assert_eq!(done.body["rejected_count"], 1);
    assert_eq!(done.body["rejected"][0]["line"], 2);
    assert!(done.body["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("P3KE-NOPE"));
}

#[actix_web::test]
async fn unreadable_uploads_are_refused_at_once() {
    let app = TestApp::spawn_with(|c| c.import_limit = 4096).await;
    let post = |ct: &str, body: Vec<u8>, format: &str| {
        app.send(
            app.req(
                Method::POST,
                &format!("/api/v1/household-imports?format={format}"),
                Role::Admin,
            )
            .insert_header(("content-type", ct.to_string()))
            .set_payload(body),
        )
    };
    assert_problem(
        &post("application/pdf", b"%PDF-1.4".to_vec(), "p3ke").await,
        415,
        "unsupported_media_type",
    );
    assert_problem(
        &post("text/csv", b"foo,bar\n1,2\n".to_vec(), "p3ke").await,
        422,
        "unreadable_file",
    );
    let resp = post(
        "text/csv",
        b"ID Keluarga P3KE,Nama Kepala Keluarga,NIK Kepala Keluarga\nX,Y,1\n".to_vec(),
        "p3ke",
    )
    .await;
    assert_problem(&resp, 422, "unreadable_file");
    assert!(
        resp.body["detail"]
            .as_str()
            .unwrap()
            .contains("Kode Kemdagri"),
        "{}",
        resp.body
    );
    assert_problem(
        &post("text/csv", vec![b'a'; 5000], "p3ke").await,
        413,
        "payload_too_large",
    );
    assert_problem(
        &post("text/csv", b"x".to_vec(), "xyz").await,
        400,
        "invalid_query",
    );
    let resp = app
        .send(
            app.req(
                Method::POST,
                "/api/v1/household-imports?format=p3ke",
                Role::Opd,
            )
            .insert_header(("content-type", "text/csv"))
            .set_payload("x"),
        )
        .await;
    assert_problem(&resp, 403, "forbidden");
}

#[actix_web::test]
async fn an_import_cut_off_by_a_restart_is_reported_failed() {
    let app = TestApp::spawn().await;
    let id = {
        let mut conn = app.state.pool.get().unwrap();
        let actor = rbpk::db::audit::Actor::system("test");
        let dataset = rbpk::db::datasets::for_import(
            &mut conn,
            &actor,
            rbpk::domain::dataset::DatasetSource::P3ke,
            None,
            crate::common::today(),
        )
        .unwrap();
        let row = rbpk::db::household_imports::create(
            &mut conn,
            &actor,
            rbpk::domain::household::ImportFormat::P3ke,
            "text/csv",
            10,
            &dataset.id,
        )
        .unwrap();
        rbpk::db::household_imports::set_status(
            &mut conn,
            &row.id,
            rbpk::domain::household::ImportStatus::Running,
        )
        .unwrap();
        // What the service does when it starts again.
        assert_eq!(
            rbpk::db::household_imports::fail_interrupted(&mut conn).unwrap(),
            1
        );
        row.id
    };
    let r = app
        .get(&format!("/api/v1/household-imports/{id}"), Role::Bappeda)
        .await;
    assert_eq!(r.body["status"], "failed");
    assert!(r.body["error"].as_str().unwrap().contains("interrupted"));
}

async fn seeded(app: &TestApp) {
    let files = demo_files(150, 21);
    app.import("p3ke", "text/csv", &files.families_csv).await;
    app.import("p3ke", "text/csv", &files.members_csv).await;
}

#[actix_web::test]
async fn filters_narrow_the_list_by_region_desil_extreme_and_q() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    let all = app
        .get("/api/v1/households?per_page=200", Role::Bappeda)
        .await;
    let items = all.body["items"].as_array().unwrap().clone();
    // A kecamatan finds its desa.
    let kec = items[0]["region_code"].as_str().unwrap()[..8].to_string();
    let by_kec = app
        .get(
            &format!("/api/v1/households?region={kec}&per_page=200"),
            Role::Bappeda,
        )
        .await;
    let expected = items
        .iter()
        .filter(|h| {
            h["region_code"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{kec}."))
        })
        .count();
    assert_eq!(by_kec.body["total"].as_u64().unwrap() as usize, expected);
    let digits = kec.replace('.', "");
    let by_digits = app
        .get(
            &format!("/api/v1/households?region={digits}&per_page=1"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(by_digits.body["total"], by_kec.body["total"]);

    let extreme = app
        .get(
            "/api/v1/households?extreme=true&per_page=200",
            Role::Bappeda,
        )
        .await;
    assert!(extreme.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["desil"] == 1 && h["extreme_poor"] == true));
    assert_eq!(
        extreme.body["total"].as_u64().unwrap() as usize,
        items.iter().filter(|h| h["desil"] == 1).count()
    );
    let le2 = app
        .get("/api/v1/households?desil_max=2&per_page=200", Role::Bappeda)
        .await;
    assert!(le2.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["desil"].as_i64().unwrap() <= 2));

    let sorted = app
        .get("/api/v1/households?sort=-desil&per_page=200", Role::Bappeda)
        .await;
    let desils: Vec<i64> = sorted.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["desil"].as_i64().unwrap())
        .collect();
    assert!(desils.windows(2).all(|w| w[0] >= w[1]));

    let h0 = &items[0];
    let by_nik = app
        .get(
            &format!("/api/v1/households?q={}", h0["head_nik"].as_str().unwrap()),
            Role::Bappeda,
        )
        .await;
    assert!(by_nik.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["id"] == h0["id"]));
    let by_id = app
        .get(
            &format!(
                "/api/v1/households?q={}",
                h0["p3ke_family_id"].as_str().unwrap()
            ),
            Role::Bappeda,
        )
        .await;
    assert_eq!(by_id.body["total"], 1);
    let prefix: String = h0["head_name"]
        .as_str()
        .unwrap()
        .chars()
        .take(3)
        .collect::<String>()
        .to_lowercase();
    let by_name = app
        .get(
            &format!("/api/v1/households?q={}&per_page=200", urlencode(&prefix)),
            Role::Bappeda,
        )
        .await;
    assert!(by_name.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["head_name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with(&prefix)));
    assert!(by_name.body["total"].as_u64().unwrap() >= 1);

    assert_problem(
        &app.get("/api/v1/households?colour=red", Role::Bappeda)
            .await,
        400,
        "invalid_query",
    );
    assert_problem(
        &app.get("/api/v1/households?desil_max=11", Role::Bappeda)
            .await,
        400,
        "invalid_parameter",
    );
    assert_problem(
        &app.get("/api/v1/households?region=64.99", Role::Bappeda)
            .await,
        400,
        "invalid_parameter",
    );
    assert_problem(
        &app.get("/api/v1/households?updated_since=yesterday", Role::Bappeda)
            .await,
        400,
        "invalid_parameter",
    );
}

/// Every page of a list, `per_page` at a time: the ids in order and the
/// total the first page gave.
async fn walk(app: &TestApp, query: &str, role: Role, per_page: usize) -> (Vec<String>, u64) {
    let mut ids = Vec::new();
    let mut total = None;
    for page in 1.. {
        let r = app
            .get(
                &format!("/api/v1/households?{query}&per_page={per_page}&page={page}"),
                role,
            )
            .await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        total.get_or_insert(r.body["total"].as_u64().unwrap());
        let items = r.body["items"].as_array().unwrap();
        ids.extend(items.iter().map(|h| h["id"].as_str().unwrap().to_string()));
        if items.len() < per_page {
            break;
        }
    }
    (ids, total.unwrap())
}

/// The total of a list, and the same list's total with a filter that keeps
/// every family but makes the server count them rather than sum its tallies.
async fn totals(app: &TestApp, query: &str, role: Role) -> (u64, u64) {
    let total = |q: String| async move {
        let r = app
            .get(&format!("/api/v1/households?{q}&per_page=1"), role)
            .await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        r.body["total"].as_u64().unwrap()
    };
    (
        total(query.to_string()).await,
        total(format!("{query}&updated_since=2000-01-01T00:00:00Z")).await,
    )
}

#[actix_web::test]
async fn a_kecamatan_pages_through_every_family_once_in_order_and_its_total_follows_every_write() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    // The whole registry's order (one sort), narrowed to the kecamatan with
    // most villages: what its own pages (merged per village) must give.
    let rows = app
        .get("/api/v1/households?per_page=200", Role::Bappeda)
        .await;
    let rows = rows.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 150);
    let all: Vec<String> = rows
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    let region_of: std::collections::HashMap<String, String> = rows
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_string(),
                h["region_code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut villages: std::collections::HashMap<&str, std::collections::HashSet<&str>> =
        Default::default();
    for code in region_of.values() {
        villages.entry(&code[..8]).or_default().insert(code);
    }
    let (kec, desa) = villages
        .iter()
        .max_by_key(|(_, v)| v.len())
        .map(|(k, v)| (k.to_string(), v.len()))
        .unwrap();
    assert!(desa >= 3, "the demo kecamatan spans {desa} villages");
    let expected: Vec<String> = all
        .iter()
        .filter(|id| region_of[*id].starts_with(&kec))
        .cloned()
        .collect();
    let (paged, total) = walk(&app, &format!("region={kec}"), Role::Bappeda, 7).await;
    assert_eq!(paged, expected);
    assert_eq!(total as usize, expected.len());
    // One village: a merge of one branch.
    let desa = region_of[&expected[0]].clone();
    let (paged, total) = walk(&app, &format!("region={desa}"), Role::Bappeda, 4).await;
    let in_desa: Vec<String> = expected
        .iter()
        .filter(|id| region_of[*id] == desa)
        .cloned()
        .collect();
    assert_eq!(paged, in_desa);
    assert_eq!(total as usize, in_desa.len());

    let filters = [
        String::new(),
        format!("region={kec}"),
        format!("region={kec}&status=active"),
        format!("region={kec}&desil_max=3"),
        format!("region={kec}&extreme=false"),
        "extreme=true".to_string(),
        "status=graduated".to_string(),
    ];
    let check = |when: &'static str| {
        let app = &app;
        let filters = &filters;
        async move {
            for query in filters {
                let (summed, counted) = totals(app, query, Role::Bappeda).await;
                assert_eq!(summed, counted, "{when}: {query}");
            }
            let (summed, counted) = totals(app, "", Role::Operator).await;
            assert_eq!(summed, counted, "{when}: the operator's area");
        }
    };
    check("after the import").await;

    // Every write that moves a family between tallies: a new family, its
    // desil, status and village changed, a re-import.
    let created = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Tally Baru", "region_code": region_of[&expected[0]], "desil": 2}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    check("after a new family").await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let moved = app
        .patch(
            &format!("/api/v1/households/{id}"),
            Role::Bappeda,
            json!({"desil": 1, "status": "graduated", "region_code": "64.02.19.2001"}),
            Some(&created.etag()),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    check("after a family moved").await;
    let files = demo_files(150, 22);
    app.import("p3ke", "text/csv", &files.families_csv).await;
    check("after a second import").await;
    let (_, total_after) = walk(&app, &format!("region={kec}"), Role::Bappeda, 50).await;
    let (counted, _) = walk(
        &app,
        &format!("region={kec}&updated_since=2000-01-01T00:00:00Z"),
        Role::Bappeda,
        50,
    )
    .await;
    assert_eq!(total_after as usize, counted.len());
}

fn urlencode(s: &str) -> String {
    s.replace(' ', "%20")
}

#[actix_web::test]
async fn updated_since_returns_only_families_changed_after_it() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    let first = app
        .get("/api/v1/households?per_page=1", Role::Bappeda)
        .await;
    let id = first.body["items"][0]["id"].as_str().unwrap().to_string();
    let mark = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let changed = app
        .patch(
            &format!("/api/v1/households/{id}"),
            Role::Bappeda,
            json!({"address": "Jl. Baru 1"}),
            None,
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let since = app
        .get(
            &format!(
                "/api/v1/households?updated_since={}",
                mark.replace('+', "%2B")
            ),
            Role::Bappeda,
        )
        .await;
    assert_eq!(since.body["total"], 1, "{}", since.body);
    assert_eq!(since.body["items"][0]["id"], id.as_str());
}

#[actix_web::test]
async fn households_are_validated_at_the_edge() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/v1/households", Role::Bappeda, json!({"head_name": "Rudi", "region_code": "64.02.06.1001",
            "head_nik": "6402061302850000", "desil": 11, "housing": {"roof_quality": "shiny"}, "kk_number": "123"}))
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["head_nik", "desil", "housing.roof_quality", "kk_number"] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    let nik_reason = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "head_nik")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(nik_reason.contains("serial"), "{nik_reason}");
    let resp = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Rudi", "region_code": "64.02.06"}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "region_code");
    let resp = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Rudi", "region_code": "64.02.99.1001"}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    // February 30th is no birth date.
    let resp = app.post("/api/v1/households", Role::Bappeda, json!({"head_name": "Rudi", "region_code": "64.02.06.1001", "head_nik": "6402063002850001"})).await;
    assert_problem(&resp, 422, "validation_failed");
}

#[actix_web::test]
async fn a_household_is_created_changed_with_if_match_and_audited() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/v1/households", Role::Bappeda, json!({"head_name": "Rina Wati", "region_code": "6402082001",
            "head_nik": "6402064506800001", "head_sex": "male", "desil": 1, "p3ke_family_id": "P3KE-X1"}))
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.body["id"].as_str().unwrap().to_string();
    assert_eq!(resp.body["region_code"], "64.02.19.2001");
    assert_eq!(resp.body["extreme_poor"], true);
    // The NIK says a woman (day 45): flagged, not refused.
    assert!(
        resp.body["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "nik_sex_mismatch"),
        "{}",
        resp.body
    );
    let tag = resp.etag();
    let ok = app
        .patch(
            &format!("/api/v1/households/{id}"),
            Role::Bappeda,
            json!({"head_sex": "female", "status": "graduated"}),
            Some(&tag),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["status"], "graduated");
    assert!(
        ok.body["flags"].as_array().unwrap().is_empty(),
        "{}",
        ok.body
    );
    let stale = app
        .patch(
            &format!("/api/v1/households/{id}"),
            Role::Bappeda,
            json!({"desil": 3}),
            Some(&tag),
        )
        .await;
    assert_problem(&stale, 412, "stale_etag");
    let dup = app
        .post(
            "/api/v1/households",
            Role::Admin,
            json!({"head_name": "X", "region_code": "64.02.06.1001", "p3ke_family_id": "P3KE-X1"}),
        )
        .await;
    assert_problem(&dup, 409, "household_exists");
    assert_problem(
        &app.patch(
            &format!("/api/v1/households/{id}"),
            Role::Opd,
            json!({"desil": 3}),
            None,
        )
        .await,
        403,
        "forbidden",
    );
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=household&entity_id={id}"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.body["total"], 2);
    assert_eq!(audit.body["items"][0]["before"]["status"], "active");
    assert_eq!(audit.body["items"][0]["after"]["status"], "graduated");
}

#[actix_web::test]
async fn members_are_added_changed_and_removed_under_their_household() {
    let app = TestApp::spawn().await;
    let h = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Ahmad", "region_code": "64.02.06.1001"}),
        )
        .await;
    let hid = h.body["id"].as_str().unwrap().to_string();
    let m = app.post(&format!("/api/v1/households/{hid}/members"), Role::Bappeda, json!({"name": "Nur", "nik": "6402065507120001", "sex": "female", "birth_date": "2012-07-16", "relation": "child"})).await;
    assert_eq!(m.status, 201, "{}", m.body);
    assert!(
        m.body["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "nik_birth_date_mismatch"),
        "{}",
        m.body
    );
    let mid = m.body["id"].as_str().unwrap().to_string();
    let bad = app
        .post(
            &format!("/api/v1/households/{hid}/members"),
            Role::Bappeda,
            json!({"name": "X", "relation": "cousin"}),
        )
        .await;
    assert_problem(&bad, 422, "validation_failed");
    let fixed = app
        .patch(
            &format!("/api/v1/households/{hid}/members/{mid}"),
            Role::Bappeda,
            json!({"birth_date": "2012-07-15"}),
            Some(&m.etag()),
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert!(fixed.body["flags"].as_array().unwrap().is_empty());
    let list = app
        .get(&format!("/api/v1/households/{hid}/members"), Role::Verifier)
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let household = app
        .get(&format!("/api/v1/households/{hid}"), Role::Opd)
        .await;
    assert_eq!(household.body["members_count"], 1);
    let gone = app
        .delete(
            &format!("/api/v1/households/{hid}/members/{mid}"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(gone.status, 204);
    assert_problem(
        &app.delete(
            &format!("/api/v1/households/{hid}/members/{mid}"),
            Role::Bappeda,
        )
        .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.get("/api/v1/households/nope/members", Role::Bappeda)
            .await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn viewers_see_no_household_and_companies_none_outside_their_reach() {
    let app = TestApp::spawn().await;
    let h = app.post("/api/v1/households", Role::Bappeda, json!({"head_name": "Ahmad", "region_code": "64.02.06.1001", "head_nik": "6402061203850003"})).await;
    let hid = h.body["id"].as_str().unwrap().to_string();
    assert_problem(
        &app.get("/api/v1/households", Role::Viewer).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get(&format!("/api/v1/households/{hid}"), Role::Viewer)
            .await,
        403,
        "forbidden",
    );
    let list = app.get("/api/v1/households", Role::Company).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["total"], 0);
    let missing = app
        .get("/api/v1/households/no-such-id", Role::Company)
        .await;
    let hidden = app
        .get(&format!("/api/v1/households/{hid}"), Role::Company)
        .await;
    assert_problem(&hidden, 404, "not_found");
    assert_eq!(
        hidden.body, missing.body,
        "outside the reach answers exactly as missing"
    );
    assert_problem(
        &app.get(&format!("/api/v1/households/{hid}/members"), Role::Company)
            .await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn families_sharing_a_nik_are_flagged_as_duplicates_not_merged() {
    let app = TestApp::spawn().await;
    let make = |name: &str, id: &str| {
        app.post("/api/v1/households", Role::Bappeda, json!({"head_name": name, "region_code": "64.02.06.1001", "head_nik": "6402061203850003", "p3ke_family_id": id}))
    };
    let a = make("Ahmad", "P3KE-1").await;
    let b = make("Ahmad S", "P3KE-2").await;
    assert_eq!(a.status, 201);
    assert_eq!(b.status, 201);
    let c = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Other", "region_code": "64.02.06.1001"}),
        )
        .await;
    let d = app
        .post(
            "/api/v1/households",
            Role::Bappeda,
            json!({"head_name": "Fourth", "region_code": "64.02.06.1001"}),
        )
        .await;
    for h in [&c, &d] {
        let id = h.body["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/api/v1/households/{id}/members"),
                Role::Bappeda,
                json!({"name": "Shared", "nik": "6402065507120001"}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let dups = app
        .get("/api/v1/households?duplicates=true", Role::Bappeda)
        .await;
    assert_eq!(dups.body["total"], 4, "{}", dups.body);
    let all = app.get("/api/v1/households", Role::Bappeda).await;
    assert_eq!(all.body["total"], 4, "nothing merged");
    let marked = app
        .patch(
            &format!("/api/v1/households/{}", b.body["id"].as_str().unwrap()),
            Role::Bappeda,
            json!({"status": "duplicate"}),
            None,
        )
        .await;
    assert_eq!(marked.status, 200);
    let listed = app
        .get("/api/v1/households?status=duplicate", Role::Bappeda)
        .await;
    assert_eq!(listed.body["total"], 1);
}
