//! Files into and out of containers, as tar archives.

use std::path::Path;

use async_trait::async_trait;
use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::stream::BoxStream;
use tokio_util::io::ReaderStream;

use super::{Docker, convert, write_stream};
use crate::runtime::{Archives, Result, RuntimeError};

#[async_trait]
impl Archives for Docker {
    /// Extracts a tar archive into the container's filesystem at `/`.
    async fn upload_tar(&self, id: &str, tar: Vec<u8>) -> Result<()> {
        let options = UploadToContainerOptionsBuilder::default().path("/").build();
        self.client
            .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
            .await
            .map_err(|e| convert(&format!("upload into {id}"), e))
    }

    /// Writes the tar archive of `path` in the container into the file `target`.
    async fn download_archive(&self, container: &str, path: &str, target: &Path) -> Result<()> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let stream = self
            .client
            .download_from_container(container, Some(options));
        write_stream(stream, target, &format!("reading {path}")).await
    }

    /// Extracts the tar file `tar` into the container at `path` (which must exist), streaming it.
    async fn upload_archive(&self, container: &str, path: &str, tar: &Path) -> Result<()> {
        let what = format!("writing into {path}");
        let file = tokio::fs::File::open(tar)
            .await
            .map_err(|e| RuntimeError::Failed(format!("{what}: {e}")))?;
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .build();
        self.client
            .upload_to_container(
                container,
                Some(options),
                bollard::body_try_stream(ReaderStream::new(file)),
            )
            .await
            .map_err(|e| convert(&what, e))
    }

    /// Extracts a tar arriving as a stream into the container at `path` (which must exist).
    async fn upload_archive_stream(
        &self,
        container: &str,
        path: &str,
        tar: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> Result<()> {
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .build();
        self.client
            .upload_to_container(container, Some(options), bollard::body_try_stream(tar))
            .await
            .map_err(|e| convert(&format!("writing into {path}"), e))
    }
}
