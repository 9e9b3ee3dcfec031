//! The create request for a container: Milkcrate's spec becomes Docker's options here, so the
//! hardening every app gets (no capabilities but the ones named, no new privileges, bounded
//! logs, limits without swap, an init) is written once.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, HostConfigLogConfig, Mount,
    MountType, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

use crate::runtime::{ContainerSpec, HealthSpec, Restart};

/// Docker's create request for `spec`: every container Milkcrate makes gets its hardening here.
pub(super) fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
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
    ContainerCreateBody {
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
