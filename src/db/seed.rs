//! What a new database gets: the regions always; demo accounts only when it
//! has no users and the operator allows it.

use diesel::Connection;

use super::audit::Actor;
use super::users::{self, NewUser};
use super::{regions, DbConnection};
use crate::auth::password;
use crate::domain::role::Role;
use crate::error::ApiError;

/// The id of the synthetic company the `company` demo account acts for.
pub const DEMO_COMPANY_ID: &str = "00000000-0000-4000-8000-000000000001";

/// The agency of the `opd` demo account.
pub const DEMO_OPD_CODE: &str = "DINSOS";

/// Seeds the regions of Kukar if the table is empty.
pub fn regions(conn: &mut DbConnection) -> Result<usize, ApiError> {
    regions::seed(conn)
}

/// Creates one account per role, named as the role, if there are no users yet.
/// Returns whether it did.
pub fn demo_accounts(conn: &mut DbConnection, password: &str) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        if users::count(conn)? > 0 {
            return Ok(false);
        }
        // One hash for all seven: they share the password, and argon2 is slow
        // by design.
        let hash = password::hash(password)?;
        let actor = Actor::system("seed");
        for role in Role::ALL {
            users::create(
                conn,
                &actor,
                NewUser {
                    username: role.as_str().to_string(),
                    password_hash: hash.clone(),
                    role,
                    company_id: (role == Role::Company).then(|| DEMO_COMPANY_ID.to_string()),
                    opd_code: (role == Role::Opd).then(|| DEMO_OPD_CODE.to_string()),
                    active: true,
                },
            )?;
        }
        Ok(true)
    })
}
