//! The travel model: how far apart two sign-ins must have been, at the least, and how
//! long the fastest plausible journey over that distance takes.

use rampart_model::{GeoSource, SignIn};

/// Tunable parameters of travel feasibility and learning. Every finding's reasons say
/// which values were in force where it matters.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Door-to-door ground speed (car, high-speed rail), km/h.
    pub ground_speed_kmh: f64,
    /// Airliner block speed, km/h.
    pub air_speed_kmh: f64,
    /// Time a flight costs on top of cruising (getting to, through and out of airports), hours.
    pub air_overhead_h: f64,
    /// Pairs whose least possible separation is below this are never travel, km.
    pub min_distance_km: f64,
    /// Clock disagreement allowed between two providers' timestamps, seconds.
    pub clock_skew_s: f64,
    /// Uncertainty of an identity provider's city-level coordinates, km.
    pub idp_city_radius_km: f64,
    /// Uncertainty of a position when only the country is known and its size is unknown, km.
    pub country_radius_km: f64,
    /// Uncertainty given to a mobile-carrier position (carriers egress through regional gateways), km.
    pub mobile_radius_km: f64,
    /// A user's baseline is established after this many password-proven sign-ins…
    pub learning_signins: u32,
    /// …or after this many days of history, whichever comes first.
    pub learning_days: u32,
    /// A place is familiar to a user once seen on this many distinct days.
    pub familiar_days: u16,
    /// A network is common in a tenant once this many distinct users signed in from it…
    pub common_network_users: usize,
    /// …on at least this many distinct days.
    pub common_network_days: usize,
    /// A sign-in this far (km, beyond its own uncertainty) from every place a user has
    /// used is a new place even within a familiar country.
    pub new_place_km: f64,
    /// IPv4 and IPv6 sign-ins on the same ASN this close in time are the same place (dual stack), minutes.
    pub dual_stack_minutes: f64,
    /// How far apart in time a far-side IP at one tenant and a sign-in at another may be, hours.
    pub cross_tenant_window_h: f64,
    /// Bad-password attempts from one IP this close together form one spray, minutes.
    pub spray_window_minutes: f64,
    /// A spray across two or more tenants needs this many distinct accounts in all…
    pub spray_min_users: usize,
    /// …and a spray at one tenant this many.
    pub spray_min_users_one_tenant: usize,
    /// Findings about the same user and the same far-side IP this close in time are one finding, minutes.
    pub merge_window_minutes: f64,
    /// How late (event time, behind its tenant's newest sign-in) a sign-in may come and
    /// still be judged as travel, hours. Also bounds how long the streaming detector keeps
    /// what a late sign-in could still change.
    pub allowed_lateness_h: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            ground_speed_kmh: 250.0,
            air_speed_kmh: 900.0,
            air_overhead_h: 1.0,
            min_distance_km: 100.0,
            clock_skew_s: 60.0,
            idp_city_radius_km: 25.0,
            country_radius_km: 500.0,
            mobile_radius_km: 500.0,
            learning_signins: 10,
            learning_days: 14,
            familiar_days: 2,
            common_network_users: 3,
            common_network_days: 3,
            new_place_km: 300.0,
            dual_stack_minutes: 15.0,
            cross_tenant_window_h: 7.0 * 24.0,
            merge_window_minutes: 60.0,
            spray_window_minutes: 60.0,
            spray_min_users: 4,
            spray_min_users_one_tenant: 6,
            allowed_lateness_h: 48.0,
        }
    }
}

impl Params {
    /// The fastest plausible time to cover `km`, in hours: by ground, or by air with
    /// the airport overhead, whichever is quicker.
    pub fn fastest_hours(&self, km: f64) -> f64 {
        let ground = km / self.ground_speed_kmh;
        let air = self.air_overhead_h + km / self.air_speed_kmh;
        ground.min(air)
    }

    /// The 95 % uncertainty radius of a sign-in's position, in km.
    pub fn radius_km(&self, s: &SignIn) -> f64 {
        let Some(loc) = &s.location else {
            return self.country_radius_km;
        };
        match (loc.source, loc.accuracy_km) {
            // MaxMind's accuracy radius is at 67 % confidence; 1.64× takes it to ~95 %.
            (_, Some(acc)) => (acc * 1.64).clamp(10.0, 1500.0),
            (GeoSource::Record, None) if loc.city.is_some() => self.idp_city_radius_km,
            (GeoSource::Record, None) => {
                rampart_geo_country_radius(loc.country.as_deref()).unwrap_or(self.country_radius_km)
            }
            (GeoSource::GeoIp, None) => self.idp_city_radius_km,
        }
    }
}

fn rampart_geo_country_radius(code: Option<&str>) -> Option<f64> {
    code.and_then(rampart_geo::country_radius_km)
}

/// The geometry of a pair of sign-ins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Leg {
    pub distance_km: f64,
    pub min_distance_km: f64,
    pub minutes: f64,
    pub fastest_minutes: f64,
    /// fastest / elapsed: above 1 nobody could have made the trip.
    pub infeasibility: f64,
    pub required_speed_kmh: f64,
}

impl Leg {
    /// Computes a leg from positions, radii (km) and elapsed seconds.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        params: &Params,
        lat1: f64,
        lon1: f64,
        r1: f64,
        lat2: f64,
        lon2: f64,
        r2: f64,
        elapsed_s: f64,
    ) -> Leg {
        let distance_km = rampart_geo::haversine_km(lat1, lon1, lat2, lon2);
        let min_distance_km = (distance_km - r1 - r2).max(0.0);
        let minutes = elapsed_s.abs() / 60.0;
        // Allow for clock skew between providers, but never divide by (nearly) zero.
        let effective_h = ((elapsed_s.abs() - params.clock_skew_s).max(30.0)) / 3600.0;
        let fastest_h = params.fastest_hours(min_distance_km);
        Leg {
            distance_km,
            min_distance_km,
            minutes,
            fastest_minutes: fastest_h * 60.0,
            infeasibility: fastest_h / effective_h,
            required_speed_kmh: min_distance_km / effective_h,
        }
    }

    /// True when no traveller could have made the trip and it is long enough to matter.
    pub fn impossible(&self, params: &Params) -> bool {
        self.infeasibility > 1.0 && self.min_distance_km >= params.min_distance_km
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NYC: (f64, f64) = (40.7128, -74.0060);
    const PHX: (f64, f64) = (33.4484, -112.0740);
    const LON: (f64, f64) = (51.5074, -0.1278);
    const NEWARK: (f64, f64) = (40.7357, -74.1724);

    fn leg(a: (f64, f64), b: (f64, f64), r: f64, minutes: f64) -> Leg {
        Leg::compute(&Params::default(), a.0, a.1, r, b.0, b.1, r, minutes * 60.0)
    }

    #[test]
    fn new_york_to_phoenix_in_20_minutes_is_impossible() {
        let l = leg(NYC, PHX, 25.0, 20.0);
        assert!((l.distance_km - 3443.0).abs() < 30.0, "{l:?}");
        assert!(l.impossible(&Params::default()));
        assert!(l.infeasibility > 10.0, "{l:?}");
        assert!(l.required_speed_kmh > 9000.0, "{l:?}");
    }

    #[test]
    fn a_real_transatlantic_flight_is_feasible() {
        // JFK→LHR: last sign-in at the gate, next 8 h later on arrival.
        let l = leg(NYC, LON, 25.0, 8.0 * 60.0);
        assert!(!l.impossible(&Params::default()), "{l:?}");
        // …but not in three hours.
        assert!(leg(NYC, LON, 25.0, 180.0).impossible(&Params::default()));
    }

    #[test]
    fn uncertainty_is_subtracted_before_judging() {
        // 15 km apart in a minute: within the radii, never travel.
        let l = leg(NYC, NEWARK, 25.0, 1.0);
        assert_eq!(l.min_distance_km, 0.0);
        assert!(!l.impossible(&Params::default()));
        // Large radii swallow a 3,400 km jump only when they are continental.
        let wide = leg(NYC, PHX, 1500.0, 20.0);
        assert!(wide.min_distance_km < 500.0, "{wide:?}");
    }

    #[test]
    fn simultaneous_sign_ins_do_not_divide_by_zero() {
        let l = leg(NYC, PHX, 25.0, 0.0);
        assert!(l.infeasibility.is_finite() && l.impossible(&Params::default()));
    }

    #[test]
    fn ground_and_air_take_the_quicker() {
        let p = Params::default();
        assert!((p.fastest_hours(100.0) - 0.4).abs() < 1e-9);
        assert!((p.fastest_hours(1800.0) - 3.0).abs() < 1e-9);
    }
}
