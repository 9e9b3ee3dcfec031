//! Timestamps read by the wasm dashboard: RFC 3339, as chrono writes them, parsed by hand.
//! chrono's own parser is a general format interpreter that costs the dashboard's module about
//! 2 % of its gzipped size; the server and native clients keep using it (the fields take these
//! functions only on `wasm32`, through `cfg_attr`). Writing is chrono's everywhere.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, de::Error};

/// `YYYY-MM-DD(T|t| )HH:MM:SS(.fraction)?(Z|z|±HH:MM)`, the grammar of RFC 3339 (plus the space
/// separator chrono also accepts).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let at = |i: usize, expected: &[u8]| b.get(i).is_some_and(|c| expected.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    let (hour, minute, mut second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let mut rest = b.get(19..)?;
    let mut nanos = 0u32;
    if let Some((b'.', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        // Nanosecond precision; further digits are dropped, as chrono does.
        for i in 0..9 {
            nanos = nanos * 10
                + fraction
                    .get(i)
                    .filter(|_| i < len)
                    .map_or(0, |d| u32::from(d - b'0'));
        }
        rest = &fraction[len..];
    }
    // A leap second is chrono's 59 s plus a second of nanoseconds.
    if second == 60 {
        second = 59;
        nanos += 1_000_000_000;
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let local = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some(
        local
            .checked_sub_signed(TimeDelta::try_seconds(offset_secs)?)?
            .and_utc(),
    )
}

fn invalid<E: Error>(s: &str) -> E {
    E::custom(format_args!("not an RFC 3339 timestamp: {s}"))
}

/// `deserialize_with` for a `DateTime<Utc>` field.
pub fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).ok_or_else(|| invalid(&s))
}

/// `deserialize_with` for an `Option<DateTime<Utc>>` field (with `default`: absent is `None`).
pub fn utc_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) => parse(&s).map(Some).ok_or_else(|| invalid(&s)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What chrono's parser says, for comparison.
    fn chrono(s: &str) -> Option<DateTime<Utc>> {
        s.parse::<DateTime<Utc>>().ok()
    }

    #[test]
    fn agrees_with_chrono_on_what_chrono_writes_and_on_rfc_3339() {
        let now = Utc::now();
        for s in [
            now.to_rfc3339(),
            serde_json::to_string(&now)
                .unwrap()
                .trim_matches('"')
                .to_string(),
            "2026-01-10T12:00:00Z".into(),
            "2026-01-10t12:00:00z".into(),
            "2026-01-10 12:00:00+00:00".into(),
            "2026-01-10T12:00:00.5+02:30".into(),
            "2026-01-10T12:00:00.123456789-05:00".into(),
            "2026-01-10T12:00:00.1234567891Z".into(),
            "1999-12-31T23:59:60Z".into(),
            "2024-02-29T00:00:00Z".into(),
        ] {
            assert_eq!(parse(&s), chrono(&s), "{s}");
            assert!(parse(&s).is_some(), "{s}");
        }
    }

    #[test]
    fn fields_read_through_serde() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(deserialize_with = "utc")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "utc_option")]
            until: Option<DateTime<Utc>>,
        }
        let row: Row = serde_json::from_str(r#"{"at": "2026-01-10T12:00:00Z"}"#).unwrap();
        assert_eq!(Some(row.at), chrono("2026-01-10T12:00:00Z"));
        assert_eq!(row.until, None);
        let row: Row =
            serde_json::from_str(r#"{"at": "2026-01-10T12:00:00Z", "until": null}"#).unwrap();
        assert_eq!(row.until, None);
        let bad = serde_json::from_str::<Row>(r#"{"at": "yesterday"}"#)
            .err()
            .unwrap();
        assert!(
            bad.to_string()
                .contains("not an RFC 3339 timestamp: yesterday"),
            "{bad}"
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for s in [
            "",
            "2026-01-10",
            "2026-01-10T12:00:00",
            "2026-01-10T12:00Z",
            "2026-02-30T12:00:00Z",
            "2026-01-10T24:00:00Z",
            "2026-01-10T12:00:00.Z",
            "2026-01-10T12:00:00+0200",
            "2026-01-10T12:00:00+24:00",
            "2026-01-10T12:00:00Z trailing",
            "२०२६-01-10T12:00:00Z",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
