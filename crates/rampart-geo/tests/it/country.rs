use rampart_geo::{country_centroid, country_code, country_name, country_radius_km, neighbours};

#[test]
fn codes_names_and_aliases() {
    assert_eq!(country_code("US"), Some("US"));
    assert_eq!(country_code("us"), Some("US"));
    assert_eq!(country_code("USA"), Some("US"));
    assert_eq!(country_code("United States"), Some("US"));
    assert_eq!(country_code("united states of america"), Some("US"));
    assert_eq!(country_code("Switzerland"), Some("CH"));
    assert_eq!(country_code("che"), Some("CH"));
    assert_eq!(country_code("UK"), Some("GB"));
    assert_eq!(country_code("United Kingdom"), Some("GB"));
    assert_eq!(country_code("Russian Federation"), Some("RU"));
    assert_eq!(country_code("Côte d'Ivoire"), Some("CI"));
    assert_eq!(country_code("Cote d’Ivoire"), Some("CI"));
    assert_eq!(country_code("Czech Republic"), Some("CZ"));
    assert_eq!(country_code("Kosovo"), Some("XK"));
    assert_eq!(country_code(" France "), Some("FR"));
}

#[test]
fn non_countries_are_none() {
    assert_eq!(country_code(""), None);
    assert_eq!(country_code("ZZ"), None);
    assert_eq!(country_code("Atlantis"), None);
    assert_eq!(country_code("Europe"), None);
    assert_eq!(country_name("XX"), None);
    assert_eq!(country_radius_km("XX"), None);
    assert!(neighbours("XX").is_empty());
}

#[test]
fn names() {
    assert_eq!(country_name("US"), Some("United States"));
    assert_eq!(country_name("CH"), Some("Switzerland"));
    assert_eq!(country_name("DEU"), Some("Germany"));
}

#[test]
fn equivalent_radius_follows_the_area() {
    // Switzerland 41,285 km² → √(A/π) ≈ 114.6 km.
    let ch = country_radius_km("CH").expect("CH");
    assert!((110.0..120.0).contains(&ch), "{ch}");
    // Germany 357,600 km² → ≈ 337 km.
    let de = country_radius_km("DE").expect("DE");
    assert!((325.0..350.0).contains(&de), "{de}");
    // Russia ~17.1 M km² → ≈ 2,330 km.
    let ru = country_radius_km("RU").expect("RU");
    assert!((2250.0..2400.0).contains(&ru), "{ru}");
    // Monaco is tiny.
    let mc = country_radius_km("MC").expect("MC");
    assert!(mc < 5.0, "{mc}");
}

#[test]
fn centroids_sit_in_the_country() {
    let (lat, lon) = country_centroid("CH").expect("CH");
    assert!(
        (45.8..47.8).contains(&lat) && (5.9..10.5).contains(&lon),
        "{lat} {lon}"
    );
    // France's is in metropolitan France, not pulled towards French Guiana.
    let (lat, lon) = country_centroid("FR").expect("FR");
    assert!(
        (45.0..48.0).contains(&lat) && (1.0..4.0).contains(&lon),
        "{lat} {lon}"
    );
    // The US one is in the contiguous states (Kansas), not pulled towards Alaska.
    let (lat, lon) = country_centroid("US").expect("US");
    assert!(
        (36.0..41.0).contains(&lat) && (-102.0..-94.0).contains(&lon),
        "{lat} {lon}"
    );
    // Fiji straddles the antimeridian.
    let (lat, lon) = country_centroid("FJ").expect("FJ");
    assert!(
        (-19.0..-16.0).contains(&lat) && lon.abs() > 176.0,
        "{lat} {lon}"
    );
}

#[test]
fn land_neighbours() {
    assert_eq!(neighbours("CH"), ["AT", "DE", "FR", "IT", "LI"]);
    assert_eq!(neighbours("US"), ["CA", "MX"]);
    assert_eq!(neighbours("es"), ["AD", "FR", "PT"]);
    assert!(
        neighbours("FR").contains(&"BR"),
        "French Guiana borders Brazil"
    );
    assert!(neighbours("NO").contains(&"SE"));
    assert!(neighbours("JP").is_empty());
    assert!(neighbours("AU").is_empty());
    assert!(neighbours("Germany").contains(&"PL"));
}
