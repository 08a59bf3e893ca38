//! Realisation reports (DESIGN.md §6.3): the periods a company reports on,
//! when each report is due, and its lifecycle. The figures a report freezes
//! are computed by `db::realisation`; the moves are decided here.

use chrono::{Datelike, NaiveDate};

use crate::domain::role::{wire_enum, Role};

/// A reporting period of a cycle: one quarter, or the whole year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    /// 1–4; `None` for the year's report.
    pub quarter: Option<u32>,
}

impl Period {
    /// The five periods of a cycle, in the order they end.
    pub fn of_cycle(year: i32) -> [Period; 5] {
        let q = |n| Period {
            year,
            quarter: Some(n),
        };
        [q(1), q(2), q(3), q(4), Period::year(year)]
    }

    /// The whole year's period.
    pub const fn year(year: i32) -> Period {
        Period {
            year,
            quarter: None,
        }
    }

    /// Reads `2027-Q1` … `2027-Q4` or `2027`.
    pub fn parse(s: &str) -> Option<Period> {
        let (year, quarter) = match s.split_once("-Q") {
            Some((y, q)) => (y, Some(q)),
            None => (s, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let quarter = match quarter {
            None => None,
            Some(q) if q.len() == 1 => Some(q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))?),
            Some(_) => return None,
        };
        Some(Period { year, quarter })
    }

    /// The last day the period covers.
    pub fn last_day(self) -> NaiveDate {
        let month = self.quarter.map_or(12, |q| q * 3);
        first_of_next_month(self.year, month)
            .pred_opt()
            .unwrap_or(NaiveDate::MAX)
    }

    /// Due by the 10th of the month after the period.
    pub fn due_on(self) -> NaiveDate {
        let month = self.quarter.map_or(12, |q| q * 3);
        first_of_next_month(self.year, month)
            .with_day(10)
            .unwrap_or(NaiveDate::MAX)
    }
}

fn first_of_next_month(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.quarter {
            Some(q) => write!(f, "{}-Q{q}", self.year),
            None => write!(f, "{}", self.year),
        }
    }
}

/// The pattern of a period on the wire (OpenAPI).
pub const PERIOD_PATTERN: &str = "^[0-9]{4}(-Q[1-4])?$";

wire_enum! {
    /// Where a realisation report is in its lifecycle.
    pub enum ReportStatus: "realisation report status" {
        /// Being written by the company; no figures yet.
        Draft = "draft",
        /// Filed: its figures are frozen; waiting for Bappeda.
        Submitted = "submitted",
        /// Sent back by Bappeda with a note; the company submits it again.
        NeedsRevision = "needs_revision",
        /// Accepted by Bappeda (final).
        Approved = "approved",
    }
}

wire_enum! {
    /// Bappeda's review of a submitted report.
    pub enum ReviewDecision: "review decision" {
        Approve = "approve",
        /// Back to the company, with a note saying what to fix.
        RequestRevision = "request_revision",
    }
}

/// Why a report cannot move as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// 409: the report is not in a status the move starts from.
    #[error("a report that is {status} cannot be {action}")]
    WrongStatus {
        status: ReportStatus,
        action: &'static str,
    },
    /// 403: the role may not make this move.
    #[error("role {role} may not {action} a realisation report")]
    Role { role: Role, action: &'static str },
    /// 422: a revision request must say what to fix.
    #[error("a revision request needs a note saying what to fix")]
    NoteRequired,
}

/// The company submits a draft, or a report sent back for revision.
pub fn submit(status: ReportStatus, role: Role) -> Result<ReportStatus, ReportError> {
    if !matches!(role, Role::Company | Role::Admin) {
        return Err(ReportError::Role {
            role,
            action: "submit",
        });
    }
    match status {
        ReportStatus::Draft | ReportStatus::NeedsRevision => Ok(ReportStatus::Submitted),
        _ => Err(ReportError::WrongStatus {
            status,
            action: "submitted",
        }),
    }
}

/// Bappeda approves a submitted report or sends it back with a note.
pub fn review(
    status: ReportStatus,
    role: Role,
    decision: ReviewDecision,
    note_given: bool,
) -> Result<ReportStatus, ReportError> {
    if !matches!(role, Role::Bappeda | Role::Admin) {
        return Err(ReportError::Role {
            role,
            action: "review",
        });
    }
    if status != ReportStatus::Submitted {
        return Err(ReportError::WrongStatus {
            status,
            action: "reviewed",
        });
    }
    match decision {
        ReviewDecision::Approve => Ok(ReportStatus::Approved),
        ReviewDecision::RequestRevision if !note_given => Err(ReportError::NoteRequired),
        ReviewDecision::RequestRevision => Ok(ReportStatus::NeedsRevision),
    }
}

/// Days past the due date a report was filed (`submitted_on`), or is still
/// missing on `today`; 0 when on time.
pub fn days_late(period: Period, submitted_on: Option<NaiveDate>, today: NaiveDate) -> i64 {
    let filed_or_now = submitted_on.unwrap_or(today);
    (filed_or_now - period.due_on()).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_read_and_print_as_on_the_wire() {
        for s in ["2027-Q1", "2027-Q4", "2027"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        for bad in [
            "2027-Q0", "2027-Q5", "2027-Q12", "27-Q1", "2027-", "2027Q1", "", "abcd",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_report_is_due_on_the_tenth_of_the_month_after_its_period() {
        assert_eq!(Period::parse("2027-Q1").unwrap().due_on(), d(2027, 4, 10));
        assert_eq!(Period::parse("2027-Q4").unwrap().due_on(), d(2028, 1, 10));
        assert_eq!(Period::year(2027).due_on(), d(2028, 1, 10));
        assert_eq!(Period::parse("2027-Q2").unwrap().last_day(), d(2027, 6, 30));
        let q1 = Period::parse("2027-Q1").unwrap();
        assert_eq!(days_late(q1, Some(d(2027, 4, 10)), d(2027, 5, 1)), 0);
        assert_eq!(days_late(q1, Some(d(2027, 4, 13)), d(2027, 5, 1)), 3);
        assert_eq!(days_late(q1, None, d(2027, 4, 20)), 10);
        assert_eq!(days_late(q1, None, d(2027, 3, 1)), 0);
    }

    #[test]
    fn the_lifecycle_moves_only_as_written() {
        use ReportStatus as S;
        assert_eq!(submit(S::Draft, Role::Company), Ok(S::Submitted));
        assert_eq!(submit(S::NeedsRevision, Role::Company), Ok(S::Submitted));
        assert!(matches!(
            submit(S::Submitted, Role::Company),
            Err(ReportError::WrongStatus { .. })
        ));
        assert!(matches!(
            submit(S::Draft, Role::Bappeda),
            Err(ReportError::Role { .. })
        ));
        assert_eq!(
            review(S::Submitted, Role::Bappeda, ReviewDecision::Approve, false),
            Ok(S::Approved)
        );
        assert_eq!(
            review(
                S::Submitted,
                Role::Bappeda,
                ReviewDecision::RequestRevision,
                false
            ),
            Err(ReportError::NoteRequired)
        );
        assert_eq!(
            review(
                S::Submitted,
                Role::Bappeda,
                ReviewDecision::RequestRevision,
                true
            ),
            Ok(S::NeedsRevision)
        );
        assert!(matches!(
            review(S::Approved, Role::Bappeda, ReviewDecision::Approve, false),
            Err(ReportError::WrongStatus { .. })
        ));
        assert!(matches!(
            review(S::Submitted, Role::Company, ReviewDecision::Approve, false),
            Err(ReportError::Role { .. })
        ));
    }
}
