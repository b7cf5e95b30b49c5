//! Integration tests of rampart-geo's public API, in one binary.
//!
//! - `geoip`: City and ASN databases written with `testdb`, read back through `GeoIp`.
//! - `enrich`: country normalization, filling from the database, country-level radii.
//! - `country`: the generated country table.
//! - `network`: network classification.

mod country;
mod enrich;
mod geoip;
mod network;
mod support;
