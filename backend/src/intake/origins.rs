//! Where a build may fetch from. A Dockerfile's `ADD <url>` runs inside Docker's build on the
//! host's network, and an `image:` names a registry the daemon contacts: both would let an upload
//! reach the host's own services, the cloud metadata endpoint (169.254.169.254) or the private
//! network. So a URL or registry on a loopback, link-local or private address is refused (and a
//! host name that resolves to one, at upload). Pure but for the resolution.

use std::net::IpAddr;

/// Why an address may not be fetched from, if it may not.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => Some("a loopback address"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("a link-local address (cloud metadata)"),
        IpAddr::V4(v4) if v4.is_private() => Some("a private address"),
        IpAddr::V4(v4) if v4.is_unspecified() || v4.octets()[0] == 0 => {
            Some("an unspecified address")
        }
        IpAddr::V4(v4) if v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) => {
            Some("a shared (carrier-grade NAT) address")
        }
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Some("a loopback address"),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => Some("a link-local address"),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => Some("a private address"),
        _ => None,
    }
}

/// The host of an `http(s)://` URL, without brackets or port.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The registry host an image reference names (`registry.example:5000/team/app:1`), if any:
/// Docker reads the first component as a registry when it has a `.` or `:`, or is `localhost`.
pub fn registry_host(image: &str) -> Option<String> {
    let (first, _) = image.split_once('/')?;
    if !(first.contains('.') || first.contains(':') || first == "localhost") {
        return None;
    }
    let host = match first.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => first.rsplit_once(':').map_or(first, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                first
            }
        }),
    };
    Some(host.to_ascii_lowercase())
}

/// Why a host may not be fetched from, judged without the network: `localhost` and address
/// literals.
pub fn forbidden_host(host: &str) -> Option<&'static str> {
    if host == "localhost" || host.ends_with(".localhost") {
        return Some("a loopback address");
    }
    host.parse::<IpAddr>().ok().and_then(forbidden)
}

/// Why a registry may not be pulled from: the host itself or its link-local neighbours (a
/// registry on the private network is a normal thing to have).
pub fn forbidden_registry(host: &str) -> Option<&'static str> {
    forbidden_host(host).filter(|why| !why.contains("private") && !why.contains("shared"))
}

/// The URLs a Dockerfile's `ADD` instructions fetch, with their line numbers (1-based).
pub fn added_urls(dockerfile: &str) -> Vec<(usize, String)> {
    let mut urls = Vec::new();
    for (index, line) in dockerfile.lines().enumerate() {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("ADD")) {
            continue;
        }
        for word in words {
            let word = word.trim_matches(|c| c == '"' || c == '[' || c == ']' || c == ',');
            if word.starts_with("http://") || word.starts_with("https://") {
                urls.push((index + 1, word.to_string()));
            }
        }
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_own_the_metadata_endpoint_and_private_networks_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "169.254.169.254",
            "10.1.2.3",
            "172.17.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(forbidden(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "172.32.0.1"] {
            assert!(forbidden(ip.parse().unwrap()).is_none(), "{ip}");
        }
    }

    #[test]
    fn hosts_are_read_from_urls_and_image_references() {
        assert_eq!(
            url_host("http://169.254.169.254/latest/meta-data").as_deref(),
            Some("169.254.169.254")
        );
        assert_eq!(
            url_host("https://user:pw@Example.com:8443/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(url_host("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(url_host("ftp://x"), None);
        assert_eq!(
            registry_host("localhost:5000/app:1").as_deref(),
            Some("localhost")
        );
        assert_eq!(
            registry_host("127.0.0.1:5000/app").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            registry_host("registry.example.com/team/app").as_deref(),
            Some("registry.example.com")
        );
        assert_eq!(registry_host("library/nginx:1.27"), None);
        assert_eq!(registry_host("nginx"), None);
        assert!(forbidden_host("localhost").is_some());
        assert!(forbidden_host("169.254.169.254").is_some());
        assert!(forbidden_host("registry.example.com").is_none());
    }

    #[test]
    fn only_add_instructions_with_urls_are_found() {
        let dockerfile = "FROM scratch\nADD http://10.0.0.1/x.tgz /x\nadd [\"https://example.com/a\", \"/a\"]\nCOPY http://no /b\nRUN wget http://127.0.0.1/\n";
        assert_eq!(
            added_urls(dockerfile),
            vec![
                (2, "http://10.0.0.1/x.tgz".to_string()),
                (3, "https://example.com/a".to_string())
            ]
        );
    }
}
