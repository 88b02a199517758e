//! Fast lookups in sorted name tables.
//!
//! Each sorted table of names comes with a parallel array of keys: the first
//! 16 bytes of each name as a big-endian integer, zero padded. Integer
//! order agrees with string order, so a lookup binary-searches the compact
//! key array and only compares whole strings among names sharing the key.
//! Tables of names that are prefixes of one another also come with a
//! "prefix parent" array (the longest other name that is a proper prefix),
//! which gives every name that is a prefix of a text from one search.

/// The key of a text (see the module documentation).
#[inline]
pub(crate) fn key16(s: &str) -> u128 {
    let b = s.as_bytes();
    let mut k = [0u8; 16];
    let n = b.len().min(16);
    k[..n].copy_from_slice(&b[..n]);
    u128::from_be_bytes(k)
}

/// A sorted name table with its keys.
pub(crate) struct Names<'t, F: Fn(usize) -> &'static str> {
    pub keys: &'t [u128],
    pub name: F,
}

impl<F: Fn(usize) -> &'static str> Names<'_, F> {
    /// Index of the name equal to `text`.
    #[inline]
    pub fn find(&self, text: &str) -> Option<usize> {
        let kt = key16(text);
        let mut i = self.keys.partition_point(|k| *k < kt);
        while i < self.keys.len() && self.keys[i] == kt {
            let n = (self.name)(i);
            if n == text {
                return Some(i);
            }
            if n > text {
                break;
            }
            i += 1;
        }
        None
    }

    /// Number of names `<= text`.
    #[inline]
    pub fn upper_bound(&self, text: &str) -> usize {
        let kt = key16(text);
        let lo = self.keys.partition_point(|k| *k < kt);
        let ties = self.keys[lo..].partition_point(|k| *k <= kt);
        // names sharing the key are sorted: binary search them by string
        let (mut a, mut b) = (lo, lo + ties);
        while a < b {
            let mid = (a + b) / 2;
            if (self.name)(mid) <= text {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        a
    }

    /// The indices of the names that are prefixes of `text`, longest
    /// first, using the table's prefix-parent array.
    #[inline]
    pub fn prefixes_of(&self, text: &str, parents: &[u16], out: &mut [u16; 16]) -> usize {
        let upto = self.upper_bound(text);
        if upto == 0 {
            return 0;
        }
        let mut n = 0;
        let mut c = (upto - 1) as u16;
        loop {
            if n < out.len() && text.starts_with((self.name)(c as usize)) {
                out[n] = c;
                n += 1;
            }
            c = parents[c as usize];
            if c == u16::MAX {
                break;
            }
        }
        n
    }
}
