//! Synthetic names: roads laid out on a per-district grid, and people.
//!
//! Shanghai convention: north–south roads are named after provinces (四川路, 西藏路), east–west
//! roads after cities (南京路, 福州路), and suburban arterials are 公路 (沪太公路, 嘉松公路) or
//! 大道 (人民大道). Short local streets between the grid lines get two-character names (金桥路).
//! None of the generated road/number combinations is a real address.

use std::sync::OnceLock;

use geo::Coord;

use crate::districts::districts;
use crate::geom::metres_per_degree;
use crate::rng::Rng;
use crate::synth::gazetteer::network::Network;

const PROVINCES: &[&str] = &[
    "四川", "河南", "江西", "福建", "浙江", "西藏", "云南", "山东", "山西", "广西", "贵州", "湖北",
    "湖南", "陕西", "江苏", "甘肃", "新疆", "辽宁", "青海", "宁夏", "吉林", "河北", "安徽",
];
const CITIES: &[&str] = &[
    "南京", "北京", "天津", "福州", "汉口", "九江", "宁波", "厦门", "苏州", "杭州", "长沙", "昆明",
    "济南", "太原", "西安", "成都", "南昌", "合肥", "大连", "沈阳", "长春", "营口", "锦州", "丹东",
    "延安", "长治", "武昌", "温州", "无锡", "常州", "扬州", "绍兴", "嘉兴", "湖州",
];
const HIGHWAYS: &[&str] = &[
    "沪太",
    "沪宜",
    "嘉松",
    "曹安",
    "沪青平",
    "川沙",
    "南六",
    "申江",
    "亭枫",
    "松卫",
    "叶新",
    "朱枫",
    "沪南",
    "浦星",
    "金海",
    "南芦",
    "海川",
    "大叶",
    "沪杭",
    "金石",
    "陈海",
    "北沿",
    "宝杨",
    "月罗",
    "嘉戬",
    "胜辛",
    "外青松",
    "青赵",
    "新松",
    "莘砖",
    "沪金",
    "南奉",
    "航亭",
];
/// North–south 公路 take the first half, east–west the second: a district never has two
/// perpendicular roads of the same name.
const HIGHWAY_SPLIT: usize = 16;
const TOWN_ROADS: &[&str] = &[
    "振兴", "新华", "人民", "解放", "建设", "胜利", "育才", "民主", "兴园", "工业", "富民", "新农",
    "金园", "林荫", "团结", "向阳", "文化", "园区", "科创", "创业", "复兴", "和平", "友谊", "幸福",
    "光明", "朝阳", "东风", "红旗", "前进", "跃进", "繁荣", "安康", "长安", "公园",
];
/// As for `HIGHWAY_SPLIT`: north–south town roads take the first half of `TOWN_ROADS`.
const TOWN_SPLIT: usize = 17;
/// Local street names are one character of each list (金桥, 秀浦): 400 names, enough for the
/// largest district.
const LOCAL_FIRST: &[&str] = &[
    "金", "银", "秀", "康", "华", "丰", "瑞", "泰", "锦", "嘉", "盛", "昌", "永", "宏", "祥", "凌",
    "和", "安", "广", "春",
];
const LOCAL_SECOND: &[&str] = &[
    "桥", "浦", "林", "苑", "湾", "泾", "塘", "宁", "兴", "隆", "乐", "欣", "明", "韵", "环", "霞",
    "川", "溪", "庄", "杨",
];
const NS_SUFFIX: &[&str] = &["", "北", "中", "南"];
const EW_SUFFIX: &[&str] = &["", "东", "中", "西"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "曹", "彭", "蒋", "蔡",
    "沈", "顾", "陆", "钱", "施", "姚", "盛", "龚", "金", "倪", "严",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "英", "华", "建", "国", "文", "辉", "玲", "红", "斌", "鹏", "宇", "浩", "凯",
    "晨", "婷", "雪", "琳", "峰", "俊", "欣", "佳", "怡", "晓", "振", "海", "春", "荣", "林", "志",
    "永", "德",
];

/// A synthetic person name: surname plus one or two given-name characters.
pub(crate) fn person(rng: &mut Rng) -> String {
    let mut s = String::from(*rng.pick(SURNAMES));
    for _ in 0..if rng.chance(0.7) { 2 } else { 1 } {
        let given: &&str = rng.pick(GIVEN);
        s.push_str(given);
    }
    s
}

/// Central districts (the 7 inside the inner ring) get a dense grid of province/city roads.
pub(crate) fn is_central(code: &str) -> bool {
    matches!(
        code,
        "310101" | "310104" | "310105" | "310106" | "310107" | "310109" | "310110"
    )
}

/// A per-district grid of synthetic roads: north–south lines every `spacing` metres named
/// after provinces (or 公路 in suburbs), east–west lines named after cities (or 公路).
///
/// The gazetteer's road network ([`Network`]) is built on this grid, and [`RoadGrid::address`]
/// answers from that network, so that invented addresses name gazetteer roads and numbers.
pub(crate) struct RoadGrid {
    origin: Coord,
    mx: f64,
    my: f64,
    pub(crate) spacing: f64,
    suburban: bool,
    salt: u64,
    pub(crate) district: usize,
    pub(crate) seed: u64,
    network: OnceLock<Network>,
}

/// A position on the road grid: the north–south and east–west road indices.
#[derive(Clone, Copy)]
pub(crate) struct Crossing {
    pub(crate) i: i64,
    pub(crate) j: i64,
}

impl RoadGrid {
    /// The grid of `district` (index into `districts()`); `seed` only affects the names.
    pub(crate) fn new(district: usize, seed: u64) -> Self {
        let d = &districts()[district];
        let bbox = geo::BoundingRect::bounding_rect(&d.geometry).expect("non-empty");
        let (mx, my) = metres_per_degree(bbox.center().y);
        let central = is_central(d.code);
        RoadGrid {
            origin: bbox.min(),
            mx,
            my,
            spacing: if central { 380.0 } else { 950.0 },
            suburban: !central,
            salt: seed ^ (district as u64).wrapping_mul(0x9E37_79B9),
            district,
            seed,
            network: OnceLock::new(),
        }
    }

    /// Grid coordinates of `c`: road `i` runs along x = i, road `j` along y = j.
    pub(crate) fn to_grid(&self, c: Coord) -> (f64, f64) {
        (
            (c.x - self.origin.x) * self.mx / self.spacing,
            (c.y - self.origin.y) * self.my / self.spacing,
        )
    }

    /// The position of grid coordinates (x, y): the inverse of [`RoadGrid::to_grid`].
    pub(crate) fn grid_coord(&self, x: f64, y: f64) -> Coord {
        Coord {
            x: self.origin.x + x * self.spacing / self.mx,
            y: self.origin.y + y * self.spacing / self.my,
        }
    }

    /// The gazetteer road network of this district and seed (built on first use).
    pub(crate) fn network(&self) -> &Network {
        self.network.get_or_init(|| Network::build(self))
    }

    /// The crossing nearest to `c`.
    pub(crate) fn nearest_crossing(&self, c: Coord) -> Crossing {
        let (x, y) = self.to_grid(c);
        Crossing {
            i: x.round() as i64,
            j: y.round() as i64,
        }
    }

    pub(crate) fn crossing_coord(&self, k: Crossing) -> Coord {
        self.grid_coord(k.i as f64, k.j as f64)
    }

    fn pick(&self, list: &[&str], axis: u64, index: i64) -> usize {
        let mut r = Rng::new(self.salt ^ axis, "road");
        let offset = r.below(list.len()) as i64;
        // consecutive lines get different names (7 is coprime with every list length here)
        (offset + index * 7).rem_euclid(list.len() as i64) as usize
    }

    /// Suburban town roads: every fourth one is a 大道.
    fn town_road(&self, list: &[&str], axis: u64, index: i64) -> String {
        let kind = if index.div_euclid(3).rem_euclid(4) == 0 {
            "大道"
        } else {
            "路"
        };
        format!("{}{kind}", list[self.pick(list, axis, index)])
    }

    /// Name of the north–south road `i`.
    pub(crate) fn ns_road(&self, i: i64) -> String {
        if self.suburban && i.rem_euclid(3) == 0 {
            let list = &HIGHWAYS[..HIGHWAY_SPLIT];
            format!("{}公路", list[self.pick(list, 1, i)])
        } else if self.suburban && i.rem_euclid(3) == 1 {
            self.town_road(&TOWN_ROADS[..TOWN_SPLIT], 2, i)
        } else {
            let suffix = NS_SUFFIX[self.pick(NS_SUFFIX, 3, i / 8)];
            format!("{}{}路", PROVINCES[self.pick(PROVINCES, 4, i)], suffix)
        }
    }

    /// Name of the east–west road `j`.
    pub(crate) fn ew_road(&self, j: i64) -> String {
        if self.suburban && j.rem_euclid(3) == 0 {
            let list = &HIGHWAYS[HIGHWAY_SPLIT..];
            format!("{}公路", list[self.pick(list, 5, j + 1000)])
        } else if self.suburban && j.rem_euclid(3) == 1 {
            self.town_road(&TOWN_ROADS[TOWN_SPLIT..], 6, j + 1000)
        } else {
            let suffix = EW_SUFFIX[self.pick(EW_SUFFIX, 7, j / 8)];
            format!("{}{}路", CITIES[self.pick(CITIES, 8, j)], suffix)
        }
    }

    /// The `n`-th local street name of this district (a permutation of all 400, so that the
    /// caller can skip names already taken).
    pub(crate) fn local_road(&self, n: usize) -> String {
        let total = LOCAL_FIRST.len() * LOCAL_SECOND.len();
        // 7 is coprime with 400: consecutive calls give distinct names
        let k = (Rng::new(self.salt ^ 9, "road").below(total) + n * 7) % total;
        let suffix = if k.is_multiple_of(5) { "街" } else { "路" };
        format!(
            "{}{}{suffix}",
            LOCAL_FIRST[k / LOCAL_SECOND.len()],
            LOCAL_SECOND[k % LOCAL_SECOND.len()]
        )
    }

    /// A street address "{road}{n}号" at `c`: the nearest gazetteer road and the house number
    /// the gazetteer's numbering gives that position (odd on the left of the numbering direction,
    /// even on the right), so that it can be geocoded back to about where it was made up.
    pub(crate) fn address(&self, c: Coord) -> String {
        let (road, number) = self.network().address(c);
        format!("{road}{number}号")
    }
}
