//! The city table and great-circle distance.
//!
//! A small curated list of real cities: name, region, ISO 3166-1 country code, the
//! country's English name (Okta writes the name, Entra the code), approximate centre
//! coordinates, IANA time zone and a representative postal code. These are public facts
//! typed in by hand, not copied from a geolocation dataset.

use jiff::tz::{TimeZone, TimeZoneDatabase};

/// A real city.
#[derive(Debug, PartialEq)]
pub struct City {
    pub name: &'static str,
    pub region: &'static str,
    pub country: &'static str,
    pub country_name: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub tz: &'static str,
    pub postal: &'static str,
}

macro_rules! cities {
    ($($id:ident = $name:literal, $region:literal, $cc:literal, $cn:literal, $lat:literal, $lon:literal, $tz:literal, $postal:literal;)*) => {
        $(
            pub static $id: City = City {
                name: $name, region: $region, country: $cc, country_name: $cn,
                lat: $lat, lon: $lon, tz: $tz, postal: $postal,
            };
        )*
        /// Every city in the table.
        pub static ALL: &[&City] = &[$(&$id),*];
    };
}

cities! {
    // United States — Northeast
    NEW_YORK = "New York", "New York", "US", "United States", 40.7128, -74.0060, "America/New_York", "10001";
    BROOKLYN = "Brooklyn", "New York", "US", "United States", 40.6782, -73.9442, "America/New_York", "11201";
    QUEENS = "Queens", "New York", "US", "United States", 40.7282, -73.7949, "America/New_York", "11375";
    JERSEY_CITY = "Jersey City", "New Jersey", "US", "United States", 40.7178, -74.0431, "America/New_York", "07302";
    HOBOKEN = "Hoboken", "New Jersey", "US", "United States", 40.7440, -74.0324, "America/New_York", "07030";
    YONKERS = "Yonkers", "New York", "US", "United States", 40.9312, -73.8988, "America/New_York", "10701";
    NEWARK = "Newark", "New Jersey", "US", "United States", 40.7357, -74.1724, "America/New_York", "07102";
    STAMFORD = "Stamford", "Connecticut", "US", "United States", 41.0534, -73.5387, "America/New_York", "06901";
    NEW_HAVEN = "New Haven", "Connecticut", "US", "United States", 41.3083, -72.9279, "America/New_York", "06510";
    HARTFORD = "Hartford", "Connecticut", "US", "United States", 41.7658, -72.6734, "America/New_York", "06103";
    TRENTON = "Trenton", "New Jersey", "US", "United States", 40.2171, -74.7429, "America/New_York", "08608";
    PHILADELPHIA = "Philadelphia", "Pennsylvania", "US", "United States", 39.9526, -75.1652, "America/New_York", "19103";
    ALBANY = "Albany", "New York", "US", "United States", 42.6526, -73.7562, "America/New_York", "12207";
    BOSTON = "Boston", "Massachusetts", "US", "United States", 42.3601, -71.0589, "America/New_York", "02108";
    CAMBRIDGE = "Cambridge", "Massachusetts", "US", "United States", 42.3736, -71.1097, "America/New_York", "02139";
    QUINCY = "Quincy", "Massachusetts", "US", "United States", 42.2529, -71.0023, "America/New_York", "02169";
    NEWTON = "Newton", "Massachusetts", "US", "United States", 42.3370, -71.2092, "America/New_York", "02458";
    WORCESTER = "Worcester", "Massachusetts", "US", "United States", 42.2626, -71.8023, "America/New_York", "01608";
    PROVIDENCE = "Providence", "Rhode Island", "US", "United States", 41.8240, -71.4128, "America/New_York", "02903";
    MANCHESTER_NH = "Manchester", "New Hampshire", "US", "United States", 42.9956, -71.4548, "America/New_York", "03101";
    BALTIMORE = "Baltimore", "Maryland", "US", "United States", 39.2904, -76.6122, "America/New_York", "21202";
    WASHINGTON = "Washington", "District of Columbia", "US", "United States", 38.9072, -77.0369, "America/New_York", "20001";
    ASHBURN = "Ashburn", "Virginia", "US", "United States", 39.0438, -77.4874, "America/New_York", "20147";
    // South and Midwest
    ATLANTA = "Atlanta", "Georgia", "US", "United States", 33.7490, -84.3880, "America/New_York", "30303";
    MIAMI = "Miami", "Florida", "US", "United States", 25.7617, -80.1918, "America/New_York", "33130";
    CHARLOTTE = "Charlotte", "North Carolina", "US", "United States", 35.2271, -80.8431, "America/New_York", "28202";
    COLUMBUS = "Columbus", "Ohio", "US", "United States", 39.9612, -82.9988, "America/New_York", "43215";
    CHICAGO = "Chicago", "Illinois", "US", "United States", 41.8781, -87.6298, "America/Chicago", "60602";
    EVANSTON = "Evanston", "Illinois", "US", "United States", 42.0451, -87.6877, "America/Chicago", "60201";
    OAK_PARK = "Oak Park", "Illinois", "US", "United States", 41.8850, -87.7845, "America/Chicago", "60302";
    NAPERVILLE = "Naperville", "Illinois", "US", "United States", 41.7508, -88.1535, "America/Chicago", "60540";
    MILWAUKEE = "Milwaukee", "Wisconsin", "US", "United States", 43.0389, -87.9065, "America/Chicago", "53202";
    ROCKFORD = "Rockford", "Illinois", "US", "United States", 42.2711, -89.0940, "America/Chicago", "61101";
    ST_LOUIS = "St. Louis", "Missouri", "US", "United States", 38.6270, -90.1994, "America/Chicago", "63101";
    KANSAS_CITY = "Kansas City", "Missouri", "US", "United States", 39.0997, -94.5786, "America/Chicago", "64106";
    MINNEAPOLIS = "Minneapolis", "Minnesota", "US", "United States", 44.9778, -93.2650, "America/Chicago", "55401";
    DALLAS = "Dallas", "Texas", "US", "United States", 32.7767, -96.7970, "America/Chicago", "75201";
    PLANO = "Plano", "Texas", "US", "United States", 33.0198, -96.6989, "America/Chicago", "75074";
    FORT_WORTH = "Fort Worth", "Texas", "US", "United States", 32.7555, -97.3308, "America/Chicago", "76102";
    DENTON = "Denton", "Texas", "US", "United States", 33.2148, -97.1331, "America/Chicago", "76201";
    WACO = "Waco", "Texas", "US", "United States", 31.5493, -97.1467, "America/Chicago", "76701";
    HOUSTON = "Houston", "Texas", "US", "United States", 29.7604, -95.3698, "America/Chicago", "77002";
    AUSTIN = "Austin", "Texas", "US", "United States", 30.2672, -97.7431, "America/Chicago", "78701";
    SAN_ANTONIO = "San Antonio", "Texas", "US", "United States", 29.4241, -98.4936, "America/Chicago", "78205";
    // Mountain and West
    DENVER = "Denver", "Colorado", "US", "United States", 39.7392, -104.9903, "America/Denver", "80202";
    AURORA = "Aurora", "Colorado", "US", "United States", 39.7294, -104.8319, "America/Denver", "80012";
    LAKEWOOD = "Lakewood", "Colorado", "US", "United States", 39.7047, -105.0814, "America/Denver", "80226";
    BOULDER = "Boulder", "Colorado", "US", "United States", 40.0150, -105.2705, "America/Denver", "80302";
    COLORADO_SPRINGS = "Colorado Springs", "Colorado", "US", "United States", 38.8339, -104.8214, "America/Denver", "80903";
    FORT_COLLINS = "Fort Collins", "Colorado", "US", "United States", 40.5853, -105.0844, "America/Denver", "80521";
    SALT_LAKE_CITY = "Salt Lake City", "Utah", "US", "United States", 40.7608, -111.8910, "America/Denver", "84101";
    PHOENIX = "Phoenix", "Arizona", "US", "United States", 33.4484, -112.0740, "America/Phoenix", "85004";
    SCOTTSDALE = "Scottsdale", "Arizona", "US", "United States", 33.4942, -111.9261, "America/Phoenix", "85251";
    TUCSON = "Tucson", "Arizona", "US", "United States", 32.2226, -110.9747, "America/Phoenix", "85701";
    LAS_VEGAS = "Las Vegas", "Nevada", "US", "United States", 36.1699, -115.1398, "America/Los_Angeles", "89101";
    LOS_ANGELES = "Los Angeles", "California", "US", "United States", 34.0522, -118.2437, "America/Los_Angeles", "90012";
    SAN_FRANCISCO = "San Francisco", "California", "US", "United States", 37.7749, -122.4194, "America/Los_Angeles", "94103";
    OAKLAND = "Oakland", "California", "US", "United States", 37.8044, -122.2712, "America/Los_Angeles", "94612";
    SAN_JOSE = "San Jose", "California", "US", "United States", 37.3382, -121.8863, "America/Los_Angeles", "95113";
    SACRAMENTO = "Sacramento", "California", "US", "United States", 38.5816, -121.4944, "America/Los_Angeles", "95814";
    SANTA_CLARA = "Santa Clara", "California", "US", "United States", 37.3541, -121.9552, "America/Los_Angeles", "95050";
    SEATTLE = "Seattle", "Washington", "US", "United States", 47.6062, -122.3321, "America/Los_Angeles", "98101";
    PORTLAND = "Portland", "Oregon", "US", "United States", 45.5152, -122.6784, "America/Los_Angeles", "97204";
    // Abroad
    LONDON = "London", "England", "GB", "United Kingdom", 51.5074, -0.1278, "Europe/London", "EC1A";
    SLOUGH = "Slough", "England", "GB", "United Kingdom", 51.5105, -0.5950, "Europe/London", "SL1";
    AMSTERDAM = "Amsterdam", "North Holland", "NL", "Netherlands", 52.3676, 4.9041, "Europe/Amsterdam", "1012";
    FRANKFURT = "Frankfurt am Main", "Hesse", "DE", "Germany", 50.1109, 8.6821, "Europe/Berlin", "60311";
    PARIS = "Paris", "Ile-de-France", "FR", "France", 48.8566, 2.3522, "Europe/Paris", "75001";
    BUCHAREST = "Bucharest", "Bucuresti", "RO", "Romania", 44.4268, 26.1025, "Europe/Bucharest", "010011";
    TORONTO = "Toronto", "Ontario", "CA", "Canada", 43.6532, -79.3832, "America/Toronto", "M5H";
    MEXICO_CITY = "Mexico City", "Mexico City", "MX", "Mexico", 19.4326, -99.1332, "America/Mexico_City", "06000";
    SAO_PAULO = "Sao Paulo", "Sao Paulo", "BR", "Brazil", -23.5505, -46.6333, "America/Sao_Paulo", "01000";
    LAGOS = "Lagos", "Lagos", "NG", "Nigeria", 6.5244, 3.3792, "Africa/Lagos", "100001";
    SINGAPORE = "Singapore", "Singapore", "SG", "Singapore", 1.3521, 103.8198, "Asia/Singapore", "018989";
}

/// Mean Earth radius (IUGG R1), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in km (haversine).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

impl City {
    pub fn distance_km(&self, other: &City) -> f64 {
        distance_km(self.lat, self.lon, other.lat, other.lon)
    }

    /// The city's time zone, from the tz database bundled into the binary (so that the
    /// same seed gives the same local times on every machine).
    pub fn time_zone(&self) -> TimeZone {
        TimeZoneDatabase::bundled()
            .get(self.tz)
            .unwrap_or(TimeZone::UTC)
    }
}

/// Scheduled block time of a commercial flight over `km`, in minutes: cruise at about
/// 800 km/h plus 40 minutes of taxi, climb and descent.
pub fn flight_minutes(km: f64) -> i64 {
    (km / 800.0 * 60.0 + 40.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let d = NEW_YORK.distance_km(&PHOENIX);
        assert!((3400.0..3480.0).contains(&d), "{d}");
        let d = NEW_YORK.distance_km(&LONDON);
        assert!((5540.0..5600.0).contains(&d), "{d}");
        let d = NEW_YORK.distance_km(&NEW_HAVEN);
        assert!((50.0..150.0).contains(&d), "{d}");
    }

    #[test]
    fn every_zone_is_in_the_bundled_database() {
        for c in ALL {
            assert!(
                TimeZoneDatabase::bundled().get(c.tz).is_ok(),
                "{} has unknown zone {}",
                c.name,
                c.tz
            );
        }
    }
}
