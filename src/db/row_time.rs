//! The time a batch of an import stamps its new rows with, written out
//! once for all of them.
//!
//! Diesel binds a `NaiveDateTime` to SQLite as text it formats anew for
//! each row, and serde writes one anew into each row of a COPY: for the
//! `created_at` and `updated_at` of every new family and member, 3.5 % of
//! the writer's time in a 270,000-family import on SQLite
//! (docs/PERFORMANCE.md, session 20). A [`RowTime`] holds the text,
//! formatted as diesel's own binding formats it, so a row reads back the
//! same either way.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::expression::AsExpression;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

#[derive(Debug, Clone, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct RowTime(Arc<str>);

impl RowTime {
    pub fn new(at: NaiveDateTime) -> RowTime {
        RowTime(at.format("%F %T%.f").to_string().into())
    }
}

impl ToSql<Timestamp, Sqlite> for RowTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(&*self.0);
        Ok(IsNull::No)
    }
}

/// For `db::copy`: PostgreSQL reads the same text as a timestamp.
impl serde::Serialize for RowTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;

    /// The text is what diesel binds for the `NaiveDateTime` itself, so
    /// comparisons with times bound the usual way (`created_since`) hold.
    #[test]
    fn sqlite_stores_the_text_diesel_binds_for_the_time() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        for at in [
            chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
                .unwrap()
                .and_hms_micro_opt(14, 3, 9, 120_450)
                .unwrap(),
            chrono::NaiveDate::from_ymd_opt(2027, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        ] {
            let (ours, diesels): (String, String) = diesel::select((
                diesel::dsl::sql::<diesel::sql_types::Text>("CAST(")
                    .bind::<Timestamp, _>(RowTime::new(at))
                    .sql(" AS TEXT)"),
                diesel::dsl::sql::<diesel::sql_types::Text>("CAST(")
                    .bind::<Timestamp, _>(at)
                    .sql(" AS TEXT)"),
            ))
            .get_result(&mut conn)
            .unwrap();
            assert_eq!(ours, diesels);
            assert!(ours.starts_with(&at.format("%F %T").to_string()), "{ours}");
        }
    }
}
