//! Case storage (issue #7) on every backend: round trips, optimistic locking under a race
//! between two store instances, append-only history, filters and counts against a
//! brute-force reference, the scheduler's due query, the event cursor, and a case created
//! with its feature (both or neither).
//!
//! PostGIS needs `DATABASE_URL` (`export $(scripts/pg-cluster.sh start)`); see `support`.
//! Its database is shared with earlier runs and parallel tests, so every test works in a
//! workflow of its own and filters global answers (due cases, events) to its own cases.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use geo::{Point, Rect};
use onemap_spatial::cases::{
    Case, CaseError, CaseFields, CaseFilter, CaseStore, Count, Delivery, Dimension, Entry,
    FeatureRef, HistoryRecord, NewAttachment, NewCase, NewEvent, Step,
};
use onemap_spatial::catalog::{Catalog, Change, ChangeListener};
use onemap_spatial::{CatalogError, Draft, Store};
use onemap_store::gpkg::GpkgStore;
use onemap_store::postgis::PostgresStore;
use parking_lot::Mutex;
use serde_json::json;

/// One database under test, reached through two store instances (two servers) and raw SQL.
struct Db {
    store: Arc<dyn Store>,
    other: Arc<dyn Store>,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    fn cases(&self) -> &dyn CaseStore {
        self.store.cases()
    }

    /// Runs hand-written SQL, bypassing the store.
    async fn exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        Ok(match &self.raw {
            Raw::Sqlite(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
            Raw::Pg(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
        })
    }
}

async fn gpkg() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.gpkg");
    let store = Arc::new(GpkgStore::open(&path).await.unwrap());
    let other = Arc::new(GpkgStore::open(&path).await.unwrap());
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    Db {
        store,
        other,
        raw: Raw::Sqlite(raw),
        _dir: Some(dir),
    }
}

async fn postgis() -> Option<Db> {
    let url = support::database_url()?;
    let store = Arc::new(PostgresStore::connect(&url, &[]).await.unwrap());
    let other = Arc::new(PostgresStore::connect(&url, &[]).await.unwrap());
    let raw = Raw::Pg(store.pool().clone());
    Some(Db {
        store,
        other,
        raw,
        _dir: None,
    })
}

/// Runs each named test once per backend: `gpkg::name` and `postgis::name`.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        mod gpkg {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::$name(&crate::gpkg().await).await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::postgis().await else { return };
                    crate::$name(&db).await;
                }
            )*
        }
    };
}

cases!(
    create_and_get_round_trip,
    apply_checks_the_version,
    concurrent_applies_one_wins,
    history_is_append_only_and_ordered,
    list_filters_match_brute_force,
    count_by_matches_brute_force,
    due_cases_by_next_due_at,
    events_after_is_a_cursor,
    case_with_feature_is_both_or_neither,
);

// ---------------------------------------------------------------------------------------
// Fixtures

/// Whole seconds after 2026-01-01T00:00:00Z (both backends keep microseconds).
fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
}

fn fields(state: &str) -> CaseFields {
    CaseFields {
        state: state.into(),
        district_code: "310115".into(),
        township_code: Some("310115004".into()),
        level: "township".into(),
        overdue: false,
        urge_count: 0,
        location: Some(Point::new(121.5, 31.2)),
        next_due_at: None,
        engine: json!({ "state": state, "counters": { "urge": 0 }, "note": "浦东 \"新区\"" }),
    }
}

fn entry(action: &str, from: Option<&str>, to: &str, at: DateTime<Utc>) -> Entry {
    Entry {
        at,
        user: "王警官".into(),
        role: "inspector".into(),
        level: "township".into(),
        action: action.into(),
        from_state: from.map(Into::into),
        to_state: to.into(),
        fields: json!({ "reason": "占道经营", "n": 3 })
            .as_object()
            .unwrap()
            .clone(),
        comment: Some(format!("{action} at {at}")),
    }
}

fn event(kind: &str, n: i64) -> NewEvent {
    NewEvent {
        kind: kind.into(),
        payload: json!({ "kind": kind, "n": n }),
    }
}

fn step(f: CaseFields, history: Vec<Entry>) -> Step {
    Step {
        fields: f,
        history,
        attachments: Vec::new(),
        events: vec![event("case.updated", 0)],
    }
}

fn new_case(workflow: &str, f: CaseFields) -> NewCase {
    let first = entry("open", None, &f.state, t(0));
    NewCase {
        workflow: workflow.into(),
        feature: None,
        step: Step {
            events: vec![event("case.created", 0)],
            ..step(f, vec![first])
        },
    }
}

fn ids(cases: &[Case]) -> Vec<i64> {
    cases.iter().map(|c| c.id).collect()
}

fn conflict(r: Result<i64, CaseError>) -> i64 {
    match r {
        Err(CaseError::Conflict {
            current_version, ..
        }) => current_version,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Tests

async fn create_and_get_round_trip(db: &Db) {
    let wf = support::unique("wf");
    let mut f = fields("registered");
    f.next_due_at = Some(t(3600));
    f.urge_count = 2;
    f.overdue = true;
    let mut new = new_case(&wf, f.clone());
    new.feature = Some(FeatureRef {
        collection: "stalls".into(),
        id: 42,
    });
    let photo: Vec<u8> = (0..=255).cycle().take(5000).map(|b: i32| b as u8).collect();
    new.step.attachments = vec![
        NewAttachment {
            entry: 0,
            filename: "现场照片.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 123_456,
            data: photo.clone(),
            thumbnail: Some(vec![0, 1, 2, 255]),
        },
        NewAttachment {
            entry: 0,
            filename: "notice.pdf".into(),
            content_type: "application/pdf".into(),
            size: 3,
            data: vec![1, 2, 3],
            thumbnail: None,
        },
    ];
    let before = Utc::now() - chrono::Duration::seconds(60);
    let id = db.cases().create_case(new.clone()).await.unwrap();

    let got = db.cases().get_case(id).await.unwrap().expect("the case");
    assert_eq!(got.case.id, id);
    assert_eq!(got.case.workflow, wf);
    assert_eq!(got.case.version, 1);
    assert_eq!(got.case.feature, new.feature);
    assert_eq!(got.case.fields, f);
    assert!(got.case.created_at > before && got.case.updated_at == got.case.created_at);
    assert_eq!(
        got.history,
        vec![HistoryRecord {
            seq: 1,
            entry: new.step.history[0].clone()
        }]
    );
    let names: Vec<(&str, i64, i64, bool)> = got
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.seq, a.size, a.has_thumbnail))
        .collect();
    assert_eq!(
        names,
        [
            ("现场照片.jpg", 1, 123_456, true),
            ("notice.pdf", 1, 3, false)
        ]
    );
    let a = db
        .cases()
        .attachment(got.attachments[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.meta, got.attachments[0]);
    assert_eq!((a.data, a.thumbnail), (photo, Some(vec![0, 1, 2, 255])));
    let b = db
        .cases()
        .attachment(got.attachments[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b.data, b.thumbnail), (vec![1, 2, 3], None));

    assert!(db.cases().get_case(i64::MAX).await.unwrap().is_none());
    assert!(db.cases().attachment(i64::MAX).await.unwrap().is_none());
}

async fn apply_checks_the_version(db: &Db) {
    let wf = support::unique("wf");
    let id = db
        .cases()
        .create_case(new_case(&wf, fields("registered")))
        .await
        .unwrap();
    let mut f2 = fields("assigned");
    f2.level = "district".into();
    f2.township_code = None;
    f2.location = None;
    let e2 = entry("assign", Some("registered"), "assigned", t(10));
    let mut s2 = step(f2.clone(), vec![e2.clone()]);
    s2.attachments.push(NewAttachment {
        entry: 0,
        filename: "a.png".into(),
        content_type: "image/png".into(),
        size: 1,
        data: vec![9],
        thumbnail: None,
    });
    assert_eq!(db.cases().apply(id, 1, s2.clone()).await.unwrap(), 2);

    // The same step again from the stale version: refused with the current version, and
    // nothing of it is written.
    let stale = step(
        fields("closed"),
        vec![entry("close", None, "closed", t(11))],
    );
    assert_eq!(conflict(db.cases().apply(id, 1, stale).await), 2);
    let got = db.cases().get_case(id).await.unwrap().unwrap();
    assert_eq!((got.case.version, &got.case.fields), (2, &f2));
    assert_eq!(got.history.len(), 2);
    assert_eq!(got.history[1].entry, e2);
    assert_eq!(got.attachments.len(), 1);
    assert_eq!(got.attachments[0].seq, 2);

    // Two timer steps in one write: the version grows by two, seq follows it.
    let mut f4 = f2.clone();
    f4.overdue = true;
    let timers = vec![
        entry("deadline", Some("assigned"), "assigned", t(20)),
        entry("reminder", Some("assigned"), "assigned", t(30)),
    ];
    assert_eq!(
        db.cases()
            .apply(id, 2, step(f4.clone(), timers.clone()))
            .await
            .unwrap(),
        4
    );
    let got = db.cases().get_case(id).await.unwrap().unwrap();
    assert_eq!((got.case.version, got.case.fields.overdue), (4, true));
    let seqs: Vec<i64> = got.history.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    assert_eq!(got.history[3].entry, timers[1]);
    assert!(got.case.updated_at >= got.case.created_at);

    assert!(matches!(
        db.cases()
            .apply(i64::MAX, 1, step(f4.clone(), timers))
            .await,
        Err(CaseError::NotFound(_))
    ));
    assert!(matches!(
        db.cases().apply(id, 4, step(f4, Vec::new())).await,
        Err(CaseError::Store(_))
    ));
}

async fn concurrent_applies_one_wins(db: &Db) {
    let wf = support::unique("wf");
    let id = db
        .cases()
        .create_case(new_case(&wf, fields("registered")))
        .await
        .unwrap();
    let mut winners = Vec::new();
    for round in 1..=10_i64 {
        let go = Arc::new(tokio::sync::Barrier::new(2));
        let task = |store: Arc<dyn Store>, who: &str| {
            let go = go.clone();
            let s = step(
                fields(&format!("{who}_{round}")),
                vec![entry(who, None, "x", t(round))],
            );
            tokio::spawn(async move {
                go.wait().await;
                store.cases().apply(id, round, s).await
            })
        };
        let a = task(db.store.clone(), "a");
        let b = task(db.other.clone(), "b");
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        match (a, b) {
            (Ok(v), lost) => {
                assert_eq!(v, round + 1);
                assert_eq!(conflict(lost), round + 1);
                winners.push("a");
            }
            (lost, Ok(v)) => {
                assert_eq!(v, round + 1);
                assert_eq!(conflict(lost), round + 1);
                winners.push("b");
            }
            (a, b) => panic!("round {round}: neither applied: {a:?} {b:?}"),
        }
    }
    let got = db.cases().get_case(id).await.unwrap().unwrap();
    assert_eq!(got.case.version, 11);
    let actions: Vec<&str> = got.history[1..]
        .iter()
        .map(|h| h.entry.action.as_str())
        .collect();
    assert_eq!(
        actions, winners,
        "one history entry per round, the winner's"
    );
}

async fn history_is_append_only_and_ordered(db: &Db) {
    let wf = support::unique("wf");
    let id = db
        .cases()
        .create_case(new_case(&wf, fields("s0")))
        .await
        .unwrap();
    let mut seen = db.cases().get_case(id).await.unwrap().unwrap().history;
    for v in 1..=4 {
        let e = entry(&format!("act{v}"), Some("s"), "s", t(100 - v));
        db.cases()
            .apply(id, v, step(fields("s"), vec![e.clone()]))
            .await
            .unwrap();
        let now = db.cases().get_case(id).await.unwrap().unwrap().history;
        assert_eq!(
            now[..seen.len()],
            seen[..],
            "earlier entries stay as written"
        );
        assert_eq!(
            now.last().unwrap(),
            &HistoryRecord {
                seq: v + 1,
                entry: e
            }
        );
        seen = now;
    }
    // Ordered by seq, not by the (here decreasing) entry time.
    assert!(seen.windows(2).all(|w| w[1].seq == w[0].seq + 1));

    let update = format!("UPDATE onemap_case_history SET comment = 'edited' WHERE case_id = {id}");
    let delete = format!("DELETE FROM onemap_case_history WHERE case_id = {id}");
    assert!(db.exec(&update).await.is_err(), "UPDATE must be refused");
    assert!(db.exec(&delete).await.is_err(), "DELETE must be refused");
    assert_eq!(
        db.cases().get_case(id).await.unwrap().unwrap().history,
        seen
    );
}

/// Twenty-four cases over two districts, three townships (one none), four states, some
/// overdue, some without a location, some on features; returns them as stored.
async fn seed(db: &Db, wf: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for i in 0..24_i64 {
        let mut f = fields(["registered", "assigned", "handled", "closed"][i as usize % 4]);
        f.district_code = ["310101", "310115"][i as usize % 2].into();
        f.township_code =
            [Some("310101001"), Some("310115004"), None][i as usize % 3].map(Into::into);
        f.overdue = i % 5 == 0;
        f.location =
            (i % 7 != 3).then(|| Point::new(121.0 + i as f64 * 0.05, 31.0 + (i % 6) as f64 * 0.1));
        let mut new = new_case(wf, f);
        new.feature = (i % 4 == 1).then(|| FeatureRef {
            collection: ["stalls", "parks"][i as usize % 2].into(),
            id: i % 3,
        });
        let id = db.cases().create_case(new).await.unwrap();
        out.push(db.cases().get_case(id).await.unwrap().unwrap().case);
    }
    out
}

fn matches(c: &Case, f: &CaseFilter) -> bool {
    let p = c.fields.location;
    f.workflow.as_ref().is_none_or(|w| *w == c.workflow)
        && f.state.as_ref().is_none_or(|s| *s == c.fields.state)
        && f.overdue.is_none_or(|o| o == c.fields.overdue)
        && f.district_code
            .as_ref()
            .is_none_or(|d| *d == c.fields.district_code)
        && f.township_code
            .as_ref()
            .is_none_or(|t| Some(t) == c.fields.township_code.as_ref())
        && f.bbox.is_none_or(|r| {
            p.is_some_and(|p| {
                (r.min().x..=r.max().x).contains(&p.x()) && (r.min().y..=r.max().y).contains(&p.y())
            })
        })
        && f.feature
            .as_ref()
            .is_none_or(|r| Some(r) == c.feature.as_ref())
}

async fn list_filters_match_brute_force(db: &Db) {
    let wf = support::unique("wf");
    let all = seed(db, &wf).await;
    let base = CaseFilter {
        workflow: Some(wf.clone()),
        ..CaseFilter::default()
    };
    let bbox = Rect::new((121.2, 31.1), (121.7, 31.3));
    let filters = [
        base.clone(),
        CaseFilter {
            state: Some("assigned".into()),
            ..base.clone()
        },
        CaseFilter {
            overdue: Some(true),
            ..base.clone()
        },
        CaseFilter {
            overdue: Some(false),
            ..base.clone()
        },
        CaseFilter {
            district_code: Some("310115".into()),
            ..base.clone()
        },
        CaseFilter {
            township_code: Some("310101001".into()),
            ..base.clone()
        },
        CaseFilter {
            bbox: Some(bbox),
            ..base.clone()
        },
        // Edges included: a box exactly on one case's point.
        CaseFilter {
            bbox: Some(Rect::new((121.05, 31.1), (121.05, 31.1))),
            ..base.clone()
        },
        CaseFilter {
            feature: Some(FeatureRef {
                collection: "parks".into(),
                id: 2,
            }),
            ..base.clone()
        },
        CaseFilter {
            state: Some("handled".into()),
            district_code: Some("310101".into()),
            bbox: Some(bbox),
            ..base.clone()
        },
        CaseFilter {
            state: Some("nonexistent".into()),
            ..base.clone()
        },
    ];
    for f in &filters {
        let want: Vec<i64> = all
            .iter()
            .rev()
            .filter(|c| matches(c, f))
            .map(|c| c.id)
            .collect();
        let got = db.cases().list_cases(f, 1000, 0).await.unwrap();
        assert_eq!(ids(&got), want, "{f:?}");
        assert!(got.iter().all(|c| all.contains(c)), "rows read as stored");
    }
    let singles = db.cases().list_cases(&filters[7], 10, 0).await.unwrap();
    assert_eq!(singles.len(), 1, "the edge case is found");
    let feature = db.cases().list_cases(&filters[8], 10, 0).await.unwrap();
    assert!(
        !feature.is_empty(),
        "the feature filter has something to find"
    );

    let newest_first: Vec<i64> = all.iter().rev().map(|c| c.id).collect();
    let page = db.cases().list_cases(&base, 5, 5).await.unwrap();
    assert_eq!(ids(&page), newest_first[5..10]);
}

async fn count_by_matches_brute_force(db: &Db) {
    let wf = support::unique("wf");
    let all = seed(db, &wf).await;
    let filter = CaseFilter {
        workflow: Some(wf.clone()),
        ..CaseFilter::default()
    };
    for dim in [
        Dimension::District,
        Dimension::Township,
        Dimension::State,
        Dimension::Workflow,
    ] {
        let mut want: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
        for c in &all {
            let key = match dim {
                Dimension::District => Some(c.fields.district_code.clone()),
                Dimension::Township => c.fields.township_code.clone(),
                Dimension::State => Some(c.fields.state.clone()),
                Dimension::Workflow => Some(c.workflow.clone()),
            };
            let e = want.entry(key).or_default();
            e.0 += 1;
            e.1 += i64::from(c.fields.overdue);
        }
        let want: Vec<Count> = want
            .into_iter()
            .map(|(key, (total, overdue))| Count {
                key,
                total,
                overdue,
            })
            .collect();
        assert_eq!(
            db.cases().count_by(dim, &filter).await.unwrap(),
            want,
            "{dim:?}"
        );
    }
    let overdue = CaseFilter {
        overdue: Some(true),
        ..filter
    };
    let by_state = db
        .cases()
        .count_by(Dimension::State, &overdue)
        .await
        .unwrap();
    assert!(by_state.iter().all(|c| c.total == c.overdue) && !by_state.is_empty());
}

async fn due_cases_by_next_due_at(db: &Db) {
    let wf = support::unique("wf");
    let cut = t(1000);
    let mut mine = BTreeMap::new();
    for (i, due) in [
        Some(t(999)),
        None,
        Some(t(1000)),
        Some(t(1001)),
        Some(t(-5)),
        Some(t(500)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut f = fields(&format!("s{i}"));
        f.next_due_at = due;
        let id = db.cases().create_case(new_case(&wf, f)).await.unwrap();
        mine.insert(id, due);
    }
    let due = db.cases().due_cases(cut, 100_000).await.unwrap();
    assert!(
        due.iter()
            .all(|c| c.fields.next_due_at.is_some_and(|d| d <= cut))
    );
    let keys: Vec<_> = due.iter().map(|c| (c.fields.next_due_at, c.id)).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "earliest first");
    let got: Vec<i64> = due
        .iter()
        .map(|c| c.id)
        .filter(|id| mine.contains_key(id))
        .collect();
    let mut want: Vec<(DateTime<Utc>, i64)> = mine
        .iter()
        .filter_map(|(id, d)| d.filter(|d| *d <= cut).map(|d| (d, *id)))
        .collect();
    want.sort();
    assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());
    assert_eq!(db.cases().due_cases(cut, 1).await.unwrap().len(), 1);

    // Firing the timers moves the case off the due list.
    let (&first, _) = mine.iter().find(|(_, d)| **d == Some(t(-5))).unwrap();
    let f = fields("fired");
    db.cases()
        .apply(
            first,
            1,
            step(f, vec![entry("deadline", None, "fired", t(-5))]),
        )
        .await
        .unwrap();
    let due = db.cases().due_cases(cut, 100_000).await.unwrap();
    assert!(!ids(&due).contains(&first));
}

async fn events_after_is_a_cursor(db: &Db) {
    let wf = support::unique("wf");
    let head = db.cases().last_event_id().await.unwrap();
    let mut mine = BTreeSet::new();
    let mut want = Vec::new();
    for i in 0..3 {
        let id = db
            .cases()
            .create_case(new_case(&wf, fields(&format!("s{i}"))))
            .await
            .unwrap();
        mine.insert(id);
        want.push((
            id,
            "case.created".to_string(),
            json!({ "kind": "case.created", "n": 0 }),
        ));
    }
    let first = *mine.first().unwrap();
    let mut s = step(fields("s9"), vec![entry("urge", None, "s9", t(1))]);
    s.events = vec![event("case.urged", 1), event("case.overdue", 2)];
    db.cases().apply(first, 1, s).await.unwrap();
    want.push((
        first,
        "case.urged".into(),
        json!({ "kind": "case.urged", "n": 1 }),
    ));
    want.push((
        first,
        "case.overdue".into(),
        json!({ "kind": "case.overdue", "n": 2 }),
    ));

    let all = db.cases().events_after(head, 100_000).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].id < w[1].id) && all.iter().all(|e| e.id > head));
    let ours: Vec<_> = all.iter().filter(|e| mine.contains(&e.case_id)).collect();
    let got: Vec<_> = ours
        .iter()
        .map(|e| (e.case_id, e.kind.clone(), e.payload.clone()))
        .collect();
    assert_eq!(got, want);
    assert!(db.cases().last_event_id().await.unwrap() >= ours.last().unwrap().id);

    // Walking one at a time from the cursor sees the same events, none twice.
    let mut cursor = head;
    let mut walked = Vec::new();
    while let Some(e) = db.cases().events_after(cursor, 1).await.unwrap().pop() {
        assert!(e.id > cursor);
        cursor = e.id;
        if mine.contains(&e.case_id) {
            walked.push(e);
        }
        if walked.len() == ours.len() {
            break;
        }
    }
    assert_eq!(walked.iter().collect::<Vec<_>>(), ours);

    let ev = ours[0].id;
    let tries = [
        Delivery {
            event_id: ev,
            url: "https://hook.example/a".into(),
            attempt: 1,
            status_code: None,
            error: Some("connection refused".into()),
            at: t(5),
            delivered: false,
        },
        Delivery {
            event_id: ev,
            url: "https://hook.example/a".into(),
            attempt: 2,
            status_code: Some(204),
            error: None,
            at: t(65),
            delivered: true,
        },
    ];
    for d in &tries {
        db.cases().record_delivery(d).await.unwrap();
    }
    assert_eq!(db.cases().deliveries(ev).await.unwrap(), tries);
    assert!(db.cases().deliveries(ours[1].id).await.unwrap().is_empty());
}

#[derive(Default)]
struct Heard(Mutex<Vec<Change>>);

impl ChangeListener for Heard {
    fn changed(&self, change: &Change) {
        self.0.lock().push(change.clone());
    }
}

async fn case_with_feature_is_both_or_neither(db: &Db) {
    let layer = support::unique("stall");
    let json = format!(
        r#"{{ "id": "{layer}", "title": "摊点", "geometry": "Point",
             "properties": [ {{ "name": "name", "type": "string" }} ] }}"#
    );
    let catalog = Catalog::open(&support::registry(&[&json]), db.store.clone())
        .await
        .unwrap();
    let heard = Arc::new(Heard::default());
    catalog.subscribe(heard.clone());
    let draft = |name: &str| Draft {
        geometry: Some(geo::Geometry::Point(Point::new(121.48, 31.23))),
        properties: json!({ "name": name }).as_object().unwrap().clone(),
        ..Draft::default()
    };
    let wf = support::unique("wf");

    let (feature, id) = catalog
        .create_with_case(&layer, draft("早餐摊"), new_case(&wf, fields("registered")))
        .await
        .unwrap();
    let def = catalog.layer(&layer).unwrap().def.clone();
    assert_eq!(
        db.store.get(&def, feature.id).await.unwrap().as_ref(),
        Some(&feature)
    );
    assert_eq!(
        *catalog.get(&layer, feature.id).unwrap(),
        feature,
        "indexed"
    );
    let case = db.cases().get_case(id).await.unwrap().unwrap().case;
    let fref = FeatureRef {
        collection: layer.clone(),
        id: feature.id,
    };
    assert_eq!(case.feature, Some(fref.clone()));
    let by_feature = CaseFilter {
        feature: Some(fref),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(&db.cases().list_cases(&by_feature, 10, 0).await.unwrap()),
        [id]
    );
    assert_eq!(heard.0.lock().len(), 1);
    assert_eq!(heard.0.lock()[0].id, feature.id);

    // The case violates the workflow CHECK: the feature written before it goes too.
    let bad = catalog
        .create_with_case(
            &layer,
            draft("夜市摊"),
            new_case("Not a workflow!", fields("x")),
        )
        .await;
    assert!(matches!(bad, Err(CatalogError::Store(_))), "{bad:?}");
    let stored = db.store.load_layer(&def).await.unwrap();
    assert_eq!(
        stored,
        vec![feature.clone()],
        "only the first feature is stored"
    );
    assert_eq!(catalog.layer(&layer).unwrap().read(|ix| ix.len()), 1);
    assert_eq!(heard.0.lock().len(), 1, "nothing published");
}
