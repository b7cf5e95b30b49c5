//! Office 365 Management Activity API, `Audit.AzureActiveDirectory`: the STS logon
//! records `UserLoggedIn` and `UserLoginFailed` (also from a Purview CSV's `AuditData`).
//!
//! The outcome comes from `ErrorNumber` (or the documented `ErrorCode`), never from
//! `ResultStatus`, which only says the HTTP operation succeeded.

use rampart_model::{NetworkHints, Outcome, SignIn, SourceFormat};

use crate::lenient::List;
use crate::norm::{self, Decision, owned, reject, skip, text};
use crate::outcome;
use crate::wire::{NameValue, Rec};

pub(crate) fn decode(rec: &Rec<'_>) -> Decision {
    let Some(operation) = text(&rec.operation) else {
        return reject(
            "not an O365 audit record: no `Operation` (an STS logon has `CreationTime`, `Id`, `Operation`, `UserId`)",
        );
    };
    let failed = match operation {
        "UserLoggedIn" => false,
        "UserLoginFailed" => true,
        other => {
            let record_type = text(&rec.record_type).unwrap_or("?");
            return skip(format!(
                "operation `{other}` (RecordType {record_type}) is not a sign-in"
            ));
        }
    };
    let Some(created) = text(&rec.creation_time) else {
        return reject("no `CreationTime` (the sign-in time)");
    };
    let time = norm::time("CreationTime", created)?;
    let Some(record_id) = text(&rec.o365_id) else {
        return reject("no `Id` (the audit record id)");
    };
    let Some(user) = text(&rec.o365_user_id) else {
        return reject("no `UserId` (the user's UPN)");
    };

    let code = text(&rec.error_number).or_else(|| text(&rec.error_code));
    let outcome = match code {
        Some(code) => outcome::entra_code(code),
        None if failed => Outcome::Other,
        None => Outcome::Success,
    };
    let ext = rec.extended_properties.as_ref();
    let dev = rec.device_properties.as_ref();

    Ok(Box::new(SignIn {
        tenant: None,
        provider_tenant: owned(&rec.organization_id),
        user: norm::user(user),
        time,
        ip: text(&rec.client_ip)
            .and_then(norm::ip)
            .or_else(|| text(&rec.actor_ip_address).and_then(norm::ip)),
        location: None,
        asn: None,
        network: NetworkHints::default(),
        app: owned(&rec.application_id),
        client_app: property(ext, "RequestType"),
        user_agent: property(ext, "UserAgent"),
        os: property(dev, "OS"),
        device_id: property(dev, "Id"),
        interactive: None,
        session_id: property(dev, "SessionId"),
        correlation_id: owned(&rec.inter_systems_id),
        outcome,
        result_code: code.map(str::to_owned),
        result_detail: owned(&rec.logon_error),
        source_format: SourceFormat::O365,
        record_id: record_id.to_owned(),
    }))
}

/// The value of a `Name`/`Value` property (last one wins).
fn property(list: Option<&List<NameValue<'_>>>, name: &str) -> Option<String> {
    list?
        .0
        .iter()
        .rev()
        .find(|p| text(&p.name) == Some(name))
        .and_then(|p| owned(&p.value))
}
