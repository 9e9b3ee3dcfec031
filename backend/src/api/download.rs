//! Sending a prepared file (a volume file, a folder archive, a backup) as a download.

use axum::{
    body::Body,
    http::header,
    response::{IntoResponse, Response},
};

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::ApiResult;
use crate::domain::Download;

/// Streams a prepared download; the file is unlinked once open, so nothing is left behind.
pub async fn send(download: Download, content_type: &'static str) -> ApiResult<Response> {
    let mut file = tokio::fs::File::open(&download.file)
        .await
        .map_err(|e| anyhow::anyhow!("opening the download: {e}"))
        .map_err(crate::domain::DomainError::from)?;
    drop(download.file);
    file.seek(std::io::SeekFrom::Start(download.offset))
        .await
        .map_err(|e| anyhow::anyhow!("reading the download: {e}"))
        .map_err(crate::domain::DomainError::from)?;
    let content = file.take(download.size);
    // Quotes and control characters cannot reach the header: `filename*` is percent-encoded.
    let encoded: String = download
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_LENGTH, download.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{encoded}"),
            ),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(content)),
    )
        .into_response())
}
