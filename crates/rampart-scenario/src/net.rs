//! Which address ranges play which role, and handing out addresses from them.
//!
//! Every address in a generated world comes from one row of [`PROVIDERS`]. The rows
//! pair a range with the organisation, ASN and ISP name that a GeoIP/ASN database would
//! plausibly report for it, so the records look like real exports; they are a role
//! table for synthetic data, not a statement about who really holds each range today.
//!
//! | role | ranges |
//! |---|---|
//! | home broadband | Comcast 73.0.0.0/8 + 2601::/20, Verizon Fios 108.46.0.0/15 + 2600:4040::/30, Spectrum 24.160.0.0/12 + 2603:7000::/24, Cox 68.0.0.0/11 + 2600:8800::/24, AT&T 99.0.0.0/10 + 2600:1700::/28, RCN 146.115.0.0/16, CenturyLink 71.208.0.0/12 |
//! | office | Comcast Business 50.192.0.0/10, Cogent 38.0.0.0/8, Zayo 64.125.0.0/16, Lumen 4.0.0.0/9 |
//! | mobile carriers | T-Mobile 172.56.0.0/13 + 2607:fb90::/32, Verizon Wireless 174.192.0.0/10 + 2600:1000::/28, AT&T Mobility 166.128.0.0/9 |
//! | abroad (hotels, homes) | BT 86.128.0.0/10, Rogers 99.224.0.0/11, Telmex 187.128.0.0/10, Deutsche Telekom 79.192.0.0/10 |
//! | declared corporate VPN | **198.51.100.0/24 and 203.0.113.0/24 only** (documentation ranges; AS64500/64501, documentation ASNs) |
//! | undeclared VPN / SWG egress | Zscaler 165.225.0.0/17 |
//! | attacker VPS / hosting | DigitalOcean 159.89.0.0/16, Vultr 45.77.0.0/16, Linode 172.105.0.0/16, OVH 51.75.0.0/16, Hetzner 5.75.128.0/17, M247 146.70.0.0/16, GoDaddy 160.153.0.0/16, Stark Industries 45.155.205.0/24 + 2a0e:97c0::/29 (the phishing kit) |
//!
//! The documentation ranges appear nowhere but in a tenant's declared VPN.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::geo::City;

/// What kind of network a provider runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetKind {
    Residential,
    Business,
    Mobile,
    Vpn,
    Hosting,
}

/// One row of the role table.
#[derive(Debug, PartialEq)]
pub struct Provider {
    pub isp: &'static str,
    pub as_org: &'static str,
    pub asn: u32,
    pub domain: &'static str,
    pub kind: NetKind,
    /// IPv4 range: base address and prefix length.
    pub v4: ([u8; 4], u8),
    /// IPv6 range, if the provider hands out IPv6 to customers.
    pub v6: Option<([u16; 3], u8)>,
}

macro_rules! providers {
    ($($id:ident = $isp:literal, $org:literal, $asn:literal, $dom:literal, $kind:ident, [$a:literal,$b:literal,$c:literal,$d:literal]/$len:literal, $v6:expr;)*) => {
        $(
            pub static $id: Provider = Provider {
                isp: $isp, as_org: $org, asn: $asn, domain: $dom, kind: NetKind::$kind,
                v4: ([$a, $b, $c, $d], $len), v6: $v6,
            };
        )*
        /// The whole role table.
        pub static PROVIDERS: &[&Provider] = &[$(&$id),*];
    };
}

providers! {
    // home broadband
    COMCAST = "Comcast Cable Communications, LLC", "Comcast Cable Communications, LLC", 7922, "comcast.net", Residential, [73,0,0,0]/8, Some(([0x2601, 0, 0], 20));
    VERIZON_FIOS = "Verizon Fios", "Verizon Business", 701, "verizon.net", Residential, [108,46,0,0]/15, Some(([0x2600, 0x4040, 0], 30));
    SPECTRUM = "Charter Communications", "Charter Communications Inc", 20115, "spectrum.com", Residential, [24,160,0,0]/12, Some(([0x2603, 0x7000, 0], 24));
    COX = "Cox Communications", "Cox Communications Inc.", 22773, "cox.net", Residential, [68,0,0,0]/11, Some(([0x2600, 0x8800, 0], 24));
    ATT = "AT&T Internet Services", "AT&T Enterprises, LLC", 7018, "att.net", Residential, [99,0,0,0]/10, Some(([0x2600, 0x1700, 0], 28));
    RCN = "Astound Broadband", "RCN", 6079, "rcn.com", Residential, [146,115,0,0]/16, None;
    CENTURYLINK = "CenturyLink", "CenturyLink Communications, LLC", 209, "centurylink.net", Residential, [71,208,0,0]/12, None;
    // offices
    COMCAST_BUSINESS = "Comcast Business", "Comcast Cable Communications, LLC", 7922, "comcast.net", Business, [50,192,0,0]/10, None;
    COGENT = "Cogent Communications", "Cogent Communications", 174, "cogentco.com", Business, [38,0,0,0]/8, None;
    ZAYO = "Zayo Bandwidth", "Zayo Bandwidth", 6461, "zayo.com", Business, [64,125,0,0]/16, None;
    LUMEN = "Lumen", "Level 3 Parent, LLC", 3356, "lumen.com", Business, [4,0,0,0]/9, None;
    // mobile carriers
    TMOBILE = "T-Mobile USA, Inc.", "T-Mobile USA, Inc.", 21928, "t-mobile.com", Mobile, [172,56,0,0]/13, Some(([0x2607, 0xfb90, 0], 32));
    VERIZON_WIRELESS = "Verizon Wireless", "Cellco Partnership DBA Verizon Wireless", 6167, "verizonwireless.com", Mobile, [174,192,0,0]/10, Some(([0x2600, 0x1000, 0], 28));
    ATT_MOBILITY = "AT&T Mobility LLC", "AT&T Mobility LLC", 20057, "att.net", Mobile, [166,128,0,0]/9, None;
    // abroad
    BT = "BT", "British Telecommunications PLC", 2856, "bt.com", Residential, [86,128,0,0]/10, None;
    ROGERS = "Rogers Communications Canada Inc.", "Rogers Communications Canada Inc.", 812, "rogers.com", Residential, [99,224,0,0]/11, None;
    TELMEX = "Telmex", "Uninet S.A. de C.V.", 8151, "telmex.com", Residential, [187,128,0,0]/10, None;
    DTAG = "Deutsche Telekom AG", "Deutsche Telekom AG", 3320, "telekom.de", Residential, [79,192,0,0]/10, None;
    // declared corporate VPNs: documentation ranges and documentation ASNs only
    CORP_VPN_A = "Equinix", "Equinix, Inc.", 64500, "equinix.com", Vpn, [198,51,100,0]/24, None;
    CORP_VPN_B = "Equinix", "Equinix, Inc.", 64501, "equinix.com", Vpn, [203,0,113,0]/24, None;
    // undeclared VPN / secure web gateway egress
    ZSCALER = "Zscaler", "Zscaler, Inc.", 62044, "zscaler.com", Vpn, [165,225,0,0]/17, None;
    // attacker VPS and hosting
    DIGITALOCEAN = "DigitalOcean, LLC", "DigitalOcean, LLC", 14061, "digitalocean.com", Hosting, [159,89,0,0]/16, None;
    VULTR = "Vultr Holdings LLC", "The Constant Company, LLC", 20473, "vultr.com", Hosting, [45,77,0,0]/16, None;
    LINODE = "Linode", "Akamai Connected Cloud", 63949, "linode.com", Hosting, [172,105,0,0]/16, None;
    OVH = "OVH SAS", "OVH SAS", 16276, "ovh.net", Hosting, [51,75,0,0]/16, None;
    HETZNER = "Hetzner Online GmbH", "Hetzner Online GmbH", 24940, "hetzner.com", Hosting, [5,75,128,0]/17, None;
    M247 = "M247 Europe SRL", "M247 Europe SRL", 9009, "m247.com", Hosting, [146,70,0,0]/16, None;
    GODADDY = "GoDaddy.com, LLC", "GoDaddy.com, LLC", 26496, "godaddy.com", Hosting, [160,153,0,0]/16, None;
    KIT_HOSTING = "Stark Industries Solutions Ltd", "Stark Industries Solutions Ltd", 44477, "stark-industries.solutions", Hosting, [45,155,205,0]/24, Some(([0x2a0e, 0x97c0, 0], 29));
}

/// The documentation ranges that only declared VPNs may use.
pub const DOCUMENTATION_V4: [([u8; 4], u8); 3] = [
    ([192, 0, 2, 0], 24),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
];

/// Why an address is in the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Home,
    HomeV6,
    Office,
    Mobile,
    Hotel,
    DeclaredVpn,
    UndeclaredVpn,
    Attacker,
}

/// One address in the world, with what a geolocation database says about it.
#[derive(Debug)]
pub struct Network {
    pub ip: IpAddr,
    /// Where the address geolocates (not necessarily where its user is).
    pub city: &'static City,
    pub lat: f64,
    pub lon: f64,
    pub provider: &'static Provider,
    pub role: Role,
}

/// Hands out unique addresses.
#[derive(Default)]
pub struct Allocator {
    used: BTreeSet<IpAddr>,
}

impl Allocator {
    /// A fresh IPv4 address in the provider's range (not a network or broadcast-looking host).
    pub fn v4(&mut self, p: &Provider, rng: &mut fastrand::Rng) -> IpAddr {
        let (base, len) = p.v4;
        let base = u32::from_be_bytes(base);
        let size = 1u64 << (32 - u32::from(len));
        // A range runs out only if a world asks for more hosts than it has; then the
        // last draw is reused rather than looping for ever.
        let mut ip = IpAddr::V4(Ipv4Addr::from(base));
        for _ in 0..100_000 {
            let off = rng.u64(0..size) as u32;
            let v4 = Ipv4Addr::from(base.wrapping_add(off));
            let last = v4.octets()[3];
            if last == 0 || last == 255 || last == 1 {
                continue;
            }
            ip = IpAddr::V4(v4);
            if self.used.insert(ip) {
                return ip;
            }
        }
        ip
    }

    /// A given IPv4 address, if it is still free (used for hand-picked story addresses).
    pub fn claim(&mut self, ip: IpAddr) -> bool {
        self.used.insert(ip)
    }

    /// A fresh IPv6 address in the provider's range (a /64 for the customer, random interface id).
    pub fn v6(&mut self, p: &Provider, rng: &mut fastrand::Rng) -> Option<IpAddr> {
        let (segs, len) = p.v6?;
        let base: u128 = (u128::from(segs[0]) << 112)
            | (u128::from(segs[1]) << 96)
            | (u128::from(segs[2]) << 80);
        loop {
            let host_bits = 128 - u32::from(len);
            let mask = if host_bits >= 128 {
                u128::MAX
            } else {
                (1u128 << host_bits) - 1
            };
            // the customer's /64 inside the provider's block, then a random interface id
            let prefix = (u128::from(rng.u64(..)) << 64) & mask & !0xffff_ffff_ffff_ffffu128;
            let iid = u128::from(rng.u64(..));
            let ip = IpAddr::V6(Ipv6Addr::from(base | prefix | iid));
            if self.used.insert(ip) {
                return Some(ip);
            }
        }
    }
}

/// True when the address is in one of the documentation ranges.
pub fn is_documentation(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => DOCUMENTATION_V4.iter().any(|(base, len)| {
            let mask = u32::MAX << (32 - u32::from(*len));
            u32::from(v4) & mask == u32::from_be_bytes(*base)
        }),
        IpAddr::V6(v6) => v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8,
    }
}

/// The provider's IPv4 range as a CIDR.
pub fn v4_net(p: &Provider) -> ipnet::Ipv4Net {
    let (base, len) = p.v4;
    ipnet::Ipv4Net::new(Ipv4Addr::from(base), len).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocated_addresses_stay_in_their_range() {
        let mut rng = fastrand::Rng::with_seed(1);
        let mut a = Allocator::default();
        for p in PROVIDERS {
            for _ in 0..50 {
                let ip = a.v4(p, &mut rng);
                assert!(
                    ipnet::IpNet::V4(v4_net(p)).contains(&ip),
                    "{ip} not in {}",
                    v4_net(p)
                );
                assert_eq!(
                    is_documentation(ip),
                    (64496..=64511).contains(&p.asn),
                    "{ip}"
                );
            }
            if let Some(ip) = a.v6(p, &mut rng) {
                let IpAddr::V6(v6) = ip else { panic!() };
                let (segs, _) = p.v6.unwrap();
                assert_eq!(v6.segments()[0], segs[0]);
            }
        }
    }

    #[test]
    fn only_declared_vpns_use_documentation_ranges() {
        for p in PROVIDERS {
            let doc = DOCUMENTATION_V4.contains(&p.v4);
            assert_eq!(doc, p.asn == 64500 || p.asn == 64501, "{}", p.isp);
        }
    }
}
