//! The tile cache against real edits through the catalog: exactly the tiles an edit
//! touched are dropped, at every zoom, by both invalidation paths; ETags are stable.

mod common;

use std::sync::Arc;

use common::{World, buffered_bounds, decode, from_tile, tile_at, world};
use geo::{BoundingRect, Coord, Geometry, LineString, Point, Polygon, Rect};
use onemap_tiles::{TileCache, TileId, render};
use serde_json::json;

const KEYS: [&str; 3] = ["things", "points", "points,things"];

fn at(dx: f64, dy: f64) -> Coord<f64> {
    Coord {
        x: 121.4737 + dx,
        y: 31.2304 + dy,
    }
}

fn rect_polygon(lo: Coord<f64>, hi: Coord<f64>) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![
            (lo.x, lo.y),
            (hi.x, lo.y),
            (hi.x, hi.y),
            (lo.x, hi.y),
            (lo.x, lo.y),
        ]),
        vec![],
    )
}

fn meets(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && a.max().x >= b.min().x
        && a.min().y <= b.max().y
        && a.max().y >= b.min().y
}

/// A catalog with a few features, and a subscribed cache.
async fn setup() -> (World, Arc<TileCache>) {
    let w = world().await;
    w.add(
        "points",
        Point::from(at(0.001, 0.001)).into(),
        json!({ "name": "p" }),
    )
    .await;
    w.add(
        "things",
        rect_polygon(at(-0.01, -0.01), at(0.0, 0.0)).into(),
        json!({ "name": "t" }),
    )
    .await;
    let cache = Arc::new(TileCache::default());
    w.catalog.subscribe(cache.clone());
    (w, cache)
}

/// Renders and caches every key for the (2r+1)² tiles around `c` at each zoom.
fn warm(
    w: &World,
    cache: &TileCache,
    c: Coord<f64>,
    zooms: impl IntoIterator<Item = u8>,
    r: u32,
) -> Vec<(&'static str, TileId)> {
    let mut cached = Vec::new();
    for z in zooms {
        let mid = tile_at(z, c);
        let last = (1u32 << z) - 1;
        for x in mid.x().saturating_sub(r)..=(mid.x() + r).min(last) {
            for y in mid.y().saturating_sub(r)..=(mid.y() + r).min(last) {
                let t = TileId::new(z.into(), x, y).unwrap();
                for key in KEYS {
                    let layers: Vec<&str> = key.split(',').collect();
                    cache
                        .get_or_render(key, t, "", || render(&w.catalog, &layers, t))
                        .unwrap();
                    cached.push((key, t));
                }
            }
        }
    }
    cached
}

/// Asserts the cache holds exactly the warmed tiles that `layer`'s edit within `touched`
/// could not have changed; returns how many were dropped.
fn check(
    cache: &TileCache,
    cached: &[(&str, TileId)],
    layer: &str,
    touched: &[Rect<f64>],
) -> usize {
    let mut dropped = 0;
    for &(key, t) in cached {
        let shows = key.split(',').any(|l| l == layer);
        let reached = touched.iter().any(|b| meets(&buffered_bounds(t), b));
        let gone = shows && reached;
        assert_eq!(
            cache.get(key, t, "").is_none(),
            gone,
            "{key} {t}: expected gone = {gone}"
        );
        dropped += usize::from(gone);
    }
    dropped
}

fn bounds(g: &Geometry<f64>) -> Rect<f64> {
    g.bounding_rect().unwrap()
}

#[tokio::test]
async fn a_small_edit_drops_exactly_the_tiles_it_touches_at_every_zoom() {
    let (w, cache) = setup().await;
    let spot = at(0.0123, 0.0071);
    let zooms: Vec<u8> = (0..=20).chain([24]).collect();
    let cached = warm(&w, &cache, spot, zooms.clone(), 2);
    assert_eq!(
        cache.stats().entries,
        cached.len(),
        "empty tiles are cached too"
    );

    // A 20 m building: at every zoom it reaches a handful of the 25 tiles cached there,
    // so the cache probes those tiles one by one.
    let g: Geometry<f64> = rect_polygon(spot, at(0.0125, 0.0073)).into();
    let f = w.add("things", g.clone(), json!({ "name": "new" })).await;
    let dropped = check(&cache, &cached, "things", &[bounds(&g)]);
    for z in zooms {
        let t = tile_at(z, spot);
        assert!(
            cache.get("things", t, "").is_none(),
            "z{z}: the tile under the edit went"
        );
        assert!(
            cache.get("points", t, "").is_some(),
            "z{z}: another layer's tile stays"
        );
    }
    assert_eq!(cache.stats().invalidations, dropped as u64);

    // Moving it drops tiles at both the old and the new place.
    let cached = warm(&w, &cache, spot, [12, 15, 18], 2);
    let far = at(-0.02, 0.015);
    let cached_far = warm(&w, &cache, far, [12, 15, 18], 2);
    let moved: Geometry<f64> = rect_polygon(far, at(-0.0198, 0.0152)).into();
    let mut draft = f.to_draft();
    draft.geometry = Some(moved.clone());
    w.catalog
        .replace("things", f.id, None, draft)
        .await
        .unwrap();
    let all: Vec<_> = cached.iter().chain(&cached_far).copied().collect();
    assert!(check(&cache, &all, "things", &[bounds(&g), bounds(&moved)]) > 0);

    // Deleting drops the tiles at the last place only.
    let cached = warm(&w, &cache, spot, [12, 15, 18], 2);
    let cached_far = warm(&w, &cache, far, [12, 15, 18], 2);
    w.catalog.delete("things", f.id, None).await.unwrap();
    let all: Vec<_> = cached.iter().chain(&cached_far).copied().collect();
    assert!(check(&cache, &all, "things", &[bounds(&moved)]) > 0);
}

#[tokio::test]
async fn a_district_sized_edit_scans_the_cached_tiles_instead() {
    let (w, cache) = setup().await;
    let spot = at(0.03, 0.02);
    // Tiles around the spot and far away at deep zooms: a few dozen cached per zoom.
    let near = warm(&w, &cache, spot, [16, 17, 18], 3);
    let away = warm(&w, &cache, at(0.3, -0.2), [16, 17, 18], 1);
    // 5 km across, ending inside the spot's tile: thousands of tiles at z = 18, far more
    // than are cached, so the cache walks its entries rather than the range.
    let edge = tile_at(18, spot).bounds_lonlat();
    let east = (edge.min().x + edge.max().x) / 2.0;
    let g: Geometry<f64> = rect_polygon(at(-0.02, -0.02), Coord { x: east, y: spot.y }).into();
    w.add("things", g.clone(), json!({ "name": "district" }))
        .await;
    let all: Vec<_> = near.iter().chain(&away).copied().collect();
    let dropped = check(&cache, &all, "things", &[bounds(&g)]);
    assert!(dropped > 20, "{dropped}");
    let kept = all.len() - dropped;
    assert!(
        kept > 100,
        "tiles east of the edit and far away stay: {kept}"
    );
    assert!(away.iter().all(|&(k, t)| cache.get(k, t, "").is_some()));
}

#[tokio::test]
async fn etags_follow_the_bytes() {
    let (w, cache) = setup().await;
    let t = tile_at(14, at(0.0, 0.0));
    let layers = ["points", "things"];
    let first = cache
        .get_or_render("points,things", t, "", || render(&w.catalog, &layers, t))
        .unwrap();
    let other = TileCache::default();
    let again = other
        .get_or_render("points,things", t, "", || render(&w.catalog, &layers, t))
        .unwrap();
    assert_eq!(first.etag(), again.etag(), "equal bytes, equal ETag");
    assert_eq!(first.raw(), again.raw());

    let p = w.catalog.get("points", 1).unwrap();
    let mut draft = p.to_draft();
    draft.properties.insert("name".into(), json!("renamed"));
    w.catalog
        .replace("points", p.id, None, draft)
        .await
        .unwrap();
    assert!(cache.get("points,things", t, "").is_none());
    let renamed = cache
        .get_or_render("points,things", t, "", || render(&w.catalog, &layers, t))
        .unwrap();
    assert_ne!(renamed.etag(), first.etag());

    // Back to the old name: a new version of the feature, but the same tile bytes.
    w.catalog
        .replace("points", p.id, None, p.to_draft())
        .await
        .unwrap();
    let back = cache
        .get_or_render("points,things", t, "", || render(&w.catalog, &layers, t))
        .unwrap();
    assert_eq!(back.etag(), first.etag());
    assert!(!back.gzip().is_empty() && back.gzip().len() < back.raw().len() + 32);
}

#[tokio::test]
async fn an_edit_in_a_tiles_buffer_shows_there_and_invalidates_it() {
    let (w, cache) = setup().await;
    let t = tile_at(15, at(0.02, 0.02));
    let east = TileId::new(15, t.x() + 1, t.y()).unwrap();
    let cached = warm(&w, &cache, at(0.02, 0.02), [15], 1);
    let ids = |tile: TileId| -> Vec<u64> {
        render(&w.catalog, &["points"], tile)
            .unwrap()
            .map(|b| decode(&b)[0].3.iter().map(|f| f.id.unwrap()).collect())
            .unwrap_or_default()
    };

    // 30 units past the east edge: in the east tile, and in this tile's 64-unit buffer.
    let inside = w
        .add(
            "points",
            Point::from(from_tile(t, 4126.0, 2000.0)).into(),
            json!({}),
        )
        .await;
    assert!(cache.get("points", t, "").is_none() && cache.get("points", east, "").is_none());
    check(
        &cache,
        &cached,
        "points",
        &[Rect::new(
            from_tile(t, 4126.0, 2000.0),
            from_tile(t, 4126.0, 2000.0),
        )],
    );
    assert!(
        ids(t).contains(&(inside.id as u64)),
        "the tile that was dropped does show it"
    );

    // 100 units past the edge: beyond the buffer, so this tile is kept and does not show it.
    let cached = warm(&w, &cache, at(0.02, 0.02), [15], 1);
    let beyond = w
        .add(
            "points",
            Point::from(from_tile(t, 4196.0, 2000.0)).into(),
            json!({}),
        )
        .await;
    assert!(cache.get("points", t, "").is_some() && cache.get("points", east, "").is_none());
    check(
        &cache,
        &cached,
        "points",
        &[Rect::new(
            from_tile(t, 4196.0, 2000.0),
            from_tile(t, 4196.0, 2000.0),
        )],
    );
    assert!(!ids(t).contains(&(beyond.id as u64)));
    assert!(ids(east).contains(&(beyond.id as u64)));
}
