//! What a deployment runs, decided once, when its source is read: a Dockerfile app is a
//! one-service plan, a compose file a plan of its services (their images, containers, networks,
//! volumes, start order and the routed one). The executor runs any plan the same way; the kind of
//! app is not looked at again.

use std::{collections::HashMap, path::PathBuf};

use serde::{Deserialize, Serialize};

use super::DeployError;
use crate::{
    compose::{self, Service, VolumeSource},
    domain::names::Names,
    runtime::{
        BuildOptions, ContainerLimits, ContainerSpec, HealthSpec, Restart, VolumeMount, labels,
    },
};

/// How long a stopping service gets before it is killed, unless the file says otherwise.
pub const STOP_GRACE_SECS: i32 = 10;
/// The network every service joins when the file names none (Compose's `default`).
const DEFAULT_NETWORK: &str = "default";

/// Everything one deployment creates and runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// In start order.
    pub services: Vec<ServicePlan>,
    /// The service the proxy routes to.
    pub main: String,
    /// The routed port; `None`: read from the main image (`pick_port`).
    pub port: Option<u16>,
    /// Networks of the deployment's own (Docker name → the file's name); a Dockerfile app has
    /// none and joins only the proxy's.
    pub networks: Vec<(String, String)>,
    /// The app's own volumes to make sure of (Docker name → the file's name).
    pub volumes: Vec<(String, String)>,
    /// Some service writes to a volume: the new version replaces the running one instead of
    /// overlapping with it, so two versions never write the same files.
    pub writes_volumes: bool,
    /// What the deployment records to start and stop it later; `None` for a Dockerfile app (its
    /// record has always been empty, and `Topology::single` stands for it).
    pub recorded: Option<Topology>,
    /// Readiness wants a 2xx/3xx on this path of the main service; `None`: any reply.
    pub health_path: Option<String>,
}

impl Plan {
    /// Whether running it builds an image (and so needs a build slot).
    pub fn builds(&self) -> bool {
        self.services
            .iter()
            .any(|s| matches!(s.image, ImageSource::Build { .. }))
    }
}

/// One service: where its image comes from and the container to create from it.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub name: String,
    pub image: ImageSource,
    /// The container, but for its image (known once built) and, on the main service, the
    /// routing labels (they need the port).
    pub spec: ContainerSpec,
    /// Networks joined after the first (Docker names).
    pub more_networks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// Built from `context` (relative to the upload) and tagged `tag`.
    Build {
        context: PathBuf,
        options: BuildOptions,
        tag: String,
    },
    /// A named image, pulled when missing.
    Named(String),
    /// An image an earlier release built (a configuration release or a rollback runs it).
    Built(String),
}

/// What a deployment records (JSON, on the row): its services in start order with what each
/// waits for, so start and stop need nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// The routed service.
    pub main: String,
    /// In start order.
    pub services: Vec<PlannedService>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedService {
    pub name: String,
    pub depends_on: Vec<(String, Wait)>,
    /// Another service waits for it to complete: it runs once and is not restarted.
    pub one_shot: bool,
    /// Seconds it gets to stop.
    pub stop_grace_secs: i32,
}

/// What a dependent service waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    Started,
    Healthy,
    Completed,
}

impl Topology {
    /// A Dockerfile app: one container, known by no service name.
    pub fn single() -> Self {
        Self {
            main: String::new(),
            services: vec![PlannedService {
                name: String::new(),
                depends_on: Vec::new(),
                one_shot: false,
                stop_grace_secs: STOP_GRACE_SECS,
            }],
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a topology always serializes")
    }

    /// The topology recorded on a deployment; a Dockerfile app's (empty record) is `single`.
    pub fn of_record(record: Option<&str>) -> Self {
        Self::from_record(record).unwrap_or_else(Self::single)
    }

    /// The recorded topology of a stack; `None` for a Dockerfile app (and unreadable records).
    pub fn from_record(record: Option<&str>) -> Option<Self> {
        record.and_then(|json| serde_json::from_str(json).ok())
    }

    fn of(stack: &compose::Stack) -> Self {
        let one_shot = |name: &str| {
            stack.services.iter().any(|s| {
                s.depends_on
                    .iter()
                    .any(|(d, c)| d == name && *c == compose::Condition::CompletedSuccessfully)
            })
        };
        Self {
            main: stack.main_service.clone(),
            services: stack
                .services
                .iter()
                .map(|s| PlannedService {
                    name: s.name.clone(),
                    depends_on: s
                        .depends_on
                        .iter()
                        .map(|(d, c)| {
                            let wait = match c {
                                compose::Condition::Started => Wait::Started,
                                compose::Condition::Healthy => Wait::Healthy,
                                compose::Condition::CompletedSuccessfully => Wait::Completed,
                            };
                            (d.clone(), wait)
                        })
                        .collect(),
                    one_shot: one_shot(&s.name),
                    stop_grace_secs: s.stop_grace_period.map_or(STOP_GRACE_SECS, |d| {
                        i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
                    }),
                })
                .collect(),
        }
    }
}

/// The app a plan is made for.
pub struct Target<'a> {
    pub app: &'a str,
    pub deployment: i64,
    pub limits: ContainerLimits,
    /// Managed volumes the admin mounts into the app (into a stack's main service).
    pub mounts: Vec<VolumeMount>,
    /// The network the routed service shares with the proxy.
    pub edge_network: String,
    /// The app's variables in the clear (a stack: its main service's).
    pub env: Vec<(String, String)>,
    /// For builds from the upload (a Dockerfile app's `ARG`s).
    pub build_args: Vec<(String, String)>,
    /// The release whose images to run instead of building; `None`: build.
    pub built_by: Option<i64>,
    pub health_path: Option<String>,
}

fn env_lines(env: &[(String, String)]) -> impl Iterator<Item = String> + '_ {
    env.iter().map(|(k, v)| format!("{k}={v}"))
}

/// A Dockerfile app: its image built from the whole upload, one hardened container on the
/// app's edge network.
pub fn dockerfile(names: &Names, target: &Target<'_>) -> Plan {
    let (app, id) = (target.app, target.deployment);
    let spec = ContainerSpec {
        name: names.container(app, id),
        labels: labels::ownership(names.instance(), app, id),
        network: target.edge_network.clone(),
        limits: Some(target.limits),
        volumes: target.mounts.clone(),
        env: env_lines(&target.env).collect(),
        ..Default::default()
    };
    let image = match target.built_by {
        Some(built_by) => ImageSource::Built(names.image(app, built_by)),
        None => ImageSource::Build {
            context: PathBuf::new(),
            options: BuildOptions {
                args: target.build_args.iter().cloned().collect(),
                ..BuildOptions::default()
            },
            tag: names.image(app, id),
        },
    };
    Plan {
        services: vec![ServicePlan {
            name: String::new(),
            image,
            spec,
            more_networks: Vec::new(),
        }],
        main: String::new(),
        port: None,
        networks: Vec::new(),
        volumes: Vec::new(),
        writes_volumes: target.mounts.iter().any(|m| !m.read_only),
        recorded: None,
        health_path: target.health_path.clone(),
    }
}

/// A checked compose file: a network per file network (per deployment), the app's volumes, one
/// hardened container per service; only the main service joins the app's edge network.
pub fn stack(
    names: &Names,
    target: &Target<'_>,
    stack: &compose::Stack,
) -> Result<Plan, DeployError> {
    let (app, id) = (target.app, target.deployment);
    let topology = Topology::of(stack);
    let networks: HashMap<&str, String> = std::iter::once(DEFAULT_NETWORK)
        .chain(stack.networks.iter().map(String::as_str))
        .map(|n| (n, names.stack_network(app, id, n)))
        .collect();
    let mut services = Vec::new();
    for service in &stack.services {
        let is_main = service.name == stack.main_service;
        let mounts = if is_main {
            target.mounts.clone()
        } else {
            Vec::new()
        };
        if let Some(clash) = mounts
            .iter()
            .find(|m| service.volumes.iter().any(|v| v.target == m.target))
        {
            return Err(DeployError::Refused(format!(
                "the app mounts a volume at {} in `{}`, where the compose file mounts one already; choose another path",
                clash.target, service.name
            )));
        }
        let joined: Vec<String> = service
            .networks
            .iter()
            .filter_map(|n| networks.get(n.as_str()).cloned())
            .collect();
        let Some((first, others)) = joined.split_first() else {
            return Err(DeployError::Refused(format!(
                "service `{}` joins no network",
                service.name
            )));
        };
        let one_shot = topology
            .services
            .iter()
            .any(|s| s.name == service.name && s.one_shot);
        let mut spec = service_spec(names, app, id, service, one_shot, mounts);
        spec.network = first.clone();
        if is_main {
            spec.env.extend(env_lines(&target.env));
        } else {
            spec.labels.insert("traefik.enable".into(), "false".into());
        }
        let image = match (service_image(names, app, id, service)?, target.built_by) {
            (ImageSource::Build { .. }, Some(built_by)) => {
                ImageSource::Built(names.service_image(app, built_by, &service.name))
            }
            (image, _) => image,
        };
        services.push(ServicePlan {
            name: service.name.clone(),
            image,
            spec,
            more_networks: others.to_vec(),
        });
    }
    let writes_volumes = services
        .iter()
        .any(|s| s.spec.volumes.iter().any(|v| !v.read_only));
    let mut networks: Vec<(String, String)> = networks
        .into_iter()
        .map(|(file, docker)| (docker, file.to_string()))
        .collect();
    networks.sort();
    Ok(Plan {
        services,
        main: stack.main_service.clone(),
        port: Some(stack.main_port),
        networks,
        volumes: stack
            .volumes
            .iter()
            .map(|v| (names.app_volume(app, v), v.clone()))
            .collect(),
        writes_volumes,
        recorded: Some(topology),
        health_path: target.health_path.clone(),
    })
}

fn service_image(
    names: &Names,
    app: &str,
    id: i64,
    service: &Service,
) -> Result<ImageSource, DeployError> {
    match (&service.build, &service.image) {
        (Some(build), _) => Ok(ImageSource::Build {
            context: PathBuf::from(&build.context),
            options: BuildOptions {
                dockerfile: build.dockerfile.clone(),
                args: build.args.clone().into_iter().collect(),
                target: build.target.clone(),
                limits: None,
            },
            tag: names.service_image(app, id, &service.name),
        }),
        (None, Some(image)) => Ok(ImageSource::Named(image.clone())),
        (None, None) => Err(DeployError::Refused(format!(
            "service `{}` has neither `image` nor `build`",
            service.name
        ))),
    }
}

/// The container of a compose service, as the file and the policy allow it.
fn service_spec(
    names: &Names,
    app: &str,
    id: i64,
    service: &Service,
    one_shot: bool,
    mounts: Vec<VolumeMount>,
) -> ContainerSpec {
    let mut container_labels: HashMap<String, String> =
        service.labels.clone().into_iter().collect();
    container_labels.extend(labels::ownership(names.instance(), app, id));
    container_labels.insert(labels::SERVICE.into(), service.name.clone());
    container_labels.extend(labels::compose_service(app, &service.name));
    ContainerSpec {
        name: names.service_container(app, id, &service.name),
        labels: container_labels,
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        aliases: vec![service.name.clone()],
        limits: Some(ContainerLimits {
            memory_bytes: service.memory_bytes,
            nano_cpus: service.nano_cpus,
            pids: service.pids,
        }),
        env: service
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        working_dir: service.working_dir.clone(),
        user: service.user.clone(),
        healthcheck: service.healthcheck.as_ref().map(|h| HealthSpec {
            test: h.test.clone(),
            interval: h.interval,
            timeout: h.timeout,
            start_period: h.start_period,
            start_interval: h.start_interval,
            retries: h.retries,
        }),
        tmpfs: service
            .tmpfs
            .iter()
            .map(|t| match t.split_once(':') {
                Some((path, options)) => (path.to_string(), options.to_string()),
                None => (t.clone(), String::new()),
            })
            .collect(),
        read_only: service.read_only,
        init: Some(service.init.unwrap_or(true)),
        stop_timeout: service
            .stop_grace_period
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        restart: Some(restart_policy(service.restart.as_deref(), one_shot)),
        volumes: service
            .volumes
            .iter()
            .map(|v| VolumeMount {
                volume: match &v.source {
                    VolumeSource::Named(name) => names.app_volume(app, name),
                    VolumeSource::Managed(name) => names.managed_volume(name),
                },
                target: v.target.clone(),
                read_only: v.read_only,
            })
            .chain(mounts)
            .collect(),
        ..Default::default()
    }
}

/// The file's `restart`, else `unless-stopped` (apps come back after a reboot); a one-shot job
/// another service waits for defaults to `no`, so it is not run again and again.
fn restart_policy(restart: Option<&str>, one_shot: bool) -> Restart {
    match restart {
        Some("no") => Restart::No,
        Some("always") => Restart::Always,
        Some("unless-stopped") => Restart::UnlessStopped,
        Some(on_failure) if on_failure.starts_with("on-failure") => Restart::OnFailure(
            on_failure
                .strip_prefix("on-failure:")
                .and_then(|n| n.parse().ok()),
        ),
        _ if one_shot => Restart::No,
        _ => Restart::UnlessStopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_follows_the_file_and_one_shot_jobs_run_once() {
        assert_eq!(restart_policy(None, false), Restart::UnlessStopped);
        assert_eq!(restart_policy(None, true), Restart::No);
        assert_eq!(restart_policy(Some("always"), true), Restart::Always);
        assert_eq!(
            restart_policy(Some("on-failure:3"), false),
            Restart::OnFailure(Some(3))
        );
        assert_eq!(
            restart_policy(Some("on-failure"), false),
            Restart::OnFailure(None)
        );
        assert_eq!(restart_policy(Some("no"), false), Restart::No);
    }

    #[test]
    fn a_topology_survives_its_record_and_a_dockerfile_app_is_a_single_service() {
        let topology = Topology {
            main: "web".into(),
            services: vec![PlannedService {
                name: "web".into(),
                depends_on: vec![("db".into(), Wait::Healthy)],
                one_shot: false,
                stop_grace_secs: 10,
            }],
        };
        assert_eq!(
            Topology::from_record(Some(&topology.to_json())),
            Some(topology)
        );
        assert_eq!(Topology::from_record(None), None);
        assert_eq!(Topology::of_record(None), Topology::single());
    }

    #[test]
    fn a_dockerfile_plan_is_one_routed_container_on_the_apps_edge_network() {
        let names = Names::new("mc");
        let target = Target {
            app: "blog",
            deployment: 7,
            limits: ContainerLimits {
                memory_bytes: 1,
                nano_cpus: 2,
                pids: 3,
            },
            mounts: vec![VolumeMount {
                volume: "mc.files".into(),
                target: "/data".into(),
                read_only: false,
            }],
            edge_network: "mc_blog_edge".into(),
            env: vec![("GREETING".into(), "hi".into())],
            build_args: Vec::new(),
            built_by: None,
            health_path: None,
        };
        let plan = dockerfile(&names, &target);
        assert_eq!(plan.services.len(), 1);
        let service = &plan.services[0];
        assert_eq!(service.spec.name, "mc-blog-7");
        assert_eq!(service.spec.network, "mc_blog_edge");
        assert_eq!(
            service.image,
            ImageSource::Build {
                context: PathBuf::new(),
                options: BuildOptions::default(),
                tag: "mc/blog:7".into()
            }
        );
        assert!(
            plan.writes_volumes,
            "a writable mount replaces, not overlaps"
        );
        assert!(plan.networks.is_empty() && plan.recorded.is_none());
        assert_eq!(service.spec.env, vec!["GREETING=hi"]);
        assert!(plan.builds());
        let rerun = dockerfile(
            &names,
            &Target {
                built_by: Some(5),
                ..target
            },
        );
        assert_eq!(
            rerun.services[0].image,
            ImageSource::Built("mc/blog:5".into()),
            "a configuration release runs the image release 5 built"
        );
        assert!(!rerun.builds());
    }
}
