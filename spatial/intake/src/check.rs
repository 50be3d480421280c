//! Checking the rows as the reader hands them over: conversion, geocoding, validation, keys
//! and the duplicate check. This is the CPU work, run on a blocking thread.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use onemap_coord::{CoordError, Crs, Transformer};
use onemap_formats::read::{self, Row};
use onemap_geocode::fill::fill;
use onemap_geocode::gazetteer::Gazetteer;
use onemap_spatial::crs::{Coords, STORE_CRS, convert_geojson};
use onemap_spatial::dedup::{Checker, Report, Verdict};
use onemap_spatial::validate::validate_feature;
use onemap_spatial::{Draft, Feature, Layer};
use serde_json::{Value, json};

use crate::{ImportFailure, LISTED, Options, Progress};

/// Rows checked against the index per read lock, so writers are not held up for long.
const DEDUP_CHUNK: usize = 10_000;

/// (column, message) pairs for a row that cannot be imported.
type RowIssues = Vec<(String, String)>;

/// Converts, geocodes (when asked) and validates one row into the draft to store; the
/// geocoding level when the point came from the address.
fn check_row(
    layer: &Layer,
    to_store: Option<&Transformer>,
    gz: Option<&Gazetteer>,
    mut row: Row,
) -> Result<(Draft, Option<String>), RowIssues> {
    if !row.issues.is_empty() {
        return Err(row.issues);
    }
    if let Some(t) = to_store {
        let targets = row
            .geometry
            .iter_mut()
            .map(|g| ("geometry".to_string(), g))
            .chain(
                row.properties
                    .iter_mut()
                    .filter(|(k, _)| layer.def.property(k).is_some_and(|p| p.is_geometry()))
                    .map(|(k, v)| (k.clone(), v)),
            );
        for (column, g) in targets {
            if convert_geojson(t, g).is_err() {
                return Err(vec![(
                    column,
                    format!("coordinates cannot be converted from {}", t.from()),
                )]);
            }
        }
    }
    // After the conversion: a geocoded point is already in the store's CRS.
    let level = match gz {
        Some(gz) => fill(gz, &layer.def, &mut row.geometry, &mut row.properties)
            .map_err(|m| vec![("address".to_string(), m)])?
            .map(|f| f.level),
        None => None,
    };
    let draft =
        validate_feature(&layer.def, row.geometry.as_ref(), &row.properties).map_err(|issues| {
            issues
                .into_iter()
                .map(|i| (column(&i.field), i.message))
                .collect::<RowIssues>()
        })?;
    Ok((draft, level))
}

/// A validation field as the file's column: `properties.area_m2` → `area_m2`,
/// `geometry.coordinates[3]` → `geometry`.
fn column(field: &str) -> String {
    match field.strip_prefix("properties.") {
        Some(p) => p.split(['.', '[']).next().unwrap_or(p).to_owned(),
        None => field.split(['.', '[']).next().unwrap_or(field).to_owned(),
    }
}

fn key_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The outcome of checking every row.
pub(crate) struct Checked {
    pub(crate) report: Value,
    /// The new valid rows, to write in commit mode.
    pub(crate) drafts: Vec<Draft>,
    pub(crate) invalid: usize,
    pub(crate) total: usize,
}

/// Checks the rows as the reader hands them over (on a blocking thread: this is the CPU work).
pub(crate) fn check(
    coords: &Coords,
    l: &Layer,
    o: &Options,
    gz: Option<&Gazetteer>,
    incoming: read::Incoming,
    progress: &dyn Progress,
) -> Result<Checked, ImportFailure> {
    let existing: HashMap<String, Arc<Feature>> = match &l.def.key {
        Some(k) => l.read(|ix| {
            ix.iter()
                .filter_map(|f| Some((key_text(f.properties.get(k)?), f.clone())))
                .collect()
        }),
        None => HashMap::new(),
    };
    let mut to_store: Option<Option<Transformer>> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut list = Listed::default();
    let (mut total, mut invalid, mut unchanged) = (0usize, 0usize, Vec::new());
    let mut conflicts = Listed::default();
    let mut new: Vec<(usize, Draft)> = Vec::new();
    let mut geocoded: BTreeMap<String, usize> = BTreeMap::new();
    progress.phase("checking");
    for row in incoming.rows.iter() {
        total += 1;
        if total % 1024 == 0 {
            progress.advance(total as u64, Some(incoming.fraction()));
        }
        // The file's CRS is known by its first row; one transformer serves the whole file.
        let t = match &to_store {
            Some(t) => t.as_ref(),
            None => {
                let from = o.crs.or(incoming.declared_crs()).unwrap_or(STORE_CRS);
                let t = (from != STORE_CRS)
                    .then(|| coords.transformer(from, STORE_CRS))
                    .transpose()?;
                to_store.insert(t).as_ref()
            }
        };
        let n = row.row;
        let draft = match check_row(l, t, gz, row) {
            Ok((d, level)) => {
                if let Some(level) = level {
                    *geocoded.entry(level).or_default() += 1;
                }
                d
            }
            Err(issues) => {
                invalid += 1;
                for (c, m) in issues {
                    list.push(json!({"row": n, "column": c, "message": m}));
                }
                continue;
            }
        };
        let key = l
            .def
            .key
            .as_ref()
            .and_then(|k| draft.properties.get(k))
            .map(key_text);
        if let Some(k) = &key {
            if let Some(first) = seen.get(k) {
                invalid += 1;
                list.push(json!({"row": n, "column": l.def.key, "message": format!("duplicate key `{k}`: also in row {first}")}));
                continue;
            }
            seen.insert(k.clone(), n);
        }
        match key.and_then(|k| existing.get(&k)) {
            Some(f) if f.to_draft() == draft => unchanged.push(n),
            Some(f) => conflicts.push(json!({"row": n, "id": f.id, "message": "the layer holds this key with other values; not overwritten"})),
            None => new.push((n, draft)),
        }
    }
    let rows_seen = total;
    let read = incoming.finish();
    read.map_err(ImportFailure::Unreadable)?;
    progress.advance(rows_seen as u64, Some(1.0));
    progress.phase("duplicate check");
    let dedup = dedup(coords, l, &new)?;
    let mut report = json!({
        "layer": l.def.id,
        "format": o.format,
        "mode": if o.commit { "commit" } else { "validate" },
        "rows": total,
        "valid": total - invalid,
        "invalid": invalid,
        "new": new.len(),
        "unchanged": unchanged.len(),
        "conflicts": conflicts.items,
        "conflicts_total": conflicts.total,
        "errors": list.items,
        "errors_total": list.total,
        "dedup": dedup.items,
        "dedup_total": dedup.total,
    });
    if o.geocode {
        // Rows placed from their address, by geocoding level (house, interpolated, road…).
        report["geocoded"] = json!(geocoded);
    }
    progress.phase(if o.commit { "committing" } else { "reporting" });
    Ok(Checked {
        report,
        drafts: new.into_iter().map(|(_, d)| d).collect(),
        invalid,
        total,
    })
}

/// The duplicate check against what the layer holds, for the rows that would be written.
fn dedup(coords: &Coords, l: &Layer, new: &[(usize, Draft)]) -> Result<Listed, CoordError> {
    let rule = l.def.dedup_rule();
    let plane = coords.transformer(STORE_CRS, Crs::Sh2000)?;
    let checker = Checker::new(&rule, None, &plane);
    let mut found = Listed::default();
    for chunk in new.chunks(DEDUP_CHUNK) {
        l.read(|ix| {
            for (n, d) in chunk {
                if let Ok(out) = checker.check(ix, &Report::from_draft(&rule, d))
                    && out.verdict != Verdict::New
                {
                    found.push(json!({"row": n, "verdict": out.verdict, "matches": out.matches}));
                }
            }
        });
    }
    Ok(found)
}

/// A list that keeps the first [`LISTED`] items and counts them all.
#[derive(Default)]
struct Listed {
    items: Vec<Value>,
    total: usize,
}

impl Listed {
    fn push(&mut self, v: Value) {
        self.total += 1;
        if self.items.len() < LISTED {
            self.items.push(v);
        }
    }
}
