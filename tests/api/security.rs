//! The trust controls of docs/SECURITY.md, each tried as an attacker would
//! (issue 10): forged and stale tokens, login throttling that cannot be
//! dodged or turned against a user, bodies bounded by their route, CSV
//! formulas, idempotency scopes, budgets that cannot wrap a report,
//! passwords, and the headers on personal data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{assert_problem, Resp, TestApp, PASSWORD};
use rbpk::config::Config;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

/// The constant the first wave signed with when no secret was set.
const RETIRED_DEMO_SECRET: &str = "rbpk-demo-secret-do-not-use-in-production";

fn hs256(secret: &[u8], claims: &Value) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

async fn get_with(app: &TestApp, path: &str, token: &str) -> Resp {
    app.send(app.req_as(Method::GET, path, token)).await
}

async fn login(app: &TestApp, username: &str, password: &str, peer: &str) -> Resp {
    login_via(app, username, password, peer, None).await
}

async fn login_via(
    app: &TestApp,
    username: &str,
    password: &str,
    peer: &str,
    forwarded_for: Option<&str>,
) -> Resp {
    let mut req = TestRequest::post()
        .uri("/api/v1/auth/token")
        .peer_addr(peer.parse().unwrap())
        .set_json(json!({"username": username, "password": password}));
    if let Some(f) = forwarded_for {
        req = req.insert_header(("X-Forwarded-For", f));
    }
    app.send(req).await
}

fn bearer(resp: &Resp) -> String {
    assert_eq!(resp.status, 200, "login: {}", resp.body);
    resp.body["access_token"].as_str().unwrap().to_string()
}

/// An account created through the API; returns its id.
async fn account(app: &TestApp, username: &str, role: &str, extra: Value) -> String {
    let mut body = json!({"username": username, "password": PASSWORD, "role": role});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = app.post("/api/v1/users", Role::Admin, body).await;
    assert_eq!(r.status, 201, "account: {}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

// ------------------------------------------------------------ signing secret

#[actix_web::test]
async fn without_a_configured_secret_a_token_signed_with_the_retired_demo_constant_is_401() {
    let path = std::env::temp_dir().join(format!("rbpk-sec-{}.sqlite3", uuid::Uuid::new_v4()));
    let embedded = Config::from_lookup(|name| {
        (name == "DATABASE_URL").then(|| path.to_string_lossy().to_string())
    })
    .unwrap();
    assert!(embedded.jwt.secret_generated);
    assert_ne!(embedded.jwt.secret.expose(), RETIRED_DEMO_SECRET);
    let app = TestApp::spawn_with(|c| c.jwt = embedded.jwt.clone()).await;
    let now = chrono::Utc::now().timestamp();
    let forged = hs256(
        RETIRED_DEMO_SECRET.as_bytes(),
        &json!({"sub": "x", "role": "admin", "iat": now, "exp": now + 600,
            "iss": "rbpk", "aud": "rbpk-api"}),
    );
    assert_problem(
        &get_with(&app, "/api/v1/users", &forged).await,
        401,
        "invalid_token",
    );
    // Tokens the app itself issues still work with the generated secret.
    let token = bearer(&login(&app, "admin", PASSWORD, "127.0.0.1:40000").await);
    assert_eq!(get_with(&app, "/api/v1/users", &token).await.status, 200);
}

#[test]
fn every_backend_refuses_a_weak_signing_secret_and_postgres_refuses_none() {
    let config = |url: &'static str, secret: Option<&'static str>| {
        Config::from_lookup(move |name| match name {
            "DATABASE_URL" => Some(url.to_string()),
            "RBPK_JWT_SECRET" => secret.map(str::to_string),
            _ => None,
        })
    };
    for url in ["rbpk-test.sqlite3", "postgres://db.invalid/rbpk"] {
        for weak in [
            "short-secret",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abababababababababababababababababababab",
            RETIRED_DEMO_SECRET,
        ] {
            let err = config(url, Some(weak)).unwrap_err().to_string();
            assert!(err.contains("RBPK_JWT_SECRET"), "{url} {weak}: {err}");
        }
        assert!(config(url, Some("7f3e9a1c5b2d8e4f6a0c3b7d9e1f5a2c")).is_ok());
    }
    assert!(config("postgres://db.invalid/rbpk", None).is_err());
    assert!(config("rbpk-test.sqlite3", None).is_ok());
}

// ------------------------------------------------------ tokens follow accounts

#[actix_web::test]
async fn a_disabled_accounts_token_is_401_at_once() {
    let app = TestApp::spawn().await;
    let id = account(&app, "pemantau.dua", "viewer", json!({})).await;
    let token = bearer(&login(&app, "pemantau.dua", PASSWORD, "127.0.0.1:40000").await);
    assert_eq!(get_with(&app, "/api/v1/auth/me", &token).await.status, 200);
    let r = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Role::Admin,
            json!({"active": false}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &token).await,
        401,
        "stale_token",
    );
}

#[actix_web::test]
async fn a_deleted_accounts_token_is_401_even_if_the_name_is_taken_again() {
    let app = TestApp::spawn().await;
    let id = account(&app, "pemantau.tiga", "viewer", json!({})).await;
    let token = bearer(&login(&app, "pemantau.tiga", PASSWORD, "127.0.0.1:40000").await);
    let r = app
        .delete(&format!("/api/v1/users/{id}"), Role::Admin)
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &token).await,
        401,
        "stale_token",
    );
    // A new account of the same name and role does not revive the old token.
    account(&app, "pemantau.tiga", "viewer", json!({})).await;
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &token).await,
        401,
        "stale_token",
    );
}

#[actix_web::test]
async fn a_demoted_admin_cannot_create_another_admin_with_the_old_token() {
    let app = TestApp::spawn().await;
    let id = account(&app, "admin.lama", "admin", json!({})).await;
    let token = bearer(&login(&app, "admin.lama", PASSWORD, "127.0.0.1:40000").await);
    let r = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Role::Admin,
            json!({"role": "viewer"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let attempt = app
        .send(
            app.req_as(Method::POST, "/api/v1/users", &token)
                .set_json(json!({"username": "admin.baru", "password": PASSWORD, "role": "admin"})),
        )
        .await;
    assert_problem(&attempt, 401, "stale_token");
    let users = app.get("/api/v1/users?role=admin", Role::Admin).await;
    assert!(
        !users.raw.windows(10).any(|w| w == b"admin.baru"),
        "{}",
        users.body
    );
}

#[actix_web::test]
async fn a_password_change_ends_the_old_tokens_and_the_new_password_logs_in() {
    let app = TestApp::spawn().await;
    let id = account(&app, "perencana.satu", "bappeda", json!({})).await;
    let old = bearer(&login(&app, "perencana.satu", PASSWORD, "127.0.0.1:40000").await);
    let r = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Role::Admin,
            json!({"password": "kata-sandi-baru-2027"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &old).await,
        401,
        "stale_token",
    );
    let new = bearer(
        &login(
            &app,
            "perencana.satu",
            "kata-sandi-baru-2027",
            "127.0.0.1:40000",
        )
        .await,
    );
    assert_eq!(get_with(&app, "/api/v1/auth/me", &new).await.status, 200);
}

#[actix_web::test]
async fn a_company_token_for_another_company_than_the_accounts_is_401() {
    let app = TestApp::spawn().await;
    let (other, _) = app
        .company("PT Lain Sekali", "8120104567999", "mining", &["64.02.06"])
        .await;
    // Signed with the right key, the demo company account's id and version,
    // but another company.
    let mut forged = {
        let mut conn = app.state.pool.get().unwrap();
        rbpk::db::users::by_username(&mut conn, "company")
            .unwrap()
            .unwrap()
    };
    forged.company_id = Some(other);
    let token = app.state.auth.issue_for(&forged).unwrap().0;
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &token).await,
        401,
        "stale_token",
    );
}

#[actix_web::test]
async fn a_token_for_no_account_or_without_its_version_is_401() {
    let app = TestApp::spawn().await;
    let key = app.state.config.jwt.secret.expose().as_bytes().to_vec();
    let now = chrono::Utc::now().timestamp();
    let nobody = hs256(
        &key,
        &json!({"sub": "nobody", "role": "admin", "iat": now, "exp": now + 600, "ver": 1, "aid": "x",
            "iss": "rbpk", "aud": "rbpk-api"}),
    );
    assert_problem(
        &get_with(&app, "/api/v1/users", &nobody).await,
        401,
        "stale_token",
    );
    let versionless = hs256(
        &key,
        &json!({"sub": "admin", "role": "admin", "iat": now, "exp": now + 600,
            "iss": "rbpk", "aud": "rbpk-api"}),
    );
    assert_problem(
        &get_with(&app, "/api/v1/users", &versionless).await,
        401,
        "stale_token",
    );
}

#[actix_web::test]
async fn a_change_made_by_another_instance_is_seen_once_the_cache_is_past() {
    // Cache off: the other instance's change must be seen on the next request.
    let app = TestApp::spawn_with(|c| c.account_cache_ms = 0).await;
    let token = app.token(Role::Viewer);
    assert_eq!(get_with(&app, "/api/v1/auth/me", &token).await.status, 200);
    {
        use diesel::prelude::*;
        use rbpk::db::schema::users;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(users::table.filter(users::username.eq("viewer")))
            .set(users::active.eq(false))
            .execute(&mut *conn)
            .unwrap();
    }
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &token).await,
        401,
        "stale_token",
    );
}

#[actix_web::test]
async fn a_token_issued_in_the_future_or_expiring_past_the_maximum_is_401() {
    let app = TestApp::spawn().await;
    let key = app.state.config.jwt.secret.expose().as_bytes().to_vec();
    let now = chrono::Utc::now().timestamp();
    let future = hs256(
        &key,
        &json!({"sub": "admin", "role": "admin", "iat": now + 3600, "exp": now + 7200, "ver": 1,
            "iss": "rbpk", "aud": "rbpk-api", "nbf": now}),
    );
    let r = get_with(&app, "/api/v1/auth/me", &future).await;
    assert_problem(&r, 401, "invalid_token");
    assert!(r.body["detail"].as_str().unwrap().contains("future"));
    // iat close to exp, both far ahead: exp - iat is short but exp - now is not.
    let far = hs256(
        &key,
        &json!({"sub": "admin", "role": "admin", "iat": now + 20, "exp": now + 10 * 86_400,
            "ver": 1, "iss": "rbpk", "aud": "rbpk-api"}),
    );
    assert_problem(
        &get_with(&app, "/api/v1/auth/me", &far).await,
        401,
        "invalid_token",
    );
}

// ------------------------------------------------------------ login throttle

#[actix_web::test]
async fn a_rotating_forwarded_for_header_from_an_untrusted_peer_is_still_throttled() {
    let app = TestApp::spawn_with(|c| c.login_attempts_per_minute = 3).await;
    for i in 0..3 {
        let r = login_via(
            &app,
            "admin",
            "salah-salah-salah",
            "203.0.113.9:5000",
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        assert_problem(&r, 401, "invalid_credentials");
    }
    let r = login_via(
        &app,
        "admin",
        PASSWORD,
        "203.0.113.9:5000",
        Some("198.51.100.77"),
    )
    .await;
    assert_problem(&r, 429, "too_many_requests");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

#[actix_web::test]
async fn a_trusted_proxy_names_the_client_so_clients_behind_it_are_throttled_apart() {
    let app = TestApp::spawn_with(|c| {
        c.login_attempts_per_minute = 3;
        c.trusted_proxies = rbpk::config::TrustedProxies::parse("10.0.0.0/8").unwrap();
    })
    .await;
    for _ in 0..3 {
        let r = login_via(
            &app,
            "bupati",
            "salah-salah-salah",
            "10.1.1.1:443",
            Some("198.51.100.5"),
        )
        .await;
        assert_problem(&r, 401, "invalid_credentials");
    }
    let attacker = login_via(
        &app,
        "bupati",
        PASSWORD,
        "10.1.1.1:443",
        Some("198.51.100.5"),
    )
    .await;
    assert_problem(&attacker, 429, "too_many_requests");
    // The Bupati's office, behind the same proxy, logs in.
    let office = login_via(
        &app,
        "bupati",
        PASSWORD,
        "10.1.1.1:443",
        Some("192.0.2.44, 10.2.2.2"),
    )
    .await;
    assert_eq!(office.status, 200, "{}", office.body);
}

#[actix_web::test]
async fn failures_from_elsewhere_never_lock_the_bupati_out() {
    let app = TestApp::spawn_with(|c| c.login_attempts_per_minute = 3).await;
    for _ in 0..10 {
        let r = login(&app, "bupati", "tebak-tebak-tebak", "203.0.113.50:1234").await;
        assert!(r.status == 401 || r.status == 429, "{}", r.body);
    }
    let bupati = login(&app, "bupati", PASSWORD, "192.0.2.10:5555").await;
    assert_eq!(bupati.status, 200, "{}", bupati.body);
}

#[actix_web::test]
async fn one_client_spraying_many_usernames_meets_its_ceiling() {
    let app = TestApp::spawn_with(|c| c.login_client_ceiling = 5).await;
    for i in 0..5 {
        let r = login(
            &app,
            &format!("tebakan{i}"),
            "tebak-tebak-tebak",
            "203.0.113.60:1234",
        )
        .await;
        assert_problem(&r, 401, "invalid_credentials");
    }
    let r = login(&app, "admin", PASSWORD, "203.0.113.60:1234").await;
    assert_problem(&r, 429, "too_many_requests");
    let other = login(&app, "admin", PASSWORD, "203.0.113.61:1234").await;
    assert_eq!(other.status, 200, "{}", other.body);
}

// ------------------------------------------------------------------- bodies

#[actix_web::test]
async fn a_json_array_where_an_object_is_expected_is_400() {
    let app = TestApp::spawn().await;
    let r = app
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/token")
                .insert_header(("content-type", "application/json"))
                .set_payload(format!("[\"bappeda\", \"{PASSWORD}\"]")),
        )
        .await;
    assert_problem(&r, 400, "invalid_body");
    assert!(r.body.get("access_token").is_none());
}

#[actix_web::test]
async fn an_idempotent_post_buffers_no_more_than_its_routes_limit() {
    let app = TestApp::spawn().await;
    let limit = app.state.config.body_limit;
    let big = format!(
        "{{\"year\": 2031, \"pad\": \"{}\"}}",
        "x".repeat(limit + 10)
    );
    let r = app
        .send(
            app.req(Method::POST, "/api/v1/cycles", Role::Viewer)
                .insert_header(("Idempotency-Key", "big-body-1"))
                .insert_header(("content-type", "application/json"))
                .set_payload(big),
        )
        .await;
    assert_problem(&r, 413, "payload_too_large");
    // The import route keeps its own, larger limit.
    let csv = common::demo_files(3, 1).families_csv;
    assert!(!csv.is_empty());
    let r = app
        .send(
            app.req(
                Method::POST,
                "/api/v1/household-imports?format=p3ke",
                Role::Bappeda,
            )
            .insert_header(("Idempotency-Key", "import-1"))
            .insert_header(("content-type", "text/csv"))
            .set_payload(csv),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
}

#[actix_web::test]
async fn a_caller_who_may_not_import_is_refused_before_the_file_is_held() {
    let app = TestApp::spawn().await;
    let file = common::demo_files(3, 1).families_csv;
    for _ in 0..2 {
        let r = app
            .send(
                app.req(
                    Method::POST,
                    "/api/v1/household-imports?format=p3ke",
                    Role::Viewer,
                )
                .insert_header(("Idempotency-Key", "viewer-upload-1"))
                .insert_header(("content-type", "text/csv"))
                .set_payload(file.clone()),
            )
            .await;
        assert_problem(&r, 403, "forbidden");
        // Not held for the idempotency check, so nothing was stored to replay.
        assert!(
            r.header("idempotent-replayed").is_none(),
            "{:?} {}",
            r.headers,
            r.body
        );
    }
}

// ----------------------------------------------------- exports and scopes

#[actix_web::test]
async fn csv_cells_that_a_spreadsheet_would_run_as_formulas_are_prefixed() {
    let app = TestApp::spawn().await;
    app.calendar(10, 20, 30, 40).await;
    let (_, _) = app
        .company(
            "=HYPERLINK(\"http://x.invalid\",\"klik\")",
            "8120104567888",
            "mining",
            &["64.02.06"],
        )
        .await;
    let r = app
        .send(
            app.req(Method::GET, "/api/v1/cycles/2027/compliance", Role::Bappeda)
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.raw));
    let text = String::from_utf8(r.raw).unwrap();
    assert!(text.contains("\"'=HYPERLINK("), "{text}");
    assert!(
        !text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"),
        "{text}"
    );
}

#[actix_web::test]
async fn an_idempotency_key_of_a_recreated_username_does_not_replay_the_old_companys_answer() {
    let app = TestApp::spawn().await;
    app.calendar(10, 20, 30, 40).await;
    let (company_a, _) = app
        .company("PT Satu", "8120104567001", "mining", &["64.02.06"])
        .await;
    let (company_b, _) = app
        .company("PT Dua", "8120104567002", "mining", &["64.02.06"])
        .await;
    let program = json!({"cycle_year": 2027, "title": "Air bersih", "type": "water",
        "strategy": "reduce_burden", "budget": 100_000_000, "opd_code": "DINSOS",
        "target_regions": ["64.02.06"]});
    let post = |token: String| {
        app.req_as(Method::POST, "/api/v1/programs", &token)
            .insert_header(("Idempotency-Key", "erp-retry-1"))
            .set_json(program.clone())
    };
    let id = account(
        &app,
        "csr.officer",
        "company",
        json!({"company_id": company_a}),
    )
    .await;
    let token_a = bearer(&login(&app, "csr.officer", PASSWORD, "127.0.0.1:40000").await);
    let first = app.send(post(token_a)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        app.delete(&format!("/api/v1/users/{id}"), Role::Admin)
            .await
            .status,
        204
    );
    account(
        &app,
        "csr.officer",
        "company",
        json!({"company_id": company_b}),
    )
    .await;
    let token_b = bearer(&login(&app, "csr.officer", PASSWORD, "127.0.0.1:40000").await);
    let second = app.send(post(token_b)).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert!(second.header("idempotent-replayed").is_none());
    assert_ne!(second.body["id"], first.body["id"]);
    assert_eq!(second.body["company_id"], company_b.as_str());
}

#[actix_web::test]
async fn budgets_are_bounded_so_report_totals_cannot_wrap() {
    let app = TestApp::spawn().await;
    app.calendar(10, 20, 30, 40).await;
    let r = app
        .post(
            "/api/v1/programs",
            Role::Company,
            json!({"cycle_year": 2027, "title": "Besar", "type": "water",
                "strategy": "reduce_burden", "budget": i64::MAX, "opd_code": "DINSOS",
                "target_regions": ["64.02.06"]}),
        )
        .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "budget", "{}", r.body);
}

#[actix_web::test]
async fn passwords_are_at_least_twelve_characters_and_not_the_username() {
    let app = TestApp::spawn().await;
    for (username, password) in [
        ("petugas.a", "pendek-11ch"),
        ("petugas.panjang", "petugas.panjang"),
    ] {
        let r = app
            .post(
                "/api/v1/users",
                Role::Admin,
                json!({"username": username, "password": password, "role": "viewer"}),
            )
            .await;
        assert_problem(&r, 422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "password", "{}", r.body);
    }
}

#[actix_web::test]
async fn personal_data_is_never_cached_sniffed_or_framed() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/households", "/api/v1/auth/me", "/health/live"] {
        let r = app.get(path, Role::Bappeda).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        assert!(r
            .header("content-security-policy")
            .is_some_and(|v| v.contains("frame-ancestors 'none'")));
    }
}

#[test]
fn the_access_log_writes_paths_without_their_query_strings() {
    // `%r` (the request line) and `%q` would carry `?q=<NIK>` into the logs.
    let format = rbpk::app::ACCESS_LOG_FORMAT;
    assert!(format.contains("%U"), "{format}");
    assert!(!format.contains("%r") && !format.contains("%q"), "{format}");
}
