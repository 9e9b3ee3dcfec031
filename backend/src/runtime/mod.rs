//! The seam between Milkcrate and the container engine: what a deployment needs (images,
//! services' containers, networks, volumes, files in and out, state changes), in Milkcrate's
//! words. `docker/` implements it on the Docker API and is the only place that names bollard;
//! `fake.rs` implements it in memory for the domain's unit tests. A cluster runtime would be a
//! third implementation of the same traits.

mod docker;
#[cfg(any(test, feature = "test-util"))]
pub mod fake;
pub mod labels;
pub mod subnets;
mod types;

use std::path::Path;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

pub use docker::{Docker, QUIET_LOGS};
pub use types::*;

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

/// Objects are selected by their ownership labels (`labels::INSTANCE`, `APP`, `DEPLOYMENT`,
/// `ROLE`): every pair must match.
pub type Selector<'a> = &'a [(&'a str, &'a str)];

/// Images: built from a context, pulled, inspected, saved and loaded for backups.
#[async_trait]
pub trait Images: Send + Sync {
    /// Builds `tag` from the tar file at `context`; the stream yields the build's output.
    async fn build_image(
        &self,
        context: &Path,
        tag: &str,
        options: &BuildOptions,
    ) -> Result<BoxStream<'static, BuildEvent>>;
    async fn image_details(&self, image: &str) -> Result<ImageDetails>;
    async fn image_exists(&self, image: &str) -> Result<bool>;
    /// Fetches `image` from its registry.
    async fn pull_image(&self, image: &str) -> Result<()>;
    /// Images whose name matches `reference` (`repo`, `repo:tag`, or a glob like `ns/*`).
    async fn list_images(&self, reference: &str) -> Result<Vec<ImageSummary>>;
    /// Removes an image; one already gone is fine.
    async fn remove_image(&self, image: &str) -> Result<()>;
    /// Writes `image` as an archive into the file `target`.
    async fn save_image(&self, image: &str, target: &Path) -> Result<()>;
    /// Loads the images of an archive written by `save_image`.
    async fn load_images(&self, source: &Path) -> Result<()>;
    /// What an archive written by `save_image` holds (its tags and labels), read without loading
    /// it: an archive is checked before anything of it reaches the runtime.
    async fn archived_images(&self, source: &Path) -> Result<Vec<ArchivedImage>>;
}

/// The containers a deployment runs.
#[async_trait]
pub trait Containers: Send + Sync {
    /// Creates (does not start) a container; returns its id.
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String>;
    /// Starts it; one already running is fine.
    async fn start_container(&self, id: &str) -> Result<()>;
    /// Stops it, killing it after `grace_secs`; one already stopped is fine.
    async fn stop_container(&self, id: &str, grace_secs: i32) -> Result<()>;
    /// Removes it, running or not; one already gone is fine.
    async fn remove_container(&self, id: &str) -> Result<()>;
    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails>;
    /// Containers (running or not) matching `selector`.
    async fn list_containers(&self, selector: Selector<'_>) -> Result<Vec<ContainerSummary>>;
    /// The last `tail` lines it printed.
    async fn container_logs(&self, id: &str, tail: usize) -> Result<String>;
    /// Its output line by line, with the time each was written; with `follow`, until it stops or
    /// the reader goes away. A reader that falls behind holds the runtime back, never buffers.
    async fn output(
        &self,
        id: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, Result<OutputLine>>>;
    /// Its resource use now (CPU over the runtime's last sampling interval).
    async fn stats(&self, id: &str) -> Result<ContainerStats>;
    /// Runs `cmd` (argv, no shell) in it and collects the output.
    async fn exec(&self, id: &str, cmd: Vec<String>) -> Result<ExecOutput>;
    /// Runs `cmd` and keeps only lines `skip..skip + take` of its standard output, reading no
    /// further than one line past them; the flag says whether more followed. A listing of any
    /// size, in bounded memory.
    async fn exec_lines(
        &self,
        id: &str,
        cmd: Vec<String>,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<String>, bool)>;
    /// What a `GET path` at `address:port` gets (a container's address on one of its networks,
    /// from `inspect_container`): `None` when nothing answers. `path` is a checked health path.
    async fn knock_http(&self, address: &str, port: u16, path: &str) -> Result<Option<Answer>>;
}

/// Networks: the proxy's, and a stack's own.
#[async_trait]
pub trait Networks: Send + Sync {
    /// Returns the network `name`, creating it with `labels` if it does not exist.
    async fn ensure_network(
        &self,
        name: &str,
        labels: std::collections::HashMap<String, String>,
    ) -> Result<NetworkDetails>;
    /// Creates the network `name` (unless it exists) on a free block of `pool`.
    async fn ensure_network_in(
        &self,
        name: &str,
        labels: std::collections::HashMap<String, String>,
        pool: &subnets::Cidr,
    ) -> Result<()>;
    /// Attaches a container, reachable there under `aliases` too.
    async fn connect_network(
        &self,
        container: &str,
        network: &str,
        aliases: &[String],
    ) -> Result<()>;
    /// Detaches a container; one not attached (or gone) is fine.
    async fn disconnect_network(&self, container: &str, network: &str) -> Result<()>;
    /// Removes a network; one already gone is fine.
    async fn remove_network(&self, name: &str) -> Result<()>;
    async fn list_networks(&self, selector: Selector<'_>) -> Result<Vec<NetworkSummary>>;
}

/// Volumes: an app's compose volumes and Milkcrate's managed ones.
#[async_trait]
pub trait Volumes: Send + Sync {
    /// Creates the volume unless it exists (an existing one keeps its data).
    async fn ensure_volume(
        &self,
        name: &str,
        labels: std::collections::HashMap<String, String>,
    ) -> Result<()>;
    async fn volume_exists(&self, name: &str) -> Result<bool>;
    /// Names of the volumes matching `selector`.
    async fn list_volumes(&self, selector: Selector<'_>) -> Result<Vec<String>>;
    /// Removes a volume (refused while a container holds it); one already gone is fine.
    async fn remove_volume(&self, name: &str) -> Result<()>;
}

/// Files into and out of a container, as tar archives.
#[async_trait]
pub trait Archives: Send + Sync {
    /// Extracts the tar `tar` into the container at `/`.
    async fn upload_tar(&self, id: &str, tar: Vec<u8>) -> Result<()>;
    /// Extracts the tar file `tar` into the container at `path` (which must exist).
    async fn upload_archive(&self, id: &str, path: &str, tar: &Path) -> Result<()>;
    /// Extracts a tar arriving as a stream into the container at `path` (which must exist).
    async fn upload_archive_stream(
        &self,
        id: &str,
        path: &str,
        tar: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> Result<()>;
    /// Writes the tar archive of `path` in the container into the file `target`.
    async fn download_archive(&self, id: &str, path: &str, target: &Path) -> Result<()>;
}

/// State changes of what Milkcrate owns.
#[async_trait]
pub trait Events: Send + Sync {
    /// Whether the engine answers.
    async fn ping(&self) -> Result<()>;
    /// Changes of the containers matching `selector`, from now on, until the engine goes away.
    async fn events(
        &self,
        selector: Selector<'_>,
    ) -> Result<BoxStream<'static, Result<RuntimeEvent>>>;
}

/// Everything Milkcrate asks of the container engine. The domain holds an
/// `Arc<dyn ContainerRuntime>`.
pub trait ContainerRuntime: Images + Containers + Networks + Volumes + Archives + Events {}

impl<T: Images + Containers + Networks + Volumes + Archives + Events> ContainerRuntime for T {}
