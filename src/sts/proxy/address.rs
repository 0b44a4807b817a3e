//! Which addresses the proxy may connect to. RFC 8461 §3.3 has a sender
//! fetch from whatever the policy host resolves to; a proxy anyone can call
//! must not, or it becomes a way into the network it runs in (SSRF).
//!
//! An allow-list, not a deny-list: an address is fetched from only when it
//! is global unicast (IPv4 outside every IANA special-purpose block, RFC
//! 6890; IPv6 inside 2000::/3, RFC 4291 §2.4, outside every IANA
//! special-purpose block) and outside the prefixes the operator refuses
//! (a network-specific NAT64 prefix, RFC 6052 §2.2, that translates to the
//! operator's own IPv4 network, say). A block added to the IANA registries
//! later is refused only once it is listed here; space outside 2000::/3 is
//! refused whatever it is used for.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IP prefix such as `64:ff9b:1::/48` or `10.0.0.0/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    network: IpAddr,
    len: u8,
}

/// Why a prefix given by the operator was refused, with the byte position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.position)
    }
}

impl std::error::Error for PrefixError {}

impl Prefix {
    /// Parses `ADDRESS/LENGTH`; the bits past the length must be zero so a
    /// typo (`64:ff9b:1::1/48`) is caught rather than widened silently.
    pub fn parse(text: &str) -> Result<Prefix, PrefixError> {
        let (addr, len) = text.split_once('/').ok_or_else(|| PrefixError {
            position: text.len(),
            message: format!(
                "`{text}` has no length: write it as ADDRESS/LENGTH, e.g. 64:ff9b:1::/48"
            ),
        })?;
        let at_len = addr.len() + 1;
        let network: IpAddr = addr.parse().map_err(|_| PrefixError {
            position: 0,
            message: format!("`{addr}` is not an IPv4 or IPv6 address"),
        })?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= max && len.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| PrefixError {
                position: at_len,
                message: format!("`{len}` is not a prefix length from 0 to {max}"),
            })?;
        let prefix = Prefix { network, len };
        if bits(network) & !mask(len, u32::from(max)) != 0 {
            return Err(PrefixError {
                position: 0,
                message: format!(
                    "`{text}` has bits set past /{len}; write the network address, e.g. {}/{len}",
                    prefix.masked()
                ),
            });
        }
        Ok(prefix)
    }

    /// True when `ip` is inside the prefix (same family only).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let max = match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) => 32,
            (IpAddr::V6(_), IpAddr::V6(_)) => 128,
            _ => return false,
        };
        let m = mask(self.len, max);
        bits(ip) & m == bits(self.network) & m
    }

    fn masked(&self) -> IpAddr {
        let max = if self.network.is_ipv4() { 32 } else { 128 };
        let b = bits(self.network) & mask(self.len, max);
        match self.network {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(b as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(b)),
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.len)
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The top `len` of `max` bits set.
fn mask(len: u8, max: u32) -> u128 {
    let len = u32::from(len).min(max);
    let ones = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    ones >> (128 - max)
}

/// Which addresses a fetch may connect to: global unicast only, minus the
/// operator's refused prefixes. `allow_private` (test beds only) lets every
/// address through except the refused prefixes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressGuard {
    pub allow_private: bool,
    pub refused: Vec<Prefix>,
}

impl AddressGuard {
    /// Whether a connection to `ip` is allowed.
    pub fn allows(&self, ip: IpAddr) -> bool {
        (self.allow_private || is_public(ip)) && !self.refused.iter().any(|p| p.contains(ip))
    }

    /// The message for a host whose every address was refused. The
    /// addresses themselves are not named: they may come from a resolver
    /// that sees an internal view, and naming them would map that network
    /// for whoever asks.
    pub fn refusal(host: &str) -> String {
        format!(
            "{host} resolves only to addresses that are not public (private, loopback, \
             link-local, special-purpose or refused by the operator); the proxy does not \
             connect to those"
        )
    }
}

/// True for global unicast addresses on the public Internet; everything
/// else is refused.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// Whether a connection to `ip` is allowed; `allow_private` is for test beds.
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || is_public(ip)
}

/// The IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates),
/// plus multicast (RFC 5771) and the reserved 240.0.0.0/4 (RFC 1112 §4)
/// that the registry leaves out. Globally reachable special blocks (AS112,
/// AMT) are refused too: no policy host lives there.
const SPECIAL_V4: &[(u32, u8)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network", RFC 791
    (0x0a00_0000, 8),  // 10.0.0.0/8 private, RFC 1918
    (0x6440_0000, 10), // 100.64.0.0/10 shared address space, RFC 6598
    (0x7f00_0000, 8),  // 127.0.0.0/8 loopback, RFC 1122
    (0xa9fe_0000, 16), // 169.254.0.0/16 link-local, RFC 3927
    (0xac10_0000, 12), // 172.16.0.0/12 private, RFC 1918
    (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments, RFC 6890
    (0xc000_0200, 24), // 192.0.2.0/24 documentation, RFC 5737
    (0xc01f_c400, 24), // 192.31.196.0/24 AS112-v4, RFC 7535
    (0xc034_c100, 24), // 192.52.193.0/24 AMT, RFC 7450
    (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast, RFC 7526
    (0xc0a8_0000, 16), // 192.168.0.0/16 private, RFC 1918
    (0xc0af_3000, 24), // 192.175.48.0/24 direct delegation AS112, RFC 7534
    (0xc612_0000, 15), // 198.18.0.0/15 benchmarking, RFC 2544
    (0xc633_6400, 24), // 198.51.100.0/24 documentation, RFC 5737
    (0xcb00_7100, 24), // 203.0.113.0/24 documentation, RFC 5737
    (0xe000_0000, 4),  // 224.0.0.0/4 multicast, RFC 5771
    (0xf000_0000, 4),  // 240.0.0.0/4 reserved, and 255.255.255.255, RFC 1112
];

/// The IANA IPv6 Special-Purpose Address Registry blocks inside 2000::/3.
/// The others (::1, ::/128, ::ffff:0:0/96, 64:ff9b:1::/48, 100::/64,
/// fc00::/7, fe80::/10, SRv6 SIDs 5f00::/16 of RFC 9602, ...) lie outside
/// it and are refused with everything else there.
const SPECIAL_V6: &[(u128, u8)] = &[
    // 2001::/23 IETF protocol assignments, RFC 2928: Teredo 2001::/32 (RFC
    // 4380), 2001:1::1/128 .. 2001:1::3/128, benchmarking 2001:2::/48 (RFC
    // 5180), AMT 2001:3::/32, AS112-v6 2001:4:112::/48, ORCHIDv2
    // 2001:20::/28 (RFC 7343), drone remote ID 2001:30::/28, and the
    // deprecated ORCHID 2001:10::/28.
    (0x2001_0000 << 96, 23),
    (0x2001_0db8 << 96, 32),      // documentation, RFC 3849
    (0x2002 << 112, 16),          // 6to4, RFC 3056: see `is_public_v6`
    (0x2620_004f_8000 << 80, 48), // AS112 direct delegation, RFC 7534
    (0x3fff << 112, 20),          // documentation, RFC 9637
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let a = u32::from(ip);
    !SPECIAL_V4
        .iter()
        .any(|&(net, len)| a & (u32::MAX << (32 - len)) == net)
}

/// IPv6 global unicast, 2000::/3, outside the special-purpose blocks. Every
/// form that embeds an IPv4 address is refused, whatever that address: the
/// IPv4-mapped ::ffff:0:0/96, SIIT's ::ffff:0:0:0/96 (RFC 7915),
/// IPv4-compatible ::/96, local-use NAT64 64:ff9b:1::/48 (RFC 8215), and
/// 6to4 2002::/16 (RFC 3056; its relays are deprecated by RFC 7526 and a
/// policy host has a native address). One exception: the well-known NAT64
/// prefix 64:ff9b::/96 (RFC 6052 §2.1) is fetched from when the IPv4
/// address in it is public, as a DNS64 resolver on an IPv6-only host hands
/// out; RFC 6052 §3.1 forbids using it for non-global IPv4 addresses.
fn is_public_v6(v6: Ipv6Addr) -> bool {
    let a = u128::from(v6);
    if a >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return is_public_v4(Ipv4Addr::from(a as u32));
    }
    a >> 125 == 0b001
        && !SPECIAL_V6
            .iter()
            .any(|&(net, len)| a & (u128::MAX << (128 - len)) == net)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every special-purpose block, from its first address and one inside,
    /// the IPv6 forms that embed IPv4, and public addresses next to them.
    #[test]
    fn the_allow_list_table() {
        let refused = [
            // IPv4 special-purpose
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.0.170",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.6",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            // IPv6 outside 2000::/3
            "::",
            "::1",
            "::10.0.0.1",
            "::8.8.8.8",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::ffff:0:a00:1",
            "::ffff:0:808:808",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::808:808",
            "64:ff9b:1:ffff::1",
            "100::1",
            "fc00::1",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "4000::1",
            "1fff:ffff::1",
            // IPv6 special-purpose inside 2000::/3
            "2001::1",
            "2001:0:4136:e378::1",
            "2001:1::1",
            "2001:2::1",
            "2001:3::1",
            "2001:4:112::1",
            "2001:10::1",
            "2001:20::1",
            "2001:2f::1",
            "2001:30::1",
            "2001:1ff::1",
            "2001:db8::1",
            "2002:808:808::1",
            "2002:a00:1::",
            "2620:4f:8000::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
        ];
        let allowed = [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.88.98.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "2001:200::1",
            "2001:4860:4860::8888",
            "2003::1",
            "2620:4f:8001::1",
            "3ffe::1",
            "3fff:1000::1",
            "64:ff9b::808:808",
        ];
        assert!(refused.len() + allowed.len() >= 40);
        let guard = AddressGuard::default();
        for a in refused {
            let ip: IpAddr = a.parse().unwrap();
            assert!(!is_public(ip), "{a} must be refused");
            assert!(!guard.allows(ip), "{a} must be refused");
            assert!(!address_allowed(ip, false), "{a} must be refused");
        }
        for a in allowed {
            let ip: IpAddr = a.parse().unwrap();
            assert!(is_public(ip), "{a} must be allowed");
            assert!(guard.allows(ip), "{a} must be allowed");
        }
        assert!(address_allowed("127.0.0.1".parse().unwrap(), true));
    }

    #[test]
    fn operator_prefixes_are_refused_even_in_test_beds() {
        let guard = AddressGuard {
            allow_private: true,
            refused: vec![
                Prefix::parse("2a01:db8:64::/96").unwrap(),
                Prefix::parse("203.0.0.0/16").unwrap(),
            ],
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(!guard.allows(ip("2a01:db8:64::a00:1")));
        assert!(!guard.allows(ip("203.0.1.2")));
        assert!(guard.allows(ip("2a01:db8:65::1")));
        assert!(guard.allows(ip("127.0.0.1")), "allow_private still applies");
        let public = AddressGuard {
            allow_private: false,
            refused: vec![Prefix::parse("2a00:1450::/32").unwrap()],
        };
        assert!(!public.allows(ip("2a00:1450:4001::200e")));
        assert!(public.allows(ip("2606:4700::1111")));
    }

    #[test]
    fn prefixes_parse_strictly() {
        let p = Prefix::parse("64:ff9b:1::/48").unwrap();
        assert_eq!(p.to_string(), "64:ff9b:1::/48");
        assert!(p.contains("64:ff9b:1:ab::1".parse().unwrap()));
        assert!(!p.contains("64:ff9b:2::1".parse().unwrap()));
        assert!(!p.contains("10.0.0.1".parse().unwrap()), "other family");
        assert!(Prefix::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Prefix::parse("::/0")
            .unwrap()
            .contains("2001:db8::1".parse().unwrap()));
        for (bad, says) in [
            ("64:ff9b:1::", "no length"),
            ("64:ff9b:1::/129", "prefix length"),
            ("10.0.0.0/33", "prefix length"),
            ("10.0.0.0/+8", "prefix length"),
            ("10.0.0.0/", "prefix length"),
            ("nat64/96", "not an IPv4 or IPv6"),
            (
                "64:ff9b:1::1/48",
                "write the network address, e.g. 64:ff9b:1::/48",
            ),
            ("10.1.0.0/8", "e.g. 10.0.0.0/8"),
        ] {
            let e = Prefix::parse(bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn refusals_do_not_name_the_addresses() {
        let m = AddressGuard::refusal("mta-sts.example.com");
        assert!(m.starts_with("mta-sts.example.com resolves only to"));
        assert!(!m.bytes().any(|b| b.is_ascii_digit()), "{m}");
    }
}
