//! Names of the multipart parts and query parameters of `/api/v1`, written once for the server
//! and its clients. JSON bodies need none: their field names are the serde types of this crate.
//! An error about one of these inputs is reported under the same name in `ErrorBody.fields`.

/// Parts of the `multipart/form-data` uploads.
pub mod form {
    /// The ZIP of an app (`POST /apps`, `POST /apps/{name}/deployments`) or the archive of a
    /// restore (`POST /backups/restore`).
    pub const FILE: &str = "file";
    /// The new app's name (`POST /apps`).
    pub const NAME: &str = "name";
    /// The new app's route (`POST /apps`).
    pub const ROUTE: &str = "route";
    /// The new app's managed-volume mounts, a JSON array of `Mount` (`POST /apps`, optional).
    pub const MOUNTS: &str = "mounts";
    /// Files written as they are into a volume's folder (`POST /volumes/{name}/upload`, any
    /// number of parts, each with its file name).
    pub const FILES: &str = "files";
    /// A ZIP extracted into a volume's folder (`POST /volumes/{name}/upload`).
    pub const ZIP: &str = "zip";
}

/// Query parameters.
pub mod query {
    /// Byte offset to read a deployment log from (`GET /deployments/{id}/log`): the previous
    /// answer's `next_offset`.
    pub const OFFSET: &str = "offset";
    /// `true`: deleting a stack also removes its compose volumes (`DELETE /apps/{name}`).
    pub const VOLUMES: &str = "volumes";
    /// `true`: delete a volume even though apps mount it (`DELETE /volumes/{name}`).
    pub const FORCE: &str = "force";
    /// A path from a volume's root, empty for the root (`/volumes/{name}/files`, `folders`,
    /// `upload`, `download`, `archive`).
    pub const PATH: &str = "path";
    /// How many entries of a volume's folder to list (`GET /volumes/{name}/files`; 1 to 1000,
    /// by default 1000).
    pub const LIMIT: &str = "limit";
    /// How many of an app's last lines to read (`GET /apps/{name}/logs`; default 200, at most
    /// 1000; with `follow`, how many to start with, default 0).
    pub const TAIL: &str = "tail";
    /// `true`: an app's new lines as Server-Sent Events (`GET /apps/{name}/logs`).
    pub const FOLLOW: &str = "follow";
}
