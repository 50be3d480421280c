//! The synthetic layers, one generator each.
//!
//! Every generator draws from its own `Rng` stream of the seed, places each geometry strictly
//! inside one district (with a margin, via `Land::locate`) and derives
//! `district_code`/`township_code` from where the geometry actually is.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use geo::{BoundingRect, Coord, GeodesicArea};

use crate::districts::{districts, land};
use crate::geom::Frame;
use crate::rng::Rng;

pub(crate) mod buildings;
pub(crate) mod forest;
pub(crate) mod gazetteer;
pub(crate) mod video;

/// The districts where forest layers are generated, with their share of the stands (崇明 most).
pub(crate) const FOREST_DISTRICTS: [(&str, f64); 6] = [
    ("310151", 0.40),
    ("310115", 0.15),
    ("310120", 0.12),
    ("310116", 0.11),
    ("310118", 0.11),
    ("310117", 0.11),
];

pub(crate) fn district_index(code: &str) -> usize {
    districts()
        .iter()
        .position(|d| d.code == code)
        .expect("known district code")
}

/// Land area of each district in km² (geodesic).
pub(crate) fn district_areas_km2() -> &'static [f64] {
    static CELL: OnceLock<Vec<f64>> = OnceLock::new();
    CELL.get_or_init(|| {
        districts()
            .iter()
            .map(|d| d.geometry.geodesic_area_unsigned() / 1e6)
            .collect()
    })
}

/// Splits `total` into integers proportional to `weights` (largest remainder), so that layer
/// counts are exact.
pub(crate) fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut out: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let missing = total - out.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        out[i] += 1;
    }
    out
}

/// A uniformly random position in district `di`, at least `clearance_m` from every border.
pub(crate) fn sample_in(rng: &mut Rng, di: usize, clearance_m: f64) -> Coord {
    static BBOXES: OnceLock<Vec<geo::Rect>> = OnceLock::new();
    let bbox = BBOXES.get_or_init(|| {
        districts()
            .iter()
            .map(|d| d.geometry.bounding_rect().expect("non-empty"))
            .collect()
    })[di];
    loop {
        let c = Coord {
            x: rng.range(bbox.min().x, bbox.max().x),
            y: rng.range(bbox.min().y, bbox.max().y),
        };
        if land().locate(c, clearance_m) == Some(di) {
            return c;
        }
    }
}

/// Discs already occupied (centre, radius in metres), hashed on a grid, to keep the polygons of
/// one layer from overlapping. Why discs: every generated polygon lies within a known radius of
/// its centre, so disjoint discs guarantee disjoint polygons at the cost of a hash lookup.
pub(crate) struct DiscSet {
    cell_deg: f64,
    max_r: f64,
    cells: HashMap<(i64, i64), Vec<(Coord, f64)>, CellHash>,
}

type CellHash = BuildHasherDefault<CellHasher>;

/// A multiplicative hasher for grid keys: std's SipHash showed up in profiles and its DoS
/// resistance is pointless here.
#[derive(Default)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }
}

impl DiscSet {
    /// `max_r`: the largest radius (m) that will be inserted or queried; the grid cell is sized so
    /// that only the 3 × 3 neighbouring cells can hold a disc within reach.
    pub(crate) fn new(max_r: f64) -> Self {
        // 1° of longitude is > 94 km everywhere in Shanghai
        DiscSet {
            cell_deg: 2.0 * max_r / 94_000.0,
            max_r,
            cells: HashMap::default(),
        }
    }

    fn key(&self, c: Coord) -> (i64, i64) {
        (
            (c.x / self.cell_deg).floor() as i64,
            (c.y / self.cell_deg).floor() as i64,
        )
    }

    pub(crate) fn is_free(&self, c: Coord, r: f64) -> bool {
        assert!(
            r <= self.max_r,
            "disc radius {r} above the DiscSet's {}",
            self.max_r
        );
        let f = Frame::at(c);
        let (i, j) = self.key(c);
        for dj in -1..=1 {
            for di in -1..=1 {
                if let Some(v) = self.cells.get(&(i + di, j + dj))
                    && v.iter().any(|(o, ro)| {
                        let (x, y) = f.to_m(*o);
                        x * x + y * y < (r + ro) * (r + ro)
                    })
                {
                    return false;
                }
            }
        }
        true
    }

    pub(crate) fn insert(&mut self, c: Coord, r: f64) {
        assert!(r <= self.max_r);
        let k = self.key(c);
        self.cells.entry(k).or_default().push((c, r));
    }
}
