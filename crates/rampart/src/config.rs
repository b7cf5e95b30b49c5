//! `rampart.toml`: the MSP's tenants and what each says about itself.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use ipnet::IpNet;
use rampart_detect::{DetectConfig, Params, TenantPolicy};
use rampart_model::TenantId;
use serde::Deserialize;

/// The whole file. Unknown keys are an error that names the key and its line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub tenants: BTreeMap<TenantId, TenantConfig>,
    #[serde(default)]
    pub detection: DetectionConfig,
    #[serde(default)]
    pub retro_hunt: RetroHuntConfig,
    #[serde(default)]
    pub indicators: IndicatorsConfig,
}

/// How `rampart serve` follows the store's indicators.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsConfig {
    /// How often (seconds) the server looks for indicators and retro-hunt jobs another
    /// process wrote to the store (`rampart indicators import`, another server on the same
    /// PostgreSQL). Default 2; one indexed `MAX` a poll when nothing changed.
    pub poll_seconds: Option<f64>,
}

impl IndicatorsConfig {
    pub fn poll(&self) -> std::time::Duration {
        match self.poll_seconds {
            Some(s) => std::time::Duration::from_secs_f64(s),
            None => rampart_engine::DEFAULT_INDICATOR_POLL,
        }
    }
}

/// Retro-hunts when indicators are added through the API.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroHuntConfig {
    /// How many days of stored sign-ins a retro-hunt searches (default 30).
    pub window_days: Option<u32>,
}

impl RetroHuntConfig {
    /// The window a retro-hunt searches back from now.
    pub fn window(&self) -> jiff::SignedDuration {
        match self.window_days {
            Some(d) => jiff::SignedDuration::from_hours(i64::from(d) * 24),
            None => rampart_engine::DEFAULT_RETRO_WINDOW,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The partner's name, for people.
    pub name: Option<String>,
    /// Networks whose sign-ins carry no usable location (corporate VPN egress, proxies).
    #[serde(default)]
    pub trusted_networks: Vec<IpNet>,
    /// The identity provider's own ids for this tenant (Entra tenant GUID, O365
    /// OrganizationId, Google customer id): records carrying one are assigned here.
    #[serde(default)]
    pub provider_ids: Vec<String>,
}

/// Tuning of the travel model; every value has a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    pub ground_speed_kmh: Option<f64>,
    pub air_speed_kmh: Option<f64>,
    pub air_overhead_hours: Option<f64>,
    pub min_distance_km: Option<f64>,
    pub mobile_radius_km: Option<f64>,
    pub learning_signins: Option<u32>,
    pub learning_days: Option<u32>,
    pub cross_tenant_window_hours: Option<f64>,
    /// How late a sign-in may arrive (event time behind its tenant's newest) and still be
    /// judged as travel by `rampart serve` (default 48).
    pub allowed_lateness_hours: Option<f64>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        Config::parse(&text).with_context(|| format!("in the config file {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let d = &config.detection;
        for (key, value) in [
            ("ground_speed_kmh", d.ground_speed_kmh),
            ("air_speed_kmh", d.air_speed_kmh),
            ("mobile_radius_km", d.mobile_radius_km),
            ("cross_tenant_window_hours", d.cross_tenant_window_hours),
            ("allowed_lateness_hours", d.allowed_lateness_hours),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                anyhow::bail!("[detection] {key} must be a positive number, not {v}");
            }
        }
        if let Some(s) = config.indicators.poll_seconds
            && !(s.is_finite() && (0.05..=3600.0).contains(&s))
        {
            anyhow::bail!("[indicators] poll_seconds must be from 0.05 to 3600, not {s}");
        }
        if config.retro_hunt.window_days == Some(0) {
            anyhow::bail!("[retro_hunt] window_days must be at least 1");
        }
        Ok(config)
    }

    /// The tenant a provider's own tenant id belongs to.
    pub fn tenant_for_provider_id(&self, id: &str) -> Option<&TenantId> {
        self.tenants.iter().find_map(|(slug, t)| {
            t.provider_ids
                .iter()
                .any(|p| p.eq_ignore_ascii_case(id))
                .then_some(slug)
        })
    }

    pub fn detect_config(&self) -> DetectConfig {
        let mut params = Params::default();
        let d = &self.detection;
        if let Some(v) = d.ground_speed_kmh {
            params.ground_speed_kmh = v;
        }
        if let Some(v) = d.air_speed_kmh {
            params.air_speed_kmh = v;
        }
        if let Some(v) = d.air_overhead_hours {
            params.air_overhead_h = v;
        }
        if let Some(v) = d.min_distance_km {
            params.min_distance_km = v;
        }
        if let Some(v) = d.mobile_radius_km {
            params.mobile_radius_km = v;
        }
        if let Some(v) = d.learning_signins {
            params.learning_signins = v;
        }
        if let Some(v) = d.learning_days {
            params.learning_days = v;
        }
        if let Some(v) = d.cross_tenant_window_hours {
            params.cross_tenant_window_h = v;
        }
        if let Some(v) = d.allowed_lateness_hours {
            params.allowed_lateness_h = v;
        }
        DetectConfig {
            tenants: self
                .tenants
                .iter()
                .map(|(slug, t)| {
                    (
                        slug.clone(),
                        TenantPolicy {
                            trusted_networks: t.trusted_networks.clone(),
                        },
                    )
                })
                .collect(),
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example() {
        let c = Config::parse(
            r#"
[tenants.brightline-law]
name = "Brightline Law"
trusted_networks = ["198.51.100.0/24"]
"#,
        )
        .unwrap();
        let t = TenantId::new("brightline-law").unwrap();
        assert_eq!(c.tenants[&t].name.as_deref(), Some("Brightline Law"));
        let d = c.detect_config();
        assert!(d.trusted(&t, "198.51.100.7".parse().unwrap()));
        assert!(!d.trusted(&t, "198.51.101.7".parse().unwrap()));
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let err =
            Config::parse("[tenants.acme]\nname = \"A\"\ntrusted_netwerks = []\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("trusted_netwerks"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn bad_values_are_explained() {
        let err =
            Config::parse("[tenants.acme]\ntrusted_networks = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let err = Config::parse("[tenants.Acme]\n").unwrap_err();
        assert!(format!("{err:#}").contains("lower-case"), "{err:#}");
        let err = Config::parse("[detection]\nair_speed_kmh = -3\n").unwrap_err();
        assert!(format!("{err:#}").contains("air_speed_kmh"), "{err:#}");
        let err = Config::parse("[retro_hunt]\nwindow_days = 0\n").unwrap_err();
        assert!(format!("{err:#}").contains("window_days"), "{err:#}");
    }

    #[test]
    fn the_retro_hunt_window_defaults_to_30_days() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.retro_hunt.window(), jiff::SignedDuration::from_hours(720));
        let c = Config::parse("[retro_hunt]\nwindow_days = 7\n").unwrap();
        assert_eq!(c.retro_hunt.window(), jiff::SignedDuration::from_hours(168));
    }

    #[test]
    fn the_indicator_poll_defaults_to_2_seconds_and_must_be_sane() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.indicators.poll(), std::time::Duration::from_secs(2));
        let c = Config::parse("[indicators]\npoll_seconds = 0.5\n").unwrap();
        assert_eq!(c.indicators.poll(), std::time::Duration::from_millis(500));
        for bad in ["0", "-1", "nan", "86400"] {
            let err = Config::parse(&format!("[indicators]\npoll_seconds = {bad}\n")).unwrap_err();
            assert!(
                format!("{err:#}").contains("poll_seconds"),
                "{bad}: {err:#}"
            );
        }
    }

    #[test]
    fn provider_ids_map_to_tenants() {
        let c = Config::parse(
            "[tenants.acme]\nprovider_ids = [\"AAAA-1\"]\n[tenants.delta]\nprovider_ids = [\"C03xyz\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.tenant_for_provider_id("aaaa-1").map(|t| t.as_str()),
            Some("acme")
        );
        assert_eq!(
            c.tenant_for_provider_id("C03xyz").map(|t| t.as_str()),
            Some("delta")
        );
        assert!(c.tenant_for_provider_id("other").is_none());
    }
}
