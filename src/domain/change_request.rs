//! Change requests to the registry (issue 14, DESIGN §6.4): what the field
//! saw (a family moved, a member died, joined or left, a value is wrong, a
//! KK split), filed by an operator, verifier, opd or Bappeda and decided by
//! Bappeda or Dinsos. This module owns the typed payload of each change
//! type, which fields a change touches (the `conflicts[]` of a request), and
//! the lifecycle: who may do what from which status ([`decide`]).
//!
//! Applying an approved payload is `service::change_requests`, through the
//! registry's own write functions (`db::households`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::household::{HouseholdInput, MemberInput};
use crate::domain::role::{wire_enum, Role};

/// The agency whose `opd` accounts decide change requests: the social
/// affairs agency (Dinas Sosial), which keeps the regency's DTKS/DTSEN
/// updates. Stored as every opd code is, in capitals (`users.opd_code`;
/// the demo `opd` account has it).
pub const DINSOS: &str = "DINSOS";

/// Longest reason and decision note, characters.
pub const MAX_REASON: usize = 2000;
/// Most members one KK split moves.
pub const MAX_SPLIT_MEMBERS: usize = 50;

wire_enum! {
    /// What a change request changes.
    pub enum ChangeType: "change type" {
        /// The family moved: to another desa of Kukar (`region_code`), or away.
        Moved = "moved",
        /// A member died (or the family's only person, without `member_id`).
        Deceased = "deceased",
        /// A person joined the family.
        MemberAdded = "member_added",
        /// A member left the family (married out, moved alone).
        MemberLeft = "member_left",
        /// Values of the family are wrong.
        Correction = "correction",
        /// Some members got a KK of their own: a new family.
        KkSplit = "kk_split",
    }
}

wire_enum! {
    /// Where a change request is in its flow.
    pub enum ChangeStatus: "change request status" {
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

wire_enum! {
    /// A decision on a submitted change request.
    pub enum Decision: "change request decision" {
        Approve = "approve",
        Reject = "reject",
    }
}

/// `moved`: with `region_code`, the family now lives in that desa of Kukar
/// (and `address`); without it, it left Kukar and its status becomes
/// `moved`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"region_code": "64.02.06.1002", "address": "Jl. Loa Ipuh RT 03", "moved_on": "2026-11-02"}))]
pub struct MovedPayload {
    /// The desa/kelurahan it moved to; absent when it left Kukar.
    #[schema(pattern = "^[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{4}$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// The new address.
    #[schema(max_length = 500)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_on: Option<NaiveDate>,
}

/// `deceased`: the member who died leaves the family; without `member_id`
/// (or when it was the last member) the family's status becomes `deceased`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"member_id": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "died_on": "2026-10-20"}))]
pub struct DeceasedPayload {
    #[schema(format = Uuid)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub died_on: Option<NaiveDate>,
}

/// `member_left`: the member leaves the family.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"member_id": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "left_on": "2026-10-01"}))]
pub struct MemberLeftPayload {
    #[schema(format = Uuid)]
    pub member_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_on: Option<NaiveDate>,
}

/// `kk_split`: these members leave for a new family under a new No. KK
/// (in the same desa unless `region_code` says otherwise); the first of
/// them heads it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"member_ids": ["9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"], "kk_number": "6402061203260001"}))]
pub struct KkSplitPayload {
    /// The members going to the new KK, its head first; not all of them.
    #[schema(min_items = 1, max_items = 50)]
    pub member_ids: Vec<String>,
    /// The new No. KK: 16 digits.
    #[schema(pattern = "^[0-9]{16}$")]
    pub kk_number: String,
    #[schema(max_length = 500)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[schema(pattern = "^[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{4}$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
}

/// A change with its typed new values: stored as its type and its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum ChangePayload {
    Moved(MovedPayload),
    Deceased(DeceasedPayload),
    /// The member, as `POST /households/{id}/members` takes it.
    MemberAdded(MemberInput),
    MemberLeft(MemberLeftPayload),
    /// The household's fields, as `PATCH /households/{id}` takes them
    /// (but `status`, which moves with `moved` and `deceased`).
    Correction(Box<HouseholdInput>),
    KkSplit(KkSplitPayload),
}

/// A payload that cannot be a change of its type, whatever the household.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payload.{field}: {message}")]
pub struct PayloadError {
    pub field: &'static str,
    pub message: String,
}

fn refuse<T>(field: &'static str, message: impl Into<String>) -> Result<T, PayloadError> {
    Err(PayloadError {
        field,
        message: message.into(),
    })
}

impl ChangePayload {
    pub fn change_type(&self) -> ChangeType {
        match self {
            ChangePayload::Moved(_) => ChangeType::Moved,
            ChangePayload::Deceased(_) => ChangeType::Deceased,
            ChangePayload::MemberAdded(_) => ChangeType::MemberAdded,
            ChangePayload::MemberLeft(_) => ChangeType::MemberLeft,
            ChangePayload::Correction(_) => ChangeType::Correction,
            ChangePayload::KkSplit(_) => ChangeType::KkSplit,
        }
    }

    /// The payload as stored and shown: its JSON without absent values.
    pub fn payload_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        let payload = v
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        without_nulls(payload)
    }

    /// Reads a stored change back from its type and payload.
    pub fn from_parts(
        change_type: ChangeType,
        payload: serde_json::Value,
    ) -> Result<ChangePayload, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"type": change_type, "payload": payload}))
    }

    /// What no household can make right: the shape rules of each type (the
    /// field values themselves are checked against the household by the
    /// registry's own validation when filed and when approved).
    pub fn check(&self) -> Result<(), PayloadError> {
        let text = |field, v: &Option<String>, max: usize| match v {
            Some(t) if t.trim().is_empty() => refuse(field, "must not be empty"),
            Some(t) if t.chars().count() > max => {
                refuse(field, format!("must have at most {max} characters"))
            }
            _ => Ok(()),
        };
        match self {
            ChangePayload::Moved(m) => text("address", &m.address, 500),
            ChangePayload::Deceased(_) | ChangePayload::MemberLeft(_) => Ok(()),
            ChangePayload::MemberAdded(m) => match &m.name {
                Some(_) => Ok(()),
                None => refuse("name", "a member to add needs a name"),
            },
            ChangePayload::Correction(h) => {
                if h.status.is_some() {
                    return refuse(
                        "status",
                        "a correction does not change the status; file `moved` or `deceased`",
                    );
                }
                if correction_fields(h).is_empty() {
                    return refuse("payload", "a correction names at least one field");
                }
                Ok(())
            }
            ChangePayload::KkSplit(k) => {
                if k.member_ids.is_empty() || k.member_ids.len() > MAX_SPLIT_MEMBERS {
                    return refuse(
                        "member_ids",
                        format!("must name 1–{MAX_SPLIT_MEMBERS} members"),
                    );
                }
                let distinct: BTreeSet<&String> = k.member_ids.iter().collect();
                if distinct.len() != k.member_ids.len() {
                    return refuse("member_ids", "names a member twice");
                }
                if k.kk_number.len() != 16 || !k.kk_number.chars().all(|c| c.is_ascii_digit()) {
                    return refuse("kk_number", "must be 16 digits");
                }
                text("address", &k.address, 500)
            }
        }
    }

    /// The fields of the household this change touches, as `conflicts[]`
    /// compares them: `members.<id>` for one member, `members.new` for one
    /// joining, household fields by name (nested ones dotted).
    pub fn fields(&self) -> BTreeSet<String> {
        let member = |id: &str| format!("members.{id}");
        match self {
            ChangePayload::Moved(_) => ["region_code", "address", "status"]
                .map(String::from)
                .into(),
            ChangePayload::Deceased(d) => match &d.member_id {
                Some(id) => [member(id)].into(),
                None => ["status".to_string()].into(),
            },
            ChangePayload::MemberAdded(_) => ["members.new".to_string()].into(),
            ChangePayload::MemberLeft(m) => [member(&m.member_id)].into(),
            ChangePayload::Correction(h) => correction_fields(h),
            ChangePayload::KkSplit(k) => k.member_ids.iter().map(|id| member(id)).collect(),
        }
    }

    /// The member the change is about, when it names one already in the family.
    pub fn member_id(&self) -> Option<&str> {
        match self {
            ChangePayload::Deceased(d) => d.member_id.as_deref(),
            ChangePayload::MemberLeft(m) => Some(&m.member_id),
            ChangePayload::KkSplit(k) => k.member_ids.first().map(String::as_str),
            _ => None,
        }
    }
}

/// The household fields a correction gives, nested ones dotted.
fn correction_fields(h: &HouseholdInput) -> BTreeSet<String> {
    let v = without_nulls(serde_json::to_value(h).unwrap_or_default());
    let mut out = BTreeSet::new();
    if let Some(o) = v.as_object() {
        for (k, v) in o {
            match v.as_object() {
                Some(inner) => out.extend(inner.keys().map(|i| format!("{k}.{i}"))),
                None => {
                    out.insert(k.clone());
                }
            }
        }
    }
    out
}

/// A JSON value without its null members (recursively), so a stored payload
/// says only what it changes.
fn without_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => serde_json::Value::Object(
            o.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .filter(|(_, v)| !v.as_object().is_some_and(|o| o.is_empty()))
                .collect(),
        ),
        other => other,
    }
}

/// An open request that touches the same fields of the same household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Conflict {
    /// The other request.
    #[schema(format = Uuid)]
    pub id: String,
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    /// The fields both touch.
    pub fields: Vec<String>,
}

/// The conflicts of `own` (id and payload) among `open`, the household's
/// submitted requests: each other one sharing a field.
pub fn conflicts(own: (&str, &ChangePayload), open: &[(String, ChangePayload)]) -> Vec<Conflict> {
    let mine = own.1.fields();
    open.iter()
        .filter(|(id, _)| id != own.0)
        .filter_map(|(id, p)| {
            let shared: Vec<String> = p.fields().intersection(&mine).cloned().collect();
            (!shared.is_empty()).then(|| Conflict {
                id: id.clone(),
                change_type: p.change_type(),
                fields: shared,
            })
        })
        .collect()
}

/// A step of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeAction {
    Submit,
    Approve,
    Reject,
    Withdraw,
}

impl ChangeAction {
    /// The audit action's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Submit => "submit",
            ChangeAction::Approve => "approve",
            ChangeAction::Reject => "reject",
            ChangeAction::Withdraw => "withdraw",
        }
    }
}

impl From<Decision> for ChangeAction {
    fn from(d: Decision) -> ChangeAction {
        match d {
            Decision::Approve => ChangeAction::Approve,
            Decision::Reject => ChangeAction::Reject,
        }
    }
}

/// Who acts: the role, the agency of an opd, whether it filed the request.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub role: Role,
    pub opd_code: Option<&'a str>,
    pub is_submitter: bool,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// 403: the role (or agency) may not take this step.
    #[error("{role} may not {action} a change request{why}")]
    RoleNotAllowed {
        role: Role,
        action: &'static str,
        why: &'static str,
    },
    /// 403: only the submitter withdraws its request.
    #[error("only the account that filed a change request may withdraw it")]
    NotSubmitter,
    /// 409: the request is no longer `submitted`.
    #[error("the change request is {status}; only a submitted request may be {done}")]
    Closed {
        status: ChangeStatus,
        done: &'static str,
    },
}

/// Roles that file change requests.
pub const FILERS: [Role; 5] = [
    Role::Admin,
    Role::Bappeda,
    Role::Opd,
    Role::Verifier,
    Role::Operator,
];

/// Whether this caller decides change requests: Bappeda, admin, or an opd
/// account of Dinsos.
pub fn may_decide(role: Role, opd_code: Option<&str>) -> bool {
    match role {
        Role::Admin | Role::Bappeda => true,
        Role::Opd => opd_code == Some(DINSOS),
        _ => false,
    }
}

/// The status a step leads to from `status` (`None`: not filed yet), or why
/// it is refused. The one table of the flow:
///
/// | action   | from        | who                          | to        |
/// |----------|-------------|------------------------------|-----------|
/// | submit   | —           | admin, bappeda, opd, verifier, operator | submitted |
/// | approve  | submitted   | admin, bappeda, opd DINSOS   | approved  |
/// | reject   | submitted   | admin, bappeda, opd DINSOS   | rejected  |
/// | withdraw | submitted   | its submitter                | withdrawn |
///
/// A step on a closed request is refused as closed (409) before who asks
/// is weighed for a withdrawal.
pub fn decide(
    status: Option<ChangeStatus>,
    action: ChangeAction,
    who: Acting<'_>,
) -> Result<ChangeStatus, ChangeError> {
    let not_role = |why| ChangeError::RoleNotAllowed {
        role: who.role,
        action: action.as_str(),
        why,
    };
    match action {
        ChangeAction::Submit => {
            if !FILERS.contains(&who.role) {
                return Err(not_role(""));
            }
            match status {
                None => Ok(ChangeStatus::Submitted),
                Some(s) => Err(ChangeError::Closed {
                    status: s,
                    done: "filed",
                }),
            }
        }
        ChangeAction::Approve | ChangeAction::Reject => {
            if !may_decide(who.role, who.opd_code) {
                return Err(not_role(if who.role == Role::Opd {
                    "; of the agencies only Dinsos (DINSOS) decides"
                } else {
                    ""
                }));
            }
            match status {
                Some(ChangeStatus::Submitted) => Ok(if action == ChangeAction::Approve {
                    ChangeStatus::Approved
                } else {
                    ChangeStatus::Rejected
                }),
                Some(s) => Err(ChangeError::Closed {
                    status: s,
                    done: "decided",
                }),
                None => Err(ChangeError::Closed {
                    status: ChangeStatus::Submitted,
                    done: "decided",
                }),
            }
        }
        // A closed request is closed for everyone; an open one is its
        // submitter's to withdraw.
        ChangeAction::Withdraw => match status {
            Some(ChangeStatus::Submitted) if who.is_submitter => Ok(ChangeStatus::Withdrawn),
            Some(ChangeStatus::Submitted) | None => Err(ChangeError::NotSubmitter),
            Some(s) => Err(ChangeError::Closed {
                status: s,
                done: "withdrawn",
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, opd: Option<&str>, mine: bool) -> Acting<'_> {
        Acting {
            role,
            opd_code: opd,
            is_submitter: mine,
        }
    }

    #[test]
    fn field_roles_file_and_nobody_else() {
        for role in Role::ALL {
            let got = decide(None, ChangeAction::Submit, who(role, None, true));
            assert_eq!(got.is_ok(), FILERS.contains(&role), "{role}");
        }
        assert_eq!(
            decide(None, ChangeAction::Submit, who(Role::Operator, None, true)),
            Ok(ChangeStatus::Submitted)
        );
    }

    #[test]
    fn bappeda_admin_and_dinsos_decide_a_submitted_request_once() {
        let s = Some(ChangeStatus::Submitted);
        for (role, opd) in [
            (Role::Bappeda, None),
            (Role::Admin, None),
            (Role::Opd, Some(DINSOS)),
        ] {
            assert_eq!(
                decide(s, ChangeAction::Approve, who(role, opd, false)),
                Ok(ChangeStatus::Approved)
            );
            assert_eq!(
                decide(s, ChangeAction::Reject, who(role, opd, false)),
                Ok(ChangeStatus::Rejected)
            );
        }
        for (role, opd) in [
            (Role::Opd, Some("PERKIM")),
            (Role::Operator, None),
            (Role::Verifier, None),
        ] {
            assert!(matches!(
                decide(s, ChangeAction::Approve, who(role, opd, false)),
                Err(ChangeError::RoleNotAllowed { .. })
            ));
        }
        for done in [
            ChangeStatus::Approved,
            ChangeStatus::Rejected,
            ChangeStatus::Withdrawn,
        ] {
            assert!(matches!(
                decide(
                    Some(done),
                    ChangeAction::Approve,
                    who(Role::Bappeda, None, false)
                ),
                Err(ChangeError::Closed { .. })
            ));
        }
    }

    #[test]
    fn only_the_submitter_withdraws_and_only_while_submitted() {
        let s = Some(ChangeStatus::Submitted);
        assert_eq!(
            decide(s, ChangeAction::Withdraw, who(Role::Operator, None, true)),
            Ok(ChangeStatus::Withdrawn)
        );
        assert_eq!(
            decide(s, ChangeAction::Withdraw, who(Role::Admin, None, false)),
            Err(ChangeError::NotSubmitter)
        );
        assert!(matches!(
            decide(
                Some(ChangeStatus::Approved),
                ChangeAction::Withdraw,
                who(Role::Operator, None, true)
            ),
            Err(ChangeError::Closed { .. })
        ));
    }

    #[test]
    fn conflicts_are_other_open_requests_sharing_a_field() {
        let moved = ChangePayload::Moved(MovedPayload::default());
        let address = ChangePayload::Correction(Box::new(HouseholdInput {
            address: Some("Jl. B".into()),
            ..HouseholdInput::default()
        }));
        let desil = ChangePayload::Correction(Box::new(HouseholdInput {
            desil: Some(3),
            ..HouseholdInput::default()
        }));
        let open = vec![
            ("a".to_string(), moved.clone()),
            ("b".to_string(), address.clone()),
            ("c".to_string(), desil),
        ];
        let got = conflicts(("a", &moved), &open);
        assert_eq!(
            got,
            vec![Conflict {
                id: "b".into(),
                change_type: ChangeType::Correction,
                fields: vec!["address".into()]
            }]
        );
        let left = ChangePayload::MemberLeft(MemberLeftPayload {
            member_id: "m1".into(),
            left_on: None,
        });
        let died = ChangePayload::Deceased(DeceasedPayload {
            member_id: Some("m1".into()),
            died_on: None,
        });
        let got = conflicts(("x", &left), &[("y".into(), died)]);
        assert_eq!(got[0].fields, vec!["members.m1".to_string()]);
    }

    #[test]
    fn a_payload_round_trips_through_its_stored_parts_without_nulls() {
        let p = ChangePayload::Correction(Box::new(HouseholdInput {
            address: Some("Jl. B".into()),
            housing: Some(crate::domain::household::HousingInput {
                roof_quality: Some("poor".into()),
                ..Default::default()
            }),
            ..HouseholdInput::default()
        }));
        let json = p.payload_json();
        assert_eq!(
            json,
            serde_json::json!({"address": "Jl. B", "housing": {"roof_quality": "poor"}})
        );
        assert_eq!(
            ChangePayload::from_parts(ChangeType::Correction, json).unwrap(),
            p
        );
        assert_eq!(
            p.fields(),
            ["address", "housing.roof_quality"].map(String::from).into()
        );
    }

    #[test]
    fn shapes_no_household_can_fix_are_refused() {
        let status = ChangePayload::Correction(Box::new(HouseholdInput {
            status: Some(crate::domain::household::HouseholdStatus::Moved),
            ..HouseholdInput::default()
        }));
        assert_eq!(status.check().unwrap_err().field, "status");
        let empty = ChangePayload::Correction(Box::default());
        assert!(empty.check().is_err());
        let split = |ids: &[&str], kk: &str| {
            ChangePayload::KkSplit(KkSplitPayload {
                member_ids: ids.iter().map(|s| s.to_string()).collect(),
                kk_number: kk.into(),
                address: None,
                region_code: None,
            })
        };
        assert!(split(&["a"], "6402061203260001").check().is_ok());
        assert_eq!(
            split(&["a", "a"], "6402061203260001")
                .check()
                .unwrap_err()
                .field,
            "member_ids"
        );
        assert_eq!(split(&["a"], "123").check().unwrap_err().field, "kk_number");
        let nameless = ChangePayload::MemberAdded(MemberInput::default());
        assert_eq!(nameless.check().unwrap_err().field, "name");
    }
}
