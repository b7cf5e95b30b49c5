//! The wire shapes of every supported JSON format, borrowed from the input.
//!
//! [`Rec`] is the union of the top-level keys of all formats, so that one record is read
//! in a single pass and its format decided afterwards from which keys it had. Keys that
//! mean different things in different formats (`id`, `location`, `status`, `time`,
//! `actor`) use types that accept each shape.

use crate::lenient::{Flag, List, Num, RawList, StrOr, Text, wire_struct};

wire_struct! {
    /// Any JSON record (or wrapper page), keyed by what each format calls its fields.
    pub(crate) struct Rec<'a> {
        // Wrappers: Graph page, Azure Monitor / Event Hub, Google Reports page.
        "value" => value: RawList<'a>,
        "records" => records: RawList<'a>,
        "items" => items: RawList<'a>,

        // Entra signIn (Graph v1.0/beta at the top; SignInLogs under `properties`).
        "id" => id: StrOr<'a, GoogleId<'a>>,
        "createdDateTime" => created_date_time: Text<'a>,
        "userPrincipalName" => user_principal_name: Text<'a>,
        "signInIdentifier" => sign_in_identifier: Text<'a>,
        "userId" => user_id: Text<'a>,
        "appId" => app_id: Text<'a>,
        "appDisplayName" => app_display_name: Text<'a>,
        "ipAddress" => ip_address: Text<'a>,
        "clientAppUsed" => client_app_used: Text<'a>,
        "correlationId" => correlation_id: Text<'a>,
        "sessionId" => session_id: Text<'a>,
        "isInteractive" => is_interactive: Flag,
        "location" => location: StrOr<'a, EntraLocation<'a>>,
        "deviceDetail" => device_detail: DeviceDetail<'a>,
        "status" => status: StrOr<'a, EntraStatus<'a>>,
        "userAgent" => user_agent: Text<'a>,
        "resourceTenantId" => resource_tenant_id: Text<'a>,
        "tenantId" => tenant_id: Text<'a>,
        "autonomousSystemNumber" => autonomous_system_number: Num,
        "networkLocationDetails" => network_location_details: List<NetworkLocationDetail<'a>>,
        "authenticationDetails" => authentication_details: List<AuthenticationDetail<'a>>,
        "signInEventTypes" => sign_in_event_types: List<Text<'a>>,

        // Entra SignInLogs envelope (Azure Monitor diagnostic export).
        "time" => time: Text<'a>,
        "category" => category: Text<'a>,
        "operationName" => operation_name: Text<'a>,
        "resultType" => result_type: Text<'a>,
        "resultDescription" => result_description: Text<'a>,
        "callerIpAddress" => caller_ip_address: Text<'a>,
        "properties" => properties: Box<Rec<'a>>,

        // O365 Management Activity (Audit.AzureActiveDirectory).
        "CreationTime" => creation_time: Text<'a>,
        "Id" => o365_id: Text<'a>,
        "Operation" => operation: Text<'a>,
        "OrganizationId" => organization_id: Text<'a>,
        "RecordType" => record_type: Text<'a>,
        "Workload" => workload: Text<'a>,
        "UserId" => o365_user_id: Text<'a>,
        "ClientIP" => client_ip: Text<'a>,
        "ActorIpAddress" => actor_ip_address: Text<'a>,
        "ExtendedProperties" => extended_properties: List<NameValue<'a>>,
        "DeviceProperties" => device_properties: List<NameValue<'a>>,
        "ErrorNumber" => error_number: Text<'a>,
        "ErrorCode" => error_code: Text<'a>,
        "LogonError" => logon_error: Text<'a>,
        "ApplicationId" => application_id: Text<'a>,
        "InterSystemsId" => inter_systems_id: Text<'a>,

        // Okta System Log.
        "uuid" => uuid: Text<'a>,
        "published" => published: Text<'a>,
        "eventType" => event_type: Text<'a>,
        "displayMessage" => display_message: Text<'a>,
        "actor" => actor: Box<Actor<'a>>,
        "client" => client: Box<OktaClient<'a>>,
        "outcome" => outcome: Box<OktaOutcome<'a>>,
        "securityContext" => security_context: Box<SecurityContext<'a>>,
        "authenticationContext" => authentication_context: Box<AuthenticationContext<'a>>,
        "request" => request: Box<OktaRequest<'a>>,
        "debugContext" => debug_context: Box<DebugContext<'a>>,
        "transaction" => transaction: Box<Transaction<'a>>,
        "target" => target: List<OktaTarget<'a>>,
        "device" => device: Box<OktaDevice<'a>>,

        // Google Workspace Reports API (`id`, `actor` and `ipAddress` are shared above).
        "kind" => kind: Text<'a>,
        "events" => events: List<GoogleEvent<'a>>,
        "event" => event: Box<GoogleEvent<'a>>,

        // OCSF Authentication (class 3002); `time` and `status` are shared above.
        "class_uid" => class_uid: Text<'a>,
        "activity_id" => activity_id: Text<'a>,
        "time_dt" => time_dt: Text<'a>,
        "metadata" => metadata: Box<OcsfMetadata<'a>>,
        "user" => user: Box<OcsfUser<'a>>,
        "src_endpoint" => src_endpoint: Box<OcsfEndpoint<'a>>,
        "status_id" => status_id: Text<'a>,
        "status_code" => status_code: Text<'a>,
        "status_detail" => status_detail: Text<'a>,
        "session" => session: Box<OcsfSession<'a>>,
        "http_request" => http_request: Box<OcsfHttpRequest<'a>>,
        "service" => service: Box<OcsfService<'a>>,
        "unmapped" => unmapped: Box<OcsfUnmapped<'a>>,
    }
}

impl Rec<'_> {
    /// True when the object is a page of records rather than a record.
    pub fn is_wrapper(&self) -> bool {
        let has = |l: &Option<RawList<'_>>| matches!(l, Some(RawList(Some(_))));
        has(&self.value) || has(&self.records) || has(&self.items)
    }

    /// The records of a wrapper, in order.
    pub fn wrapped(&self) -> impl Iterator<Item = &serde_json::value::RawValue> {
        [&self.value, &self.records, &self.items]
            .into_iter()
            .filter_map(|l| l.as_ref().and_then(|l| l.0.as_ref()))
            .flatten()
            .copied()
    }
}

wire_struct! {
    pub(crate) struct EntraLocation<'a> {
        "city" => city: Text<'a>,
        "state" => state: Text<'a>,
        "countryOrRegion" => country_or_region: Text<'a>,
        "geoCoordinates" => geo_coordinates: GeoCoordinates<'a>,
    }
}

wire_struct! {
    pub(crate) struct GeoCoordinates<'a> {
        "latitude" => latitude: Num,
        "longitude" => longitude: Num,
    }
}

wire_struct! {
    pub(crate) struct DeviceDetail<'a> {
        "deviceId" => device_id: Text<'a>,
        "operatingSystem" => operating_system: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct EntraStatus<'a> {
        "errorCode" => error_code: Text<'a>,
        "failureReason" => failure_reason: Text<'a>,
        "additionalDetails" => additional_details: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct NetworkLocationDetail<'a> {
        "networkType" => network_type: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct AuthenticationDetail<'a> {
        "authenticationMethod" => authentication_method: Text<'a>,
        "succeeded" => succeeded: Flag,
        "authenticationStepResultDetail" => step_result_detail: Text<'a>,
    }
}

wire_struct! {
    /// O365 `ExtendedProperties` / `DeviceProperties` item.
    pub(crate) struct NameValue<'a> {
        "Name" => name: Text<'a>,
        "Value" => value: Text<'a>,
    }
}

wire_struct! {
    /// Okta and Google both call the user `actor`.
    pub(crate) struct Actor<'a> {
        // Okta
        "alternateId" => alternate_id: Text<'a>,
        "type" => actor_type: Text<'a>,
        // Google
        "email" => email: Text<'a>,
        "profileId" => profile_id: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OktaClient<'a> {
        "ipAddress" => ip_address: Text<'a>,
        "zone" => zone: Text<'a>,
        "geographicalContext" => geographical_context: OktaGeo<'a>,
        "userAgent" => user_agent: OktaUserAgent<'a>,
    }
}

wire_struct! {
    pub(crate) struct OktaGeo<'a> {
        "city" => city: Text<'a>,
        "state" => state: Text<'a>,
        "country" => country: Text<'a>,
        "geolocation" => geolocation: LatLon<'a>,
    }
}

wire_struct! {
    pub(crate) struct LatLon<'a> {
        "lat" => lat: Num,
        "lon" => lon: Num,
    }
}

wire_struct! {
    pub(crate) struct OktaUserAgent<'a> {
        "rawUserAgent" => raw_user_agent: Text<'a>,
        "os" => os: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OktaOutcome<'a> {
        "result" => result: Text<'a>,
        "reason" => reason: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct SecurityContext<'a> {
        "asNumber" => as_number: Num,
        "asOrg" => as_org: Text<'a>,
        "isp" => isp: Text<'a>,
        "isProxy" => is_proxy: Flag,
    }
}

wire_struct! {
    pub(crate) struct AuthenticationContext<'a> {
        "externalSessionId" => external_session_id: Text<'a>,
        "rootSessionId" => root_session_id: Text<'a>,
        "interface" => interface: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OktaRequest<'a> {
        "ipChain" => ip_chain: List<IpChainEntry<'a>>,
    }
}

wire_struct! {
    pub(crate) struct IpChainEntry<'a> {
        "ip" => ip: Text<'a>,
        "geographicalContext" => geographical_context: OktaGeo<'a>,
    }
}

wire_struct! {
    pub(crate) struct DebugContext<'a> {
        "debugData" => debug_data: DebugData<'a>,
    }
}

wire_struct! {
    pub(crate) struct DebugData<'a> {
        "factor" => factor: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct Transaction<'a> {
        "id" => id: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OktaTarget<'a> {
        "type" => target_type: Text<'a>,
        "displayName" => display_name: Text<'a>,
        "alternateId" => alternate_id: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OktaDevice<'a> {
        "id" => id: Text<'a>,
    }
}

wire_struct! {
    /// Google's `id` object.
    pub(crate) struct GoogleId<'a> {
        "time" => time: Text<'a>,
        "uniqueQualifier" => unique_qualifier: Text<'a>,
        "applicationName" => application_name: Text<'a>,
        "customerId" => customer_id: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct GoogleEvent<'a> {
        "type" => event_type: Text<'a>,
        "name" => name: Text<'a>,
        "parameters" => parameters: List<GoogleParameter<'a>>,
    }
}

wire_struct! {
    pub(crate) struct GoogleParameter<'a> {
        "name" => name: Text<'a>,
        "value" => value: Text<'a>,
        "multiValue" => multi_value: List<Text<'a>>,
    }
}

wire_struct! {
    pub(crate) struct OcsfMetadata<'a> {
        "uid" => uid: Text<'a>,
        "tenant_uid" => tenant_uid: Text<'a>,
        "correlation_uid" => correlation_uid: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfUser<'a> {
        "name" => name: Text<'a>,
        "email_addr" => email_addr: Text<'a>,
        "uid" => uid: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfEndpoint<'a> {
        "ip" => ip: Text<'a>,
        "uid" => uid: Text<'a>,
        "isp" => isp: Text<'a>,
        "location" => location: OcsfLocation<'a>,
        "autonomous_system" => autonomous_system: OcsfAutonomousSystem<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfLocation<'a> {
        "lat" => lat: Num,
        "long" => long: Num,
        "coordinates" => coordinates: List<Num>,
        "city" => city: Text<'a>,
        "region" => region: Text<'a>,
        "country" => country: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfAutonomousSystem<'a> {
        "number" => number: Num,
        "name" => name: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfSession<'a> {
        "uid" => uid: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfHttpRequest<'a> {
        "user_agent" => user_agent: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfService<'a> {
        "name" => name: Text<'a>,
    }
}

wire_struct! {
    pub(crate) struct OcsfUnmapped<'a> {
        "rampart" => rampart: RampartExtras<'a>,
    }
}

wire_struct! {
    /// What Rampart keeps in OCSF `unmapped.rampart`: the fields OCSF has no place for.
    pub(crate) struct RampartExtras<'a> {
        "outcome" => outcome: Text<'a>,
        "client_app" => client_app: Text<'a>,
        "os" => os: Text<'a>,
        "interactive" => interactive: Flag,
        "provider_trusted" => provider_trusted: Flag,
        "proxy" => proxy: Flag,
        "geo_source" => geo_source: Text<'a>,
        "accuracy_km" => accuracy_km: Num,
    }
}
