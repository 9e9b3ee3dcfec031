//! The volume helper: a short-lived container with the volumes mounted under `/v/<name>`, from a
//! tiny image Milkcrate builds itself (a static busybox, `FROM scratch`), so volume files can be
//! listed, measured, created and removed on a daemon with no images and no registry. Commands run
//! as argv through the exec API, never through a shell; files move through the archive API.
//!
//! The container has no network, a read-only root, small limits, and only the capabilities a
//! file manager needs (`CHOWN`, `DAC_OVERRIDE`, `FOWNER`), so it can tidy files an app wrote as
//! another user. It is removed when the session ends; reconcile removes strays.

use std::{collections::HashMap, path::Path};

use crate::domain::{DomainError, DomainResult, Platform};
use crate::runtime::{
    BuildEvent, BuildOptions, ContainerLimits, ContainerRuntime, ContainerSpec, ExecOutput,
    Restart, VolumeMount, labels,
};

/// The helper image, shared by every instance on the daemon (its content never changes).
pub const HELPER_IMAGE: &str = "milkcrate-volume-helper:1";
/// Pulled when no static busybox is at hand and a registry answers.
const FALLBACK_IMAGE: &str = "busybox:1.37-musl";
/// The `milkcrate.role` of helper containers.
pub const HELPER_ROLE: &str = "volume-helper";
const BUSYBOX: &str = "/bin/busybox";

/// A running helper container; removed on drop.
pub struct Session {
    runtime: std::sync::Arc<dyn ContainerRuntime>,
    pub container: String,
}

impl Drop for Session {
    fn drop(&mut self) {
        let (runtime, container) = (self.runtime.clone(), self.container.clone());
        tokio::spawn(async move {
            let _ = runtime.remove_container(&container).await;
        });
    }
}

impl Session {
    /// Runs busybox `applet` with `args`; fails unless it exits 0.
    pub async fn run(&self, applet: &str, args: &[&str]) -> DomainResult<String> {
        let output = self.run_any(applet, args).await?;
        if output.exit_code != 0 {
            return Err(anyhow::anyhow!(
                "{applet} failed ({}): {}",
                output.exit_code,
                output.stderr.trim()
            )
            .into());
        }
        Ok(output.stdout)
    }

    /// Runs busybox `applet` with `args`, keeping lines `skip..skip + take` of its output; the
    /// flag says whether more followed.
    pub async fn run_lines(
        &self,
        applet: &str,
        args: &[&str],
        skip: usize,
        take: usize,
    ) -> DomainResult<(Vec<String>, bool)> {
        let mut cmd = vec![BUSYBOX.to_string(), applet.to_string()];
        cmd.extend(args.iter().map(|a| a.to_string()));
        Ok(self
            .runtime
            .exec_lines(&self.container, cmd, skip, take)
            .await?)
    }

    /// Runs busybox `applet` with `args`, whatever its exit code.
    pub async fn run_any(&self, applet: &str, args: &[&str]) -> DomainResult<ExecOutput> {
        let mut cmd = vec![BUSYBOX.to_string(), applet.to_string()];
        cmd.extend(args.iter().map(|a| a.to_string()));
        Ok(self.runtime.exec(&self.container, cmd).await?)
    }
}

impl Platform {
    /// Starts a helper with each of `volumes` (managed names) mounted at `/v/<name>`.
    pub(in crate::domain) async fn helper_session(
        &self,
        volumes: &[&str],
    ) -> DomainResult<Session> {
        let image = self.helper_image().await?;
        let mut container_labels = self.names.instance_labels();
        container_labels.insert(labels::ROLE.into(), HELPER_ROLE.into());
        let spec = ContainerSpec {
            name: format!(
                "{}-volume-helper-{}",
                self.config.instance,
                rand::random::<u32>()
            ),
            image,
            labels: container_labels,
            cmd: Some(vec![BUSYBOX.into(), "sleep".into(), "3600".into()]),
            no_network: true,
            limits: Some(ContainerLimits {
                memory_bytes: 256 * 1024 * 1024,
                nano_cpus: 1_000_000_000,
                pids: 64,
            }),
            cap_add: vec!["CHOWN".into(), "DAC_OVERRIDE".into(), "FOWNER".into()],
            read_only: true,
            init: Some(false),
            restart: Some(Restart::No),
            volumes: volumes
                .iter()
                .map(|v| VolumeMount {
                    volume: self.names.managed_volume(v),
                    target: format!("/v/{v}"),
                    read_only: false,
                })
                .collect(),
            ..Default::default()
        };
        let container = self.runtime.create_container(&spec).await?;
        let session = Session {
            runtime: self.runtime.clone(),
            container,
        };
        self.runtime.start_container(&session.container).await?;
        Ok(session)
    }

    /// Removes every helper container of this instance (strays of a crash, or ones whose removal
    /// is still under way).
    pub(in crate::domain) async fn remove_helpers(&self) -> DomainResult<()> {
        let filter = [
            (labels::INSTANCE, self.names.instance()),
            (labels::ROLE, HELPER_ROLE),
        ];
        for container in self.runtime.list_containers(&filter).await? {
            match self.runtime.remove_container(&container.id).await {
                // A session's own removal is under way: wait for it below.
                Ok(()) | Err(crate::runtime::RuntimeError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !self.runtime.list_containers(&filter).await?.is_empty() {
            if std::time::Instant::now() > deadline {
                return Err(DomainError::Conflict(
                    "a volume helper container does not go away; try again".into(),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// The helper image: built from the static busybox at `MILKCRATE_HELPER_BUSYBOX` (no
    /// registry needed), else pulled.
    async fn helper_image(&self) -> DomainResult<String> {
        if self.runtime.image_exists(HELPER_IMAGE).await? {
            return Ok(HELPER_IMAGE.into());
        }
        let busybox = &self.config.helper_busybox;
        if busybox.is_file() {
            self.build_helper_image(busybox).await?;
            return Ok(HELPER_IMAGE.into());
        }
        if !self.runtime.image_exists(FALLBACK_IMAGE).await? {
            self.runtime.pull_image(FALLBACK_IMAGE).await.map_err(|e| {
                DomainError::Conflict(format!(
                    "volume files need a static busybox: install Debian's busybox-static (or set MILKCRATE_HELPER_BUSYBOX), or let Docker pull {FALLBACK_IMAGE} ({e})"
                ))
            })?;
        }
        Ok(FALLBACK_IMAGE.into())
    }

    async fn build_helper_image(&self, busybox: &Path) -> DomainResult<()> {
        let context = self
            .paths
            .tmp()
            .join(format!("helper-{}.tar", rand::random::<u32>()));
        let (src, dst) = (busybox.to_path_buf(), context.clone());
        tokio::task::spawn_blocking(move || helper_context(&src, &dst))
            .await
            .map_err(|e| anyhow::anyhow!("helper context: {e}"))?
            .map_err(|e| anyhow::anyhow!("helper context: {e}"))?;
        let result = async {
            use futures_util::StreamExt;
            let mut stream = Box::pin(
                self.runtime
                    .build_image(&context, HELPER_IMAGE, &BuildOptions::default())
                    .await?,
            );
            while let Some(event) = stream.next().await {
                match event {
                    BuildEvent::Error(e) => {
                        return Err(anyhow::anyhow!("building the volume helper: {e}").into());
                    }
                    BuildEvent::Lost(e) => return Err(e.into()),
                    BuildEvent::Output(_) => {}
                }
            }
            Ok::<(), DomainError>(())
        }
        .await;
        let _ = tokio::fs::remove_file(&context).await;
        result
    }
}

/// `FROM scratch` + the busybox binary.
fn helper_context(busybox: &Path, target: &Path) -> std::io::Result<()> {
    let mut builder = tar::Builder::new(std::fs::File::create(target)?);
    let dockerfile = b"FROM scratch\nCOPY busybox /bin/busybox\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, "Dockerfile", &dockerfile[..])?;
    let mut file = std::fs::File::open(busybox)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(file.metadata()?.len());
    header.set_mode(0o755);
    header.set_cksum();
    builder.append_data(&mut header, "busybox", &mut file)?;
    builder.into_inner()?.sync_all()
}

/// `du -sk` output (`<KiB>\t<path>` lines) as bytes by path.
pub fn parse_du(text: &str) -> HashMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (size, path) = l.split_once('\t')?;
            Some((path.to_string(), size.trim().parse::<u64>().ok()? * 1024))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn du_lines_become_bytes() {
        let sizes = parse_du("16\t/v/a\n0\t/v/b c\nbroken\n");
        assert_eq!(sizes["/v/a"], 16 * 1024);
        assert_eq!(sizes["/v/b c"], 0);
        assert_eq!(sizes.len(), 2);
    }
}
