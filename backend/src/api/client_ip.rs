//! The client address used for rate limiting. `X-Forwarded-For` is believed only from trusted
//! proxies (the original trusted it from anyone, so limits could be dodged with a header).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

pub use crate::config::TrustedProxies;

/// The peer address, or the last `X-Forwarded-For` hop when the peer is a trusted proxy: the
/// managed Traefik (`proxy`) or a configured one. The proxy appends the address it saw; earlier
/// hops are the client's own claims. Apps share the Traefik network, so its subnet as a whole is
/// not trusted: an app could claim any address by calling Milkcrate directly.
///
/// Strictly the last hop, of the last header: when it is empty or not an address (a malformed
/// header, even from a trusted proxy), the client is taken to be the proxy itself, never an
/// earlier hop the client wrote.
pub fn client_ip(
    peer: SocketAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
    proxy: Option<IpAddr>,
) -> IpAddr {
    let peer_ip = peer.ip().to_canonical();
    if Some(peer_ip) != proxy && !trusted.contains(peer_ip) {
        return peer_ip;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|hop| parse_hop(hop.trim()))
        .map(|ip| ip.to_canonical())
        .unwrap_or(peer_ip)
}

/// An address as proxies write it: `192.0.2.1`, `2001:db8::1`, or with a port (`192.0.2.1:80`,
/// `[2001:db8::1]:80`). Nothing else.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn untrusted_peers_cannot_claim_another_address() {
        let trusted = TrustedProxies::parse(["172.18.0.0/16"]).unwrap();
        let peer: SocketAddr = "203.0.113.9:5555".parse().unwrap();
        assert_eq!(
            client_ip(peer, &headers("1.2.3.4"), &trusted, None),
            peer.ip()
        );
    }

    #[test]
    fn trusted_proxies_give_the_last_hop() {
        let trusted = TrustedProxies::parse(["172.18.0.0/16"]).unwrap();
        let peer: SocketAddr = "172.18.0.3:5555".parse().unwrap();
        let ip = client_ip(peer, &headers("6.6.6.6, 198.51.100.7"), &trusted, None);
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_managed_proxy_is_trusted_but_its_neighbours_are_not() {
        let nobody = TrustedProxies::default();
        let proxy: IpAddr = "172.18.0.2".parse().unwrap();
        let via_proxy: SocketAddr = "172.18.0.2:4000".parse().unwrap();
        let app: SocketAddr = "172.18.0.7:4000".parse().unwrap();
        let claimed = headers("198.51.100.7");
        assert_eq!(
            client_ip(via_proxy, &claimed, &nobody, Some(proxy)),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(app, &claimed, &nobody, Some(proxy)), app.ip());
    }

    fn from_proxy(values: &[&[u8]]) -> IpAddr {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                axum::http::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        let trusted = TrustedProxies::parse(["172.18.0.3"]).unwrap();
        client_ip("172.18.0.3:5555".parse().unwrap(), &h, &trusted, None)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn several_headers_give_the_last_hop_of_the_last_header() {
        assert_eq!(
            from_proxy(&[b"6.6.6.6", b"7.7.7.7, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            from_proxy(&[b"6.6.6.6, 7.7.7.7", b"198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn spaces_around_hops_are_ignored() {
        assert_eq!(
            from_proxy(&[b"  6.6.6.6 ,198.51.100.7  "]),
            ip("198.51.100.7")
        );
        assert_eq!(from_proxy(&[b"6.6.6.6,\t198.51.100.7"]), ip("198.51.100.7"));
    }

    #[test]
    fn ipv6_hops_and_ports() {
        assert_eq!(from_proxy(&[b"6.6.6.6, 2001:db8::7"]), ip("2001:db8::7"));
        assert_eq!(from_proxy(&[b"[2001:db8::7]:443"]), ip("2001:db8::7"));
        assert_eq!(from_proxy(&[b"198.51.100.7:8080"]), ip("198.51.100.7"));
        // IPv4-mapped IPv6 is the IPv4 client: one client, one limit.
        assert_eq!(from_proxy(&[b"::ffff:198.51.100.7"]), ip("198.51.100.7"));
        // A trusted proxy reached over IPv6 (or IPv4-mapped) is still recognized.
        let trusted = TrustedProxies::parse(["fd00::/64"]).unwrap();
        assert_eq!(
            client_ip(
                "[fd00::3]:5555".parse().unwrap(),
                &headers("198.51.100.7"),
                &trusted,
                None
            ),
            ip("198.51.100.7")
        );
        let proxy = ip("172.18.0.2");
        assert_eq!(
            client_ip(
                "[::ffff:172.18.0.2]:5555".parse().unwrap(),
                &headers("198.51.100.7"),
                &TrustedProxies::default(),
                Some(proxy)
            ),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_malformed_last_hop_means_the_proxy_itself_never_an_earlier_claim() {
        let proxy = ip("172.18.0.3");
        for garbage in [
            &b"6.6.6.6, garbage"[..],
            b"6.6.6.6,",
            b"6.6.6.6, ",
            b"6.6.6.6, unknown",
            b"6.6.6.6, 198.51.100.7 198.51.100.8",
            b"6.6.6.6, 1.2.3.4.5",
            b"6.6.6.6, 300.1.1.1",
            b"6.6.6.6, [2001:db8::7",
            b"6.6.6.6, 198.51.100.7/24",
            b"6.6.6.6, fe80::1%eth0",
            b"",
            b",",
        ] {
            assert_eq!(
                from_proxy(&[garbage]),
                proxy,
                "{:?}",
                String::from_utf8_lossy(garbage)
            );
        }
        // The last header decides, even when an earlier one holds a good address.
        assert_eq!(from_proxy(&[b"198.51.100.7", b"junk"]), proxy);
        assert_eq!(from_proxy(&[b"198.51.100.7", b""]), proxy);
        // Bytes that are not text.
        assert_eq!(from_proxy(&[b"198.51.100.7", b"\xff\xfe"]), proxy);
        // No header at all: the proxy's own request.
        assert_eq!(from_proxy(&[]), proxy);
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse(["10.0.0.0/40"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("10.0.0.0/40"));
        assert!(TrustedProxies::parse(["nonsense"]).is_err());
    }
}
