//! Use cases that span resources or hold a workflow: what a request does,
//! between the handler that extracted and authorised it (`src/api/`) and the
//! queries (`src/db/`) and pure rules (`src/domain/`) it runs. Each public
//! function takes plain inputs (ids, domain values, the [`Caller`]), runs in
//! one transaction (`db::tx`) or one read (`db::run`, `db::read`), and returns
//! rows or domain values for the handler to render.

pub mod change_requests;
pub mod coverage;
pub mod deliveries;
pub mod events;
pub mod files;
pub mod imports;
pub mod programs;
pub mod realisation;
pub mod recommendations;
pub mod signatures;
pub mod targets;
pub mod verifications;
// issue 14: photos of visits
pub mod verification_photos;
// issue 14: the ODK/KoBo form of a program
pub mod verification_forms;
// issue 15: the agreement annex
pub mod program_annex;

use crate::auth::AuthUser;
use crate::db::audit::Actor;
use crate::db::programs::ProgramReach;
use crate::domain::program::Override;
use crate::domain::role::Role;
use crate::error::ApiError;

/// Who a use case runs for: the name audit events carry, the role, and the
/// company or agency a `company` or `opd` caller acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub role: Role,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    /// The kecamatan or desa/kelurahan an `operator` caller works for.
    pub region_code: Option<String>,
    /// Whether this caller's reads of personal data are audited, so that a
    /// read by it also writes.
    pub reads_are_audited: bool,
}

impl From<&AuthUser> for Caller {
    fn from(user: &AuthUser) -> Caller {
        Caller {
            actor: user.actor(),
            role: user.role(),
            company_id: user.company_id().map(str::to_string),
            opd_code: user.opd_code().map(str::to_string),
            region_code: user.region_code().map(str::to_string),
            reads_are_audited: user.reads_are_audited(),
        }
    }
}

impl Caller {
    /// The programs this caller reaches: a company its own, an agency those
    /// it leads, everyone else all.
    pub fn reach(&self) -> ProgramReach {
        match (&self.company_id, &self.opd_code) {
            (Some(c), _) => ProgramReach::Company(c.clone()),
            (_, Some(o)) => ProgramReach::Opd(o.clone()),
            _ => ProgramReach::All,
        }
    }

    /// The window override this caller asked for: none without a reason, an
    /// admin's with one; any other role giving a reason is a 403 naming
    /// `what` would have been overridden.
    pub fn window_override(
        &self,
        reason: Option<String>,
        what: &str,
    ) -> Result<Override, ApiError> {
        match reason.filter(|r| !r.trim().is_empty()) {
            None => Ok(Override::None),
            Some(reason) if self.role == Role::Admin => Ok(Override::Admin { reason }),
            Some(_) => Err(ApiError::Forbidden {
                detail: format!("only an admin may override {what}"),
            }),
        }
    }
}
