//! Identifiers in the shapes the providers use, all drawn from the seeded generator.

const HEX: &[u8; 16] = b"0123456789abcdef";
const B62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// SplitMix64: derives independent seeds from one seed and a stream number.
pub fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a of a string (to derive fixed values from names).
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Appends a version-4-looking GUID (`8-4-4-4-12`, lower-case hex) made of `hi`/`lo`.
pub fn push_guid(out: &mut Vec<u8>, hi: u64, lo: u64) {
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let bytes = ((u128::from(hi)) << 64 | u128::from(lo)).to_be_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

pub fn guid(rng: &mut fastrand::Rng) -> String {
    let mut v = Vec::with_capacity(36);
    push_guid(&mut v, rng.u64(..), rng.u64(..));
    String::from_utf8_lossy(&v).into_owned()
}

/// `prefix` followed by `n` base-62 characters (Okta ids: `00u…`, `0oa…`, `102…`).
pub fn okta_id(rng: &mut fastrand::Rng, prefix: &str, n: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    for _ in 0..n {
        s.push(char::from(B62[rng.usize(0..62)]));
    }
    s
}

/// An Okta request / transaction id (27 URL-safe characters, as in real logs).
pub fn okta_request_id(rng: &mut fastrand::Rng) -> String {
    let mut s = okta_id(rng, "", 23);
    s.push_str("AAA");
    s.push(char::from(B62[rng.usize(0..62)]));
    s
}

/// A time-based (version 1) UUID for an instant, as Okta writes `uuid`: the 60-bit count
/// of 100 ns since 1582-10-15, then a clock sequence and node from the generator.
pub fn uuid_v1(ms: i64, rng: &mut fastrand::Rng) -> String {
    const GREGORIAN_OFFSET_100NS: i64 = 122_192_928_000_000_000;
    let t = (ms * 10_000 + GREGORIAN_OFFSET_100NS + rng.i64(0..10_000)) as u64;
    let time_low = t & 0xffff_ffff;
    let time_mid = (t >> 32) & 0xffff;
    let time_hi = ((t >> 48) & 0x0fff) | 0x1000;
    let clock = (rng.u64(..) & 0x3fff) | 0x8000;
    let node = rng.u64(..) & 0xffff_ffff_ffff;
    format!("{time_low:08x}-{time_mid:04x}-{time_hi:04x}-{clock:04x}-{node:012x}")
}

/// Opaque base64url-ish token (Entra `uniqueTokenIdentifier`).
pub fn token_id(rng: &mut fastrand::Rng) -> String {
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..22).map(|_| char::from(URL[rng.usize(0..64)])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        let mut rng = fastrand::Rng::with_seed(3);
        let g = guid(&mut rng);
        assert_eq!(g.len(), 36);
        let parts: Vec<&str> = g.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
    }

    #[test]
    fn uuid_v1_encodes_the_time() {
        let mut rng = fastrand::Rng::with_seed(3);
        // Okta's sample: published 2024-08-13T15:58:20.353Z, uuid dc9fd3c0-598c-11ef-…
        let ms = 1_723_564_700_353;
        let u = uuid_v1(ms, &mut rng);
        assert!(u.contains("-598c-11ef-"), "{u}");
    }
}
