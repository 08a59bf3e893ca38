//! Demo data for the embedded default: when a database has just got its demo
//! accounts, it also gets synthetic families, imported through the same code
//! as a real upload, so every endpoint has something to show: a P3KE
//! registry and, beside it, a DTSEN snapshot under a hand-over that forbids
//! passing its by-name data on. The synthetic registry itself (`data`) also
//! serves `rbpk demo-data` and the tests.

pub mod data;

use std::path::PathBuf;

use crate::db::audit::Actor;
use crate::db::DbError;
use crate::db::{household_imports, DbConnection};
use crate::domain::cycle::regency_today;
use crate::domain::dataset::{BastType, DatasetFields, DatasetSource};
use crate::domain::household::ImportFormat;
use crate::domain::region::KUKAR_REGIONS_CSV;
use crate::domain::region_lookup::RegionTable;
use crate::import::file::ImportFile;
use crate::import::job;

/// How many synthetic families a demo database gets from P3KE.
pub const DEMO_FAMILIES: usize = 2000;
/// How many more come from the demo DTSEN snapshot (other families: another seed).
pub const DEMO_SNAPSHOT_FAMILIES: usize = 300;

/// What the demo imports brought: families and members created.
pub struct Seeded {
    pub families: i32,
    pub members: i32,
}

/// Writes synthetic P3KE files (families, then members) and a DTSEN
/// snapshot to a scratch folder and imports them, each into its dataset.
pub fn seed_registry(conn: &mut DbConnection, families: usize) -> Result<Seeded, DbError> {
    let regions =
        RegionTable::from_csv(KUKAR_REGIONS_CSV).map_err(|e| DbError::internal(e.to_string()))?;
    let today = regency_today();
    let p3ke = data::generate(families, 2026, &regions);
    let written = scratch(|dir| {
        let (fam, ind) = (dir.join("p3ke_keluarga.csv"), dir.join("p3ke_individu.csv"));
        data::write_p3ke_csv(&p3ke, &fam, &ind)?;
        Ok(vec![fam, ind])
    })?;
    let p3ke_dataset = DatasetFields {
        source: DatasetSource::P3ke,
        version: "demo".into(),
        condition_date: None,
        received_on: Some(today),
        bast_number: None,
        bast_type: None,
        onward_sharing: true,
        expires_on: None,
        notes: Some("Synthetic demo families (src/demo/data.rs)".into()),
    };
    // P3KE: the family sheet, then the member sheet, each an import.
    let mut seeded = Seeded {
        families: 0,
        members: 0,
    };
    let dataset = crate::db::datasets::create(conn, &actor(), &p3ke_dataset)?;
    for (i, file) in written.iter().enumerate() {
        let created = import(conn, ImportFormat::P3ke, &dataset.id, &[file])?;
        if i == 0 {
            seeded.families += created;
        } else {
            seeded.members += created;
        }
    }
    let snapshot = data::generate(DEMO_SNAPSHOT_FAMILIES.min(families), 2027, &regions);
    let files = scratch(|dir| data::write_dtsen(&snapshot, dir))?;
    let dtsen_dataset = DatasetFields {
        source: DatasetSource::Dtsen,
        version: "demo 2025-Q4".into(),
        condition_date: Some(today),
        received_on: Some(today),
        bast_number: Some("BAST/DEMO/BPS-KUKAR/2026".into()),
        bast_type: Some(BastType::Pemanfaatan),
        onward_sharing: false,
        expires_on: None,
        notes: Some(
            "Synthetic demo snapshot (src/demo/data.rs): by-name data not to be passed on".into(),
        ),
    };
    let dataset = crate::db::datasets::create(conn, &actor(), &dtsen_dataset)?;
    let refs: Vec<&Vec<u8>> = files.iter().collect();
    let created = import(conn, ImportFormat::Dtsen, &dataset.id, &refs)?;
    // One import: families and members together.
    let snapshot_families = i32::try_from(snapshot.len()).unwrap_or(i32::MAX);
    seeded.families += snapshot_families;
    seeded.members += created - snapshot_families;
    Ok(seeded)
}

fn actor() -> Actor {
    Actor::system("demo-seed")
}

/// Runs `write` in a scratch folder and reads back the files it wrote.
fn scratch(
    write: impl FnOnce(&std::path::Path) -> std::io::Result<Vec<PathBuf>>,
) -> Result<Vec<Vec<u8>>, DbError> {
    let dir = std::env::temp_dir().join(format!("rbpk-demo-{}", crate::db::new_id()));
    let read = std::fs::create_dir_all(&dir)
        .and_then(|_| write(&dir))
        .and_then(|paths| paths.iter().map(std::fs::read).collect());
    let _ = std::fs::remove_dir_all(&dir);
    read.map_err(|e| DbError::internal(format!("demo data: {e}")))
}

/// Imports one upload into `dataset`; returns the records it created.
fn import(
    conn: &mut DbConnection,
    format: ImportFormat,
    dataset: &str,
    files: &[&Vec<u8>],
) -> Result<i32, DbError> {
    // The demo registry is small: its files are imported from memory.
    let files: Vec<ImportFile> = files
        .iter()
        .map(|f| ImportFile::from_bytes(f.to_vec()))
        .collect();
    let rows = job::precheck(format, &files).map_err(|e| DbError::internal(e.to_string()))?;
    let media = if files.len() > 1 {
        "multipart/form-data"
    } else {
        "text/csv"
    };
    let record = household_imports::create(conn, &actor(), format, media, rows, dataset)?;
    let done = job::run(conn, &actor(), &record.id, format, &files, regency_today())?;
    Ok(done.created)
}
