//! The SYNTHETIC sample gazetteer (地名地址库): roads, house numbers and named places.
//!
//! Built on the per-district [`RoadGrid`] so that every other synthetic layer's invented address
//! (illegal buildings) names a gazetteer road and the number the gazetteer gives that position.
//! See `data/README.md` for the conventions (numbering direction, sides, address format).

pub(crate) mod network;

mod houses;
mod pois;

use geo::Coord;
use serde_json::Value;

use crate::districts::{District, districts};
use crate::geom::{coord_json, feature, object, point_json};
use crate::names::RoadGrid;
use houses::House;
use network::Road;

/// The three gazetteer layers' features.
pub(crate) struct Gazetteer {
    pub(crate) roads: Vec<Value>,
    pub(crate) addresses: Vec<Value>,
    pub(crate) pois: Vec<Value>,
}

pub(crate) fn generate(seed: u64) -> Gazetteer {
    let mut g = Gazetteer {
        roads: Vec::new(),
        addresses: Vec::new(),
        pois: Vec::new(),
    };
    for (di, d) in districts().iter().enumerate() {
        let grid = RoadGrid::new(di, seed);
        let roads = &grid.network().roads;
        let houses = houses::generate(seed, &grid);
        let addresses: Vec<String> = houses
            .iter()
            .map(|h| standard_address(d, &roads[h.road], h))
            .collect();
        for (serial, road) in roads.iter().enumerate() {
            g.roads.push(road_feature(d, road, serial));
        }
        for (serial, (h, a)) in houses.iter().zip(&addresses).enumerate() {
            g.addresses
                .push(address_feature(d, &roads[h.road], h, a.clone(), serial));
        }
        g.pois
            .extend(pois::generate(seed, &grid, &houses, &addresses));
    }
    g
}

/// 上海市{区}{路}[{弄}弄][{支弄}支弄]{号}号[{幢}号楼]: unique in the layer (a road name is unique
/// within its district, and one road never repeats a number on its frontage or in a lane).
fn standard_address(d: &District, road: &Road, h: &House) -> String {
    let mut s = format!("上海市{}{}", d.name, road.name);
    if let Some(lane) = h.lane {
        s.push_str(&format!("{lane}弄"));
    }
    if let Some(sub) = h.sub_lane {
        s.push_str(&format!("{sub}支弄"));
    }
    s.push_str(&format!("{}号", h.number));
    if let Some(b) = h.building {
        s.push_str(&building(b));
    }
    s
}

fn building(b: u32) -> String {
    format!("{b}号楼")
}

fn string_list(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(s.as_str())).collect())
}

fn line_json(a: Coord, b: Coord) -> Value {
    Value::Array(vec![coord_json(a), coord_json(b)])
}

fn road_feature(d: &District, road: &Road, serial: usize) -> Value {
    let mut props = vec![
        (
            "road_code",
            Value::from(format!("{}R{:04}", d.code, serial + 1)),
        ),
        ("name", Value::from(road.name.as_str())),
    ];
    if !road.aliases.is_empty() {
        props.push(("aliases", string_list(&road.aliases)));
    }
    props.push(("district_code", Value::from(d.code)));
    feature(
        object([
            ("type", "MultiLineString".into()),
            (
                "coordinates",
                Value::Array(road.parts.iter().map(|p| line_json(p.a, p.b)).collect()),
            ),
        ]),
        object(props),
    )
}

fn address_feature(d: &District, road: &Road, h: &House, standard: String, serial: usize) -> Value {
    let mut props = vec![
        (
            "address_code",
            Value::from(format!("{}A{:07}", d.code, serial + 1)),
        ),
        ("road", Value::from(road.name.as_str())),
    ];
    if let Some(lane) = h.lane {
        props.push(("lane", Value::from(lane)));
    }
    if let Some(sub) = h.sub_lane {
        props.push(("sub_lane", Value::from(sub)));
    }
    props.push(("number", Value::from(h.number)));
    if let Some(b) = h.building {
        props.push(("building", Value::from(building(b))));
    }
    props.extend([
        ("district_code", Value::from(d.code)),
        ("township_code", Value::from(h.township.code)),
        ("standard_address", Value::from(standard)),
    ]);
    feature(point_json(h.at), object(props))
}
