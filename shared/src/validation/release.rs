//! Checks of an app's configuration: its variables, health path and limits.

use std::collections::BTreeMap;

use crate::v1::{AppEnv, Limits};

/// Longest variable name.
pub const MAX_ENV_KEY_LEN: usize = 128;
/// Longest single value, in characters.
pub const MAX_ENV_VALUE_LEN: usize = 32 * 1024;
/// Most variables (and, separately, build arguments) an app may have.
pub const MAX_ENV_VARS: usize = 200;
/// Largest sum of all names and values, in bytes: the container's environment stays small.
pub const MAX_ENV_TOTAL_BYTES: usize = 256 * 1024;
/// Longest health path.
pub const MAX_HEALTH_PATH_LEN: usize = 200;
/// Docker refuses less memory than this.
pub const MIN_MEMORY_BYTES: u64 = 6 * 1024 * 1024;
pub const MIN_CPUS: f64 = 0.01;
/// Fewer could not start a shell and its child.
pub const MIN_PIDS: u32 = 8;

/// A variable or build-argument name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn env_key(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let Some(first) = chars.next() else {
        return Err("a name may not be empty".into());
    };
    if key.len() > MAX_ENV_KEY_LEN {
        let start: String = key.chars().take(16).collect();
        return Err(format!(
            "`{start}…` is longer than {MAX_ENV_KEY_LEN} characters"
        ));
    }
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "`{key}` is not a valid name: letters, digits and `_`, not starting with a digit"
        ));
    }
    Ok(())
}

/// Every problem of an env set, by field (`vars`, `build_args`): bad or duplicate names, values
/// too large or with NUL bytes, too many, too much in all. `has_secret(key)` says whether a
/// secret sent without a value already has one to keep.
pub fn app_env(env: &AppEnv, has_secret: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<String>> {
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut total = 0;
    let mut add = |field: &str, message: String| {
        problems.entry(field.into()).or_default().push(message);
    };
    let pairs = env
        .vars
        .iter()
        .map(|v| ("vars", v.key.as_str(), v.value.as_deref(), v.secret))
        .chain(
            env.build_args
                .iter()
                .map(|a| ("build_args", a.key.as_str(), Some(a.value.as_str()), false)),
        );
    let mut seen: BTreeMap<(&str, &str), ()> = BTreeMap::new();
    for (field, key, value, secret) in pairs {
        if let Err(e) = env_key(key) {
            add(field, e);
            continue;
        }
        if seen.insert((field, key), ()).is_some() {
            add(field, format!("`{key}` is given twice"));
        }
        match value {
            None if secret && has_secret(key) => {}
            None if secret => add(field, format!("`{key}` is a new secret and needs a value")),
            None => add(
                field,
                format!("`{key}` needs a value (`\"\"` for an empty one)"),
            ),
            Some(v) if v.chars().count() > MAX_ENV_VALUE_LEN => add(
                field,
                format!("the value of `{key}` is longer than {MAX_ENV_VALUE_LEN} characters"),
            ),
            Some(v) if v.contains('\0') => {
                add(field, format!("the value of `{key}` contains a NUL byte"))
            }
            Some(v) => total += key.len() + v.len(),
        }
    }
    for (field, count) in [
        ("vars", env.vars.len()),
        ("build_args", env.build_args.len()),
    ] {
        if count > MAX_ENV_VARS {
            add(
                field,
                format!("at most {MAX_ENV_VARS} entries, not {count}"),
            );
        }
    }
    if total > MAX_ENV_TOTAL_BYTES {
        add(
            "vars",
            format!(
                "names and values together exceed {} KiB",
                MAX_ENV_TOTAL_BYTES / 1024
            ),
        );
    }
    problems
}

/// A health path: absolute, printable ASCII without spaces (it goes into an HTTP request line),
/// taken exactly as given.
pub fn health_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err("must start with `/`, e.g. `/healthz`".into());
    }
    if path.len() > MAX_HEALTH_PATH_LEN {
        return Err(format!(
            "must be at most {MAX_HEALTH_PATH_LEN} characters long"
        ));
    }
    if !path.chars().all(|c| c.is_ascii_graphic()) {
        return Err("may contain only printable ASCII characters, no spaces".into());
    }
    Ok(path.to_string())
}

/// Problems with `limits` against the platform's maximums, by field.
pub fn limits(limits: &Limits, max: &Limits) -> BTreeMap<String, Vec<String>> {
    let mut problems = BTreeMap::new();
    let mib = |b: u64| b / (1024 * 1024);
    if limits.memory_bytes < MIN_MEMORY_BYTES || limits.memory_bytes > max.memory_bytes {
        problems.insert(
            "limits.memory_bytes".into(),
            vec![format!(
                "must be between {} MiB and the platform's {} MiB",
                mib(MIN_MEMORY_BYTES),
                mib(max.memory_bytes)
            )],
        );
    }
    if !(limits.cpus.is_finite() && limits.cpus >= MIN_CPUS && limits.cpus <= max.cpus) {
        problems.insert(
            "limits.cpus".into(),
            vec![format!(
                "must be between {MIN_CPUS} and the platform's {} cores",
                max.cpus
            )],
        );
    }
    if limits.pids < MIN_PIDS || limits.pids > max.pids {
        problems.insert(
            "limits.pids".into(),
            vec![format!(
                "must be between {MIN_PIDS} and the platform's {}",
                max.pids
            )],
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{BuildArg, EnvVar};

    fn var(key: &str, value: Option<&str>, secret: bool) -> EnvVar {
        EnvVar {
            key: key.into(),
            value: value.map(Into::into),
            secret,
        }
    }

    #[test]
    fn names_follow_the_shell_rule() {
        assert!(env_key("GREETING").is_ok() && env_key("_x1").is_ok());
        for bad in ["", "1X", "A-B", "A B", "É", "A=B"] {
            assert!(env_key(bad).is_err(), "{bad:?}");
        }
        assert!(env_key(&"A".repeat(129)).is_err());
        assert!(
            env_key(&"é".repeat(100)).is_err(),
            "a long non-ASCII name is refused, not a panic"
        );
    }

    #[test]
    fn every_problem_is_reported_under_its_field() {
        let env = AppEnv {
            vars: vec![
                var("A", Some("1"), false),
                var("A", Some("2"), false),
                var("9X", Some("3"), false),
                var("NEW_SECRET", None, true),
                var("KEPT_SECRET", None, true),
                var("PLAIN", None, false),
                var("NUL", Some("a\0b"), false),
            ],
            build_args: vec![BuildArg {
                key: "B-1".into(),
                value: "x".into(),
            }],
        };
        let problems = app_env(&env, |k| k == "KEPT_SECRET");
        let vars = problems["vars"].join("\n");
        assert!(vars.contains("`A` is given twice"), "{vars}");
        assert!(vars.contains("`9X` is not a valid name"), "{vars}");
        assert!(vars.contains("`NEW_SECRET` is a new secret"), "{vars}");
        assert!(!vars.contains("KEPT_SECRET"), "{vars}");
        assert!(vars.contains("`PLAIN` needs a value"), "{vars}");
        assert!(vars.contains("NUL byte"), "{vars}");
        assert!(problems["build_args"][0].contains("`B-1`"));
    }

    #[test]
    fn sizes_are_bounded() {
        let big = "x".repeat(MAX_ENV_VALUE_LEN + 1);
        let env = AppEnv {
            vars: vec![var("BIG", Some(&big), false)],
            build_args: vec![],
        };
        assert!(app_env(&env, |_| false)["vars"][0].contains("longer than 32768 characters"));
        let many = AppEnv {
            vars: (0..=MAX_ENV_VARS)
                .map(|i| var(&format!("V{i}"), Some("x"), false))
                .collect(),
            build_args: vec![],
        };
        assert!(app_env(&many, |_| false)["vars"][0].contains("at most 200"));
    }

    #[test]
    fn health_paths_and_limits() {
        assert_eq!(health_path("/healthz").unwrap(), "/healthz");
        assert!(health_path(" /healthz").is_err());
        assert!(health_path("healthz").is_err());
        assert!(health_path("/a b").is_err() && health_path("/a\r\nX: y").is_err());
        let max = Limits {
            memory_bytes: 512 * 1024 * 1024,
            cpus: 1.0,
            pids: 256,
        };
        assert!(limits(&max, &max).is_empty());
        let over = Limits {
            memory_bytes: 1024 * 1024 * 1024,
            cpus: f64::NAN,
            pids: 1,
        };
        let problems = limits(&over, &max);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems["limits.memory_bytes"][0].contains("512 MiB"));
    }
}
