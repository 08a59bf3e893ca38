//! Database access: one connection type for SQLite and PostgreSQL, the pool,
//! embedded migrations, and every backend-specific line of the code base.
//! Above this module nothing knows which backend runs.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub mod audit;
pub mod change_requests;
pub mod checkpoint;
pub mod companies;
pub mod copy;
pub mod cycles;
pub mod datasets;
pub mod deferred_indexes;
pub mod deliveries;
pub mod enum_columns;
pub mod error;
pub mod events;
pub mod exemption_letters;
pub mod exposure;
pub mod grouped_insert;
pub mod household_changes;
pub mod household_imports;
pub mod households;
pub mod idempotency;
pub mod import_roster;
pub mod merge;
pub mod programs;
pub mod realisation;
pub mod recommendations;
pub mod regions;
pub mod registry_writer;
pub mod replica;
pub mod reports;
pub mod row_time;
pub mod schema;
pub mod seed;
pub mod targets;
pub mod users;
pub mod verifications;
// issue 14: photos of visits
pub mod verification_photos;
pub mod webhooks;

pub use error::{taken, DbError};

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends, for case-insensitive search.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The escape character of every `LIKE` pattern built from user text: pass
/// it to `.escape(LIKE_ESCAPE)` beside a pattern from [`like_prefix`] or
/// [`like_contains`].
pub const LIKE_ESCAPE: char = '\\';

/// User text with `LIKE`'s wildcards (`%`, `_`) and the escape character
/// itself escaped, so it matches only literally (`q=%` must not match all).
pub fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out
}

/// A `LIKE` pattern: values starting with `text` (taken literally).
pub fn like_prefix(text: &str) -> String {
    format!("{}%", like_literal(text))
}

/// A `LIKE` pattern: values containing `text` (taken literally).
pub fn like_contains(text: &str) -> String {
    format!("%{}%", like_literal(text))
}

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Postgresql(diesel::PgConnection),
}

pub type Pool = r2d2::Pool<Manager>;

/// The backend type of [`DbConnection`], for boxed queries.
pub type DbBackend = <DbConnection as diesel::Connection>::Backend;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` or `postgresql://` is PostgreSQL; anything else is a SQLite
    /// path, with or without a `sqlite://` prefix.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections of the backend the URL names. We do not use diesel's own
/// manager: its multi-backend `establish` tries each backend in turn and hides
/// the real error.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(url: &str) -> Manager {
        Manager {
            url: url.to_string(),
            backend: Backend::from_url(url),
        }
    }
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Adds a short connect timeout unless the URL sets one, so a down server is
/// reported in seconds with its real cause.
fn postgres_url(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=3")
    } else {
        format!("{url}?connect_timeout=3")
    }
}

/// How a PostgreSQL connection plans its prepared statements: anew each
/// run (see [`establish`]); a bulk session sets it aside.
const PLAN_EVERY_RUN: &str = "SET plan_cache_mode = force_custom_plan";

/// Opens one connection, configured for concurrent use.
pub fn establish(url: &str) -> Result<DbConnection, ConnectionError> {
    match Backend::from_url(url) {
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&postgres_url(url))?;
            // diesel prepares every statement, and after five runs PostgreSQL
            // may keep a generic plan chosen without the parameters: for the
            // household list's region range it scanned the desil index and
            // took 0.1–0.9 s instead of 2 ms. Planning each run costs ~0.2 ms.
            conn.batch_execute(PLAN_EVERY_RUN)
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Postgresql(conn))
        }
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(sqlite_path(url))?;
            // Without these SQLite answers "database is locked" under concurrent
            // writers and ignores foreign keys. No commit checkpoints the WAL:
            // `checkpoint::Checkpointer` does, off the request path.
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA wal_autocheckpoint = 0;",
            )
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        debug_assert_eq!(self.backend, Backend::from_url(&self.url));
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Builds the pool after one direct connection, so that a wrong URL or a down
/// server stops start-up with its real message instead of a pool time-out.
pub fn connect_pool(url: &str, size: u32) -> Result<Pool, String> {
    establish(url).map_err(|e| format!("cannot connect to the database: {e}"))?;
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(1))
        // Long enough to ride out a burst, short enough that a client hears
        // 503 quickly while the database is down.
        .connection_timeout(Duration::from_secs(3))
        .build(Manager::new(url))
        .map_err(|e| format!("cannot build the connection pool: {e}"))
}

/// Applies pending migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    applied.map_err(|e| format!("migrations failed: {e}"))
}

/// Prepares a connection for a bulk import: on SQLite a page cache large
/// enough for the registry's indexes (the default 2 MiB makes every batch read
/// index pages back from disk) and fewer WAL checkpoints; on PostgreSQL
/// commits that do not wait for the WAL flush and plans kept across runs.
/// Undone by [`end_bulk_session`].
pub fn begin_bulk_session(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        // A batch's commit need not wait for its WAL flush: a crash loses at
        // most the last moment's batches of an import that is then marked
        // failed anyway (`fail_interrupted`), never consistency.
        c.batch_execute("SET synchronous_commit = off")?;
        // The batches' look-ups probe a unique index with thousands of keys
        // (`p3ke_individual_id = ANY(…)`, `nik = ANY(…)`); priced at the
        // default 4 a random page, a scan of the whole growing table looked
        // cheaper from ~100,000 members on (69 ms a batch against 5 ms
        // through the index, docs/PERFORMANCE.md). The registry's pages
        // are in memory or on flash: a random read costs about a
        // sequential one.
        c.batch_execute("SET random_page_cost = 1.1")?;
        // Every row a COPY writes runs its foreign keys' checks, each a
        // prepared plan (`SELECT 1 FROM households WHERE id = $1 FOR KEY
        // SHARE`); planned anew each run as the connection's statements
        // are, they took a 300k import's COPYs of members, families and
        // dataset links from 13.7, 7.6 and 2.6 s (psql `\copy`) to 25.0,
        // 8.6 and 6.8 s (docs/PERFORMANCE.md). The import's own look-ups
        // name their keys in one array parameter: a generic plan probes
        // the same index.
        c.batch_execute("SET plan_cache_mode = auto")?;
        // The analyses while the tables grow (`GrowingTables`) only tell the
        // planner how many rows there are and that the keys are unique: a
        // sample of 3,000 rows does, instead of 30,000.
        c.batch_execute("SET default_statistics_target = 10")?;
        // A statement over a whole table, such as the check of a foreign
        // key added after the rows (`deferred_indexes`), costs enough for
        // PostgreSQL to compile it to machine code first (JIT), which took
        // longer than the statement saved: a 270,000-family import spent
        // 1.0 to 1.8 s less of PostgreSQL's time without (docs/PERFORMANCE.md,
        // session 20).
        c.batch_execute("SET jit = off")?;
    }
    if let DbConnection::Sqlite(c) = conn {
        // A checkpoint every few batches fsyncs the database file each time;
        // let the WAL grow to 50,000 pages and checkpoint at the end.
        // Temporary storage in memory: every row written fires the tallies'
        // triggers, so each insert keeps a statement journal, which in a
        // file cost a 100,000-family import 3 s of writes
        // (docs/PERFORMANCE.md). What is large goes elsewhere: a DTSEN
        // roster to a file of its own (`import_roster`).
        c.batch_execute(
            "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 50000;",
        )?;
    }
    Ok(())
}

/// Gives the connection its normal cache back before it returns to the pool.
/// On PostgreSQL, vacuums and analyzes what the import wrote, as autovacuum
/// would some time later (if it runs at all): until then the planner's
/// statistics describe the registry before the import (it estimated 195
/// families for a kecamatan of 5,812) and index-only scans visit the table
/// for every row. The links to datasets too: without their statistics the
/// list's "datasets of this page" scanned all 100,000 links (9 ms of a 12 ms
/// request) instead of 50 index entries, with autovacuum off as on the
/// benchmark machine. About a second for 100,000 families.
pub fn end_bulk_session(conn: &mut DbConnection) -> Result<(), DbError> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA wal_checkpoint(TRUNCATE); \
             PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; PRAGMA shrink_memory;",
        )?,
        // Two statements: VACUUM cannot run in the implicit transaction of a
        // multi-statement query.
        DbConnection::Postgresql(c) => {
            c.batch_execute(
                "RESET synchronous_commit; RESET random_page_cost; RESET default_statistics_target; \
                 RESET jit",
            )?;
            c.batch_execute(PLAN_EVERY_RUN)?;
            c.batch_execute("VACUUM (ANALYZE) households, members, household_datasets")?
        }
    }
    Ok(())
}

/// Runs `work` with SQLite's temporary storage in files, then gives the
/// connection its setting back (an import's is in memory,
/// [`begin_bulk_session`]); on PostgreSQL only runs `work`. What SQLite
/// makes while the setting holds stays where it was made: a database
/// attached then (`import_roster`), or the sorted keys of an index it
/// builds then (`deferred_indexes`). Outside a transaction: SQLite refuses
/// the change inside one.
pub fn with_temporary_files<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let DbConnection::Sqlite(c) = conn else {
        return work(conn);
    };
    // 0 default, 1 file, 2 memory.
    let mode: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "(SELECT temp_store FROM pragma_temp_store)",
    ))
    .get_result(c)?;
    c.batch_execute("PRAGMA temp_store = FILE")?;
    let done = work(conn);
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute(&format!("PRAGMA temp_store = {mode}"))?;
    }
    done
}

/// Keeps PostgreSQL's statistics of the tables an import grows abreast of
/// it. An import looks each batch's keys up (`head_nik = ANY(…)`,
/// `kk_number = ANY(…)`); planned on the statistics of the table before the
/// import — none at all on a new registry, where the planner takes each key
/// to match 0.5 % of the rows — each look-up scanned the whole growing table
/// instead of probing its index: 27 ms a batch at 270,000 families, the
/// import's time growing with the square of the file. Autovacuum would
/// analyze the tables some time later, if it runs. Once analyzed, the
/// planner knows the keys are (nearly) unique and scales its row counts with
/// the table's size, so a few analyses suffice: one when the import has
/// written 5,000 rows, then each time it has written four times as many
/// (each a sample of 30,000 rows, ~0.2 s). SQLite plans those look-ups on
/// its indexes without statistics.
#[derive(Debug)]
pub struct GrowingTables {
    /// The tables, as `ANALYZE` names them.
    tables: &'static str,
    /// Rows written when the tables were last analyzed.
    analyzed_at: usize,
    written: usize,
}

/// Rows written before the first analysis: below it any plan is quick.
const FIRST_ANALYSIS: usize = 5_000;
/// How much more an import writes between two analyses.
const ANALYSIS_GROWTH: usize = 4;

impl GrowingTables {
    /// Tables an import writes to, e.g. `"households, household_datasets"`.
    pub fn new(tables: &'static str) -> GrowingTables {
        GrowingTables {
            tables,
            analyzed_at: 0,
            written: 0,
        }
    }

    /// Counts `rows` more of the import's batches, analyzing the tables once
    /// they grew enough. Rows matched and left unchanged count too: a
    /// re-import analyzes a few times more than it needs, for a count that
    /// needs no look-up in the batch's outcome.
    pub fn wrote(&mut self, conn: &mut DbConnection, rows: usize) -> Result<(), DbError> {
        self.written += rows;
        if self.written < (ANALYSIS_GROWTH * self.analyzed_at).max(FIRST_ANALYSIS) {
            return Ok(());
        }
        if let DbConnection::Postgresql(c) = conn {
            c.batch_execute(&format!("ANALYZE {}", self.tables))?;
        }
        self.analyzed_at = self.written;
        Ok(())
    }
}

/// Checks out a connection, or [`DbError::Unavailable`] when the database is
/// unreachable.
pub fn conn(pool: &Pool) -> Result<r2d2::PooledConnection<Manager>, DbError> {
    Ok(pool.get()?)
}

/// Runs blocking database work off the async executor. The work's error is
/// the caller's: a `db` function's [`DbError`], or a service's `ApiError`
/// (anything a `DbError` converts into).
pub async fn run<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut c = conn(&pool)?;
        work(&mut c)
    })
    .await
    .map_err(DbError::from)?
}

/// Runs database work in one transaction: all of it lands or none of it.
pub async fn tx<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    run(pool, move |c| transaction(c, work)).await
}

/// Reads; on SQLite in one read transaction (one snapshot for a count and
/// its page). A reader must not queue for SQLite's single write lock, so only
/// reads that also write (`writes`: a company's read of personal data records its
/// audit event) run as a write transaction (see [`transaction`]).
pub async fn read<T, E, F>(pool: &Pool, writes: bool, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    if writes {
        return tx(pool, work).await;
    }
    run(pool, move |c| match c {
        DbConnection::Sqlite(_) => c.transaction(work),
        // Under PostgreSQL's read committed every statement reads its own
        // snapshot, in a transaction or not: BEGIN and COMMIT would only
        // add two round trips to every read.
        DbConnection::Postgresql(_) => work(c),
    })
    .await
}

/// A write transaction. On SQLite its first statement takes the write lock:
/// a deferred transaction that reads first and writes later fails at once
/// with "database is locked" when another writer committed in between,
/// whatever the busy timeout, while a transaction that asks for the lock
/// before reading waits its turn. (A no-op UPDATE does that and, unlike a
/// hand-written `BEGIN IMMEDIATE`, keeps diesel's own transaction bookkeeping.)
pub fn transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    let _turn = match conn {
        DbConnection::Sqlite(_) => Some(SQLITE_WRITERS.enter()),
        DbConnection::Postgresql(_) => None,
    };
    conn.transaction(|conn| {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute("UPDATE cycles SET year = year WHERE 0")?;
        }
        work(conn)
    })
}

/// Lets the open transaction commit without waiting for its WAL to reach
/// the disk (PostgreSQL's `synchronous_commit = off` for this transaction
/// only; SQLite in WAL mode with `synchronous = NORMAL` already commits
/// without a sync). Only for work that ends, before it answers anyone, with
/// a transaction committed the ordinary way: that commit flushes the WAL up
/// to its own record, so every earlier commit is durable by then too. A
/// device's batch uses it: 500 commits each waiting for a flush took most of
/// its time (docs/PERFORMANCE.md, "Offline visits in one batch").
pub fn defer_flush(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        c.batch_execute("SET LOCAL synchronous_commit TO OFF")?;
    }
    Ok(())
}

/// The queue of this process's SQLite writers. SQLite's busy handler lets a
/// waiting writer sleep and poll (up to 100 ms at a time), so under sixteen
/// concurrent writers some waited over a second while others went first;
/// the queue hands the turn on as soon as a writer commits, and in the
/// order the writers came (a plain mutex lets a newcomer overtake a woken
/// waiter, which was the tail of POST verification, issue 17). Other
/// processes on the same file still wait through the busy timeout. (One
/// queue for every SQLite database of the process: a service has one; tests
/// only share it.)
static SQLITE_WRITERS: WriterQueue = WriterQueue::new();

/// First come, first served: a ticket each, served in order.
struct WriterQueue {
    tickets: std::sync::Mutex<Tickets>,
    turn: std::sync::Condvar,
}

struct Tickets {
    next: u64,
    serving: u64,
}

/// A writer's turn; the next ticket's when dropped (also while unwinding).
struct Turn(&'static WriterQueue);

impl WriterQueue {
    const fn new() -> WriterQueue {
        WriterQueue {
            tickets: std::sync::Mutex::new(Tickets {
                next: 0,
                serving: 0,
            }),
            turn: std::sync::Condvar::new(),
        }
    }

    fn tickets(&self) -> std::sync::MutexGuard<'_, Tickets> {
        self.tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enter(&'static self) -> Turn {
        let mut t = self.tickets();
        let ticket = t.next;
        t.next += 1;
        while t.serving != ticket {
            t = self
                .turn
                .wait(t)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        Turn(self)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.tickets().serving += 1;
        // Few wait (at most the pool's connections): each checks its ticket.
        self.0.turn.notify_all();
    }
}

/// Locks one row of `table` (a table name of ours, never input) until the
/// transaction ends, on PostgreSQL; SQLite's writers already hold the whole
/// database's write lock (see [`transaction`]). Writers of one record then
/// queue instead of the later one failing its version check.
pub fn lock_row(conn: &mut DbConnection, table: &'static str, id: &str) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)?;
    }
    Ok(())
}

/// The current instant, truncated to microseconds so both backends store and
/// return exactly the same value (ETags and `updated_since` rely on it).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    let micros = now.and_utc().timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc())
        .unwrap_or(now)
}

/// A fresh opaque id. Time-ordered (UUIDv7), so bulk inserts append to the
/// primary-key indexes instead of writing all over them.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// What a client's `If-Match` asks (RFC 9110 §13.1.1): nothing (no header,
/// or `*` for a record that exists), or that the record's version be one of
/// these. The comparison is strong, so a weak tag (`W/"3"`) matches no
/// version; a list (`"2", "3"`) matches any version it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfMatch(Option<Vec<i32>>);

impl IfMatch {
    /// No precondition: the write applies to the version it reads.
    pub const ANY: IfMatch = IfMatch(None);

    /// The record must be at one of `versions` (none: it cannot be).
    pub fn one_of(versions: Vec<i32>) -> IfMatch {
        IfMatch(Some(versions))
    }

    /// Whether a record at `current` satisfies the precondition.
    pub fn admits(&self, current: i32) -> bool {
        self.0.as_ref().is_none_or(|vs| vs.contains(&current))
    }
}

/// [`DbError::Stale`] (412) unless the record's current version satisfies
/// the client's `If-Match`.
pub fn check_version(expected: &IfMatch, current: i32) -> Result<(), DbError> {
    if expected.admits(current) {
        Ok(())
    } else {
        Err(DbError::Stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Writers get their turn in the order they came, whoever wakes first.
    #[test]
    fn sqlite_writers_are_served_in_the_order_they_came() {
        static QUEUE: WriterQueue = WriterQueue::new();
        let first = QUEUE.enter();
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut writers = Vec::new();
        for i in 0..8u64 {
            let served = served.clone();
            writers.push(std::thread::spawn(move || {
                let _turn = QUEUE.enter();
                served.lock().unwrap().push(i);
            }));
            // The next writer comes only once this one holds its ticket.
            while QUEUE.tickets().next != i + 2 {
                std::thread::yield_now();
            }
        }
        drop(first);
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(*served.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }
}
