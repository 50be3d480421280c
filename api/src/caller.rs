//! Who is asking: every handler receives a [`Caller`].
//!
//! Until authentication lands, the caller comes from development headers
//! (`X-Onemap-User`, `-Role`, `-Level`, `-District`, `-Township`); without them
//! the caller is an anonymous city-level administrator. Authorization will be
//! enforced on top of this same value.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;

use crate::problem::Problem;

/// The administrative level a caller acts at: the one the workflow engine checks.
pub use onemap_workflow::Level;

/// The caller of a request: identity, role, level and the area they answer for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The user's id, recorded in case history.
    pub user: String,
    /// The workflow role the caller acts in (`roles.yaml`).
    pub role: String,
    /// The level the caller acts at: city, district or township.
    pub level: Level,
    /// District code the caller is limited to (None: the whole city).
    pub district: Option<String>,
    /// Township code the caller is limited to.
    pub township: Option<String>,
}

impl Caller {
    /// The caller assumed when a request names nobody.
    pub fn anonymous_admin() -> Self {
        Self {
            user: "anonymous".into(),
            role: "admin".into(),
            level: Level::City,
            district: None,
            township: None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let h = |name: &str| -> Result<Option<String>, Problem> {
            parts
                .headers
                .get(name)
                .map(|v| {
                    v.to_str()
                        .map(str::to_owned)
                        .map_err(|_| Problem::bad_request(format!("header {name} is not ASCII")))
                })
                .transpose()
        };
        let mut c = Caller::anonymous_admin();
        if let Some(u) = h("x-onemap-user")? {
            c.user = u;
        }
        if let Some(r) = h("x-onemap-role")? {
            c.role = r;
        }
        if let Some(l) = h("x-onemap-level")? {
            c.level = match l.as_str() {
                "city" => Level::City,
                "district" => Level::District,
                "township" => Level::Township,
                "system" => Level::System,
                _ => {
                    return Err(Problem::bad_request(format!(
                        "X-Onemap-Level `{l}` is not city, district, township or system"
                    )));
                }
            };
        }
        c.district = h("x-onemap-district")?;
        c.township = h("x-onemap-township")?;
        Ok(c)
    }
}
