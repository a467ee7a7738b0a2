//! Wallet secrets validated by their structure: a BIP-39 mnemonic's
//! checksum, base58check (WIF, BIP-32, XRPL), a Solana keypair's public
//! half, a secp256k1 key's range. A rule asks for one with `validate = "…"`
//! (rules/wallets.toml); the checksum-validated kinds bring their own
//! finders, which stand in for keywords: a phrase or a key is found with no
//! name beside it, and a file without one costs a look at one byte in
//! [`words::STRIDE`] (and a `memchr` for `[`). XRPL seeds, shorter than the
//! stride, are found near their keywords.

mod base58;
pub mod examples;
mod lists;
mod phrase;
mod solana;
mod words;

use crate::prefilter::Hits;
use crate::rules::spec::Validate;

/// A secret that passed its validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The secret, as byte offsets in the blob (narrower than the regex's
    /// match for a mnemonic found in longer text).
    pub start: usize,
    pub end: usize,
    /// The form published examples are listed in (rules/known-examples.toml):
    /// a mnemonic's lowercase words joined by one space, a hex key's 64
    /// lowercase digits without `0x`, a Solana keypair's base58, other
    /// values as they are.
    pub canonical: Vec<u8>,
}

impl Validate {
    /// Whether a checksum (or a derived public key) proves the value: such
    /// a value is no placeholder, whatever words it contains.
    pub fn is_checksum(self) -> bool {
        matches!(
            self,
            Validate::Bip39
                | Validate::Wif
                | Validate::Bip32Private
                | Validate::XrplSeed
                | Validate::SolanaKeypair
        )
    }

    /// Whether the kind is a wallet secret's, checked by [`validate`] where
    /// the secret is found (the others are formats: `detectors::formats`).
    pub fn is_wallet(self) -> bool {
        self.is_checksum() || self == Validate::Secp256k1
    }

    /// What the validation checks, for `keyhound explain`.
    pub fn describe(self) -> &'static str {
        match self {
            Validate::Bip39 => {
                "the BIP-39 checksum of 12 to 24 list words (English, Italian, Czech, Portuguese); found with or without a name"
            }
            Validate::Wif => {
                "base58check, a WIF version byte and a key in secp256k1's range; found with or without a name"
            }
            Validate::Bip32Private => {
                "base58check, a BIP-32 private version and a key in range (extended public keys stay quiet)"
            }
            Validate::XrplSeed => {
                "base58check in the XRPL alphabet with a family-seed version; found with or without a name"
            }
            Validate::SolanaKeypair => {
                "64 bytes whose second half is the Ed25519 public key of the first; found with or without a name"
            }
            Validate::Secp256k1 => {
                "a key in secp256k1's range (no checksum: value checks apply too)"
            }
            Validate::Base64UserPassword => {
                "decodes from base64 to user:password, the password no placeholder"
            }
            Validate::Base64Text => "decodes from base64 to a password that is no placeholder",
            Validate::CipherBlocks => "cipher text: a 16-byte IV and whole 16-byte blocks",
        }
    }

    /// Whether the kind has a finder of its own (rules of such a kind need
    /// no keywords).
    pub fn finds_itself(self) -> bool {
        matches!(
            self,
            Validate::Bip39 | Validate::Wif | Validate::SolanaKeypair
        )
    }
}

/// Checks `data[start..end]` (a rule's secret) as `kind` says.
pub fn validate(kind: Validate, data: &[u8], start: usize, end: usize) -> Option<Validated> {
    let s = &data[start..end];
    let same = |ok: bool| {
        ok.then(|| Validated {
            start,
            end,
            canonical: s.to_vec(),
        })
    };
    match kind {
        Validate::Bip39 => phrase::mnemonic(data, start, end).map(|(a, b, canonical)| Validated {
            start: a,
            end: b,
            canonical,
        }),
        Validate::Wif => same(base58::wif(s)),
        Validate::Bip32Private => same(base58::bip32_private(s)),
        Validate::XrplSeed => same(base58::xrpl_seed(s)),
        Validate::SolanaKeypair => solana::keypair(s).map(|bytes| Validated {
            start,
            end,
            canonical: bs58::encode(bytes).into_string().into_bytes(),
        }),
        Validate::Secp256k1 => {
            // `0x`, `ED` (XRPL) or `00` before the 64 digits.
            let hex = if s.len() == 66 { &s[2..] } else { s };
            let bytes = decode_hex(hex)?;
            secp256k1_scalar(&bytes).then(|| Validated {
                start,
                end,
                canonical: hex.to_ascii_lowercase(),
            })
        }
        // Format kinds are checked after the value checks
        // (`detectors::formats`): nothing to narrow here.
        Validate::Base64UserPassword | Validate::Base64Text | Validate::CipherBlocks => same(true),
    }
}

fn decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    s.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

/// The order of secp256k1's group (SEC 2, section 2.4.1).
const SECP256K1_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// A valid secp256k1 private key: 32 bytes, big-endian, `0 < k < n`.
pub fn secp256k1_scalar(k: &[u8]) -> bool {
    k.len() == 32 && k.iter().any(|&b| b != 0) && k < &SECP256K1_N[..]
}

/// Which finders the rules of an engine need, and for which rules.
#[derive(Debug, Default)]
pub struct Finders {
    /// `(rule index, kind)` of every rule whose kind finds itself.
    rules: Vec<(u32, Validate)>,
}

/// Per-thread scratch space of the finders.
#[derive(Debug, Default)]
pub struct Found {
    runs: Vec<usize>,
    tokens: Vec<usize>,
    arrays: Vec<usize>,
    merged: Vec<usize>,
}

impl Finders {
    /// The finders of `kinds[i]`, the validation of rule `i`.
    pub fn new(kinds: impl Iterator<Item = Option<Validate>>) -> Self {
        let rules = kinds
            .enumerate()
            .filter_map(|(i, k)| k.filter(|k| k.finds_itself()).map(|k| (i as u32, k)))
            .collect();
        Finders { rules }
    }

    /// The rules that have a finder.
    pub fn rules(&self) -> impl Iterator<Item = u32> + '_ {
        self.rules.iter().map(|&(r, _)| r)
    }

    /// Records in `hits` where each rule with a finder must look in `data`.
    pub fn scan(&self, data: &[u8], hits: &mut Hits, found: &mut Found) {
        if self.rules.is_empty() {
            return;
        }
        let wants = |f: fn(Validate) -> bool| self.rules.iter().any(|&(_, k)| f(k));
        let want_runs = wants(|k| k == Validate::Bip39);
        let want_tokens = wants(|k| matches!(k, Validate::Wif | Validate::SolanaKeypair));
        found.runs.clear();
        found.tokens.clear();
        found.arrays.clear();
        words::find(
            data,
            want_runs,
            want_tokens,
            &mut found.runs,
            &mut found.tokens,
        );
        if wants(|k| k == Validate::SolanaKeypair) {
            solana::find_arrays(data, &mut found.arrays);
        }
        for &(r, kind) in &self.rules {
            let offsets: &[usize] = match kind {
                Validate::Bip39 => &found.runs,
                Validate::SolanaKeypair => {
                    found.merged.clear();
                    found.merged.extend_from_slice(&found.tokens);
                    found.merged.extend_from_slice(&found.arrays);
                    found.merged.sort_unstable();
                    &found.merged
                }
                _ => &found.tokens,
            };
            hits.add(r, offsets);
        }
    }
}
