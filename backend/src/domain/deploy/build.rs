//! Images for a plan: built from the upload (the build context packed as a tar, output into the
//! deployment's log, bounded in time) or a named image, pulled when missing; either way refused
//! if it carries labels that would steer the proxy or Milkcrate.

use std::{path::Path, time::Duration};

use futures_util::StreamExt;

use super::{DeployError, logbook::Logbook, plan::ImageSource};
use crate::{
    compose,
    domain::Platform,
    intake,
    runtime::{BuildEvent, BuildOptions, ImageDetails, labels},
};

impl Platform {
    /// The image of one service, ready to run: its tag and details.
    pub(super) async fn service_image(
        &self,
        id: i64,
        service: &str,
        source: &ImageSource,
        upload: &Path,
        log: &mut Logbook,
    ) -> Result<(String, ImageDetails), DeployError> {
        let image = match source {
            ImageSource::Build {
                context,
                options,
                tag,
            } => {
                if !service.is_empty() {
                    log.step(&format!("service `{service}`: building")).await;
                }
                self.build(id, &upload.join(context), tag, options, log)
                    .await?;
                tag.clone()
            }
            ImageSource::Built(image) => {
                if !self.runtime.image_exists(image).await? {
                    return Err(DeployError::Refused(format!(
                        "the image {image} is no longer kept; deploy an upload instead"
                    )));
                }
                image.clone()
            }
            ImageSource::Named(image) => {
                if !self.runtime.image_exists(image).await? {
                    log.step(&format!("service `{service}`: pulling {image}"))
                        .await;
                    self.runtime.pull_image(image).await.map_err(|e| {
                        DeployError::App(format!(
                            "service `{service}`: cannot pull {image} ({e}); build it from the ZIP or make the registry reachable"
                        ))
                    })?;
                }
                image.clone()
            }
        };
        let details = self.checked_image(&image).await?;
        Ok((image, details))
    }

    /// The image's details, refused if it carries labels that would steer Traefik or Milkcrate.
    pub(in crate::domain) async fn checked_image(
        &self,
        image: &str,
    ) -> Result<ImageDetails, DeployError> {
        let details = self.runtime.image_details(image).await?;
        if let Some(key) = details.labels.keys().find(|k| labels::is_reserved_label(k)) {
            return Err(DeployError::Refused(format!(
                "the image {image} sets the label `{key}`; `traefik.*` and `milkcrate.*` labels belong to Milkcrate, which routes and tracks apps itself"
            )));
        }
        Ok(details)
    }

    /// Builds `image` from the folder `source` (the build context).
    async fn build(
        &self,
        id: i64,
        source: &Path,
        image: &str,
        options: &BuildOptions,
        log: &mut Logbook,
    ) -> Result<(), DeployError> {
        log.step("packing the build context").await;
        let context = self.paths.tmp().join(format!("context-{id}.tar"));
        let (src, dst) = (source.to_path_buf(), context.clone());
        tokio::task::spawn_blocking(move || pack_context(&src, &dst))
            .await
            .map_err(|e| DeployError::io("packing the build context")(std::io::Error::other(e)))?
            .map_err(DeployError::io("packing the build context"))?;
        log.step(&format!("building image {image}")).await;
        let builds = &self.config.builds;
        let options = &BuildOptions {
            limits: Some(crate::runtime::BuildLimits {
                memory_bytes: (builds.memory_mb * 1024 * 1024) as i64,
                nano_cpus: (builds.cpus * 1e9) as i64,
            }),
            ..options.clone()
        };
        let timeout = Duration::from_secs(self.config.builds.build_timeout_secs);
        let result = tokio::time::timeout(timeout, async {
            // The classic builder reuses cached layers; when another app's delete removes one
            // mid-build, the daemon reports an unknown parent. That is not the app's fault:
            // build once more, against the cache as it is now.
            let mut attempts = 0;
            loop {
                attempts += 1;
                let mut stream = self.runtime.build_image(&context, image, options).await?;
                let mut error = None;
                while let Some(event) = stream.next().await {
                    match event {
                        BuildEvent::Output(text) if !text.trim().is_empty() => {
                            log.write(&text).await
                        }
                        BuildEvent::Output(_) => {}
                        BuildEvent::Lost(e) => return Err(DeployError::Runtime(e)),
                        BuildEvent::Error(text) => {
                            log.write(&text).await;
                            error = Some(text);
                        }
                    }
                }
                match error {
                    Some(e) if attempts == 1 && e.contains("unknown parent image") => {
                        log.step("a cached layer vanished during the build; building again")
                            .await;
                    }
                    Some(e) => {
                        return Err(DeployError::App(format!(
                            "the image build failed: {}",
                            e.trim()
                        )));
                    }
                    None => return Ok(()),
                }
            }
        })
        .await;
        let _ = tokio::fs::remove_file(&context).await;
        match result {
            Ok(outcome) => outcome,
            Err(_) => Err(DeployError::TimedOut(format!(
                "the build took longer than {}s",
                timeout.as_secs()
            ))),
        }
    }

    /// Reads the compose file again (it passed at upload; managed volumes and the app's
    /// variables may have changed since).
    pub(super) async fn load_stack(
        &self,
        source: &Path,
        vars: &std::collections::BTreeMap<String, String>,
    ) -> Result<compose::Stack, DeployError> {
        let file = intake::compose_file_in(source).ok_or_else(|| {
            DeployError::Refused("the compose file is missing from the upload".into())
        })?;
        let managed = self.managed_volume_names().await?;
        let (dir, caps, vars) = (source.to_path_buf(), self.compose_caps(), vars.clone());
        tokio::task::spawn_blocking(move || compose::load(&dir, file, &caps, &managed, &vars))
            .await
            .map_err(|e| DeployError::io("checking the compose file")(std::io::Error::other(e)))?
            .map_err(|problems| {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                DeployError::Refused(format!("the compose file is refused: {}", list.join("; ")))
            })
    }
}

/// Writes the extracted app folder as a tar file, keeping file modes (executables stay executable).
fn pack_context(source: &Path, target: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(target)?;
    let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
    builder.follow_symlinks(false);
    builder.append_dir_all(".", source)?;
    builder
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
}
