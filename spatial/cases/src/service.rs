//! The case service: the engine decides, the store persists, and of two writers at once
//! exactly one wins.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use geo::{Geometry, InteriorPoint, Point};
use onemap_spatial::cases::{
    Case, CaseDetail, CaseError, CaseStore, FeatureRef, NewAttachment, NewCase,
};
use onemap_spatial::validate::{Issue, validate_feature};
use onemap_spatial::{Catalog, CatalogError, StoreError};
use onemap_workflow::{
    ActionError, ActionRequest, Actor, CasePlacement, CaseState, Engine, Level, Registry,
};
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::step::step_of;

/// How often a write that lost a race re-reads the case and decides again.
const RETRIES: usize = 3;

/// Why the service refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum CaseFailure {
    /// A new case names a workflow that is not defined.
    #[error("no workflow `{0}`")]
    NoSuchWorkflow(String),
    /// A stored case's workflow was removed from the definitions since.
    #[error("no workflow `{0}` is defined")]
    WorkflowGone(String),
    /// No case has this id.
    #[error("no case {0}")]
    NotFound(i64),
    /// The request is incomplete or contradictory.
    #[error("{0}")]
    BadRequest(String),
    /// The feature to create with the case breaks its layer's rules.
    #[error("invalid feature")]
    InvalidFeature(Vec<Issue>),
    /// The engine refused the action (role, level, jurisdiction, state, fields).
    #[error(transparent)]
    Refused(#[from] ActionError),
    /// The case moved on since the version the caller acted on; it is now as given.
    #[error("case {} was changed by someone else; it is now at version {}", .0.case.id, .0.case.version)]
    Conflict(Box<CaseDetail>),
    /// A stored case's engine state does not parse (written by an incompatible version).
    #[error("case {id}: unreadable state: {message}")]
    BadState {
        /// The case.
        id: i64,
        /// What the parser said.
        message: String,
    },
    /// The catalog refused (unknown layer or feature).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A case to open, as a caller asks for it.
#[derive(Debug, Default)]
pub struct Opening {
    /// The workflow's id.
    pub workflow: String,
    /// The creating action; by default the first one the caller's role may take.
    pub action: Option<String>,
    /// An existing feature the case hangs off.
    pub feature: Option<FeatureRef>,
    /// A feature to create in the same transaction instead (CGCS2000 GeoJSON).
    pub new_feature: Option<NewFeature>,
    /// Default: the feature's `district_code`, else the caller's district.
    pub district_code: Option<String>,
    /// Default: the feature's `township_code`, else the caller's township.
    pub township_code: Option<String>,
    /// Default: township when the case has a township, else district.
    pub level: Option<Level>,
    /// The creating action's fields.
    pub fields: Map<String, Value>,
    /// The creating action's comment.
    pub comment: Option<String>,
    /// Files for the first history entry, already checked and converted.
    pub attachments: Vec<NewAttachment>,
}

/// A feature created together with its case.
#[derive(Debug)]
pub struct NewFeature {
    /// Its layer.
    pub collection: String,
    /// Its geometry as GeoJSON, CGCS2000 lon/lat.
    pub geometry: Value,
    /// Its properties.
    pub properties: Map<String, Value>,
}

/// An action on a case, as a caller asks for it.
#[derive(Debug, Clone, Default)]
pub struct Acting {
    /// The action's fields.
    pub fields: Map<String, Value>,
    /// A comment for the history.
    pub comment: Option<String>,
    /// Files for the history entry, already checked and converted.
    pub attachments: Vec<NewAttachment>,
    /// The case version the caller acted on: with it a case that moved on is a
    /// [`CaseFailure::Conflict`]; without it a lost race is re-read and re-decided.
    pub version: Option<u64>,
}

/// Workflows applied to stored cases: what the case routes, the scheduler and the event
/// notifiers share.
pub struct CaseService {
    /// The definitions in force.
    pub registry: Registry,
    /// What deadlines and reminders are measured against.
    pub clock: Arc<dyn Clock>,
    catalog: Arc<Catalog>,
    /// Bumped after every case write of this server, so event streams and webhooks read the
    /// outbox at once (writes of other instances are found by polling).
    written: watch::Sender<u64>,
}

impl CaseService {
    /// The service over the catalog's store.
    pub fn new(registry: Registry, clock: Arc<dyn Clock>, catalog: Arc<Catalog>) -> Self {
        Self {
            registry,
            clock,
            catalog,
            written: watch::channel(0).0,
        }
    }

    /// The case tables, in the same database as the features.
    pub fn store(&self) -> &dyn CaseStore {
        self.catalog.store().cases()
    }

    /// Wakes whoever waits for case writes of this server.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.written.subscribe()
    }

    fn notify_written(&self) {
        self.written.send_modify(|n| *n += 1);
    }

    /// The engine of a stored case's workflow.
    pub fn engine(&self, workflow: &str) -> Result<Engine<'_>, CaseFailure> {
        self.registry
            .engine(workflow)
            .ok_or_else(|| CaseFailure::WorkflowGone(workflow.into()))
    }

    /// A case with its history.
    pub async fn get(&self, id: i64) -> Result<CaseDetail, CaseFailure> {
        self.store()
            .get_case(id)
            .await?
            .ok_or(CaseFailure::NotFound(id))
    }

    /// Opens a case on an existing feature, or on a new one created in the same
    /// transaction; returns its id.
    pub async fn open(&self, actor: &Actor, o: Opening) -> Result<i64, CaseFailure> {
        let engine = self
            .registry
            .engine(&o.workflow)
            .ok_or_else(|| CaseFailure::NoSuchWorkflow(o.workflow.clone()))?;
        let (draft, props, location) = match (&o.feature, o.new_feature) {
            (Some(r), None) => {
                let f = self.catalog.fetch(&r.collection, r.id).await?;
                (None, f.properties.clone(), point(f.geometry.as_ref()))
            }
            (None, Some(n)) => {
                let def = &self.catalog.layer(&n.collection)?.def;
                let draft = validate_feature(def, Some(&n.geometry), &n.properties)
                    .map_err(CaseFailure::InvalidFeature)?;
                let (props, at) = (draft.properties.clone(), point(draft.geometry.as_ref()));
                (Some((n.collection, draft)), props, at)
            }
            _ => {
                return Err(CaseFailure::BadRequest(
                    "give either `feature` {collection, id} or `new_feature` {collection, geometry, properties}".into(),
                ));
            }
        };
        let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
        let district_code = o
            .district_code
            .or_else(|| text("district_code"))
            .or_else(|| actor.district_code.clone())
            .ok_or_else(|| {
                CaseFailure::BadRequest("`district_code` is required: the feature has none".into())
            })?;
        let township_code = o
            .township_code
            .or_else(|| text("township_code"))
            .or_else(|| actor.township_code.clone());
        let level = o.level.unwrap_or(if township_code.is_some() {
            Level::Township
        } else {
            Level::District
        });
        let action = o
            .action
            .unwrap_or_else(|| self.default_action(&o.workflow, &actor.role));
        let req = ActionRequest {
            action,
            fields: o.fields,
            attachments: o.attachments.len(),
            comment: o.comment,
            expected_version: None,
        };
        let placement = CasePlacement {
            district_code,
            township_code,
            level,
        };
        let t = engine.create(actor, placement, req, self.clock.now())?;
        let new = NewCase {
            workflow: o.workflow,
            feature: o.feature,
            step: step_of(&[t], location, o.attachments),
        };
        let id = match draft {
            Some((layer, draft)) => self.catalog.create_with_case(&layer, draft, new).await?.1,
            None => self.store().create_case(new).await?,
        };
        self.notify_written();
        Ok(id)
    }

    /// Takes `action` on case `id`: one versioned step; returns the case after it.
    pub async fn act(
        &self,
        actor: &Actor,
        id: i64,
        action: &str,
        a: Acting,
    ) -> Result<CaseDetail, CaseFailure> {
        for _ in 0..RETRIES {
            let detail = self.get(id).await?;
            let case = &detail.case;
            let req = ActionRequest {
                action: action.into(),
                fields: a.fields.clone(),
                attachments: a.attachments.len(),
                comment: a.comment.clone(),
                expected_version: a.version,
            };
            let t = match self.engine(&case.workflow)?.apply(
                &engine_state(case)?,
                actor,
                req,
                self.clock.now(),
            ) {
                Ok(t) => t,
                Err(ActionError::VersionConflict { .. }) => {
                    return Err(CaseFailure::Conflict(Box::new(detail)));
                }
                Err(e) => return Err(e.into()),
            };
            let step = step_of(&[t], case.fields.location, a.attachments.clone());
            match self.store().apply(id, case.version, step).await {
                Ok(_) => {
                    self.notify_written();
                    return self.get(id).await;
                }
                Err(CaseError::Conflict { .. }) if a.version.is_none() => continue,
                Err(CaseError::Conflict { .. }) => break,
                Err(CaseError::NotFound(_)) => return Err(CaseFailure::NotFound(id)),
                Err(CaseError::Store(e)) => return Err(e.into()),
            }
        }
        Err(CaseFailure::Conflict(Box::new(self.get(id).await?)))
    }

    /// Fires every timer due by now, at most `batch` cases; returns how many were written.
    pub async fn fire_due(&self, batch: i64) -> Result<usize, CaseFailure> {
        let now = self.clock.now();
        let due = self.store().due_cases(now, batch).await?;
        let mut written = 0;
        for case in due {
            match self.fire(case, now).await {
                Ok(true) => written += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "case timer"),
            }
        }
        if written > 0 {
            self.notify_written();
        }
        Ok(written)
    }

    /// Fires the due timers of one case; false when there was nothing left to fire.
    async fn fire(&self, mut case: Case, now: DateTime<Utc>) -> Result<bool, CaseFailure> {
        for _ in 0..RETRIES {
            let Some(engine) = self.registry.engine(&case.workflow) else {
                tracing::warn!(case = case.id, workflow = %case.workflow, "timer of an undefined workflow");
                return Ok(false);
            };
            let steps = engine.fire_due(&engine_state(&case)?, now);
            if steps.is_empty() {
                return Ok(false);
            }
            let step = step_of(&steps, case.fields.location, Vec::new());
            match self.store().apply(case.id, case.version, step).await {
                Ok(_) => return Ok(true),
                Err(CaseError::Conflict { .. }) => {
                    let Some(fresh) = self.store().get_case(case.id).await? else {
                        return Ok(false);
                    };
                    case = fresh.case;
                }
                Err(CaseError::NotFound(_)) => return Ok(false),
                Err(CaseError::Store(e)) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    /// The first creating action open to `role`, else the first creating action (whose
    /// refusal then names the roles it is open to).
    fn default_action(&self, workflow: &str, role: &str) -> String {
        let Some(def) = self.registry.workflow(workflow) else {
            return String::new();
        };
        let creating = || def.actions.iter().filter(|a| a.creates());
        creating()
            .find(|a| a.roles.iter().any(|r| r == role))
            .or_else(|| creating().next())
            .map(|a| a.id.clone())
            .unwrap_or_default()
    }
}

/// The engine state a stored case carries.
pub fn engine_state(c: &Case) -> Result<CaseState, CaseFailure> {
    serde_json::from_value(c.fields.engine.clone()).map_err(|e| CaseFailure::BadState {
        id: c.id,
        message: e.to_string(),
    })
}

/// Where a case on this geometry shows on the map: a point on the feature.
fn point(g: Option<&Geometry<f64>>) -> Option<Point<f64>> {
    g.and_then(InteriorPoint::interior_point)
}
