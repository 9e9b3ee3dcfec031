//! Multipart uploads streamed to disk, never held whole in memory.

use shared::v1::fields::form;
use std::{collections::HashMap, path::Path};

use axum::extract::Multipart;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::ApiError;

/// The parts of an upload form: small text fields, and the file on disk.
pub struct Upload {
    /// Every text part by name, in order (a repeated name keeps each).
    pub fields: HashMap<String, Vec<String>>,
    /// The `file` part. Deleted when dropped.
    pub file: Option<TempPath>,
    /// Every other file part: field name, the client's file name, content (deleted when
    /// dropped).
    pub parts: Vec<(String, String, TempPath)>,
}

/// The longest text part (a name, a route), in bytes.
const MAX_TEXT_FIELD: usize = 4096;
/// The longest `mounts` part, in bytes: room for `MAX_MOUNTS` mounts whatever their characters
/// (a target of `MAX_MOUNT_TARGET_LEN` characters, each written as a `\uXXXX\uXXXX` pair), so
/// that any array the document allows is read, and judged by its content.
const MAX_MOUNTS_FIELD: usize = 128 * 1024;

fn multipart_error(field: &str, e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the request is too large: {}", e.body_text()))
    } else {
        ApiError::bad_field(field, e.body_text())
    }
}

/// Reads `multipart`, writing file parts into `tmp_dir` and refusing more than `max_bytes` in all,
/// and any part not named in `expected` (the form's schema says which parts there are: a part
/// the server would ignore is a client's mistake worth naming).
pub async fn receive(
    mut multipart: Multipart,
    tmp_dir: &Path,
    max_bytes: u64,
    expected: &[&str],
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
        if !expected.contains(&name.as_str()) {
            return Err(ApiError::bad_field(
                &name,
                format!("unknown form part; this form takes {}", expected.join(", ")),
            ));
        }
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
                    // Read, but refused as an archive is: 422, like any file that is no ZIP.
                    return Err(
                        crate::domain::DomainError::field(form::FILE, "the file is empty").into(),
                    );
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
                let most = if name == form::MOUNTS {
                    MAX_MOUNTS_FIELD
                } else {
                    MAX_TEXT_FIELD
                };
                if text.len() > most {
                    return Err(ApiError::bad_field(&name, "is too long"));
                }
            }
            upload.fields.entry(name).or_default().push(text);
        }
    }
    Ok(upload)
}
