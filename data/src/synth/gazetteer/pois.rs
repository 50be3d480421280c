//! Named places (POIs) of one district, each at a house number of its township.
//!
//! Per township its office, community health centre and a school, plus 1–3 of park, market,
//! residential compound, station and mall; per district the district government and hospital,
//! and in the central districts the numbered city hospitals (上海市第六人民医院, alias 六院).
//! Each stands 20 m behind a house number of its township, whose standard address it takes.

use std::collections::HashSet;

use geo::Coord;
use serde_json::Value;

use super::houses::{FRONTAGE_M, House};
use crate::districts::{districts, land};
use crate::geom::{feature, object, point_json, round7};
use crate::names::RoadGrid;
use crate::rng::Rng;
use crate::townships::{Township, nearest_township, townships};

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
/// How far behind its house number a place stands.
const SETBACK_M: f64 = 20.0;

struct Poi {
    name: String,
    aliases: Vec<String>,
    category: &'static str,
}

fn poi(name: String, aliases: Vec<String>, category: &'static str) -> Poi {
    Poi {
        name,
        aliases,
        category,
    }
}

/// The township name without its 街道/镇/乡 suffix (外滩街道 → 外滩); other units (开发区, 农场)
/// keep their full name.
fn stem(t: &Township) -> &str {
    ["街道", "新镇", "镇", "乡"]
        .iter()
        .find_map(|s| t.name.strip_suffix(s))
        .unwrap_or(t.name)
}

fn office(t: &Township) -> Poi {
    if t.name.ends_with("街道") {
        poi(format!("{}办事处", t.name), vec![], "政府机关")
    } else if t.name.ends_with('镇') || t.name.ends_with('乡') {
        poi(
            format!("{}人民政府", t.name),
            vec![format!("{}政府", t.name)],
            "政府机关",
        )
    } else {
        poi(
            format!("{}管理委员会", t.name),
            vec![format!("{}管委会", t.name)],
            "政府机关",
        )
    }
}

/// One of the optional places, named after the township or the road it is on.
fn extra(rng: &mut Rng, kind: usize, t: &Township, road: &str, chongming: bool) -> Poi {
    let place = stem(t);
    let road_stem: String = road.chars().take(2).collect();
    match kind {
        0 => poi(format!("{place}公园"), vec![], "公园"),
        1 => poi(
            format!("{road_stem}菜市场"),
            vec![format!("{road_stem}菜场")],
            "市场",
        ),
        2 => {
            let suffix = rng.pick(&["新村", "苑", "花园", "小区"]);
            poi(format!("{road_stem}{suffix}"), vec![], "小区")
        }
        3 if chongming => poi(format!("{place}汽车站"), vec![], "交通枢纽"),
        3 => poi(
            format!("{road}地铁站"),
            vec![format!("{road}站")],
            "交通枢纽",
        ),
        _ => {
            let suffix = rng.pick(&["广场", "购物中心", "百货"]);
            poi(format!("{place}{suffix}"), vec![], "商场")
        }
    }
}

pub(crate) fn generate(
    seed: u64,
    grid: &RoadGrid,
    houses: &[House],
    addresses: &[String],
) -> Vec<Value> {
    let d = &districts()[grid.district];
    let mut rng = Rng::new(seed, &format!("gazetteer-pois/{}", d.code));
    let roads = &grid.network().roads;
    let ts: Vec<&Township> = townships()
        .iter()
        .filter(|t| t.district_code == d.code)
        .collect();
    // house numbers on a road frontage (not in a lane, not a building behind a gate), by township
    let gates: Vec<Vec<usize>> = ts
        .iter()
        .map(|t| {
            (0..houses.len())
                .filter(|&i| {
                    let h = &houses[i];
                    h.township.code == t.code && h.lane.is_none() && h.building.is_none()
                })
                .collect()
        })
        .collect();
    let mut placed: Vec<(Poi, usize)> = Vec::new();
    let mut names = HashSet::new();
    let mut add = |rng: &mut Rng, p: Poi, gates: &[usize], placed: &mut Vec<(Poi, usize)>| {
        if !gates.is_empty() && names.insert(p.name.clone()) {
            placed.push((p, *rng.pick(gates)));
        }
    };
    let short = d.name.trim_end_matches("新区").trim_end_matches('区');
    add(
        &mut rng,
        poi(
            format!("{}人民政府", d.name),
            vec![format!("{}政府", d.name)],
            "政府机关",
        ),
        &gates[0],
        &mut placed,
    );
    let t = rng.below(gates.len());
    add(
        &mut rng,
        poi(
            format!("{}中心医院", d.name),
            vec![format!("{short}中心医院")],
            "医院",
        ),
        &gates[t],
        &mut placed,
    );
    if let Some(k) = [
        "310101", "310104", "310105", "310106", "310107", "310109", "310110",
    ]
    .iter()
    .position(|c| *c == d.code)
    {
        // 第一…第七 in the central districts, 第八…第十 in the first three
        for n in [k, k + 7].into_iter().filter(|n| *n < NUMERALS.len()) {
            let t = rng.below(gates.len());
            add(
                &mut rng,
                poi(
                    format!("上海市第{}人民医院", NUMERALS[n]),
                    vec![format!("{}院", NUMERALS[n])],
                    "医院",
                ),
                &gates[t],
                &mut placed,
            );
        }
    }
    for (t, g) in ts.iter().zip(&gates) {
        let place = stem(t);
        add(&mut rng, office(t), g, &mut placed);
        add(
            &mut rng,
            poi(format!("{place}社区卫生服务中心"), vec![], "医院"),
            g,
            &mut placed,
        );
        let school = rng.pick(&["小学", "中学", "实验小学", "第二中学"]);
        add(
            &mut rng,
            poi(format!("{place}{school}"), vec![], "学校"),
            g,
            &mut placed,
        );
        let first = rng.below(5);
        for k in 0..rng.int(1, 3) as usize {
            let Some(&h) = g.get(rng.below(g.len().max(1))) else {
                break;
            };
            let p = extra(
                &mut rng,
                (first + 2 * k) % 5,
                t,
                &roads[houses[h].road].name,
                d.code == "310151",
            );
            add(&mut rng, p, &[h], &mut placed);
        }
    }
    placed
        .into_iter()
        .enumerate()
        .map(|(serial, (p, h))| {
            let house = &houses[h];
            let at = behind(grid, house);
            let township = nearest_township(d.code, at.x, at.y).expect("district has townships");
            let mut props = vec![
                (
                    "poi_code",
                    Value::from(format!("{}P{:05}", d.code, serial + 1)),
                ),
                ("name", Value::from(p.name)),
            ];
            if !p.aliases.is_empty() {
                props.push((
                    "aliases",
                    Value::Array(p.aliases.into_iter().map(Value::from).collect()),
                ));
            }
            props.extend([
                ("category", Value::from(p.category)),
                ("district_code", Value::from(d.code)),
                ("township_code", Value::from(township.code)),
                ("address", Value::from(addresses[h].as_str())),
            ]);
            feature(point_json(at), object(props))
        })
        .collect()
}

/// `SETBACK_M` behind the house number, away from its road; the house position itself when that
/// would leave the district or the house's township.
fn behind(grid: &RoadGrid, house: &House) -> Coord {
    let road = &grid.network().roads[house.road];
    let part = road
        .parts
        .iter()
        .find(|p| {
            let along = house.measure - p.offset_m;
            (0.0..=p.len_m).contains(&along)
        })
        .expect("a house lies along its road");
    let side = if house.left { 1.0 } else { -1.0 };
    let at = round7(part.at(
        house.measure - part.offset_m,
        side * (FRONTAGE_M + SETBACK_M),
    ));
    let same_township = nearest_township(house.township.district_code, at.x, at.y)
        .is_some_and(|t| t.code == house.township.code);
    if land().locate(at, 3.0) == Some(grid.district) && same_township {
        at
    } else {
        house.at
    }
}
