//! The backends' error type: each variant keeps its cause, and [`StoreError`] gets what its
//! callers can act on (409 for a taken key, 503 for a database that is away) kept apart from
//! the rest.

use std::path::PathBuf;

use onemap_spatial::{BackendError, StoreError};
use sqlx::error::BoxDynError;
use sqlx::migrate::MigrateError;
use sqlx::postgres::PgDatabaseError;

/// Why a backend call failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] MigrateError),
    #[error("database URL: {0}")]
    Url(#[source] sqlx::Error),
    #[error("{}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("encoding geometry: {0}")]
    EncodeGeometry(#[source] geozero::error::GeozeroError),
    #[error("decoding geometry: {0}")]
    DecodeGeometry(#[source] geozero::error::GeozeroError),
    #[error("binding `{column}`: {source}")]
    Bind { column: String, source: BoxDynError },
    #[error("reading `{column}`: {source}")]
    Read { column: String, source: sqlx::Error },
    #[error("bad time `{value}` in the store: {source}")]
    Time {
        value: String,
        source: chrono::ParseError,
    },
    #[error("bad JSON in the store: {0}")]
    Json(#[from] serde_json::Error),
    /// A request the tables cannot answer or a row that breaks their invariants.
    #[error("{0}")]
    Invalid(String),
}

/// Results of the backends' own functions.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;

impl SqlError {
    /// A [`SqlError::Bind`] of `column`.
    pub fn bind(column: impl Into<String>) -> impl FnOnce(BoxDynError) -> Self {
        let column = column.into();
        move |source| Self::Bind { column, source }
    }

    /// A [`SqlError::Read`] of `column`.
    pub fn read(column: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let column = column.into();
        move |source| Self::Read { column, source }
    }
}

/// A unique violation is a [`StoreError::Duplicate`] (the layer's key); anything that means
/// the database cannot be reached or is not accepting work now — connection and pool errors,
/// SQLSTATE class 08, shutdowns (57P0x), too many connections, a primary that became a
/// read-only standby — is [`StoreError::Unavailable`], which the API answers with 503; the
/// rest is a [`StoreError::Backend`] with the whole cause chain.
impl From<SqlError> for StoreError {
    fn from(e: SqlError) -> Self {
        if let SqlError::Sqlx(d) | SqlError::Migrate(MigrateError::Execute(d)) = &e {
            if let Some(detail) = duplicate(d) {
                return StoreError::Duplicate(format!("duplicate key: {detail}"));
            }
            if unavailable(d) {
                return StoreError::Unavailable(d.to_string());
            }
        }
        StoreError::Backend(BackendError::new(e))
    }
}

/// The detail of a unique violation (PostgreSQL's names the key and value).
fn duplicate(e: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    d.is_unique_violation().then(|| {
        d.try_downcast_ref::<PgDatabaseError>()
            .and_then(PgDatabaseError::detail)
            .unwrap_or_else(|| d.message())
            .to_string()
    })
}

fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => unavailable_code(&d.code().unwrap_or_default()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        _ => false,
    }
}

/// SQLSTATEs after which the same call may well succeed later or on another connection.
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || matches!(
            code,
            "57P01" // admin_shutdown
                | "57P02" // crash_shutdown
                | "57P03" // cannot_connect_now (starting up, in recovery)
                | "53300" // too_many_connections
                | "25006" // read_only_sql_transaction: we are talking to a standby
        )
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn connection_errors_are_unavailable() {
        let store = |e: sqlx::Error| StoreError::from(SqlError::from(e));
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(store(io), StoreError::Unavailable(_)));
        assert!(matches!(
            store(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            store(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
        assert!(
            unavailable_code("08006") && unavailable_code("57P01") && !unavailable_code("23505")
        );
    }

    #[test]
    fn the_cause_survives_into_the_store_error() {
        let e = StoreError::from(SqlError::from(sqlx::Error::RowNotFound));
        let mut cause: Option<&(dyn Error + 'static)> = Some(&e);
        let mut found = false;
        while let Some(c) = cause {
            found |= c.downcast_ref::<sqlx::Error>().is_some();
            cause = c.source();
        }
        assert!(found, "{e:?}");
    }
}
