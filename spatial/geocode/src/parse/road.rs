//! Road names: where a road ends, and whether a text is a road and not the tail of a name.

/// Suffixes that end a road name, longest first so that the stem is as short as possible.
/// Bare 道 is not one: in Shanghai it ends 街道 (a township), 隧道 or 通道, and the roads that
/// end in 道 are all 大道. 街 is one, and 街道 never matches it because it ends in 道.
const ROAD_SUFFIXES: &[&str] = &["大道", "大街", "公路", "路", "街", "巷"];

/// Characters that do not make a road name on their own: directions, ordinals and the like, as
/// in 南路, 北一路, 南二路, 环路, 支路, 新路. A stem made only of these is the tail of a longer
/// road name (浦东|南路, 中山|南二路), not a road after an alias.
const WEAK_STEM_CHARS: &str = "东南西北中一二三四五六七八九十支环新老大小";

/// Whether `name` ends in a road suffix.
pub(crate) fn ends_with_road_suffix(name: &str) -> bool {
    stem(name).is_some()
}

/// The road at the start of `text`: everything before the numbered parts (see
/// [`numbers_start`]), when that ends in a road suffix after a non-empty stem. Returns the road
/// and the text after it.
pub(crate) fn split_road(text: &str) -> Option<(&str, &str)> {
    let end = numbers_start(text);
    let road = &text[..end];
    stem(road).filter(|s| !s.is_empty())?;
    Some((road, &text[end..]))
}

/// Whether `road` is unmistakably a road of its own: its stem has at least two characters and
/// one of them is not a direction or ordinal. Used to accept an alias (浦东世纪大道) and to
/// refuse a name that is really the head of a road (浦东南路, 宝山路, 中山南二路).
pub(crate) fn is_strong(road: &str) -> bool {
    stem(road)
        .is_some_and(|s| s.chars().count() >= 2 && s.chars().any(|c| !WEAK_STEM_CHARS.contains(c)))
}

/// Whether `text` starts with a road that is not strong, so that the name before it is part of
/// that road.
pub(crate) fn weak_road_follows(text: &str) -> bool {
    split_road(text).is_some_and(|(road, _)| !is_strong(road))
}

/// Where the numbered parts begin: the first ASCII letter or digit (`683号`, `A座`), or a 第
/// right before a digit (`第683号`); the end of `text` if none.
pub(crate) fn numbers_start(text: &str) -> usize {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ordinal = c == '第' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit());
        if c.is_ascii_alphanumeric() || ordinal {
            return i;
        }
    }
    text.len()
}

fn stem(name: &str) -> Option<&str> {
    ROAD_SUFFIXES.iter().find_map(|s| name.strip_suffix(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roads() {
        let cases = [
            ("小木桥路683号", Some(("小木桥路", "683号"))),
            ("中山北一路1200号", Some(("中山北一路", "1200号"))),
            ("世纪大道100号", Some(("世纪大道", "100号"))),
            ("南京路步行街", Some(("南京路步行街", ""))),
            ("沪闵公路", Some(("沪闵公路", ""))),
            ("徐家汇街道", None),
            ("徐家汇公园", None),
            ("路1号", None),
            ("大道", None),
            ("683号", None),
            ("真北路A座", Some(("真北路", "A座"))),
            ("小木桥路第683号", Some(("小木桥路", "第683号"))),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(split_road(text), want, "{text}");
        }
    }

    #[test]
    fn strength() {
        for road in ["小木桥路", "世纪大道", "九江路", "中山南二路", "张杨路"] {
            assert!(is_strong(road), "{road}");
        }
        for road in [
            "南路",
            "路",
            "大道",
            "南二路",
            "北一路",
            "环路",
            "支路",
            "新路",
            "老街",
            "公路",
        ] {
            assert!(!is_strong(road), "{road}");
        }
        assert!(weak_road_follows("南路100号"));
        assert!(!weak_road_follows("世纪大道100号"));
        assert!(!weak_road_follows("100号"));
    }
}
