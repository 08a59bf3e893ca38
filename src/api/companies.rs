//! Companies: the CSR (TJSP) duty holders. Bappeda and admins manage them; a
//! company reads its own record and keeps its contacts up to date.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{bad_param, if_match, utc, with_etag, Page, Paging};
use crate::api::access;
use crate::auth::AuthUser;
use crate::db::companies::{self as store, CompanyChanges, CompanyFilter, CompanyRow, NewCompany};
use crate::db::{self, regions, Pool};
use crate::domain::company::{
    check_email, check_phone, check_text, working_area_patterns, LegalForm, Nib, MAX_ADDRESS,
    MAX_NAME,
};
use crate::domain::compliance::Sector;
use crate::domain::region::is_kukar_code;
use crate::domain::role::Role;
use crate::error::{ApiError, FieldError};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_companies)
        .service(create_company)
        .service(get_company)
        .service(update_company);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "00000000-0000-4000-8000-000000000001", "name": "PT Mitra Sawit Lestari (demo)",
    "legal_form": "pt", "nib": "9120000000001", "sector": "plantation", "address": "Jl. Wolter Monginsidi No. 1, Tenggarong",
    "contact_name": "Rina Wulandari", "contact_email": "csr@mitrasawit.example", "contact_phone": "+62 541 661234",
    "working_area": ["64.02.06", "64.02.07"], "active": true,
    "created_at": "2026-11-28T08:00:00Z", "updated_at": "2026-11-28T08:00:00Z"}))]
pub struct Company {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub legal_form: LegalForm,
    /// *Nomor Induk Berusaha*, 13 digits.
    #[schema(pattern = "^[0-9]{13}$")]
    pub nib: String,
    pub sector: Sector,
    pub address: Option<String>,
    /// The CSR contact person; `null` for `viewer` callers (no personal data).
    pub contact_name: Option<String>,
    /// `null` for `viewer` callers.
    pub contact_email: Option<String>,
    /// `null` for `viewer` callers.
    pub contact_phone: Option<String>,
    /// Kecamatan and desa/kelurahan codes (current, dotted) the company works in.
    pub working_area: Vec<String>,
    pub active: bool,
    /// Distinct households recommendations may show this company per cycle
    /// (docs/DECISIONS.md, exposure); `null`: the service default (`RBPK_COMPANY_EXPOSURE_CAP`,
    /// 500 unless configured). Set by bappeda or admin.
    pub exposure_cap: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Company {
    /// The record as `role` may see it: a viewer gets no contact person.
    fn for_role(r: CompanyRow, role: Role) -> Result<Company, ApiError> {
        let personal = role != Role::Viewer;
        Ok(Company {
            working_area: r.working_area()?,
            legal_form: r.legal_form,
            sector: r.sector,
            id: r.id,
            name: r.name,
            nib: r.nib,
            address: r.address,
            contact_name: r.contact_name.filter(|_| personal),
            contact_email: r.contact_email.filter(|_| personal),
            contact_phone: r.contact_phone.filter(|_| personal),
            active: r.active,
            exposure_cap: r.exposure_cap,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "PT Bara Kutai Energi", "legal_form": "pt", "nib": "8120104567890", "sector": "mining",
    "address": "Jl. Pesut No. 7, Loa Janan", "contact_name": "Agus Santoso", "contact_email": "csr@barakutai.example",
    "contact_phone": "0812-5555-1234", "working_area": ["64.02.06", "64.02.07.2004"]}))]
pub struct NewCompanyBody {
    /// 1–200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
    pub legal_form: LegalForm,
    /// 13 digits, unique (409 `nib_taken`).
    #[schema(pattern = "^[0-9]{13}$")]
    pub nib: String,
    pub sector: Sector,
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    #[schema(max_length = 254)]
    pub contact_email: Option<String>,
    /// Digits, spaces, `+` and `-`, 8–20 characters.
    #[schema(max_length = 20, pattern = "^[0-9 +-]{8,20}$")]
    pub contact_phone: Option<String>,
    /// Kecamatan or desa/kelurahan codes, current or 2019, with or without
    /// dots; stored as current dotted codes. Defaults to none.
    pub working_area: Option<Vec<String>>,
    /// Defaults to `true`.
    pub active: Option<bool>,
    /// 0–1,000,000 households per cycle; absent or `null`: the service default.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub exposure_cap: Option<i32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_name": "Dewi Lestari", "contact_phone": "+62 541 661235"}))]
pub struct CompanyPatch {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    pub legal_form: Option<LegalForm>,
    #[schema(pattern = "^[0-9]{13}$")]
    pub nib: Option<String>,
    pub sector: Option<Sector>,
    /// An empty string clears it.
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// An empty string clears it.
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    /// An empty string clears it.
    #[schema(max_length = 254)]
    pub contact_email: Option<String>,
    /// An empty string clears it.
    #[schema(max_length = 20, pattern = "^$|^[0-9 +-]{8,20}$")]
    pub contact_phone: Option<String>,
    /// Replaces the whole working area.
    pub working_area: Option<Vec<String>>,
    pub active: Option<bool>,
    /// 0–1,000,000 households per cycle; `null` returns the company to the
    /// service default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub exposure_cap: Option<Option<i32>>,
}

/// A field that may be `null` on purpose: `Some(None)` when it is, `None`
/// when it is absent (with `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Largest `exposure_cap`: beyond it a cap bounds nothing in a regency of
/// a few hundred thousand families.
const MAX_EXPOSURE_CAP: i32 = 1_000_000;

fn check_cap(cap: Option<i32>, errors: &mut Vec<FieldError>) {
    if cap.is_some_and(|c| !(0..=MAX_EXPOSURE_CAP).contains(&c)) {
        errors.push(FieldError::new(
            "exposure_cap",
            "must be between 0 and 1000000 households",
        ));
    }
}

impl CompanyPatch {
    /// The fields only managers may change that this patch names.
    fn management_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("legal_form", self.legal_form.is_some()),
            ("nib", self.nib.is_some()),
            ("sector", self.sector.is_some()),
            ("address", self.address.is_some()),
            ("working_area", self.working_area.is_some()),
            ("active", self.active.is_some()),
            ("exposure_cap", self.exposure_cap.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    /// Only companies of this sector.
    pub sector: Option<Sector>,
    /// Companies whose working area overlaps this region: the region itself,
    /// a region inside it, or one it lies inside (any level; current or 2019
    /// code, with or without dots).
    #[param(example = "64.02.06")]
    #[param(pattern = "^(64\\.02(\\.[0-9]{2}(\\.[0-9]{4})?)?|6402([0-9]{2}([0-9]{4})?)?)$")]
    pub region: Option<String>,
    /// Only active companies, or only inactive ones.
    pub active: Option<bool>,
    /// Part of the name, any case.
    pub q: Option<String>,
    /// 1-based page, default 1.
    pub page: Option<i64>,
    /// Default 50, at most 200.
    pub per_page: Option<i64>,
}

/// Validated contact and address fields: `Some(None)` clears, `None` keeps.
#[derive(Default)]
struct Texts {
    address: Option<Option<String>>,
    contact_name: Option<Option<String>>,
    contact_email: Option<Option<String>>,
    contact_phone: Option<Option<String>>,
}

/// Checks optional text fields; an empty value means "none".
fn check_texts(
    address: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Texts {
    let mut field =
        |name: &str, v: Option<String>, check: &dyn Fn(&str) -> Result<String, String>| {
            v.map(|v| {
                if v.trim().is_empty() {
                    return None;
                }
                match check(&v) {
                    Ok(ok) => Some(ok),
                    Err(e) => {
                        errors.push(FieldError::new(name, e));
                        None
                    }
                }
            })
        };
    Texts {
        address: field("address", address, &|v| check_text(v, MAX_ADDRESS)),
        contact_name: field("contact_name", contact_name, &|v| check_text(v, MAX_NAME)),
        contact_email: field("contact_email", contact_email, &|v| {
            check_email(v).map_err(str::to_string)
        }),
        contact_phone: field("contact_phone", contact_phone, &|v| {
            check_phone(v).map_err(str::to_string)
        }),
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    check_text(name, MAX_NAME)
        .map_err(|e| errors.push(FieldError::new("name", e)))
        .ok()
}

fn check_nib(nib: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    Nib::parse(nib)
        .map(Nib::into_inner)
        .map_err(|e| errors.push(FieldError::new("nib", e)))
        .ok()
}

/// 404 for a `company` caller asking for another company: the same answer as
/// for a company that does not exist, so ids cannot be probed.
fn check_reach(user: &AuthUser, id: &str) -> Result<(), ApiError> {
    match user.role() {
        Role::Company if user.company_id() != Some(id) => Err(ApiError::not_found()),
        _ => Ok(()),
    }
}

/// List companies, by name.
///
/// A `company` caller gets only its own company, a `viewer` gets no contact
/// person.
#[utoipa::path(tag = "companies", params(CompanyQuery),
    responses((status = 200, body = Page<Company>)))]
#[get("/companies")]
async fn list_companies(
    req: HttpRequest,
    user: AuthUser,
    q: web::Query<CompanyQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::LIST_COMPANIES)?;
    let paging = Paging::new(q.page, q.per_page)?;
    let role = user.role();
    let q = q.into_inner();
    let only_id = match role {
        Role::Company => Some(user.company_id().unwrap_or_default().to_string()),
        _ => None,
    };
    let (rows, total) = db::run(&pool, move |c| -> Result<_, ApiError> {
        let region_patterns = match &q.region {
            None => vec![],
            Some(code) if !is_kukar_code(code) => {
                return Err(bad_param(
                    "region",
                    "is not a region code of Kutai Kartanegara",
                ))
            }
            // A well-formed code that names no region overlaps no working area.
            Some(code) => match regions::resolve(c, code)? {
                Some(region) => working_area_patterns(&region.code),
                None => return Ok((Vec::new(), 0)),
            },
        };
        let filter = CompanyFilter {
            only_id,
            sector: q.sector,
            region_patterns,
            active: q.active,
            q: q.q
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string()),
        };
        Ok(store::list(c, &filter, paging.offset(), paging.limit())?)
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|r| Company::for_role(r, role))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.respond(&req, items, total))
}

/// Register a company.
///
/// The NIB must be free (409 `nib_taken`); every working-area code must be a
/// kecamatan or desa/kelurahan of Kukar (422).
#[utoipa::path(tag = "companies", request_body = NewCompanyBody,
    responses((status = 201, body = Company, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "`nib_taken`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/companies")]
async fn create_company(
    user: AuthUser,
    body: web::Json<NewCompanyBody>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::CREATE_COMPANY)?;
    let b = body.into_inner();
    let mut errors = Vec::new();
    let name = check_name(&b.name, &mut errors);
    let nib = check_nib(&b.nib, &mut errors);
    let texts = check_texts(
        b.address,
        b.contact_name,
        b.contact_email,
        b.contact_phone,
        &mut errors,
    );
    check_cap(b.exposure_cap, &mut errors);
    let (Some(name), Some(nib), true) = (name, nib, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let actor = user.actor();
    let role = user.role();
    let row = db::tx(&pool, move |c| {
        let working_area = store::resolve_working_area(c, &b.working_area.unwrap_or_default())?;
        let new = NewCompany {
            id: db::new_id(),
            name,
            legal_form: b.legal_form,
            nib,
            sector: b.sector,
            address: texts.address.flatten(),
            contact_name: texts.contact_name.flatten(),
            contact_email: texts.contact_email.flatten(),
            contact_phone: texts.contact_phone.flatten(),
            working_area,
            active: b.active.unwrap_or(true),
            exposure_cap: b.exposure_cap,
        };
        store::create(c, &actor, new)
    })
    .await?;
    let version = row.version;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/companies/{}", row.id)));
    Ok(with_etag(res, version, &Company::for_role(row, role)?))
}

/// Read a company.
///
/// A `company` caller reads only its own (another company's id is a 404, like a
/// missing one), a `viewer` gets no contact person.
#[utoipa::path(tag = "companies", params(("id" = String, Path)),
    responses((status = 200, body = Company, headers(("ETag" = String)))))]
#[get("/companies/{id}")]
async fn get_company(
    user: AuthUser,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::GET_COMPANY)?;
    let id = id.into_inner();
    check_reach(&user, &id)?;
    let row = db::run(&pool, move |c| store::get(c, &id)).await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Company::for_role(row, user.role())?,
    ))
}

/// Change a company. A `company` caller may change only its own contact
/// person (`contact_name`, `contact_email`, `contact_phone`); any other field
/// from it is a 403.
///
/// Bappeda and admin may change every field, `exposure_cap` included; a company
/// only its own contacts. Send `If-Match` with the `ETag` you read; a stale one
/// is a 412.
#[utoipa::path(tag = "companies", request_body = CompanyPatch,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, body = Company, headers(("ETag" = String))),
        (status = 409, description = "`nib_taken`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/companies/{id}")]
async fn update_company(
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<CompanyPatch>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    user.require(access::UPDATE_COMPANY)?;
    let id = id.into_inner();
    check_reach(&user, &id)?;
    let p = body.into_inner();
    if user.role() == Role::Company {
        let refused = p.management_fields();
        if !refused.is_empty() {
            return Err(ApiError::Forbidden {
                detail: format!(
                    "a company may change only contact_name, contact_email and contact_phone; \
                     not {}",
                    refused.join(", ")
                ),
            });
        }
    }
    let expected = if_match(&req)?;
    let mut errors = Vec::new();
    let name = p.name.as_deref().and_then(|n| check_name(n, &mut errors));
    let nib = p.nib.as_deref().and_then(|n| check_nib(n, &mut errors));
    let texts = check_texts(
        p.address,
        p.contact_name,
        p.contact_email,
        p.contact_phone,
        &mut errors,
    );
    check_cap(p.exposure_cap.flatten(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let actor = user.actor();
    let role = user.role();
    let row = db::tx(&pool, move |c| {
        let working_area = p
            .working_area
            .map(|codes| store::resolve_working_area(c, &codes))
            .transpose()?;
        let changes = CompanyChanges {
            name,
            legal_form: p.legal_form,
            nib,
            sector: p.sector,
            address: texts.address,
            contact_name: texts.contact_name,
            contact_email: texts.contact_email,
            contact_phone: texts.contact_phone,
            working_area,
            active: p.active,
            exposure_cap: p.exposure_cap,
        };
        store::update(c, &actor, &id, expected, changes)
    })
    .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        row.version,
        &Company::for_role(row, role)?,
    ))
}
