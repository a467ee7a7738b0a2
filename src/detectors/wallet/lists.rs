//! The BIP-39 word lists (from the `bip39` crate) as a look-up: an
//! open-addressing table of every word of [`LANGUAGES`] behind a Bloom
//! filter that turns most words of code and prose away in L1 cache.

use std::sync::OnceLock;

use bip39::Language;

use super::words::{MAX_WORD, MIN_WORD};

/// The official lists written in ASCII letters (the others need Unicode
/// normalisation and words of other scripts).
pub const LANGUAGES: [Language; 4] = [
    Language::English,
    Language::Italian,
    Language::Czech,
    Language::Portuguese,
];

/// Every word of [`LANGUAGES`], by its letters packed in a u64 (5 bits a
/// letter), in an open-addressing table; the value is a bit mask of the
/// languages whose list holds it.
struct Table {
    keys: Vec<u64>,
    langs: Vec<u8>,
    shift: u32,
}

const TABLE_BITS: u32 = 15;

fn pack(word: &[u8]) -> u64 {
    word.iter()
        .fold(0u64, |k, &b| (k << 5) | u64::from((b | 0x20) - b'a' + 1))
}

impl Table {
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    fn build() -> Self {
        let size = 1usize << TABLE_BITS;
        let mut t = Table {
            keys: vec![0; size],
            langs: vec![0; size],
            shift: 64 - TABLE_BITS,
        };
        for (i, lang) in LANGUAGES.iter().enumerate() {
            for w in lang.word_list() {
                let key = pack(w.as_bytes());
                let mut s = t.slot(key);
                while t.keys[s] != 0 && t.keys[s] != key {
                    s = (s + 1) & (size - 1);
                }
                t.keys[s] = key;
                t.langs[s] |= 1 << i;
            }
        }
        t
    }

    fn get(&self, key: u64) -> u8 {
        let mut s = self.slot(key);
        loop {
            match self.keys[s] {
                0 => return 0,
                k if k == key => return self.langs[s],
                _ => s = (s + 1) & (self.keys.len() - 1),
            }
        }
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::build)
}

/// A Bloom filter of the table's keys: 64 Kibit (8 KiB, in L1 cache), one
/// bit a word, so most words of code and prose are turned away without a
/// look into the 256 KiB table.
struct Bloom(Vec<u64>);

const BLOOM_BITS: u32 = 16;

fn bloom_bit(key: u64) -> usize {
    (key.wrapping_mul(0xff51_afd7_ed55_8ccd) >> (64 - BLOOM_BITS)) as usize
}

fn bloom() -> &'static Bloom {
    static BLOOM: OnceLock<Bloom> = OnceLock::new();
    BLOOM.get_or_init(|| {
        let mut bits = vec![0u64; (1 << BLOOM_BITS) / 64];
        for lang in LANGUAGES {
            for w in lang.word_list() {
                let b = bloom_bit(pack(w.as_bytes()));
                bits[b / 64] |= 1 << (b % 64);
            }
        }
        Bloom(bits)
    })
}

/// The languages (bit `i` for `LANGUAGES[i]`) whose list holds the letters
/// `w` (any case); 0 for none.
pub(super) fn languages_of(w: &[u8]) -> u8 {
    if !(MIN_WORD..=MAX_WORD).contains(&w.len()) {
        return 0;
    }
    let key = pack(w);
    let b = bloom_bit(key);
    if bloom().0[b / 64] & (1 << (b % 64)) == 0 {
        return 0;
    }
    table().get(key)
}
