//! The client address used for rate limiting. `X-Forwarded-For` is believed only from trusted
//! proxies (the original trusted it from anyone, so limits could be dodged with a header).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// A list of trusted networks (`10.0.0.0/8`, `172.18.0.2`, ...).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses IPs and CIDRs; an invalid entry is an error naming it.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let mut nets = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let (ip, prefix) = match entry.split_once('/') {
                Some((ip, prefix)) => (ip, Some(prefix)),
                None => (entry, None),
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| anyhow::anyhow!("`{entry}` is not an IP address or CIDR"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| anyhow::anyhow!("`{entry}` has a bad prefix length"))?,
                None => max,
            };
            nets.push((ip, prefix));
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0
            .iter()
            .any(|(net, prefix)| in_network(ip, *net, *prefix))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// The peer address, or the last `X-Forwarded-For` hop when the peer is a trusted proxy
/// (the proxy appends the address it saw; earlier hops are the client's own claims).
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer_ip = peer.ip().to_canonical();
    if !trusted.contains(peer_ip) {
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
        assert_eq!(client_ip(peer, &headers("1.2.3.4"), &trusted), peer.ip());
    }

    #[test]
    fn trusted_proxies_give_the_last_hop() {
        let trusted = TrustedProxies::parse(["172.18.0.0/16"]).unwrap();
        let peer: SocketAddr = "172.18.0.3:5555".parse().unwrap();
        let ip = client_ip(peer, &headers("6.6.6.6, 198.51.100.7"), &trusted);
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
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
