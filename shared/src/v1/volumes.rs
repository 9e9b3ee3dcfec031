use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A Milkcrate-managed Docker volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Volume {
    /// Unique name: lowercase letters, digits and hyphens.
    pub name: String,
    pub description: String,
    /// Bytes used on disk (as `du` counts them).
    pub size_bytes: u64,
    /// Regular files in it, at any depth.
    pub files: u64,
    /// Apps that mount it (for compose apps: by the app's mounts; a compose file naming the
    /// volume counts while its containers run).
    pub mounted_by: Vec<String>,
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/volumes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVolume {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// What a folder entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Folder,
    /// Shown, never followed: paths through a symbolic link are refused.
    Symlink,
    Other,
}

/// One entry of a volume folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeEntry {
    pub name: String,
    /// Path from the volume's root, e.g. `docs/a.txt`.
    pub path: String,
    pub kind: EntryKind,
    pub size_bytes: u64,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "super::time::utc_option")
    )]
    pub modified: Option<DateTime<Utc>>,
}

/// `GET /api/v1/volumes/{name}/files?path=`: a folder's entries, folders first, then by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeListing {
    pub volume: String,
    /// The folder, from the volume's root (`""` for the root).
    pub path: String,
    /// This page of the folder's entries (folders first, by name, within the page).
    pub entries: Vec<VolumeEntry>,
    /// Where the next page starts (`offset`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
}

/// The reply to an upload into a volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedFiles {
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
}
