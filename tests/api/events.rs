//! Events and webhooks (docs/EVENTS.md): the outbox written with the change,
//! the feed in order and in scope, webhooks a company's own, and deliveries
//! to a real receiver — signed, in order, retried, and a failing webhook
//! turned off.

// Helpers panic on a broken setup: that is a test failure, as in the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;

use actix_web::http::Method;
use common::{assert_problem, TestApp};
use rbpk::db;
use rbpk::domain::event::{secret_key, sign, EventType, NewEvent};
use rbpk::domain::role::Role;
use rbpk::webhooks::Worker;
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

/// A webhook receiver on a local port: records every request and answers
/// 500 to the first `failures` of them, then 200 (or 500 forever).
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        let count = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let len: usize = headers
                    .get("content-length")
                    .map_or(0, |v| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                seen.lock().unwrap().push(Received {
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
                let n = count.fetch_add(1, Ordering::SeqCst);
                let status = if n < failures {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let _ = stream.write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                );
            }
        });
        Receiver { port, got }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/rbpk", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// An app whose webhooks may reach `receiver`, with the retry schedule
/// shrunk to milliseconds.
async fn app_for(receiver: &Receiver) -> TestApp {
    let allow = format!("127.0.0.1:{}", receiver.port);
    TestApp::spawn_with(|c| {
        c.webhooks.allow_hosts = vec![allow];
        c.webhooks.retry_scale = 0.000_01;
        c.webhooks.timeout_ms = 2_000;
    })
    .await
}

/// Runs the worker's rounds until `done` holds (or 30 s pass).
fn deliver_until(app: &TestApp, done: impl Fn() -> bool) {
    let worker = Worker::new(app.state.config.webhooks.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() && Instant::now() < deadline {
        let n = worker.round(&app.state.pool).expect("worker round");
        if n == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

async fn feed(app: &TestApp, token: &str, query: &str) -> Value {
    let resp = app
        .send(app.req_as(Method::GET, &format!("/api/v1/events{query}"), token))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body
}

fn types(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// A company's program through consolidation and one visit: the events it
/// caused, in order, seen by whom they concern.
#[actix_web::test]
async fn the_feed_shows_each_caller_its_events_in_order() {
    let app = TestApp::spawn().await;
    let kec = app.registry(40).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 1).await;
    assert_eq!(app.verify(&p.targets[0], "eligible").await.status, 201);

    let admin = feed(&app, &app.token(Role::Admin), "").await;
    let all = types(&admin);
    // The registry's import, the program's two moves, the visit and the
    // move it settled (the only target verified: the program is verified).
    assert_eq!(
        all,
        [
            "import.finished",
            "program.status_changed",
            "program.status_changed",
            "target.verified",
            "program.status_changed"
        ],
        "{admin}"
    );
    let moves: Vec<(Value, Value)> = admin["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "program.status_changed")
        .map(|e| (e["data"]["from"].clone(), e["data"]["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (json!("draft"), json!("proposed")),
            (json!("proposed"), json!("consolidated")),
            (json!("consolidated"), json!("verified"))
        ]
    );
    let visit = &admin["items"][3]["data"];
    assert_eq!(visit["target_id"], p.targets[0].as_str());
    assert_eq!(visit["result"], "eligible");
    // Ids and states only: nothing of the family travels in an event.
    let keys: Vec<&str> = visit
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "program_id",
            "result",
            "target_id",
            "target_status",
            "verification_id",
            "visited_on"
        ]
    );

    // The company and the lead agency hear of their program, not the import.
    let own = feed(&app, &app.token(Role::Company), "").await;
    assert_eq!(types(&own), all[1..]);
    let opd = feed(&app, &app.token(Role::Opd), "").await;
    assert_eq!(types(&opd), all[1..]);
    let (_, other) = app
        .company("PT Lain", "9120000000771", "mining", &[&kec])
        .await;
    assert_eq!(feed(&app, &other, "").await["items"], json!([]));
    for role in [Role::Verifier, Role::Viewer] {
        let resp = app.get("/api/v1/events", role).await;
        assert_problem(&resp, 403, "forbidden");
    }

    // Reading on from a cursor: what follows, and `next` to poll with.
    let first = admin["items"][0]["cursor"].as_str().unwrap();
    let page = feed(
        &app,
        &app.token(Role::Admin),
        &format!("?after={first}&limit=2"),
    )
    .await;
    assert_eq!(types(&page), all[1..3]);
    assert_eq!(page["next"], admin["items"][2]["cursor"]);
    let last = admin["next"].as_str().unwrap();
    let empty = feed(&app, &app.token(Role::Admin), &format!("?after={last}")).await;
    assert_eq!(empty["items"], json!([]));
    assert_eq!(empty["next"], last);
    for bad in ["?limit=0", "?limit=501", "?after=-1", "?after=abc"] {
        let resp = app.get(&format!("/api/v1/events{bad}"), Role::Admin).await;
        assert_eq!(resp.status, 400, "{bad}: {}", resp.body);
    }
}

/// The outbox: an event written in a transaction that rolls back is gone
/// with it; one that commits is in the feed.
#[actix_web::test]
async fn an_event_is_written_with_its_change_or_not_at_all() {
    let app = TestApp::spawn().await;
    let event = |n: i64| NewEvent {
        event_type: EventType::ImportFinished,
        company_id: None,
        opd_code: None,
        data: json!({"n": n}),
    };
    let mut conn = app.state.pool.get().unwrap();
    let rolled_back: Result<(), db::DbError> = db::transaction(&mut conn, |c| {
        db::events::emit(c, event(1))?;
        Err(db::DbError::NotFound)
    });
    assert!(rolled_back.is_err());
    db::transaction(&mut conn, |c| db::events::emit(c, event(2)).map(|_| ())).unwrap();
    drop(conn);
    let page = feed(&app, &app.token(Role::Admin), "").await;
    let data: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"].clone())
        .collect();
    assert_eq!(data, [json!({"n": 2})]);

    // A request that fails emits nothing either: a transition the
    // lifecycle refuses.
    let kec = app.registry(20).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 1).await;
    let before = feed(&app, &app.token(Role::Admin), "").await["next"].clone();
    let refused = app
        .post(
            &format!("/api/v1/programs/{}/transitions", p.id),
            Role::Company,
            json!({"action": "submit"}),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let after = feed(&app, &app.token(Role::Admin), "").await["next"].clone();
    assert_eq!(before, after);
}

#[actix_web::test]
async fn a_company_manages_its_own_webhooks_and_never_reads_a_secret() {
    let app = TestApp::spawn().await;
    let body = json!({"url": "https://erp.example.co.id/hooks/rbpk",
        "events": ["program.signed", "program.status_changed", "program.signed"], "secret": SECRET});
    let created = app
        .post("/api/v1/webhooks", Role::Company, body.clone())
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["company_id"], rbpk::db::seed::DEMO_COMPANY_ID);
    assert_eq!(
        created.body["events"],
        json!(["program.status_changed", "program.signed"])
    );
    assert_eq!(created.body["active"], true);
    assert!(
        !created.body.to_string().contains("whsec_"),
        "{}",
        created.body
    );
    assert_eq!(
        created.header("location").unwrap(),
        format!("/api/v1/webhooks/{id}")
    );

    // Another company does not see it; the admin does.
    let (other_id, other) = app
        .company("PT Lain", "9120000000772", "mining", &["64.02.06"])
        .await;
    let path = format!("/api/v1/webhooks/{id}");
    let resp = app.send(app.req_as(Method::GET, &path, &other)).await;
    assert_problem(&resp, 404, "not_found");
    let list = app
        .send(app.req_as(Method::GET, "/api/v1/webhooks", &other))
        .await;
    assert_eq!(list.body["total"], 0);
    let list = app.get("/api/v1/webhooks", Role::Admin).await;
    assert_eq!(list.body["total"], 1);
    // A company cannot make a webhook for another company.
    let mut theirs = body.clone();
    theirs["company_id"] = json!(other_id);
    let resp = app.post("/api/v1/webhooks", Role::Company, theirs).await;
    assert_problem(&resp, 422, "validation_failed");

    // Where a webhook may point, and what a secret must be.
    for (url, why) in [
        ("http://erp.example.co.id/x", "https"),
        ("https://127.0.0.1/x", "private"),
        ("https://10.20.30.40/x", "private"),
        ("https://localhost:8443/x", "private"),
        ("https://[::1]/x", "private"),
    ] {
        let mut b = body.clone();
        b["url"] = json!(url);
        let resp = app.post("/api/v1/webhooks", Role::Company, b).await;
        assert_problem(&resp, 422, "validation_failed");
        assert!(resp.body.to_string().contains(why), "{url}: {}", resp.body);
    }
    let mut weak = body.clone();
    weak["secret"] = json!("whsec_c2hvcnQtc2hvcnQtc2hvcnQtc2hvcnQtc2g=");
    let resp = app.post("/api/v1/webhooks", Role::Company, weak).await;
    assert_eq!(resp.status, 201, "24 bytes is enough: {}", resp.body);
    let mut short = body.clone();
    short["secret"] = json!("whsec_c2hvcnQtc2hvcnQtc2hvcnQtc2hvcnQ=");
    let resp = app.post("/api/v1/webhooks", Role::Company, short).await;
    assert_problem(&resp, 422, "validation_failed");

    // Changing it needs the current version; the secret rotates unseen.
    let stale = app
        .send(
            app.req(Method::PATCH, &path, Role::Company)
                .insert_header(("If-Match", "\"7\""))
                .set_json(json!({"active": false})),
        )
        .await;
    assert_problem(&stale, 412, "stale_etag");
    let changed = app
        .send(
            app.req(Method::PATCH, &path, Role::Company)
                .insert_header(("If-Match", created.etag()))
                .set_json(json!({"active": false, "secret": "whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ="})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["active"], false);
    assert!(!changed.body.to_string().contains("whsec_"));
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=webhook&entity_id={id}"),
            Role::Admin,
        )
        .await;
    assert!(
        !audit.body.to_string().contains("whsec_"),
        "secrets stay out of the audit: {}",
        audit.body
    );
    assert_eq!(audit.body["total"], 2, "{}", audit.body);

    let gone = app
        .send(
            app.req(Method::DELETE, &path, Role::Company)
                .insert_header(("If-Match", changed.etag())),
        )
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(app.get(&path, Role::Company).await.status, 404);
}

/// A receiver that fails twice then answers: the program's events arrive
/// in the feed's order, each signed, the first after two retries.
#[actix_web::test]
async fn deliveries_are_signed_retried_and_in_order() {
    let receiver = Receiver::start(2);
    let app = app_for(&receiver).await;
    let hook = app
        .post(
            "/api/v1/webhooks",
            Role::Company,
            json!({"url": receiver.url(), "events": ["program.status_changed", "target.verified"], "secret": SECRET}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    let hook_id = hook.body["id"].as_str().unwrap().to_string();
    let kec = app.registry(30).await;
    app.demo_company_works_in(&kec).await;
    let p = app.consolidated_program(&kec, 1).await;
    assert_eq!(app.verify(&p.targets[0], "eligible").await.status, 201);
    let own = feed(&app, &app.token(Role::Company), "").await;
    let expected: Vec<String> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 4, "{own}");

    deliver_until(&app, || receiver.received().len() >= expected.len() + 2);
    let got = receiver.received();
    let ids: Vec<String> = got
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    // The first event three times (two failures, then success), then the rest once each, in order.
    let mut want = vec![expected[0].clone(), expected[0].clone()];
    want.extend(expected.iter().cloned());
    assert_eq!(ids, want);
    let key = secret_key(SECRET).unwrap();
    for r in &got {
        let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
        let expected_sig = sign(&key, &r.headers["webhook-id"], ts, &r.body);
        assert_eq!(r.headers["webhook-signature"], expected_sig);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["id"], r.headers["webhook-id"].as_str());
        assert!(
            body["type"].is_string() && body["data"].is_object(),
            "{body}"
        );
    }
    let log = app
        .get(
            &format!("/api/v1/webhooks/{hook_id}/deliveries?per_page=10"),
            Role::Company,
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert_eq!(log.body["total"], 4);
    let oldest = &log.body["items"][3];
    assert_eq!(oldest["status"], "delivered");
    assert_eq!(oldest["attempts"], 3);
    assert_eq!(oldest["last_status_code"], 200);
    let webhook = app
        .get(&format!("/api/v1/webhooks/{hook_id}"), Role::Company)
        .await;
    assert_eq!(webhook.body["failure_count"], 0);
    assert!(webhook.body["last_success_at"].is_string());

    // Another round sends nothing again.
    let worker = Worker::new(app.state.config.webhooks.clone());
    assert_eq!(worker.round(&app.state.pool).unwrap(), 0);
    assert_eq!(receiver.received().len(), got.len());
}

/// A receiver that never answers 2xx: ten straight failures turn the
/// webhook off; turning it on again clears the count.
#[actix_web::test]
async fn ten_straight_failures_turn_a_webhook_off() {
    let receiver = Receiver::start(usize::MAX);
    let app = app_for(&receiver).await;
    let hook = app
        .post(
            "/api/v1/webhooks",
            Role::Admin,
            json!({"url": receiver.url(), "events": ["import.finished"], "secret": SECRET}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    let path = format!("/api/v1/webhooks/{}", hook.body["id"].as_str().unwrap());
    app.registry(5).await;
    app.registry(5).await;
    let off = || {
        let mut c = app.state.pool.get().unwrap();
        let row = db::webhooks::get(
            &mut c,
            &db::webhooks::WebhookReach::All,
            path.rsplit('/').next().unwrap(),
        )
        .unwrap();
        !row.active
    };
    deliver_until(&app, off);
    let webhook = app.get(&path, Role::Admin).await;
    assert_eq!(webhook.body["active"], false, "{}", webhook.body);
    assert_eq!(webhook.body["failure_count"], 10);
    assert!(webhook.body["disabled_at"].is_string());
    // The first delivery was given up after its eight attempts; the second
    // failed twice more.
    assert_eq!(receiver.received().len(), 10);
    let log = app.get(&format!("{path}/deliveries"), Role::Admin).await;
    let states: Vec<(Value, Value)> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["status"].clone(), d["attempts"].clone()))
        .collect();
    assert_eq!(
        states,
        [(json!("pending"), json!(2)), (json!("failed"), json!(8))]
    );

    let on = app
        .send(
            app.req(Method::PATCH, &path, Role::Admin)
                .insert_header(("If-Match", webhook.etag()))
                .set_json(json!({"active": true})),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["failure_count"], 0);
    assert_eq!(on.body["disabled_at"], Value::Null);
}
