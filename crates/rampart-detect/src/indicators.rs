//! Indicator lists as `hunt --indicators` reads them, and the matcher for sign-ins.
//!
//! The list format is CSV `type,value[,description]` (a header row is detected, not
//! required); types `ipv4`, `ipv6`, `cidr`, `domain`, `url`, `email`. Values may be
//! defanged (`45.155.205[.]12`, `hxxps://evil[.]example/x`, `user[@]example[.]com`).
//! A bad row is reported with its line and reason; the other rows load.
//!
//! Sign-ins carry an IP and nothing else an indicator could name, so only IP and
//! CIDR indicators can match them; the others are kept (and counted) for later stages.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use rampart_model::{Indicator, IndicatorKind, Observable};

/// One row that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin} line {line}: {reason}")]
pub struct IndicatorError {
    pub origin: String,
    pub line: u64,
    pub reason: String,
}

/// A set of indicators with fast lookup for IPs (hash map) and networks (prefix tries).
#[derive(Default)]
pub struct IndicatorSet {
    all: Vec<Indicator>,
    exact: HashMap<IpAddr, u32>,
    v4: PrefixMap<Ipv4Net, u32>,
    v6: PrefixMap<Ipv6Net, u32>,
}

impl std::fmt::Debug for IndicatorSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndicatorSet")
            .field("indicators", &self.all.len())
            .field("ips", &self.exact.len())
            .finish()
    }
}

impl IndicatorSet {
    pub fn new() -> IndicatorSet {
        IndicatorSet::default()
    }

    /// Reads a CSV list. Returns the set and one error per row that could not be loaded.
    pub fn from_csv(bytes: &[u8], origin: &str) -> (IndicatorSet, Vec<IndicatorError>) {
        let mut set = IndicatorSet::new();
        let errors = set.add_csv(bytes, origin);
        (set, errors)
    }

    /// Adds the rows of a CSV list; returns one error per row that could not be loaded.
    pub fn add_csv(&mut self, bytes: &[u8], origin: &str) -> Vec<IndicatorError> {
        let mut errors = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(bytes);
        let mut first = true;
        for row in reader.records() {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    errors.push(IndicatorError {
                        origin: origin.to_owned(),
                        line,
                        reason: format!("not readable as CSV: {e}"),
                    });
                    continue;
                }
            };
            let line = row.position().map(|p| p.line()).unwrap_or(0);
            let err = |reason: String| IndicatorError {
                origin: origin.to_owned(),
                line,
                reason,
            };
            if row.iter().all(|f| f.is_empty()) {
                continue;
            }
            let kind_text = row.get(0).unwrap_or("").to_ascii_lowercase();
            if std::mem::take(&mut first)
                && kind_text == "type"
                && row.get(1).is_some_and(|v| v.eq_ignore_ascii_case("value"))
            {
                continue; // header
            }
            let Some(kind) = IndicatorKind::from_name(&kind_text) else {
                errors.push(err(format!(
                    "unknown indicator type {kind_text:?} (expected ipv4, ipv6, cidr, domain, url or email)"
                )));
                continue;
            };
            let Some(value) = row.get(1).filter(|v| !v.is_empty()) else {
                errors.push(err(format!("a {kind_text} indicator has no value")));
                continue;
            };
            match parse_observable(kind, value) {
                Ok(observable) => {
                    let description = row.get(2).filter(|d| !d.is_empty()).map(str::to_owned);
                    self.insert(Indicator {
                        observable,
                        description,
                        source: format!("{origin}:{line}"),
                    });
                }
                Err(reason) => errors.push(err(reason)),
            }
        }
        errors
    }

    /// Adds one indicator.
    pub fn insert(&mut self, indicator: Indicator) {
        let Ok(id) = u32::try_from(self.all.len()) else {
            tracing::warn!("indicator set is full; {} not added", indicator.observable);
            return;
        };
        match &indicator.observable {
            Observable::Ip(ip) => {
                self.exact.entry(*ip).or_insert(id);
            }
            Observable::Cidr(IpNet::V4(net)) => {
                self.v4.insert(*net, id);
            }
            Observable::Cidr(IpNet::V6(net)) => {
                self.v6.insert(*net, id);
            }
            _ => {}
        }
        self.all.push(indicator);
    }

    /// The indicator an IP matches: an exact IP first, else the most specific network.
    pub fn match_ip(&self, ip: IpAddr) -> Option<&Indicator> {
        if let Some(&id) = self.exact.get(&ip) {
            return self.all.get(id as usize);
        }
        let id = match ip {
            IpAddr::V4(v4) => self.v4.get_lpm(&Ipv4Net::from(v4)).map(|(_, id)| *id),
            IpAddr::V6(v6) => self.v6.get_lpm(&Ipv6Net::from(v6)).map(|(_, id)| *id),
        }?;
        self.all.get(id as usize)
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// How many indicators can match a sign-in (IPs and networks).
    pub fn ip_indicators(&self) -> usize {
        self.all
            .iter()
            .filter(|i| matches!(i.observable, Observable::Ip(_) | Observable::Cidr(_)))
            .count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Indicator> {
        self.all.iter()
    }
}

/// Undoes the usual defanging: `hxxp`, `[.]`, `(.)`, `{.}`, `[dot]`, `[:]`, `[@]`, `[at]`, `[/]`.
pub fn refang(value: &str) -> String {
    let mut s = value.trim().to_owned();
    for (from, to) in [
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("{dot}", "."),
        ("[:]", ":"),
        ("[://]", "://"),
        ("[/]", "/"),
        ("[@]", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
    ] {
        if s.contains(from) {
            s = s.replace(from, to);
        }
        let upper = from.to_ascii_uppercase();
        if upper != from && s.contains(&upper) {
            s = s.replace(&upper, to);
        }
    }
    let lower = s.to_ascii_lowercase();
    for (from, to) in [
        ("hxxps://", "https://"),
        ("hxxp://", "http://"),
        ("hxxps[://]", "https://"),
    ] {
        if lower.starts_with(from) {
            s = format!("{to}{}", &s[from.len()..]);
            break;
        }
    }
    s
}

/// Parses and normalizes one value of the given kind.
pub fn parse_observable(kind: IndicatorKind, value: &str) -> Result<Observable, String> {
    let v = refang(value);
    match kind {
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 => {
            // Some lists write single hosts as /32 or /128.
            if let Ok(net) = v.parse::<IpNet>()
                && net.prefix_len() == net.max_prefix_len()
            {
                return check_family(kind, net.addr(), value);
            }
            let ip = v
                .parse::<IpAddr>()
                .map_err(|_| format!("{value:?} is not an IP address"))?;
            check_family(kind, ip, value)
        }
        IndicatorKind::Cidr => {
            if let Ok(net) = v.parse::<IpNet>() {
                return Ok(Observable::Cidr(net.trunc()));
            }
            match v.parse::<IpAddr>() {
                Ok(ip) => Ok(Observable::Ip(ip)),
                Err(_) => Err(format!("{value:?} is not a network in CIDR notation")),
            }
        }
        IndicatorKind::Domain => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            let valid = d.contains('.')
                && d.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            if valid {
                Ok(Observable::Domain(d))
            } else {
                Err(format!("{value:?} is not a domain name"))
            }
        }
        IndicatorKind::Url => {
            let Some((scheme, rest)) = v.split_once("://") else {
                return Err(format!("{value:?} is not a URL (no scheme://)"));
            };
            if rest.is_empty() || scheme.is_empty() {
                return Err(format!("{value:?} is not a URL"));
            }
            let (host, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, "/"),
            };
            Ok(Observable::Url(format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )))
        }
        IndicatorKind::Email => {
            let e = v.to_ascii_lowercase();
            match e.split_once('@') {
                Some((local, domain)) if !local.is_empty() && domain.contains('.') => {
                    Ok(Observable::Email(e))
                }
                _ => Err(format!("{value:?} is not an email address")),
            }
        }
        _ => Err(format!(
            "indicator type {} is not supported here",
            kind.as_str()
        )),
    }
}

fn check_family(kind: IndicatorKind, ip: IpAddr, original: &str) -> Result<Observable, String> {
    match (kind, ip) {
        (IndicatorKind::Ipv4, IpAddr::V4(_)) | (IndicatorKind::Ipv6, IpAddr::V6(_)) => {
            Ok(Observable::Ip(ip))
        }
        _ => Err(format!(
            "{original:?} is not an {} address",
            if kind == IndicatorKind::Ipv4 {
                "IPv4"
            } else {
                "IPv6"
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refangs_the_usual_forms() {
        assert_eq!(refang("45.155.205[.]12"), "45.155.205.12");
        assert_eq!(
            refang("hxxps://login-secure[.]example[.]com/a"),
            "https://login-secure.example.com/a"
        );
        assert_eq!(refang("evil(.)example[DOT]net"), "evil.example.net");
        assert_eq!(refang("user[@]example[.]com"), "user@example.com");
        assert_eq!(refang("2001:db8[:]1::7"), "2001:db8:1::7");
        assert_eq!(refang("HXXP://a[.]b"), "http://a.b");
    }

    #[test]
    fn loads_csv_with_header_defanged_values_and_reports_bad_rows() {
        let csv = b"type,value,description\n\
            ipv4,45.155.205[.]12,AiTM kit login relay\n\
            cidr,185.220.101.0/24,kit hosting\n\
            ipv6,2a09:bac5:114:105::1a:9b,\n\
            domain,secure-docs[.]example,lure\n\
            url,hxxps://secure-docs[.]example/Login,\n\
            email,share[@]secure-docs[.]example,\n\
            ipv4,999.1.1.1,broken\n\
            sha256,abc,unsupported\n";
        let (set, errors) = IndicatorSet::from_csv(csv, "campaign.csv");
        assert_eq!(set.len(), 6);
        assert_eq!(set.ip_indicators(), 3);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 8);
        assert!(errors[0].reason.contains("999.1.1.1"), "{}", errors[0]);
        assert!(errors[1].reason.contains("sha256"), "{}", errors[1]);
        assert_eq!(
            errors[0].to_string(),
            "campaign.csv line 8: \"999.1.1.1\" is not an IP address"
        );

        let hit = set.match_ip("45.155.205.12".parse().unwrap()).unwrap();
        assert_eq!(hit.description.as_deref(), Some("AiTM kit login relay"));
        assert_eq!(hit.source, "campaign.csv:2");
        let in_range = set.match_ip("185.220.101.77".parse().unwrap()).unwrap();
        assert_eq!(
            in_range.observable,
            Observable::Cidr("185.220.101.0/24".parse().unwrap())
        );
        assert!(
            set.match_ip("2a09:bac5:114:105::1a:9b".parse().unwrap())
                .is_some()
        );
        assert!(set.match_ip("185.220.102.1".parse().unwrap()).is_none());
        assert!(set.match_ip("8.8.8.8".parse().unwrap()).is_none());
        let url = set
            .iter()
            .find(|i| i.observable.kind() == IndicatorKind::Url)
            .unwrap();
        assert_eq!(
            url.observable,
            Observable::Url("https://secure-docs.example/Login".into())
        );
    }

    #[test]
    fn csv_without_header_and_most_specific_network_wins() {
        let csv = b"cidr,10.0.0.0/8,wide\ncidr,10.1.0.0/16,narrow\n";
        let (set, errors) = IndicatorSet::from_csv(csv, "x.csv");
        assert!(errors.is_empty());
        let hit = set.match_ip("10.1.2.3".parse().unwrap()).unwrap();
        assert_eq!(hit.description.as_deref(), Some("narrow"));
        // a host written as /32 in an ipv4 column is an IP
        assert_eq!(
            parse_observable(IndicatorKind::Ipv4, "1.2.3.4/32"),
            Ok(Observable::Ip("1.2.3.4".parse().unwrap()))
        );
        assert!(parse_observable(IndicatorKind::Ipv4, "2001:db8::1").is_err());
    }
}
