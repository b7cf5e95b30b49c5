//! Shipped field mappings ("processing pipelines") for the identity log sources, so that the
//! SigmaHQ rules for `azure` sign-ins, `m365`, `okta` and Google Workspace `login` run
//! unchanged on the raw records Rampart reads. Each function returns a [`FieldMap`] scoped
//! to the Sigma log source it serves; [`identity_field_maps`] returns them all, ready for
//! [`CompileOptions::field_maps`](crate::CompileOptions).
//!
//! Semantics to keep in mind (see [`FieldMap`]): a Sigma field's paths are tried in order and
//! the **first path present** in the event is its value (a coalesce, not an OR). Where one
//! name lives at several paths in the shapes a map serves, the paths are listed so that in
//! every shape exactly one of them can be present. Event lookup is ASCII case-insensitive per
//! path step, so a rule's `userAgent` already finds Graph's `userAgent`; the maps are needed
//! where the *path* differs (nesting, another name), not only the case.
//!
//! Values a query layer derives are *translated* ([`Translation`]): Entra's `Status:
//! 'Success'`/`'Failure'` from the error code, the `m365` rules' `status: success` from
//! `ResultStatus`. Values no raw record carries are left unmapped (rules using them do not
//! match the raw records; listed per map below and in the crate README).
//! Name/value lists (O365 `ExtendedProperties`, Google `parameters`) are addressed with the
//! event lookup's selector step `list.[Name=X].Value`.

use crate::mapping::{FieldMap, Translation};

/// The sign-in outcome Log Analytics shows in its `Status` column and the SigmaHQ rules test
/// (`Status: 'Success'`): derived from the raw error code, `0` = `Success`, any other code
/// `Failure` (Microsoft's sign-in status: "errorCode 0 indicates a successful sign-in").
/// `codes` are the paths of the raw code in the record's shape.
fn entra_status(codes: &[&str]) -> Translation {
    Translation::from_paths(codes.iter().copied())
        .when("0", "Success")
        .otherwise("Failure")
}

/// Adds one Sigma field (under each spelling in `names`) mapped to `paths`.
fn alias(map: FieldMap, names: &[&str], paths: &[&str]) -> FieldMap {
    names
        .iter()
        .fold(map, |m, n| m.map(*n, paths.iter().copied()))
}

/// Entra ID sign-ins, Log Analytics (`SigninLogs`) column names → paths, for a shape whose
/// sign-in object is at `prefix` (`""` for Graph, `"properties."` for the Azure Monitor
/// export). Columns that are the same in both (except case) need no entry.
///
/// Basis: the `SigninLogs` table reference (Log Analytics columns) and the Graph `signIn`
/// resource (v1.0 and beta), as summarised in `research/log-formats.md` §1a/1b; the SigmaHQ
/// `azure/signinlogs` rules' field names (counted in `research/sigma.md` §3).
fn entra_pairs() -> Vec<(&'static [&'static str], &'static str)> {
    vec![
        // status{errorCode:int, failureReason, additionalDetails}.
        (&["ResultType"], "status.errorCode"),
        (
            &["ResultDescription", "Resultdescription"],
            "status.failureReason",
        ),
        // The Log Analytics `Status` column is the whole status object; the rules that use
        // it with `contains` look for additionalDetails text ("MFA denied; …"). The rules'
        // `Status: 'Success'` is the outcome derived from the error code: a translation
        // (`entra_status`) added by each map.
        (&["Status"], "status.additionalDetails"),
        (&["AuthenticationRequirement"], "authenticationRequirement"), // beta / export only
        (
            &["AuthenticationRequirementPolicies"],
            "authenticationRequirementPolicies",
        ),
        (&["AuthenticationDetails"], "authenticationDetails"),
        (&["AuthenticationProtocol"], "authenticationProtocol"),
        (&["AuthenticationMethodsUsed"], "authenticationMethodsUsed"),
        (&["MfaDetail"], "mfaDetail"),
        (&["MfaDetail.authMethod"], "mfaDetail.authMethod"),
        (&["MfaDetail.authDetail"], "mfaDetail.authDetail"),
        (&["userAgent", "UserAgent"], "userAgent"),
        (&["AppDisplayName"], "appDisplayName"),
        (&["AppId"], "appId"),
        (&["ClientAppUsed", "ClientApp"], "clientAppUsed"),
        (
            &["ConditionalAccessStatus", "conditionalAccessStatus"],
            "conditionalAccessStatus",
        ),
        (
            &["ConditionalAccessPolicies"],
            "appliedConditionalAccessPolicies",
        ),
        (&["CorrelationId"], "correlationId"),
        (&["CreatedDateTime"], "createdDateTime"),
        (&["Id"], "id"),
        (&["IPAddress"], "ipAddress"),
        (&["IsInteractive"], "isInteractive"),
        (&["AutonomousSystemNumber"], "autonomousSystemNumber"),
        (&["NetworkLocationDetails"], "networkLocationDetails"),
        (&["DeviceDetail"], "deviceDetail"),
        (
            &["DeviceDetail.trusttype", "DeviceDetail.trustType"],
            "deviceDetail.trustType",
        ),
        (
            &["DeviceDetail.isCompliant", "DeviceDetail.iscompliant"],
            "deviceDetail.isCompliant",
        ),
        (
            &["DeviceDetail.isManaged", "DeviceDetail.ismanaged"],
            "deviceDetail.isManaged",
        ),
        (
            &["DeviceDetail.deviceId", "DeviceDetail.deviceid"],
            "deviceDetail.deviceId",
        ),
        (
            &["DeviceDetail.displayName", "DeviceDetail.displayname"],
            "deviceDetail.displayName",
        ),
        (
            &[
                "DeviceDetail.operatingSystem",
                "DeviceDetail.operatingsystem",
            ],
            "deviceDetail.operatingSystem",
        ),
        (&["DeviceDetail.browser"], "deviceDetail.browser"),
        (&["LocationDetails"], "location"),
        (&["LocationDetails.city"], "location.city"),
        (&["LocationDetails.state"], "location.state"),
        (
            &["LocationDetails.countryOrRegion"],
            "location.countryOrRegion",
        ),
        (
            &["LocationDetails.geoCoordinates.latitude"],
            "location.geoCoordinates.latitude",
        ),
        (
            &["LocationDetails.geoCoordinates.longitude"],
            "location.geoCoordinates.longitude",
        ),
        (&["ResourceDisplayName"], "resourceDisplayName"),
        (&["ResourceId"], "resourceId"),
        (&["ResourceTenantId"], "resourceTenantId"),
        (&["HomeTenantId"], "homeTenantId"),
        (&["CrossTenantAccessType"], "crossTenantAccessType"),
        (&["RiskDetail"], "riskDetail"),
        (&["RiskEventTypes"], "riskEventTypes"),
        (&["RiskEventTypes_V2"], "riskEventTypes_v2"),
        (&["RiskLevelAggregated"], "riskLevelAggregated"),
        (&["RiskLevelDuringSignIn"], "riskLevelDuringSignIn"),
        (&["RiskState"], "riskState"),
        (&["ServicePrincipalId"], "servicePrincipalId"),
        (&["ServicePrincipalName"], "servicePrincipalName"),
        (&["SessionId"], "sessionId"),
        (&["TokenIssuerType"], "tokenIssuerType"),
        (&["IncomingTokenType"], "incomingTokenType"),
        (&["UniqueTokenIdentifier"], "uniqueTokenIdentifier"),
        (&["UserDisplayName"], "userDisplayName"),
        (&["UserId"], "userId"),
        (
            &["UserPrincipalName", "Username", "UserName"],
            "userPrincipalName",
        ),
        (&["UserType"], "userType"),
    ]
}

/// Top-level fields of the Azure Monitor export that a sign-in path does not cover, tried
/// after the `properties` paths (the export's `resultType` is the same code as a string;
/// its top-level `location` is the country code, not the geo object).
fn envelope_fallback(sigma: &str) -> Option<&'static str> {
    match sigma {
        "ResultType" => Some("resultType"),
        "ResultDescription" | "Resultdescription" => Some("resultDescription"),
        "IPAddress" => Some("callerIpAddress"),
        "CorrelationId" => Some("correlationId"),
        _ => None,
    }
}

fn entra_scope() -> FieldMap {
    FieldMap::new().product("azure").service("signinlogs")
}

/// Entra ID sign-ins as Microsoft Graph `signIn` objects (`/v1.0` and `/beta`
/// `auditLogs/signIns`, one object of `value[]` per event), for rules with
/// `product: azure, service: signinlogs`.
///
/// Beta-only properties (`authenticationRequirement`, `authenticationDetails`, `sessionId`,
/// `networkLocationDetails`, `autonomousSystemNumber`, …) are absent from v1.0 records, so
/// rules on them do not match v1.0 data.
///
/// Not mapped (no raw equivalent): `ActivityDetails`, `properties.message` (the rules' `Device
/// Code` / `ROPC` are portal texts; raw records say `authenticationProtocol: deviceCode` /
/// `ropc`), and the value `Status: 'Success'` (see the module docs).
pub fn entra_signin_graph() -> FieldMap {
    entra_pairs()
        .into_iter()
        .fold(entra_scope(), |m, (names, path)| alias(m, names, &[path]))
        .map("Location", ["location.countryOrRegion"])
        .translate("Status", entra_status(&["status.errorCode"]))
}

/// Entra ID sign-ins as the Azure Monitor diagnostic export (`SignInLogs`,
/// `NonInteractiveUserSignInLogs`, … categories; Event Hub `records[]` items or storage
/// JSON lines): the sign-in is the Graph beta shape under `properties`, with the envelope
/// (`resultType` as a string, `resultDescription`, `callerIpAddress`, `location` = country
/// code) at top level. For rules with `product: azure, service: signinlogs`.
///
/// Not mapped: as for [`entra_signin_graph`].
pub fn entra_signin_azure_monitor() -> FieldMap {
    entra_pairs()
        .into_iter()
        .fold(entra_scope(), |m, (names, path)| {
            names.iter().fold(m, |m, n| {
                let p = format!("properties.{path}");
                match envelope_fallback(n) {
                    Some(top) => m.map(*n, [p, top.to_string()]),
                    None => m.map(*n, [p]),
                }
            })
        })
        .map(
            "Location",
            ["properties.location.countryOrRegion", "location"],
        )
        .translate(
            "Status",
            entra_status(&["properties.status.errorCode", "resultType"]),
        )
}

/// Entra ID sign-ins in either shape (Graph `signIn` or the Azure Monitor export): for each
/// Sigma name the export's `properties.…` path first, then the Graph path, then the export's
/// top-level fallback. A Graph record has no `properties` key and an export record has no
/// top-level sign-in fields (apart from the envelope fallbacks, which come last), so the
/// first path present is the right one in both. This is the map [`identity_field_maps`] uses.
pub fn entra_signins() -> FieldMap {
    entra_pairs()
        .into_iter()
        .fold(entra_scope(), |m, (names, path)| {
            names.iter().fold(m, |m, n| {
                let mut paths = vec![format!("properties.{path}"), path.to_string()];
                if let Some(top) = envelope_fallback(n) {
                    paths.push(top.to_string());
                }
                m.map(*n, paths)
            })
        })
        .map(
            "Location",
            [
                "properties.location.countryOrRegion",
                "location.countryOrRegion",
                "location",
            ],
        )
        .translate(
            "Status",
            entra_status(&[
                "properties.status.errorCode",
                "status.errorCode",
                "resultType",
            ]),
        )
}

/// O365 Management Activity API records (`Audit.AzureActiveDirectory`, `Audit.Exchange`,
/// `Audit.General`; also the `AuditData` JSON of a Purview / `Search-UnifiedAuditLog` export)
/// for rules with `product: m365, service: audit`.
///
/// The SigmaHQ `m365/audit` rules use the records' own top-level names (`Operation`,
/// `Workload`, `ResultStatus`, `ApplicationId`, `ObjectId`, and the ThreatIntelligence
/// `Directionality`, `DeliveryAction`): they are listed as identity entries. `RequestType`
/// lives in the `ExtendedProperties` name/value list (`{Name: RequestType, Value: …}`),
/// addressed with a selector step (`ExtendedProperties.[Name=RequestType].Value`); so are
/// the other extended and device properties seen in real STS logon records (`UserAgent`,
/// `ResultStatusDetail`, `UserAuthenticationMethod`, `KeepMeSignedIn`, `OS`, `BrowserType`,
/// `IsCompliantAndManaged`, `SessionId`).
///
/// Basis: the Office 365 Management Activity API schema (common, Azure AD and STS logon
/// schemas) and real records in `samples/o365` (`research/log-formats.md` §2).
pub fn o365_audit() -> FieldMap {
    let native = [
        "Operation",
        "Workload",
        "ResultStatus",
        "ApplicationId",
        "ObjectId",
        "UserId",
        "ClientIP",
        "RecordType",
        "Directionality",
        "DeliveryAction",
    ];
    let native = native
        .iter()
        .fold(FieldMap::new().product("m365").service("audit"), |m, n| {
            m.map(*n, [*n])
        })
        .map("ErrorNumber", ["ErrorNumber", "ErrorCode"])
        .map("ErrorCode", ["ErrorCode", "ErrorNumber"]);
    let extended = [
        ("ExtendedProperties", "RequestType"),
        ("ExtendedProperties", "UserAgent"),
        ("ExtendedProperties", "ResultStatusDetail"),
        ("ExtendedProperties", "UserAuthenticationMethod"),
        ("ExtendedProperties", "KeepMeSignedIn"),
        ("DeviceProperties", "OS"),
        ("DeviceProperties", "BrowserType"),
        ("DeviceProperties", "IsCompliantAndManaged"),
        ("DeviceProperties", "SessionId"),
    ];
    let native = extended.iter().fold(native, |m, (list, name)| {
        m.map(
            *name,
            [name.to_string(), format!("{list}.[Name={name}].Value")],
        )
    });
    // Azure AD audit entries carry their changes in `ModifiedProperties` ({Name, NewValue,
    // OldValue}); the consent context of `Consent to application.` is read under the names
    // the Entra audit log (and SigmaHQ's Azure rules) give it.
    [
        "ConsentContext.IsAdminConsent",
        "ConsentContext.OnBehalfOfAll",
        "ConsentContext.IsAppOnly",
        "ConsentAction.Permissions",
    ]
    .iter()
    .fold(native, |m, name| {
        m.map(
            *name,
            [format!("ModifiedProperties.[Name={name}].NewValue")],
        )
    })
}

/// O365 Management Activity `SecurityComplianceAlerts` records (`Audit.General`, workload
/// `SecurityComplianceCenter`, `Name` = the alert's name) for rules with `product: m365,
/// service: threat_management` and `threat_detection`: `eventSource` → `Workload`,
/// `eventName` → `Name`, `Payload` → `Data` (the alert's JSON-in-a-string).
///
/// `status` (the rules require `status: success`) is the activity's outcome translated from
/// `ResultStatus` ([`o365_outcome`]); the alert's own `Status` (`Active`, `Resolved`, …) is
/// the alert's triage state, not the outcome, and is not read for it.
pub fn o365_alerts(service: &str) -> FieldMap {
    FieldMap::new()
        .product("m365")
        .service(service)
        .map("eventSource", ["Workload"])
        .map("eventName", ["Name"])
        .map("Payload", ["Data"])
        .translate("status", o365_outcome())
}

/// The outcome the SigmaHQ `m365` rules test as `status: success` / `failure` (the name
/// and values log pipelines such as Splunk's and Elastic's O365 inputs give the record's
/// `ResultStatus`), translated from `ResultStatus`: `Succeeded`, `Success`, `True` →
/// `success`; `Failed`, `Failure`, `False` → `failure`; other values (e.g.
/// `PartiallySucceeded`) give no `status`.
pub fn o365_outcome() -> Translation {
    let mut t = Translation::from_paths(["ResultStatus"]);
    for ok in ["Succeeded", "Success", "True"] {
        t = t.when(ok, "success");
    }
    for bad in ["Failed", "Failure", "False"] {
        t = t.when(bad, "failure");
    }
    t
}

/// O365 Management Activity `Audit.Exchange` admin (cmdlet) records for rules with
/// `product: m365, service: exchange`: `eventSource` → `Workload` (`Exchange`), `eventName`
/// → `Operation` (the cmdlet, e.g. `Add-FederatedDomain`), `status` translated from
/// `ResultStatus` ([`o365_outcome`]).
pub fn o365_exchange() -> FieldMap {
    FieldMap::new()
        .product("m365")
        .service("exchange")
        .map("eventSource", ["Workload"])
        .map("eventName", ["Operation"])
        .translate("status", o365_outcome())
}

/// Okta System Log `LogEvent`s (`/api/v1/logs`, one array item per event) for rules with
/// `product: okta, service: okta`. The SigmaHQ Okta rules are written on the System Log's
/// own JSON paths, so every entry is the identity; they are listed so that the map states
/// what is covered. `securityContext.isProxy` is a JSON boolean compared with the rules'
/// string `'true'` (the engine compares a string with a boolean's text).
///
/// Basis: the Okta management OpenAPI `LogEvent` schema and `samples/okta`
/// (`research/log-formats.md` §3).
pub fn okta_system_log() -> FieldMap {
    [
        "eventType",
        "legacyEventType",
        "displayMessage",
        "severity",
        "outcome.result",
        "outcome.reason",
        "actor.id",
        "actor.type",
        "actor.alternateId",
        "actor.displayName",
        "client.ipAddress",
        "client.userAgent.rawUserAgent",
        "target.id",
        "target.type",
        "target.alternateId",
        "target.displayName",
        "securityContext.isProxy",
        "securityContext.asOrg",
        "securityContext.isp",
        "securityContext.domain",
        "debugContext.debugData.requestUri",
        "debugContext.debugData.behaviors",
        "debugContext.debugData.logOnlySecurityData",
        "debugContext.debugData.threatSuspected",
        "debugContext.debugData.factor",
        "authenticationContext.externalSessionId",
    ]
    .iter()
    .fold(FieldMap::new().product("okta").service("okta"), |m, n| {
        m.map(*n, [*n])
    })
}

/// Google Workspace Admin SDK Reports API `login` activities (`applicationName=login`) for
/// rules with `product: gcp, service: google_workspace.login`, which are written on the
/// Cloud Logging export of Workspace audit logs (`protoPayload.…`).
///
/// - `protoPayload.metadata.event.eventName` → `events.name` (the API's `events[]` array; any
///   event of the activity matches), then `event.name` and `events.name` as flattened by
///   collectors (Splunk's singular `event`, Elastic's object `events`: the same path).
/// - `protoPayload.serviceName` (and the rules' `protoPayload.Servicename`) is implied:
///   every Reports `login` activity is from `login.googleapis.com`, which Cloud Logging
///   records say and Reports records do not ([`FieldMap::implied`]). A Cloud Logging record's
///   own value is used when present.
/// - Identity: `actor.email` (`protoPayload.authenticationInfo.principalEmail`), `ipAddress`
///   (`protoPayload.requestMetadata.callerIp`).
///
/// Not mapped: event parameters (no SigmaHQ `login` rule uses one; they are name/value
/// lists, addressable as `events.parameters.[name=login_type].value`).
pub fn gworkspace_login() -> FieldMap {
    let map = FieldMap::new()
        .product("gcp")
        .service("google_workspace.login")
        .map(
            "protoPayload.metadata.event.eventName",
            [
                "protoPayload.metadata.event.eventName",
                "events.name",
                "event.name",
            ],
        )
        .map(
            "protoPayload.metadata.event.eventType",
            [
                "protoPayload.metadata.event.eventType",
                "events.type",
                "event.type",
            ],
        )
        .map("protoPayload.serviceName", ["protoPayload.serviceName"])
        .implied("protoPayload.serviceName", "login.googleapis.com")
        .map("protoPayload.Servicename", ["protoPayload.serviceName"])
        .implied("protoPayload.Servicename", "login.googleapis.com")
        .map(
            "protoPayload.authenticationInfo.principalEmail",
            [
                "protoPayload.authenticationInfo.principalEmail",
                "actor.email",
            ],
        )
        .map(
            "protoPayload.requestMetadata.callerIp",
            ["protoPayload.requestMetadata.callerIp", "ipAddress"],
        );
    // Login event parameters, under their Reports API names: the Cloud Logging shape's
    // `protoPayload.metadata.event.parameter` list, the Reports API's `events[].parameters`
    // (Splunk's `event.parameters`), each `{name, value | boolValue | multiValue}`.
    [
        ("is_suspicious", "boolValue"),
        ("is_second_factor", "boolValue"),
        ("login_type", "value"),
        ("login_challenge_method", "multiValue"),
        ("login_failure_type", "value"),
    ]
    .iter()
    .fold(map, |m, (name, slot)| {
        m.map(
            *name,
            [
                format!("protoPayload.metadata.event.parameter.[name={name}].{slot}"),
                format!("events.parameters.[name={name}].{slot}"),
                format!("event.parameters.[name={name}].{slot}"),
            ],
        )
    })
}

/// Google Workspace Admin SDK Reports API `admin` activities (`applicationName=admin`) for
/// rules with `product: gcp, service: google_workspace.admin`: `eventName` → `events.name`
/// (`event.name` when a collector flattened it), `eventService` implied
/// `admin.googleapis.com` (every Reports `admin` activity is from the Admin console),
/// `setting_name` / `new_value` → the event parameters `SETTING_NAME` / `NEW_VALUE`
/// (`events.parameters.[name=NEW_VALUE].value`). With several events in one activity, each
/// field fans out over all of them (a rule may combine one event's name with another's
/// parameter). Basis: the Reports API `Activity` resource and its admin event names.
pub fn gworkspace_admin() -> FieldMap {
    FieldMap::new()
        .product("gcp")
        .service("google_workspace.admin")
        .map("eventName", ["eventName", "events.name", "event.name"])
        .map("eventService", ["eventService", "protoPayload.serviceName"])
        .implied("eventService", "admin.googleapis.com")
        .map(
            "setting_name",
            [
                "setting_name",
                "events.parameters.[name=SETTING_NAME].value",
                "event.parameters.[name=SETTING_NAME].value",
            ],
        )
        .map(
            "new_value",
            [
                "new_value",
                "events.parameters.[name=NEW_VALUE].value",
                "event.parameters.[name=NEW_VALUE].value",
            ],
        )
}

/// Every shipped identity mapping: Entra sign-ins (both shapes), O365 (audit, alerts,
/// Exchange), Okta and Google Workspace (`login`, `admin`). Each is scoped to its log
/// source, so the list can be passed whole as [`CompileOptions::field_maps`](crate::CompileOptions).
pub fn identity_field_maps() -> Vec<FieldMap> {
    vec![
        entra_signins(),
        o365_audit(),
        o365_alerts("threat_management"),
        o365_alerts("threat_detection"),
        o365_exchange(),
        okta_system_log(),
        gworkspace_login(),
        gworkspace_admin(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogSource;

    #[test]
    fn maps_are_scoped_to_their_log_sources() {
        let signin = LogSource {
            product: Some("azure".into()),
            service: Some("signinlogs".into()),
            ..LogSource::default()
        };
        let audit = LogSource {
            product: Some("azure".into()),
            service: Some("auditlogs".into()),
            ..LogSource::default()
        };
        assert!(entra_signins().applies_to(&signin));
        assert!(!entra_signins().applies_to(&audit));
        let n = identity_field_maps()
            .iter()
            .filter(|m| m.applies_to(&signin))
            .count();
        assert_eq!(n, 1);
    }

    #[test]
    fn both_entra_shapes_are_listed_properties_first() {
        let m = entra_signins();
        assert_eq!(
            m.fields.get("ResultType").cloned(),
            Some(vec![
                "properties.status.errorCode".to_string(),
                "status.errorCode".to_string(),
                "resultType".to_string()
            ])
        );
        assert!(m.has("DeviceDetail.trusttype"));
        assert!(!m.has("ActivityDetails"));
        assert!(entra_signin_graph().has("Resultdescription"));
        assert!(entra_signin_azure_monitor().has("AuthenticationRequirement"));
    }
}
