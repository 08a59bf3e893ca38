//! The service's one typed configuration, read once from the environment.
//! It fails fast with a message that names the setting; secrets never reach
//! `Debug` output or logs.

use std::fmt;

use crate::db::Backend;

/// The constant the first wave signed with when no secret was configured. It
/// is public (it was in the source), so it is refused on every backend.
const RETIRED_DEMO_SECRET: &str = "rbpk-demo-secret-do-not-use-in-production";

/// Shortest accepted HS256 secret, bytes (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;
/// Largest import file unless `RBPK_IMPORT_LIMIT` says otherwise (256 MiB).
pub const DEFAULT_IMPORT_LIMIT: usize = 256 * 1024 * 1024;
/// Fewest distinct bytes in an accepted secret: `aaaa…` or `abab…` is no secret.
const MIN_SECRET_VARIETY: usize = 8;

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
    /// Longest lifetime (`exp - iat`, and `exp - now`) accepted on any token, seconds.
    pub max_token_ttl: i64,
    /// True when no secret was configured and a random one was made at start:
    /// tokens then die with the process.
    pub secret_generated: bool,
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
    /// A PostgreSQL streaming standby that serves reads
    /// (`RBPK_DATABASE_READ_URL`; `db::replica`).
    pub read_database_url: Option<String>,
    /// How far behind the primary the standby may be and still serve reads
    /// (`RBPK_READ_REPLICA_MAX_LAG_MS`).
    pub read_replica_max_lag_ms: u64,
    /// Failed logins of one username from one client before each further
    /// attempt waits (doubling delays; `auth::throttle`).
    pub login_attempts_per_minute: u32,
    /// Failed logins one client may make, over all usernames, per 15 minutes.
    pub login_client_ceiling: u32,
    /// Proxies whose `X-Forwarded-For` names the real client (`RBPK_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// How long a checked account stays cached before the next request
    /// reads it again, milliseconds (`auth::accounts`).
    pub account_cache_ms: u64,
    /// Distinct households recommendations may show one company per cycle,
    /// unless the company has its own `exposure_cap` (docs/SECURITY.md).
    pub exposure_cap: u32,
    /// Where files (photos of visits, evidence of deliveries) are kept:
    /// `RBPK_OBJECT_STORE`, a directory or `s3://bucket/prefix` (`storage`).
    pub object_store: crate::storage::Location,
    /// Delivering events to webhooks (`src/webhooks.rs`, docs/EVENTS.md).
    pub webhooks: WebhookSettings,
}

/// How this instance delivers events to webhooks.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// Whether `serve` runs the delivery worker (`RBPK_WEBHOOK_WORKER`,
    /// default on; every instance may run one).
    pub worker: bool,
    /// Hosts (`host` or `host:port`) a webhook may name although they are
    /// private or loopback, and reach over plain http
    /// (`RBPK_WEBHOOK_ALLOW_HOSTS`; for receivers inside the regency's
    /// network and for tests).
    pub allow_hosts: Vec<String>,
    /// How long one delivery may take, milliseconds (`RBPK_WEBHOOK_TIMEOUT_MS`).
    pub timeout_ms: u64,
    /// How often an idle worker looks for due deliveries, milliseconds
    /// (`RBPK_WEBHOOK_POLL_MS`).
    pub poll_ms: u64,
    /// Multiplies the retry schedule (`RBPK_WEBHOOK_RETRY_SCALE`; 1 in
    /// production, smaller in fault scripts so a day of retries takes seconds).
    pub retry_scale: f64,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            worker: true,
            allow_hosts: Vec::new(),
            timeout_ms: 10_000,
            poll_ms: 500,
            retry_scale: 1.0,
        }
    }
}

/// A comma-separated list, trimmed, without empty items.
fn list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Addresses or networks (`10.0.0.0/8`, `::1`) of reverse proxies trusted to
/// name the client in `X-Forwarded-For`. Empty: the peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(std::net::IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks.
    pub fn parse(list: &str) -> Result<TrustedProxies, ConfigError> {
        let bad = |item: &str| {
            ConfigError(format!(
                "RBPK_TRUSTED_PROXIES: `{item}` is not an IP address or CIDR network"
            ))
        };
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let addr: std::net::IpAddr = addr.parse().map_err(|_| bad(item))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| bad(item))?,
                None => max,
            };
            nets.push((addr, bits));
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` lies in one of the trusted networks.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// 64 hex characters from the operating system's random source.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Why a signing secret is too weak to sign with, if it is.
pub fn weak_secret(secret: &str) -> Option<String> {
    let variety = secret
        .bytes()
        .collect::<std::collections::HashSet<u8>>()
        .len();
    if secret == RETIRED_DEMO_SECRET {
        Some("RBPK_JWT_SECRET is the retired demo secret, which is public".into())
    } else if secret.len() < MIN_SECRET_BYTES {
        Some(format!(
            "RBPK_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"
        ))
    } else if variety < MIN_SECRET_VARIETY {
        Some(format!(
            "RBPK_JWT_SECRET has only {variety} distinct characters: use a random secret"
        ))
    } else {
        None
    }
}

/// Two connections per core, at least four: on a machine of a few cores,
/// more concurrent database work only queues inside the database and costs
/// memory in the service (docs/PERFORMANCE.md, "Memory").
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
}

impl Config {
    /// Reads every setting from the environment (see `.env.example`).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup` (the environment, or a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        fn parse<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
            default: T,
        ) -> Result<T, ConfigError> {
            match value {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError(format!("{name}={v} is not a valid value"))),
            }
        }
        let env_parse = |name: &str, default| parse(name, env(name), default);
        let database_url = env("DATABASE_URL").unwrap_or_else(|| "rbpk.sqlite3".to_string());
        let backend = Backend::from_url(&database_url);
        let object_store = crate::storage::Location::parse(
            env("RBPK_OBJECT_STORE").as_deref(),
            &database_url,
            backend,
        )
        .map_err(ConfigError)?;
        let secret = env("RBPK_JWT_SECRET");
        let public_key_pem = match env("RBPK_JWT_PUBLIC_KEY") {
            // Accept the PEM itself or a path to a file holding it.
            Some(v) if v.contains("-----BEGIN") => Some(v.replace("\\n", "\n")),
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                ConfigError(format!("RBPK_JWT_PUBLIC_KEY: cannot read {path}: {e}"))
            })?),
            None => None,
        };
        let cors_origins = list(env("RBPK_CORS_ORIGINS"));
        let hooks = WebhookSettings::default();
        let token_ttl = parse("RBPK_TOKEN_TTL", env("RBPK_TOKEN_TTL"), 3600i64)?;
        let secret_generated = secret.is_none();
        let config = Config {
            database_url,
            backend,
            bind: env("RBPK_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_string()),
            jwt: JwtConfig {
                secret: Secret::new(secret.unwrap_or_else(random_secret)),
                public_key_pem,
                issuer: env("RBPK_JWT_ISSUER").unwrap_or_else(|| "rbpk".to_string()),
                audience: env("RBPK_JWT_AUDIENCE").unwrap_or_else(|| "rbpk-api".to_string()),
                token_ttl,
                max_token_ttl: parse(
                    "RBPK_TOKEN_MAX_TTL",
                    env("RBPK_TOKEN_MAX_TTL"),
                    token_ttl.max(86_400),
                )?,
                secret_generated,
            },
            cors_origins,
            body_limit: parse("RBPK_BODY_LIMIT", env("RBPK_BODY_LIMIT"), 1024 * 1024usize)?,
            import_limit: parse(
                "RBPK_IMPORT_LIMIT",
                env("RBPK_IMPORT_LIMIT"),
                DEFAULT_IMPORT_LIMIT,
            )?,
            demo_password: env("DEMO_PASSWORD").map(Secret::new),
            pool_size: env_parse("RBPK_DB_POOL_SIZE", default_pool_size())?,
            read_database_url: env("RBPK_DATABASE_READ_URL"),
            read_replica_max_lag_ms: parse(
                "RBPK_READ_REPLICA_MAX_LAG_MS",
                env("RBPK_READ_REPLICA_MAX_LAG_MS"),
                2000u64,
            )?,
            login_attempts_per_minute: env_parse("RBPK_LOGIN_ATTEMPTS_PER_MINUTE", 5u32)?,
            login_client_ceiling: env_parse("RBPK_LOGIN_CLIENT_CEILING", 100u32)?,
            trusted_proxies: TrustedProxies::parse(
                &env("RBPK_TRUSTED_PROXIES").unwrap_or_default(),
            )?,
            account_cache_ms: parse(
                "RBPK_ACCOUNT_CACHE_MS",
                env("RBPK_ACCOUNT_CACHE_MS"),
                2000u64,
            )?,
            exposure_cap: env_parse(
                "RBPK_COMPANY_EXPOSURE_CAP",
                crate::domain::exposure::DEFAULT_CAP,
            )?,
            webhooks: WebhookSettings {
                worker: parse(
                    "RBPK_WEBHOOK_WORKER",
                    env("RBPK_WEBHOOK_WORKER"),
                    hooks.worker,
                )?,
                allow_hosts: list(env("RBPK_WEBHOOK_ALLOW_HOSTS")),
                timeout_ms: parse(
                    "RBPK_WEBHOOK_TIMEOUT_MS",
                    env("RBPK_WEBHOOK_TIMEOUT_MS"),
                    hooks.timeout_ms,
                )?,
                poll_ms: parse(
                    "RBPK_WEBHOOK_POLL_MS",
                    env("RBPK_WEBHOOK_POLL_MS"),
                    hooks.poll_ms,
                )?,
                retry_scale: parse(
                    "RBPK_WEBHOOK_RETRY_SCALE",
                    env("RBPK_WEBHOOK_RETRY_SCALE"),
                    hooks.retry_scale,
                )?,
            },
            object_store,
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
                secret_generated: false,
            },
            cors_origins: vec![],
            body_limit: 1024 * 1024,
            import_limit: 64 * 1024 * 1024,
            demo_password: None,
            pool_size: 4,
            read_database_url: None,
            read_replica_max_lag_ms: 2000,
            login_attempts_per_minute: 5,
            login_client_ceiling: 100,
            trusted_proxies: TrustedProxies::default(),
            account_cache_ms: 2000,
            exposure_cap: crate::domain::exposure::DEFAULT_CAP,
            webhooks: WebhookSettings::default(),
            // Tests' files in the temporary directory, never the working one.
            object_store: crate::storage::Location::Directory(
                std::env::temp_dir().join("rbpk-test-objects"),
            ),
        }
    }

    /// Refuses settings that would be unsafe or meaningless.
    pub fn check(&self) -> Result<(), ConfigError> {
        // Instances behind one PostgreSQL must accept each other's tokens, so
        // a secret made up at start would split them: there it must be set.
        if self.backend == Backend::Postgres && self.jwt.secret_generated {
            return Err(ConfigError(
                "RBPK_JWT_SECRET is not set: on PostgreSQL every instance must share one \
                 random secret of at least 32 bytes (e.g. `openssl rand -hex 32`)"
                    .into(),
            ));
        }
        if let Some(why) = weak_secret(self.jwt.secret.expose()) {
            return Err(ConfigError(why));
        }
        // A token may not outlive the account check's cache by much either:
        // the cache is a few seconds so a disabled account stops at once.
        if self.account_cache_ms > 10_000 {
            return Err(ConfigError(
                "RBPK_ACCOUNT_CACHE_MS must be at most 10000 (a few seconds)".into(),
            ));
        }
        if let Some(url) = &self.read_database_url {
            if self.backend != Backend::Postgres || Backend::from_url(url) != Backend::Postgres {
                return Err(ConfigError(
                    "RBPK_DATABASE_READ_URL names a PostgreSQL standby of the PostgreSQL \
                     DATABASE_URL; SQLite has no replicas"
                        .into(),
                ));
            }
        }
        if self.jwt.token_ttl <= 0 || self.jwt.token_ttl > self.jwt.max_token_ttl {
            return Err(ConfigError(
                "RBPK_TOKEN_TTL must be positive and not above RBPK_TOKEN_MAX_TTL".into(),
            ));
        }
        if let Some(why) = self
            .demo_password
            .as_ref()
            .and_then(|p| crate::domain::account::password_problem("", p.expose()))
        {
            return Err(ConfigError(format!("DEMO_PASSWORD {why}")));
        }
        if self.body_limit < 1024 {
            return Err(ConfigError("RBPK_BODY_LIMIT must be at least 1024".into()));
        }
        let hooks = &self.webhooks;
        if !(hooks.retry_scale.is_finite() && hooks.retry_scale > 0.0 && hooks.retry_scale <= 1.0)
            || hooks.poll_ms == 0
            || !(100..=60_000).contains(&hooks.timeout_ms)
        {
            return Err(ConfigError(
                "RBPK_WEBHOOK_RETRY_SCALE must be in (0, 1], RBPK_WEBHOOK_POLL_MS positive and \
                 RBPK_WEBHOOK_TIMEOUT_MS 100–60000"
                    .into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(database: &str, read: &str) -> Result<Config, ConfigError> {
        let (database, read) = (database.to_string(), read.to_string());
        Config::from_lookup(move |name| match name {
            "DATABASE_URL" => Some(database.clone()),
            "RBPK_DATABASE_READ_URL" => Some(read.clone()),
            "RBPK_JWT_SECRET" => Some("7f3e9a1c5b2d8e4f6a0c3b7d9e1f5a2c".into()),
            _ => None,
        })
    }

    #[test]
    fn a_read_replica_is_a_postgresql_standby_of_a_postgresql_primary() {
        let ok = config("postgres://primary/rbpk", "postgres://standby/rbpk").unwrap();
        assert_eq!(
            ok.read_database_url.as_deref(),
            Some("postgres://standby/rbpk")
        );
        assert_eq!(ok.read_replica_max_lag_ms, 2000);
        for (database, read) in [
            ("rbpk.sqlite3", "postgres://standby/rbpk"),
            ("postgres://primary/rbpk", "replica.sqlite3"),
        ] {
            let err = config(database, read).unwrap_err().to_string();
            assert!(err.contains("RBPK_DATABASE_READ_URL"), "{err}");
        }
        assert!(config("rbpk.sqlite3", "")
            .unwrap()
            .read_database_url
            .is_none());
    }
}
