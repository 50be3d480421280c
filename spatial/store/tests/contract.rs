//! The store contract: one set of tests run against every backend (GeoPackage and PostGIS),
//! plus PostGIS-only tests of the change feed shared by several instances.
//!
//! PostGIS needs `DATABASE_URL` (`export $(scripts/pg-cluster.sh start)`); see `support`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use onemap_spatial::catalog::{Catalog, Change, ChangeListener};
use onemap_spatial::schema::LayerDef;
use onemap_spatial::validate::validate_feature;
use onemap_spatial::{Draft, LayerNote, Store, StoreError};
use onemap_store::postgis::{PostgresStore, RemoteChange};
use parking_lot::Mutex;
use serde_json::{Value, json};

use support::Backend;

/// Runs each named test once per backend: `gpkg::name` and `postgis::name`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod gpkg {
            $(
                #[tokio::test]
                async fn $name() {
                    let b = crate::support::gpkg().await;
                    crate::$name(&b).await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(b) = crate::support::postgis().await else { return };
                    crate::$name(&b).await;
                }
            )*
        }
    };
}

contract!(
    prepare_is_idempotent_and_adds_declared_columns,
    every_property_type_round_trips,
    every_geometry_type_round_trips,
    replace_checks_the_version,
    delete_checks_the_version,
    duplicate_key_is_refused,
    a_failed_transaction_writes_nothing,
    notes_round_trip,
    bulk_insert_and_load,
);

// ---------------------------------------------------------------------------------------
// Fixtures

fn all_types_layer(id: &str, extra: &str) -> Arc<LayerDef> {
    support::layer(&format!(
        r#"{{ "id": "{id}", "title": "全部类型", "geometry": "Point", "geometry_required": false, "key": "code",
             "properties": [
               {{ "name": "code", "type": "code", "pattern": "^T\\d+$", "required": true }},
               {{ "name": "name", "type": "string", "max_length": 50 }},
               {{ "name": "count", "type": "integer" }},
               {{ "name": "area", "type": "number" }},
               {{ "name": "ok", "type": "boolean" }},
               {{ "name": "day", "type": "date" }},
               {{ "name": "at", "type": "datetime" }},
               {{ "name": "kind", "type": "enum", "values": ["新增", "存量"] }},
               {{ "name": "tags", "type": "string_list" }},
               {{ "name": "footprint", "type": "geometry", "geometry": "Polygon" }}
               {extra}
             ] }}"#
    ))
}

fn draft(def: &LayerDef, geometry: Value, properties: Value) -> Draft {
    let props = properties.as_object().unwrap().clone();
    let g = (!geometry.is_null()).then_some(&geometry);
    validate_feature(def, g, &props)
        .unwrap_or_else(|issues| panic!("invalid test feature: {issues:?}"))
}

fn point(i: usize) -> Value {
    json!({ "type": "Point", "coordinates": [121.4 + i as f64 * 1e-5, 31.2 + (i % 100) as f64 * 1e-4] })
}

fn square(x: f64, y: f64, d: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] })
}

fn full(def: &LayerDef, code: &str) -> Draft {
    draft(
        def,
        point(7),
        json!({
            "code": code, "name": "浦东 \"新区\" 'x'", "count": -9_007_199_254_740_993_i64, "area": 12.375,
            "ok": true, "day": "2024-02-29", "at": "2024-05-01T02:03:04.123Z", "kind": "存量",
            "tags": ["a", "b,c", "中文", ""], "footprint": square(121.40001, 31.20001, 0.0003)
        }),
    )
}

fn sparse(def: &LayerDef, code: &str) -> Draft {
    draft(
        def,
        Value::Null,
        json!({ "code": code, "ok": false, "tags": [] }),
    )
}

// ---------------------------------------------------------------------------------------
// The contract, for every backend

async fn prepare_is_idempotent_and_adds_declared_columns(b: &Backend) {
    let id = support::unique("prep");
    let v1 = all_types_layer(&id, "");
    b.store.prepare_layer(&v1).await.unwrap();
    b.store.prepare_layer(&v1).await.unwrap();
    let a = b.store.insert(&v1, vec![full(&v1, "T1")]).await.unwrap();

    // A later declaration adds a scalar column and a second linked geometry.
    let v2 = all_types_layer(
        &id,
        r#", { "name": "remark", "type": "string" }, { "name": "level", "type": "integer" },
             { "name": "route", "type": "geometry", "geometry": "LineString" }"#,
    );
    b.store.prepare_layer(&v2).await.unwrap();
    b.store.prepare_layer(&v2).await.unwrap();
    assert_eq!(
        b.store.load_layer(&v2).await.unwrap(),
        a,
        "{}: old rows read under the new declaration",
        b.name
    );
    let mut d = full(&v2, "T2");
    d.properties.insert("remark".into(), json!("新列"));
    d.properties.insert("level".into(), json!(3));
    d.geometries.insert(
        "route".into(),
        geo::Geometry::LineString(geo::LineString::from(vec![(121.4, 31.2), (121.41, 31.21)])),
    );
    let c = b.store.insert(&v2, vec![d]).await.unwrap();
    let all = b.store.load_layer(&v2).await.unwrap();
    assert_eq!(all, [a, c].concat(), "{}", b.name);
    // And the old declaration still reads the table (the extra columns are ignored).
    assert_eq!(b.store.load_layer(&v1).await.unwrap().len(), 2);
}

async fn every_property_type_round_trips(b: &Backend) {
    let def = all_types_layer(&support::unique("types"), "");
    b.store.prepare_layer(&def).await.unwrap();
    let drafts = vec![full(&def, "T1"), sparse(&def, "T2")];
    let created = b.store.insert(&def, drafts.clone()).await.unwrap();
    assert_eq!(created.len(), 2);
    assert!(created[0].id < created[1].id, "ids grow in draft order");
    for (f, d) in created.iter().zip(&drafts) {
        assert_eq!(f.version, 1);
        assert_eq!(&f.to_draft(), d);
    }
    let loaded = b.store.load_layer(&def).await.unwrap();
    assert_eq!(loaded, created, "{}: load_layer", b.name);
    assert_eq!(
        loaded[0].properties["at"],
        json!("2024-05-01T10:03:04.123+08:00")
    );
    assert_eq!(
        loaded[0].properties["count"],
        json!(-9_007_199_254_740_993_i64)
    );
    assert!(loaded[1].geometry.is_none() && loaded[1].geometries.is_empty());
    assert_eq!(
        b.store.get(&def, created[0].id).await.unwrap().as_ref(),
        Some(&created[0])
    );
    assert_eq!(b.store.get(&def, created[1].id + 1000).await.unwrap(), None);
}

async fn every_geometry_type_round_trips(b: &Backend) {
    let (x, y) = (121.45, 31.22);
    let samples = [
        (
            "Point",
            vec![json!({"type": "Point", "coordinates": [x, y]})],
        ),
        (
            "LineString",
            vec![
                json!({"type": "LineString", "coordinates": [[x, y], [x + 0.01, y + 0.003], [x + 0.02, y]]}),
            ],
        ),
        (
            "Polygon",
            vec![json!({"type": "Polygon", "coordinates": [
                [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]],
                [[x + 0.002, y + 0.002], [x + 0.002, y + 0.004], [x + 0.004, y + 0.004], [x + 0.004, y + 0.002], [x + 0.002, y + 0.002]]
            ]})],
        ),
        (
            "MultiPoint",
            vec![json!({"type": "MultiPoint", "coordinates": [[x, y], [x + 0.1, y + 0.1]]})],
        ),
        (
            "MultiLineString",
            vec![
                json!({"type": "MultiLineString", "coordinates": [[[x, y], [x + 0.01, y]], [[x, y + 0.01], [x + 0.01, y + 0.02]]]}),
            ],
        ),
        (
            "MultiPolygon",
            vec![json!({"type": "MultiPolygon", "coordinates": [
                [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y]]],
                [[[x + 0.1, y], [x + 0.11, y], [x + 0.11, y + 0.01], [x + 0.1, y]]]
            ]})],
        ),
        (
            "Geometry",
            vec![
                json!({"type": "Point", "coordinates": [x, y]}),
                square(x, y, 0.001),
            ],
        ),
    ];
    for (kind, geoms) in samples {
        let def = support::layer(&format!(
            r#"{{ "id": "{}", "title": "{kind}", "geometry": "{kind}", "properties": [ {{ "name": "n", "type": "integer" }} ] }}"#,
            support::unique("geom")
        ));
        b.store.prepare_layer(&def).await.unwrap();
        let drafts: Vec<Draft> = geoms
            .into_iter()
            .enumerate()
            .map(|(i, g)| draft(&def, g, json!({ "n": i })))
            .collect();
        let created = b.store.insert(&def, drafts).await.unwrap();
        assert_eq!(
            b.store.load_layer(&def).await.unwrap(),
            created,
            "{}: {kind}",
            b.name
        );
    }
}

async fn replace_checks_the_version(b: &Backend) {
    let def = all_types_layer(&support::unique("repl"), "");
    b.store.prepare_layer(&def).await.unwrap();
    let f = b
        .store
        .insert(&def, vec![full(&def, "T1")])
        .await
        .unwrap()
        .remove(0);

    // Right version: the footprint goes (the draft has none), a property changes.
    let mut d = sparse(&def, "T1");
    d.geometry = full(&def, "T1").geometry;
    let (old, new) = b
        .store
        .replace(&def, f.id, Some(1), d.clone())
        .await
        .unwrap();
    assert_eq!(old, f);
    assert_eq!((new.id, new.version), (f.id, 2));
    assert_eq!(b.store.get(&def, f.id).await.unwrap(), Some(new.clone()));

    // Stale version: refused with the current one, nothing written.
    match b.store.replace(&def, f.id, Some(1), full(&def, "T1")).await {
        Err(StoreError::VersionMismatch {
            id,
            expected: 1,
            current: 2,
        }) => assert_eq!(id, f.id),
        other => panic!("{}: expected VersionMismatch, got {other:?}", b.name),
    }
    assert_eq!(b.store.get(&def, f.id).await.unwrap(), Some(new));

    // No version: last writer wins.
    let (_, third) = b
        .store
        .replace(&def, f.id, None, full(&def, "T1"))
        .await
        .unwrap();
    assert_eq!(third.version, 3);
    assert_eq!(b.store.load_layer(&def).await.unwrap(), vec![third]);

    assert!(matches!(
        b.store
            .replace(&def, f.id + 1000, None, full(&def, "T9"))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn delete_checks_the_version(b: &Backend) {
    let def = all_types_layer(&support::unique("del"), "");
    b.store.prepare_layer(&def).await.unwrap();
    let fs = b
        .store
        .insert(&def, vec![full(&def, "T1"), full(&def, "T2")])
        .await
        .unwrap();
    assert!(matches!(
        b.store.delete(&def, fs[0].id, Some(7)).await,
        Err(StoreError::VersionMismatch {
            expected: 7,
            current: 1,
            ..
        })
    ));
    let gone = b.store.delete(&def, fs[0].id, Some(1)).await.unwrap();
    assert_eq!(gone, fs[0]);
    assert_eq!(b.store.load_layer(&def).await.unwrap(), vec![fs[1].clone()]);
    assert_eq!(b.store.get(&def, fs[0].id).await.unwrap(), None);
    assert!(matches!(
        b.store.delete(&def, fs[0].id, None).await,
        Err(StoreError::NotFound(_))
    ));
    // The key is free again.
    let again = b.store.insert(&def, vec![full(&def, "T1")]).await.unwrap();
    assert!(again[0].id > fs[1].id, "ids are not reused");
}

async fn duplicate_key_is_refused(b: &Backend) {
    let def = all_types_layer(&support::unique("dup"), "");
    b.store.prepare_layer(&def).await.unwrap();
    let fs = b
        .store
        .insert(&def, vec![full(&def, "T1"), full(&def, "T2")])
        .await
        .unwrap();
    match b.store.insert(&def, vec![sparse(&def, "T1")]).await {
        Err(StoreError::Duplicate(m)) => {
            assert!(m.contains("T1") || m.contains("code"), "{}: {m}", b.name)
        }
        other => panic!("{}: expected Duplicate, got {other:?}", b.name),
    }
    assert!(matches!(
        b.store
            .replace(&def, fs[1].id, Some(1), sparse(&def, "T1"))
            .await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(b.store.load_layer(&def).await.unwrap(), fs);
}

async fn a_failed_transaction_writes_nothing(b: &Backend) {
    let def = all_types_layer(&support::unique("atomic"), "");
    b.store.prepare_layer(&def).await.unwrap();
    let seq = match &b.pg {
        Some(pg) => pg.latest_seq().await.unwrap(),
        None => 0,
    };
    // The second draft repeats the first one's key: neither is stored.
    let r = b
        .store
        .insert(&def, vec![full(&def, "T1"), sparse(&def, "T1")])
        .await;
    assert!(
        matches!(r, Err(StoreError::Duplicate(_))),
        "{}: {r:?}",
        b.name
    );
    assert!(
        b.store.load_layer(&def).await.unwrap().is_empty(),
        "{}",
        b.name
    );
    // A batch whose last draft collides with a stored feature: the others are not kept either.
    let kept = b.store.insert(&def, vec![full(&def, "T5")]).await.unwrap();
    let mut drafts: Vec<Draft> = (0..50)
        .map(|i| sparse(&def, &format!("T{}", 100 + i)))
        .collect();
    drafts.push(sparse(&def, "T5"));
    assert!(b.store.insert(&def, drafts).await.is_err());
    assert_eq!(b.store.load_layer(&def).await.unwrap(), kept);
    if let Some(pg) = &b.pg {
        // Only the one committed insert reached the change log.
        let mut feed = pg.listen_all(seq);
        let c = tokio::time::timeout(Duration::from_secs(5), next_for(&mut feed, &def.id))
            .await
            .unwrap();
        assert_eq!(c.id, kept[0].id);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), next_for(&mut feed, &def.id))
                .await
                .is_err()
        );
    }
}

async fn notes_round_trip(b: &Backend) {
    let def = all_types_layer(&support::unique("note"), "");
    b.store.prepare_layer(&def).await.unwrap();
    assert_eq!(b.store.note(&def.id).await.unwrap(), None);
    let n = LayerNote {
        provenance: Some("上海市规划和自然资源局 2024 年普查 — it's \"real\"".into()),
        synthetic: false,
    };
    b.store.set_note(&def.id, &n).await.unwrap();
    assert_eq!(b.store.note(&def.id).await.unwrap(), Some(n));
    let n2 = LayerNote {
        provenance: None,
        synthetic: true,
    };
    b.store.set_note(&def.id, &n2).await.unwrap();
    assert_eq!(b.store.note(&def.id).await.unwrap(), Some(n2));
    // A note may precede the layer's table.
    b.store
        .set_note("not_a_layer_yet", &LayerNote::default())
        .await
        .unwrap();
}

/// 20 000 features in one transaction, then a full load; prints the rates.
async fn bulk_insert_and_load(b: &Backend) {
    let def = all_types_layer(&support::unique("bulk"), "");
    b.store.prepare_layer(&def).await.unwrap();
    let n = 20_000;
    let drafts: Vec<Draft> = (0..n)
        .map(|i| {
            let mut d = full(&def, &format!("T{i}"));
            d.geometry = Some(
                onemap_spatial::validate::parse_geometry(
                    &point(i),
                    def.geometry,
                    def.extent,
                    "g",
                    &mut Vec::new(),
                )
                .unwrap(),
            );
            d
        })
        .collect();
    let t = Instant::now();
    let created = b.store.insert(&def, drafts).await.unwrap();
    let insert = t.elapsed();
    let t = Instant::now();
    let loaded = b.store.load_layer(&def).await.unwrap();
    let load = t.elapsed();
    assert_eq!(loaded.len(), n);
    assert_eq!(loaded[n - 1], created[n - 1]);
    eprintln!(
        "{}: inserted {n} features (point + footprint + 9 properties) in {:.2} s ({:.0}/s); loaded in {:.2} s ({:.0}/s)",
        b.name,
        insert.as_secs_f64(),
        n as f64 / insert.as_secs_f64(),
        load.as_secs_f64(),
        n as f64 / load.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// PostGIS only: several instances on one database

async fn next_for(feed: &mut onemap_store::postgis::ChangeFeed, layer: &str) -> RemoteChange {
    loop {
        let c = feed.recv().await.expect("feed ended");
        if c.layer == layer {
            return c;
        }
    }
}

async fn within(
    d: Duration,
    feed: &mut onemap_store::postgis::ChangeFeed,
    layer: &str,
) -> RemoteChange {
    tokio::time::timeout(d, next_for(feed, layer))
        .await
        .unwrap_or_else(|_| panic!("no change on {layer} within {d:?}"))
}

#[tokio::test]
async fn postgis_unreachable_database_is_unavailable() {
    // Nothing listens on port 1: no database needed for this one.
    match PostgresStore::connect("postgres://onemap:x@127.0.0.1:1/onemap", &[]).await {
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("expected Unavailable, got {e:?}"),
        Ok(_) => panic!("expected Unavailable, got a store"),
    }
}

#[tokio::test]
async fn postgis_feed_delivers_another_instances_write_within_a_second() {
    let (Some(a), Some(b)) = (support::pg_store().await, support::pg_store().await) else {
        return;
    };
    let def = all_types_layer(&support::unique("feed"), "");
    a.prepare_layer(&def).await.unwrap();
    let mut feed = b.listen(b.latest_seq().await.unwrap());
    // Give the listener its connection before writing (the log would catch up anyway).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let t = Instant::now();
    let f = a
        .insert(&def, vec![full(&def, "T1")])
        .await
        .unwrap()
        .remove(0);
    let c = within(Duration::from_secs(1), &mut feed, &def.id).await;
    let latency = t.elapsed();
    assert_eq!(
        (c.id, c.old, c.new, c.origin.as_str()),
        (f.id, None, f.bounds(), a.origin())
    );

    let (_, g) = a
        .replace(&def, f.id, Some(1), sparse(&def, "T1"))
        .await
        .unwrap();
    let c = within(Duration::from_secs(1), &mut feed, &def.id).await;
    assert_eq!((c.id, c.old, c.new), (f.id, f.bounds(), g.bounds()));

    a.delete(&def, f.id, None).await.unwrap();
    let c = within(Duration::from_secs(1), &mut feed, &def.id).await;
    assert_eq!((c.id, c.new), (f.id, None));
    assert!(c.seq > 0 && c.seq <= feed.last_seq());
    eprintln!(
        "postgis: insert → other instance's feed in {:.1} ms",
        latency.as_secs_f64() * 1e3
    );
}

#[tokio::test]
async fn postgis_feed_skips_its_own_changes() {
    let (Some(a), Some(b)) = (support::pg_store().await, support::pg_store().await) else {
        return;
    };
    let def = all_types_layer(&support::unique("own"), "");
    a.prepare_layer(&def).await.unwrap();
    let mut feed = a.listen(a.latest_seq().await.unwrap());
    a.insert(&def, vec![full(&def, "T1")]).await.unwrap();
    let theirs = b.insert(&def, vec![full(&def, "T2")]).await.unwrap();
    let c = within(Duration::from_secs(2), &mut feed, &def.id).await;
    assert_eq!((c.id, c.origin.as_str()), (theirs[0].id, b.origin()));
}

#[tokio::test]
async fn postgis_feed_catches_up_after_a_restart_and_a_lost_connection() {
    let (Some(a), Some(b)) = (support::pg_store().await, support::pg_store().await) else {
        return;
    };
    let def = all_types_layer(&support::unique("catchup"), "");
    a.prepare_layer(&def).await.unwrap();

    // A restart: writes while nobody listens, then a feed from the seq saved before them.
    let saved = b.latest_seq().await.unwrap();
    let early = a
        .insert(&def, vec![full(&def, "T1"), full(&def, "T2")])
        .await
        .unwrap();
    let mut feed = b.listen(saved);
    for f in &early {
        assert_eq!(
            within(Duration::from_secs(2), &mut feed, &def.id).await.id,
            f.id
        );
    }

    // An outage: the listening connection is killed, writes happen, the feed reconnects and
    // replays them from the log, in order, each once.
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(format!("onemap-listen-{}", b.origin()))
    .fetch_all(a.pool())
    .await
    .unwrap();
    assert_eq!(killed, vec![true], "one listening connection");
    let mut during = Vec::new();
    for i in 0..3 {
        during.extend(
            a.insert(&def, vec![full(&def, &format!("T{}", 10 + i))])
                .await
                .unwrap(),
        );
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(within(Duration::from_secs(5), &mut feed, &def.id).await.id);
    }
    assert_eq!(got, during.iter().map(|f| f.id).collect::<Vec<_>>());
    assert!(
        feed.reconnects() >= 1,
        "the feed noticed the lost connection"
    );
    // And it still follows live changes afterwards, with nothing repeated.
    let late = a.insert(&def, vec![full(&def, "T20")]).await.unwrap();
    assert_eq!(
        within(Duration::from_secs(2), &mut feed, &def.id).await.id,
        late[0].id
    );
}

/// Records what a catalog publishes.
#[derive(Default)]
struct Recorder(Mutex<Vec<Change>>);

impl ChangeListener for Recorder {
    fn changed(&self, change: &Change) {
        self.0.lock().push(change.clone());
    }
}

#[tokio::test]
async fn postgis_two_catalogs_on_one_database() {
    let (Some(a), Some(b)) = (support::pg_store().await, support::pg_store().await) else {
        return;
    };
    let id = support::unique("cat");
    let json = format!(
        r#"{{ "id": "{id}", "title": "无证建筑", "geometry": "Point", "key": "code", "properties": [
              {{ "name": "code", "type": "code", "required": true }},
              {{ "name": "status", "type": "enum", "values": ["待核查", "已拆除"] }},
              {{ "name": "footprint", "type": "geometry", "geometry": "Polygon" }} ] }}"#
    );
    let reg = support::registry(&[&json]);
    let def = reg.get(&id).unwrap().clone();
    let cat_a = Catalog::open(&reg, a.clone()).await.unwrap();
    let since = b.latest_seq().await.unwrap();
    let cat_b = Arc::new(Catalog::open(&reg, b.clone()).await.unwrap());
    let heard = Arc::new(Recorder::default());
    cat_b.subscribe(heard.clone());
    let mut feed = b.listen(since);

    // A creates; B applies the logged change and serves the feature.
    let d = draft(
        &def,
        point(3),
        json!({ "code": "WZ1", "status": "待核查", "footprint": square(121.4, 31.2, 0.001) }),
    );
    let f = cat_a.create(&id, vec![d]).await.unwrap().remove(0);
    let c = within(Duration::from_secs(1), &mut feed, &id).await;
    assert!(
        cat_b
            .apply_remote(&c.layer, c.id, c.old, c.new)
            .await
            .unwrap()
    );
    assert_eq!(*cat_b.get(&id, f.id).unwrap(), f);
    assert_eq!(
        heard.0.lock().last().map(|c| (c.id, c.old, c.new)),
        Some((f.id, None, f.bounds()))
    );
    // Re-applying the same change is harmless and publishes nothing.
    assert!(
        !cat_b
            .apply_remote(&c.layer, c.id, c.old, c.new)
            .await
            .unwrap()
    );
    assert_eq!(heard.0.lock().len(), 1);

    // A moves it: B's listeners hear both the old and the new place.
    let moved = draft(
        &def,
        point(90),
        json!({ "code": "WZ1", "status": "已拆除" }),
    );
    let g = cat_a.replace(&id, f.id, Some(1), moved).await.unwrap();
    let c = within(Duration::from_secs(1), &mut feed, &id).await;
    cat_b
        .apply_remote(&c.layer, c.id, c.old, c.new)
        .await
        .unwrap();
    assert_eq!(cat_b.get(&id, f.id).unwrap().version, 2);
    let last = heard.0.lock().last().cloned().unwrap();
    assert_eq!((last.old, last.new), (f.bounds(), g.bounds()));
    assert!(
        cat_b
            .layer(&id)
            .unwrap()
            .read(|ix| ix.in_envelope(&g.bounds().unwrap()).count())
            == 1,
        "B's R-tree has the new position"
    );

    // A deletes it, with the follower task this time.
    let follower = onemap_store::postgis::follow(cat_b.clone(), feed);
    cat_a.delete(&id, f.id, None).await.unwrap();
    let t = Instant::now();
    while cat_b.get(&id, f.id).is_ok() {
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "B still serves the deleted feature"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        heard.0.lock().last().map(|c| (c.old, c.new)),
        Some((g.bounds(), None))
    );
    follower.abort();
}

#[tokio::test]
async fn postgis_loads_from_a_read_replica_see_committed_writes() {
    let Some(url) = support::database_url() else {
        return;
    };
    let Some(replica) = support::replica_url() else {
        eprintln!(
            "notice: DATABASE_REPLICA_URL is unset; skipping the replica test (scripts/pg-cluster.sh replica-start)"
        );
        return;
    };
    let store = PostgresStore::connect(&url, std::slice::from_ref(&replica))
        .await
        .unwrap();
    assert!(store.describe().contains("read replica"));
    let def = all_types_layer(&support::unique("replica"), "");
    store.prepare_layer(&def).await.unwrap();
    for i in 0..5 {
        let f = store
            .insert(&def, vec![full(&def, &format!("T{i}"))])
            .await
            .unwrap();
        let loaded = store.load_layer(&def).await.unwrap();
        assert_eq!(loaded.len(), i + 1);
        assert_eq!(loaded.last(), f.last());
    }
    // The loads went to the standby: its pool has connections there.
    let standby = sqlx::PgPool::connect(&replica).await.unwrap();
    let (in_recovery, readers): (bool, i64) = sqlx::query_as(
        "SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'onemap-read-%')",
    )
    .fetch_one(&standby)
    .await
    .unwrap();
    assert!(
        in_recovery && readers >= 1,
        "loads were served by the standby"
    );
}

#[tokio::test]
async fn postgis_store_recovers_when_its_connections_are_killed() {
    let (Some(a), Some(admin)) = (support::pg_store().await, support::pg_store().await) else {
        return;
    };
    let def = all_types_layer(&support::unique("fault"), "");
    a.prepare_layer(&def).await.unwrap();
    a.insert(&def, vec![full(&def, "T1")]).await.unwrap();
    // Kill every connection of `a`'s pool, as a database restart or a network cut would.
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(format!("onemap-{}", a.origin()))
    .fetch_all(admin.pool())
    .await
    .unwrap();
    assert!(!killed.is_empty() && killed.iter().all(|k| *k));
    // The pool tests idle connections before handing them out and opens new ones.
    for i in 0..3 {
        a.insert(&def, vec![full(&def, &format!("T{}", 10 + i))])
            .await
            .unwrap();
    }
    assert_eq!(a.load_layer(&def).await.unwrap().len(), 4);
}

/// The tile `z/x/y` holding a lon/lat point (Web Mercator, XYZ).
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x as u32, y as u32)
}

#[tokio::test]
async fn postgis_tiles_rendered_by_the_database() {
    use geozero::mvt::{Message, Tile, tile::Value as TagValue};
    let Some(pg) = support::pg_store().await else {
        return;
    };
    let def = all_types_layer(&support::unique("mvt"), "");
    pg.prepare_layer(&def).await.unwrap();
    let fs = pg
        .insert(&def, vec![full(&def, "T1"), sparse(&def, "T2")])
        .await
        .unwrap();
    let p = match fs[0].geometry {
        Some(geo::Geometry::Point(p)) => p,
        _ => unreachable!(),
    };
    let (x, y) = tile_of(p.x(), p.y(), 16);
    let bytes = pg.tile(&[&def], 16, x, y).await.unwrap().expect("a tile");
    let tile = Tile::decode(bytes.as_slice()).unwrap();
    assert_eq!(tile.layers.len(), 1);
    let layer = &tile.layers[0];
    assert_eq!(
        (layer.name.as_str(), layer.extent),
        (def.id.as_str(), Some(4096))
    );
    // Only the feature with a geometry is drawn.
    assert_eq!(layer.features.len(), 1);
    let f = &layer.features[0];
    assert_eq!(f.id, Some(fs[0].id as u64));
    let tags: std::collections::BTreeMap<&str, &TagValue> = f
        .tags
        .chunks(2)
        .map(|kv| {
            (
                layer.keys[kv[0] as usize].as_str(),
                &layer.values[kv[1] as usize],
            )
        })
        .collect();
    let s = |k: &str| tags[k].string_value.clone().unwrap();
    assert_eq!(s("code"), "T1");
    assert_eq!(
        s("at"),
        fs[0].properties["at"].as_str().unwrap(),
        "datetimes as validation renders them"
    );
    assert_eq!(s("day"), "2024-02-29");
    assert_eq!(s("tags"), "a,b,c,中文,");
    assert_eq!(s("kind"), "存量");
    assert_eq!(tags["area"].double_value, Some(12.375));
    assert_eq!(tags["ok"].bool_value, Some(true));
    assert!(!tags.contains_key("footprint"));
    assert_eq!(tags.len(), 9);
    // A tile far away is empty.
    let (x, y) = tile_of(100.0, 10.0, 16);
    assert_eq!(pg.tile(&[&def], 16, x, y).await.unwrap(), None);
    assert!(pg.tile(&[&def], 3, 8, 0).await.is_err());
}
