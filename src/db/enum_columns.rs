//! Categorical columns as their domain enums: each enum here is read from and
//! written to its `Text` column (a CHECK in the migrations) as its wire string,
//! on both backends and through the `MultiConnection`, so rows and filters
//! carry the enum and no query compares against a hand-written literal.
//!
//! Diesel's derives would put SQL on the domain types; `foreign_derive` on a
//! private proxy keeps them here, and `FromSql`/`ToSql` are generic over the
//! backend, so SQLite, PostgreSQL and the `MultiBackend` all get them.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::change_request::{ChangeStatus, ChangeType};
use crate::domain::company::LegalForm;
use crate::domain::compliance::{ExemptionStatus, ReasonCategory, ReviewRecommendation, Sector};
use crate::domain::dataset::{BastType, DatasetSource};
use crate::domain::household::{HouseholdStatus, ImportFormat, ImportStatus};
use crate::domain::nik::Sex;
use crate::domain::program::{
    Funding, ProgramStatus, ProgramType, Strategy, TargetStatus, VerificationResult,
};
use crate::domain::realisation::ReportStatus;
use crate::domain::region_lookup::RegionLevel;
use crate::domain::role::Role;

/// Implements the diesel traits of a `Text` column for an enum with
/// `as_str(self) -> &'static str`, given its variants (or none, for a
/// `wire_enum!` of `domain`, which lists them as `ALL`): a stored value is
/// exactly one of their wire strings, anything else is a read error.
macro_rules! text_column {
    ($($ty:ident => $proxy:ident $([$($variant:ident),+ $(,)?])?),+ $(,)?) => {$(
        #[derive(AsExpression, FromSqlRow)]
        #[diesel(foreign_derive, sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                text_column!(@all $ty $([$($variant),+])?)
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!("`{s}` is not a {}", stringify!($ty)).into())
            }
        }

        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )+};
    (@all $ty:ident [$($variant:ident),+]) => { [$($ty::$variant),+] };
    (@all $ty:ident) => { $ty::ALL };
}

text_column!(
    HouseholdStatus => HouseholdStatusColumn [Active, Graduated, Moved, Deceased, Duplicate],
    Sex => SexColumn [Male, Female],
    ImportFormat => ImportFormatColumn [P3ke, Dtks, Dtsen],
    ImportStatus => ImportStatusColumn [Queued, Running, Done, Failed],
    RegionLevel => RegionLevelColumn,
    DatasetSource => DatasetSourceColumn,
    BastType => BastTypeColumn,
    ProgramType => ProgramTypeColumn,
    Strategy => StrategyColumn,
    ProgramStatus => ProgramStatusColumn,
    Funding => FundingColumn,
    ReportStatus => ReportStatusColumn,
    TargetStatus => TargetStatusColumn,
    VerificationResult => VerificationResultColumn,
    ExemptionStatus => ExemptionStatusColumn,
    ReasonCategory => ReasonCategoryColumn,
    ReviewRecommendation => ReviewRecommendationColumn,
    LegalForm => LegalFormColumn,
    Sector => SectorColumn,
    Role => RoleColumn,
    ChangeType => ChangeTypeColumn,
    ChangeStatus => ChangeStatusColumn,
);

// Events and webhooks (db::events, db::webhooks).
use crate::domain::event::{DeliveryStatus, EventType};
text_column!(
    EventType => EventTypeColumn,
    DeliveryStatus => DeliveryStatusColumn,
);
