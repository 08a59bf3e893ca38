//! Pure rules of the domain: no HTTP, no SQL.

pub mod account;
pub mod change_request;
pub mod company;
pub mod compliance;
pub mod consent;
pub mod cycle;
pub mod dataset;
pub mod delivery;
pub mod disclosure;
pub mod event;
pub mod exposure;
pub mod history;
pub mod household;
pub mod kk;
pub mod nik;
pub mod program;
pub mod ranking;
pub mod realisation;
pub mod region;
pub mod region_lookup;
pub mod role;
// issue 14: photos of visits
pub mod photo;
// issue 14: the XLSForm of a program's verification
pub mod xlsform;

use serde::Serialize;
use utoipa::ToSchema;

// A rule's refusal of one field, named as the API names it: the domain's
// validation returns these, and a problem lists them in `errors[]`
// (`error.rs` re-exports it). A plain comment: the doc line below is the
// schema's description in the contract.
/// One invalid field of a request, as reported in `errors[]`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// The field or parameter, dotted for nested fields (`housing.roof_quality`).
    #[schema(example = "head_nik")]
    pub field: String,
    /// Why it was refused.
    #[schema(example = "must be 16 digits")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}
