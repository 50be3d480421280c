//! Property tests: random addresses with officers' noise parse back; random text never panics.

use super::*;
use crate::admin::shanghai_for_tests;
use crate::normalize::TRAD_SIMP;

#[test]
fn random_text_never_panics() {
    let v = shanghai_for_tests();
    let alphabet: Vec<char> =
        "0123456789-－号弄支室幢栋座单元层楼一二三四五六七八九十百千零〇两上海市中国浦东新区徐汇街道镇路大道街巷第A，。 😀\u{0}"
            .chars()
            .collect();
    let mut rng = SplitMix(7);
    for _ in 0..5_000 {
        let len = rng.below(300);
        let text: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let _ = parse(&text, &v);
    }
}

/// splitmix64: a deterministic generator so that a failing case reproduces.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }
}

/// Realistic road names, including numerals and directions inside the name and names that
/// begin with a district or township alias (浦东南路, 宝山路, 虹桥路, 中山南二路, 市光路).
const ROADS: &[&str] = &[
    "小木桥路",
    "中山北一路",
    "南京东路",
    "四川北路",
    "世纪大道",
    "瑞金二路",
    "淮海中路",
    "九江路",
    "肇嘉浜路",
    "沪闵公路",
    "曹杨路",
    "张杨路",
    "漕宝路",
    "龙华东路",
    "三林路",
    "七莘路",
    "延安西路",
    "天目西路",
    "衡山路",
    "东大名路",
    "西藏南路",
    "北京东路",
    "长乐路",
    "浦东南路",
    "浦东大道",
    "宝山路",
    "长宁路",
    "虹桥路",
    "中山南二路",
    "龙华西路",
    "陆家嘴环路",
    "徐家汇路",
    "江苏北路",
    "市光路",
    "华山路",
    "石门一路",
    "真北路",
    "共和新路",
    "军工路",
    "沪太路",
    "南京路步行街",
];

const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// A number as officers write it: ASCII, full-width, Chinese digit by digit or positional.
fn render_number(n: u32, rng: &mut SplitMix, chinese: bool) -> String {
    let style = if chinese { rng.below(4) } else { rng.below(2) };
    match style {
        0 => n.to_string(),
        1 => n
            .to_string()
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap())
            .collect(),
        2 => n
            .to_string()
            .chars()
            .map(|c| DIGITS[c.to_digit(10).unwrap() as usize])
            .collect(),
        _ => positional_chinese(n),
    }
}

/// 1200 → 一千二百, 105 → 一百零五, 10 → 十, 110 → 一百一十.
fn positional_chinese(n: u32) -> String {
    let mut out = String::new();
    let mut zero = false;
    for (place, unit) in [(1000, "千"), (100, "百"), (10, "十"), (1, "")] {
        let d = n / place % 10;
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        if !(d == 1 && place == 10 && out.is_empty()) {
            out.push(DIGITS[d as usize]);
        }
        out.push_str(unit);
    }
    out
}

/// Replaces about half the characters that have a traditional form by it.
fn traditionalise(text: &str, rng: &mut SplitMix) -> String {
    text.chars()
        .map(|c| match TRAD_SIMP.iter().find(|&&(_, s)| s == c) {
            Some(&(t, _)) if rng.percent(50) => t,
            _ => c,
        })
        .collect()
}

/// Sprinkles spaces and punctuation between characters.
fn add_noise(text: &str, rng: &mut SplitMix) -> String {
    const NOISE: [&str; 5] = [" ", "\u{3000}", "，", "、", "  "];
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if rng.percent(8) {
            out.push_str(NOISE[rng.below(NOISE.len())]);
        }
    }
    out
}

/// Everything the generator needs from the real vocabulary.
struct Districts {
    /// (code, official name, aliases other than the official one)
    names: Vec<(String, String, Vec<String>)>,
    /// (code, name, district code)
    townships: Vec<(String, String, String)>,
}

fn districts() -> Districts {
    let rows: Vec<Vec<&str>> = include_str!("../../../../data/townships.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let mut names: Vec<(String, String, Vec<String>)> = Vec::new();
    for r in &rows {
        if names.iter().all(|(code, _, _)| code != r[2]) {
            let short = r[3]
                .trim_end_matches("新区")
                .trim_end_matches(['区', '县'])
                .to_string();
            let mut aliases = vec![short];
            let retired = [
                ("310101", "卢湾"),
                ("310106", "闸北"),
                ("310115", "南汇"),
                ("310151", "崇明"),
            ];
            for (code, old) in retired.iter().filter(|(code, _)| *code == r[2]) {
                let suffix = if *code == "310151" { "县" } else { "区" };
                aliases.push(format!("{old}{suffix}"));
                aliases.push(old.to_string());
            }
            names.push((r[2].to_string(), r[3].to_string(), aliases));
        }
    }
    let townships = rows
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string()))
        .collect();
    Districts { names, townships }
}

/// Renders one random structured address and returns the text with the parse expected of it.
fn random_case(d: &Districts, rng: &mut SplitMix) -> (String, ParsedAddress) {
    let mut want = ParsedAddress::default();
    let mut text = String::new();
    let prefix = ["", "上海市", "上海", "中国上海市"][rng.below(4)];
    text.push_str(prefix);
    if !prefix.is_empty() {
        want.city = Some("上海市".into());
    }
    let (code, official, aliases) = &d.names[rng.below(d.names.len())];
    if rng.percent(70) {
        let written = if rng.percent(50) {
            official
        } else {
            &aliases[rng.below(aliases.len())]
        };
        text.push_str(written);
        want.district = Some(written.clone());
        want.district_code = Some(code.clone());
    }
    if rng.percent(30) {
        let in_district: Vec<_> = d.townships.iter().filter(|t| &t.2 == code).collect();
        let (t_code, name, _) = in_district[rng.below(in_district.len())];
        text.push_str(name);
        want.township = Some(normalize(name));
        want.township_code = Some(t_code.clone());
    }
    let road = ROADS[rng.below(ROADS.len())];
    text.push_str(road);
    want.road = Some(road.to_string());
    render_numbers(&mut text, &mut want, rng);
    let text = if rng.percent(30) {
        traditionalise(&text, rng)
    } else {
        text
    };
    let text = if rng.percent(30) {
        add_noise(&text, rng)
    } else {
        text
    };
    (text, want)
}

/// Appends lane, sub-lane, number, building, unit and room, each optional.
fn render_numbers(text: &mut String, want: &mut ParsedAddress, rng: &mut SplitMix) {
    if rng.percent(30) {
        let lane = rng.range(1, 999);
        text.push_str(&format!("{}弄", render_number(lane, rng, true)));
        want.lane = Some(lane);
        if rng.percent(30) {
            let sub = rng.range(1, 30);
            text.push_str(&format!("{}支弄", render_number(sub, rng, true)));
            want.sub_lane = Some(sub);
        }
    }
    if rng.percent(85) {
        let number = rng.range(1, 9999);
        text.push_str(&format!("{}号", render_number(number, rng, true)));
        want.number = Some(number);
    }
    if rng.percent(30) {
        let marker = ["幢", "栋", "座", "号楼"][rng.below(4)];
        let (written, canonical) = if rng.percent(15) {
            let letter = ["A", "B", "C"][rng.below(3)];
            (letter.to_string(), letter.to_string())
        } else {
            let n = rng.range(1, 60);
            (render_number(n, rng, true), n.to_string())
        };
        want.building = Some(format!("{canonical}号楼"));
        text.push_str(&format!("{written}{marker}"));
    }
    if rng.percent(20) {
        let unit = rng.range(1, 9);
        text.push_str(&format!("{}单元", render_number(unit, rng, true)));
        want.unit = Some(unit);
    }
    if rng.percent(30) {
        let room = rng.range(101, 2999);
        let door = want.number.is_some() || want.building.is_some() || want.unit.is_some();
        if door && rng.percent(50) {
            text.push_str(&render_number(room, rng, false));
        } else {
            text.push_str(&format!("{}室", render_number(room, rng, true)));
        }
        want.room = Some(room.to_string());
    }
}

#[test]
fn random_addresses_round_trip() {
    let v = shanghai_for_tests();
    let d = districts();
    let mut rng = SplitMix(0x5EED);
    for i in 0..20_000 {
        let (text, want) = random_case(&d, &mut rng);
        assert_eq!(parse(&text, &v), want, "case {i}: {text}");
    }
}
