//! The household registry: families (keluarga) and their members, queried with
//! the filters planners use and written with audit and optimistic locking.

use crate::db::IfMatch;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, Actor};
use super::household_changes as history;
use super::schema::{households as h, members as m};
use super::{check_version, exposure, like_prefix, lower, new_id, now, DbConnection, LIKE_ESCAPE};
use super::{taken, DbError};
use crate::domain::history::changes;
use crate::domain::household::{
    AssetCounts, Assets, Assistance, Disability, HouseholdRecord, HouseholdStatus, Housing,
    MemberRecord,
};
use crate::domain::nik::Sex;

/// One row of `households`, read by name (`HouseholdRow::as_select()`), so
/// the domain's field groups are read whole wherever their columns sit.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = h)]
pub struct HouseholdRow {
    pub id: String,
    pub p3ke_family_id: Option<String>,
    pub dtks_id: Option<String>,
    pub kk_number: Option<String>,
    pub head_name: String,
    pub head_nik: Option<String>,
    pub head_nik_valid: bool,
    pub head_sex: Option<Sex>,
    pub head_birth_date: Option<NaiveDate>,
    pub head_marital_status: Option<String>,
    pub head_occupation: Option<String>,
    pub head_employment_status: Option<String>,
    pub head_education: Option<String>,
    pub region_code: String,
    pub address: Option<String>,
    pub desil: Option<i32>,
    pub percentile: Option<i32>,
    pub verification_priority: Option<String>,
    pub dukcapil_match: Option<bool>,
    // The groups serialise flat, one key per column, as the audit trail
    // always recorded them.
    #[diesel(embed)]
    #[serde(flatten)]
    pub assets: Assets,
    #[diesel(embed)]
    #[serde(flatten)]
    pub housing: Housing,
    pub stunting_risk: Option<String>,
    #[diesel(embed)]
    #[serde(flatten, serialize_with = "receives_keys")]
    pub assistance: Assistance,
    pub data_year: Option<i32>,
    pub flags: String,
    pub status: HouseholdStatus,
    pub needs_update: bool,
    pub content_hash: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    #[diesel(embed)]
    #[serde(flatten)]
    pub snapshot: SnapshotValues,
    pub not_in_latest_snapshot: bool,
}

/// What only a DTSEN snapshot sets on a family, as stored: its columns in
/// a row and in an insert or update.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    serde::Serialize,
)]
#[diesel(table_name = h, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SnapshotValues {
    pub desil_national: Option<i32>,
    pub desil_province: Option<i32>,
    pub desil_regency: Option<i32>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub families_in_house: Option<i32>,
    pub pln_customer_id: Option<String>,
    pub pbi_national: Option<bool>,
    pub pbi_regional: Option<bool>,
    /// `domain::household::AssetCounts` as JSON.
    pub asset_counts: Option<String>,
}

impl SnapshotValues {
    fn of(r: &HouseholdRecord) -> SnapshotValues {
        SnapshotValues {
            desil_national: r.desil_national.map(i32::from),
            desil_province: r.desil_province.map(i32::from),
            desil_regency: r.desil_regency.map(i32::from),
            latitude: r.latitude,
            longitude: r.longitude,
            families_in_house: r.families_in_house,
            pln_customer_id: r.pln_customer_id.clone(),
            pbi_national: r.pbi_national,
            pbi_regional: r.pbi_regional,
            asset_counts: r
                .asset_counts
                .as_ref()
                .and_then(|a| serde_json::to_string(a).ok()),
        }
    }

    /// The asset counts, when a snapshot gave them.
    pub fn asset_counts(&self) -> Option<AssetCounts> {
        self.asset_counts
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
    }
}

impl HouseholdRow {
    /// The row's columns by name, for `RETURNING`: `as_returning()` is tied
    /// to one backend, which the `MultiConnection` cannot pass on.
    fn columns() -> <HouseholdRow as Selectable<super::DbBackend>>::SelectExpression {
        <HouseholdRow as Selectable<super::DbBackend>>::construct_selection()
    }
}

/// The assistance flags under their columns' names (`receives_*`), the audit
/// trail's keys since before the fields took their programmes' names.
fn receives_keys<S: serde::Serializer>(a: &Assistance, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(7))?;
    m.serialize_entry("receives_bpnt", &a.bpnt)?;
    m.serialize_entry("receives_bpum", &a.bpum)?;
    m.serialize_entry("receives_bst", &a.bst)?;
    m.serialize_entry("receives_pkh", &a.pkh)?;
    m.serialize_entry("receives_sembako", &a.sembako)?;
    m.serialize_entry("receives_prakerja", &a.prakerja)?;
    m.serialize_entry("receives_kur", &a.kur)?;
    m.end()
}

/// Reads and writes a field group of `domain::household` on its columns of
/// `households`, which need not be adjacent: selected by name (`Selectable`,
/// for `#[diesel(embed)]` in a row), built from that selection (`Queryable`),
/// and written in an insert or an update (`Insertable`, `AsChangeset`; `None`
/// writes NULL). The domain types stay free of SQL; their columns are named
/// here, once.
macro_rules! column_group {
    ($ty:ident { $($field:ident: $rust:ty => $col:ident),+ $(,)? }) => {
        impl<DB: diesel::backend::Backend> Selectable<DB> for $ty {
            type SelectExpression = ($(h::$col,)+);
            fn construct_selection() -> Self::SelectExpression {
                ($(h::$col,)+)
            }
        }

        impl<ST, DB> Queryable<ST, DB> for $ty
        where
            DB: diesel::backend::Backend,
            ($($rust,)+): diesel::deserialize::FromStaticSqlRow<ST, DB>,
        {
            type Row = ($($rust,)+);
            fn build(($($field,)+): Self::Row) -> diesel::deserialize::Result<Self> {
                Ok($ty { $($field),+ })
            }
        }

        impl Insertable<h::table> for $ty {
            type Values = <($(diesel::dsl::Eq<h::$col, $rust>,)+) as Insertable<h::table>>::Values;
            fn values(self) -> Self::Values {
                ($(h::$col.eq(self.$field),)+).values()
            }
        }

        impl<'a> Insertable<h::table> for &'a $ty {
            type Values =
                <($(diesel::dsl::Eq<h::$col, &'a $rust>,)+) as Insertable<h::table>>::Values;
            fn values(self) -> Self::Values {
                ($(h::$col.eq(&self.$field),)+).values()
            }
        }

        impl AsChangeset for $ty {
            type Target = h::table;
            type Changeset = <($(diesel::dsl::Eq<h::$col, $rust>,)+) as AsChangeset>::Changeset;
            fn as_changeset(self) -> Self::Changeset {
                ($(h::$col.eq(self.$field),)+).as_changeset()
            }
        }

        impl<'a> AsChangeset for &'a $ty {
            type Target = h::table;
            type Changeset =
                <($(diesel::dsl::Eq<h::$col, &'a $rust>,)+) as AsChangeset>::Changeset;
            fn as_changeset(self) -> Self::Changeset {
                ($(h::$col.eq(&self.$field),)+).as_changeset()
            }
        }
    };
}

column_group!(Housing {
    roof_material: Option<String> => roof_material,
    roof_quality: Option<String> => roof_quality,
    wall_material: Option<String> => wall_material,
    wall_quality: Option<String> => wall_quality,
    floor_material: Option<String> => floor_material,
    floor_quality: Option<String> => floor_quality,
    lighting_source: Option<String> => lighting_source,
    power_capacity: Option<String> => power_capacity,
    cooking_fuel: Option<String> => cooking_fuel,
    drinking_water: Option<String> => drinking_water,
    toilet_facility: Option<String> => toilet_facility,
});

column_group!(Assistance {
    bpnt: bool => receives_bpnt,
    bpum: bool => receives_bpum,
    bst: bool => receives_bst,
    pkh: bool => receives_pkh,
    sembako: bool => receives_sembako,
    prakerja: bool => receives_prakerja,
    kur: bool => receives_kur,
});

column_group!(Assets {
    house_ownership: Option<String> => house_ownership,
    has_savings: Option<bool> => has_savings,
});

impl HouseholdRow {
    /// What the audit trail keeps of a household (everything but bookkeeping).
    pub fn audit_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["content_hash", "version", "created_at", "updated_at"] {
                o.remove(k);
            }
        }
        v
    }

    /// The stored fields as a typed record, e.g. to apply a change to.
    pub fn to_record(&self) -> HouseholdRecord {
        HouseholdRecord {
            p3ke_family_id: self.p3ke_family_id.clone(),
            dtks_id: self.dtks_id.clone(),
            kk_number: self.kk_number.clone(),
            head_name: self.head_name.clone(),
            head_nik: self.head_nik.clone().unwrap_or_default(),
            head_nik_valid: self.head_nik_valid,
            head_sex: self.head_sex,
            head_birth_date: self.head_birth_date,
            head_marital_status: self.head_marital_status.clone(),
            head_occupation: self.head_occupation.clone(),
            head_employment_status: self.head_employment_status.clone(),
            head_education: self.head_education.clone(),
            region_code: self.region_code.clone(),
            address: self.address.clone(),
            desil: small(self.desil),
            percentile: small(self.percentile),
            verification_priority: self.verification_priority.clone(),
            dukcapil_match: self.dukcapil_match,
            assets: self.assets.clone(),
            housing: self.housing.clone(),
            stunting_risk: self.stunting_risk.clone(),
            assistance: self.assistance.clone(),
            data_year: small(self.data_year),
            flags: serde_json::from_str(&self.flags).unwrap_or_default(),
            desil_national: small(self.snapshot.desil_national),
            desil_province: small(self.snapshot.desil_province),
            desil_regency: small(self.snapshot.desil_regency),
            latitude: self.snapshot.latitude,
            longitude: self.snapshot.longitude,
            families_in_house: self.snapshot.families_in_house,
            pln_customer_id: self.snapshot.pln_customer_id.clone(),
            pbi_national: self.snapshot.pbi_national,
            pbi_regional: self.snapshot.pbi_regional,
            asset_counts: self.snapshot.asset_counts(),
            member_niks: Vec::new(),
        }
    }
}

fn small(v: Option<i32>) -> Option<i16> {
    v.and_then(|d| i16::try_from(d).ok())
}

/// The insertable form of a household record. It serialises flat under the
/// columns' names, as `HouseholdRow` does: the PostgreSQL import copies it
/// so (`db::copy`).
#[derive(Debug, Clone, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = h, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct HouseholdValues {
    pub p3ke_family_id: Option<String>,
    pub dtks_id: Option<String>,
    pub kk_number: Option<String>,
    pub head_name: String,
    pub head_nik: Option<String>,
    pub head_nik_valid: bool,
    pub head_sex: Option<Sex>,
    pub head_birth_date: Option<NaiveDate>,
    pub head_marital_status: Option<String>,
    pub head_occupation: Option<String>,
    pub head_employment_status: Option<String>,
    pub head_education: Option<String>,
    pub region_code: String,
    pub address: Option<String>,
    pub desil: Option<i32>,
    pub percentile: Option<i32>,
    pub verification_priority: Option<String>,
    pub dukcapil_match: Option<bool>,
    #[diesel(embed)]
    #[serde(flatten)]
    pub assets: Assets,
    #[diesel(embed)]
    #[serde(flatten)]
    pub housing: Housing,
    pub stunting_risk: Option<String>,
    #[diesel(embed)]
    #[serde(flatten, serialize_with = "receives_keys")]
    pub assistance: Assistance,
    pub data_year: Option<i32>,
    pub flags: String,
    pub content_hash: String,
    #[diesel(embed)]
    #[serde(flatten)]
    pub snapshot: SnapshotValues,
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A stable fingerprint of a record, so re-importing the same data is a no-op.
pub fn content_hash<T: serde::Serialize>(record: &T) -> String {
    use sha2::{Digest, Sha256};
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    hex::encode(&Sha256::digest(&bytes)[..16])
}

impl From<&HouseholdRecord> for HouseholdValues {
    fn from(r: &HouseholdRecord) -> HouseholdValues {
        HouseholdValues {
            p3ke_family_id: r.p3ke_family_id.clone(),
            dtks_id: r.dtks_id.clone(),
            kk_number: r.kk_number.clone(),
            head_name: r.head_name.clone(),
            head_nik: non_empty(&r.head_nik),
            head_nik_valid: r.head_nik_valid,
            head_sex: r.head_sex,
            head_birth_date: r.head_birth_date,
            head_marital_status: r.head_marital_status.clone(),
            head_occupation: r.head_occupation.clone(),
            head_employment_status: r.head_employment_status.clone(),
            head_education: r.head_education.clone(),
            region_code: r.region_code.clone(),
            address: r.address.clone(),
            desil: r.desil.map(i32::from),
            percentile: r.percentile.map(i32::from),
            verification_priority: r.verification_priority.clone(),
            dukcapil_match: r.dukcapil_match,
            assets: r.assets.clone(),
            housing: r.housing.clone(),
            stunting_risk: r.stunting_risk.clone(),
            assistance: r.assistance.clone(),
            data_year: r.data_year.map(i32::from),
            flags: serde_json::to_string(&r.flags).unwrap_or_else(|_| "[]".into()),
            content_hash: content_hash(r),
            snapshot: SnapshotValues::of(r),
        }
    }
}

/// One row of `members`, in column order.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct MemberRow {
    pub id: String,
    pub household_id: String,
    pub p3ke_individual_id: Option<String>,
    pub nik: Option<String>,
    pub nik_valid: bool,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub relation: Option<String>,
    pub marital_status: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub employment_status: Option<String>,
    pub dukcapil_match: Option<bool>,
    pub flags: String,
    pub content_hash: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `domain::household::Disability` as JSON.
    pub disability: Option<String>,
    pub has_disability: bool,
    pub chronic_illness: Option<String>,
    pub in_school: Option<bool>,
    pub working: Option<bool>,
}

impl MemberRow {
    /// The Washington Group items, when a snapshot gave them.
    pub fn disability(&self) -> Option<Disability> {
        self.disability
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
    }

    pub fn audit_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["content_hash", "version", "created_at", "updated_at"] {
                o.remove(k);
            }
        }
        v
    }

    pub fn to_record(&self) -> MemberRecord {
        MemberRecord {
            p3ke_family_id: None,
            kk_number: None,
            p3ke_individual_id: self.p3ke_individual_id.clone(),
            dtks_id: None,
            nik: self.nik.clone().unwrap_or_default(),
            nik_valid: self.nik_valid,
            name: self.name.clone(),
            sex: self.sex,
            birth_date: self.birth_date,
            relation: self.relation.clone(),
            marital_status: self.marital_status.clone(),
            education: self.education.clone(),
            occupation: self.occupation.clone(),
            employment_status: self.employment_status.clone(),
            dukcapil_match: self.dukcapil_match,
            flags: serde_json::from_str(&self.flags).unwrap_or_default(),
            disability: self.disability(),
            chronic_illness: self.chronic_illness.clone(),
            in_school: self.in_school,
            working: self.working,
        }
    }
}

/// The insertable form of a member record (serialised for `db::copy`
/// under the columns' names, as `HouseholdValues`).
#[derive(Debug, Clone, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = m, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MemberValues {
    pub p3ke_individual_id: Option<String>,
    pub nik: Option<String>,
    pub nik_valid: bool,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub relation: Option<String>,
    pub marital_status: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub employment_status: Option<String>,
    pub dukcapil_match: Option<bool>,
    pub flags: String,
    pub content_hash: String,
    pub disability: Option<String>,
    pub has_disability: bool,
    pub chronic_illness: Option<String>,
    pub in_school: Option<bool>,
    pub working: Option<bool>,
}

impl From<&MemberRecord> for MemberValues {
    fn from(r: &MemberRecord) -> MemberValues {
        // The family keys say where a member belongs, not what it is.
        let keyless = MemberRecord {
            p3ke_family_id: None,
            kk_number: None,
            dtks_id: None,
            ..r.clone()
        };
        MemberValues {
            p3ke_individual_id: r.p3ke_individual_id.clone(),
            nik: non_empty(&r.nik),
            nik_valid: r.nik_valid,
            name: r.name.clone(),
            sex: r.sex,
            birth_date: r.birth_date,
            relation: r.relation.clone(),
            marital_status: r.marital_status.clone(),
            education: r.education.clone(),
            occupation: r.occupation.clone(),
            employment_status: r.employment_status.clone(),
            dukcapil_match: r.dukcapil_match,
            flags: serde_json::to_string(&r.flags).unwrap_or_else(|_| "[]".into()),
            content_hash: content_hash(&keyless),
            disability: r
                .disability
                .as_ref()
                .and_then(|d| serde_json::to_string(d).ok()),
            has_disability: r
                .disability
                .as_ref()
                .is_some_and(Disability::has_disability),
            chronic_illness: r.chronic_illness.clone(),
            in_school: r.in_school,
            working: r.working,
        }
    }
}

/// Which households a caller may see at all.
#[derive(Debug, Clone)]
pub enum Reach {
    /// Government roles: the whole registry.
    All,
    /// A company: only households exposed to it (see `db::exposure`), and
    /// its `q` is a name prefix only.
    Company {
        company_id: String,
        /// The oldest cycle whose exposure is still live
        /// (`domain::exposure::first_live_cycle`).
        live_from: i32,
    },
    /// An `operator`: the households of its kecamatan or desa/kelurahan
    /// (a dotted code); any other is "not found".
    Area(String),
}

/// How to order a household list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Sort {
    /// Poorest first (desil ascending), then id.
    #[default]
    Desil,
    DesilDesc,
    /// Oldest change first: what incremental sync wants.
    UpdatedAt,
    UpdatedAtDesc,
}

/// The filters of the household list (`GET /api/v1/households`).
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    /// A dotted region code of any level; a kecamatan finds its desa.
    pub region: Option<String>,
    pub desil_max: Option<i32>,
    pub extreme: Option<bool>,
    pub status: Option<HouseholdStatus>,
    /// Name prefix, exact NIK (head or member), P3KE, DTKS or KK id; for a
    /// company only the name prefix.
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Only families whose head NIK, or a member's NIK, appears in another family.
    pub duplicates: Option<bool>,
    /// Only families flagged for a data update (moved/deceased at verification).
    pub needs_update: Option<bool>,
    /// Families with this DTSEN national desil.
    pub desil_national: Option<i32>,
    /// Families with (or without) a member with a disability.
    pub disability: Option<bool>,
    /// Families with (or without) PBI JKN, national or regional.
    pub pbi: Option<bool>,
    pub not_in_latest_snapshot: Option<bool>,
    /// Only families that are no active target of any program of this cycle.
    pub not_targeted_in: Option<i32>,
    pub sort: Sort,
}

type BoxedHouseholds<'a> = h::BoxedQuery<'a, super::DbBackend>;

/// NIKs shared between families: head NIKs on more than one family, and
/// member NIKs in more than one family.
type SharedNiks = (Vec<String>, Vec<String>);

fn shared_niks(conn: &mut DbConnection) -> Result<SharedNiks, DbError> {
    let heads = h::table
        .filter(h::head_nik.is_not_null())
        .group_by(h::head_nik)
        .having(diesel::dsl::count_star().gt(1))
        .select(h::head_nik.assume_not_null())
        .load::<String>(conn)?;
    let members = m::table
        .filter(m::nik.is_not_null())
        .group_by(m::nik)
        .having(
            diesel::dsl::count(m::household_id)
                .aggregate_distinct()
                .gt(1),
        )
        .select(m::nik.assume_not_null())
        .load::<String>(conn)?;
    Ok((heads, members))
}

fn filtered<'a>(
    f: &'a HouseholdFilter,
    reach: &'a Reach,
    duplicates: &'a Option<SharedNiks>,
) -> BoxedHouseholds<'a> {
    let mut q = h::table.into_boxed();
    if let Reach::Company {
        company_id,
        live_from,
    } = reach
    {
        q = q.filter(exposure::readable_by(company_id, *live_from));
    }
    if let Reach::Area(area) = reach {
        // Whatever region the operator filters by, within its own area.
        let (lo, hi) = super::regions::within(area);
        q = q.filter(h::region_code.ge(lo).and(h::region_code.lt(hi)));
    }
    if let Some(code) = &f.region {
        let (lo, hi) = super::regions::within(code);
        q = q.filter(h::region_code.ge(lo).and(h::region_code.lt(hi)));
    }
    if let Some(d) = f.desil_max {
        q = q.filter(h::desil.le(d));
    }
    match f.extreme {
        Some(true) => q = q.filter(h::desil.eq(1)),
        Some(false) => q = q.filter(h::desil.ne(1).or(h::desil.is_null())),
        None => {}
    }
    if let Some(s) = &f.status {
        q = q.filter(h::status.eq(*s));
    }
    if let Some(t) = f.updated_since {
        q = q.filter(h::updated_at.ge(t));
    }
    if f.needs_update == Some(true) {
        q = q.filter(h::needs_update.eq(true));
    }
    if let Some(d) = f.desil_national {
        q = q.filter(h::desil_national.eq(d));
    }
    if let Some(with) = f.disability {
        let disabled = m::table
            .filter(m::has_disability.eq(true))
            .select(m::household_id);
        q = if with {
            q.filter(h::id.eq_any(disabled))
        } else {
            q.filter(diesel::dsl::not(h::id.eq_any(disabled)))
        };
    }
    match f.pbi {
        Some(true) => q = q.filter(h::pbi_national.eq(true).or(h::pbi_regional.eq(true))),
        Some(false) => {
            q = q.filter(
                h::pbi_national
                    .eq(false)
                    .or(h::pbi_national.is_null())
                    .and(h::pbi_regional.eq(false).or(h::pbi_regional.is_null())),
            )
        }
        None => {}
    }
    if let Some(flag) = f.not_in_latest_snapshot {
        q = q.filter(h::not_in_latest_snapshot.eq(flag));
    }
    if let Some(year) = f.not_targeted_in {
        let targeted = super::schema::program_targets::table
            .filter(super::schema::program_targets::cycle_year.eq(year))
            .filter(super::schema::program_targets::active.eq(true))
            .select(super::schema::program_targets::household_id);
        q = q.filter(diesel::dsl::not(h::id.eq_any(targeted)));
    }
    if let Some(term) = &f.q {
        let term = term.trim().to_string();
        let name_prefix = lower(h::head_name)
            .like(like_prefix(&term.to_lowercase()))
            .escape(LIKE_ESCAPE);
        if let Reach::Company { company_id, .. } = reach {
            // Companies never search by NIK, No. KK or ids (docs/SECURITY.md): a
            // masked NIK must not be confirmable by guessing. Nor does a name
            // find a household the company sees pseudonymised: the hit would
            // confirm the name it does not see.
            q = q
                .filter(name_prefix.and(diesel::dsl::not(exposure::pseudonymised_for(company_id))));
        } else if term.len() == 16 && term.chars().all(|c| c.is_ascii_digit()) {
            let member_households = m::table
                .filter(m::nik.eq(term.clone()))
                .select(m::household_id);
            q = q.filter(
                h::head_nik
                    .eq(term.clone())
                    .or(h::kk_number.eq(term.clone()))
                    .or(h::id.eq_any(member_households)),
            );
        } else {
            q = q.filter(
                name_prefix
                    .or(h::p3ke_family_id.eq(term.clone()))
                    .or(h::dtks_id.eq(term.clone())),
            );
        }
    }
    if let Some((heads, member_niks)) = duplicates {
        let households_with_shared_members = m::table
            .filter(m::nik.assume_not_null().eq_any(member_niks.clone()))
            .select(m::household_id);
        q = q.filter(
            h::head_nik
                .assume_not_null()
                .eq_any(heads.clone())
                .or(h::id.eq_any(households_with_shared_members)),
        );
    }
    q
}

/// One page of households and the total over all pages.
pub fn list(
    conn: &mut DbConnection,
    f: &HouseholdFilter,
    reach: &Reach,
    offset: i64,
    limit: i64,
) -> Result<(Vec<HouseholdRow>, i64), DbError> {
    let duplicates = match f.duplicates {
        Some(true) => Some(shared_niks(conn)?),
        _ => None,
    };
    let total = match tallied_total(conn, f, reach)? {
        Some(total) => total,
        None => filtered(f, reach, &duplicates)
            .count()
            .get_result::<i64>(conn)?,
    };
    // The page is chosen on ids first, then only its rows are read whole:
    // sorting thousands of whole rows was the list's cost.
    // Each branch repeats the filter's bound values: not with the shared
    // NIKs of `duplicates`, thousands of them, which times 20 villages would
    // pass the databases' bound-parameter limits.
    let mergeable = f.sort == Sort::Desil && duplicates.is_none();
    let confined = if mergeable {
        confined_to(conn, f, reach)?
    } else {
        None
    };
    let page: Vec<String> = match confined {
        Some(codes) if codes.is_empty() => Vec::new(),
        Some(codes) => {
            // Each village's families come from `households_region`
            // (region_code, desil, id) already in the list's order: merging
            // them costs the page's end, not a sort of the whole area.
            let branches = codes
                .iter()
                .map(|code| {
                    filtered(f, reach, &duplicates)
                        .filter(h::region_code.eq(code))
                        .select((h::id, h::desil))
                })
                .collect();
            super::merge::Merged::new(branches, "desil, id", offset, limit)
                .load::<(String, Option<i32>)>(conn)?
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        }
        _ => sorted(filtered(f, reach, &duplicates).select(h::id), f.sort)
            .offset(offset)
            .limit(limit)
            .load(conn)?,
    };
    Ok((in_order(conn, &page)?, total))
}

/// Above this many regions a merge of their pages costs more to plan than a
/// sort: a kecamatan of Kukar has at most 20 desa, the kabupaten 258 codes.
const MERGE_MAX_REGIONS: i64 = 40;

/// The codes of the regions a list is confined to (its region filter within
/// the caller's area), when there are few enough to merge; `None` for the
/// whole registry or a wide area.
fn confined_to(
    conn: &mut DbConnection,
    f: &HouseholdFilter,
    reach: &Reach,
) -> Result<Option<Vec<String>>, DbError> {
    use super::schema::regions as r;
    let Some((lo, hi)) = region_range(f, reach) else {
        return Ok(None);
    };
    // A household's region is a code of `regions` (a foreign key), so the
    // codes in the range name every family the range holds.
    let codes: Vec<String> = r::table
        .filter(r::code.ge(lo).and(r::code.lt(hi)))
        .select(r::code)
        .order(r::code.asc())
        .limit(MERGE_MAX_REGIONS + 1)
        .load(conn)?;
    Ok((codes.len() as i64 <= MERGE_MAX_REGIONS).then_some(codes))
}

/// The range of region codes a list is confined to: its region filter
/// within the caller's area; `None` when neither confines it.
fn region_range(f: &HouseholdFilter, reach: &Reach) -> Option<(String, String)> {
    let area = match reach {
        Reach::Area(area) => Some(area.as_str()),
        _ => None,
    };
    [f.region.as_deref(), area]
        .into_iter()
        .flatten()
        .map(super::regions::within)
        .reduce(|(lo, hi), (l, h)| (lo.max(l), hi.min(h)))
}

/// The list's total from `household_tallies` when its filters are only the
/// tallies' own keys (region, desil, status) and the caller reads the whole
/// registry or an area: a sum of a few hundred tallies instead of a count of
/// every family in the area. `None` when another filter narrows the list.
fn tallied_total(
    conn: &mut DbConnection,
    f: &HouseholdFilter,
    reach: &Reach,
) -> Result<Option<i64>, DbError> {
    use super::schema::household_tallies as t;
    // Every field named, so a new filter cannot be left out of this test.
    let HouseholdFilter {
        region: _,
        desil_max,
        extreme,
        status,
        q,
        updated_since,
        duplicates,
        needs_update,
        desil_national,
        disability,
        pbi,
        not_in_latest_snapshot,
        not_targeted_in,
        sort: _,
    } = f;
    let narrowed = q.is_some()
        || updated_since.is_some()
        || *duplicates == Some(true)
        || *needs_update == Some(true)
        || desil_national.is_some()
        || disability.is_some()
        || pbi.is_some()
        || not_in_latest_snapshot.is_some()
        || not_targeted_in.is_some();
    if narrowed || matches!(reach, Reach::Company { .. }) {
        return Ok(None);
    }
    let mut tallies = t::table.select(t::families).into_boxed();
    if let Some((lo, hi)) = region_range(f, reach) {
        tallies = tallies.filter(t::region_code.ge(lo).and(t::region_code.lt(hi)));
    }
    // Desil 0 is "none": outside any `desil_max`, and not extreme.
    if let Some(d) = desil_max {
        tallies = tallies.filter(t::desil.between(1, *d));
    }
    match extreme {
        Some(true) => tallies = tallies.filter(t::desil.eq(1)),
        Some(false) => tallies = tallies.filter(t::desil.ne(1)),
        None => {}
    }
    if let Some(s) = status {
        tallies = tallies.filter(t::status.eq(*s));
    }
    Ok(Some(tallies.load::<i64>(conn)?.into_iter().sum()))
}

/// The households of some ids, in the order of the ids.
pub fn in_order(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<HouseholdRow>, DbError> {
    let mut rows: std::collections::HashMap<String, HouseholdRow> = h::table
        .filter(h::id.eq_any(ids))
        .select(HouseholdRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
}

/// A household query in the list's order; `id` breaks ties so pages never
/// overlap.
fn sorted<'a, ST: 'a>(
    q: h::BoxedQuery<'a, super::DbBackend, ST>,
    sort: Sort,
) -> h::BoxedQuery<'a, super::DbBackend, ST> {
    match sort {
        Sort::Desil => q.order((h::desil.asc(), h::id.asc())),
        Sort::DesilDesc => q.order((h::desil.desc(), h::id.asc())),
        Sort::UpdatedAt => q.order((h::updated_at.asc(), h::id.asc())),
        Sort::UpdatedAtDesc => q.order((h::updated_at.desc(), h::id.asc())),
    }
}

/// A household the caller may see; outside its reach it is "not found".
pub fn get(conn: &mut DbConnection, id: &str, reach: &Reach) -> Result<HouseholdRow, DbError> {
    if let Reach::Company {
        company_id,
        live_from,
    } = reach
    {
        if !exposure::may_read(conn, company_id, id, *live_from)? {
            return Err(DbError::NotFound);
        }
    }
    let row: HouseholdRow = h::table
        .find(id)
        .select(HouseholdRow::as_select())
        .first(conn)?;
    match reach {
        Reach::Area(area) if !crate::domain::region::regions_overlap(&row.region_code, area) => {
            Err(DbError::NotFound)
        }
        _ => Ok(row),
    }
}

/// Member counts of the given households.
pub fn member_counts(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, i64>, DbError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(m::table
        .filter(m::household_id.eq_any(ids))
        .group_by(m::household_id)
        .select((m::household_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    values: &HouseholdValues,
) -> Result<HouseholdRow, DbError> {
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(h::table)
        .values((
            h::id.eq(&id),
            values,
            h::status.eq(HouseholdStatus::Active),
            h::needs_update.eq(false),
            h::version.eq(1),
            h::created_at.eq(t),
            h::updated_at.eq(t),
        ))
        .returning(HouseholdRow::columns())
        .get_result::<HouseholdRow>(conn)
        .map_err(taken(
            "household_exists",
            "a household with this P3KE or DTKS id already exists",
        ))?;
    audit::record(
        conn,
        actor,
        "create",
        "household",
        &id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Replaces a household's data, and optionally its status, if `expected` is
/// still its version.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    expected: IfMatch,
    values: &HouseholdValues,
    status: Option<HouseholdStatus>,
) -> Result<HouseholdRow, DbError> {
    let before = h::table
        .find(id)
        .select(HouseholdRow::as_select())
        .first(conn)?;
    check_version(&expected, before.version)?;
    let row = diesel::update(
        h::table
            .filter(h::id.eq(id))
            .filter(h::version.eq(before.version)),
    )
    .set((
        values,
        h::status.eq(status.unwrap_or(before.status)),
        h::version.eq(before.version + 1),
        h::updated_at.eq(now()),
    ))
    .returning(HouseholdRow::columns())
    .get_result::<HouseholdRow>(conn)
    .optional()
    .map_err(taken(
        "household_exists",
        "another household already has this P3KE or DTKS id",
    ))?
    .ok_or(DbError::Stale)?;
    let (before, after) = (before.audit_value(), row.audit_value());
    history::manual(conn, actor, id, changes(&before, &after, ""))?;
    audit::record(
        conn,
        actor,
        "update",
        "household",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(row)
}

/// Records a company's search of the registry, hit or miss, so that probing
/// (e.g. guessing names or identifiers) leaves a trail.
pub fn audit_search(
    conn: &mut DbConnection,
    actor: &Actor,
    company_id: &str,
    term: &str,
    matches: Option<i64>,
) -> Result<(), DbError> {
    let after = serde_json::json!({"q": term, "matches": matches, "refused": matches.is_none()});
    audit::record(
        conn,
        actor,
        "search",
        "household_search",
        company_id,
        None,
        Some(&after),
    )
}

/// Records that a company read personal data of these households.
pub fn audit_company_read(
    conn: &mut DbConnection,
    actor: &Actor,
    ids: &[String],
) -> Result<(), DbError> {
    for id in ids {
        audit::record(
            conn,
            actor,
            "read_personal_data",
            "household",
            id,
            None,
            None,
        )?;
    }
    Ok(())
}

pub fn members_of(conn: &mut DbConnection, household_id: &str) -> Result<Vec<MemberRow>, DbError> {
    Ok(m::table
        .filter(m::household_id.eq(household_id))
        .order((m::relation.asc(), m::birth_date.asc(), m::id.asc()))
        .load::<MemberRow>(conn)?)
}

pub fn member(
    conn: &mut DbConnection,
    household_id: &str,
    member_id: &str,
) -> Result<MemberRow, DbError> {
    Ok(m::table
        .filter(m::household_id.eq(household_id))
        .filter(m::id.eq(member_id))
        .first::<MemberRow>(conn)?)
}

/// Bumps the household's version and change time when its members change,
/// so `updated_since` and ETags see member edits too.
fn touch(conn: &mut DbConnection, household_id: &str) -> Result<(), DbError> {
    diesel::update(h::table.filter(h::id.eq(household_id)))
        .set((h::version.eq(h::version + 1), h::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn add_member(
    conn: &mut DbConnection,
    actor: &Actor,
    household_id: &str,
    values: &MemberValues,
) -> Result<MemberRow, DbError> {
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(m::table)
        .values((
            m::id.eq(&id),
            m::household_id.eq(household_id),
            values,
            m::version.eq(1),
            m::created_at.eq(t),
            m::updated_at.eq(t),
        ))
        .returning(m::all_columns)
        .get_result::<MemberRow>(conn)
        .map_err(taken(
            "member_exists",
            "a member with this P3KE individual id already exists",
        ))?;
    touch(conn, household_id)?;
    let joined = history::member_moved(row.nik.as_deref(), &row.name, true);
    history::manual(conn, actor, household_id, vec![joined])?;
    audit::record(
        conn,
        actor,
        "create",
        "member",
        &id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn update_member(
    conn: &mut DbConnection,
    actor: &Actor,
    household_id: &str,
    member_id: &str,
    expected: IfMatch,
    values: &MemberValues,
) -> Result<MemberRow, DbError> {
    let before = member(conn, household_id, member_id)?;
    check_version(&expected, before.version)?;
    let row = diesel::update(
        m::table
            .filter(m::id.eq(member_id))
            .filter(m::version.eq(before.version)),
    )
    .set((
        values,
        m::version.eq(before.version + 1),
        m::updated_at.eq(now()),
    ))
    .returning(m::all_columns)
    .get_result::<MemberRow>(conn)
    .optional()
    .map_err(taken(
        "member_exists",
        "another member already has this P3KE individual id",
    ))?
    .ok_or(DbError::Stale)?;
    touch(conn, household_id)?;
    let (old, new) = (before.audit_value(), row.audit_value());
    let prefix = history::member_prefix(row.nik.as_deref(), &row.name);
    history::manual(conn, actor, household_id, changes(&old, &new, &prefix))?;
    audit::record(
        conn,
        actor,
        "update",
        "member",
        member_id,
        Some(&old),
        Some(&new),
    )?;
    Ok(row)
}

pub fn delete_member(
    conn: &mut DbConnection,
    actor: &Actor,
    household_id: &str,
    member_id: &str,
    expected: IfMatch,
) -> Result<(), DbError> {
    let before = member(conn, household_id, member_id)?;
    check_version(&expected, before.version)?;
    diesel::delete(m::table.filter(m::id.eq(member_id))).execute(conn)?;
    touch(conn, household_id)?;
    let left = history::member_moved(before.nik.as_deref(), &before.name, false);
    history::manual(conn, actor, household_id, vec![left])?;
    audit::record(
        conn,
        actor,
        "delete",
        "member",
        member_id,
        Some(&before.audit_value()),
        None,
    )?;
    Ok(())
}

/// Household and member counts, for the demo banner and health of imports.
pub fn counts(conn: &mut DbConnection) -> Result<(i64, i64), DbError> {
    let households = h::table.count().get_result::<i64>(conn)?;
    let members = m::table.count().get_result::<i64>(conn)?;
    Ok((households, members))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_value_keeps_one_flat_key_per_column() {
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let row = HouseholdRow {
            id: "h".into(),
            p3ke_family_id: None,
            dtks_id: None,
            kk_number: None,
            head_name: "Rudi".into(),
            head_nik: None,
            head_nik_valid: false,
            head_sex: None,
            head_birth_date: None,
            head_marital_status: None,
            head_occupation: None,
            head_employment_status: None,
            head_education: None,
            region_code: "64.02.06.2001".into(),
            address: None,
            desil: Some(1),
            percentile: None,
            verification_priority: None,
            dukcapil_match: None,
            assets: Assets {
                house_ownership: Some("own".into()),
                has_savings: Some(false),
            },
            housing: Housing {
                roof_quality: Some("poor".into()),
                ..Housing::default()
            },
            stunting_risk: None,
            assistance: Assistance {
                pkh: true,
                ..Assistance::default()
            },
            data_year: None,
            flags: "[]".into(),
            status: HouseholdStatus::Active,
            needs_update: false,
            content_hash: String::new(),
            version: 1,
            created_at: t,
            updated_at: t,
            snapshot: SnapshotValues {
                desil_national: Some(1),
                ..SnapshotValues::default()
            },
            not_in_latest_snapshot: false,
        };
        let v = row.audit_value();
        assert_eq!(v["desil_national"], 1);
        assert_eq!(v["house_ownership"], "own");
        assert_eq!(v["roof_quality"], "poor");
        assert_eq!(v["toilet_facility"], serde_json::Value::Null);
        assert_eq!(v["receives_pkh"], true);
        assert_eq!(v["receives_kur"], false);
        for group in ["housing", "assistance", "assets", "pkh", "content_hash"] {
            assert!(v.get(group).is_none(), "{group} in {v}");
        }
        // The 59 columns but content_hash, version, created_at and updated_at.
        assert_eq!(v.as_object().map(|o| o.len()), Some(55));
    }
}
