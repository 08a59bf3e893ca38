//! Which keys (P3KE ids, No. KKs, NIKs) a file has given already, and at
//! which line, so a repeated key is rejected with the line of the first.
//!
//! A file's keys are not kept, only a 96-bit fingerprint of each and its
//! line (16 bytes a key, against ~80 for the key as a `String` in a map):
//! 1.2 million members take ~35 MB. Two keys share a fingerprint with a
//! chance near n²/2⁹⁷ (10⁻¹⁷ for 1.2 million), far below any other error.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Keys seen so far, by fingerprint.
#[derive(Default)]
pub struct SeenKeys {
    lines: HashMap<u64, (u32, u32), BuildHasherDefault<AlreadyHashed>>,
}

impl SeenKeys {
    /// The line `key` was first given at; `None` (and `key` noted at
    /// `line`) the first time.
    pub fn first_line(&mut self, key: &str, line: usize) -> Option<usize> {
        let (slot, check) = fingerprint(key);
        match self.lines.get(&slot) {
            Some(&(c, first)) if c == check => Some(first as usize),
            // Another key in the same 64-bit slot (a chance near n²/2⁶⁵):
            // the first keeps it.
            Some(_) => None,
            None => {
                let line = u32::try_from(line).unwrap_or(u32::MAX);
                self.lines.insert(slot, (check, line));
                None
            }
        }
    }
}

fn fingerprint(key: &str) -> (u64, u32) {
    let hash = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    (hash(0), hash(1) as u32)
}

/// The map's keys are hashes already: used as they are.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_answers_its_first_line() {
        let mut seen = SeenKeys::default();
        assert_eq!(seen.first_line("6402060101010001", 2), None);
        assert_eq!(seen.first_line("P3KE-1", 3), None);
        assert_eq!(seen.first_line("6402060101010001", 9), Some(2));
        assert_eq!(seen.first_line("6402060101010002", 10), None);
        assert_eq!(seen.first_line("P3KE-1", 11), Some(3));
    }
}
