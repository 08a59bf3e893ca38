//! The household registry over HTTP: families and their members. Government
//! roles see full records; a company sees only households exposed to it
//! (`db::exposure`), with NIK, No. KK and birth dates masked — or
//! pseudonymised behind the consent gate (`domain::consent`) — and each such
//! read is audited; a viewer sees none.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{bad_param, if_match, parse_instant, regency_today, utc, with_etag, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::households::{
    self as store, HouseholdFilter, HouseholdRow, HouseholdValues, MemberRow, MemberValues, Reach,
    Sort,
};
use crate::db::replica::Reads;
use crate::db::{self, exposure, regions, DbConnection, Pool};
use crate::domain::consent::{AgeBand, Disclosure};
use crate::domain::exposure::first_live_cycle;
use crate::domain::household::{
    apply_household_change, apply_member_change, is_name_prefix, AssetCounts, Assistance,
    Disability, HouseholdInput, HouseholdRecord, HouseholdStatus, Housing, MemberInput,
    MemberRecord,
};
use crate::domain::nik::Sex;
use crate::domain::region::{is_kukar_code, normalize_code};
use crate::error::{ApiError, FieldError};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_households)
        .service(create_household)
        .service(get_household)
        .service(update_household)
        .service(list_members)
        .service(create_member)
        .service(update_member)
        .service(delete_member);
}

/// The reach and view of a caller: a company reads what is exposed to it
/// in cycles still live today (`db::exposure`); an operator the households
/// of its area.
pub(crate) fn reach(user: &AuthUser) -> Reach {
    match (user.company_id(), user.region_code()) {
        (Some(c), _) => Reach::Company {
            company_id: c.to_string(),
            live_from: first_live_cycle(regency_today()),
        },
        (None, Some(area)) => Reach::Area(area.to_string()),
        (None, None) => Reach::All,
    }
}

/// Records a company's read of these households: audited, and marked read
/// in its exposure.
fn company_read(conn: &mut DbConnection, user: &AuthUser, ids: &[String]) -> Result<(), ApiError> {
    if let Some(company) = user.company_id() {
        exposure::mark_read(conn, company, ids, first_live_cycle(regency_today()))?;
    }
    Ok(())
}

/// A snapshot behind a family: which dataset, of which source and version.
#[derive(Serialize, ToSchema)]
pub struct DatasetRef {
    #[schema(format = Uuid)]
    pub id: String,
    pub source: crate::domain::dataset::DatasetSource,
    pub version: String,
}

impl From<crate::db::datasets::DatasetRef> for DatasetRef {
    fn from(d: crate::db::datasets::DatasetRef) -> DatasetRef {
        DatasetRef {
            id: d.id,
            source: d.source,
            version: d.version,
        }
    }
}

/// What the family owns: P3KE's answers and, from a DTSEN snapshot, counts.
#[derive(Serialize, ToSchema)]
pub struct HouseholdAssets {
    #[schema(schema_with = crate::openapi::codes::outputs::house_ownership)]
    pub house_ownership: Option<String>,
    /// Savings, jewellery, livestock or other assets.
    pub has_savings: Option<bool>,
    /// Asset and livestock counts (DTSEN); `null` when no snapshot gave them.
    pub counts: Option<AssetCounts>,
}

/// A family of the registry (P3KE, DTKS and DTSEN fields, typed).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f", "p3ke_family_id": "P3KE-6402061001-000123",
    "pseudonymised": false, "dtks_id": "DTKS-000123", "kk_number": "640206********01", "head_name": "Siti Rahmawati",
    "head_nik": "640206********02", "head_nik_valid": true, "head_sex": "female", "head_birth_date": null,
    "head_age_band": "18-59",
    "region_code": "64.02.06.1001", "address": "Jl. Mangkurawang RT 05", "desil": 1, "percentile": 4,
    "extreme_poor": true, "status": "active",
    "housing": {"roof_material": "asbestos_zinc", "roof_quality": "poor", "wall_material": "wood", "wall_quality": "poor",
        "floor_material": "wood", "floor_quality": "poor", "lighting_source": "pln_metered", "power_capacity": "le_900w",
        "cooking_fuel": "gas_electric", "drinking_water": "unprotected_well", "toilet_facility": "shared"},
    "assistance": {"bpnt": true, "bpum": false, "bst": false, "pkh": true, "sembako": true, "prakerja": false, "kur": false},
    "assets": {"house_ownership": "own", "has_savings": false, "counts": null}, "stunting_risk": "at_risk",
    "desil_national": 1, "desil_province": 1, "desil_regency": 2, "latitude": null, "longitude": null,
    "families_in_house": 1, "pln_customer_id": null, "pbi_national": true, "pbi_regional": false,
    "not_in_latest_snapshot": false,
    "members_count": 4, "flags": [], "needs_update": false,
    "datasets": [{"id": "00000000-0000-4000-8000-00000000da01", "source": "p3ke", "version": "before datasets"}],
    "created_at": "2026-11-28T08:00:00Z", "updated_at": "2026-11-28T08:00:00Z"}))]
pub struct Household {
    /// Also the reference of a pseudonymised household: a random id that
    /// says nothing of the family.
    #[schema(format = Uuid)]
    pub id: String,
    /// Whether this household is shown to the calling company without
    /// anything that names or locates the family: every dataset behind it
    /// forbids onward sharing and the family has not agreed, at a field
    /// visit of one of the company's programs, to share with the company.
    /// Then `head_name`, `head_nik`, `kk_number`, `head_birth_date`,
    /// `address`, `p3ke_family_id` and `dtks_id` are null. Always false for
    /// government roles.
    pub pseudonymised: bool,
    /// Null when pseudonymised.
    pub p3ke_family_id: Option<String>,
    /// Null when pseudonymised.
    pub dtks_id: Option<String>,
    /// No. KK; masked for companies, null when pseudonymised.
    pub kk_number: Option<String>,
    /// Null only when pseudonymised.
    pub head_name: Option<String>,
    /// Masked for companies (first 6 and last 2 digits), null when pseudonymised.
    pub head_nik: Option<String>,
    /// Whether the head's NIK is a well-formed NIK.
    pub head_nik_valid: bool,
    pub head_sex: Option<Sex>,
    /// Hidden from companies.
    pub head_birth_date: Option<NaiveDate>,
    /// The head's age band on today's date (regency time), for every role;
    /// null without a birth date.
    pub head_age_band: Option<AgeBand>,
    #[schema(schema_with = crate::openapi::codes::outputs::marital_status)]
    pub head_marital_status: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::occupation)]
    pub head_occupation: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::employment_status)]
    pub head_employment_status: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::education)]
    pub head_education: Option<String>,
    /// Desa/kelurahan code (2025).
    pub region_code: String,
    /// Null when pseudonymised.
    pub address: Option<String>,
    /// Welfare decile 1–10; 1 is extreme poverty.
    pub desil: Option<i32>,
    pub percentile: Option<i32>,
    /// Derived from desil 1.
    pub extreme_poor: bool,
    /// `active`, `graduated`, `moved`, `deceased`, `duplicate`.
    pub status: HouseholdStatus,
    #[schema(schema_with = crate::openapi::codes::outputs::verification_priority)]
    pub verification_priority: Option<String>,
    /// The head's NIK matched by Dukcapil.
    pub dukcapil_match: Option<bool>,
    pub housing: Housing,
    pub assistance: Assistance,
    pub assets: HouseholdAssets,
    /// DTSEN's national desil (the one `desil` takes for a DTSEN family).
    #[schema(minimum = 1, maximum = 10)]
    pub desil_national: Option<i32>,
    /// DTSEN's provincial desil.
    #[schema(minimum = 1, maximum = 10)]
    pub desil_province: Option<i32>,
    /// DTSEN's regency desil.
    #[schema(minimum = 1, maximum = 10)]
    pub desil_regency: Option<i32>,
    /// The house's geotag (DTSEN); hidden from companies.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Hidden from companies.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Families living in the same house (DTSEN).
    #[schema(minimum = 0, maximum = 100_000)]
    pub families_in_house: Option<i32>,
    /// PLN customer id (DTSEN); hidden from companies.
    pub pln_customer_id: Option<String>,
    /// Health insurance (PBI JKN) paid by the state.
    pub pbi_national: Option<bool>,
    /// Health insurance (PBI JKN) paid by the regency.
    pub pbi_regional: Option<bool>,
    /// A newer full snapshot of a source that held this family no longer
    /// holds it: to be checked in the field, never deleted.
    pub not_in_latest_snapshot: bool,
    /// `at_risk`, `not_at_risk`, `not_target`.
    #[schema(schema_with = crate::openapi::codes::outputs::stunting_risk)]
    pub stunting_risk: Option<String>,
    /// `Dimuktakhirkan Tahun` of the source.
    pub data_year: Option<i32>,
    /// Data-quality flags from import and entry (`nik_invalid`, `unknown_value:…`).
    pub flags: Vec<String>,
    /// Set when a field visit found the family moved or deceased.
    pub needs_update: bool,
    pub members_count: i64,
    /// The snapshots that hold this family, newest first.
    pub datasets: Vec<DatasetRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Household {
    pub fn from_row(
        r: HouseholdRow,
        members_count: i64,
        datasets: Vec<DatasetRef>,
        view: Disclosure,
    ) -> Household {
        let snapshot = r.snapshot;
        Household {
            assets: HouseholdAssets {
                house_ownership: r.assets.house_ownership,
                has_savings: r.assets.has_savings,
                counts: snapshot.asset_counts(),
            },
            desil_national: snapshot.desil_national,
            desil_province: snapshot.desil_province,
            desil_regency: snapshot.desil_regency,
            latitude: view.government_only(snapshot.latitude),
            longitude: view.government_only(snapshot.longitude),
            families_in_house: snapshot.families_in_house,
            pln_customer_id: view.government_only(snapshot.pln_customer_id),
            pbi_national: snapshot.pbi_national,
            pbi_regional: snapshot.pbi_regional,
            not_in_latest_snapshot: r.not_in_latest_snapshot,
            extreme_poor: r.desil == Some(1),
            pseudonymised: view.is_pseudonymised(),
            kk_number: view.identifier(r.kk_number),
            head_nik: view.identifier(r.head_nik),
            head_age_band: r
                .head_birth_date
                .and_then(|b| AgeBand::of(b, regency_today())),
            head_birth_date: view.birth_date(r.head_birth_date),
            flags: serde_json::from_str(&r.flags).unwrap_or_default(),
            housing: r.housing,
            assistance: r.assistance,
            id: r.id,
            p3ke_family_id: view.naming(r.p3ke_family_id),
            dtks_id: view.naming(r.dtks_id),
            head_name: view.naming(Some(r.head_name)),
            head_nik_valid: r.head_nik_valid,
            head_sex: r.head_sex,
            head_marital_status: r.head_marital_status,
            head_occupation: r.head_occupation,
            head_employment_status: r.head_employment_status,
            head_education: r.head_education,
            region_code: r.region_code,
            address: view.naming(r.address),
            desil: r.desil,
            percentile: r.percentile,
            status: r.status,
            verification_priority: r.verification_priority,
            dukcapil_match: r.dukcapil_match,
            stunting_risk: r.stunting_risk,
            data_year: r.data_year,
            needs_update: r.needs_update,
            members_count,
            datasets,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// How a caller sees each of these households (`domain::consent`): one
/// query for the page decides which are pseudonymised for a company.
fn views(
    conn: &mut DbConnection,
    user: &AuthUser,
    ids: &[String],
) -> Result<impl Fn(&str) -> Disclosure, ApiError> {
    let gated = match user.company_id() {
        Some(company) => exposure::pseudonymised(conn, company, ids)?,
        None => Default::default(),
    };
    let company = user.reads_are_audited();
    Ok(move |id: &str| Disclosure::of(company, gated.contains(id)))
}

/// Renders households for a caller: counts members, masks or pseudonymises
/// for a company and audits the company's read, all on one connection.
pub fn render(
    conn: &mut DbConnection,
    user: &AuthUser,
    rows: Vec<HouseholdRow>,
) -> Result<Vec<Household>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let counts = store::member_counts(conn, &ids)?;
    let mut datasets = crate::db::datasets::of_households(conn, &ids)?;
    let view = views(conn, user, &ids)?;
    if user.reads_are_audited() && !ids.is_empty() {
        store::audit_company_read(conn, &user.actor(), &ids)?;
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = counts.get(&r.id).copied().unwrap_or(0);
            let behind = datasets
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(DatasetRef::from)
                .collect();
            let v = view(&r.id);
            Household::from_row(r, n, behind, v)
        })
        .collect())
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum SortKey {
    #[serde(rename = "desil")]
    Desil,
    #[serde(rename = "-desil")]
    DesilDesc,
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HouseholdQuery {
    /// Region code of any level, with or without dots, 2019 codes accepted:
    /// a kecamatan finds every family of its desa.
    #[param(pattern = "^(64\\.02(\\.[0-9]{2}(\\.[0-9]{4})?)?|6402([0-9]{2}([0-9]{4})?)?)$")]
    pub region: Option<String>,
    /// Families with desil at most this (1–10).
    #[param(minimum = 1, maximum = 10)]
    pub desil_max: Option<i32>,
    /// Only extreme-poor (desil 1) families, or only the others.
    pub extreme: Option<bool>,
    /// Only families in this status.
    pub status: Option<HouseholdStatus>,
    /// Head name prefix (case-insensitive), an exact NIK (head or member) or
    /// No. KK, a P3KE family id or a DTKS id. For a company only a name
    /// prefix (letters, spaces, `'`, `.`, `-`, `,`); any other term is a 422
    /// `name_prefix_only`. `%` and `_` match only themselves.
    pub q: Option<String>,
    /// RFC 3339 instant: families changed at or after it (incremental sync).
    #[param(format = DateTime)]
    pub updated_since: Option<String>,
    /// Only families whose head NIK, or a member's NIK, also appears in another family.
    pub duplicates: Option<bool>,
    /// Only families flagged for a data update.
    pub needs_update: Option<bool>,
    /// Families with this DTSEN national desil (1–10).
    #[param(minimum = 1, maximum = 10)]
    pub desil_national: Option<i32>,
    /// Only families with a member with a disability (a lot of difficulty,
    /// or cannot do at all, in a Washington Group item), or only the others.
    pub disability: Option<bool>,
    /// Only families with health insurance paid by the state or the regency
    /// (PBI JKN), or only the others.
    pub pbi: Option<bool>,
    /// Only families a newer full snapshot no longer holds, or only the others.
    pub not_in_latest_snapshot: Option<bool>,
    /// Only families that are no active target of any program of this cycle
    /// (the coverage report's "unreached" link).
    pub not_targeted_in: Option<i32>,
    /// `desil` (default: poorest first), `-desil`, `updated_at`, `-updated_at`.
    #[param(inline)]
    pub sort: Option<SortKey>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The region of a household must be a desa or kelurahan of Kukar.
fn village(conn: &mut DbConnection, code: &str) -> Result<String, ApiError> {
    match regions::resolve(conn, code)? {
        Some(r) if r.is_village() => Ok(r.code),
        Some(_) => Err(ApiError::invalid_field(
            "region_code",
            "must be a desa or kelurahan, not a kecamatan or the kabupaten",
        )),
        None => Err(ApiError::invalid_field(
            "region_code",
            format!("unknown region code `{code}`"),
        )),
    }
}

/// List households.
///
/// The government roles get full records; a company only households exposed to it
/// (shown by a recommendation in a cycle that has not ended — a cycle ends on 31
/// December of its year — or an active target of its programs; NIK and No. KK
/// masked, birth dates hidden; each read is audited). A household whose every
/// dataset forbids onward sharing is `pseudonymised` for a company (no name,
/// NIK, No. KK, source ids, address or birth date) until a field visit of one
/// of its programs records the family's `consent_to_share: true`. Viewers get
/// aggregates from the coverage report instead.
///
/// For a company `q` is a name prefix only: a term with digits or other
/// characters that cannot start a name is a 422 `name_prefix_only`, so a
/// masked NIK can never be confirmed by guessing; nor does `q` find a
/// household pseudonymised for the company, so a name cannot be confirmed
/// either. Every company search term
/// is audited (`action=search`, `entity=household_search`), with the number
/// of matches, refused terms included.
#[utoipa::path(tag = "households", params(HouseholdQuery),
    responses((status = 200, body = super::Page<Household>),
        (status = 422, description = "`name_prefix_only`: a company's `q` is not the start of a name", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/households")]
async fn list_households(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<HouseholdQuery>,
    pool: web::Data<Pool>,
    reads: web::Data<Reads>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_HOUSEHOLDS)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let q = q.into_inner();
    for (name, value) in [
        ("desil_max", q.desil_max),
        ("desil_national", q.desil_national),
    ] {
        if value.is_some_and(|d| !(1..=10).contains(&d)) {
            return Err(bad_param(name, "must be between 1 and 10"));
        }
    }
    let region = match &q.region {
        Some(r) if !is_kukar_code(r) => {
            return Err(bad_param(
                "region",
                "is not a region code of Kutai Kartanegara",
            ))
        }
        Some(r) => normalize_code(r),
        None => None,
    };
    let filter = HouseholdFilter {
        region: None,
        desil_max: q.desil_max,
        extreme: q.extreme,
        status: q.status,
        q: q.q.filter(|s| !s.trim().is_empty()),
        updated_since: q
            .updated_since
            .as_deref()
            .map(|s| parse_instant("updated_since", s))
            .transpose()?,
        duplicates: q.duplicates,
        needs_update: q.needs_update,
        desil_national: q.desil_national,
        disability: q.disability,
        pbi: q.pbi,
        not_in_latest_snapshot: q.not_in_latest_snapshot,
        not_targeted_in: q.not_targeted_in,
        sort: match q.sort {
            None | Some(SortKey::Desil) => Sort::Desil,
            Some(SortKey::DesilDesc) => Sort::DesilDesc,
            Some(SortKey::UpdatedAt) => Sort::UpdatedAt,
            Some(SortKey::UpdatedAtDesc) => Sort::UpdatedAtDesc,
        },
    };
    let reach = reach(&user);
    // Every company search term is audited, hit, miss or refused.
    let search = match (&reach, &filter.q) {
        (Reach::Company { company_id, .. }, Some(term)) => Some((company_id.clone(), term.clone())),
        _ => None,
    };
    if let Some((company, term)) = search.clone() {
        if !is_name_prefix(&term) {
            let actor = user.actor();
            db::tx(&pool, move |c| {
                store::audit_search(c, &actor, &company, &term, None)
            })
            .await?;
            return Err(ApiError::Unprocessable {
                code: "name_prefix_only".into(),
                detail: "a company searches households by the start of the head's name only \
                         (letters, spaces, ' . - ,); not by NIK, No. KK or ids"
                    .into(),
                errors: vec![FieldError::new("q", "must be the start of a name")],
            });
        }
    }
    let caller = user.claims.sub.clone();
    let audited = user.reads_are_audited();
    let items = reads
        .read(&caller, audited, move |c| -> Result<_, ApiError> {
            let mut filter = filter.clone();
            if let Some(code) = &region {
                // A well-formed code that names no region has no families.
                filter.region = Some(
                    regions::resolve(c, code)?.map_or_else(|| code.clone(), |found| found.code),
                );
            }
            let (rows, total) = store::list(c, &filter, &reach, paging.offset(), paging.limit())?;
            if let Some((company, term)) = &search {
                store::audit_search(c, &user.actor(), company, term, Some(total))?;
            }
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            company_read(c, &user, &ids)?;
            Ok((render(c, &user, rows)?, total))
        })
        .await?;
    Ok(paging.respond(&req, items.0, items.1))
}

/// Read a household.
///
/// A company reads only within its reach (exposed to it in a live cycle, or its
/// target; masked or `pseudonymised`, audited) — outside it the answer is 404
/// exactly as for a missing one.
#[utoipa::path(tag = "households", params(("id" = String, Path)),
    responses((status = 200, body = Household, headers(("ETag" = String)))))]
#[get("/households/{id}")]
async fn get_household(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_HOUSEHOLD)?;
    let id = id.into_inner();
    let reach = reach(&user);
    let (version, item) = db::read(
        &pool,
        user.reads_are_audited(),
        move |c| -> Result<_, ApiError> {
            let row = store::get(c, &id, &reach)?;
            let version = row.version;
            company_read(c, &user, std::slice::from_ref(&row.id))?;
            let mut items = render(c, &user, vec![row])?;
            Ok((version, items.pop().ok_or_else(ApiError::not_found)?))
        },
    )
    .await?;
    Ok(with_etag(HttpResponse::Ok(), version, &item))
}

/// Add a family by hand (e.g. one found in the field). Imports are the usual way.
///
/// A P3KE or DTKS id already in the registry is a 409.
#[utoipa::path(tag = "households", request_body = HouseholdInput,
    responses((status = 201, body = Household, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`household_exists`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/households")]
async fn create_household(
    user: AuthUser,
    body: web::Json<HouseholdInput>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_HOUSEHOLD)?;
    let mut input = body.into_inner();
    if input.status.is_some() {
        return Err(ApiError::invalid_field(
            "status",
            "a new household is always active",
        ));
    }
    let region = input
        .region_code
        .take()
        .ok_or_else(|| ApiError::invalid_field("region_code", "is required"))?;
    let record =
        apply_household_change(HouseholdRecord::default(), input).map_err(ApiError::validation)?;
    let actor = user.actor();
    let (version, item) = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let record = HouseholdRecord {
            region_code: village(c, &region)?,
            ..record
        };
        let row = store::create(c, &actor, &HouseholdValues::from(&record))?;
        let version = row.version;
        let mut items = render(c, &user, vec![row])?;
        Ok((version, items.pop().ok_or_else(ApiError::not_found)?))
    })
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/households/{}", item.id)));
    Ok(with_etag(res, version, &item))
}

/// Change a household's data or status (e.g. `graduated`, `duplicate`).
///
/// Send `If-Match`; a stale one is a 412.
#[utoipa::path(tag = "households", request_body = HouseholdInput,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Household, headers(("ETag" = String)))))]
#[patch("/households/{id}")]
async fn update_household(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<HouseholdInput>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_HOUSEHOLD)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let mut input = body.into_inner();
    let actor = user.actor();
    let (version, item) = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let current = store::get(c, &id, &Reach::All)?;
        let region = input.region_code.take();
        let status = input.status.take();
        let mut record =
            apply_household_change(current.to_record(), input).map_err(ApiError::validation)?;
        if let Some(code) = region {
            record.region_code = village(c, &code)?;
        }
        let row = store::update(
            c,
            &actor,
            &id,
            expected,
            &HouseholdValues::from(&record),
            status,
        )?;
        let version = row.version;
        let mut items = render(c, &user, vec![row])?;
        Ok((version, items.pop().ok_or_else(ApiError::not_found)?))
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok(), version, &item))
}

/// A member of a family.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "household_id": "3f6c1d8e-0b7a-4a51-9d1e-2c3b4a5d6e7f", "p3ke_individual_id": "IND-000123-02",
    "pseudonymised": false, "nik": "6402065507120001", "nik_valid": true, "name": "Nur Aini", "sex": "female", "birth_date": "2012-07-15",
    "age_band": "13-17",
    "relation": "child", "marital_status": "single", "education": "in_junior_high", "occupation": "not_working",
    "employment_status": null, "dukcapil_match": true, "flags": [],
    "disability": null, "has_disability": false, "chronic_illness": null, "in_school": true, "working": false}))]
pub struct Member {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub household_id: String,
    /// Whether the member's household is pseudonymised for the calling
    /// company (see `Household.pseudonymised`): then `p3ke_individual_id`,
    /// `nik`, `name` and `birth_date` are null, and `age_band`, `sex` and
    /// `education` describe the member.
    pub pseudonymised: bool,
    /// Null when pseudonymised.
    pub p3ke_individual_id: Option<String>,
    /// Masked for companies, null when pseudonymised.
    pub nik: Option<String>,
    pub nik_valid: bool,
    /// Null only when pseudonymised.
    pub name: Option<String>,
    pub sex: Option<Sex>,
    /// Hidden from companies.
    pub birth_date: Option<NaiveDate>,
    /// The age band on today's date (regency time), for every role; null
    /// without a birth date.
    pub age_band: Option<AgeBand>,
    /// `head`, `spouse`, `child`, `other`.
    #[schema(schema_with = crate::openapi::codes::outputs::relation)]
    pub relation: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::marital_status)]
    pub marital_status: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::education)]
    pub education: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::occupation)]
    pub occupation: Option<String>,
    #[schema(schema_with = crate::openapi::codes::outputs::employment_status)]
    pub employment_status: Option<String>,
    pub dukcapil_match: Option<bool>,
    pub flags: Vec<String>,
    /// The Washington Group items (DTSEN); hidden from companies (health data).
    pub disability: Option<Disability>,
    /// A lot of difficulty, or cannot do at all, in any item.
    pub has_disability: bool,
    /// Hidden from companies (health data).
    #[schema(schema_with = crate::openapi::codes::chronic_illness)]
    pub chronic_illness: Option<String>,
    /// Attending school now (DTSEN).
    pub in_school: Option<bool>,
    /// Working (DTSEN).
    pub working: Option<bool>,
}

impl Member {
    pub fn from_row(r: MemberRow, view: Disclosure) -> Member {
        let disability = view.government_only(r.disability());
        Member {
            pseudonymised: view.is_pseudonymised(),
            nik: view.identifier(r.nik),
            age_band: r.birth_date.and_then(|b| AgeBand::of(b, regency_today())),
            birth_date: view.birth_date(r.birth_date),
            flags: serde_json::from_str(&r.flags).unwrap_or_default(),
            disability,
            has_disability: r.has_disability,
            chronic_illness: view.government_only(r.chronic_illness),
            in_school: r.in_school,
            working: r.working,
            id: r.id,
            household_id: r.household_id,
            p3ke_individual_id: view.naming(r.p3ke_individual_id),
            nik_valid: r.nik_valid,
            name: view.naming(Some(r.name)),
            sex: r.sex,
            relation: r.relation,
            marital_status: r.marital_status,
            education: r.education,
            occupation: r.occupation,
            employment_status: r.employment_status,
            dukcapil_match: r.dukcapil_match,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {}

/// The members of a household.
///
/// As reading the household: a company only within its reach, masked (or
/// pseudonymised, as the household is), audited.
#[utoipa::path(tag = "households", params(("id" = String, Path), MemberQuery),
    responses((status = 200, body = Vec<Member>)))]
#[get("/households/{id}/members")]
async fn list_members(
    user: AuthUser,
    id: web::Path<String>,
    _q: web::Query<MemberQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_MEMBERS)?;
    let id = id.into_inner();
    let reach = reach(&user);
    let audited = user.reads_are_audited();
    let (members, view) = db::read(&pool, audited, move |c| -> Result<_, ApiError> {
        store::get(c, &id, &reach)?;
        let ids = std::slice::from_ref(&id);
        if audited {
            store::audit_company_read(c, &user.actor(), ids)?;
            company_read(c, &user, ids)?;
        }
        let view = views(c, &user, ids)?(&id);
        Ok((store::members_of(c, &id)?, view))
    })
    .await?;
    let items: Vec<Member> = members
        .into_iter()
        .map(|m| Member::from_row(m, view))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// Add a member to a household.
#[utoipa::path(tag = "households", request_body = MemberInput, params(("id" = String, Path)),
    responses((status = 201, body = Member, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`member_exists`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/households/{id}/members")]
async fn create_member(
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<MemberInput>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_MEMBER)?;
    let household_id = id.into_inner();
    let record = apply_member_change(MemberRecord::default(), body.into_inner())
        .map_err(ApiError::validation)?;
    let actor = user.actor();
    let row = db::tx(&pool, move |c| {
        store::get(c, &household_id, &Reach::All)?;
        store::add_member(c, &actor, &household_id, &MemberValues::from(&record))
    })
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        "Location",
        format!("/api/v1/households/{}/members/{}", row.household_id, row.id),
    ));
    Ok(with_etag(
        res,
        row.version,
        &Member::from_row(row, Disclosure::Full),
    ))
}

/// Change a member.
///
/// Send `If-Match`; a stale one is a 412.
#[utoipa::path(tag = "households", request_body = MemberInput,
    params(("id" = String, Path), ("member_id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Member, headers(("ETag" = String)))))]
#[patch("/households/{id}/members/{member_id}")]
async fn update_member(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<MemberInput>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_MEMBER)?;
    let expected = if_match(&req)?;
    let (household_id, member_id) = path.into_inner();
    let input = body.into_inner();
    let actor = user.actor();
    let row = db::tx(&pool, move |c| -> Result<_, ApiError> {
        let current = store::member(c, &household_id, &member_id)?;
        let record =
            apply_member_change(current.to_record(), input).map_err(ApiError::validation)?;
        Ok(store::update_member(
            c,
            &actor,
            &household_id,
            &member_id,
            expected,
            &MemberValues::from(&record),
        )?)
    })
    .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Member::from_row(row, Disclosure::Full),
    ))
}

/// Remove a member (e.g. entered twice). The audit trail keeps the old values.
#[utoipa::path(tag = "households", 
    params(("id" = String, Path), ("member_id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Removed")))]
#[delete("/households/{id}/members/{member_id}")]
async fn delete_member(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<(String, String)>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::DELETE_MEMBER)?;
    let expected = if_match(&req)?;
    let (household_id, member_id) = path.into_inner();
    let actor = user.actor();
    db::tx(&pool, move |c| {
        store::delete_member(c, &actor, &household_id, &member_id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
