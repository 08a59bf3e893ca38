//! The calendar of one planning cycle and the windows
//! in it during which program actions are allowed.
//!
//! All dates are calendar days in the regency's local time (WITA); the
//! service decides what "today" is and passes it in, so these rules stay
//! pure and testable on boundary days. What "today" is, is reckoned here
//! too, once: [`regency_day`] of an instant, [`regency_today`] of now.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::domain::role::wire_enum;

/// The regency's offset from UTC in hours: WITA is UTC+8, with no daylight
/// saving.
pub const WITA_UTC_OFFSET_HOURS: i64 = 8;

/// The calendar day in Kutai Kartanegara (WITA) at an instant, whatever the
/// server's time zone: calendar windows, "not in the future" checks and the
/// importer's birth-date check all count local days.
pub fn regency_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(WITA_UTC_OFFSET_HOURS)).date_naive()
}

/// Today in the regency (WITA): [`regency_day`] of now. The one reading of
/// the clock for a date; everything below it takes the day as an argument.
pub fn regency_today() -> NaiveDate {
    regency_day(Utc::now())
}

/// The four dates of a cycle. Every bound is *inclusive*: a proposal filed
/// on `proposals_close` is on time, one filed the day after is late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    /// Last day a company (or Bappeda for it) may submit a proposal.
    pub proposals_close: NaiveDate,
    /// First day of integrated field verification.
    pub verification_start: NaiveDate,
    /// Last day of integrated field verification.
    pub verification_end: NaiveDate,
    /// Last day on which agreements may be signed; also the compliance
    /// deadline.
    pub agreement_deadline: NaiveDate,
}

/// One broken ordering rule of a calendar, for a per-field `errors[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CalendarViolation {
    /// The field reported as wrong: always the *later* field of the pair,
    /// because the earlier one is the anchor the rule is stated from.
    pub field: &'static str,
    /// Stable machine code, `calendar_order`.
    pub code: &'static str,
    /// Human-readable reason naming both fields and their dates.
    pub reason: String,
}

impl Calendar {
    /// The regency's default calendar for planning year `year`: proposals
    /// close 30 November of `year - 1`, verification 1–21 December of
    /// `year - 1`, agreements signed by 31 January of `year`.
    ///
    /// `None` only for years outside chrono's date range (about ±262 000),
    /// which the API rejects long before; it is not an `expect` so that no
    /// input can turn into a panic.
    pub fn default_for(year: i32) -> Option<Calendar> {
        let before = year.checked_sub(1)?;
        Some(Calendar {
            proposals_close: NaiveDate::from_ymd_opt(before, 11, 30)?,
            verification_start: NaiveDate::from_ymd_opt(before, 12, 1)?,
            verification_end: NaiveDate::from_ymd_opt(before, 12, 21)?,
            agreement_deadline: NaiveDate::from_ymd_opt(year, 1, 31)?,
        })
    }

    /// Checks the required order
    /// `proposals_close < verification_start <= verification_end <= agreement_deadline`.
    ///
    /// Proposals must close strictly before verification starts, because
    /// the targets to verify are those of submitted proposals; verification
    /// may be a single day, and signing may happen on the last verification
    /// day. Each broken adjacent pair is reported once, against its later
    /// field, so a client sees every problem in one answer.
    pub fn validate(&self) -> Result<(), Vec<CalendarViolation>> {
        let rules: [(&'static str, NaiveDate, &'static str, NaiveDate, bool); 3] = [
            (
                "proposals_close",
                self.proposals_close,
                "verification_start",
                self.verification_start,
                true,
            ),
            (
                "verification_start",
                self.verification_start,
                "verification_end",
                self.verification_end,
                false,
            ),
            (
                "verification_end",
                self.verification_end,
                "agreement_deadline",
                self.agreement_deadline,
                false,
            ),
        ];
        let violations: Vec<CalendarViolation> = rules
            .into_iter()
            .filter(
                |&(_, early, _, late, strict)| if strict { late <= early } else { late < early },
            )
            .map(
                |(early_name, early, late_name, late, strict)| CalendarViolation {
                    field: late_name,
                    code: "calendar_order",
                    reason: format!(
                        "{late_name} ({late}) must be {} {early_name} ({early})",
                        if strict { "after" } else { "on or after" }
                    ),
                },
            )
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }
}

wire_enum! {
    /// A period of the calendar in which some program action is allowed.
    pub enum Window: "window" {
        /// Until `proposals_close`, inclusive; no start (drafts may be
        /// submitted as soon as the cycle exists).
        Proposal = "proposal",
        /// From the day after `proposals_close` until `agreement_deadline`,
        /// inclusive: Bappeda consolidates (or rejects) what was proposed,
        /// also while verification runs, until agreements are due.
        Consolidation = "consolidation",
        /// `verification_start..=verification_end`.
        Verification = "verification",
        /// Until `agreement_deadline`, inclusive; no start, because a program
        /// can only be signed once consolidated, which already implies the
        /// proposal window has closed.
        Agreement = "agreement",
    }
}

/// Where a day lies relative to a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Before the window's first day.
    NotOpen,
    /// Inside the window (bounds inclusive).
    Open,
    /// After the window's last day.
    Closed,
}

impl Window {
    /// First and last day of the window, both inclusive; `None` means
    /// unbounded on that side.
    pub fn bounds(self, cal: &Calendar) -> (Option<NaiveDate>, Option<NaiveDate>) {
        match self {
            Window::Proposal => (None, Some(cal.proposals_close)),
            // `checked_add_days` only fails at chrono's maximum date; then
            // there is no "day after" and the window has no first day, which
            // `position` treats as never open.
            Window::Consolidation => (
                Some(
                    cal.proposals_close
                        .checked_add_days(Days::new(1))
                        .unwrap_or(NaiveDate::MAX),
                ),
                Some(cal.agreement_deadline),
            ),
            Window::Verification => (Some(cal.verification_start), Some(cal.verification_end)),
            Window::Agreement => (None, Some(cal.agreement_deadline)),
        }
    }

    /// Where `today` lies relative to this window.
    pub fn position(self, cal: &Calendar, today: NaiveDate) -> Position {
        let (from, until) = self.bounds(cal);
        if from.is_some_and(|from| today < from) {
            Position::NotOpen
        } else if until.is_some_and(|until| today > until) {
            Position::Closed
        } else {
            Position::Open
        }
    }

    /// Whether `today` is inside the window.
    pub fn contains(self, cal: &Calendar, today: NaiveDate) -> bool {
        self.position(cal, today) == Position::Open
    }

    /// Stable machine code for a day outside the window: one code per window
    /// and side, `<window>_window_not_open` (too early) or
    /// `<window>_window_closed` (too late), so a client can tell "wait" from
    /// "too late" without parsing text. `None` when the window is open.
    pub fn code(self, position: Position) -> Option<&'static str> {
        Some(match (self, position) {
            (_, Position::Open) => return None,
            (Window::Proposal, Position::NotOpen) => "proposal_window_not_open",
            (Window::Proposal, Position::Closed) => "proposal_window_closed",
            (Window::Consolidation, Position::NotOpen) => "consolidation_window_not_open",
            (Window::Consolidation, Position::Closed) => "consolidation_window_closed",
            (Window::Verification, Position::NotOpen) => "verification_window_not_open",
            (Window::Verification, Position::Closed) => "verification_window_closed",
            (Window::Agreement, Position::NotOpen) => "agreement_window_not_open",
            (Window::Agreement, Position::Closed) => "agreement_window_closed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regency_day_turns_at_16_00_utc() {
        let at = |h, m| {
            NaiveDate::from_ymd_opt(2026, 12, 31)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
                .and_utc()
        };
        assert_eq!(
            regency_day(at(15, 59)),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(
            regency_day(at(16, 0)),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal_2027() -> Calendar {
        Calendar::default_for(2027).unwrap()
    }

    #[test]
    fn default_calendar_for_2027_follows_the_regency_decision() {
        assert_eq!(
            cal_2027(),
            Calendar {
                proposals_close: d(2026, 11, 30),
                verification_start: d(2026, 12, 1),
                verification_end: d(2026, 12, 21),
                agreement_deadline: d(2027, 1, 31),
            }
        );
        assert_eq!(cal_2027().validate(), Ok(()));
    }

    #[test]
    fn default_calendar_outside_chrono_range_is_none() {
        assert_eq!(Calendar::default_for(i32::MIN), None);
        assert_eq!(Calendar::default_for(i32::MAX), None);
    }

    #[test]
    fn verification_starting_on_proposals_close_is_reported_on_verification_start() {
        let cal = Calendar {
            verification_start: d(2026, 11, 30),
            ..cal_2027()
        };
        let errs = cal.validate().unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "verification_start");
        assert_eq!(errs[0].code, "calendar_order");
        assert_eq!(
            errs[0].reason,
            "verification_start (2026-11-30) must be after proposals_close (2026-11-30)"
        );
    }

    #[test]
    fn one_day_verification_and_signing_on_its_last_day_are_valid() {
        let cal = Calendar {
            verification_start: d(2026, 12, 1),
            verification_end: d(2026, 12, 1),
            agreement_deadline: d(2026, 12, 1),
            ..cal_2027()
        };
        assert_eq!(cal.validate(), Ok(()));
    }

    #[test]
    fn every_broken_pair_is_reported_against_its_later_field() {
        let cal = Calendar {
            proposals_close: d(2026, 12, 5),
            verification_start: d(2026, 12, 1),
            verification_end: d(2026, 11, 20),
            agreement_deadline: d(2026, 11, 1),
        };
        let fields: Vec<&str> = cal
            .validate()
            .unwrap_err()
            .iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            [
                "verification_start",
                "verification_end",
                "agreement_deadline"
            ]
        );
    }

    #[test]
    fn end_before_start_is_reported_on_verification_end() {
        let cal = Calendar {
            verification_end: d(2026, 11, 30),
            ..cal_2027()
        };
        let errs = cal.validate().unwrap_err();
        // 30 Nov is before 1 Dec; and the deadline is still after it.
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "verification_end");
        assert!(errs[0]
            .reason
            .contains("on or after verification_start (2026-12-01)"));
    }

    #[test]
    fn proposal_window_includes_its_last_day_only() {
        let cal = cal_2027();
        assert!(Window::Proposal.contains(&cal, d(2020, 1, 1)));
        assert!(Window::Proposal.contains(&cal, d(2026, 11, 30)));
        assert!(!Window::Proposal.contains(&cal, d(2026, 12, 1)));
        assert_eq!(
            Window::Proposal.position(&cal, d(2026, 12, 1)),
            Position::Closed
        );
        assert_eq!(
            Window::Proposal.code(Position::Closed),
            Some("proposal_window_closed")
        );
        assert_eq!(Window::Proposal.bounds(&cal), (None, Some(d(2026, 11, 30))));
    }

    #[test]
    fn consolidation_window_opens_the_day_after_proposals_close() {
        let cal = cal_2027();
        assert_eq!(
            Window::Consolidation.position(&cal, d(2026, 11, 30)),
            Position::NotOpen
        );
        assert!(Window::Consolidation.contains(&cal, d(2026, 12, 1)));
        assert!(Window::Consolidation.contains(&cal, d(2027, 1, 31)));
        assert_eq!(
            Window::Consolidation.position(&cal, d(2027, 2, 1)),
            Position::Closed
        );
        assert_eq!(
            Window::Consolidation.bounds(&cal),
            (Some(d(2026, 12, 1)), Some(d(2027, 1, 31)))
        );
        assert_eq!(
            Window::Consolidation.code(Position::NotOpen),
            Some("consolidation_window_not_open")
        );
    }

    #[test]
    fn verification_and_agreement_windows_are_inclusive() {
        let cal = cal_2027();
        assert!(!Window::Verification.contains(&cal, d(2026, 11, 30)));
        assert!(Window::Verification.contains(&cal, d(2026, 12, 1)));
        assert!(Window::Verification.contains(&cal, d(2026, 12, 21)));
        assert!(!Window::Verification.contains(&cal, d(2026, 12, 22)));
        assert!(Window::Agreement.contains(&cal, d(2027, 1, 31)));
        assert_eq!(
            Window::Agreement.position(&cal, d(2027, 2, 1)),
            Position::Closed
        );
        assert_eq!(Window::Agreement.code(Position::Open), None);
    }

    #[test]
    fn window_codes_are_distinct() {
        let mut codes: Vec<&str> = Window::ALL
            .iter()
            .flat_map(|w| [w.code(Position::NotOpen), w.code(Position::Closed)])
            .flatten()
            .collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }
}
