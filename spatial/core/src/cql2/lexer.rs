//! Splits CQL2 text into tokens, each with the 1-based character column it starts at.
//!
//! Keywords are not told apart here: a bare word is a [`Tok::Word`] and the parser decides
//! whether it is a keyword, so a quoted identifier can always name a property whatever it
//! is called.

use super::ParseError;
use super::ast::CmpOp;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare identifier or keyword, as written.
    Word(String),
    /// A `"double-quoted"` identifier, unescaped.
    Quoted(String),
    /// A `'single-quoted'` string literal, unescaped (`''` is one `'`).
    Str(String),
    /// A numeric literal's text with its sign, parsed once the property's type is known.
    Num(String),
    LParen,
    RParen,
    Comma,
    Cmp(CmpOp),
}

impl std::fmt::Display for Tok {
    /// The token as an error message quotes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Word(w) | Self::Num(w) => write!(f, "`{w}`"),
            Self::Quoted(q) => write!(f, "`\"{q}\"`"),
            Self::Str(s) => write!(f, "'{s}'"),
            Self::LParen => f.write_str("`(`"),
            Self::RParen => f.write_str("`)`"),
            Self::Comma => f.write_str("`,`"),
            Self::Cmp(op) => write!(f, "`{op}`"),
        }
    }
}

#[derive(Debug)]
pub(super) struct Token {
    pub tok: Tok,
    pub column: usize,
}

/// Tokenises the whole input; the caller has already bounded its length.
pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let err = |message: String| ParseError::new(message, i + 1);
        let next = chars.get(i + 1).copied();
        // Each arm gives the token and the index just past it.
        let (tok, end) = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            ',' => (Tok::Comma, i + 1),
            '=' => (Tok::Cmp(CmpOp::Eq), i + 1),
            '<' if next == Some('>') => (Tok::Cmp(CmpOp::Ne), i + 2),
            '<' if next == Some('=') => (Tok::Cmp(CmpOp::Le), i + 2),
            '<' => (Tok::Cmp(CmpOp::Lt), i + 1),
            '>' if next == Some('=') => (Tok::Cmp(CmpOp::Ge), i + 2),
            '>' => (Tok::Cmp(CmpOp::Gt), i + 1),
            '\'' | '"' => {
                let (body, close) = quoted(&chars, i)
                    .ok_or_else(|| err(format!("unterminated {}", quote_name(c))))?;
                let tok = if c == '\'' {
                    Tok::Str(body)
                } else {
                    Tok::Quoted(body)
                };
                (tok, close + 1)
            }
            _ if c.is_alphabetic() || c == '_' => {
                let end = scan(&chars, i, |c| c.is_alphanumeric() || c == '_');
                (Tok::Word(chars[i..end].iter().collect()), end)
            }
            _ if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => {
                let end = number_end(&chars, i).map_err(err)?;
                (Tok::Num(chars[i..end].iter().collect()), end)
            }
            _ => return Err(err(format!("unexpected character `{c}`"))),
        };
        tokens.push(Token { tok, column: i + 1 });
        i = end;
    }
    Ok(tokens)
}

fn quote_name(q: char) -> &'static str {
    if q == '\'' {
        "string"
    } else {
        "quoted identifier"
    }
}

/// Reads a literal quoted by `chars[open]`, where a doubled quote stands for one; returns
/// the body and the index of the closing quote, or None when the input ends first.
fn quoted(chars: &[char], open: usize) -> Option<(String, usize)> {
    let q = chars[open];
    let mut body = String::new();
    let mut i = open + 1;
    loop {
        match *chars.get(i)? {
            c if c == q && chars.get(i + 1) == Some(&q) => {
                body.push(q);
                i += 2;
            }
            c if c == q => return Some((body, i)),
            c => {
                body.push(c);
                i += 1;
            }
        }
    }
}

fn scan(chars: &[char], from: usize, keep: impl Fn(char) -> bool) -> usize {
    from + chars[from..].iter().take_while(|&&c| keep(c)).count()
}

/// The end of `[+-] digits [. digits] [e [+-] digits]` (or `[+-] . digits …`) at `start`.
fn number_end(chars: &[char], start: usize) -> Result<usize, String> {
    let digit = |c: char| c.is_ascii_digit();
    let mut i = start;
    if matches!(chars[i], '-' | '+') {
        i += 1;
    }
    let int_end = scan(chars, i, digit);
    let mut end = int_end;
    let mut digits = int_end > i;
    if chars.get(end) == Some(&'.') {
        let frac_end = scan(chars, end + 1, digit);
        digits |= frac_end > end + 1;
        end = frac_end;
    }
    if !digits {
        return Err(format!("unexpected character `{}`", chars[start]));
    }
    if matches!(chars.get(end), Some('e' | 'E')) {
        let mut j = end + 1;
        if matches!(chars.get(j), Some('-' | '+')) {
            j += 1;
        }
        let exp_end = scan(chars, j, digit);
        if exp_end == j {
            return Err("malformed number: no digits after the exponent".into());
        }
        end = exp_end;
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(Tok, usize)> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| (t.tok, t.column))
            .collect()
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            toks("status = '待核查' AND \"名称\"<>-1.5e3"),
            [
                (Tok::Word("status".into()), 1),
                (Tok::Cmp(CmpOp::Eq), 8),
                (Tok::Str("待核查".into()), 10),
                (Tok::Word("AND".into()), 16),
                (Tok::Quoted("名称".into()), 20),
                (Tok::Cmp(CmpOp::Ne), 24),
                (Tok::Num("-1.5e3".into()), 26),
            ]
        );
    }

    #[test]
    fn doubled_quotes_escape_themselves() {
        assert_eq!(
            toks(r#"'it''s' "a""b" '' '\%'"#),
            [
                (Tok::Str("it's".into()), 1),
                (Tok::Quoted("a\"b".into()), 9),
                (Tok::Str(String::new()), 16),
                // Backslashes are left for LIKE to interpret.
                (Tok::Str("\\%".into()), 19),
            ]
        );
    }

    #[test]
    fn operators_and_numbers() {
        let ops: Vec<_> = toks("< <= <> > >= = ( ) ,")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            ops,
            [
                Tok::Cmp(CmpOp::Lt),
                Tok::Cmp(CmpOp::Le),
                Tok::Cmp(CmpOp::Ne),
                Tok::Cmp(CmpOp::Gt),
                Tok::Cmp(CmpOp::Ge),
                Tok::Cmp(CmpOp::Eq),
                Tok::LParen,
                Tok::RParen,
                Tok::Comma,
            ]
        );
        for n in [
            "0", "-3", "+4", "2.5", ".5", "-.5", "7.", "1e9", "1E-3", "-2.5e+2",
        ] {
            assert_eq!(toks(n), [(Tok::Num(n.into()), 1)], "{n}");
        }
        // `a>=1` needs no spaces.
        assert_eq!(toks("a>=1").len(), 3);
    }

    #[test]
    fn bad_input_is_located() {
        let e = tokenize("name = 'abc").unwrap_err();
        assert_eq!((e.message.as_str(), e.column), ("unterminated string", 8));
        let e = tokenize("\"名称 = 1").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.column),
            ("unterminated quoted identifier", 1)
        );
        let e = tokenize("a = 1e").unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed number: no digits after the exponent at column 5"
        );
        let e = tokenize("a = -x").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.column),
            ("unexpected character `-`", 5)
        );
        let e = tokenize("上海 ; 1").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.column),
            ("unexpected character `;`", 4)
        );
    }
}
