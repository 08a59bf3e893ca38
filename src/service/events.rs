//! The events the use cases emit (docs/EVENTS.md): one function per kind
//! of change, called inside the transaction of the change, so the event and
//! the change land together or not at all. Payloads carry ids, states and
//! dates — nothing personal, so no reader needs them masked.

use serde_json::json;

use crate::db::change_requests::ChangeRequestRow;
use crate::db::deliveries::DeliveryRow;
use crate::db::events::emit;
use crate::db::exemption_letters::LetterRow;
use crate::db::programs::ProgramRow;
use crate::db::targets::TargetRow;
use crate::db::verifications::VerificationRow;
use crate::db::{DbConnection, DbError};
use crate::domain::event::{EventType, NewEvent};
use crate::domain::household::ImportStatus;
use crate::domain::program::{ProgramStatus, TargetStatus, VerificationResult};

/// An event about a program: its company and lead agency hear of it.
fn about_program(event_type: EventType, program: &ProgramRow, data: serde_json::Value) -> NewEvent {
    NewEvent {
        event_type,
        company_id: program.company_id.clone(),
        opd_code: program.opd_code.clone(),
        data,
    }
}

/// `program.status_changed`, when `from` is not the program's status now.
pub fn program_moved(
    conn: &mut DbConnection,
    from: ProgramStatus,
    program: &ProgramRow,
) -> Result<(), DbError> {
    if from == program.status {
        return Ok(());
    }
    let data = json!({
        "program_id": program.id, "company_id": program.company_id, "cycle_year": program.cycle_year,
        "from": from, "to": program.status, "version": program.version,
    });
    emit(
        conn,
        about_program(EventType::ProgramStatusChanged, program, data),
    )?;
    Ok(())
}

/// `program.signed`, when the second party's signature completes the
/// agreement (`before`: the program as it was).
pub fn program_signed(
    conn: &mut DbConnection,
    before: &ProgramRow,
    program: &ProgramRow,
) -> Result<(), DbError> {
    if before.fully_signed() || !program.fully_signed() {
        return Ok(());
    }
    let data = json!({
        "program_id": program.id, "company_id": program.company_id, "funding": program.funding,
        "cycle_year": program.cycle_year, "agreement_number": program.agreement_number,
        "signed_by_company_on": program.signed_by_company_on, "signed_by_opd_on": program.signed_by_opd_on,
    });
    emit(conn, about_program(EventType::ProgramSigned, program, data))?;
    Ok(())
}

/// `target.verified` for a recorded visit; `household.flagged` (for the
/// regency only) when the visit found the family moved or its head deceased.
pub fn target_verified(
    conn: &mut DbConnection,
    program: &ProgramRow,
    visit: &VerificationRow,
    target_status: TargetStatus,
) -> Result<(), DbError> {
    let data = json!({
        "program_id": program.id, "target_id": visit.target_id, "verification_id": visit.id,
        "visited_on": visit.visited_on, "result": visit.result, "target_status": target_status,
    });
    emit(
        conn,
        about_program(EventType::TargetVerified, program, data),
    )?;
    if visit.result.flags_household_update() {
        let flag = match visit.result {
            VerificationResult::Deceased => "deceased",
            _ => "moved",
        };
        let data = json!({
            "household_id": visit.household_id, "flag": flag, "verification_id": visit.id,
        });
        emit(
            conn,
            NewEvent {
                event_type: EventType::HouseholdFlagged,
                company_id: None,
                opd_code: None,
                data,
            },
        )?;
    }
    Ok(())
}

/// `delivery.confirmed`: what reached the target, worth how much.
pub fn delivery_confirmed(
    conn: &mut DbConnection,
    program: &ProgramRow,
    delivery: &DeliveryRow,
) -> Result<(), DbError> {
    let data = json!({
        "program_id": program.id, "target_id": delivery.target_id, "delivery_id": delivery.id,
        "delivered_on": delivery.delivered_on, "value": delivery.value,
        "confirmed_on": delivery.confirmed_on,
    });
    emit(
        conn,
        about_program(EventType::DeliveryConfirmed, program, data),
    )?;
    Ok(())
}

/// `target.served`, when a target is served for the first time.
pub fn target_served(
    conn: &mut DbConnection,
    program: &ProgramRow,
    target: &TargetRow,
) -> Result<(), DbError> {
    let data = json!({
        "program_id": program.id, "target_id": target.id, "realized_value": target.realized_value,
    });
    emit(conn, about_program(EventType::TargetServed, program, data))?;
    Ok(())
}

/// `exemption_letter.decided`, when a letter reaches the Bupati's decision.
pub fn letter_decided(conn: &mut DbConnection, letter: &LetterRow) -> Result<(), DbError> {
    let data = json!({
        "letter_id": letter.id, "company_id": letter.company_id, "cycle_year": letter.cycle_year,
        "status": letter.status, "decided_at": letter.decided_at,
    });
    emit(
        conn,
        NewEvent {
            event_type: EventType::ExemptionLetterDecided,
            company_id: Some(letter.company_id.clone()),
            opd_code: None,
            data,
        },
    )?;
    Ok(())
}

/// `change_request.decided` (for the regency only: the request is about a
/// family's registry entry, no company's program).
pub fn change_request_decided(
    conn: &mut DbConnection,
    request: &ChangeRequestRow,
) -> Result<(), DbError> {
    let data = json!({
        "change_request_id": request.id, "household_id": request.household_id,
        "type": request.change_type, "status": request.status, "decided_at": request.decided_at,
    });
    emit(
        conn,
        NewEvent {
            event_type: EventType::ChangeRequestDecided,
            company_id: None,
            opd_code: None,
            data,
        },
    )?;
    Ok(())
}

/// `import.finished` (for the regency only), when an import is done or failed.
pub fn import_finished(
    conn: &mut DbConnection,
    import_id: &str,
    status: ImportStatus,
    counts: serde_json::Value,
) -> Result<(), DbError> {
    let data = json!({"import_id": import_id, "status": status, "counts": counts});
    emit(
        conn,
        NewEvent {
            event_type: EventType::ImportFinished,
            company_id: None,
            opd_code: None,
            data,
        },
    )?;
    Ok(())
}
