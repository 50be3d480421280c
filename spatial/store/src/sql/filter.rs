//! A [`CaseFilter`] as a SQL `WHERE` clause, shared by both backends so they filter alike.

use onemap_spatial::cases::CaseFilter;

/// Placeholder and geometry syntax of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value to bind, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    OptText(Option<String>),
    OptInt(Option<i64>),
    OptInt32(Option<i32>),
    OptFloat(Option<f64>),
    Bytes(Vec<u8>),
    OptBytes(Option<Vec<u8>>),
    /// Bound as the backend encodes times (see [`super::cases::Times`]).
    Time(Option<chrono::DateTime<chrono::Utc>>),
}

/// A `WHERE …` clause (empty when nothing is filtered) and its arguments.
#[derive(Debug, Clone)]
pub struct Where {
    dialect: Dialect,
    conds: Vec<String>,
    pub args: Vec<Arg>,
}

impl Where {
    /// No condition and no argument yet: also the argument list of a whole statement.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            conds: Vec::new(),
            args: Vec::new(),
        }
    }

    /// Adds an argument and returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        match self.dialect {
            Dialect::Sqlite => "?".into(),
            Dialect::Postgres => format!("${}", self.args.len()),
        }
    }

    fn equals(&mut self, column: &str, a: Arg) {
        let p = self.arg(a);
        self.conds.push(format!("{column} = {p}"));
    }

    /// The clause, with a leading space.
    pub fn sql(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }
}

/// Builds the clause: SQLite compares the `lon`/`lat` columns, PostGIS uses the GiST index
/// on `location` (`&&`, edges included like `BETWEEN`).
pub fn where_sql(f: &CaseFilter, dialect: Dialect) -> Where {
    let mut w = Where::new(dialect);
    let text = |s: &String| Arg::Text(s.clone());
    if let Some(v) = &f.workflow {
        w.equals("workflow", text(v));
    }
    if let Some(v) = &f.state {
        w.equals("state", text(v));
    }
    if let Some(v) = f.overdue {
        w.equals("overdue", Arg::Bool(v));
    }
    if let Some(v) = &f.district_code {
        w.equals("district_code", text(v));
    }
    if let Some(v) = &f.township_code {
        w.equals("township_code", text(v));
    }
    if let Some(r) = f.bbox {
        // Bound in the order SQLite's `?` appear: x range, then y range.
        let [x0, x1, y0, y1] =
            [r.min().x, r.max().x, r.min().y, r.max().y].map(|v| w.arg(Arg::Float(v)));
        w.conds.push(match dialect {
            Dialect::Sqlite => format!("lon BETWEEN {x0} AND {x1} AND lat BETWEEN {y0} AND {y1}"),
            Dialect::Postgres => {
                format!("location && ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4490)")
            }
        });
    }
    if let Some(r) = &f.feature {
        w.equals("feature_collection", text(&r.collection));
        w.equals("feature_id", Arg::Int(r.id));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use onemap_spatial::cases::FeatureRef;

    #[test]
    fn placeholders_follow_the_dialect() {
        let f = CaseFilter {
            state: Some("open".into()),
            bbox: Some(geo::Rect::new((121.0, 31.0), (122.0, 32.0))),
            feature: Some(FeatureRef {
                collection: "parks".into(),
                id: 7,
            }),
            ..CaseFilter::default()
        };
        let pg = where_sql(&f, Dialect::Postgres);
        assert_eq!(
            pg.sql(),
            " WHERE state = $1 AND location && ST_MakeEnvelope($2, $4, $3, $5, 4490) \
             AND feature_collection = $6 AND feature_id = $7"
        );
        assert_eq!(pg.args.len(), 7);
        let lite = where_sql(&f, Dialect::Sqlite);
        assert!(
            lite.sql()
                .contains("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        );
        assert_eq!(where_sql(&CaseFilter::default(), Dialect::Sqlite).sql(), "");
    }
}
