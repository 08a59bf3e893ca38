//! DTSEN snapshots through `POST /household-imports?format=dtsen`: family,
//! member and code book files in one multipart upload, the quirks real files
//! have, matching a family whose No. KK changed, a newer snapshot's changes
//! in the household's history, families a newer snapshot lacks flagged, and
//! the DTSEN fields, filters and needs in the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::Method;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

use crate::common::{assert_problem, Resp, TestApp};

const BOUNDARY: &str = "rbpk-test-boundary-7d1e";

/// A `multipart/form-data` body with each file as a part named `files`.
fn multipart(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestApp {
    /// Posts files as a multipart form to `household-imports?{query}`.
    async fn upload_form(&self, query: &str, files: &[(&str, &[u8])]) -> Resp {
        self.send(
            self.req(
                Method::POST,
                &format!("/api/v1/household-imports?{query}"),
                Role::Bappeda,
            )
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ))
            .set_payload(multipart(files)),
        )
        .await
    }

    /// Uploads a snapshot's files into `dataset` and waits until the import ends.
    async fn import_snapshot(&self, dataset: &str, files: &[(&str, &[u8])]) -> Resp {
        let started = self
            .upload_form(&format!("format=dtsen&dataset_id={dataset}"), files)
            .await;
        self.finished(&started).await
    }

    async fn dtsen_dataset(&self, version: &str, condition_date: &str) -> String {
        let r = self
            .post(
                "/api/v1/datasets",
                Role::Bappeda,
                json!({"source": "dtsen", "version": version, "condition_date": condition_date,
                    "onward_sharing": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    /// A 2025-Q3 snapshot of the families and members of [`FAMILIES_1`] and
    /// [`MEMBERS_1`], imported; returns its dataset.
    async fn first_snapshot(&self) -> String {
        let dataset = self.dtsen_dataset("2025-Q3", "2025-09-30").await;
        let import = self
            .import_snapshot(
                &dataset,
                &[
                    ("k.csv", FAMILIES_1.as_bytes()),
                    ("a.csv", MEMBERS_1.as_bytes()),
                ],
            )
            .await;
        assert_eq!(import.body["status"], "done", "{}", import.body);
        dataset
    }

    /// The one household with this No. KK (the search of government roles).
    async fn by_kk(&self, kk: &str) -> Value {
        let r = self
            .get(&format!("/api/v1/households?q={kk}"), Role::Bappeda)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total"], 1, "{kk}: {}", r.body);
        r.body["items"][0].clone()
    }
}

// Snapshot 1. Families: pipe-separated, every field quoted, with a BOM; A by
// its Kemendagri code, B by a BPS-style code (Kukar is 6403 at BPS) that only
// its names place, C by its 2019 code, a row without No. KK, codes (`7` is
// thatch) for A and the labels themselves for B.
const FAMILIES_1: &str = "\u{feff}\"kode_kecamatan\"|\"kecamatan\"|\"kode_kelurahan_desa\"|\"kelurahan_desa\"|\"alamat\"|\"nomor_kartu_keluarga\"|\"nama_kepala_keluarga\"|\"desil_nasional\"|\"desil_provinsi\"|\"desil_kabupaten_kota\"|\"pbi_nas\"|\"pbi_pemda\"|\"id_pelanggan_pln\"|\"jenis_atap_terluas\"|\"sumber_air_minum_utama\"|\"bahan_bakar_utama_memasak\"|\"aset_bergerak_sepeda_motor\"|\"jumlah_ternak_sapi\"|\"keluarga_dalam_rumah\"|\"latitude\"|\"longitude\"\n\
\"640206\"|\"Tenggarong\"|\"6402061001\"|\"Jahab\"|\"Jl. Jahab RT 03\"|\"6402060101200001\"|\"Amir Syahputra\"|\"1\"|\"1\"|\"2\"|\"1\"|\"2\"|\"512345678901\"|\"7\"|\"6\"|\"10\"|\"1\"|\"2\"|\"1\"|\"-0.41\"|\"116.98\"\n\
\"640302\"|\"LOA KULU\"|\"6403022009\"|\"Desa Jonggon Jaya\"|\"Jl. Poros RT 01\"|\"6402020202200002\"|\"Bahrun Effendi\"|\"2\"|\"2\"|\"2\"|\"TIDAK\"|\"YA\"|\"\"|\"GENTENG\"|\"LEDING\"|\"ELPIJI 3 KG\"|\"0\"|\"0\"|\"2\"|\"\"|\"\"\n\
\"64.02.08\"|\"Sebulu\"|\"64.02.08.2001\"|\"Kedang Ipil\"|\"\"|\"6402190404200003\"|\"Candra Wijaya\"|\"3\"|\"3\"|\"3\"|\"2\"|\"2\"|\"\"|\"2\"|\"3\"|\"2\"|\"1\"|\"0\"|\"1\"|\"\"|\"\"\n\
\"640206\"|\"Tenggarong\"|\"6402061001\"|\"Jahab\"|\"\"|\"\"|\"Tanpa KK\"|\"1\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"|\"\"\n";

// Members: re-saved with `;` by a spreadsheet, labels instead of codes for
// some rows, and a row without NIK.
const MEMBERS_1: &str = "nomor_induk_kependudukan;nomor_kartu_keluarga;nama;tanggal_lahir;jenis_kelamin;status_hubungan_keluarga;partisipasi_sekolah;ijazah_tertinggi_yang_dimiliki;status_bekerja;penglihatan;berjalan_atau_naik_tangga;penyakit_kronis\n\
6402061505800001;6402060101200001;Amir Syahputra;1980-05-15;1;1;2;1;1;1;1;0\n\
6402065203850002;6402060101200001;Rina Marlina;1985-03-12;2;2;2;2;2;1;4;1\n\
6402061010150003;6402060101200001;Dimas Syahputra;2015-10-10;1;3;2;0;2;1;1;0\n\
6402022001750004;6402020202200002;Bahrun Effendi;1975-01-20;Laki-laki;Kepala Keluarga;Tidak bersekolah lagi;SD/sederajat;Ya;Tidak kesulitan;Tidak kesulitan;Tidak ada\n\
6402026502780005;6402020202200002;Sari Wulandari;1978-02-25;Perempuan;Istri/Suami;Tidak bersekolah lagi;SMP/sederajat;Tidak;Banyak kesulitan;Tidak kesulitan;Diabetes\n\
6402190101600006;6402190404200003;Candra Wijaya;1960-01-01;1;1;2;1;1;1;1;0\n\
;6402190404200003;Tanpa NIK;1990-01-01;2;2;2;1;2;1;1;0\n";

// Snapshot 2: A's desil rises 1 → 3; B's family got a new No. KK (its
// members keep their NIKs); C is gone.
const FAMILIES_2: &str = "kode_kelurahan_desa|kelurahan_desa|kecamatan|alamat|nomor_kartu_keluarga|nama_kepala_keluarga|desil_nasional|pbi_nas|pbi_pemda|jenis_atap_terluas\n\
6402061001|Jahab|Tenggarong|Jl. Jahab RT 03|6402060101200001|Amir Syahputra|3|1|2|7\n\
6402022009|Jonggon Jaya|Loa Kulu|Jl. Poros RT 01|6402020303260009|Bahrun Effendi|2|2|1|2\n";

const MEMBERS_2: &str = "nomor_induk_kependudukan|nomor_kartu_keluarga|nama|tanggal_lahir|jenis_kelamin|status_hubungan_keluarga\n\
6402061505800001|6402060101200001|Amir Syahputra|1980-05-15|1|1\n\
6402065203850002|6402060101200001|Rina Marlina|1985-03-12|2|2\n\
6402061010150003|6402060101200001|Dimas Syahputra|2015-10-10|1|3\n\
6402022001750004|6402020303260009|Bahrun Effendi|1975-01-20|1|1\n\
6402026502780005|6402020303260009|Sari Wulandari|1978-02-25|2|2\n";

// The snapshot's own code book, which wins column by column: here roof
// code 2 means thatch, not tile.
const CODE_BOOK: &str = "kolom,kode,keterangan\njenis_atap_terluas,1,BETON\njenis_atap_terluas,2,JERAMI/IJUK/DAUN-DAUNAN/RUMBIA\njenis_atap_terluas,7,JERAMI/IJUK/DAUN-DAUNAN/RUMBIA\n";

fn rejected_reasons(import: &Resp) -> Vec<(i64, String, String)> {
    import.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["sheet"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[actix_rt::test]
async fn a_snapshot_with_the_quirks_of_real_files_is_read_whole_and_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let first = app.dtsen_dataset("2025-Q3", "2025-09-30").await;
    let files: [(&str, &[u8]); 3] = [
        ("anggota.csv", MEMBERS_1.as_bytes()),
        ("Kode_DTSEN_keluarga.csv", CODE_BOOK.as_bytes()),
        ("keluarga.csv", FAMILIES_1.as_bytes()),
    ];
    let import = app.import_snapshot(&first, &files).await;
    assert_eq!(import.body["status"], "done", "{}", import.body);
    assert_eq!(import.body["format"], "dtsen");
    assert_eq!(import.body["dataset_id"], first.as_str());
    // 3 families and 6 members; the row without No. KK and the one without NIK rejected.
    assert_eq!(import.body["created"], 9, "{}", import.body);
    let rejected = rejected_reasons(&import);
    assert!(
        rejected.contains(&(5, "KELUARGA".into(), "missing nomor_kartu_keluarga".into())),
        "{rejected:?}"
    );
    assert!(
        rejected.contains(&(
            8,
            "ANGGOTA".into(),
            "missing nomor_induk_kependudukan".into()
        )),
        "{rejected:?}"
    );
    assert_eq!(rejected.len(), 2, "{rejected:?}");

    // A: codes decoded, its head from the member file, the DTSEN fields.
    let a = app.by_kk("6402060101200001").await;
    assert_eq!(a["region_code"], "64.02.06.1001");
    assert_eq!(a["head_name"], "Amir Syahputra");
    assert_eq!(a["head_nik"], "6402061505800001");
    assert_eq!(a["head_sex"], "male");
    assert_eq!(
        (a["desil"].clone(), a["desil_national"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(a["desil_regency"], 2);
    assert_eq!(
        (a["pbi_national"].clone(), a["pbi_regional"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(a["pln_customer_id"], "512345678901");
    assert_eq!(a["latitude"], -0.41);
    assert_eq!(a["families_in_house"], 1);
    assert_eq!(a["housing"]["roof_material"], "thatch");
    assert_eq!(a["housing"]["drinking_water"], "unprotected_well");
    assert_eq!(a["housing"]["cooking_fuel"], "charcoal_wood");
    assert_eq!(a["assets"]["counts"]["motorcycles"], 1);
    assert_eq!(a["assets"]["counts"]["cattle"], 2);
    assert_eq!(a["datasets"][0]["id"], first.as_str());
    assert_eq!(a["not_in_latest_snapshot"], false);
    let id_a = a["id"].as_str().unwrap().to_string();
    let members = app
        .get(&format!("/api/v1/households/{id_a}/members"), Role::Bappeda)
        .await;
    assert_eq!(
        members.body.as_array().unwrap().len(),
        3,
        "{}",
        members.body
    );
    let rina = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Rina Marlina")
        .unwrap();
    assert_eq!(rina["disability"]["walking"], "cannot_do_at_all");
    assert_eq!(rina["has_disability"], true);
    assert_eq!(rina["chronic_illness"], "hypertension");
    assert_eq!(rina["working"], false);
    assert_eq!(rina["in_school"], false);

    // B: labels instead of codes; a BPS-style region code placed by its names.
    let b = app.by_kk("6402020202200002").await;
    assert_eq!(b["region_code"], "64.02.02.2009");
    assert_eq!(b["housing"]["roof_material"], "tile");
    assert_eq!(b["housing"]["drinking_water"], "piped");
    assert_eq!(
        (b["pbi_national"].clone(), b["pbi_regional"].clone()),
        (json!(false), json!(true))
    );
    // C: its 2019 code; roof code 2 read through the file's own code book.
    let c = app.by_kk("6402190404200003").await;
    assert_eq!(c["region_code"], "64.02.19.2001");
    assert_eq!(
        c["housing"]["roof_material"], "thatch",
        "the file's own code book wins"
    );

    // The filters of the new fields.
    let ids = |r: &Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["kk_number"].as_str().unwrap().to_string())
            .collect()
    };
    let disabled = app
        .get("/api/v1/households?disability=true", Role::Bappeda)
        .await;
    assert_eq!(
        ids(&disabled),
        ["6402060101200001", "6402020202200002"],
        "{}",
        disabled.body
    );
    let not_disabled = app
        .get("/api/v1/households?disability=false", Role::Bappeda)
        .await;
    assert_eq!(ids(&not_disabled), ["6402190404200003"]);
    let desil = app
        .get("/api/v1/households?desil_national=2", Role::Bappeda)
        .await;
    assert_eq!(ids(&desil), ["6402020202200002"]);
    let pbi = app.get("/api/v1/households?pbi=false", Role::Bappeda).await;
    assert_eq!(ids(&pbi), ["6402190404200003"]);
    let bad = app
        .get("/api/v1/households?desil_national=11", Role::Bappeda)
        .await;
    assert_problem(&bad, 400, "invalid_parameter");

    // The same snapshot again changes nothing.
    let again = app.import_snapshot(&first, &files).await;
    assert_eq!(again.body["status"], "done", "{}", again.body);
    assert_eq!(
        (again.body["created"].clone(), again.body["updated"].clone()),
        (json!(0), json!(0)),
        "{}",
        again.body
    );
    assert_eq!(again.body["unchanged"], 9);
    let history = app
        .get(&format!("/api/v1/households/{id_a}/history"), Role::Bappeda)
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let entries = history.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", history.body);
    assert_eq!(entries[0]["kind"], "snapshot");
    assert_eq!(entries[0]["changes"], json!([]));
}

#[actix_rt::test]
async fn a_newer_snapshot_updates_what_changed_keeps_it_in_history_and_flags_who_is_gone() {
    let app = TestApp::spawn().await;
    let first = app.first_snapshot().await;
    let a = app.by_kk("6402060101200001").await;
    let b = app.by_kk("6402020202200002").await;
    let c = app.by_kk("6402190404200003").await;
    let id = |h: &Value| h["id"].as_str().unwrap().to_string();

    let second = app.dtsen_dataset("2026-Q1", "2026-03-31").await;
    let import = app
        .import_snapshot(
            &second,
            &[
                ("a.csv", MEMBERS_2.as_bytes()),
                ("k.csv", FAMILIES_2.as_bytes()),
            ],
        )
        .await;
    assert_eq!(import.body["status"], "done", "{}", import.body);
    assert_eq!(import.body["created"], 0, "nobody is new: {}", import.body);
    assert_eq!(import.body["rejected_count"], 0, "{}", import.body);

    // A keeps its household; its desil moved.
    let a2 = app.by_kk("6402060101200001").await;
    assert_eq!(id(&a2), id(&a));
    assert_eq!(
        (a2["desil"].clone(), a2["desil_national"].clone()),
        (json!(3), json!(3))
    );
    // B's new No. KK still finds its household, through its head's NIK.
    let b2 = app.by_kk("6402020303260009").await;
    assert_eq!(id(&b2), id(&b));
    assert_eq!(
        b2["datasets"][0]["id"],
        second.as_str(),
        "newest first: {}",
        b2["datasets"]
    );
    assert_eq!(b2["datasets"][1]["id"], first.as_str());
    // C is flagged, not deleted.
    let c2 = app
        .get(&format!("/api/v1/households/{}", id(&c)), Role::Bappeda)
        .await;
    assert_eq!(c2.status, 200);
    assert_eq!(c2.body["not_in_latest_snapshot"], true);
    let gone = app
        .get(
            "/api/v1/households?not_in_latest_snapshot=true",
            Role::Bappeda,
        )
        .await;
    assert_eq!(gone.body["total"], 1, "{}", gone.body);
    assert_eq!(gone.body["items"][0]["id"], id(&c).as_str());

    // History: per snapshot, what moved.
    let history = app
        .get(
            &format!("/api/v1/households/{}/history", id(&a)),
            Role::Bappeda,
        )
        .await;
    let entries = history.body["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2, "{}", history.body);
    assert_eq!(entries[0]["dataset"]["id"], first.as_str());
    assert_eq!(entries[1]["dataset"]["version"], "2026-Q1");
    let moved = |e: &Value, field: &str| -> Option<(Value, Value)> {
        e["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == field)
            .map(|c| (c["from"].clone(), c["to"].clone()))
    };
    assert_eq!(
        moved(&entries[1], "desil"),
        Some((json!(1), json!(3))),
        "{}",
        entries[1]
    );
    assert_eq!(
        moved(&entries[1], "desil_national"),
        Some((json!(1), json!(3)))
    );
    let hb = app
        .get(
            &format!("/api/v1/households/{}/history", id(&b)),
            Role::Bappeda,
        )
        .await;
    let b_entries = hb.body["entries"].as_array().unwrap().clone();
    assert_eq!(b_entries[0]["kk_number"], "6402020202200002");
    assert_eq!(b_entries[1]["kk_number"], "6402020303260009");
    assert_eq!(
        moved(&b_entries[1], "kk_number"),
        Some((json!("6402020202200002"), json!("6402020303260009")))
    );
    let hc = app
        .get(
            &format!("/api/v1/households/{}/history", id(&c)),
            Role::Bappeda,
        )
        .await;
    let c_entries = hc.body["entries"].as_array().unwrap();
    let flagged = c_entries.last().unwrap();
    assert_eq!(flagged["dataset"]["id"], second.as_str(), "{}", hc.body);
    assert_eq!(
        moved(flagged, "not_in_latest_snapshot"),
        Some((json!(false), json!(true)))
    );

    // A manual change joins the history, and the history is not a company's to read.
    let etag = app
        .get(&format!("/api/v1/households/{}", id(&a)), Role::Bappeda)
        .await
        .etag();
    let patched = app
        .patch(
            &format!("/api/v1/households/{}", id(&a)),
            Role::Bappeda,
            json!({"address": "Jl. Jahab RT 04"}),
            Some(&etag),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let history = app
        .get(&format!("/api/v1/households/{}/history", id(&a)), Role::Opd)
        .await;
    let last = history.body["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "manual");
    assert_eq!(last["actor"], "bappeda");
    assert_eq!(
        moved(&last, "address"),
        Some((json!("Jl. Jahab RT 03"), json!("Jl. Jahab RT 04")))
    );
    let company = app
        .get(
            &format!("/api/v1/households/{}/history", id(&a)),
            Role::Company,
        )
        .await;
    assert_problem(&company, 403, "forbidden");
    let missing = app
        .get(
            "/api/v1/households/00000000-0000-4000-8000-000000000000/history",
            Role::Bappeda,
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[actix_rt::test]
async fn a_dtsen_upload_that_is_no_snapshot_is_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let dataset = app.dtsen_dataset("2025-Q3", "2025-09-30").await;
    let into = format!("format=dtsen&dataset_id={dataset}");
    let only_book = app
        .upload_form(&into, &[("kode.csv", CODE_BOOK.as_bytes())])
        .await;
    assert_problem(&only_book, 422, "unreadable_file");
    let unknown = app
        .upload_form(
            &into,
            &[
                ("keluarga.csv", FAMILIES_1.as_bytes()),
                ("other.csv", b"a,b\n1,2\n"),
            ],
        )
        .await;
    assert_problem(&unknown, 422, "unreadable_file");
    // A P3KE upload is one file, raw or as the one part of a form.
    let p3ke = app
        .upload_form(
            "format=p3ke",
            &[
                ("keluarga.csv", FAMILIES_1.as_bytes()),
                ("anggota.csv", MEMBERS_1.as_bytes()),
            ],
        )
        .await;
    assert_problem(&p3ke, 422, "unreadable_file");
    assert!(
        p3ke.body["detail"].as_str().unwrap().contains("one file"),
        "{}",
        p3ke.body
    );
    let demo = crate::common::demo_files(5, 1);
    let one_part = app
        .upload_form("format=p3ke", &[("p3ke_keluarga.csv", &demo.families_csv)])
        .await;
    assert_eq!(one_part.status, 202, "{}", one_part.body);
    let plain = app
        .send(
            app.req(
                Method::POST,
                "/api/v1/household-imports?format=p3ke",
                Role::Bappeda,
            )
            .insert_header(("content-type", "text/plain"))
            .set_payload("x"),
        )
        .await;
    assert_problem(&plain, 415, "unsupported_media_type");
    // A snapshot named into a P3KE dataset is refused.
    let p3ke_dataset = app
        .post(
            "/api/v1/datasets",
            Role::Bappeda,
            json!({"source": "p3ke", "version": "2024", "onward_sharing": true}),
        )
        .await;
    let wrong = app
        .upload_form(
            &format!(
                "format=dtsen&dataset_id={}",
                p3ke_dataset.body["id"].as_str().unwrap()
            ),
            &[("keluarga.csv", FAMILIES_1.as_bytes())],
        )
        .await;
    assert_problem(&wrong, 422, "validation_failed");
}

#[actix_rt::test]
async fn the_demo_snapshot_imports_through_the_endpoint_as_a_raw_family_file_too() {
    let app = TestApp::spawn().await;
    let regions =
        rbpk::domain::region_lookup::RegionTable::from_csv(rbpk::domain::region::KUKAR_REGIONS_CSV)
            .unwrap();
    let data = rbpk::demo::data::generate(40, 7, &regions);
    let dir = std::env::temp_dir().join(format!("rbpk-dtsen-{}", uuid::Uuid::new_v4()));
    let paths =
        rbpk::demo::data::write_format(&data, &dir, rbpk::demo::data::DemoFormat::Dtsen).unwrap();
    let read = |part: &str| {
        let path = paths
            .iter()
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(part))
            .unwrap();
        std::fs::read(path).unwrap()
    };
    let (families, members) = (read("keluarga"), read("anggota"));
    let _ = std::fs::remove_dir_all(&dir);
    // The family file alone, as a raw CSV body, then both in one upload.
    let raw = app.import("dtsen", "text/csv", &families).await;
    assert_eq!(raw.body["status"], "done", "{}", raw.body);
    assert_eq!(raw.body["created"], 40, "{}", raw.body);
    assert_eq!(raw.body["rejected_count"], 0, "{}", raw.body);
    let dataset = raw.body["dataset_id"].as_str().unwrap().to_string();
    let both = app
        .import_snapshot(&dataset, &[("k.csv", &families), ("a.csv", &members)])
        .await;
    assert_eq!(both.body["status"], "done", "{}", both.body);
    assert_eq!(both.body["rejected_count"], 0, "{}", both.body);
    // The families now have their heads (from the member file): an update each.
    assert_eq!(both.body["updated"], 40, "{}", both.body);
    let listed = app
        .get("/api/v1/households?per_page=1", Role::Bappeda)
        .await;
    assert_eq!(listed.body["total"], 40);
    assert!(
        listed.body["items"][0]["head_nik"].is_string(),
        "{}",
        listed.body
    );
}

#[actix_rt::test]
async fn a_company_reads_a_snapshot_family_without_its_geotag_pln_id_or_health() {
    let app = TestApp::spawn().await;
    app.first_snapshot().await;
    app.demo_company_works_in("64.02.06").await;
    // A (Tenggarong, desil 1) is the one family there: recommended, then targeted.
    let program = app.consolidated_program("64.02.06", 1).await;
    let a = program.households[0].clone();
    let read = app
        .get(&format!("/api/v1/households/{a}"), Role::Company)
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    crate::common::assert_masked(&read.body, "a DTSEN household read by a company");
    assert_eq!(read.body["desil_national"], 1);
    assert_eq!(read.body["pbi_national"], true);
    assert_eq!(read.body["assets"]["counts"]["motorcycles"], 1);
    for hidden in ["latitude", "longitude", "pln_customer_id"] {
        assert!(read.body[hidden].is_null(), "{hidden}: {}", read.body);
    }
    let members = app
        .get(&format!("/api/v1/households/{a}/members"), Role::Company)
        .await;
    assert_eq!(members.status, 200, "{}", members.body);
    crate::common::assert_masked(&members.body, "DTSEN members read by a company");
    let rina = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Rina Marlina")
        .unwrap()
        .clone();
    assert_eq!(rina["has_disability"], true);
    assert!(
        rina["disability"].is_null() && rina["chronic_illness"].is_null(),
        "{rina}"
    );
    // Government roles see it all.
    let full = app
        .get(&format!("/api/v1/households/{a}"), Role::Bappeda)
        .await;
    assert_eq!(full.body["pln_customer_id"], "512345678901");
}

/// A snapshot of `families` families of three members each: the family
/// file in order, the member file in reverse, so the members of the first
/// batch of families sit at the end of the member file (the last member
/// batch) and one family's members straddle two member batches. `kk_base`
/// makes the No. KKs; with `spouse_heads` the spouse heads each family.
fn big_snapshot(families: usize, kk_base: u64, spouse_heads: bool) -> (String, String) {
    let mut fam = String::from(
        "kode_kelurahan_desa|kelurahan_desa|kecamatan|nomor_kartu_keluarga|nama_kepala_keluarga|desil_nasional\n",
    );
    let mut mem = String::from(
        "nomor_induk_kependudukan|nomor_kartu_keluarga|nama|tanggal_lahir|jenis_kelamin|status_hubungan_keluarga\n",
    );
    let kk = |i: usize| kk_base + i as u64;
    // NIKs (DDMMYY after the region; women +40 on the day) stay the same
    // across snapshots; only the No. KK changes.
    let nik = |i: usize, p: usize| format!("640206{}{:04}", ["150580", "520385", "101015"][p], i);
    for i in 0..families {
        fam.push_str(&format!(
            "6402061001|Jahab|Tenggarong|{}|Kepala {i}|{}\n",
            kk(i),
            i % 10 + 1
        ));
    }
    for i in (0..families).rev() {
        let relation = |p: usize| match (p, spouse_heads) {
            (0, false) | (1, true) => 1,
            (0, true) | (1, false) => 2,
            _ => 3,
        };
        let rows = [
            (0, "1980-05-15", 1),
            (1, "1985-03-12", 2),
            (2, "2015-10-10", 1),
        ];
        for (p, born, sex) in rows {
            mem.push_str(&format!(
                "{}|{}|Anggota {i}-{p}|{born}|{sex}|{}\n",
                nik(i, p),
                kk(i),
                relation(p)
            ));
        }
    }
    (fam, mem)
}

#[actix_rt::test]
async fn a_snapshot_larger_than_a_batch_matches_and_links_families_whose_members_come_later() {
    let app = TestApp::spawn().await;
    // 2,400 families (two family batches of `import::job`), 7,200 members
    // (two member batches).
    let (families, members) = big_snapshot(2400, 6402060101000000, false);
    let first = app.dtsen_dataset("2025-Q3", "2025-09-30").await;
    let import = app
        .import_snapshot(
            &first,
            &[
                ("k.csv", families.as_bytes()),
                ("a.csv", members.as_bytes()),
            ],
        )
        .await;
    assert_eq!(import.body["status"], "done", "{}", import.body);
    assert_eq!(import.body["rejected_count"], 0, "{}", import.body);
    assert_eq!(import.body["created"], 2400 + 7200, "{}", import.body);

    // The first family's members came in the last member batch; its head's
    // fields came from the member file before the family was written.
    let a = app.by_kk("6402060101000000").await;
    assert_eq!(a["head_nik"], "6402061505800000", "{a}");
    assert_eq!(a["head_birth_date"], "1980-05-15", "{a}");
    let id = |h: &Value| h["id"].as_str().unwrap().to_string();
    let listed = app
        .get(
            &format!("/api/v1/households/{}/members", id(&a)),
            Role::Bappeda,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3, "{}", listed.body);
    // Members 4,999–5,001 of the reversed file (family 733) straddle the
    // member batches: its second batch is no news, as its first is not.
    let straddling = app.by_kk("6402060101000733").await;
    let history = app
        .get(
            &format!("/api/v1/households/{}/history", id(&straddling)),
            Role::Bappeda,
        )
        .await;
    let entries = history.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", history.body);
    assert_eq!(entries[0]["changes"], json!([]), "{}", history.body);

    // A newer snapshot gives every family a new No. KK and makes the spouse
    // its head: each is found by its members' NIKs, whichever batch they are in.
    let sample = [0usize, 733, 1999, 2000, 2399];
    let mut before = Vec::new();
    for i in sample {
        before.push(id(&app
            .by_kk(&(6402060101000000u64 + i as u64).to_string())
            .await));
    }
    let (families, members) = big_snapshot(2400, 6402060202000000, true);
    let second = app.dtsen_dataset("2026-Q1", "2026-03-31").await;
    let import = app
        .import_snapshot(
            &second,
            &[
                ("k.csv", families.as_bytes()),
                ("a.csv", members.as_bytes()),
            ],
        )
        .await;
    assert_eq!(import.body["status"], "done", "{}", import.body);
    assert_eq!(import.body["rejected_count"], 0, "{}", import.body);
    assert_eq!(import.body["created"], 0, "nobody is new: {}", import.body);
    for (i, was) in sample.into_iter().zip(before) {
        let after = app
            .by_kk(&(6402060202000000u64 + i as u64).to_string())
            .await;
        assert_eq!(id(&after), was, "family {i}");
        assert_eq!(
            after["head_nik"],
            format!("640206520385{i:04}"),
            "family {i}"
        );
        let datasets: Vec<&str> = after["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            datasets,
            vec![second.as_str(), first.as_str()],
            "family {i}"
        );
    }
    let gone = app
        .get(
            "/api/v1/households?not_in_latest_snapshot=true",
            Role::Bappeda,
        )
        .await;
    assert_eq!(gone.body["total"], 0, "{}", gone.body);
}

/// A family naming more members than SQLite binds in one statement (32,766)
/// is looked up in pieces: the import ends `done` with every member, where
/// one look-up of all its members' NIKs failed the whole import on SQLite.
#[actix_rt::test]
async fn a_family_naming_more_members_than_one_statement_binds_still_imports() {
    let app = TestApp::spawn().await;
    const MEMBERS: usize = 33_000;
    let families = "kode_kelurahan_desa|kelurahan_desa|kecamatan|nomor_kartu_keluarga|nama_kepala_keluarga|desil_nasional\n\
                    6402061001|Jahab|Tenggarong|6402060303000001|Kepala Besar|1\n";
    let mut members = String::from(
        "nomor_induk_kependudukan|nomor_kartu_keluarga|nama|tanggal_lahir|jenis_kelamin|status_hubungan_keluarga\n",
    );
    for j in 0..MEMBERS {
        // Distinct NIKs: 10,000 a birth date (DDMMYY after the region).
        let day = 10 + j / 10_000;
        members.push_str(&format!(
            "640206{day:02}0580{:04}|6402060303000001|Anggota {j}|1980-05-{day:02}|1|{}\n",
            j % 10_000,
            if j == 0 { 1 } else { 3 }
        ));
    }
    let dataset = app.dtsen_dataset("2025-Q4", "2025-12-31").await;
    let import = app
        .import_snapshot(
            &dataset,
            &[
                ("k.csv", families.as_bytes()),
                ("a.csv", members.as_bytes()),
            ],
        )
        .await;
    assert_eq!(import.body["status"], "done", "{}", import.body);
    assert_eq!(import.body["rejected_count"], 0, "{}", import.body);
    assert_eq!(import.body["created"], 1 + MEMBERS, "{}", import.body);
    let family = app.by_kk("6402060303000001").await;
    assert_eq!(family["head_nik"], "6402061005800000", "{family}");
}
