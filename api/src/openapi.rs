//! The OpenAPI 3.1 description of the HTTP surface, served at `/openapi.json`.
//!
//! Each handler carries its `#[utoipa::path]`, and the router is built from those
//! annotations (`utoipa_axum::routes!`), so the document and the routes cannot drift. This
//! module holds what the annotations share: the problem responses and the schemas of bodies
//! that are built as JSON values (described by the members they are known to have, not more).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Ref, RefOr, schema::Schema};

use crate::problem::ProblemType;

/// Declares a schema type whose JSON Schema is written out as JSON.
macro_rules! json_schema {
    ($( $(#[doc = $doc:literal])* $name:ident = $json:tt; )*) => {$(
        $(#[doc = $doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let mut s = serde_json::json!($json);
                s["description"] = concat!($($doc),*).trim().into();
                RefOr::T(serde_json::from_value(s).expect("a valid JSON Schema"))
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

json_schema! {
    /// An RFC 9457 problem: `type` names the kind (`/problems/<slug>`, listed in the API's
    /// description), `errors` the offending fields of a validation problem; some kinds add
    /// members (e.g. `current_version`).
    Problem = {
        "type": "object",
        "required": ["type", "title"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
            }}
        }
    };
    /// A JSON object; its members are described with the operation.
    JsonObject = {"type": "object"};
    /// A JSON array of objects; its items are described with the operation.
    JsonArray = {"type": "array", "items": {"type": "object"}};
    /// A GeoJSON Feature (RFC 7946), with the layer's properties and foreign members.
    Feature = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {"type": ["object", "null"]},
            "properties": {"type": ["object", "null"]}
        }
    };
    /// A GeoJSON FeatureCollection (RFC 7946); item pages add `numberMatched`,
    /// `numberReturned` and `links` (OGC API Features).
    FeatureCollection = {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"type": "object"}},
            "numberMatched": {"type": "integer"},
            "numberReturned": {"type": "integer"},
            "links": {"type": "array", "items": {"type": "object"}}
        }
    };
    /// A GeoJSON object (RFC 7946): a geometry, a Feature or a FeatureCollection.
    GeoJson = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}};
    /// Bytes of a file (an upload or a download).
    Binary = {"type": "string", "format": "binary"};
    /// Text (CSV, or an event stream).
    Text = {"type": "string"};
}

/// The problem responses every operation may give: any 4xx or 5xx, as `application/problem+json`.
pub struct Problems;

impl utoipa::IntoResponses for Problems {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        let problem = |d: &str| {
            ResponseBuilder::new()
                .description(d)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        };
        BTreeMap::from([
            (
                "4XX".to_string(),
                problem("The request is wrong: a problem says how (see the problem types)."),
            ),
            (
                "5XX".to_string(),
                problem("The server or its store failed: a problem says how."),
            ),
        ])
    }
}

/// The document's top: title, version, the problem types, and the schemas every operation
/// refers to.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "onemap", description = "The one-map server of the Shanghai city agencies."),
    components(schemas(Problem)),
    tags(
        (name = "meta", description = "The server itself and this description"),
        (name = "layers", description = "Layers and their features (OGC API Features)"),
        (name = "tiles", description = "Vector tiles, TileJSON, styles, glyphs"),
        (name = "transfer", description = "Imports, exports and their jobs"),
        (name = "analysis", description = "Queries, measurements, thematic maps, duplicate checks"),
        (name = "coordinates", description = "Coordinate conversion and correction fitting"),
        (name = "geocoding", description = "Addresses to points and back"),
        (name = "cases", description = "Cases, their workflows and events"),
    )
)]
/// The document's fixed parts (info, tags); the paths come from the router.
pub struct ApiDoc;

/// The base document, with the problem types listed in its description.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
    let mut text = doc.info.description.take().unwrap_or_default();
    text.push_str("\n\nErrors are RFC 9457 problems (`application/problem+json`); their types:\n");
    for t in ProblemType::ALL {
        text.push_str(&format!(
            "\n- `/problems/{}` ({}, {}): {}",
            t.slug(),
            t.status().as_u16(),
            t.title(),
            t.meaning()
        ));
    }
    doc.info.description = Some(text);
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc
}

/// Names every operation by its method and path (`get_collections_layer_items`): the
/// handlers' own names repeat across modules (`list`, `one`), and operation ids must not.
pub fn name_operations(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let slug: String = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_matches(['{', '}']).replace(['.', '-'], "_"))
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ] {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}

/// The serialised document, shared by every request for it.
#[derive(Clone)]
pub struct Document(pub Arc<String>);

/// `GET /openapi.json`: this description.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = JsonObject), Problems))]
pub async fn document(Extension(doc): Extension<Document>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.0.as_str().to_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn written_schemas_keep_their_members() {
        let RefOr::T(s) = FeatureCollection::schema() else {
            panic!("not inline")
        };
        let v = serde_json::to_value(s).unwrap();
        assert_eq!(v["type"], "object", "{v}");
        assert_eq!(
            v["required"],
            serde_json::json!(["type", "features"]),
            "{v}"
        );
        assert_eq!(v["properties"]["features"]["type"], "array", "{v}");
    }

    #[test]
    fn every_written_schema_parses() {
        for s in [
            Problem::schema(),
            JsonObject::schema(),
            JsonArray::schema(),
            Feature::schema(),
            FeatureCollection::schema(),
            GeoJson::schema(),
            Binary::schema(),
            Text::schema(),
        ] {
            let v = serde_json::to_value(s).unwrap();
            assert!(v["description"].is_string(), "{v}");
        }
    }
}
