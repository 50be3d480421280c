//! Randomised check of parse + evaluate: random filter trees, rendered to CQL2 text with
//! random spelling (keyword case, quoting, spacing, redundant parentheses), must match
//! exactly when a naive reference evaluator, written here from the spec rather than from
//! `eval.rs`, says they do.

use std::cmp::Ordering;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, SecondsFormat};
use serde_json::{Map, Value, json};

use super::{parse, test_layer};
use crate::validate::normalize_value;

/// xorshift64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Prop {
    Count,
    Area,
    Name,
    Status,
    Opened,
    Updated,
    Active,
    Tags,
}

const PROPS: [Prop; 8] = [
    Prop::Count,
    Prop::Area,
    Prop::Name,
    Prop::Status,
    Prop::Opened,
    Prop::Updated,
    Prop::Active,
    Prop::Tags,
];

const NAMES: [&str; 12] = [
    "",
    "a",
    "ab",
    "b",
    "B",
    "it's",
    "50%",
    "a_b",
    "a\\b",
    "待核查",
    "上海",
    "上海路",
];
const STATUSES: [&str; 3] = ["待核查", "已核查", "closed"];
const AREAS: [f64; 6] = [-2.5, 0.0, 0.5, 1.25, 3.0, 1000.0];
/// Base of the generated instants, 2024-01-30T16:00:00Z; steps are half-hours.
const EPOCH: i64 = 1_706_630_400;

impl Prop {
    fn name(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Area => "area_m2",
            Self::Name => "name",
            Self::Status => "status",
            Self::Opened => "opened",
            Self::Updated => "updated",
            Self::Active => "active",
            Self::Tags => "tags",
        }
    }

    fn ordered(self) -> bool {
        !matches!(self, Self::Active | Self::Tags)
    }

    fn textual(self) -> bool {
        matches!(self, Self::Name | Self::Status | Self::Tags)
    }

    /// A literal from a small domain, so that equal values are common.
    fn literal(self, rng: &mut Rng) -> V {
        match self {
            Self::Count => V::Int(rng.below(6) as i64 - 1),
            Self::Area => V::Num(rng.pick(&AREAS)),
            Self::Name | Self::Tags => V::Str(rng.pick(&NAMES).to_string()),
            Self::Status => V::Str(rng.pick(&STATUSES).to_string()),
            Self::Opened => V::Day(rng.below(5) as u64),
            Self::Updated => V::Secs(EPOCH + 1800 * rng.below(6) as i64),
            Self::Active => V::Bool(rng.chance(50)),
        }
    }

    /// A stored value; counts respect the layer's `min: 0`, lists hold 0–3 names.
    fn value(self, rng: &mut Rng) -> V {
        match self {
            Self::Count => V::Int(rng.below(5) as i64),
            Self::Tags => V::List(
                (0..rng.below(4))
                    .map(|_| rng.pick(&NAMES).to_string())
                    .collect(),
            ),
            _ => self.literal(rng),
        }
    }
}

#[derive(Debug, Clone)]
enum V {
    Int(i64),
    Num(f64),
    Str(String),
    /// Days after 2024-01-01.
    Day(u64),
    /// Seconds since the Unix epoch.
    Secs(i64),
    Bool(bool),
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pat {
    Any,
    One,
    Char(char),
}

/// A generated filter: the test's own tree, so the reference shares nothing with `ast.rs`.
#[derive(Debug)]
enum G {
    And(Vec<G>),
    Or(Vec<G>),
    Not(Box<G>),
    Cmp(Prop, &'static str, V),
    In(Prop, bool, Vec<V>),
    Like(Prop, bool, Vec<Pat>),
    Between(Prop, bool, V, V),
    IsNull(Prop, bool),
}

fn generate(rng: &mut Rng, depth: usize) -> G {
    if depth == 0 || rng.chance(30) {
        return predicate(rng);
    }
    let children = |rng: &mut Rng| {
        (0..2 + rng.below(2))
            .map(|_| generate(rng, depth - 1))
            .collect()
    };
    match rng.below(3) {
        0 => G::And(children(rng)),
        1 => G::Or(children(rng)),
        _ => G::Not(Box::new(generate(rng, depth - 1))),
    }
}

fn predicate(rng: &mut Rng) -> G {
    let p = rng.pick(&PROPS);
    let negated = rng.chance(40);
    match rng.below(6) {
        0 => G::IsNull(p, negated),
        1 => G::In(
            p,
            negated,
            (0..1 + rng.below(3)).map(|_| p.literal(rng)).collect(),
        ),
        2 if p.textual() => {
            let pieces = [
                Pat::Any,
                Pat::One,
                Pat::Char('a'),
                Pat::Char('b'),
                Pat::Char('%'),
                Pat::Char('_'),
                Pat::Char('\\'),
                Pat::Char('\''),
                Pat::Char('上'),
                Pat::Char('海'),
                Pat::Char('待'),
            ];
            G::Like(
                p,
                negated,
                (0..rng.below(5)).map(|_| rng.pick(&pieces)).collect(),
            )
        }
        3 if p.ordered() => G::Between(p, negated, p.literal(rng), p.literal(rng)),
        _ => {
            let ops: &[&'static str] = if p.ordered() {
                &["=", "<>", "<", "<=", ">", ">="]
            } else {
                &["=", "<>"]
            };
            G::Cmp(p, rng.pick(ops), p.literal(rng))
        }
    }
}

// ---- rendering -------------------------------------------------------------------------

fn keyword(rng: &mut Rng, kw: &str) -> String {
    match rng.below(3) {
        0 => kw.to_string(),
        1 => kw.to_lowercase(),
        _ => kw[..1].to_string() + &kw[1..].to_lowercase(),
    }
}

/// Whitespace where it is required (between words) and where it is optional.
fn gap(rng: &mut Rng) -> &'static str {
    rng.pick(&[" ", "  ", "\n", "\t "])
}

fn maybe_gap(rng: &mut Rng) -> &'static str {
    rng.pick(&["", "", " ", "\n"])
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn day(d: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Days::new(d)
}

fn instant(secs: i64, offset_secs: i32) -> String {
    DateTime::from_timestamp(secs, 0)
        .unwrap()
        .with_timezone(&FixedOffset::east_opt(offset_secs).unwrap())
        .to_rfc3339_opts(SecondsFormat::Secs, offset_secs == 0 && secs % 2 == 0)
}

fn render_literal(rng: &mut Rng, v: &V) -> String {
    match v {
        V::Int(i) => i.to_string(),
        V::Num(x) if rng.chance(50) => format!("{x:e}"),
        V::Num(x) => format!("{x:?}"),
        V::Str(s) => quote(s),
        V::Day(d) => {
            let text = quote(&day(*d).format("%Y-%m-%d").to_string());
            if rng.chance(70) {
                format!("{}({text})", keyword(rng, "DATE"))
            } else {
                text
            }
        }
        V::Secs(s) => {
            let offset = rng.pick(&[0, 8 * 3600, -5 * 3600, 5 * 3600 + 2700]);
            let text = quote(&instant(*s, offset));
            if rng.chance(70) {
                format!("{}({text})", keyword(rng, "TIMESTAMP"))
            } else {
                text
            }
        }
        V::Bool(b) => keyword(rng, if *b { "TRUE" } else { "FALSE" }),
        V::List(_) => unreachable!("lists are never literals"),
    }
}

fn render_pattern(pattern: &[Pat]) -> String {
    let mut s = String::new();
    for p in pattern {
        match p {
            Pat::Any => s.push('%'),
            Pat::One => s.push('_'),
            Pat::Char(c @ ('%' | '_' | '\\')) => {
                s.push('\\');
                s.push(*c);
            }
            Pat::Char(c) => s.push(*c),
        }
    }
    quote(&s)
}

fn precedence(g: &G) -> u8 {
    match g {
        G::Or(_) => 1,
        G::And(_) => 2,
        G::Not(_) => 3,
        _ => 4,
    }
}

/// Renders with only the parentheses precedence needs (plus a few redundant ones), so
/// the parser's precedence is what keeps the meaning.
fn render(rng: &mut Rng, g: &G, min_precedence: u8, out: &mut String) {
    let parens = precedence(g) < min_precedence || rng.chance(10);
    if parens {
        out.push('(');
        out.push_str(maybe_gap(rng));
    }
    let negation = |rng: &mut Rng, negated: bool| {
        if negated {
            format!("{}{}", keyword(rng, "NOT"), gap(rng))
        } else {
            String::new()
        }
    };
    match g {
        G::And(items) | G::Or(items) => {
            let (kw, inner) = if matches!(g, G::And(_)) {
                ("AND", 3)
            } else {
                ("OR", 2)
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let kw = keyword(rng, kw);
                    out.push_str(&format!("{}{kw}{}", gap(rng), gap(rng)));
                }
                render(rng, item, inner, out);
            }
        }
        G::Not(inner) => {
            out.push_str(&keyword(rng, "NOT"));
            out.push_str(gap(rng));
            render(rng, inner, 3, out);
        }
        G::Cmp(p, op, v) => {
            let (name, a, b) = (ident(rng, *p), maybe_gap(rng), maybe_gap(rng));
            out.push_str(&format!("{name}{a}{op}{b}{}", render_literal(rng, v)));
        }
        G::In(p, negated, values) => {
            let list: Vec<String> = values.iter().map(|v| render_literal(rng, v)).collect();
            let (name, not) = (ident(rng, *p), negation(rng, *negated));
            let sep = format!(",{}", maybe_gap(rng));
            out.push_str(&format!(
                "{name} {not}{} ({})",
                keyword(rng, "IN"),
                list.join(&sep)
            ));
        }
        G::Like(p, negated, pattern) => {
            let (name, not) = (ident(rng, *p), negation(rng, *negated));
            let like = keyword(rng, "LIKE");
            out.push_str(&format!("{name} {not}{like} {}", render_pattern(pattern)));
        }
        G::Between(p, negated, low, high) => {
            let (name, not) = (ident(rng, *p), negation(rng, *negated));
            let (between, and) = (keyword(rng, "BETWEEN"), keyword(rng, "AND"));
            let (low, high) = (render_literal(rng, low), render_literal(rng, high));
            out.push_str(&format!("{name} {not}{between} {low} {and} {high}"));
        }
        G::IsNull(p, negated) => {
            let (name, is) = (ident(rng, *p), keyword(rng, "IS"));
            let (not, null) = (negation(rng, *negated), keyword(rng, "NULL"));
            out.push_str(&format!("{name} {is} {not}{null}"));
        }
    }
    if parens {
        out.push_str(maybe_gap(rng));
        out.push(')');
    }
}

fn ident(rng: &mut Rng, p: Prop) -> String {
    if rng.chance(30) {
        format!("\"{}\"", p.name())
    } else {
        p.name().to_string()
    }
}

// ---- reference evaluation --------------------------------------------------------------

/// SQL's three truth values, spelt out so the tables below read as the spec's.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Truth {
    True,
    False,
    Unknown,
}

fn truth(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

fn and(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::False, _) | (_, Truth::False) => Truth::False,
        (Truth::True, Truth::True) => Truth::True,
        _ => Truth::Unknown,
    }
}

fn or(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::True, _) | (_, Truth::True) => Truth::True,
        (Truth::False, Truth::False) => Truth::False,
        _ => Truth::Unknown,
    }
}

fn not(a: Truth) -> Truth {
    match a {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}

fn compare(a: &V, b: &V) -> Ordering {
    match (a, b) {
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Num(x), V::Num(y)) => x.partial_cmp(y).unwrap(),
        (V::Str(x), V::Str(y)) => x.chars().map(u32::from).cmp(y.chars().map(u32::from)),
        (V::Day(x), V::Day(y)) => x.cmp(y),
        (V::Secs(x), V::Secs(y)) => x.cmp(y),
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        _ => unreachable!("{a:?} vs {b:?}"),
    }
}

fn like(pattern: &[Pat], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((Pat::Any, rest)) => (0..=text.len()).any(|i| like(rest, &text[i..])),
        Some((Pat::One, rest)) => !text.is_empty() && like(rest, &text[1..]),
        Some((Pat::Char(c), rest)) => text.first() == Some(c) && like(rest, &text[1..]),
    }
}

type Feature = Vec<Option<V>>;

fn get(f: &Feature, p: Prop) -> Option<&V> {
    f[PROPS.iter().position(|&q| q == p).unwrap()].as_ref()
}

/// Applies `test` to a scalar, or to each element of a list (true when any is).
fn holds(f: &Feature, p: Prop, negated: bool, test: impl Fn(&V) -> bool) -> Truth {
    let t = match get(f, p) {
        None => Truth::Unknown,
        Some(V::List(items)) => truth(items.iter().any(|s| test(&V::Str(s.clone())))),
        Some(v) => truth(test(v)),
    };
    if negated { not(t) } else { t }
}

fn reference(g: &G, f: &Feature) -> Truth {
    match g {
        G::And(items) => items
            .iter()
            .fold(Truth::True, |t, g| and(t, reference(g, f))),
        G::Or(items) => items
            .iter()
            .fold(Truth::False, |t, g| or(t, reference(g, f))),
        G::Not(g) => not(reference(g, f)),
        G::IsNull(p, negated) => truth(get(f, *p).is_none() != *negated),
        // On a list `<>` is "lacks the value": the negation of any-element `=`.
        G::Cmp(Prop::Tags, "<>", v) => holds(f, Prop::Tags, true, |x| compare(x, v).is_eq()),
        G::Cmp(p, op, v) => holds(f, *p, false, |x| {
            let o = compare(x, v);
            match *op {
                "=" => o.is_eq(),
                "<>" => o.is_ne(),
                "<" => o.is_lt(),
                "<=" => o.is_le(),
                ">" => o.is_gt(),
                ">=" => o.is_ge(),
                _ => unreachable!(),
            }
        }),
        G::In(p, negated, values) => holds(f, *p, *negated, |x| {
            values.iter().any(|v| compare(x, v).is_eq())
        }),
        G::Like(p, negated, pattern) => holds(f, *p, *negated, |x| match x {
            V::Str(s) => like(pattern, &s.chars().collect::<Vec<_>>()),
            _ => unreachable!(),
        }),
        G::Between(p, negated, low, high) => holds(f, *p, *negated, |x| {
            compare(x, low).is_ge() && compare(x, high).is_le()
        }),
    }
}

// ---- features --------------------------------------------------------------------------

fn random_feature(rng: &mut Rng) -> Feature {
    PROPS
        .iter()
        .map(|p| (!rng.chance(20)).then(|| p.value(rng)))
        .collect()
}

/// The feature's properties as the store holds them: raw JSON through the real
/// normalisation, with nulls either absent or explicit.
fn to_properties(rng: &mut Rng, f: &Feature) -> Map<String, Value> {
    let def = test_layer();
    let mut out = Map::new();
    for (p, v) in PROPS.iter().zip(f) {
        let raw = match v {
            None if rng.chance(50) => continue,
            None => Value::Null,
            Some(V::Int(i)) => json!(i),
            Some(V::Num(x)) => json!(x),
            Some(V::Str(s)) => json!(s),
            Some(V::Day(d)) => json!(day(*d).format("%Y-%m-%d").to_string()),
            Some(V::Secs(s)) => json!(instant(*s, 0)),
            Some(V::Bool(b)) => json!(b),
            Some(V::List(items)) => json!(items),
        };
        let value = if raw.is_null() {
            raw
        } else {
            normalize_value(def.property(p.name()).unwrap(), &raw).unwrap()
        };
        out.insert(p.name().to_string(), value);
    }
    out
}

#[test]
fn random_filters_agree_with_the_reference() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let def = test_layer();
    let features: Vec<Feature> = (0..200).map(|_| random_feature(&mut rng)).collect();
    let props: Vec<Map<String, Value>> = features
        .iter()
        .map(|f| to_properties(&mut rng, f))
        .collect();
    let (mut compared, mut outcomes) = (0, [0; 3]);
    for _ in 0..300 {
        let g = generate(&mut rng, 4);
        let mut text = String::new();
        render(&mut rng, &g, 0, &mut text);
        let filter = parse(&text, &def).unwrap_or_else(|e| panic!("{text}\n{e}\n{g:?}"));
        for (f, p) in features.iter().zip(&props) {
            let want = reference(&g, f);
            assert_eq!(
                filter.matches(p),
                want == Truth::True,
                "filter: {text}\nfeature: {p:?}\nreference: {want:?}"
            );
            outcomes[want as usize] += 1;
            compared += 1;
        }
    }
    assert!(compared >= 2_000);
    // Every truth value turned up often, so the comparison was not trivially one-sided.
    assert!(outcomes.iter().all(|&n| n > compared / 20), "{outcomes:?}");
}
