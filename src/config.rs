//! The service's one typed configuration, read once from the environment.
//! It fails fast with a message that names the setting; secrets never reach
//! `Debug` output or logs.

use std::fmt;

use crate::db::Backend;

/// The JWT secret used when none is configured. Only the embedded SQLite default
/// may run with it; on PostgreSQL the service refuses to start with it.
pub const DEMO_JWT_SECRET: &str = "rbpk-demo-secret-do-not-use-in-production";

/// A value that must not be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How tokens are signed and checked.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// HS256 secret for the tokens this service issues.
    pub secret: Secret,
    /// PEM public key (RSA, EC or Ed25519) of an external identity provider.
    pub public_key_pem: Option<String>,
    pub issuer: String,
    pub audience: String,
    /// Lifetime of issued tokens, seconds.
    pub token_ttl: i64,
    /// Longest lifetime (`exp - iat`) accepted on any token, seconds.
    pub max_token_ttl: i64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub backend: Backend,
    pub bind: String,
    pub jwt: JwtConfig,
    pub cors_origins: Vec<String>,
    /// Largest JSON body, bytes.
    pub body_limit: usize,
    /// Largest import file, bytes.
    pub import_limit: usize,
    pub demo_password: Option<Secret>,
    /// Database connections, which is also how many requests do database
    /// work at once (see `main::serve`).
    pub pool_size: u32,
    /// Failed logins allowed per username or client address per minute.
    pub login_attempts_per_minute: u32,
    /// Distinct households recommendations may show one company per cycle,
    /// unless the company has its own `exposure_cap` (DESIGN §6.1).
    pub exposure_cap: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Two connections per core, at least four: on a machine of a few cores,
/// more concurrent database work only queues inside the database and costs
/// memory in the service (docs/PERFORMANCE.md, "Memory").
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{name}={v} is not a valid value"))),
    }
}

impl Config {
    /// Reads every setting from the environment (see `.env.example`).
    pub fn from_env() -> Result<Config, ConfigError> {
        let database_url = env("DATABASE_URL").unwrap_or_else(|| "rbpk.sqlite3".to_string());
        let backend = Backend::from_url(&database_url);
        let secret = env("RBPK_JWT_SECRET");
        let public_key_pem = match env("RBPK_JWT_PUBLIC_KEY") {
            // Accept the PEM itself or a path to a file holding it.
            Some(v) if v.contains("-----BEGIN") => Some(v.replace("\\n", "\n")),
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                ConfigError(format!("RBPK_JWT_PUBLIC_KEY: cannot read {path}: {e}"))
            })?),
            None => None,
        };
        let cors_origins = env("RBPK_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let token_ttl = env_parse("RBPK_TOKEN_TTL", 3600i64)?;
        let config = Config {
            database_url,
            backend,
            bind: env("RBPK_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_string()),
            jwt: JwtConfig {
                secret: Secret::new(secret.unwrap_or_else(|| DEMO_JWT_SECRET.to_string())),
                public_key_pem,
                issuer: env("RBPK_JWT_ISSUER").unwrap_or_else(|| "rbpk".to_string()),
                audience: env("RBPK_JWT_AUDIENCE").unwrap_or_else(|| "rbpk-api".to_string()),
                token_ttl,
                max_token_ttl: env_parse("RBPK_TOKEN_MAX_TTL", token_ttl.max(86_400))?,
            },
            cors_origins,
            body_limit: env_parse("RBPK_BODY_LIMIT", 1024 * 1024usize)?,
            import_limit: env_parse("RBPK_IMPORT_LIMIT", 256 * 1024 * 1024usize)?,
            demo_password: env("DEMO_PASSWORD").map(Secret::new),
            pool_size: env_parse("RBPK_DB_POOL_SIZE", default_pool_size())?,
            login_attempts_per_minute: env_parse("RBPK_LOGIN_ATTEMPTS_PER_MINUTE", 10u32)?,
            exposure_cap: env_parse(
                "RBPK_COMPANY_EXPOSURE_CAP",
                crate::domain::exposure::DEFAULT_CAP,
            )?,
        };
        config.check()?;
        Ok(config)
    }

    /// A configuration for tests and tools: the given database, defaults elsewhere.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            backend: Backend::from_url(database_url),
            bind: "127.0.0.1:0".into(),
            jwt: JwtConfig {
                secret: Secret::new("test-secret-test-secret-test-secret-0123"),
                public_key_pem: None,
                issuer: "rbpk".into(),
                audience: "rbpk-api".into(),
                token_ttl: 3600,
                max_token_ttl: 86_400,
            },
            cors_origins: vec![],
            body_limit: 1024 * 1024,
            import_limit: 64 * 1024 * 1024,
            demo_password: None,
            pool_size: 4,
            login_attempts_per_minute: 10,
            exposure_cap: crate::domain::exposure::DEFAULT_CAP,
        }
    }

    /// Refuses settings that would be unsafe or meaningless.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.backend == Backend::Postgres {
            if self.jwt.secret.expose() == DEMO_JWT_SECRET {
                return Err(ConfigError(
                    "RBPK_JWT_SECRET is not set: on PostgreSQL the service refuses the demo \
                     secret; set a random secret of at least 32 characters"
                        .into(),
                ));
            }
            if self.jwt.secret.expose().len() < 32 {
                return Err(ConfigError(
                    "RBPK_JWT_SECRET must be at least 32 characters".into(),
                ));
            }
        }
        if self.jwt.token_ttl <= 0 || self.jwt.token_ttl > self.jwt.max_token_ttl {
            return Err(ConfigError(
                "RBPK_TOKEN_TTL must be positive and not above RBPK_TOKEN_MAX_TTL".into(),
            ));
        }
        if self.body_limit < 1024 {
            return Err(ConfigError("RBPK_BODY_LIMIT must be at least 1024".into()));
        }
        Ok(())
    }
}
