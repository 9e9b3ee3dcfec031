//! Dates and sizes for people.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// "just now", "5 min ago", "3 h ago", "2 days ago", then the date.
pub fn ago(at: DateTime<Utc>) -> String {
    ago_from(at, now_millis())
}

fn ago_from(at: DateTime<Utc>, now_millis: i64) -> String {
    let secs = (now_millis - at.timestamp_millis()) / 1000;
    match secs {
        s if s < 45 => "just now".into(),
        s if s < 3600 => format!("{} min ago", (s + 30) / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 7 * 86_400 => match s / 86_400 {
            1 => "yesterday".into(),
            d => format!("{d} days ago"),
        },
        _ => date(at),
    }
}

/// Full timestamp for tooltips and detail views.
/// (Written by hand: chrono's strftime machinery costs the wasm module several kilobytes.)
pub fn timestamp(at: DateTime<Utc>) -> String {
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        date(at),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// RFC 3339, for `<time datetime>`. By hand, like [`timestamp`]: chrono's `to_rfc3339` costs the
/// module its own formatting code.
pub fn iso(at: DateTime<Utc>) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(at),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn date(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

/// A CPU share without float formatting: `0.5` → "0.5", `2.0` → "2".
pub fn cores(cpus: f64) -> String {
    let hundredths = (cpus * 100.0).round() as u64;
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => format!("{whole}"),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

pub fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= 1024 * MIB && n.is_multiple_of(1024 * MIB) {
        format!("{} GiB", n / (1024 * MIB))
    } else if n >= MIB {
        format!("{} MiB", n / MIB)
    } else {
        format!("{} KiB", n.div_ceil(1024))
    }
}

/// An RFC 3339 timestamp as the server wrote it (`2026-12-01T14:31:16.5Z`), cut to the minute
/// (`2026-12-01 14:31 UTC`), with no date code; `none` when there is none.
pub fn minute(at: &str) -> String {
    match at.get(..16) {
        Some(short) => format!("{} UTC", short.replacen('T', " ", 1)),
        None => "none".into(),
    }
}

#[cfg(target_arch = "wasm32")]
fn now_millis() -> i64 {
    js_sys::Date::now() as i64
}

#[cfg(not(target_arch = "wasm32"))]
fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dates() {
        let at = DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let base = at.timestamp_millis();
        assert_eq!(ago_from(at, base + 10_000), "just now");
        assert_eq!(ago_from(at, base + 5 * 60_000), "5 min ago");
        assert_eq!(ago_from(at, base + 3 * 3_600_000), "3 h ago");
        assert_eq!(ago_from(at, base + 30 * 86_400_000), "2026-01-10");
        assert_eq!(bytes(512 * 1024 * 1024), "512 MiB");
        assert_eq!(timestamp(at), "2026-01-10 12:00:00 UTC");
        assert_eq!(iso(at), "2026-01-10T12:00:00Z");
        assert_eq!(cores(0.5), "0.5");
        assert_eq!(cores(2.0), "2");
        assert_eq!(cores(0.25), "0.25");
        assert_eq!(minute("2026-12-01T14:31:16.5Z"), "2026-12-01 14:31 UTC");
        assert_eq!(minute(""), "none");
    }
}
