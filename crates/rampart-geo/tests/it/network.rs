use rampart_geo::network::{NetworkClass, classify};

#[test]
fn listed_asns() {
    assert_eq!(classify(Some(21928), None), NetworkClass::MobileCarrier); // T-Mobile USA
    assert_eq!(classify(Some(22394), None), NetworkClass::MobileCarrier); // Verizon Wireless
    assert_eq!(classify(Some(16509), None), NetworkClass::Hosting); // AWS
    assert_eq!(classify(Some(8075), None), NetworkClass::Hosting); // Azure
    assert_eq!(classify(Some(396982), None), NetworkClass::Hosting); // GCP
    assert_eq!(classify(Some(14061), None), NetworkClass::Hosting); // DigitalOcean
    assert_eq!(classify(Some(24940), None), NetworkClass::Hosting); // Hetzner
    assert_eq!(classify(Some(20473), None), NetworkClass::Hosting); // Vultr
    assert_eq!(classify(Some(9009), None), NetworkClass::Hosting); // M247
    assert_eq!(classify(Some(14593), None), NetworkClass::Satellite); // Starlink
    assert_eq!(classify(Some(22351), None), NetworkClass::Satellite); // Intelsat
}

#[test]
fn asn_decides_over_the_name() {
    assert_eq!(
        classify(Some(14593), Some("Example Hosting Ltd")),
        NetworkClass::Satellite
    );
}

#[test]
fn name_patterns() {
    assert_eq!(
        classify(None, Some("AT&T Mobility LLC")),
        NetworkClass::MobileCarrier
    );
    assert_eq!(
        classify(Some(64_500), Some("T-Mobile Austria GmbH")),
        NetworkClass::MobileCarrier
    );
    assert_eq!(classify(None, Some("Gogo LLC")), NetworkClass::Satellite);
    assert_eq!(
        classify(None, Some("SPACEX-STARLINK")),
        NetworkClass::Satellite
    );
    assert_eq!(classify(None, Some("OVH SAS")), NetworkClass::Hosting);
    assert_eq!(
        classify(None, Some("Hetzner Online GmbH")),
        NetworkClass::Hosting
    );
    assert_eq!(
        classify(None, Some("Example Hosting Solutions")),
        NetworkClass::Hosting
    );
}

#[test]
fn ordinary_networks_are_unknown() {
    assert_eq!(classify(None, None), NetworkClass::Unknown);
    assert_eq!(
        classify(Some(3303), Some("Swisscom (Schweiz) AG")),
        NetworkClass::Unknown
    );
    assert_eq!(
        classify(Some(7922), Some("Comcast Cable Communications, LLC")),
        NetworkClass::Unknown
    );
    assert_eq!(
        classify(None, Some("Deutsche Telekom AG")),
        NetworkClass::Unknown
    );
    // Word matching, not substrings: "vps" inside a word, "ovh" inside a word.
    assert_eq!(
        classify(None, Some("Covhold Networks")),
        NetworkClass::Unknown
    );
}

#[test]
fn names_for_evidence() {
    assert_eq!(NetworkClass::MobileCarrier.to_string(), "mobile_carrier");
    assert_eq!(NetworkClass::Hosting.as_str(), "hosting");
}
