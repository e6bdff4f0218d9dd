//! A listener's distinct client endpoints, exactly and compactly: per client
//! address its ports, as a sorted list while few, as a bitmap of the 65,536
//! ports (8 KiB) beyond [`FEW_PORTS`]. A host that opens thousands of
//! connections to one listener then costs 8 KiB instead of ~35 bytes a port in
//! a hash set of endpoints; a host with a few ports costs two bytes a port.

use crate::flow::{Endpoint, FastHashBuilder};
use std::collections::HashMap;
use std::net::IpAddr;

/// Ports kept as a sorted list up to this many (1 KiB), then as a bitmap.
const FEW_PORTS: usize = 512;

/// One client address's ports.
#[derive(Debug, Clone)]
enum Ports {
    Few(Vec<u16>),
    Many(Box<[u64; 1024]>),
}

impl Ports {
    /// Adds `port`; `true` if it was not there.
    fn insert(&mut self, port: u16) -> bool {
        match self {
            Self::Few(v) => match v.binary_search(&port) {
                Ok(_) => false,
                Err(i) => {
                    if v.len() < FEW_PORTS {
                        v.insert(i, port);
                    } else {
                        let mut bits = Box::new([0u64; 1024]);
                        for &p in v.iter().chain([&port]) {
                            bits[usize::from(p >> 6)] |= 1 << (p & 63);
                        }
                        *self = Self::Many(bits);
                    }
                    true
                }
            },
            Self::Many(bits) => {
                let (w, b) = (usize::from(port >> 6), 1u64 << (port & 63));
                let new = bits[w] & b == 0;
                bits[w] |= b;
                new
            }
        }
    }

    /// The ports, in no particular order.
    fn iter(&self) -> Box<dyn Iterator<Item = u16> + '_> {
        match self {
            Self::Few(v) => Box::new(v.iter().copied()),
            Self::Many(bits) => Box::new(
                (0..=u16::MAX).filter(|&p| bits[usize::from(p >> 6)] & (1 << (p & 63)) != 0),
            ),
        }
    }
}

/// Distinct client endpoints.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientSet {
    by_ip: HashMap<IpAddr, Ports, FastHashBuilder>,
    len: usize,
}

impl ClientSet {
    /// Adds a client endpoint.
    pub fn insert(&mut self, e: Endpoint) {
        let ports = self
            .by_ip
            .entry(e.ip)
            .or_insert_with(|| Ports::Few(Vec::new()));
        self.len += usize::from(ports.insert(e.port));
    }

    /// Distinct endpoints.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Distinct client addresses.
    pub fn ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.by_ip.keys().copied()
    }

    /// Adds every endpoint of `other`.
    pub fn extend(&mut self, other: &Self) {
        for (&ip, ports) in &other.by_ip {
            for port in ports.iter() {
                self.insert(Endpoint { ip, port });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::net::Ipv4Addr;

    /// The same count as a set of endpoints, across the switch to a bitmap
    /// and through a merge.
    #[test]
    fn counts_as_a_set_of_endpoints() {
        let ep = |h: u8, port: u16| Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, h)),
            port,
        };
        let (mut a, mut b) = (ClientSet::default(), ClientSet::default());
        let mut want = HashSet::new();
        for i in 0..3_000u32 {
            // Host 1 many ports (a bitmap), host 2 few, repeats included.
            let e1 = ep(1, (i.wrapping_mul(7919) % 65_536) as u16);
            let e2 = ep(2, (i % 40) as u16);
            a.insert(e1);
            b.insert(e2);
            b.insert(ep(1, (i % 700) as u16));
            want.extend([e1, e2, ep(1, (i % 700) as u16)]);
        }
        a.extend(&b);
        assert_eq!(a.len(), want.len());
        let ips: HashSet<IpAddr> = a.ips().collect();
        assert_eq!(ips.len(), 2);
        assert!(matches!(a.by_ip[&ep(1, 0).ip], Ports::Many(_)));
        assert!(matches!(a.by_ip[&ep(2, 0).ip], Ports::Few(_)));
    }
}
