//! Photos of visits (issue 14, item 2): the bytes go to the object store
//! (`crate::storage`), the metadata and checksum to the database. A photo is
//! written to the store first and its row recorded after, so a store that
//! fails leaves no row (503), and a row that cannot be recorded takes its
//! object away again. Reach is the visit's: who may record visits adds
//! photos to those it reaches; readers of a visit read its photos, except a
//! company for a household it sees pseudonymised (the consent gate), as it
//! does not read such a visit's notes or coordinates either.

use actix_web::web::Bytes;

use super::{files, Caller};
use crate::db::verification_photos::{self as store, NewPhoto, PhotoRow};
use crate::db::verifications::{self as visits, VerificationRow};
use crate::db::{self, audit, exposure, new_id, DbConnection, Pool};
use crate::domain::photo::{ImageType, MAX_PHOTOS};
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::storage::Objects;

fn limit_reached() -> ApiError {
    ApiError::conflict_with(
        "photo_limit_reached",
        format!("a visit keeps at most {MAX_PHOTOS} photos"),
        serde_json::json!({"max_photos": MAX_PHOTOS}),
    )
}

/// The visit in the caller's reach, with the company's consent gate: a
/// company reads nothing of the photos of a household it sees pseudonymised
/// (404, as for a photo that does not exist).
fn visible_visit(
    c: &mut DbConnection,
    caller: &Caller,
    verification_id: &str,
) -> Result<(VerificationRow, bool), ApiError> {
    let visit = visits::get(c, verification_id, &caller.reach())?;
    let gated = match caller.company_id.as_deref() {
        Some(company) => {
            exposure::pseudonymised(c, company, std::slice::from_ref(&visit.household_id))?
                .contains(&visit.household_id)
        }
        None => false,
    };
    Ok((visit, gated))
}

/// Adds a photo (already checked: `kind` and whole) to visit `verification_id`.
pub async fn add(
    pool: &Pool,
    objects: &Objects,
    caller: Caller,
    verification_id: String,
    kind: ImageType,
    bytes: Bytes,
) -> Result<PhotoRow, ApiError> {
    let reach = caller.reach();
    let vid = verification_id.clone();
    db::run(pool, move |c| -> Result<(), ApiError> {
        visits::get(c, &vid, &reach)?;
        if store::count(c, &vid)? >= MAX_PHOTOS {
            return Err(limit_reached());
        }
        Ok(())
    })
    .await?;
    let id = new_id();
    let object_key = format!("verification-photos/{verification_id}/{id}");
    let new = NewPhoto {
        id,
        verification_id,
        content_type: kind.media_type(),
        size_bytes: files::size_of(&bytes)?,
        sha256: files::sha256_hex(&bytes),
        object_key: object_key.clone(),
    };
    files::put_then_record(pool, objects, object_key, bytes, move |c| {
        // Two uploads to one visit at once queue here, so the count holds.
        db::lock_row(c, "verifications", &new.verification_id)?;
        if store::count(c, &new.verification_id)? >= MAX_PHOTOS {
            return Err(limit_reached());
        }
        Ok(store::insert(c, &caller.actor, &new)?)
    })
    .await
}

/// Audits a company's read of photos: they show the family's house.
fn audit_company_read(
    c: &mut DbConnection,
    caller: &Caller,
    photos: &[PhotoRow],
) -> Result<(), ApiError> {
    if caller.role != Role::Company {
        return Ok(());
    }
    for p in photos {
        audit::record(
            c,
            &caller.actor,
            "read_personal_data",
            "verification_photo",
            &p.id,
            None,
            None,
        )?;
    }
    Ok(())
}

/// The photos of a visit the caller reaches (none for a company behind the
/// consent gate).
pub async fn list(
    pool: &Pool,
    caller: Caller,
    verification_id: String,
) -> Result<Vec<PhotoRow>, ApiError> {
    db::read(pool, caller.reads_are_audited, move |c| {
        let (_, gated) = visible_visit(c, &caller, &verification_id)?;
        if gated {
            return Ok(Vec::new());
        }
        let photos = store::list(c, &verification_id)?;
        audit_company_read(c, &caller, &photos)?;
        Ok(photos)
    })
    .await
}

/// One photo and its bytes, when the caller reaches its visit.
pub async fn get(
    pool: &Pool,
    objects: &Objects,
    caller: Caller,
    id: String,
) -> Result<(PhotoRow, Bytes), ApiError> {
    let row = db::read(pool, caller.reads_are_audited, move |c| {
        let row = store::get(c, &id)?;
        let (_, gated) = visible_visit(c, &caller, &row.verification_id).map_err(|e| match e {
            ApiError::NotFound { .. } => ApiError::not_found(),
            other => other,
        })?;
        if gated {
            return Err(ApiError::not_found());
        }
        audit_company_read(c, &caller, std::slice::from_ref(&row))?;
        Ok(row)
    })
    .await?;
    let bytes = files::read(objects, &row.object_key).await?;
    Ok((row, bytes))
}
