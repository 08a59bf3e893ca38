//! The published contract: the OpenAPI document's frame (info, security,
//! tags), each operation's security and `**Roles:**` line (from its
//! declaration in `api::access`) and the error responses every operation
//! shares. The paths themselves come from the route registrations in
//! `app.rs`, so a route cannot exist undocumented.

use serde_json::json;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

pub mod codes;

use crate::api::access;
use crate::auth::{Access, Callers};
use crate::error::{Problem, PROBLEM_TYPE_BASE};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "RBPK API",
        version = "1.0.0",
        description = "Rumah Besar Penanggulangan Kemiskinan, Kabupaten Kutai Kartanegara: \
by-name-by-address data of poor families (P3KE, DTKS) shared with the companies that fund \
poverty programs as their CSR duty (TJSP), field verification, agreements, exemption letters \
and oversight. Every operation names the roles that may call it; errors are \
`application/problem+json` (RFC 9457) with a stable `code`. Lists take `page` and `per_page` \
(default 50, at most 200) and answer with a `Link` header; unknown query parameters are a 400. \
Records carry an `ETag`; send it back in `If-Match` to update (412 when stale). POSTs take an \
`Idempotency-Key` so a retry returns the first response.",
        license(name = "MIT"),
        contact(name = "Bappeda Kabupaten Kutai Kartanegara", url = "https://rbpk.kukarkab.go.id")
    ),
    servers((url = "/", description = "This service, in whichever environment serves the contract: local, staging or production")),
    modifiers(&Security),
    components(schemas(Problem)),
    tags(
        (name = "auth", description = "Tokens"),
        (name = "users", description = "Accounts (admin)"),
        (name = "regions", description = "Kemendagri regions of Kukar"),
        (name = "cycles", description = "Planning years and their calendar"),
        (name = "datasets", description = "Snapshots of P3KE, DTKS and DTSEN and the hand-over (BAST) each came under"),
        (name = "households", description = "The P3KE/DTKS registry of families and members, and its imports"),
        (name = "programs", description = "Programs, their lifecycle, targets, recommendations and signatures"),
        (name = "companies", description = "Companies with a CSR (TJSP) duty, their contacts and working area"),
        (name = "exemption-letters", description = "A company's letter asking to be exempt from a cycle: review, decision, scanned letter"),
        (name = "verifications", description = "Field visits of program targets in the verification window"),
        (name = "deliveries", description = "What reached each target of a running program, confirmed by the lead agency, with evidence files"),
        (name = "realisation", description = "Companies' periodic TJSL realisation reports and the realisation of a cycle, plan against delivery"),
        (name = "public", description = "What anyone may read without a token: the summary of a cycle, small counts suppressed"),
        (name = "reports", description = "Compliance of companies and coverage of families per cycle, as JSON, CSV or XLSX"),
        (name = "change-requests", description = "Requests to change the registry from the field, their decision, and the monthly SIKS-NG export"),
        (name = "audit", description = "Audit trail"),
        (name = "events", description = "What happened, in order, for systems that poll (docs/EVENTS.md)"),
        (name = "webhooks", description = "Events pushed to a company's or agency's system, signed the Standard Webhooks way"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A token from POST /api/v1/auth/token, or one signed by the \
                         configured identity provider. Tokens follow RFC8725 (JWT Best \
                         Current Practices): the algorithm is fixed per key (HS256 for \
                         ours), `exp`, `iss` and `aud` are required and checked, and each \
                         token is checked against its account on every request",
                    ))
                    .build(),
            ),
        );
    }
}

/// The frame of the document, before the paths are collected.
pub fn base() -> OpenApi {
    let mut api = ApiDoc::openapi();
    // The one server is the instance serving the contract, whatever its
    // environment: say so for inventories (OWASP API9).
    for server in api.servers.iter_mut().flatten() {
        let mut internal = utoipa::openapi::extensions::Extensions::default();
        internal.insert("x-internal".to_string(), json!(false));
        server.extensions = Some(internal);
    }
    api
}

/// Shared error responses: (status, component name, description, example code).
const SHARED: &[(&str, &str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed request: bad JSON, unknown or bad query parameter, text with a NUL character",
        "invalid_query",
    ),
    (
        "401",
        "Unauthorized",
        "No token, or a bad or expired one",
        "missing_token",
    ),
    (
        "403",
        "Forbidden",
        "The caller's role may not do this",
        "forbidden",
    ),
    (
        "404",
        "NotFound",
        "No such record, or one outside the caller's reach",
        "not_found",
    ),
    (
        "409",
        "Conflict",
        "Conflicts with the record's state, or the Idempotency-Key is in use",
        "idempotency_in_progress",
    ),
    (
        "412",
        "PreconditionFailed",
        "If-Match names a version that is no longer current",
        "stale_etag",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than allowed",
        "payload_too_large",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body's media type is not accepted",
        "unsupported_media_type",
    ),
    (
        "422",
        "UnprocessableContent",
        "Valid shape, invalid content; `errors[]` names the fields",
        "validation_failed",
    ),
    (
        "500",
        "InternalServerError",
        "An unexpected failure; it has been logged under the response's X-Request-Id",
        "internal_error",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The database cannot be reached; retry",
        "service_unavailable",
    ),
];

fn shared_response(status: &str, description: &str, code: &str) -> utoipa::openapi::Response {
    let example = json!({
        "type": format!("{PROBLEM_TYPE_BASE}{code}"),
        "title": actix_web::http::StatusCode::from_bytes(status.as_bytes())
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
        "status": status.parse::<u16>().unwrap_or(500),
        "detail": description,
        "code": code,
    });
    ResponseBuilder::new()
        .description(description)
        .header("X-Request-Id", request_id_header())
        .header("Access-Control-Allow-Origin", cors_origin_header())
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
}

/// The example of an operation's own error answer: its status, and the
/// first code its description names (`` `already_targeted`: … ``), so Swagger
/// UI shows each status its own problem rather than the schema's 422.
fn own_example(status: &str, description: &str) -> serde_json::Value {
    let code = description
        .split('`')
        .nth(1)
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        .unwrap_or("error");
    json!({
        "type": format!("{PROBLEM_TYPE_BASE}{code}"),
        "title": actix_web::http::StatusCode::from_bytes(status.as_bytes())
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
        "status": status.parse::<u16>().unwrap_or(500),
        "detail": description,
        "code": code,
    })
}

/// Writes an operation's declaration into it: the security requirement
/// (`bearer` with the roles as scopes; none when public) and the
/// `**Roles:**` line that opens its description, before the prose about
/// which records each role reaches.
fn declare(op: &mut Operation, access: &Access) {
    op.security = Some(if access.needs_token() {
        vec![SecurityRequirement::new(
            "bearer",
            access.roles().iter().map(|r| r.as_str()),
        )]
    } else {
        Vec::new()
    });
    let line = access.roles_line();
    op.description = Some(match op.description.take() {
        Some(prose) if !prose.trim().is_empty() => format!("{line}\n\n{prose}"),
        _ => line,
    });
}

/// Which shared errors an operation can answer, from its shape.
fn statuses_for(
    path: &str,
    method: &HttpMethod,
    op: &Operation,
    access: Option<&Access>,
) -> Vec<&'static str> {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let any_role = access.is_some_and(|a| a.callers == Callers::Authenticated);
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut out = Vec::new();
    if has_body || has_params {
        out.push("400");
    }
    if secured {
        out.push("401");
        if !any_role {
            out.push("403");
        }
    }
    if path.contains('{') {
        out.push("404");
    }
    // A POST may meet an Idempotency-Key in use or a duplicate; a PATCH a
    // unique value another record holds.
    if matches!(method, HttpMethod::Post | HttpMethod::Patch) && secured {
        out.push("409");
    }
    let takes_if_match = op
        .parameters
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|p| p.name.eq_ignore_ascii_case("If-Match")));
    if takes_if_match
        || (matches!(method, HttpMethod::Patch | HttpMethod::Delete) && path.contains('{'))
    {
        out.push("412");
    }
    if has_body {
        out.extend(["413", "415", "422"]);
    } else if *method == HttpMethod::Post && secured {
        // An Idempotency-Key used before for another request.
        out.push("422");
    }
    out.push("500");
    if path != "/health/live" && path != "/api/v1/auth/me" {
        out.push("503");
    }
    out
}

/// The header every response carries (`api::middleware::request_id`).
fn request_id_header() -> utoipa::openapi::header::Header {
    header(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(128)),
        "The request's id: the client's `X-Request-Id` when it is 1–128 visible \
         characters, else one the service made; audit events carry it",
    )
}

/// `Vary: Accept` on answers whose representation `Accept` chose.
fn vary_header() -> utoipa::openapi::header::Header {
    string_header(
        "Includes `Accept`: the representation (JSON, CSV, XLSX) follows the Accept header",
    )
}

/// `Accept` on the reports (`api::reports::negotiate`): the media types
/// they answer in (an empty value, like none, means JSON); anything else is
/// a 406.
fn describe_accept(param: &mut utoipa::openapi::path::Parameter) {
    use crate::api::reports::{CSV, XLSX};
    param.schema = Some(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["application/json", CSV, XLSX, "*/*", ""]))
            .into(),
    );
}

/// `If-Match` as RFC 9110 reads it (`api::if_match`, `db::IfMatch`).
fn describe_if_match(param: &mut utoipa::openapi::path::Parameter) {
    param.description = Some(
        "Entity tags of the versions you read, as the `ETag` gave them (`\"3\"`), \
         or `*`. Compared strongly (RFC 9110): a weak tag (`W/\"3\"`) matches no \
         version; a list (`\"2\", \"3\"`) matches any version it names. No match: 412."
            .to_string(),
    );
    param.schema = Some(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r#"^\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*$"#))
            .examples([json!("\"3\"")])
            .into(),
    );
}

/// The `Idempotency-Key` parameter every POST takes (`api::middleware::idempotency`).
fn idempotency_key_parameter() -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "Any 1–255 visible characters, unique per request the client means once. \
             A retry with the same key and body gets the first answer again \
             (`Idempotent-Replayed: true`); the same key with another body is a 422, \
             one still being processed a 409. Keys are per caller.",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .min_length(Some(1))
                .max_length(Some(255)),
        ))
        .build()
}

/// Writes what the route registrations cannot say: each operation's
/// declaration (security scopes, `**Roles:**` line), the shared error
/// responses it can answer (keeping any it documents itself), the
/// parameters and headers every operation shares, the bounds of every value
/// (`bound_every_value`), create schemas, list pages' item references, file
/// bodies and the links from creating POSTs. An operation without a
/// declaration is left unsecured; a test in `api::access` fails on it.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let api_paths_request_refs = request_body_refs(&api);
    let components = api.components.get_or_insert_with(Default::default);
    // A problem may carry members of its own (`other_program_id`, `cap`, …):
    // the schema says so, so that any RFC 9457 body fits it.
    if let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(problem))) =
        components.schemas.get_mut("Problem")
    {
        problem.additional_properties = Some(Box::new(
            utoipa::openapi::schema::AdditionalProperties::FreeForm(true),
        ));
    }
    for (_, name, description, code) in SHARED {
        let status = SHARED
            .iter()
            .find(|s| s.1 == *name)
            .map(|s| s.0)
            .unwrap_or("500");
        components.responses.insert(
            name.to_string(),
            RefOr::T(shared_response(status, description, code)),
        );
    }
    let links = creation_links(&api.paths);
    let components = api.components.get_or_insert_with(Default::default);
    close_tagged_bodies(components);
    refer_pages_to_items(components);
    for c in CREATE_SCHEMAS {
        derive_create_schema(components, c.change, c.required, c.refused, c.name);
    }
    let mut requested = api_paths_request_refs;
    requested.extend(CREATE_SCHEMAS.iter().map(|c| c.name.to_string()));
    let requested = reachable(components, requested);
    bound_every_value(components, &requested);
    for ((path, name), link) in links {
        if let Some(RefOr::T(created)) = api
            .paths
            .paths
            .get_mut(&path)
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.responses.responses.get_mut("201"))
        {
            created.links.insert(name, RefOr::T(link));
        }
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let ops = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op.as_mut() else { continue };
            let access = op.operation_id.as_deref().and_then(access::of);
            if let Some(access) = access {
                declare(op, access);
            }
            for status in statuses_for(path, &method, op, access) {
                if let Some((_, name, _, _)) = SHARED.iter().find(|s| s.0 == status) {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                }
            }
            if let Some(CreateSchema { name, .. }) = CREATE_SCHEMAS
                .iter()
                .find(|c| Some(c.operation) == op.operation_id.as_deref())
            {
                if let Some(content) = op
                    .request_body
                    .as_mut()
                    .and_then(|b| b.content.get_mut("application/json"))
                {
                    content.schema = Some(RefOr::Ref(Ref::from_schema_name(*name)));
                }
            }
            if let Some(body) = op.request_body.as_mut() {
                for (media_type, content) in body.content.iter_mut() {
                    let limit = upload_limit(op.operation_id.as_deref(), media_type);
                    describe_binary(media_type, content, limit);
                }
            }
            let idempotent = method == HttpMethod::Post && access.is_some_and(|a| a.needs_token());
            for param in op.parameters.iter_mut().flatten() {
                if param.name.eq_ignore_ascii_case("If-Match") {
                    describe_if_match(param);
                }
                if param.name.eq_ignore_ascii_case("Accept") {
                    describe_accept(param);
                }
                describe_paging(param);
                describe_path_parameter(param);
                if let Some(schema) = param.schema.as_mut() {
                    bound_parameter(schema);
                }
            }
            if idempotent {
                let params = op.parameters.get_or_insert_with(Vec::new);
                if !params
                    .iter()
                    .any(|p| p.name.eq_ignore_ascii_case("Idempotency-Key"))
                {
                    params.push(idempotency_key_parameter());
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    finish_response(status, response, idempotent);
                }
            }
        }
    }
    api
}

/// Bodies that create a record take the same struct as the change of it,
/// but the server requires more fields and refuses some: (change schema,
/// required on create, refused on create, create schema, create operation).
/// The create schema is the change schema with those differences, so the
/// two cannot drift apart.
/// A create schema derived from a change schema.
struct CreateSchema {
    change: &'static str,
    required: &'static [&'static str],
    refused: &'static [&'static str],
    name: &'static str,
    operation: &'static str,
}

const CREATE_SCHEMAS: &[CreateSchema] = &[
    CreateSchema {
        change: "HouseholdInput",
        required: &["head_name", "region_code"],
        refused: &["status"],
        name: "NewHousehold",
        operation: "create_household",
    },
    CreateSchema {
        change: "MemberInput",
        required: &["name"],
        refused: &[],
        name: "NewMember",
        operation: "create_member",
    },
];

fn derive_create_schema(
    components: &mut utoipa::openapi::Components,
    change: &str,
    required: &[&str],
    refused: &[&str],
    name: &str,
) {
    use utoipa::openapi::schema::Schema;
    let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(change) else {
        return;
    };
    let mut object = object.clone();
    for field in refused {
        object.properties.remove(*field);
    }
    for field in required {
        object.required.push(field.to_string());
        // Required means present and not null.
        if let Some(RefOr::T(Schema::Object(p))) = object.properties.get_mut(*field) {
            if let utoipa::openapi::schema::SchemaType::Array(types) = &p.schema_type {
                let types: Vec<_> = types
                    .iter()
                    .filter(|t| **t != utoipa::openapi::schema::Type::Null)
                    .cloned()
                    .collect();
                p.schema_type = utoipa::openapi::schema::SchemaType::from_iter(types);
            }
            if let Some(values) = p.enum_values.as_mut() {
                values.retain(|v| !v.is_null());
            }
        }
    }
    object.description = Some(format!(
        "The body that creates the record: `{change}` with {} required{}.",
        required.join(", "),
        if refused.is_empty() {
            String::new()
        } else {
            format!(" and without {}", refused.join(", "))
        }
    ));
    components
        .schemas
        .insert(name.to_string(), RefOr::T(Schema::Object(object)));
}

/// OpenAPI links from each creating POST (`201` with the new record's `id`)
/// to every operation on that record (`POST /programs` → `GET
/// /programs/{id}`, `POST /programs/{id}/targets` → `PATCH
/// /programs/{id}/targets/{target_id}`), derived from the paths, so
/// generated clients and schemathesis' stateful phase follow real ids.
fn creation_links(
    paths: &utoipa::openapi::path::Paths,
) -> Vec<((String, String), utoipa::openapi::link::Link)> {
    let mut out = Vec::new();
    for (path, item) in &paths.paths {
        let creates = item
            .post
            .as_ref()
            .is_some_and(|op| op.responses.responses.contains_key("201"));
        if !creates {
            continue;
        }
        let inherited: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (other, other_item) in &paths.paths {
            let Some(rest) = other.strip_prefix(path.as_str()) else {
                continue;
            };
            let mut segments = rest.split('/').skip(1);
            let Some(new_param) = segments
                .next()
                .and_then(|s| s.strip_prefix('{')?.strip_suffix('}'))
            else {
                continue;
            };
            // Only the record itself and its sub-resources that need no other id.
            if segments.any(|s| s.starts_with('{')) {
                continue;
            }
            let ops = [
                ("get", &other_item.get),
                ("patch", &other_item.patch),
                ("put", &other_item.put),
                ("post", &other_item.post),
                ("delete", &other_item.delete),
            ];
            for (method, op) in ops {
                let Some(operation_id) = op.as_ref().and_then(|o| o.operation_id.clone()) else {
                    continue;
                };
                // The created record carries its key under the parameter's
                // name (`year` of a cycle) or as `id`.
                let key = if new_param == "year" { "year" } else { "id" };
                let mut link = utoipa::openapi::link::LinkBuilder::new()
                    .parameter(new_param, format!("$response.body#/{key}"))
                    .description(format!(
                        "{} the record this request created",
                        method.to_uppercase()
                    ));
                for name in &inherited {
                    link = link.parameter(*name, format!("$request.path.{name}"));
                }
                let mut link = link.build();
                // utoipa 5 writes the field as `operation_id`; OpenAPI
                // names it `operationId`.
                let mut id = utoipa::openapi::extensions::Extensions::default();
                id.insert("operationId".to_string(), json!(operation_id));
                link.extensions = Some(id);
                out.push(((path.clone(), operation_id), link));
            }
        }
    }
    out
}

/// The schemas request bodies name directly.
fn request_body_refs(api: &OpenApi) -> Vec<String> {
    let mut out = Vec::new();
    for item in api.paths.paths.values() {
        for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete]
            .into_iter()
            .flatten()
        {
            for content in op.request_body.iter().flat_map(|b| b.content.values()) {
                if let Some(RefOr::Ref(r)) = &content.schema {
                    out.extend(schema_name(r));
                }
            }
        }
    }
    out
}

fn schema_name(r: &Ref) -> Option<String> {
    r.ref_location
        .strip_prefix("#/components/schemas/")
        .map(str::to_string)
}

/// The `$ref`s a schema holds, at any depth.
fn refs_in(schema: &RefOr<utoipa::openapi::schema::Schema>, out: &mut Vec<String>) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    match schema {
        RefOr::Ref(r) => out.extend(schema_name(r)),
        RefOr::T(Schema::Object(o)) => o.properties.values().for_each(|p| refs_in(p, out)),
        RefOr::T(Schema::Array(a)) => {
            if let ArrayItems::RefOrSchema(items) = &a.items {
                refs_in(items, out);
            }
        }
        RefOr::T(Schema::OneOf(o)) => o.items.iter().for_each(|p| refs_in(p, out)),
        RefOr::T(Schema::AnyOf(o)) => o.items.iter().for_each(|p| refs_in(p, out)),
        RefOr::T(Schema::AllOf(o)) => o.items.iter().for_each(|p| refs_in(p, out)),
        _ => {}
    }
}

/// Every schema reachable from `roots` through `$ref`s.
fn reachable(
    components: &utoipa::openapi::Components,
    roots: Vec<String>,
) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = roots;
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            if let Some(schema) = components.schemas.get(&name) {
                refs_in(schema, &mut todo);
            }
        }
    }
    seen
}

/// Any text without U+0000, which no text of a request may hold.
const NO_NUL: &str = "^[^\\u0000]*$";

/// Largest rows a response array holds when nothing smaller bounds it (a
/// report's rows: regions, companies).
const MAX_RESPONSE_ITEMS: usize = 10_000;

/// Gives every value without a bound of its own the bound that holds for
/// it, so clients and linters see a limit on every string, integer and
/// array. In what clients send: the texts and arrays `api::middleware::
/// body_guard` refuses past `MAX_TEXT` / `MAX_ITEMS`, the integers their
/// type's range (serde refuses the rest). In what the service answers: the
/// longest text the registry can hold (an import cell; texts entered
/// through the API are shorter), the type's range, `MAX_RESPONSE_ITEMS`.
fn bound_every_value(
    components: &mut utoipa::openapi::Components,
    requested: &std::collections::BTreeSet<String>,
) {
    for (name, schema) in components.schemas.iter_mut() {
        bound_schema(schema, requested.contains(name));
    }
}

fn bound_schema(schema: &mut RefOr<utoipa::openapi::schema::Schema>, request: bool) {
    use crate::api::middleware::{MAX_ITEMS, MAX_TEXT};
    use utoipa::openapi::schema::{
        ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type,
    };
    let has = |t: &SchemaType, ty: Type| match t {
        SchemaType::Type(x) => *x == ty,
        SchemaType::Array(xs) => xs.contains(&ty),
        SchemaType::AnyValue => false,
    };
    match schema {
        RefOr::T(Schema::Object(o)) => {
            for p in o.properties.values_mut() {
                bound_schema(p, request);
            }
            let open = o.enum_values.is_none();
            if has(&o.schema_type, Type::String) && open && request && o.pattern.is_none() {
                // `api::middleware::body_guard` refuses U+0000 in any text.
                o.pattern = Some(NO_NUL.to_string());
            }
            if has(&o.schema_type, Type::String) && open && o.max_length.is_none() {
                o.max_length = Some(match &o.format {
                    Some(SchemaFormat::KnownFormat(KnownFormat::Date)) => 10,
                    Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) => 64,
                    Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)) => 36,
                    _ if request => MAX_TEXT,
                    _ => crate::import::limits::MAX_CELL_CHARS,
                });
            }
            if has(&o.schema_type, Type::Integer) && open {
                if o.format.is_none() {
                    o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Int64));
                }
                let (min, max) = match &o.format {
                    Some(SchemaFormat::KnownFormat(KnownFormat::Int32)) => {
                        (i32::MIN as i64, i32::MAX as i64)
                    }
                    _ => (i64::MIN, i64::MAX),
                };
                if o.minimum.is_none() && o.exclusive_minimum.is_none() {
                    o.minimum = Some(min.into());
                }
                if o.maximum.is_none() && o.exclusive_maximum.is_none() {
                    o.maximum = Some(max.into());
                }
            }
        }
        RefOr::T(Schema::Array(a)) => {
            if a.max_items.is_none() {
                a.max_items = Some(if request {
                    MAX_ITEMS
                } else {
                    MAX_RESPONSE_ITEMS
                });
            }
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                bound_schema(items, request);
            }
        }
        RefOr::T(Schema::OneOf(o)) => o.items.iter_mut().for_each(|p| bound_schema(p, request)),
        RefOr::T(Schema::AnyOf(o)) => o.items.iter_mut().for_each(|p| bound_schema(p, request)),
        RefOr::T(Schema::AllOf(o)) => o.items.iter_mut().for_each(|p| bound_schema(p, request)),
        _ => {}
    }
}

/// A query or path parameter without a bound of its own: a text at most
/// `MAX_QUERY_VALUE` characters (`api::middleware::body_guard`), an integer
/// its type's range.
fn bound_parameter(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::Schema;
    bound_schema(schema, true);
    if let RefOr::T(Schema::Object(o)) = schema {
        if o.max_length == Some(crate::api::middleware::MAX_TEXT) {
            o.max_length = Some(crate::api::middleware::MAX_QUERY_VALUE);
        }
    }
}

/// A response header without a bound of its own: a short text (an ETag, a
/// count), at most `MAX_QUERY_VALUE` characters, or its type's range.
fn bound_header(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::Schema;
    if let RefOr::T(Schema::Object(o)) = schema {
        if o.max_length.is_none() && o.enum_values.is_none() {
            o.max_length = Some(crate::api::middleware::MAX_QUERY_VALUE);
        }
    }
    bound_schema(schema, false);
}

/// The path parameters every resource shares: record ids (UUIDs), a cycle's
/// year, a region's code. A value of another shape names no record: 404.
fn describe_path_parameter(param: &mut utoipa::openapi::path::Parameter) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::Type;
    use utoipa::openapi::{KnownFormat, ObjectBuilder, SchemaFormat};
    if param.parameter_in != ParameterIn::Path {
        return;
    }
    let (description, schema) = match param.name.as_str() {
        "id" | "target_id" | "member_id" => (
            match param.name.as_str() {
                "target_id" => "The target's id",
                "member_id" => "The member's id",
                _ => "The record's id",
            },
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .max_length(Some(36)),
        ),
        "year" => (
            "The planning year of the cycle",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(2000))
                .maximum(Some(2100)),
        ),
        "code" => (
            "A region code of Kukar, current or 2019, dotted or not",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(13))
                .pattern(Some(
                    r"^(64\.02(\.[0-9]{2}(\.[0-9]{4})?)?|6402([0-9]{2}([0-9]{4})?)?)$",
                )),
        ),
        _ => return,
    };
    if param.description.as_deref().is_none_or(str::is_empty) {
        param.description = Some(description.to_string());
    }
    param.schema = Some(schema.into());
}

/// `page` and `per_page` as `api::Paging` checks them, on every list.
fn describe_paging(param: &mut utoipa::openapi::path::Parameter) {
    use crate::api::{DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE};
    let (description, default, max) = match param.name.as_str() {
        "page" => (
            format!("1-based page number, default 1, at most {MAX_PAGE}"),
            1,
            MAX_PAGE,
        ),
        "per_page" => (
            format!("Items per page, default {DEFAULT_PER_PAGE}, at most {MAX_PER_PAGE}"),
            DEFAULT_PER_PAGE,
            MAX_PER_PAGE,
        ),
        _ => return,
    };
    param.description = Some(description);
    param.schema = Some(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .maximum(Some(max))
            .default(Some(json!(default)))
            .into(),
    );
}

/// A list page (`Page_Household`, …) names its item schema instead of a copy
/// of it: utoipa inlines a generic's argument, generated clients then get one
/// item type per list.
fn refer_pages_to_items(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if !components.schemas.contains_key(item) {
            continue;
        }
        let item_ref = Ref::from_schema_name(item);
        if let Some(RefOr::T(Schema::Object(page))) = components.schemas.get_mut(&name) {
            if let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") {
                items.items = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(item_ref)));
                items.max_items = Some(crate::api::MAX_PER_PAGE as usize);
            }
        }
    }
}

/// Whether a response's JSON body is a list page (which `Paging::respond`
/// always sends with a `Link` header).
fn refers_to_page(response: &utoipa::openapi::Response) -> bool {
    response.content.get("application/json").is_some_and(|c| {
        matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.starts_with("#/components/schemas/Page_"))
    })
}

/// A file body (CSV, XLSX, PDF, an image) is a string of bytes: `format:
/// binary` for OpenAPI 3.0 tools, `contentMediaType` for 3.1 ones, so
/// generators give a file parameter and Swagger UI a file picker. Returns
/// whether the media type is a file.
fn describe_binary(
    media_type: &str,
    content: &mut utoipa::openapi::Content,
    max_bytes: usize,
) -> bool {
    if media_type.contains("json") {
        return false;
    }
    if media_type == "multipart/form-data" {
        describe_parts(content, max_bytes);
        return true;
    }
    content.schema = Some(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .content_media_type(media_type)
            .max_length(Some(max_bytes))
            .into(),
    );
    true
}

/// Request bodies that are internally tagged enums (one object per `type`)
/// and refuse unknown members (`deny_unknown_fields`): utoipa leaves each
/// variant's object open, so each is closed here, as the server reads it.
const TAGGED_BODIES: &[&str] = &["NewChangeRequestBody"];

fn close_tagged_bodies(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    for name in TAGGED_BODIES {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(o)) = item {
                    o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
}

/// A multipart upload (a DTSEN snapshot): its files as parts, each a binary
/// string, together at most `max_bytes`.
fn describe_parts(content: &mut utoipa::openapi::Content, max_bytes: usize) {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let file = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Binary,
        )))
        .max_length(Some(max_bytes))
        .description(Some(
            "A DTSEN file: the family file, the member file or a code book (CSV or XLSX)",
        ));
    content.schema = Some(
        ObjectBuilder::new()
            .property(
                "files",
                ArrayBuilder::new()
                    .items(file)
                    .min_items(Some(1))
                    .max_items(Some(crate::api::imports::MAX_SNAPSHOT_FILES)),
            )
            .required("files")
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
            .description(Some(
                "The snapshot's files as parts (any part name; `files` in generated clients), each recognised by its headers; at most the import limit in all",
            ))
            .into(),
    );
}

/// Largest file a client may send with `media_type` to `operation`: a
/// form's export (`api::verification_batch::MAX_BATCH_BODY`), a scanned
/// letter (`api::exemption_letters::MAX_DOCUMENT`), a photo, or an import
/// (the default of `RBPK_IMPORT_LIMIT`).
fn upload_limit(operation: Option<&str>, media_type: &str) -> usize {
    if operation == Some("submit_verifications") {
        crate::api::verification_batch::MAX_BATCH_BODY
    } else if operation == Some("add_delivery_evidence") {
        crate::domain::delivery::MAX_EVIDENCE_BYTES
    } else if media_type == "application/pdf" {
        crate::api::exemption_letters::MAX_DOCUMENT
    } else if media_type.starts_with("image/") {
        // issue 14: a photo of a visit
        crate::domain::photo::MAX_PHOTO_BYTES
    } else {
        crate::config::DEFAULT_IMPORT_LIMIT
    }
}

/// Largest file the service sends: a report or a scanned letter, far below 2 GiB.
const MAX_FILE_ANSWER: usize = i32::MAX as usize;

/// `Content-Disposition` on file answers: the name to save them under.
fn disposition_header() -> utoipa::openapi::header::Header {
    string_header(
        "`attachment` with the file's name, e.g. `attachment; filename=\"coverage-2027.csv\"`",
    )
}

/// `Retry-After` on a 429: whole seconds to wait.
fn retry_after_header() -> utoipa::openapi::header::Header {
    header(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .maximum(Some(crate::auth::throttle::MAX_DELAY.as_secs())),
        "Seconds to wait before trying again",
    )
}

/// `Access-Control-Allow-Origin`, on answers to a request from an origin
/// `RBPK_CORS_ORIGINS` names (`app::cors`).
fn cors_origin_header() -> utoipa::openapi::header::Header {
    string_header(
        "The request's `Origin`, when it is one of `RBPK_CORS_ORIGINS` (or `*` when that \
         allows any); absent for other origins and for requests without one",
    )
}

/// A response header: its schema and what it says.
fn header(
    schema: utoipa::openapi::ObjectBuilder,
    description: &str,
) -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(schema)
        .description(Some(description.to_string()))
        .build()
}

fn string_header(description: &str) -> utoipa::openapi::header::Header {
    header(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(2048)),
        description,
    )
}

/// `Link` on every list page (`api::Paging::respond`).
fn link_header() -> utoipa::openapi::header::Header {
    let mut header = string_header(
        "RFC 8288 links to the `first`, `last`, `prev` and `next` pages of the same query, \
         e.g. `</api/v1/households?page=2&per_page=50>; rel=\"next\"`",
    );
    // Four links, each the request's own path and query.
    if let RefOr::T(utoipa::openapi::schema::Schema::Object(o)) = &mut header.schema {
        o.max_length = Some(4 * 16 * 1024);
    }
    header
}

/// `Idempotent-Replayed` on an answer given again for a reused `Idempotency-Key`.
fn replayed_header() -> utoipa::openapi::header::Header {
    header(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["true"])),
        "`true` when this is the stored answer to an earlier request with the same \
         `Idempotency-Key` (nothing was done again); absent otherwise",
    )
}

/// What every answer of an operation shares: its headers (request id,
/// CORS, `Idempotent-Replayed`, `Retry-After`, `Link`, `Vary`,
/// `Content-Disposition`), file bodies as binary strings, bounds, and an
/// example of its own for an error.
fn finish_response(status: &str, response: &mut utoipa::openapi::Response, idempotent: bool) {
    if idempotent && status.starts_with('2') {
        response
            .headers
            .entry("Idempotent-Replayed".to_string())
            .or_insert_with(replayed_header);
    }
    let mut binary = false;
    for (media_type, content) in response.content.iter_mut() {
        binary |= describe_binary(media_type, content, MAX_FILE_ANSWER);
        if let Some(schema) = content.schema.as_mut() {
            bound_schema(schema, false);
        }
    }
    if status.starts_with('4') || status.starts_with('5') {
        let description = response.description.clone();
        if let Some(problem) = response.content.get_mut("application/problem+json") {
            if problem.example.is_none() && problem.examples.is_empty() {
                problem.example = Some(own_example(status, &description));
            }
        }
    }
    if status == "429" {
        response
            .headers
            .entry("Retry-After".to_string())
            .or_insert_with(retry_after_header);
    }
    response
        .headers
        .entry("Access-Control-Allow-Origin".to_string())
        .or_insert_with(cors_origin_header);
    for header in response.headers.values_mut() {
        bound_header(&mut header.schema);
    }
    if binary {
        response
            .headers
            .entry("Content-Disposition".to_string())
            .or_insert_with(disposition_header);
    }
    if refers_to_page(response) {
        response
            .headers
            .entry("Link".to_string())
            .or_insert_with(link_header);
    }
    response
        .headers
        .entry("X-Request-Id".to_string())
        .or_insert_with(request_id_header);
    // One URL, several representations chosen by Accept.
    if response.content.len() > 1 {
        response
            .headers
            .entry("Vary".to_string())
            .or_insert_with(vary_header);
    }
}

/// The document as committed in `openapi/openapi.json`.
pub fn to_pretty_json(api: &OpenApi) -> String {
    let mut s = serde_json::to_string_pretty(api).unwrap_or_default();
    s.push('\n');
    s
}
