//! What moved in a family: the fields whose values differ between two of its
//! records (as their flat JSON forms), for the household's history. Pure.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// One field that moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"field": "desil", "from": 1, "to": 3}))]
pub struct FieldChange {
    /// The field's name in the household (or `members[NIK].field`, `members`
    /// for a member who joined or left).
    pub field: String,
    /// The value before; `null` when it had none.
    pub from: Value,
    /// The value after; `null` when it has none.
    pub to: Value,
}

/// The fields of `after` whose values differ from `before`, in `after`'s key
/// order, then those only `before` has. A key missing on one side reads as
/// `null`, so a field that appears for the first time is a change from null.
/// `prefix` names the record (`members[…].`) or is empty.
pub fn changes(before: &Value, after: &Value, prefix: &str) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let moved = |k: &String, from: &Value, to: &Value| FieldChange {
        field: format!("{prefix}{k}"),
        from: from.clone(),
        to: to.clone(),
    };
    let mut out: Vec<FieldChange> = a
        .iter()
        .filter_map(|(k, to)| {
            let from = b.get(k).unwrap_or(&Value::Null);
            (from != to).then(|| moved(k, from, to))
        })
        .collect();
    out.extend(
        b.iter()
            .filter(|(k, from)| !a.contains_key(*k) && !from.is_null())
            .map(|(k, from)| moved(k, from, &Value::Null)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_what_moved_with_both_values() {
        let before = json!({"desil": 1, "address": "Jl. A", "flags": [], "gone": "x"});
        let after = json!({"desil": 3, "address": "Jl. A", "flags": ["kk_invalid"], "new": 2});
        let c = changes(&before, &after, "");
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["desil", "flags", "new", "gone"]);
        assert_eq!((c[0].from.clone(), c[0].to.clone()), (json!(1), json!(3)));
        assert_eq!(c[2].from, Value::Null);
        assert_eq!(c[3].to, Value::Null);
    }

    #[test]
    fn the_same_record_moved_nothing_and_prefixes_name_the_member() {
        let v = json!({"name": "A", "in_school": true});
        assert!(changes(&v, &v, "").is_empty());
        let c = changes(&v, &json!({"name": "A", "in_school": false}), "members[1].");
        assert_eq!(c[0].field, "members[1].in_school");
    }
}
