//! The address parser: normalised text → [`ParsedAddress`].
//!
//! It peels the levels from the largest to the smallest, as Chinese addresses are written.

pub(crate) mod numbers;
pub(crate) mod road;

use super::address::ParsedAddress;
use super::admin::{AdminVocabulary, Form, Found};
use super::normalize::normalize;
use numbers::{place_numbers, starts_with_number};
use road::{is_strong, numbers_start, split_road, weak_road_follows};

/// Longest normalised text parsed; anything longer is not one address (a pasted document, a
/// log line) and comes back whole in `rest`, which bounds the parser's work.
pub const MAX_CHARS: usize = 200;

/// Province-level names other than Shanghai. They are only recognised with a suffix from
/// [`PROVINCE_SUFFIXES`]: Shanghai names many roads after them (四川北路, 北京东路, 江苏路).
#[rustfmt::skip]
const PROVINCES: &[&str] = &[
    "北京", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南",
    "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
];

/// Suffixes of province-level names, longest first.
const PROVINCE_SUFFIXES: &[&str] = &[
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
];

/// Neighbouring cities whose addresses reach Shanghai agencies, recognised with 市 even
/// without a province (昆山市…); other cities need their province (浙江省温州市).
const NEARBY_CITIES: &[&str] = &[
    "苏州", "昆山", "太仓", "南通", "无锡", "常州", "南京", "嘉兴", "杭州", "宁波", "湖州", "舟山",
    "绍兴",
];

/// Parses an address typed by a person or exported by another system.
///
/// The text is [`normalize`]d, then levels are peeled left to right, each optional:
/// 1. `中国` when a province or city follows;
/// 2. `上海市`/`上海` when an address-like text (district, township, road, number), a text
///    with a numbered part somewhere, or nothing follows — otherwise it begins a name
///    (上海南站, 上海市第六人民医院) and stays in `rest`;
///    another province or city (江苏省, 北京市, 昆山市) goes into `city` for the geocoder to
///    refuse;
/// 3. the district: official or retired names, or a short name (浦东) only when an
///    address-like text follows (so 徐汇中学 stays a name); a name that is the head of a road
///    (浦东南路, 长宁路) is not a district;
/// 4. the township: official names, or a 街道's short name (徐家汇) only before a road or a
///    number; a township that contradicts the district is kept with both codes;
/// 5. the road: the text before the first digit when it ends in 路/街/大道/公路/大街/巷 (a
///    misspelt road is still isolated); otherwise that text goes to `rest` (a POI name);
/// 6. numbered parts (see the `numbers` module): 弄, 支弄, 号, building (幢/栋/座/号楼 →
///    `N号楼`), 单元, 室, a bare number (a room after a door number or building, else the door
///    number), floors (kept in `rest`).
///
/// Never panics; texts longer than [`MAX_CHARS`] after normalisation are returned whole in
/// `rest`.
pub fn parse(input: &str, vocab: &AdminVocabulary) -> ParsedAddress {
    let text = normalize(input);
    if text.chars().count() > MAX_CHARS {
        return ParsedAddress {
            rest: Some(text),
            ..ParsedAddress::default()
        };
    }
    let mut parser = Parser {
        vocab,
        out: ParsedAddress::default(),
        rest: String::new(),
    };
    let s = parser.city(&text);
    let s = parser.district(s);
    let s = parser.township(s);
    let s = parser.road(s);
    place_numbers(s, &mut parser.out, &mut parser.rest);
    let Parser { mut out, rest, .. } = parser;
    out.rest = (!rest.is_empty()).then_some(rest);
    out
}

struct Parser<'v> {
    vocab: &'v AdminVocabulary,
    out: ParsedAddress,
    rest: String,
}

impl Parser<'_> {
    fn city<'t>(&mut self, text: &'t str) -> &'t str {
        if township_here(self.vocab, text, None).is_some() {
            return text; // a township named after the city: 上海松江出口加工区
        }
        let s = text.strip_prefix("中国").unwrap_or(text);
        let peeled = || {
            ["上海市", "上海"]
                .into_iter()
                .filter_map(|p| s.strip_prefix(p))
        };
        // an address-like rest first, so that 上海|市光路 beats 上海市|光路
        let shanghai = peeled()
            .find(|after| after.is_empty() || address_like(self.vocab, after))
            .or_else(|| peeled().find(|after| has_number(after)));
        if let Some(after) = shanghai {
            self.out.city = Some("上海市".to_string());
            return after;
        }
        match other_city_len(s) {
            Some(len) => {
                self.out.city = Some(s[..len].to_string());
                &s[len..]
            }
            None => text,
        }
    }

    fn district<'t>(&mut self, s: &'t str) -> &'t str {
        let Some(found) = district_here(self.vocab, s) else {
            return s;
        };
        self.out.district = Some(s[..found.len].to_string());
        self.out.district_code = found.code.map(str::to_string);
        &s[found.len..]
    }

    fn township<'t>(&mut self, s: &'t str) -> &'t str {
        let district = self.out.district_code.as_deref();
        let Some(found) = township_here(self.vocab, s, district) else {
            return s;
        };
        self.out.township = Some(s[..found.len].to_string());
        self.out.township_code = found.code.map(str::to_string);
        &s[found.len..]
    }

    fn road<'t>(&mut self, s: &'t str) -> &'t str {
        if let Some((road, after)) = split_road(s) {
            self.out.road = Some(road.to_string());
            return after;
        }
        let end = numbers_start(s);
        self.rest.push_str(&s[..end]);
        &s[end..]
    }
}

/// A district name at the start of `s` that the text after it confirms: a short name needs an
/// address-like text after it; no name may be the head of a road or of a longer township name
/// (金山|卫镇 is 金山卫镇).
fn district_here<'v>(vocab: &'v AdminVocabulary, s: &str) -> Option<Found<'v>> {
    let found = vocab.district_at(s)?;
    let after = &s[found.len..];
    let confirmed = match found.form {
        Form::Short => address_like(vocab, after),
        Form::Full => !weak_road_follows(after),
    };
    let in_township = vocab
        .township_at(s, None)
        .is_some_and(|t| t.len > found.len);
    (confirmed && !in_township).then_some(found)
}

/// A township name at the start of `s`: a short name needs a road or a number after it; no
/// name may be the head of a road (堡镇|南路).
fn township_here<'v>(
    vocab: &'v AdminVocabulary,
    s: &str,
    district: Option<&str>,
) -> Option<Found<'v>> {
    let found = vocab.township_at(s, district)?;
    let after = &s[found.len..];
    let confirmed = match found.form {
        Form::Short => road_or_number(after),
        Form::Full => !weak_road_follows(after),
    };
    confirmed.then_some(found)
}

/// Whether `s` starts like the rest of an address: a district, a township, a road or a number.
fn address_like(vocab: &AdminVocabulary, s: &str) -> bool {
    district_here(vocab, s).is_some()
        || township_here(vocab, s, None).is_some()
        || road_or_number(s)
}

/// Whether a numbered part (`683号`) occurs anywhere in `s`: then the text is an address even
/// when its road is misspelt beyond recognition (上海|小木桥683号).
fn has_number(s: &str) -> bool {
    s.char_indices().any(|(i, _)| starts_with_number(&s[i..]))
}

fn road_or_number(s: &str) -> bool {
    split_road(s).is_some_and(|(road, _)| is_strong(road)) || starts_with_number(s)
}

/// Length in bytes of a non-Shanghai province and/or city at the start of `s`.
fn other_city_len(s: &str) -> Option<usize> {
    let province = PROVINCES.iter().find_map(|p| {
        let after = s.strip_prefix(p)?;
        let suffix = PROVINCE_SUFFIXES.iter().find(|x| after.starts_with(*x))?;
        Some(p.len() + suffix.len())
    });
    let start = province.unwrap_or(0);
    let total = start + city_len(&s[start..], province.is_some()).unwrap_or(0);
    (total > 0).then_some(total)
}

/// Length in bytes of `XX市` at the start of `s`: a nearby city, or after a province any name
/// of two to four characters.
fn city_len(s: &str, after_province: bool) -> Option<usize> {
    let nearby = NEARBY_CITIES
        .iter()
        .find(|c| s.strip_prefix(*c).is_some_and(|a| a.starts_with('市')));
    if let Some(city) = nearby {
        return Some(city.len() + '市'.len_utf8());
    }
    let (i, _) = s
        .char_indices()
        .take(5)
        .skip(2)
        .find(|&(_, c)| c == '市')
        .filter(|_| after_province)?;
    Some(i + '市'.len_utf8())
}

#[cfg(test)]
mod round_trip;
#[cfg(test)]
mod tests;
