//! The object store: where files (photos of visits, evidence of deliveries)
//! live, behind one interface, so the database keeps only their metadata
//! and checksum. `RBPK_OBJECT_STORE` chooses it:
//!
//! - unset: the directory `rbpk-objects` beside the SQLite database file
//!   (for PostgreSQL, `./rbpk-objects` in the working directory);
//! - `file:///absolute/path` or a plain path: that directory (made if missing);
//! - `s3://bucket` or `s3://bucket/prefix`: an S3-compatible store, every key
//!   under the prefix. Where the server is and who we are come from the
//!   environment, as every AWS tool reads them (`AmazonS3Builder::from_env`):
//!   `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (or the instance's or
//!   container's credentials), `AWS_REGION` or `AWS_DEFAULT_REGION`,
//!   `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`) for a server that is not AWS
//!   (MinIO, Ceph, Garage, moto) and `AWS_ALLOW_HTTP=true` when that server
//!   speaks plain http. Secrets stay out of `RBPK_OBJECT_STORE`, which is
//!   logged at start.
//!
//! The `object_store` crate (Apache Arrow) does the work: its local
//! directory store writes each object to a temporary file and renames it into
//! place, so a reader never sees half a file; its S3 store is the same trait,
//! so the callers do not know which one they have.
//!
//! An S3 store that does not answer must fail the request within seconds
//! (503, nothing recorded: `service::files`), not hold it for the crate's
//! default of ten retries over three minutes: see [`S3_CONNECT_TIMEOUT`],
//! [`S3_REQUEST_TIMEOUT`] and [`s3_retry`]. `AWS_CONNECT_TIMEOUT` and
//! `AWS_TIMEOUT` (e.g. `5s`) override the two timeouts.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use crate::config::Secret;
use crate::db::Backend;

/// How long a connection to an S3 server may take (TLS included), as AWS
/// suggests for latency-sensitive clients: a server that does not answer
/// fails the upload after two such attempts (see [`s3_retry`]), about 6 s.
pub const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one request may take, whole: a 10 MiB evidence file needs
/// about 4 Mbit/s to go up in it (the crate's default is 30 s).
pub const S3_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Retries of a failed S3 request: two, quickly, and none begun more than
/// five seconds after the first attempt (the crate retries ten times over
/// three minutes, which holds an upload that long when the store is down).
pub fn s3_retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(5),
    }
}

/// Where objects are kept, as configured (`RBPK_OBJECT_STORE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory of the local file system.
    Directory(PathBuf),
    /// A bucket of an S3-compatible server.
    S3(S3Location),
}

/// A bucket, and a prefix its keys are kept under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// `a/b` (no leading or trailing slash), or `None` for the bucket's root.
    pub prefix: Option<String>,
    /// The server, named here rather than by the environment's `AWS_*`
    /// settings. `RBPK_OBJECT_STORE` never sets it (production takes the
    /// environment); tests do, since they run as threads of one process and
    /// so cannot each set their own environment.
    pub server: Option<S3Server>,
}

/// An S3 server and the credentials to use there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Server {
    /// `https://…`, or `http://…` (then allowed as plain http).
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl S3Location {
    /// The same bucket with `segment` appended to the prefix (a test's own
    /// corner of a shared bucket).
    pub fn within(&self, segment: &str) -> S3Location {
        let prefix = match &self.prefix {
            Some(p) => format!("{p}/{segment}"),
            None => segment.to_string(),
        };
        S3Location {
            prefix: Some(prefix),
            ..self.clone()
        }
    }

    /// `s3://bucket/prefix`, as configured.
    pub fn url(&self) -> String {
        match &self.prefix {
            Some(p) => format!("s3://{}/{p}", self.bucket),
            None => format!("s3://{}", self.bucket),
        }
    }
}

impl Location {
    /// Reads the setting; `None` gives the default beside the database.
    pub fn parse(
        setting: Option<&str>,
        database_url: &str,
        backend: Backend,
    ) -> Result<Location, String> {
        let Some(setting) = setting.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Location::Directory(default_directory(
                database_url,
                backend,
            )));
        };
        if let Some(path) = setting.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "RBPK_OBJECT_STORE: `{setting}`: a file:// URL names an absolute path (file:///srv/rbpk-objects)"
                ));
            }
            return Ok(Location::Directory(PathBuf::from(path)));
        }
        if let Some(rest) = setting.strip_prefix("s3://") {
            // The setting is not repeated: it may hold a secret pasted in.
            return parse_s3(rest)
                .map(Location::S3)
                .map_err(|why| format!("RBPK_OBJECT_STORE: {why}"));
        }
        if setting.contains("://") {
            return Err(format!(
                "RBPK_OBJECT_STORE: `{setting}` is neither a directory, a file:// URL nor an s3:// URL"
            ));
        }
        Ok(Location::Directory(PathBuf::from(setting)))
    }
}

/// `bucket[/prefix]` of an `s3://` URL. Bucket names as S3 takes them
/// (3 to 63 of `a-z 0-9 . -`); the prefix is a key path without empty or
/// `.`/`..` segments. Credentials never go here (the URL is logged).
fn parse_s3(rest: &str) -> Result<S3Location, String> {
    if rest.contains(['?', '#', '@']) {
        return Err("an s3:// URL is s3://bucket or s3://bucket/prefix; \
             credentials and options come from the environment (AWS_*)"
            .into());
    }
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !bucket.starts_with(['.', '-'])
        && !bucket.ends_with(['.', '-']);
    if !bucket_ok {
        return Err(format!(
            "`{bucket}` is not a bucket name (3 to 63 lowercase letters, digits, dots, hyphens)"
        ));
    }
    let prefix = prefix.trim_matches('/');
    let prefix = if prefix.is_empty() {
        None
    } else {
        let path = Path::parse(prefix).map_err(|e| format!("the prefix `{prefix}`: {e}"))?;
        Some(path.to_string())
    };
    Ok(S3Location {
        bucket: bucket.to_string(),
        prefix,
        server: None,
    })
}

/// `rbpk-objects` beside a SQLite database file, else in the working directory.
fn default_directory(database_url: &str, backend: Backend) -> PathBuf {
    let beside = match backend {
        Backend::Sqlite => {
            let path = database_url
                .strip_prefix("sqlite://")
                .or_else(|| database_url.strip_prefix("sqlite:"))
                .unwrap_or(database_url);
            FsPath::new(path)
                .parent()
                .map(FsPath::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty())
        }
        Backend::Postgres => None,
    };
    beside
        .unwrap_or_else(|| PathBuf::from("."))
        .join("rbpk-objects")
}

/// Why an object could not be written or read: the store failed (full,
/// unreachable, unwritable), or the object is not there.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the object is not in the store")]
    NotFound,
    /// The store failed; the message is for the log, not for clients.
    #[error("object store: {0}")]
    Failed(String),
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> StorageError {
        match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound,
            other => StorageError::Failed(other.to_string()),
        }
    }
}

/// The store the service writes files to, shared by every worker.
#[derive(Debug, Clone)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
    description: String,
}

impl Objects {
    /// Opens the store (making a local directory if it is missing). An S3
    /// store is not contacted here: the service starts while it is down,
    /// and uploads answer 503 until it is back.
    pub fn open(location: &Location) -> Result<Objects, String> {
        match location {
            Location::Directory(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("RBPK_OBJECT_STORE: cannot make {}: {e}", dir.display())
                })?;
                let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| {
                    format!("RBPK_OBJECT_STORE: cannot open {}: {e}", dir.display())
                })?;
                Ok(Objects {
                    inner: Arc::new(store),
                    description: dir.display().to_string(),
                })
            }
            Location::S3(s3) => open_s3(s3),
        }
    }

    /// Where the store is, for the start-up message (no credentials).
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    /// Writes an object whole under `key` (keys are ours: `a/b/c` of ids).
    pub async fn put(&self, key: &str, bytes: actix_web::web::Bytes) -> Result<(), StorageError> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads an object whole.
    pub async fn get(&self, key: &str) -> Result<actix_web::web::Bytes, StorageError> {
        Ok(self.inner.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Removes an object; one already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// An S3 store from the environment (or the location's own server).
fn open_s3(s3: &S3Location) -> Result<Objects, String> {
    // reqwest is built without a rustls crypto provider of its own (it
    // would default to aws-lc-rs, a C and cmake build): ring, which rustls
    // already uses here for ureq, is installed as the process default.
    // Installing twice fails harmlessly (another store opened earlier).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let environment = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let builder = s3_builder(s3, environment);
    let endpoint = builder
        .get_config_value(&AmazonS3ConfigKey::Endpoint)
        .unwrap_or_else(|| "AWS".into());
    let store = builder
        .build()
        .map_err(|e| format!("RBPK_OBJECT_STORE: cannot open {}: {e}", s3.url()))?;
    let inner: Arc<dyn ObjectStore> = match &s3.prefix {
        Some(prefix) => Arc::new(PrefixStore::new(store, prefix.as_str())),
        None => Arc::new(store),
    };
    Ok(Objects {
        inner,
        description: format!("{} at {endpoint}", s3.url()),
    })
}

/// The S3 client's settings: our timeouts and retries, then every `AWS_*`
/// of `environment` as `AmazonS3Builder::from_env` reads them (so
/// `AWS_CONNECT_TIMEOUT` and `AWS_TIMEOUT` can still change the timeouts),
/// then the location's own server, if it names one.
fn s3_builder(
    s3: &S3Location,
    environment: impl Iterator<Item = (String, String)>,
) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::new()
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(S3_CONNECT_TIMEOUT)
                .with_timeout(S3_REQUEST_TIMEOUT),
        )
        .with_retry(s3_retry());
    for (key, value) in environment {
        if key.starts_with("AWS_") {
            if let Ok(key) = key.to_ascii_lowercase().parse() {
                builder = builder.with_config(key, value);
            }
        }
    }
    if let Some(server) = &s3.server {
        builder = builder
            .with_endpoint(&server.endpoint)
            .with_allow_http(server.endpoint.starts_with("http://"))
            .with_region(&server.region)
            .with_access_key_id(&server.access_key_id)
            .with_secret_access_key(server.secret_access_key.expose());
    }
    builder.with_bucket_name(&s3.bucket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ClientConfigKey;

    #[test]
    fn the_default_is_beside_the_sqlite_file_or_in_the_working_directory() {
        let at = |url: &str, b| Location::parse(None, url, b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            at("/var/lib/rbpk/rbpk.sqlite3", Backend::Sqlite),
            Location::Directory(PathBuf::from("/var/lib/rbpk/rbpk-objects"))
        );
        assert_eq!(
            at("rbpk.sqlite3", Backend::Sqlite),
            Location::Directory(PathBuf::from("./rbpk-objects"))
        );
        assert_eq!(
            at("postgres://db/rbpk", Backend::Postgres),
            Location::Directory(PathBuf::from("./rbpk-objects"))
        );
    }

    #[test]
    fn file_urls_and_paths_are_taken() {
        let parse = |s: &str| Location::parse(Some(s), "x.sqlite3", Backend::Sqlite);
        assert_eq!(
            parse("file:///srv/objects"),
            Ok(Location::Directory(PathBuf::from("/srv/objects")))
        );
        assert_eq!(
            parse("data/objects"),
            Ok(Location::Directory(PathBuf::from("data/objects")))
        );
        assert!(parse("file://relative").is_err());
        assert!(parse("gs://bucket").is_err());
    }

    #[test]
    fn s3_urls_name_a_bucket_and_a_prefix() {
        let parse = |s: &str| Location::parse(Some(s), "x.sqlite3", Backend::Sqlite);
        let s3 = |bucket: &str, prefix: Option<&str>| {
            Ok(Location::S3(S3Location {
                bucket: bucket.into(),
                prefix: prefix.map(str::to_string),
                server: None,
            }))
        };
        assert_eq!(parse("s3://rbpk-evidence"), s3("rbpk-evidence", None));
        assert_eq!(parse("s3://rbpk-evidence/"), s3("rbpk-evidence", None));
        assert_eq!(
            parse("s3://rbpk.files/kukar/prod/"),
            s3("rbpk.files", Some("kukar/prod"))
        );
        assert_eq!(
            parse(" s3://rbpk-evidence//files "),
            s3("rbpk-evidence", Some("files"))
        );
    }

    #[test]
    fn s3_urls_without_a_valid_bucket_or_with_credentials_are_refused() {
        let parse = |s: &str| Location::parse(Some(s), "x.sqlite3", Backend::Sqlite);
        for bad in [
            "s3://",
            "s3:///prefix",
            "s3://ab",
            "s3://Upper-Case",
            "s3://under_score",
            "s3://-leading",
            &format!("s3://{}", "a".repeat(64)),
            "s3://key:secret@bucket",
            "s3://bucket?region=x",
            "s3://bucket/a//b",
            "s3://bucket/a/../b",
        ] {
            assert!(parse(bad).is_err(), "{bad} was taken");
        }
        let why = parse("s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/p").unwrap_err();
        assert!(!why.contains("wJalrXUtnFEMI"), "{why}");
    }

    #[test]
    fn a_location_within_another_adds_to_its_prefix() {
        let root = S3Location {
            bucket: "rbpk-test".into(),
            prefix: None,
            server: None,
        };
        let app = root.within("t1");
        assert_eq!(app.url(), "s3://rbpk-test/t1");
        assert_eq!(app.within("x").url(), "s3://rbpk-test/t1/x");
    }

    #[test]
    fn an_s3_store_opens_without_contacting_its_server_and_names_it() {
        let objects = Objects::open(&Location::S3(S3Location {
            bucket: "rbpk-test".into(),
            prefix: Some("p".into()),
            server: Some(S3Server {
                endpoint: "http://127.0.0.1:1".into(),
                region: "us-east-1".into(),
                access_key_id: "test".into(),
                secret_access_key: Secret::new("test"),
            }),
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(objects.describe(), "s3://rbpk-test/p at http://127.0.0.1:1");
    }

    #[test]
    fn the_s3_client_takes_the_environment_over_our_timeouts() {
        let s3 = S3Location {
            bucket: "rbpk-evidence".into(),
            prefix: None,
            server: None,
        };
        let value = |b: &AmazonS3Builder, key| b.get_config_value(&key);
        let client = |key| AmazonS3ConfigKey::Client(key);
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
                .into_iter()
        };

        let ours = s3_builder(&s3, env(&[]));
        assert_eq!(
            value(&ours, client(ClientConfigKey::ConnectTimeout)).as_deref(),
            Some("3s")
        );
        assert_eq!(
            value(&ours, client(ClientConfigKey::Timeout)).as_deref(),
            Some("20s")
        );
        assert_eq!(
            value(&ours, AmazonS3ConfigKey::Bucket).as_deref(),
            Some("rbpk-evidence")
        );

        let theirs = s3_builder(
            &s3,
            env(&[
                ("AWS_ENDPOINT_URL", "http://minio.internal:9000"),
                ("AWS_ALLOW_HTTP", "true"),
                ("AWS_DEFAULT_REGION", "ap-southeast-3"),
                ("AWS_ACCESS_KEY_ID", "rbpk"),
                ("AWS_CONNECT_TIMEOUT", "5s"),
                ("RBPK_OBJECT_STORE", "s3://elsewhere"),
            ]),
        );
        assert_eq!(
            value(&theirs, AmazonS3ConfigKey::Endpoint).as_deref(),
            Some("http://minio.internal:9000")
        );
        assert_eq!(
            value(&theirs, client(ClientConfigKey::AllowHttp)).as_deref(),
            Some("true")
        );
        assert_eq!(
            value(&theirs, AmazonS3ConfigKey::Region).as_deref(),
            Some("ap-southeast-3")
        );
        assert_eq!(
            value(&theirs, AmazonS3ConfigKey::AccessKeyId).as_deref(),
            Some("rbpk")
        );
        assert_eq!(
            value(&theirs, client(ClientConfigKey::ConnectTimeout)).as_deref(),
            Some("5s")
        );
        assert_eq!(
            value(&theirs, client(ClientConfigKey::Timeout)).as_deref(),
            Some("20s")
        );
        assert_eq!(
            value(&theirs, AmazonS3ConfigKey::Bucket).as_deref(),
            Some("rbpk-evidence")
        );
    }
}
