//! The schemas of the registry's categorical fields, made from their value
//! sets (`import::values`), so the contract lists exactly the codes the
//! server takes. A field a client sets (`input`) takes a code or `null`; a
//! field the registry shows (`output`) is a known code or a value an import
//! kept as it came (the ministries add values over time; such a household
//! carries the flag `unknown_value:<column>=<value>`), so it is a string
//! whose known codes are listed, not an enumeration a client could trust
//! to be closed.

use serde_json::{json, Value};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::domain::nik::Sex;
use crate::import::limits::MAX_CELL_CHARS;
use crate::import::values;

fn nullable_string() -> SchemaType {
    SchemaType::from_iter([Type::String, Type::Null])
}

/// A code a client sets: one of `codes`, or `null` (absent or `null` leaves
/// the stored value as it is).
pub fn input(codes: &[&str]) -> Object {
    let mut allowed: Vec<Value> = codes.iter().map(|c| json!(c)).collect();
    allowed.push(Value::Null);
    ObjectBuilder::new()
        .schema_type(nullable_string())
        .enum_values(Some(allowed))
        .build()
}

/// A code the registry shows: a known code, or what an import kept.
pub fn output(codes: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(nullable_string())
        .max_length(Some(MAX_CELL_CHARS))
        .description(Some(format!(
            "One of `{}`; a value an import did not know is kept as it came (lower case) \
             and flagged `unknown_value:…` on the household",
            codes.join("`, `")
        )))
        .examples(codes.first().map(|c| json!(c)))
        .build()
}

/// One pair of schema functions per value set, for `#[schema(schema_with = …)]`.
macro_rules! code_schemas {
    ($($name:ident => $codes:ident),+ $(,)?) => {
        /// Fields a client sets.
        pub mod inputs {
            pub use super::sex;
            $(
            pub fn $name() -> utoipa::openapi::schema::Object {
                super::input(super::values::$codes)
            }
        )+}
        /// Fields the registry shows.
        pub mod outputs {$(
            pub fn $name() -> utoipa::openapi::schema::Object {
                super::output(super::values::$codes)
            }
        )+}
    };
}

code_schemas!(
    relation => RELATION_CODES,
    marital_status => MARITAL_STATUS_CODES,
    occupation => OCCUPATION_CODES,
    employment_status => EMPLOYMENT_STATUS_CODES,
    education => EDUCATION_CODES,
    house_ownership => HOUSE_OWNERSHIP_CODES,
    roof_material => ROOF_MATERIAL_CODES,
    wall_material => WALL_MATERIAL_CODES,
    floor_material => FLOOR_MATERIAL_CODES,
    quality => QUALITY_CODES,
    lighting => LIGHTING_CODES,
    power_capacity => POWER_CAPACITY_CODES,
    cooking_fuel => COOKING_FUEL_CODES,
    drinking_water => DRINKING_WATER_CODES,
    toilet => TOILET_CODES,
    stunting_risk => STUNTING_RISK_CODES,
    verification_priority => VERIFICATION_PRIORITY_CODES,
);

/// `male` or `female`, or `null`.
pub fn sex() -> Object {
    input(&[Sex::Male.as_str(), Sex::Female.as_str()])
}

/// Our codes of a DTSEN concept (`import::dtsen_codes`), each once, in order.
fn concept_codes(concept: &crate::import::dtsen_codes::Concept) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for &(_, _, ours) in concept.entries {
        if !codes.contains(&ours) {
            codes.push(ours);
        }
    }
    codes
}

/// A Washington Group item's answer (DTSEN).
pub fn difficulty() -> Object {
    output(&concept_codes(&crate::import::dtsen_codes::DIFFICULTY))
}

/// A member's chronic illness (DTSEN `penyakit_kronis`).
pub fn chronic_illness() -> Object {
    output(&concept_codes(&crate::import::dtsen_codes::CHRONIC_ILLNESS))
}
