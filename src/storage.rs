//! The object store: where files (photos of visits; later delivery evidence)
//! live, behind one interface, so the database keeps only their metadata
//! and checksum. `RBPK_OBJECT_STORE` chooses it:
//!
//! - unset: the directory `rbpk-objects` beside the SQLite database file
//!   (for PostgreSQL, `./rbpk-objects` in the working directory);
//! - `file:///absolute/path` or a plain path: that directory (made if missing);
//! - `s3://bucket/prefix`: an S3-compatible store — coming with the delivery
//!   issue (15) through this same interface; refused at start until then.
//!
//! The `object_store` crate (Apache Arrow) does the work: its local
//! directory store writes each object to a temporary file and renames it into
//! place, so a reader never sees half a file, and its S3 store is the same
//! trait, so the callers here will not change when it comes.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::db::Backend;

/// Where objects are kept, as configured (`RBPK_OBJECT_STORE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory of the local file system.
    Directory(PathBuf),
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
        if setting.starts_with("s3://") {
            return Err(
                "RBPK_OBJECT_STORE: s3:// stores are not supported yet (issue 15); use a directory or file:///path"
                    .into(),
            );
        }
        if setting.contains("://") {
            return Err(format!(
                "RBPK_OBJECT_STORE: `{setting}` is neither a directory nor a file:// URL"
            ));
        }
        Ok(Location::Directory(PathBuf::from(setting)))
    }
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
    location: Location,
}

impl Objects {
    /// Opens the store (making a local directory if it is missing).
    pub fn open(location: &Location) -> Result<Objects, String> {
        let inner: Arc<dyn ObjectStore> = match location {
            Location::Directory(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("RBPK_OBJECT_STORE: cannot make {}: {e}", dir.display())
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(dir).map_err(|e| {
                    format!("RBPK_OBJECT_STORE: cannot open {}: {e}", dir.display())
                })?)
            }
        };
        Ok(Objects {
            inner,
            location: location.clone(),
        })
    }

    /// Where the store is, for the start-up message.
    pub fn describe(&self) -> String {
        match &self.location {
            Location::Directory(dir) => dir.display().to_string(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn file_urls_and_paths_are_taken_and_s3_is_refused_for_now() {
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
        assert!(parse("s3://bucket/photos").is_err());
        assert!(parse("gs://bucket").is_err());
    }
}
