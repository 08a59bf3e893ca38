//! What the public may see of counts of families (DESIGN.md §6.3): a count
//! under [`THRESHOLD`] could point at a family in a small desa, so it is
//! published as `"<5"`, never as its number.

use serde::{Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// Counts below this are suppressed.
pub const THRESHOLD: i64 = 5;

/// A count as published: its number from [`THRESHOLD`] up, else `"<5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicCount(pub i64);

impl PublicCount {
    /// Whether the number is withheld.
    pub fn suppressed(self) -> bool {
        self.0 < THRESHOLD
    }
}

impl Serialize for PublicCount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.suppressed() {
            s.serialize_str("<5")
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl utoipa::PartialSchema for PublicCount {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .minimum(Some(THRESHOLD as f64)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["<5"])),
            )
            .description(Some(
                "A count of 5 or more, or the string `<5` for any count under 5 (0 included)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for PublicCount {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_under_five_are_never_published() {
        for n in 0..5 {
            assert_eq!(serde_json::to_value(PublicCount(n)).unwrap(), "<5");
        }
        assert_eq!(serde_json::to_value(PublicCount(5)).unwrap(), 5);
        assert_eq!(serde_json::to_value(PublicCount(1234)).unwrap(), 1234);
    }
}
