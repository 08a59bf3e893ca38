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
            if op.get("security").is_some() {
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
