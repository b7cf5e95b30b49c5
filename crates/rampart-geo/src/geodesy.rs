//! Distances on a spherical Earth.

/// Mean Earth radius R1 of GRS80/IUGG, in km (the `geo` crate's default for haversine).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in km between two points given in degrees.
///
/// Haversine on a sphere: within ~0.5 % of the ellipsoidal distance, far below the error of
/// IP geolocation. The intermediate value is clamped to [0, 1] so rounding never yields NaN
/// (antipodes, identical points), and longitudes are used only through their difference's
/// sine, so the antimeridian needs no special case. Non-finite input gives NaN.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = (lat2 - lat1).to_radians();
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    let a = a.clamp(0.0, 1.0);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "expected {expected} ± {tolerance}, got {actual}"
        );
    }

    #[test]
    fn jfk_to_phx_is_about_3450_km() {
        // JFK 40.6413 N 73.7781 W, PHX 33.4352 N 112.0101 W; great-circle ≈ 3,450 km.
        let d = haversine_km(40.6413, -73.7781, 33.4352, -112.0101);
        assert_close(d, 3450.0, 3450.0 * 0.005);
    }

    #[test]
    fn london_to_paris() {
        // Charing Cross to Notre-Dame: ~344 km.
        let d = haversine_km(51.5072, -0.1276, 48.8530, 2.3499);
        assert_close(d, 344.0, 3.0);
    }

    #[test]
    fn symmetric() {
        let a = haversine_km(47.37, 8.54, -33.87, 151.21);
        let b = haversine_km(-33.87, 151.21, 47.37, 8.54);
        assert_close(a, b, 1e-9);
    }

    #[test]
    fn across_the_antimeridian_is_short() {
        // Two points on the equator 2° apart, either side of 180°.
        let d = haversine_km(0.0, 179.0, 0.0, -179.0);
        let two_degrees = EARTH_RADIUS_KM * 2.0_f64.to_radians();
        assert_close(d, two_degrees, 1e-6);
        // Fiji (Suva) to Samoa (Apia): ~1,150 km, not ~38,000.
        let d = haversine_km(-18.1416, 178.4419, -13.8333, -171.7667);
        assert_close(d, 1150.0, 30.0);
    }

    #[test]
    fn identical_points_are_zero() {
        assert_eq!(haversine_km(12.34, 56.78, 12.34, 56.78), 0.0);
        // The same pole written with another longitude (cos 90° is not exactly 0 in f64).
        assert_close(haversine_km(90.0, 0.0, 90.0, 123.0), 0.0, 1e-9);
    }

    #[test]
    fn antipodes_are_half_the_circumference() {
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        let d = haversine_km(0.0, 0.0, 0.0, 180.0);
        assert!(!d.is_nan());
        assert_close(d, half, 1e-6);
        let d = haversine_km(-41.2865, 174.7762, 41.2865, -5.2238);
        assert_close(d, half, 1e-6);
        let d = haversine_km(90.0, 0.0, -90.0, 0.0);
        assert_close(d, half, 1e-6);
    }
}
