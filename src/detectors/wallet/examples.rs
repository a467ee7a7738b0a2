//! Wallet secrets for rule examples and tests, made at run time from a
//! [`Fake`] generator so that no secret-shaped literal sits in the
//! repository: `{{bip39:12}}`, `{{wif}}`, `{{xprv}}`… (see [`example`]).

use bip39::{Language, Mnemonic};
use ring::signature::KeyPair;

use crate::rules::examples::Fake;

/// Bytes that are a valid secp256k1 key (first byte below 0xff).
fn key(fake: &mut Fake) -> Vec<u8> {
    let mut k = fake.bytes(32);
    k[0] &= 0x7f;
    k[31] |= 1;
    k
}

fn base58check(version: &[u8], body: &[u8], alphabet: &bs58::Alphabet) -> String {
    bs58::encode([version, body].concat())
        .with_alphabet(alphabet)
        .with_check()
        .into_string()
}

/// A BIP-32 extended key: depth 3, a parent fingerprint, child 0, a chain
/// code and `key_data` (0x00 and a private key, or a public key).
fn extended(version: [u8; 4], key_data: &[u8], fake: &mut Fake) -> String {
    let body = [
        &[3u8][..],
        &fake.bytes(4),
        &[0, 0, 0, 0],
        &fake.bytes(32),
        key_data,
    ]
    .concat();
    base58check(&version, &body, bs58::Alphabet::BITCOIN)
}

fn mnemonic(n: usize, fake: &mut Fake) -> Vec<&'static str> {
    let entropy = fake.bytes(n * 4 / 3);
    Mnemonic::from_entropy(&entropy)
        .expect("12 to 24 words")
        .words()
        .collect()
}

/// A Solana keypair: a seed and its Ed25519 public key.
fn solana(fake: &mut Fake) -> Vec<u8> {
    let seed = fake.bytes(32);
    let kp = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).expect("32 bytes");
    [&seed[..], kp.public_key().as_ref()].concat()
}

/// The value of placeholder `kind` (with `n` words for mnemonics):
///
/// - `bip39:N` N words (12…24) joined by spaces, `bip39-lines:N` one per
///   line, `bip39-list:N` quoted and comma-separated, `bip39-yaml:N` a
///   YAML list, `bip39-numbered:N` a numbered list, `bip39-bad:N` a
///   phrase whose last word breaks the checksum;
/// - `wif`, `wif-testnet`: compressed WIF keys; `wif-uncompressed`;
///   `wif-bad` one whose checksum fails;
/// - `xprv`, `tprv`, `zprv` and `xpub`: BIP-32 extended keys;
/// - `xrpl-seed`, `xrpl-seed-ed25519`;
/// - `solana-json` (an `id.json` array), `solana-b58`; `solana-bad` and
///   `solana-b58-bad`, 64 random bytes that are no keypair.
pub fn example(kind: &str, n: usize, fake: &mut Fake) -> Option<String> {
    let b = bs58::Alphabet::BITCOIN;
    Some(match kind {
        "bip39" => mnemonic(n, fake).join(" "),
        "bip39-lines" => mnemonic(n, fake).join("\n"),
        "bip39-list" => mnemonic(n, fake)
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(", "),
        "bip39-yaml" => mnemonic(n, fake)
            .iter()
            .map(|w| format!("  - {w}\n"))
            .collect(),
        "bip39-numbered" => mnemonic(n, fake)
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{}. {w}\n", i + 1))
            .collect(),
        "bip39-bad" => {
            let mut words = mnemonic(n, fake);
            let list = Language::English.word_list();
            let last = list
                .iter()
                .position(|w| *w == words[n - 1])
                .expect("a list word");
            for step in 1..list.len() {
                words[n - 1] = list[(last + step) % list.len()];
                if Mnemonic::parse_in_normalized(Language::English, &words.join(" ")).is_err() {
                    break;
                }
            }
            words.join(" ")
        }
        "wif" => base58check(&[0x80], &[key(fake), vec![1]].concat(), b),
        "wif-uncompressed" => base58check(&[0x80], &key(fake), b),
        "wif-bad" => {
            let good = base58check(&[0x80], &[key(fake), vec![1]].concat(), b);
            let mut bytes = good.into_bytes();
            bytes[20] = if bytes[20] == b'a' { b'b' } else { b'a' };
            String::from_utf8(bytes).expect("ASCII")
        }
        "wif-testnet" => base58check(&[0xef], &[key(fake), vec![1]].concat(), b),
        "xprv" => extended(
            [0x04, 0x88, 0xad, 0xe4],
            &[vec![0], key(fake)].concat(),
            fake,
        ),
        "tprv" => extended(
            [0x04, 0x35, 0x83, 0x94],
            &[vec![0], key(fake)].concat(),
            fake,
        ),
        "zprv" => extended(
            [0x04, 0xb2, 0x43, 0x0c],
            &[vec![0], key(fake)].concat(),
            fake,
        ),
        "xpub" => extended(
            [0x04, 0x88, 0xb2, 0x1e],
            &[vec![2], key(fake)].concat(),
            fake,
        ),
        "xrpl-seed" => base58check(&[0x21], &fake.bytes(16), bs58::Alphabet::RIPPLE),
        "xrpl-seed-ed25519" => {
            base58check(&[0x01, 0xe1, 0x4b], &fake.bytes(16), bs58::Alphabet::RIPPLE)
        }
        "solana-json" => format!("{:?}", solana(fake)).replace(' ', ""),
        "solana-b58" => bs58::encode(solana(fake)).into_string(),
        "solana-bad" => format!("{:?}", fake.bytes(64)).replace(' ', ""),
        "solana-b58-bad" => bs58::encode(fake.bytes(64)).into_string(),
        _ => return None,
    })
}
