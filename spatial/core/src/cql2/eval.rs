//! Three-valued (SQL) evaluation. `None` is unknown: what a test of a null or missing
//! property gives, so that `NOT (x = 1)` does not match features lacking `x` either.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};

use super::ast::{Datum, Expr, Op, Test};

impl Expr {
    pub(super) fn eval(&self, properties: &Map<String, Value>) -> Option<bool> {
        match self {
            Self::And(items) => combine(items, properties, false),
            Self::Or(items) => combine(items, properties, true),
            Self::Not(e) => e.eval(properties).map(|b| !b),
            Self::IsNull(name) => Some(properties.get(name).is_none_or(Value::is_null)),
            Self::Test(t) => t.eval(properties),
        }
    }
}

/// AND (`decisive` false) and OR (`decisive` true): the decisive value wins over unknown,
/// and unknown over the other value.
fn combine(items: &[Expr], properties: &Map<String, Value>, decisive: bool) -> Option<bool> {
    let mut result = Some(!decisive);
    for e in items {
        match e.eval(properties) {
            Some(b) if b == decisive => return Some(decisive),
            None => result = None,
            Some(_) => {}
        }
    }
    result
}

impl Test {
    fn eval(&self, properties: &Map<String, Value>) -> Option<bool> {
        let value = properties.get(&self.property)?;
        if self.any_element {
            let items = value.as_array()?;
            return Some(items.iter().any(|v| self.op.holds(v) == Some(true)));
        }
        self.op.holds(value)
    }
}

impl Op {
    /// Unknown when the value is null or, from data stored under an older schema, not of the
    /// literal's type.
    fn holds(&self, v: &Value) -> Option<bool> {
        match self {
            Self::Compare(op, d) => Some(op.accepts(order(v, d)?)),
            Self::In(ds) => ds
                .iter()
                .try_fold(false, |found, d| Some(found || order(v, d)?.is_eq())),
            Self::Like(pattern) => Some(pattern.matches(v.as_str()?)),
            Self::Between(low, high) => Some(order(v, low)?.is_ge() && order(v, high)?.is_le()),
        }
    }
}

/// Orders a stored value against a literal of its property's type.
fn order(v: &Value, d: &Datum) -> Option<Ordering> {
    match d {
        Datum::Number(n) => v.as_f64()?.partial_cmp(n),
        // UTF-8 byte order is code point order.
        Datum::Text(s) => Some(v.as_str()?.cmp(s)),
        Datum::Bool(b) => Some(v.as_bool()?.cmp(b)),
        Datum::Date(d) => Some(
            NaiveDate::parse_from_str(v.as_str()?, "%Y-%m-%d")
                .ok()?
                .cmp(d),
        ),
        // DateTime orders by instant, not by its text or offset.
        Datum::Instant(t) => Some(DateTime::parse_from_rfc3339(v.as_str()?).ok()?.cmp(t)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use crate::cql2::{parse, test_layer};

    /// A feature like the store holds: the fields normalised as validation leaves them.
    fn feature() -> Map<String, Value> {
        let Value::Object(m) = json!({
            "count": 3,
            "area_m2": 120.5,
            "name": "it's 50% 上海",
            "status": "待核查",
            "district_code": "310104",
            "opened": "2024-01-31",
            "updated": "2024-01-31T07:00:00+08:00",
            "active": true,
            "tags": ["消防", "a_b"],
            "date": null
        }) else {
            unreachable!()
        };
        m
    }

    fn check(filter: &str, props: &Map<String, Value>) -> bool {
        parse(filter, &test_layer())
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(props)
    }

    /// Asserts each filter's outcome against [`feature`].
    fn expect(cases: &[(&str, bool)]) {
        let f = feature();
        for &(filter, want) in cases {
            assert_eq!(check(filter, &f), want, "{filter}");
        }
    }

    #[test]
    fn comparisons_on_numbers() {
        expect(&[
            ("count = 3", true),
            ("count = 3.0", true),
            ("count <> 3", false),
            ("count < 4", true),
            ("count <= 3", true),
            ("count > 3", false),
            ("count >= 3", true),
            ("count > -1", true),
            ("count > 2.5", true),
            ("area_m2 = 1.205e2", true),
            ("area_m2 > 120.49", true),
            ("area_m2 < 120.5", false),
        ]);
    }

    #[test]
    fn comparisons_on_text_by_code_point() {
        expect(&[
            ("district_code = '310104'", true),
            ("district_code >= '310104'", true),
            ("district_code < '310105'", true),
            ("district_code > '31'", true),
            ("status = '待核查'", true),
            ("status <> '已核查'", true),
            // 待 U+5F85 < 已 U+5DF2 is false; byte order agrees with code points.
            ("status < '已核查'", false),
            ("name = 'it''s 50% 上海'", true),
            ("name = 'It''s 50% 上海'", false),
            // 'i' (U+0069) sorts after 'I' (U+0049): no case folding, no collation.
            ("name > 'It'", true),
        ]);
    }

    #[test]
    fn booleans_dates_and_datetimes() {
        expect(&[
            ("active = TRUE", true),
            ("active = false", false),
            ("active <> FALSE", true),
            ("opened = DATE('2024-01-31')", true),
            ("opened = '2024-01-31'", true),
            ("opened > DATE('2024-01-30')", true),
            ("opened < date('2024-02-01')", true),
            (
                "opened BETWEEN DATE('2024-01-31') AND DATE('2024-12-31')",
                true,
            ),
            // Stored 07:00+08:00 is 2024-01-30T23:00Z: the same instant in other offsets.
            ("updated = TIMESTAMP('2024-01-30T23:00:00Z')", true),
            ("updated = TIMESTAMP('2024-01-30T18:00:00-05:00')", true),
            ("updated = '2024-01-31T04:45:00+05:45'", true),
            // As text "2024-01-31T07…" > "2024-01-31T00…"; as instants it is earlier.
            ("updated < TIMESTAMP('2024-01-31T00:30:00Z')", true),
            ("updated > TIMESTAMP('2024-01-31T00:30:00Z')", false),
            ("updated >= TIMESTAMP('2024-01-31T07:00:00+08:00')", true),
            ("updated > TIMESTAMP('2024-01-31T07:00:00+08:00')", false),
            ("updated > TIMESTAMP('2024-01-30T22:59:59.5Z')", true),
        ]);
    }

    #[test]
    fn in_like_between() {
        expect(&[
            ("district_code IN ('310104','310105')", true),
            ("district_code IN ('310105')", false),
            ("district_code NOT IN ('310105', '310106')", true),
            ("count IN (1, 2, 3)", true),
            ("count not in (3)", false),
            ("status IN ('已核查', '待核查')", true),
            ("name LIKE 'it''s%'", true),
            ("name LIKE '%上海'", true),
            ("name LIKE '%上_'", true),
            ("name LIKE '%50\\%%'", true),
            ("name LIKE '%5\\0%'", true),
            ("name LIKE '%50\\_%'", false),
            ("name LIKE 'IT%'", false),
            ("name NOT LIKE 'IT%'", true),
            ("status LIKE '待%'", true),
            ("count BETWEEN 3 AND 5", true),
            ("count BETWEEN 1 AND 3", true),
            ("count BETWEEN 4 AND 5", false),
            ("count BETWEEN 5 AND 1", false),
            ("count NOT BETWEEN 4 AND 5", true),
            ("name BETWEEN 'i' AND 'j'", true),
        ]);
    }

    #[test]
    fn string_lists_match_on_any_element() {
        expect(&[
            ("tags = '消防'", true),
            ("tags = 'a_b'", true),
            ("tags = '消'", false),
            ("tags <> '消防'", false),
            ("tags <> '绿化'", true),
            ("tags IN ('绿化', 'a_b')", true),
            ("tags NOT IN ('绿化', 'a_b')", false),
            ("tags IN ('绿化')", false),
            ("tags LIKE '消%'", true),
            ("tags LIKE 'a\\_b'", true),
            ("tags LIKE 'x%'", false),
            ("tags NOT LIKE 'x%'", true),
        ]);
        let empty = Map::from_iter([("tags".to_string(), json!([]))]);
        assert!(!check("tags = 'a'", &empty));
        assert!(check("tags <> 'a'", &empty));
        assert!(
            check("tags IS NOT NULL", &empty),
            "an empty list is not null"
        );
        assert!(
            !check("tags NOT LIKE 'x'", &Map::new()),
            "a missing list is unknown"
        );
    }

    #[test]
    fn nulls_are_unknown() {
        let mut f = feature();
        f.remove("count");
        for filter in [
            "count = 1",
            "count <> 1",
            "NOT count = 1",
            "count NOT IN (1)",
            "count NOT BETWEEN 1 AND 2",
            "NOT (count > 1 OR count <= 1)",
            "\"date\" <> DATE('2024-01-01')",
            "NOT \"date\" = DATE('2024-01-01')",
            // No excluded middle under three-valued logic.
            "count IN (1, 2) OR NOT count IN (1, 2)",
        ] {
            assert!(!check(filter, &f), "{filter}");
        }
        assert!(check("count IS NULL", &f), "missing");
        assert!(check("\"date\" IS NULL", &f), "explicit JSON null");
        assert!(!check("count IS NOT NULL", &f));
        assert!(check("name IS NOT NULL", &f));
        assert!(check("count = 1 OR active = TRUE", &f));
        assert!(!check("count = 1 AND active = TRUE", &f));
        // A value not of the declared type (data stored under an older schema) is unknown too.
        f.insert("count".into(), json!("three"));
        assert!(!check("count = 3", &f) && !check("NOT count = 3", &f));
    }

    #[test]
    fn three_valued_truth_tables() {
        use Some as T;
        const U: Option<bool> = None;
        let def = test_layer();
        let f = feature();
        // Operands that are true, false and unknown (`date` is null) for `feature()`.
        let operand = |v: Option<bool>| match v {
            Some(true) => "count = 3",
            Some(false) => "count = 4",
            None => "\"date\" = DATE('2024-01-01')",
        };
        let eval = |text: &str| parse(text, &def).unwrap().expr.eval(&f);
        let values = [T(true), T(false), U];
        for a in values {
            assert_eq!(eval(&format!("NOT {}", operand(a))), a.map(|b| !b));
            for b in values {
                let (x, y) = (operand(a), operand(b));
                let and = match (a, b) {
                    (T(false), _) | (_, T(false)) => T(false),
                    (T(true), T(true)) => T(true),
                    _ => U,
                };
                let or = match (a, b) {
                    (T(true), _) | (_, T(true)) => T(true),
                    (T(false), T(false)) => T(false),
                    _ => U,
                };
                assert_eq!(eval(&format!("{x} AND {y}")), and, "{a:?} AND {b:?}");
                assert_eq!(eval(&format!("{x} OR {y}")), or, "{a:?} OR {b:?}");
            }
        }
        // The top level treats unknown as no match, and so does its negation.
        assert!(!check(operand(U), &f) && !check(&format!("NOT {}", operand(U)), &f));
    }

    #[test]
    fn precedence_and_parentheses() {
        // a true, b true, c false: `a OR b AND c` is a OR (b AND c) = true, whereas
        // (a OR b) AND c would be false.
        expect(&[
            ("count = 3 OR active = TRUE AND name = 'x'", true),
            ("(count = 3 OR active = TRUE) AND name = 'x'", false),
            ("name = 'x' AND active = TRUE OR count = 3", true),
            ("name = 'x' AND (active = TRUE OR count = 3)", false),
            // NOT binds tighter than AND: (NOT false) AND false, not NOT (false AND false).
            ("NOT count = 4 AND name = 'x'", false),
            ("NOT (count = 4 AND name = 'x')", true),
            ("NOT NOT count = 3", true),
            ("((((count = 3))))", true),
            // BETWEEN's AND belongs to BETWEEN, the next one joins predicates.
            ("count BETWEEN 1 AND 5 AND name = 'x'", false),
            ("count BETWEEN 1 AND 5 OR name = 'x'", true),
            (
                "count = 1 OR count = 2 OR count = 3 AND active = TRUE",
                true,
            ),
        ]);
    }

    #[test]
    fn keywords_identifiers_and_chinese_text() {
        let f = feature();
        assert!(check(
            "status = '待核查' AND district_code IN ('310104','310105')",
            &f
        ));
        assert!(check(
            "\"status\" = '待核查' and \"district_code\" In ('310104') oR active = FALSE",
            &f
        ));
        assert!(check("\"count\"=3 aNd NoT(\"name\"LIKE'x%')", &f));
        // A property named like a keyword is reachable by quoting it.
        let dated = Map::from_iter([("date".to_string(), json!("2024-05-01"))]);
        assert!(check("\"date\" = DATE('2024-05-01')", &dated));
        assert!(check("\"date\" IS NOT NULL", &dated));
    }

    #[test]
    fn properties_are_listed_once_in_order() {
        let f = parse(
            "NOT (name = 'a' OR count > 1) AND name IS NULL AND tags IN ('x')",
            &test_layer(),
        )
        .unwrap();
        assert_eq!(f.properties(), ["name", "count", "tags"]);
    }
}
