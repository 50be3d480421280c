//! Sharing PROJ transformations between threads: one PROJ object per thread and definition.
//!
//! Why: `proj::Proj` wraps a raw PROJ context and object; it is neither `Send` nor `Sync`, and a
//! PROJ object must not be used from two threads at once. A [`Transformer`](crate::Transformer)
//! has to be `Send + Sync` so the server can keep one per CRS pair and use it from any tokio task.
//!
//! Design: a [`ProjOp`] is only a *description* (source and target definition plus a process-wide
//! small integer id); the `Proj` objects live in a thread-local table indexed by that id, created
//! on a thread's first use. After that, a lookup is an index into a `Vec` (no hashing, no lock,
//! no contention between threads). The cost is one PROJ object per (thread, definition) — a few
//! kilobytes — and a one-off creation time per thread (measured by `examples/gcoord_compare`,
//! see the crate docs). The table only grows with the number of distinct definitions, which a
//! deployment keeps small (the Shanghai 2000 profile and a few EPSG codes).

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use proj::Proj;

use crate::CoordError;

/// A PROJ transformation `from → to` (each an `EPSG:` code or a PROJ string), with axis order
/// normalised to (east, north) / (lon, lat) by `proj_create_crs_to_crs` + normalisation.
#[derive(Debug, Clone)]
pub(crate) struct ProjOp {
    id: usize,
    from: Arc<str>,
    to: Arc<str>,
}

type Definition = (Arc<str>, Arc<str>);

static REGISTRY: Mutex<Vec<Definition>> = Mutex::new(Vec::new());

thread_local! {
    static CACHE: RefCell<Vec<Option<Proj>>> = const { RefCell::new(Vec::new()) };
}

/// Points per call of `Proj::convert_array` (it copies into its own buffer; chunking bounds that
/// buffer and lets a failing chunk be re-run point by point to find the failing index).
const CHUNK: usize = 256;

impl ProjOp {
    /// Creates the PROJ object on this thread (so a bad definition fails here, not later) and
    /// registers the definition. The error is PROJ's message.
    pub(crate) fn new(from: &str, to: &str) -> Result<ProjOp, String> {
        let lookup = |reg: &[Definition]| {
            reg.iter()
                .position(|(f, t)| &**f == from && &**t == to)
                .map(|id| (id, reg[id].clone()))
        };
        let known = lookup(&REGISTRY.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some((id, (from, to))) = known {
            let op = ProjOp { id, from, to };
            op.with(|_| ())?;
            return Ok(op);
        }
        // Unknown definition: build it before registering, so a bad one is never registered.
        let proj = Proj::new_known_crs(from, to, None).map_err(|e| e.to_string())?;
        let (id, (from, to)) = {
            let mut reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
            match lookup(&reg) {
                Some(found) => found,
                None => {
                    reg.push((from.into(), to.into()));
                    (reg.len() - 1, reg[reg.len() - 1].clone())
                }
            }
        };
        // Keep the object just built (if the table can still be reached on this thread).
        let _ = CACHE.try_with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() <= id {
                cache.resize_with(id + 1, || None);
            }
            cache[id].get_or_insert(proj);
        });
        Ok(ProjOp { id, from, to })
    }

    /// Runs `f` with this thread's PROJ object, creating it on first use.
    fn with<R>(&self, f: impl FnOnce(&Proj) -> R) -> Result<R, String> {
        CACHE
            .try_with(|cache| {
                let mut cache = cache.borrow_mut();
                if cache.len() <= self.id {
                    cache.resize_with(self.id + 1, || None);
                }
                let slot = &mut cache[self.id];
                if slot.is_none() {
                    *slot = Some(
                        Proj::new_known_crs(&self.from, &self.to, None)
                            .map_err(|e| e.to_string())?,
                    );
                }
                match slot {
                    Some(proj) => Ok(f(proj)),
                    None => Err("PROJ object missing".to_owned()),
                }
            })
            .map_err(|_| "PROJ is not available while this thread exits".to_owned())?
    }

    /// Converts `pts` in place. On error, the points before the reported index are converted,
    /// the rest are unspecified.
    pub(crate) fn convert_slice(&self, pts: &mut [[f64; 2]]) -> Result<(), CoordError> {
        let failed = |index: usize, p: [f64; 2], message: String| CoordError::ProjFailed {
            index,
            x: p[0],
            y: p[1],
            message,
        };
        let first = pts.first().copied().unwrap_or([0.0; 2]);
        self.with(|proj| {
            for (chunk_no, chunk) in pts.chunks_mut(CHUNK).enumerate() {
                let base = chunk_no * CHUNK;
                if chunk.len() > 1 {
                    let mut buf = [(0.0_f64, 0.0_f64); CHUNK];
                    let buf = &mut buf[..chunk.len()];
                    for (b, p) in buf.iter_mut().zip(chunk.iter()) {
                        *b = (p[0], p[1]);
                    }
                    if proj.convert_array(buf).is_ok()
                        && buf.iter().all(|b| b.0.is_finite() && b.1.is_finite())
                    {
                        for (p, b) in chunk.iter_mut().zip(buf.iter()) {
                            *p = [b.0, b.1];
                        }
                        continue;
                    }
                }
                // One point, or a chunk with a failure: point by point, to report the index.
                for (i, p) in chunk.iter_mut().enumerate() {
                    match proj.convert((p[0], p[1])) {
                        Ok((x, y)) if x.is_finite() && y.is_finite() => *p = [x, y],
                        Ok(_) => {
                            return Err(failed(base + i, *p, "result is not finite".into()));
                        }
                        Err(e) => return Err(failed(base + i, *p, e.to_string())),
                    }
                }
            }
            Ok(())
        })
        .map_err(|message| failed(0, first, message))?
    }
}

/// Whether PROJ describes `definition` as a geographic (lon/lat) CRS; `None` if PROJ rejects it.
/// Memoised for the process (asking PROJ costs milliseconds).
pub(crate) fn crs_is_geographic(definition: &str) -> Option<bool> {
    static MEMO: Mutex<Vec<(String, Option<bool>)>> = Mutex::new(Vec::new());
    let memo =
        |m: &[(String, Option<bool>)]| m.iter().find(|(d, _)| d == definition).map(|(_, g)| *g);
    if let Some(known) = memo(&MEMO.lock().unwrap_or_else(|e| e.into_inner())) {
        return known;
    }
    let answer = ask_is_geographic(definition);
    let mut m = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    if memo(&m).is_none() {
        m.push((definition.to_owned(), answer));
    }
    answer
}

fn ask_is_geographic(definition: &str) -> Option<bool> {
    // A bare PROJ string ("+proj=longlat ...") is read as an operation unless marked as a CRS.
    let marked;
    let definition = if definition.contains("+proj=") && !definition.contains("type=crs") {
        marked = format!("{definition} +type=crs");
        &marked
    } else {
        definition
    };
    let crs = Proj::new(definition).ok()?;
    let json = crs.to_projjson(Some(false), None, None).ok()?;
    // The top-level "type" is the first one in PROJJSON ("$schema" precedes it).
    let rest = &json[json.find("\"type\"")? + 6..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let kind = &rest[..rest.find('"')?];
    Some(kind == "GeographicCRS" || kind == "GeographicCRS3D")
}
