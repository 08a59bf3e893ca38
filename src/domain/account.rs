//! Rules of accounts: which role needs which binding, usernames, passwords.

use crate::domain::role::Role;

/// A binding that does not fit the role; `field` names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BindingError {
    pub field: &'static str,
    pub message: &'static str,
}

/// An agency code: 2–20 capital letters, digits or `_` (`DINSOS`, `PERKIM`).
pub fn valid_opd_code(code: &str) -> bool {
    (2..=20).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A `company` account names its company, an `opd` account its agency, an
/// `operator` account its region (whether that region exists is checked
/// against the regions table in `db::users`), and no other role carries any
/// of them: a token must say exactly whose data it reaches.
pub fn check_binding(
    role: Role,
    company_id: Option<&str>,
    opd_code: Option<&str>,
    region_code: Option<&str>,
) -> Result<(), BindingError> {
    let refuse = |field, message| Err(BindingError { field, message });
    match (role, region_code) {
        (Role::Operator, None) => {
            return refuse("region_code", "an operator account must name its desa or kecamatan")
        }
        (Role::Operator, Some(code)) if !valid_operator_region(code) => {
            return refuse(
                "region_code",
                "must be a kecamatan (64.02.06) or desa/kelurahan (64.02.06.1001) code of Kutai Kartanegara",
            )
        }
        (Role::Operator, Some(_)) => {}
        (_, Some(_)) => return refuse("region_code", "only an operator account names a region"),
        (_, None) => {}
    }
    match (role, company_id, opd_code) {
        (Role::Opd, None, Some(code)) if !valid_opd_code(code) => refuse(
            "opd_code",
            "must be 2–20 capital letters, digits or _ (e.g. DINSOS)",
        ),
        (Role::Company, Some(_), None) | (Role::Opd, None, Some(_)) => Ok(()),
        (Role::Company, None, _) => refuse("company_id", "a company account must name its company"),
        (Role::Opd, _, None) => refuse("opd_code", "an opd account must name its agency"),
        (_, Some(_), _) => refuse("company_id", "only a company account names a company"),
        (_, _, Some(_)) => refuse("opd_code", "only an opd account names an agency"),
        _ => Ok(()),
    }
}

/// The shape of an operator's region: a kecamatan or desa/kelurahan code of
/// Kukar, dotted or not (the kabupaten is Bappeda's, not an operator's).
pub fn valid_operator_region(code: &str) -> bool {
    crate::domain::region::is_kukar_code(code)
        && crate::domain::region::normalize_code(code).is_some_and(|c| c.len() > 5)
}

/// Usernames: 3–64 characters of letters, digits, `.`, `_`, `-`.
pub fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Shortest accepted password, characters.
pub const MIN_PASSWORD: usize = 12;

/// Why `password` may not be the password of `username`, if it may not:
/// shorter than [`MIN_PASSWORD`], or the username itself (any case).
pub fn password_problem(username: &str, password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD {
        Some(format!("must have at least {MIN_PASSWORD} characters"))
    } else if password.trim().to_lowercase() == username.trim().to_lowercase() {
        Some("must not be the username".to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_and_opd_accounts_carry_exactly_their_binding() {
        assert!(check_binding(Role::Company, Some("c"), None, None).is_ok());
        assert!(check_binding(Role::Opd, None, Some("DINSOS"), None).is_ok());
        assert!(check_binding(Role::Viewer, None, None, None).is_ok());
        assert_eq!(
            check_binding(Role::Company, None, None, None)
                .unwrap_err()
                .field,
            "company_id"
        );
        assert_eq!(
            check_binding(Role::Admin, None, Some("X"), None)
                .unwrap_err()
                .field,
            "opd_code"
        );
    }

    #[test]
    fn an_operator_names_a_kecamatan_or_desa_and_no_one_else_does() {
        assert!(check_binding(Role::Operator, None, None, Some("64.02.06.1001")).is_ok());
        assert!(check_binding(Role::Operator, None, None, Some("640206")).is_ok());
        for bad in [None, Some("64.02"), Some("63.01.01"), Some("x")] {
            assert_eq!(
                check_binding(Role::Operator, None, None, bad)
                    .unwrap_err()
                    .field,
                "region_code"
            );
        }
        assert_eq!(
            check_binding(Role::Verifier, None, None, Some("64.02.06"))
                .unwrap_err()
                .field,
            "region_code"
        );
        assert_eq!(
            check_binding(Role::Operator, Some("c"), None, Some("64.02.06"))
                .unwrap_err()
                .field,
            "company_id"
        );
    }

    #[test]
    fn a_password_is_long_enough_and_not_the_username() {
        assert!(password_problem("bupati", "short-pw").is_some());
        assert!(password_problem("kepala.bappeda", "Kepala.Bappeda").is_some());
        assert!(password_problem("bupati", "dua-belas-karakter").is_none());
    }
}
