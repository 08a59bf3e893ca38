//! Running one import: read the file, hand its rows in batches to the registry
//! writer, each batch with its progress in one transaction. The one place where
//! reading files meets the database; the endpoint and `rbpk import` both call it.

use chrono::NaiveDate;

use crate::db::audit::{self, Actor};
use crate::db::household_changes::{self, ChangeKind, Origin};
use crate::db::household_imports::{self as records, Progress};
use crate::db::registry_writer::{
    self as writer, BatchOutcome, Prepared, PreparedFamily, PreparedMember,
};
use crate::db::{deferred_indexes, import_roster, regions, DbConnection, DbError, GrowingTables};
use crate::domain::household::{HouseholdRecord, ImportFormat, ImportStatus, MemberRecord};
use crate::domain::region_lookup::RegionTable;
use crate::import::dtks::parse_dtks;
use crate::import::file::ImportFile;
use crate::import::p3ke::{stream_p3ke, FileError, ImportSink, Parsed, RejectedRow};
use crate::import::snapshot::{give_heads, stream_snapshot, RosterEntry};

/// Families per transaction: few commits (each writes the pages it dirtied
/// to SQLite's WAL once), and batches that stay small in memory.
const FAMILY_BATCH: usize = 2000;
/// Members per transaction.
const MEMBER_BATCH: usize = 5000;
/// People of a DTSEN member file staged at a time for the roster.
const ROSTER_BATCH: usize = 10_000;

/// The regions as the importers look them up, from the database.
pub fn region_table(conn: &mut DbConnection) -> Result<RegionTable, DbError> {
    Ok(RegionTable::from_rows(regions::all(conn)?))
}

/// Checks an upload's files before it is queued, reading only what is cheap
/// and bounded: the media, the zip directory and sheet list of an XLSX, the
/// header rows. A P3KE or DTKS upload is one file; a DTSEN upload is its
/// family, member and code book files, each recognised by its headers. A
/// file that cannot be read at all, or that goes past a cap, is refused at
/// once; the rows are read once, by the import itself. Returns an estimate of
/// the data rows for progress (CSV: its lines; XLSX: 0, counted as it runs).
pub fn precheck(format: ImportFormat, files: &[ImportFile]) -> Result<usize, FileError> {
    use crate::import::{dtks, p3ke, snapshot};
    let data: Vec<&ImportFile> = match format {
        ImportFormat::P3ke | ImportFormat::Dtks if files.len() != 1 => {
            return Err(FileError::UnrecognisedSheet(format!(
                "a {format} import is one file; {} were given",
                files.len()
            )))
        }
        ImportFormat::P3ke => p3ke::open_p3ke(files[0].input()?).map(|_| vec![&files[0]])?,
        ImportFormat::Dtks => dtks::open_dtks(files[0].input()?).map(|_| vec![&files[0]])?,
        ImportFormat::Dtsen => {
            let sorted = snapshot::sort_files(files)?;
            sorted.families.into_iter().chain(sorted.members).collect()
        }
    };
    data.iter().map(|file| file.estimate_rows()).sum()
}

/// Imports in this process, queued or running: each waiting one holds its
/// files (on disk, an XLSX in memory), so past [`MAX_PENDING`] an upload is
/// asked to come back.
static PENDING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Imports one instance holds at a time (one running, the rest `queued`).
pub const MAX_PENDING: usize = 8;

/// The one lane imports of this process run in, one at a time, so that
/// imports never hold more than one pooled connection and other requests
/// keep theirs.
static LANE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A place among this instance's imports, held from upload to the end of
/// the import; dropping it frees the place.
pub struct Ticket(());

impl Ticket {
    /// A place, or `None` when [`MAX_PENDING`] imports are already waiting or running.
    pub fn take() -> Option<Ticket> {
        use std::sync::atomic::Ordering;
        PENDING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_PENDING).then_some(n + 1)
            })
            .ok()
            .map(|_| Ticket(()))
    }

    /// Waits for the lane, then runs `work` in it: imports before this one
    /// finish first, and this one stays `queued` until its turn.
    pub fn run_in_turn<T>(self, work: impl FnOnce() -> T) -> T {
        // A poisoned lane only means an earlier import panicked; the lane
        // guards no data, so the next import may go ahead.
        let _turn = LANE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        work()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// A registry writer for one kind of record.
type Upsert<R, V> =
    fn(&mut DbConnection, &mut [Prepared<R, V>], ImportFormat) -> Result<BatchOutcome, DbError>;

/// Buffers parsed rows and writes them in batches.
struct BatchWriter<'c> {
    conn: &'c mut DbConnection,
    actor: &'c Actor,
    import_id: &'c str,
    source: ImportFormat,
    /// The snapshot the file belongs to: it comes to name every family read.
    dataset: Option<&'c str>,
    families: Vec<PreparedFamily>,
    members: Vec<PreparedMember>,
    rejected: Vec<RejectedRow>,
    rows_read: usize,
    /// When this import began: households created since are this import's,
    /// and their members are not news to their history.
    started: chrono::NaiveDateTime,
    /// The DTSEN roster: people read ahead and not yet staged, and whether
    /// it is staged whole (and indexed) — families come after it.
    roster: Vec<RosterEntry>,
    roster_whole: bool,
    /// Database time so far, per kind of write, for the debug log.
    spent: Spent,
    /// What the import wrote, for the planner's statistics.
    grown_families: GrowingTables,
    grown_members: GrowingTables,
}

/// Where an import's database time went (logged at debug level).
#[derive(Debug, Default)]
struct Spent {
    roster: std::time::Duration,
    families: std::time::Duration,
    members: std::time::Duration,
}

/// Whether a failed batch may be retried row by row: constraint conflicts and
/// refused values come from one bad row; anything else (a lost database)
/// ends the import.
fn row_level(e: &DbError) -> bool {
    matches!(
        e,
        DbError::Duplicate
            | DbError::ConcurrentUpdate
            | DbError::Conflict { .. }
            | DbError::MissingReference
            | DbError::InvalidValue
            | DbError::InvalidField { .. }
    )
}

impl BatchWriter<'_> {
    fn write_batch<R, V>(
        &mut self,
        mut items: Vec<Prepared<R, V>>,
        upsert: Upsert<R, V>,
    ) -> Result<(), DbError> {
        let rejected = std::mem::take(&mut self.rejected);
        let (import_id, actor, source, rows_done, dataset) = (
            self.import_id,
            self.actor,
            self.source,
            self.rows_read,
            self.dataset,
        );
        let started = self.started;
        let commit = |conn: &mut DbConnection,
                      items: &mut [Prepared<R, V>],
                      rejected: Vec<RejectedRow>| {
            crate::db::transaction(conn, |conn| {
                let mut outcome = upsert(conn, &mut *items, source)?;
                outcome.rejected.extend(rejected);
                let changed: Vec<&str> = outcome.changes.iter().map(|(h, _)| h.as_str()).collect();
                let fresh = writer::created_since(conn, &changed, started)?;
                outcome
                    .changes
                    .retain(|(household, _)| !fresh.contains(household));
                if let Some(dataset) = dataset {
                    crate::db::datasets::link(conn, dataset, &outcome.households)?;
                }
                household_changes::record(
                    conn,
                    &Origin {
                        kind: ChangeKind::Snapshot,
                        actor,
                        dataset,
                        import: Some(import_id),
                    },
                    &outcome.changes,
                )?;
                if !outcome.created.is_empty() || !outcome.updated.is_empty() {
                    audit::record(
                        conn,
                        actor,
                        "import_batch",
                        "household_import",
                        import_id,
                        None,
                        Some(
                            &serde_json::json!({"created": outcome.created, "updated": outcome.updated}),
                        ),
                    )?;
                }
                records::advance(
                    conn,
                    import_id,
                    &Progress {
                        rows_done,
                        created: outcome.created.len(),
                        updated: outcome.updated.len(),
                        unchanged: outcome.unchanged,
                        rejected: outcome.rejected,
                    },
                )
            })
        };
        match commit(self.conn, &mut items, rejected.clone()) {
            Ok(()) => Ok(()),
            Err(e) if row_level(&e) && items.len() > 1 => {
                // One bad row must not cost its neighbours: write them one by one.
                commit(self.conn, &mut [], rejected)?;
                for mut item in items {
                    let one = std::slice::from_mut(&mut item);
                    if let Err(e) = commit(self.conn, one, Vec::new()) {
                        if !row_level(&e) {
                            return Err(e);
                        }
                        let reason = RejectedRow {
                            line: item.parsed.line,
                            sheet: item.parsed.sheet.clone(),
                            reason: format!("conflicts with the registry: {e}"),
                        };
                        commit(self.conn, &mut [], vec![reason])?;
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn flush_families(&mut self) -> Result<(), DbError> {
        let mut items = std::mem::take(&mut self.families);
        if items.is_empty() && self.rejected.is_empty() {
            return Ok(());
        }
        if self.source == ImportFormat::Dtsen {
            self.finish_roster()?;
        }
        let started = std::time::Instant::now();
        if self.source == ImportFormat::Dtsen {
            let kks: Vec<u64> = items
                .iter()
                .filter_map(|f| f.parsed.record.kk_number.as_deref()?.parse().ok())
                .collect();
            let people = import_roster::of_families(self.conn, &kks)?;
            give_heads(items.iter_mut().map(|f| &mut f.parsed.record), people);
            // Their values were made before they had their heads.
            items.iter_mut().for_each(Prepared::changed);
        }
        let rows = items.len();
        let written = self
            .write_batch(items, writer::upsert_families)
            .and_then(|()| self.grown_families.wrote(self.conn, rows));
        self.spent.families += started.elapsed();
        written
    }

    fn stage_roster(&mut self) -> Result<(), DbError> {
        let started = std::time::Instant::now();
        let people = std::mem::take(&mut self.roster);
        let staged = import_roster::stage(self.conn, &people);
        self.spent.roster += started.elapsed();
        staged
    }

    /// Stages the rest of the roster and indexes it, once.
    fn finish_roster(&mut self) -> Result<(), DbError> {
        if !self.roster_whole {
            self.stage_roster()?;
            let started = std::time::Instant::now();
            import_roster::index(self.conn)?;
            self.spent.roster += started.elapsed();
            self.roster_whole = true;
        }
        Ok(())
    }

    fn flush_members(&mut self) -> Result<(), DbError> {
        let items = std::mem::take(&mut self.members);
        if items.is_empty() && self.rejected.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let rows = items.len();
        let written = self
            .write_batch(items, writer::upsert_members)
            .and_then(|()| self.grown_members.wrote(self.conn, rows));
        self.spent.members += started.elapsed();
        written
    }

    fn finish(&mut self) -> Result<(), DbError> {
        self.flush_families()?;
        self.flush_members()
    }
}

fn abort(e: DbError) -> FileError {
    FileError::Aborted(e.to_string())
}

/// What the reader found, as [`Event::replay`] hands it on.
impl BatchWriter<'_> {
    fn row_read(&mut self) {
        self.rows_read += 1;
    }
    fn family(&mut self, item: PreparedFamily) -> Result<(), FileError> {
        self.families.push(item);
        if self.families.len() >= FAMILY_BATCH {
            self.flush_families().map_err(abort)?;
        }
        Ok(())
    }
    fn member(&mut self, item: PreparedMember) -> Result<(), FileError> {
        // Families go first, so members find the families of the same file.
        if !self.families.is_empty() {
            self.flush_families().map_err(abort)?;
        }
        self.members.push(item);
        if self.members.len() >= MEMBER_BATCH {
            self.flush_members().map_err(abort)?;
        }
        Ok(())
    }
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError> {
        self.rejected.push(row);
        Ok(())
    }
    fn roster(&mut self, entry: RosterEntry) -> Result<(), FileError> {
        self.roster.push(entry);
        if self.roster.len() >= ROSTER_BATCH {
            self.stage_roster().map_err(abort)?;
        }
        Ok(())
    }
}

/// Runs an import to the end and records its outcome (`done` or `failed`).
pub fn run(
    conn: &mut DbConnection,
    actor: &Actor,
    import_id: &str,
    format: ImportFormat,
    files: &[ImportFile],
    today: NaiveDate,
) -> Result<records::ImportRow, DbError> {
    records::set_status(conn, import_id, ImportStatus::Running)?;
    let dataset = records::get(conn, import_id)?.dataset_id;
    crate::db::begin_bulk_session(conn)?;
    if format == ImportFormat::Dtsen {
        import_roster::create(conn)?;
    }
    let deferred = deferred_indexes::defer_on_empty_tables(conn)?;
    let clock = std::time::Instant::now();
    let outcome = write_all(
        conn,
        actor,
        import_id,
        dataset.as_deref(),
        format,
        files,
        today,
    );
    let written = clock.elapsed();
    // Whether the import ended or stopped: the registry gets its indexes
    // and keys back. A key its rows break fails the import, said on it.
    let outcome = match deferred_indexes::build_waiting(conn) {
        Ok(_) => outcome,
        Err(e @ DbError::Conflict { .. }) => outcome.and(Err(e.to_string())),
        Err(e) => return Err(e),
    };
    let indexed = clock.elapsed();
    if format == ImportFormat::Dtsen {
        import_roster::remove(conn)?;
    }
    // Still in the bulk session: the vacuum that closes it takes the flags'
    // old row versions too.
    let outcome = match (outcome, dataset.as_deref()) {
        (Ok(rows), Some(dataset)) if is_full_snapshot(format, files) => {
            crate::db::transaction(conn, |c| {
                crate::db::datasets::mark_missing(c, actor, import_id, dataset)
            })
            .map(|_| rows)
            .map_err(|e| e.to_string())
        }
        (outcome, _) => outcome,
    };
    let flagged = clock.elapsed();
    crate::db::end_bulk_session(conn)?;
    log::debug!(
        "import {import_id}: read and written in {written:.1?}, {deferred} deferred index(es) built at \
         {indexed:.1?}, missing families flagged at {flagged:.1?}, bulk session closed at {:.1?}",
        clock.elapsed()
    );
    let error = match &outcome {
        Ok(_) => None,
        Err(e) => Some(e.clone()),
    };
    let rows_total = outcome.ok();
    crate::db::transaction(conn, |c| {
        let row = records::finish(c, actor, import_id, error.as_deref(), rows_total)?;
        let counts = serde_json::json!({"created": row.created, "updated": row.updated,
            "unchanged": row.unchanged, "rejected": row.rejected_count});
        crate::service::events::import_finished(c, &row.id, row.status, counts)?;
        Ok(row)
    })
}

/// Whether an upload is a full snapshot of its source, after which families
/// it lacks are flagged: a DTSEN family file holds the regency's families
/// whole; P3KE and DTKS files often hold one kecamatan.
fn is_full_snapshot(format: ImportFormat, files: &[ImportFile]) -> bool {
    format == ImportFormat::Dtsen
        && crate::import::snapshot::sort_files(files).is_ok_and(|f| !f.families.is_empty())
}

/// Reads and writes everything; returns the rows read or why it stopped.
/// The file is read on a thread of its own while this one writes, so parsing
/// and the database each keep a core busy; what the reader finds reaches the
/// writer in the order it was read, so batches and progress are as if one
/// thread did both.
fn write_all(
    conn: &mut DbConnection,
    actor: &Actor,
    import_id: &str,
    dataset: Option<&str>,
    format: ImportFormat,
    files: &[ImportFile],
    today: NaiveDate,
) -> Result<usize, String> {
    let regions = region_table(conn).map_err(|e| e.to_string())?;
    let started = crate::db::now();
    let mut sink = BatchWriter {
        conn,
        actor,
        import_id,
        source: format,
        dataset,
        families: Vec::new(),
        members: Vec::new(),
        rejected: Vec::new(),
        rows_read: 0,
        started,
        roster: Vec::new(),
        roster_whole: false,
        spent: Spent::default(),
        grown_families: GrowingTables::new("households, household_datasets"),
        grown_members: GrowingTables::new("members"),
    };
    let sqlite = matches!(sink.conn, DbConnection::Sqlite(_));
    let (to_writer, from_reader) = std::sync::mpsc::sync_channel::<Vec<Event>>(RELAY_DEPTH);
    let regions = &regions;
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut relay = Relay {
                to_writer,
                chunk: Vec::with_capacity(RELAY_CHUNK),
                values_of_families: sqlite && format != ImportFormat::Dtsen,
                values_of_members: sqlite,
            };
            read(format, files, regions, today, &mut relay)?;
            relay.send()
        });
        let mut written = Ok(());
        'chunks: for chunk in &from_reader {
            for event in chunk {
                written = event.replay(&mut sink);
                if written.is_err() {
                    break 'chunks;
                }
            }
        }
        // A writer that stopped stops the reader at its next chunk.
        drop(from_reader);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(FileError::Aborted("the file reader failed".into())));
        // The writer's error first: when both stopped, it is the cause.
        written
            .and(read)
            .and_then(|()| sink.finish().map_err(abort))
    })
    .map_err(|e| e.to_string())?;
    log::debug!("import {import_id}: database time {:.1?}", sink.spent);
    Ok(sink.rows_read)
}

/// Reads a whole upload into `out`, in file order (a DTSEN snapshot: its
/// families, then its members).
fn read(
    format: ImportFormat,
    files: &[ImportFile],
    regions: &RegionTable,
    today: NaiveDate,
    out: &mut dyn ImportSink,
) -> Result<(), FileError> {
    match (format, files) {
        (ImportFormat::Dtsen, _) => stream_snapshot(files, regions, today, out),
        (ImportFormat::P3ke, [file]) => stream_p3ke(file.input()?, regions, today, out),
        (ImportFormat::Dtks, [file]) => {
            // DTKS rows of one family may be anywhere in the file: it is read
            // whole and grouped before anything is written.
            let parsed = parse_dtks(file.input()?, regions, today)?;
            for _ in 0..parsed.rows_total {
                out.row_read();
            }
            for r in parsed.rejected {
                out.rejected(r)?;
            }
            for f in parsed.families {
                out.family(f)?;
            }
            for m in parsed.members {
                out.member(m)?;
            }
            Ok(())
        }
        _ => Err(FileError::UnrecognisedSheet(format!(
            "a {format} import is one file"
        ))),
    }
}

/// Events per message from the reader to the writer, and messages in flight:
/// enough to keep both busy, little enough to keep memory flat. While the
/// writer writes a batch the reader reads the next: the channel holds a
/// batch of members or of the roster (19 messages: 9,728 events), each row
/// two events (read, and what it was). With room for only 2,048 events the
/// reader stopped early in every batch and the writer then waited for the
/// rest: the two took turns instead of working side by side (a DTSEN import
/// of 270,000 families: 59 s, now 53).
const RELAY_CHUNK: usize = 512;
const RELAY_DEPTH: usize = ROSTER_BATCH / RELAY_CHUNK;

/// One thing the reader found, for the writer's [`ImportSink`]. Records are
/// boxed so a row count is not as large as a family in the channel.
enum Event {
    RowRead,
    Family(Box<PreparedFamily>),
    Member(Box<PreparedMember>),
    Rejected(RejectedRow),
    Roster(Box<RosterEntry>),
}

impl Event {
    fn replay(self, sink: &mut BatchWriter) -> Result<(), FileError> {
        match self {
            Event::RowRead => {
                sink.row_read();
                Ok(())
            }
            Event::Family(f) => sink.family(*f),
            Event::Member(m) => sink.member(*m),
            Event::Rejected(r) => sink.rejected(r),
            Event::Roster(p) => sink.roster(*p),
        }
    }
}

/// The reader's sink: passes events on to the writer in chunks.
///
/// On SQLite it also makes the values of the records' rows (`Prepared`):
/// there the writer, whose thread runs the database too, is the bound,
/// and the reader has time to spare (a 270,000-family DTSEN import 28.7 →
/// 27.1 s; docs/PERFORMANCE.md, session 20) — except for a DTSEN
/// snapshot's families, which get their head in the writer. On
/// PostgreSQL the writer makes them while the COPY stores the rows before
/// (`db::copy`); the reader, there the busier thread, would only keep the
/// database waiting (the same import 27.1 → 28.0 s).
struct Relay {
    to_writer: std::sync::mpsc::SyncSender<Vec<Event>>,
    chunk: Vec<Event>,
    values_of_families: bool,
    values_of_members: bool,
}

impl Relay {
    fn push(&mut self, event: Event) -> Result<(), FileError> {
        self.chunk.push(event);
        if self.chunk.len() >= RELAY_CHUNK {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), FileError> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(RELAY_CHUNK));
        self.to_writer
            .send(chunk)
            .map_err(|_| FileError::Aborted("the database writer stopped".into()))
    }
}

impl ImportSink for Relay {
    fn row_read(&mut self) {
        // Sent with the next record; a count cannot fail.
        self.chunk.push(Event::RowRead);
    }
    fn family(&mut self, item: Parsed<HouseholdRecord>) -> Result<(), FileError> {
        let prepared = Prepared::new(item, self.values_of_families);
        self.push(Event::Family(Box::new(prepared)))
    }
    fn member(&mut self, item: Parsed<MemberRecord>) -> Result<(), FileError> {
        let prepared = Prepared::new(item, self.values_of_members);
        self.push(Event::Member(Box::new(prepared)))
    }
    fn rejected(&mut self, row: RejectedRow) -> Result<(), FileError> {
        self.push(Event::Rejected(row))
    }
    fn roster(&mut self, entry: RosterEntry) -> Result<(), FileError> {
        self.push(Event::Roster(Box::new(entry)))
    }
}
