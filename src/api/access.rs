//! Who may call each operation, declared once. A handler authorises with its
//! operation's declaration (`user.require(access::LIST_USERS)?`);
//! `openapi::finish` writes the same declaration into the operation's
//! security requirement (the roles as scopes of `bearer`) and opens its
//! description with the `**Roles:**` line; `tests/authorization.rs` calls
//! every operation as every role and expects what the declaration says.
//!
//! Each declaration names its OpenAPI operation id (the handler's function
//! name); a test below fails when a documented operation has none or a
//! declaration names no operation. The lists say which roles may call at
//! all; which records each reaches (a company its own, an opd the programs
//! it leads) stays with the handler and its description's prose.

use crate::auth::Access;
use crate::auth::Callers::{Authenticated, Public, Roles};
use crate::domain::role::Role::{Admin, Bappeda, Bupati, Company, Opd, Operator, Verifier, Viewer};

/// Declares one `pub const` per operation and [`ALL`], so no declaration can
/// be left out of the table the document and the tests read.
macro_rules! declare {
    ($( $(#[$meta:meta])* $name:ident = $operation:literal : $callers:expr; )+) => {
        $(
            $(#[$meta])*
            pub const $name: &Access = &Access { operation: $operation, callers: $callers };
        )+
        /// Every declaration, in the order of `app::register`.
        pub const ALL: &[&Access] = &[$($name),+];
    };
}

declare! {
    // auth
    TOKEN = "token": Public;
    ME = "me": Authenticated;
    // users
    LIST_USERS = "list_users": Roles(&[Admin]);
    CREATE_USER = "create_user": Roles(&[Admin]);
    GET_USER = "get_user": Roles(&[Admin]);
    UPDATE_USER = "update_user": Roles(&[Admin]);
    DELETE_USER = "delete_user": Roles(&[Admin]);
    // regions
    LIST_REGIONS = "list_regions": Authenticated;
    GET_REGION = "get_region": Authenticated;
    // cycles
    LIST_CYCLES = "list_cycles": Authenticated;
    CREATE_CYCLE = "create_cycle": Roles(&[Admin, Bappeda]);
    GET_CYCLE = "get_cycle": Authenticated;
    UPDATE_CYCLE = "update_cycle": Roles(&[Admin, Bappeda]);
    // datasets
    LIST_DATASETS = "list_datasets": Roles(&[Admin, Bappeda]);
    CREATE_DATASET = "create_dataset": Roles(&[Admin, Bappeda]);
    GET_DATASET = "get_dataset": Roles(&[Admin, Bappeda]);
    UPDATE_DATASET = "update_dataset": Roles(&[Admin, Bappeda]);
    // households
    LIST_HOUSEHOLDS = "list_households":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Operator]);
    GET_HOUSEHOLD = "get_household":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Operator]);
    CREATE_HOUSEHOLD = "create_household": Roles(&[Admin, Bappeda]);
    UPDATE_HOUSEHOLD = "update_household": Roles(&[Admin, Bappeda]);
    HOUSEHOLD_HISTORY = "household_history": Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Operator]);
    LIST_MEMBERS = "list_members":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Operator]);
    CREATE_MEMBER = "create_member": Roles(&[Admin, Bappeda]);
    UPDATE_MEMBER = "update_member": Roles(&[Admin, Bappeda]);
    DELETE_MEMBER = "delete_member": Roles(&[Admin, Bappeda]);
    // imports
    CREATE_IMPORT = "create_import": Roles(&[Admin, Bappeda]);
    GET_IMPORT = "get_import": Roles(&[Admin, Bappeda]);
    // programs
    LIST_PROGRAMS = "list_programs":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Viewer]);
    CREATE_PROGRAM = "create_program": Roles(&[Admin, Bappeda, Opd, Company]);
    GET_PROGRAM = "get_program": Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Viewer]);
    UPDATE_PROGRAM = "update_program": Roles(&[Admin, Bappeda, Opd, Company]);
    DELETE_PROGRAM = "delete_program": Roles(&[Admin, Bappeda, Opd, Company]);
    /// Every role that may request some action; each action's own roles are
    /// checked by `domain::program::decide`.
    TRANSITION = "transition": Roles(&[Admin, Bappeda, Opd, Company]);
    SIGN = "sign": Roles(&[Opd, Company]);
    // targets
    LIST_TARGETS = "list_targets": Roles(&[Admin, Bappeda, Opd, Verifier, Company]);
    ADD_TARGET = "add_target": Roles(&[Admin, Bappeda, Opd, Company]);
    GET_TARGET = "get_target": Roles(&[Admin, Bappeda, Opd, Verifier, Company]);
    UPDATE_TARGET = "update_target": Roles(&[Admin, Bappeda, Opd, Company]);
    REMOVE_TARGET = "remove_target": Roles(&[Admin, Bappeda, Opd, Company]);
    // recommendations
    RECOMMENDATIONS = "recommendations": Roles(&[Admin, Bappeda, Opd, Company]);
    // companies
    // Every role but the operator, whose work is its area's families (issue 14).
    LIST_COMPANIES = "list_companies":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Viewer]);
    CREATE_COMPANY = "create_company": Roles(&[Admin, Bappeda]);
    GET_COMPANY = "get_company": Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company, Viewer]);
    UPDATE_COMPANY = "update_company": Roles(&[Admin, Bappeda, Company]);
    // exemption letters: the acting roles are those of the action's rows in
    // `domain::compliance::EXEMPTION_TRANSITIONS` (a test checks it)
    LIST_LETTERS = "list_letters": Roles(&[Admin, Bappeda, Bupati, Company]);
    FILE_LETTER = "file_letter": Roles(&[Company]);
    GET_LETTER = "get_letter": Roles(&[Admin, Bappeda, Bupati, Company]);
    REVIEW_LETTER = "review_letter": Roles(&[Bappeda]);
    DECIDE_LETTER = "decide_letter": Roles(&[Bupati]);
    WITHDRAW_LETTER = "withdraw_letter": Roles(&[Company]);
    PUT_DOCUMENT = "put_document": Roles(&[Company]);
    GET_DOCUMENT = "get_document": Roles(&[Admin, Bappeda, Bupati, Company]);
    // verifications
    LIST_VERIFICATIONS = "list_verifications":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company]);
    GET_VERIFICATION = "get_verification": Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company]);
    RECORD_VERIFICATION = "record_verification": Roles(&[Admin, Bappeda, Opd, Verifier]);
    // --- issue 14: field work as it happens (batch, photos, XLSForm) ---
    /// Whoever may record one visit, with the same reach.
    RECORD_VERIFICATION_BATCH = "record_verification_batch": Roles(&[Admin, Bappeda, Opd, Verifier]);
    /// Who records visits adds photos to those it reaches.
    ADD_VERIFICATION_PHOTO = "add_verification_photo": Roles(&[Admin, Bappeda, Opd, Verifier]);
    /// The readers of a visit (a company behind the consent gate gets none).
    LIST_VERIFICATION_PHOTOS = "list_verification_photos":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company]);
    GET_VERIFICATION_PHOTO = "get_verification_photo":
        Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Company]);
    /// Who records visits takes the form of the programs it reaches onto phones.
    GET_VERIFICATION_FORM = "get_verification_form": Roles(&[Admin, Bappeda, Opd, Verifier]);
    /// The form's export is a batch of visits: the batch's roles.
    SUBMIT_VERIFICATIONS = "submit_verifications": Roles(&[Admin, Bappeda, Opd, Verifier]);
    // --- end issue 14 ---
    // reports
    COMPLIANCE = "compliance": Roles(&[Admin, Bappeda, Bupati, Company, Viewer]);
    COVERAGE = "coverage": Roles(&[Admin, Bappeda, Bupati, Opd, Verifier, Viewer]);
    EXPOSURE_REPORT = "exposure_report": Roles(&[Admin, Bappeda]);
    // the public summary (issue 15): no token
    PUBLIC_SUMMARY = "public_summary": Public;
    // --- issue 15: deliveries and their evidence ---
    /// Readers of the program (a company its own, an opd those it leads).
    LIST_DELIVERIES = "list_deliveries": Roles(&[Admin, Bappeda, Bupati, Opd, Company]);
    /// The program's company or its lead agency, while it runs.
    RECORD_DELIVERY = "record_delivery": Roles(&[Admin, Opd, Company]);
    GET_DELIVERY = "get_delivery": Roles(&[Admin, Bappeda, Bupati, Opd, Company]);
    DELETE_DELIVERY = "delete_delivery": Roles(&[Admin, Opd, Company]);
    /// The lead agency confirms what reached the family.
    CONFIRM_DELIVERY = "confirm_delivery": Roles(&[Admin, Opd]);
    ADD_DELIVERY_EVIDENCE = "add_delivery_evidence": Roles(&[Admin, Opd, Company]);
    GET_EVIDENCE = "get_evidence": Roles(&[Admin, Bappeda, Bupati, Opd, Company]);
    // --- issue 15: realisation reports (a company its own) ---
    LIST_REALISATION_REPORTS = "list_realisation_reports":
        Roles(&[Admin, Bappeda, Bupati, Company, Viewer]);
    CREATE_REALISATION_REPORT = "create_realisation_report": Roles(&[Admin, Company]);
    GET_REALISATION_REPORT = "get_realisation_report":
        Roles(&[Admin, Bappeda, Bupati, Company, Viewer]);
    SUBMIT_REALISATION_REPORT = "submit_realisation_report": Roles(&[Admin, Company]);
    REVIEW_REALISATION_REPORT = "review_realisation_report": Roles(&[Admin, Bappeda]);
    REALISATION = "realisation": Roles(&[Admin, Bappeda, Bupati, Company, Viewer]);
    /// Whoever reads the program's targets (`LIST_TARGETS`), in its reach.
    GET_PROGRAM_ANNEX = "get_program_annex": Roles(&[Admin, Bappeda, Opd, Verifier, Company]);
    // change requests (issue 14): filed by the field roles, decided by
    // bappeda, the DINSOS opd (`domain::change_request::may_decide`) and admin
    LIST_CHANGE_REQUESTS = "list_change_requests":
        Roles(&[Admin, Bappeda, Opd, Verifier, Operator]);
    FILE_CHANGE_REQUEST = "file_change_request":
        Roles(&[Admin, Bappeda, Opd, Verifier, Operator]);
    EXPORT_CHANGE_REQUESTS = "export_change_requests": Roles(&[Admin, Bappeda, Opd, Operator]);
    GET_CHANGE_REQUEST = "get_change_request":
        Roles(&[Admin, Bappeda, Opd, Verifier, Operator]);
    DECIDE_CHANGE_REQUEST = "decide_change_request": Roles(&[Admin, Bappeda, Opd]);
    WITHDRAW_CHANGE_REQUEST = "withdraw_change_request":
        Roles(&[Admin, Bappeda, Opd, Verifier, Operator]);
    // audit
    LIST_AUDIT_EVENTS = "list_audit_events": Roles(&[Admin, Bappeda]);
    // events and webhooks (docs/EVENTS.md): which events each role hears
    // of is `domain::event::EventScope`
    LIST_EVENTS = "list_events": Roles(&[Admin, Bappeda, Bupati, Opd, Company]);
    LIST_WEBHOOKS = "list_webhooks": Roles(&[Admin, Company]);
    CREATE_WEBHOOK = "create_webhook": Roles(&[Admin, Company]);
    GET_WEBHOOK = "get_webhook": Roles(&[Admin, Company]);
    UPDATE_WEBHOOK = "update_webhook": Roles(&[Admin, Company]);
    DELETE_WEBHOOK = "delete_webhook": Roles(&[Admin, Company]);
    LIST_WEBHOOK_DELIVERIES = "list_webhook_deliveries": Roles(&[Admin, Company]);
    // health
    LIVE = "live": Public;
    READY = "ready": Public;
}

/// The declaration of an operation, by its OpenAPI operation id.
pub fn of(operation: &str) -> Option<&'static Access> {
    ALL.iter().copied().find(|a| a.operation == operation)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::openapi::path::Operation;

    use super::*;
    use crate::auth::Callers;
    use crate::domain::compliance::{ExemptionAction, EXEMPTION_TRANSITIONS};
    use crate::domain::program::{Action, TRANSITIONS};
    use crate::domain::role::Role;

    fn operations() -> Vec<Operation> {
        let api = crate::app::openapi_document();
        api.paths
            .paths
            .into_values()
            .flat_map(|item| [item.get, item.post, item.put, item.patch, item.delete])
            .flatten()
            .collect()
    }

    fn documented() -> BTreeSet<String> {
        operations()
            .into_iter()
            .map(|op| op.operation_id.expect("utoipa names every operation"))
            .collect()
    }

    #[test]
    fn each_description_opens_with_the_generated_roles_line_and_has_no_other() {
        for op in operations() {
            let id = op.operation_id.unwrap_or_default();
            let line = of(&id).map(|a| a.roles_line()).unwrap_or_default();
            let description = op.description.unwrap_or_default();
            assert!(description.starts_with(&line), "{id}: {description}");
            assert_eq!(
                description.matches("**Roles:**").count(),
                1,
                "{id}: a `**Roles:**` line written by hand; the declaration writes it"
            );
        }
    }

    #[test]
    fn every_operation_is_declared_once_and_every_declaration_names_one() {
        let documented = documented();
        let declared: Vec<&str> = ALL.iter().map(|a| a.operation).collect();
        let unique: BTreeSet<String> = declared.iter().map(|s| s.to_string()).collect();
        assert_eq!(unique.len(), declared.len(), "an operation declared twice");
        let undeclared: Vec<_> = documented.difference(&unique).collect();
        assert!(
            undeclared.is_empty(),
            "operations without a declaration: {undeclared:?}"
        );
        let stale: Vec<_> = unique.difference(&documented).collect();
        assert!(
            stale.is_empty(),
            "declarations naming no operation: {stale:?}"
        );
    }

    #[test]
    fn role_lists_are_in_role_order_without_repeats_and_never_empty() {
        for a in ALL {
            if let Callers::Roles(roles) = a.callers {
                assert!(
                    !roles.is_empty(),
                    "{}: no role; declare it Public",
                    a.operation
                );
                assert!(
                    roles.windows(2).all(|w| w[0] < w[1]),
                    "{}: list roles once, in Role::ALL order",
                    a.operation
                );
            }
        }
    }

    fn acting(actions: &[ExemptionAction]) -> Vec<Role> {
        let set: BTreeSet<Role> = EXEMPTION_TRANSITIONS
            .iter()
            .filter(|t| actions.contains(&t.action))
            .flat_map(|t| t.roles.iter().copied())
            .collect();
        set.into_iter().collect()
    }

    #[test]
    fn letter_actions_admit_the_roles_of_their_lifecycle_rows() {
        use ExemptionAction::*;
        assert_eq!(FILE_LETTER.roles(), acting(&[Submit]));
        assert_eq!(REVIEW_LETTER.roles(), acting(&[Review]));
        assert_eq!(DECIDE_LETTER.roles(), acting(&[Accept, Reject]));
        assert_eq!(WITHDRAW_LETTER.roles(), acting(&[Withdraw]));
    }

    #[test]
    fn program_actions_admit_the_roles_of_their_lifecycle_rows() {
        let roles = |actions: &[Action]| -> Vec<Role> {
            let set: BTreeSet<Role> = TRANSITIONS
                .iter()
                .filter(|t| actions.contains(&t.action))
                .flat_map(|t| t.roles.iter().copied())
                .collect();
            set.into_iter().collect()
        };
        assert_eq!(TRANSITION.roles(), roles(&Action::REQUESTABLE));
        assert_eq!(SIGN.roles(), roles(&[Action::Sign]));
    }

    #[test]
    fn roles_lines_name_the_roles_in_order() {
        assert_eq!(LIVE.roles_line(), "**Roles:** public.");
        assert_eq!(ME.roles_line(), "**Roles:** any authenticated caller.");
        assert_eq!(SIGN.roles_line(), "**Roles:** opd, company.");
        assert!(ME.admits(Role::Viewer) && !SIGN.admits(Role::Admin));
    }
}
