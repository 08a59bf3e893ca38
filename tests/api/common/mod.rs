//! The test harness: each test starts the real application (`app::build`) on a
//! fresh database of its own — a SQLite file, or a PostgreSQL schema when
//! `TEST_DATABASE_URL` names a PostgreSQL server — and talks HTTP to it.
//! Its files go to a temporary directory, or to an S3-compatible server
//! when `TEST_OBJECT_STORE` names one (`test_object_store`).
// The harness panics on a broken setup: that is a test failure, not a crash.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use actix_service::{boxed::RcService, ServiceExt};
use actix_web::body::{to_bytes, BoxBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self as atest, TestRequest};
use diesel::connection::SimpleConnection;
use serde_json::Value;

use rbpk::app::{self, AppState};
use rbpk::config::Config;
use rbpk::db::{self, seed, Backend};
use rbpk::domain::role::Role;
use rbpk::storage::Location;

/// The password of every demo account in tests.
pub const PASSWORD: &str = "test-password-1";

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// The problem `code` of an error response.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn etag(&self) -> String {
        self.header("etag").expect("response has an ETag")
    }
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresSchema { admin_url: String, schema: String },
}

pub struct TestApp {
    pub state: AppState,
    service: RcService<actix_http::Request, ServiceResponse<BoxBody>, actix_web::Error>,
    tokens: HashMap<Role, String>,
    cleanup: Cleanup,
}

/// A database of its own for one test.
fn fresh_database() -> (String, Cleanup) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if Backend::from_url(&url) == Backend::Postgres => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = db::establish(&url).unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {e}")
            });
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create test schema");
            let sep = if url.contains('?') { '&' } else { '?' };
            let test_url = format!("{url}{sep}options=-csearch_path%3D{schema}");
            (
                test_url,
                Cleanup::PostgresSchema {
                    admin_url: url,
                    schema,
                },
            )
        }
        _ => {
            let path =
                std::env::temp_dir().join(format!("rbpk-test-{}.sqlite3", uuid::Uuid::new_v4()));
            (
                path.to_string_lossy().to_string(),
                Cleanup::SqliteFile(path),
            )
        }
    }
}

/// The object store of a test app: with `TEST_OBJECT_STORE=s3://bucket[/prefix]`
/// (bench/s3/check.sh, against moto) a corner of that bucket of its own, so
/// tests running at once never see each other's objects; the server and
/// credentials are the environment's `AWS_*`, as in production. Unset: the
/// temporary directory of `Config::for_database`.
pub fn test_object_store() -> Option<Location> {
    let setting = std::env::var("TEST_OBJECT_STORE").ok()?;
    match Location::parse(Some(&setting), "unused.sqlite3", Backend::Sqlite) {
        Ok(Location::S3(s3)) => Some(Location::S3(
            s3.within(&uuid::Uuid::new_v4().simple().to_string()),
        )),
        other => panic!("TEST_OBJECT_STORE={setting} does not name an s3:// store: {other:?}"),
    }
}

/// An S3 store nobody answers at (a closed port), for the outage tests:
/// named in the location itself, not in the process environment, which
/// the tests running beside them share.
pub fn unreachable_s3_store() -> Location {
    Location::S3(rbpk::storage::S3Location {
        bucket: "rbpk-outage".into(),
        prefix: Some(uuid::Uuid::new_v4().simple().to_string()),
        server: Some(rbpk::storage::S3Server {
            endpoint: "http://127.0.0.1:1".into(),
            region: "us-east-1".into(),
            access_key_id: "outage-test".into(),
            secret_access_key: rbpk::config::Secret::new("outage-test-secret"),
        }),
    })
}

impl TestApp {
    /// A new app on a new database, regions seeded, one demo account per role.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// As [`spawn`], with the configuration adjusted first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (url, cleanup) = fresh_database();
        let mut config = Config::for_database(&url);
        if let Some(store) = test_object_store() {
            config.object_store = store;
        }
        adjust(&mut config);
        let pool = db::connect_pool(&url, config.pool_size).expect("connect test database");
        {
            let mut conn = pool.get().expect("connection");
            db::run_migrations(&mut conn).expect("migrations");
            seed::regions(&mut conn).expect("regions");
            seed::demo_accounts(&mut conn, PASSWORD).expect("demo accounts");
        }
        let state = AppState::new(config, pool).expect("state");
        let app = atest::init_service(app::build(&state)).await;
        let service = actix_service::boxed::rc_service(app.map(|r| r.map_into_boxed_body()));
        let mut tokens = HashMap::new();
        {
            let mut conn = state.pool.get().expect("connection");
            for role in Role::ALL {
                let account = db::users::by_username(&mut conn, role.as_str())
                    .expect("account lookup")
                    .expect("demo account");
                let (token, _) = state.auth.issue_for(&account).expect("token");
                tokens.insert(role, token);
            }
        }
        TestApp {
            state,
            service,
            tokens,
            cleanup,
        }
    }

    pub fn token(&self, role: Role) -> String {
        self.tokens[&role].clone()
    }

    /// A token for an account `sub` with this role and binding, signed with
    /// the app's key. Tokens follow accounts, so the account is created first
    /// (with an unusable password) unless it exists with this very binding.
    pub fn token_for(
        &self,
        sub: &str,
        role: Role,
        company_id: Option<&str>,
        opd_code: Option<&str>,
    ) -> String {
        let mut conn = self.state.pool.get().expect("connection");
        let account = match db::users::by_username(&mut conn, sub).expect("account lookup") {
            Some(existing) => existing,
            None => db::users::create(
                &mut conn,
                &db::audit::Actor::system("test"),
                db::users::NewUser {
                    username: sub.to_string(),
                    password_hash: "!".to_string(),
                    role,
                    company_id: company_id.map(str::to_string),
                    opd_code: opd_code.map(str::to_string),
                    active: true,
                    region_code: None,
                },
            )
            .expect("account for the token"),
        };
        assert_eq!(
            (
                account.role.as_str(),
                account.company_id.as_deref(),
                account.opd_code.as_deref()
            ),
            (role.as_str(), company_id, opd_code),
            "account `{sub}` exists with another binding"
        );
        self.state.auth.issue_for(&account).expect("token").0
    }

    /// Sends a request as built; reads the whole response.
    pub async fn send(&self, req: TestRequest) -> Resp {
        let res = atest::call_service(&self.service, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let raw = to_bytes(res.into_body())
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            raw,
        }
    }

    fn request(&self, method: Method, path: &str, role: Option<Role>) -> TestRequest {
        let mut req = TestRequest::default().method(method).uri(path);
        if let Some(role) = role {
            req = req.insert_header(("Authorization", format!("Bearer {}", self.token(role))));
        }
        req
    }

    pub async fn get(&self, path: &str, role: Role) -> Resp {
        self.send(self.request(Method::GET, path, Some(role))).await
    }

    pub async fn get_anonymous(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path, None)).await
    }

    pub async fn post(&self, path: &str, role: Role, body: Value) -> Resp {
        self.send(self.request(Method::POST, path, Some(role)).set_json(body))
            .await
    }

    pub async fn patch(&self, path: &str, role: Role, body: Value, if_match: Option<&str>) -> Resp {
        let mut req = self.request(Method::PATCH, path, Some(role)).set_json(body);
        if let Some(tag) = if_match {
            req = req.insert_header(("If-Match", tag.to_string()));
        }
        self.send(req).await
    }

    pub async fn delete(&self, path: &str, role: Role) -> Resp {
        self.send(self.request(Method::DELETE, path, Some(role)))
            .await
    }

    /// A request of any method with a bearer token of `role`.
    pub fn req(&self, method: Method, path: &str, role: Role) -> TestRequest {
        self.request(method, path, Some(role))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresSchema { admin_url, schema } => {
                if let Ok(mut conn) = db::establish(admin_url) {
                    let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            }
        }
    }
}

/// Asserts a problem+json error with the given status and code.
#[track_caller]
pub fn assert_problem(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status.as_u16(), status, "body: {}", resp.body);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/problem+json"),
        "body: {}",
        resp.body
    );
    assert_eq!(resp.code(), code, "body: {}", resp.body);
    assert_eq!(resp.body["status"].as_u64(), Some(u64::from(status)));
}

/// Synthetic P3KE/DTKS files of `families` families (see `rbpk demo-data`).
pub struct DemoFiles {
    pub families_csv: Vec<u8>,
    pub members_csv: Vec<u8>,
    pub xlsx: Vec<u8>,
    pub dtks_csv: Vec<u8>,
}

pub fn demo_files(families: usize, seed: u64) -> DemoFiles {
    let regions =
        rbpk::domain::region_lookup::RegionTable::from_csv(rbpk::domain::region::KUKAR_REGIONS_CSV)
            .unwrap();
    let data = rbpk::demo::data::generate(families, seed, &regions);
    let dir = std::env::temp_dir().join(format!("rbpk-demo-{}", uuid::Uuid::new_v4()));
    rbpk::demo::data::write_all(&data, &dir).unwrap();
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let files = DemoFiles {
        families_csv: read("p3ke_keluarga.csv"),
        members_csv: read("p3ke_individu.csv"),
        xlsx: read("p3ke.xlsx"),
        dtks_csv: read("dtks.csv"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    files
}

/// A CSV file's rows in two files, each with the header: even rows, odd rows.
pub fn split_rows(csv: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut even, mut odd) = (vec![header], vec![header]);
    for (i, line) in lines.enumerate() {
        if i % 2 == 0 {
            even.push(line);
        } else {
            odd.push(line);
        }
    }
    let join = |rows: Vec<&str>| format!("{}\n", rows.join("\n")).into_bytes();
    (join(even), join(odd))
}

/// The masking scan of every company answer (docs/SECURITY.md, "What a
/// company sees"): NIK and No. KK masked, birth dates hidden; and where an
/// object says it is `pseudonymised`, nothing that names or locates the
/// family (name, NIK, No. KK, address, birth date, source ids).
pub fn assert_masked(v: &Value, context: &str) {
    match v {
        Value::Object(map) => {
            let pseudonymised = map.get("pseudonymised") == Some(&Value::Bool(true));
            for (k, val) in map {
                if matches!(k.as_str(), "nik" | "head_nik" | "kk_number") {
                    if let Some(s) = val.as_str() {
                        assert!(
                            s.contains('*'),
                            "{context}: {k} unmasked for a company: {s}"
                        );
                    }
                }
                if matches!(
                    k.as_str(),
                    "birth_date"
                        | "head_birth_date"
                        | "pln_customer_id"
                        | "disability"
                        | "chronic_illness"
                ) {
                    assert!(val.is_null(), "{context}: {k} shown to a company");
                }
                // A household's geotag (a visit's own coordinates are the company's).
                if map.contains_key("head_name") && matches!(k.as_str(), "latitude" | "longitude") {
                    assert!(
                        val.is_null(),
                        "{context}: a household's {k} shown to a company"
                    );
                }
                if pseudonymised
                    && matches!(
                        k.as_str(),
                        "name"
                            | "head_name"
                            | "nik"
                            | "head_nik"
                            | "kk_number"
                            | "address"
                            | "p3ke_family_id"
                            | "dtks_id"
                            | "p3ke_individual_id"
                    )
                {
                    assert!(
                        val.is_null(),
                        "{context}: {k} shown in a pseudonymised household: {val}"
                    );
                }
                assert_masked(val, context);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| assert_masked(i, context)),
        _ => {}
    }
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl TestApp {
    /// Uploads a file and waits (bounded) until its import is done or failed.
    pub async fn import(&self, format: &str, content_type: &str, bytes: &[u8]) -> Resp {
        let started = self
            .send(
                self.req(
                    Method::POST,
                    &format!("/api/v1/household-imports?format={format}"),
                    Role::Bappeda,
                )
                .insert_header(("content-type", content_type))
                .set_payload(bytes.to_vec()),
            )
            .await;
        self.finished(&started).await
    }

    /// Waits (bounded) until the import an upload started is done or failed.
    pub async fn finished(&self, started: &Resp) -> Resp {
        assert_eq!(started.status, 202, "import refused: {}", started.body);
        let id = started.body["id"].as_str().unwrap().to_string();
        for _ in 0..1200 {
            let r = self
                .get(&format!("/api/v1/household-imports/{id}"), Role::Bappeda)
                .await;
            if r.body["status"] == "done" || r.body["status"] == "failed" {
                return r;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("import {id} did not finish within 30 s");
    }
}

/// Today in Kukar (UTC+8), as the service reckons calendar windows.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// A date `days` from today, as `YYYY-MM-DD`.
pub fn day(days: i64) -> String {
    (today() + chrono::Duration::days(days)).to_string()
}

impl TestApp {
    /// Creates the cycle `year` (or moves its dates) with the four dates given
    /// as day offsets from today.
    pub async fn cycle(
        &self,
        year: i32,
        proposals_close: i64,
        verification_start: i64,
        verification_end: i64,
        agreement_deadline: i64,
    ) {
        let dates = serde_json::json!({
            "proposals_close": day(proposals_close),
            "verification_start": day(verification_start),
            "verification_end": day(verification_end),
            "agreement_deadline": day(agreement_deadline),
        });
        let existing = self
            .get(&format!("/api/v1/cycles/{year}"), Role::Bappeda)
            .await;
        let resp = if existing.status == 200 {
            self.patch(
                &format!("/api/v1/cycles/{year}"),
                Role::Bappeda,
                dates,
                None,
            )
            .await
        } else {
            let mut body = dates;
            body["year"] = serde_json::json!(year);
            self.post("/api/v1/cycles", Role::Bappeda, body).await
        };
        assert!(resp.status.is_success(), "cycle: {}", resp.body);
    }

    /// Creates a company with a user of its own; returns (company id, token).
    pub async fn company(
        &self,
        name: &str,
        nib: &str,
        sector: &str,
        area: &[&str],
    ) -> (String, String) {
        let resp = self
            .post(
                "/api/v1/companies",
                Role::Bappeda,
                serde_json::json!({"name": name, "legal_form": "pt", "nib": nib, "sector": sector,
                    "address": "Tenggarong", "contact_name": "CSR", "contact_email": "csr@example.com",
                    "contact_phone": "0812-0000-0000", "working_area": area}),
            )
            .await;
        assert_eq!(resp.status, 201, "company: {}", resp.body);
        let id = resp.body["id"].as_str().unwrap().to_string();
        let token = self.token_for(&format!("csr-{nib}"), Role::Company, Some(&id), None);
        (id, token)
    }

    /// A request with a given bearer token.
    pub fn req_as(&self, method: Method, path: &str, token: &str) -> TestRequest {
        TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {token}")))
    }
}

/// A program of the demo company with targets, ready for verification.
pub struct ConsolidatedProgram {
    pub id: String,
    pub targets: Vec<String>,
    pub households: Vec<String>,
}

impl TestApp {
    /// Sets cycle 2027's calendar to days relative to today (creating it first).
    pub async fn calendar(&self, proposals: i64, v_start: i64, v_end: i64, deadline: i64) {
        let dates = serde_json::json!({
            "proposals_close": day(proposals), "verification_start": day(v_start),
            "verification_end": day(v_end), "agreement_deadline": day(deadline)});
        let current = self.get("/api/v1/cycles/2027", Role::Bappeda).await;
        let resp = if current.status == 404 {
            let mut body = dates;
            body["year"] = serde_json::json!(2027);
            self.post("/api/v1/cycles", Role::Bappeda, body).await
        } else {
            self.patch("/api/v1/cycles/2027", Role::Bappeda, dates, None)
                .await
        };
        assert!(resp.status.is_success(), "calendar: {}", resp.body);
    }

    /// Imports `families` synthetic families; returns the kecamatan of the
    /// first extreme-poor one.
    pub async fn registry(&self, families: usize) -> String {
        let files = demo_files(families, 7);
        let done = self.import("p3ke", "text/csv", &files.families_csv).await;
        assert_eq!(done.body["status"], "done", "{}", done.body);
        let first = self
            .get("/api/v1/households?extreme=true&per_page=1", Role::Bappeda)
            .await;
        let code = first.body["items"][0]["region_code"].as_str().unwrap();
        code[..8].to_string()
    }

    /// The company and then the lead OPD sign program `id` under agreement
    /// `number`, today; each signature must be accepted.
    pub async fn sign_agreement(&self, id: &str, number: &str) {
        let sig = serde_json::json!({"agreement_number": number, "signed_on": day(0)});
        for role in [Role::Company, Role::Opd] {
            let r = self
                .post(
                    &format!("/api/v1/programs/{id}/signatures"),
                    role,
                    sig.clone(),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }

    /// Demo company proposes a housing program in `kecamatan` (led by the demo
    /// OPD), Bappeda consolidates it, the company takes `n` recommended
    /// targets. Leaves the verification window open (today) and the
    /// agreement deadline two days ahead.
    pub async fn consolidated_program(&self, kecamatan: &str, n: usize) -> ConsolidatedProgram {
        self.calendar(1, 2, 3, 4).await;
        let created = self
            .post(
                "/api/v1/programs",
                Role::Company,
                serde_json::json!({"cycle_year": 2027, "title": "Bedah rumah", "type": "housing",
                    "strategy": "reduce_burden", "budget": 500_000_000, "opd_code": seed::DEMO_OPD_CODE,
                    "target_regions": [kecamatan]}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_string();
        let t = format!("/api/v1/programs/{id}/transitions");
        let r = self
            .post(&t, Role::Company, serde_json::json!({"action": "submit"}))
            .await;
        assert_eq!(r.status, 200, "submit: {}", r.body);
        self.calendar(-1, 0, 1, 2).await;
        let r = self
            .post(
                &t,
                Role::Bappeda,
                serde_json::json!({"action": "consolidate"}),
            )
            .await;
        assert_eq!(r.status, 200, "consolidate: {}", r.body);
        let recs = self
            .get(
                &format!("/api/v1/programs/{id}/recommendations?limit={n}"),
                Role::Company,
            )
            .await;
        assert_eq!(recs.status, 200, "{}", recs.body);
        let mut targets = Vec::new();
        let mut households = Vec::new();
        for rec in recs.body.as_array().unwrap() {
            let hid = rec["household"]["id"].as_str().unwrap().to_string();
            let r = self
                .post(
                    &format!("/api/v1/programs/{id}/targets"),
                    Role::Company,
                    serde_json::json!({"household_id": hid, "planned_value": 25_000_000}),
                )
                .await;
            assert_eq!(r.status, 201, "target: {}", r.body);
            targets.push(r.body["id"].as_str().unwrap().to_string());
            households.push(hid);
        }
        assert_eq!(targets.len(), n, "not enough recommendations");
        ConsolidatedProgram {
            id,
            targets,
            households,
        }
    }

    /// A verifier's visit of a target today.
    pub async fn verify(&self, target_id: &str, result: &str) -> Resp {
        self.post(
            "/api/v1/verifications",
            Role::Verifier,
            serde_json::json!({"target_id": target_id, "visited_on": day(0), "result": result,
                "notes": "Rumah papan, atap bocor.", "latitude": -0.4312, "longitude": 116.9876}),
        )
        .await
    }
}

impl TestApp {
    /// Imports `families` demo families (seed `seed`) into a snapshot whose
    /// hand-over forbids onward sharing, so every one of them stays behind
    /// the consent gate for a company; answers the kecamatan of the first
    /// extreme family, where a test can run its program.
    pub async fn families_behind_the_consent_gate(&self, families: usize, seed: u64) -> String {
        let closed = self
            .post(
                "/api/v1/datasets",
                Role::Bappeda,
                serde_json::json!({"source": "p3ke", "version": "closed", "onward_sharing": false}),
            )
            .await;
        assert_eq!(closed.status, 201, "{}", closed.body);
        let closed = closed.body["id"].as_str().unwrap();
        let files = demo_files(families, seed);
        let done = self
            .import(
                &format!("p3ke&dataset_id={closed}"),
                "text/csv",
                &files.families_csv,
            )
            .await;
        assert_eq!(done.body["status"], "done", "{}", done.body);
        let first = self
            .get("/api/v1/households?extreme=true&per_page=1", Role::Bappeda)
            .await;
        first.body["items"][0]["region_code"].as_str().unwrap()[..8].to_string()
    }
}

impl TestApp {
    /// Adds `region` to the demo company's working area, so its programs may
    /// target it (target regions lie in the working area).
    pub async fn demo_company_works_in(&self, region: &str) {
        let path = format!("/api/v1/companies/{}", seed::DEMO_COMPANY_ID);
        let current = self.get(&path, Role::Bappeda).await;
        let mut area: Vec<String> =
            serde_json::from_value(current.body["working_area"].clone()).expect("working area");
        area.push(region.to_string());
        let resp = self
            .patch(
                &path,
                Role::Bappeda,
                serde_json::json!({"working_area": area}),
                None,
            )
            .await;
        assert_eq!(resp.status, 200, "working area: {}", resp.body);
    }
}

// Whole images for upload tests (photos of visits, evidence of deliveries).

/// A 1×1 greyscale PNG, built chunk by chunk with real CRCs.
pub fn png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG's frame: SOI, APP0 (JFIF), SOF0 of 2×3, EOI.
pub fn jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    out.extend_from_slice(&[
        0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x03, 0x00, 0x02, 0x01, 0x01, 0x11, 0x00,
    ]);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}
