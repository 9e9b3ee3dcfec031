//! Multipart uploads streamed to disk, never held whole in memory.

use shared::v1::fields::form;
use std::{collections::HashMap, path::Path};

use axum::extract::Multipart;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::ApiError;

/// The parts of an upload form: small text fields, and the file on disk.
pub struct Upload {
    pub fields: HashMap<String, String>,
    /// The `file` part. Deleted when dropped.
    pub file: Option<TempPath>,
    /// Every other file part: field name, the client's file name, content (deleted when
    /// dropped).
    pub parts: Vec<(String, String, TempPath)>,
}

const MAX_TEXT_FIELD: usize = 4096;

fn multipart_error(field: &str, e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the request is too large: {}", e.body_text()))
    } else {
        ApiError::bad_field(field, e.body_text())
    }
}

/// Reads `multipart`, writing file parts into `tmp_dir` and refusing more than `max_bytes` in all.
pub async fn receive(
    mut multipart: Multipart,
    tmp_dir: &Path,
    max_bytes: u64,
) -> Result<Upload, ApiError> {
    let mut upload = Upload {
        fields: HashMap::new(),
        file: None,
        parts: Vec::new(),
    };
    let mut written = 0u64;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(form::FILE, e))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        if name == form::FILE || file_name.is_some() {
            let temp = tempfile::Builder::new()
                .prefix("upload-")
                .suffix(".zip")
                .tempfile_in(tmp_dir)
                .map_err(|e| crate::domain::DomainError::io("creating the upload file", e))?;
            let (std_file, path) = temp.into_parts();
            let mut file = tokio::fs::File::from_std(std_file);
            let mut part_bytes = 0u64;
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_error(form::FILE, e))?
            {
                written += chunk.len() as u64;
                part_bytes += chunk.len() as u64;
                if written > max_bytes {
                    return Err(ApiError::TooLarge(format!(
                        "the upload is larger than the limit of {} MiB (MILKCRATE_MAX_UPLOAD_MB)",
                        max_bytes / 1024 / 1024
                    )));
                }
                file.write_all(&chunk)
                    .await
                    .map_err(|e| crate::domain::DomainError::io("writing the upload", e))?;
            }
            file.flush()
                .await
                .map_err(|e| crate::domain::DomainError::io("writing the upload", e))?;
            if name == form::FILE {
                if part_bytes == 0 {
                    return Err(ApiError::bad_field(form::FILE, "the file is empty"));
                }
                upload.file = Some(path);
            } else {
                upload
                    .parts
                    .push((name, file_name.unwrap_or_default(), path));
            }
        } else {
            let mut text = String::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&name, e))? {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.len() > MAX_TEXT_FIELD {
                    return Err(ApiError::bad_field(&name, "is too long"));
                }
            }
            upload.fields.insert(name, text);
        }
    }
    Ok(upload)
}
