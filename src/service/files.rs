//! Files kept in the object store (`crate::storage`) beside a row that
//! describes them — photos of visits, evidence of deliveries. The bytes are
//! written first and the row after, so a store that fails leaves no row
//! (503, nothing recorded), and a row that cannot be recorded takes its
//! object away again.

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

use crate::db::{self, DbConnection, Pool};
use crate::error::ApiError;
use crate::storage::{Objects, StorageError};

/// The answer when the object store fails: 503, the cause logged.
pub fn store_failed(e: StorageError) -> ApiError {
    log::error!("{e}");
    ApiError::Unavailable {
        detail: "the file store is unavailable; try again later".into(),
    }
}

/// Hex SHA-256 of a file, kept with its row.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A file's size as its row keeps it.
pub fn size_of(bytes: &[u8]) -> Result<i32, ApiError> {
    i32::try_from(bytes.len()).map_err(|_| ApiError::internal("file size"))
}

/// Writes `bytes` under `key`, then runs `record` in a transaction; when
/// `record` fails the object is removed again.
pub async fn put_then_record<T, F>(
    pool: &Pool,
    objects: &Objects,
    key: String,
    bytes: Bytes,
    record: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    objects.put(&key, bytes).await.map_err(store_failed)?;
    let recorded = db::tx(pool, record).await;
    if recorded.is_err() {
        if let Err(e) = objects.delete(&key).await {
            log::error!("a file without its row stays in the store at {key}: {e}");
        }
    }
    recorded
}

/// Reads a file's bytes (503 when the store fails).
pub async fn read(objects: &Objects, key: &str) -> Result<Bytes, ApiError> {
    objects.get(key).await.map_err(store_failed)
}
