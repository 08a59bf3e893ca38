//! TJSP compliance per cycle and the exemption letter lifecycle.
//!
//! Every active plantation and mining company must have at least one agreed
//! program or an accepted exemption letter by the agreement deadline.
//! Companies of sector `other` get a row too, computed the same way, but
//! with `obliged = false`: their row is informational and reports count
//! only obliged rows.

use chrono::NaiveDate;

use crate::domain::program::ProgramStatus;
use crate::domain::role::{wire_enum, Role};

wire_enum! {
    /// A company's business sector.
    pub enum Sector: "company sector" {
        Plantation = "plantation",
        Mining = "mining",
        Other = "other",
    }
}

impl Sector {
    /// Whether the regency's TJSP duty applies to the sector.
    pub const fn is_obliged(self) -> bool {
        matches!(self, Sector::Plantation | Sector::Mining)
    }
}

wire_enum! {
    /// A company's standing in one cycle.
    pub enum ComplianceState: "compliance state" {
        /// At least one agreed (or running, or completed) program.
        Compliant = "compliant",
        /// No agreed program, but an accepted exemption letter.
        Exempt = "exempt",
        /// Neither yet, and the agreement deadline has not passed.
        Pending = "pending",
        /// Neither, and the agreement deadline has passed.
        NonCompliant = "non_compliant",
    }
}

wire_enum! {
    /// Where an exemption letter is in its flow.
    pub enum ExemptionStatus: "exemption status" {
        Submitted = "submitted",
        Reviewed = "reviewed",
        Accepted = "accepted",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

wire_enum! {
    /// Why a company cannot take part in a cycle.
    pub enum ReasonCategory: "exemption reason category" {
        FinancialHardship = "financial_hardship",
        NotOperating = "not_operating",
        ExistingCommitment = "existing_commitment",
        Other = "other",
    }
}

wire_enum! {
    /// Bappeda's recommendation in a review (`POST …/review`). It is recorded
    /// for the Bupati; it does not decide anything itself.
    pub enum ReviewRecommendation: "review recommendation" {
        Accept = "accept",
        Reject = "reject",
    }
}

wire_enum! {
    /// The Bupati's decision (`POST …/decision`).
    pub enum ExemptionDecision: "exemption decision" {
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

/// A company's compliance row, before names and counts are attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Assessment {
    pub state: ComplianceState,
    /// `false` for sector `other`: the row is informational.
    pub obliged: bool,
}

/// Counts the programs that make a company compliant (agreed, running,
/// completed) among its programs of the cycle.
pub fn count_agreed(statuses: impl IntoIterator<Item = ProgramStatus>) -> u32 {
    let n = statuses
        .into_iter()
        .filter(|s| s.counts_as_agreed())
        .count();
    // A company has a handful of programs per cycle; saturate rather than
    // fail on an impossible overflow.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The compliance state of one company in one cycle.
///
/// `agreed_programs` counts agreed, running and completed programs (see
/// [`count_agreed`]). `exemption` is the status of the company's letter for
/// the cycle; when it has several (a rejected one, then a new one), pass
/// `Accepted` if any was accepted, else the latest. The deadline day itself
/// still counts as `pending`: agreements may be signed on it. A letter that
/// is still awaiting review or decision after the deadline does not hold the
/// state at `pending`.
pub fn state(
    agreed_programs: u32,
    exemption: Option<ExemptionStatus>,
    today: NaiveDate,
    agreement_deadline: NaiveDate,
) -> ComplianceState {
    if agreed_programs > 0 {
        ComplianceState::Compliant
    } else if exemption == Some(ExemptionStatus::Accepted) {
        ComplianceState::Exempt
    } else if today <= agreement_deadline {
        ComplianceState::Pending
    } else {
        ComplianceState::NonCompliant
    }
}

/// [`state`] together with whether the duty applies to the company's sector.
pub fn assess(
    sector: Sector,
    agreed_programs: u32,
    exemption: Option<ExemptionStatus>,
    today: NaiveDate,
    agreement_deadline: NaiveDate,
) -> Assessment {
    Assessment {
        state: state(agreed_programs, exemption, today, agreement_deadline),
        obliged: sector.is_obliged(),
    }
}

wire_enum! {
    /// Something that changes an exemption letter's status.
    pub enum ExemptionAction: "exemption action" {
        /// File a new letter (`POST /exemption-letters`).
        Submit = "submit",
        /// Bappeda records its recommendation.
        Review = "review",
        /// The Bupati accepts.
        Accept = "accept",
        /// The Bupati rejects.
        Reject = "reject",
        /// The company takes the letter back before the decision.
        Withdraw = "withdraw",
    }
}

impl From<ExemptionDecision> for ExemptionAction {
    fn from(decision: ExemptionDecision) -> Self {
        match decision {
            ExemptionDecision::Accepted => ExemptionAction::Accept,
            ExemptionDecision::Rejected => ExemptionAction::Reject,
        }
    }
}

/// One allowed move of an exemption letter. `from` empty means the action
/// creates the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExemptionTransition {
    pub from: &'static [ExemptionStatus],
    pub action: ExemptionAction,
    pub to: ExemptionStatus,
    pub roles: &'static [Role],
    pub note: &'static str,
}

use ExemptionStatus as E;

/// The exemption letter flow. `admin` is deliberately absent: the letter is
/// addressed to the Bupati through the head of Bappeda, and a system
/// administrator acting for either would void that chain. Ownership
/// (`company` = own letter) is checked by the API.
pub const EXEMPTION_TRANSITIONS: &[ExemptionTransition] = &[
    ExemptionTransition {
        from: &[],
        action: ExemptionAction::Submit,
        to: E::Submitted,
        roles: &[Role::Company],
        note: "The company files its letter for the cycle.",
    },
    ExemptionTransition {
        from: &[E::Submitted],
        action: ExemptionAction::Review,
        to: E::Reviewed,
        roles: &[Role::Bappeda],
        note: "Bappeda recommends accept or reject, with a note.",
    },
    ExemptionTransition {
        from: &[E::Reviewed],
        action: ExemptionAction::Accept,
        to: E::Accepted,
        roles: &[Role::Bupati],
        note: "The Bupati accepts; the company is exempt for the cycle.",
    },
    ExemptionTransition {
        from: &[E::Reviewed],
        action: ExemptionAction::Reject,
        to: E::Rejected,
        roles: &[Role::Bupati],
        note: "The Bupati rejects; the company must still agree a program.",
    },
    ExemptionTransition {
        from: &[E::Submitted, E::Reviewed],
        action: ExemptionAction::Withdraw,
        to: E::Withdrawn,
        roles: &[Role::Company],
        note: "The company takes the letter back before the decision.",
    },
];

/// Why an exemption letter action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExemptionError {
    /// 403: the role may never take this action.
    #[error("role {role} may not {action} an exemption letter")]
    RoleNotAllowed { role: Role, action: ExemptionAction },
    /// 409: the action does not apply to the letter's status (`None` = no
    /// letter yet, i.e. only `submit` applies).
    #[error("cannot {action} an exemption letter that is {}", .status.map_or("not filed", |s| s.as_str()))]
    NotAllowedFromState {
        status: Option<ExemptionStatus>,
        action: ExemptionAction,
    },
}

impl ExemptionError {
    /// Stable machine code for the problem+json `code` member.
    pub fn code(&self) -> &'static str {
        match self {
            ExemptionError::RoleNotAllowed { .. } => "role_not_allowed",
            ExemptionError::NotAllowedFromState { .. } => "invalid_transition",
        }
    }
}

/// Decides an exemption letter action; `status` is `None` for a letter not
/// filed yet. Role is checked before status, as for programs.
pub fn decide_exemption(
    status: Option<ExemptionStatus>,
    action: ExemptionAction,
    role: Role,
) -> Result<ExemptionStatus, ExemptionError> {
    let rows = || EXEMPTION_TRANSITIONS.iter().filter(|t| t.action == action);
    if !rows().any(|t| t.roles.contains(&role)) {
        return Err(ExemptionError::RoleNotAllowed { role, action });
    }
    rows()
        .find(|t| match status {
            None => t.from.is_empty(),
            Some(s) => t.from.contains(&s),
        })
        .map(|t| t.to)
        .ok_or(ExemptionError::NotAllowedFromState { status, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn deadline() -> NaiveDate {
        d(2027, 1, 31)
    }

    #[test]
    fn an_agreed_program_makes_a_company_compliant_even_after_the_deadline() {
        assert_eq!(
            state(1, None, d(2027, 6, 1), deadline()),
            ComplianceState::Compliant
        );
        assert_eq!(
            state(2, Some(E::Rejected), d(2027, 6, 1), deadline()),
            ComplianceState::Compliant
        );
    }

    #[test]
    fn an_accepted_letter_makes_a_company_exempt() {
        assert_eq!(
            state(0, Some(E::Accepted), d(2027, 6, 1), deadline()),
            ComplianceState::Exempt
        );
    }

    #[test]
    fn nothing_yet_is_pending_up_to_and_including_the_deadline_day() {
        assert_eq!(
            state(0, None, d(2026, 12, 1), deadline()),
            ComplianceState::Pending
        );
        assert_eq!(
            state(0, None, deadline(), deadline()),
            ComplianceState::Pending
        );
        assert_eq!(
            state(0, Some(E::Reviewed), deadline(), deadline()),
            ComplianceState::Pending
        );
    }

    #[test]
    fn nothing_the_day_after_the_deadline_is_non_compliant() {
        let after = d(2027, 2, 1);
        assert_eq!(
            state(0, None, after, deadline()),
            ComplianceState::NonCompliant
        );
        for letter in [E::Submitted, E::Reviewed, E::Rejected, E::Withdrawn] {
            assert_eq!(
                state(0, Some(letter), after, deadline()),
                ComplianceState::NonCompliant,
                "{letter}"
            );
        }
    }

    #[test]
    fn other_sector_rows_are_informational() {
        let other = assess(Sector::Other, 0, None, d(2027, 2, 1), deadline());
        assert_eq!(
            other,
            Assessment {
                state: ComplianceState::NonCompliant,
                obliged: false
            }
        );
        assert!(assess(Sector::Mining, 1, None, deadline(), deadline()).obliged);
        assert!(Sector::Plantation.is_obliged());
    }

    #[test]
    fn running_and_completed_programs_count_as_agreed() {
        use ProgramStatus as P;
        let statuses = [
            P::Draft,
            P::Agreed,
            P::Running,
            P::Completed,
            P::Cancelled,
            P::Verified,
        ];
        assert_eq!(count_agreed(statuses), 3);
        assert_eq!(count_agreed([]), 0);
    }

    /// The exemption flow written out by hand, independently of the table.
    fn expected(
        status: Option<ExemptionStatus>,
        action: ExemptionAction,
        role: Role,
    ) -> Result<ExemptionStatus, &'static str> {
        use ExemptionAction as A;
        let may = match action {
            A::Submit | A::Withdraw => role == Role::Company,
            A::Review => role == Role::Bappeda,
            A::Accept | A::Reject => role == Role::Bupati,
        };
        if !may {
            return Err("role_not_allowed");
        }
        match (action, status) {
            (A::Submit, None) => Ok(E::Submitted),
            (A::Review, Some(E::Submitted)) => Ok(E::Reviewed),
            (A::Accept, Some(E::Reviewed)) => Ok(E::Accepted),
            (A::Reject, Some(E::Reviewed)) => Ok(E::Rejected),
            (A::Withdraw, Some(E::Submitted | E::Reviewed)) => Ok(E::Withdrawn),
            _ => Err("invalid_transition"),
        }
    }

    #[test]
    fn every_exemption_status_action_role_combination_matches_the_written_rules() {
        let statuses = std::iter::once(None).chain(ExemptionStatus::ALL.map(Some));
        let mut checked = 0;
        for status in statuses {
            for action in ExemptionAction::ALL {
                for role in Role::ALL {
                    let got = decide_exemption(status, action, role).map_err(|e| e.code());
                    assert_eq!(
                        got,
                        expected(status, action, role),
                        "{status:?} {action} {role}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 6 * 5 * Role::ALL.len());
    }

    #[test]
    fn decisions_map_to_actions_and_errors_read_well() {
        assert_eq!(
            ExemptionAction::from(ExemptionDecision::Accepted),
            ExemptionAction::Accept
        );
        assert_eq!(
            ExemptionAction::from(ExemptionDecision::Rejected),
            ExemptionAction::Reject
        );
        let err = decide_exemption(None, ExemptionAction::Withdraw, Role::Company).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot withdraw an exemption letter that is not filed"
        );
        let err = decide_exemption(Some(E::Accepted), ExemptionAction::Withdraw, Role::Company)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot withdraw an exemption letter that is accepted"
        );
    }

    #[test]
    fn wire_strings_match_design() {
        assert_eq!(
            serde_json::to_string(&ComplianceState::ALL).unwrap(),
            r#"["compliant","exempt","pending","non_compliant"]"#
        );
        assert_eq!(
            serde_json::to_string(&ReasonCategory::ALL).unwrap(),
            r#"["financial_hardship","not_operating","existing_commitment","other"]"#
        );
        assert_eq!(
            serde_json::to_string(&ExemptionStatus::ALL).unwrap(),
            r#"["submitted","reviewed","accepted","rejected","withdrawn"]"#
        );
        assert_eq!("mining".parse::<Sector>().unwrap(), Sector::Mining);
    }
}
