//! The Docker adapter: converts between bollard and the runtime vocabulary at the edge.

use std::{collections::HashMap, path::Path};

use bollard::{
    container::LogOutput,
    errors::Error as BollardError,
    exec::{StartExecOptions, StartExecResults},
    models::{
        ContainerCreateBody, EndpointSettings, ExecConfig, HealthConfig, HealthStatusEnum,
        HostConfig, HostConfigLogConfig, Ipam, IpamConfig, Mount, MountType, NetworkConnectRequest,
        NetworkCreateRequest, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
        VolumeCreateRequest,
    },
    query_parameters::{
        BuildImageOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
        DownloadFromContainerOptionsBuilder, ListContainersOptionsBuilder,
        ListImagesOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
        LogsOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
        RemoveVolumeOptionsBuilder, StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
    },
};
use futures_util::{Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::subnets::{self, Cidr};

use super::{
    BuildEvent, BuildOptions, ContainerDetails, ContainerSpec, ContainerState, ContainerSummary,
    ExecOutput, Health, HealthSpec, ImageDetails, ImageSummary, NetworkDetails, NetworkSummary,
    Restart, RuntimeError,
};

/// A connection to the Docker daemon. Cheap to clone.
#[derive(Clone)]
pub struct Docker {
    client: bollard::Docker,
    /// Docker 20.10 creates two networks of the same name when asked at once; creations in this
    /// process take turns.
    network_creation: std::sync::Arc<tokio::sync::Mutex<()>>,
}

type Result<T> = std::result::Result<T, RuntimeError>;

fn convert(what: &str, err: BollardError) -> RuntimeError {
    match err {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } => RuntimeError::NotFound(format!("{what}: {message}")),
        BollardError::DockerResponseServerError {
            status_code: 409,
            message,
        } => RuntimeError::Conflict(format!("{what}: {message}")),
        BollardError::DockerResponseServerError { message, .. } => {
            RuntimeError::Failed(format!("{what}: {message}"))
        }
        BollardError::SocketNotFoundError(_)
        | BollardError::IOError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::RequestTimeoutError => RuntimeError::Unavailable(format!("{what}: {err}")),
        other => RuntimeError::Failed(format!("{what}: {other}")),
    }
}

/// Treats "already gone" as success, for idempotent cleanup.
fn ignore_missing(result: Result<()>) -> Result<()> {
    match result {
        Err(RuntimeError::NotFound(_)) => Ok(()),
        other => other,
    }
}

fn label_filter(labels: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    let values = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    HashMap::from([("label".to_string(), values)])
}

fn state_of(status: &str) -> ContainerState {
    match status {
        "created" => ContainerState::Created,
        "running" => ContainerState::Running,
        "restarting" => ContainerState::Restarting,
        "exited" | "dead" => ContainerState::Exited,
        _ => ContainerState::Other,
    }
}

/// Docker 20.10's container list has no health field; its status text (`Up 3 seconds
/// (healthy)`, `Exited (1) 2 minutes ago`) carries health and exit code.
fn health_in_status(status: &str) -> Option<Health> {
    if status.contains("(healthy)") {
        Some(Health::Healthy)
    } else if status.contains("(unhealthy)") {
        Some(Health::Unhealthy)
    } else if status.contains("(health: starting)") {
        Some(Health::Starting)
    } else {
        None
    }
}

fn exit_code_in_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest.split_once(')')?.0.parse().ok()
}

/// Writes a byte stream from the daemon into the file `target`.
async fn write_stream<B: AsRef<[u8]>>(
    stream: impl Stream<Item = std::result::Result<B, BollardError>>,
    target: &Path,
    what: &str,
) -> Result<()> {
    let failed = |e: std::io::Error| RuntimeError::Failed(format!("{what}: {e}"));
    let mut stream = Box::pin(stream);
    let mut file = tokio::fs::File::create(target).await.map_err(failed)?;
    while let Some(chunk) = stream.next().await {
        file.write_all(chunk.map_err(|e| convert(what, e))?.as_ref())
            .await
            .map_err(failed)?;
    }
    file.flush().await.map_err(failed)
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

fn restart_policy(restart: Option<Restart>) -> RestartPolicy {
    let (name, count) = match restart.unwrap_or(Restart::UnlessStopped) {
        Restart::No => (RestartPolicyNameEnum::NO, None),
        Restart::Always => (RestartPolicyNameEnum::ALWAYS, None),
        Restart::UnlessStopped => (RestartPolicyNameEnum::UNLESS_STOPPED, None),
        Restart::OnFailure(count) => (RestartPolicyNameEnum::ON_FAILURE, count),
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: count,
    }
}

fn nanos(d: Option<std::time::Duration>) -> Option<i64> {
    d.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn health_config(h: &HealthSpec) -> HealthConfig {
    HealthConfig {
        test: (!h.test.is_empty()).then(|| h.test.clone()),
        interval: nanos(h.interval),
        timeout: nanos(h.timeout),
        retries: h.retries.map(i64::from),
        start_period: nanos(h.start_period),
        start_interval: nanos(h.start_interval),
    }
}

impl Docker {
    /// Connects through the local socket (or `DOCKER_HOST`) and agrees on an API version the
    /// daemon speaks.
    pub async fn connect() -> Result<Self> {
        let client = bollard::Docker::connect_with_local_defaults()
            .map_err(|e| convert("connecting", e))?
            .negotiate_version()
            .await
            .map_err(|e| convert("negotiating the API version", e))?;
        Ok(Self {
            client,
            network_creation: Default::default(),
        })
    }

    pub async fn ping(&self) -> Result<()> {
        self.client
            .ping()
            .await
            .map(|_| ())
            .map_err(|e| convert("ping", e))
    }

    // ---- images ----

    /// Builds `tag` from the tar file at `context`, streaming the daemon's output.
    pub async fn build_image(
        &self,
        context: &Path,
        tag: &str,
        build: &BuildOptions,
    ) -> Result<impl Stream<Item = BuildEvent> + '_> {
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
        let options = options.build();
        let body = bollard::body_try_stream(ReaderStream::new(file));
        let stream = self
            .client
            .build_image(options, None, Some(body))
            .map(|item| match item {
                Ok(info) => match (
                    info.error_detail.and_then(|d| d.message),
                    info.stream,
                    info.status,
                ) {
                    (Some(error), _, _) => BuildEvent::Error(error),
                    (None, Some(text), _) | (None, None, Some(text)) => BuildEvent::Output(text),
                    (None, None, None) => BuildEvent::Output(String::new()),
                },
                Err(BollardError::DockerStreamError { error }) => BuildEvent::Error(error),
                Err(e) => BuildEvent::Error(convert("build", e).to_string()),
            });
        Ok(stream)
    }

    pub async fn image_details(&self, image: &str) -> Result<ImageDetails> {
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

    pub async fn image_exists(&self, image: &str) -> Result<bool> {
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
    pub async fn pull_image(&self, image: &str) -> Result<()> {
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
    pub async fn list_images_by_reference(&self, reference: &str) -> Result<Vec<ImageSummary>> {
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

    pub async fn remove_image(&self, image: &str) -> Result<()> {
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

    // ---- containers ----

    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let network = if spec.no_network {
            "none".to_string()
        } else {
            spec.network.clone()
        };
        let cap_add = if spec.cap_add.is_empty() {
            vec!["NET_BIND_SERVICE".to_string()]
        } else {
            spec.cap_add.clone()
        };
        let mut host_config = HostConfig {
            network_mode: Some(network.clone()),
            restart_policy: Some(restart_policy(spec.restart)),
            // Bounded logs, so a chatty app cannot fill the disk.
            log_config: Some(HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: Some(HashMap::from([
                    ("max-size".into(), "10m".into()),
                    ("max-file".into(), "3".into()),
                ])),
            }),
            cap_drop: Some(vec!["ALL".into()]),
            cap_add: Some(cap_add),
            security_opt: Some(vec!["no-new-privileges:true".into()]),
            // A tiny init as PID 1 forwards signals (prompt, clean stops) and reaps zombies.
            init: Some(spec.init.unwrap_or(spec.limits.is_some())),
            binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
            mounts: (!spec.volumes.is_empty()).then(|| {
                spec.volumes
                    .iter()
                    .map(|v| Mount {
                        typ: Some(MountType::VOLUME),
                        source: Some(v.volume.clone()),
                        target: Some(v.target.clone()),
                        read_only: Some(v.read_only),
                        ..Default::default()
                    })
                    .collect()
            }),
            tmpfs: (!spec.tmpfs.is_empty()).then(|| spec.tmpfs.clone()),
            readonly_rootfs: spec.read_only.then_some(true),
            ..Default::default()
        };
        if let Some(limits) = spec.limits {
            host_config.memory = Some(limits.memory_bytes);
            host_config.memory_swap = Some(limits.memory_bytes); // equal: no swap on top
            host_config.nano_cpus = Some(limits.nano_cpus);
            host_config.pids_limit = Some(limits.pids);
        }
        if !spec.publish.is_empty() {
            let bindings = spec
                .publish
                .iter()
                .map(|(port, ip, host_port)| {
                    let binding = PortBinding {
                        host_ip: Some(ip.clone()),
                        host_port: Some(host_port.to_string()),
                    };
                    (format!("{port}/tcp"), Some(vec![binding]))
                })
                .collect();
            host_config.port_bindings = Some(bindings);
        }
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            labels: Some(spec.labels.clone()),
            cmd: spec.cmd.clone(),
            entrypoint: spec.entrypoint.clone(),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            working_dir: spec.working_dir.clone(),
            user: spec.user.clone(),
            healthcheck: spec.healthcheck.as_ref().map(health_config),
            stop_timeout: spec.stop_timeout,
            exposed_ports: (!spec.publish.is_empty()).then(|| {
                spec.publish
                    .iter()
                    .map(|(p, _, _)| format!("{p}/tcp"))
                    .collect()
            }),
            host_config: Some(host_config),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network,
                    EndpointSettings {
                        aliases: (!spec.aliases.is_empty()).then(|| spec.aliases.clone()),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let created = self
            .client
            .create_container(Some(options), body)
            .await
            .map_err(|e| convert(&format!("container {}", spec.name), e))?;
        Ok(created.id)
    }

    pub async fn start_container(&self, id: &str) -> Result<()> {
        match self.client.start_container(id, None).await {
            // 304: already running.
            Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            other => other.map_err(|e| convert(&format!("container {id}"), e)),
        }
    }

    pub async fn stop_container(&self, id: &str, grace_secs: i32) -> Result<()> {
        let options = StopContainerOptionsBuilder::default().t(grace_secs).build();
        match self.client.stop_container(id, Some(options)).await {
            // 304: already stopped.
            Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            other => other.map_err(|e| convert(&format!("container {id}"), e)),
        }
    }

    pub async fn remove_container(&self, id: &str) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(false)
            .build();
        ignore_missing(
            self.client
                .remove_container(id, Some(options))
                .await
                .map_err(|e| convert(&format!("container {id}"), e)),
        )
    }

    pub async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        let c = self
            .client
            .inspect_container(id, None)
            .await
            .map_err(|e| convert(&format!("container {id}"), e))?;
        let state = c.state.unwrap_or_default();
        let addresses = c
            .network_settings
            .and_then(|n| n.networks)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(net, ep)| {
                ep.ip_address
                    .filter(|ip| !ip.is_empty())
                    .map(|ip| (net, ip))
            })
            .collect();
        Ok(ContainerDetails {
            id: c.id.unwrap_or_default(),
            state: state
                .status
                .map(|s| state_of(s.as_ref()))
                .unwrap_or(ContainerState::Other),
            exit_code: state.exit_code,
            restart_count: c.restart_count.unwrap_or(0),
            error: state.error.filter(|e| !e.is_empty()),
            health: state.health.and_then(|h| h.status).and_then(|s| match s {
                HealthStatusEnum::STARTING => Some(Health::Starting),
                HealthStatusEnum::HEALTHY => Some(Health::Healthy),
                HealthStatusEnum::UNHEALTHY => Some(Health::Unhealthy),
                _ => None,
            }),
            addresses,
            labels: c.config.and_then(|c| c.labels).unwrap_or_default(),
        })
    }

    /// Containers (running or not) carrying all of `labels`.
    pub async fn list_containers(&self, labels: &[(&str, &str)]) -> Result<Vec<ContainerSummary>> {
        let filters = label_filter(labels);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_containers(Some(options))
            .await
            .map_err(|e| convert("containers", e))?;
        Ok(list
            .into_iter()
            .map(|c| ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                state: c
                    .state
                    .map(|s| state_of(s.as_ref()))
                    .unwrap_or(ContainerState::Other),
                labels: c.labels.unwrap_or_default(),
                health: c.status.as_deref().and_then(health_in_status),
                exit_code: c.status.as_deref().and_then(exit_code_in_status),
            })
            .collect())
    }

    /// Attaches a container to another network, reachable there under `aliases` too.
    pub async fn connect_network(
        &self,
        container: &str,
        network: &str,
        aliases: &[String],
    ) -> Result<()> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!aliases.is_empty()).then(|| aliases.to_vec()),
                ..Default::default()
            }),
        };
        self.client
            .connect_network(network, request)
            .await
            .map_err(|e| convert(&format!("connecting {container} to {network}"), e))
    }

    /// The last `tail` lines the container printed.
    pub async fn container_logs(&self, id: &str, tail: usize) -> Result<String> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(false)
            .tail(&tail.to_string())
            .build();
        let chunks: Vec<_> = self
            .client
            .logs(id, Some(options))
            .try_collect()
            .await
            .map_err(|e| convert(&format!("logs of {id}"), e))?;
        Ok(chunks
            .iter()
            .map(|c| String::from_utf8_lossy(&c.clone().into_bytes()).into_owned())
            .collect())
    }

    /// Extracts a tar archive into the container's filesystem at `/`.
    pub async fn upload_tar(&self, id: &str, tar: Vec<u8>) -> Result<()> {
        let options = UploadToContainerOptionsBuilder::default().path("/").build();
        self.client
            .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
            .await
            .map_err(|e| convert(&format!("upload into {id}"), e))
    }

    // ---- networks ----

    pub async fn network(&self, name: &str) -> Result<Option<NetworkDetails>> {
        match self.client.inspect_network(name, None).await {
            Ok(n) => {
                let configs = n.ipam.and_then(|i| i.config).unwrap_or_default();
                Ok(Some(NetworkDetails {
                    id: n.id.unwrap_or_default(),
                    subnets: configs.iter().filter_map(|c| c.subnet.clone()).collect(),
                    gateway: configs.iter().find_map(|c| c.gateway.clone()),
                }))
            }
            Err(e) => match convert(&format!("network {name}"), e) {
                RuntimeError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Returns the bridge network `name`, creating it with `labels` if it does not exist.
    pub async fn ensure_network(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<NetworkDetails> {
        let _turn = self.network_creation.lock().await;
        if let Some(existing) = self.network(name).await? {
            return Ok(existing);
        }
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels),
            ..Default::default()
        };
        match self.client.create_network(request).await {
            // Lost a race with another creator: fine, it exists now.
            Ok(_)
            | Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) => {}
            Err(e) => return Err(convert(&format!("network {name}"), e)),
        }
        self.network(name)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("network {name}")))
    }

    /// Creates the bridge network `name` (unless it exists) on the first free /26 of `pool`.
    pub async fn ensure_network_in(
        &self,
        name: &str,
        labels: HashMap<String, String>,
        pool: &Cidr,
    ) -> Result<()> {
        let _turn = self.network_creation.lock().await;
        if self.network(name).await?.is_some() {
            return Ok(());
        }
        let all = self
            .client
            .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
            .await
            .map_err(|e| convert("networks", e))?;
        let mut taken: Vec<Cidr> = all
            .iter()
            .filter_map(|n| n.ipam.as_ref()?.config.as_ref())
            .flatten()
            .filter_map(|c| Cidr::parse(c.subnet.as_deref()?).ok())
            .collect();
        // Another program may take a block between the listing and the creation: try the next.
        for _ in 0..8 {
            let block = subnets::first_free(pool, &taken).ok_or_else(|| {
                RuntimeError::Failed(format!(
                    "no free /{} left in {pool} for network {name}; widen MILKCRATE_STACK_SUBNETS",
                    subnets::BLOCK_PREFIX
                ))
            })?;
            let request = NetworkCreateRequest {
                name: name.to_string(),
                driver: Some("bridge".into()),
                labels: Some(labels.clone()),
                ipam: Some(Ipam {
                    config: Some(vec![IpamConfig {
                        subnet: Some(block.to_string()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            };
            match self.client.create_network(request).await {
                Ok(_) => return Ok(()),
                Err(BollardError::DockerResponseServerError { message, .. })
                    if message.contains("overlap") =>
                {
                    taken.push(block);
                }
                Err(e) => return Err(convert(&format!("network {name}"), e)),
            }
        }
        Err(RuntimeError::Failed(format!(
            "no free subnet found in {pool} for network {name}"
        )))
    }

    pub async fn remove_network(&self, name: &str) -> Result<()> {
        ignore_missing(
            self.client
                .remove_network(name)
                .await
                .map_err(|e| convert(&format!("network {name}"), e)),
        )
    }

    /// The networks carrying all of `labels`.
    pub async fn list_networks(&self, labels: &[(&str, &str)]) -> Result<Vec<NetworkSummary>> {
        let filters = label_filter(labels);
        let options = ListNetworksOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_networks(Some(options))
            .await
            .map_err(|e| convert("networks", e))?;
        Ok(list
            .into_iter()
            .map(|n| NetworkSummary {
                name: n.name.unwrap_or_default(),
                labels: n.labels.unwrap_or_default(),
            })
            .collect())
    }

    // ---- volumes ----

    /// Creates the local volume `name` unless it exists (an existing one keeps its data).
    pub async fn ensure_volume(&self, name: &str, labels: HashMap<String, String>) -> Result<()> {
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: Some("local".into()),
            labels: Some(labels),
            ..Default::default()
        };
        // Creating an existing local volume is a no-op that returns it.
        self.client
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| convert(&format!("volume {name}"), e))
    }

    /// Names of the volumes carrying all of `labels`.
    pub async fn list_volumes(&self, labels: &[(&str, &str)]) -> Result<Vec<String>> {
        let filters = label_filter(labels);
        let options = ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_volumes(Some(options))
            .await
            .map_err(|e| convert("volumes", e))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        let options = RemoveVolumeOptionsBuilder::default().force(false).build();
        ignore_missing(
            self.client
                .remove_volume(name, Some(options))
                .await
                .map_err(|e| convert(&format!("volume {name}"), e)),
        )
    }
}

impl Docker {
    /// Runs `cmd` (argv, no shell) in a running container and collects its output.
    pub async fn exec(&self, container: &str, cmd: Vec<String>) -> Result<ExecOutput> {
        let what = format!("exec in {container}");
        let exec = self
            .client
            .create_exec(
                container,
                ExecConfig {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(cmd),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| convert(&what, e))?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        if let StartExecResults::Attached { mut output, .. } = self
            .client
            .start_exec(&exec.id, None::<StartExecOptions>)
            .await
            .map_err(|e| convert(&what, e))?
        {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(|e| convert(&what, e))? {
                    LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                    LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                    _ => {}
                }
            }
        }
        let inspect = self
            .client
            .inspect_exec(&exec.id)
            .await
            .map_err(|e| convert(&what, e))?;
        Ok(ExecOutput {
            exit_code: inspect.exit_code.unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// Writes the tar archive of `path` in the container into the file `target`.
    pub async fn download_archive(&self, container: &str, path: &str, target: &Path) -> Result<()> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let stream = self
            .client
            .download_from_container(container, Some(options));
        write_stream(stream, target, &format!("reading {path}")).await
    }

    /// Extracts the tar file `tar` into the container at `path` (which must exist), streaming it.
    pub async fn upload_archive(&self, container: &str, path: &str, tar: &Path) -> Result<()> {
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

    /// Writes `image` as a `docker save` tar into `target`.
    pub async fn save_image(&self, image: &str, target: &Path) -> Result<()> {
        let stream = self.client.export_image(image);
        write_stream(stream, target, &format!("saving {image}")).await
    }

    /// Loads images from a `docker save` tar.
    pub async fn load_images(&self, source: &Path) -> Result<()> {
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

    /// Extracts a tar arriving as a stream into the container at `path` (which must exist).
    pub async fn upload_archive_stream(
        &self,
        container: &str,
        path: &str,
        tar: impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
    ) -> Result<()> {
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .build();
        self.client
            .upload_to_container(container, Some(options), bollard::body_try_stream(tar))
            .await
            .map_err(|e| convert(&format!("writing into {path}"), e))
    }

    /// Whether a volume of that name exists.
    pub async fn volume_exists(&self, name: &str) -> Result<bool> {
        match self.client.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(e) => match convert("volume", e) {
                RuntimeError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_and_exit_code_are_read_from_the_status_text() {
        assert_eq!(
            health_in_status("Up 3 seconds (healthy)"),
            Some(Health::Healthy)
        );
        assert_eq!(
            health_in_status("Up 1 second (health: starting)"),
            Some(Health::Starting)
        );
        assert_eq!(
            health_in_status("Up 2 minutes (unhealthy)"),
            Some(Health::Unhealthy)
        );
        assert_eq!(health_in_status("Up 2 minutes"), None);
        assert_eq!(exit_code_in_status("Exited (0) 5 seconds ago"), Some(0));
        assert_eq!(exit_code_in_status("Exited (137) 1 hour ago"), Some(137));
        assert_eq!(exit_code_in_status("Up 2 minutes"), None);
    }

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
}
