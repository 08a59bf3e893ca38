//! Starting an import of a P3KE or DTKS file or a DTSEN snapshot: the file's precheck (its
//! sheets' headers, on a blocking thread), its record (`queued`, in one
//! transaction), and the background job, which waits its turn in the
//! instance's import lane (`import::job::Ticket`) before it takes a pooled
//! connection, so imports hold at most one.

use actix_web::web;

use crate::db::datasets;
use crate::db::household_imports::{self as records, ImportRow};
use crate::db::{self, audit::Actor, Pool};
use crate::domain::cycle::regency_today;
use crate::domain::household::ImportFormat;
use crate::error::ApiError;
use crate::import::file::ImportFile;
use crate::import::job::{self, Ticket};
use crate::import::sheet::FileError;

/// The answer to a file refused at upload: `file_too_complex` when it goes
/// past a cap of `import::limits`, else `unreadable_file`.
pub fn refused(e: FileError) -> ApiError {
    let code = match e {
        FileError::TooComplex(_) => "file_too_complex",
        _ => "unreadable_file",
    };
    ApiError::unprocessable(code, e.to_string())
}

/// Checks `files` (one file of `media_type`, or a snapshot's files, in `format`), finds its dataset
/// (the one named, of the same source, or one made for it), records the import
/// as queued and starts it in the background in its turn (`ticket`, taken
/// before the body was read); returns the record.
pub async fn start(
    pool: &Pool,
    actor: Actor,
    ticket: Ticket,
    format: ImportFormat,
    media_type: String,
    dataset: Option<String>,
    files: Vec<ImportFile>,
) -> Result<ImportRow, ApiError> {
    let (files, checked) = web::block(move || {
        let checked = job::precheck(format, &files);
        (files, checked)
    })
    .await?;
    let rows_total = checked.map_err(refused)?;
    let record_actor = actor.clone();
    let today = regency_today();
    let row = db::tx(pool, move |c| {
        let dataset =
            datasets::for_import(c, &record_actor, format.into(), dataset.as_deref(), today)?;
        records::create(
            c,
            &record_actor,
            format,
            &media_type,
            rows_total,
            &dataset.id,
        )
    })
    .await?;
    spawn(ticket, pool.clone(), actor, row.id.clone(), format, files);
    Ok(row)
}

/// Runs an import on its own thread once its turn in the import lane comes.
fn spawn(
    ticket: Ticket,
    pool: Pool,
    actor: Actor,
    import_id: String,
    format: ImportFormat,
    files: Vec<ImportFile>,
) {
    std::thread::spawn(move || {
        ticket.run_in_turn(|| {
            let today = regency_today();
            let outcome = db::conn(&pool)
                .and_then(|mut c| job::run(&mut c, &actor, &import_id, format, &files, today));
            if let Err(e) = outcome {
                log::error!("import {import_id} could not finish: {e}");
            }
        });
    });
}
