//! LIKE patterns: `%` matches any run of characters, `_` exactly one, and `\` makes the
//! character after it literal (`\%`, `\_`, `\\`). Matching is case-sensitive.

use std::iter::once;

/// A compiled pattern: the pieces between its `%`s, each of a fixed length in characters
/// (`None` is a `_`). Matching needs no backtracking: the first piece must start the text,
/// the last must end it, and each middle one is taken at its leftmost occurrence, which
/// leaves the most text for the rest. At worst O(pattern × text), with no compile step
/// and no size limit, unlike a regex.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Like {
    /// Never empty: a pattern without `%` is one piece.
    pieces: Vec<Vec<Option<char>>>,
}

impl Like {
    pub fn compile(pattern: &str) -> Result<Self, String> {
        let mut pieces = vec![Vec::new()];
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let piece = match c {
                '%' => {
                    pieces.push(Vec::new());
                    continue;
                }
                '_' => None,
                '\\' => Some(
                    chars
                        .next()
                        .ok_or("a LIKE pattern cannot end with the escape character `\\`")?,
                ),
                c => Some(c),
            };
            pieces.last_mut().expect("never empty").push(piece);
        }
        Ok(Self { pieces })
    }

    pub fn matches(&self, text: &str) -> bool {
        let (first, rest) = self.pieces.split_first().expect("never empty");
        let Some(mut text) = strip_prefix(text, first) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return text.is_empty();
        };
        for piece in middle {
            match find(text, piece) {
                Some(after) => text = after,
                None => return false,
            }
        }
        ends_with(text, last)
    }
}

/// What follows `piece` when `text` starts with it.
fn strip_prefix<'a>(text: &'a str, piece: &[Option<char>]) -> Option<&'a str> {
    let mut chars = text.chars();
    for p in piece {
        let c = chars.next()?;
        if p.is_some_and(|p| p != c) {
            return None;
        }
    }
    Some(chars.as_str())
}

/// What follows the leftmost occurrence of `piece` in `text`.
fn find<'a>(text: &'a str, piece: &[Option<char>]) -> Option<&'a str> {
    text.char_indices()
        .map(|(i, _)| &text[i..])
        .chain(once(""))
        .find_map(|t| strip_prefix(t, piece))
}

fn ends_with(text: &str, piece: &[Option<char>]) -> bool {
    match piece.len() {
        0 => true,
        n => text
            .char_indices()
            .rev()
            .nth(n - 1)
            .is_some_and(|(i, _)| strip_prefix(&text[i..], piece) == Some("")),
    }
}

#[cfg(test)]
mod tests {
    use super::Like;

    fn like(pattern: &str, text: &str) -> bool {
        Like::compile(pattern).unwrap().matches(text)
    }

    #[test]
    fn wildcards() {
        assert!(like("abc", "abc"));
        assert!(!like("abc", "abcd"), "anchored at the end");
        assert!(!like("bc", "abc"), "anchored at the start");
        assert!(like("a%", "a"));
        assert!(like("a%", "abc"));
        assert!(like("%c", "abc"));
        assert!(like("a%c", "a\nc"), "% crosses newlines");
        assert!(like("a_c", "abc"));
        assert!(!like("a_c", "ac"));
        assert!(like("%", ""));
        assert!(!like("_", ""));
        assert!(
            like("上_路%", "上海路88号"),
            "_ is one character, not one byte"
        );
        assert!(!like("ABC", "abc"), "case-sensitive");
    }

    #[test]
    fn escapes_and_regex_metacharacters() {
        assert!(like(r"50\%", "50%"));
        assert!(!like(r"50\%", "500"));
        assert!(like(r"a\_b", "a_b"));
        assert!(!like(r"a\_b", "axb"));
        assert!(like(r"a\\b", r"a\b"));
        assert!(like(r"\a", "a"), "an escaped ordinary character is itself");
        assert!(like("a.b*(c)[d]$^|+?{1}", "a.b*(c)[d]$^|+?{1}"));
        assert!(!like("a.b", "axb"));
        assert!(Like::compile(r"abc\").is_err());
    }

    #[test]
    fn pieces_between_percents() {
        assert!(like("", ""));
        assert!(!like("", "a"));
        assert!(like("%%", ""));
        assert!(like("a%%b", "ab"));
        assert!(like("a%b%c", "a-b-b-c"));
        assert!(!like("a%b%c", "a-c-b"));
        // The last piece may not reuse characters the middle ones consumed.
        assert!(!like("%ab%b", "ab"));
        assert!(like("%ab%b", "abb"));
        assert!(!like("ab%ba", "aba"));
        assert!(like("%_海_%", "上海市"));
        assert!(!like("%_海_%", "海市"));
        assert!(like("a%", "a"));
        assert!(!like("%a", ""));
    }

    #[test]
    fn long_patterns_and_texts_are_cheap() {
        let pattern = "_%".repeat(5_000);
        assert!(like(&pattern, &"字".repeat(5_000)));
        assert!(!like(&pattern, &"字".repeat(4_999)));
        let pattern = format!("{}b", "%a".repeat(5_000));
        assert!(!like(&pattern, &"a".repeat(10_000)));
    }
}
