//! `GET /cases/{id}`, `GET /cases?…` and `GET /collections/{layer}/items/{id}/cases`.

use axum::Json;
use axum::extract::State;
use geo::Rect;
use onemap_spatial::cases::{CaseFilter, FeatureRef};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{full_view, problem, summary};
use crate::caller::{Caller, Level};
use crate::extract::{Path, Query};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Largest page of `GET /cases`.
const MAX_LIMIT: i64 = 1000;

/// The filters of `GET /cases` and `GET /cases/stats`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    /// The filter as asked, narrowed to the caller's jurisdiction: a district or township
    /// caller sees only their area's cases (asking for another area is 403).
    pub fn filter_for(&self, caller: &Caller) -> Result<CaseFilter, Problem> {
        let mut f = self.filter()?;
        let limits = [
            (
                Level::District,
                caller.district.as_ref(),
                &mut f.district_code,
                "district",
            ),
            (
                Level::Township,
                caller.township.as_ref(),
                &mut f.township_code,
                "township",
            ),
        ];
        for (from, own, asked, what) in limits {
            let bound = matches!(
                (caller.level, from),
                (Level::District | Level::Township, Level::District)
                    | (Level::Township, Level::Township)
            );
            let Some(own) = own.filter(|_| bound) else {
                continue;
            };
            if asked.as_ref().is_some_and(|a| a != own) {
                return Err(outside(what, own));
            }
            *asked = Some(own.clone());
        }
        Ok(f)
    }

    fn filter(&self) -> Result<CaseFilter, Problem> {
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

/// 403 for a caller asking beyond their area.
fn outside(what: &str, own: &str) -> Problem {
    Problem::new(ProblemType::OutsideJurisdiction)
        .detail(format!("you may only see the cases of {what} {own}"))
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
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path, description = "A case id")), responses((status = 200, description = "The case with its history, attachments, deadlines and open actions", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn one(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, Problem> {
    let case = st
        .cases
        .get(id)
        .await
        .map_err(|e| problem(e, &st.cases, &caller))?;
    let scope = FilterQuery::default().filter_for(&caller)?;
    let f = &case.case.fields;
    for (own, theirs, what) in [
        (&scope.district_code, Some(&f.district_code), "district"),
        (&scope.township_code, f.township_code.as_ref(), "township"),
    ] {
        if let Some(own) = own
            && theirs != Some(own)
        {
            return Err(outside(what, own));
        }
    }
    Ok(Json(full_view(&case, &st.cases, &caller)))
}

/// `GET /cases?workflow=&state=&overdue=&district=&township=&bbox=&limit=&offset=`: newest
/// first, `{"cases": […], "limit", "offset"}`.
#[utoipa::path(get, path = "/cases", tag = "cases", params(FilterQuery), responses((status = 200, description = "`cases`, `limit`, `offset`, newest first", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<FilterQuery>,
) -> Result<Json<Value>, Problem> {
    if q.by.is_some() {
        return Err(Problem::bad_request("`by` belongs to /cases/stats"));
    }
    page(&st, &q.filter_for(&caller)?, q.limit, q.offset).await
}

/// `GET /collections/{layer}/items/{id}/cases`: the cases on one feature, newest first.
#[utoipa::path(get, path = "/collections/{layer}/items/{id}/cases", tag = "cases", params(("layer" = String, Path, description = "A layer id"), ("id" = i64, Path, description = "A feature id"), FilterQuery), responses((status = 200, description = "The cases on the feature, newest first", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn of_feature(
    State(st): State<AppState>,
    caller: Caller,
    Path((layer, id)): Path<(String, i64)>,
    Query(q): Query<FilterQuery>,
) -> Result<Json<Value>, Problem> {
    st.catalog.layer(&layer)?;
    let filter = CaseFilter {
        feature: Some(FeatureRef {
            collection: layer,
            id,
        }),
        ..q.filter_for(&caller)?
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
    let found = st.cases.store().list_cases(filter, limit, offset).await?;
    let cases: Vec<Value> = found.iter().map(|c| summary(c, &st.cases)).collect();
    Ok(Json(
        json!({"cases": cases, "limit": limit, "offset": offset}),
    ))
}
