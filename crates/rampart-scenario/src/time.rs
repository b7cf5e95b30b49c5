//! Times as milliseconds since the Unix epoch, and the RFC 3339 spellings the
//! providers use. Hand-rolled so that the benchmark generator stays fast.

use jiff::tz::TimeZone;

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number.
pub const fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Midnight UTC of a date, in ms.
pub const fn utc_ms(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * DAY
}

/// Day of the week of a day number, 0 = Monday … 6 = Sunday.
pub const fn weekday(day: i64) -> usize {
    // 1970-01-01 was a Thursday (3).
    (day + 3).rem_euclid(7) as usize
}

/// The UTC offset of a zone at an instant, in ms.
pub fn offset_ms(tz: &TimeZone, ms: i64) -> i64 {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => i64::from(tz.to_offset(ts).seconds()) * 1000,
        Err(_) => 0,
    }
}

/// The instant of a local wall-clock minute on a local date.
pub fn local_to_utc(tz: &TimeZone, day: i64, minute_of_day: i64) -> i64 {
    let naive = day * DAY + minute_of_day * MINUTE;
    // The offset at local noon of that day is right outside DST-switch nights.
    naive - offset_ms(tz, day * DAY + 12 * HOUR)
}

/// The local date (day number) of an instant.
pub fn local_day(tz: &TimeZone, ms: i64) -> i64 {
    (ms + offset_ms(tz, ms)).div_euclid(DAY)
}

fn push2(out: &mut Vec<u8>, v: i64) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Appends `YYYY-MM-DDTHH:MM:SS` (no zone).
pub fn push_datetime(out: &mut Vec<u8>, ms: i64) {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    push2(out, y / 100);
    push2(out, y % 100);
    out.push(b'-');
    push2(out, m);
    out.push(b'-');
    push2(out, d);
    out.push(b'T');
    push2(out, sod / 3600);
    out.push(b':');
    push2(out, sod / 60 % 60);
    out.push(b':');
    push2(out, sod % 60);
}

/// `2024-07-08T14:02:11Z`, as Microsoft Graph writes `createdDateTime`.
pub fn rfc3339_secs(ms: i64) -> String {
    let mut v = Vec::with_capacity(20);
    push_datetime(&mut v, ms);
    v.push(b'Z');
    String::from_utf8_lossy(&v).into_owned()
}

/// `2024-07-08T14:02:11.353Z`, as Okta writes `published`.
pub fn rfc3339_millis(ms: i64) -> String {
    let mut v = Vec::with_capacity(24);
    push_datetime(&mut v, ms);
    v.push(b'.');
    let frac = ms.rem_euclid(1000);
    v.push(b'0' + (frac / 100) as u8);
    push2(&mut v, frac % 100);
    v.push(b'Z');
    String::from_utf8_lossy(&v).into_owned()
}

/// Seven fractional digits (`.3530000` plus `extra` in the last four), the Azure Monitor
/// spelling; `suffix` is `Z` or `+00:00`.
pub fn rfc3339_ticks(ms: i64, extra: u32, suffix: &str) -> String {
    let mut v = Vec::with_capacity(34);
    push_datetime(&mut v, ms);
    let ticks = ms.rem_euclid(1000) * 10_000 + i64::from(extra % 10_000);
    v.push(b'.');
    let s = format!("{ticks:07}");
    v.extend_from_slice(s.as_bytes());
    v.extend_from_slice(suffix.as_bytes());
    String::from_utf8_lossy(&v).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_jiff() {
        for ms in [0i64, 1_720_447_331_353, 1_726_000_000_999, 951_782_400_000] {
            let ts = jiff::Timestamp::from_millisecond(ms).unwrap();
            let want = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            assert_eq!(rfc3339_secs(ms), format!("{want}Z"));
            assert_eq!(rfc3339_millis(ms), format!("{want}.{:03}Z", ms % 1000));
            let back: jiff::Timestamp = rfc3339_ticks(ms, 1234, "+00:00").parse().unwrap();
            assert_eq!(back.as_millisecond(), ms);
        }
    }

    #[test]
    fn calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 7, 8)), (2024, 7, 8));
        assert_eq!(weekday(days_from_civil(2024, 7, 8)), 0); // a Monday
        assert_eq!(weekday(days_from_civil(2024, 9, 22)), 6); // a Sunday
    }

    #[test]
    fn local_times() {
        let ny = crate::geo::NEW_YORK.time_zone();
        let day = days_from_civil(2024, 7, 8);
        // 10:02 EDT is 14:02 UTC
        assert_eq!(
            rfc3339_secs(local_to_utc(&ny, day, 10 * 60 + 2)),
            "2024-07-08T14:02:00Z"
        );
        let phx = crate::geo::PHOENIX.time_zone();
        assert_eq!(
            rfc3339_secs(local_to_utc(&phx, day, 9 * 60)),
            "2024-07-08T16:00:00Z"
        );
        assert_eq!(local_day(&phx, utc_ms(2024, 7, 9) + HOUR), day);
    }
}
