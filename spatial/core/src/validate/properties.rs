//! Property values checked and normalised against their declared types.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde_json::{Map, Value};

use crate::schema::{CodeCheck, LayerDef, PropType, PropertyDef};
use crate::validate::{Issue, gb28181};

/// China Standard Time, the offset datetimes are served in.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Checks every scalar property of `raw` against the layer; returns the normalised map.
/// Secondary geometry properties are left to the geometry check.
pub fn normalize(
    def: &LayerDef,
    raw: &Map<String, Value>,
    issues: &mut Vec<Issue>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in raw {
        match def.property(name) {
            None => issues.push(Issue::new(
                format!("properties.{name}"),
                format!("unknown property; layer `{}` has no `{name}`", def.id),
            )),
            Some(p) if p.is_geometry() => {}
            Some(_) if value.is_null() => {}
            Some(p) => match normalize_value(p, value) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(m) => issues.push(Issue::new(format!("properties.{name}"), m)),
            },
        }
    }
    for p in def.properties.iter().filter(|p| p.required) {
        if raw.get(&p.name).is_none_or(Value::is_null) {
            issues.push(Issue::new(format!("properties.{}", p.name), "required"));
        }
    }
    // Keep the declared column order, so output is stable whatever the input order.
    let mut ordered = Map::new();
    for p in &def.properties {
        if let Some(v) = out.remove(&p.name) {
            ordered.insert(p.name.clone(), v);
        }
    }
    ordered
}

/// Checks one non-null value against its property type; returns the canonical form.
pub fn normalize_value(p: &PropertyDef, v: &Value) -> Result<Value, String> {
    match &p.kind {
        PropType::String { max_length } => {
            let s = v.as_str().ok_or("expected a string")?;
            if let Some(max) = max_length
                && s.chars().count() > *max
            {
                return Err(format!("longer than {max} characters"));
            }
            Ok(Value::from(s))
        }
        PropType::Integer { min, max } => {
            let i = v.as_i64().ok_or("expected an integer")?;
            in_range(i as f64, min.map(|m| m as f64), max.map(|m| m as f64))?;
            Ok(Value::from(i))
        }
        PropType::Number { min, max } => {
            let n = v
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or("expected a number")?;
            in_range(n, *min, *max)?;
            Ok(Value::from(n))
        }
        PropType::Boolean => v
            .as_bool()
            .map(Value::from)
            .ok_or_else(|| "expected true or false".into()),
        PropType::Date => {
            let s = v.as_str().ok_or("expected a date string YYYY-MM-DD")?;
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| Value::from(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| format!("`{s}` is not a date YYYY-MM-DD"))
        }
        PropType::Datetime => {
            let s = v.as_str().ok_or("expected an RFC 3339 datetime string")?;
            parse_datetime(s).map(Value::from)
        }
        PropType::Enum { values } => {
            let s = v.as_str().ok_or("expected a string")?;
            if values.iter().any(|x| x == s) {
                Ok(Value::from(s))
            } else {
                Err(format!("`{s}` is not one of {}", values.join(", ")))
            }
        }
        PropType::Code { regex, check, .. } => {
            let s = v.as_str().ok_or("expected a code string")?;
            if let Some(re) = regex
                && !re.is_match(s)
            {
                return Err(format!("`{s}` does not match the pattern {}", re.as_str()));
            }
            if let Some(CodeCheck::Gb28181) = check {
                gb28181::check(s)?;
            }
            Ok(Value::from(s))
        }
        PropType::StringList => {
            let items = v.as_array().ok_or("expected an array of strings")?;
            if items.iter().any(|i| !i.is_string()) {
                return Err("expected an array of strings".into());
            }
            Ok(v.clone())
        }
        PropType::Geometry { .. } => Err("a geometry property is not a scalar".into()),
    }
}

/// Parses an RFC 3339 instant and renders it in China Standard Time.
pub fn parse_datetime(s: &str) -> Result<String, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| {
            d.with_timezone(&china_offset())
                .to_rfc3339_opts(SecondsFormat::AutoSi, false)
        })
        .map_err(|_| format!("`{s}` is not an RFC 3339 datetime with an offset"))
}

fn in_range(n: f64, min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    if let Some(m) = min
        && n < m
    {
        return Err(format!("{n} is below the minimum {m}"));
    }
    if let Some(m) = max
        && n > m
    {
        return Err(format!("{n} is above the maximum {m}"));
    }
    Ok(())
}
