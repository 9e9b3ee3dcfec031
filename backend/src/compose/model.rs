//! The compose file as written: serde structs mirroring its supported keys, every form a key
//! may take included. These are the single source of truth for which keys exist: the key walk in
//! `policy.rs` asks them for their field names ([`fields_of`]), so a key not declared here is
//! reported as unsupported, never silently dropped. Values stay loose ([`Scalar`] where Compose
//! takes "a string, number or boolean"); `policy.rs` and `policy/service.rs` check and convert
//! them with exact paths.

use std::{fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeOwned, MapAccess, Visitor},
};
use yaml_serde::Value;

/// The top level.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ComposeFile {
    /// Accepted and ignored.
    #[allow(dead_code)]
    pub version: Option<Value>,
    /// Accepted and ignored: the stack is named after the app.
    #[allow(dead_code)]
    pub name: Option<Value>,
    /// Declared for the key walk; each service is read on its own (see [`ServiceFile`]) so its
    /// problems get exact paths.
    #[allow(dead_code)]
    pub services: Option<Value>,
    pub volumes: Option<OrderedMap<Option<VolumeDef>>>,
    pub networks: Option<OrderedMap<Option<NetworkDef>>>,
}

/// A top-level volume.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VolumeDef {
    /// `local` only.
    pub driver: Option<String>,
}

/// A top-level network.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkDef {
    /// `bridge` (or `default`) only.
    pub driver: Option<String>,
}

/// One service.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceFile {
    pub image: Option<String>,
    pub build: Option<BuildFile>,
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    pub environment: Option<ListOrMap>,
    pub env_file: Option<OneOrMany<EnvFileEntry>>,
    pub expose: Option<Vec<Scalar>>,
    pub ports: Option<Vec<PortEntry>>,
    pub volumes: Option<Vec<VolumeEntry>>,
    pub depends_on: Option<DependsOn>,
    pub healthcheck: Option<HealthcheckFile>,
    pub restart: Option<Scalar>,
    pub labels: Option<ListOrMap>,
    pub working_dir: Option<String>,
    pub user: Option<Scalar>,
    pub stop_grace_period: Option<Scalar>,
    pub tmpfs: Option<OneOrMany<String>>,
    pub read_only: Option<Scalar>,
    pub init: Option<Scalar>,
    pub mem_limit: Option<Scalar>,
    pub cpus: Option<Scalar>,
    pub deploy: Option<DeployFile>,
    pub networks: Option<ServiceNetworks>,
    // Accepted only with values that change nothing (checked in policy/service.rs).
    pub privileged: Option<Scalar>,
    pub cap_add: Option<Vec<String>>,
    /// Accepted and ignored: every container already drops all capabilities.
    #[allow(dead_code)]
    pub cap_drop: Option<Vec<String>>,
    pub security_opt: Option<Vec<String>>,
    pub ipc: Option<String>,
    pub uts: Option<String>,
    pub userns_mode: Option<String>,
}

/// `build: ./dir` or the long form.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a path or a mapping with `context`, `dockerfile`, ..."
)]
pub(super) enum BuildFile {
    Context(String),
    Full(BuildMap),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuildMap {
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    pub args: Option<ListOrMap>,
    pub target: Option<String>,
}

/// `command`, `entrypoint`, healthcheck `test`.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub(super) enum Command {
    Line(String),
    Words(Vec<String>),
}

/// `environment`, `labels`, build `args`: `["K=V", ...]` or `{K: V}`.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a list of `KEY=VALUE` strings or a mapping")]
pub(super) enum ListOrMap {
    List(Vec<String>),
    Map(OrderedMap<Option<Scalar>>),
}

/// One item or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or a list")]
pub(super) enum OneOrMany<T> {
    One(String),
    Many(Vec<T>),
}

/// An `env_file` entry.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a path or a mapping with `path` and `required`")]
pub(super) enum EnvFileEntry {
    Path(String),
    Full(EnvFileMap),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EnvFileMap {
    pub path: String,
    pub required: Option<Scalar>,
}

/// A `ports` entry: `"80:8080"`, `8080`, or the long form.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a port (`8080`, `\"80:8080\"`) or a mapping with `target`"
)]
pub(super) enum PortEntry {
    Short(Scalar),
    Long(PortMap),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PortMap {
    pub target: Scalar,
    /// Rewritten: never published.
    #[allow(dead_code)]
    pub published: Option<Scalar>,
    /// Rewritten: never published.
    #[allow(dead_code)]
    pub host_ip: Option<String>,
    pub protocol: Option<String>,
    #[allow(dead_code)]
    pub mode: Option<String>,
    #[allow(dead_code)]
    pub name: Option<String>,
    #[allow(dead_code)]
    pub app_protocol: Option<String>,
}

/// A service `volumes` entry: `"data:/var/lib/data:ro"` or the long form.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a string (`volume:/path[:ro]`) or a mapping with `type`"
)]
pub(super) enum VolumeEntry {
    Short(String),
    Long(VolumeMap),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VolumeMap {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub read_only: Option<Scalar>,
    /// Accepted and ignored (`nocopy` only).
    #[allow(dead_code)]
    pub volume: Option<VolumeOptions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VolumeOptions {
    /// Accepted and ignored.
    #[allow(dead_code)]
    pub nocopy: Option<Scalar>,
}

/// `depends_on: [a, b]` or `{a: {condition: ...}}`.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a list of service names or a mapping")]
pub(super) enum DependsOn {
    List(Vec<String>),
    Map(OrderedMap<Option<DependsOnMap>>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DependsOnMap {
    pub condition: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HealthcheckFile {
    pub test: Option<Command>,
    pub interval: Option<Scalar>,
    pub timeout: Option<Scalar>,
    pub start_period: Option<Scalar>,
    pub start_interval: Option<Scalar>,
    pub retries: Option<Scalar>,
    pub disable: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeployFile {
    pub resources: Option<ResourcesFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResourcesFile {
    pub limits: Option<LimitsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitsFile {
    pub memory: Option<Scalar>,
    pub cpus: Option<Scalar>,
    pub pids: Option<Scalar>,
}

/// A service's `networks`: `[a, b]` or `{a: null, b: {}}`.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a list of network names or a mapping")]
pub(super) enum ServiceNetworks {
    List(Vec<String>),
    Map(OrderedMap<Option<ServiceNetworkMap>>),
}

/// No per-network options are supported (aliases, addresses, ...).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceNetworkMap {}

/// A string, number or boolean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a string, number or boolean")]
pub(super) enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// As Compose would write it into a string.
    pub fn text(&self) -> String {
        match self {
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Str(s) => s.clone(),
        }
    }

    /// A boolean, also from the strings Compose takes (`true`/`false`, `yes`/`no`, `on`/`off`).
    pub fn boolean(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" => Some(true),
                "false" | "no" | "n" | "off" => Some(false),
                _ => None,
            },
            Self::Int(_) | Self::Float(_) => None,
        }
    }
}

/// A mapping with string keys, in file order.
#[derive(Debug)]
pub(super) struct OrderedMap<V>(pub Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(OrderedMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// The keys a struct above accepts, read from its `Deserialize` impl.
pub(super) fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields.unwrap_or(&[])
}

/// A deserializer that only records the field names a struct asks for.
struct FieldProbe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
