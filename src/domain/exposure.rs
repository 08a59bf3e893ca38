//! Exposure rules (docs/SECURITY.md, "What a company sees"): how long a household shown to a company
//! stays readable to it, and how many new households a page of
//! recommendations may show under the company's cap. No SQL here; the
//! records live in `db::exposure`.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

/// Cap of distinct households shown per company and cycle when neither the
/// company (`exposure_cap`) nor `RBPK_COMPANY_EXPOSURE_CAP` says otherwise:
/// a program reaches tens to a few hundred families, so 500 leaves room for
/// choosing among candidates while bounding what one company can list.
pub const DEFAULT_CAP: u32 = 500;

/// The last day a cycle's exposure lasts: 31 December of the planning year
/// (regency time), the year its programs run. `None` only for a year chrono
/// cannot represent.
pub fn ends_on(cycle_year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(cycle_year, 12, 31)
}

/// The oldest cycle whose exposure still lets a company read on `today`:
/// a cycle ends with its year, so every cycle of this year or later.
pub fn first_live_cycle(today: NaiveDate) -> i32 {
    today.year()
}

/// Whether the cycle's exposure is still live on `today`.
pub fn is_live(cycle_year: i32, today: NaiveDate) -> bool {
    cycle_year >= first_live_cycle(today)
}

/// The cap has no room for a household the page would show for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapReached;

/// Which households of a ranked page a company may be shown: every one it
/// was already shown in the cycle (they do not count twice), and new ones,
/// in rank order, while `room` (cap minus households already shown) lasts.
/// A page that would cross the cap is cut to the remainder; once no room is
/// left, a page holding any new household is refused.
pub fn admit<'a>(
    ranked: &'a [String],
    already: &HashSet<String>,
    room: i64,
) -> Result<Vec<&'a String>, CapReached> {
    let mut room = room.max(0);
    let mut out = Vec::with_capacity(ranked.len());
    let mut cut = false;
    for id in ranked {
        if already.contains(id) {
            out.push(id);
        } else if room > 0 {
            room -= 1;
            out.push(id);
        } else {
            cut = true;
        }
    }
    if cut && out.iter().all(|id| already.contains(*id)) {
        return Err(CapReached);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_cycle_ends_on_31_december_of_its_year() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(ends_on(2027), Some(d(2027, 12, 31)));
        assert!(is_live(2027, d(2026, 12, 1)));
        assert!(is_live(2027, d(2027, 12, 31)));
        assert!(!is_live(2027, d(2028, 1, 1)));
    }

    #[test]
    fn a_page_is_cut_to_the_room_left_and_refused_when_none_is() {
        let ranked = ids(&["a", "b", "c", "d"]);
        let none = HashSet::new();
        assert_eq!(admit(&ranked, &none, 10).unwrap().len(), 4);
        assert_eq!(admit(&ranked, &none, 2).unwrap(), vec!["a", "b"]);
        assert_eq!(admit(&ranked, &none, 0), Err(CapReached));
        assert_eq!(admit(&[], &none, 0).unwrap().len(), 0);
    }

    #[test]
    fn households_already_shown_do_not_count_twice() {
        let ranked = ids(&["a", "b", "c"]);
        let shown: HashSet<String> = ids(&["b"]).into_iter().collect();
        assert_eq!(admit(&ranked, &shown, 1).unwrap(), vec!["a", "b"]);
        let all: HashSet<String> = ranked.iter().cloned().collect();
        assert_eq!(admit(&ranked, &all, 0).unwrap().len(), 3);
        // A page mixing shown and new households after the cap: refused.
        assert_eq!(admit(&ranked, &shown, 0), Err(CapReached));
    }
}
