//! Which tenant a record belongs to, when it arrives on a tenant's ingest route.

use std::collections::{BTreeMap, HashMap};

use rampart_model::{SignIn, TenantId};

/// The tenants the server knows, and the identity providers' tenant ids each claims.
#[derive(Clone, Debug, Default)]
pub struct Tenants {
    names: BTreeMap<TenantId, Option<String>>,
    /// Lower-cased provider id → tenant.
    provider_ids: HashMap<String, TenantId>,
}

/// Why a record cannot be put in the tenant it was sent to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssignError {
    pub reason: String,
}

impl Tenants {
    pub fn new() -> Tenants {
        Tenants::default()
    }

    /// Adds a tenant with its name and the provider tenant ids it claims.
    pub fn add(&mut self, slug: TenantId, name: Option<String>, provider_ids: &[String]) {
        for id in provider_ids {
            self.provider_ids
                .insert(id.to_ascii_lowercase(), slug.clone());
        }
        self.names.insert(slug, name);
    }

    pub fn contains(&self, slug: &TenantId) -> bool {
        self.names.contains_key(slug)
    }

    /// Every tenant with its name.
    pub fn iter(&self) -> impl Iterator<Item = (&TenantId, Option<&str>)> {
        self.names.iter().map(|(k, v)| (k, v.as_deref()))
    }

    /// Puts a sign-in that arrived on `route`'s ingest route in `route`. The same rule as
    /// `rampart hunt` with `TENANT=PATH`, except that a record whose provider tenant id is
    /// claimed by *another* tenant is refused: a tenant's route never writes into another
    /// tenant.
    pub fn assign(&self, s: &mut SignIn, route: &TenantId) -> Result<(), AssignError> {
        if let Some(id) = &s.provider_tenant
            && let Some(owner) = self.provider_ids.get(&id.to_ascii_lowercase())
            && owner != route
        {
            return Err(AssignError {
                reason: format!(
                    "record {} carries provider tenant id {id}, which the configuration gives to another tenant; \
                     it is not ingested into {route}",
                    s.record_id
                ),
            });
        }
        s.tenant = Some(route.clone());
        Ok(())
    }
}
