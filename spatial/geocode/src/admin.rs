//! District and township names the parser recognises, with lookups by name and by code.
//!
//! The vocabulary is built from whatever district and township layers the gazetteer holds, so
//! it follows boundary changes without a code change; only the retired district names that
//! agencies still type are built in.

use super::normalize::normalize;
use super::parse::road::ends_with_road_suffix;

/// District names retired by mergers (2000–2016) that agencies still type, with the code of the
/// district that absorbed them. They are added only when that district is in the vocabulary.
const HISTORICAL_DISTRICTS: &[(&str, &str)] = &[
    ("卢湾区", "310101"),
    ("闸北区", "310106"),
    ("南汇区", "310115"),
    ("崇明县", "310151"),
];

/// Whether a name is the official one or a shortened alias (`浦东`, `徐家汇`). Aliases are
/// ambiguous with names of roads and places, so the parser accepts them only in context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Full,
    Short,
}

/// An administrative unit: a district (no parent) or a township (parent = district code).
#[derive(Debug, Clone)]
struct Unit {
    code: String,
    name: String,
    parent: Option<String>,
}

/// One normalised name under which a unit can be found.
#[derive(Debug, Clone)]
struct Key {
    text: String,
    unit: usize,
    form: Form,
}

/// A name found at the start of a text: its length in bytes, the code it resolved to (a
/// township name can stay unresolved when it repeats across districts) and its form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'v> {
    pub(crate) len: usize,
    pub(crate) code: Option<&'v str>,
    pub(crate) form: Form,
}

/// District and township names with their codes, and the aliases people write.
///
/// Recognised names, all compared after [`normalize`]:
/// - districts: the official name (`徐汇区`, `浦东新区`), the short name without 区/新区/县
///   (`徐汇`, `浦东`), and the retired names `卢湾区`, `闸北区`, `南汇区`, `崇明县` (and their
///   short names) mapped to the districts that absorbed them;
/// - townships: the official name (`徐家汇街道`, `七宝镇`), the name without a leading
///   `中国`/`上海`/`上海市` (the parser peels those off first), and for 街道 the name without
///   街道 (`徐家汇`) unless that is itself a road name (`南京东路街道` has no short name). Towns
///   (镇/乡) have no short name: `七宝` is as much a road or a POI as a town.
#[derive(Debug, Clone)]
pub struct AdminVocabulary {
    districts: Vec<Unit>,
    townships: Vec<Unit>,
    district_keys: Vec<Key>,
    township_keys: Vec<Key>,
}

impl AdminVocabulary {
    /// Builds the vocabulary from `(code, name)` districts and `(code, name, district_code)`
    /// townships, as the gazetteer layers hold them.
    pub fn new(
        districts: impl IntoIterator<Item = (String, String)>,
        townships: impl IntoIterator<Item = (String, String, String)>,
    ) -> Self {
        let districts: Vec<Unit> = districts
            .into_iter()
            .map(|(code, name)| Unit {
                code,
                name,
                parent: None,
            })
            .collect();
        let townships: Vec<Unit> = townships
            .into_iter()
            .map(|(code, name, district)| Unit {
                code,
                name,
                parent: Some(district),
            })
            .collect();
        // a name that normalises to nothing would match everywhere
        let mut district_keys = district_keys(&districts);
        district_keys.retain(|k| !k.text.is_empty());
        let mut township_keys = township_keys(&townships);
        township_keys.retain(|k| !k.text.is_empty());
        Self {
            districts,
            townships,
            district_keys,
            township_keys,
        }
    }

    /// The code of a district by any name it is known by (official, short or retired). The
    /// context rule for short names is the parser's business, not this lookup's.
    pub fn district_by_name(&self, name: &str) -> Option<&str> {
        let name = normalize(name);
        let key = self.district_keys.iter().find(|k| k.text == name)?;
        Some(&self.districts[key.unit].code)
    }

    /// The code of a township by its official or short name. When the name repeats across
    /// districts, `district_code` picks one; it never hides a name that is unique elsewhere, so
    /// that a contradiction between a written district and township stays visible (compare
    /// with [`Self::township_district`]).
    pub fn township_by_name(&self, name: &str, district_code: Option<&str>) -> Option<&str> {
        let name = normalize(name);
        let units = self
            .township_keys
            .iter()
            .filter(|k| k.text == name)
            .map(|k| k.unit);
        self.resolve(units, district_code)
            .map(|u| self.townships[u].code.as_str())
    }

    /// The official name of a district code (the current one for retired names).
    pub fn district_name(&self, code: &str) -> Option<&str> {
        self.districts
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.name.as_str())
    }

    /// The official name of a township code.
    pub fn township_name(&self, code: &str) -> Option<&str> {
        self.township(code).map(|t| t.name.as_str())
    }

    /// The district code a township belongs to.
    pub fn township_district(&self, code: &str) -> Option<&str> {
        self.township(code).and_then(|t| t.parent.as_deref())
    }

    fn township(&self, code: &str) -> Option<&Unit> {
        self.townships.iter().find(|t| t.code == code)
    }

    /// The longest district name at the start of `text`.
    pub(crate) fn district_at(&self, text: &str) -> Option<Found<'_>> {
        let key = self
            .district_keys
            .iter()
            .filter(|k| text.starts_with(&k.text))
            .max_by_key(|k| k.text.len())?;
        let code = Some(self.districts[key.unit].code.as_str());
        Some(Found {
            len: key.text.len(),
            code,
            form: key.form,
        })
    }

    /// The longest township name at the start of `text`, resolved with `district_code`. A
    /// short name that does not resolve to one township is not a match.
    pub(crate) fn township_at(&self, text: &str, district_code: Option<&str>) -> Option<Found<'_>> {
        let matching = || {
            self.township_keys
                .iter()
                .filter(|k| text.starts_with(&k.text))
        };
        let len = matching().map(|k| k.text.len()).max()?;
        let longest = || matching().filter(|k| k.text.len() == len);
        let form = if longest().any(|k| k.form == Form::Full) {
            Form::Full
        } else {
            Form::Short
        };
        let unit = self.resolve(longest().map(|k| k.unit), district_code);
        let code = unit.map(|u| self.townships[u].code.as_str());
        (form == Form::Full || code.is_some()).then_some(Found { len, code, form })
    }

    /// Picks one township among candidates: the only one in `district_code`, else the only
    /// one at all.
    fn resolve(
        &self,
        units: impl Iterator<Item = usize>,
        district_code: Option<&str>,
    ) -> Option<usize> {
        let mut units: Vec<usize> = units.collect();
        units.sort_unstable();
        units.dedup();
        let in_district: Vec<usize> = units
            .iter()
            .copied()
            .filter(|&u| {
                district_code.is_some() && self.townships[u].parent.as_deref() == district_code
            })
            .collect();
        match (in_district.as_slice(), units.as_slice()) {
            ([one], _) | ([], [one]) => Some(*one),
            _ => None,
        }
    }
}

fn district_keys(districts: &[Unit]) -> Vec<Key> {
    let official = districts
        .iter()
        .enumerate()
        .map(|(i, d)| (i, d.name.as_str()));
    let historical = HISTORICAL_DISTRICTS.iter().filter_map(|&(name, code)| {
        let unit = districts.iter().position(|d| d.code == code)?;
        Some((unit, name))
    });
    let mut keys = Vec::new();
    for (unit, name) in official.chain(historical) {
        let full = normalize(name);
        if let Some(short) = district_short(&full) {
            keys.push(Key {
                text: short.to_string(),
                unit,
                form: Form::Short,
            });
        }
        keys.push(Key {
            text: full,
            unit,
            form: Form::Full,
        });
    }
    keys
}

/// `浦东新区` → `浦东`, `徐汇区` → `徐汇`, `崇明县` → `崇明`; none when less than two
/// characters would remain.
fn district_short(full: &str) -> Option<&str> {
    let stem = ["新区", "区", "县"]
        .iter()
        .find_map(|s| full.strip_suffix(s))?;
    (stem.chars().count() >= 2).then_some(stem)
}

fn township_keys(townships: &[Unit]) -> Vec<Key> {
    let mut keys = Vec::new();
    for (unit, township) in townships.iter().enumerate() {
        let full = normalize(&township.name);
        if let Some(local) = without_city(&full) {
            keys.push(Key {
                text: local.to_string(),
                unit,
                form: Form::Full,
            });
        }
        if let Some(short) = township_short(&full) {
            keys.push(Key {
                text: short.to_string(),
                unit,
                form: Form::Short,
            });
        }
        keys.push(Key {
            text: full,
            unit,
            form: Form::Full,
        });
    }
    keys
}

/// `中国上海自由贸易试验区保税片区` → `自由贸易试验区保税片区`: the parser peels the country and
/// city off the text before it looks for a township.
fn without_city(name: &str) -> Option<&str> {
    let name = name.strip_prefix("中国").unwrap_or(name);
    let local = ["上海市", "上海"]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    (!local.is_empty()).then_some(local)
}

/// `徐家汇街道` → `徐家汇`; none for towns, for stems shorter than two characters and for
/// stems that are road names (`南京东路街道`).
fn township_short(full: &str) -> Option<&str> {
    let stem = full.strip_suffix("街道")?;
    (stem.chars().count() >= 2 && !ends_with_road_suffix(stem)).then_some(stem)
}

/// The real Shanghai vocabulary (16 districts, 234 townships) from the data crate's CSV, for
/// tests only: the spatial crate does not depend on the data crate.
#[cfg(test)]
pub(crate) fn shanghai_for_tests() -> AdminVocabulary {
    let rows: Vec<Vec<&str>> = include_str!("../../../data/townships.csv")
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect())
        .collect();
    let mut districts: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[2].to_string(), r[3].to_string()))
        .collect();
    districts.sort();
    districts.dedup();
    let townships = rows
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string()));
    AdminVocabulary::new(districts, townships)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_data_loads() {
        let v = shanghai_for_tests();
        assert_eq!(v.districts.len(), 16);
        assert_eq!(v.townships.len(), 234);
    }

    #[test]
    fn district_names() {
        let v = shanghai_for_tests();
        let cases = [
            ("徐汇区", Some("310104")),
            ("徐汇", Some("310104")),
            ("浦东新区", Some("310115")),
            ("浦东", Some("310115")),
            ("卢湾区", Some("310101")),
            ("卢湾", Some("310101")),
            ("闸北区", Some("310106")),
            ("南汇区", Some("310115")),
            ("崇明县", Some("310151")),
            ("崇明", Some("310151")),
            ("徐匯區", Some("310104")),
            (" 黄浦区 ", Some("310101")),
            ("浦东新", None),
            ("区", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(v.district_by_name(name), want, "{name}");
        }
        assert_eq!(v.district_name("310106"), Some("静安区"));
        assert_eq!(v.district_name("310108"), None);
    }

    #[test]
    fn township_names() {
        let v = shanghai_for_tests();
        let cases = [
            ("徐家汇街道", None, Some("310104014")),
            ("徐家汇", None, Some("310104014")),
            ("七宝镇", None, Some("310112102")),
            ("七宝", None, None),
            ("泥城镇", Some("310115"), Some("310115140")),
            ("南京东路", None, None),
            ("南京东路街道", None, Some("310101002")),
            (
                "中国（上海）自由贸易试验区（保税片区）",
                None,
                Some("310115501"),
            ),
            ("自由贸易试验区保税片区", None, Some("310115501")),
            ("七宝镇", Some("310104"), Some("310112102")),
        ];
        for (name, district, want) in cases {
            assert_eq!(v.township_by_name(name, district), want, "{name}");
        }
        assert_eq!(v.township_name("310104014"), Some("徐家汇街道"));
        assert_eq!(v.township_district("310104014"), Some("310104"));
        assert_eq!(v.township_name("1"), None);
    }

    #[test]
    fn repeated_township_names_resolve_with_the_district() {
        let districts = [("1", "甲区"), ("2", "乙区")].map(|(c, n)| (c.into(), n.into()));
        let townships = [
            ("12", "（）", "1"),
            ("11", "新华街道", "1"),
            ("21", "新华街道", "2"),
            ("22", "东湖镇", "2"),
        ]
        .map(|(c, n, d)| (c.into(), n.into(), d.into()));
        let v = AdminVocabulary::new(districts, townships);
        assert_eq!(v.township_by_name("新华街道", Some("1")), Some("11"));
        assert_eq!(v.township_by_name("新华街道", Some("2")), Some("21"));
        assert_eq!(v.township_by_name("新华街道", None), None);
        assert_eq!(v.township_by_name("新华", Some("2")), Some("21"));
        assert_eq!(v.township_by_name("东湖镇", Some("1")), Some("22"));
        let full = v.township_at("新华街道人民路", None).unwrap();
        assert_eq!(
            (full.len, full.code, full.form),
            ("新华街道".len(), None, Form::Full)
        );
        assert!(v.township_at("新华人民路", None).is_none());
        assert!(v.township_at("人民路", None).is_none());
        assert_eq!(
            v.township_at("新华人民路", Some("1")).unwrap().code,
            Some("11")
        );
    }
}
