//! What kind of network an address belongs to, from its autonomous system number and the
//! ISP/organisation name.
//!
//! The lists are deliberately short and conservative: an ASN is listed only when the
//! operator is well known and the AS is (predominantly) of that class; a name pattern only
//! when it is unambiguous. A miss is [`NetworkClass::Unknown`], which detection treats as an
//! ordinary network. The ASNs were written from the operators' public registrations (RIR
//! whois / PeeringDB names, as of 2025); review them when a finding looks wrong.

use serde::{Deserialize, Serialize};

/// The class of a network, each with its own travel policy in detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NetworkClass {
    /// A mobile operator's packet core: the egress may be hundreds of km from the phone, so
    /// positions are compared at country level.
    MobileCarrier,
    /// Cloud, VPS and dedicated-server hosting (also where most commercial VPNs egress).
    Hosting,
    /// Satellite and in-flight connectivity: the position is the ground station's.
    Satellite,
    /// Nothing known: an ordinary access network.
    Unknown,
}

impl NetworkClass {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkClass::MobileCarrier => "mobile_carrier",
            NetworkClass::Hosting => "hosting",
            NetworkClass::Satellite => "satellite",
            NetworkClass::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for NetworkClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Satellite and in-flight providers. Basis: the operators' own ASes (registry names).
const SATELLITE_ASNS: &[u32] = &[
    14593, // Space Exploration Technologies (Starlink)
    22351, // Intelsat (also carries Gogo/SES in-flight traffic)
    7155,  // Viasat
    6621,  // Hughes Network Systems (HughesNet)
];

/// Mobile operators whose AS carries (mostly) their mobile subscribers. Operators that
/// share one AS between fixed and mobile customers (Deutsche Telekom AS3320, Orange
/// AS3215, Telefónica Spain AS3352, Vodafone Germany AS3209…) are left out on purpose.
/// Basis: registry names of the operators' mobile ASes.
const MOBILE_ASNS: &[u32] = &[
    // United States
    21928, // T-Mobile USA
    22394, // Cellco Partnership (Verizon Wireless)
    6167,  // Cellco Partnership (Verizon Wireless)
    20057, // AT&T Mobility
    10507, // Sprint Personal Communications Systems
    // Europe
    25135,  // Vodafone UK
    12576,  // EE (UK)
    206067, // Three (H3G) UK
    35228,  // Telefónica UK (O2)
    51207,  // Free Mobile (FR)
    16232,  // Telecom Italia Mobile (TIM)
    30722,  // Vodafone Italia
    24608,  // Wind Tre / H3G Italia
    16135,  // Turkcell
    15897,  // Vodafone Turkey
    // Asia, Africa, Latin America
    9605,  // NTT DOCOMO (JP)
    45609, // Bharti Airtel mobile (IN)
    55836, // Reliance Jio (IN)
    9808,  // China Mobile (Guangdong)
    23693, // Telkomsel (ID)
    24203, // XL Axiata (ID)
    36935, // Vodafone Egypt
    29975, // Vodacom (ZA)
    16637, // MTN South Africa
    26615, // TIM Brasil
];

/// Cloud, VPS and dedicated-server hosters. Basis: the providers' published ASNs (the ones
/// their IP-range feeds and PeeringDB records name).
const HOSTING_ASNS: &[u32] = &[
    16509,  // Amazon (AWS)
    14618,  // Amazon (AWS, us-east-1)
    8075,   // Microsoft (Azure)
    396982, // Google Cloud
    15169,  // Google (older GCP ranges; people do not sign in from Google's own network)
    19527,  // Google (cloud)
    14061,  // DigitalOcean
    16276,  // OVH
    24940,  // Hetzner Online
    213230, // Hetzner Cloud
    63949,  // Linode (Akamai Connected Cloud)
    20940,  // Akamai
    20473,  // Vultr / Choopa (The Constant Company)
    9009,   // M247
    60781,  // Leaseweb Netherlands
    28753,  // Leaseweb Germany
    30633,  // Leaseweb USA
    31898,  // Oracle Cloud
    45102,  // Alibaba Cloud
    132203, // Tencent Cloud
    36351,  // IBM Cloud (SoftLayer)
    51167,  // Contabo
    12876,  // Scaleway (Online SAS)
    8560,   // IONOS
    60068,  // Datacamp / CDN77 (common VPN egress)
    40676,  // Psychz Networks
    8100,   // QuadraNet
    47583,  // Hostinger
    199524, // G-Core Labs
    54290,  // Hostwinds
    36352,  // ColoCrossing
    53667,  // FranTech (BuyVM)
    21859,  // Zenlayer
    62240,  // Clouvider
    54825,  // Equinix Metal (Packet)
    27357,  // Rackspace
];

/// Name phrases (whole words, case-insensitive). Basis: the operators' AS / ISP names.
const SATELLITE_NAMES: &[&str] = &[
    "starlink",
    "space exploration technologies",
    "spacex",
    "intelsat",
    "viasat",
    "inmarsat",
    "gogo",
    "panasonic avionics",
    "hughes network",
    "hughesnet",
    "oneweb",
    "sita onair",
    "anuvu",
    "global eagle",
    "satellite",
];

const MOBILE_NAMES: &[&str] = &[
    "t mobile",
    "verizon wireless",
    "cellco",
    "at t mobility",
    "mobility",
    "cellular",
    "free mobile",
    "china mobile",
    "mobile communications",
    "gprs",
];

const HOSTING_NAMES: &[&str] = &[
    "amazon com",
    "amazon data services",
    "amazon technologies",
    "aws",
    "microsoft azure",
    "google cloud",
    "digitalocean",
    "ovh",
    "hetzner",
    "linode",
    "vultr",
    "choopa",
    "the constant company",
    "m247",
    "leaseweb",
    "contabo",
    "scaleway",
    "alibaba cloud",
    "aliyun",
    "tencent cloud",
    "oracle cloud",
    "hosting",
    "datacenter",
    "data center",
    "colocation",
    "vps",
    "dedicated servers",
];

/// The class of a network from its ASN and its ISP or AS organisation name.
///
/// A listed ASN decides; otherwise the name is matched as whole words against satellite,
/// then mobile, then hosting phrases. Anything else is [`NetworkClass::Unknown`].
pub fn classify(asn: Option<u32>, isp_or_org: Option<&str>) -> NetworkClass {
    if let Some(asn) = asn {
        if SATELLITE_ASNS.contains(&asn) {
            return NetworkClass::Satellite;
        }
        if MOBILE_ASNS.contains(&asn) {
            return NetworkClass::MobileCarrier;
        }
        if HOSTING_ASNS.contains(&asn) {
            return NetworkClass::Hosting;
        }
    }
    let Some(name) = isp_or_org else {
        return NetworkClass::Unknown;
    };
    let words = words(name);
    let any = |phrases: &[&str]| phrases.iter().any(|p| contains_phrase(&words, p));
    if any(SATELLITE_NAMES) {
        NetworkClass::Satellite
    } else if any(MOBILE_NAMES) {
        NetworkClass::MobileCarrier
    } else if any(HOSTING_NAMES) {
        NetworkClass::Hosting
    } else {
        NetworkClass::Unknown
    }
}

/// Lower-case ASCII-alphanumeric words: "AT&T Mobility LLC" → ["at", "t", "mobility", "llc"].
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let phrase: Vec<&str> = phrase.split(' ').collect();
    !phrase.is_empty()
        && words
            .windows(phrase.len())
            .any(|w| w.iter().zip(&phrase).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_do_not_overlap() {
        for asn in SATELLITE_ASNS {
            assert!(
                !MOBILE_ASNS.contains(asn) && !HOSTING_ASNS.contains(asn),
                "{asn}"
            );
        }
        for asn in MOBILE_ASNS {
            assert!(!HOSTING_ASNS.contains(asn), "{asn}");
        }
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let w = words("Rovsing Solutions");
        assert!(!contains_phrase(&w, "vps"));
        let w = words("Gogo LLC");
        assert!(contains_phrase(&w, "gogo"));
        let w = words("AT&T Mobility LLC");
        assert!(contains_phrase(&w, "at t mobility"));
        let w = words("Hogoguard");
        assert!(!contains_phrase(&w, "gogo"));
    }
}
