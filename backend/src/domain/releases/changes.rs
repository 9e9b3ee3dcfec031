//! What differs between two releases' configurations, as lines an admin reads in the release
//! history. Secrets are named, never shown: "API_TOKEN (secret) changed".

use super::snapshot::{Limits, Snapshot, StoredVar};

/// The changes from `before` to `after`. `same_secret(key, a, b)` says whether two sealed values
/// hold the same secret (sealing twice never gives the same text).
pub fn between(
    before: &Snapshot,
    after: &Snapshot,
    same_secret: impl Fn(&str, &str, &str) -> bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let label = |v: &StoredVar| {
        if v.is_secret() {
            format!("{} (secret)", v.key)
        } else {
            v.key.clone()
        }
    };
    for var in &after.vars {
        match before.vars.iter().find(|b| b.key == var.key) {
            None => lines.push(format!("{} added", label(var))),
            Some(old) => {
                let same = match (&old.sealed, &var.sealed) {
                    (Some(a), Some(b)) => a == b || same_secret(&var.key, a, b),
                    (None, None) => old.value == var.value,
                    _ => false,
                };
                if !same {
                    lines.push(format!("{} changed", label(var)));
                }
            }
        }
    }
    for old in &before.vars {
        if !after.vars.iter().any(|v| v.key == old.key) {
            lines.push(format!("{} removed", label(old)));
        }
    }
    if before.build_args != after.build_args {
        lines.push("build arguments changed (they apply to the next build from an upload)".into());
    }
    lines.extend(limits(&before.limits, &after.limits));
    if before.health_path != after.health_path {
        let show = |p: &Option<String>| p.clone().unwrap_or_else(|| "any reply".into());
        lines.push(format!(
            "health check: {} → {}",
            show(&before.health_path),
            show(&after.health_path)
        ));
    }
    if before.mounts != after.mounts {
        let show = |s: &Snapshot| {
            let list: Vec<String> = s
                .mounts
                .iter()
                .map(|m| {
                    format!(
                        "{}:{}{}",
                        m.volume,
                        m.target,
                        if m.read_only { ":ro" } else { "" }
                    )
                })
                .collect();
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        };
        lines.push(format!("mounts: {} → {}", show(before), show(after)));
    }
    lines
}

fn limits(before: &Limits, after: &Limits) -> Vec<String> {
    let mut lines = Vec::new();
    let mib = |b: i64| b / (1024 * 1024);
    if before.memory_bytes != after.memory_bytes {
        lines.push(format!(
            "memory: {} MiB → {} MiB",
            mib(before.memory_bytes),
            mib(after.memory_bytes)
        ));
    }
    if before.nano_cpus != after.nano_cpus {
        let cores = |n: i64| n as f64 / 1e9;
        lines.push(format!(
            "CPUs: {} → {}",
            cores(before.nano_cpus),
            cores(after.nano_cpus)
        ));
    }
    if before.pids != after.pids {
        lines.push(format!("PIDs: {} → {}", before.pids, after.pids));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(vars: Vec<StoredVar>) -> Snapshot {
        Snapshot {
            vars,
            build_args: Vec::new(),
            limits: Limits {
                memory_bytes: 512 * 1024 * 1024,
                nano_cpus: 1_000_000_000,
                pids: 256,
            },
            health_path: None,
            mounts: Vec::new(),
        }
    }

    fn plain(key: &str, value: &str) -> StoredVar {
        StoredVar {
            key: key.into(),
            value: Some(value.into()),
            sealed: None,
        }
    }

    fn secret(key: &str, sealed: &str) -> StoredVar {
        StoredVar {
            key: key.into(),
            value: None,
            sealed: Some(sealed.into()),
        }
    }

    #[test]
    fn names_what_changed_and_never_a_secret_value() {
        let before = snapshot(vec![plain("A", "1"), plain("GONE", "x"), secret("T", "s1")]);
        let mut after = snapshot(vec![plain("A", "2"), secret("T", "s2"), plain("NEW", "v")]);
        after.limits.memory_bytes = 256 * 1024 * 1024;
        after.health_path = Some("/healthz".into());
        let lines = between(&before, &after, |_, _, _| false);
        assert_eq!(
            lines,
            vec![
                "A changed",
                "T (secret) changed",
                "NEW added",
                "GONE removed",
                "memory: 512 MiB → 256 MiB",
                "health check: any reply → /healthz",
            ]
        );
        // The same secret sealed again is no change.
        assert_eq!(
            between(
                &before,
                &snapshot(vec![plain("A", "1"), plain("GONE", "x"), secret("T", "s3")]),
                |_, _, _| true
            ),
            Vec::<String>::new()
        );
    }
}
