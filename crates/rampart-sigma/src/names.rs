//! A read-only map from names to values, looked up ASCII-case-insensitively without copying
//! or lower-casing the key: the rule-set index asks it about every top-level key of every
//! event, and about every value of a field compared with whole values.
//!
//! A key is read as its length and two words: its first and last eight bytes (four, for
//! keys of four to seven bytes; the first, middle and last byte for shorter ones), ASCII
//! upper case folded to lower case eight bytes at a time. For keys of at most 16 bytes
//! these words hold every byte, so equal words and lengths mean equal keys; longer keys
//! also compare their middle bytes. A bitmask of the names' lengths rejects most absent
//! keys before anything is read.

/// Names (compared ASCII-case-insensitively) → values.
#[derive(Debug)]
pub(crate) struct FoldMap<V> {
    /// Open addressing, linear probing: per bucket, an index + 1 into `entries` (0: empty).
    buckets: Vec<u32>,
    /// `64 - log2(buckets.len())`: a hash's top bits pick its first bucket.
    shift: u32,
    entries: Vec<Entry<V>>,
    /// Bit `min(len, 63)` is set when some name has that length in bytes.
    lens: u64,
}

#[derive(Debug)]
struct Entry<V> {
    words: Words,
    /// The name in ASCII lower case.
    name: Box<[u8]>,
    value: V,
}

/// A key's length and folded end words (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Words {
    len: usize,
    first: u64,
    last: u64,
}

impl<V> Default for FoldMap<V> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Eight bytes with ASCII `A`–`Z` made lower case (other bytes unchanged).
fn lower8(x: u64) -> u64 {
    let low = x & LOW7;
    // Per byte, the high bit of `low + c` is set when `low >= 0x80 - c` (no carry out:
    // `low <= 0x7f`).
    let ge_a = low.wrapping_add(0x3f3f_3f3f_3f3f_3f3f);
    let gt_z = low.wrapping_add(0x2525_2525_2525_2525);
    let upper = ge_a & !gt_z & !x & HIGH;
    x | (upper >> 2)
}

impl Words {
    fn of(b: &[u8]) -> Self {
        let n = b.len();
        let (first, last) = if let (Some(f), Some(l)) = (b.first_chunk::<8>(), b.last_chunk::<8>())
        {
            (u64::from_le_bytes(*f), u64::from_le_bytes(*l))
        } else if let (Some(f), Some(l)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
            (
                u64::from(u32::from_le_bytes(*f)),
                u64::from(u32::from_le_bytes(*l)),
            )
        } else {
            let at = |i: usize| b.get(i).copied().map_or(0, u64::from);
            (at(0) | (at(n / 2) << 8) | (at(n.wrapping_sub(1)) << 16), 0)
        };
        Words {
            len: n,
            first: lower8(first),
            last: lower8(last),
        }
    }

    fn hash(&self) -> u64 {
        let m = u128::from(self.first ^ 0x243f_6a88_85a3_08d3)
            * u128::from(self.last ^ 0x1319_8a2e_0370_7344 ^ self.len as u64);
        (m as u64) ^ ((m >> 64) as u64)
    }
}

fn word_at(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..)?
        .first_chunk::<8>()
        .map(|w| u64::from_le_bytes(*w))
}

/// Whether the bytes between the end words of `key` and of `name` (ASCII lower case, of
/// the same length, over 16 bytes) are equal ASCII-case-insensitively.
#[inline]
fn middle_eq(name: &[u8], key: &[u8]) -> bool {
    let mut i = 8;
    while i + 8 < key.len() {
        match (word_at(name, i), word_at(key, i)) {
            (Some(a), Some(b)) if a == lower8(b) => i += 8,
            _ => return false,
        }
    }
    true
}

fn len_bit(n: usize) -> u64 {
    1u64 << n.min(63)
}

impl<V> FoldMap<V> {
    /// A map of `items`. Names equal ASCII-case-insensitively must not repeat (the first
    /// one would be found).
    pub(crate) fn new(items: Vec<(String, V)>) -> Self {
        let size = (items.len() * 2).next_power_of_two().max(8);
        let mut map = FoldMap {
            buckets: vec![0; size],
            shift: 64 - size.trailing_zeros(),
            entries: Vec::with_capacity(items.len()),
            lens: 0,
        };
        let mask = size - 1;
        for (name, value) in items {
            let mut name = name.into_bytes().into_boxed_slice();
            name.make_ascii_lowercase();
            let words = Words::of(&name);
            map.lens |= len_bit(name.len());
            let mut i = (words.hash() >> map.shift) as usize;
            while map.buckets[i] != 0 {
                i = (i + 1) & mask;
            }
            map.entries.push(Entry { words, name, value });
            map.buckets[i] = map.entries.len() as u32;
        }
        map
    }

    /// The value of the name equal to `key` ASCII-case-insensitively.
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<&V> {
        if self.lens & len_bit(key.len()) == 0 {
            return None;
        }
        let words = Words::of(key);
        let mask = self.buckets.len() - 1;
        let mut i = (words.hash() >> self.shift) as usize;
        loop {
            let e = self
                .entries
                .get(self.buckets.get(i)?.checked_sub(1)? as usize)?;
            if e.words == words && (key.len() <= 16 || middle_eq(&e.name, key)) {
                return Some(&e.value);
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FoldMap, lower8};

    #[test]
    fn lower8_folds_ascii_upper_case_only() {
        let base = [0x41u8, 0x5a, 0x7f, 0x80, 0xc1, 0x61, 0x00, 0xff];
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = base;
                bytes[pos] = b;
                let want = bytes.map(|x| x.to_ascii_lowercase());
                assert_eq!(
                    lower8(u64::from_le_bytes(bytes)),
                    u64::from_le_bytes(want),
                    "{bytes:?}"
                );
            }
        }
    }

    #[test]
    fn long_names_compare_their_middle() {
        let map = FoldMap::new(vec![("abcdefgh_middle_ijklmnop".to_string(), 1)]);
        assert_eq!(map.get(b"ABCDEFGH_MIDDLE_IJKLMNOP"), Some(&1));
        assert_eq!(map.get(b"abcdefgh_middlf_ijklmnop"), None);
        assert_eq!(map.get(b"abcdefgh_middle_ijklmnoq"), None);
        // Every length past 16, a difference at every position.
        for len in 17..=41 {
            let name: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let map = FoldMap::new(vec![(name.clone(), len)]);
            assert_eq!(map.get(name.to_ascii_uppercase().as_bytes()), Some(&len));
            for at in 0..len {
                let mut key = name.clone().into_bytes();
                key[at] = b'-';
                assert_eq!(map.get(&key), None, "{len} {at}");
            }
        }
    }

    #[test]
    fn finds_names_in_any_ascii_case_only() {
        let names = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "image",
            "commandline",
            "resulttype",
            "é",
            "Ä",
            "devicedetail",
            "x-y_z@1",
            "[a=b]",
        ];
        let map = FoldMap::new(names.iter().map(|n| (n.to_string(), *n)).collect());
        for n in names {
            assert_eq!(map.get(n.as_bytes()), Some(&n), "{n}");
            let upper = n.to_ascii_uppercase();
            assert_eq!(map.get(upper.as_bytes()), Some(&n), "{upper}");
        }
        assert_eq!(map.get(b"CommandLine"), Some(&"commandline"));
        assert_eq!(map.get(b"ResultTYPE"), Some(&"resulttype"));
        // Not ASCII case: no Unicode folding.
        assert_eq!(map.get("É".as_bytes()), None);
        assert_eq!(map.get("ä".as_bytes()), None);
        // Only ASCII letters fold: `@` (0x40) and `` ` `` (0x60) differ.
        assert_eq!(map.get(b"x-y_z`1"), None);
        assert_eq!(map.get(b"X-Y_Z@1"), Some(&"x-y_z@1"));
        for absent in ["images", "imag", "b", "commandlin", "resulttypf", "abce"] {
            assert_eq!(map.get(absent.as_bytes()), None, "{absent}");
        }
        assert_eq!(FoldMap::<u8>::default().get(b"a"), None);
    }

    #[test]
    fn many_names_probe_past_collisions() {
        let names: Vec<String> = (0..500).map(|i| format!("field{i}")).collect();
        let map = FoldMap::new(names.iter().cloned().zip(0..).collect());
        for (i, n) in names.iter().enumerate() {
            assert_eq!(map.get(n.to_ascii_uppercase().as_bytes()), Some(&i));
        }
        assert_eq!(map.get(b"field500"), None);
    }
}
