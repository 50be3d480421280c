//! `/openapi.json` describes every route the server has (issue #18): the route table is read
//! from the router's source (`api/src/routes/mod.rs`), independently of the document, and
//! each path with each of its handlers must be an operation of the served document, and the
//! document must describe no route the router does not have.

use std::collections::{BTreeMap, BTreeSet};

use onemap_e2e::{Backend, TestServer};
use serde_json::Value;

/// The router's source, where every route is spelled `at("/path", routes!(handler, …))` (or,
/// were one added undocumented, `.route("/path", …)`).
const ROUTER: &str = include_str!("../../../api/src/routes/mod.rs");

/// Each routed path with the number of handlers routed at it, from the router's source.
fn routed(src: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (marker, documented) in [("at(", true), (".route(", false)] {
        for (i, _) in src.match_indices(marker) {
            let word_start = src[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let Some(rest) = src[i + marker.len()..].trim_start().strip_prefix('"') else {
                continue;
            };
            if !(word_start || marker.starts_with('.')) {
                continue;
            }
            let path = &rest[..rest.find('"').expect("a closed path literal")];
            let handlers = if documented {
                let args = &rest[rest.find("routes!(").expect("routes! after at(") + 8..];
                args[..args.find(')').expect("routes!(…) closes")]
                    .split(',')
                    .filter(|h| !h.trim().is_empty())
                    .count()
            } else {
                // An undocumented route: at least one handler, so it cannot match a document
                // without the path.
                1
            };
            *out.entry(path.to_string()).or_default() += handlers;
        }
    }
    out
}

/// Each documented path with its number of operations.
fn documented(doc: &Value) -> BTreeMap<String, usize> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let ops = ["get", "put", "post", "delete", "patch", "head", "options"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count();
            (path.clone(), ops)
        })
        .collect()
}

#[test]
fn the_route_table_is_read_from_the_source() {
    let src = r#"
        .routes(at("/a/{id}", routes!(x::one, x::replace)))
        .routes(limit(
            at(
                "/b",
                routes!(y::list),
            ),
            10,
        ))
        .layer(format("not a route"))
        .route("/c", get(z::c))
    "#;
    let got = routed(src);
    assert_eq!(
        got,
        BTreeMap::from([("/a/{id}".into(), 2), ("/b".into(), 1), ("/c".into(), 1)])
    );
    // An undocumented route is missing from a document of the others.
    let doc = serde_json::json!({"paths": {
        "/a/{id}": {"get": {}, "put": {}},
        "/b": {"get": {}}
    }});
    assert_ne!(got, documented(&doc));
}

#[tokio::test]
async fn every_route_is_in_openapi_json() {
    let s = TestServer::empty(Backend::Gpkg).await;
    let r = s
        .client
        .get(s.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");

    let routes = routed(ROUTER);
    assert!(
        routes.len() > 30,
        "the route table was not found: {routes:?}"
    );
    let docs = documented(&doc);
    let missing: BTreeSet<_> = routes
        .iter()
        .filter(|(p, n)| docs.get(*p) != Some(n))
        .map(|(p, n)| format!("{p} ({n} handlers; documented: {:?})", docs.get(p)))
        .collect();
    assert!(
        missing.is_empty(),
        "routes not (fully) described: {missing:?}"
    );
    let phantom: BTreeSet<_> = docs.keys().filter(|p| !routes.contains_key(*p)).collect();
    assert!(phantom.is_empty(), "described but not routed: {phantom:?}");

    // Every operation can fail with a problem, and says so.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let schema = &op["responses"]["4XX"]["content"]["application/problem+json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/Problem",
                "{method} {path}"
            );
        }
    }
}
