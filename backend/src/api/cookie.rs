//! Minimal cookie reading and writing; the session needs two cookies and nothing more.

use axum::http::HeaderMap;

pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value. `http_only` hides it from scripts; every cookie is `SameSite=Strict`.
/// `path` keeps it to the platform's own paths: apps share the origin, and a cookie sent to
/// `/<route>/` would hand the session to the app's server.
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
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            "a=1; milkcrate_session=tok.en; b=2".parse().unwrap(),
        );
        assert_eq!(
            get(&headers, "milkcrate_session").as_deref(),
            Some("tok.en")
        );
        assert_eq!(get(&headers, "missing"), None);
    }

    #[test]
    fn session_cookies_are_strict_and_http_only() {
        let c = set("s", "v", "/api", 60, true, false);
        assert_eq!(c, "s=v; Path=/api; Max-Age=60; SameSite=Strict; HttpOnly");
    }
}
