//! Demo data for the embedded default: when a database has just got its demo
//! accounts, it also gets synthetic families, imported through the same code
//! as a real P3KE upload, so every endpoint has something to show. The
//! synthetic registry itself (`data`) also serves `rbpk demo-data` and the tests.

pub mod data;

use crate::db::audit::Actor;
use crate::db::DbError;
use crate::db::{household_imports, DbConnection};
use crate::domain::cycle::regency_today;
use crate::domain::household::ImportFormat;
use crate::domain::region::KUKAR_REGIONS_CSV;
use crate::domain::region_lookup::RegionTable;
use crate::import::job;

/// How many synthetic families a demo database gets.
pub const DEMO_FAMILIES: usize = 2000;

/// Writes synthetic P3KE files to a scratch folder and imports them.
/// Returns the number of families and members imported.
pub fn seed_registry(conn: &mut DbConnection, families: usize) -> Result<(i32, i32), DbError> {
    let regions =
        RegionTable::from_csv(KUKAR_REGIONS_CSV).map_err(|e| DbError::internal(e.to_string()))?;
    let data = data::generate(families, 2026, &regions);
    let dir = std::env::temp_dir().join(format!("rbpk-demo-{}", crate::db::new_id()));
    let fam = dir.join("p3ke_keluarga.csv");
    let ind = dir.join("p3ke_individu.csv");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|_| data::write_p3ke_csv(&data, &fam, &ind))
        .and_then(|_| Ok((std::fs::read(&fam)?, std::fs::read(&ind)?)));
    let _ = std::fs::remove_dir_all(&dir);
    let (fam, ind) = written.map_err(|e| DbError::internal(format!("demo data: {e}")))?;
    let actor = Actor::system("demo-seed");
    let today = regency_today();
    let dataset = crate::db::datasets::create(
        conn,
        &actor,
        &crate::domain::dataset::DatasetFields {
            source: crate::domain::dataset::DatasetSource::P3ke,
            version: "demo".into(),
            condition_date: None,
            received_on: Some(today),
            bast_number: None,
            bast_type: None,
            onward_sharing: true,
            expires_on: None,
            notes: Some("Synthetic demo families (src/demo/data.rs)".into()),
        },
    )?;
    let mut counts = Vec::new();
    for bytes in [fam, ind] {
        let rows = job::precheck(ImportFormat::P3ke, &bytes)
            .map_err(|e| DbError::internal(e.to_string()))?;
        let record = household_imports::create(
            conn,
            &actor,
            ImportFormat::P3ke,
            "text/csv",
            rows,
            &dataset.id,
        )?;
        let done = job::run(conn, &actor, &record.id, ImportFormat::P3ke, &bytes, today)?;
        counts.push(done.created);
    }
    Ok((counts[0], counts[1]))
}
