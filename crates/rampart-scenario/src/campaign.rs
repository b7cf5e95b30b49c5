//! The campaign's indicator list: how it is written (defanged or not) and which
//! addresses it covers.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::CampaignEntry;

/// `45.155.205.12` → `45.155.205[.]12` (the last dot), `evil.com` → `evil[.]com`,
/// `https://x.evil.com/a` → `hxxps://x.evil[.]com/a`.
pub fn defang(value: &str) -> String {
    let v = value
        .replacen("https://", "hxxps://", 1)
        .replacen("http://", "hxxp://", 1);
    let (scheme, rest) = match v.find("://") {
        Some(i) => (&v[..i + 3], &v[i + 3..]),
        None => ("", v.as_str()),
    };
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = match host.rfind('.') {
        Some(i) => format!("{}[.]{}", &host[..i], &host[i + 1..]),
        None => host.to_owned(),
    };
    format!("{scheme}{host}{path}")
}

/// Undoes the usual defanging spellings.
pub fn refang(value: &str) -> String {
    value
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":")
        .replace("hxxps://", "https://")
        .replace("hxxp://", "http://")
        .replace("[@]", "@")
}

/// The address ranges the list covers (IPs as /32 or /128).
pub fn listed_addresses(entries: &[CampaignEntry]) -> Vec<IpNet> {
    entries
        .iter()
        .filter_map(|e| {
            let v = refang(&e.value);
            match e.kind {
                "cidr" => v.parse::<IpNet>().ok(),
                "ipv4" | "ipv6" => v.parse::<IpAddr>().ok().map(IpNet::from),
                _ => None,
            }
        })
        .collect()
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defang_and_back() {
        assert_eq!(defang("45.155.205.12"), "45.155.205[.]12");
        assert_eq!(defang("docs-share.example.net"), "docs-share.example[.]net");
        assert_eq!(
            defang("https://login.evil.net/common/oauth2"),
            "hxxps://login.evil[.]net/common/oauth2"
        );
        for v in ["45.155.205.12", "https://login.evil.net/x", "a.b.c"] {
            assert_eq!(refang(&defang(v)), v);
        }
    }
}
