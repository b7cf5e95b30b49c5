use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The kind of an observable value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IndicatorKind {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Email,
}

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ipv4 => "ipv4",
            IndicatorKind::Ipv6 => "ipv6",
            IndicatorKind::Cidr => "cidr",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Email => "email",
        }
    }

    pub fn from_name(name: &str) -> Option<IndicatorKind> {
        Some(match name {
            "ipv4" | "ip" | "ip-src" | "ip-dst" | "ipv4-addr" => IndicatorKind::Ipv4,
            "ipv6" | "ipv6-addr" => IndicatorKind::Ipv6,
            "cidr" | "ip-range" | "subnet" => IndicatorKind::Cidr,
            "domain" | "hostname" | "domain-name" | "fqdn" => IndicatorKind::Domain,
            "url" | "uri" | "link" => IndicatorKind::Url,
            "email" | "email-src" | "email-addr" | "email-address" => IndicatorKind::Email,
            _ => return None,
        })
    }
}

/// A normalized observable value: refanged, lower-cased where case does not matter,
/// canonical for IPs and networks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Observable {
    Ip(IpAddr),
    Cidr(IpNet),
    Domain(String),
    Url(String),
    Email(String),
}

impl Observable {
    pub fn kind(&self) -> IndicatorKind {
        match self {
            Observable::Ip(IpAddr::V4(_)) => IndicatorKind::Ipv4,
            Observable::Ip(IpAddr::V6(_)) => IndicatorKind::Ipv6,
            Observable::Cidr(_) => IndicatorKind::Cidr,
            Observable::Domain(_) => IndicatorKind::Domain,
            Observable::Url(_) => IndicatorKind::Url,
            Observable::Email(_) => IndicatorKind::Email,
        }
    }
}

impl std::fmt::Display for Observable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Observable::Ip(ip) => write!(f, "{ip}"),
            Observable::Cidr(net) => write!(f, "{net}"),
            Observable::Domain(s) | Observable::Url(s) | Observable::Email(s) => f.write_str(s),
        }
    }
}

/// An indicator of compromise as read from a list: the value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub observable: Observable,
    /// Free text from the list (the CSV's `description` column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the indicator came from: the file and line, or a feed name.
    pub source: String,
}
