//! Programs of the TJSP cycle. The lifecycle rules live in `domain::program`;
//! this module stores what they decide, with audit. Their targets are in
//! `db::targets`, the households recommended to them in `db::recommendations`.

use crate::db::IfMatch;
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, Actor};
use super::schema::{program_targets as pt, programs as p};
use super::DbError;
use super::{check_version, new_id, now, DbConnection};
use crate::domain::program::{
    Funding, ProgramFacts, ProgramStatus, ProgramType, Strategy, TargetStatus,
};

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct ProgramRow {
    pub id: String,
    pub cycle_year: i32,
    /// None for an APBD program.
    pub company_id: Option<String>,
    pub funding: Funding,
    pub opd_code: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub program_type: ProgramType,
    pub strategy: Strategy,
    pub budget: i64,
    pub target_regions: String,
    pub status: ProgramStatus,
    pub status_note: Option<String>,
    pub agreement_number: Option<String>,
    pub signed_by_company_on: Option<NaiveDate>,
    pub signed_by_company: Option<String>,
    pub signed_by_opd_on: Option<NaiveDate>,
    pub signed_by_opd: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProgramRow {
    pub fn audit_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["version", "created_at", "updated_at"] {
                o.remove(k);
            }
        }
        v
    }

    /// Every party that signs has signed: the lead agency, and the company
    /// of a CSR program (an APBD program has none).
    pub fn fully_signed(&self) -> bool {
        self.signed_by_opd_on.is_some()
            && (self.funding == Funding::Apbd || self.signed_by_company_on.is_some())
    }

    pub fn regions(&self) -> Vec<String> {
        serde_json::from_str(&self.target_regions).unwrap_or_default()
    }
}

/// The fields a program is created or edited with.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = p, treat_none_as_null = true)]
pub struct ProgramFields {
    pub opd_code: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub program_type: ProgramType,
    pub strategy: Strategy,
    pub budget: i64,
    pub target_regions: String,
}

/// Which programs a caller reaches.
#[derive(Debug, Clone)]
pub enum ProgramReach {
    All,
    Company(String),
    /// An agency reaches the programs it leads.
    Opd(String),
}

#[derive(Debug, Default, Clone)]
pub struct ProgramFilter {
    pub cycle: Option<i32>,
    pub company_id: Option<String>,
    pub funding: Option<Funding>,
    pub opd_code: Option<String>,
    pub status: Option<ProgramStatus>,
    pub program_type: Option<ProgramType>,
    /// A region code: programs whose target regions contain it or lie in it.
    pub region: Option<String>,
}

type Boxed<'a> = p::BoxedQuery<'a, super::DbBackend>;

fn reached<'a>(q: Boxed<'a>, reach: &'a ProgramReach) -> Boxed<'a> {
    match reach {
        ProgramReach::All => q,
        ProgramReach::Company(c) => q.filter(p::company_id.eq(c.clone())),
        ProgramReach::Opd(o) => q.filter(p::opd_code.eq(o.clone())),
    }
}

fn filtered<'a>(f: &'a ProgramFilter, reach: &'a ProgramReach) -> Boxed<'a> {
    let mut q = reached(p::table.into_boxed(), reach);
    if let Some(v) = f.cycle {
        q = q.filter(p::cycle_year.eq(v));
    }
    if let Some(v) = &f.company_id {
        q = q.filter(p::company_id.eq(v.clone()));
    }
    if let Some(v) = f.funding {
        q = q.filter(p::funding.eq(v));
    }
    if let Some(v) = &f.opd_code {
        q = q.filter(p::opd_code.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(p::status.eq(*v));
    }
    if let Some(v) = &f.program_type {
        q = q.filter(p::program_type.eq(*v));
    }
    if let Some(code) = &f.region {
        // Regions are stored as a JSON array of dotted codes: a program matches
        // when one of them is the code, lies inside it, or contains it.
        let mut patterns = vec![format!("%\"{code}\"%"), format!("%\"{code}.%")];
        let mut parent = code.as_str();
        while let Some((up, _)) = parent.rsplit_once('.') {
            patterns.push(format!("%\"{up}\"%"));
            parent = up;
        }
        let mut cond: Box<
            dyn BoxableExpression<p::table, super::DbBackend, SqlType = diesel::sql_types::Bool>,
        > = Box::new(p::target_regions.like(patterns[0].clone()));
        for pattern in &patterns[1..] {
            cond = Box::new(cond.or(p::target_regions.like(pattern.clone())));
        }
        q = q.filter(cond);
    }
    q
}

pub fn list(
    conn: &mut DbConnection,
    f: &ProgramFilter,
    reach: &ProgramReach,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ProgramRow>, i64), DbError> {
    let total = filtered(f, reach).count().get_result::<i64>(conn)?;
    let rows = filtered(f, reach)
        .order((p::cycle_year.desc(), p::created_at.asc(), p::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<ProgramRow>(conn)?;
    Ok((rows, total))
}

/// A program within the caller's reach; outside it, "not found".
pub fn get(conn: &mut DbConnection, id: &str, reach: &ProgramReach) -> Result<ProgramRow, DbError> {
    Ok(reached(p::table.into_boxed(), reach)
        .filter(p::id.eq(id.to_string()))
        .first::<ProgramRow>(conn)?)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    cycle_year: i32,
    company_id: Option<&str>,
    fields: &ProgramFields,
) -> Result<ProgramRow, DbError> {
    let funding = if company_id.is_some() {
        Funding::Csr
    } else {
        Funding::Apbd
    };
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(p::table)
        .values((
            p::id.eq(&id),
            p::cycle_year.eq(cycle_year),
            p::company_id.eq(company_id),
            p::funding.eq(funding),
            fields,
            p::status.eq(ProgramStatus::Draft),
            p::version.eq(1),
            p::created_at.eq(t),
            p::updated_at.eq(t),
        ))
        .returning(p::all_columns)
        .get_result::<ProgramRow>(conn)?;
    audit::record(
        conn,
        actor,
        "create",
        "program",
        &id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Writes a change to a program if `expected` is still its version.
fn write(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: &ProgramRow,
    expected: IfMatch,
    apply: impl FnOnce(&mut DbConnection, &str, i32) -> QueryResult<Option<ProgramRow>>,
) -> Result<ProgramRow, DbError> {
    check_version(&expected, before.version)?;
    let row = apply(conn, &before.id, before.version)?.ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        action,
        "program",
        &before.id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn update_fields(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ProgramRow,
    expected: IfMatch,
    fields: &ProgramFields,
) -> Result<ProgramRow, DbError> {
    write(conn, actor, "update", before, expected, |c, id, v| {
        diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(v)))
            .set((fields, p::version.eq(v + 1), p::updated_at.eq(now())))
            .returning(p::all_columns)
            .get_result::<ProgramRow>(c)
            .optional()
    })
}

/// Moves a program to `status` (a lifecycle action), with an optional note.
pub fn set_status(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: &ProgramRow,
    expected: IfMatch,
    status: ProgramStatus,
    note: Option<&str>,
) -> Result<ProgramRow, DbError> {
    let row = write(conn, actor, action, before, expected, |c, id, v| {
        diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(v)))
            .set((
                p::status.eq(status),
                p::status_note.eq(note.map(str::to_string).or(before.status_note.clone())),
                p::version.eq(v + 1),
                p::updated_at.eq(now()),
            ))
            .returning(p::all_columns)
            .get_result::<ProgramRow>(c)
            .optional()
    })?;
    if status.is_terminal() && !matches!(status, ProgramStatus::Completed) {
        // A program that will not happen no longer holds its households.
        diesel::update(pt::table.filter(pt::program_id.eq(&row.id)))
            .set(pt::active.eq(false))
            .execute(conn)?;
    }
    Ok(row)
}

/// Which party signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Company,
    Opd,
}

pub fn sign(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ProgramRow,
    expected: IfMatch,
    party: Party,
    agreement_number: &str,
    signed_on: NaiveDate,
) -> Result<ProgramRow, DbError> {
    write(conn, actor, "sign", before, expected, |c, id, v| {
        let q = diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(v)));
        let common = (
            p::agreement_number.eq(Some(agreement_number)),
            p::version.eq(v + 1),
            p::updated_at.eq(now()),
        );
        match party {
            Party::Company => q
                .set((
                    common,
                    p::signed_by_company_on.eq(Some(signed_on)),
                    p::signed_by_company.eq(Some(&actor.name)),
                ))
                .returning(p::all_columns)
                .get_result::<ProgramRow>(c)
                .optional(),
            Party::Opd => q
                .set((
                    common,
                    p::signed_by_opd_on.eq(Some(signed_on)),
                    p::signed_by_opd.eq(Some(&actor.name)),
                ))
                .returning(p::all_columns)
                .get_result::<ProgramRow>(c)
                .optional(),
        }
    })
}

pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &ProgramRow,
    expected: IfMatch,
) -> Result<(), DbError> {
    check_version(&expected, before.version)?;
    diesel::delete(pt::table.filter(pt::program_id.eq(&before.id))).execute(conn)?;
    diesel::delete(p::table.filter(p::id.eq(&before.id))).execute(conn)?;
    audit::record(
        conn,
        actor,
        "delete",
        "program",
        &before.id,
        Some(&before.audit_value()),
        None,
    )?;
    Ok(())
}

/// What the lifecycle's preconditions look at.
pub fn facts(
    conn: &mut DbConnection,
    program: &ProgramRow,
    note_given: bool,
) -> Result<ProgramFacts, DbError> {
    let statuses: Vec<TargetStatus> = pt::table
        .filter(pt::program_id.eq(&program.id))
        .select(pt::status)
        .load(conn)?;
    let count =
        |pred: &dyn Fn(TargetStatus) -> bool| statuses.iter().filter(|s| pred(**s)).count() as u32;
    Ok(ProgramFacts {
        funding: program.funding,
        has_lead_opd: program.opd_code.is_some(),
        targets_total: statuses.len() as u32,
        targets_with_result: count(&|s| s.has_result()),
        eligible_targets: count(&|s| matches!(s, TargetStatus::Eligible | TargetStatus::Served)),
        company_signed: program.signed_by_company_on.is_some(),
        opd_signed: program.signed_by_opd_on.is_some(),
        served_targets: count(&|s| s == TargetStatus::Served),
        note_given,
    })
}

/// Target counts per program, for lists.
pub fn target_counts(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, i64>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(pt::table
        .filter(pt::program_id.eq_any(ids))
        .group_by(pt::program_id)
        .select((pt::program_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}
