//! Signing a program's agreement, as the company or as its lead agency, until
//! the cycle's agreement deadline; once both have signed (and a target is
//! verified eligible) [`settle`] makes the program `agreed`.

use crate::db::IfMatch;
use chrono::NaiveDate;

use super::programs::{settle, view, ProgramView};
use super::Caller;
use crate::db::programs::{self as store, Party};
use crate::db::{self, cycles, Pool};
use crate::domain::program::{decide, Action, Override};
use crate::domain::role::Role;
use crate::error::ApiError;

/// Signs program `id` for the caller's party, agreement `agreement_number`
/// on `signed_on` (`expected`: the version the client read), and settles it, in one transaction.
pub async fn sign(
    pool: &Pool,
    caller: Caller,
    id: String,
    expected: IfMatch,
    agreement_number: &str,
    signed_on: NaiveDate,
    today: NaiveDate,
) -> Result<ProgramView, ApiError> {
    let number = agreement_number.trim().to_string();
    if number.is_empty() || agreement_number.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "agreement_number",
            "must be 1–100 characters",
        ));
    }
    if signed_on > today {
        return Err(ApiError::invalid_field(
            "signed_on",
            "must not be in the future",
        ));
    }
    let party = if caller.role == Role::Company {
        Party::Company
    } else {
        Party::Opd
    };
    db::tx(pool, move |c| {
        let before = store::get(c, &id, &caller.reach())?;
        if let Some(existing) = &before.agreement_number {
            if existing != &number {
                return Err(ApiError::invalid_field(
                    "agreement_number",
                    format!(
                        "the other party signed agreement {existing}; both sign the same agreement"
                    ),
                ));
            }
        }
        let calendar = cycles::get(c, before.cycle_year)?.calendar();
        let facts = store::facts(c, &before, true)?;
        decide(
            before.status,
            Action::Sign,
            caller.role,
            today,
            &calendar,
            &facts,
            &Override::None,
        )?;
        let row = store::sign(
            c,
            &caller.actor,
            &before,
            expected,
            party,
            &number,
            signed_on,
        )?;
        super::events::program_signed(c, &before, &row)?;
        let row = settle(c, &caller.actor, row)?;
        view(c, &caller, row, today)
    })
    .await
}
