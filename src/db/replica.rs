//! Reads sent to a PostgreSQL streaming standby (`RBPK_DATABASE_READ_URL`),
//! the first step past one database server (issue 17, item 4).
//!
//! A standby replays the primary's WAL some time after the primary wrote
//! it. So that no caller reads something older than it may, a monitor
//! thread asks, every [`POLL`], the primary how far its WAL goes and the
//! standby how far it has replayed, and keeps one instant: everything the
//! primary had committed before `caught_up_to` is on the standby. Then:
//! - a read goes to the standby only while `caught_up_to` is at most the
//!   set bound old (`RBPK_READ_REPLICA_MAX_LAG_MS`), else to the primary;
//! - a caller whose last write (any non-GET request, `api::middleware::remember_writes`)
//!   came after `caught_up_to` reads from the primary: it sees its own
//!   write, whatever the standby's lag;
//! - a standby that cannot be reached, or whose read fails in any way
//!   (stopped mid-query, a query cancelled by replay), gives the read to
//!   the primary at once: the caller sees no error of the standby's.
//!
//! The last writes are kept per process: with several instances, a
//! caller's requests should reach the same instance (docs/SCALING.md).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use actix_web::web;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::sql_types::{BigInt, Nullable};

use super::{conn, establish, read, DbConnection, DbError, Pool};

/// How often the monitor compares the primary's WAL with the standby's.
const POLL: Duration = Duration::from_millis(100);

/// How long a read waits for a standby connection before taking the primary.
const STANDBY_CHECKOUT: Duration = Duration::from_millis(500);

/// Where reads go: the primary, and a standby when one is configured.
pub struct Reads {
    primary: Pool,
    standby: Option<Arc<Standby>>,
}

struct Standby {
    url: String,
    pool: Pool,
    max_lag: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Everything committed on the primary before this instant has been
    /// replayed on the standby; `None` while the standby is unreachable.
    caught_up_to: Option<Instant>,
    /// The primary's WAL position as sampled at each instant, oldest first,
    /// not yet replayed on the standby.
    samples: VecDeque<(Instant, i64)>,
    /// When each caller (token subject) last wrote.
    writes: HashMap<String, Instant>,
}

impl State {
    /// Takes in the standby's replay position: the newest sample it has
    /// reached moves `caught_up_to` on.
    fn replayed(&mut self, replay: i64) {
        while let Some(&(at, lsn)) = self.samples.front() {
            if lsn > replay {
                break;
            }
            self.samples.pop_front();
            self.caught_up_to = self.caught_up_to.max(Some(at));
        }
        // Writes the standby has caught up with no longer pin their caller.
        if let Some(caught) = self.caught_up_to {
            self.writes.retain(|_, wrote| *wrote >= caught);
        }
    }

    /// Whether `caller` may read from the standby at `now`.
    fn serves(&self, caller: &str, now: Instant, max_lag: Duration) -> bool {
        let Some(caught) = self.caught_up_to else {
            return false;
        };
        now.saturating_duration_since(caught) <= max_lag
            && self.writes.get(caller).is_none_or(|wrote| *wrote < caught)
    }

    fn down(&mut self) {
        self.caught_up_to = None;
        self.samples.clear();
    }
}

#[derive(QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Nullable<BigInt>)]
    lsn: Option<i64>,
}

/// The primary's WAL insert position: covers commits not yet flushed
/// (`synchronous_commit = off` in imports and batches).
fn primary_lsn(c: &mut DbConnection) -> Result<Option<i64>, DbError> {
    Ok(
        diesel::sql_query("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS lsn")
            .get_result::<Lsn>(c)?
            .lsn,
    )
}

/// The standby's replay position; `None` on a server that is not a standby.
fn replay_lsn(c: &mut DbConnection) -> Result<Option<i64>, DbError> {
    Ok(
        diesel::sql_query("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn")
            .get_result::<Lsn>(c)?
            .lsn,
    )
}

impl Standby {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a cache: one a panicking thread left is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mark_down(&self) {
        let mut state = self.state();
        if state.caught_up_to.is_some() {
            log::warn!("read replica unreachable or failing: reads go to the primary");
        }
        state.down();
    }

    /// One round of the monitor: sample the primary, then the standby.
    fn poll(&self, primary: &Pool, standby: &mut Option<DbConnection>) {
        let at = Instant::now();
        let Some(lsn) = primary
            .get_timeout(POLL * 10)
            .ok()
            .and_then(|mut c| primary_lsn(&mut c).ok().flatten())
        else {
            // The primary is down: nothing is replayed; reads fail on it
            // anyway or are served by the standby within the lag bound.
            return;
        };
        self.state().samples.push_back((at, lsn));
        if standby.is_none() {
            // The monitor keeps its own connection, outside the pool.
            *standby = establish(&self.url).ok();
        }
        let replay = standby.as_mut().map(replay_lsn);
        match replay {
            Some(Ok(Some(replay))) => {
                let mut state = self.state();
                let was_down = state.caught_up_to.is_none();
                state.replayed(replay);
                if was_down && state.caught_up_to.is_some() {
                    log::info!("read replica in use");
                }
            }
            Some(Ok(None)) => {
                log::error!("RBPK_DATABASE_READ_URL is not a standby (not in recovery): not used");
                self.mark_down();
            }
            Some(Err(_)) | None => {
                *standby = None;
                self.mark_down();
            }
        }
        // A standby far behind must not make the samples grow without end.
        let mut state = self.state();
        while state.samples.len() > 10_000 {
            state.samples.pop_front();
        }
    }
}

impl Reads {
    /// Reads from the primary only (SQLite, or no standby configured).
    pub fn primary_only(primary: Pool) -> Reads {
        Reads {
            primary,
            standby: None,
        }
    }

    /// Reads from the standby at `url` within `max_lag`, watched by a
    /// monitor thread that ends when the `Reads` is dropped. A standby that
    /// is down at start-up is not an error: reads go to the primary until
    /// it answers.
    pub fn with_standby(primary: Pool, url: &str, size: u32, max_lag: Duration) -> Reads {
        let pool = Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(0))
            .connection_timeout(STANDBY_CHECKOUT)
            .build_unchecked(super::Manager::new(url));
        let standby = Arc::new(Standby {
            url: url.to_string(),
            pool,
            max_lag,
            state: Mutex::new(State::default()),
        });
        let watched: Weak<Standby> = Arc::downgrade(&standby);
        let watcher_primary = primary.clone();
        std::thread::Builder::new()
            .name("rbpk-replica".into())
            .spawn(move || {
                let mut connection = None;
                while let Some(standby) = watched.upgrade() {
                    standby.poll(&watcher_primary, &mut connection);
                    drop(standby);
                    std::thread::sleep(POLL);
                }
            })
            .map_err(|e| log::error!("cannot start the read replica monitor: {e}"))
            .ok();
        Reads {
            primary,
            standby: Some(standby),
        }
    }

    /// Notes that `caller` has just written: its reads go to the primary
    /// until the standby has replayed past this moment.
    pub fn wrote(&self, caller: &str) {
        if let Some(standby) = &self.standby {
            standby
                .state()
                .writes
                .insert(caller.to_string(), Instant::now());
        }
    }

    /// The standby, when `caller` may read from it now.
    fn standby_for(&self, caller: &str) -> Option<Arc<Standby>> {
        let standby = self.standby.as_ref()?;
        let serves = standby
            .state()
            .serves(caller, Instant::now(), standby.max_lag);
        serves.then(|| standby.clone())
    }

    /// Runs a read for `caller` as [`super::read`] does, on the standby when
    /// it may serve the caller. Reads that also write (`writes`: a company's
    /// audited read) go to the primary. `work` may run twice: on the standby,
    /// then, if that fails in any way, on the primary.
    pub async fn read<T, E, F>(&self, caller: &str, writes: bool, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let standby = match (writes, self.standby_for(caller)) {
            (false, Some(standby)) => standby,
            _ => return read(&self.primary, writes, work).await,
        };
        let primary = self.primary.clone();
        web::block(move || {
            match standby.pool.get_timeout(STANDBY_CHECKOUT) {
                Ok(mut c) => match work(&mut c) {
                    Ok(v) => return Ok(v),
                    // A refusal (404, 403) is the primary's to give too; a
                    // failure of the standby marks it down.
                    Err(_) if c.ping().is_err() => standby.mark_down(),
                    Err(_) => {}
                },
                Err(_) => standby.mark_down(),
            }
            let mut c = conn(&primary)?;
            work(&mut c)
        })
        .await
        .map_err(DbError::from)?
    }
}

/// Reads for a service whose primary is `primary`: with a standby when
/// `read_url` names one.
pub fn reads_for(primary: Pool, read_url: Option<&str>, size: u32, max_lag: Duration) -> Reads {
    match read_url {
        Some(url) => Reads::with_standby(primary, url, size, max_lag),
        None => Reads::primary_only(primary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAG: Duration = Duration::from_secs(2);

    /// A standby that has replayed the primary's position sampled at `t0`.
    fn replayed_at(t0: Instant) -> State {
        let mut s = State::default();
        s.samples.push_back((t0, 100));
        s.replayed(100);
        s
    }

    #[test]
    fn a_standby_serves_only_once_it_has_replayed_a_sample() {
        let t0 = Instant::now();
        let mut s = State::default();
        assert!(!s.serves("a", t0, LAG), "nothing known yet");
        s.samples.push_back((t0, 100));
        s.replayed(99);
        assert!(!s.serves("a", t0, LAG));
        s.replayed(100);
        assert!(s.serves("a", t0, LAG));
        assert!(s.samples.is_empty());
    }

    #[test]
    fn a_standby_behind_the_bound_serves_nobody() {
        let t0 = Instant::now();
        let mut s = State::default();
        s.samples.push_back((t0, 100));
        s.samples.push_back((t0 + Duration::from_secs(1), 200));
        s.replayed(150);
        assert_eq!(s.caught_up_to, Some(t0));
        assert!(s.serves("a", t0 + LAG, LAG));
        assert!(!s.serves("a", t0 + LAG + Duration::from_millis(1), LAG));
        s.replayed(200);
        assert!(s.serves("a", t0 + LAG + Duration::from_millis(1), LAG));
    }

    #[test]
    fn a_caller_reads_from_the_primary_until_the_standby_has_its_write() {
        let t0 = Instant::now();
        let mut s = replayed_at(t0);
        s.writes
            .insert("writer".into(), t0 + Duration::from_millis(10));
        assert!(!s.serves("writer", t0 + Duration::from_millis(20), LAG));
        assert!(s.serves("reader", t0 + Duration::from_millis(20), LAG));
        // A sample taken after the write, not yet replayed: still the primary.
        s.samples.push_back((t0 + Duration::from_millis(50), 300));
        s.replayed(250);
        assert!(!s.serves("writer", t0 + Duration::from_millis(60), LAG));
        s.replayed(300);
        assert!(s.serves("writer", t0 + Duration::from_millis(60), LAG));
        assert!(s.writes.is_empty(), "a write caught up with is forgotten");
    }

    #[test]
    fn a_standby_down_serves_nobody_until_it_replays_again() {
        let t0 = Instant::now();
        let mut s = replayed_at(t0);
        s.down();
        assert!(!s.serves("a", t0, LAG));
        s.samples.push_back((t0 + Duration::from_millis(100), 100));
        s.replayed(100);
        assert!(s.serves("a", t0 + Duration::from_millis(100), LAG));
    }
}
