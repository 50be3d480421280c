//! Reverse geocoding: a point → the structured address an officer would write for it.
//!
//! The nearest house point within the radius; else the nearest road within the radius, with the
//! nearest known numbers on the point's side of it (so a click between 681号 and 685号 reads
//! "小木桥路683号附近"); else the township and district containing the point; else nothing, with
//! the reason.

use geo::Point;
use serde::Serialize;

use super::forward::{MatchLevel, address_text};
use super::gazetteer::{Gazetteer, SourceFeature};

/// An address split into its parts; a part the answer's level does not reach is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AddressParts {
    /// 6-digit district code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district_code: Option<String>,
    /// District name, e.g. `徐汇区`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// 9-digit township code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township_code: Option<String>,
    /// Township name, e.g. `斜土路街道`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// Road name as the gazetteer writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub road: Option<String>,
    /// Lane (弄) number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lane: Option<u32>,
    /// Sub-lane (支弄) number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_lane: Option<u32>,
    /// The house number; at road level, the nearest known number on the point's side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// At road level: the known numbers on the point's side just before and after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub between: Option<[u32; 2]>,
    /// Building (号楼/幢/栋), at house level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
}

/// The answer for one point; `level` None (with a `reason`) when the point is not in Shanghai.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reverse {
    /// House, road, township or district; `None` when nothing was found.
    pub level: Option<MatchLevel>,
    /// The parts the level reaches.
    pub address: AddressParts,
    /// The address as one string: the standard address at house level.
    pub formatted: String,
    /// Metres from the point to the house or road; None at township and district level.
    pub distance_m: Option<f64>,
    /// The house or road feature the answer comes from.
    pub feature: Option<SourceFeature>,
    /// Why there is no answer, when `level` is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Reverse-geocodes a CGCS2000 point, looking `radius_m` metres around it for houses and roads.
pub fn reverse(gz: &Gazetteer, point: Point<f64>, radius_m: f64) -> Reverse {
    let Some(xy) = gz.plane(point) else {
        return empty("the point cannot be placed on the Shanghai 2000 plane");
    };
    if let Some((h, d)) = gz.nearest_house(xy, radius_m) {
        let street = &gz.streets[h.street];
        let mut address = admin(
            gz,
            &street.district_code,
            h.township_code.as_deref(),
            h.point,
        );
        address.road = Some(street.name.clone());
        address.lane = h.lane;
        address.sub_lane = h.sub_lane;
        address.number = Some(h.number);
        address.building = h.building.clone();
        let formatted = match h.standard_address.as_str() {
            "" => address_text(
                gz,
                street,
                h.lane,
                h.sub_lane,
                Some(h.number),
                h.building.as_deref(),
            ),
            s => s.to_string(),
        };
        return Reverse {
            level: Some(MatchLevel::House),
            address,
            formatted,
            distance_m: Some(d),
            feature: Some(h.feature.clone()),
            reason: None,
        };
    }
    if let Some((s, d)) = gz.nearest_street(xy, radius_m) {
        let street = &gz.streets[s];
        let mut address = admin(gz, &street.district_code, None, point);
        address.road = Some(street.name.clone());
        if let Some(line) = &street.line {
            let at = line.locate(xy).0;
            // The known numbers on the point's side, by how far along the road they are.
            let mut side: Vec<(f64, u32)> = street
                .numbered
                .iter()
                .filter_map(|&(n, h)| gz.houses[h].station.map(|s| (s, n)))
                .filter(|(s, _)| s.offset.signum() == at.offset.signum())
                .map(|(s, n)| (s.measure, n))
                .collect();
            side.sort_by(|a, b| a.0.total_cmp(&b.0));
            address.number = side
                .iter()
                .min_by(|a, b| {
                    (a.0 - at.measure)
                        .abs()
                        .total_cmp(&(b.0 - at.measure).abs())
                })
                .map(|(_, n)| *n);
            let i = side.partition_point(|(m, _)| *m <= at.measure);
            if i > 0 && i < side.len() {
                address.between = Some([side[i - 1].1, side[i].1]);
            }
        }
        let formatted = format!(
            "上海市{}{}{}",
            address.district.as_deref().unwrap_or_default(),
            street.name,
            address
                .number
                .map(|n| format!("{n}号附近"))
                .unwrap_or_default()
        );
        return Reverse {
            level: Some(MatchLevel::Road),
            address,
            formatted,
            distance_m: Some(d),
            feature: street.road.clone(),
            reason: None,
        };
    }
    let Some(district) = gz.district_at(point) else {
        return empty("the point is outside Shanghai");
    };
    let address = admin(gz, &district.code, None, point);
    let formatted = format!(
        "上海市{}{}",
        district.name,
        address.township.as_deref().unwrap_or_default()
    );
    let level = match address.township_code {
        Some(_) => MatchLevel::Township,
        None => MatchLevel::District,
    };
    Reverse {
        level: Some(level),
        address,
        formatted,
        ..Default::default()
    }
}

fn empty(reason: &str) -> Reverse {
    Reverse {
        reason: Some(reason.into()),
        ..Default::default()
    }
}

/// District and township parts: the township given (a house's own), else the one at the point.
fn admin(
    gz: &Gazetteer,
    district: &str,
    township: Option<&str>,
    point: Point<f64>,
) -> AddressParts {
    let t = township
        .and_then(|t| gz.township(t))
        .or_else(|| gz.township_at(district, point));
    AddressParts {
        district_code: Some(district.into()),
        district: gz.district_name(district).map(str::to_string),
        township_code: t.map(|t| t.code.clone()),
        township: t.map(|t| t.name.clone()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::fixture::{self, M_PER_DEG_LON, ROAD_LON, house_point};

    #[test]
    fn every_house_reads_back_as_itself() {
        let gz = fixture::gazetteer();
        for h in &gz.houses {
            let r = reverse(&gz, h.point, 50.0);
            assert_eq!(r.level, Some(MatchLevel::House));
            assert_eq!(r.formatted, h.standard_address);
            assert_eq!(r.feature.as_ref(), Some(&h.feature));
            assert!(r.distance_m.unwrap() < 0.01);
        }
        let r = reverse(&gz, house_point(33), 50.0);
        assert_eq!(r.address.road.as_deref(), Some("小木桥路"));
        assert_eq!(r.address.number, Some(33));
        assert_eq!(r.address.township.as_deref(), Some("徐家汇街道"));
    }

    #[test]
    fn road_township_and_outside_fallbacks() {
        let gz = fixture::gazetteer();
        // 8 m east of the centre line, level with 35: the even side, between 34 and 36
        let p = Point::new(ROAD_LON + 8.0 / M_PER_DEG_LON, house_point(35).y());
        let r = reverse(&gz, p, 9.0);
        assert_eq!(r.level, Some(MatchLevel::Road), "{r:?}");
        assert_eq!(r.address.between, Some([34, 36]));
        assert!((r.distance_m.unwrap() - 8.0).abs() < 0.5, "{r:?}");
        assert!(
            r.formatted.starts_with("上海市徐汇区小木桥路3"),
            "{}",
            r.formatted
        );
        assert!(r.formatted.ends_with("号附近"), "{}", r.formatted);
        // far from everything, near 天平路街道's point
        let r = reverse(&gz, Point::new(121.46, 31.245), 100.0);
        assert_eq!(r.level, Some(MatchLevel::Township));
        assert_eq!(r.address.township_code.as_deref(), Some("310104003"));
        assert_eq!(r.formatted, "上海市徐汇区天平路街道");
        let r = reverse(&gz, Point::new(121.3, 31.0), 100.0);
        assert_eq!(r.level, None);
        assert!(r.reason.unwrap().contains("outside Shanghai"));
    }
}
