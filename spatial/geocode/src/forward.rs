//! Forward geocoding: a parsed address → ranked candidate points.
//!
//! The most precise level the gazetteer supports wins: the exact house point; else a position
//! interpolated along the road by number and side; else the road; else a named place; else the
//! township or district. A road found only by edit distance, or in another district than the one
//! written, is still used (officers mistype, and districts are often written wrong) but with a
//! lower confidence and a warning, and the road's own district wins.

use geo::Point;
use serde::Serialize;

use super::address::{ParsedAddress, standard_address};
use super::gazetteer::{Gazetteer, House, SourceFeature, Street};
use super::interpolate::{Known, Station, station_for};

/// How precise a candidate is, most precise first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchLevel {
    /// The house-number point itself.
    House,
    /// A point along the road's centre line, placed by number and side.
    Interpolated,
    /// The middle of the road's centre line (or of its houses): no usable number.
    Road,
    /// A named place.
    Poi,
    /// The township's representative point.
    Township,
    /// A point inside the district.
    District,
}

impl MatchLevel {
    /// The confidence of an answer at this level when everything else matched exactly.
    fn base_confidence(self) -> f64 {
        match self {
            MatchLevel::House => 1.0,
            MatchLevel::Interpolated => 0.8,
            MatchLevel::Poi => 0.75,
            MatchLevel::Road => 0.55,
            MatchLevel::Township => 0.35,
            MatchLevel::District => 0.2,
        }
    }
}

/// Confidence lost per edit in the road name.
const EDIT_PENALTY: f64 = 0.12;
/// Factor for a written district that contradicts the road's.
const CONTRADICTION_FACTOR: f64 = 0.8;
/// Factor for a written building (号楼) the gazetteer does not know at that number.
const MISSING_BUILDING_FACTOR: f64 = 0.9;
/// Factor for each of several equally good best answers.
const AMBIGUITY_FACTOR: f64 = 0.75;
/// Two candidates closer than this (metres, roughly) at the same level are one.
const SAME_PLACE_DEG: f64 = 1e-5;

/// One answer: a CGCS2000 point with what it stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// How precise the point is.
    pub level: MatchLevel,
    /// CGCS2000 longitude.
    pub lon: f64,
    /// CGCS2000 latitude.
    pub lat: f64,
    /// In [0, 1].
    pub confidence: f64,
    /// The standard address (标准地址) of the answer, at its level.
    pub standard_address: String,
    /// 6-digit code of the district the answer lies in.
    pub district_code: Option<String>,
    /// That district's name.
    pub district_name: Option<String>,
    /// 9-digit code of the township the answer lies in.
    pub township_code: Option<String>,
    /// That township's name.
    pub township_name: Option<String>,
    /// The gazetteer feature the point comes from (the house, road, place or unit).
    pub feature: Option<SourceFeature>,
    /// `local`, or the upstream provider's name.
    pub source: String,
    /// What did not agree (a contradicting district, a corrected road name…).
    pub warnings: Vec<String>,
}

/// The candidates for one parsed address, best first, at most `limit`.
pub fn candidates(gz: &Gazetteer, parsed: &ParsedAddress, limit: usize) -> Vec<Candidate> {
    let split = district_in_road(gz, parsed);
    let parsed = split.as_ref().unwrap_or(parsed);
    let mut out = Vec::new();
    if let Some(road) = &parsed.road {
        for (street, edits) in gz.find_streets(road) {
            if let Some(c) = on_street(gz, parsed, street, edits) {
                out.push(c);
            }
        }
    }
    // A "road" the gazetteer does not know may be a place name (徐家汇公园).
    let unknown_road = parsed.road.as_ref().filter(|_| out.is_empty());
    for text in [parsed.rest.as_ref(), unknown_road].into_iter().flatten() {
        out.extend(places(gz, parsed, text));
    }
    out.extend(admin(gz, parsed));
    rank(&mut out, limit);
    out
}

/// The parser leaves a district glued to a road when the road's name could continue the
/// district's (浦东新区|南六公路 reads like 浦东新区南…); the gazetteer knows its roads, so a "road"
/// that is a district's full name followed by a known road is split here.
fn district_in_road(gz: &Gazetteer, p: &ParsedAddress) -> Option<ParsedAddress> {
    let road = p.road.as_deref().filter(|_| p.district_code.is_none())?;
    if gz.has_street(road) {
        return None;
    }
    gz.districts.iter().find_map(|d| {
        let rest = road
            .strip_prefix(d.name.as_str())
            .filter(|r| gz.has_street(r))?;
        Some(ParsedAddress {
            district: Some(d.name.clone()),
            district_code: Some(d.code.clone()),
            road: Some(rest.to_string()),
            ..p.clone()
        })
    })
}

/// Sorts best first (confidence, then precision), merges repeats, marks a tie at the top as
/// ambiguous (several roads or districts fit equally well, and picking one is a guess), keeps
/// `limit`.
fn rank(out: &mut Vec<Candidate>, limit: usize) {
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.level.cmp(&b.level))
    });
    let mut kept: Vec<Candidate> = Vec::with_capacity(out.len());
    for c in out.drain(..) {
        let same = |k: &Candidate| {
            k.level == c.level
                && (k.lon - c.lon).abs() < SAME_PLACE_DEG
                && (k.lat - c.lat).abs() < SAME_PLACE_DEG
        };
        if !kept.iter().any(same) {
            kept.push(c);
        }
    }
    let best = kept.first().map(|c| (c.confidence, c.level));
    let tied = kept
        .iter()
        .take_while(|c| Some((c.confidence, c.level)) == best)
        .count();
    if tied > 1 {
        for c in &mut kept[..tied] {
            c.confidence *= AMBIGUITY_FACTOR;
            c.warnings
                .push(format!("ambiguous: one of {tied} equally good matches"));
        }
    }
    kept.truncate(limit);
    *out = kept;
}

/// The best answer on one street: house, interpolated or road level.
fn on_street(gz: &Gazetteer, p: &ParsedAddress, s: usize, edits: usize) -> Option<Candidate> {
    let street = &gz.streets[s];
    let mut warnings = Vec::new();
    let mut factor = (1.0 - EDIT_PENALTY * edits as f64).max(0.0);
    if edits > 0 {
        warnings.push(format!(
            "road `{}` not found; read as `{}`",
            p.road.as_deref().unwrap_or_default(),
            street.name
        ));
    }
    if let Some(d) = &p.district_code
        && *d != street.district_code
    {
        factor *= CONTRADICTION_FACTOR;
        warnings.push(format!(
            "district `{}` contradicts road `{}`, which is in {}; the road's district is used",
            p.district.as_deref().unwrap_or(d),
            street.name,
            gz.district_name(&street.district_code)
                .unwrap_or(&street.district_code)
        ));
    }
    let (mut c, f) = house_level(gz, p, s)
        .or_else(|| interpolated(gz, p, s))
        .or_else(|| road_level(gz, street))?;
    c.confidence = (c.confidence * factor * f).clamp(0.0, 1.0);
    c.warnings.extend(warnings);
    if street.road.is_some() && c.feature.is_none() {
        c.feature = street.road.clone();
    }
    Some(c)
}

/// A candidate and the factor its confidence still takes.
type Found = (Candidate, f64);

fn house_level(gz: &Gazetteer, p: &ParsedAddress, s: usize) -> Option<Found> {
    let number = p.number?;
    let building = p.building.as_deref();
    if let Some(h) = gz.house(s, p.lane, p.sub_lane, number, building) {
        return Some((house_candidate(gz, h), 1.0));
    }
    let h = building.and(gz.house(s, p.lane, p.sub_lane, number, None))?;
    let mut c = house_candidate(gz, h);
    c.warnings.push(format!(
        "building `{}` not found at this number; the house is used",
        building.unwrap_or_default()
    ));
    Some((c, MISSING_BUILDING_FACTOR))
}

fn house_candidate(gz: &Gazetteer, h: &House) -> Candidate {
    let street = &gz.streets[h.street];
    let mut c = candidate(
        gz,
        MatchLevel::House,
        h.point,
        Some(&street.district_code),
        h.township_code.as_deref(),
    );
    c.standard_address = if h.standard_address.is_empty() {
        address_text(
            gz,
            street,
            h.lane,
            h.sub_lane,
            Some(h.number),
            h.building.as_deref(),
        )
    } else {
        h.standard_address.clone()
    };
    c.feature = Some(h.feature.clone());
    c
}

/// Between known numbers: in the lane when the lane has houses, else along the road.
fn interpolated(gz: &Gazetteer, p: &ParsedAddress, s: usize) -> Option<Found> {
    let street = &gz.streets[s];
    let in_lane = p
        .lane
        .map(|l| gz.lane(s, l, p.sub_lane))
        .filter(|hs| !hs.is_empty());
    let point = match (in_lane, p.number) {
        // A lane is short: its house with the nearest number (or its middle without a number).
        (Some(hs), Some(n)) => hs
            .iter()
            .map(|&h| &gz.houses[h])
            .min_by_key(|h| h.number.abs_diff(n))
            .map(|h| h.point)?,
        (Some(hs), None) => {
            let (sx, sy) = hs.iter().fold((0.0, 0.0), |(x, y), &h| {
                (x + gz.houses[h].xy[0], y + gz.houses[h].xy[1])
            });
            gz.lonlat([sx / hs.len() as f64, sy / hs.len() as f64])?
        }
        // A lane's entrance is at its number on the road (251弄 opens at 251号).
        (None, n) => {
            let n = p.lane.or(n)?;
            let line = street.line.as_ref()?;
            let station = station_on(gz, street, n)?;
            gz.lonlat(line.point_at(station))?
        }
    };
    let mut c = candidate(
        gz,
        MatchLevel::Interpolated,
        point,
        Some(&street.district_code),
        None,
    );
    c.standard_address = address_text(
        gz,
        street,
        p.lane,
        p.sub_lane,
        p.number,
        p.building.as_deref(),
    );
    Some((c, 1.0))
}

/// The station of number `n` from the street's known numbers.
fn station_on(gz: &Gazetteer, street: &Street, n: u32) -> Option<Station> {
    let all: Vec<Known> = street
        .numbered
        .iter()
        .filter_map(|&(k, h)| Some((k, gz.houses[h].station?)))
        .collect();
    let same: Vec<Known> = all
        .iter()
        .copied()
        .filter(|(k, _)| k % 2 == n % 2)
        .collect();
    station_for(n, &same, &all)
}

/// The middle of the road (or of its houses, for a street without a centre line).
fn road_level(gz: &Gazetteer, street: &Street) -> Option<Found> {
    let point = match &street.line {
        Some(line) => gz.lonlat(line.point_at(Station {
            measure: line.length() / 2.0,
            offset: 0.0,
        }))?,
        None => {
            let h = street.numbered.get(street.numbered.len() / 2)?.1;
            gz.houses[h].point
        }
    };
    let mut c = candidate(
        gz,
        MatchLevel::Road,
        point,
        Some(&street.district_code),
        None,
    );
    c.standard_address = format!(
        "上海市{}{}",
        gz.district_name(&street.district_code).unwrap_or_default(),
        street.name
    );
    Some((c, 1.0))
}

/// Named places matching `text` exactly (name or alias), else overlapping it.
fn places(gz: &Gazetteer, p: &ParsedAddress, text: &str) -> Vec<Candidate> {
    let exact = gz.find_pois(text);
    let (ids, factor) = if exact.is_empty() {
        (gz.pois_overlapping(text), 0.8)
    } else {
        (exact.to_vec(), 1.0)
    };
    ids.into_iter()
        .map(|i| {
            let poi = &gz.pois[i];
            let mut c = candidate(
                gz,
                MatchLevel::Poi,
                poi.point,
                poi.district_code.as_deref(),
                poi.township_code.as_deref(),
            );
            let agrees = p
                .district_code
                .as_ref()
                .is_none_or(|d| poi.district_code.as_ref() == Some(d));
            c.confidence *= factor * if agrees { 1.0 } else { CONTRADICTION_FACTOR };
            c.standard_address = poi.address.clone().unwrap_or_else(|| {
                format!(
                    "上海市{}{}",
                    c.district_name.as_deref().unwrap_or_default(),
                    poi.name
                )
            });
            c.feature = Some(poi.feature.clone());
            c
        })
        .collect()
}

/// The written township and district themselves, as the coarsest answers.
fn admin(gz: &Gazetteer, p: &ParsedAddress) -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Some(t) = p.township_code.as_deref().and_then(|c| gz.township(c))
        && let Some(point) = t.point
    {
        let mut c = candidate(
            gz,
            MatchLevel::Township,
            point,
            Some(&t.district_code),
            Some(&t.code),
        );
        c.standard_address = format!(
            "上海市{}{}",
            c.district_name.as_deref().unwrap_or_default(),
            t.name
        );
        out.push(c);
    }
    if let Some(d) = p.district_code.as_deref().and_then(|c| gz.district(c))
        && let Some(point) = d.centre
    {
        let mut c = candidate(gz, MatchLevel::District, point, Some(&d.code), None);
        c.township_code = None;
        c.township_name = None;
        c.standard_address = format!("上海市{}", d.name);
        out.push(c);
    }
    out
}

/// A candidate at `level` with its admin units filled in (the township from the point when not
/// given).
fn candidate(
    gz: &Gazetteer,
    level: MatchLevel,
    point: Point<f64>,
    district: Option<&str>,
    township: Option<&str>,
) -> Candidate {
    let district = district
        .map(str::to_string)
        .or_else(|| gz.district_at(point).map(|d| d.code.clone()));
    let township = township
        .and_then(|t| gz.township(t))
        .or_else(|| district.as_deref().and_then(|d| gz.township_at(d, point)));
    Candidate {
        level,
        lon: point.x(),
        lat: point.y(),
        confidence: level.base_confidence(),
        standard_address: String::new(),
        district_name: district
            .as_deref()
            .and_then(|d| gz.district_name(d))
            .map(str::to_string),
        district_code: district,
        township_code: township.map(|t| t.code.clone()),
        township_name: township.map(|t| t.name.clone()),
        feature: None,
        source: "local".into(),
        warnings: Vec::new(),
    }
}

/// A candidate at a point found elsewhere (an upstream provider), with the local admin units.
pub fn at_point(gz: &Gazetteer, level: MatchLevel, point: Point<f64>) -> Candidate {
    candidate(gz, level, point, None, None)
}

/// The standard address on `street`; without a number (a lane alone) it ends at the lane.
pub(crate) fn address_text(
    gz: &Gazetteer,
    street: &Street,
    lane: Option<u32>,
    sub_lane: Option<u32>,
    number: Option<u32>,
    building: Option<&str>,
) -> String {
    let district = gz.district_name(&street.district_code).unwrap_or_default();
    match number {
        Some(n) => standard_address(district, &street.name, lane, sub_lane, n, building),
        None => {
            let lane = lane.map(|l| format!("{l}弄")).unwrap_or_default();
            format!("上海市{district}{}{lane}", street.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::fixture::{self, house_point};

    fn metres(c: &Candidate, p: Point<f64>) -> f64 {
        let dx = (c.lon - p.x()) * fixture::M_PER_DEG_LON;
        let dy = (c.lat - p.y()) * 111_000.0;
        dx.hypot(dy)
    }

    fn on_road(number: Option<u32>) -> ParsedAddress {
        ParsedAddress {
            road: Some("小木桥路".into()),
            number,
            ..Default::default()
        }
    }

    #[test]
    fn exact_house_interpolated_and_road() {
        let gz = fixture::gazetteer();
        let c = &candidates(&gz, &on_road(Some(33)), 5)[0];
        assert_eq!(c.level, MatchLevel::House);
        assert_eq!((c.lon, c.lat), (house_point(33).x(), house_point(33).y()));
        assert_eq!(c.confidence, 1.0);
        assert_eq!(c.standard_address, "上海市徐汇区小木桥路33号");
        assert_eq!(c.township_code.as_deref(), Some("310104014"));
        assert_eq!(
            c.feature.as_ref().unwrap().collection,
            "gazetteer_addresses"
        );
        // every number ending in 5 is missing: between its neighbours, on its side
        for n in [35, 45, 95] {
            let c = &candidates(&gz, &on_road(Some(n)), 5)[0];
            assert_eq!(c.level, MatchLevel::Interpolated, "{n}");
            assert!(
                metres(c, house_point(n)) < 2.0,
                "{n}: {}",
                metres(c, house_point(n))
            );
            assert_eq!(c.standard_address, format!("上海市徐汇区小木桥路{n}号"));
        }
        // beyond the last known number: extrapolated, clamped to the road's end
        let c = &candidates(&gz, &on_road(Some(105)), 5)[0];
        assert_eq!(c.level, MatchLevel::Interpolated);
        assert!(metres(c, house_point(105)) < 2.0);
        let c = &candidates(&gz, &on_road(None), 5)[0];
        assert_eq!(c.level, MatchLevel::Road);
        assert_eq!(c.standard_address, "上海市徐汇区小木桥路");
        assert_eq!(c.feature.as_ref().unwrap().collection, "gazetteer_roads");
    }

    #[test]
    fn typos_aliases_and_contradicting_districts_lower_the_confidence() {
        let gz = fixture::gazetteer();
        let mut p = on_road(Some(33));
        p.road = Some("小木乔路".into());
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(c.level, MatchLevel::House);
        assert!(c.confidence < 1.0 && c.confidence > 0.8, "{}", c.confidence);
        assert!(c.warnings[0].contains("小木桥路"), "{:?}", c.warnings);
        p.road = Some("小木桥".into());
        assert_eq!(candidates(&gz, &p, 5)[0].confidence, 1.0);
        p.road = Some("大木桥路".into());
        p.district_code = Some("310101".into());
        p.district = Some("黄浦".into());
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(c.level, MatchLevel::House);
        assert_eq!(c.district_code.as_deref(), Some("310104"));
        assert!(
            c.warnings.iter().any(|w| w.contains("contradicts")),
            "{:?}",
            c.warnings
        );
        assert!(c.confidence < 0.8, "{}", c.confidence);
        p.road = Some("完全没有路".into());
        assert!(candidates(&gz, &p, 5).is_empty());
    }

    #[test]
    fn equally_good_answers_are_flagged_ambiguous() {
        let gz = fixture::gazetteer();
        // one answer alone is not ambiguous; the same answer also 1 km away is
        let cs = candidates(&gz, &on_road(Some(33)), 5);
        assert!(cs[0].warnings.is_empty());
        let mut twice = cs.clone();
        twice.extend(cs.iter().cloned().map(|mut c| {
            c.lon += 0.01;
            c
        }));
        rank(&mut twice, 1);
        assert_eq!(twice.len(), 1);
        assert_eq!(twice[0].confidence, AMBIGUITY_FACTOR);
        assert!(
            twice[0].warnings[0].contains("one of 2"),
            "{:?}",
            twice[0].warnings
        );
    }

    #[test]
    fn lanes_and_buildings() {
        let gz = fixture::gazetteer();
        let mut p = on_road(Some(4));
        p.lane = Some(251);
        p.building = Some("2幢".into());
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(c.level, MatchLevel::House);
        assert_eq!(c.standard_address, "上海市徐汇区小木桥路251弄4号2号楼");
        p.building = Some("7号楼".into());
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(
            (c.level, c.confidence),
            (MatchLevel::House, MISSING_BUILDING_FACTOR)
        );
        assert_eq!(c.standard_address, "上海市徐汇区小木桥路251弄4号1号楼");
        p.building = None;
        assert_eq!(candidates(&gz, &p, 5)[0].level, MatchLevel::House);
        // a number the lane lacks: its nearest house
        p.number = Some(9);
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(c.level, MatchLevel::Interpolated);
        assert_eq!(c.standard_address, "上海市徐汇区小木桥路251弄9号");
        // a lane the gazetteer lacks opens at its number on the road
        p.lane = Some(41);
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(c.level, MatchLevel::Interpolated);
        assert!(metres(c, house_point(41)) < 2.0);
    }

    #[test]
    fn places_townships_and_districts() {
        let gz = fixture::gazetteer();
        let p = ParsedAddress {
            rest: Some("徐汇公园".into()),
            ..Default::default()
        };
        let c = &candidates(&gz, &p, 5)[0];
        assert_eq!(
            (c.level, c.confidence),
            (MatchLevel::Poi, MatchLevel::Poi.base_confidence())
        );
        let p = ParsedAddress {
            rest: Some("徐家汇公园南门".into()),
            ..Default::default()
        };
        assert_eq!(candidates(&gz, &p, 5)[0].level, MatchLevel::Poi);
        let p = ParsedAddress {
            district_code: Some("310104".into()),
            township_code: Some("310104003".into()),
            ..Default::default()
        };
        let cs = candidates(&gz, &p, 5);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].level, MatchLevel::Township);
        assert_eq!(cs[0].standard_address, "上海市徐汇区天平路街道");
        assert_eq!(cs[1].level, MatchLevel::District);
        assert_eq!(cs[1].standard_address, "上海市徐汇区");
        assert!(candidates(&gz, &ParsedAddress::default(), 5).is_empty());
    }
}
