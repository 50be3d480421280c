//! Rendering checked through an independent decoder: geometry accuracy, clipping,
//! winding, small features, ids and typed properties, empty tiles and errors.

mod common;

use std::collections::HashMap;

use common::{World, decode, from_tile, spec_area, tile_at, to_tile, world};
use geo::{
    Area, BooleanOps, Coord, Distance, Euclidean, Geometry, Length, LineString, MapCoords,
    MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Rect,
};
use mvt_reader::feature::Value as MvtValue;
use onemap_tiles::{TileError, TileId, TileRange, render};
use serde_json::json;

/// One pixel of a 256 px tile, the accuracy the tiles promise, in tile units.
const PX: f64 = 16.0;

/// What the pipeline actually achieves: simplification (1 unit) plus rounding, or a
/// minimal stand-in a unit or two wide. Checked too, well inside the 1 px contract.
const TIGHT: f64 = 3.0;

/// The People's Square.
const CENTRE: Coord<f64> = Coord {
    x: 121.4737,
    y: 31.2304,
};

/// A deterministic pseudo-random sequence in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn ring_around(
    c: Coord<f64>,
    radius: f64,
    n: usize,
    rng: &mut Lcg,
    clockwise: bool,
) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            // A star-ish, concave outline with jitter.
            let r = radius * (0.65 + 0.35 * (5.0 * a).cos().abs() + 0.05 * rng.next());
            Coord {
                x: c.x + r * a.cos(),
                y: c.y + r * a.sin() * 0.85,
            }
        })
        .collect();
    if clockwise {
        pts.reverse();
    }
    pts.push(pts[0]);
    LineString::new(pts)
}

fn square(c: Coord<f64>, half: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![
            (c.x - half, c.y - half),
            (c.x + half, c.y - half),
            (c.x + half, c.y + half),
            (c.x - half, c.y + half),
            (c.x - half, c.y - half),
        ]),
        vec![],
    )
}

/// A mix of geometries around the centre: big concave polygons with holes, a
/// multipolygon, medium parcels, a long winding track, points.
async fn populate(w: &World) {
    let mut rng = Lcg(7);
    let off = |dx: f64, dy: f64| Coord {
        x: CENTRE.x + dx,
        y: CENTRE.y + dy,
    };
    let big = Polygon::new(
        ring_around(off(0.0, 0.0), 0.05, 400, &mut rng, false),
        vec![ring_around(off(0.01, 0.005), 0.008, 60, &mut rng, false)],
    );
    w.add("things", big.into(), json!({ "name": "big" })).await;
    // Wound the other way in lon/lat: the tiles must fix it.
    let other = Polygon::new(
        ring_around(off(-0.07, 0.04), 0.03, 150, &mut rng, true),
        vec![],
    );
    w.add("things", other.into(), json!({ "name": "other" }))
        .await;
    let multi = MultiPolygon(vec![
        Polygon::new(
            ring_around(off(0.06, -0.05), 0.01, 40, &mut rng, false),
            vec![],
        ),
        Polygon::new(
            ring_around(off(0.08, -0.06), 0.004, 30, &mut rng, false),
            vec![],
        ),
    ]);
    w.add("things", multi.into(), json!({ "name": "multi" }))
        .await;
    for i in 0..40 {
        let c = off(rng.next() * 0.16 - 0.08, rng.next() * 0.12 - 0.06);
        w.add(
            "things",
            square(c, 0.0002 + 0.001 * rng.next()).into(),
            json!({ "name": format!("parcel {i}") }),
        )
        .await;
    }
    let mut p = off(-0.09, -0.05);
    let track: Vec<Coord<f64>> = (0..600)
        .map(|_| {
            p.x += 0.0003 + 0.0002 * rng.next();
            p.y += (rng.next() - 0.45) * 0.0006;
            p
        })
        .collect();
    w.add(
        "things",
        LineString::new(track).into(),
        json!({ "name": "track" }),
    )
    .await;
    let pts: MultiPoint<f64> = (0..5)
        .map(|_| Point::from(off(rng.next() * 0.1, rng.next() * 0.1)))
        .collect();
    w.add("things", pts.into(), json!({ "name": "cluster" }))
        .await;
    for i in 0..60 {
        let c = off(rng.next() * 0.16 - 0.08, rng.next() * 0.12 - 0.06);
        w.add(
            "points",
            Point::from(c).into(),
            json!({ "name": format!("p{i}") }),
        )
        .await;
    }
}

/// The source geometry in tile units, and its outline (rings as lines) for distances.
fn projected(t: TileId, g: &Geometry<f64>) -> (Geometry<f64>, Geometry<f64>) {
    let p = g.map_coords(|c| to_tile(t, c));
    let outline = match &p {
        Geometry::Polygon(poly) => Geometry::MultiLineString(rings(poly)),
        Geometry::MultiPolygon(mp) => Geometry::MultiLineString(MultiLineString(
            mp.iter().flat_map(|p| rings(p).0).collect(),
        )),
        other => other.clone(),
    };
    (p, outline)
}

fn rings(p: &Polygon<f64>) -> MultiLineString<f64> {
    MultiLineString(
        std::iter::once(p.exterior().clone())
            .chain(p.interiors().iter().cloned())
            .collect(),
    )
}

fn buffered_box() -> Polygon<f64> {
    Rect::new((-64.0, -64.0), (4160.0, 4160.0)).to_polygon()
}

fn decoded_vertices(g: &Geometry<f64>) -> Vec<Coord<f64>> {
    use geo::CoordsIter;
    g.coords_iter().collect()
}

/// mvt-reader returns every polygon feature as a MultiPolygon; the one polygon of it.
fn one_polygon(g: &Geometry<f64>) -> &Polygon<f64> {
    match g {
        Geometry::MultiPolygon(mp) if mp.0.len() == 1 => &mp.0[0],
        other => panic!("not a single polygon: {other:?}"),
    }
}

fn as_multipolygon(g: &Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => mp.clone(),
        other => panic!("not a polygon: {other:?}"),
    }
}

#[tokio::test]
async fn features_lie_within_a_pixel_of_their_source() {
    let w = world().await;
    populate(&w).await;
    let box_outline = Geometry::LineString(buffered_box().exterior().clone());
    let (mut tiles, mut features, mut worst) = (0, 0, 0.0f64);
    for z in [6u8, 9, 11, 13, 15, 17] {
        // Up to 5×5 tiles around the centre at each zoom.
        let c = tile_at(z, CENTRE);
        for x in c.x().saturating_sub(2)..=c.x() + 2 {
            for y in c.y().saturating_sub(2)..=c.y() + 2 {
                let t = TileId::new(z.into(), x, y).unwrap();
                let Some(bytes) = render(&w.catalog, &["things"], t).unwrap() else {
                    continue;
                };
                tiles += 1;
                let layers = decode(&bytes);
                assert_eq!(layers.len(), 1);
                let (name, version, extent, decoded) = &layers[0];
                assert_eq!((name.as_str(), *version, *extent), ("things", 2, 4096));
                for f in decoded {
                    features += 1;
                    let src = w.catalog.get("things", f.id.unwrap() as i64).unwrap();
                    let (shape, outline) = projected(t, src.geometry.as_ref().unwrap());
                    // Every decoded vertex: near the source outline, or on the buffer edge
                    // where clipping cut it; never outside the buffered tile.
                    for v in decoded_vertices(&f.geometry) {
                        let d = Euclidean
                            .distance(&Point::from(v), &outline)
                            .min(Euclidean.distance(&Point::from(v), &box_outline));
                        assert!(
                            d <= PX,
                            "{t}: vertex {v:?} of {} is {d} units off",
                            f.id.unwrap()
                        );
                        worst = worst.max(d);
                        assert!((-65.0..=4161.0).contains(&v.x) && (-65.0..=4161.0).contains(&v.y));
                    }
                    // And the other way: nothing inside the tile went missing.
                    if let Geometry::LineString(_) | Geometry::MultiLineString(_) = &shape {
                        for v in decoded_vertices(&shape).into_iter().filter(|v| {
                            (0.0..4096.0).contains(&v.x) && (0.0..4096.0).contains(&v.y)
                        }) {
                            let d = Euclidean.distance(&Point::from(v), &f.geometry);
                            assert!(
                                d <= TIGHT,
                                "{t}: source vertex {v:?} is {d} from the tile's line"
                            );
                        }
                    }
                    if let Geometry::Polygon(_) | Geometry::MultiPolygon(_) = &shape {
                        let clipped = as_multipolygon(&shape).intersection(&buffered_box());
                        let got = as_multipolygon(&f.geometry).unsigned_area();
                        let want = clipped.unsigned_area();
                        let perimeter: f64 = clipped
                            .iter()
                            .flat_map(|p| rings(p).0)
                            .map(|r| Euclidean.length(&r))
                            .sum();
                        // Each boundary point moves at most ~TIGHT; collapsed ones become a few cells.
                        assert!(
                            (got - want).abs() <= TIGHT * perimeter + 16.0,
                            "{t}: area {got} vs {want} (perimeter {perimeter}) for {}",
                            f.id.unwrap()
                        );
                    }
                }
            }
        }
    }
    assert!(
        tiles > 60 && features > 200,
        "{tiles} tiles, {features} features"
    );
    assert!(worst <= TIGHT, "worst vertex error {worst} units");
}

#[tokio::test]
async fn exterior_rings_are_positive_and_holes_negative() {
    let w = world().await;
    let mut rng = Lcg(3);
    let c = CENTRE;
    // Lon/lat counter-clockwise exterior and clockwise hole, then the opposite.
    for (ext_cw, hole_cw) in [(false, true), (true, false)] {
        let p = Polygon::new(
            ring_around(c, 0.01, 50, &mut rng, ext_cw),
            vec![ring_around(c, 0.003, 20, &mut rng, hole_cw)],
        );
        w.add("things", p.into(), json!({ "name": "holey" })).await;
    }
    let t = tile_at(13, c);
    let bytes = render(&w.catalog, &["things"], t).unwrap().unwrap();
    let decoded = &decode(&bytes)[0].3;
    assert_eq!(decoded.len(), 2);
    for f in decoded {
        let p = one_polygon(&f.geometry);
        assert!(spec_area(p.exterior()) > 0.0);
        assert_eq!(p.interiors().len(), 1, "the hole is read as a hole");
        assert!(spec_area(&p.interiors()[0]) < 0.0);
    }
}

#[tokio::test]
async fn a_tiny_polygon_still_shows_at_z8() {
    let w = world().await;
    // 0.5 m square: about 4.7e-6° of longitude at 31° N.
    let half = 0.25 / 111_320.0;
    let tiny = Polygon::new(
        LineString::from(vec![
            (CENTRE.x - half / 0.855, CENTRE.y - half),
            (CENTRE.x + half / 0.855, CENTRE.y - half),
            (CENTRE.x + half / 0.855, CENTRE.y + half),
            (CENTRE.x - half / 0.855, CENTRE.y + half),
        ]),
        vec![],
    );
    let f = w
        .add("things", tiny.into(), json!({ "name": "kiosk" }))
        .await;
    for z in [0u8, 4, 8, 12] {
        let t = tile_at(z, CENTRE);
        let bytes = render(&w.catalog, &["things"], t)
            .unwrap()
            .expect("the tile is not empty");
        let decoded = &decode(&bytes)[0].3;
        assert_eq!(decoded.len(), 1);
        assert_eq!(decoded[0].id, Some(f.id as u64));
        let p = one_polygon(&decoded[0].geometry);
        assert!(spec_area(p.exterior()) >= 2.0, "at least one unit square");
        let here = to_tile(t, CENTRE);
        for v in p.exterior().coords() {
            assert!(
                (v.x - here.x).abs() <= 2.0 && (v.y - here.y).abs() <= 2.0,
                "z{z}: {v:?} vs {here:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_polygon_larger_than_the_tile_is_clipped_to_the_buffer() {
    let w = world().await;
    w.add(
        "things",
        square(CENTRE, 0.05).into(),
        json!({ "name": "huge" }),
    )
    .await;
    let t = tile_at(14, CENTRE);
    let decoded = &decode(&render(&w.catalog, &["things"], t).unwrap().unwrap())[0].3;
    let p = one_polygon(&decoded[0].geometry);
    let mut xs: Vec<_> = p.exterior().coords().map(|c| (c.x, c.y)).collect();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs.dedup();
    assert_eq!(
        xs,
        vec![
            (-64.0, -64.0),
            (-64.0, 4160.0),
            (4160.0, -64.0),
            (4160.0, 4160.0)
        ]
    );
    assert_eq!(spec_area(p.exterior()), 2.0 * 4224.0 * 4224.0);
}

#[tokio::test]
async fn lines_crossing_the_tile_are_cut_at_the_buffer() {
    let w = world().await;
    let t = tile_at(14, CENTRE);
    // In at the west buffer edge, out at the east, back in, and a stretch wholly outside.
    let path = vec![
        from_tile(t, -500.0, 1000.0),
        from_tile(t, 5000.0, 1000.0),
        from_tile(t, 5000.0, 3000.0),
        from_tile(t, 2000.0, 3000.0),
        from_tile(t, 2000.0, 6000.0),
        from_tile(t, 9000.0, 6000.0),
    ];
    w.add(
        "things",
        LineString::new(path).into(),
        json!({ "name": "road" }),
    )
    .await;
    let decoded = &decode(&render(&w.catalog, &["things"], t).unwrap().unwrap())[0].3;
    let Geometry::MultiLineString(parts) = &decoded[0].geometry else {
        panic!("{:?}", decoded[0].geometry)
    };
    assert_eq!(parts.0.len(), 2);
    let ends = |l: &LineString<f64>| (l.0[0], l.0[l.0.len() - 1]);
    let (a0, a1) = ends(&parts.0[0]);
    assert_eq!(
        ((a0.x, a0.y), (a1.x, a1.y)),
        ((-64.0, 1000.0), (4160.0, 1000.0))
    );
    let (b0, b1) = ends(&parts.0[1]);
    assert_eq!(
        ((b0.x, b0.y), (b1.x, b1.y)),
        ((4160.0, 3000.0), (2000.0, 4160.0))
    );
}

#[tokio::test]
async fn ids_and_typed_properties_round_trip() {
    let w = world().await;
    let outline = square(CENTRE, 0.001);
    let props = json!({
        "name": "站点 1", "code": "T42", "floors": 12, "ratio": 0.375, "public": true, "kind": "b",
        "surveyed_on": "2024-05-01", "updated_at": "2024-05-01T08:30:00+08:00", "tags": ["甲", "乙"],
    });
    let f = w
        .catalog
        .create(
            "things",
            vec![onemap_spatial::Draft {
                geometry: Some(Point::from(CENTRE).into()),
                properties: props.as_object().unwrap().clone(),
                geometries: [("outline".to_string(), outline.into())].into(),
            }],
        )
        .await
        .unwrap()
        .remove(0);
    let neg = w
        .add(
            "things",
            Point::from(CENTRE).into(),
            json!({ "name": "below", "floors": -3, "public": false }),
        )
        .await;
    let bytes = render(&w.catalog, &["things"], tile_at(12, CENTRE))
        .unwrap()
        .unwrap();
    let decoded = &decode(&bytes)[0].3;
    let by_id: HashMap<u64, _> = decoded.iter().map(|d| (d.id.unwrap(), d)).collect();
    let got = by_id[&(f.id as u64)].properties.as_ref().unwrap();
    let stored = &w.catalog.get("things", f.id).unwrap().properties;
    let s = |k: &str| MvtValue::String(stored[k].as_str().unwrap().to_string());
    let expected: HashMap<String, MvtValue> = [
        ("name", s("name")),
        ("code", s("code")),
        ("floors", MvtValue::Int(12)),
        ("ratio", MvtValue::Double(0.375)),
        ("public", MvtValue::Bool(true)),
        ("kind", s("kind")),
        ("surveyed_on", s("surveyed_on")),
        ("updated_at", s("updated_at")),
        ("tags", MvtValue::String("甲,乙".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(
        got, &expected,
        "outline (a geometry) is left out, everything else typed"
    );
    let got = by_id[&(neg.id as u64)].properties.as_ref().unwrap();
    assert_eq!(got.get("floors"), Some(&MvtValue::SInt(-3)));
    assert_eq!(got.get("public"), Some(&MvtValue::Bool(false)));
    assert_eq!(got.get("ratio"), None, "nulls are left out");
}

#[tokio::test]
async fn layers_come_in_request_order_and_features_by_id() {
    let w = world().await;
    populate(&w).await;
    let t = tile_at(11, CENTRE);
    let bytes = render(&w.catalog, &["points", "things"], t)
        .unwrap()
        .unwrap();
    let layers = decode(&bytes);
    let names: Vec<_> = layers.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(names, ["points", "things"]);
    for (_, _, _, features) in &layers {
        let ids: Vec<_> = features.iter().map(|f| f.id.unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(features.len() > 5);
    }
    assert_eq!(
        Some(bytes),
        render(&w.catalog, &["points", "things"], t).unwrap(),
        "deterministic"
    );
}

#[tokio::test]
async fn empty_tiles_and_bad_requests() {
    let w = world().await;
    populate(&w).await;
    // Nothing lies near Paris.
    let paris = tile_at(10, Coord { x: 2.35, y: 48.85 });
    assert_eq!(
        render(&w.catalog, &["things", "points"], paris).unwrap(),
        None
    );
    assert_eq!(render(&w.catalog, &[], paris).unwrap(), None);
    let t = tile_at(10, CENTRE);
    assert_eq!(
        render(&w.catalog, &["things", "nope"], t).unwrap_err(),
        TileError::UnknownLayer("nope".into())
    );
    assert_eq!(
        render(&w.catalog, &["things", "things"], t).unwrap_err(),
        TileError::DuplicateLayer("things".into())
    );
    assert!(TileId::new(10, 1024, 0).is_err());
    // The range API agrees with the buffered bounds used to query.
    let r = TileRange::covering(&t.buffered_bounds_lonlat(), 10, 0.0);
    assert!(r.contains(t) && r.tile_count() == 9);
}
