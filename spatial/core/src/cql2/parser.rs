//! Recursive descent over the tokens, checking each predicate against the layer as it is
//! read, so every error can point at the token that caused it.
//!
//! ```text
//! or        = and { OR and }
//! and       = not { AND not }
//! not       = NOT not | "(" or ")" | predicate
//! predicate = property ( cmp literal | [NOT] IN "(" literal { "," literal } ")"
//!           | [NOT] LIKE string | [NOT] BETWEEN literal AND literal | IS [NOT] NULL )
//! ```

use super::ParseError;
use super::ast::{CmpOp, Datum, Expr, Op, Test};
use super::lexer::{Tok, Token, tokenize};
use super::like::Like;
use super::types::{Kind, Lit, typed};
use crate::schema::{LayerDef, PropertyDef};

/// Longest accepted input, in characters: far beyond any hand-written filter, small enough
/// that parsing cost is no concern.
pub const MAX_CHARS: usize = 10_000;

/// Deepest nesting of parentheses and NOTs; bounds the parser's (and evaluator's) recursion.
pub const MAX_DEPTH: usize = 64;

/// Words that cannot be bare property names; a quoted identifier may still use them.
const KEYWORDS: [&str; 12] = [
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "BETWEEN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "DATE",
    "TIMESTAMP",
];

pub(super) fn parse(text: &str, def: &LayerDef) -> Result<Expr, ParseError> {
    // `nth` rather than `count`, so a huge input is refused without reading all of it.
    if text.chars().nth(MAX_CHARS).is_some() {
        return Err(ParseError::new(
            format!("filter longer than {MAX_CHARS} characters"),
            MAX_CHARS + 1,
        ));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(ParseError::new("empty filter", 1));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        end_column: text.chars().count() + 1,
        def,
        depth: 0,
    };
    let expr = p.or()?;
    if p.pos < p.tokens.len() {
        return Err(p.unexpected("AND, OR or the end of the filter"));
    }
    Ok(expr)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    /// The column just past the input, where "unexpected end" errors point.
    end_column: usize,
    def: &'a LayerDef,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.end_column, |t| t.column)
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        let found = self
            .peek()
            .map_or_else(|| "the end of the filter".to_string(), Tok::to_string);
        ParseError::new(format!("expected {expected}, found {found}"), self.column())
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let hit = self.peek() == Some(tok);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, tok: &Tok) -> Result<(), ParseError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(&tok.to_string()))
        }
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(keyword));
        self.pos += usize::from(hit);
        hit
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), ParseError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.unexpected(keyword))
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        while self.eat_keyword("OR") {
            items.push(self.and()?);
        }
        Ok(flatten(items, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.not()?];
        while self.eat_keyword("AND") {
            items.push(self.not()?);
        }
        Ok(flatten(items, Expr::And))
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        let column = self.column();
        if self.eat_keyword("NOT") {
            self.nested(column, |p| Ok(Expr::Not(Box::new(p.not()?))))
        } else if self.eat(&Tok::LParen) {
            self.nested(column, |p| {
                let e = p.or()?;
                p.expect(&Tok::RParen)?;
                Ok(e)
            })
        } else {
            self.predicate()
        }
    }

    /// Runs one level deeper, refusing to pass [`MAX_DEPTH`]: `((((…` must be an error,
    /// not a stack overflow.
    fn nested(
        &mut self,
        column: usize,
        inner: impl FnOnce(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        if self.depth == MAX_DEPTH {
            return Err(ParseError::new(
                format!("nesting deeper than {MAX_DEPTH} levels"),
                column,
            ));
        }
        self.depth += 1;
        let e = inner(self);
        self.depth -= 1;
        e
    }

    fn predicate(&mut self) -> Result<Expr, ParseError> {
        let column = self.column();
        let name = match self.peek() {
            Some(Tok::Quoted(name)) => name.clone(),
            Some(Tok::Word(w)) if is_keyword(w) => {
                return Err(ParseError::new(
                    format!(
                        "expected a property name, found the keyword `{w}` \
                         (a property of that name must be \"quoted\")"
                    ),
                    column,
                ));
            }
            Some(Tok::Word(w)) => w.clone(),
            _ => return Err(self.unexpected("a property name")),
        };
        self.pos += 1;
        let def = self.def;
        let prop = def.property(&name).ok_or_else(|| {
            ParseError::new(
                format!("unknown property `{name}` in layer `{}`", def.id),
                column,
            )
        })?;
        let kind = Kind::of(prop).map_err(|m| ParseError::new(m, column))?;

        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.expect_keyword("NULL")?;
            return Ok(negate(negated, Expr::IsNull(name)));
        }
        let op_column = self.column();
        let refuse = |what: &str| {
            ParseError::new(
                format!(
                    "{what} does not apply to {} property `{name}`",
                    prop.type_name()
                ),
                op_column,
            )
        };
        let negated = self.eat_keyword("NOT");
        let op = if self.eat_keyword("IN") {
            self.expect(&Tok::LParen)?;
            if self.peek() == Some(&Tok::RParen) {
                return Err(ParseError::new(
                    "IN needs at least one value",
                    self.column(),
                ));
            }
            let mut values = vec![self.literal(prop, kind)?];
            while self.eat(&Tok::Comma) {
                values.push(self.literal(prop, kind)?);
            }
            self.expect(&Tok::RParen)?;
            Op::In(values)
        } else if self.eat_keyword("LIKE") {
            if !kind.textual() {
                return Err(refuse("LIKE"));
            }
            let column = self.column();
            let Some(Tok::Str(pattern)) = self.peek() else {
                return Err(self.unexpected("a pattern string"));
            };
            let pattern = Like::compile(pattern).map_err(|m| ParseError::new(m, column))?;
            self.pos += 1;
            Op::Like(pattern)
        } else if self.eat_keyword("BETWEEN") {
            if !kind.ordered() {
                return Err(refuse("BETWEEN"));
            }
            let low = self.literal(prop, kind)?;
            self.expect_keyword("AND")?;
            Op::Between(low, self.literal(prop, kind)?)
        } else if let (false, Some(&Tok::Cmp(op))) = (negated, self.peek()) {
            if op.is_ordering() && !kind.ordered() {
                return Err(refuse(&format!("`{op}`")));
            }
            self.pos += 1;
            let value = self.literal(prop, kind)?;
            // A list "differs from" a value when it lacks it: the negation of `=`, which
            // matches when any element is equal.
            if kind == Kind::List && op == CmpOp::Ne {
                let eq = test(name, kind, Op::Compare(CmpOp::Eq, value));
                return Ok(Expr::Not(Box::new(eq)));
            }
            Op::Compare(op, value)
        } else if negated {
            return Err(self.unexpected("IN, LIKE or BETWEEN"));
        } else {
            return Err(self.unexpected("a comparison operator, IN, LIKE, BETWEEN or IS"));
        };
        Ok(negate(negated, test(name, kind, op)))
    }

    /// Reads a literal and converts it to the property's type; errors point at the literal.
    fn literal(&mut self, prop: &PropertyDef, kind: Kind) -> Result<Datum, ParseError> {
        let column = self.column();
        let lit = if self.eat_keyword("TRUE") {
            Lit::Bool(true)
        } else if self.eat_keyword("FALSE") {
            Lit::Bool(false)
        } else if self.eat_keyword("DATE") {
            Lit::Date(self.temporal_text()?)
        } else if self.eat_keyword("TIMESTAMP") {
            Lit::Timestamp(self.temporal_text()?)
        } else {
            let lit = match self.peek() {
                Some(Tok::Str(s)) => Lit::Str(s.clone()),
                Some(Tok::Num(n)) => Lit::Num(n.clone()),
                _ => return Err(self.unexpected("a literal")),
            };
            self.pos += 1;
            lit
        };
        typed(prop, kind, lit).map_err(|m| ParseError::new(m, column))
    }

    /// The `('…')` after DATE or TIMESTAMP.
    fn temporal_text(&mut self) -> Result<String, ParseError> {
        self.expect(&Tok::LParen)?;
        let Some(Tok::Str(s)) = self.peek() else {
            return Err(self.unexpected("a quoted date or time"));
        };
        let s = s.clone();
        self.pos += 1;
        self.expect(&Tok::RParen)?;
        Ok(s)
    }
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// One operand stands alone; more become an AND or OR of them.
fn flatten(mut items: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 {
        items.swap_remove(0)
    } else {
        join(items)
    }
}

fn negate(negated: bool, e: Expr) -> Expr {
    if negated { Expr::Not(Box::new(e)) } else { e }
}

fn test(property: String, kind: Kind, op: Op) -> Expr {
    Expr::Test(Test {
        property,
        any_element: kind == Kind::List,
        op,
    })
}

#[cfg(test)]
mod tests {
    use super::{MAX_CHARS, MAX_DEPTH};
    use crate::cql2::{ParseError, parse, test_layer};

    fn error(text: &str) -> ParseError {
        match parse(text, &test_layer()) {
            Ok(_) => panic!("{} parsed", text.chars().take(80).collect::<String>()),
            Err(e) => e,
        }
    }

    /// Asserts the error's column and that its message contains `needle`.
    fn fails_at(text: &str, column: usize, needle: &str) {
        let e = error(text);
        assert_eq!(e.column, column, "{text}: {e}");
        assert!(e.message.contains(needle), "{text}: {e}");
    }

    #[test]
    fn unknown_and_unfilterable_properties() {
        fails_at("statu = 'x'", 1, "unknown property `statu`");
        fails_at("name = 'a' AND 名称 = 'x'", 16, "unknown property `名称`");
        fails_at(
            "name = '上海' OR \"名 称\" = 'x'",
            16,
            "unknown property `名 称`",
        );
        fails_at("\"Name\" = 'x'", 1, "unknown property `Name`");
        fails_at("footprint IS NULL", 1, "geometry property `footprint`");
        fails_at("date = DATE('2024-01-01')", 1, "keyword `date`");
        fails_at(
            "count = 1 AND = 2",
            15,
            "expected a property name, found `=`",
        );
    }

    #[test]
    fn literals_must_fit_the_property() {
        fails_at(
            "area_m2 > 'big'",
            11,
            "expected a number for number property `area_m2`, found a string",
        );
        fails_at(
            "count = TRUE",
            9,
            "for integer property `count`, found a boolean",
        );
        fails_at(
            "name = 3",
            8,
            "expected a string for string property `name`, found a number",
        );
        fails_at("active = 'yes'", 10, "expected TRUE or FALSE");
        fails_at("opened = 'soon'", 10, "'soon' is not a date");
        fails_at("opened < DATE('2024-02-30')", 10, "not a date");
        fails_at(
            "opened = TIMESTAMP('2024-01-01T00:00:00Z')",
            10,
            "found a timestamp",
        );
        fails_at("updated = DATE('2024-01-01')", 11, "found a date");
        fails_at(
            "updated > '2024-01-01 08:00'",
            11,
            "not an RFC 3339 timestamp",
        );
        fails_at(
            "status IN ('待核查', '已结案')",
            19,
            "'已结案' is not a value of enum `status`",
        );
        fails_at("count IN (1, 'two')", 14, "found a string");
        fails_at("count = 1e999", 9, "out of range");
        fails_at("name = DATE '2024-01-01'", 13, "expected `(`");
    }

    #[test]
    fn operators_must_fit_the_property() {
        fails_at(
            "active > FALSE",
            8,
            "`>` does not apply to boolean property `active`",
        );
        fails_at("active BETWEEN FALSE AND TRUE", 8, "BETWEEN does not apply");
        fails_at(
            "tags < 'b'",
            6,
            "`<` does not apply to string_list property `tags`",
        );
        fails_at(
            "count LIKE '1%'",
            7,
            "LIKE does not apply to integer property `count`",
        );
        fails_at("opened NOT LIKE '2024%'", 8, "LIKE does not apply");
        fails_at("name LIKE 'a\\'", 11, "escape character");
        fails_at(
            "name LIKE name",
            11,
            "expected a pattern string, found `name`",
        );
    }

    #[test]
    fn syntax_errors_point_at_the_offending_token() {
        fails_at("name = 'abc", 8, "unterminated string");
        fails_at(
            "name = '上海' name",
            13,
            "expected AND, OR or the end of the filter, found `name`",
        );
        fails_at("name = 'a')", 11, "found `)`");
        fails_at(
            "(name = 'a'",
            12,
            "expected `)`, found the end of the filter",
        );
        fails_at("", 1, "empty filter");
        fails_at(" \n\t ", 1, "empty filter");
        fails_at("count IN ()", 11, "IN needs at least one value");
        fails_at("count IN (1,)", 13, "expected a literal, found `)`");
        fails_at("count IN (1 2)", 13, "expected `)`, found `2`");
        fails_at("name 'x'", 6, "expected a comparison operator");
        fails_at("name NOT = 'x'", 10, "expected IN, LIKE or BETWEEN");
        fails_at("name IS 'x'", 9, "expected NULL");
        fails_at("count BETWEEN 1 2", 17, "expected AND");
        fails_at("count = 1 AND", 14, "found the end of the filter");
        fails_at("count = 1 ; DROP TABLE t", 11, "unexpected character `;`");
        assert_eq!(
            error("statu = 'x'").to_string(),
            "unknown property `statu` in layer `t` at column 1"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        // Over the length limit: refused before any parsing.
        let parens = "(".repeat(100_000);
        fails_at(&parens, MAX_CHARS + 1, "longer than");
        // Within the length limit but far too deep, of either kind of nesting.
        let parens = format!("{}count = 1{}", "(".repeat(4_000), ")".repeat(4_000));
        assert!(parens.chars().count() <= MAX_CHARS);
        fails_at(&parens, MAX_DEPTH + 1, "nesting deeper than 64");
        fails_at(
            &"NOT ".repeat(2_000),
            4 * MAX_DEPTH + 1,
            "nesting deeper than 64",
        );
        // The limit itself is fine.
        let ok = format!(
            "{}count = 1{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(parse(&ok, &test_layer()).is_ok());
        let ok = format!("{}count = 1", "NOT ".repeat(MAX_DEPTH));
        assert!(parse(&ok, &test_layer()).is_ok());
    }

    #[test]
    fn long_inputs() {
        // 20 kB of otherwise valid filter is refused by its length.
        let clauses = "count = 1 OR ".repeat(20_000 / 13);
        fails_at(
            &format!("{clauses}count = 2"),
            MAX_CHARS + 1,
            "longer than 10000 characters",
        );
        // The limit counts characters, not bytes: 20 kB of Chinese within it is fine.
        let chinese = format!("name = '{}'", "上".repeat(6_700));
        assert!(chinese.len() > 20_000);
        assert!(parse(&chinese, &test_layer()).is_ok());
        // Just at the limit passes, and a long flat chain needs no deep recursion.
        let clause = " OR count = 1";
        let chain = format!("count = 0{}", clause.repeat((MAX_CHARS - 9) / clause.len()));
        let chain = format!("{chain}{}", " ".repeat(MAX_CHARS - chain.len()));
        assert_eq!(chain.chars().count(), MAX_CHARS);
        let f = parse(&chain, &test_layer()).unwrap();
        assert_eq!(f.properties(), ["count"]);
        let one = serde_json::Map::from_iter([("count".to_string(), serde_json::json!(1))]);
        assert!(f.matches(&one));
        fails_at(&format!("{chain} "), MAX_CHARS + 1, "longer than");
    }
}
