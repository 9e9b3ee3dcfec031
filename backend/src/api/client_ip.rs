//! The client address used for rate limiting. `X-Forwarded-For` is believed only from trusted
//! proxies (the original trusted it from anyone, so limits could be dodged with a header).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

pub use crate::config::TrustedProxies;

/// The peer address, or the last `X-Forwarded-For` hop when the peer is a trusted proxy: the
/// managed Traefik (`proxy`) or a configured one. The proxy appends the address it saw; earlier
/// hops are the client's own claims. Apps share the Traefik network, so its subnet as a whole is
/// not trusted: an app could claim any address by calling Milkcrate directly.
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
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer_ip)
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

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse(["10.0.0.0/40"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("10.0.0.0/40"));
        assert!(TrustedProxies::parse(["nonsense"]).is_err());
    }
}
