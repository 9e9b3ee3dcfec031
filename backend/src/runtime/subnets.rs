//! Address space for stack networks. Docker's default pools hold about 30 bridge networks, and
//! every stack deployment needs its own; Milkcrate hands out small blocks of one configured
//! range instead (`MILKCRATE_STACK_SUBNETS`, /26 blocks: 62 addresses, 1024 networks in a /16).

use std::net::Ipv4Addr;

/// Size of one stack network.
pub const BLOCK_PREFIX: u8 = 26;

/// An IPv4 range in CIDR form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    base: u32,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not in CIDR form like 10.213.0.0/16"))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("`{prefix}` is not a prefix length from 0 to 32"))?;
        let base = u32::from(addr) & mask(prefix);
        Ok(Self { base, prefix })
    }

    fn last(&self) -> u32 {
        self.base | !mask(self.prefix)
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.base <= other.last() && other.base <= self.last()
    }

    /// The /26 blocks of this range, in order.
    pub fn blocks(&self) -> impl Iterator<Item = Cidr> + use<> {
        let count = if self.prefix > BLOCK_PREFIX {
            0
        } else {
            1u64 << (BLOCK_PREFIX - self.prefix)
        };
        let (base, step) = (u64::from(self.base), 1u64 << (32 - BLOCK_PREFIX));
        (0..count).map(move |i| Cidr {
            base: (base + i * step) as u32,
            prefix: BLOCK_PREFIX,
        })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// The first block of `pool` that overlaps none of `taken`.
pub fn first_free(pool: &Cidr, taken: &[Cidr]) -> Option<Cidr> {
    pool.blocks().find(|b| !taken.iter().any(|t| t.overlaps(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_skip_every_taken_range() {
        let pool = Cidr::parse("10.213.0.0/16").unwrap();
        assert_eq!(pool.blocks().count(), 1024);
        let taken = [
            Cidr::parse("10.213.0.0/26").unwrap(),
            Cidr::parse("10.213.0.64/27").unwrap(),
            Cidr::parse("172.17.0.0/16").unwrap(),
        ];
        assert_eq!(
            first_free(&pool, &taken).unwrap().to_string(),
            "10.213.0.128/26"
        );
        let everything = [Cidr::parse("10.0.0.0/8").unwrap()];
        assert_eq!(first_free(&pool, &everything), None);
    }

    #[test]
    fn bad_ranges_are_named() {
        assert!(Cidr::parse("10.213.0.0").unwrap_err().contains("CIDR"));
        assert!(Cidr::parse("10.213.0.300/16").is_err());
        assert!(Cidr::parse("10.213.0.0/40").is_err());
        assert_eq!(
            Cidr::parse("10.213.7.9/16").unwrap().to_string(),
            "10.213.0.0/16"
        );
        assert_eq!(Cidr::parse("10.213.0.0/27").unwrap().blocks().count(), 0);
    }
}
