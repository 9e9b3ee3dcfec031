//! The checks and conversion of one service, key by key.

use std::{
    collections::{BTreeMap, BTreeSet},
    io,
    path::Path,
    time::Duration,
};

use yaml_serde::{Mapping, Value};

use super::super::{
    Build, Condition, Healthcheck, MAX_STOP_GRACE_PERIOD, Problem, Service, VolumeMount,
    VolumeSource,
    interpolate::parse_env_file,
    model::{
        BuildFile, BuildMap, Command, DependsOn, DependsOnMap, DeployFile, EnvFileEntry,
        EnvFileMap, HealthcheckFile, LimitsFile, ListOrMap, OneOrMany, PortEntry, PortMap,
        ResourcesFile, Scalar, ServiceFile, ServiceNetworkMap, ServiceNetworks, VolumeEntry,
        VolumeMap, VolumeOptions, fields_of,
    },
    parse::{
        container_path, index_path, inside_path, is_remote_context, key_path, key_text,
        parse_bytes, parse_container_port, parse_cpus, parse_duration, short_port_container_side,
        split_command, valid_name,
    },
};
use super::{Checker, Draft, MAIN_LABEL, invalid_name_message, read_text};

/// Service keys rejected whatever their value, with the reason. Keys that are fine with some
/// values (`privileged: false`, `cap_add: [NET_BIND_SERVICE]`, ...) are in `ServiceFile` and
/// checked below.
const SERVICE_DENIED: &[(&str, &str)] = &[
    ("devices", "host devices are not allowed"),
    (
        "network_mode",
        "`network_mode` is not allowed: services join the app's own networks (see `networks`)",
    ),
    (
        "pid",
        "sharing the host's or another container's process namespace (`pid`) is not allowed",
    ),
    ("sysctls", "kernel parameters (`sysctls`) are not allowed"),
    (
        "cgroup_parent",
        "`cgroup_parent` is not allowed: Milkcrate places every container itself",
    ),
    (
        "extends",
        "`extends` is not supported: write the service out in full (YAML anchors and `x-` keys work)",
    ),
    (
        "volumes_from",
        "mounting another container's volumes (`volumes_from`) is not allowed: mount named volumes",
    ),
    (
        "container_name",
        "`container_name` is not supported: Milkcrate names the containers; services reach each \
         other by service name",
    ),
];

/// Docker refuses memory limits below this.
const MIN_MEMORY_BYTES: i64 = 6 * 1024 * 1024;

impl Checker<'_> {
    /// One service; `None` if it could not be read at all (its problems are recorded).
    pub(super) fn service(&mut self, name: &str, value: Value) -> Option<Draft> {
        let path = key_path("services", name);
        if !valid_name(name) {
            self.problem(&path, invalid_name_message(name));
        }
        let mut map = match value {
            Value::Mapping(map) => map,
            _ => {
                self.problem(&path, "a service must be a mapping of keys");
                return None;
            }
        };
        self.strip_service_keys(&mut map, &path);
        let has_source = map.contains_key("image") || map.contains_key("build");
        let (file, complete) = self.typed::<ServiceFile>(map, &path);
        let file = file?;
        let at = |key: &str| key_path(&path, key);

        if !has_source {
            self.problem(&path, "a service needs `image` or `build`");
        }
        let image = file.image.filter(|image| {
            let ok = !image.trim().is_empty();
            if !ok {
                self.problems
                    .push(Problem::new(at("image"), "the image name is empty"));
            }
            if let Some(host) = crate::intake::origins::registry_host(image)
                && let Some(why) = crate::intake::origins::forbidden_registry(&host)
            {
                self.problems.push(Problem::new(
                    at("image"),
                    format!("the registry `{host}` is {why}; images come from registries outside this host"),
                ));
                return false;
            }
            ok
        });
        let build = file.build.and_then(|b| self.build(b, &at("build")));
        let command = file.command.and_then(|c| self.command(c, &at("command")));
        let entrypoint = file
            .entrypoint
            .and_then(|c| self.command(c, &at("entrypoint")));

        let mut environment = BTreeMap::new();
        if let Some(env_files) = file.env_file {
            self.env_files(env_files, &at("env_file"), &mut environment);
        }
        if let Some(env) = file.environment {
            for (key, value, _) in self.list_or_map(env, &at("environment")) {
                environment.insert(key, value.unwrap_or_default());
            }
        }

        let (labels, main_label) = match file.labels {
            Some(labels) => self.labels(labels, &at("labels")),
            None => (BTreeMap::new(), None),
        };

        // Counted as written, so that a bad entry does not also change the main service.
        let exposes_port = file.ports.as_ref().is_some_and(|p| !p.is_empty())
            || file.expose.as_ref().is_some_and(|e| !e.is_empty());
        let ports = self.ports(file.ports.unwrap_or_default(), &at("ports"));
        let expose = self.expose(file.expose.unwrap_or_default(), &at("expose"));

        let mut targets = BTreeSet::new();
        let volumes = self.volumes(
            file.volumes.unwrap_or_default(),
            &at("volumes"),
            &mut targets,
        );
        let tmpfs = match file.tmpfs {
            None => Vec::new(),
            Some(OneOrMany::One(entry)) => self
                .tmpfs(entry, &at("tmpfs"), &mut targets)
                .into_iter()
                .collect(),
            Some(OneOrMany::Many(entries)) => entries
                .into_iter()
                .enumerate()
                .filter_map(|(i, e)| self.tmpfs(e, &index_path(&at("tmpfs"), i), &mut targets))
                .collect(),
        };

        let (depends_on, dependency_paths) = match file.depends_on {
            Some(d) => self.depends_on(d, &at("depends_on")),
            None => (Vec::new(), Vec::new()),
        };
        let healthcheck = file
            .healthcheck
            .and_then(|h| self.healthcheck(h, &at("healthcheck")));
        let restart = file.restart.and_then(|r| self.restart(&r, &at("restart")));
        let working_dir = file.working_dir.filter(|dir| {
            let ok = dir.starts_with('/');
            if !ok {
                self.problems.push(Problem::new(
                    at("working_dir"),
                    format!("`{dir}` must be an absolute path in the container"),
                ));
            }
            ok
        });
        let user = file.user.map(|u| u.text()).filter(|user| {
            let ok = !user.trim().is_empty();
            if !ok {
                self.problems
                    .push(Problem::new(at("user"), "the user is empty"));
            }
            ok
        });
        let stop_grace_period = file.stop_grace_period.and_then(|d| {
            let grace = self.duration(&d, &at("stop_grace_period"))?;
            if grace > MAX_STOP_GRACE_PERIOD {
                self.problem(
                    at("stop_grace_period"),
                    format!(
                        "`{}` is too long: at most 5 minutes (a stack stops one service after \
                         another)",
                        d.text()
                    ),
                );
                return None;
            }
            Some(grace)
        });
        let read_only = file
            .read_only
            .and_then(|b| self.boolean(&b, &at("read_only")))
            .unwrap_or(false);
        let init = file.init.and_then(|b| self.boolean(&b, &at("init")));

        let (memory_bytes, nano_cpus, pids) =
            self.limits(file.mem_limit, file.cpus, file.deploy, &path);
        let networks = self.service_networks(file.networks, &at("networks"));

        if let Some(privileged) = file.privileged
            && self.boolean(&privileged, &at("privileged")) == Some(true)
        {
            self.problem(at("privileged"), "privileged containers are not allowed");
        }
        for (i, capability) in file.cap_add.unwrap_or_default().iter().enumerate() {
            let normalized = capability.trim().to_ascii_uppercase();
            let normalized = normalized.strip_prefix("CAP_").unwrap_or(&normalized);
            if normalized != "NET_BIND_SERVICE" {
                self.problem(
                    index_path(&at("cap_add"), i),
                    format!(
                        "adding the capability `{capability}` is not allowed: only \
                         NET_BIND_SERVICE, which every container already has"
                    ),
                );
            }
        }
        for (i, option) in file.security_opt.unwrap_or_default().iter().enumerate() {
            if let Some(message) = security_opt_problem(option) {
                self.problem(index_path(&at("security_opt"), i), message);
            }
        }
        self.namespace(file.ipc, &at("ipc"), "IPC", &["", "private", "shareable"]);
        self.namespace(file.uts, &at("uts"), "UTS", &[""]);
        self.namespace(file.userns_mode, &at("userns_mode"), "user", &[""]);

        Some(Draft {
            service: Service {
                name: name.to_string(),
                image,
                build,
                command,
                entrypoint,
                environment,
                volumes,
                depends_on,
                healthcheck,
                restart,
                labels,
                working_dir,
                user,
                stop_grace_period,
                tmpfs,
                read_only,
                init,
                memory_bytes,
                nano_cpus,
                pids,
                networks,
                exposes_port,
            },
            dependency_paths,
            main_label,
            ports,
            expose,
            complete,
        })
    }

    /// The key walk of one service, nested mappings included.
    fn strip_service_keys(&mut self, map: &mut Mapping, path: &str) {
        self.strip_keys(map, path, fields_of::<ServiceFile>(), SERVICE_DENIED);
        let at = |key: &str| key_path(path, key);
        if let Some(Value::Mapping(build)) = map.get_mut("build") {
            self.strip_keys(build, &at("build"), fields_of::<BuildMap>(), &[]);
        }
        if let Some(Value::Mapping(healthcheck)) = map.get_mut("healthcheck") {
            let fields = fields_of::<HealthcheckFile>();
            self.strip_keys(healthcheck, &at("healthcheck"), fields, &[]);
        }
        if let Some(Value::Mapping(deploy)) = map.get_mut("deploy") {
            let deploy_path = at("deploy");
            self.strip_keys(deploy, &deploy_path, fields_of::<DeployFile>(), &[]);
            if let Some(Value::Mapping(resources)) = deploy.get_mut("resources") {
                let resources_path = key_path(&deploy_path, "resources");
                let fields = fields_of::<ResourcesFile>();
                self.strip_keys(resources, &resources_path, fields, &[]);
                if let Some(Value::Mapping(limits)) = resources.get_mut("limits") {
                    let limits_path = key_path(&resources_path, "limits");
                    self.strip_keys(limits, &limits_path, fields_of::<LimitsFile>(), &[]);
                }
            }
        }
        let lists: [(&str, &[&str]); 3] = [
            ("volumes", fields_of::<VolumeMap>()),
            ("ports", fields_of::<PortMap>()),
            ("env_file", fields_of::<EnvFileMap>()),
        ];
        for (key, fields) in lists {
            if let Some(Value::Sequence(items)) = map.get_mut(key) {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Mapping(item) = item {
                        let item_path = index_path(&at(key), i);
                        self.strip_keys(item, &item_path, fields, &[]);
                        if let Some(Value::Mapping(options)) = item.get_mut("volume")
                            && key == "volumes"
                        {
                            let options_path = key_path(&item_path, "volume");
                            let fields = fields_of::<VolumeOptions>();
                            self.strip_keys(options, &options_path, fields, &[]);
                        }
                    }
                }
            }
        }
        let maps: [(&str, &[&str]); 2] = [
            ("depends_on", fields_of::<DependsOnMap>()),
            ("networks", fields_of::<ServiceNetworkMap>()),
        ];
        for (key, fields) in maps {
            if let Some(Value::Mapping(entries)) = map.get_mut(key) {
                for (name, entry) in entries.iter_mut() {
                    if let Value::Mapping(entry) = entry {
                        let entry_path = key_path(&at(key), &key_text(name));
                        self.strip_keys(entry, &entry_path, fields, &[]);
                    }
                }
            }
        }
    }

    fn build(&mut self, build: BuildFile, path: &str) -> Option<Build> {
        // In the short form (`build: ./dir`), problems are reported at `build` itself.
        let (map, context_path, dockerfile_path) = match build {
            BuildFile::Context(context) => (
                BuildMap {
                    context: Some(context),
                    ..BuildMap::default()
                },
                path.to_string(),
                path.to_string(),
            ),
            BuildFile::Full(map) => (map, key_path(path, "context"), key_path(path, "dockerfile")),
        };
        let context_text = map.context.unwrap_or_else(|| ".".into());
        let context = if is_remote_context(&context_text) {
            self.problem(
                &context_path,
                format!(
                    "`{context_text}` is a remote build context (URL or Git repository), which is \
                     not allowed: the context must be a folder inside the ZIP"
                ),
            );
            None
        } else {
            match inside_path(&context_text) {
                Ok(context) => {
                    if is_real_dir(&self.app_dir.join(&context)) {
                        Some(context)
                    } else {
                        self.problem(
                            &context_path,
                            format!(
                                "the build context `{context_text}` is not a folder in the ZIP"
                            ),
                        );
                        None
                    }
                }
                Err(e) => {
                    self.problem(
                        &context_path,
                        format!("the build context must be inside the ZIP: {e}"),
                    );
                    None
                }
            }
        };
        let dockerfile_text = map.dockerfile.unwrap_or_else(|| "Dockerfile".into());
        let dockerfile = match inside_path(&dockerfile_text) {
            Ok(dockerfile) if dockerfile.as_os_str() != "." => Some(dockerfile),
            Ok(_) => {
                self.problem(&dockerfile_path, "the Dockerfile must be a file");
                None
            }
            Err(e) => {
                self.problem(
                    &dockerfile_path,
                    format!("the Dockerfile must be inside the build context: {e}"),
                );
                None
            }
        };
        let args = match map.args {
            Some(args) => self
                .list_or_map(args, &key_path(path, "args"))
                .into_iter()
                // An argument without a value keeps the Dockerfile's default.
                .filter_map(|(key, value, _)| value.map(|v| (key, v)))
                .collect(),
            None => BTreeMap::new(),
        };
        let (context, dockerfile) = (context?, dockerfile?);
        if !is_real_file(&self.app_dir.join(&context).join(&dockerfile)) {
            self.problem(
                &dockerfile_path,
                format!(
                    "`{dockerfile_text}` is not a file in the build context `{}`",
                    context.display()
                ),
            );
            return None;
        }
        Some(Build {
            context,
            dockerfile: dockerfile.to_string_lossy().into_owned(),
            args,
            target: map.target,
        })
    }

    fn command(&mut self, command: Command, path: &str) -> Option<Vec<String>> {
        match command {
            Command::Words(words) => Some(words),
            Command::Line(line) => match split_command(&line) {
                Ok(words) => Some(words),
                Err(e) => {
                    self.problem(path, e);
                    None
                }
            },
        }
    }

    /// `KEY=VALUE` list or mapping, as (key, value, path); a key without a value (`KEY` in a
    /// list, `KEY:` in a mapping) has `None`.
    fn list_or_map(
        &mut self,
        entries: ListOrMap,
        path: &str,
    ) -> Vec<(String, Option<String>, String)> {
        let entries: Vec<_> = match entries {
            ListOrMap::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    let (key, value) = match item.split_once('=') {
                        Some((key, value)) => (key.to_string(), Some(value.to_string())),
                        None => (item, None),
                    };
                    (key, value, index_path(path, i))
                })
                .collect(),
            ListOrMap::Map(map) => map
                .0
                .into_iter()
                .map(|(key, value)| {
                    let entry_path = key_path(path, &key);
                    (key, value.map(|v| v.text()), entry_path)
                })
                .collect(),
        };
        entries
            .into_iter()
            .filter(|(key, _, entry_path)| {
                let ok = !key.trim().is_empty();
                if !ok {
                    self.problems
                        .push(Problem::new(entry_path.clone(), "the name is empty"));
                }
                ok
            })
            .collect()
    }

    fn env_files(
        &mut self,
        files: OneOrMany<EnvFileEntry>,
        path: &str,
        environment: &mut BTreeMap<String, String>,
    ) {
        let entries: Vec<(String, Option<Scalar>, String)> = match files {
            OneOrMany::One(file) => vec![(file, None, path.to_string())],
            OneOrMany::Many(files) => files
                .into_iter()
                .enumerate()
                .map(|(i, entry)| match entry {
                    EnvFileEntry::Path(file) => (file, None, index_path(path, i)),
                    EnvFileEntry::Full(EnvFileMap {
                        path: file,
                        required,
                    }) => (file, required, index_path(path, i)),
                })
                .collect(),
        };
        for (file, required, entry_path) in entries {
            if self.budget.exhausted() {
                return;
            }
            let required = match required {
                Some(r) => match self.boolean(&r, &key_path(&entry_path, "required")) {
                    Some(required) => required,
                    None => continue,
                },
                None => true,
            };
            let relative = match inside_path(&file) {
                Ok(relative) => relative,
                Err(e) => {
                    self.problem(&entry_path, format!("env_file must be inside the ZIP: {e}"));
                    continue;
                }
            };
            let text = match read_text(&self.app_dir.join(&relative)) {
                Ok(text) => text,
                Err(e) if e.kind() == io::ErrorKind::NotFound && !required => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.problem(&entry_path, format!("`{file}` is not in the ZIP"));
                    continue;
                }
                Err(e) => {
                    self.problem(&entry_path, format!("cannot read `{file}`: {e}"));
                    continue;
                }
            };
            let (vars, errors) = parse_env_file(&text, &self.vars, &mut self.budget);
            for error in errors {
                self.problem(&entry_path, format!("`{file}` {error}"));
            }
            environment.extend(vars);
        }
    }

    /// The labels, and the path of a `milkcrate.main_service` set to true.
    fn labels(
        &mut self,
        labels: ListOrMap,
        path: &str,
    ) -> (BTreeMap<String, String>, Option<String>) {
        let mut result = BTreeMap::new();
        let mut main = None;
        for (key, value, label_path) in self.list_or_map(labels, path) {
            let value = value.unwrap_or_default();
            let lower = key.to_ascii_lowercase();
            if lower == MAIN_LABEL {
                match value.trim().to_ascii_lowercase().as_str() {
                    "true" => main = Some(label_path),
                    "false" => {}
                    _ => self.problem(
                        label_path,
                        format!("`{MAIN_LABEL}` must be \"true\" or \"false\", not `{value}`"),
                    ),
                }
                continue;
            }
            let reserved = ["traefik.", "milkcrate.", "com.docker.compose."]
                .into_iter()
                .find(|prefix| lower.starts_with(prefix));
            if let Some(prefix) = reserved {
                let why = match prefix {
                    "traefik." => "Milkcrate sets the main service's routing itself",
                    "milkcrate." => {
                        "they are Milkcrate's own; only `milkcrate.main_service` is yours"
                    }
                    _ => "Milkcrate sets Compose's labels itself",
                };
                self.problem(
                    label_path,
                    format!("labels starting with `{prefix}` are reserved: {why}"),
                );
                continue;
            }
            result.insert(key, value);
        }
        (result, main)
    }

    fn ports(&mut self, ports: Vec<PortEntry>, path: &str) -> Vec<(u16, bool)> {
        let mut found = Vec::new();
        for (i, entry) in ports.into_iter().enumerate() {
            let entry_path = index_path(path, i);
            let parsed = match entry {
                PortEntry::Short(Scalar::Int(port)) => int_port(port).map(|p| (p, true)),
                PortEntry::Short(Scalar::Str(text)) => {
                    parse_container_port(short_port_container_side(&text))
                }
                PortEntry::Short(other) => Err(format!("`{}` is not a port", other.text())),
                PortEntry::Long(PortMap {
                    target, protocol, ..
                }) => {
                    let target = match target {
                        Scalar::Int(port) => int_port(port),
                        Scalar::Str(text) => parse_container_port(&text).and_then(|(p, _)| {
                            if text.contains(['/', '-']) {
                                Err(format!("`{text}` is not a port"))
                            } else {
                                Ok(p)
                            }
                        }),
                        other => Err(format!("`{}` is not a port", other.text())),
                    };
                    let tcp = match protocol.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        None | Some("tcp") => Ok(true),
                        Some("udp" | "sctp") => Ok(false),
                        Some(other) => Err(format!("unknown protocol `{other}`")),
                    };
                    target.and_then(|p| tcp.map(|tcp| (p, tcp)))
                }
            };
            match parsed {
                Ok(port) => found.push(port),
                Err(e) => self.problem(entry_path, e),
            }
        }
        found
    }

    fn expose(&mut self, expose: Vec<Scalar>, path: &str) -> Vec<(u16, bool)> {
        let mut found = Vec::new();
        for (i, entry) in expose.into_iter().enumerate() {
            let parsed = match entry {
                Scalar::Int(port) => int_port(port).map(|p| (p, true)),
                Scalar::Str(text) => parse_container_port(&text),
                other => Err(format!("`{}` is not a port", other.text())),
            };
            match parsed {
                Ok(port) => found.push(port),
                Err(e) => self.problem(index_path(path, i), e),
            }
        }
        found
    }

    fn volumes(
        &mut self,
        entries: Vec<VolumeEntry>,
        path: &str,
        targets: &mut BTreeSet<String>,
    ) -> Vec<VolumeMount> {
        let mut mounts = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let entry_path = index_path(path, i);
            let mount = match entry {
                VolumeEntry::Short(text) => self.short_volume(&text, &entry_path),
                VolumeEntry::Long(map) => self.long_volume(map, &entry_path),
            };
            let Some(mount) = mount else { continue };
            if !targets.insert(mount.target.clone()) {
                self.problem(
                    entry_path,
                    format!("`{}` is already mounted by another entry", mount.target),
                );
                continue;
            }
            mounts.push(mount);
        }
        mounts
    }

    fn short_volume(&mut self, text: &str, path: &str) -> Option<VolumeMount> {
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, mode) = match parts[..] {
            [target] => {
                self.problem(path, anonymous_volume_message(target));
                return None;
            }
            [source, target] => (source, target, None),
            [source, target, mode] => (source, target, Some(mode)),
            _ => {
                self.problem(
                    path,
                    format!("`{text}` is not a volume mount (`name:/path` or `name:/path:ro`)"),
                );
                return None;
            }
        };
        let source = self.volume_source(source, path)?;
        let target = match container_path(target) {
            Ok(target) => target,
            Err(e) => {
                self.problem(path, e);
                return None;
            }
        };
        let mut read_only = false;
        for option in mode
            .unwrap_or_default()
            .split(',')
            .filter(|o| !o.is_empty())
        {
            match option {
                "ro" => read_only = true,
                "rw" => read_only = false,
                "nocopy" | "z" | "Z" => {}
                other => {
                    self.problem(path, format!("unsupported volume option `{other}`"));
                    return None;
                }
            }
        }
        Some(VolumeMount {
            source,
            target,
            read_only,
        })
    }

    fn long_volume(&mut self, map: VolumeMap, path: &str) -> Option<VolumeMount> {
        match map.kind.as_deref() {
            Some("volume") => {}
            Some("bind") => {
                let source = map.source.unwrap_or_default();
                self.problem(path, host_path_message(&source));
                return None;
            }
            Some("tmpfs") => {
                self.problem(
                    path,
                    "tmpfs mounts go in the service's `tmpfs` key (`/path` or \
                     `/path:size=64m`), not in `volumes`",
                );
                return None;
            }
            Some(other) => {
                self.problem(
                    key_path(path, "type"),
                    format!("volume type `{other}` is not supported: only `volume`"),
                );
                return None;
            }
            None => {
                self.problem(path, "`type` is required (`volume`)");
                return None;
            }
        }
        let target_text = map.target.unwrap_or_default();
        let source = match map.source.as_deref() {
            None | Some("") => {
                self.problem(path, anonymous_volume_message(&target_text));
                return None;
            }
            Some(source) => self.volume_source(source, &key_path(path, "source"))?,
        };
        let target = match container_path(&target_text) {
            Ok(target) => target,
            Err(e) => {
                self.problem(key_path(path, "target"), e);
                return None;
            }
        };
        let read_only = map
            .read_only
            .and_then(|r| self.boolean(&r, &key_path(path, "read_only")))
            .unwrap_or(false);
        Some(VolumeMount {
            source,
            target,
            read_only,
        })
    }

    /// A mount's source: a declared volume, a managed one, or a problem.
    fn volume_source(&mut self, source: &str, path: &str) -> Option<VolumeSource> {
        if source.is_empty() {
            self.problem(path, "the volume name is empty");
            return None;
        }
        if source.starts_with(['/', '.', '~']) || source.contains(['/', '\\']) {
            self.problem(path, host_path_message(source));
            return None;
        }
        if !valid_name(source) {
            self.problem(path, invalid_name_message(source));
            return None;
        }
        if self.declared_volumes.iter().any(|v| v == source) {
            Some(VolumeSource::Named(source.to_string()))
        } else if self.managed_volumes.iter().any(|v| v == source) {
            Some(VolumeSource::Managed(source.to_string()))
        } else if self.unknown_volumes {
            None
        } else {
            self.problem(
                path,
                format!(
                    "volume `{source}` is neither declared in the top-level `volumes` nor a \
                     Milkcrate-managed volume"
                ),
            );
            None
        }
    }

    fn tmpfs(
        &mut self,
        entry: String,
        path: &str,
        targets: &mut BTreeSet<String>,
    ) -> Option<String> {
        let (target, options) = match entry.split_once(':') {
            Some((target, options)) => (target, Some(options)),
            None => (entry.as_str(), None),
        };
        let target = match container_path(target) {
            Ok(target) => target,
            Err(e) => {
                self.problem(path, e);
                return None;
            }
        };
        const OPTIONS: [&str; 11] = [
            "size",
            "mode",
            "uid",
            "gid",
            "nr_inodes",
            "noexec",
            "exec",
            "nosuid",
            "nodev",
            "ro",
            "rw",
        ];
        for option in options
            .unwrap_or_default()
            .split(',')
            .filter(|o| !o.is_empty())
        {
            let name = option.split_once('=').map_or(option, |(name, _)| name);
            if !OPTIONS.contains(&name) {
                self.problem(path, format!("unsupported tmpfs option `{option}`"));
                return None;
            }
        }
        if !targets.insert(target.clone()) {
            self.problem(
                path,
                format!("`{target}` is already mounted by another entry"),
            );
            return None;
        }
        Some(match options {
            Some(options) if !options.is_empty() => format!("{target}:{options}"),
            _ => target,
        })
    }

    fn depends_on(
        &mut self,
        depends_on: DependsOn,
        path: &str,
    ) -> (Vec<(String, Condition)>, Vec<String>) {
        let entries: Vec<(String, Condition, String)> = match depends_on {
            DependsOn::List(names) => names
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name, Condition::Started, index_path(path, i)))
                .collect(),
            DependsOn::Map(map) => map
                .0
                .into_iter()
                .filter_map(|(name, entry)| {
                    let entry_path = key_path(path, &name);
                    let condition = match entry.and_then(|e| e.condition).as_deref() {
                        None | Some("service_started") => Condition::Started,
                        Some("service_healthy") => Condition::Healthy,
                        Some("service_completed_successfully") => Condition::CompletedSuccessfully,
                        Some(other) => {
                            self.problems.push(Problem::new(
                                key_path(&entry_path, "condition"),
                                format!(
                                    "unknown condition `{other}` (service_started, \
                                     service_healthy or service_completed_successfully)"
                                ),
                            ));
                            return None;
                        }
                    };
                    Some((name, condition, entry_path))
                })
                .collect(),
        };
        let mut dependencies: Vec<(String, Condition)> = Vec::new();
        let mut paths = Vec::new();
        for (name, condition, entry_path) in entries {
            if !dependencies.iter().any(|(n, _)| *n == name) {
                dependencies.push((name, condition));
                paths.push(entry_path);
            }
        }
        (dependencies, paths)
    }

    fn healthcheck(&mut self, file: HealthcheckFile, path: &str) -> Option<Healthcheck> {
        let at = |key: &str| key_path(path, key);
        let disabled = file
            .disable
            .and_then(|d| self.boolean(&d, &at("disable")))
            .unwrap_or(false);
        let test = match file.test {
            _ if disabled => vec!["NONE".to_string()],
            None => Vec::new(),
            Some(Command::Line(line)) => vec!["CMD-SHELL".to_string(), line],
            Some(Command::Words(words)) => {
                let valid = match words.first().map(String::as_str) {
                    Some("CMD") => words.len() >= 2,
                    Some("CMD-SHELL") => words.len() == 2,
                    Some("NONE") => words.len() == 1,
                    _ => false,
                };
                if !valid {
                    self.problem(
                        at("test"),
                        "must be `[\"CMD\", program, args...]`, `[\"CMD-SHELL\", command]`, \
                         `[\"NONE\"]` or a command string",
                    );
                    return None;
                }
                words
            }
        };
        let interval = file
            .interval
            .and_then(|d| self.duration(&d, &at("interval")));
        let timeout = file.timeout.and_then(|d| self.duration(&d, &at("timeout")));
        let start_period = file
            .start_period
            .and_then(|d| self.duration(&d, &at("start_period")));
        let start_interval = file
            .start_interval
            .and_then(|d| self.duration(&d, &at("start_interval")));
        let retries = file.retries.and_then(|r| {
            let parsed = match &r {
                Scalar::Int(n) => u32::try_from(*n).ok(),
                Scalar::Str(s) => s.trim().parse().ok(),
                _ => None,
            };
            if parsed.is_none() {
                self.problem(
                    at("retries"),
                    format!("`{}` is not a number of retries", r.text()),
                );
            }
            parsed
        });
        Some(Healthcheck {
            test,
            interval,
            timeout,
            start_period,
            start_interval,
            retries,
        })
    }

    fn restart(&mut self, restart: &Scalar, path: &str) -> Option<String> {
        let text = match restart {
            Scalar::Bool(false) => "no".to_string(),
            other => other.text(),
        };
        let valid = match text.as_str() {
            "no" | "always" | "on-failure" | "unless-stopped" => true,
            other => other
                .strip_prefix("on-failure:")
                .is_some_and(|n| n.parse::<u32>().is_ok()),
        };
        if valid {
            Some(text)
        } else {
            self.problem(
                path,
                format!(
                    "unknown restart policy `{text}` (no, always, on-failure[:N] or unless-stopped)"
                ),
            );
            None
        }
    }

    fn duration(&mut self, value: &Scalar, path: &str) -> Option<Duration> {
        let parsed = match value {
            Scalar::Int(seconds) if *seconds >= 0 => {
                Ok(Duration::from_secs(seconds.unsigned_abs()))
            }
            Scalar::Float(_) | Scalar::Str(_) => parse_duration(&value.text()),
            other => Err(format!("`{}` is not a duration", other.text())),
        };
        parsed.map_err(|e| self.problem(path, e)).ok()
    }

    fn boolean(&mut self, value: &Scalar, path: &str) -> Option<bool> {
        let parsed = value.boolean();
        if parsed.is_none() {
            self.problem(path, format!("`{}` is not true or false", value.text()));
        }
        parsed
    }

    /// Effective (memory bytes, nano CPUs, pids): the file's, capped by the platform's.
    fn limits(
        &mut self,
        mem_limit: Option<Scalar>,
        cpus: Option<Scalar>,
        deploy: Option<DeployFile>,
        path: &str,
    ) -> (i64, i64, i64) {
        let mut memory = vec![(mem_limit, key_path(path, "mem_limit"))];
        let mut cpu = vec![(cpus, key_path(path, "cpus"))];
        let mut pids = Vec::new();
        if let Some(limits) = deploy.and_then(|d| d.resources).and_then(|r| r.limits) {
            let limits_path = key_path(path, "deploy.resources.limits");
            memory.push((limits.memory, key_path(&limits_path, "memory")));
            cpu.push((limits.cpus, key_path(&limits_path, "cpus")));
            pids.push((limits.pids, key_path(&limits_path, "pids")));
        }
        let mut memory_bytes = self.caps.memory_bytes;
        for (value, at) in memory {
            let Some(value) = value else { continue };
            let parsed = match &value {
                Scalar::Int(bytes) if *bytes > 0 => Ok(*bytes),
                Scalar::Str(text) => parse_bytes(text),
                other => Err(format!("`{}` is not a size", other.text())),
            };
            match parsed {
                Ok(bytes) if bytes < MIN_MEMORY_BYTES => self.problem(
                    at,
                    format!("`{}` is below Docker's minimum of 6 MiB", value.text()),
                ),
                Ok(bytes) => memory_bytes = memory_bytes.min(bytes),
                Err(e) => self.problem(at, e),
            }
        }
        let mut nano_cpus = self.caps.nano_cpus;
        for (value, at) in cpu {
            let Some(value) = value else { continue };
            match parse_cpus(&value.text()) {
                Ok(nano) => nano_cpus = nano_cpus.min(nano),
                Err(e) => self.problem(at, e),
            }
        }
        let mut pid_limit = self.caps.pids;
        for (value, at) in pids {
            let Some(value) = value else { continue };
            let parsed = match &value {
                Scalar::Int(n) => Some(*n),
                Scalar::Str(s) => s.trim().parse().ok(),
                _ => None,
            };
            match parsed {
                Some(n) if n > 0 => pid_limit = pid_limit.min(n),
                // Docker's "unlimited": the platform's limit applies.
                Some(0 | -1) => {}
                _ => self.problem(
                    at,
                    format!("`{}` is not a number of processes", value.text()),
                ),
            }
        }
        (memory_bytes, nano_cpus, pid_limit)
    }

    fn service_networks(&mut self, networks: Option<ServiceNetworks>, path: &str) -> Vec<String> {
        let entries: Vec<(String, String)> = match networks {
            None => Vec::new(),
            Some(ServiceNetworks::List(names)) => names
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name, index_path(path, i)))
                .collect(),
            Some(ServiceNetworks::Map(map)) => map
                .0
                .into_iter()
                .map(|(name, _)| {
                    let entry_path = key_path(path, &name);
                    (name, entry_path)
                })
                .collect(),
        };
        let mut result: Vec<String> = Vec::new();
        for (name, entry_path) in entries {
            if name != "default" && !self.declared_networks.contains(&name) {
                if self.unknown_networks {
                    continue;
                }
                self.problem(
                    entry_path,
                    format!("network `{name}` is not declared in the top-level `networks`"),
                );
            } else if !result.contains(&name) {
                result.push(name);
            }
        }
        if result.is_empty() {
            result.push("default".into());
        }
        result
    }

    /// `ipc`, `uts`, `userns_mode`: the host's namespace or another container's is refused.
    fn namespace(&mut self, value: Option<String>, path: &str, kind: &str, fine: &[&str]) {
        let Some(value) = value else { return };
        let lower = value.trim().to_ascii_lowercase();
        if lower == "host" {
            self.problem(
                path,
                format!("sharing the host's {kind} namespace is not allowed"),
            );
        } else if lower.starts_with("container:") || lower.starts_with("service:") {
            self.problem(
                path,
                format!("sharing another container's {kind} namespace is not allowed"),
            );
        } else if !fine.contains(&lower.as_str()) {
            self.problem(path, format!("unsupported value `{value}`"));
        }
    }
}

fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn is_real_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

fn int_port(port: i64) -> Result<u16, String> {
    u16::try_from(port)
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("`{port}` is not a port (1 to 65535)"))
}

fn anonymous_volume_message(target: &str) -> String {
    format!(
        "anonymous volumes are not supported: mount a named volume (`name:{target}`, declared in \
         the top-level `volumes`), or use the `tmpfs` key for scratch space"
    )
}

/// A bind mount of `source`, which is always refused; the Docker socket gets its own message.
fn host_path_message(source: &str) -> String {
    if source.is_empty() {
        return "bind mounts of host paths are not allowed: use a named volume declared in the \
                top-level `volumes`"
            .into();
    }
    let normalized = source.trim_end_matches('/');
    let socket_parents = ["", "/var", "/var/run", "/run"];
    if source.contains("docker.sock") || socket_parents.contains(&normalized) {
        format!(
            "mounting the Docker socket (`{source}`) is not allowed: it would give the app \
             control of the host"
        )
    } else if source.starts_with('.') {
        format!(
            "bind mounts of host paths (`{source}`) are not allowed: files of the ZIP belong in \
             the image (`COPY` them in a Dockerfile); data belongs in a named volume declared in \
             the top-level `volumes`"
        )
    } else {
        format!(
            "bind mounts of host paths (`{source}`) are not allowed: use a named volume declared \
             in the top-level `volumes`"
        )
    }
}

/// Why a `security_opt` entry is refused, if it is.
fn security_opt_problem(option: &str) -> Option<String> {
    let lower = option.trim().to_ascii_lowercase();
    let (name, value) = match lower.find([':', '=']) {
        Some(i) => (&lower[..i], &lower[i + 1..]),
        None => (lower.as_str(), ""),
    };
    match (name, value) {
        ("no-new-privileges", "" | "true") => None,
        ("no-new-privileges", _) => Some(format!(
            "`{option}` is not allowed: every container runs with no-new-privileges"
        )),
        ("seccomp" | "apparmor" | "systempaths", "unconfined") => Some(format!(
            "`{option}` turns off a security profile: not allowed"
        )),
        ("label", "disable") => Some(format!(
            "`{option}` turns off SELinux labelling: not allowed"
        )),
        _ => Some(format!(
            "unsupported security option `{option}`: Milkcrate applies its own; only \
             `no-new-privileges` may be given"
        )),
    }
}
