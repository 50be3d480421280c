//! The upload spooled to a temporary file, so that a million-row file is never held in memory
//! as a request body (readers then stream from disk).

use std::io::Write;

use axum::body::Body;
use futures_util::StreamExt;
use tempfile::NamedTempFile;

use crate::problem::{Problem, ProblemType};

/// Writes the body to a temporary file (deleted when dropped); more than `limit` bytes → 413.
pub async fn to_temp_file(body: Body, limit: u64) -> Result<(NamedTempFile, u64), Problem> {
    let io = |e: std::io::Error| Problem::new(ProblemType::NoSpace).detail(e.to_string());
    let mut file = NamedTempFile::new().map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| Problem::bad_request(format!("could not read the body: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(Problem::new(ProblemType::BodyTooLarge)
                .detail(format!("imports are limited to {} MiB", limit >> 20)));
        }
        // Small synchronous writes to a local file; the page cache absorbs them.
        file.write_all(&chunk).map_err(io)?;
    }
    file.flush().map_err(io)?;
    Ok((file, size))
}
