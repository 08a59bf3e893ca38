//! SQLite's WAL checkpoints, off the request path (issue 17, item 3).
//!
//! By default the commit that grows the WAL past 1,000 pages copies it back
//! into the database file before it returns: one request in a few hundred
//! pays for everyone's writes, which was the tail of POST verification under
//! 16 writers. Every SQLite connection of ours is opened with
//! `wal_autocheckpoint = 0` ([`super::establish`]); the running service keeps
//! one [`Checkpointer`], a thread of its own that checkpoints every second
//! (`PASSIVE`: it never waits for a reader or a writer). A command that runs
//! without it (an import from the shell) checkpoints at its end
//! ([`super::end_bulk_session`]) and SQLite does when the last connection
//! closes.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::{establish, Backend, DbConnection};

const EVERY: Duration = Duration::from_secs(1);

/// The checkpointing thread of one SQLite database; it stops when this is
/// dropped (the service's state holds it).
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `url`; `None` for PostgreSQL,
    /// which checkpoints in its own processes.
    pub fn start(url: &str) -> Result<Option<Checkpointer>, String> {
        if Backend::from_url(url) != Backend::Sqlite {
            return Ok(None);
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let url = url.to_string();
        let spawned = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                let mut conn: Option<DbConnection> = None;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if conn.is_none() {
                        conn = establish(&url)
                            .map_err(|e| log::warn!("WAL checkpointer cannot connect: {e}"))
                            .ok();
                    }
                    if let Some(c) = conn.as_mut() {
                        if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                            log::warn!("WAL checkpoint failed: {e}");
                            conn = None;
                        }
                    }
                }
            })
            .map_err(|e| format!("cannot start the WAL checkpointer: {e}"))?;
        drop(spawned);
        Ok(Some(Checkpointer { _stop: stop }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;

    /// Until a checkpoint, what a commit wrote stays in the WAL and the
    /// database file does not grow; the checkpointer copies it back.
    #[test]
    fn the_checkpointer_moves_the_wal_into_the_database_and_no_commit_does() {
        let path = std::env::temp_dir().join(format!("rbpk-wal-{}.sqlite3", uuid::Uuid::new_v4()));
        let url = path.to_str().unwrap().to_string();
        let mut conn = establish(&url).unwrap();
        conn.batch_execute(
            "CREATE TABLE filler (x TEXT); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) \
             INSERT INTO filler SELECT hex(randomblob(500)) FROM n;",
        )
        .unwrap();
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size() < 100_000, "a commit checkpointed: {} bytes", size());

        let checkpointer = Checkpointer::start(&url).unwrap().expect("SQLite");
        let mut waited = 0;
        while size() < 2_000_000 && waited < 200 {
            std::thread::sleep(Duration::from_millis(50));
            waited += 1;
        }
        assert!(size() >= 2_000_000, "no checkpoint: {} bytes", size());
        drop(checkpointer);
        drop(conn);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }

    #[test]
    fn postgres_needs_no_checkpointer() {
        assert!(Checkpointer::start("postgres://nowhere/none")
            .unwrap()
            .is_none());
    }
}
