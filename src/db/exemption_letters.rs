//! Exemption letters: a company's written reason for not taking part in a
//! cycle, its review by Bappeda, the Bupati's decision, and the scanned
//! letter (stored in the database so instances stay stateless).

use crate::db::IfMatch;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Actor};
use super::schema::exemption_letters as el;
use super::DbError;
use super::{check_version, companies, cycles, new_id, now, DbConnection};
use crate::domain::compliance::{ExemptionStatus, ReasonCategory, ReviewRecommendation};

/// The columns of a [`LetterRow`]: every column but the document itself, so
/// lists and reads never load the bytes.
type Columns = (
    el::id,
    el::company_id,
    el::cycle_year,
    el::letter_number,
    el::letter_date,
    el::reason_category,
    el::reason,
    el::status,
    el::review_recommendation,
    el::review_note,
    el::reviewed_by,
    el::reviewed_at,
    el::decision_note,
    el::decided_by,
    el::decided_at,
    el::document_size,
    el::document_uploaded_at,
    el::version,
    el::created_at,
    el::updated_at,
);

const COLUMNS: Columns = (
    el::id,
    el::company_id,
    el::cycle_year,
    el::letter_number,
    el::letter_date,
    el::reason_category,
    el::reason,
    el::status,
    el::review_recommendation,
    el::review_note,
    el::reviewed_by,
    el::reviewed_at,
    el::decision_note,
    el::decided_by,
    el::decided_at,
    el::document_size,
    el::document_uploaded_at,
    el::version,
    el::created_at,
    el::updated_at,
);

/// The statuses of a letter that still counts: one per company and cycle.
pub const ACTIVE: [ExemptionStatus; 3] = [
    ExemptionStatus::Submitted,
    ExemptionStatus::Reviewed,
    ExemptionStatus::Accepted,
];

#[derive(Debug, Clone, Queryable)]
pub struct LetterRow {
    pub id: String,
    pub company_id: String,
    pub cycle_year: i32,
    pub letter_number: String,
    pub letter_date: NaiveDate,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub status: ExemptionStatus,
    pub review_recommendation: Option<ReviewRecommendation>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub document_size: Option<i32>,
    pub document_uploaded_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl LetterRow {
    fn audit_value(&self) -> serde_json::Value {
        json!({
            "id": self.id, "company_id": self.company_id, "cycle_year": self.cycle_year,
            "letter_number": self.letter_number, "letter_date": self.letter_date,
            "reason_category": self.reason_category, "reason": self.reason,
            "status": self.status, "review_recommendation": self.review_recommendation,
            "review_note": self.review_note, "decision_note": self.decision_note,
            "document_size": self.document_size,
        })
    }
}

/// A validated letter to file.
pub struct NewLetter {
    pub company_id: String,
    pub cycle_year: i32,
    pub letter_number: String,
    pub letter_date: NaiveDate,
    pub reason_category: ReasonCategory,
    pub reason: String,
}

/// The status fields a step of the flow sets.
pub enum Step {
    /// Bappeda's review: the recommendation and its note.
    Review {
        recommendation: ReviewRecommendation,
        note: String,
    },
    /// The Bupati's decision (`accepted` or `rejected`) and its note.
    Decide { note: Option<String> },
    /// The company takes the letter back.
    Withdraw,
}

/// 409 `exemption_letter_exists`, naming the active letter when it is known.
fn letter_exists(existing: Option<&str>) -> DbError {
    let detail = "the company already has an active exemption letter for this cycle; \
                  withdraw it first";
    match existing {
        Some(id) => DbError::conflict_with(
            "exemption_letter_exists",
            detail,
            json!({ "existing_letter_id": id }),
        ),
        None => DbError::conflict("exemption_letter_exists", detail),
    }
}

/// The active letter of a company in a cycle, if any.
pub fn active_for(
    conn: &mut DbConnection,
    company_id: &str,
    cycle_year: i32,
) -> Result<Option<LetterRow>, DbError> {
    Ok(el::table
        .select(COLUMNS)
        .filter(el::company_id.eq(company_id))
        .filter(el::cycle_year.eq(cycle_year))
        .filter(el::status.eq_any(ACTIVE))
        .first::<LetterRow>(conn)
        .optional()?)
}

/// Files a letter as `submitted`. 422 when the company or the cycle does not
/// exist; 409 `exemption_letter_exists` when the company has an active letter
/// for the cycle (checked here, and by a partial unique index against races).
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: NewLetter,
) -> Result<LetterRow, DbError> {
    if !companies::exists(conn, &new.company_id)? {
        return Err(DbError::invalid_field(
            "company_id",
            format!("no company has id `{}`", new.company_id),
        ));
    }
    if cycles::get(conn, new.cycle_year).is_err() {
        return Err(DbError::invalid_field(
            "cycle_year",
            format!("there is no cycle {}", new.cycle_year),
        ));
    }
    if let Some(existing) = active_for(conn, &new.company_id, new.cycle_year)? {
        return Err(letter_exists(Some(&existing.id)));
    }
    let t = now();
    let id = new_id();
    let row = diesel::insert_into(el::table)
        .values((
            el::id.eq(&id),
            el::company_id.eq(&new.company_id),
            el::cycle_year.eq(new.cycle_year),
            el::letter_number.eq(&new.letter_number),
            el::letter_date.eq(new.letter_date),
            el::reason_category.eq(new.reason_category),
            el::reason.eq(&new.reason),
            el::status.eq(ExemptionStatus::Submitted),
            el::version.eq(1),
            el::created_at.eq(t),
            el::updated_at.eq(t),
        ))
        .returning(COLUMNS)
        .get_result::<LetterRow>(conn)
        .map_err(|e| match DbError::from(e) {
            // Another request filed one between our check and our insert.
            e if e.is_collision() => letter_exists(None),
            other => other,
        })?;
    audit::record(
        conn,
        actor,
        "create",
        "exemption_letter",
        &row.id,
        None,
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<LetterRow, DbError> {
    Ok(el::table
        .select(COLUMNS)
        .filter(el::id.eq(id))
        .first::<LetterRow>(conn)?)
}

/// Filters of the letter list.
#[derive(Debug, Default, Clone)]
pub struct LetterFilter {
    pub cycle_year: Option<i32>,
    pub company_id: Option<String>,
    pub status: Option<ExemptionStatus>,
}

pub fn list(
    conn: &mut DbConnection,
    f: &LetterFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<LetterRow>, i64), DbError> {
    let filtered = || {
        let mut q = el::table.into_boxed();
        if let Some(v) = f.cycle_year {
            q = q.filter(el::cycle_year.eq(v));
        }
        if let Some(v) = &f.company_id {
            q = q.filter(el::company_id.eq(v.clone()));
        }
        if let Some(v) = &f.status {
            q = q.filter(el::status.eq(*v));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered()
        .select(COLUMNS)
        .order((el::cycle_year.desc(), el::created_at.desc(), el::id.asc()))
        .offset(offset)
        .limit(limit)
        .load::<LetterRow>(conn)?;
    Ok((rows, total))
}

/// Moves a letter to `to` (already decided by the flow rules) with the fields
/// of `step`, if `before` is still its version; audited as `action`.
pub fn apply_step(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &LetterRow,
    action: &str,
    to: ExemptionStatus,
    step: Step,
) -> Result<LetterRow, DbError> {
    let t = now();
    let (mut rec, mut review_note, mut reviewed_by, mut reviewed_at) = (
        before.review_recommendation,
        before.review_note.clone(),
        before.reviewed_by.clone(),
        before.reviewed_at,
    );
    let (mut decision_note, mut decided_by, mut decided_at) = (
        before.decision_note.clone(),
        before.decided_by.clone(),
        before.decided_at,
    );
    match step {
        Step::Review {
            recommendation,
            note,
        } => {
            rec = Some(recommendation);
            review_note = Some(note);
            reviewed_by = Some(actor.name.clone());
            reviewed_at = Some(t);
        }
        Step::Decide { note } => {
            decision_note = note;
            decided_by = Some(actor.name.clone());
            decided_at = Some(t);
        }
        Step::Withdraw => {}
    }
    let row = diesel::update(
        el::table
            .filter(el::id.eq(&before.id))
            .filter(el::version.eq(before.version)),
    )
    .set((
        el::status.eq(to),
        el::review_recommendation.eq(rec),
        el::review_note.eq(review_note),
        el::reviewed_by.eq(reviewed_by),
        el::reviewed_at.eq(reviewed_at),
        el::decision_note.eq(decision_note),
        el::decided_by.eq(decided_by),
        el::decided_at.eq(decided_at),
        el::version.eq(before.version + 1),
        el::updated_at.eq(t),
    ))
    .returning(COLUMNS)
    .get_result::<LetterRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    audit::record(
        conn,
        actor,
        action,
        "exemption_letter",
        &row.id,
        Some(&before.audit_value()),
        Some(&row.audit_value()),
    )?;
    Ok(row)
}

/// Stores (or replaces) the scanned letter, if `expected` is still the version.
pub fn put_document(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &LetterRow,
    expected: IfMatch,
    pdf: &[u8],
) -> Result<LetterRow, DbError> {
    check_version(&expected, before.version)?;
    let size = i32::try_from(pdf.len())
        .map_err(|_| DbError::internal("document size does not fit an INTEGER"))?;
    let t = now();
    let row = diesel::update(
        el::table
            .filter(el::id.eq(&before.id))
            .filter(el::version.eq(before.version)),
    )
    .set((
        el::document.eq(Some(pdf)),
        el::document_size.eq(Some(size)),
        el::document_uploaded_at.eq(Some(t)),
        el::version.eq(before.version + 1),
        el::updated_at.eq(t),
    ))
    .returning(COLUMNS)
    .get_result::<LetterRow>(conn)
    .optional()?
    .ok_or(DbError::Stale)?;
    let mut after = row.audit_value();
    after["document_sha256"] = json!(hex::encode(Sha256::digest(pdf)));
    audit::record(
        conn,
        actor,
        if before.document_size.is_some() {
            "replace_document"
        } else {
            "upload_document"
        },
        "exemption_letter",
        &row.id,
        Some(&before.audit_value()),
        Some(&after),
    )?;
    Ok(row)
}

/// The scanned letter's bytes, if one was uploaded.
pub fn document(conn: &mut DbConnection, id: &str) -> Result<Option<Vec<u8>>, DbError> {
    Ok(el::table
        .select(el::document)
        .filter(el::id.eq(id))
        .first::<Option<Vec<u8>>>(conn)?)
}
