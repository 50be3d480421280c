//! sqlx errors as [`StoreError`]s: what a caller can act on (409, 503) kept apart from the rest.

use sqlx::postgres::PgDatabaseError;

use onemap_spatial::store::StoreError;

/// Maps a low-level error for the store's callers.
///
/// A unique violation is a [`StoreError::Duplicate`] (the layer's key); anything that means
/// the database cannot be reached or is not accepting work now — connection and pool errors,
/// SQLSTATE class 08, shutdowns (57P0x), too many connections, a primary that became a
/// read-only standby — is [`StoreError::Unavailable`], which the API answers with 503.
pub fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) => {
            if d.is_unique_violation() {
                let detail = d
                    .try_downcast_ref::<PgDatabaseError>()
                    .and_then(PgDatabaseError::detail)
                    .unwrap_or_else(|| d.message());
                return StoreError::Duplicate(format!("duplicate key: {detail}"));
            }
            let code = d.code().unwrap_or_default();
            if unavailable_code(&code) {
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::Other(e.to_string())
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Other(e.to_string()),
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

/// An error of our own making (a value we could not encode, a row we could not read).
pub fn other(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_are_unavailable() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(map_err(io), StoreError::Unavailable(_)));
        assert!(matches!(
            map_err(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            map_err(sqlx::Error::RowNotFound),
            StoreError::Other(_)
        ));
        assert!(
            unavailable_code("08006") && unavailable_code("57P01") && !unavailable_code("23505")
        );
    }
}
