//! Images: build, pull, inspect, list, remove, save and load.

use std::{collections::HashMap, path::Path};

use async_trait::async_trait;
use bollard::{
    errors::Error as BollardError,
    query_parameters::{
        BuildImageOptionsBuilder, CreateImageOptionsBuilder, ListImagesOptionsBuilder,
        RemoveImageOptionsBuilder,
    },
};
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use tokio_util::io::ReaderStream;

use super::{Docker, convert, ignore_missing, write_stream};
use crate::runtime::{
    ArchivedImage, BuildEvent, BuildOptions, ImageDetails, ImageSummary, Images, Result,
    RuntimeError,
};

#[async_trait]
impl Images for Docker {
    /// Builds `tag` from the tar file at `context`, streaming the daemon's output.
    async fn build_image(
        &self,
        context: &Path,
        tag: &str,
        build: &BuildOptions,
    ) -> Result<BoxStream<'static, BuildEvent>> {
        let file = tokio::fs::File::open(context)
            .await
            .map_err(|e| RuntimeError::Failed(format!("opening build context: {e}")))?;
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&build.dockerfile)
            .t(tag)
            .rm(true)
            .forcerm(true);
        if !build.args.is_empty() {
            options = options.buildargs(&build.args);
        }
        if let Some(target) = &build.target {
            options = options.target(target);
        }
        if let Some(limits) = build.limits {
            // The classic builder runs each step in a container with these; CPU as a quota of
            // 100 ms periods. The client types memory as a 32-bit count: 2 GiB at most.
            let memory = i32::try_from(limits.memory_bytes).unwrap_or(i32::MAX);
            options = options
                .memory(memory)
                .memswap(memory)
                .cpuperiod(100_000)
                .cpuquota(i32::try_from(limits.nano_cpus / 10_000).unwrap_or(i32::MAX));
        }
        let options = options.build();
        let body = bollard::body_try_stream(ReaderStream::new(file));
        // bollard's stream borrows its client: a task of its own owns a clone and forwards the
        // output, and stops when the reader goes away.
        let client = self.client.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let mut stream = client
                .build_image(options, None, Some(body))
                .map(|item| match item {
                    Ok(info) => match (
                        info.error_detail.and_then(|d| d.message),
                        info.stream,
                        info.status,
                    ) {
                        (Some(error), _, _) => BuildEvent::Error(error),
                        (None, Some(text), _) | (None, None, Some(text)) => {
                            BuildEvent::Output(text)
                        }
                        (None, None, None) => BuildEvent::Output(String::new()),
                    },
                    Err(BollardError::DockerStreamError { error }) => BuildEvent::Error(error),
                    Err(e) => match convert("build", e) {
                        lost @ RuntimeError::Unavailable(_) => BuildEvent::Lost(lost),
                        other => BuildEvent::Error(other.to_string()),
                    },
                });
            while let Some(event) = stream.next().await {
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        let events = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|event| (event, rx))
        });
        Ok(events.boxed())
    }

    async fn image_details(&self, image: &str) -> Result<ImageDetails> {
        let inspect = self
            .client
            .inspect_image(image)
            .await
            .map_err(|e| convert(&format!("image {image}"), e))?;
        let config = inspect.config.unwrap_or_default();
        let mut exposed_tcp_ports: Vec<u16> = config
            .exposed_ports
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.strip_suffix("/tcp").and_then(|n| n.parse().ok()))
            .collect();
        exposed_tcp_ports.sort_unstable();
        Ok(ImageDetails {
            id: inspect.id.unwrap_or_default(),
            exposed_tcp_ports,
            labels: config.labels.unwrap_or_default(),
        })
    }

    async fn image_exists(&self, image: &str) -> Result<bool> {
        match self.client.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(e) => match convert("image", e) {
                RuntimeError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Pulls `image` from its registry (`:latest` when it names no tag, as the CLI does; the API
    /// would pull every tag).
    async fn pull_image(&self, image: &str) -> Result<()> {
        let reference = with_default_tag(image);
        let options = CreateImageOptionsBuilder::default()
            .from_image(&reference)
            .build();
        self.client
            .create_image(Some(options), None, None)
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(|e| convert(&format!("pulling {image}"), e))
    }

    /// Images whose name matches `reference` (`repo`, `repo:tag`, or a glob like `ns/*`).
    async fn list_images(&self, reference: &str) -> Result<Vec<ImageSummary>> {
        let filters = HashMap::from([("reference".to_string(), vec![reference.to_string()])]);
        let options = ListImagesOptionsBuilder::default()
            .all(false)
            .filters(&filters)
            .build();
        let images = self
            .client
            .list_images(Some(options))
            .await
            .map_err(|e| convert("images", e))?;
        Ok(images
            .into_iter()
            .map(|i| ImageSummary {
                id: i.id,
                tags: i.repo_tags,
            })
            .collect())
    }

    async fn remove_image(&self, image: &str) -> Result<()> {
        let options = RemoveImageOptionsBuilder::default()
            .force(true)
            .noprune(false)
            .build();
        ignore_missing(
            self.client
                .remove_image(image, Some(options), None)
                .await
                .map(|_| ())
                .map_err(|e| convert(&format!("image {image}"), e)),
        )
    }

    /// Writes `image` as a `docker save` tar into `target`.
    async fn save_image(&self, image: &str, target: &Path) -> Result<()> {
        let stream = self.client.export_image(image);
        write_stream(stream, target, &format!("saving {image}")).await
    }

    async fn archived_images(&self, source: &Path) -> Result<Vec<ArchivedImage>> {
        let path = source.to_path_buf();
        tokio::task::spawn_blocking(move || read_saved(&path))
            .await
            .map_err(|e| RuntimeError::Failed(format!("reading an image archive: {e}")))?
            .map_err(|e| RuntimeError::Failed(format!("reading an image archive: {e}")))
    }

    /// Loads images from a `docker save` tar.
    async fn load_images(&self, source: &Path) -> Result<()> {
        let what = "loading images";
        let file = tokio::fs::File::open(source)
            .await
            .map_err(|e| RuntimeError::Failed(format!("{what}: {e}")))?;
        let options = bollard::query_parameters::ImportImageOptionsBuilder::default().build();
        let mut stream = Box::pin(self.client.import_image_stream(
            options,
            ReaderStream::new(file),
            None,
        ));
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| convert(what, e))?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                return Err(RuntimeError::Failed(format!("{what}: {error}")));
            }
        }
        Ok(())
    }
}

/// `name` → `name:latest`; tagged (`name:tag`, `host:5000/name:tag`) and digested references stay.
fn with_default_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// Reads a `docker save` tar: `manifest.json` names each image's config file and tags; the
/// config holds the labels. Nothing is extracted to disk.
fn read_saved(path: &Path) -> std::io::Result<Vec<ArchivedImage>> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Config")]
        config: String,
        #[serde(rename = "RepoTags", default)]
        tags: Option<Vec<String>>,
    }
    #[derive(serde::Deserialize, Default)]
    struct ImageConfig {
        #[serde(default)]
        config: Option<ContainerConfig>,
    }
    #[derive(serde::Deserialize, Default)]
    struct ContainerConfig {
        #[serde(rename = "Labels", default)]
        labels: Option<HashMap<String, String>>,
    }
    const MAX_JSON: u64 = 16 * 1024 * 1024;
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    let mut archive = tar::Archive::new(std::fs::File::open(path)?);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if name.ends_with(".json") && entry.size() <= MAX_JSON {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data)?;
            files.insert(name, data);
        }
    }
    let manifest = files
        .get("manifest.json")
        .ok_or_else(|| invalid("no manifest.json: not an image archive".into()))?;
    let entries: Vec<Entry> =
        serde_json::from_slice(manifest).map_err(|e| invalid(format!("manifest.json: {e}")))?;
    entries
        .into_iter()
        .map(|entry| {
            let config: ImageConfig = files
                .get(&entry.config)
                .map(|data| serde_json::from_slice(data))
                .transpose()
                .map_err(|e| invalid(format!("{}: {e}", entry.config)))?
                .ok_or_else(|| invalid(format!("{} is missing", entry.config)))?;
            Ok(ArchivedImage {
                tags: entry.tags.unwrap_or_default(),
                labels: config.config.and_then(|c| c.labels).unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulls_name_a_tag() {
        assert_eq!(with_default_tag("nginx"), "nginx:latest");
        assert_eq!(with_default_tag("nginx:1.27"), "nginx:1.27");
        assert_eq!(
            with_default_tag("registry.local:5000/team/app"),
            "registry.local:5000/team/app:latest"
        );
        assert_eq!(with_default_tag("app@sha256:abc"), "app@sha256:abc");
    }

    #[test]
    fn an_image_archive_is_read_for_its_tags_and_labels_without_loading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images.tar");
        let mut tar = tar::Builder::new(std::fs::File::create(&path).unwrap());
        let mut add = |name: &str, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, data).unwrap();
        };
        add(
            "manifest.json",
            br#"[{"Config":"abc.json","RepoTags":["traefik:v3.7.15"],"Layers":[]}]"#,
        );
        add(
            "abc.json",
            br#"{"config":{"Labels":{"traefik.enable":"true"}}}"#,
        );
        tar.finish().unwrap();
        drop(tar);
        let images = read_saved(&path).unwrap();
        assert_eq!(images[0].tags, vec!["traefik:v3.7.15".to_string()]);
        assert_eq!(images[0].labels["traefik.enable"], "true");
        std::fs::write(&path, b"not a tar at all").unwrap();
        assert!(read_saved(&path).is_err());
    }
}
