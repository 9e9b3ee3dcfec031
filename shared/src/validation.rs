//! Pure checks shared by the server and the dashboard, so a form and the API agree on every rule.
//!
//! Each function returns the normalized value, or a message fit to show next to the field.

mod release;

pub use release::*;
pub mod patterns;

/// First path segments that belong to the platform; no app may be routed under them.
pub const RESERVED_ROUTE_PREFIXES: &[&str] = &[
    "admin", "api", "login", "logout", "upload", "static", "traefik", "healthz",
];

/// Longest accepted app name; it ends up inside Docker object names.
pub const MAX_NAME_LEN: usize = 40;
/// Longest accepted route.
pub const MAX_ROUTE_LEN: usize = 100;
/// Shortest accepted new password.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted new password, in characters: it bounds the hashing work.
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Longest accepted volume description.
pub const MAX_VOLUME_DESCRIPTION_LEN: usize = 500;

/// `input` without the ASCII white space around it (space, tab, line feed, form feed, carriage
/// return). Only these: a rule the OpenAPI document states as a pattern must say which characters
/// are trimmed, and every regular expression dialect agrees on these five.
pub fn trim_spaces(input: &str) -> &str {
    input.trim_matches(|c: char| c.is_ascii_whitespace())
}

/// Validates an app name and returns its normalized (lowercase) form.
///
/// Names are compared after normalization, so `My-App` and `my-app` are the same app. Underscores
/// are refused rather than mapped to hyphens: the original system mapped them and let `my_app`
/// destroy `my-app`.
pub fn app_name(input: &str) -> Result<String, String> {
    let name = trim_spaces(input).to_ascii_lowercase();
    if name.len() < 2 || name.len() > MAX_NAME_LEN {
        return Err(format!("must be 2 to {MAX_NAME_LEN} characters long"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may contain only letters, digits and hyphens".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(name)
}

/// Validates a route and returns its normalized form (leading `/`, no trailing `/`).
///
/// A route is one or more path segments of letters, digits, `-`, `_` and `.`. Its first segment may
/// not be one of the platform's own ([`RESERVED_ROUTE_PREFIXES`]), compared case-insensitively.
/// The length is counted as sent, so that a schema's `maxLength` states it exactly.
pub fn route(input: &str) -> Result<String, String> {
    if input.chars().count() > MAX_ROUTE_LEN {
        return Err(format!("must be at most {MAX_ROUTE_LEN} characters long"));
    }
    let trimmed = trim_spaces(input);
    let body = trimmed.strip_prefix('/').unwrap_or(trimmed);
    let body = body.strip_suffix('/').unwrap_or(body);
    if body.is_empty() {
        return Err("`/` belongs to the platform; choose a path such as `/blog`".into());
    }
    let route = format!("/{body}");
    for segment in body.split('/') {
        if segment.is_empty() {
            return Err("may not contain empty segments (`//`)".into());
        }
        if segment == "." || segment == ".." {
            return Err("may not contain `.` or `..` segments".into());
        }
        if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(format!(
                "segment `{segment}` may contain only letters, digits, `-`, `_` and `.`"
            ));
        }
    }
    let first = body
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if RESERVED_ROUTE_PREFIXES.contains(&first.as_str()) {
        return Err(format!("`/{first}` is reserved for the platform"));
    }
    Ok(route)
}

/// Validates the default home route setting: `None` for a blank one (which clears it), else
/// [`route`]'s answer. Its length is counted as sent, blank or not.
pub fn home_route(input: &str) -> Result<Option<String>, String> {
    if input.chars().count() > MAX_ROUTE_LEN {
        return Err(format!("must be at most {MAX_ROUTE_LEN} characters long"));
    }
    if trim_spaces(input).is_empty() {
        return Ok(None);
    }
    route(input).map(Some)
}

/// Checks a new admin password.
pub fn new_password(input: &str) -> Result<(), String> {
    if input.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "must be at least {MIN_PASSWORD_LEN} characters long"
        ));
    }
    if input.chars().count() > MAX_PASSWORD_LEN {
        return Err(format!(
            "must be at most {MAX_PASSWORD_LEN} characters long"
        ));
    }
    Ok(())
}

/// Validates a volume name: the same rules as app names.
pub fn volume_name(input: &str) -> Result<String, String> {
    app_name(input)
}

/// A host name as DNS allows it (RFC 1123): lowercase labels of letters, digits and hyphens,
/// none starting or ending with a hyphen, at most 63 characters each and 253 in all. No
/// wildcards, no IP addresses, no ports. Returns it trimmed and lowercased.
pub fn host_name(input: &str) -> Result<String, String> {
    let host = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.len() > 253 {
        return Err("must be a host name of 1 to 253 characters".into());
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "must be a host name such as `admin.example.com` (letters, digits and hyphens between dots), not `{}`",
                input.trim()
            ));
        }
    }
    if host
        .split('.')
        .all(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("must be a host name, not an IP address".into());
    }
    Ok(host)
}

/// Most host names one app may have.
pub const MAX_DOMAINS: usize = 20;
/// Longest host name (RFC 1123).
pub const MAX_HOST_LEN: usize = 253;
/// Largest uploaded certificate chain (PEM): a leaf and a few intermediates fit many times.
pub const MAX_CERTIFICATE_CHAIN_LEN: usize = 64 * 1024;
/// Largest uploaded private key (PEM): a 8192-bit RSA key is about 6.4 KB.
pub const MAX_CERTIFICATE_KEY_LEN: usize = 16 * 1024;

/// Validates an app's host names: each a fully qualified [`host_name`] (at least one dot: a
/// certificate authority issues for nothing less) written as stored (lowercase, no spaces, no
/// trailing dot: what the OpenAPI pattern states), none twice, never `admin_host` (the
/// dashboard's), at most [`MAX_DOMAINS`]. Returns them, or one message per problem.
pub fn domains(input: &[String], admin_host: Option<&str>) -> Result<Vec<String>, Vec<String>> {
    let mut problems = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    if input.len() > MAX_DOMAINS {
        problems.push(format!("at most {MAX_DOMAINS} host names per app"));
    }
    for raw in input {
        let host = match host_name(raw) {
            Ok(host) if host != *raw => {
                problems.push(format!(
                    "`{raw}` must be written as `{host}` (lowercase, no spaces, no trailing dot)"
                ));
                continue;
            }
            Ok(host) if host.contains('.') => host,
            Ok(host) => {
                problems.push(format!(
                    "`{host}` must be a fully qualified host name such as `blog.example.com`"
                ));
                continue;
            }
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if Some(host.as_str()) == admin_host {
            problems.push(format!("`{host}` is the dashboard's host name"));
        } else if hosts.contains(&host) {
            problems.push(format!("`{host}` is listed twice"));
        } else {
            hosts.push(host);
        }
    }
    if problems.is_empty() {
        Ok(hosts)
    } else {
        Err(problems)
    }
}

/// Longest accepted path inside a volume, counted as sent.
pub const MAX_VOLUME_PATH_LEN: usize = 1024;
/// Longest accepted name of one file or folder in a volume, in bytes: the file system's limit
/// (`NAME_MAX`).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Validates a path inside a volume and returns it normalized: relative, `/`-separated, no
/// trailing `/`, `""` for the volume's root. Absolute paths, `.`/`..` segments, empty segments,
/// backslashes and control characters are refused: every path from a user is hostile.
pub fn volume_path(input: &str) -> Result<String, String> {
    if input.starts_with('/') {
        return Err("must be relative to the volume's root, not absolute".into());
    }
    if input.chars().count() > MAX_VOLUME_PATH_LEN {
        return Err(format!(
            "must be at most {MAX_VOLUME_PATH_LEN} characters long"
        ));
    }
    let body = input.strip_suffix('/').unwrap_or(input);
    if body.is_empty() {
        return Ok(String::new());
    }
    for segment in body.split('/') {
        if segment.is_empty() {
            return Err("may not contain empty segments (`//`)".into());
        }
        if segment == "." || segment == ".." {
            return Err("may not contain `.` or `..` segments".into());
        }
        if segment.chars().any(|c| c.is_control() || c == '\\') {
            return Err("may not contain control characters or `\\`".into());
        }
        if segment.len() > MAX_FILE_NAME_BYTES {
            return Err(format!(
                "each name between `/` may be at most {MAX_FILE_NAME_BYTES} bytes long"
            ));
        }
    }
    Ok(body.to_string())
}

/// Validates one file name (a single path segment), e.g. of an uploaded file.
pub fn file_name(input: &str) -> Result<String, String> {
    match volume_path(input) {
        Ok(name) if !name.is_empty() && !name.contains('/') => Ok(name),
        Ok(_) => Err("must be a single file name, without `/`".into()),
        Err(e) => Err(e),
    }
}

/// Container paths a volume may not cover: the kernel's and the runtime's own.
const SYSTEM_MOUNT_PATHS: &[&str] = &["/proc", "/sys", "/dev"];
/// Longest accepted API token name.
pub const MAX_TOKEN_NAME_LEN: usize = 64;
/// Longest accepted API token lifetime, in days.
pub const MAX_TOKEN_EXPIRY_DAYS: u32 = 3650;

/// Validates an API token's name and returns it trimmed: 1 to 64 letters, digits, `.`, `_` and
/// `-`. It names the token in the audit trail (`token:<name>`), so nothing that could pass for
/// another actor or break a log line.
pub fn token_name(input: &str) -> Result<String, String> {
    let name = trim_spaces(input);
    if name.is_empty() || name.len() > MAX_TOKEN_NAME_LEN {
        return Err(format!("must be 1 to {MAX_TOKEN_NAME_LEN} characters long"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("may contain only letters, digits, `.`, `_` and `-`".into());
    }
    Ok(name.to_string())
}

/// Most managed volumes one app mounts.
pub const MAX_MOUNTS: usize = 32;
/// Longest accepted mount target.
pub const MAX_MOUNT_TARGET_LEN: usize = 200;

/// Validates where a volume is mounted in a container and returns it normalized (no trailing `/`).
///
/// An absolute path of plain segments, not `/` itself, not `.`/`..`, and not under `/proc`,
/// `/sys` or `/dev`.
pub fn mount_target(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    let Some(body) = trimmed.strip_prefix('/') else {
        return Err("must be an absolute path, e.g. `/data`".into());
    };
    // Trimmed again once the `/` is gone, so that `/data /` gives `/data`, which validates as
    // itself (not `/data `, which would not).
    let body = body.strip_suffix('/').unwrap_or(body).trim_end();
    if body.is_empty() {
        return Err("may not be `/`: a volume cannot replace the whole filesystem".into());
    }
    let target = format!("/{body}");
    if target.len() > MAX_MOUNT_TARGET_LEN {
        return Err(format!(
            "must be at most {MAX_MOUNT_TARGET_LEN} characters long"
        ));
    }
    for segment in body.split('/') {
        if segment.is_empty() {
            return Err("may not contain empty segments (`//`)".into());
        }
        if segment == "." || segment == ".." {
            return Err("may not contain `.` or `..` segments".into());
        }
        if segment
            .chars()
            .any(|c| c.is_control() || c == ':' || c == ',')
        {
            return Err("may not contain control characters, `:` or `,`".into());
        }
    }
    if SYSTEM_MOUNT_PATHS
        .iter()
        .any(|p| target == *p || target.starts_with(&format!("{p}/")))
    {
        return Err("may not be under `/proc`, `/sys` or `/dev`".into());
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_to_lowercase() {
        assert_eq!(app_name(" My-App ").as_deref(), Ok("my-app"));
        assert_eq!(app_name("a1").as_deref(), Ok("a1"));
    }

    #[test]
    fn names_refuse_underscores_and_edges() {
        assert!(app_name("my_app").unwrap_err().contains("only letters"));
        assert!(app_name("-app").unwrap_err().contains("start and end"));
        assert!(app_name("app-").unwrap_err().contains("start and end"));
        assert!(app_name("a").unwrap_err().contains("2 to"));
        assert!(app_name(&"a".repeat(41)).unwrap_err().contains("2 to"));
        assert!(app_name("café").is_err());
    }

    #[test]
    fn routes_normalize_slashes() {
        assert_eq!(route("blog").as_deref(), Ok("/blog"));
        assert_eq!(route("/blog/").as_deref(), Ok("/blog"));
        assert_eq!(route("/a/b-c/d_e.f").as_deref(), Ok("/a/b-c/d_e.f"));
    }

    #[test]
    fn routes_refuse_root_and_reserved_prefixes() {
        assert!(route("/").unwrap_err().contains("belongs to the platform"));
        for reserved in [
            "/admin", "/API/x", "/login", "/logout", "/upload", "/static", "/traefik", "/healthz",
        ] {
            assert!(
                route(reserved).unwrap_err().contains("reserved"),
                "{reserved}"
            );
        }
        // Only whole segments are reserved: these are ordinary routes.
        assert!(route("/a").is_ok());
        assert!(route("/adm").is_ok());
        assert!(route("/administrator").is_ok());
    }

    #[test]
    fn routes_refuse_bad_segments() {
        assert!(route("/a//b").unwrap_err().contains("empty segments"));
        assert!(route("/a/../b").unwrap_err().contains("`..`"));
        assert!(route("/a b").unwrap_err().contains("only letters"));
        assert!(route("/a?b").is_err());
        assert!(
            route(&format!("/{}", "a".repeat(100)))
                .unwrap_err()
                .contains("at most")
        );
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(new_password("short").is_err());
        assert!(new_password("long enough").is_ok());
    }

    #[test]
    fn mount_targets_are_absolute_plain_and_not_the_systems() {
        assert_eq!(mount_target(" /data/ ").as_deref(), Ok("/data"));
        assert_eq!(mount_target("/data /").as_deref(), Ok("/data"));
        assert!(mount_target("/ /").is_err());
        assert_eq!(
            mount_target("/srv/app/uploads").as_deref(),
            Ok("/srv/app/uploads")
        );
        for bad in [
            "data",
            "/",
            "",
            "/a//b",
            "/a/../etc",
            "/./a",
            "/proc",
            "/sys/fs",
            "/dev/shm",
            "/a:b",
        ] {
            assert!(mount_target(bad).is_err(), "{bad} should be refused");
        }
        assert!(
            mount_target("/process").is_ok(),
            "only whole segments count"
        );
    }

    #[test]
    fn volume_paths_stay_inside() {
        assert_eq!(volume_path("").as_deref(), Ok(""));
        assert_eq!(volume_path("docs/a.txt").as_deref(), Ok("docs/a.txt"));
        assert_eq!(volume_path("docs/").as_deref(), Ok("docs"));
        for bad in [
            "/etc/passwd",
            "../x",
            "a/../../b",
            "a//b",
            "./a",
            "a/./b",
            "a\\..\\b",
            "a\u{0}b",
            "a\nb",
        ] {
            assert!(volume_path(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(file_name("a.txt").is_ok());
        assert!(file_name("a/b.txt").is_err());
        assert!(file_name("").is_err());
        assert!(file_name("..").is_err());
    }

    #[test]
    fn domains_are_qualified_host_names_once_each_and_never_the_admin_host() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            domains(&list(&["blog.example.com", "www.blog.example.com"]), None),
            Ok(list(&["blog.example.com", "www.blog.example.com"]))
        );
        let unwritten = domains(&list(&["Blog.Example.com", "www.example.com."]), None);
        assert_eq!(unwritten.unwrap_err().len(), 2);
        let problems = domains(
            &list(&[
                "admin.example.com",
                "localhost",
                "*.example.com",
                "a.example.com",
                "a.example.com",
                "10.0.0.1",
            ]),
            Some("admin.example.com"),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].contains("dashboard"));
        assert!(problems[1].contains("fully qualified"));
        assert!(problems[2].contains("`*.example.com`"));
        assert!(problems[3].contains("listed twice"));
        assert!(problems[4].contains("IP address"));
        assert!(domains(&vec!["a.example.com".to_string(); 21], None).is_err());
    }

    #[test]
    fn host_names_follow_rfc_1123() {
        assert_eq!(
            host_name(" Admin.Example.COM. ").unwrap(),
            "admin.example.com"
        );
        assert_eq!(host_name("localhost").unwrap(), "localhost");
        for bad in [
            "",
            "*.example.com",
            "-a.com",
            "a-.com",
            "a..b",
            "a_b.com",
            "a.com:80",
            "10.0.0.1",
            "a/b",
        ] {
            assert!(host_name(bad).is_err(), "{bad}");
        }
        assert!(host_name(&"a".repeat(64)).is_err());
    }

    mod properties {
        use proptest::{prelude::*, test_runner::Config};

        use super::super::*;

        fn config() -> Config {
            Config {
                cases: 256,
                failure_persistence: None,
                ..Config::default()
            }
        }

        /// Inputs near the rules: slashes, dots, spaces, case, separators and any character.
        fn input() -> impl Strategy<Value = String> {
            let token = prop::sample::select(vec![
                "/", "/", " ", " ", "\t", ".", "..", "a", "B", "1", "-", "_", ":", ",", "\\", "é",
            ]);
            prop_oneof![
                4 => prop::collection::vec(token, 0..8).prop_map(|tokens| tokens.concat()),
                4 => " ?/?([a-z .]{0,3}/){0,3}[a-z .]{0,3}/? ?",
                1 => "[ /]{0,2}[A-Za-z0-9._/ -]{0,24}[ /]{0,2}",
                1 => "[ .]{0,2}[a-zA-Z0-9.-]{0,20}[ .]{0,2}",
                1 => "[ /]{0,2}[a-z0-9._/:,\\ -]{0,30}",
                1 => any::<String>(),
            ]
        }

        type Validator = fn(&str) -> Result<String, String>;

        /// Every normalizing validator, by name.
        const VALIDATORS: &[(&str, Validator)] = &[
            ("app_name", app_name),
            ("volume_name", volume_name),
            ("route", route),
            ("host_name", host_name),
            ("volume_path", volume_path),
            ("file_name", file_name),
            ("mount_target", mount_target),
            ("token_name", token_name),
        ];

        /// `prefix` with each letter's case from `upper`.
        fn case_mix(prefix: &str, upper: &[bool]) -> String {
            prefix
                .chars()
                .zip(upper.iter().chain(std::iter::repeat(&false)))
                .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
                .collect()
        }

        proptest! {
            #![proptest_config(config())]

            /// What a validator returns, it accepts again, unchanged.
            #[test]
            fn normalization_is_idempotent(input in input()) {
                for (name, validate) in VALIDATORS {
                    if let Ok(normal) = validate(&input) {
                        let again = validate(&normal);
                        prop_assert_eq!(
                            again.as_ref(),
                            Ok(&normal),
                            "{}({:?}) gave {:?}",
                            name,
                            input,
                            normal
                        );
                    }
                }
            }

            /// A route's first segment is never a reserved prefix, in any case.
            #[test]
            fn accepted_routes_never_start_with_a_reserved_prefix(input in input()) {
                if let Ok(route) = route(&input) {
                    let first = route[1..].split('/').next().unwrap_or_default();
                    prop_assert!(
                        !RESERVED_ROUTE_PREFIXES.contains(&first.to_ascii_lowercase().as_str()),
                        "{:?} gave {:?}",
                        input,
                        route
                    );
                }
            }

            /// Reserved prefixes are refused in any case mix, with or without slashes, spaces
            /// and segments below them.
            #[test]
            fn reserved_prefixes_never_pass(
                prefix in prop::sample::select(RESERVED_ROUTE_PREFIXES),
                upper in prop::collection::vec(any::<bool>(), 8),
                lead in prop::sample::select(vec!["", "/", " /", " "]),
                rest in "(/[A-Za-z0-9._-]{1,8}){0,3}",
                trail in prop::sample::select(vec!["", "/", " ", "/ "]),
            ) {
                let input = format!("{lead}{}{rest}{trail}", case_mix(prefix, &upper));
                prop_assert!(route(&input).is_err(), "{:?} was accepted", input);
            }
        }
    }
}
