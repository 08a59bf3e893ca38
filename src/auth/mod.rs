//! Authentication: issuing and checking bearer JWTs, and the [`AuthUser`]
//! extractor through which every protected handler learns who calls.

pub mod accounts;
pub mod password;
pub mod throttle;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{
    decode, decode_header, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header,
    Validation,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::accounts::{AccountCache, AccountState, Signer};
use crate::config::JwtConfig;
use crate::db::audit::Actor;
use crate::db::users::{self, UserRow};
use crate::db::{self, Pool};
use crate::domain::role::Role;
use crate::error::ApiError;

/// The claims of every token this service accepts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"sub": "bappeda", "role": "bappeda", "exp": 1764000000, "iat": 1763996400,
    "iss": "rbpk", "aud": "rbpk-api"}))]
pub struct Claims {
    /// The username (or the identity provider's subject).
    pub sub: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub iss: String,
    pub aud: String,
    /// For `company` tokens: the company the caller acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// For `opd` tokens: the agency code, e.g. `DINSOS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opd_code: Option<String>,
    /// For `operator` tokens: the kecamatan or desa/kelurahan code it works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// The account's id (our tokens only): a token outlives no deleted
    /// account, even when its username is taken again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aid: Option<String>,
    /// The account's token version when the token was issued (our tokens
    /// only): a password, role, binding or active change makes it stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<i32>,
}

/// Clock skew tolerated between this service and a token's issuer, seconds.
const LEEWAY: i64 = 30;

/// Signs our tokens and checks all accepted ones.
pub struct Authenticator {
    encoding: EncodingKey,
    hmac: DecodingKey,
    /// The external identity provider's key and the algorithms of its family.
    external: Option<(DecodingKey, Vec<Algorithm>)>,
    issuer: String,
    audience: String,
    ttl: i64,
    max_ttl: i64,
}

impl Authenticator {
    pub fn new(cfg: &JwtConfig) -> Result<Authenticator, String> {
        let secret = cfg.secret.expose().as_bytes();
        let encoding = EncodingKey::from_secret(secret).map_err(|e| e.to_string())?;
        let hmac = DecodingKey::from_secret(secret).map_err(|e| e.to_string())?;
        let external = match &cfg.public_key_pem {
            None => None,
            Some(pem) => Some(external_key(pem.as_bytes())?),
        };
        Ok(Authenticator {
            encoding,
            hmac,
            external,
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            ttl: cfg.token_ttl,
            max_ttl: cfg.max_token_ttl,
        })
    }

    /// Issues a token for an account as it is now (role, binding, id and
    /// token version); returns it with its lifetime in seconds.
    pub fn issue_for(&self, account: &UserRow) -> Result<(String, i64), ApiError> {
        let role = account.role;
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: account.username.clone(),
            role,
            exp: now + self.ttl,
            iat: now,
            nbf: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            company_id: account.company_id.clone(),
            opd_code: account.opd_code.clone(),
            region_code: account.region_code.clone(),
            aid: Some(account.id.clone()),
            ver: Some(account.token_version),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("cannot sign token: {e}")))?;
        Ok((token, self.ttl))
    }

    /// Checks signature, algorithm, `exp`, `nbf`, `iat`, `iss`, `aud` and
    /// lifetime; says who signed. The account is checked after this
    /// ([`authenticate`]).
    pub fn verify(&self, token: &str) -> Result<(Claims, Signer), ApiError> {
        let bad = |detail: &str| ApiError::unauthorized("invalid_token", detail.to_string());
        let header = decode_header(token).map_err(|_| bad("the token is not a JWT"))?;
        // The algorithm picks the key, and each key accepts only its own family:
        // an HS256 token is never checked against the public key or vice versa.
        let (key, algorithms, signer) = if header.alg == Algorithm::HS256 {
            (&self.hmac, vec![Algorithm::HS256], Signer::Us)
        } else {
            match &self.external {
                Some((key, algs)) if algs.contains(&header.alg) => {
                    (key, algs.clone(), Signer::IdentityProvider)
                }
                _ => return Err(bad("the token's algorithm is not accepted")),
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.algorithms = algorithms;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY.unsigned_abs();
        let data = decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => {
                ApiError::unauthorized("token_expired", "the token has expired")
            }
            ErrorKind::ImmatureSignature => bad("the token is not valid yet"),
            ErrorKind::InvalidIssuer => bad("the token's issuer is not accepted"),
            ErrorKind::InvalidAudience => bad("the token's audience is not accepted"),
            ErrorKind::InvalidSignature => bad("the token's signature is invalid"),
            _ => bad("the token is invalid"),
        })?;
        let claims = data.claims;
        let now = chrono::Utc::now().timestamp();
        // Both bounds: a token cannot claim an `iat` ahead of time to stretch
        // its lifetime past the maximum.
        if claims.iat > now + LEEWAY {
            return Err(bad("the token was issued in the future"));
        }
        if claims.exp.saturating_sub(claims.iat) > self.max_ttl
            || claims.exp.saturating_sub(now) > self.max_ttl
        {
            return Err(bad("the token's lifetime exceeds the accepted maximum"));
        }
        match claims.role {
            Role::Company if claims.company_id.is_none() => {
                Err(bad("a company token must carry company_id"))
            }
            Role::Opd if claims.opd_code.is_none() => Err(bad("an opd token must carry opd_code")),
            Role::Operator if claims.region_code.is_none() => {
                Err(bad("an operator token must carry region_code"))
            }
            _ => Ok((claims, signer)),
        }
    }
}

fn external_key(pem: &[u8]) -> Result<(DecodingKey, Vec<Algorithm>), String> {
    use Algorithm::*;
    if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
        return Ok((k, vec![RS256, RS384, RS512, PS256, PS384, PS512]));
    }
    if let Ok(k) = DecodingKey::from_ec_pem(pem) {
        return Ok((k, vec![ES256, ES384]));
    }
    if let Ok(k) = DecodingKey::from_ed_pem(pem) {
        return Ok((k, vec![EdDSA]));
    }
    Err("RBPK_JWT_PUBLIC_KEY is not an RSA, EC or Ed25519 public key in PEM".into())
}

/// Who may call an operation: the roles side of an [`Access`] declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// No token needed (login, health).
    Public,
    /// Any valid token, whatever its role.
    Authenticated,
    /// A valid token of one of these roles; any other role is a 403. Which
    /// records each may reach (a company its own, an opd what it leads) is
    /// the handler's business, not this list's.
    Roles(&'static [Role]),
}

/// One operation's declaration of who may call it, named by its OpenAPI
/// operation id. Declared once in `api::access`; read by the handler
/// ([`AuthUser::require`]), by `openapi::finish` (the security scopes and the
/// `**Roles:**` line) and by the authorization tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The OpenAPI operation id (the handler's function name).
    pub operation: &'static str,
    pub callers: Callers,
}

impl Access {
    /// Whether a token of `role` may call the operation.
    pub fn admits(&self, role: Role) -> bool {
        match self.callers {
            Callers::Public | Callers::Authenticated => true,
            Callers::Roles(roles) => roles.contains(&role),
        }
    }

    /// The roles that may call, in [`Role::ALL`] order; none when public.
    pub fn roles(&self) -> Vec<Role> {
        match self.callers {
            Callers::Public => Vec::new(),
            Callers::Authenticated | Callers::Roles(_) => {
                Role::ALL.into_iter().filter(|r| self.admits(*r)).collect()
            }
        }
    }

    /// Whether a call needs a token.
    pub fn needs_token(&self) -> bool {
        self.callers != Callers::Public
    }

    /// The operation's `**Roles:**` line, as its OpenAPI description opens.
    pub fn roles_line(&self) -> String {
        let who = match self.callers {
            Callers::Public => "public".to_string(),
            Callers::Authenticated => "any authenticated caller".to_string(),
            Callers::Roles(_) => self
                .roles()
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!("**Roles:** {who}.")
    }
}

/// The authenticated caller. Extracting it answers 401 without a valid token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub claims: Claims,
    pub request_id: Option<String>,
    /// The local account's id (none for an identity provider's user without one).
    pub account_id: Option<String>,
}

impl AuthUser {
    pub fn role(&self) -> Role {
        self.claims.role
    }

    /// Whether this caller's reads of personal data are masked and audited
    /// (a company's: docs/SECURITY.md, "What a company sees"), so that a read
    /// by it also writes.
    pub fn reads_are_audited(&self) -> bool {
        self.role() == Role::Company
    }

    /// 403 unless the operation's declaration admits the caller's role. Each
    /// protected handler calls this once, first, with its operation's
    /// declaration from `api::access`; the OpenAPI document and the
    /// authorization tests read the same declaration.
    pub fn require(&self, access: &Access) -> Result<(), ApiError> {
        if access.admits(self.claims.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// The company a `company` caller acts for.
    pub fn company_id(&self) -> Option<&str> {
        match self.claims.role {
            Role::Company => self.claims.company_id.as_deref(),
            _ => None,
        }
    }

    /// The agency an `opd` caller belongs to.
    pub fn opd_code(&self) -> Option<&str> {
        match self.claims.role {
            Role::Opd => self.claims.opd_code.as_deref(),
            _ => None,
        }
    }

    /// The kecamatan or desa/kelurahan an `operator` caller works for.
    pub fn region_code(&self) -> Option<&str> {
        match self.claims.role {
            Role::Operator => self.claims.region_code.as_deref(),
            _ => None,
        }
    }

    /// Whose stored answers an `Idempotency-Key` may replay: the issuer, the
    /// account (a recreated username is another account) and the tenant.
    pub fn idempotency_scope(&self) -> String {
        let c = &self.claims;
        format!(
            "{}|{}|{}|{}|{}|{}",
            c.iss,
            self.account_id.as_deref().unwrap_or(&c.sub),
            c.role.as_str(),
            c.company_id.as_deref().unwrap_or(""),
            c.opd_code.as_deref().unwrap_or(""),
            c.region_code.as_deref().unwrap_or("")
        )
    }

    /// Who to name in audit events.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.claims.sub.clone(),
            role: self.claims.role.as_str().to_string(),
            request_id: self.request_id.clone(),
        }
    }
}

/// The request id set by the request-id middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Reads and checks the bearer token of a request, then the account it names.
pub async fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    // The idempotency check authenticates before the handler does: the
    // second look takes the first one's answer instead of checking again.
    if let Some(user) = req.extensions().get::<AuthUser>() {
        return Ok(user.clone());
    }
    let missing = || ApiError::internal("authentication not configured");
    let auth = req
        .app_data::<web::Data<Authenticator>>()
        .ok_or_else(missing)?;
    let cache = req
        .app_data::<web::Data<AccountCache>>()
        .ok_or_else(missing)?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing_token", "a bearer token is required"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("invalid_token", "malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized("invalid_token", "the Authorization scheme must be Bearer")
        })?;
    let (claims, signer) = auth.verify(token.trim())?;
    let account = match cache.get(&claims.sub) {
        Some(account) => account,
        None => {
            let pool = req.app_data::<web::Data<Pool>>().ok_or_else(missing)?;
            let sub = claims.sub.clone();
            let account = db::run(pool, move |c| users::by_username(c, &sub))
                .await?
                .map(AccountState::from);
            cache.put(&claims.sub, account.clone());
            account
        }
    };
    accounts::check(&claims, account.as_ref(), signer)?;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let user = AuthUser {
        claims,
        request_id,
        account_id: account.map(|a| a.id),
    };
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}
