//! Minimal cookie reading and writing; the session needs two cookies and nothing more.

use axum::http::HeaderMap;

/// Every value sent under any of `names`, in the order sent: a browser sends one cookie per
/// name, path and domain, and other sites on the same host name can set more.
pub fn all(headers: &HeaderMap, names: &[&str]) -> Vec<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| names.contains(k))
        .map(|(_, v)| v.to_string())
        .collect()
}

/// A `Set-Cookie` value, host-only (no `Domain`). `http_only` hides it from scripts; every
/// cookie is `SameSite=Strict`.
pub fn set(
    name: &str,
    value: &str,
    path: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> String {
    let mut cookie =
        format!("{name}={value}; Path={path}; Max-Age={max_age_secs}; SameSite=Strict");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_value_of_a_name_even_planted_duplicates() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            "a=1; milkcrate_session=planted; b=2; milkcrate_session=tok.en"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            all(&headers, &["milkcrate_session"]),
            vec!["planted".to_string(), "tok.en".to_string()]
        );
        assert!(all(&headers, &["missing"]).is_empty());
    }

    #[test]
    fn session_cookies_are_strict_and_http_only() {
        let c = set("s", "v", "/api", 60, true, false);
        assert_eq!(c, "s=v; Path=/api; Max-Age=60; SameSite=Strict; HttpOnly");
    }
}
