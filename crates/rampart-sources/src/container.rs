//! Containers: how records are packed in an input, detected by content.
//!
//! gzip (any name) → then one of: a JSON array; NDJSON (also the line-per-record text of
//! SonicWall syslog); a single JSON object that is a wrapper page (`value`, `records`,
//! `items`) or one record; a Purview audit-search CSV with an `AuditData` column.

use std::io::Read;

use jiff::Timestamp;
use rampart_model::SourceFormat;
use serde::de::DeserializeSeed;
use serde_json::value::RawValue;

use crate::lenient::ArraySeed;
use crate::norm::{self, Decision, NotSignIn, owned, text};
use crate::wire::Rec;
use crate::{
    DecodeOptions, Decoded, RawRecord, RecordRef, Rejection, entra, google, o365, ocsf, okta,
    sonicwall,
};

/// The most raw text a rejection keeps for the dead-letter file.
const RAW_CAP: usize = 64 * 1024;

/// Where records go, and the running record number.
pub(crate) struct Ctx<'o, 's> {
    origin: &'o str,
    opts: &'o DecodeOptions,
    sink: &'s mut dyn FnMut(Decoded),
    /// Where each JSON record of a known format goes as it came, before it is decoded.
    raw: Option<&'s mut dyn FnMut(RawRecord<'_>)>,
    index: usize,
}

impl<'o, 's> Ctx<'o, 's> {
    pub fn new(origin: &'o str, opts: &'o DecodeOptions, sink: &'s mut dyn FnMut(Decoded)) -> Self {
        Ctx {
            origin,
            opts,
            sink,
            raw: None,
            index: 0,
        }
    }

    pub fn with_raw(mut self, raw: &'s mut dyn FnMut(RawRecord<'_>)) -> Self {
        self.raw = Some(raw);
        self
    }

    fn at(&self, index: usize, line: Option<usize>) -> RecordRef {
        RecordRef {
            file: self.origin.to_owned(),
            index,
            line,
        }
    }

    fn next_index(&mut self) -> usize {
        self.index += 1;
        self.index
    }

    fn reject(&mut self, index: usize, line: Option<usize>, reason: String, raw: Option<&str>) {
        let at = self.at(index, line);
        tracing::debug!(%at, %reason, "record rejected");
        (self.sink)(Decoded::Rejected(Rejection {
            at,
            reason,
            raw: raw.map(cap),
        }));
    }

    /// A problem with the whole input (index 0).
    fn reject_whole(&mut self, line: Option<usize>, reason: String, raw: Option<&str>) {
        self.reject(0, line, reason, raw);
    }

    fn emit(
        &mut self,
        index: usize,
        line: Option<usize>,
        format: SourceFormat,
        d: Decision,
        raw: &str,
    ) {
        match d {
            Ok(s) => (self.sink)(Decoded::SignIn(s)),
            Err(NotSignIn::Skip(reason)) => {
                let at = self.at(index, line);
                (self.sink)(Decoded::Skipped { at, format, reason })
            }
            Err(NotSignIn::Reject(reason)) => {
                self.reject(index, line, format!("{format}: {reason}"), Some(raw))
            }
        }
    }
}

/// Cuts raw text to [`RAW_CAP`] bytes on a character boundary.
fn cap(s: &str) -> String {
    if s.len() <= RAW_CAP {
        return s.to_owned();
    }
    let mut end = RAW_CAP;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Counts lines forward through one text as record offsets increase.
struct Lines<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str, first_line: usize) -> Self {
        Lines {
            text,
            offset: 0,
            line: first_line,
        }
    }

    /// The line of `part`, a slice of `text`.
    fn line_of(&mut self, part: &str) -> usize {
        let start = (part.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let start = start.min(self.text.len());
        if start >= self.offset {
            self.line += memchr_count(&self.text.as_bytes()[self.offset..start]);
            self.offset = start;
        }
        self.line
    }
}

/// The 1-based line of the CSV row at byte `offset` in `body` (the offset csv gives
/// may still point at the previous row's line terminator).
fn line_at(body: &[u8], offset: u64) -> usize {
    let mut end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(body.len());
    while end < body.len() && matches!(body[end], b'\r' | b'\n') {
        end += 1;
    }
    1 + memchr_count(&body[..end])
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

pub(crate) fn decode(bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        match gunzip(bytes) {
            Ok(plain) => decode_plain(&plain, ctx),
            Err(e) => ctx.reject_whole(None, format!("not a valid gzip stream: {e}"), None),
        }
        return;
    }
    decode_plain(bytes, ctx);
}

/// The most one gzip input may expand to: beyond it the input is rejected rather
/// than allowed to exhaust memory (a "gzip bomb" expands a thousandfold).
pub(crate) const MAX_GUNZIPPED_BYTES: u64 = 4 << 30;

pub(crate) fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    gunzip_capped(bytes, MAX_GUNZIPPED_BYTES)
}

pub(crate) fn gunzip_capped(bytes: &[u8], cap: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(1 << 30));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "it expands to more than {} MiB; split the export into smaller files",
            cap >> 20
        )));
    }
    Ok(out)
}

fn decode_plain(bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let Some(first) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        tracing::debug!(origin = ctx.origin, "empty input");
        return;
    };
    if ctx.opts.format == Some(SourceFormat::SonicWall) {
        return lines(body, ctx);
    }
    match body[first] {
        b'[' => {
            if let Some(text) = utf8(body, ctx) {
                json_array(text, 1, ctx);
            }
        }
        b'{' if !first_line_is_object(&body[first..]) => {
            if let Some(text) = utf8(body, ctx) {
                single_object(text, ctx);
            }
        }
        b'{' => lines(body, ctx),
        _ if is_audit_csv(&body[first..]) => audit_csv(body, ctx),
        _ => lines(body, ctx),
    }
}

/// The whole input as UTF-8, or a rejection naming the first bad byte.
fn utf8<'b>(body: &'b [u8], ctx: &mut Ctx<'_, '_>) -> Option<&'b str> {
    match std::str::from_utf8(body) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.valid_up_to();
            let line = memchr_count(&body[..at]) + 1;
            ctx.reject_whole(
                Some(line),
                format!("JSON input is not UTF-8 text (bad byte at offset {at})"),
                None,
            );
            None
        }
    }
}

/// NDJSON starts with a line that is a whole object; a pretty-printed object does not.
fn first_line_is_object(body: &[u8]) -> bool {
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = body[..end].trim_ascii();
    line.len() >= 2 && line.starts_with(b"{") && line.ends_with(b"}")
}

/// A Purview audit-search export: a CSV header naming an `AuditData` column.
fn is_audit_csv(body: &[u8]) -> bool {
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let header = &body[..end];
    header.contains(&b',')
        && header
            .windows(9)
            .any(|w| w.eq_ignore_ascii_case(b"AuditData"))
}

/// A JSON parse error in `text` (which starts on `first_line`), positioned in the input,
/// with a hint when the cause is a trailing comma (which JSON does not allow).
fn json_error(e: &serde_json::Error, text: &str, first_line: usize) -> (usize, String) {
    let line = first_line + e.line().saturating_sub(1);
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let what = msg.strip_suffix(&suffix).unwrap_or(&msg);
    let mut reason = format!("invalid JSON at line {line}, column {}: {what}", e.column());
    if let Some((comma_line, comma_col)) = trailing_comma(text, e.line(), e.column()) {
        reason.push_str(&format!(
            " (a trailing comma at line {}, column {comma_col}: JSON allows no `,` before `]` or `}}`)",
            first_line + comma_line - 1
        ));
    }
    (line, reason)
}

/// The (line, column) of a `,` just before the error position, if the error is one.
fn trailing_comma(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    if line == 0 {
        return None;
    }
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let offset = (line_start + column).min(text.len());
    let before = text.get(..offset)?.trim_end();
    let before = before
        .strip_suffix(']')
        .or_else(|| before.strip_suffix('}'))?
        .trim_end();
    if !before.ends_with(',') {
        return None;
    }
    let comma = before.len() - 1;
    let comma_line = 1 + memchr_count(&text.as_bytes()[..comma]);
    let comma_col = comma - text[..comma].rfind('\n').map_or(0, |p| p + 1) + 1;
    Some((comma_line, comma_col))
}

/// A JSON array of records, streamed: records before a syntax error are kept.
fn json_array(text: &str, first_line: usize, ctx: &mut Ctx<'_, '_>) {
    let mut lines = Lines::new(text, first_line);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = ArraySeed(|raw: &RawValue| {
        let line = lines.line_of(raw.get());
        record(raw.get(), line, ctx);
    })
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = result {
        let (line, reason) = json_error(&e, text, first_line);
        ctx.reject_whole(
            Some(line),
            format!("{reason}; the rest of the input was not read"),
            None,
        );
    }
}

/// One JSON object: a wrapper page or a single record. A syntax error anywhere rejects
/// the whole input, with its position.
fn single_object(text: &str, ctx: &mut Ctx<'_, '_>) {
    match serde_json::from_str::<Rec<'_>>(text) {
        Ok(rec) => {
            let start = text.len() - text.trim_start().len();
            let first_line = 1 + memchr_count(&text.as_bytes()[..start]);
            parsed(&rec, text, first_line, ctx);
        }
        Err(e) => {
            let (line, reason) = json_error(&e, text, 1);
            ctx.reject_whole(Some(line), reason, Some(text));
        }
    }
}

/// One JSON record (or wrapper) whose text starts on `line`.
fn record(text: &str, line: usize, ctx: &mut Ctx<'_, '_>) {
    match serde_json::from_str::<Rec<'_>>(text) {
        Ok(rec) => parsed(&rec, text, line, ctx),
        Err(e) => {
            let index = ctx.next_index();
            let (_, reason) = json_error(&e, text, line);
            ctx.reject(index, Some(line), reason, Some(text));
        }
    }
}

/// A parsed object, whose text `raw` starts on `first_line`: expand a wrapper, or
/// decode the record.
fn parsed(rec: &Rec<'_>, raw: &str, first_line: usize, ctx: &mut Ctx<'_, '_>) {
    if rec.is_wrapper() {
        let mut lines = Lines::new(raw, first_line);
        for item in rec.wrapped() {
            let line = lines.line_of(item.get());
            record(item.get(), line, ctx);
        }
        return;
    }
    let index = ctx.next_index();
    dispatch(rec, raw, index, Some(first_line), ctx);
}

/// The format of a record, from its keys.
pub(crate) fn detect(rec: &Rec<'_>) -> Option<SourceFormat> {
    if rec.class_uid.is_some() {
        Some(SourceFormat::Ocsf)
    } else if rec.properties.is_some()
        && (rec.category.is_some() || rec.operation_name.is_some() || rec.result_type.is_some())
    {
        Some(SourceFormat::EntraSigninLogs)
    } else if rec.operation.is_some() || rec.creation_time.is_some() || rec.workload.is_some() {
        Some(SourceFormat::O365)
    } else if rec.event_type.is_some() && (rec.uuid.is_some() || rec.published.is_some()) {
        Some(SourceFormat::Okta)
    } else if rec
        .kind
        .as_ref()
        .is_some_and(|k| k.as_str().starts_with("admin#reports"))
        || rec.id.as_ref().is_some_and(|id| id.obj().is_some())
        || rec.events.is_some()
        || rec.event.is_some()
    {
        Some(SourceFormat::GoogleWorkspace)
    } else if rec.created_date_time.is_some() {
        Some(SourceFormat::EntraGraph)
    } else {
        None
    }
}

fn dispatch(rec: &Rec<'_>, raw: &str, index: usize, line: Option<usize>, ctx: &mut Ctx<'_, '_>) {
    let format = match ctx.opts.format.or_else(|| detect(rec)) {
        Some(f) => f,
        None => {
            let reason = if raw.trim_start().starts_with('{') {
                "not a known sign-in format: the record has none of the keys that identify one \
                 (`createdDateTime` for Entra Graph, `properties`+`category` for SignInLogs, \
                 `Operation` for O365, `eventType` for Okta, `id.applicationName` for Google, \
                 `class_uid` for OCSF)"
                    .to_owned()
            } else {
                "not a JSON object".to_owned()
            };
            return ctx.reject(index, line, reason, Some(raw));
        }
    };
    if format != SourceFormat::SonicWall
        && let Some(raw_sink) = ctx.raw.as_mut()
    {
        let (time, user, provider_tenant) = raw_context(format, rec);
        raw_sink(RawRecord {
            at: RecordRef {
                file: ctx.origin.to_owned(),
                index,
                line,
            },
            format,
            text: raw,
            record_id: record_id(format, rec),
            time,
            user,
            provider_tenant,
        });
    }
    let d = match format {
        SourceFormat::EntraGraph => entra::graph(rec),
        SourceFormat::EntraSigninLogs => entra::signin_logs(rec),
        SourceFormat::O365 => o365::decode(rec),
        SourceFormat::Okta => okta::decode(rec),
        SourceFormat::Ocsf => ocsf::decode(rec),
        SourceFormat::GoogleWorkspace => {
            let mut out = Vec::new();
            google::decode(rec, &mut |d| out.push(d));
            for d in out {
                ctx.emit(index, line, format, d, raw);
            }
            return;
        }
        SourceFormat::SonicWall => Err(NotSignIn::Reject(
            "a JSON record, not a SonicWall key=value log line".to_owned(),
        )),
        other => Err(NotSignIn::Reject(format!(
            "format `{other}` is not supported"
        ))),
    };
    ctx.emit(index, line, format, d, raw);
}

/// The time, user and provider tenant of a record of `format`, read the way its decoder
/// reads them, for records that are not sign-ins as much as for those that are.
fn raw_context(
    format: SourceFormat,
    rec: &Rec<'_>,
) -> (Option<Timestamp>, Option<String>, Option<String>) {
    let when = |field: &str, t: Option<&str>| t.and_then(|t| norm::time(field, t).ok());
    match format {
        SourceFormat::EntraGraph | SourceFormat::EntraSigninLogs => {
            let sig = rec.properties.as_deref().unwrap_or(rec);
            let time = when("createdDateTime", text(&sig.created_date_time))
                .or_else(|| when("time", text(&rec.time)));
            let user = text(&sig.user_principal_name)
                .or_else(|| text(&sig.sign_in_identifier))
                .or_else(|| text(&sig.user_id))
                .map(norm::user);
            let tenant = text(&rec.tenant_id)
                .or_else(|| text(&sig.tenant_id))
                .or_else(|| text(&sig.resource_tenant_id))
                .map(str::to_owned);
            (time, user, tenant)
        }
        SourceFormat::O365 => (
            when("CreationTime", text(&rec.creation_time)),
            text(&rec.o365_user_id).map(norm::user),
            owned(&rec.organization_id),
        ),
        SourceFormat::Okta => (
            when("published", text(&rec.published)),
            rec.actor
                .as_ref()
                .and_then(|a| text(&a.alternate_id))
                .map(norm::user),
            None,
        ),
        SourceFormat::GoogleWorkspace => {
            let id = rec.id.as_ref().and_then(|id| id.obj());
            (
                when("id.time", id.and_then(|id| text(&id.time))),
                rec.actor
                    .as_ref()
                    .and_then(|a| text(&a.email))
                    .map(norm::user),
                id.and_then(|id| owned(&id.customer_id)),
            )
        }
        SourceFormat::Ocsf => (
            when("time_dt", text(&rec.time_dt)),
            rec.user
                .as_ref()
                .and_then(|u| text(&u.name))
                .map(norm::user),
            rec.metadata.as_ref().and_then(|m| owned(&m.tenant_uid)),
        ),
        _ => (None, None, None),
    }
}

/// The provider's id of a record of `format`, where it has one.
fn record_id(format: SourceFormat, rec: &Rec<'_>) -> Option<String> {
    let id = match format {
        SourceFormat::EntraGraph | SourceFormat::EntraSigninLogs => {
            let sig = rec.properties.as_deref().unwrap_or(rec);
            sig.id.as_ref().and_then(|id| id.text())
        }
        SourceFormat::O365 => text(&rec.o365_id),
        SourceFormat::Okta => text(&rec.uuid),
        SourceFormat::GoogleWorkspace => rec
            .id
            .as_ref()
            .and_then(|id| id.obj())
            .and_then(|id| text(&id.unique_qualifier)),
        SourceFormat::Ocsf => rec.metadata.as_ref().and_then(|m| text(&m.uid)),
        _ => None,
    };
    id.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Line-per-record text: NDJSON, SonicWall syslog, or a mix. Blank lines are ignored; a
/// bad line is rejected alone.
fn lines(body: &[u8], ctx: &mut Ctx<'_, '_>) {
    match std::str::from_utf8(body) {
        Ok(text) => {
            for (n, line) in text.split('\n').enumerate() {
                one_line(line, n + 1, ctx);
            }
        }
        Err(_) => {
            for (n, line) in body.split(|&b| b == b'\n').enumerate() {
                match std::str::from_utf8(line) {
                    Ok(l) => one_line(l, n + 1, ctx),
                    Err(_) => {
                        // SonicWall `msg` may hold non-UTF-8 bytes: decode lossily.
                        let l = String::from_utf8_lossy(line);
                        one_line(&l, n + 1, ctx);
                    }
                }
            }
        }
    }
}

fn one_line(line: &str, n: usize, ctx: &mut Ctx<'_, '_>) {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return;
    }
    let forced = ctx.opts.format;
    if forced != Some(SourceFormat::SonicWall) {
        if trimmed.starts_with('{') {
            return record(trimmed, n, ctx);
        }
        if trimmed.starts_with('[') {
            return json_array(trimmed, n, ctx);
        }
    }
    let index = ctx.next_index();
    if (forced.is_none() || forced == Some(SourceFormat::SonicWall))
        && let Some(d) = sonicwall::decode_line(trimmed)
    {
        return ctx.emit(index, Some(n), SourceFormat::SonicWall, d, trimmed);
    }
    let reason = match forced {
        Some(SourceFormat::SonicWall) => {
            "sonicwall: not a SonicWall key=value log line (no `sn=` and `time=`)".to_owned()
        }
        Some(f) => format!("{f}: the line is not JSON"),
        None => "the line is neither a JSON record nor a SonicWall key=value log line".to_owned(),
    };
    ctx.reject(index, Some(n), reason, Some(trimmed));
}

/// A Purview audit-search CSV: each row's `AuditData` column is one JSON record.
fn audit_csv(body: &[u8], ctx: &mut Ctx<'_, '_>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let column = match reader.headers() {
        Ok(h) => h.iter().position(|c| {
            c.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case("AuditData")
        }),
        Err(e) => {
            return ctx.reject_whole(Some(1), format!("unreadable CSV header: {e}"), None);
        }
    };
    let Some(column) = column else {
        return ctx.reject_whole(Some(1), "CSV has no `AuditData` column".to_owned(), None);
    };
    let mut row = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                // The line from the byte offset (csv's own line count can lag).
                let line = row.position().map(|p| line_at(body, p.byte()));
                match row.get(column).map(str::trim).filter(|s| !s.is_empty()) {
                    Some(audit) => record(audit, line.unwrap_or(0), ctx),
                    None => {
                        let index = ctx.next_index();
                        let raw = row.iter().collect::<Vec<_>>().join(",");
                        ctx.reject(
                            index,
                            line,
                            "CSV row has an empty `AuditData` column".to_owned(),
                            Some(&raw),
                        );
                    }
                }
            }
            Err(e) => {
                let index = ctx.next_index();
                let line = e.position().map(|p| line_at(body, p.byte()));
                ctx.reject(index, line, format!("unreadable CSV row: {e}"), None);
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod gzip_tests {
    use std::io::Write;

    #[test]
    fn expansion_is_capped() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'{'; 1 << 20]).unwrap();
        let small = enc.finish().unwrap();
        assert!(small.len() < 10_000);
        let err = super::gunzip_capped(&small, 1 << 16).unwrap_err();
        assert!(err.to_string().contains("expands to more than"), "{err}");
        assert_eq!(
            super::gunzip_capped(&small, 1 << 21).unwrap().len(),
            1 << 20
        );
    }
}
