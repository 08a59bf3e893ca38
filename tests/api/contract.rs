//! The committed contract must be what the code generates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rbpk::app::openapi_document;
use rbpk::openapi::to_pretty_json;

#[test]
fn committed_openapi_matches_the_code() {
    let generated = to_pretty_json(&openapi_document());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    assert!(
        generated == committed,
        "openapi/openapi.json is stale: run `cargo run -- openapi --out openapi/openapi.json` and commit it"
    );
}

#[test]
fn every_operation_names_its_roles_and_documents_errors() {
    let api = serde_json::to_value(openapi_document()).unwrap();
    assert_eq!(api["openapi"], "3.1.0");
    let paths = api["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let description = op["description"].as_str().unwrap_or("");
            assert!(
                description.contains("**Roles:**"),
                "{method} {path} does not name its roles"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses
                    .keys()
                    .any(|s| s.starts_with('2') || s.starts_with('3')),
                "{method} {path}: no success response"
            );
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
        }
    }
}

/// The committed lifecycle table must match the code. To refresh it:
/// `RBPK_WRITE_DOCS=1 cargo test --test contract`.
#[test]
fn committed_lifecycle_table_matches_the_transition_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/program-lifecycle.md");
    let generated = rbpk::domain::program::markdown_table();
    if std::env::var_os("RBPK_WRITE_DOCS").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    assert_eq!(committed, generated, "docs/program-lifecycle.md is stale");
}

/// Every `$ref` of the contract names a component that exists.
#[test]
fn every_reference_in_the_contract_resolves() {
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, val) in map {
                    match (k.as_str(), val.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(val, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
            _ => {}
        }
    }
    let api = serde_json::to_value(openapi_document()).unwrap();
    let mut found = Vec::new();
    refs(&api, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let path: Vec<&str> = r.trim_start_matches("#/").split('/').collect();
        let target = path.iter().fold(&api, |v, p| &v[*p]);
        assert!(!target.is_null(), "unresolved reference {r}");
    }
}

/// Enumerations are documented with the exact strings on the wire.
#[test]
fn documented_enumerations_are_the_wire_strings() {
    let api = serde_json::to_value(openapi_document()).unwrap();
    let role = &api["components"]["schemas"]["Role"]["enum"];
    assert_eq!(
        role,
        &serde_json::json!([
            "admin", "bappeda", "bupati", "opd", "verifier", "company", "viewer", "operator"
        ])
    );
    let t = &api["components"]["schemas"]["ProgramType"]["enum"];
    assert!(
        t.as_array()
            .unwrap()
            .contains(&serde_json::json!("social_security")),
        "{t}"
    );
    for (name, schema) in api["components"]["schemas"].as_object().unwrap() {
        if let Some(values) = schema["enum"].as_array() {
            for v in values {
                let s = v.as_str().unwrap_or("");
                assert!(
                    s.chars().all(|c| !c.is_ascii_uppercase()),
                    "{name} documents {s}"
                );
            }
        }
    }
}

#[test]
fn every_post_takes_an_idempotency_key_and_every_response_names_its_request_id() {
    let api = serde_json::to_value(openapi_document()).unwrap();
    assert_eq!(api["servers"][0]["url"], "/");
    assert!(api["info"]["contact"]["name"].is_string());
    let shared = &api["components"]["responses"];
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if method == "post" && secured {
                let takes_key = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
                });
                assert!(takes_key, "POST {path} does not document Idempotency-Key");
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = match response["$ref"].as_str() {
                    Some(r) => &shared[r.rsplit('/').next().unwrap()],
                    None => response,
                };
                assert!(
                    response["headers"]["X-Request-Id"].is_object(),
                    "{method} {path} {status}: no X-Request-Id header"
                );
            }
        }
    }
}

#[test]
fn the_problem_schema_is_one_object_that_admits_extra_members() {
    let api = serde_json::to_value(openapi_document()).unwrap();
    let problem = &api["components"]["schemas"]["Problem"];
    // No allOf with an empty object: generated clients read that as
    // `Record<string, never> & …`, which no problem fits.
    assert!(problem.get("allOf").is_none(), "{problem}");
    assert_eq!(problem["type"], "object");
    assert_eq!(problem["additionalProperties"], true);
    for member in ["type", "title", "status", "detail", "code"] {
        assert!(problem["properties"][member].is_object(), "{member}");
    }
}

/// Every value a client meets has a bound and every parameter says what it
/// is, so later operations keep the contract as precise as spectral's OWASP
/// rules and schemathesis' acceptance checks demand (the CI runs both).
#[test]
fn every_value_has_a_bound_and_every_parameter_a_description() {
    fn walk(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                let types: Vec<&str> = match o.get("type") {
                    Some(serde_json::Value::String(t)) => vec![t.as_str()],
                    Some(serde_json::Value::Array(ts)) => {
                        ts.iter().filter_map(|t| t.as_str()).collect()
                    }
                    _ => vec![],
                };
                let closed = o.contains_key("enum") || o.contains_key("const");
                if types.contains(&"string") && !closed && !o.contains_key("maxLength") {
                    out.push(format!("{at}: a string without maxLength"));
                }
                if types.contains(&"integer")
                    && !closed
                    && !(o.contains_key("minimum") && o.contains_key("maximum"))
                {
                    out.push(format!("{at}: an integer without minimum and maximum"));
                }
                if types.contains(&"array") && !o.contains_key("maxItems") {
                    out.push(format!("{at}: an array without maxItems"));
                }
                for (k, child) in o {
                    if k != "example" && k != "examples" {
                        walk(child, &format!("{at}/{k}"), out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let api = serde_json::to_value(openapi_document()).unwrap();
    let mut problems = Vec::new();
    walk(&api, "#", &mut problems);
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["description"].as_str().unwrap_or("").is_empty() {
                    problems.push(format!(
                        "{method} {path}: parameter {} undescribed",
                        p["name"]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
