//! Datasets: the snapshots of P3KE, DTKS and DTSEN the registry was read
//! from, and the hand-over (BAST) each came under. Bappeda and admins record
//! and correct them; every import names one.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{if_match, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::datasets::{self as store, DatasetRow};
use crate::db::{self, Pool};
use crate::domain::dataset::{check, BastType, DatasetFields, DatasetSource};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_datasets)
        .service(create_dataset)
        .service(get_dataset)
        .service(update_dataset);
}

/// A snapshot of a registry source and its hand-over.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "source": "dtsen", "version": "2025-Q3",
    "condition_date": "2025-09-30", "received_on": "2025-11-03", "bast_number": "BAST/045/BPS-KUKAR/XI/2025",
    "bast_type": "pemanfaatan", "onward_sharing": false, "expires_on": "2026-12-31", "households_count": 270000,
    "notes": null, "created_at": "2025-11-03T08:00:00Z", "updated_at": "2025-11-03T08:00:00Z"}))]
pub struct Dataset {
    #[schema(format = Uuid)]
    pub id: String,
    pub source: DatasetSource,
    /// The snapshot's own name or version (`2025-Q3`).
    pub version: String,
    /// The date the data describe (*kondisi data*).
    pub condition_date: Option<NaiveDate>,
    pub received_on: Option<NaiveDate>,
    /// The hand-over's number.
    pub bast_number: Option<String>,
    pub bast_type: Option<BastType>,
    /// Whether by-name data of this snapshot may go on to companies.
    pub onward_sharing: bool,
    /// After it the agreement no longer covers the data.
    pub expires_on: Option<NaiveDate>,
    /// Households this snapshot holds.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub households_count: i64,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Dataset {
    fn from_row(r: DatasetRow, households_count: i64) -> Dataset {
        Dataset {
            id: r.id,
            source: r.source,
            version: r.snapshot_version,
            condition_date: r.condition_date,
            received_on: r.received_on,
            bast_number: r.bast_number,
            bast_type: r.bast_type,
            onward_sharing: r.onward_sharing,
            expires_on: r.expires_on,
            households_count,
            notes: r.notes,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// A snapshot to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "dtsen", "version": "2025-Q3", "condition_date": "2025-09-30",
    "received_on": "2025-11-03", "bast_number": "BAST/045/BPS-KUKAR/XI/2025", "bast_type": "pemanfaatan",
    "onward_sharing": false, "expires_on": "2026-12-31"}))]
pub struct NewDataset {
    pub source: DatasetSource,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub version: String,
    pub condition_date: Option<NaiveDate>,
    /// Not before `condition_date`.
    pub received_on: Option<NaiveDate>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub bast_number: Option<String>,
    pub bast_type: Option<BastType>,
    /// Whether by-name data may go on to companies; what the BAST says.
    pub onward_sharing: bool,
    /// Not before `received_on` (or `condition_date`).
    pub expires_on: Option<NaiveDate>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// Fields to correct; absent fields stay. The source never changes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"onward_sharing": true, "notes": "Addendum BAST 2026 allows sharing with TJSP companies"}))]
pub struct DatasetPatch {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub version: Option<String>,
    pub condition_date: Option<NaiveDate>,
    pub received_on: Option<NaiveDate>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub bast_number: Option<String>,
    pub bast_type: Option<BastType>,
    pub onward_sharing: Option<bool>,
    pub expires_on: Option<NaiveDate>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    /// Only snapshots of this source.
    pub source: Option<DatasetSource>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn checked(fields: DatasetFields) -> Result<DatasetFields, ApiError> {
    check(&fields).map_err(ApiError::validation)?;
    Ok(fields)
}

/// The records with how many households each holds, on one connection.
fn with_counts(c: &mut db::DbConnection, rows: Vec<DatasetRow>) -> Result<Vec<Dataset>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let counts = store::households_counts(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = counts.get(&r.id).copied().unwrap_or(0);
            Dataset::from_row(r, n)
        })
        .collect())
}

/// List datasets, newest first.
#[utoipa::path(tag = "datasets", params(DatasetQuery),
    responses((status = 200, body = Page<Dataset>)))]
#[get("/datasets")]
async fn list_datasets(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<DatasetQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_DATASETS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let source = q.source;
    let (items, total) = db::run(&pool, move |c| -> Result<_, ApiError> {
        let (rows, total) = store::list(c, source, paging.offset(), paging.limit())?;
        Ok((with_counts(c, rows)?, total))
    })
    .await?;
    Ok(paging.respond(&req, items, total))
}

/// Record a snapshot received from a source, with its hand-over. Imports
/// name it (`dataset_id`); an import that names none gets one made for it.
#[utoipa::path(tag = "datasets", request_body = NewDataset,
    responses((status = 201, body = Dataset, headers(("ETag" = String), ("Location" = String)))))]
#[post("/datasets")]
async fn create_dataset(
    user: AuthUser,
    body: web::Json<NewDataset>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_DATASET)?;
    let b = body.into_inner();
    let fields = checked(DatasetFields {
        source: b.source,
        version: b.version,
        condition_date: b.condition_date,
        received_on: b.received_on,
        bast_number: b.bast_number,
        bast_type: b.bast_type,
        onward_sharing: b.onward_sharing,
        expires_on: b.expires_on,
        notes: b.notes,
    })?;
    let actor = user.actor();
    let row = db::tx(&pool, move |c| store::create(c, &actor, &fields)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/datasets/{}", row.id)));
    let version = row.version;
    Ok(with_etag(res, version, &Dataset::from_row(row, 0)))
}

/// Read a dataset.
#[utoipa::path(tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, body = Dataset, headers(("ETag" = String)))))]
#[get("/datasets/{id}")]
async fn get_dataset(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_DATASET)?;
    let id = id.into_inner();
    let (version, item) = db::run(&pool, move |c| -> Result<_, ApiError> {
        let row = store::get(c, &id)?;
        let version = row.version;
        let mut items = with_counts(c, vec![row])?;
        Ok((version, items.pop().ok_or_else(ApiError::not_found)?))
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok(), version, &item))
}

/// Correct a dataset's record (e.g. an addendum to the BAST that allows
/// onward sharing). Send `If-Match`; a stale one is a 412.
#[utoipa::path(tag = "datasets", request_body = DatasetPatch,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Dataset, headers(("ETag" = String)))))]
#[patch("/datasets/{id}")]
async fn update_dataset(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<DatasetPatch>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_DATASET)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let actor = user.actor();
    let p = body.into_inner();
    let (version, item) = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let current = store::get(c, &id)?.fields();
        let fields = checked(DatasetFields {
            source: current.source,
            version: p.version.unwrap_or(current.version),
            condition_date: p.condition_date.or(current.condition_date),
            received_on: p.received_on.or(current.received_on),
            bast_number: p.bast_number.or(current.bast_number),
            bast_type: p.bast_type.or(current.bast_type),
            onward_sharing: p.onward_sharing.unwrap_or(current.onward_sharing),
            expires_on: p.expires_on.or(current.expires_on),
            notes: p.notes.or(current.notes),
        })?;
        let row = store::update(c, &actor, &id, expected, &fields)?;
        let version = row.version;
        let mut items = with_counts(c, vec![row])?;
        Ok((version, items.pop().ok_or_else(ApiError::not_found)?))
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok(), version, &item))
}
