//! What a new database gets: the regions always; demo accounts only when it
//! has no users and the operator allows it.

use diesel::Connection;

use super::audit::Actor;
use super::companies::{self, NewCompany};
use super::users::{self, NewUser};
use super::DbError;
use super::{regions, DbConnection};
use crate::auth::password;
use crate::domain::company::LegalForm;
use crate::domain::compliance::Sector;
use crate::domain::role::Role;

/// The id of the synthetic company the `company` demo account acts for.
pub const DEMO_COMPANY_ID: &str = "00000000-0000-4000-8000-000000000001";

/// The agency of the `opd` demo account.
pub const DEMO_OPD_CODE: &str = "DINSOS";

/// The desa of the `operator` demo account: Kelurahan Jahab, Kecamatan
/// Tenggarong (inside the demo company's working area).
pub const DEMO_OPERATOR_REGION: &str = "64.02.06.1001";

/// Seeds the regions of Kukar if the table is empty.
pub fn regions(conn: &mut DbConnection) -> Result<usize, DbError> {
    regions::seed(conn)
}

/// Creates one account per role, named as the role, if there are no users yet.
/// Returns whether it did.
pub fn demo_accounts(conn: &mut DbConnection, password: &str) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        if users::count(conn)? > 0 {
            return Ok(false);
        }
        // One hash for all eight: they share the password, and argon2 is slow
        // by design.
        let hash = password::hash(password).map_err(|e| DbError::internal(e.to_string()))?;
        let actor = Actor::system("seed");
        demo_company(conn, &actor)?;
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
                    region_code: (role == Role::Operator).then(|| DEMO_OPERATOR_REGION.to_string()),
                },
            )?;
        }
        Ok(true)
    })
}

/// Creates the synthetic company the `company` demo account acts for, unless
/// it exists. Its NIB is made up; its working area is two real kecamatan of
/// Kukar (Tenggarong and Sebulu).
pub fn demo_company(conn: &mut DbConnection, actor: &Actor) -> Result<bool, DbError> {
    if companies::exists(conn, DEMO_COMPANY_ID)? {
        return Ok(false);
    }
    let working_area =
        companies::resolve_working_area(conn, &["64.02.06".to_string(), "64.02.07".to_string()])?;
    companies::create(
        conn,
        actor,
        NewCompany {
            id: DEMO_COMPANY_ID.to_string(),
            name: "PT Mitra Sawit Lestari (demo)".to_string(),
            legal_form: LegalForm::Pt,
            nib: "9120000000001".to_string(),
            sector: Sector::Plantation,
            address: Some("Jl. Contoh No. 1, Tenggarong (demo)".to_string()),
            contact_name: Some("Demo CSR Officer".to_string()),
            contact_email: Some("csr@mitra-sawit.example".to_string()),
            contact_phone: Some("+62 541 000000".to_string()),
            working_area,
            active: true,
            exposure_cap: None,
        },
    )?;
    Ok(true)
}
