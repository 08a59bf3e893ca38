//! The authorization matrix: every operation of the generated OpenAPI document
//! is called with no token, an expired token, a token signed with another key,
//! and a valid token of every role (plus another company's token for
//! company-scoped records). Who may call comes from the operation's
//! declaration in `rbpk::api::access` — the same one its handler authorises
//! with and its OpenAPI security names — so the test cannot drift from the
//! code; whether another company gets a 404 comes from the table below. An
//! operation missing from the table fails the test, so no endpoint ships
//! unreviewed. Company responses are scanned for unmasked personal data
//! (`common::assert_masked`), and the fixture's registry is half behind the
//! consent gate, so the scan meets pseudonymised households too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeSet, HashMap};

use actix_web::http::Method;
use actix_web::test::TestRequest;
use common::{assert_masked, demo_files, Resp, TestApp};
use rbpk::api::access;
use rbpk::domain::role::Role;
use serde_json::{json, Value};

const YEAR: i32 = 2031;
const DEMO_COMPANY: &str = "00000000-0000-4000-8000-000000000001";

use Role::{
    Admin as A, Bappeda as B, Bupati as U, Company as C, Opd as O, Operator as P, Verifier as V,
    Viewer as W,
};

/// (method, path template, company-scoped: another company gets 404 where a
/// company may call, 403 where it may not). Who may call is the operation's
/// declaration (`rbpk::api::access`); others get 403.
const MATRIX: &[(&str, &str, bool)] = &[
    ("POST", "/api/v1/auth/token", false),
    ("GET", "/api/v1/auth/me", false),
    ("GET", "/api/v1/users", false),
    ("POST", "/api/v1/users", false),
    ("GET", "/api/v1/users/{id}", false),
    ("PATCH", "/api/v1/users/{id}", false),
    ("DELETE", "/api/v1/users/{id}", false),
    ("GET", "/api/v1/regions", false),
    ("GET", "/api/v1/regions/{code}", false),
    ("GET", "/api/v1/cycles", false),
    ("POST", "/api/v1/cycles", false),
    ("GET", "/api/v1/cycles/{year}", false),
    ("PATCH", "/api/v1/cycles/{year}", false),
    ("GET", "/api/v1/datasets", false),
    ("POST", "/api/v1/datasets", false),
    ("GET", "/api/v1/datasets/{id}", false),
    ("PATCH", "/api/v1/datasets/{id}", false),
    ("GET", "/api/v1/households", false),
    ("POST", "/api/v1/households", false),
    ("GET", "/api/v1/households/{id}", true),
    ("PATCH", "/api/v1/households/{id}", false),
    ("GET", "/api/v1/households/{id}/history", true),
    ("GET", "/api/v1/households/{id}/members", true),
    ("POST", "/api/v1/households/{id}/members", false),
    (
        "PATCH",
        "/api/v1/households/{id}/members/{member_id}",
        false,
    ),
    (
        "DELETE",
        "/api/v1/households/{id}/members/{member_id}",
        false,
    ),
    ("POST", "/api/v1/household-imports", false),
    ("GET", "/api/v1/household-imports/{id}", false),
    ("GET", "/api/v1/companies", false),
    ("POST", "/api/v1/companies", false),
    ("GET", "/api/v1/companies/{id}", true),
    ("PATCH", "/api/v1/companies/{id}", true),
    ("GET", "/api/v1/programs", false),
    ("POST", "/api/v1/programs", false),
    ("GET", "/api/v1/programs/{id}", true),
    ("PATCH", "/api/v1/programs/{id}", true),
    ("DELETE", "/api/v1/programs/{id}", true),
    ("POST", "/api/v1/programs/{id}/transitions", true),
    ("POST", "/api/v1/programs/{id}/signatures", true),
    ("GET", "/api/v1/programs/{id}/recommendations", true),
    ("GET", "/api/v1/programs/{id}/targets", true),
    ("POST", "/api/v1/programs/{id}/targets", true),
    ("GET", "/api/v1/programs/{id}/targets/{target_id}", true),
    ("PATCH", "/api/v1/programs/{id}/targets/{target_id}", true),
    ("DELETE", "/api/v1/programs/{id}/targets/{target_id}", true),
    ("GET", "/api/v1/exemption-letters", false),
    ("POST", "/api/v1/exemption-letters", false),
    ("GET", "/api/v1/exemption-letters/{id}", true),
    ("POST", "/api/v1/exemption-letters/{id}/review", false),
    ("POST", "/api/v1/exemption-letters/{id}/decision", false),
    ("POST", "/api/v1/exemption-letters/{id}/withdraw", true),
    ("PUT", "/api/v1/exemption-letters/{id}/document", true),
    ("GET", "/api/v1/exemption-letters/{id}/document", true),
    ("GET", "/api/v1/verifications", false),
    ("POST", "/api/v1/verifications", false),
    ("GET", "/api/v1/verifications/{id}", true),
    // --- issue 14: field work as it happens ---
    ("POST", "/api/v1/verifications/batch", false),
    ("POST", "/api/v1/verifications/{id}/photos", true),
    ("GET", "/api/v1/verifications/{id}/photos", true),
    ("GET", "/api/v1/verification-photos/{id}", true),
    ("GET", "/api/v1/programs/{id}/verification-form", false),
    ("POST", "/api/v1/verification-submissions", false),
    // --- end issue 14 ---
    // issue 15: deliveries and their evidence
    (
        "GET",
        "/api/v1/programs/{id}/targets/{target_id}/deliveries",
        true,
    ),
    (
        "POST",
        "/api/v1/programs/{id}/targets/{target_id}/deliveries",
        true,
    ),
    ("GET", "/api/v1/deliveries/{id}", true),
    ("DELETE", "/api/v1/deliveries/{id}", true),
    ("POST", "/api/v1/deliveries/{id}/confirm", true),
    ("POST", "/api/v1/deliveries/{id}/evidence", true),
    ("GET", "/api/v1/evidence/{id}", true),
    // issue 15: realisation reports, the realisation of a cycle, the public summary
    ("GET", "/api/v1/realisation-reports", false),
    ("POST", "/api/v1/realisation-reports", false),
    ("GET", "/api/v1/realisation-reports/{id}", true),
    ("POST", "/api/v1/realisation-reports/{id}/submit", true),
    ("POST", "/api/v1/realisation-reports/{id}/review", true),
    ("GET", "/api/v1/cycles/{year}/realisation", false),
    ("GET", "/api/v1/public/summary", false),
    // issue 15: the agreement annex
    ("GET", "/api/v1/programs/{id}/annex", true),
    ("GET", "/api/v1/cycles/{year}/compliance", false),
    ("GET", "/api/v1/cycles/{year}/coverage", false),
    ("GET", "/api/v1/cycles/{year}/exposure", false),
    // change requests (issue 14)
    ("GET", "/api/v1/change-requests", false),
    ("POST", "/api/v1/change-requests", false),
    ("GET", "/api/v1/change-requests/export", false),
    ("GET", "/api/v1/change-requests/{id}", false),
    ("POST", "/api/v1/change-requests/{id}/decision", false),
    ("POST", "/api/v1/change-requests/{id}/withdraw", false),
    ("GET", "/api/v1/audit-events", false),
    ("GET", "/api/v1/events", false),
    ("GET", "/api/v1/webhooks", false),
    ("POST", "/api/v1/webhooks", false),
    ("GET", "/api/v1/webhooks/{id}", true),
    ("PATCH", "/api/v1/webhooks/{id}", true),
    ("DELETE", "/api/v1/webhooks/{id}", true),
    ("GET", "/api/v1/webhooks/{id}/deliveries", true),
    ("GET", "/health/live", false),
    ("GET", "/health/ready", false),
];

/// The records the calls are made on, one per destructive operation so a
/// DELETE does not take away what the next operation needs.
struct Fixture {
    ids: HashMap<&'static str, String>,
}

impl Fixture {
    fn path(&self, method: &str, template: &str) -> String {
        let key = |k: &str| format!("{method} {template} {k}");
        let mut path = template.to_string();
        for param in ["id", "member_id", "target_id", "code", "year"] {
            let placeholder = format!("{{{param}}}");
            if path.contains(&placeholder) {
                let value = self
                    .ids
                    .get(key(param).as_str())
                    .or_else(|| self.ids.get(format!("{template} {param}").as_str()))
                    .unwrap_or_else(|| panic!("no fixture for {param} in {method} {template}"));
                path = path.replace(&placeholder, value);
            }
        }
        path
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

async fn fixture(app: &TestApp) -> Fixture {
    let files = demo_files(150, 9);
    // Every other family comes from a snapshot that forbids onward sharing,
    // so company answers hold pseudonymised households beside masked ones.
    let gated = app
        .post(
            "/api/v1/datasets",
            Role::Bappeda,
            json!({"source": "p3ke", "version": "gated", "onward_sharing": false}),
        )
        .await;
    assert_eq!(gated.status, 201, "{}", gated.body);
    let (even, odd) = common::split_rows(&files.families_csv);
    app.import(
        &format!("p3ke&dataset_id={}", gated.body["id"].as_str().unwrap()),
        "text/csv",
        &even,
    )
    .await;
    let import = app.import("p3ke", "text/csv", &odd).await;
    app.import("p3ke", "text/csv", &files.members_csv).await;
    app.cycle(YEAR, 5, 6, 10, 20).await;
    let mut ids: HashMap<&'static str, String> = HashMap::new();
    let mut set = |k: &str, v: &str| {
        ids.insert(leak(k.to_string()), v.to_string());
    };
    let program = |title: &str| {
        app.post(
            "/api/v1/programs",
            Role::Bappeda,
            json!({"cycle_year": YEAR, "company_id": DEMO_COMPANY, "title": title,
            "type": "housing", "strategy": "reduce_burden", "budget": 1, "opd_code": "DINSOS"}),
        )
    };
    let p = program("main").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p_delete = program("to delete").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let recs = app
        .get(
            &format!("/api/v1/programs/{p}/recommendations?limit=5"),
            Role::Company,
        )
        .await;
    assert_eq!(recs.status, 200, "{}", recs.body);
    let pseudonymised = |flag: bool| {
        recs.body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["household"]["pseudonymised"] == flag)
    };
    assert!(pseudonymised(true) && pseudonymised(false), "{}", recs.body);
    let household = recs.body[0]["household"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let targets_path = format!("/api/v1/programs/{p}/targets");
    let target = |hid: String| app.post(&targets_path, Role::Company, json!({"household_id": hid}));
    let t = target(
        recs.body[1]["household"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let t_delete = target(
        recs.body[2]["household"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let members_path = format!("/api/v1/households/{household}/members");
    let member = |name: &str| app.post(&members_path, Role::Bappeda, json!({"name": name}));
    let m = member("for patch").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let m_delete = member("for delete").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = |name: &str| {
        app.post(
            "/api/v1/users",
            Role::Admin,
            json!({"username": name, "password": "long-enough-pw", "role": "viewer"}),
        )
    };
    let u = user("u-patch").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let u_delete = user("u-delete").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let letter = app
        .post(
            "/api/v1/exemption-letters",
            Role::Company,
            json!({"cycle_year": YEAR, "letter_number": "001/X", "letter_date": common::day(0),
            "reason_category": "financial_hardship", "reason": "merugi"}),
        )
        .await;
    assert_eq!(letter.status, 201, "{}", letter.body);
    let l = letter.body["id"].as_str().unwrap().to_string();
    let report = app
        .post(
            "/api/v1/realisation-reports",
            Role::Company,
            json!({"period": format!("{YEAR}-Q1")}),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let r = report.body["id"].as_str().unwrap().to_string();
    let pdf = app
        .send(
            app.req(
                Method::PUT,
                &format!("/api/v1/exemption-letters/{l}/document"),
                Role::Company,
            )
            .insert_header(("content-type", "application/pdf"))
            .set_payload(b"%PDF-1.4\n%%EOF\n".to_vec()),
        )
        .await;
    assert!(pdf.status.is_success(), "{}", pdf.body);

    let webhook = || async {
        let r = app
            .post("/api/v1/webhooks", Role::Company, webhook_body())
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    };
    let w = webhook().await;
    let w_delete = webhook().await;

    // A submitted change request to decide, and one its submitter withdrew
    // (closed for every caller alike).
    let change_request = || {
        app.post(
            "/api/v1/change-requests",
            Role::Bappeda,
            json!({"type": "correction", "household_id": household, "payload": {"address": "Jl. Matriks"},
            "reason": "matrix"}),
        )
    };
    let cr = change_request().await;
    assert_eq!(cr.status, 201, "{}", cr.body);
    let cr = cr.body["id"].as_str().unwrap().to_string();
    let cr_closed = change_request().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let withdrawn = app
        .post(
            &format!("/api/v1/change-requests/{cr_closed}/withdraw"),
            Role::Bappeda,
            json!({}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);

    for (template, param, value) in [
        ("/api/v1/change-requests/{id}", "id", cr.clone()),
        ("/api/v1/change-requests/{id}/decision", "id", cr.clone()),
        (
            "/api/v1/change-requests/{id}/withdraw",
            "id",
            cr_closed.clone(),
        ),
        ("/api/v1/webhooks/{id}", "id", w.clone()),
        ("/api/v1/webhooks/{id}/deliveries", "id", w.clone()),
        ("/api/v1/users/{id}", "id", u.clone()),
        ("/api/v1/regions/{code}", "code", "64.02.06".to_string()),
        ("/api/v1/cycles/{year}", "year", YEAR.to_string()),
        ("/api/v1/households/{id}", "id", household.clone()),
        ("/api/v1/households/{id}/members", "id", household.clone()),
        ("/api/v1/households/{id}/history", "id", household.clone()),
        (
            "/api/v1/households/{id}/members/{member_id}",
            "id",
            household.clone(),
        ),
        (
            "/api/v1/households/{id}/members/{member_id}",
            "member_id",
            m.clone(),
        ),
        (
            "/api/v1/household-imports/{id}",
            "id",
            import.body["id"].as_str().unwrap().to_string(),
        ),
        ("/api/v1/companies/{id}", "id", DEMO_COMPANY.to_string()),
        (
            "/api/v1/datasets/{id}",
            "id",
            import.body["dataset_id"].as_str().unwrap().to_string(),
        ),
        ("/api/v1/programs/{id}", "id", p.clone()),
        ("/api/v1/programs/{id}/transitions", "id", p.clone()),
        ("/api/v1/programs/{id}/signatures", "id", p.clone()),
        ("/api/v1/programs/{id}/recommendations", "id", p.clone()),
        ("/api/v1/programs/{id}/targets", "id", p.clone()),
        ("/api/v1/programs/{id}/targets/{target_id}", "id", p.clone()),
        (
            "/api/v1/programs/{id}/targets/{target_id}",
            "target_id",
            t.clone(),
        ),
        ("/api/v1/programs/{id}/verification-form", "id", p.clone()),
        ("/api/v1/programs/{id}/annex", "id", p.clone()),
        (
            "/api/v1/programs/{id}/targets/{target_id}/deliveries",
            "id",
            p.clone(),
        ),
        (
            "/api/v1/programs/{id}/targets/{target_id}/deliveries",
            "target_id",
            t.clone(),
        ),
        (
            "/api/v1/deliveries/{id}",
            "id",
            "no-such-delivery".to_string(),
        ),
        (
            "/api/v1/deliveries/{id}/confirm",
            "id",
            "no-such-delivery".to_string(),
        ),
        (
            "/api/v1/deliveries/{id}/evidence",
            "id",
            "no-such-delivery".to_string(),
        ),
        (
            "/api/v1/evidence/{id}",
            "id",
            "no-such-evidence".to_string(),
        ),
        ("/api/v1/exemption-letters/{id}", "id", l.clone()),
        ("/api/v1/exemption-letters/{id}/review", "id", l.clone()),
        ("/api/v1/exemption-letters/{id}/decision", "id", l.clone()),
        ("/api/v1/exemption-letters/{id}/withdraw", "id", l.clone()),
        ("/api/v1/exemption-letters/{id}/document", "id", l.clone()),
        (
            "/api/v1/verifications/{id}",
            "id",
            "no-such-verification".to_string(),
        ),
        // issue 14: photos of visits
        (
            "/api/v1/verifications/{id}/photos",
            "id",
            "no-such-verification".to_string(),
        ),
        (
            "/api/v1/verification-photos/{id}",
            "id",
            "no-such-photo".to_string(),
        ),
        ("/api/v1/cycles/{year}/compliance", "year", YEAR.to_string()),
        ("/api/v1/cycles/{year}/coverage", "year", YEAR.to_string()),
        ("/api/v1/cycles/{year}/exposure", "year", YEAR.to_string()),
        (
            "/api/v1/cycles/{year}/realisation",
            "year",
            YEAR.to_string(),
        ),
        ("/api/v1/realisation-reports/{id}", "id", r.clone()),
        ("/api/v1/realisation-reports/{id}/submit", "id", r.clone()),
        ("/api/v1/realisation-reports/{id}/review", "id", r.clone()),
    ] {
        set(&format!("{template} {param}"), &value);
    }
    set("DELETE /api/v1/users/{id} id", &u_delete);
    set("DELETE /api/v1/webhooks/{id} id", &w_delete);
    set("DELETE /api/v1/programs/{id} id", &p_delete);
    set(
        "DELETE /api/v1/programs/{id}/targets/{target_id} target_id",
        &t_delete,
    );
    set(
        "DELETE /api/v1/households/{id}/members/{member_id} member_id",
        &m_delete,
    );
    Fixture { ids }
}

fn webhook_body() -> Value {
    json!({"url": "https://erp.example.co.id/hooks/rbpk", "events": ["program.signed"],
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
}

/// A body the operation accepts, so an allowed role passes extraction and a
/// forbidden one meets the role check.
fn request(app: &TestApp, method: &str, template: &str, path: &str) -> TestRequest {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let req = TestRequest::default().method(m).uri(path);
    let body = match (method, template) {
        ("POST", "/api/v1/auth/token") => {
            json!({"username": "viewer", "password": common::PASSWORD})
        }
        ("POST", "/api/v1/users") => {
            json!({"username": format!("n{}", uuid::Uuid::new_v4().simple()), "password": "long-enough-pw", "role": "viewer"})
        }
        ("POST", "/api/v1/cycles") => json!({"year": 2040}),
        ("POST", "/api/v1/datasets") => {
            json!({"source": "dtsen", "version": "matrix", "onward_sharing": false})
        }
        ("POST", "/api/v1/households") => {
            json!({"head_name": "Matrix", "region_code": "64.02.06.1001"})
        }
        ("POST", "/api/v1/households/{id}/members") => json!({"name": "Matrix"}),
        ("POST", "/api/v1/companies") => {
            json!({"name": "PT Matriks", "legal_form": "pt", "nib": "8120104567000", "sector": "other",
            "address": "Tenggarong", "contact_name": "X", "contact_email": "x@example.com", "contact_phone": "0812-0000-0000", "working_area": ["64.02.06"]})
        }
        ("POST", "/api/v1/programs") => {
            json!({"cycle_year": YEAR, "company_id": DEMO_COMPANY, "title": "M", "type": "water", "strategy": "reduce_burden", "budget": 1})
        }
        ("POST", "/api/v1/programs/{id}/transitions") => json!({"action": "start"}),
        ("POST", "/api/v1/programs/{id}/signatures") => {
            json!({"agreement_number": "X", "signed_on": "2020-01-01"})
        }
        ("POST", "/api/v1/programs/{id}/targets") => json!({"household_id": "none"}),
        ("POST", "/api/v1/exemption-letters") => {
            json!({"cycle_year": YEAR, "letter_number": "002/X", "letter_date": common::day(0), "reason_category": "other", "reason": "x"})
        }
        ("POST", "/api/v1/webhooks") => webhook_body(),
        ("POST", "/api/v1/verifications") => {
            json!({"target_id": "none", "visited_on": common::day(0), "result": "eligible"})
        }
        // --- issue 14: field work as it happens ---
        ("POST", "/api/v1/verifications/batch") => {
            json!({"items": [{"client_id": "matrix-1", "target_id": "00000000-0000-4000-8000-00000000dead",
                "visited_on": common::day(0), "result": "eligible", "recorded_at": "2026-12-04T05:10:00Z"}]})
        }
        ("POST", "/api/v1/verifications/{id}/photos") => {
            return req
                .insert_header(("content-type", "image/png"))
                .set_payload(b"\x89PNG\r\n\x1a\n".to_vec());
        }
        ("POST", "/api/v1/verification-submissions") => {
            return req.insert_header(("content-type", "text/csv")).set_payload(
                "target_id,visited_on,result,meta-instanceID\nnone,2026-12-04,eligible,uuid:matrix\n"
                    .as_bytes()
                    .to_vec(),
            );
        }
        // --- end issue 14 ---
        ("POST", "/api/v1/programs/{id}/targets/{target_id}/deliveries") => {
            json!({"delivered_on": common::day(0), "item": "Semen", "quantity": 1, "unit": "sak", "value": 1})
        }
        ("POST", "/api/v1/deliveries/{id}/evidence") => {
            return req
                .insert_header(("content-type", "image/png"))
                .set_payload(common::png());
        }
        ("POST", "/api/v1/exemption-letters/{id}/review") => {
            json!({"recommendation": "accept", "note": "ok"})
        }
        ("POST", "/api/v1/exemption-letters/{id}/decision") => {
            json!({"decision": "accepted", "note": "ok"})
        }
        ("POST", "/api/v1/exemption-letters/{id}/withdraw") => json!({}),
        ("POST", "/api/v1/change-requests") => {
            json!({"type": "correction", "household_id": "none", "payload": {"address": "x"}, "reason": "matrix"})
        }
        ("POST", "/api/v1/change-requests/{id}/decision") => {
            json!({"decision": "approve", "note": "ok"})
        }
        ("GET", "/api/v1/change-requests/export") => {
            return req.uri(&format!("{path}?month=2031-01"));
        }
        ("GET", "/api/v1/public/summary") => {
            return req.uri(&format!("{path}?cycle={YEAR}"));
        }
        ("POST", "/api/v1/realisation-reports") => json!({"period": format!("{YEAR}-Q2")}),
        ("POST", "/api/v1/realisation-reports/{id}/submit") => json!({}),
        ("POST", "/api/v1/realisation-reports/{id}/review") => {
            json!({"decision": "request_revision", "note": "matrix"})
        }
        ("PUT", "/api/v1/exemption-letters/{id}/document") => {
            return req
                .insert_header(("content-type", "application/pdf"))
                .set_payload(b"%PDF-1.4\n%%EOF\n".to_vec());
        }
        ("POST", "/api/v1/household-imports") => {
            return req
                .uri(&format!("{path}?format=p3ke"))
                .insert_header(("content-type", "text/csv"))
                .set_payload("ID Keluarga P3KE,Kode Kemdagri,Desil Kesejahteraan,Nama Kepala Keluarga,NIK Kepala Keluarga\n".as_bytes().to_vec());
        }
        ("PATCH", _) => json!({}),
        _ => Value::Null,
    };
    let _ = app;
    if body.is_null() {
        req
    } else {
        req.set_json(body)
    }
}

fn with_token(req: TestRequest, token: &str) -> TestRequest {
    req.insert_header(("Authorization", format!("Bearer {token}")))
}

fn expired_token(app: &TestApp) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "admin", "role": "admin", "iat": now - 7200, "exp": now - 3600, "iss": "rbpk", "aud": "rbpk-api"});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(app.state.config.jwt.secret.expose().as_bytes()).unwrap(),
    )
    .unwrap()
}

fn foreign_token() -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "admin", "role": "admin", "iat": now, "exp": now + 600, "iss": "rbpk", "aud": "rbpk-api"});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(b"some-other-key-some-other-key-000").unwrap(),
    )
    .unwrap()
}

#[actix_web::test]
async fn every_operation_answers_each_caller_as_the_matrix_says() {
    let app = TestApp::spawn_with(|c| c.login_attempts_per_minute = 1000).await;
    let fx = fixture(&app).await;
    let (_, other_company) = app
        .company("PT Lain", "8120104567111", "mining", &["64.02.06"])
        .await;

    // Every documented operation is in the table, and nothing else.
    let api = serde_json::to_value(rbpk::app::openapi_document()).unwrap();
    let documented: BTreeSet<(String, String)> = api["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let table: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "operations missing from the authorization matrix: {missing:?}"
    );
    let stale: Vec<_> = table.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "matrix rows without an operation: {stale:?}"
    );

    let expired = expired_token(&app);
    let foreign = foreign_token();
    // Forbidden roles first, so an allowed DELETE runs after them.
    let order = [P, W, C, V, O, U, B, A];
    let mut calls = 0;
    for (method, template, scoped) in MATRIX {
        let path = fx.path(method, template);
        let context = format!("{method} {template}");
        let op = &api["paths"][*template][method.to_lowercase()];
        let id = op["operationId"].as_str().unwrap();
        let access = access::of(id).unwrap_or_else(|| panic!("{context}: no declaration"));
        let allowed = access.roles();
        // The contract names the same roles as scopes (public: no security).
        let scopes: Vec<&str> = op["security"][0]["bearer"]
            .as_array()
            .map(|s| s.iter().map(|r| r.as_str().unwrap()).collect())
            .unwrap_or_default();
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        assert_eq!(scopes, names, "{context}: security scopes");
        if !access.needs_token() {
            let resp = app.send(request(&app, method, template, &path)).await;
            assert!(
                resp.status.is_success(),
                "{context} is public: {} {}",
                resp.status,
                resp.body
            );
            calls += 1;
            continue;
        }
        for (label, token) in [
            ("no token", None),
            ("expired", Some(expired.as_str())),
            ("other key", Some(foreign.as_str())),
        ] {
            let req = request(&app, method, template, &path);
            let req = match token {
                Some(t) => with_token(req, t),
                None => req,
            };
            let resp = app.send(req).await;
            assert_eq!(resp.status, 401, "{context} with {label}: {}", resp.body);
            assert_eq!(
                resp.header("content-type").as_deref(),
                Some("application/problem+json")
            );
            calls += 1;
        }
        if *scoped {
            let resp: Resp = app
                .send(with_token(
                    request(&app, method, template, &path),
                    &other_company,
                ))
                .await;
            let expected = if allowed.contains(&C) { 404 } else { 403 };
            assert_eq!(
                resp.status.as_u16(),
                expected,
                "{context} for another company: {}",
                resp.body
            );
            calls += 1;
        }
        for role in order {
            let resp = app
                .send(with_token(
                    request(&app, method, template, &path),
                    &app.token(role),
                ))
                .await;
            calls += 1;
            if allowed.contains(&role) {
                assert!(
                    resp.status != 401 && resp.status != 403,
                    "{context} must be open to {role}: {} {}",
                    resp.status,
                    resp.body
                );
                assert_ne!(
                    resp.status.as_u16(),
                    500,
                    "{context} as {role}: {}",
                    resp.body
                );
            } else {
                assert_eq!(
                    resp.status, 403,
                    "{context} must be closed to {role}: {}",
                    resp.body
                );
            }
            if role == C {
                assert_masked(&resp.body, &context);
            }
        }
    }
    assert!(calls > 300, "{calls}");
}
