//! The gazetteer in memory: admin units, streets with house numbers and centre lines, places.
//!
//! Indexed for forward lookups (by name and number) and reverse lookups (R-trees on the
//! Shanghai 2000 plane, so radii and distances are true metres).
//!
//! It is a read-only snapshot of five catalog layers, built in one pass; [`super::live`] rebuilds
//! it when one of them changes. Every layer may be missing or empty: an agency that imports only
//! its 标准地址库 (house points) still geocodes exactly, just without interpolation.

use std::collections::HashMap;
use std::sync::Arc;

use geo::{BoundingRect, Contains, Coord, Geometry, InteriorPoint, MultiPolygon, Point, Rect};
use onemap_coord::Transformer;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde_json::Value;

use super::admin::AdminVocabulary;
use super::interpolate::{CentreLine, Station};
use super::normalize::normalize;
use onemap_spatial::catalog::Catalog;
use onemap_spatial::feature::Feature;

/// The catalog layers the gazetteer is built from.
pub const LAYERS: [&str; 5] = [
    "districts",
    "townships",
    "gazetteer_roads",
    "gazetteer_addresses",
    "gazetteer_pois",
];

/// Latitude whose cosine scales longitude when the nearest township point is sought: the same
/// metric the sample data assigns townships with (`onemap_data::nearest_township`).
const TOWNSHIP_LAT0_DEG: f64 = 31.23;

/// A district (区) with its outline.
#[derive(Debug, Clone)]
pub struct District {
    /// 6-digit code, e.g. `310115`.
    pub code: String,
    /// Full name, e.g. `浦东新区`.
    pub name: String,
    /// CGCS2000 lon/lat outline.
    pub outline: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
    /// A point inside the outline: where a district-level answer is placed.
    pub centre: Option<Point<f64>>,
}

/// A township (街道/镇/乡): a representative point, and an outline once one is loaded.
#[derive(Debug, Clone)]
pub struct Township {
    /// 9-digit code, e.g. `310115005`.
    pub code: String,
    /// Full name, e.g. `陆家嘴街道`.
    pub name: String,
    /// Code of the district it belongs to.
    pub district_code: String,
    /// CGCS2000 lon/lat: where a township-level answer is placed.
    pub point: Option<Point<f64>>,
    /// CGCS2000 lon/lat outline; `None` while only points are loaded.
    pub outline: Option<MultiPolygon<f64>>,
}

/// A reference to the feature an answer came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceFeature {
    /// The layer id, e.g. `gazetteer_addresses`.
    pub collection: &'static str,
    /// The feature's id in that layer.
    pub id: i64,
}

/// One road name in one district: the unit a house number belongs to. Its centre line comes from
/// `gazetteer_roads`; a street known only from house points has none.
#[derive(Debug, Clone)]
pub struct Street {
    /// The road name as the gazetteer writes it.
    pub name: String,
    /// Code of the district this part of the road lies in.
    pub district_code: String,
    /// The `gazetteer_roads` feature, when there is one.
    pub road: Option<SourceFeature>,
    /// The centre line on the Shanghai 2000 plane; `None` for a street known only from houses.
    pub line: Option<CentreLine>,
    /// Houses on the street itself (no lane, no building) as (number, index into
    /// [`Gazetteer::houses`]), sorted by number.
    pub numbered: Vec<(u32, usize)>,
}

/// A house-number point (门牌).
#[derive(Debug, Clone)]
pub struct House {
    /// The `gazetteer_addresses` feature.
    pub feature: SourceFeature,
    /// Index into [`Gazetteer::streets`].
    pub street: usize,
    /// The lane (弄) number, for a house in a lane.
    pub lane: Option<u32>,
    /// The sub-lane (支弄) number.
    pub sub_lane: Option<u32>,
    /// The house number (号).
    pub number: u32,
    /// The building (号楼/幢/栋) as written in the feature.
    pub building: Option<String>,
    /// 9-digit code of the township the house lies in.
    pub township_code: Option<String>,
    /// The feature's standard address (标准地址); empty when it has none.
    pub standard_address: String,
    /// CGCS2000 lon/lat.
    pub point: Point<f64>,
    /// Shanghai 2000 plane (east, north), metres.
    pub xy: [f64; 2],
    /// Along the street's centre line, when it has one.
    pub station: Option<Station>,
}

/// A named place (地名/POI).
#[derive(Debug, Clone)]
pub struct Poi {
    /// The `gazetteer_pois` feature.
    pub feature: SourceFeature,
    /// The place's name (its aliases are indexed too).
    pub name: String,
    /// 6-digit code of its district.
    pub district_code: Option<String>,
    /// 9-digit code of its township.
    pub township_code: Option<String>,
    /// Its street address as the feature gives it.
    pub address: Option<String>,
    /// CGCS2000 lon/lat.
    pub point: Point<f64>,
}

/// The identity of a house within its street.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct HouseKey {
    street: usize,
    lane: Option<u32>,
    sub_lane: Option<u32>,
    number: u32,
    building: Option<String>,
}

type HouseEntry = GeomWithData<[f64; 2], usize>;
/// A centre-line segment and the street it belongs to.
type SegmentEntry = GeomWithData<Line<[f64; 2]>, usize>;

/// The indexed snapshot.
pub struct Gazetteer {
    /// Sorted by code.
    pub districts: Vec<District>,
    /// Sorted by code.
    pub townships: Vec<Township>,
    /// One per road name and district; [`House::street`] indexes it.
    pub streets: Vec<Street>,
    /// Every house-number point; [`Street::numbered`] indexes it.
    pub houses: Vec<House>,
    /// Every named place.
    pub pois: Vec<Poi>,
    /// District and township names for the parser.
    pub vocabulary: AdminVocabulary,
    /// Normalised street name or alias → streets (one per district).
    street_names: HashMap<String, Vec<usize>>,
    /// Distinct street-name keys by length in characters, for the fuzzy lookup.
    names_by_len: Vec<Vec<String>>,
    houses_by_key: HashMap<HouseKey, usize>,
    /// (street, lane, sub_lane) → houses in that lane.
    lanes: HashMap<(usize, u32, Option<u32>), Vec<usize>>,
    poi_names: HashMap<String, Vec<usize>>,
    house_tree: RTree<HouseEntry>,
    segment_tree: RTree<SegmentEntry>,
    to_plane: Transformer,
    from_plane: Transformer,
}

/// The features of each gazetteer layer (any may be empty).
#[derive(Default)]
pub struct Sources {
    /// `districts`.
    pub districts: Vec<Arc<Feature>>,
    /// `townships`.
    pub townships: Vec<Arc<Feature>>,
    /// `gazetteer_roads`.
    pub roads: Vec<Arc<Feature>>,
    /// `gazetteer_addresses`.
    pub addresses: Vec<Arc<Feature>>,
    /// `gazetteer_pois`.
    pub pois: Vec<Arc<Feature>>,
}

impl Sources {
    /// The current features of the gazetteer layers the catalog has (layers served from the
    /// database hold nothing in memory and count as empty).
    pub fn from_catalog(catalog: &Catalog) -> Self {
        let take = |id: &str| {
            catalog
                .layer(id)
                .map(|l| l.read(|ix| ix.iter().cloned().collect()))
                .unwrap_or_default()
        };
        Self {
            districts: take(LAYERS[0]),
            townships: take(LAYERS[1]),
            roads: take(LAYERS[2]),
            addresses: take(LAYERS[3]),
            pois: take(LAYERS[4]),
        }
    }
}

fn text<'a>(f: &'a Feature, name: &str) -> Option<&'a str> {
    f.properties
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn int(f: &Feature, name: &str) -> Option<u32> {
    f.properties
        .get(name)
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
}

fn texts<'a>(f: &'a Feature, name: &str) -> impl Iterator<Item = &'a str> {
    f.properties
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn point_of(f: &Feature) -> Option<Point<f64>> {
    match f.geometry.as_ref()? {
        Geometry::Point(p) => Some(*p),
        g => g.interior_point(),
    }
}

fn polygons(g: Option<&Geometry<f64>>) -> Option<MultiPolygon<f64>> {
    match g? {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}

/// The lookup form of a name: the parser's normalisation, so gazetteer and input agree.
fn name_key(s: &str) -> String {
    normalize(s)
}

/// A building as a key: `3号楼`, `3幢`, `3栋` and `3` are the same building.
fn building_key(s: &str) -> String {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        name_key(s)
    } else {
        digits.trim_start_matches('0').to_string()
    }
}

/// Points to the plane, in one batch when they all convert (they do for data inside the layers'
/// extent); one by one otherwise, so a bad point costs only itself.
fn to_plane_all(t: &Transformer, pts: &[[f64; 2]]) -> Vec<Option<[f64; 2]>> {
    let mut out = pts.to_vec();
    if t.convert_slice(&mut out).is_ok() {
        return out.into_iter().map(Some).collect();
    }
    pts.iter()
        .map(|p| t.convert(p[0], p[1]).ok().map(|(x, y)| [x, y]))
        .collect()
}

impl Gazetteer {
    /// Builds the snapshot. `to_plane` converts CGCS2000 to Shanghai 2000 and `from_plane` back.
    pub fn build(src: &Sources, to_plane: &Transformer, from_plane: &Transformer) -> Self {
        let mut g = Self {
            districts: Vec::new(),
            townships: Vec::new(),
            streets: Vec::new(),
            houses: Vec::new(),
            pois: Vec::new(),
            vocabulary: AdminVocabulary::new([], []),
            street_names: HashMap::new(),
            names_by_len: Vec::new(),
            houses_by_key: HashMap::new(),
            lanes: HashMap::new(),
            poi_names: HashMap::new(),
            house_tree: RTree::new(),
            segment_tree: RTree::new(),
            to_plane: to_plane.clone(),
            from_plane: from_plane.clone(),
        };
        g.add_admin(src);
        let mut street_ids: HashMap<(String, String), usize> = HashMap::new();
        let segments = g.add_roads(&src.roads, &mut street_ids);
        g.segment_tree = RTree::bulk_load(segments);
        g.add_houses(&src.addresses, &mut street_ids);
        g.add_pois(&src.pois);
        g.index_names();
        g
    }

    fn add_admin(&mut self, src: &Sources) {
        for f in &src.districts {
            let (Some(code), Some(outline)) = (text(f, "code"), polygons(f.geometry.as_ref()))
            else {
                continue;
            };
            self.districts.push(District {
                code: code.into(),
                name: text(f, "name").unwrap_or(code).into(),
                bbox: outline.bounding_rect(),
                centre: outline.interior_point(),
                outline,
            });
        }
        self.districts.sort_by(|a, b| a.code.cmp(&b.code));
        for f in &src.townships {
            let (Some(code), Some(name)) = (text(f, "code"), text(f, "name")) else {
                continue;
            };
            self.townships.push(Township {
                code: code.into(),
                name: name.into(),
                district_code: text(f, "district_code")
                    .map(str::to_string)
                    .unwrap_or_else(|| code.chars().take(6).collect()),
                point: point_of(f),
                outline: polygons(f.geometry.as_ref()),
            });
        }
        self.townships.sort_by(|a, b| a.code.cmp(&b.code));
        self.vocabulary = AdminVocabulary::new(
            self.districts
                .iter()
                .map(|d| (d.code.clone(), d.name.clone())),
            self.townships
                .iter()
                .map(|t| (t.code.clone(), t.name.clone(), t.district_code.clone())),
        );
    }

    fn add_roads(
        &mut self,
        roads: &[Arc<Feature>],
        ids: &mut HashMap<(String, String), usize>,
    ) -> Vec<SegmentEntry> {
        let mut segments = Vec::new();
        for f in roads {
            let (Some(name), Some(district)) = (text(f, "name"), text(f, "district_code")) else {
                continue;
            };
            let parts: Vec<Vec<[f64; 2]>> = match &f.geometry {
                Some(Geometry::MultiLineString(m)) => {
                    m.0.iter()
                        .map(|l| l.0.iter().map(|c| [c.x, c.y]).collect())
                        .collect()
                }
                Some(Geometry::LineString(l)) => vec![l.0.iter().map(|c| [c.x, c.y]).collect()],
                _ => Vec::new(),
            };
            let parts = parts
                .iter()
                .filter_map(|p| to_plane_all(&self.to_plane, p).into_iter().collect())
                .collect();
            let s = self.streets.len();
            let line = CentreLine::new(parts);
            if let Some(line) = &line {
                segments.extend(
                    line.segments()
                        .map(|[a, b]| GeomWithData::new(Line::new(a, b), s)),
                );
            }
            ids.insert((name_key(name), district.into()), s);
            self.streets.push(Street {
                name: name.into(),
                district_code: district.into(),
                road: Some(SourceFeature {
                    collection: LAYERS[2],
                    id: f.id,
                }),
                line,
                numbered: Vec::new(),
            });
            for alias in texts(f, "aliases") {
                self.street_names
                    .entry(name_key(alias))
                    .or_default()
                    .push(s);
            }
        }
        segments
    }

    fn add_houses(
        &mut self,
        addresses: &[Arc<Feature>],
        ids: &mut HashMap<(String, String), usize>,
    ) {
        let lonlat: Vec<[f64; 2]> = addresses
            .iter()
            .map(|f| match &f.geometry {
                Some(Geometry::Point(p)) => [p.x(), p.y()],
                _ => [f64::NAN, f64::NAN],
            })
            .collect();
        let plane = to_plane_all(&self.to_plane, &lonlat);
        let mut entries = Vec::with_capacity(addresses.len());
        for ((f, ll), xy) in addresses.iter().zip(&lonlat).zip(plane) {
            let (Some(road), Some(district), Some(number), Some(xy)) = (
                text(f, "road"),
                text(f, "district_code"),
                int(f, "number"),
                xy,
            ) else {
                continue;
            };
            let street = *ids
                .entry((name_key(road), district.into()))
                .or_insert_with(|| {
                    self.streets.push(Street {
                        name: road.into(),
                        district_code: district.into(),
                        road: None,
                        line: None,
                        numbered: Vec::new(),
                    });
                    self.streets.len() - 1
                });
            let h = self.houses.len();
            let (lane, sub_lane) = (int(f, "lane"), int(f, "sub_lane"));
            let building = text(f, "building").map(str::to_string);
            let station = self.streets[street].line.as_ref().map(|l| l.locate(xy).0);
            let key = HouseKey {
                street,
                lane,
                sub_lane,
                number,
                building: None,
            };
            if building.is_some() {
                // 3号 without a building stands for its first 号楼 until a plain 3号 turns up.
                self.houses_by_key.entry(key.clone()).or_insert(h);
            } else {
                self.houses_by_key.insert(key.clone(), h);
            }
            self.houses_by_key
                .entry(HouseKey {
                    building: building.as_deref().map(building_key),
                    ..key
                })
                .or_insert(h);
            match lane {
                Some(l) => self.lanes.entry((street, l, sub_lane)).or_default().push(h),
                None if building.is_none() => self.streets[street].numbered.push((number, h)),
                None => {}
            }
            entries.push(GeomWithData::new(xy, h));
            self.houses.push(House {
                feature: SourceFeature {
                    collection: LAYERS[3],
                    id: f.id,
                },
                street,
                lane,
                sub_lane,
                number,
                building,
                township_code: text(f, "township_code").map(str::to_string),
                standard_address: text(f, "standard_address")
                    .map(str::to_string)
                    .unwrap_or_default(),
                point: Point::new(ll[0], ll[1]),
                xy,
                station,
            });
        }
        for s in &mut self.streets {
            s.numbered.sort_unstable();
        }
        self.house_tree = RTree::bulk_load(entries);
    }

    fn add_pois(&mut self, pois: &[Arc<Feature>]) {
        for f in pois {
            let (Some(name), Some(point)) = (text(f, "name"), point_of(f)) else {
                continue;
            };
            let i = self.pois.len();
            for n in std::iter::once(name).chain(texts(f, "aliases")) {
                self.poi_names.entry(name_key(n)).or_default().push(i);
            }
            self.pois.push(Poi {
                feature: SourceFeature {
                    collection: LAYERS[4],
                    id: f.id,
                },
                name: name.into(),
                district_code: text(f, "district_code").map(str::to_string),
                township_code: text(f, "township_code").map(str::to_string),
                address: text(f, "address").map(str::to_string),
                point,
            });
        }
    }

    fn index_names(&mut self) {
        for (i, s) in self.streets.iter().enumerate() {
            self.street_names
                .entry(name_key(&s.name))
                .or_default()
                .push(i);
        }
        for ids in self.street_names.values_mut() {
            ids.sort_unstable();
            ids.dedup();
        }
        for k in self.street_names.keys() {
            let n = k.chars().count();
            if self.names_by_len.len() <= n {
                self.names_by_len.resize(n + 1, Vec::new());
            }
            self.names_by_len[n].push(k.clone());
        }
        for names in &mut self.names_by_len {
            names.sort_unstable();
        }
    }

    /// Streets named `name` (or with it as an alias), with the edit distance of the match: the
    /// exact name when known; else the names at the smallest edit distance within the tolerance
    /// (one edit up to five characters, two beyond), for the typos officers make.
    pub fn find_streets(&self, name: &str) -> Vec<(usize, usize)> {
        let key = name_key(name);
        if let Some(ids) = self.street_names.get(&key) {
            return ids.iter().map(|&s| (s, 0)).collect();
        }
        let n = key.chars().count();
        let max = if n <= 5 { 1 } else { 2 };
        let mut best: Option<(usize, Vec<&String>)> = None;
        for len in n.saturating_sub(max)..=n + max {
            for cand in self.names_by_len.get(len).into_iter().flatten() {
                let d = strsim::levenshtein(&key, cand);
                if d > max || best.as_ref().is_some_and(|(b, _)| d > *b) {
                    continue;
                }
                match &mut best {
                    Some((b, v)) if *b == d => v.push(cand),
                    _ => best = Some((d, vec![cand])),
                }
            }
        }
        let Some((d, names)) = best else {
            return Vec::new();
        };
        let mut out: Vec<(usize, usize)> = names
            .into_iter()
            .flat_map(|k| self.street_names[k].iter().map(move |&s| (s, d)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether a street (or alias) has exactly this name.
    pub fn has_street(&self, name: &str) -> bool {
        self.street_names.contains_key(&name_key(name))
    }

    /// The house with exactly these parts; with `building` None, also a house of that number that
    /// has buildings (the first), since 3号 stands for all of its 号楼.
    pub fn house(
        &self,
        street: usize,
        lane: Option<u32>,
        sub_lane: Option<u32>,
        number: u32,
        building: Option<&str>,
    ) -> Option<&House> {
        let key = HouseKey {
            street,
            lane,
            sub_lane,
            number,
            building: building.map(building_key),
        };
        self.houses_by_key.get(&key).map(|&h| &self.houses[h])
    }

    /// The houses in a lane (弄, and 支弄 when given).
    pub fn lane(&self, street: usize, lane: u32, sub_lane: Option<u32>) -> &[usize] {
        self.lanes
            .get(&(street, lane, sub_lane))
            .map_or(&[], Vec::as_slice)
    }

    /// Named places called `name` (name or alias, normalised).
    pub fn find_pois(&self, name: &str) -> &[usize] {
        self.poi_names
            .get(&name_key(name))
            .map_or(&[], Vec::as_slice)
    }

    /// POI names that contain `text` or are contained in it, for inputs like 徐家汇公园南门.
    pub fn pois_overlapping(&self, text: &str) -> Vec<usize> {
        let key = name_key(text);
        if key.chars().count() < 2 {
            return Vec::new();
        }
        let mut out: Vec<usize> = self
            .poi_names
            .iter()
            .filter(|(n, _)| key.contains(n.as_str()) || n.contains(key.as_str()))
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The district with this 6-digit code.
    pub fn district(&self, code: &str) -> Option<&District> {
        self.districts
            .binary_search_by(|d| d.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.districts[i])
    }

    /// The township with this 9-digit code.
    pub fn township(&self, code: &str) -> Option<&Township> {
        self.townships
            .binary_search_by(|t| t.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.townships[i])
    }

    /// The district whose outline holds the point.
    pub fn district_at(&self, p: Point<f64>) -> Option<&District> {
        self.districts
            .iter()
            .find(|d| d.bbox.is_some_and(|b| b.contains(&p.0)) && d.outline.contains(&p))
    }

    /// The township of a point in `district`: the one whose outline holds it when townships have
    /// outlines; else the one with the nearest representative point in that district.
    pub fn township_at(&self, district: &str, p: Point<f64>) -> Option<&Township> {
        let members = self
            .townships
            .iter()
            .filter(|t| t.district_code == district);
        if let Some(t) = members
            .clone()
            .find(|t| t.outline.as_ref().is_some_and(|o| o.contains(&p)))
        {
            return Some(t);
        }
        let cos = TOWNSHIP_LAT0_DEG.to_radians().cos();
        let d2 = |q: Point<f64>| ((q.x() - p.x()) * cos).powi(2) + (q.y() - p.y()).powi(2);
        members
            .filter_map(|t| Some((t, d2(t.point?))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, _)| t)
    }

    /// CGCS2000 lon/lat to the plane.
    pub fn plane(&self, p: Point<f64>) -> Option<[f64; 2]> {
        self.to_plane
            .convert(p.x(), p.y())
            .ok()
            .map(|(x, y)| [x, y])
    }

    /// The plane back to CGCS2000 lon/lat.
    pub fn lonlat(&self, xy: [f64; 2]) -> Option<Point<f64>> {
        self.from_plane
            .convert(xy[0], xy[1])
            .ok()
            .map(|(x, y)| Point(Coord { x, y }))
    }

    /// The nearest house to a plane point within `radius` metres, and its distance.
    pub fn nearest_house(&self, xy: [f64; 2], radius: f64) -> Option<(&House, f64)> {
        let e = self
            .house_tree
            .nearest_neighbor_iter_with_distance_2(&xy)
            .next()?;
        let d = e.1.sqrt();
        (d <= radius).then(|| (&self.houses[e.0.data], d))
    }

    /// The nearest street centre line to a plane point within `radius` metres, and its distance.
    pub fn nearest_street(&self, xy: [f64; 2], radius: f64) -> Option<(usize, f64)> {
        let e = self
            .segment_tree
            .nearest_neighbor_iter_with_distance_2(&xy)
            .next()?;
        let d = e.1.sqrt();
        (d <= radius).then_some((e.0.data, d))
    }

    /// The name of a district code, when known.
    pub fn district_name(&self, code: &str) -> Option<&str> {
        self.district(code).map(|d| d.name.as_str())
    }
}

/// A small gazetteer for the engine's tests: 徐汇区 as a square, two townships, 小木桥路 running
/// north over about 1.1 km with odd numbers 1–99 on its left (west) and even 2–98 on its right,
/// every tenth number missing; lane 251弄 with houses 1–3 (3号 with two 号楼); a POI.
#[cfg(test)]
pub(crate) mod fixture {
    use geo::{LineString, MultiLineString, Polygon, polygon};
    use onemap_coord::{CoordConfig, Crs};
    use serde_json::{Map, json};

    use super::*;

    /// The road's longitude and first latitude; about 111 m per 0.001° of latitude.
    pub const ROAD_LON: f64 = 121.455;
    pub const ROAD_LAT0: f64 = 31.18;
    /// Metres of longitude per degree here.
    pub const M_PER_DEG_LON: f64 = 95_300.0;

    fn feature(id: i64, geometry: Geometry<f64>, props: Value) -> Arc<Feature> {
        let properties: Map<String, Value> = props.as_object().cloned().unwrap_or_default();
        Arc::new(Feature {
            id,
            version: 1,
            geometry: Some(geometry),
            properties,
            geometries: Default::default(),
        })
    }

    /// Where house `n` of 小木桥路 stands: 10 m of road per number, 12 m to its side.
    pub fn house_point(n: u32) -> Point<f64> {
        let lat = ROAD_LAT0 + f64::from(n) * 10.0 / 111_000.0;
        let side = if n % 2 == 1 { -12.0 } else { 12.0 };
        Point::new(ROAD_LON + side / M_PER_DEG_LON, lat)
    }

    pub fn planes() -> (Transformer, Transformer) {
        let cfg = CoordConfig::default();
        (
            Transformer::new(Crs::Cgcs2000, Crs::Sh2000, &cfg).unwrap(),
            Transformer::new(Crs::Sh2000, Crs::Cgcs2000, &cfg).unwrap(),
        )
    }

    pub fn sources() -> Sources {
        let square: Polygon<f64> = polygon![
            (x: 121.40, y: 31.15), (x: 121.50, y: 31.15), (x: 121.50, y: 31.25),
            (x: 121.40, y: 31.25), (x: 121.40, y: 31.15)
        ];
        let mut src = Sources {
            districts: vec![feature(
                1,
                MultiPolygon(vec![square]).into(),
                json!({"code": "310104", "name": "徐汇区"}),
            )],
            townships: vec![
                feature(
                    1,
                    Point::new(121.45, 31.18).into(),
                    json!({"code": "310104014", "name": "徐家汇街道", "district_code": "310104"}),
                ),
                feature(
                    2,
                    Point::new(121.45, 31.24).into(),
                    json!({"code": "310104003", "name": "天平路街道", "district_code": "310104"}),
                ),
            ],
            roads: vec![feature(
                1,
                MultiLineString(vec![LineString::from(vec![
                    (ROAD_LON, ROAD_LAT0),
                    (ROAD_LON, ROAD_LAT0 + 0.01),
                ])])
                .into(),
                json!({"road_code": "310104R0001", "name": "小木桥路", "aliases": ["小木桥"],
                       "district_code": "310104"}),
            )],
            pois: vec![feature(
                1,
                Point::new(121.44, 31.19).into(),
                json!({"poi_code": "310104P00001", "name": "徐家汇公园", "aliases": ["徐汇公园"],
                       "category": "公园", "district_code": "310104",
                       "township_code": "310104014"}),
            )],
            ..Default::default()
        };
        let mut id = 0;
        let mut house = |point: Point<f64>,
                         lane: Option<u32>,
                         number: u32,
                         building: Option<&str>| {
            id += 1;
            let mut text = String::from("上海市徐汇区小木桥路");
            if let Some(l) = lane {
                text += &format!("{l}弄");
            }
            text += &format!("{number}号{}", building.unwrap_or_default());
            feature(
                id,
                point.into(),
                json!({"address_code": format!("310104A{id:07}"), "road": "小木桥路", "lane": lane,
                       "number": number, "building": building, "district_code": "310104",
                       "township_code": "310104014", "standard_address": text}),
            )
        };
        let mut houses: Vec<Arc<Feature>> = (1..100)
            .filter(|n| n % 10 != 5)
            .map(|n| house(house_point(n), None, n, None))
            .collect();
        let lane0 = house_point(251);
        for n in 1..=3u32 {
            let p = Point::new(
                lane0.x() - 60.0 / M_PER_DEG_LON,
                lane0.y() + f64::from(n) * 20.0 / 111_000.0,
            );
            houses.push(house(p, Some(251), n, None));
        }
        let p3 = Point::new(
            lane0.x() - 90.0 / M_PER_DEG_LON,
            lane0.y() + 60.0 / 111_000.0,
        );
        houses.push(house(p3, Some(251), 4, Some("1号楼")));
        houses.push(house(
            Point::new(p3.x() - 20.0 / M_PER_DEG_LON, p3.y()),
            Some(251),
            4,
            Some("2号楼"),
        ));
        src.addresses = houses;
        src
    }

    pub fn gazetteer() -> Gazetteer {
        let (to, from) = planes();
        Gazetteer::build(&sources(), &to, &from)
    }
}
