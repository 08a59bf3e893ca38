//! A page of a list merged from branches that each can read their rows
//! already in the list's order (one per village, from an index in that
//! order), so the database merges a few ordered runs (PostgreSQL's Merge
//! Append, SQLite's merge of a compound `ORDER BY`) and stops at the page's
//! end, instead of sorting every row the filter matches. Measured in
//! docs/PERFORMANCE.md ("The household list at 300k: pages merged per
//! village, totals kept per region").

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::BigInt;
use diesel::{QueryResult, RunQueryDsl};

use super::{DbBackend, DbConnection};

/// `branch₀ UNION ALL branch₁ … ORDER BY order_by LIMIT limit OFFSET offset`,
/// from bare branches (no `ORDER BY` or `LIMIT` of their own). SQLite
/// merges such a compound down each branch's index as it stands (and
/// refuses an `ORDER BY` on a compound's member); PostgreSQL merges only
/// branches that are ordered themselves, so there each one becomes
/// `(branch ORDER BY order_by LIMIT offset + limit)`.
pub struct Merged<Q> {
    branches: Vec<Q>,
    order_by: &'static str,
    offset: i64,
    limit: i64,
    /// `offset + limit`: the most rows one branch can give the page.
    end: i64,
}

impl<Q> Merged<Q> {
    /// `order_by` names output columns, as SQL (`desil, id`).
    pub fn new(branches: Vec<Q>, order_by: &'static str, offset: i64, limit: i64) -> Merged<Q> {
        Merged {
            branches,
            order_by,
            offset,
            limit,
            end: offset.saturating_add(limit),
        }
    }
}

impl<Q: Query> Query for Merged<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> QueryId for Merged<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<DbBackend>> QueryFragment<DbBackend> for Merged<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DbBackend>) -> QueryResult<()> {
        // One branch is no compound: PostgreSQL would read the outer
        // `ORDER BY` as a second one of that select.
        let ordered_branches =
            matches!(out.backend(), DbBackend::Postgresql(_)) && self.branches.len() > 1;
        for (i, branch) in self.branches.iter().enumerate() {
            if i > 0 {
                out.push_sql(" UNION ALL ");
            }
            if ordered_branches {
                out.push_sql("(");
                branch.walk_ast(out.reborrow())?;
                out.push_sql(" ORDER BY ");
                out.push_sql(self.order_by);
                out.push_sql(" LIMIT ");
                out.push_bind_param::<BigInt, _>(&self.end)?;
                out.push_sql(")");
            } else {
                branch.walk_ast(out.reborrow())?;
            }
        }
        out.push_sql(" ORDER BY ");
        out.push_sql(self.order_by);
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.limit)?;
        out.push_sql(" OFFSET ");
        out.push_bind_param::<BigInt, _>(&self.offset)?;
        Ok(())
    }
}

impl<Q> RunQueryDsl<DbConnection> for Merged<Q> {}
