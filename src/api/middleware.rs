//! Cross-cutting request handling: request ids, idempotent POSTs, and the
//! 404/405 answer for paths and methods no route takes.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::Access;
use crate::auth::{authenticate, AuthUser, RequestId};
use crate::db::replica::Reads;
use crate::db::{self, idempotency, Pool};
use crate::domain::role::Role;
use crate::error::{ApiError, FieldError};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Gives every request an id (the client's `X-Request-Id` when it is sane) and
/// echoes it on the response; audit events carry it.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(db::new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// How large a body each route takes: JSON routes the general limit, upload
/// routes their own. The idempotency check and [`body_guard`] buffer no more
/// than the route's limit, so a small route cannot be made to hold a file.
pub struct BodyLimits {
    json: usize,
    uploads: Vec<Upload>,
}

/// An upload route: its method, path template, limit and the declaration of
/// who may call it (the one its handler requires).
struct Upload {
    method: Method,
    template: Vec<String>,
    limit: usize,
    access: &'static Access,
}

impl BodyLimits {
    pub fn new(json: usize) -> BodyLimits {
        BodyLimits {
            json,
            uploads: Vec::new(),
        }
    }

    /// Declares an upload route (path template as in the contract), its
    /// limit and its operation's access declaration.
    pub fn upload(
        mut self,
        method: Method,
        template: &str,
        limit: usize,
        access: &'static Access,
    ) -> BodyLimits {
        self.uploads.push(Upload {
            method,
            template: template.split('/').map(str::to_string).collect(),
            limit,
            access,
        });
        self
    }

    fn upload_of(&self, method: &Method, path: &str) -> Option<&Upload> {
        let parts: Vec<&str> = path.split('/').collect();
        self.uploads
            .iter()
            .find(|u| u.method == method && template_matches(&u.template, &parts))
    }

    /// The limit of the route a request goes to.
    pub fn of(&self, method: &Method, path: &str) -> usize {
        self.upload_of(method, path).map_or(self.json, |u| u.limit)
    }

    /// Whether a caller of `role` may send to this route at all: an upload
    /// route's body is held only for the roles that may upload, so anyone
    /// else is refused by the handler before a byte is read.
    pub fn admits(&self, method: &Method, path: &str, role: Role) -> bool {
        self.upload_of(method, path)
            .is_none_or(|u| u.access.admits(role))
    }
}

/// Whether a concrete path's segments fit a template's (`{id}` takes any one).
fn template_matches(template: &[String], parts: &[&str]) -> bool {
    template.len() == parts.len()
        && template
            .iter()
            .zip(parts)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        detail: format!("the body is larger than this operation's limit of {limit} bytes"),
    }
}

/// Reads a request's body whole, refusing it past `limit` bytes.
async fn buffer(req: &mut ServiceRequest, limit: usize) -> Result<Result<Bytes, ApiError>, Error> {
    let mut body = web::BytesMut::new();
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(Err(too_large(limit)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body.freeze()))
}

/// Longest text any JSON body or query parameter may carry, in characters.
/// Fields with a bound of their own (names, notes, codes) are checked
/// against it where they are read; this is the bound of every other text,
/// and the contract states it on every string that has no bound of its own
/// (`openapi::finish`).
pub const MAX_TEXT: usize = 5000;
/// Longest query parameter value: ids, codes, dates, a name prefix.
pub const MAX_QUERY_VALUE: usize = 200;
/// Most items any array of a JSON body may hold.
pub const MAX_ITEMS: usize = 1000;

/// The first place in a JSON value that is past a bound: a text longer than
/// [`MAX_TEXT`] or an array longer than [`MAX_ITEMS`], as its dotted path.
fn past_bounds(value: &serde_json::Value, path: &str) -> Option<FieldError> {
    use serde_json::Value;
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.chars().count() > MAX_TEXT => Some(FieldError::new(
            path,
            format!("must be at most {MAX_TEXT} characters"),
        )),
        Value::Array(items) if items.len() > MAX_ITEMS => Some(FieldError::new(
            path,
            format!("must have at most {MAX_ITEMS} items"),
        )),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| past_bounds(v, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| past_bounds(v, &at(k))),
        _ => None,
    }
}

/// Whether any text of a JSON value (keys included) holds U+0000.
fn has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// Text with U+0000 is refused on every backend alike (PostgreSQL cannot
/// store it; the contract's texts exclude it by pattern).
fn nul_refused() -> ApiError {
    ApiError::bad_request(
        "invalid_text",
        "text must not contain the NUL character (U+0000)",
    )
}

/// Writes every number with a zero fraction (`3.0`) as the integer it is:
/// JSON Schema counts `3.0` as an integer, serde's integer fields do not.
/// Returns whether anything changed.
fn integral_numbers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |c, v| integral_numbers(v) | c),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |c, v| integral_numbers(v) | c),
        _ => false,
    }
}

/// A query parameter past [`MAX_QUERY_VALUE`] characters, by name.
fn long_query_parameter(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = urlencoding::decode(value).map_or(value.len(), |v| v.chars().count());
        (value > MAX_QUERY_VALUE).then(|| name.to_string())
    })
}

/// Bodies are bounded by their route: a declared length over the route's
/// limit is a 413 before anything is read. A JSON body must be an object:
/// serde would read an array into a struct field by field
/// (`["bappeda","…"]` as a login), which no operation means to accept. Its
/// texts and arrays, and every query parameter, are bounded as the contract
/// says ([`MAX_TEXT`], [`MAX_ITEMS`], [`MAX_QUERY_VALUE`]).
pub async fn body_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if urlencoding::decode(req.query_string()).is_ok_and(|q| q.contains('\0')) {
        return Ok(problem(req, nul_refused()));
    }
    if let Some(name) = long_query_parameter(req.query_string()) {
        let name = crate::import::limits::echo(&name);
        return Ok(problem(
            req,
            ApiError::invalid_parameter(
                &name,
                &format!("must be at most {MAX_QUERY_VALUE} characters"),
            ),
        ));
    }
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let limit = req
        .app_data::<web::Data<BodyLimits>>()
        .map_or(usize::MAX, |l| l.of(req.method(), req.path()));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(problem(req, too_large(limit)));
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if json {
        let body = match buffer(&mut req, limit).await? {
            Ok(body) => body,
            Err(e) => return Ok(problem(req, e)),
        };
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Ok(problem(
                req,
                ApiError::bad_request(
                    "invalid_body",
                    "the body does not fit the schema: it must be a JSON object",
                ),
            ));
        }
        let mut body = body;
        if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Some(error) = past_bounds(&value, "") {
                return Ok(problem(req, ApiError::validation(vec![error])));
            }
            if has_nul(&value) {
                return Ok(problem(req, nul_refused()));
            }
            if integral_numbers(&mut value) {
                body = Bytes::from(serde_json::to_vec(&value)?);
            }
        }
        req.set_payload(Payload::from(body));
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}

fn problem(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    let (http_req, _) = req.into_parts();
    ServiceResponse::new(http_req, err.error_response())
}

/// `Idempotency-Key` on POST: the first response to a key is stored with a hash
/// of the request (body, content type, `If-Match`); a retry with the same key
/// and request gets it again (`Idempotent-Replayed: true`), the same key with
/// another body or precondition is a 422, and a
/// retry while the first is still running is a 409. Keys are per caller.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_string));
    let key = match (req.method() == Method::POST, key) {
        (true, Some(Ok(k))) if !k.is_empty() && k.len() <= 255 => k,
        (true, Some(_)) => {
            return Ok(problem(
                req,
                ApiError::bad_request(
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 visible characters",
                ),
            ))
        }
        _ => return next.call(req).await.map(|r| r.map_into_boxed_body()),
    };
    // Without a valid token the handler answers 401 itself; nothing to remember.
    let Ok(user) = authenticate(req.request()).await else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let Some(pool) = req.app_data::<web::Data<Pool>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let Some(limits) = req.app_data::<web::Data<BodyLimits>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    if !limits.admits(req.method(), req.path(), user.role()) {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let limit = limits.of(req.method(), req.path());
    let body = match buffer(&mut req, limit).await? {
        Ok(body) => body,
        Err(e) => return Ok(problem(req, e)),
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The precondition is part of the request: the same key with another
    // `If-Match` is another request (a 422), never a replay of a decision
    // the new precondition would have refused.
    let if_match: Vec<&[u8]> = req
        .headers()
        .get_all(header::IF_MATCH)
        .map(|v| v.as_bytes())
        .collect();
    let mut hasher = Sha256::new();
    hasher.update(content_type.as_bytes());
    hasher.update([0]);
    for v in if_match {
        hasher.update(v);
        hasher.update([1]);
    }
    hasher.update([0]);
    hasher.update(&body);
    let body_hash = hex::encode(hasher.finalize());
    req.set_payload(Payload::from(body));

    let actor = user.idempotency_scope();
    let path = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let claim = {
        let (actor, key, path) = (actor.clone(), key.clone(), path.clone());
        db::run(&pool, move |c| -> Result<_, ApiError> {
            Ok(idempotency::claim(
                c, &actor, &key, "POST", &path, &body_hash,
            )?)
        })
        .await
    };
    match claim {
        Err(e) => Ok(problem(req, e)),
        Ok(idempotency::Claim::Mismatch) => Ok(problem(
            req,
            ApiError::unprocessable(
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            ),
        )),
        Ok(idempotency::Claim::InProgress) => Ok(problem(
            req,
            ApiError::conflict(
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being processed; retry later",
            ),
        )),
        Ok(idempotency::Claim::Replay {
            status,
            body,
            headers,
        }) => {
            let mut res = HttpResponse::build(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            );
            for (name, value) in headers {
                res.insert_header((name, value));
            }
            res.insert_header(("idempotent-replayed", "true"));
            let (http_req, _) = req.into_parts();
            Ok(ServiceResponse::new(http_req, res.body(body)))
        }
        Ok(idempotency::Claim::Reserved) => {
            let res = next.call(req).await?;
            let status = res.status();
            let (http_req, res) = res.into_parts();
            let (head, res_body) = res.into_parts();
            let bytes = body::to_bytes(res_body).await.unwrap_or_default();
            let kept: Vec<(String, String)> = [
                header::CONTENT_TYPE,
                header::LOCATION,
                header::ETAG,
                header::LINK,
            ]
            .iter()
            .filter_map(|h| {
                head.headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (h.to_string(), v.to_string()))
            })
            .collect();
            let stored = bytes.clone();
            let outcome = db::run(&pool, move |c| {
                if status.is_server_error() {
                    idempotency::release(c, &actor, &key)
                } else {
                    idempotency::complete(c, &actor, &key, status.as_u16(), &stored, &kept)
                }
            })
            .await;
            if let Err(e) = outcome {
                log::warn!("idempotency record not stored: {e}");
            }
            Ok(ServiceResponse::new(
                http_req,
                head.set_body(bytes).map_into_boxed_body(),
            ))
        }
    }
}

/// Marks a request whose answer was chosen by its `Accept` header
/// (`reports::negotiate`), so the response says `Vary: Accept`.
#[derive(Clone, Copy)]
pub struct VariesByAccept;

/// Adds `Vary: Accept` to answers chosen by `Accept` (JSON, CSV or XLSX of
/// one URL), beside whatever `Vary` CORS set.
pub async fn vary_accept(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.request().extensions().get::<VariesByAccept>().is_some() {
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Accept"));
    }
    Ok(res)
}

/// CORS refusals as problem+json: actix-cors answers a disallowed origin or
/// method with a plain-text 400, unlike every other error of the API.
pub async fn cors_problem(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let refusal = res
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_cors::CorsError>())
        .map(ToString::to_string);
    let Some(detail) = refusal else {
        return Ok(res);
    };
    let (http_req, old) = res.into_parts();
    let mut answer = ApiError::bad_request("cors_rejected", detail).error_response();
    // Keep what actix-cors set for caches (`Vary: Origin, …`).
    if let Some(vary) = old.headers().get(header::VARY) {
        answer.headers_mut().insert(header::VARY, vary.clone());
    }
    Ok(ServiceResponse::new(http_req, answer))
}

/// Path templates and their methods, taken from the OpenAPI document so the
/// 405 answer cannot drift from the routes.
pub struct RouteTable(pub Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> RouteTable {
        let value = serde_json::to_value(api).unwrap_or_default();
        let mut routes = Vec::new();
        if let Some(paths) = value.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in paths {
                let segments = path.split('/').map(str::to_string).collect();
                let methods = item
                    .as_object()
                    .map(|m| {
                        m.keys()
                            .filter(|k| {
                                matches!(k.as_str(), "get" | "post" | "put" | "patch" | "delete")
                            })
                            .map(|k| k.to_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                routes.push((segments, methods));
            }
        }
        RouteTable(routes)
    }

    /// The methods a concrete path answers, if any route template matches
    /// it: those of the most specific templates (fewest parameters), so
    /// `/verifications/batch` is that resource, not a verification `{id}`.
    fn methods_for(&self, path: &str) -> Vec<String> {
        let parts: Vec<&str> = path.split('/').collect();
        let params = |t: &[String]| t.iter().filter(|s| s.starts_with('{')).count();
        let matching: Vec<&(Vec<String>, Vec<String>)> = self
            .0
            .iter()
            .filter(|(template, _)| template_matches(template, &parts))
            .collect();
        let fewest = matching.iter().map(|(t, _)| params(t)).min();
        let mut found: Vec<String> = matching
            .iter()
            .filter(|(t, _)| Some(params(t)) == fewest)
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

/// What no route takes: 405 with `Allow` on a known path, else 404.
pub async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> HttpResponse {
    let methods = routes.methods_for(req.path());
    let err = if methods.is_empty() {
        ApiError::NotFound {
            detail: format!("no resource at {}", req.path()),
        }
    } else {
        ApiError::MethodNotAllowed {
            allow: methods.join(", "),
        }
    };
    err.error_response()
}

/// Middleware: remembers that the caller of a request that may write
/// (any method but GET, HEAD, OPTIONS) has written, once its answer is
/// ready, so its next reads see what it wrote ([`Reads::wrote`]).
pub async fn remember_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let may_write = !req.method().is_safe();
    let res = next.call(req).await?;
    if may_write {
        let caller = res
            .request()
            .extensions()
            .get::<AuthUser>()
            .map(|u| u.claims.sub.clone());
        if let (Some(caller), Some(reads)) = (caller, res.request().app_data::<web::Data<Reads>>())
        {
            reads.wrote(&caller);
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_route_answers_for_itself_not_for_a_sibling_id() {
        let route = |path: &str, methods: &[&str]| {
            (
                path.split('/').map(str::to_string).collect(),
                methods.iter().map(|m| m.to_string()).collect(),
            )
        };
        let table = RouteTable(vec![
            route("/api/v1/verifications/{id}", &["GET"]),
            route("/api/v1/verifications/batch", &["POST"]),
        ]);
        assert_eq!(table.methods_for("/api/v1/verifications/batch"), ["POST"]);
        assert_eq!(table.methods_for("/api/v1/verifications/abc"), ["GET"]);
        assert!(table.methods_for("/api/v1/nothing").is_empty());
    }

    #[test]
    fn an_upload_route_has_its_own_limit_and_holds_bodies_only_for_its_roles() {
        let limits = BodyLimits::new(1024).upload(
            Method::POST,
            "/api/v1/household-imports",
            1 << 20,
            crate::api::access::CREATE_IMPORT,
        );
        let (post, path) = (Method::POST, "/api/v1/household-imports");
        assert_eq!(limits.of(&post, path), 1 << 20);
        assert_eq!(limits.of(&post, "/api/v1/cycles"), 1024);
        assert_eq!(limits.of(&Method::PUT, path), 1024);
        assert!(limits.admits(&post, path, Role::Bappeda));
        assert!(!limits.admits(&post, path, Role::Viewer));
        assert!(limits.admits(&post, "/api/v1/cycles", Role::Viewer));
    }
}
