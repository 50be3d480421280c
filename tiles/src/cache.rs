//! The tile cache: rendered tiles with their gzip bytes and ETag, bounded in bytes.
//!
//! Entries are invalidated precisely by the catalog's change notices.
//!
//! Entries live in one map ordered by tile (zoom, column, row), each tile holding the
//! few (layer list, variant) combinations cached for it. That order serves all three
//! jobs: lookups, eviction (a CLOCK hand sweeping the map in key order, giving recently
//! hit entries a second chance), and invalidation, which per zoom either probes each tile
//! an edit's bounds reach or, when those are more than the entries cached at that zoom,
//! scans only the cached tiles in the reached columns. A district-sized edit at z = 18
//! thus costs what is cached there, not the millions of tiles it spans.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use geo::Rect;
use onemap_spatial::{Change, ChangeListener};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;

use crate::BUFFER;
use crate::error::TileError;
use crate::tile_id::{MAX_ZOOM, TileId, TileRange};

/// What a cache holds when its size is not configured.
pub const DEFAULT_CAPACITY: usize = 256 << 20;

/// Bytes a cached tile costs beyond its payload and key: the slot, the entry, the map's
/// share. An estimate; it keeps a cache of many tiny (empty) tiles honestly bounded.
const SLOT_OVERHEAD: usize = 160;

/// A rendered tile, ready to send: raw and gzip bytes (compressed once, here) and a
/// strong ETag. An empty entry stands for a tile with no features (HTTP 204).
#[derive(Debug)]
pub struct TileEntry {
    raw: Bytes,
    gzip: Bytes,
    etag: String,
}

impl TileEntry {
    /// Wraps a [`crate::render`] result.
    pub fn new(mvt: Option<Vec<u8>>) -> Self {
        let raw = Bytes::from(mvt.unwrap_or_default());
        let gzip = if raw.is_empty() {
            Bytes::new()
        } else {
            let mut enc = GzEncoder::new(Vec::with_capacity(raw.len() / 2), Compression::default());
            enc.write_all(&raw).expect("writing to a Vec cannot fail");
            Bytes::from(enc.finish().expect("writing to a Vec cannot fail"))
        };
        let etag = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&raw));
        Self { raw, gzip, etag }
    }

    /// True for a tile with no features.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The MVT bytes (a cheap reference-counted clone).
    pub fn raw(&self) -> Bytes {
        self.raw.clone()
    }

    /// The MVT bytes gzip-compressed, for `Content-Encoding: gzip`.
    pub fn gzip(&self) -> Bytes {
        self.gzip.clone()
    }

    /// The xxh3-128 of the raw bytes in hex, without quotes: equal bytes, equal tag.
    pub fn etag(&self) -> &str {
        &self.etag
    }
}

/// Counters for `/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Tiles held now (one per layer list, tile and variant).
    pub entries: usize,
    /// Bytes held now: raw and gzip payloads, ETags, keys and per-entry overhead.
    pub bytes: usize,
    /// The bound on `bytes` the cache was built with.
    pub capacity: usize,
    /// Lookups answered from the cache since start.
    pub hits: u64,
    /// Lookups that found nothing since start.
    pub misses: u64,
    /// Entries removed because an edit touched them.
    pub invalidations: u64,
    /// Entries removed to stay within capacity.
    pub evictions: u64,
}

/// One cached (layer list, variant) for a tile.
struct Slot {
    layers: Box<str>,
    variant: Box<str>,
    entry: Arc<TileEntry>,
    weight: usize,
    /// CLOCK's reference bit: set by a hit, cleared as the hand passes.
    referenced: AtomicBool,
}

impl Slot {
    fn is(&self, layers: &str, variant: &str) -> bool {
        &*self.layers == layers && &*self.variant == variant
    }

    fn shows(&self, layer: &str) -> bool {
        self.layers.split(',').any(|l| l == layer)
    }
}

#[derive(Default)]
struct Inner {
    tiles: BTreeMap<TileId, Vec<Slot>>,
    per_zoom: [usize; MAX_ZOOM as usize + 1],
    entries: usize,
    bytes: usize,
    /// The last tile the CLOCK hand visited.
    hand: Option<TileId>,
    /// Changes seen per layer, so a render that raced an edit is not cached (see `ticket`).
    epochs: HashMap<String, u64>,
}

impl Inner {
    /// Removes the tile's slots for which `remove` is true; returns how many.
    fn remove_where(&mut self, tile: TileId, mut remove: impl FnMut(&Slot) -> bool) -> u64 {
        let Some(slots) = self.tiles.get_mut(&tile) else {
            return 0;
        };
        let (mut n, mut freed) = (0, 0);
        slots.retain(|s| {
            let gone = remove(s);
            if gone {
                n += 1;
                freed += s.weight;
            }
            !gone
        });
        if slots.is_empty() {
            self.tiles.remove(&tile);
        }
        self.per_zoom[usize::from(tile.z())] -= n;
        self.entries -= n;
        self.bytes -= freed;
        n as u64
    }

    /// The sum of the change counts of the listed layers. Counts only grow, so the sum is
    /// unchanged exactly when none of the layers changed.
    fn ticket(&self, layers: &str) -> u64 {
        layers.split(',').filter_map(|l| self.epochs.get(l)).sum()
    }

    /// Cached tiles of the range, looked up one by one.
    fn probe(&self, range: &TileRange) -> Vec<TileId> {
        range
            .iter()
            .filter(|t| self.tiles.contains_key(t))
            .collect()
    }

    /// Cached tiles of the range, found by walking the cached tiles of its columns.
    fn scan(&self, range: &TileRange) -> Vec<TileId> {
        self.tiles
            .range(range.columns())
            .map(|(&t, _)| t)
            .filter(|&t| range.contains(t))
            .collect()
    }

    /// Removes the tiles showing `layer` whose buffered bounds meet `bounds`, at every zoom.
    fn invalidate(&mut self, layer: &str, bounds: &Rect<f64>) -> u64 {
        let mut removed = 0;
        for z in 0..=MAX_ZOOM {
            let cached = self.per_zoom[usize::from(z)];
            if cached == 0 {
                continue;
            }
            let range = TileRange::covering(bounds, z, f64::from(BUFFER));
            let hit = if range.tile_count() <= cached as u64 {
                self.probe(&range)
            } else {
                self.scan(&range)
            };
            for t in hit {
                removed += self.remove_where(t, |s| s.shows(layer));
            }
        }
        removed
    }

    /// Sweeps the CLOCK hand until the cache fits; returns how many entries went.
    fn evict(&mut self, capacity: usize) -> u64 {
        let mut evicted = 0;
        while self.bytes > capacity {
            let after = self.hand.map_or(Bound::Unbounded, Bound::Excluded);
            let next = self.tiles.range((after, Bound::Unbounded)).next();
            let Some(tile) = next.or_else(|| self.tiles.iter().next()).map(|(&t, _)| t) else {
                break;
            };
            self.hand = Some(tile);
            // A referenced slot loses its mark and stays; an unmarked one goes.
            evicted += self.remove_where(tile, |s| !s.referenced.swap(false, Ordering::Relaxed));
        }
        evicted
    }
}

type Flight = Arc<OnceLock<Result<Arc<TileEntry>, TileError>>>;
type Flights = Mutex<HashMap<(String, String, TileId), Flight>>;

/// Held by the caller that started a flight: takes the flight off the board when that
/// caller is done, even by a panic in the render, because a stranded flight would hand
/// its result to every later caller, past any invalidation.
struct Landing<'a> {
    flights: &'a Flights,
    key: (String, String, TileId),
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.flights.lock().remove(&self.key);
    }
}

/// Rendered tiles keyed by (layer list as requested, variant, tile).
///
/// `variant` names a tile scheme beyond plain Web Mercator (e.g. a GCJ-02-shifted one);
/// it is only carried in the key. Subscribe the cache to the catalog
/// (`catalog.subscribe(cache.clone())`) so edits invalidate it.
pub struct TileCache {
    capacity: usize,
    inner: RwLock<Inner>,
    flights: Flights,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
    evictions: AtomicU64,
}

impl Default for TileCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl TileCache {
    /// A cache holding at most `capacity` bytes (payloads, keys and overhead).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: RwLock::default(),
            flights: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// The cached tile, if any; counts a hit or a miss.
    pub fn get(&self, layers: &str, tile: TileId, variant: &str) -> Option<Arc<TileEntry>> {
        let found = self.peek(layers, tile, variant);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn peek(&self, layers: &str, tile: TileId, variant: &str) -> Option<Arc<TileEntry>> {
        let inner = self.inner.read();
        let slot = inner
            .tiles
            .get(&tile)?
            .iter()
            .find(|s| s.is(layers, variant))?;
        slot.referenced.store(true, Ordering::Relaxed);
        Some(slot.entry.clone())
    }

    /// The cached tile, or `render`'s result, cached. Concurrent misses on one key render
    /// once: the others block until it is done and share the result (errors included).
    /// This blocks, so async callers run it on a blocking thread.
    pub fn get_or_render(
        &self,
        layers: &str,
        tile: TileId,
        variant: &str,
        render: impl FnOnce() -> Result<Option<Vec<u8>>, TileError>,
    ) -> Result<Arc<TileEntry>, TileError> {
        if let Some(entry) = self.get(layers, tile, variant) {
            return Ok(entry);
        }
        let key = (layers.to_owned(), variant.to_owned(), tile);
        let (flight, _landing) = {
            let mut flights = self.flights.lock();
            match flights.get(&key) {
                Some(f) => (f.clone(), None),
                None => {
                    let f = Flight::default();
                    flights.insert(key.clone(), f.clone());
                    let landing = Landing {
                        flights: &self.flights,
                        key,
                    };
                    (f, Some(landing))
                }
            }
        };
        flight
            .get_or_init(|| {
                // The ticket is taken before the index is read, so any edit the render
                // might have missed changes it and keeps the result out of the cache.
                let ticket = self.inner.read().ticket(layers);
                if let Some(entry) = self.peek(layers, tile, variant) {
                    return Ok(entry); // an earlier flight finished in between
                }
                let entry = Arc::new(TileEntry::new(render()?));
                self.insert(layers, tile, variant, ticket, entry.clone());
                Ok(entry)
            })
            .clone()
    }

    fn insert(
        &self,
        layers: &str,
        tile: TileId,
        variant: &str,
        ticket: u64,
        entry: Arc<TileEntry>,
    ) {
        let weight = entry.raw.len()
            + entry.gzip.len()
            + entry.etag.len()
            + layers.len()
            + variant.len()
            + SLOT_OVERHEAD;
        if weight > self.capacity {
            return;
        }
        let mut inner = self.inner.write();
        if inner.ticket(layers) != ticket {
            return;
        }
        inner.remove_where(tile, |s| s.is(layers, variant));
        inner.tiles.entry(tile).or_default().push(Slot {
            layers: layers.into(),
            variant: variant.into(),
            entry,
            weight,
            // Cold until hit: a burst of one-off tiles (a crawler) then cannot flush out
            // the tiles people keep asking for.
            referenced: AtomicBool::new(false),
        });
        inner.per_zoom[usize::from(tile.z())] += 1;
        inner.entries += 1;
        inner.bytes += weight;
        let evicted = inner.evict(self.capacity);
        self.evictions.fetch_add(evicted, Ordering::Relaxed);
    }

    /// The counters now; each is read on its own, so they need not add up exactly while
    /// tiles are being rendered.
    pub fn stats(&self) -> CacheStats {
        let inner = self.inner.read();
        CacheStats {
            entries: inner.entries,
            bytes: inner.bytes,
            capacity: self.capacity,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}

impl ChangeListener for TileCache {
    /// Drops every cached tile that shows the changed layer and whose buffered bounds meet
    /// the feature's old or new bounds, at every zoom; nothing else.
    fn changed(&self, change: &Change) {
        let mut inner = self.inner.write();
        *inner.epochs.entry(change.layer.clone()).or_default() += 1;
        let removed: u64 = [change.old, change.new]
            .iter()
            .flatten()
            .map(|b| inner.invalidate(&change.layer, b))
            .sum();
        self.invalidations.fetch_add(removed, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(z: u32, x: u32, y: u32) -> TileId {
        TileId::new(z, x, y).unwrap()
    }

    fn fill(cache: &TileCache, tiles: impl IntoIterator<Item = TileId>, layers: &str) {
        for t in tiles {
            cache
                .get_or_render(layers, t, "", || Ok(Some(vec![t.x() as u8; 10])))
                .unwrap();
        }
    }

    #[test]
    fn probe_and_scan_agree() {
        let cache = TileCache::default();
        let around = TileRange::covering(&Rect::new((121.0, 31.0), (121.6, 31.5)), 12, 0.0);
        fill(&cache, around.iter().step_by(3), "a");
        let inner = cache.inner.read();
        for (lo, hi) in [
            ((121.1, 31.1), (121.2, 31.2)),
            ((120.0, 30.0), (121.3, 31.3)),
            ((121.5, 31.45), (121.5, 31.45)),
        ] {
            let range = TileRange::covering(&Rect::new(lo, hi), 12, f64::from(BUFFER));
            let probed = inner.probe(&range);
            assert!(!probed.is_empty());
            assert_eq!(probed, inner.scan(&range));
        }
    }

    #[test]
    fn hits_misses_and_entries() {
        let cache = TileCache::default();
        let t = tile(3, 1, 2);
        assert!(cache.get("a", t, "").is_none());
        let e = cache.get_or_render("a", t, "", || Ok(None)).unwrap();
        assert!(e.is_empty());
        assert!(cache.get("a", t, "").unwrap().is_empty());
        assert!(cache.get("a", t, "gcj02").is_none());
        assert!(cache.get("a,b", t, "").is_none());
        let s = cache.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 4, 1));
    }

    #[test]
    fn errors_are_not_cached() {
        let cache = TileCache::default();
        let t = tile(0, 0, 0);
        let err = cache.get_or_render("x", t, "", || Err(TileError::UnknownLayer("x".into())));
        assert_eq!(err.unwrap_err(), TileError::UnknownLayer("x".into()));
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn stays_within_capacity_and_keeps_what_is_hit() {
        let payload = 1000;
        let cache = TileCache::new(20 * (payload + 2 * SLOT_OVERHEAD));
        let hot = tile(10, 0, 0);
        cache
            .get_or_render("a", hot, "", || Ok(Some(vec![1; payload])))
            .unwrap();
        for i in 1..200u32 {
            assert!(
                cache.get("a", hot, "").is_some(),
                "the hot tile survived {i} inserts"
            );
            // Incompressible payloads, so the gzip copy costs about as much as the raw.
            let mut state = u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let noise: Vec<u8> = (0..payload)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            cache
                .get_or_render("a", tile(10, i, 5), "", || Ok(Some(noise)))
                .unwrap();
            assert!(cache.stats().bytes <= cache.stats().capacity);
        }
        assert!(cache.stats().evictions > 150);
    }

    #[test]
    fn a_render_racing_an_edit_is_not_cached() {
        let cache = Arc::new(TileCache::default());
        let t = tile(12, 3427, 1672);
        let c2 = cache.clone();
        let e = cache
            .get_or_render("a,b", t, "", || {
                // An edit to layer b lands while this tile renders.
                c2.changed(&Change {
                    layer: "b".into(),
                    id: 1,
                    old: None,
                    new: Some(Rect::new((0.0, 0.0), (0.0, 0.0))),
                });
                Ok(Some(vec![1, 2, 3]))
            })
            .unwrap();
        assert_eq!(&e.raw()[..], [1, 2, 3]);
        assert!(cache.get("a,b", t, "").is_none());
        fill(&cache, [t], "a,b");
        assert!(cache.get("a,b", t, "").is_some());
    }

    #[test]
    fn concurrent_misses_render_once() {
        let cache = TileCache::default();
        let renders = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    cache
                        .get_or_render("a", tile(5, 1, 1), "", || {
                            renders.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok(Some(vec![9]))
                        })
                        .unwrap()
                });
            }
        });
        assert_eq!(renders.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_panicking_render_strands_nothing() {
        let cache = TileCache::default();
        let t = tile(6, 53, 26);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cache.get_or_render("a", t, "", || panic!("render failed"))
        }));
        assert!(panicked.is_err());
        assert!(cache.flights.lock().is_empty());
        let e = cache
            .get_or_render("a", t, "", || Ok(Some(vec![1])))
            .unwrap();
        assert_eq!(&e.raw()[..], [1]);
    }

    #[test]
    fn gzip_and_etag() {
        let e = TileEntry::new(Some(b"hello hello hello hello".to_vec()));
        let gz = e.gzip();
        let mut d = flate2::read::GzDecoder::new(&gz[..]);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut back).unwrap();
        assert_eq!(back, b"hello hello hello hello");
        assert_eq!(e.etag().len(), 32);
        assert_eq!(
            e.etag(),
            TileEntry::new(Some(b"hello hello hello hello".to_vec())).etag()
        );
        assert_ne!(e.etag(), TileEntry::new(Some(b"hello".to_vec())).etag());
    }
}
