//! An in-memory container engine for the domain's unit tests: containers, images, networks and
//! volumes as plain records, and a script of how things behave (a build that fails, an image
//! that cannot be pulled, a container that exits or turns unhealthy, a daemon that is down).
//! Every state-changing call is written to a journal, so tests can assert order.
//!
//! It proves the domain's logic, never that deploying works: that is the real-Docker suite's job.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    sync::Mutex,
};

use async_trait::async_trait;
use futures_util::{StreamExt, stream::BoxStream};
use tokio::sync::broadcast;

use super::{
    Answer, ArchivedImage, Archives, BuildEvent, BuildOptions, ContainerDetails, ContainerSpec,
    ContainerState, ContainerStats, ContainerSummary, Containers, Events, ExecOutput, Health,
    ImageDetails, ImageSummary, Images, LogQuery, NetworkDetails, NetworkSummary, Networks,
    OutputLine, Result, RuntimeError, RuntimeEvent, Selector, StateChange, Volumes, subnets::Cidr,
};

/// How the containers of an image behave once started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    /// Exits with this code right after it starts.
    pub exits_with: Option<i64>,
    /// What its healthcheck reports once it runs.
    pub health: Option<Health>,
    /// Whether it answers HTTP.
    pub answers: bool,
    /// What `container_logs` returns.
    pub output: String,
    /// The status it answers on any path but `/`.
    pub health_status: u16,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            exits_with: None,
            health: None,
            answers: true,
            output: String::new(),
            health_status: 200,
        }
    }
}

impl Behaviour {
    /// A container that exits with `code` as soon as it starts.
    pub fn exits(code: i64, output: &str) -> Self {
        Self {
            exits_with: Some(code),
            answers: false,
            output: output.into(),
            ..Self::default()
        }
    }

    /// A container that runs but never answers HTTP.
    pub fn silent() -> Self {
        Self {
            answers: false,
            ..Self::default()
        }
    }

    /// A running container whose healthcheck reports `health`.
    pub fn health(health: Health) -> Self {
        Self {
            health: Some(health),
            ..Self::default()
        }
    }
}

/// A container as the fake keeps it.
#[derive(Debug, Clone)]
pub struct FakeContainer {
    pub id: String,
    pub spec: ContainerSpec,
    pub state: ContainerState,
    pub exit_code: Option<i64>,
    pub health: Option<Health>,
    /// Networks joined after creation, with the spec's own network first.
    pub networks: Vec<String>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    down: bool,
    down_at_build: bool,
    images: BTreeMap<String, ImageDetails>,
    containers: BTreeMap<String, FakeContainer>,
    networks: BTreeMap<String, (HashMap<String, String>, NetworkDetails)>,
    volumes: BTreeMap<String, HashMap<String, String>>,
    /// Images a pull finds.
    pullable: HashSet<String>,
    /// The details every built image gets.
    built: ImageDetails,
    /// Builds whose tag contains the key fail with the value.
    build_failures: Vec<(String, String)>,
    /// Containers whose image starts with the key behave as the value.
    behaviours: Vec<(String, Behaviour)>,
    journal: Vec<String>,
}

/// The in-memory runtime. Cheap to share behind an `Arc`.
pub struct FakeRuntime {
    state: Mutex<State>,
    events: broadcast::Sender<RuntimeEvent>,
}

impl Default for FakeRuntime {
    fn default() -> Self {
        let (events, _) = broadcast::channel(256);
        Self {
            state: Mutex::new(State::default()),
            events,
        }
    }
}

impl FakeRuntime {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Every call fails as if the daemon could not be reached, until `down(false)`.
    pub fn down(&self, down: bool) {
        self.with(|s| s.down = down);
    }

    /// The daemon goes away as soon as a build begins.
    pub fn down_at_build(&self) {
        self.with(|s| s.down_at_build = true);
    }

    /// Built images expose these ports and carry these labels.
    pub fn builds_expose(&self, ports: &[u16], labels: &[(&str, &str)]) {
        self.with(|s| {
            s.built.exposed_tcp_ports = ports.to_vec();
            s.built.labels = labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        });
    }

    /// Builds of a tag containing `tag_part` fail with `error`.
    pub fn fail_builds(&self, tag_part: &str, error: &str) {
        self.with(|s| s.build_failures.push((tag_part.into(), error.into())));
    }

    /// Containers of images starting with `image_prefix` behave as told (the latest word wins).
    pub fn behave(&self, image_prefix: &str, behaviour: Behaviour) {
        self.with(|s| s.behaviours.insert(0, (image_prefix.into(), behaviour)));
    }

    /// An image a pull can fetch.
    pub fn pullable(&self, image: &str) {
        self.with(|s| s.pullable.insert(image.into()));
    }

    /// An image already present.
    pub fn has_image(&self, image: &str) {
        self.with(|s| s.images.insert(image.into(), ImageDetails::empty(image)));
    }

    /// The state-changing calls so far, as `verb name` lines.
    pub fn journal(&self) -> Vec<String> {
        self.with(|s| s.journal.clone())
    }

    /// Every container, by name.
    pub fn containers(&self) -> BTreeMap<String, FakeContainer> {
        self.with(|s| {
            s.containers
                .values()
                .map(|c| (c.spec.name.clone(), c.clone()))
                .collect()
        })
    }

    pub fn image_tags(&self) -> Vec<String> {
        self.with(|s| s.images.keys().cloned().collect())
    }

    pub fn network_names(&self) -> Vec<String> {
        self.with(|s| s.networks.keys().cloned().collect())
    }

    pub fn volume_names(&self) -> Vec<String> {
        self.with(|s| s.volumes.keys().cloned().collect())
    }

    /// Changes a container behind Milkcrate's back (`docker stop`, a crash, `docker rm`).
    pub fn outside(&self, name: &str, state: Option<ContainerState>) {
        let event = self.with(|s| {
            let id = s
                .containers
                .values()
                .find(|c| c.spec.name == name)?
                .id
                .clone();
            let change = match state {
                None => {
                    let c = s.containers.remove(&id)?;
                    return Some(event_of(&c, StateChange::Removed));
                }
                Some(ContainerState::Running) => StateChange::Started,
                Some(_) => StateChange::Exited(Some(0)),
            };
            let c = s.containers.get_mut(&id)?;
            c.state = state.unwrap_or(ContainerState::Other);
            Some(event_of(c, change))
        });
        if let Some(event) = event {
            let _ = self.events.send(event);
        }
    }

    fn call(&self, line: String) -> Result<()> {
        self.with(|s| {
            if s.down {
                return Err(RuntimeError::Unavailable(format!(
                    "{line}: connection refused"
                )));
            }
            if !line.starts_with("inspect") && !line.starts_with("list") {
                s.journal.push(line);
            }
            Ok(())
        })
    }

    fn find(s: &mut State, id_or_name: &str) -> Option<String> {
        if s.containers.contains_key(id_or_name) {
            return Some(id_or_name.into());
        }
        s.containers
            .values()
            .find(|c| c.spec.name == id_or_name)
            .map(|c| c.id.clone())
    }
}

impl ImageDetails {
    fn empty(id: &str) -> Self {
        Self {
            id: id.into(),
            exposed_tcp_ports: Vec::new(),
            labels: HashMap::new(),
        }
    }
}

/// A container's address on its `i`th network: unique per container and network.
fn address_of(c: &FakeContainer, i: usize) -> String {
    let n: u64 = c.id.trim_start_matches('c').parse().unwrap_or(0);
    format!("10.{i}.{}.{}", n / 250, n % 250 + 1)
}

fn event_of(c: &FakeContainer, change: StateChange) -> RuntimeEvent {
    RuntimeEvent {
        container: c.id.clone(),
        name: c.spec.name.clone(),
        image: c.spec.image.clone(),
        labels: c.spec.labels.clone(),
        change,
    }
}

fn matches(labels: &HashMap<String, String>, selector: Selector<'_>) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.get(*k).is_some_and(|x| x == v))
}

/// `ns/*` matches `ns/app:tag`; `ns/app` matches `ns/app:tag`.
fn reference_matches(reference: &str, tag: &str) -> bool {
    let repo = tag.rsplit_once(':').map_or(tag, |(r, _)| r);
    match reference.strip_suffix("/*") {
        Some(ns) => repo.strip_prefix(ns).is_some_and(|r| r.starts_with('/')),
        None => repo == reference || tag == reference,
    }
}

#[async_trait]
impl Images for FakeRuntime {
    async fn build_image(
        &self,
        _context: &Path,
        tag: &str,
        options: &BuildOptions,
    ) -> Result<BoxStream<'static, BuildEvent>> {
        self.with(|s| s.down |= s.down_at_build);
        self.call(format!("build {tag}"))?;
        let failure = self.with(|s| {
            let failure = s
                .build_failures
                .iter()
                .find(|(part, _)| tag.contains(part.as_str()))
                .map(|(_, e)| e.clone());
            if failure.is_none() {
                let mut built = s.built.clone();
                built.id = format!("sha256:{tag}");
                s.images.insert(tag.into(), built);
            }
            failure
        });
        let mut events = vec![BuildEvent::Output(format!("Step 1/1 : building {tag}\n"))];
        // As Docker's output shows them: build arguments are visible, never secret.
        let args: std::collections::BTreeMap<_, _> = options.args.iter().collect();
        events.extend(
            args.into_iter()
                .map(|(k, v)| BuildEvent::Output(format!(" ---> ARG {k}={v}\n"))),
        );
        events.extend(failure.map(BuildEvent::Error));
        Ok(futures_util::stream::iter(events).boxed())
    }

    async fn image_details(&self, image: &str) -> Result<ImageDetails> {
        self.call(format!("inspect image {image}"))?;
        self.with(|s| s.images.get(image).cloned())
            .ok_or_else(|| RuntimeError::NotFound(format!("image {image}")))
    }

    async fn image_exists(&self, image: &str) -> Result<bool> {
        self.call(format!("inspect image {image}"))?;
        Ok(self.with(|s| s.images.contains_key(image)))
    }

    async fn pull_image(&self, image: &str) -> Result<()> {
        self.call(format!("pull {image}"))?;
        self.with(|s| {
            if s.pullable.contains(image) {
                s.images.insert(image.into(), ImageDetails::empty(image));
                Ok(())
            } else {
                Err(RuntimeError::NotFound(format!(
                    "pulling {image}: pull access denied"
                )))
            }
        })
    }

    async fn list_images(&self, reference: &str) -> Result<Vec<ImageSummary>> {
        self.call(format!("list images {reference}"))?;
        Ok(self.with(|s| {
            s.images
                .iter()
                .filter(|(tag, _)| reference_matches(reference, tag))
                .map(|(tag, d)| ImageSummary {
                    id: d.id.clone(),
                    tags: vec![tag.clone()],
                })
                .collect()
        }))
    }

    async fn remove_image(&self, image: &str) -> Result<()> {
        self.call(format!("remove image {image}"))?;
        self.with(|s| s.images.remove(image));
        Ok(())
    }

    async fn save_image(&self, image: &str, target: &Path) -> Result<()> {
        self.call(format!("save {image}"))?;
        std::fs::write(target, image).map_err(|e| RuntimeError::Failed(e.to_string()))
    }

    async fn archived_images(&self, source: &Path) -> Result<Vec<ArchivedImage>> {
        self.call("inspect archive".into())?;
        let tag =
            std::fs::read_to_string(source).map_err(|e| RuntimeError::Failed(e.to_string()))?;
        Ok(vec![ArchivedImage {
            tags: vec![tag.trim().to_string()],
            labels: HashMap::new(),
        }])
    }

    async fn load_images(&self, source: &Path) -> Result<()> {
        self.call("load images".into())?;
        let tag =
            std::fs::read_to_string(source).map_err(|e| RuntimeError::Failed(e.to_string()))?;
        self.has_image(tag.trim());
        Ok(())
    }
}

#[async_trait]
impl Containers for FakeRuntime {
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        self.call(format!("create {}", spec.name))?;
        self.with(|s| {
            if s.containers.values().any(|c| c.spec.name == spec.name) {
                return Err(RuntimeError::Conflict(format!(
                    "container {}: name in use",
                    spec.name
                )));
            }
            if !s.images.contains_key(&spec.image) {
                return Err(RuntimeError::NotFound(format!("image {}", spec.image)));
            }
            s.next_id += 1;
            let id = format!("c{:04}", s.next_id);
            let container = FakeContainer {
                id: id.clone(),
                spec: spec.clone(),
                state: ContainerState::Created,
                exit_code: None,
                health: None,
                networks: vec![spec.network.clone()],
            };
            s.containers.insert(id.clone(), container);
            Ok(id)
        })
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.call(format!("inspect start {id}"))?;
        let event = self.with(|s| {
            let key = Self::find(s, id)?;
            let behaviour = {
                let image = &s.containers[&key].spec.image;
                s.behaviours
                    .iter()
                    .find(|(prefix, _)| image.starts_with(prefix.as_str()))
                    .map(|(_, b)| b.clone())
                    .unwrap_or_default()
            };
            let name = s.containers[&key].spec.name.clone();
            s.journal.push(format!("start {name}"));
            let c = s.containers.get_mut(&key)?;
            match behaviour.exits_with {
                Some(code) => {
                    c.state = ContainerState::Exited;
                    c.exit_code = Some(code);
                }
                None => {
                    c.state = ContainerState::Running;
                    c.health = behaviour.health;
                }
            }
            Some(event_of(c, StateChange::Started))
        });
        match event {
            Some(event) => {
                let _ = self.events.send(event);
                Ok(())
            }
            None => Err(RuntimeError::NotFound(format!("container {id}"))),
        }
    }

    async fn stop_container(&self, id: &str, grace_secs: i32) -> Result<()> {
        self.call(format!("inspect stop {id}"))?;
        let event = self.with(|s| {
            let key = Self::find(s, id)?;
            let c = s.containers.get_mut(&key)?;
            let line = format!("stop {} {grace_secs}s", c.spec.name);
            if c.state == ContainerState::Running {
                c.state = ContainerState::Exited;
                c.exit_code = Some(0);
            }
            let event = event_of(c, StateChange::Exited(Some(0)));
            s.journal.push(line);
            Some(event)
        });
        match event {
            Some(event) => {
                let _ = self.events.send(event);
                Ok(())
            }
            None => Err(RuntimeError::NotFound(format!("container {id}"))),
        }
    }

    async fn remove_container(&self, id: &str) -> Result<()> {
        self.call(format!("inspect remove {id}"))?;
        let event = self.with(|s| {
            let key = Self::find(s, id)?;
            let c = s.containers.remove(&key)?;
            s.journal.push(format!("remove {}", c.spec.name));
            Some(event_of(&c, StateChange::Removed))
        });
        if let Some(event) = event {
            let _ = self.events.send(event);
        }
        Ok(())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        self.call(format!("inspect {id}"))?;
        self.with(|s| {
            let key = Self::find(s, id)?;
            let c = &s.containers[&key];
            Some(ContainerDetails {
                id: c.id.clone(),
                state: c.state,
                exit_code: c.exit_code,
                restart_count: 0,
                error: None,
                health: c.health,
                addresses: c
                    .networks
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), address_of(c, i)))
                    .collect(),
                labels: c.spec.labels.clone(),
            })
        })
        .ok_or_else(|| RuntimeError::NotFound(format!("container {id}")))
    }

    async fn list_containers(&self, selector: Selector<'_>) -> Result<Vec<ContainerSummary>> {
        self.call("list containers".into())?;
        Ok(self.with(|s| {
            s.containers
                .values()
                .filter(|c| matches(&c.spec.labels, selector))
                .map(|c| ContainerSummary {
                    id: c.id.clone(),
                    name: c.spec.name.clone(),
                    image: c.spec.image.clone(),
                    state: c.state,
                    labels: c.spec.labels.clone(),
                    health: c.health,
                    exit_code: c.exit_code,
                })
                .collect()
        }))
    }

    async fn container_logs(&self, id: &str, _tail: usize) -> Result<String> {
        self.call(format!("inspect logs {id}"))?;
        Ok(self.with(|s| {
            let Some(key) = Self::find(s, id) else {
                return String::new();
            };
            let image = &s.containers[&key].spec.image;
            s.behaviours
                .iter()
                .find(|(prefix, _)| image.starts_with(prefix.as_str()))
                .map(|(_, b)| b.output.clone())
                .unwrap_or_default()
        }))
    }

    async fn output(
        &self,
        id: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, Result<OutputLine>>> {
        let text = self.container_logs(id, query.tail).await?;
        let lines: Vec<Result<OutputLine>> = text
            .lines()
            .map(|line| {
                Ok(OutputLine {
                    stderr: false,
                    at: None,
                    text: line.to_string(),
                })
            })
            .collect();
        let tail = lines.len().saturating_sub(query.tail);
        Ok(futures_util::stream::iter(lines.into_iter().skip(tail)).boxed())
    }

    async fn stats(&self, id: &str) -> Result<ContainerStats> {
        self.call(format!("inspect stats {id}"))?;
        self.with(|s| {
            let key = Self::find(s, id)?;
            let c = &s.containers[&key];
            let limit = c.spec.limits.map_or(0, |l| l.memory_bytes.max(0) as u64);
            let running = c.state == ContainerState::Running;
            Some(ContainerStats {
                memory_bytes: if running { 4 << 20 } else { 0 },
                memory_limit_bytes: limit,
                pids: u64::from(running),
                ..ContainerStats::default()
            })
        })
        .ok_or_else(|| RuntimeError::NotFound(format!("container {id}")))
    }

    async fn exec(&self, id: &str, cmd: Vec<String>) -> Result<ExecOutput> {
        self.call(format!("exec {id} {}", cmd.join(" ")))?;
        Ok(ExecOutput {
            exit_code: 0,
            stdout: String::new(),
            stderr: String::new(),
        })
    }

    async fn exec_lines(
        &self,
        id: &str,
        cmd: Vec<String>,
        _skip: usize,
        _take: usize,
    ) -> Result<(Vec<String>, bool)> {
        self.exec(id, cmd).await?;
        Ok((Vec::new(), false))
    }

    async fn knock_http(&self, address: &str, _port: u16, path: &str) -> Result<Option<Answer>> {
        self.call(format!("inspect http {address}"))?;
        Ok(self.with(|s| {
            let c = s
                .containers
                .values()
                .find(|c| (0..c.networks.len()).any(|i| address_of(c, i) == address))?;
            let behaviour = s
                .behaviours
                .iter()
                .find(|(prefix, _)| c.spec.image.starts_with(prefix.as_str()))
                .map(|(_, b)| b.clone())
                .unwrap_or_default();
            let status = if path == "/" {
                200
            } else {
                behaviour.health_status
            };
            (behaviour.answers && c.state == ContainerState::Running).then_some(Answer {
                status: Some(status),
            })
        }))
    }
}

#[async_trait]
impl Networks for FakeRuntime {
    async fn ensure_network(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<NetworkDetails> {
        self.call(format!("inspect network {name}"))?;
        Ok(self.with(|s| {
            let created = !s.networks.contains_key(name);
            if created {
                s.journal.push(format!("create network {name}"));
            }
            let entry = s.networks.entry(name.into()).or_insert_with(|| {
                let details = NetworkDetails {
                    id: format!("n-{name}"),
                    subnets: vec!["10.200.0.0/24".into()],
                    gateway: Some("10.200.0.1".into()),
                };
                (labels, details)
            });
            entry.1.clone()
        }))
    }

    async fn ensure_network_in(
        &self,
        name: &str,
        labels: HashMap<String, String>,
        _pool: &Cidr,
    ) -> Result<()> {
        self.ensure_network(name, labels).await.map(|_| ())
    }

    async fn connect_network(
        &self,
        container: &str,
        network: &str,
        _aliases: &[String],
    ) -> Result<()> {
        self.call(format!("connect {container} {network}"))?;
        self.with(|s| {
            if !s.networks.contains_key(network) {
                return Err(RuntimeError::NotFound(format!("network {network}")));
            }
            let key = Self::find(s, container)
                .ok_or_else(|| RuntimeError::NotFound(format!("container {container}")))?;
            if let Some(c) = s.containers.get_mut(&key) {
                c.networks.push(network.into());
            }
            Ok(())
        })
    }

    async fn disconnect_network(&self, container: &str, network: &str) -> Result<()> {
        self.call(format!("disconnect {container} {network}"))?;
        self.with(|s| {
            if let Some(key) = Self::find(s, container)
                && let Some(c) = s.containers.get_mut(&key)
            {
                c.networks.retain(|n| n != network);
            }
        });
        Ok(())
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        self.call(format!("remove network {name}"))?;
        self.with(|s| s.networks.remove(name));
        Ok(())
    }

    async fn list_networks(&self, selector: Selector<'_>) -> Result<Vec<NetworkSummary>> {
        self.call("list networks".into())?;
        Ok(self.with(|s| {
            s.networks
                .iter()
                .filter(|(_, (labels, _))| matches(labels, selector))
                .map(|(name, (labels, _))| NetworkSummary {
                    name: name.clone(),
                    labels: labels.clone(),
                })
                .collect()
        }))
    }
}

#[async_trait]
impl Volumes for FakeRuntime {
    async fn ensure_volume(&self, name: &str, labels: HashMap<String, String>) -> Result<()> {
        self.call(format!("inspect volume {name}"))?;
        self.with(|s| {
            if !s.volumes.contains_key(name) {
                s.journal.push(format!("create volume {name}"));
                s.volumes.insert(name.into(), labels);
            }
        });
        Ok(())
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        self.call(format!("inspect volume {name}"))?;
        Ok(self.with(|s| s.volumes.contains_key(name)))
    }

    async fn list_volumes(&self, selector: Selector<'_>) -> Result<Vec<String>> {
        self.call("list volumes".into())?;
        Ok(self.with(|s| {
            s.volumes
                .iter()
                .filter(|(_, labels)| matches(labels, selector))
                .map(|(name, _)| name.clone())
                .collect()
        }))
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.call(format!("remove volume {name}"))?;
        self.with(|s| s.volumes.remove(name));
        Ok(())
    }
}

#[async_trait]
impl Archives for FakeRuntime {
    async fn upload_tar(&self, id: &str, _tar: Vec<u8>) -> Result<()> {
        self.call(format!("upload {id}"))
    }

    async fn upload_archive(&self, id: &str, path: &str, _tar: &Path) -> Result<()> {
        self.call(format!("upload {id} {path}"))
    }

    async fn upload_archive_stream(
        &self,
        id: &str,
        path: &str,
        _tar: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> Result<()> {
        self.call(format!("upload {id} {path}"))
    }

    async fn download_archive(&self, id: &str, path: &str, target: &Path) -> Result<()> {
        self.call(format!("inspect download {id} {path}"))?;
        // As Docker: a container that is not there has nothing to give.
        if self.with(|s| Self::find(s, id)).is_none() {
            return Err(RuntimeError::NotFound(format!("container {id}")));
        }
        std::fs::write(target, b"").map_err(|e| RuntimeError::Failed(e.to_string()))
    }
}

#[async_trait]
impl Events for FakeRuntime {
    async fn ping(&self) -> Result<()> {
        self.call("inspect ping".into())
    }

    async fn events(
        &self,
        selector: Selector<'_>,
    ) -> Result<BoxStream<'static, Result<RuntimeEvent>>> {
        self.call("inspect events".into())?;
        let wanted: Vec<(String, String)> = selector
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let receiver = self.events.subscribe();
        let stream = futures_util::stream::unfold(receiver, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((Ok(event), rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .filter(move |event| {
            let keep = match event {
                Ok(e) => wanted
                    .iter()
                    .all(|(k, v)| e.labels.get(k).is_some_and(|x| x == v)),
                Err(_) => true,
            };
            std::future::ready(keep)
        });
        Ok(stream.boxed())
    }
}
