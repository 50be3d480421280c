//! The numbered parts after the road: 弄, 支弄, 号, 号楼/幢/栋/座, 单元, 室, and floors.

use crate::address::ParsedAddress;

/// The part a marker numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Lane,
    SubLane,
    Number,
    Building,
    Unit,
    Room,
    Floor,
}

/// Markers after a number, longest first where one is a prefix of another (号楼 before 号).
const MARKERS: &[(&str, Part)] = &[
    ("支弄", Part::SubLane),
    ("弄", Part::Lane),
    ("号楼", Part::Building),
    ("号", Part::Number),
    ("幢", Part::Building),
    ("栋", Part::Building),
    ("座", Part::Building),
    ("单元", Part::Unit),
    ("室", Part::Room),
    ("层", Part::Floor),
    ("楼", Part::Floor),
];

/// Longest number that is read as a door or room number; longer bare numbers are postcodes or
/// phone numbers and stay in `rest`.
const MAX_BARE_DIGITS: usize = 5;

/// Longest token accepted as a building or room designation.
const MAX_DESIGNATION: usize = 8;

/// Whether `text` starts with a number and a marker (`683号`, `251弄`, `3号楼`), not a floor.
pub(crate) fn starts_with_number(text: &str) -> bool {
    token(text).is_some_and(|(tok, after)| {
        tok.bytes().all(|b| b.is_ascii_digit()) && marker(after).0.is_some_and(|p| p != Part::Floor)
    })
}

/// Places the numbered parts of `text` into `out`; text it cannot place is appended to `rest`.
pub(crate) fn place_numbers(text: &str, out: &mut ParsedAddress, rest: &mut String) {
    let mut placer = Placer {
        out,
        rest,
        past_door: false,
    };
    let mut s = text;
    while let Some(c) = s.chars().next() {
        let after_c = &s[c.len_utf8()..];
        if c == '第' && after_c.starts_with(|d: char| d.is_ascii_digit()) {
            s = after_c;
            continue;
        }
        let Some((tok, after_tok)) = token(s) else {
            placer.rest.push(c);
            s = after_c;
            continue;
        };
        let (part, after) = marker(after_tok);
        if !placer.place(tok, part) {
            placer.rest.push_str(&s[..s.len() - after.len()]);
        }
        s = after;
    }
}

/// Fills the address one numbered part at a time; `past_door` records that the door number (or
/// something below it) was seen, so that a bare number after it is a room.
struct Placer<'a> {
    out: &'a mut ParsedAddress,
    rest: &'a mut String,
    past_door: bool,
}

impl Placer<'_> {
    /// Places one token; false when it does not fit (the caller keeps it as rest).
    fn place(&mut self, tok: &str, part: Option<Part>) -> bool {
        let placed = match part {
            Some(Part::Lane) => number_into(&mut self.out.lane, tok, self.rest),
            Some(Part::SubLane) => number_into(&mut self.out.sub_lane, tok, self.rest),
            Some(Part::Number) => number_into(&mut self.out.number, tok, self.rest),
            Some(Part::Unit) => number_into(&mut self.out.unit, tok, self.rest),
            Some(Part::Building) => self.building(tok),
            Some(Part::Room) => self.room(tok),
            Some(Part::Floor) => false,
            None => self.bare(tok),
        };
        if part.is_some_and(|p| p != Part::Lane && p != Part::SubLane) {
            self.past_door = true;
        }
        placed
    }

    /// `3幢`, `3栋`, `3座`, `3号楼`, `A座` → `3号楼`, `A号楼`: one canonical form to match.
    fn building(&mut self, tok: &str) -> bool {
        if self.out.building.is_some() || tok.contains('-') || tok.len() > MAX_DESIGNATION {
            return false;
        }
        let name = tok
            .parse::<u32>()
            .map_or_else(|_| tok.to_string(), |n| n.to_string());
        self.out.building = Some(format!("{name}号楼"));
        true
    }

    fn room(&mut self, tok: &str) -> bool {
        if self.out.room.is_some() || tok.len() > MAX_DESIGNATION {
            return false;
        }
        self.out.room = Some(tok.to_string());
        true
    }

    /// A number without a marker: a room once the door number or building was seen
    /// (`3号楼502`, `683号502`), else the door number itself (`小木桥路683`).
    fn bare(&mut self, tok: &str) -> bool {
        let main = tok.split('-').next().unwrap_or(tok);
        if main.len() > MAX_BARE_DIGITS || !main.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        if self.past_door {
            return self.room(tok);
        }
        self.past_door = number_into(&mut self.out.number, tok, self.rest);
        self.past_door
    }
}

/// Stores a numeric part unless it is already set or not a number. A sub-number after a hyphen
/// (`12-3号`) has no field: the main number is kept and `-3` goes to `rest`, so the loss shows.
fn number_into(field: &mut Option<u32>, tok: &str, rest: &mut String) -> bool {
    let (main, sub) = tok
        .split_once('-')
        .map_or((tok, None), |(m, s)| (m, Some(s)));
    let Some(n) = main
        .parse::<u32>()
        .ok()
        .filter(|_| field.is_none() && main.bytes().all(|b| b.is_ascii_digit()))
    else {
        return false;
    };
    *field = Some(n);
    if let Some(sub) = sub {
        rest.push('-');
        rest.push_str(sub);
    }
    true
}

/// An ASCII alphanumeric token at the start of `text` (`683`, `502A`, `B`), with an optional
/// `-` and second part (`12-3`); returns it and the text after it.
fn token(text: &str) -> Option<(&str, &str)> {
    let alnum = |s: &str| s.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let mut end = alnum(text);
    if end == 0 {
        return None;
    }
    if text[end..].starts_with('-') {
        let sub = alnum(&text[end + 1..]);
        if sub > 0 {
            end += 1 + sub;
        }
    }
    Some(text.split_at(end))
}

/// The marker at the start of `text`, if any, and the text after it.
fn marker(text: &str) -> (Option<Part>, &str) {
    MARKERS
        .iter()
        .find_map(|&(m, part)| text.strip_prefix(m).map(|after| (Some(part), after)))
        .unwrap_or((None, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(text: &str) -> (ParsedAddress, String) {
        let mut out = ParsedAddress::default();
        let mut rest = String::new();
        place_numbers(text, &mut out, &mut rest);
        (out, rest)
    }

    #[test]
    fn parts() {
        let (a, rest) = placed("251弄3支弄5号12幢2单元502室");
        assert_eq!(
            (a.lane, a.sub_lane, a.number, a.unit),
            (Some(251), Some(3), Some(5), Some(2))
        );
        assert_eq!(
            (a.building.as_deref(), a.room.as_deref(), rest.as_str()),
            (Some("12号楼"), Some("502"), "")
        );
    }

    #[test]
    fn bare_numbers() {
        let cases = [
            ("683", Some(683), None, None, ""),
            ("683号502", Some(683), None, Some("502"), ""),
            ("3号楼502", None, Some("3号楼"), Some("502"), ""),
            ("03栋502", None, Some("3号楼"), Some("502"), ""),
            ("A座1201", None, Some("A号楼"), Some("1201"), ""),
            ("5楼502", None, None, Some("502"), "5楼"),
            ("683号200030", Some(683), None, None, "200030"),
            ("12-3号", Some(12), None, None, "-3"),
            ("第5号", Some(5), None, None, ""),
            ("1号2号", Some(1), None, None, "2号"),
            ("99999999999号", None, None, None, "99999999999号"),
            ("近斜土路", None, None, None, "近斜土路"),
            ("683号TEL", Some(683), None, None, "TEL"),
            ("AB", None, None, None, "AB"),
            ("", None, None, None, ""),
        ];
        for (text, number, building, room, rest) in cases {
            let (a, r) = placed(text);
            assert_eq!(
                (
                    a.number,
                    a.building.as_deref(),
                    a.room.as_deref(),
                    r.as_str()
                ),
                (number, building, room, rest),
                "{text}"
            );
        }
    }

    #[test]
    fn number_detection() {
        assert!(starts_with_number("683号"));
        assert!(starts_with_number("251弄3号"));
        assert!(!starts_with_number("5楼"));
        assert!(!starts_with_number("683"));
        assert!(!starts_with_number("A座"));
    }
}
