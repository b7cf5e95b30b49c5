//! Completing and normalizing a sign-in's location.

use rampart_model::{GeoSource, Location, SignIn};

use crate::country::{self, Country};
use crate::geodesy::haversine_km;
use crate::geoip::{GeoIp, valid_coordinates};

/// MaxMind puts IPs it knows only to the country at a "centroid" with a radius of several
/// hundred km (1000 for the US); the research note's threshold for "country-level only".
const COUNTRY_LEVEL_RADIUS_KM: f64 = 500.0;

/// How close to our centroid a city-less record position must be to count as "the country's
/// centre". Providers' centroids are not ours (MaxMind's US one, 37.751 −97.822, is ~200 km
/// from the mainland's area centroid), so the tolerance grows with the country's size.
fn centroid_tolerance_km(country_radius_km: f64) -> f64 {
    (0.25 * country_radius_km).max(50.0)
}

/// Completes a sign-in's location, in place:
///
/// 1. `location.country` becomes ISO 3166-1 alpha-2 upper case when it is a name ("United
///    States"), an alpha-3 or a lower-case code; text that is no country is kept as it is.
/// 2. A sign-in without a position (no location, coordinates 0,0 or out of range) that has
///    an IP is looked up in `geoip`; the database also fills `asn` and `network.isp` when the
///    record has none. Coordinates from the record always win over the database's. A record
///    left without a position but with a known country is placed at the country's centroid
///    (source `Record`, country-sized radius); one with nothing usable loses its location.
/// 3. Country-level-only positions get `accuracy_km` = the country's equivalent radius
///    √(area/π): an accuracy radius ≥ 500 km (MaxMind's country-only results), a database
///    position with neither city nor radius, or record coordinates without a city that sit
///    on the country's centroid.
pub fn enrich(signin: &mut SignIn, geoip: Option<&GeoIp>) {
    if let Some(location) = signin.location.as_mut() {
        normalize_country(location);
    }

    let needs_position = signin.location.as_ref().is_none_or(|l| !has_position(l));
    let needs_network = signin.asn.is_none() || signin.network.isp.is_none();
    if let (Some(ip), Some(db)) = (signin.ip, geoip)
        && (needs_position || needs_network)
        && let Some(hit) = db.lookup(ip)
    {
        if needs_position && let Some(location) = hit.location {
            signin.location = Some(location);
        }
        if signin.asn.is_none() {
            signin.asn = hit.asn;
        }
        if signin.network.isp.is_none() {
            signin.network.isp = hit.as_org;
        }
    }

    if let Some(location) = &signin.location
        && !has_position(location)
    {
        let placed = at_country_centroid(location);
        if placed.is_none() {
            tracing::debug!(record = %signin.record_id, "location without usable coordinates or country dropped");
        }
        signin.location = placed;
    }

    if let Some(location) = signin.location.as_mut() {
        mark_country_level(location);
    }
}

fn has_position(location: &Location) -> bool {
    valid_coordinates(location.lat, location.lon) && !(location.lat == 0.0 && location.lon == 0.0)
}

fn normalize_country(location: &mut Location) {
    let Some(text) = location.country.as_deref() else {
        return;
    };
    if text.trim().is_empty() {
        location.country = None;
    } else if let Some(code) = country::country_code(text)
        && code != text
    {
        location.country = Some(code.to_owned());
    }
}

fn at_country_centroid(location: &Location) -> Option<Location> {
    let c = country::find(location.country.as_deref()?)?;
    let (lat, lon) = c.centroid?;
    Some(Location {
        lat,
        lon,
        accuracy_km: c.radius_km(),
        ..location.clone()
    })
}

fn mark_country_level(location: &mut Location) {
    let known = location.country.as_deref().and_then(country::find);
    let coarse_radius = location
        .accuracy_km
        .is_some_and(|r| r >= COUNTRY_LEVEL_RADIUS_KM);
    let coarse_db = location.source == GeoSource::GeoIp
        && location.city.is_none()
        && location.accuracy_km.is_none();
    if coarse_radius || coarse_db {
        if let Some(radius) = known.and_then(Country::radius_km) {
            location.accuracy_km = Some(radius);
        }
        return;
    }
    if location.source == GeoSource::Record
        && location.city.is_none()
        && let Some(radius) = on_centroid_of(location, known)
    {
        location.accuracy_km = Some(location.accuracy_km.unwrap_or(0.0).max(radius));
    }
}

/// The radius of the country whose centroid the position sits on: the record's own country
/// when it names one, otherwise any country.
fn on_centroid_of(location: &Location, known: Option<&'static Country>) -> Option<f64> {
    let on = |c: &Country| {
        let (lat, lon) = c.centroid?;
        let radius = c.radius_km()?;
        (haversine_km(location.lat, location.lon, lat, lon) <= centroid_tolerance_km(radius))
            .then_some(radius)
    };
    match known {
        Some(c) => on(c),
        None => country::table().countries.iter().find_map(on),
    }
}
