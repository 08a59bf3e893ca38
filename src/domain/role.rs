//! Caller roles (docs/SECURITY.md, "What each role may reach") and the one helper that every closed set of wire
//! strings in `domain` is built with.
//!
//! The helper lives here because `role` is the module every other domain
//! module already depends on; keeping it here avoids a sixth file in
//! `src/domain/` that would exist only for a macro.

/// A string that is not one of an enumeration's wire values.
///
/// `kind` names the enumeration (`role`, `program status`, …) so the API can
/// answer "unknown role `foo`" without knowing which type failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownValue {
    /// Human name of the enumeration, e.g. `program status`.
    pub kind: &'static str,
    /// The string that was given.
    pub value: String,
    /// The accepted wire strings, comma separated.
    pub expected: String,
}

/// Declares a fieldless enum whose variants travel as fixed snake_case strings.
///
/// Each variant's wire string is written once and used for serde, `as_str`,
/// `FromStr` and `Display`, so the four can never drift apart. The macro also
/// provides `ALL` in declaration order, which is the order used in docs.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        // Every wire string is the variant's snake_case name (a test checks
        // it); this spells that for the OpenAPI schema too, which does not
        // see the per-variant renames through the macro.
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($wire),+].len()] = [$($name::$variant),+];

            /// The exact string used on the wire and in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::role::UnknownValue;

            /// Exact, case-sensitive match: the wire format is snake_case and
            /// anything else is a client error, never silently corrected.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $wire => Ok($name::$variant), )+
                    _ => Err($crate::domain::role::UnknownValue {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($wire),+].join(", "),
                    }),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
    /// The role a token carries (one per token). Ownership — the company of a
    /// `company` token, the agency of an `opd` token — is checked by the API
    /// layer, not here.
    pub enum Role: "role" {
        /// Bappeda system administrator: everything, incl. users and imports.
        Admin = "admin",
        /// Bappeda planners.
        Bappeda = "bappeda",
        /// The Regent's office: decides exemption letters, reads.
        Bupati = "bupati",
        /// Program officer of one regency agency (OPD).
        Opd = "opd",
        /// Field verification team.
        Verifier = "verifier",
        /// CSR officer or ERP client of one company.
        Company = "company",
        /// Other government systems and dashboards: aggregates only.
        Viewer = "viewer",
        /// Data operator of one desa/kelurahan or kecamatan (`region_code`):
        /// reads the households of its area in full, files change requests.
        Operator = "operator",
    }
}

impl Role {
    /// Government roles, which may see full personal data (NIK, No. KK
    /// unmasked). `viewer` is a government *system* too, but it is given
    /// aggregates only, so it is not included; `company` sees masked data.
    /// An `operator` is staff of a desa or kecamatan office: government, within
    /// its area.
    pub const fn is_government(self) -> bool {
        match self {
            Role::Admin
            | Role::Bappeda
            | Role::Bupati
            | Role::Opd
            | Role::Verifier
            | Role::Operator => true,
            Role::Company | Role::Viewer => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_match_design_and_serde() {
        let wire: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            wire,
            ["admin", "bappeda", "bupati", "opd", "verifier", "company", "viewer", "operator"]
        );
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{role}\""));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }

    #[test]
    fn unknown_role_is_rejected_with_the_accepted_values() {
        let err = "Admin".parse::<Role>().unwrap_err();
        assert_eq!(err.kind, "role");
        assert_eq!(err.value, "Admin");
        assert!(err.to_string().contains("admin, bappeda, bupati"));
        assert!(serde_json::from_str::<Role>("\"superuser\"").is_err());
    }

    #[test]
    fn only_government_roles_see_personal_data() {
        let gov: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.is_government())
            .collect();
        assert_eq!(
            gov,
            [
                Role::Admin,
                Role::Bappeda,
                Role::Bupati,
                Role::Opd,
                Role::Verifier,
                Role::Operator
            ]
        );
    }
}
