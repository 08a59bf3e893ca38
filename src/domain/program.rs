//! The program lifecycle (docs/program-lifecycle.md): its enumerations, the one
//! transition table, and the function that decides whether a caller may move
//! a program from one status to another today.
//!
//! Everything the lifecycle allows is a row of [`TRANSITIONS`]; [`decide`],
//! [`after_verification`] and [`markdown_table`] all read that table, so the
//! documentation cannot disagree with the behaviour.
//!
//! What this module does *not* check, because it needs the database: that a
//! `company` caller owns the program and an `opd` caller is its lead agency
//! (the API answers 404 for both, as for a missing program), and whether the admin's
//! override reason was given and audited.

use chrono::NaiveDate;

use crate::domain::cycle::{Calendar, Window};
use crate::domain::role::{wire_enum, Role};

wire_enum! {
    /// What a program delivers.
    pub enum ProgramType: "program type" {
        /// Uninhabitable-house renovation (RTLH).
        Housing = "housing",
        Sanitation = "sanitation",
        /// Clean drinking water.
        Water = "water",
        Electricity = "electricity",
        /// Nutrition and stunting.
        Nutrition = "nutrition",
        Health = "health",
        Education = "education",
        /// Economic empowerment.
        Economic = "economic",
        Food = "food",
        /// Social security premiums.
        SocialSecurity = "social_security",
        Other = "other",
    }
}

wire_enum! {
    /// The poverty-reduction strategy a program serves (Inpres 4/2022).
    pub enum Strategy: "program strategy" {
        /// Reduce the spending burden of poor families.
        ReduceBurden = "reduce_burden",
        /// Raise their income.
        RaiseIncome = "raise_income",
        /// Reduce pockets of poverty.
        ReducePockets = "reduce_pockets",
    }
}

wire_enum! {
    /// Who pays for a program (DESIGN.md §6.3).
    #[derive(Default)]
    pub enum Funding: "program funding" {
        /// A company's TJSP (CSR) program, agreed with a lead agency.
        #[default]
        Csr = "csr",
        /// An agency's own program on the regency budget (APBD): no company;
        /// the lead agency proposes, signs and runs it alone.
        Apbd = "apbd",
    }
}

impl Funding {
    /// Whether `role` may take an action whose table row lists `roles`. On
    /// an APBD program the lead agency stands where the company stands on a
    /// CSR one (it proposes and withdraws its own program); on a CSR program
    /// an agency never acts for the company.
    pub fn permits(self, roles: &[Role], role: Role) -> bool {
        roles.contains(&role)
            || (self == Funding::Apbd && role == Role::Opd && roles.contains(&Role::Company))
    }
}

wire_enum! {
    /// Where a program is in its lifecycle.
    pub enum ProgramStatus: "program status" {
        /// Being written by the company; not visible as a proposal yet.
        Draft = "draft",
        /// Submitted for the cycle, waiting for Bappeda.
        Proposed = "proposed",
        /// Accepted into the regency plan by Bappeda, with a lead OPD.
        Consolidated = "consolidated",
        /// Every target has a field-verification result.
        Verified = "verified",
        /// Signed by company and lead OPD with at least one eligible target.
        Agreed = "agreed",
        Running = "running",
        Completed = "completed",
        /// Refused by Bappeda (terminal).
        Rejected = "rejected",
        /// Taken back by the company before agreement (terminal).
        Withdrawn = "withdrawn",
        /// Stopped by Bappeda after agreement (terminal).
        Cancelled = "cancelled",
    }
}

impl ProgramStatus {
    /// No action leads out of these.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            ProgramStatus::Completed
                | ProgramStatus::Rejected
                | ProgramStatus::Withdrawn
                | ProgramStatus::Cancelled
        )
    }

    /// Has an agreement its targets can be attached to (the annex): signing
    /// starts once targets are verified (signatures may still be partial
    /// then), and the agreement stays the program's while it runs and after.
    pub const fn has_agreement(self) -> bool {
        matches!(
            self,
            ProgramStatus::Verified
                | ProgramStatus::Agreed
                | ProgramStatus::Running
                | ProgramStatus::Completed
        )
    }

    /// Counts as an agreed program for compliance: a program that was agreed
    /// stays the company's contribution once it runs or is completed.
    pub const fn counts_as_agreed(self) -> bool {
        matches!(
            self,
            ProgramStatus::Agreed | ProgramStatus::Running | ProgramStatus::Completed
        )
    }
}

/// Targets may be added, changed or removed until the program is agreed;
/// after that the agreement fixes them (only their realisation changes).
pub const fn targets_editable(status: ProgramStatus) -> bool {
    matches!(
        status,
        ProgramStatus::Draft
            | ProgramStatus::Proposed
            | ProgramStatus::Consolidated
            | ProgramStatus::Verified
    )
}

wire_enum! {
    /// Something that changes a program's status.
    pub enum Action: "program action" {
        Submit = "submit",
        Consolidate = "consolidate",
        Reject = "reject",
        Withdraw = "withdraw",
        Start = "start",
        Complete = "complete",
        Cancel = "cancel",
        /// One party signs the agreement (`POST …/signatures`); the status
        /// stays, [`after_verification`] then moves it on when both signed.
        Sign = "sign",
        /// Automatic: every target has a verification result.
        MarkVerified = "mark_verified",
        /// Automatic: both signed and at least one target is eligible.
        Agree = "agree",
    }
}

impl Action {
    /// The actions a client may request through
    /// `POST /programs/{id}/transitions`; `sign` has its own endpoint and the
    /// automatic ones cannot be requested at all.
    pub const REQUESTABLE: [Action; 7] = [
        Action::Submit,
        Action::Consolidate,
        Action::Reject,
        Action::Withdraw,
        Action::Start,
        Action::Complete,
        Action::Cancel,
    ];

    /// Applied by the system, never by a caller (their table rows list no roles).
    pub const fn is_automatic(self) -> bool {
        matches!(self, Action::MarkVerified | Action::Agree)
    }
}

wire_enum! {
    /// A target's status: `proposed`, then the latest verification result,
    /// then `served` once its realisation is recorded.
    pub enum TargetStatus: "target status" {
        Proposed = "proposed",
        Eligible = "eligible",
        Ineligible = "ineligible",
        NotFound = "not_found",
        Moved = "moved",
        Deceased = "deceased",
        AlreadyAssisted = "already_assisted",
        Served = "served",
    }
}

impl TargetStatus {
    /// Whether the target has been visited (any result, or served, which
    /// implies an eligible result before it).
    pub const fn has_result(self) -> bool {
        !matches!(self, TargetStatus::Proposed)
    }
}

wire_enum! {
    /// Outcome of one field visit.
    pub enum VerificationResult: "verification result" {
        Eligible = "eligible",
        Ineligible = "ineligible",
        NotFound = "not_found",
        Moved = "moved",
        Deceased = "deceased",
        AlreadyAssisted = "already_assisted",
    }
}

impl VerificationResult {
    /// `moved` and `deceased` flag the household for a data update; they
    /// never delete it.
    pub const fn flags_household_update(self) -> bool {
        matches!(
            self,
            VerificationResult::Moved | VerificationResult::Deceased
        )
    }
}

impl From<VerificationResult> for TargetStatus {
    fn from(result: VerificationResult) -> Self {
        match result {
            VerificationResult::Eligible => TargetStatus::Eligible,
            VerificationResult::Ineligible => TargetStatus::Ineligible,
            VerificationResult::NotFound => TargetStatus::NotFound,
            VerificationResult::Moved => TargetStatus::Moved,
            VerificationResult::Deceased => TargetStatus::Deceased,
            VerificationResult::AlreadyAssisted => TargetStatus::AlreadyAssisted,
        }
    }
}

/// What the database knows about one program, as far as preconditions need
/// it. The service fills this from one query before calling [`decide`] or
/// [`after_verification`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgramFacts {
    /// Who pays: an APBD program has no company to sign.
    pub funding: Funding,
    /// A lead OPD is set on the program.
    pub has_lead_opd: bool,
    /// Active targets of the program.
    pub targets_total: u32,
    /// Targets whose status is anything but `proposed`.
    pub targets_with_result: u32,
    /// Targets verified `eligible` (or already `served`).
    pub eligible_targets: u32,
    /// The company has signed (agreement number and date recorded).
    pub company_signed: bool,
    /// The lead OPD has signed.
    pub opd_signed: bool,
    /// Targets marked `served`, i.e. with their realised value recorded.
    pub served_targets: u32,
    /// The request carries a non-blank note.
    pub note_given: bool,
}

/// A condition on the program's facts that a transition needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Nothing beyond status, role and window.
    None,
    /// A lead OPD is set: a consolidated program is co-owned by its agency.
    LeadOpdSet,
    /// The request explains itself: a refusal or a cancellation must say why.
    NoteGiven,
    /// At least one target, and every target has a verification result.
    AllTargetsVerified,
    /// Both parties signed, at least one target is eligible, and no target is
    /// still unvisited (one added after verification must be visited or
    /// removed first, so an agreement never covers an unverified family).
    ReadyToAgree,
    /// At least one target is served. Realisation is recorded per target when
    /// it is served, so "served" already means "realised value recorded";
    /// requiring *every* target would make one unreachable family block
    /// closing a program that delivered everything else.
    TargetServed,
}

/// A precondition that does not hold, with a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct PreconditionFailed {
    /// Stable machine code, e.g. `lead_opd_required`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub detail: String,
}

impl Precondition {
    /// Evaluates the precondition; the first unmet part is reported.
    pub fn check(&self, facts: &ProgramFacts) -> Result<(), PreconditionFailed> {
        let fail = |code: &'static str, detail: String| Err(PreconditionFailed { code, detail });
        let all_verified = || -> Result<(), PreconditionFailed> {
            if facts.targets_total == 0 {
                return fail("no_targets", "the program has no targets".to_owned());
            }
            if facts.targets_with_result < facts.targets_total {
                return fail(
                    "targets_not_verified",
                    format!(
                        "{} of {} targets have no verification result yet",
                        facts.targets_total - facts.targets_with_result,
                        facts.targets_total
                    ),
                );
            }
            Ok(())
        };
        match self {
            Precondition::None => Ok(()),
            Precondition::LeadOpdSet if !facts.has_lead_opd => fail(
                "lead_opd_required",
                "set the lead OPD before consolidating the program".to_owned(),
            ),
            Precondition::NoteGiven if !facts.note_given => fail(
                "note_required",
                "this action needs a note saying why".to_owned(),
            ),
            Precondition::AllTargetsVerified => all_verified(),
            Precondition::ReadyToAgree => {
                let missing: Vec<&str> = [
                    (!facts.company_signed && facts.funding == Funding::Csr).then_some("company"),
                    (!facts.opd_signed).then_some("lead OPD"),
                ]
                .into_iter()
                .flatten()
                .collect();
                if !missing.is_empty() {
                    return fail(
                        "signatures_missing",
                        format!("not signed yet by: {}", missing.join(", ")),
                    );
                }
                all_verified()?;
                if facts.eligible_targets == 0 {
                    return fail(
                        "no_eligible_target",
                        "no target was verified eligible".to_owned(),
                    );
                }
                Ok(())
            }
            Precondition::TargetServed if facts.served_targets == 0 => fail(
                "no_served_target",
                "record the realisation of at least one target before completing".to_owned(),
            ),
            Precondition::LeadOpdSet | Precondition::NoteGiven | Precondition::TargetServed => {
                Ok(())
            }
        }
    }

    /// Short name for the docs table.
    pub const fn describe(self) -> &'static str {
        match self {
            Precondition::None => "—",
            Precondition::LeadOpdSet => "lead OPD set",
            Precondition::NoteGiven => "note given",
            Precondition::AllTargetsVerified => "≥ 1 target, every target has a result",
            Precondition::ReadyToAgree => {
                "lead OPD (and the company, for CSR) signed, every target has a result, ≥ 1 eligible"
            }
            Precondition::TargetServed => "≥ 1 target served",
        }
    }
}

/// One allowed move of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Statuses the action may start from.
    pub from: &'static [ProgramStatus],
    pub action: Action,
    pub to: ProgramStatus,
    /// Roles that may request it; empty for automatic transitions.
    pub roles: &'static [Role],
    /// Calendar window it must happen in; `None` = any day.
    pub window: Option<Window>,
    pub precondition: Precondition,
    /// Why the row is as it is, rendered in the docs.
    pub note: &'static str,
}

// Short aliases keep each table row on a few readable lines.
use ProgramStatus as S;
use Role as R;

/// The program lifecycle. Ownership (`company` = own program, `opd` = lead
/// agency) is implied for those roles on every row and checked by the API.
/// On an APBD program the lead agency also takes the company's rows
/// ([`Funding::permits`]) and the agreement needs only its signature.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        from: &[S::Draft],
        action: Action::Submit,
        to: S::Proposed,
        roles: &[R::Company, R::Bappeda, R::Admin],
        window: Some(Window::Proposal),
        precondition: Precondition::None,
        note: "The company proposes its program for the cycle; Bappeda may submit on its behalf. \
               Targets are optional here: they can be picked from recommendations until agreement. \
               On an APBD program (no company) the lead agency takes every `company` step.",
    },
    Transition {
        from: &[S::Proposed],
        action: Action::Consolidate,
        to: S::Consolidated,
        roles: &[R::Bappeda, R::Admin],
        window: Some(Window::Consolidation),
        precondition: Precondition::LeadOpdSet,
        note: "Bappeda takes the proposal into the regency plan; the lead OPD must be set first \
               because it co-owns, verifies and signs from here on.",
    },
    Transition {
        from: &[S::Proposed, S::Consolidated],
        action: Action::Reject,
        to: S::Rejected,
        roles: &[R::Bappeda, R::Admin],
        window: Some(Window::Consolidation),
        precondition: Precondition::NoteGiven,
        note: "Bappeda refuses the proposal during consolidation and must say why; \
               after verification a program can only be withdrawn by the company.",
    },
    Transition {
        from: &[S::Draft, S::Proposed, S::Consolidated, S::Verified],
        action: Action::Withdraw,
        to: S::Withdrawn,
        roles: &[R::Company, R::Admin],
        window: None,
        precondition: Precondition::None,
        note: "The company takes its program back at any time before the agreement binds it \
               (verified included: nothing is signed by both yet).",
    },
    Transition {
        from: &[S::Agreed],
        action: Action::Start,
        to: S::Running,
        roles: &[R::Company, R::Opd, R::Bappeda, R::Admin],
        window: None,
        precondition: Precondition::None,
        note: "Implementation begins; either party (or Bappeda) reports it.",
    },
    Transition {
        from: &[S::Running],
        action: Action::Complete,
        to: S::Completed,
        roles: &[R::Company, R::Opd, R::Bappeda, R::Admin],
        window: None,
        precondition: Precondition::TargetServed,
        note: "Implementation is finished; at least one target must be served (realised value \
               recorded) so a completed program always delivered something.",
    },
    Transition {
        from: &[S::Agreed, S::Running],
        action: Action::Cancel,
        to: S::Cancelled,
        roles: &[R::Bappeda, R::Admin],
        window: None,
        precondition: Precondition::NoteGiven,
        note: "Bappeda stops an agreed program that cannot go on, with the reason on record; \
               the company cannot walk away from a signed agreement by itself.",
    },
    Transition {
        from: &[S::Consolidated],
        action: Action::Sign,
        to: S::Consolidated,
        roles: &[R::Company, R::Opd],
        window: Some(Window::Agreement),
        precondition: Precondition::None,
        note: "A party signs (agreement number and date) while verification is still under way; \
               signing again replaces that party's own signature.",
    },
    Transition {
        from: &[S::Verified],
        action: Action::Sign,
        to: S::Verified,
        roles: &[R::Company, R::Opd],
        window: Some(Window::Agreement),
        precondition: Precondition::None,
        note: "A party signs after verification; the second signature makes the program \
               `agreed` automatically when at least one target is eligible.",
    },
    Transition {
        from: &[S::Consolidated],
        action: Action::MarkVerified,
        to: S::Verified,
        roles: &[],
        window: None,
        precondition: Precondition::AllTargetsVerified,
        note: "Automatic, after a verification or a target change: every target has a result. \
               No window, so a late visit still counts.",
    },
    Transition {
        from: &[S::Verified],
        action: Action::Agree,
        to: S::Agreed,
        roles: &[],
        window: None,
        precondition: Precondition::ReadyToAgree,
        note: "Automatic, after a signature, verification or target change. No window of its \
               own: the signatures were already made within the agreement window. An APBD \
               program needs only the lead agency's.",
    },
];

/// Why a transition was refused. Each variant's doc gives the HTTP status the
/// API answers with; see also [`TransitionError::http_status`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// 409: the action does not lead out of the program's current status.
    #[error("cannot {action} a program that is {status}")]
    NotAllowedFromState {
        status: ProgramStatus,
        action: Action,
    },
    /// 403: the caller's role may not request this action (automatic
    /// actions are refused to every role). Checked before the status, so a
    /// role learns nothing about a program's state from an action it may
    /// never take.
    #[error("role {role} may not {action} a program")]
    RoleNotAllowed { role: Role, action: Action },
    /// 409: today is outside the action's window (an admin override skips
    /// only this check).
    #[error("{window} window is not open today (from {from:?} until {until:?})")]
    OutsideWindow {
        window: Window,
        /// `<window>_window_not_open` or `<window>_window_closed`.
        code: &'static str,
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
    },
    /// 422 when the *request* lacks something (`note_required`), 409 when the
    /// *program* is not ready (every other code): the client must fix its
    /// request in the first case and the program's data in the second.
    #[error("{detail}")]
    Precondition { code: &'static str, detail: String },
}

impl TransitionError {
    /// Stable machine code for the problem+json `code` member.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::NotAllowedFromState { .. } => "invalid_transition",
            TransitionError::RoleNotAllowed { .. } => "role_not_allowed",
            TransitionError::OutsideWindow { code, .. } => code,
            TransitionError::Precondition { code, .. } => code,
        }
    }

    /// The HTTP status the API answers with. A bare number keeps HTTP types
    /// out of `domain` while keeping the mapping next to the rules it belongs to.
    pub fn http_status(&self) -> u16 {
        match self {
            TransitionError::RoleNotAllowed { .. } => 403,
            TransitionError::Precondition {
                code: "note_required",
                ..
            } => 422,
            TransitionError::NotAllowedFromState { .. }
            | TransitionError::OutsideWindow { .. }
            | TransitionError::Precondition { .. } => 409,
        }
    }
}

/// Decides whether `role` may apply `action` to a program in `status` today,
/// and returns the new status.
///
/// Checks in this order: role (may this role ever take this action?),
/// status, window, precondition. `admin_override` skips only the window
/// check and only for [`Role::Admin`]; the API must refuse the flag from
/// other roles and record the admin's reason in the audit trail.
pub fn decide(
    status: ProgramStatus,
    action: Action,
    role: Role,
    today: NaiveDate,
    calendar: &Calendar,
    facts: &ProgramFacts,
    window_override: &Override,
) -> Result<ProgramStatus, TransitionError> {
    let permits = |t: &Transition| facts.funding.permits(t.roles, role);
    if !TRANSITIONS.iter().any(|t| t.action == action && permits(t)) {
        return Err(TransitionError::RoleNotAllowed { role, action });
    }
    let row = TRANSITIONS
        .iter()
        .find(|t| t.action == action && t.from.contains(&status))
        .ok_or(TransitionError::NotAllowedFromState { status, action })?;
    if !permits(row) {
        return Err(TransitionError::RoleNotAllowed { role, action });
    }
    let overridden = window_override.is_admin() && role == Role::Admin;
    if let (Some(window), false) = (row.window, overridden) {
        if let Some(code) = window.code(window.position(calendar, today)) {
            let (from, until) = window.bounds(calendar);
            return Err(TransitionError::OutsideWindow {
                window,
                code,
                from,
                until,
            });
        }
    }
    row.precondition
        .check(facts)
        .map_err(|f| TransitionError::Precondition {
            code: f.code,
            detail: f.detail,
        })?;
    Ok(row.to)
}

/// Whether an action's calendar window is set aside: only an admin may, and
/// only with a reason (audited with the change).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Override {
    /// The window applies.
    #[default]
    None,
    /// An admin sets the window aside, for this reason.
    Admin { reason: String },
}

impl Override {
    /// Whether the window is set aside.
    pub fn is_admin(&self) -> bool {
        matches!(self, Override::Admin { .. })
    }

    /// The admin's reason, if the window is set aside.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Override::None => None,
            Override::Admin { reason } => Some(reason),
        }
    }
}

/// Applies the automatic transitions (`mark_verified`, then `agree`) for as
/// long as their preconditions hold, and returns the resulting status.
///
/// The service calls it after every verification, target change and
/// signature, in the same transaction, so a program never rests in a status
/// it has already outgrown. Any other status is returned unchanged.
pub fn after_verification(status: ProgramStatus, facts: &ProgramFacts) -> ProgramStatus {
    let mut current = status;
    // Each automatic step moves strictly forward, so the table length bounds
    // the loop even if a future row were to form a cycle by mistake.
    for _ in 0..TRANSITIONS.len() {
        let next = TRANSITIONS.iter().find(|t| {
            t.action.is_automatic()
                && t.from.contains(&current)
                && t.precondition.check(facts).is_ok()
        });
        match next {
            Some(t) if t.to != current => current = t.to,
            _ => break,
        }
    }
    current
}

/// The actions `role` could take on the program right now, for clients that
/// want to show only the buttons that will work (window override not applied).
pub fn available_actions(
    status: ProgramStatus,
    role: Role,
    today: NaiveDate,
    calendar: &Calendar,
    facts: &ProgramFacts,
) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&a| decide(status, a, role, today, calendar, facts, &Override::None).is_ok())
        .collect()
}

/// Renders [`TRANSITIONS`] as a Markdown table for `docs/` and the OpenAPI
/// description of the transitions endpoint.
pub fn markdown_table() -> String {
    fn join<T: std::fmt::Display>(items: &[T]) -> String {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let mut out = String::from(
        "| from | action | to | roles | window | precondition | note |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for t in TRANSITIONS {
        let roles = if t.roles.is_empty() {
            "automatic".to_owned()
        } else {
            join(t.roles)
        };
        let window = t.window.map_or("—".to_owned(), |w| format!("`{w}`"));
        out.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {} | {} | {} |\n",
            join(t.from),
            t.action,
            t.to,
            roles,
            window,
            t.precondition.describe(),
            t.note.split_whitespace().collect::<Vec<_>>().join(" "),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn admin() -> Override {
        Override::Admin {
            reason: "Bupati's instruction".into(),
        }
    }

    fn cal() -> Calendar {
        Calendar::default_for(2027).unwrap()
    }

    /// Facts under which every precondition holds.
    fn ready() -> ProgramFacts {
        ProgramFacts {
            funding: Funding::Csr,
            has_lead_opd: true,
            targets_total: 3,
            targets_with_result: 3,
            eligible_targets: 2,
            company_signed: true,
            opd_signed: true,
            served_targets: 1,
            note_given: true,
        }
    }

    #[test]
    fn on_an_apbd_program_the_lead_agency_takes_the_company_s_steps_and_signs_alone() {
        let apbd = ProgramFacts {
            funding: Funding::Apbd,
            company_signed: false,
            ..ready()
        };
        let csr = ProgramFacts {
            company_signed: false,
            ..ready()
        };
        let in_window = cal().proposals_close;
        let submit_on = |facts: &ProgramFacts, role| {
            decide(
                ProgramStatus::Draft,
                Action::Submit,
                role,
                in_window,
                &cal(),
                facts,
                &Override::None,
            )
        };
        assert_eq!(submit_on(&apbd, Role::Opd), Ok(ProgramStatus::Proposed));
        assert!(matches!(
            submit_on(&csr, Role::Opd),
            Err(TransitionError::RoleNotAllowed { .. })
        ));
        let withdraw = |facts: &ProgramFacts| {
            decide(
                ProgramStatus::Verified,
                Action::Withdraw,
                Role::Opd,
                in_window,
                &cal(),
                facts,
                &Override::None,
            )
        };
        assert_eq!(withdraw(&apbd), Ok(ProgramStatus::Withdrawn));
        assert!(withdraw(&csr).is_err());
        // The agreement needs only the agency's signature on an APBD program.
        assert_eq!(
            after_verification(ProgramStatus::Verified, &apbd),
            ProgramStatus::Agreed
        );
        assert_eq!(
            after_verification(ProgramStatus::Verified, &csr),
            ProgramStatus::Verified
        );
    }

    #[derive(Debug, PartialEq)]
    enum Outcome {
        To(ProgramStatus),
        Forbidden,
        WrongState,
    }

    /// The lifecycle as the brief states it, written out by hand and
    /// independently of `TRANSITIONS`.
    fn expected(status: ProgramStatus, action: Action, role: Role) -> Outcome {
        use Action as A;
        use ProgramStatus as S;
        use Role as R;
        let roles: &[Role] = match action {
            A::Submit => &[R::Company, R::Bappeda, R::Admin],
            A::Consolidate | A::Reject | A::Cancel => &[R::Bappeda, R::Admin],
            A::Withdraw => &[R::Company, R::Admin],
            A::Start | A::Complete => &[R::Company, R::Opd, R::Bappeda, R::Admin],
            A::Sign => &[R::Company, R::Opd],
            A::MarkVerified | A::Agree => &[],
        };
        if !roles.contains(&role) {
            return Outcome::Forbidden;
        }
        let to = match (action, status) {
            (A::Submit, S::Draft) => S::Proposed,
            (A::Consolidate, S::Proposed) => S::Consolidated,
            (A::Reject, S::Proposed | S::Consolidated) => S::Rejected,
            (A::Withdraw, S::Draft | S::Proposed | S::Consolidated | S::Verified) => S::Withdrawn,
            (A::Start, S::Agreed) => S::Running,
            (A::Complete, S::Running) => S::Completed,
            (A::Cancel, S::Agreed | S::Running) => S::Cancelled,
            (A::Sign, S::Consolidated) => S::Consolidated,
            (A::Sign, S::Verified) => S::Verified,
            _ => return Outcome::WrongState,
        };
        Outcome::To(to)
    }

    #[test]
    fn every_status_action_role_combination_matches_the_written_rules() {
        let mut checked = 0;
        for status in ProgramStatus::ALL {
            for action in Action::ALL {
                // A day inside the action's window: only submit needs one
                // before proposals close; 10 Dec is inside all the others.
                let today = if action == Action::Submit {
                    d(2026, 11, 15)
                } else {
                    d(2026, 12, 10)
                };
                for role in Role::ALL {
                    let got = decide(
                        status,
                        action,
                        role,
                        today,
                        &cal(),
                        &ready(),
                        &Override::None,
                    );
                    let got = match got {
                        Ok(to) => Outcome::To(to),
                        Err(TransitionError::RoleNotAllowed { role: r, action: a }) => {
                            assert_eq!((r, a), (role, action));
                            Outcome::Forbidden
                        }
                        Err(TransitionError::NotAllowedFromState {
                            status: s,
                            action: a,
                        }) => {
                            assert_eq!((s, a), (status, action));
                            Outcome::WrongState
                        }
                        Err(other) => panic!("{status} {action} {role}: unexpected {other:?}"),
                    };
                    assert_eq!(
                        got,
                        expected(status, action, role),
                        "{status} --{action}--> as {role}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 10 * 10 * Role::ALL.len());
    }

    #[test]
    fn each_action_leaves_each_status_by_at_most_one_row() {
        for action in Action::ALL {
            for status in ProgramStatus::ALL {
                let n = TRANSITIONS
                    .iter()
                    .filter(|t| t.action == action && t.from.contains(&status))
                    .count();
                assert!(n <= 1, "{action} from {status} has {n} rows");
            }
        }
    }

    #[test]
    fn terminal_statuses_have_no_way_out_and_automatic_rows_have_no_roles() {
        for t in TRANSITIONS {
            assert!(t.from.iter().all(|s| !s.is_terminal()), "{:?}", t.action);
            assert_eq!(
                t.roles.is_empty(),
                t.action.is_automatic(),
                "{:?}",
                t.action
            );
        }
        assert!(Action::REQUESTABLE.iter().all(|a| !a.is_automatic()));
    }

    #[test]
    fn submit_is_allowed_on_30_november_and_refused_on_1_december() {
        let ok = decide(
            S::Draft,
            Action::Submit,
            R::Company,
            d(2026, 11, 30),
            &cal(),
            &ready(),
            &Override::None,
        );
        assert_eq!(ok, Ok(S::Proposed));
        let late = decide(
            S::Draft,
            Action::Submit,
            R::Company,
            d(2026, 12, 1),
            &cal(),
            &ready(),
            &Override::None,
        );
        let err = late.unwrap_err();
        assert_eq!(
            err,
            TransitionError::OutsideWindow {
                window: Window::Proposal,
                code: "proposal_window_closed",
                from: None,
                until: Some(d(2026, 11, 30)),
            }
        );
        assert_eq!(err.code(), "proposal_window_closed");
        assert_eq!(err.http_status(), 409);
    }

    #[test]
    fn admin_override_skips_the_window_but_only_for_admin() {
        let late = d(2026, 12, 1);
        assert_eq!(
            decide(
                S::Draft,
                Action::Submit,
                R::Admin,
                late,
                &cal(),
                &ready(),
                &admin()
            ),
            Ok(S::Proposed)
        );
        assert!(matches!(
            decide(
                S::Draft,
                Action::Submit,
                R::Admin,
                late,
                &cal(),
                &ready(),
                &Override::None
            ),
            Err(TransitionError::OutsideWindow { .. })
        ));
        assert!(matches!(
            decide(
                S::Draft,
                Action::Submit,
                R::Bappeda,
                late,
                &cal(),
                &ready(),
                &admin()
            ),
            Err(TransitionError::OutsideWindow { .. })
        ));
    }

    #[test]
    fn admin_override_does_not_skip_preconditions() {
        let facts = ProgramFacts {
            has_lead_opd: false,
            ..ready()
        };
        let err = decide(
            S::Proposed,
            Action::Consolidate,
            R::Admin,
            d(2027, 3, 1),
            &cal(),
            &facts,
            &admin(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "lead_opd_required");
    }

    #[test]
    fn consolidation_opens_on_1_december_and_closes_after_the_agreement_deadline() {
        let run = |day| {
            decide(
                S::Proposed,
                Action::Consolidate,
                R::Bappeda,
                day,
                &cal(),
                &ready(),
                &Override::None,
            )
        };
        assert_eq!(
            run(d(2026, 11, 30)).unwrap_err().code(),
            "consolidation_window_not_open"
        );
        assert_eq!(run(d(2026, 12, 1)), Ok(S::Consolidated));
        assert_eq!(run(d(2027, 1, 31)), Ok(S::Consolidated));
        let err = run(d(2027, 2, 1)).unwrap_err();
        assert_eq!(err.code(), "consolidation_window_closed");
        assert!(matches!(
            err,
            TransitionError::OutsideWindow { from: Some(f), until: Some(u), .. }
                if f == d(2026, 12, 1) && u == d(2027, 1, 31)
        ));
    }

    #[test]
    fn signing_is_refused_after_the_agreement_deadline() {
        let sign = |day| {
            decide(
                S::Verified,
                Action::Sign,
                R::Opd,
                day,
                &cal(),
                &ready(),
                &Override::None,
            )
        };
        assert_eq!(sign(d(2027, 1, 31)), Ok(S::Verified));
        assert_eq!(
            sign(d(2027, 2, 1)).unwrap_err().code(),
            "agreement_window_closed"
        );
    }

    #[test]
    fn unwindowed_actions_work_any_day() {
        let day = d(2027, 9, 1);
        assert_eq!(
            decide(
                S::Agreed,
                Action::Start,
                R::Opd,
                day,
                &cal(),
                &ready(),
                &Override::None
            ),
            Ok(S::Running)
        );
        assert_eq!(
            decide(
                S::Verified,
                Action::Withdraw,
                R::Company,
                day,
                &cal(),
                &ready(),
                &Override::None
            ),
            Ok(S::Withdrawn)
        );
    }

    #[test]
    fn consolidate_without_lead_opd_is_a_conflict() {
        let facts = ProgramFacts {
            has_lead_opd: false,
            ..ready()
        };
        let err = decide(
            S::Proposed,
            Action::Consolidate,
            R::Bappeda,
            d(2026, 12, 2),
            &cal(),
            &facts,
            &Override::None,
        )
        .unwrap_err();
        assert_eq!(err.code(), "lead_opd_required");
        assert_eq!(err.http_status(), 409);
    }

    #[test]
    fn reject_and_cancel_without_note_are_unprocessable() {
        let facts = ProgramFacts {
            note_given: false,
            ..ready()
        };
        let day = d(2026, 12, 2);
        let reject = decide(
            S::Proposed,
            Action::Reject,
            R::Bappeda,
            day,
            &cal(),
            &facts,
            &Override::None,
        )
        .unwrap_err();
        assert_eq!(reject.code(), "note_required");
        assert_eq!(reject.http_status(), 422);
        let cancel = decide(
            S::Running,
            Action::Cancel,
            R::Admin,
            day,
            &cal(),
            &facts,
            &Override::None,
        )
        .unwrap_err();
        assert_eq!(cancel.code(), "note_required");
    }

    #[test]
    fn complete_needs_a_served_target() {
        let facts = ProgramFacts {
            served_targets: 0,
            ..ready()
        };
        let err = decide(
            S::Running,
            Action::Complete,
            R::Company,
            d(2027, 6, 1),
            &cal(),
            &facts,
            &Override::None,
        )
        .unwrap_err();
        assert_eq!(err.code(), "no_served_target");
        assert_eq!(err.http_status(), 409);
    }

    #[test]
    fn role_is_checked_before_state() {
        let err = decide(
            S::Completed,
            Action::Consolidate,
            R::Company,
            d(2026, 12, 2),
            &cal(),
            &ready(),
            &Override::None,
        )
        .unwrap_err();
        assert_eq!(err.http_status(), 403);
        assert_eq!(err.code(), "role_not_allowed");
        let err = decide(
            S::Completed,
            Action::Consolidate,
            R::Bappeda,
            d(2026, 12, 2),
            &cal(),
            &ready(),
            &Override::None,
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_transition");
        assert_eq!(err.http_status(), 409);
    }

    #[test]
    fn precondition_messages_name_what_is_missing() {
        let none_signed = ProgramFacts {
            company_signed: false,
            opd_signed: false,
            ..ready()
        };
        let err = Precondition::ReadyToAgree.check(&none_signed).unwrap_err();
        assert_eq!(err.code, "signatures_missing");
        assert_eq!(err.detail, "not signed yet by: company, lead OPD");
        let unvisited = ProgramFacts {
            targets_with_result: 1,
            ..ready()
        };
        let err = Precondition::AllTargetsVerified
            .check(&unvisited)
            .unwrap_err();
        assert_eq!(err.code, "targets_not_verified");
        assert_eq!(err.detail, "2 of 3 targets have no verification result yet");
        let empty = ProgramFacts {
            targets_total: 0,
            targets_with_result: 0,
            ..ready()
        };
        assert_eq!(
            Precondition::AllTargetsVerified
                .check(&empty)
                .unwrap_err()
                .code,
            "no_targets"
        );
        let none_eligible = ProgramFacts {
            eligible_targets: 0,
            ..ready()
        };
        assert_eq!(
            Precondition::ReadyToAgree
                .check(&none_eligible)
                .unwrap_err()
                .code,
            "no_eligible_target"
        );
    }

    #[test]
    fn partial_verification_keeps_the_program_consolidated() {
        let facts = ProgramFacts {
            targets_with_result: 2,
            ..ready()
        };
        assert_eq!(after_verification(S::Consolidated, &facts), S::Consolidated);
    }

    #[test]
    fn full_verification_without_signatures_makes_it_verified() {
        let facts = ProgramFacts {
            company_signed: false,
            ..ready()
        };
        assert_eq!(after_verification(S::Consolidated, &facts), S::Verified);
    }

    #[test]
    fn full_verification_with_both_signatures_goes_straight_to_agreed() {
        assert_eq!(after_verification(S::Consolidated, &ready()), S::Agreed);
        assert_eq!(after_verification(S::Verified, &ready()), S::Agreed);
    }

    #[test]
    fn no_eligible_target_stops_at_verified() {
        let facts = ProgramFacts {
            eligible_targets: 0,
            ..ready()
        };
        assert_eq!(after_verification(S::Consolidated, &facts), S::Verified);
    }

    #[test]
    fn a_target_added_after_verification_holds_the_agreement_back() {
        let facts = ProgramFacts {
            targets_total: 4,
            ..ready()
        };
        assert_eq!(after_verification(S::Verified, &facts), S::Verified);
    }

    #[test]
    fn automatic_rules_leave_other_statuses_alone() {
        for s in [
            S::Draft,
            S::Proposed,
            S::Agreed,
            S::Running,
            S::Completed,
            S::Rejected,
            S::Withdrawn,
            S::Cancelled,
        ] {
            assert_eq!(after_verification(s, &ready()), s);
        }
    }

    #[test]
    fn available_actions_for_company_on_a_verified_program() {
        let acts = available_actions(S::Verified, R::Company, d(2026, 12, 10), &cal(), &ready());
        assert_eq!(acts, [Action::Withdraw, Action::Sign]);
    }

    #[test]
    fn targets_are_editable_until_agreed() {
        let editable: Vec<ProgramStatus> = ProgramStatus::ALL
            .into_iter()
            .filter(|&s| targets_editable(s))
            .collect();
        assert_eq!(
            editable,
            [S::Draft, S::Proposed, S::Consolidated, S::Verified]
        );
    }

    #[test]
    fn markdown_table_has_one_line_per_row() {
        let md = markdown_table();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 2 + TRANSITIONS.len());
        assert_eq!(
            lines[0],
            "| from | action | to | roles | window | precondition | note |"
        );
        assert!(lines[2].starts_with(
            "| `draft` | `submit` | `proposed` | `company`, `bappeda`, `admin` | `proposal` | — |"
        ));
        assert!(md.contains("| `verified` | `agree` | `agreed` | automatic | — |"));
        assert!(!md.contains("  "), "notes are reflowed to single spaces");
    }

    #[test]
    fn enums_use_the_design_wire_strings() {
        let json = serde_json::to_string(&ProgramType::ALL).unwrap();
        assert_eq!(
            json,
            r#"["housing","sanitation","water","electricity","nutrition","health","education","economic","food","social_security","other"]"#
        );
        let json = serde_json::to_string(&ProgramStatus::ALL).unwrap();
        assert_eq!(
            json,
            r#"["draft","proposed","consolidated","verified","agreed","running","completed","rejected","withdrawn","cancelled"]"#
        );
        assert_eq!(
            serde_json::to_string(&Strategy::ALL).unwrap(),
            r#"["reduce_burden","raise_income","reduce_pockets"]"#
        );
        assert_eq!(
            serde_json::to_string(&TargetStatus::ALL).unwrap(),
            r#"["proposed","eligible","ineligible","not_found","moved","deceased","already_assisted","served"]"#
        );
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), a);
        }
        assert!("Submit".parse::<Action>().is_err());
    }

    #[test]
    fn verification_results_become_target_statuses() {
        for r in VerificationResult::ALL {
            let t = TargetStatus::from(r);
            assert_eq!(t.as_str(), r.as_str());
            assert!(t.has_result());
        }
        assert!(!TargetStatus::Proposed.has_result());
        assert!(VerificationResult::Moved.flags_household_update());
        assert!(!VerificationResult::NotFound.flags_household_update());
    }
}
