//! Base58check secrets, decoded and checked with the `bs58` crate: Bitcoin
//! WIF private keys, BIP-32 extended private keys, XRPL family seeds.

/// A Bitcoin WIF private key (<https://en.bitcoin.it/wiki/Wallet_import_format>):
/// base58check of version 0x80 (mainnet) or 0xEF (testnet), 32 key bytes,
/// and 0x01 for a compressed public key.
pub fn wif(s: &[u8]) -> bool {
    let Ok(p) = bs58::decode(s).with_check(None).into_vec() else {
        return false;
    };
    let version = matches!(p.first(), Some(0x80 | 0xef));
    let shape = p.len() == 33 || (p.len() == 34 && p[33] == 0x01);
    version && shape && super::secp256k1_scalar(&p[1..33])
}

/// Version bytes of BIP-32 extended private keys: `xprv`, `tprv` (BIP-32),
/// `yprv`/`uprv` and `Yprv`/`Uprv` (BIP-49), `zprv`/`vprv` and
/// `Zprv`/`Vprv` (BIP-84; SLIP-0132 registers them all).
const BIP32_PRIVATE: [[u8; 4]; 10] = [
    [0x04, 0x88, 0xad, 0xe4],
    [0x04, 0x35, 0x83, 0x94],
    [0x04, 0x9d, 0x78, 0x78],
    [0x04, 0x4a, 0x4e, 0x28],
    [0x02, 0x95, 0xb0, 0x05],
    [0x02, 0x42, 0x85, 0xb5],
    [0x04, 0xb2, 0x43, 0x0c],
    [0x04, 0x5f, 0x18, 0xbc],
    [0x02, 0xaa, 0x7a, 0x99],
    [0x02, 0x57, 0x50, 0x48],
];

/// A BIP-32 extended private key (<https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki#serialization-format>):
/// 78 bytes under base58check, a private version, a master key's (depth 0)
/// parent fingerprint and child number zero, and the key as 0x00 and 32
/// bytes in range. Extended public keys (`xpub`…) fail the version; the
/// other invalid keys of BIP-32's test vector 5 fail the rest.
pub fn bip32_private(s: &[u8]) -> bool {
    let Ok(p) = bs58::decode(s).with_check(None).into_vec() else {
        return false;
    };
    p.len() == 78
        && BIP32_PRIVATE.iter().any(|v| p[..4] == v[..])
        && (p[4] != 0 || p[5..13].iter().all(|&b| b == 0))
        && p[45] == 0
        && super::secp256k1_scalar(&p[46..78])
}

/// An XRPL family seed (<https://xrpl.org/docs/references/protocol/data-types/base58-encodings>):
/// base58check in the XRPL alphabet of 0x21 and 16 bytes (secp256k1, `s…`)
/// or 0x01 0xE1 0x4B and 16 bytes (Ed25519, `sEd…`).
pub fn xrpl_seed(s: &[u8]) -> bool {
    let Ok(p) = bs58::decode(s)
        .with_alphabet(bs58::Alphabet::RIPPLE)
        .with_check(None)
        .into_vec()
    else {
        return false;
    };
    (p.len() == 17 && p[0] == 0x21) || (p.len() == 19 && p[..3] == [0x01, 0xe1, 0x4b])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(version: &[u8], body: &[u8], alphabet: &bs58::Alphabet) -> Vec<u8> {
        let payload = [version, body].concat();
        bs58::encode(payload)
            .with_alphabet(alphabet)
            .with_check()
            .into_string()
            .into_bytes()
    }

    #[test]
    fn wif_keys_of_each_network_and_form() {
        let key = [7u8; 32];
        let b = bs58::Alphabet::BITCOIN;
        assert!(wif(&encode(&[0x80], &key, b)));
        assert!(wif(&encode(&[0x80], &[&key[..], &[1]].concat(), b)));
        assert!(wif(&encode(&[0xef], &[&key[..], &[1]].concat(), b)));
        assert!(!wif(&encode(&[0x00], &key, b)));
        assert!(!wif(&encode(&[0x80], &[0u8; 32], b)));
        let mut bad = encode(&[0x80], &key, b);
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!wif(&bad));
    }

    #[test]
    fn extended_private_keys_and_not_public_ones() {
        let body = [[0u8; 9].as_slice(), &[3u8; 32], &[0u8], &[5u8; 32]].concat();
        let xprv = encode(&[0x04, 0x88, 0xad, 0xe4], &body, bs58::Alphabet::BITCOIN);
        assert!(xprv.starts_with(b"xprv"));
        assert!(bip32_private(&xprv));
        let xpub_body = [[0u8; 9].as_slice(), &[3u8; 32], &[2u8], &[5u8; 32]].concat();
        let xpub = encode(
            &[0x04, 0x88, 0xb2, 0x1e],
            &xpub_body,
            bs58::Alphabet::BITCOIN,
        );
        assert!(xpub.starts_with(b"xpub"));
        assert!(!bip32_private(&xpub));
    }

    #[test]
    fn xrpl_seeds_of_both_key_types() {
        let r = bs58::Alphabet::RIPPLE;
        let s = encode(&[0x21], &[9u8; 16], r);
        assert_eq!(s[0], b's');
        assert!(xrpl_seed(&s));
        let ed = encode(&[0x01, 0xe1, 0x4b], &[9u8; 16], r);
        assert!(ed.starts_with(b"sEd"));
        assert!(xrpl_seed(&ed));
        // The same bytes in Bitcoin's alphabet are not an XRPL seed.
        assert!(!xrpl_seed(&encode(
            &[0x21],
            &[9u8; 16],
            bs58::Alphabet::BITCOIN
        )));
    }
}
