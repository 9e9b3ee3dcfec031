//! The policy: what a compose file may ask for, checked key by key, and the conversion of what
//! passes into a [`Stack`]. Every check records a [`Problem`] and goes on, so a file's problems
//! all come back at once. The checks of one service are in `policy/service.rs`.

use std::{
    collections::BTreeMap,
    fs::File,
    io::{self, Read},
    path::Path,
};

use serde::de::DeserializeOwned;
use yaml_serde::{Mapping, Value};

mod service;

use super::{
    Caps, Condition, Healthcheck, Problem, STACK_LIMIT_FACTOR, Service, Stack,
    interpolate::{Budget, Vars, interpolate_file, parse_env_file},
    model::{ComposeFile, NetworkDef, VolumeDef, fields_of},
    parse::{index_path, inside_path, key_path, key_text, path_order, valid_name},
};

/// Files read from the app folder (compose file, `.env`, `env_file`) may not be larger.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The port of the main service when it names none.
const DEFAULT_PORT: u16 = 8000;

/// The label that picks the main service.
const MAIN_LABEL: &str = "milkcrate.main_service";

/// Keys rejected wherever they appear at the top level, with the reason.
const TOP_LEVEL_DENIED: &[(&str, &str)] = &[(
    "include",
    "`include` is not supported: put every service in this one file",
)];

const VOLUME_DENIED: &[(&str, &str)] = &[
    (
        "driver_opts",
        "volume driver options are not allowed: they can mount host paths",
    ),
    (
        "external",
        "external volumes are not allowed: volumes belong to the app (Milkcrate-managed volumes \
         are mounted by name without declaring them)",
    ),
    (
        "name",
        "custom volume names are not allowed: volumes are scoped to the app",
    ),
];

const NETWORK_DENIED: &[(&str, &str)] = &[
    (
        "external",
        "external networks are not allowed: an app only joins its own networks",
    ),
    ("driver_opts", "network driver options are not allowed"),
    (
        "name",
        "custom network names are not allowed: networks are scoped to the app",
    ),
];

/// Reads `<app_dir>/<file>` (the compose file found at the ZIP root) and `<app_dir>/.env`,
/// interpolates, parses, and checks everything. All problems of a file are returned at once,
/// sorted by path. `managed_volumes` are the names of Milkcrate-managed volumes that exist (a
/// service may mount those by name without declaring them); `app_vars` are the app's variables
/// set in Milkcrate, which win over the `.env`'s.
pub fn load(
    app_dir: &Path,
    file: &str,
    caps: &Caps,
    managed_volumes: &[String],
    app_vars: &BTreeMap<String, String>,
) -> Result<Stack, Vec<Problem>> {
    let mut checker = Checker {
        app_dir,
        caps: *caps,
        managed_volumes,
        vars: Vars::new(),
        budget: Budget::default(),
        declared_volumes: Vec::new(),
        declared_networks: Vec::new(),
        unknown_volumes: false,
        unknown_networks: false,
        problems: Vec::new(),
    };
    let stack = checker.load(file, app_vars);
    let mut problems = checker.problems;
    match stack {
        Some(stack) if problems.is_empty() => Ok(stack),
        _ => {
            if problems.is_empty() {
                problems.push(Problem::new("", "the compose file was refused"));
            }
            problems.sort_by(|a, b| path_order(&a.path, &b.path));
            problems.dedup();
            Err(problems)
        }
    }
}

struct Checker<'a> {
    app_dir: &'a Path,
    caps: Caps,
    managed_volumes: &'a [String],
    /// From `.env`.
    vars: Vars,
    /// What interpolation may still produce (`.env`, `env_file`s and the file together).
    budget: Budget,
    declared_volumes: Vec<String>,
    /// Without `default`.
    declared_networks: Vec<String>,
    /// The top-level `volumes` / `networks` had type errors.
    unknown_volumes: bool,
    unknown_networks: bool,
    problems: Vec<Problem>,
}

/// A converted service and what the stack-wide checks need to know about it.
struct Draft {
    service: Service,
    /// Where `depends_on` names each dependency, in `service.depends_on` order.
    dependency_paths: Vec<String>,
    /// The path of a `milkcrate.main_service` label set to true.
    main_label: Option<String>,
    /// Container ports from `ports`, then from `expose`: (port, is TCP).
    ports: Vec<(u16, bool)>,
    expose: Vec<(u16, bool)>,
    /// Every key had the right type (else ports or labels may be missing).
    complete: bool,
}

impl Checker<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    fn load(&mut self, file: &str, app_vars: &BTreeMap<String, String>) -> Option<Stack> {
        let path = match inside_path(file) {
            Ok(path) => self.app_dir.join(path),
            Err(e) => {
                self.problem("", format!("compose file: {e}"));
                return None;
            }
        };
        let text = match read_text(&path) {
            Ok(text) => text,
            Err(e) => {
                self.problem("", format!("cannot read `{file}`: {e}"));
                return None;
            }
        };
        self.read_dotenv();
        self.vars
            .extend(app_vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        if self.budget.exhausted() {
            return None;
        }

        let mut root: Value = match yaml_serde::from_str(&text) {
            Ok(root) => root,
            Err(e) => {
                self.problem("", format!("`{file}` is not valid YAML: {e}"));
                return None;
            }
        };
        if let Err(e) = root.apply_merge() {
            self.problem("", format!("`{file}`: {e}"));
            return None;
        }
        if !root.is_mapping() {
            self.problem(
                "",
                format!("`{file}` must be a mapping with a `services` key at the top level"),
            );
            return None;
        }
        interpolate_file(&mut root, &self.vars, &mut self.budget, &mut self.problems);
        if self.budget.exhausted() {
            return None;
        }
        let Value::Mapping(mut top) = root else {
            return None;
        };

        self.strip_keys(&mut top, "", fields_of::<ComposeFile>(), TOP_LEVEL_DENIED);
        for section in ["volumes", "networks"] {
            if let Some(Value::Mapping(entries)) = top.get_mut(section) {
                let (fields, denied) = if section == "volumes" {
                    (fields_of::<VolumeDef>(), VOLUME_DENIED)
                } else {
                    (fields_of::<NetworkDef>(), NETWORK_DENIED)
                };
                for (name, definition) in entries.iter_mut() {
                    if let Value::Mapping(definition) = definition {
                        let path = key_path(section, &key_text(name));
                        self.strip_keys(definition, &path, fields, denied);
                    }
                }
            }
        }
        let services = top.remove("services");
        let (had_volumes, had_networks) =
            (top.contains_key("volumes"), top.contains_key("networks"));
        let compose: ComposeFile = self.typed(top, "").0.unwrap_or_default();
        // When a section could not be read, references to it are not checked (noise).
        self.unknown_volumes = had_volumes && compose.volumes.is_none();
        self.unknown_networks = had_networks && compose.networks.is_none();
        self.top_level_volumes(compose.volumes.map(|v| v.0).unwrap_or_default());
        self.top_level_networks(compose.networks.map(|n| n.0).unwrap_or_default());
        let networks = self.declared_networks.len();
        if networks > self.caps.max_networks {
            self.problem(
                "networks",
                format!(
                    "{networks} networks (besides `default`): a stack may declare at most {} \
                     (MILKCRATE_MAX_STACK_NETWORKS)",
                    self.caps.max_networks
                ),
            );
        }

        let services = match services {
            Some(Value::Mapping(services)) if !services.is_empty() => services,
            Some(Value::Mapping(_)) | Some(Value::Null) | None => {
                self.problem("services", "no services: the file must define at least one");
                return None;
            }
            Some(_) => {
                self.problem("services", "must be a mapping of service names to services");
                return None;
            }
        };
        if services.len() > self.caps.max_services {
            // Refused before any service is checked: each check costs, and the start order is
            // quadratic in the number of services.
            self.problem(
                "services",
                format!(
                    "{} services: a stack may have at most {} (MILKCRATE_MAX_STACK_SERVICES)",
                    services.len(),
                    self.caps.max_services
                ),
            );
            return None;
        }
        let mut names = Vec::new();
        let mut drafts = Vec::new();
        let mut complete = true;
        for (name, value) in services {
            let Value::String(name) = name else {
                self.problem(
                    key_path("services", &key_text(&name)),
                    "service names must be strings",
                );
                complete = false;
                continue;
            };
            names.push(name.clone());
            match self.service(&name, value) {
                Some(draft) => {
                    complete &= draft.complete;
                    drafts.push(draft);
                }
                None => complete = false,
            }
        }
        self.check_dependencies(&names, &drafts);
        self.check_totals(&drafts);
        let order = self.start_order(&drafts);
        let (main_service, main_port) = if complete {
            self.main_service(&drafts)?
        } else {
            return None;
        };
        let mut drafts: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
        let services = order
            .into_iter()
            .filter_map(|i| drafts[i].take().map(|d| d.service))
            .collect();
        Some(Stack {
            services,
            main_service,
            main_port,
            volumes: self.declared_volumes.clone(),
            networks: self.declared_networks.clone(),
        })
    }

    /// `<app_dir>/.env`, if there is one, into `self.vars`.
    fn read_dotenv(&mut self) {
        let path = self.app_dir.join(".env");
        match read_text(&path) {
            Ok(text) => {
                let (vars, errors) = parse_env_file(&text, &Vars::new(), &mut self.budget);
                self.vars = vars.into_iter().collect();
                for error in errors {
                    self.problem(".env", error);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => self.problem(".env", format!("cannot read `.env`: {e}")),
        }
    }

    /// Drops `x-` keys, and reports and drops every key not in `allowed`: with the reason from
    /// `denied` if it has one, as unsupported otherwise.
    fn strip_keys(
        &mut self,
        map: &mut Mapping,
        path: &str,
        allowed: &[&str],
        denied: &[(&str, &str)],
    ) {
        let mut found = Vec::new();
        map.retain(|key, _| {
            let Value::String(key) = key else {
                found.push(Problem::new(
                    key_path(path, &key_text(key)),
                    "keys must be strings",
                ));
                return false;
            };
            if key.starts_with("x-") {
                return false;
            }
            if allowed.contains(&key.as_str()) {
                return true;
            }
            let message = denied
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, reason)| reason.to_string())
                .unwrap_or_else(|| {
                    format!(
                        "unsupported key `{key}`: Milkcrate does not support it (see \
                         docs/compose.md), and never ignores a key silently"
                    )
                });
            found.push(Problem::new(key_path(path, key), message));
            false
        });
        self.problems.extend(found);
    }

    /// The typed mirror of a (key-checked) mapping, and whether every key had the right type.
    /// Keys of the wrong type are reported (down to the list item or mapping entry at fault) and
    /// left out, so the other keys are still checked.
    fn typed<T: DeserializeOwned>(&mut self, mut map: Mapping, path: &str) -> (Option<T>, bool) {
        if let Ok(typed) = yaml_serde::from_value::<T>(Value::Mapping(map.clone())) {
            return (Some(typed), true);
        }
        let mut wrong = Vec::new();
        for (key, value) in &map {
            let attempt = |value: Value| {
                let single = Mapping::from_iter([(key.clone(), value)]);
                yaml_serde::from_value::<T>(Value::Mapping(single)).map(drop)
            };
            let Err(error) = attempt(value.clone()) else {
                continue;
            };
            wrong.push(key.clone());
            let at = key_path(path, &key_text(key));
            let before = self.problems.len();
            // Down to the item or entry at fault, when the key takes a list or mapping at all.
            match value {
                Value::Sequence(items) if attempt(Value::Sequence(Vec::new())).is_ok() => {
                    for (i, item) in items.iter().enumerate() {
                        if let Err(e) = attempt(Value::Sequence(vec![item.clone()])) {
                            self.problem(index_path(&at, i), error_text(&e));
                        }
                    }
                }
                Value::Mapping(entries) if attempt(Value::Mapping(Mapping::new())).is_ok() => {
                    for (name, entry) in entries {
                        let single = Mapping::from_iter([(name.clone(), entry.clone())]);
                        if let Err(e) = attempt(Value::Mapping(single)) {
                            self.problem(key_path(&at, &key_text(name)), error_text(&e));
                        }
                    }
                }
                _ => {}
            }
            if self.problems.len() == before {
                self.problem(at, error_text(&error));
            }
        }
        for key in &wrong {
            map.remove(key);
        }
        (yaml_serde::from_value::<T>(Value::Mapping(map)).ok(), false)
    }

    fn top_level_volumes(&mut self, volumes: Vec<(String, Option<VolumeDef>)>) {
        for (name, definition) in volumes {
            let path = key_path("volumes", &name);
            if !valid_name(&name) {
                self.problem(&path, invalid_name_message(&name));
                continue;
            }
            if let Some(driver) = definition.and_then(|d| d.driver)
                && driver != "local"
            {
                self.problem(
                    key_path(&path, "driver"),
                    format!("volume driver `{driver}` is not allowed: only `local`"),
                );
            }
            self.declared_volumes.push(name);
        }
    }

    fn top_level_networks(&mut self, networks: Vec<(String, Option<NetworkDef>)>) {
        for (name, definition) in networks {
            let path = key_path("networks", &name);
            if !valid_name(&name) {
                self.problem(&path, invalid_name_message(&name));
                continue;
            }
            if let Some(driver) = definition.and_then(|d| d.driver)
                && driver != "bridge"
                && driver != "default"
            {
                self.problem(
                    key_path(&path, "driver"),
                    format!("network driver `{driver}` is not allowed: only `bridge`"),
                );
            }
            if name != "default" {
                self.declared_networks.push(name);
            }
        }
    }

    /// Every `depends_on` names a service of the file.
    fn check_dependencies(&mut self, names: &[String], drafts: &[Draft]) {
        for draft in drafts {
            for ((dependency, condition), path) in
                draft.service.depends_on.iter().zip(&draft.dependency_paths)
            {
                if !names.contains(dependency) {
                    self.problem(path, format!("unknown service `{dependency}`"));
                    continue;
                }
                let disabled = drafts.iter().any(|d| {
                    d.service.name == *dependency
                        && d.service
                            .healthcheck
                            .as_ref()
                            .is_some_and(Healthcheck::is_disabled)
                });
                if *condition == Condition::Healthy && disabled {
                    self.problem(
                        path,
                        format!(
                            "`{dependency}` has its healthcheck disabled, so it can never be \
                             healthy"
                        ),
                    );
                }
            }
        }
    }

    /// The services' limits together stay within [`STACK_LIMIT_FACTOR`] times the platform's
    /// per-app limits.
    fn check_totals(&mut self, drafts: &[Draft]) {
        let sum = |limit: fn(&Service) -> i64| {
            drafts
                .iter()
                .fold(0i64, |total, d| total.saturating_add(limit(&d.service)))
        };
        let caps = self.caps;
        let memory = (sum(|s| s.memory_bytes), caps.memory_bytes);
        let cpus = (sum(|s| s.nano_cpus), caps.nano_cpus);
        let pids = (sum(|s| s.pids), caps.pids);
        let over = |(total, cap): (i64, i64)| total > cap.saturating_mul(STACK_LIMIT_FACTOR);
        if over(memory) {
            self.problem(
                "services",
                format!(
                    "the services' memory limits add up to {} MiB: a stack may use at most {} MiB \
                     ({STACK_LIMIT_FACTOR} × MILKCRATE_APP_MEMORY_MB); set a lower `mem_limit` on \
                     some services",
                    memory.0 / MIB,
                    memory.1.saturating_mul(STACK_LIMIT_FACTOR) / MIB
                ),
            );
        }
        if over(cpus) {
            self.problem(
                "services",
                format!(
                    "the services' CPU limits add up to {} CPUs: a stack may use at most {} CPUs \
                     ({STACK_LIMIT_FACTOR} × MILKCRATE_APP_CPUS); set lower `cpus` on some \
                     services",
                    cpu_text(cpus.0),
                    cpu_text(cpus.1.saturating_mul(STACK_LIMIT_FACTOR))
                ),
            );
        }
        if over(pids) {
            self.problem(
                "services",
                format!(
                    "the services' process limits add up to {}: a stack may use at most {} \
                     ({STACK_LIMIT_FACTOR} × MILKCRATE_APP_PIDS); set lower \
                     `deploy.resources.limits.pids` on some services",
                    pids.0,
                    pids.1.saturating_mul(STACK_LIMIT_FACTOR)
                ),
            );
        }
    }

    /// Indexes into `drafts` in start order: dependencies first, file order otherwise. Each
    /// dependency cycle is a problem.
    fn start_order(&mut self, drafts: &[Draft]) -> Vec<usize> {
        let index = |name: &str| drafts.iter().position(|d| d.service.name == name);
        let dependencies: Vec<Vec<usize>> = drafts
            .iter()
            .map(|d| {
                d.service
                    .depends_on
                    .iter()
                    .filter_map(|(n, _)| index(n))
                    .collect()
            })
            .collect();
        let mut placed = vec![false; drafts.len()];
        let mut order = Vec::new();
        while order.len() < drafts.len() {
            let ready = (0..drafts.len())
                .find(|&i| !placed[i] && dependencies[i].iter().all(|&d| placed[d]));
            if let Some(i) = ready {
                placed[i] = true;
                order.push(i);
                continue;
            }
            // Every service left waits for another one left: walk until one repeats.
            let mut walk = vec![(0..drafts.len()).find(|&i| !placed[i]).unwrap_or(0)];
            let cycle = loop {
                let last = walk[walk.len() - 1];
                let next = dependencies[last]
                    .iter()
                    .copied()
                    .find(|&d| !placed[d])
                    .unwrap_or(last);
                if let Some(start) = walk.iter().position(|&w| w == next) {
                    break walk.split_off(start);
                }
                walk.push(next);
            };
            let first = cycle.iter().copied().min().unwrap_or(0);
            let mut names: Vec<&str> = cycle
                .iter()
                .map(|&i| drafts[i].service.name.as_str())
                .collect();
            let rotate = cycle.iter().position(|&i| i == first).unwrap_or(0);
            names.rotate_left(rotate);
            names.push(names[0]);
            self.problem(
                key_path(&key_path("services", names[0]), "depends_on"),
                format!("dependency cycle: {}", names.join(" → ")),
            );
            for &i in &cycle {
                placed[i] = true;
                order.push(i);
            }
        }
        order
    }

    /// The main service and its port.
    fn main_service(&mut self, drafts: &[Draft]) -> Option<(String, u16)> {
        let labelled: Vec<&Draft> = drafts.iter().filter(|d| d.main_label.is_some()).collect();
        let main = match labelled[..] {
            [main] => main,
            [first, ref others @ ..] if !others.is_empty() => {
                for other in others {
                    self.problem(
                        other.main_label.clone().unwrap_or_default(),
                        format!(
                            "`{MAIN_LABEL}` is also set on `{}`: only one service can be the \
                             main service",
                            first.service.name
                        ),
                    );
                }
                return None;
            }
            _ => {
                let exposing: Vec<&Draft> =
                    drafts.iter().filter(|d| d.service.exposes_port).collect();
                match exposing[..] {
                    [main] => main,
                    [] => {
                        self.problem(
                            "services",
                            format!(
                                "no service has `ports` or `expose`: label the one Traefik \
                                 should route to with `{MAIN_LABEL}: \"true\"`"
                            ),
                        );
                        return None;
                    }
                    _ => {
                        let names: Vec<&str> =
                            exposing.iter().map(|d| d.service.name.as_str()).collect();
                        self.problem(
                            "services",
                            format!(
                                "several services have `ports` or `expose` ({}): label the one \
                                 Traefik should route to with `{MAIN_LABEL}: \"true\"`",
                                names.join(", ")
                            ),
                        );
                        return None;
                    }
                }
            }
        };
        let port = main
            .ports
            .iter()
            .chain(&main.expose)
            .find(|(_, tcp)| *tcp)
            .map_or(DEFAULT_PORT, |(port, _)| *port);
        Some((main.service.name.clone(), port))
    }
}

/// Reads a file of at most [`MAX_FILE_BYTES`] as UTF-8; symlinks and other non-files are refused.
fn read_text(path: &Path) -> io::Result<String> {
    let metadata = std::fs::symlink_metadata(path)?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "larger than 1 MiB",
        ));
    }
    let mut text = String::new();
    File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    Ok(text)
}

const MIB: i64 = 1024 * 1024;

/// Nano CPUs as CPUs: `1.5`, `4`.
fn cpu_text(nano_cpus: i64) -> String {
    let text = format!("{:.3}", nano_cpus as f64 / 1e9);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A serde error as a message for the file's author: no Rust type names.
fn error_text(error: &yaml_serde::Error) -> String {
    let mut text = error.to_string();
    if let Some(at) = text.find("expected struct ") {
        text.truncate(at);
        text.push_str("expected a mapping");
    } else if !text.contains("expected") && !text.contains("missing field") {
        text = format!("expected {text}");
    }
    text
}

fn invalid_name_message(name: &str) -> String {
    format!(
        "`{name}` is not a valid name (letters, digits, `_`, `.` and `-`, starting with a letter \
         or digit)"
    )
}
