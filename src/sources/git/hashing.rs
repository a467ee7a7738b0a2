//! Hashing for the history walk's tables, whose keys are already hashes
//! (object ids, path hashes): no SipHash.

use std::collections::{HashMap, HashSet};

/// A hasher for keys that are already hashes (object ids, path hashes):
/// a multiply-rotate mix instead of SipHash, which took an eighth of a
/// history scan.
#[derive(Default, Clone, Copy)]
pub(crate) struct Mix(u64);

impl std::hash::Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

pub(crate) type FastSet<T> = HashSet<T, std::hash::BuildHasherDefault<Mix>>;
pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Mix>>;

/// Hash of a path, extended one component at a time (no allocation).
pub(crate) fn extend_hash(prefix: u64, name: &[u8]) -> u64 {
    let mut h = prefix ^ 0x9e37_79b9_7f4a_7c15;
    for &b in name {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ u64::from(b'/')).wrapping_mul(0x0100_0000_01b3)
}
