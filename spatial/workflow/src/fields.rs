//! Checking the fields submitted with an action against the action's form.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::definition::{FieldDef, FieldType};
use super::engine::ActionError;

/// Unknown, missing or ill-typed fields are refused, naming the field. A `null`
/// counts as absent, and so does a blank string.
pub(super) fn check(defs: &[FieldDef], given: &Map<String, Value>) -> Result<(), ActionError> {
    if let Some(name) = given.keys().find(|k| !defs.iter().any(|f| &f.name == *k)) {
        return Err(ActionError::UnknownField {
            field: name.clone(),
            known: defs.iter().map(|f| f.name.clone()).collect(),
        });
    }
    for def in defs {
        match given.get(&def.name).filter(|v| !is_blank(v)) {
            None if def.required => {
                return Err(ActionError::MissingField {
                    field: def.name.clone(),
                });
            }
            None => {}
            Some(v) => check_value(def, v).map_err(|reason| ActionError::InvalidField {
                field: def.name.clone(),
                reason,
            })?,
        }
    }
    Ok(())
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn check_value(def: &FieldDef, v: &Value) -> Result<(), String> {
    let text = || {
        v.as_str()
            .ok_or_else(|| format!("expected a {:?} string", def.ty))
    };
    match def.ty {
        FieldType::String => {
            if text()?.contains('\n') {
                return Err("must be a single line".into());
            }
        }
        FieldType::Text => {
            text()?;
        }
        FieldType::Enum => {
            let s = text()?;
            if !def.values.iter().any(|x| x == s) {
                return Err(format!("`{s}` is not one of {}", def.values.join(", ")));
            }
        }
        FieldType::Date => {
            NaiveDate::parse_from_str(text()?, "%Y-%m-%d")
                .map_err(|e| format!("expected YYYY-MM-DD: {e}"))?;
        }
        FieldType::Datetime => {
            datetime(v)?;
        }
        FieldType::Number => {
            if !v.is_number() {
                return Err("expected a number".into());
            }
        }
        FieldType::Boolean => {
            if !v.is_boolean() {
                return Err("expected true or false".into());
            }
        }
    }
    Ok(())
}

/// An RFC 3339 timestamp with an offset, as an instant.
pub(super) fn datetime(v: &Value) -> Result<DateTime<Utc>, String> {
    let s = v.as_str().ok_or("expected an RFC 3339 string")?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected RFC 3339 with an offset: {e}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(name: &str, ty: FieldType, required: bool) -> FieldDef {
        FieldDef {
            name: name.into(),
            title: name.into(),
            ty,
            required,
            values: if ty == FieldType::Enum {
                vec!["a".into(), "b".into()]
            } else {
                vec![]
            },
        }
    }

    fn run(defs: &[FieldDef], v: Value) -> Result<(), ActionError> {
        check(defs, v.as_object().unwrap())
    }

    #[test]
    fn each_type_is_checked_and_named() {
        let cases = [
            (FieldType::String, json!("x\ny")),
            (FieldType::Text, json!(3)),
            (FieldType::Enum, json!("c")),
            (FieldType::Date, json!("2026-02-30")),
            (FieldType::Datetime, json!("2026-02-01 10:00")),
            (FieldType::Number, json!("3")),
            (FieldType::Boolean, json!("yes")),
        ];
        for (ty, bad) in cases {
            let defs = [field("f", ty, true)];
            let err = run(&defs, json!({ "f": bad })).unwrap_err();
            assert!(
                matches!(&err, ActionError::InvalidField { field, .. } if field == "f"),
                "{ty:?}: {err}"
            );
        }
        let good = [
            (FieldType::String, json!("x")),
            (FieldType::Text, json!("x\ny")),
            (FieldType::Enum, json!("b")),
            (FieldType::Date, json!("2026-02-28")),
            (FieldType::Datetime, json!("2026-02-01T10:00:00+08:00")),
            (FieldType::Number, json!(2.5)),
            (FieldType::Boolean, json!(false)),
        ];
        for (ty, ok) in good {
            run(&[field("f", ty, true)], json!({ "f": ok })).unwrap();
        }
    }

    #[test]
    fn missing_blank_optional_and_unknown_fields() {
        let defs = [
            field("need", FieldType::Text, true),
            field("opt", FieldType::Number, false),
        ];
        let err = run(&defs, json!({ "need": "  " })).unwrap_err();
        assert!(matches!(err, ActionError::MissingField { field } if field == "need"));
        run(&defs, json!({ "need": "x", "opt": null })).unwrap();
        let err = run(&defs, json!({ "need": "x", "typo": 1 })).unwrap_err();
        assert!(matches!(err, ActionError::UnknownField { field, .. } if field == "typo"));
    }
}
