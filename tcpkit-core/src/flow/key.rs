//! The canonical, direction-free key of a connection: its two endpoints in a
//! fixed order, so that both directions of a connection find the same entry.

use super::Endpoint;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Two endpoints in canonical order (the lower `(address, port)` first).
///
/// Addresses are stored as 128-bit integers (an IPv4 address in the low 32
/// bits, with a family flag) so that comparing and hashing are a few word
/// operations; each as two 64-bit words, high word first (same order as the
/// integer), so that the key is 40 bytes with 8-byte alignment, not 48.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    lo_ip: [u64; 2],
    hi_ip: [u64; 2],
    lo_port: u16,
    hi_port: u16,
    v6: bool,
}

#[inline]
fn words(x: u128) -> [u64; 2] {
    [(x >> 64) as u64, x as u64]
}

#[inline]
fn ip_bits(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), false),
        IpAddr::V6(a) => (u128::from(a), true),
    }
}

/// An IPv4 connection's [`FlowKey`] in 12 bytes instead of 40, for maps
/// that hold many 4-tuples (the analyzer's remembered 4-tuples of
/// connections handed out); [`FlowKey::v4`] makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKeyV4 {
    ips: [u32; 2],
    ports: [u16; 2],
}

impl Hash for FlowKeyV4 {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.ips[0]) << 32 | u64::from(self.ips[1]));
        state.write_u32(u32::from(self.ports[0]) << 16 | u32::from(self.ports[1]));
    }
}

impl Hash for FlowKey {
    /// Two words for an IPv4 key (both addresses in one, the ports and the
    /// family in the other), four more for IPv6: every field, packed without
    /// loss (so two keys that differ hash apart whatever the seed), instead
    /// of the nine words (and two length prefixes) the derived form writes.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        if self.v6 {
            state.write_u64(self.lo_ip[0]);
            state.write_u64(self.lo_ip[1]);
            state.write_u64(self.hi_ip[0]);
            state.write_u64(self.hi_ip[1]);
        } else {
            // Both addresses are IPv4: each in its low word's low 32 bits.
            state.write_u64(self.lo_ip[1] << 32 | self.hi_ip[1]);
        }
        state.write_u64(
            u64::from(self.lo_port) << 32 | u64::from(self.hi_port) << 16 | u64::from(self.v6),
        );
    }
}

impl FlowKey {
    /// The compact form of an IPv4 connection's key (`None` for IPv6).
    #[inline]
    pub fn v4(&self) -> Option<FlowKeyV4> {
        (!self.v6).then_some(FlowKeyV4 {
            ips: [self.lo_ip[1] as u32, self.hi_ip[1] as u32],
            ports: [self.lo_port, self.hi_port],
        })
    }

    /// The key of a segment from `src` to `dst`, and whether `src` is the
    /// key's lower endpoint (the direction of the segment relative to the key).
    #[inline]
    pub fn new(src: Endpoint, dst: Endpoint) -> (Self, bool) {
        let (s, sv6) = ip_bits(src.ip);
        let (d, dv6) = ip_bits(dst.ip);
        let v6 = sv6 || dv6;
        let src_lo = s < d || (s == d && src.port <= dst.port);
        let key = if src_lo {
            Self {
                lo_ip: words(s),
                hi_ip: words(d),
                lo_port: src.port,
                hi_port: dst.port,
                v6,
            }
        } else {
            Self {
                lo_ip: words(d),
                hi_ip: words(s),
                lo_port: dst.port,
                hi_port: src.port,
                v6,
            }
        };
        (key, src_lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: s.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn both_directions_share_a_key() {
        let a = ep("10.0.0.2", 40000);
        let b = ep("10.0.0.1", 80);
        let (k1, lo1) = FlowKey::new(a, b);
        let (k2, lo2) = FlowKey::new(b, a);
        assert_eq!(k1, k2);
        // 10.0.0.1 < 10.0.0.2, so b is the lower endpoint.
        assert!(!lo1 && lo2);
    }

    #[test]
    fn forty_bytes_and_ordered_like_the_addresses() {
        assert_eq!(std::mem::size_of::<FlowKey>(), 40);
        let (a, _) = FlowKey::new(ep("10.0.0.1", 5), ep("10.0.0.9", 5));
        let (b, _) = FlowKey::new(ep("10.0.0.2", 1), ep("10.0.0.9", 5));
        let (c, _) = FlowKey::new(ep("::1:0:0:1", 1), ep("::1:0:0:2", 5));
        let (d, _) = FlowKey::new(ep("1::1", 1), ep("1::2", 5));
        assert!(a < b && c < d, "high words compare first");
    }

    #[test]
    fn keys_that_differ_hash_apart() {
        use std::hash::BuildHasher;
        let h = |k: FlowKey| crate::flow::FastHashBuilder::default().hash_one(k);
        let (k, _) = FlowKey::new(ep("10.0.0.1", 80), ep("10.0.0.2", 40000));
        let (back, _) = FlowKey::new(ep("10.0.0.2", 40000), ep("10.0.0.1", 80));
        assert_eq!(h(k), h(back));
        for other in [
            FlowKey::new(ep("10.0.0.1", 40000), ep("10.0.0.2", 80)).0,
            FlowKey::new(ep("10.0.0.1", 80), ep("10.0.0.3", 40000)).0,
            FlowKey::new(ep("::a00:1", 80), ep("::a00:2", 40000)).0,
            FlowKey::new(ep("10.0.0.1", 80), ep("::a00:2", 40000)).0,
        ] {
            assert_ne!(h(k), h(other), "{other:?}");
        }
    }

    #[test]
    fn same_address_orders_by_port_and_families_differ() {
        let (k, lo) = FlowKey::new(ep("127.0.0.1", 9), ep("127.0.0.1", 8));
        assert!(!lo);
        let (k6, _) = FlowKey::new(ep("::7f00:1", 9), ep("::7f00:1", 8));
        assert_ne!(k, k6, "an IPv4 flow is not the IPv4-compatible IPv6 flow");
        assert!(k6.v4().is_none());
    }

    #[test]
    fn compact_ipv4_key_is_twelve_bytes_and_keeps_both_endpoints() {
        assert_eq!(std::mem::size_of::<FlowKeyV4>(), 12);
        let (k, _) = FlowKey::new(ep("10.0.0.1", 80), ep("10.0.0.2", 40000));
        let (swapped_ports, _) = FlowKey::new(ep("10.0.0.1", 40000), ep("10.0.0.2", 80));
        let (other_host, _) = FlowKey::new(ep("10.0.0.3", 80), ep("10.0.0.2", 40000));
        let c = k.v4().unwrap();
        assert_ne!(c, swapped_ports.v4().unwrap());
        assert_ne!(c, other_host.v4().unwrap());
        assert_eq!(
            c,
            FlowKey::new(ep("10.0.0.2", 40000), ep("10.0.0.1", 80))
                .0
                .v4()
                .unwrap()
        );
    }
}
