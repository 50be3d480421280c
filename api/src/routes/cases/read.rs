//! `GET /cases/{id}`, `GET /cases?…` and `GET /collections/{layer}/items/{id}/cases`.

use axum::Json;
use axum::extract::State;
use geo::Rect;
use onemap_spatial::cases::{CaseFilter, FeatureRef};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{PathOf, QueryOf, full_view, load, store, summary};
use crate::caller::Caller;
use crate::problem::Problem;
use crate::state::AppState;

/// Largest page of `GET /cases`.
const MAX_LIMIT: i64 = 1000;

/// The filters of `GET /cases` and `GET /cases/stats`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterQuery {
    workflow: Option<String>,
    state: Option<String>,
    overdue: Option<bool>,
    district: Option<String>,
    township: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat` (CGCS2000).
    bbox: Option<String>,
    /// For `/cases/stats`: district, township, state or workflow.
    pub by: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl FilterQuery {
    pub fn filter(&self) -> Result<CaseFilter, Problem> {
        Ok(CaseFilter {
            workflow: self.workflow.clone(),
            state: self.state.clone(),
            overdue: self.overdue,
            district_code: self.district.clone(),
            township_code: self.township.clone(),
            bbox: self.bbox.as_deref().map(bbox).transpose()?,
            feature: None,
        })
    }
}

fn bbox(s: &str) -> Result<Rect<f64>, Problem> {
    let v: Vec<f64> = s
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| Problem::bad_request(format!("bbox `{s}` is not four numbers")))?;
    match v[..] {
        [x0, y0, x1, y1] if x0 <= x1 && y0 <= y1 => Ok(Rect::new((x0, y0), (x1, y1))),
        _ => Err(Problem::bad_request(format!(
            "bbox `{s}` must be min_lon,min_lat,max_lon,max_lat"
        ))),
    }
}

/// `GET /cases/{id}`: the case with its full history, attachments, deadlines and the actions
/// the caller may take now.
pub async fn one(
    State(st): State<AppState>,
    caller: Caller,
    PathOf(id): PathOf<i64>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(full_view(&load(&st, id).await?, &st.cases, &caller)))
}

/// `GET /cases?workflow=&state=&overdue=&district=&township=&bbox=&limit=&offset=`: newest
/// first, `{"cases": […], "limit", "offset"}`.
pub async fn list(
    State(st): State<AppState>,
    _caller: Caller,
    QueryOf(q): QueryOf<FilterQuery>,
) -> Result<Json<Value>, Problem> {
    if q.by.is_some() {
        return Err(Problem::bad_request("`by` belongs to /cases/stats"));
    }
    page(&st, &q.filter()?, q.limit, q.offset).await
}

/// `GET /collections/{layer}/items/{id}/cases`: the cases on one feature, newest first.
pub async fn of_feature(
    State(st): State<AppState>,
    _caller: Caller,
    PathOf((layer, id)): PathOf<(String, i64)>,
    QueryOf(q): QueryOf<FilterQuery>,
) -> Result<Json<Value>, Problem> {
    st.catalog.layer(&layer)?;
    let filter = CaseFilter {
        feature: Some(FeatureRef {
            collection: layer,
            id,
        }),
        ..q.filter()?
    };
    page(&st, &filter, q.limit, q.offset).await
}

async fn page(
    st: &AppState,
    filter: &CaseFilter,
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<Json<Value>, Problem> {
    let limit = limit.unwrap_or(100);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) || offset < 0 {
        return Err(Problem::bad_request(format!(
            "limit must be 1–{MAX_LIMIT} and offset not negative"
        )));
    }
    let found = store(st).list_cases(filter, limit, offset).await?;
    let cases: Vec<Value> = found.iter().map(|c| summary(c, &st.cases)).collect();
    Ok(Json(
        json!({"cases": cases, "limit": limit, "offset": offset}),
    ))
}
