//! Small parsers for the string forms a compose file uses: sizes, durations, CPUs, ports,
//! command lines, names and paths; and the key paths problems are reported at.

use std::{
    cmp::Ordering,
    path::{Component, Path, PathBuf},
    time::Duration,
};

use yaml_serde::Value;

/// `parent.key` (or `key` at the top).
pub(super) fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(super) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// A mapping key as text, for paths and messages.
pub(super) fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        _ => "?".into(),
    }
}

/// Orders paths so that `a[2]` comes before `a[10]`: digit runs compare as numbers.
pub(super) fn path_order(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (&a[da..], &b[db..]);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

/// A service, volume or network name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, as Docker takes them.
pub(super) fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A size in bytes: an integer, or a number with a unit as Docker reads them (`b`, `k`, `m`,
/// `g`, `t`, `p`, any case, optionally followed by `b` or `ib`; all powers of 1024): `256m`,
/// `1g`, `512M`, `1.5GB`, `64MiB`.
pub(super) fn parse_bytes(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a size (use e.g. `256m`, `1g` or a number of bytes)");
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let multiplier: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "p" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * multiplier).round();
    if !(bytes >= 1.0 && bytes < i64::MAX as f64) {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(bytes as i64)
}

/// A duration as Compose writes them: a sequence of numbers with units (`h`, `m`, `s`, `ms`,
/// `us`/`µs`, `ns`), e.g. `1m30s`, `500ms`, `1.5s`; a bare number is seconds.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration (use e.g. `30s`, `1m30s` or `500ms`)");
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = trimmed.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|_| bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds_per_unit = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" | "μs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(bad()),
        };
        if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        let part = Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|_| bad())?;
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = tail;
    }
    Ok(total)
}

/// CPUs (`0.5`, `2`) as nano CPUs.
pub(super) fn parse_cpus(text: &str) -> Result<i64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of CPUs (use e.g. `0.5` or `2`)"))?;
    let nano = (value * 1e9).round();
    if !(nano.is_finite() && nano >= 1e7) {
        return Err(format!("`{text}` CPUs is below Docker's minimum of 0.01"));
    }
    if nano >= i64::MAX as f64 {
        return Err(format!("`{text}` CPUs is out of range"));
    }
    Ok(nano as i64)
}

/// A port spec's container side: `8080`, `8080/tcp`, `8000-8010` (the first port counts).
/// Returns the port and whether it is TCP.
pub(super) fn parse_container_port(text: &str) -> Result<(u16, bool), String> {
    let (ports, protocol) = match text.split_once('/') {
        Some((ports, protocol)) => (ports, protocol),
        None => (text, "tcp"),
    };
    let tcp = match protocol.to_ascii_lowercase().as_str() {
        "tcp" => true,
        "udp" | "sctp" => false,
        _ => return Err(format!("unknown protocol `{protocol}` in `{text}`")),
    };
    let first = match ports.split_once('-') {
        Some((first, last)) => {
            let (a, b) = (parse_port(first, text)?, parse_port(last, text)?);
            if a > b {
                return Err(format!("the port range `{ports}` is reversed"));
            }
            a
        }
        None => parse_port(ports, text)?,
    };
    Ok((first, tcp))
}

fn parse_port(number: &str, whole: &str) -> Result<u16, String> {
    match number.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("`{whole}` is not a port (1 to 65535)")),
    }
}

/// The container side of a short-syntax `ports` entry: `8080`, `80:8080`,
/// `127.0.0.1:9000:8000`, `[::1]:80:8080`, `8000/tcp`, `8000-8001:8000-8001/udp`.
pub(super) fn short_port_container_side(text: &str) -> &str {
    let (spec, protocol) = match text.rfind('/') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let container = spec.rsplit(':').next().unwrap_or(spec);
    // `protocol` is reattached by slicing the original string.
    let start = text.len() - protocol.len() - container.len();
    &text[start..]
}

/// Splits a command line like a POSIX shell would, without running one: whitespace separates
/// words; single quotes are literal; double quotes allow `\"`, `\\`, `\$` and `` \` `` escapes; a
/// backslash outside quotes escapes the next character.
pub(super) fn split_command(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated single quote in `{text}`")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unterminated double quote in `{text}`")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated double quote in `{text}`")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
                None => return Err(format!("`{text}` ends with a lone backslash")),
            },
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A path given in the file, relative to the app folder: normalized, and refused if it is
/// absolute, starts with `~` or leaves the folder through `..`. `.` is the folder itself.
pub(super) fn inside_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("the path is empty".into());
    }
    if text.starts_with('~') {
        return Err(format!(
            "`{text}` is in a home folder on the host: use a path inside the ZIP"
        ));
    }
    let mut normalized = PathBuf::new();
    for component in Path::new(text).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(format!(
                    "`{text}` is an absolute path on the host: use a path inside the ZIP"
                ));
            }
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    return Err(format!("`{text}` leaves the ZIP through `..`"));
                }
            }
            Component::Normal(part) => normalized.push(part),
        }
    }
    if normalized.as_os_str().is_empty() {
        normalized.push(".");
    }
    Ok(normalized)
}

/// A Git or HTTP(S) build context, which Docker would fetch from the network.
pub(super) fn is_remote_context(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("://")
        || lower.starts_with("git@")
        || lower.starts_with("github.com/")
        || lower.ends_with(".git")
        || lower.contains(".git#")
}

/// Absolute container path, not `/` itself. Returns it without trailing slashes.
pub(super) fn container_path(text: &str) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err(format!(
            "`{text}` must be an absolute path in the container"
        ));
    }
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("mounting over `/` is not allowed".into());
    }
    if trimmed.split('/').any(|part| part == "..") {
        return Err(format!("`{text}` must not contain `..`"));
    }
    Ok(trimmed.to_string())
}
