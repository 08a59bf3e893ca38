//! Logging in and asking who one is.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::access;
use crate::auth::accounts::AccountCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{password, AuthUser, Authenticator, Claims};
use crate::config::{Config, TrustedProxies};
use crate::db::{self, users, Pool};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(token).service(me);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "bappeda", "password": "demo-password"}))]
pub struct TokenRequest {
    #[schema(max_length = 64)]
    pub username: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.e30.sig", "token_type": "Bearer", "expires_in": 3600}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Exchange a username and password for a bearer token.
///
/// After a few failed attempts at one username from one client, that client waits
/// before its next attempt, longer after each failure; one client also has a
/// ceiling of failures over all usernames (429 with `Retry-After`). Failures from
/// one client never delay another. The client is the connecting address, or the
/// one a proxy listed in `RBPK_TRUSTED_PROXIES` names in `X-Forwarded-For`. A
/// disabled account gets no token. The token names the account's current token
/// version: changing the password, role, binding or active flag ends it (401
/// `stale_token`).
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong username or password, or a disabled account", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
async fn token(
    req: HttpRequest,
    body: web::Json<TokenRequest>,
    pool: web::Data<Pool>,
    auth: web::Data<Authenticator>,
    throttle: web::Data<LoginThrottle>,
    accounts: web::Data<AccountCache>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { username, password } = body.into_inner();
    let client = client_address(&req, &config.trusted_proxies);
    if let Some(retry_after) = throttle.retry_after(&username, &client) {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let lookup = username.clone();
    let user = db::run(&pool, move |c| users::by_username(c, &lookup)).await?;
    // Verify against a real hash even for unknown users so timing does not
    // reveal which usernames exist.
    let (hash, usable) = match &user {
        Some(u) => (Some(u.password_hash.clone()), u.active),
        None => (None, false),
    };
    let ok =
        web::block(move || password::verify(&password, &hash.unwrap_or_else(dummy_hash))).await?;
    let user = match user {
        Some(u) if ok && usable => u,
        _ => {
            throttle.fail(&username, &client);
            return Err(ApiError::unauthorized(
                "invalid_credentials",
                "wrong username or password, or the account is disabled",
            ));
        }
    };
    throttle.succeed(&username, &client);
    accounts.forget(&user.username);
    let (access_token, expires_in) = auth.issue_for(&user)?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in,
    }))
}

/// The client a login attempt comes from: the connecting address, unless
/// that is a trusted proxy, whose `X-Forwarded-For` then names the client
/// (the nearest address in it that is not itself a trusted proxy). A header
/// from anyone else is ignored, so it cannot be rotated to dodge the throttle.
fn client_address(req: &HttpRequest, trusted: &TrustedProxies) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_string();
    };
    if !trusted.contains(peer) {
        return peer.to_string();
    }
    let chain: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    chain
        .iter()
        .rev()
        .find(|ip| !trusted.contains(**ip))
        .or(chain.first())
        .unwrap_or(&peer)
        .to_string()
}

/// An argon2id hash of a random string, verified against for unknown usernames.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| password::hash(&password::random()).unwrap_or_default())
        .clone()
}

/// The caller's token claims.
#[utoipa::path(tag = "auth", responses((status = 200, body = Claims)))]
#[get("/auth/me")]
async fn me(user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(access::ME)?;
    Ok(HttpResponse::Ok().json(user.claims))
}
