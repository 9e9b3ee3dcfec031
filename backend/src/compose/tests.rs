use std::{collections::BTreeMap, fs, path::PathBuf, time::Duration};

use tempfile::TempDir;

use super::{
    Build, Caps, Condition, Healthcheck, Problem, Service, Stack, VolumeMount, VolumeSource,
    interpolate::{Budget, Lookup, interpolate, parse_env_file},
    load,
    model::{ServiceFile, VolumeMap, fields_of},
    parse::{parse_bytes, parse_cpus, parse_duration, path_order, split_command},
};

const MIB: i64 = 1024 * 1024;

const CAPS: Caps = Caps {
    memory_bytes: 512 * MIB,
    nano_cpus: 1_000_000_000,
    pids: 100,
    max_services: 50,
    max_networks: 10,
};

/// An app folder holding `compose.yaml` and `files`.
fn app(yaml: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    dir
}

fn load_with(yaml: &str, files: &[(&str, &str)]) -> Result<Stack, Vec<Problem>> {
    let dir = app(yaml, files);
    load(
        dir.path(),
        "compose.yaml",
        &CAPS,
        &["shared-data".to_string()],
        &Default::default(),
    )
}

fn ok(yaml: &str) -> Stack {
    ok_with(yaml, &[])
}

fn ok_with(yaml: &str, files: &[(&str, &str)]) -> Stack {
    match load_with(yaml, files) {
        Ok(stack) => stack,
        Err(problems) => panic!("unexpected problems: {problems:#?}"),
    }
}

fn problems(yaml: &str) -> Vec<Problem> {
    problems_with(yaml, &[])
}

fn problems_with(yaml: &str, files: &[(&str, &str)]) -> Vec<Problem> {
    match load_with(yaml, files) {
        Ok(stack) => panic!("expected problems, got {stack:#?}"),
        Err(problems) => problems,
    }
}

/// The file has a problem at exactly `path` whose message contains `message`.
#[track_caller]
fn assert_problem(yaml: &str, path: &str, message: &str) {
    assert_problem_in(&problems(yaml), path, message);
}

#[track_caller]
fn assert_problem_in(problems: &[Problem], path: &str, message: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p.path == path && p.message.contains(message)),
        "no problem at `{path}` containing `{message}` in {problems:#?}"
    );
}

/// A one-service file with `extra` (indented for the service) added to a valid `web`, which
/// exposes a port unless `extra` speaks of ports or the main label (so that it is the main
/// service).
fn web(extra: &str) -> String {
    let mut extra: String = extra.lines().map(|l| format!("    {l}\n")).collect();
    if !["ports", "expose", "milkcrate.main_service"]
        .iter()
        .any(|key| extra.contains(key))
    {
        extra.push_str("    expose: [\"80\"]\n");
    }
    format!("services:\n  web:\n    image: nginx\n{extra}")
}

fn web_service(extra: &str) -> Service {
    ok(&web(extra)).services.remove(0)
}

// ---- rejected keys ----

#[test]
fn privileged_is_rejected() {
    assert_problem(
        &web("privileged: true"),
        "services.web.privileged",
        "privileged containers are not allowed",
    );
    ok(&web("privileged: false"));
}

#[test]
fn cap_add_beyond_net_bind_service_is_rejected() {
    let found = problems(&web(
        "cap_add: [NET_BIND_SERVICE, SYS_ADMIN, CAP_NET_BIND_SERVICE, ALL]",
    ));
    assert_problem_in(
        &found,
        "services.web.cap_add[1]",
        "`SYS_ADMIN` is not allowed",
    );
    assert_problem_in(&found, "services.web.cap_add[3]", "`ALL` is not allowed");
    assert_eq!(found.len(), 2, "{found:#?}");
    ok(&web("cap_add: [NET_BIND_SERVICE, CAP_NET_BIND_SERVICE]"));
    ok(&web("cap_drop: [ALL]"));
}

#[test]
fn devices_are_rejected() {
    assert_problem(
        &web("devices: [\"/dev/sda:/dev/sda\"]"),
        "services.web.devices",
        "host devices are not allowed",
    );
}

#[test]
fn network_mode_is_rejected_whatever_its_value() {
    for mode in ["host", "none", "bridge", "service:db", "container:abc"] {
        assert_problem(
            &web(&format!("network_mode: \"{mode}\"")),
            "services.web.network_mode",
            "`network_mode` is not allowed",
        );
    }
}

#[test]
fn pid_is_rejected() {
    assert_problem(
        &web("pid: host"),
        "services.web.pid",
        "process namespace (`pid`) is not allowed",
    );
}

#[test]
fn ipc_uts_userns_host_and_container_are_rejected() {
    assert_problem(
        &web("ipc: host"),
        "services.web.ipc",
        "host's IPC namespace",
    );
    assert_problem(
        &web("ipc: \"container:other\""),
        "services.web.ipc",
        "another container's IPC namespace",
    );
    assert_problem(
        &web("uts: host"),
        "services.web.uts",
        "host's UTS namespace",
    );
    assert_problem(
        &web("userns_mode: host"),
        "services.web.userns_mode",
        "host's user namespace",
    );
    assert_problem(
        &web("userns_mode: \"container:x\""),
        "services.web.userns_mode",
        "another container's user namespace",
    );
    ok(&web("ipc: private"));
    ok(&web("ipc: shareable"));
}

#[test]
fn unconfined_security_options_are_rejected() {
    let found = problems(&web(
        "security_opt:\n  - no-new-privileges:true\n  - seccomp:unconfined\n  - \
         apparmor:unconfined\n  - apparmor=unconfined\n  - label:disable\n  - label=disable\n  \
         - systempaths=unconfined\n  - no-new-privileges",
    ));
    for i in [1, 2, 3, 6] {
        assert_problem_in(
            &found,
            &format!("services.web.security_opt[{i}]"),
            "turns off a security profile",
        );
    }
    for i in [4, 5] {
        assert_problem_in(
            &found,
            &format!("services.web.security_opt[{i}]"),
            "turns off SELinux labelling",
        );
    }
    assert_eq!(found.len(), 6, "{found:#?}");
    ok(&web(
        "security_opt: [\"no-new-privileges:true\", no-new-privileges=true]",
    ));
    assert_problem(
        &web("security_opt: [\"no-new-privileges:false\"]"),
        "services.web.security_opt[0]",
        "every container runs with no-new-privileges",
    );
}

#[test]
fn sysctls_are_rejected() {
    assert_problem(
        &web("sysctls:\n  net.core.somaxconn: 1024"),
        "services.web.sysctls",
        "kernel parameters (`sysctls`) are not allowed",
    );
}

#[test]
fn cgroup_parent_is_rejected() {
    assert_problem(
        &web("cgroup_parent: m-executor-abcd"),
        "services.web.cgroup_parent",
        "`cgroup_parent` is not allowed",
    );
}

#[test]
fn bind_mounts_of_host_paths_are_rejected() {
    let found = problems(&web(
        "volumes:\n  - ./x:/y\n  - ~/x:/z\n  - /etc:/host-etc:ro\n  - type: bind\n    source: \
         ./data\n    target: /data",
    ));
    for i in 0..4 {
        assert_problem_in(
            &found,
            &format!("services.web.volumes[{i}]"),
            "bind mounts of host paths",
        );
    }
}

#[test]
fn the_docker_socket_gets_its_own_message() {
    let found = problems(&web(
        "volumes:\n  - /var/run/docker.sock:/var/run/docker.sock\n  - /var/run:/host-run\n  - \
         type: bind\n    source: /run/docker.sock\n    target: /docker.sock\n  - /:/host",
    ));
    for i in 0..4 {
        assert_problem_in(
            &found,
            &format!("services.web.volumes[{i}]"),
            "mounting the Docker socket",
        );
    }
}

#[test]
fn anonymous_volumes_and_tmpfs_in_volumes_are_rejected() {
    let found = problems(&web(
        "volumes:\n  - /data\n  - type: tmpfs\n    target: /cache\n  - type: volume\n    target: \
         /x\n  - type: npipe\n    source: a\n    target: /b\n  - source: data\n    target: /c",
    ));
    assert_problem_in(&found, "services.web.volumes[0]", "anonymous volumes");
    assert_problem_in(&found, "services.web.volumes[1]", "`tmpfs` key");
    assert_problem_in(&found, "services.web.volumes[2]", "anonymous volumes");
    assert_problem_in(
        &found,
        "services.web.volumes[3].type",
        "`npipe` is not supported",
    );
    assert_problem_in(&found, "services.web.volumes[4]", "`type` is required");
}

#[test]
fn top_level_volume_driver_options_external_and_names_are_rejected() {
    let found = problems(&format!(
        "{}volumes:\n  data:\n    driver_opts:\n      type: none\n      o: bind\n      device: \
         /\n  ext:\n    external: true\n  named:\n    name: other-app_data\n  nfs:\n    driver: \
         nfs\n  fine:\n    driver: local\n",
        web("")
    ));
    assert_problem_in(
        &found,
        "volumes.data.driver_opts",
        "driver options are not allowed",
    );
    assert_problem_in(
        &found,
        "volumes.ext.external",
        "external volumes are not allowed",
    );
    assert_problem_in(&found, "volumes.named.name", "custom volume names");
    assert_problem_in(&found, "volumes.nfs.driver", "`nfs` is not allowed");
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn external_networks_and_other_drivers_are_rejected() {
    let found = problems(&format!(
        "{}networks:\n  outside:\n    external: true\n  mesh:\n    driver: overlay\n  opts:\n    \
         driver_opts:\n      a: b\n  fine:\n    driver: bridge\n",
        web("")
    ));
    assert_problem_in(&found, "networks.outside.external", "external networks");
    assert_problem_in(&found, "networks.mesh.driver", "`overlay` is not allowed");
    assert_problem_in(&found, "networks.opts.driver_opts", "driver options");
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn extends_is_rejected() {
    assert_problem(
        &web("extends:\n  file: common.yml\n  service: base"),
        "services.web.extends",
        "`extends` is not supported",
    );
}

#[test]
fn include_is_rejected() {
    assert_problem(
        &format!("include:\n  - other.yaml\n{}", web("")),
        "include",
        "`include` is not supported",
    );
}

#[test]
fn build_contexts_outside_the_zip_are_rejected() {
    let service = |build: &str| format!("services:\n  web:\n    build: {build}\n");
    assert_problem(&service("/srv/app"), "services.web.build", "absolute path");
    assert_problem(&service("../other"), "services.web.build", "leaves the ZIP");
    assert_problem(&service("~/app"), "services.web.build", "home folder");
    assert_problem(
        &service("{context: \"https://github.com/x/y.git#main\"}"),
        "services.web.build.context",
        "remote build context",
    );
    assert_problem(
        &service("{context: \"git@github.com:x/y.git\"}"),
        "services.web.build.context",
        "remote build context",
    );
    assert_problem(
        &service("{context: ./web/../../x}"),
        "services.web.build.context",
        "leaves the ZIP",
    );
    let found = problems_with(
        &service("{context: web, dockerfile: ../Dockerfile}"),
        &[("web/x", ""), ("Dockerfile", "")],
    );
    assert_problem_in(
        &found,
        "services.web.build.dockerfile",
        "inside the build context",
    );
    assert_problem(
        &service("{dockerfile: /etc/Dockerfile}"),
        "services.web.build.dockerfile",
        "inside the build context",
    );
}

#[test]
fn build_contexts_and_dockerfiles_must_exist() {
    let found = problems("services:\n  web:\n    build: ./missing\n");
    assert_problem_in(&found, "services.web.build", "is not a folder in the ZIP");
    let found = problems_with("services:\n  web:\n    build: web\n", &[("web/app.py", "")]);
    assert_problem_in(&found, "services.web.build", "`Dockerfile` is not a file");
    let found = problems_with(
        "services:\n  web:\n    build:\n      context: web\n      dockerfile: Nope\n",
        &[("web/Dockerfile", "FROM scratch\n")],
    );
    assert_problem_in(
        &found,
        "services.web.build.dockerfile",
        "`Nope` is not a file",
    );
}

#[test]
fn env_files_outside_the_zip_are_rejected() {
    assert_problem(
        &web("env_file: ../secrets.env"),
        "services.web.env_file",
        "leaves the ZIP",
    );
    assert_problem(
        &web("env_file:\n  - /etc/passwd"),
        "services.web.env_file[0]",
        "absolute path",
    );
    assert_problem(
        &web("env_file: [missing.env]"),
        "services.web.env_file[0]",
        "`missing.env` is not in the ZIP",
    );
    ok(&web(
        "env_file:\n  - path: missing.env\n    required: false",
    ));
}

#[test]
fn reserved_labels_are_rejected() {
    let found = problems(&web(
        "labels:\n  traefik.enable: \"true\"\n  milkcrate.app: other\n  \
         com.docker.compose.project: x\n  Traefik.Http.Routers.x.rule: Host(`a`)\n  fine: yes",
    ));
    assert_problem_in(
        &found,
        "services.web.labels.traefik.enable",
        "`traefik.` are reserved",
    );
    assert_problem_in(
        &found,
        "services.web.labels.milkcrate.app",
        "`milkcrate.` are reserved",
    );
    assert_problem_in(
        &found,
        "services.web.labels.com.docker.compose.project",
        "`com.docker.compose.` are reserved",
    );
    assert_problem_in(
        &found,
        "services.web.labels.Traefik.Http.Routers.x.rule",
        "`traefik.` are reserved",
    );
    assert_eq!(found.len(), 4, "{found:#?}");
    assert_problem(
        &web("labels:\n  - a=b\n  - traefik.http.routers.x.rule=Host(`evil.com`)"),
        "services.web.labels[1]",
        "`traefik.` are reserved",
    );
}

#[test]
fn published_ports_are_rewritten_not_rejected() {
    let stack = ok(&web(
        "ports:\n  - \"0.0.0.0:80:8080\"\n  - 127.0.0.1:9000:9001",
    ));
    assert_eq!(stack.main_port, 8080);
    assert!(stack.services[0].exposes_port);
}

#[test]
fn unknown_keys_are_rejected_with_their_paths() {
    let found = problems(&format!(
        "secrets:\n  s:\n    file: ./s\n{}",
        web(
            "hostname: box\nbuild:\n  context: .\n  ssh: [default]\ndeploy:\n  replicas: 2\n  \
             resources:\n    limits:\n      memory: 100m\n    reservations:\n      cpus: \
             \"1\"\nhealthcheck:\n  test: [\"NONE\"]\n  foo: 1\nports:\n  - target: 80\n    \
             extra: 1\nvolumes:\n  - type: volume\n    source: shared-data\n    target: /d\n    \
             volume:\n      subpath: x\ndepends_on:\n  web2:\n    condition: service_started\n    \
             restart: true\nnetworks:\n  default:\n    aliases: [a]"
        )
    ));
    for path in [
        "secrets",
        "services.web.hostname",
        "services.web.build.ssh",
        "services.web.deploy.replicas",
        "services.web.deploy.resources.reservations",
        "services.web.healthcheck.foo",
        "services.web.ports[0].extra",
        "services.web.volumes[0].volume.subpath",
        "services.web.depends_on.web2.restart",
        "services.web.networks.default.aliases",
    ] {
        assert_problem_in(&found, path, "unsupported key");
    }
}

#[test]
fn version_name_and_extension_keys_are_ignored() {
    let stack = ok(
        "version: \"3.9\"\nname: whatever\nx-common: &common\n  image: \
                    nginx\n  restart: always\nservices:\n  web:\n    <<: *common\n    \
                    x-note: ${UNSET:?never evaluated}\n    ports: [\"80\"]\n",
    );
    assert_eq!(stack.services[0].image.as_deref(), Some("nginx"));
    assert_eq!(stack.services[0].restart.as_deref(), Some("always"));
    assert_eq!(stack.main_port, 80);
}

#[test]
fn a_service_needs_an_image_or_a_build() {
    assert_problem(
        "services:\n  web:\n    command: [sh]\n",
        "services.web",
        "needs `image` or `build`",
    );
    assert_problem(
        "services:\n  web:\n    image: \"\"\n",
        "services.web.image",
        "empty",
    );
}

#[test]
fn depends_on_must_name_services_without_cycles() {
    assert_problem(
        &web("depends_on: [ghost]"),
        "services.web.depends_on[0]",
        "unknown service `ghost`",
    );
    assert_problem(
        &web("depends_on:\n  ghost:\n    condition: service_healthy"),
        "services.web.depends_on.ghost",
        "unknown service `ghost`",
    );
    assert_problem(
        &web("depends_on:\n  web:\n    condition: service_whenever"),
        "services.web.depends_on.web.condition",
        "unknown condition",
    );
    let cycle = "services:\n  web:\n    image: a\n    ports: [80]\n    depends_on: [c]\n  b:\n    \
                 image: b\n    depends_on: [web]\n  c:\n    image: c\n    depends_on: [b]\n  \
                 lone:\n    image: d\n    depends_on: [lone]\n";
    let found = problems(cycle);
    assert_problem_in(
        &found,
        "services.web.depends_on",
        "dependency cycle: web → c → b → web",
    );
    assert_problem_in(
        &found,
        "services.lone.depends_on",
        "dependency cycle: lone → lone",
    );
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[test]
fn service_healthy_needs_a_healthcheck_that_is_not_disabled() {
    assert_problem(
        "services:\n  web:\n    image: a\n    depends_on:\n      db:\n        condition: \
         service_healthy\n  db:\n    image: b\n    healthcheck:\n      disable: true\n",
        "services.web.depends_on.db",
        "healthcheck disabled",
    );
}

#[test]
fn volumes_must_be_declared_or_managed() {
    assert_problem(
        &web("volumes: [\"stray:/data\"]"),
        "services.web.volumes[0]",
        "volume `stray` is neither declared",
    );
    let service = web_service("volumes:\n  - shared-data:/shared:ro");
    assert_eq!(
        service.volumes,
        vec![VolumeMount {
            source: VolumeSource::Managed("shared-data".into()),
            target: "/shared".into(),
            read_only: true,
        }]
    );
    // A declared volume wins over a managed one of the same name.
    let stack = ok(&format!(
        "{}volumes:\n  shared-data:\n",
        web(
            "volumes:\n  - type: volume\n    source: shared-data\n    target: /s/\n    \
             read_only: false"
        )
    ));
    assert_eq!(
        stack.services[0].volumes[0].source,
        VolumeSource::Named("shared-data".into())
    );
    assert_eq!(stack.services[0].volumes[0].target, "/s");
    assert_problem(
        &web("volumes: [\"shared-data:relative\"]"),
        "services.web.volumes[0]",
        "must be an absolute path",
    );
    assert_problem(
        &web("volumes: [\"shared-data:/\"]"),
        "services.web.volumes[0]",
        "mounting over `/`",
    );
    assert_problem(
        &web("volumes: [\"shared-data:/a:rshared\"]"),
        "services.web.volumes[0]",
        "unsupported volume option",
    );
    assert_problem(
        &web("volumes: [\"shared-data:/a\", \"shared-data:/a/\"]\ntmpfs: /a"),
        "services.web.volumes[1]",
        "already mounted",
    );
    assert_problem(
        &web("volumes: [\"shared-data:/a\"]\ntmpfs: /a"),
        "services.web.tmpfs",
        "already mounted",
    );
}

#[test]
fn restart_policies() {
    for (value, expected) in [
        ("\"no\"", "no"),
        ("no", "no"),
        ("always", "always"),
        ("on-failure", "on-failure"),
        ("\"on-failure:3\"", "on-failure:3"),
        ("unless-stopped", "unless-stopped"),
    ] {
        let service = web_service(&format!("restart: {value}"));
        assert_eq!(service.restart.as_deref(), Some(expected));
    }
    assert_problem(
        &web("restart: sometimes"),
        "services.web.restart",
        "unknown restart policy `sometimes`",
    );
    assert_problem(
        &web("restart: \"on-failure:x\""),
        "services.web.restart",
        "unknown restart policy",
    );
}

// ---- file-level problems ----

#[test]
fn invalid_yaml_is_one_problem_at_the_root() {
    let found = problems("services:\n  web: [unclosed\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "");
    assert!(found[0].message.contains("not valid YAML"), "{found:#?}");
    let found = problems("services:\n  web:\n    image: a\n    image: b\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("duplicate"), "{found:#?}");
}

#[test]
fn the_top_level_must_be_a_mapping_with_services() {
    assert_problem("- a\n- b\n", "", "must be a mapping");
    assert_problem("", "", "must be a mapping");
    assert_problem("version: \"3\"\n", "services", "no services");
    assert_problem("services: {}\n", "services", "no services");
    assert_problem("services: [web]\n", "services", "must be a mapping");
    assert_problem(
        "services:\n  web: nginx\n",
        "services.web",
        "must be a mapping",
    );
    assert_problem(
        "services:\n  \"we b\":\n    image: a\n",
        "services.we b",
        "not a valid name",
    );
    let dir = tempfile::tempdir().unwrap();
    let found = load(dir.path(), "compose.yaml", &CAPS, &[], &Default::default()).unwrap_err();
    assert_eq!(found[0].path, "");
    assert!(found[0].message.contains("cannot read `compose.yaml`"));
}

#[test]
fn yaml_tags_are_rejected() {
    assert_problem(
        &web("ports: !reset []"),
        "services.web.ports",
        "YAML tags (`!reset`) are not supported",
    );
}

#[test]
fn type_errors_name_the_key() {
    assert_problem(
        &web("read_only: maybe"),
        "services.web.read_only",
        "not true or false",
    );
    assert_problem(
        &web("ports: \"8080\""),
        "services.web.ports",
        "expected a sequence",
    );
    assert_problem(
        &web("command: {a: b}"),
        "services.web.command",
        "a string or a list",
    );
    assert_problem(
        "services:\n  web:\n    image: a\nvolumes: [a]\n",
        "volumes",
        "a mapping",
    );
    // Down to the item or entry at fault; the other keys are still checked.
    let found = problems(&web(
        "volumes: [\"shared-data:/a\", 5]\ndepends_on:\n  db: 3\nuser: [x]\nprivileged: true",
    ));
    assert_problem_in(&found, "services.web.volumes[1]", "expected a string");
    assert_problem_in(&found, "services.web.depends_on.db", "expected");
    assert_problem_in(
        &found,
        "services.web.user",
        "expected a string, number or boolean",
    );
    assert_problem_in(&found, "services.web.privileged", "not allowed");
    assert_eq!(found.len(), 4, "{found:#?}");
    // A service that is not fully read does not count for the main service.
    let found = problems("services:\n  web:\n    image: [a]\n    ports: [80]\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_problem_in(&found, "services.web.image", "expected a string");
}

// ---- a whole stack ----

#[test]
fn a_valid_two_service_stack() {
    let yaml = r#"
services:
  web:
    build:
      context: ./web
      dockerfile: Dockerfile.prod
      args:
        VERSION: "1.2"
        FROM_ENV:
      target: runtime
    ports:
      - "80:8080"
    depends_on:
      db:
        condition: service_healthy
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db/app
    mem_limit: 1g
    cpus: 0.5
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "app"]
      interval: 5s
      timeout: 3s
      retries: 5
      start_period: 1m30s
    volumes:
      - data:/var/lib/postgresql/data
    mem_limit: 256m
    deploy:
      resources:
        limits:
          pids: 50
volumes:
  data:
"#;
    let stack = ok_with(
        yaml,
        &[
            (".env", "DB_PASSWORD=s3cret\n"),
            ("web/Dockerfile.prod", "FROM scratch\n"),
        ],
    );
    let db = Service {
        name: "db".into(),
        image: Some("postgres:16".into()),
        build: None,
        command: None,
        entrypoint: None,
        environment: BTreeMap::new(),
        volumes: vec![VolumeMount {
            source: VolumeSource::Named("data".into()),
            target: "/var/lib/postgresql/data".into(),
            read_only: false,
        }],
        depends_on: vec![],
        healthcheck: Some(Healthcheck {
            test: vec!["CMD".into(), "pg_isready".into(), "-U".into(), "app".into()],
            interval: Some(Duration::from_secs(5)),
            timeout: Some(Duration::from_secs(3)),
            start_period: Some(Duration::from_secs(90)),
            start_interval: None,
            retries: Some(5),
        }),
        restart: None,
        labels: BTreeMap::new(),
        working_dir: None,
        user: None,
        stop_grace_period: None,
        tmpfs: vec![],
        read_only: false,
        init: None,
        memory_bytes: 256 * MIB,
        nano_cpus: 1_000_000_000,
        pids: 50,
        networks: vec!["default".into()],
        exposes_port: false,
    };
    let web = Service {
        name: "web".into(),
        image: None,
        build: Some(Build {
            context: PathBuf::from("web"),
            dockerfile: "Dockerfile.prod".into(),
            args: BTreeMap::from([("VERSION".into(), "1.2".into())]),
            target: Some("runtime".into()),
        }),
        environment: BTreeMap::from([(
            "DATABASE_URL".into(),
            "postgres://app:s3cret@db/app".into(),
        )]),
        volumes: vec![],
        depends_on: vec![("db".into(), Condition::Healthy)],
        healthcheck: None,
        memory_bytes: 512 * MIB,
        nano_cpus: 500_000_000,
        pids: 100,
        exposes_port: true,
        ..db.clone()
    };
    assert_eq!(
        stack,
        Stack {
            services: vec![db, web],
            main_service: "web".into(),
            main_port: 8080,
            volumes: vec!["data".into()],
            networks: vec![],
        }
    );
}

#[test]
fn start_order_follows_dependencies_then_the_file() {
    let stack = ok(
        "services:\n  a:\n    image: a\n    ports: [80]\n    depends_on: [c, \
                    b]\n  b:\n    image: b\n    depends_on: [d]\n  c:\n    image: c\n  d:\n    \
                    image: d\n",
    );
    let order: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["c", "d", "b", "a"]);
    assert_eq!(
        stack.service("a").unwrap().depends_on,
        vec![
            ("c".into(), Condition::Started),
            ("b".into(), Condition::Started)
        ]
    );
}

#[test]
fn depends_on_conditions() {
    let stack = ok(
        "services:\n  web:\n    image: a\n    depends_on:\n      db:\n        \
                    condition: service_healthy\n      migrate:\n        condition: \
                    service_completed_successfully\n      cache:\n      queue:\n        \
                    condition: service_started\n  db:\n    image: b\n  migrate:\n    image: \
                    c\n  cache:\n    image: d\n  queue:\n    image: e\n    expose: [\"5672\"]\n",
    );
    assert_eq!(
        stack.service("web").unwrap().depends_on,
        vec![
            ("db".into(), Condition::Healthy),
            ("migrate".into(), Condition::CompletedSuccessfully),
            ("cache".into(), Condition::Started),
            ("queue".into(), Condition::Started),
        ]
    );
    assert_eq!(stack.main_service, "queue");
    assert_eq!(stack.main_port, 5672);
}

// ---- environment and labels ----

#[test]
fn environment_as_list_or_map() {
    let list = web_service("environment:\n  - A=1\n  - B=x=y\n  - EMPTY=\n  - BARE");
    let map = web_service(
        "environment:\n  A: 1\n  B: x=y\n  EMPTY: \"\"\n  BARE:\n  FLAG: true\n  F: 1.5",
    );
    let expected: BTreeMap<String, String> =
        [("A", "1"), ("B", "x=y"), ("EMPTY", ""), ("BARE", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    assert_eq!(list.environment, expected);
    let mut expected = expected;
    expected.insert("FLAG".into(), "true".into());
    expected.insert("F".into(), "1.5".into());
    assert_eq!(map.environment, expected);
    assert_problem(
        &web("environment: [\"=x\"]"),
        "services.web.environment[0]",
        "empty",
    );
}

#[test]
fn env_files_come_first_and_environment_overrides() {
    let stack = ok_with(
        &web(
            "env_file:\n  - common.env\n  - path: local.env\n    required: true\nenvironment:\n  \
              B: from-environment",
        ),
        &[
            (".env", "SECRET=dotenv\n"),
            (
                "common.env",
                "# comment\nA=common\nB=common\nexport C='single $quoted'\nD=\"x\\ny\" # c\n",
            ),
            ("local.env", "A=local\nE=${SECRET}-${A}\n"),
        ],
    );
    let env = &stack.services[0].environment;
    assert_eq!(env["A"], "local");
    assert_eq!(env["B"], "from-environment");
    assert_eq!(env["C"], "single $quoted");
    assert_eq!(env["D"], "x\ny");
    assert_eq!(env["E"], "dotenv-local");
    assert!(
        !env.contains_key("SECRET"),
        ".env is for interpolation only"
    );
    assert_problem_in(
        &problems_with(
            &web("env_file: bad.env"),
            &[("bad.env", "A=1\nnot a line\n")],
        ),
        "services.web.env_file",
        "`bad.env` line 2",
    );
}

#[test]
fn labels_as_list_or_map() {
    let list = web_service("labels:\n  - a=1\n  - b\n  - c=x=y");
    let map = web_service("labels:\n  a: 1\n  b:\n  c: x=y");
    let expected: BTreeMap<String, String> = [("a", "1"), ("b", ""), ("c", "x=y")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(list.labels, expected);
    assert_eq!(map.labels, expected);
}

// ---- main service and port ----

#[test]
fn the_main_service_label_wins_in_any_form() {
    let two = |labels: &str| {
        format!(
            "services:\n  api:\n    image: a\n    ports: [\"9000\"]\n  web:\n    image: b\n    \
             expose: [3000]\n    labels:\n{labels}\n"
        )
    };
    for labels in [
        "      milkcrate.main_service: true",
        "      milkcrate.main_service: \"true\"",
        "      - milkcrate.main_service=true",
        "      - \"milkcrate.main_service=true\"\n      - other=1",
    ] {
        let stack = ok(&two(labels));
        assert_eq!(stack.main_service, "web", "{labels}");
        assert_eq!(stack.main_port, 3000);
        assert!(
            !stack
                .service("web")
                .unwrap()
                .labels
                .contains_key("milkcrate.main_service")
        );
    }
    // Labelled, without ports: the default port.
    let stack = ok(
        "services:\n  a:\n    image: a\n    ports: [\"80\"]\n  b:\n    image: b\n    \
                    labels: {milkcrate.main_service: \"true\"}\n",
    );
    assert_eq!((stack.main_service.as_str(), stack.main_port), ("b", 8000));
    assert_problem(
        &two("      milkcrate.main_service: maybe"),
        "services.web.labels.milkcrate.main_service",
        "must be \"true\" or \"false\"",
    );
}

#[test]
fn without_a_label_the_only_exposing_service_is_main() {
    let stack = ok(
        "services:\n  db:\n    image: a\n  web:\n    image: b\n    expose: \
                    [\"3000/tcp\"]\n",
    );
    assert_eq!(
        (stack.main_service.as_str(), stack.main_port),
        ("web", 3000)
    );
    assert_problem(
        "services:\n  a:\n    image: a\n  b:\n    image: b\n",
        "services",
        "no service has `ports` or `expose`: label the one",
    );
    assert_problem(
        "services:\n  a:\n    image: a\n    ports: [80]\n  b:\n    image: b\n    expose: [81]\n",
        "services",
        "several services have `ports` or `expose` (a, b): label the one",
    );
    assert_problem(
        "services:\n  a:\n    image: a\n    labels: [milkcrate.main_service=true]\n  b:\n    \
         image: b\n    labels: {milkcrate.main_service: true}\n",
        "services.b.labels.milkcrate.main_service",
        "also set on `a`",
    );
}

#[test]
fn main_port_forms() {
    for (ports, port) in [
        ("ports: [\"8080\"]", 8080),
        ("ports: [\"80:8080\"]", 8080),
        ("ports: [\"127.0.0.1:9000:8000\"]", 8000),
        ("ports: [\"[::1]:9000:7000\"]", 7000),
        ("ports: [\"8000/tcp\"]", 8000),
        ("ports: [8000]", 8000),
        ("ports: [\"3000-3005:4000-4005\"]", 4000),
        ("ports: [\"53:53/udp\", \"81\"]", 81),
        (
            "ports:\n  - target: 9090\n    published: 80\n    host_ip: 0.0.0.0",
            9090,
        ),
        ("ports:\n  - target: \"9091\"\n    protocol: tcp", 9091),
        ("expose: [\"5000\"]", 5000),
        ("expose: [5001, 5002]", 5001),
        ("ports: [\"53/udp\"]", 8000),
    ] {
        assert_eq!(ok(&web(ports)).main_port, port, "{ports}");
    }
    assert_problem(
        &web("ports: [\"80:http\"]"),
        "services.web.ports[0]",
        "not a port",
    );
    assert_problem(
        &web("ports: [70000]"),
        "services.web.ports[0]",
        "not a port",
    );
    assert_problem(
        &web("ports: [\"8080/xyz\"]"),
        "services.web.ports[0]",
        "protocol",
    );
    assert_problem(
        &web("expose: [\"0\"]"),
        "services.web.expose[0]",
        "not a port",
    );
}

// ---- interpolation ----

#[test]
fn interpolation_in_the_file() {
    let stack = ok_with(
        &web(
            "environment:\n  PLAIN: ${NAME}\n  BARE: $NAME-x\n  DEFAULT: ${MISSING:-fallback}\n  \
             EMPTY_DEFAULT: ${EMPTY:-used}\n  DASH_DEFAULT: ${EMPTY-unused}\n  UNSET: \
             \"${MISSING}\"\n  DOLLAR: $$HOME\n  HOST_ENV: \"${HOME}${PATH}\"\n  NESTED: \
             ${MISSING:-${NAME:-no}}\n  ALT: ${NAME:+yes}\nworking_dir: /srv/${NAME}",
        ),
        &[(".env", "# settings\nNAME=\"milk crate\"\nEMPTY=\n")],
    );
    let env = &stack.services[0].environment;
    assert_eq!(env["PLAIN"], "milk crate");
    assert_eq!(env["BARE"], "milk crate-x");
    assert_eq!(env["DEFAULT"], "fallback");
    assert_eq!(env["EMPTY_DEFAULT"], "used");
    assert_eq!(env["DASH_DEFAULT"], "");
    assert_eq!(env["UNSET"], "");
    assert_eq!(env["DOLLAR"], "$HOME");
    assert_eq!(
        env["HOST_ENV"], "",
        "the server's environment is never read"
    );
    assert_eq!(env["NESTED"], "milk crate");
    assert_eq!(env["ALT"], "yes");
    assert_eq!(
        stack.services[0].working_dir.as_deref(),
        Some("/srv/milk crate")
    );
}

#[test]
fn interpolation_feeds_typed_values() {
    let service = ok_with(
        &web("read_only: ${RO}\nmem_limit: ${MEM:-128m}\nports: [\"${PORT}\"]"),
        &[(".env", "RO=true\nPORT=7000\n")],
    );
    assert!(service.services[0].read_only);
    assert_eq!(service.services[0].memory_bytes, 128 * MIB);
    assert_eq!(service.main_port, 7000);
}

#[test]
fn interpolation_errors_name_the_value() {
    assert_problem(
        &web("environment:\n  - KEY=${NEEDED:?set NEEDED in .env}"),
        "services.web.environment[0]",
        "required variable `NEEDED` is missing a value: set NEEDED in .env",
    );
    assert_problem(
        &web("command: echo $1"),
        "services.web.command",
        "write `$$` for a literal `$`",
    );
    assert_problem(&web("user: ${oops"), "services.web.user", "unterminated");
    assert_problem(
        &web("user: ${1x}"),
        "services.web.user",
        "invalid variable name",
    );
    assert_problem_in(
        &problems_with(&web(""), &[(".env", "GOOD=1\nBAD LINE\n'x=1\n")]),
        ".env",
        "line 2",
    );
}

#[test]
fn interpolation_unit() {
    let vars = |name: &str| match name {
        "SET" => Some("v"),
        "EMPTY" => Some(""),
        _ => None,
    };
    let interpolate =
        |text: &str, vars: &Lookup<'static>| interpolate(text, vars, &mut Budget::default());
    let cases = [
        ("a${SET}b", "avb"),
        ("$SET.$SET", "v.v"),
        ("${UNSET}", ""),
        ("${UNSET:-d}", "d"),
        ("${UNSET-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${SET:-d}", "v"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${UNSET:-${SET}x}", "vx"),
        ("${UNSET:-a}b}", "ab}"),
        ("$$${SET}$$", "$v$"),
        ("${UNSET:-{x}}", "{x}"),
        ("no dollars", "no dollars"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            interpolate(input, &vars).as_deref(),
            Ok(expected),
            "{input}"
        );
    }
    for input in [
        "$",
        "a $ b",
        "$1",
        "${",
        "${SET",
        "${}",
        "${SET!x}",
        "${UNSET?}",
    ] {
        assert!(interpolate(input, &vars).is_err(), "{input}");
    }
    assert!(interpolate("${EMPTY?x}", &vars).is_ok());
}

#[test]
fn env_file_parsing_unit() {
    let outer = BTreeMap::from([("OUT".to_string(), "o".to_string())]);
    let (vars, errors) = parse_env_file(
        "\u{feff}A=1\n\n  # comment\nexport B = two words  # trailing\nC='lit $A # not comment'\n\
         D=\"multi\nline $A\"\nE=a#b\nF=${OUT}${A}\nG=\"esc \\\" \\$A\"\nA=again\r\nH=\n",
        &outer,
        &mut Budget::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let vars: BTreeMap<_, _> = vars.into_iter().collect();
    assert_eq!(vars["A"], "again");
    assert_eq!(vars["B"], "two words");
    assert_eq!(vars["C"], "lit $A # not comment");
    assert_eq!(vars["D"], "multi\nline 1");
    assert_eq!(vars["E"], "a#b");
    assert_eq!(vars["F"], "o1");
    assert_eq!(vars["G"], "esc \" $A");
    assert_eq!(vars["H"], "");
    let (_, errors) = parse_env_file(
        "OK=1\n1BAD=x\nNOEQUALS\nQ=\"open\n",
        &outer,
        &mut Budget::default(),
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].starts_with("line 2:"), "{errors:?}");
    assert!(errors[1].starts_with("line 3:"), "{errors:?}");
    assert!(errors[2].contains("unterminated"), "{errors:?}");
}

// ---- several problems at once ----

#[test]
fn all_problems_come_back_sorted() {
    let yaml = "services:\n  web:\n    image: a\n    privileged: true\n    cap_add: [A, B, C, D, \
                E, F, G, H, I, J, K, L]\n    volumes: [\"/var/run/docker.sock:/s\"]\n  api:\n    \
                build: ../x\n    network_mode: host\n    ports: [80]\nvolumes:\n  v:\n    \
                external: true\ninclude: [x.yaml]\n";
    let found = problems(yaml);
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    let mut expected = vec!["include", "services.api.build", "services.api.network_mode"];
    let cap_paths: Vec<String> = (0..12)
        .map(|i| format!("services.web.cap_add[{i}]"))
        .collect();
    expected.extend(cap_paths.iter().map(String::as_str));
    expected.extend([
        "services.web.privileged",
        "services.web.volumes[0]",
        "volumes.v.external",
    ]);
    assert_eq!(paths, expected);
}

// ---- limits ----

#[test]
fn limits_are_capped_and_may_only_be_lowered() {
    let service = web_service("mem_limit: 2g\ncpus: 4");
    assert_eq!(
        (service.memory_bytes, service.nano_cpus, service.pids),
        (512 * MIB, 1_000_000_000, 100)
    );
    let service = web_service(
        "mem_limit: 300m\ncpus: \"0.25\"\ndeploy:\n  resources:\n    limits:\n      memory: \
         200M\n      cpus: 0.5\n      pids: 20",
    );
    assert_eq!(
        (service.memory_bytes, service.nano_cpus, service.pids),
        (200 * MIB, 250_000_000, 20)
    );
    let service =
        web_service("mem_limit: 104857600\ndeploy:\n  resources:\n    limits:\n      pids: -1");
    assert_eq!((service.memory_bytes, service.pids), (100 * MIB, 100));
    assert_problem(
        &web("mem_limit: 1m"),
        "services.web.mem_limit",
        "minimum of 6 MiB",
    );
    assert_problem(
        &web("mem_limit: lots"),
        "services.web.mem_limit",
        "not a size",
    );
    assert_problem(&web("cpus: 0.001"), "services.web.cpus", "minimum of 0.01");
    assert_problem(
        &web("deploy:\n  resources:\n    limits:\n      pids: many"),
        "services.web.deploy.resources.limits.pids",
        "not a number of processes",
    );
}

#[test]
fn memory_size_parsing() {
    for (text, bytes) in [
        ("1", 1),
        ("512", 512),
        ("1k", 1024),
        ("1kb", 1024),
        ("256m", 256 * MIB),
        ("512M", 512 * MIB),
        ("512MB", 512 * MIB),
        ("64MiB", 64 * MIB),
        ("1g", 1024 * MIB),
        ("1.5g", 1536 * MIB),
        ("2 GB", 2048 * MIB),
        ("1t", 1024 * 1024 * MIB),
        ("100b", 100),
    ] {
        assert_eq!(parse_bytes(text), Ok(bytes), "{text}");
    }
    for text in [
        "",
        "m",
        "1x",
        "-1m",
        "1..5m",
        ".5g",
        "0",
        "1gg",
        "99999999p",
    ] {
        assert!(parse_bytes(text).is_err(), "{text}");
    }
}

#[test]
fn duration_parsing() {
    for (text, duration) in [
        ("30s", Duration::from_secs(30)),
        ("1m30s", Duration::from_secs(90)),
        ("500ms", Duration::from_millis(500)),
        ("1.5s", Duration::from_millis(1500)),
        ("2h", Duration::from_secs(7200)),
        ("1h2m3s4ms", Duration::from_millis(3_723_004)),
        ("10us", Duration::from_micros(10)),
        ("10µs", Duration::from_micros(10)),
        ("100ns", Duration::from_nanos(100)),
        ("45", Duration::from_secs(45)),
        ("0", Duration::ZERO),
    ] {
        assert_eq!(parse_duration(text), Ok(duration), "{text}");
    }
    for text in ["", "s", "10x", "1m30", "-5s", "1.s", "abc"] {
        assert!(parse_duration(text).is_err(), "{text}");
    }
    let service = web_service("stop_grace_period: 1m30s");
    assert_eq!(service.stop_grace_period, Some(Duration::from_secs(90)));
    let service = web_service("stop_grace_period: 20");
    assert_eq!(service.stop_grace_period, Some(Duration::from_secs(20)));
    assert_problem(
        &web("stop_grace_period: soon"),
        "services.web.stop_grace_period",
        "not a duration",
    );
}

#[test]
fn cpu_parsing() {
    assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
    assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
    assert_eq!(parse_cpus("0.01"), Ok(10_000_000));
    for text in ["", "x", "0", "-1", "0.001", "NaN", "inf"] {
        assert!(parse_cpus(text).is_err(), "{text}");
    }
}

// ---- other keys ----

#[test]
fn commands_are_split_without_a_shell() {
    let service = web_service(
        "command: python -m http.server --bind '0.0.0.0' \"8 000\" a\\ b\nentrypoint: [\"/bin/sh\", \
         \"-c\"]",
    );
    assert_eq!(
        service.command,
        Some(vec![
            "python".into(),
            "-m".into(),
            "http.server".into(),
            "--bind".into(),
            "0.0.0.0".into(),
            "8 000".into(),
            "a b".into(),
        ])
    );
    assert_eq!(
        service.entrypoint,
        Some(vec!["/bin/sh".into(), "-c".into()])
    );
    assert_eq!(web_service("entrypoint: []").entrypoint, Some(vec![]));
    assert_eq!(web_service("entrypoint: \"\"").entrypoint, Some(vec![]));
    assert_problem(
        &web("command: echo 'open"),
        "services.web.command",
        "unterminated single quote",
    );
    assert_eq!(
        split_command(r#"a "b \"c\" \$d \n" '' e"#),
        Ok(vec![
            "a".into(),
            r#"b "c" $d \n"#.into(),
            String::new(),
            "e".into()
        ])
    );
}

#[test]
fn healthcheck_forms() {
    let check = |yaml: &str| web_service(yaml).healthcheck.unwrap();
    assert_eq!(
        check("healthcheck:\n  test: curl -f http://localhost/ || exit 1").test,
        vec!["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
    );
    assert_eq!(
        check("healthcheck:\n  test: [\"CMD-SHELL\", \"true\"]").test,
        vec!["CMD-SHELL", "true"]
    );
    assert!(check("healthcheck:\n  test: [\"NONE\"]").is_disabled());
    assert!(check("healthcheck:\n  test: [\"CMD\", \"x\"]\n  disable: true").is_disabled());
    let timings = check("healthcheck:\n  interval: 10s\n  start_interval: 1s\n  retries: \"3\"");
    assert_eq!(timings.test, Vec::<String>::new());
    assert_eq!(timings.interval, Some(Duration::from_secs(10)));
    assert_eq!(timings.start_interval, Some(Duration::from_secs(1)));
    assert_eq!(timings.retries, Some(3));
    assert_problem(
        &web("healthcheck:\n  test: [\"curl\", \"x\"]"),
        "services.web.healthcheck.test",
        "must be",
    );
    assert_problem(
        &web("healthcheck:\n  test: [\"CMD\"]"),
        "services.web.healthcheck.test",
        "must be",
    );
    assert_problem(
        &web("healthcheck:\n  interval: often"),
        "services.web.healthcheck.interval",
        "not a duration",
    );
    assert_problem(
        &web("healthcheck:\n  retries: -1"),
        "services.web.healthcheck.retries",
        "not a number of retries",
    );
}

#[test]
fn simple_keys() {
    let service = web_service(
        "working_dir: /app\nuser: 1000\nread_only: true\ninit: true\ntmpfs:\n  - /tmp\n  - \
         /run:size=64m,mode=1777",
    );
    assert_eq!(service.working_dir.as_deref(), Some("/app"));
    assert_eq!(service.user.as_deref(), Some("1000"));
    assert!(service.read_only);
    assert_eq!(service.init, Some(true));
    assert_eq!(service.tmpfs, vec!["/tmp", "/run:size=64m,mode=1777"]);
    assert_eq!(web_service("tmpfs: /tmp").tmpfs, vec!["/tmp"]);
    assert_eq!(web_service("").init, None);
    assert_problem(
        &web("working_dir: app"),
        "services.web.working_dir",
        "absolute",
    );
    assert_problem(
        &web("tmpfs: [\"/\"]"),
        "services.web.tmpfs[0]",
        "mounting over `/`",
    );
    assert_problem(&web("tmpfs: [tmp]"), "services.web.tmpfs[0]", "absolute");
    assert_problem(
        &web("tmpfs: [\"/t:suid\"]"),
        "services.web.tmpfs[0]",
        "unsupported tmpfs option",
    );
}

#[test]
fn networks_are_the_apps_own() {
    let stack = ok(
        "services:\n  web:\n    image: a\n    ports: [80]\n    networks: [front, \
                    default]\n  db:\n    image: b\n    networks:\n      back:\n  cache:\n    \
                    image: c\nnetworks:\n  front:\n  back:\n    driver: bridge\n  default:\n",
    );
    assert_eq!(stack.networks, vec!["front", "back"]);
    assert_eq!(
        stack.service("web").unwrap().networks,
        vec!["front", "default"]
    );
    assert_eq!(stack.service("db").unwrap().networks, vec!["back"]);
    assert_eq!(stack.service("cache").unwrap().networks, vec!["default"]);
    assert_problem(
        &web("networks: [elsewhere]"),
        "services.web.networks[0]",
        "network `elsewhere` is not declared",
    );
    assert_problem(
        &web("networks:\n  traefik:"),
        "services.web.networks.traefik",
        "not declared",
    );
}

#[test]
fn build_in_short_and_long_form() {
    let files = [
        ("Dockerfile", "FROM scratch\n"),
        ("app/docker/Dockerfile.dev", ""),
    ];
    let stack = ok_with(
        "services:\n  web:\n    build: .\n    image: mine:latest\n    expose: [80]\n",
        &files,
    );
    let build = stack.services[0].build.clone().unwrap();
    assert_eq!(build.context, PathBuf::from("."));
    assert_eq!(build.dockerfile, "Dockerfile");
    assert_eq!(stack.services[0].image.as_deref(), Some("mine:latest"));
    let stack = ok_with(
        "services:\n  web:\n    build:\n      context: ./app/\n      dockerfile: \
         ./docker/../docker/Dockerfile.dev\n      args: [\"A=1\", B]\n    expose: [80]\n",
        &files,
    );
    let build = stack.services[0].build.clone().unwrap();
    assert_eq!(build.context, PathBuf::from("app"));
    assert_eq!(build.dockerfile, "docker/Dockerfile.dev");
    assert_eq!(
        build.args,
        BTreeMap::from([("A".to_string(), "1".to_string())])
    );
    assert_eq!(build.target, None);
}

#[test]
fn problem_paths_sort_numbers_as_numbers() {
    let mut paths = ["a[10]", "a[2]", "a.b", "a", "a[1].x", "b", "a[02]"];
    paths.sort_by(|a, b| path_order(a, b));
    assert_eq!(paths, ["a", "a.b", "a[1].x", "a[2]", "a[02]", "a[10]", "b"]);
    let problem = Problem::new("services.web.privileged", "no");
    assert_eq!(problem.to_string(), "services.web.privileged: no");
    assert_eq!(Problem::new("", "bad").to_string(), "bad");
}

#[test]
fn the_key_walk_reads_the_keys_from_the_model() {
    assert_eq!(
        fields_of::<VolumeMap>(),
        ["type", "source", "target", "read_only", "volume"]
    );
    let service = fields_of::<ServiceFile>();
    for key in ["image", "build", "deploy", "cap_add", "userns_mode"] {
        assert!(service.contains(&key), "{key}");
    }
    for key in [
        "privileged_mode",
        "devices",
        "network_mode",
        "pid",
        "sysctls",
    ] {
        assert!(!service.contains(&key), "{key}");
    }
}

#[test]
fn files_over_one_mib_are_refused() {
    let big = format!("{}# {}\n", web(""), "x".repeat(1024 * 1024));
    let found = problems(&big);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("larger than 1 MiB"), "{found:#?}");
}

// ---- bounds ----

/// A `.env` of about 1 KB whose every line doubles the one before: 2^60 bytes if expanded.
fn doubling_env(lines: usize) -> String {
    let mut env = String::from("V0=x\n");
    for i in 1..lines {
        env.push_str(&format!("V{i}=${{V{}}}${{V{}}}\n", i - 1, i - 1));
    }
    env
}

#[test]
fn a_doubling_env_is_refused_fast() {
    let env = doubling_env(60);
    assert!(env.len() < 1100, "{}", env.len());
    let started = std::time::Instant::now();
    let found = problems_with(&web("environment:\n  BIG: ${V59}"), &[(".env", &env)]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_problem_in(&found, ".env", "larger than 1 MiB");
    assert!(found.len() <= 3, "{found:#?}");
}

#[test]
fn interpolated_values_over_one_mib_are_refused_at_their_key() {
    // V20 is exactly 1 MiB: allowed. Twice that in one value is not.
    let env = doubling_env(21);
    let stack = ok_with(&web("environment:\n  BIG: ${V20}"), &[(".env", &env)]);
    assert_eq!(stack.services[0].environment["BIG"].len(), 1024 * 1024);
    assert_problem_in(
        &problems_with(
            &web("environment:\n  - TWICE=${V20}${V20}"),
            &[(".env", &env)],
        ),
        "services.web.environment[0]",
        "larger than 1 MiB",
    );
}

#[test]
fn interpolation_stops_at_four_mib_in_all() {
    // The `.env` makes 2 MiB (V0 to V20), each entry half a MiB more: the fourth is too much.
    let env = doubling_env(21);
    let entries: String = (0..8).map(|i| format!("  - K{i}=${{V19}}\n")).collect();
    let found = problems_with(&web(&format!("environment:\n{entries}")), &[(".env", &env)]);
    assert_problem_in(
        &found,
        "services.web.environment[3]",
        "more than 4 MiB in all",
    );
    assert_eq!(
        found.len(),
        1,
        "one problem, then interpolation stops: {found:#?}"
    );
}

#[test]
fn deeply_nested_defaults_are_refused() {
    let depth = 20_000;
    let value = format!("{}x{}", "${U:-".repeat(depth), "}".repeat(depth));
    assert_problem_in(
        &problems(&web(&format!("user: '{value}'"))),
        "services.web.user",
        "nested",
    );
    ok(&web("user: ${A:-${B:-${C:-x}}}"));
}

fn load_capped(yaml: &str, caps: Caps) -> Result<Stack, Vec<Problem>> {
    let dir = app(yaml, &[]);
    load(dir.path(), "compose.yaml", &caps, &[], &Default::default())
}

/// A file of `count` services, each with `extra` (one line), `web` the main one.
fn services(count: usize, extra: &str) -> String {
    let mut yaml = String::from("services:\n  web:\n    image: nginx\n    expose: [\"80\"]\n");
    yaml.push_str(&format!("    {extra}\n"));
    for i in 1..count {
        yaml.push_str(&format!("  s{i}:\n    image: nginx\n    {extra}\n"));
    }
    yaml
}

#[test]
fn the_number_of_services_is_capped() {
    let caps = Caps {
        max_services: 3,
        ..CAPS
    };
    load_capped(&services(3, "init: true"), caps).unwrap();
    let found = load_capped(&services(4, "init: true"), caps).unwrap_err();
    assert_problem_in(&found, "services", "4 services");
    assert_problem_in(&found, "services", "at most 3");
    // Refused before each service is checked: a huge file costs little.
    let found = load_capped(&services(5_000, "privileged: true"), caps).unwrap_err();
    assert_eq!(found.len(), 1, "{:#?}", &found[..2]);
}

#[test]
fn the_number_of_networks_is_capped() {
    let caps = Caps {
        max_networks: 2,
        ..CAPS
    };
    let yaml = |count: usize| {
        let networks: String = (0..count).map(|i| format!("  n{i}: {{}}\n")).collect();
        format!("{}networks:\n  default: {{}}\n{networks}", web(""))
    };
    load_capped(&yaml(2), caps).unwrap();
    let found = load_capped(&yaml(3), caps).unwrap_err();
    assert_problem_in(&found, "networks", "3 networks");
    assert_problem_in(&found, "networks", "at most 2");
}

#[test]
fn the_stack_total_of_memory_cpus_and_pids_is_capped() {
    // Eight services at the platform's limits fit (8 × the per-app limit), nine do not.
    ok(&services(8, "init: true"));
    let found = problems(&services(9, "init: true"));
    assert_problem_in(&found, "services", "memory limits add up to 4608 MiB");
    assert_problem_in(&found, "services", "at most 4096 MiB");
    assert_problem_in(&found, "services", "CPU limits add up to 9 CPUs");
    assert_problem_in(&found, "services", "at most 8 CPUs");
    assert_problem_in(&found, "services", "process limits add up to 900");
    assert_problem_in(&found, "services", "at most 800");
    // Lowered per service, many more fit.
    ok(&services(
        40,
        "deploy: {resources: {limits: {memory: 64m, cpus: '0.1', pids: 20}}}",
    ));
}

#[test]
fn stop_grace_period_is_capped_at_five_minutes() {
    assert_eq!(
        web_service("stop_grace_period: 5m").stop_grace_period,
        Some(Duration::from_secs(300))
    );
    assert_problem(
        &web("stop_grace_period: 5m1s"),
        "services.web.stop_grace_period",
        "at most 5 minutes",
    );
    assert_problem(
        &web("stop_grace_period: 86400"),
        "services.web.stop_grace_period",
        "at most 5 minutes",
    );
}

// ---- properties ----

mod properties {
    use proptest::{collection::vec, prelude::*, test_runner::Config};

    use super::super::interpolate::{
        Budget, MAX_TOTAL_BYTES, MAX_VALUE_BYTES, Vars, interpolate, parse_env_file,
    };

    fn config() -> Config {
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// A reference to one of the variables `V{from}` to `V{below - 1}`, in any form Compose has.
    fn reference(from: usize, below: usize) -> impl Strategy<Value = String> {
        (from..below.max(from + 1), 0..5u8).prop_map(|(i, form)| match form {
            0 => format!("${{V{i}}}"),
            1 => format!("$V{i}"),
            2 => format!("${{U:-${{V{i}}}}}"),
            3 => format!("${{V{i}:+${{V{i}}}${{V{i}}}}}"),
            _ => format!("${{V{i}-x}}"),
        })
    }

    /// A `.env` whose lines are mostly built from the few lines before (so values double, or
    /// worse, line after line), with some text and stray `$`, `{` and `}`.
    fn env_file() -> impl Strategy<Value = String> {
        let line = |i: usize| {
            let part = prop_oneof![
                16 => reference(i.saturating_sub(3), i),
                2 => "[a-z ]{0,4}",
                1 => Just("$$".to_string()),
                1 => prop::sample::select(vec!["${", "}", "$", "${U:-"]).prop_map(str::to_string),
            ];
            vec(part, 1..5).prop_map(move |parts| format!("V{i}={}\n", parts.concat()))
        };
        prop_oneof![1..12usize, 24..64usize]
            .prop_flat_map(move |lines| (1..lines).map(line).collect::<Vec<_>>())
            .prop_map(|lines| format!("V0=xy\n{}", lines.concat()))
    }

    /// A compose string: references, text and nesting.
    fn template() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![reference(0, 48), "[a-z$]{0,3}", any::<String>()];
        leaf.prop_recursive(12, 64, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(|parts| parts.concat()),
                inner.prop_map(|t| format!("${{U:-{t}}}")),
            ]
        })
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever the `.env` and the strings, no value is over 1 MiB and all the output of one
        /// upload is at most 4 MiB (and it comes back fast: nothing is built past the limits).
        #[test]
        fn interpolation_output_is_bounded(env in env_file(), templates in vec(template(), 0..24)) {
            let mut budget = Budget::default();
            let (vars, _) = parse_env_file(&env, &Vars::new(), &mut budget);
            let mut total = 0;
            for (_, value) in &vars {
                prop_assert!(value.len() <= MAX_VALUE_BYTES);
                total += value.len();
            }
            let vars: Vars = vars.into_iter().collect();
            let lookup = |name: &str| vars.get(name).map(String::as_str);
            for template in &templates {
                if let Ok(value) = interpolate(template, &lookup, &mut budget) {
                    prop_assert!(value.len() <= MAX_VALUE_BYTES);
                    total += value.len();
                }
            }
            prop_assert!(total <= MAX_TOTAL_BYTES, "{total}");
        }
    }
}

#[test]
fn images_from_a_registry_on_the_host_or_its_link_local_neighbours_are_refused() {
    for (image, why) in [
        ("localhost:5000/app:1", "a loopback address"),
        ("127.0.0.1:5000/app", "a loopback address"),
        ("169.254.169.254/latest", "link-local"),
        ("[::1]:5000/app", "a loopback address"),
    ] {
        let yaml = format!("services:\n  web:\n    image: \"{image}\"\n    expose: [\"80\"]\n");
        assert_problem(&yaml, "services.web.image", why);
    }
    // A registry elsewhere, even on the private network, is a normal thing to pull from.
    for image in [
        "registry.example.com/team/app:1",
        "10.0.0.5:5000/app",
        "nginx:1.27",
    ] {
        let yaml = format!("services:\n  web:\n    image: \"{image}\"\n    expose: [\"80\"]\n");
        ok(&yaml);
    }
}
