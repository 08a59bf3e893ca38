//! Which of a program's candidates recommendations show: read from the
//! database, ranked by `domain::ranking`, the best `limit` kept.

use chrono::NaiveDate;

use crate::db::programs::ProgramRow;
use crate::db::recommendations::{self as store, MemberNeeds};
use crate::db::{DbConnection, DbError};
use crate::domain::ranking::{rank, ranks_by_members, settled, Candidate, Scored};

/// Candidates read at first per household asked for, and the factor each
/// further read grows by.
const READ_AHEAD: usize = 4;

/// The program's best `limit` households in `regions`, best first, with
/// their scores and reasons. The extreme poor outrank every other family
/// whatever their need, so the others are only read when the extreme poor
/// do not fill the list.
pub fn ranked(
    conn: &mut DbConnection,
    program: &ProgramRow,
    regions: &[String],
    limit: usize,
    today: NaiveDate,
) -> Result<Vec<(String, Scored)>, DbError> {
    let mut best = ranked_tier(conn, program, regions, true, limit, today)?;
    if best.len() < limit {
        let rest = limit - best.len();
        best.extend(ranked_tier(conn, program, regions, false, rest, today)?);
    }
    Ok(best)
}

/// The best `limit` of one tier (the extreme poor, or the others).
///
/// Where a type's need lies in the household's own facts, its candidates are
/// read best welfare first, `READ_AHEAD` times the list and then that many
/// times more, until no family not yet read could enter the list
/// (`domain::ranking::settled`): a kecamatan holds thousands of candidates,
/// and each one read costs the database and the service more than ranking
/// it (docs/PERFORMANCE.md). The types that count members read them all.
fn ranked_tier(
    conn: &mut DbConnection,
    program: &ProgramRow,
    regions: &[String],
    extreme_poor: bool,
    limit: usize,
    today: NaiveDate,
) -> Result<Vec<(String, Scored)>, DbError> {
    let program_type = program.program_type;
    let owned = |kept: Vec<(&str, Scored)>| -> Vec<(String, Scored)> {
        kept.into_iter().map(|(id, s)| (id.to_owned(), s)).collect()
    };
    if ranks_by_members(program_type) {
        let rows = store::candidates(conn, program, regions, extreme_poor, None)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let needs = store::member_needs(conn, &ids, today)?;
        let candidates: Vec<Candidate<'_>> = rows
            .iter()
            .map(|r| r.candidate(needs.get(&r.id).copied().unwrap_or_default()))
            .collect();
        return Ok(owned(rank(program_type, &candidates, limit)));
    }
    let mut read = limit.saturating_mul(READ_AHEAD);
    loop {
        let first = i64::try_from(read).unwrap_or(i64::MAX);
        let rows = store::candidates(conn, program, regions, extreme_poor, Some(first))?;
        let candidates: Vec<Candidate<'_>> = rows
            .iter()
            .map(|r| r.candidate(MemberNeeds::default()))
            .collect();
        let kept = rank(program_type, &candidates, limit);
        let every_one_read = rows.len() < read;
        if every_one_read
            || candidates
                .last()
                .is_some_and(|last| settled(program_type, &kept, limit, last))
        {
            return Ok(owned(kept));
        }
        read = read.saturating_mul(READ_AHEAD);
    }
}
