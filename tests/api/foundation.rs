//! Foundation: auth, users, regions, cycles and the shared machinery
//! (problem+json, pagination, ETag/If-Match, Idempotency-Key, audit, health).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{assert_problem, TestApp, PASSWORD};
use rbpk::domain::role::Role;
use serde_json::json;

#[actix_web::test]
async fn a_demo_account_logs_in_and_reads_its_claims() {
    let app = TestApp::spawn().await;
    let resp = app
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/token")
                .set_json(json!({"username": "opd", "password": PASSWORD})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["token_type"], "Bearer");
    let token = resp.body["access_token"].as_str().unwrap().to_string();
    let me = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["sub"], "opd");
    assert_eq!(me.body["role"], "opd");
    assert_eq!(me.body["opd_code"], "DINSOS");
}

#[actix_web::test]
async fn a_wrong_password_is_401_and_repeated_failures_are_throttled() {
    let app = TestApp::spawn_with(|c| c.login_attempts_per_minute = 3).await;
    for _ in 0..3 {
        let resp = app
            .send(
                TestRequest::post()
                    .uri("/api/v1/auth/token")
                    .set_json(json!({"username": "admin", "password": "wrong-password"})),
            )
            .await;
        assert_problem(&resp, 401, "invalid_credentials");
    }
    let resp = app
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/token")
                .set_json(json!({"username": "admin", "password": PASSWORD})),
        )
        .await;
    assert_problem(&resp, 429, "too_many_requests");
    assert!(resp.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

#[actix_web::test]
async fn missing_bad_and_foreign_tokens_are_401() {
    let app = TestApp::spawn().await;
    let resp = app.get_anonymous("/api/v1/auth/me").await;
    assert_problem(&resp, 401, "missing_token");
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", "Bearer not.a.token")),
        )
        .await;
    assert_problem(&resp, 401, "invalid_token");
    // Signed with another secret.
    let other = rbpk::auth::Authenticator::new(&rbpk::config::JwtConfig {
        secret: rbpk::config::Secret::new("another-secret-another-secret-another"),
        public_key_pem: None,
        issuer: "rbpk".into(),
        audience: "rbpk-api".into(),
        token_ttl: 600,
        max_token_ttl: 86_400,
        secret_generated: false,
    })
    .unwrap();
    let admin = {
        let mut conn = app.state.pool.get().unwrap();
        rbpk::db::users::by_username(&mut conn, "admin")
            .unwrap()
            .unwrap()
    };
    let (token, _) = other.issue_for(&admin).unwrap();
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_problem(&resp, 401, "invalid_token");
}

#[actix_web::test]
async fn an_expired_token_is_401_token_expired() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "admin", "role": "admin", "iat": now - 7200, "exp": now - 3600,
        "iss": "rbpk", "aud": "rbpk-api"});
    let key = EncodingKey::from_secret(app.state.config.jwt.secret.expose().as_bytes()).unwrap();
    let token = encode(&Header::default(), &claims, &key).unwrap();
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_problem(&resp, 401, "token_expired");
}

#[actix_web::test]
async fn a_token_with_the_wrong_audience_or_a_none_algorithm_is_refused() {
    use base64_like::encode_segment;
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "admin", "role": "admin", "iat": now, "exp": now + 600, "iss": "rbpk", "aud": "rbpk-api"});
    let unsigned = format!(
        "{}.{}.",
        encode_segment(br#"{"alg":"none","typ":"JWT"}"#),
        encode_segment(claims.to_string().as_bytes())
    );
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {unsigned}"))),
        )
        .await;
    assert_problem(&resp, 401, "invalid_token");

    use jsonwebtoken::{encode, EncodingKey, Header};
    let wrong_aud = json!({"sub": "admin", "role": "admin", "iat": now, "exp": now + 600, "iss": "rbpk", "aud": "someone-else"});
    let key = EncodingKey::from_secret(app.state.config.jwt.secret.expose().as_bytes()).unwrap();
    let token = encode(&Header::default(), &wrong_aud, &key).unwrap();
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_problem(&resp, 401, "invalid_token");
}

/// Minimal base64url without padding, to forge an `alg: none` token.
mod base64_like {
    pub fn encode_segment(bytes: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

#[actix_web::test]
async fn only_admins_manage_users() {
    let app = TestApp::spawn().await;
    for role in [
        Role::Bappeda,
        Role::Bupati,
        Role::Opd,
        Role::Verifier,
        Role::Company,
        Role::Viewer,
        Role::Operator,
    ] {
        let resp = app.get("/api/v1/users", role).await;
        assert_problem(&resp, 403, "forbidden");
    }
    let resp = app.get("/api/v1/users", Role::Admin).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["total"], 8);
}

#[actix_web::test]
async fn an_admin_creates_updates_and_disables_a_user_who_then_cannot_log_in() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/v1/users", Role::Admin, json!({"username": "perkim.budi", "password": "long-enough-pw", "role": "opd", "opd_code": "PERKIM"}))
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        resp.header("location").unwrap(),
        format!("/api/v1/users/{id}")
    );
    assert!(resp.body.get("password_hash").is_none());
    let tag = resp.etag();

    let login = || {
        app.send(
            TestRequest::post()
                .uri("/api/v1/auth/token")
                .set_json(json!({"username": "perkim.budi", "password": "long-enough-pw"})),
        )
    };
    assert_eq!(login().await.status, 200);

    let resp = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Role::Admin,
            json!({"active": false}),
            Some(&tag),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["active"], false);
    assert_ne!(resp.etag(), tag);

    assert_problem(&login().await, 401, "invalid_credentials");

    // The change is audited with old and new values.
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=user&entity_id={id}"),
            Role::Bappeda,
        )
        .await;
    assert_eq!(audit.status, 200);
    let update = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "update")
        .unwrap();
    assert_eq!(update["before"]["active"], true);
    assert_eq!(update["after"]["active"], false);
    assert_eq!(update["actor"], "admin");
    assert!(update["request_id"].is_string());
}

#[actix_web::test]
async fn user_validation_and_duplicates_are_reported_per_field() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "x", "password": "short", "role": "viewer"}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "password"]);

    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "csr2", "password": "long-enough-pw", "role": "company"}),
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "company_id");

    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "viewer", "password": "long-enough-pw", "role": "viewer"}),
        )
        .await;
    assert_problem(&resp, 409, "username_taken");

    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "v2", "password": "long-enough-pw", "role": "superuser"}),
        )
        .await;
    assert_problem(&resp, 400, "invalid_body");
}

#[actix_web::test]
async fn if_match_compares_strongly_and_takes_a_list_as_rfc_9110_says() {
    let app = TestApp::spawn().await;
    let created = app
        .post("/api/v1/cycles", Role::Bappeda, json!({"year": 2027}))
        .await;
    let tag = created.etag();
    let patch = |if_match: String, end: &'static str| {
        app.req(Method::PATCH, "/api/v1/cycles/2027", Role::Bappeda)
            .insert_header(("If-Match", if_match))
            .set_json(json!({"verification_end": end}))
    };
    // A weak tag never matches under strong comparison.
    let weak = app.send(patch(format!("W/{tag}"), "2026-12-20")).await;
    assert_problem(&weak, 412, "stale_etag");
    // A list matches when any of its tags is the current one.
    let listed = app
        .send(patch(format!("\"999\", {tag}"), "2026-12-21"))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let stale_list = app
        .send(patch(format!("{tag}, \"999\""), "2026-12-22"))
        .await;
    assert_problem(&stale_list, 412, "stale_etag");
    let any = app.send(patch("*".to_string(), "2026-12-23")).await;
    assert_eq!(any.status, 200, "{}", any.body);
    let now = app.get("/api/v1/cycles/2027", Role::Viewer).await;
    assert_eq!(now.body["verification_end"], "2026-12-23");
}

#[actix_web::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let created = app
        .post("/api/v1/cycles", Role::Bappeda, json!({"year": 2027}))
        .await;
    assert_eq!(created.status, 201);
    let tag = created.etag();
    let first = app
        .patch(
            "/api/v1/cycles/2027",
            Role::Bappeda,
            json!({"verification_end": "2026-12-22"}),
            Some(&tag),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = app
        .patch(
            "/api/v1/cycles/2027",
            Role::Bappeda,
            json!({"verification_end": "2026-12-23"}),
            Some(&tag),
        )
        .await;
    assert_problem(&second, 412, "stale_etag");
    let now = app.get("/api/v1/cycles/2027", Role::Viewer).await;
    assert_eq!(now.body["verification_end"], "2026-12-22");
    assert_eq!(now.etag(), first.etag());
}

#[actix_web::test]
async fn a_cycle_gets_the_default_calendar_and_refuses_dates_out_of_order() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/v1/cycles", Role::Bappeda, json!({"year": 2028}))
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["proposals_close"], "2027-11-30");
    assert_eq!(resp.body["verification_start"], "2027-12-01");
    assert_eq!(resp.body["verification_end"], "2027-12-21");
    assert_eq!(resp.body["agreement_deadline"], "2028-01-31");

    let resp = app
        .patch(
            "/api/v1/cycles/2028",
            Role::Admin,
            json!({"verification_start": "2027-11-01"}),
            None,
        )
        .await;
    assert_problem(&resp, 422, "validation_failed");
    assert_eq!(resp.body["errors"][0]["field"], "verification_start");

    assert_problem(
        &app.post("/api/v1/cycles", Role::Bappeda, json!({"year": 2028}))
            .await,
        409,
        "cycle_exists",
    );
    assert_problem(
        &app.post("/api/v1/cycles", Role::Company, json!({"year": 2029}))
            .await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/api/v1/cycles/abc", Role::Viewer).await,
        400,
        "invalid_path",
    );
    assert_problem(
        &app.get("/api/v1/cycles/1999", Role::Viewer).await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn regions_filter_by_level_and_parent_and_map_old_codes() {
    let app = TestApp::spawn().await;
    let kec = app
        .get("/api/v1/regions?level=kecamatan&per_page=200", Role::Viewer)
        .await;
    assert_eq!(kec.body["total"], 20);
    let desa = app
        .get("/api/v1/regions?parent=64.02.19", Role::Viewer)
        .await;
    assert_eq!(desa.body["total"], 10);
    let all = app.get("/api/v1/regions?per_page=200", Role::Viewer).await;
    assert_eq!(all.body["total"], 258);
    let old = app.get("/api/v1/regions/6402082001", Role::Company).await;
    assert_eq!(old.status, 200);
    assert_eq!(old.body["code"], "64.02.19.2001");
    assert_problem(
        &app.get("/api/v1/regions/64.99.01", Role::Viewer).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.get("/api/v1/regions?level=provinsi", Role::Viewer)
            .await,
        400,
        "invalid_query",
    );
}

#[actix_web::test]
async fn lists_page_with_total_and_link_header() {
    let app = TestApp::spawn().await;
    let resp = app
        .get(
            "/api/v1/regions?level=desa&per_page=50&page=2",
            Role::Viewer,
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["page"], 2);
    assert_eq!(resp.body["per_page"], 50);
    assert_eq!(resp.body["total"], 193);
    assert_eq!(resp.body["items"].as_array().unwrap().len(), 50);
    let link = resp.header("link").unwrap();
    assert!(link.contains("rel=\"next\""), "{link}");
    assert!(link.contains("page=3&per_page=50"), "{link}");
    assert!(link.contains("page=1&per_page=50>; rel=\"prev\""), "{link}");
    assert!(link.contains("level=desa"), "{link}");
    assert_problem(
        &app.get("/api/v1/regions?per_page=201", Role::Viewer).await,
        400,
        "invalid_parameter",
    );
    assert_problem(
        &app.get("/api/v1/regions?page=0", Role::Viewer).await,
        400,
        "invalid_parameter",
    );
    assert_problem(
        &app.get("/api/v1/regions?page=x", Role::Viewer).await,
        400,
        "invalid_query",
    );
}

#[actix_web::test]
async fn malformed_bodies_wrong_media_types_and_unknown_routes_answer_in_problem_json() {
    let app = TestApp::spawn().await;
    let resp = app
        .send(
            app.req(Method::POST, "/api/v1/cycles", Role::Bappeda)
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"year\": "),
        )
        .await;
    assert_problem(&resp, 400, "malformed_json");
    let resp = app
        .send(
            app.req(Method::POST, "/api/v1/cycles", Role::Bappeda)
                .insert_header(("content-type", "text/plain"))
                .set_payload("year=2027"),
        )
        .await;
    assert_problem(&resp, 415, "unsupported_media_type");
    let resp = app
        .post(
            "/api/v1/cycles",
            Role::Bappeda,
            json!({"year": 2027, "colour": "red"}),
        )
        .await;
    assert_problem(&resp, 400, "invalid_body");
    let resp = app.get("/api/v1/nothing-here", Role::Admin).await;
    assert_problem(&resp, 404, "not_found");
    let resp = app
        .send(app.req(Method::PUT, "/api/v1/cycles/2027", Role::Admin))
        .await;
    assert_problem(&resp, 405, "method_not_allowed");
    assert_eq!(resp.header("allow").unwrap(), "GET, PATCH");
}

#[actix_web::test]
async fn an_oversized_body_is_413() {
    let app = TestApp::spawn_with(|c| c.body_limit = 2048).await;
    let big = "x".repeat(4096);
    let resp = app
        .post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": "big", "password": big, "role": "viewer"}),
        )
        .await;
    assert_problem(&resp, 413, "payload_too_large");
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_echoes_the_clients() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/v1/regions/64.02", Role::Viewer).await;
    assert!(!resp.header("x-request-id").unwrap().is_empty());
    let resp = app
        .send(
            app.req(Method::GET, "/nope", Role::Viewer)
                .insert_header(("X-Request-Id", "erp-42")),
        )
        .await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.header("x-request-id").unwrap(), "erp-42");
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_another_body() {
    let app = TestApp::spawn().await;
    let post = |body: serde_json::Value| {
        app.send(
            app.req(Method::POST, "/api/v1/cycles", Role::Bappeda)
                .insert_header(("Idempotency-Key", "erp-7"))
                .set_json(body),
        )
    };
    let first = post(json!({"year": 2030})).await;
    assert_eq!(first.status, 201);
    let again = post(json!({"year": 2030})).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.etag(), first.etag());
    let other = post(json!({"year": 2031})).await;
    assert_problem(&other, 422, "idempotency_key_reused");
    // Only one cycle was created.
    let list = app.get("/api/v1/cycles", Role::Viewer).await;
    assert_eq!(list.body["total"], 1);
}

#[actix_web::test]
async fn health_answers_live_and_ready() {
    let app = TestApp::spawn().await;
    let live = app.get_anonymous("/health/live").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.body["status"], "ok");
    let ready = app.get_anonymous("/health/ready").await;
    assert_eq!(ready.status, 200);
}

#[actix_web::test]
async fn the_contract_and_swagger_ui_are_served() {
    let app = TestApp::spawn().await;
    let doc = app.get_anonymous("/api-docs/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
    let ui = app.get_anonymous("/swagger-ui/").await;
    assert_eq!(ui.status, 200);
    assert!(String::from_utf8_lossy(&ui.raw).contains("swagger"));
    let redirect = app.get_anonymous("/swagger-ui").await;
    assert_eq!(redirect.status.as_u16(), 308);
    assert_eq!(redirect.header("location").unwrap(), "/swagger-ui/");
}

#[actix_web::test]
async fn a_token_living_longer_than_the_maximum_is_refused() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let key = EncodingKey::from_secret(app.state.config.jwt.secret.expose().as_bytes()).unwrap();
    let claims = json!({"sub": "admin", "role": "admin", "iat": now, "exp": now + 2 * 86_400, "iss": "rbpk", "aud": "rbpk-api"});
    let token = encode(&Header::default(), &claims, &key).unwrap();
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_problem(&resp, 401, "invalid_token");
    assert!(resp.body["detail"].as_str().unwrap().contains("lifetime"));
}

#[actix_web::test]
async fn a_token_of_the_configured_identity_provider_is_accepted_and_an_hs_token_claiming_its_key_is_not(
) {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    // An Ed25519 key pair made for this test (PKCS#8 / SPKI PEM).
    const PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBtQM7VMOswLYIfMdaZiHRgub2q87np69qCzKgJl0cKn\n-----END PRIVATE KEY-----\n";
    const PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEALhSoDsfbnDJWk5jCj/mZNx0bIr6HU4W7IbD8fRZV9bc=\n-----END PUBLIC KEY-----\n";
    let app = TestApp::spawn_with(|c| c.jwt.public_key_pem = Some(PUBLIC.to_string())).await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "sso:siti", "role": "bupati", "iat": now, "exp": now + 600, "iss": "rbpk", "aud": "rbpk-api"});
    let token = encode(
        &Header::new(Algorithm::EdDSA),
        &claims,
        &EncodingKey::from_ed_pem(PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    let me = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["sub"], "sso:siti");
    // HS/asymmetric confusion: an HS256 token signed with the public key's text.
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(PUBLIC.as_bytes()).unwrap(),
    )
    .unwrap();
    let resp = app
        .send(
            TestRequest::get()
                .uri("/api/v1/auth/me")
                .insert_header(("Authorization", format!("Bearer {forged}"))),
        )
        .await;
    assert_problem(&resp, 401, "invalid_token");
}

#[actix_web::test]
async fn concurrent_writers_wait_their_turn_instead_of_failing() {
    let app = TestApp::spawn_with(|c| c.pool_size = 8).await;
    app.post("/api/v1/cycles", Role::Bappeda, json!({"year": 2032}))
        .await;
    let paths: Vec<String> = (0..8).map(|_| "/api/v1/cycles/2032".to_string()).collect();
    let bodies: Vec<serde_json::Value> = (0..8)
        .map(|i| json!({"verification_end": format!("2031-12-{:02}", 10 + i)}))
        .collect();
    let requests = paths
        .iter()
        .zip(&bodies)
        .map(|(p, b)| app.patch(p, Role::Bappeda, b.clone(), None));
    let answers = futures_util::future::join_all(requests).await;
    // SQLite serialises writers, so every write lands. PostgreSQL lets them
    // run side by side; a write whose record changed after it read it answers
    // 412 instead of overwriting the other (no lost update), never a 5xx.
    let backend = app.state.config.backend;
    for a in &answers {
        match backend {
            rbpk::db::Backend::Sqlite => assert_eq!(a.status, 200, "{}", a.body),
            rbpk::db::Backend::Postgres => {
                assert!(
                    a.status == 200 || a.status == 412,
                    "{} {}",
                    a.status,
                    a.body
                )
            }
        }
    }
    let landed = answers.iter().filter(|a| a.status == 200).count();
    assert!(landed >= 1);
    let audit = app
        .get(
            "/api/v1/audit-events?entity=cycle&action=update",
            Role::Admin,
        )
        .await;
    assert_eq!(audit.body["total"].as_u64().unwrap() as usize, landed);
}

#[actix_web::test]
async fn text_with_a_nul_character_is_never_a_server_error() {
    // PostgreSQL refuses U+0000 in text (SQLite stores it): a 400 there, the
    // ordinary answer here, never a 500.
    let app = TestApp::spawn().await;
    let list = app
        .get("/api/v1/programs?opd_code=%00DINSOS", Role::Bappeda)
        .await;
    assert!(
        list.status == 200 || (list.status == 400 && list.body["code"] == "invalid_text"),
        "{} {}",
        list.status,
        list.body
    );
    let visit = app
        .post(
            "/api/v1/verifications",
            Role::Verifier,
            json!({"target_id": "\u{0}x", "visited_on": "2026-01-05", "result": "eligible"}),
        )
        .await;
    assert!(
        visit.status == 422 || (visit.status == 400 && visit.body["code"] == "invalid_text"),
        "{} {}",
        visit.status,
        visit.body
    );
}

#[actix_web::test]
async fn a_cors_refusal_is_problem_json_and_an_allowed_origin_gets_its_headers() {
    let app = TestApp::spawn_with(|c| c.cors_origins = vec!["https://portal.example".into()]).await;
    let preflight = |origin: &str| {
        TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/api/v1/households")
            .insert_header(("Origin", origin.to_string()))
            .insert_header(("Access-Control-Request-Method", "GET"))
    };
    let refused = app.send(preflight("https://elsewhere.example")).await;
    assert_problem(&refused, 400, "cors_rejected");
    let allowed = app.send(preflight("https://portal.example")).await;
    assert_eq!(allowed.status, 200, "{:?}", allowed.headers);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("https://portal.example")
    );
    let actual = app
        .send(
            app.req(Method::GET, "/api/v1/regions?per_page=1", Role::Viewer)
                .insert_header(("Origin", "https://elsewhere.example")),
        )
        .await;
    // An actual request is answered, without the header a browser needs to
    // hand it to the page.
    assert_eq!(actual.status, 200);
    assert!(actual.header("access-control-allow-origin").is_none());
}
