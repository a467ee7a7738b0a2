//! What the body of a PEM private key holds: a key whose structure parses,
//! a fragment of one (a guide's truncated excerpt), or text that cannot be
//! a key at all (`asdfasdf…`, a placeholder that happens to be base64).
//!
//! Structures, by what the body decodes to:
//! - DER (RFC 5958 PKCS#8 `PrivateKeyInfo`, RFC 8017 PKCS#1
//!   `RSAPrivateKey`, RFC 5915 SEC1 `ECPrivateKey`), parsed with RustCrypto's
//!   `pkcs8`, `pkcs1` and `sec1`; any other complete DER `SEQUENCE` (DSA
//!   keys, RFC 5958 `EncryptedPrivateKeyInfo`) is checked with `der`;
//! - OpenSSH's `openssh-key-v1` container (OpenSSH's PROTOCOL.key): its
//!   length-prefixed fields must fit the body;
//! - an OpenPGP secret-key packet (RFC 4880 §4.2, §5.5.3): its tag, length
//!   and version;
//! - legacy encrypted PEM (RFC 1421 `Proc-Type: 4,ENCRYPTED`): ciphertext,
//!   whole cipher blocks.

use der::{Decode, Reader, SliceReader};

use super::checks::base64_decode;

/// The least a private key's encoding takes, in bytes: an Ed25519 key in
/// PKCS#8 is 48 (the smallest key any rule reports).
const MIN_KEY: usize = 48;

/// What a PEM body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    /// Its structure parses as a private key (or, encrypted, as whole
    /// ciphertext of a plausible length).
    Parsed,
    /// The start of a key whose encoding says it is longer than the text
    /// holds: an excerpt ("should look something like this"), or a key cut
    /// in two. Not usable as it is; reported at low confidence.
    Fragment,
    /// Not a key in any encoding: not reported as a private key.
    NotAKey,
}

/// The shape of `body`, a PEM block's text between its armour lines as a
/// rule's `secret` group holds it: base64 lines, maybe armour headers
/// (`Proc-Type`, `DEK-Info`, `Version`), `\n` escapes, quotes, commas and
/// `+` of string concatenation, an OpenPGP `=CRC` line.
pub fn pem_shape(body: &[u8]) -> KeyShape {
    let (encrypted, b64) = clean(body);
    let Some(bytes) = base64_decode(&b64) else {
        return KeyShape::NotAKey;
    };
    if encrypted {
        // DES and AES blocks: 8 or 16 bytes.
        return match bytes.len() {
            n if n >= MIN_KEY && n % 8 == 0 => KeyShape::Parsed,
            n if n >= 16 && n % 8 == 0 => KeyShape::Fragment,
            _ => KeyShape::NotAKey,
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"openssh-key-v1\0") {
        return openssh(rest);
    }
    if let Some(shape) = pgp(&bytes) {
        return shape;
    }
    der_key(&bytes)
}

/// Whether `body` (as for [`pem_shape`]) is an encrypted key: a legacy
/// PEM whose armour headers say `Proc-Type: 4,ENCRYPTED` (RFC 1421), or an
/// `openssh-key-v1` container whose cipher is not `none` (a key saved
/// with a passphrase, OpenSSH's PROTOCOL.key). PKCS#8's `ENCRYPTED
/// PRIVATE KEY` says so in its BEGIN line, not in its body.
pub fn pem_encrypted(body: &[u8]) -> bool {
    let (encrypted, b64) = clean(body);
    if encrypted {
        return true;
    }
    // The container's magic and the cipher's name fit in the first 40
    // base64 characters.
    let head = &b64[..b64.len().min(40) & !3];
    base64_decode(head)
        .and_then(|bytes| {
            let mut r = bytes.strip_prefix(b"openssh-key-v1\0")?;
            ssh_string(&mut r).map(|cipher| cipher != b"none")
        })
        .unwrap_or(false)
}

/// Base64 text of a body, and whether its headers say it is encrypted
/// (legacy `Proc-Type: 4,ENCRYPTED`).
fn clean(body: &[u8]) -> (bool, Vec<u8>) {
    let mut text = Vec::with_capacity(body.len());
    let mut i = 0;
    // `\n`, `\\n`, `\r` escapes are line breaks.
    while i < body.len() {
        if body[i] == b'\\' {
            let mut j = i;
            while j < body.len() && body[j] == b'\\' {
                j += 1;
            }
            if j < body.len() && matches!(body[j], b'n' | b'r') {
                text.push(b'\n');
                i = j + 1;
                continue;
            }
        }
        text.push(body[i]);
        i += 1;
    }
    let mut encrypted = false;
    let mut b64 = Vec::with_capacity(text.len());
    let gap = |b: &u8| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b',');
    for line in text.split(|&b| b == b'\n') {
        let content = line.trim_ascii_start();
        let content = &content[content.iter().take_while(|b| gap(b)).count()..];
        // An armour header: `Name: value`.
        let name_len = content
            .iter()
            .take_while(|b| b.is_ascii_alphabetic() || **b == b'-')
            .count();
        if name_len > 0 && content.get(name_len) == Some(&b':') {
            encrypted |= content.windows(9).any(|w| w == b"ENCRYPTED");
            continue;
        }
        for token in line.split(gap).filter(|t| !t.is_empty()) {
            // `+` alone joins literals; `=XXXX` is OpenPGP's checksum line.
            if token == b"+" || (token.len() == 5 && token[0] == b'=') {
                continue;
            }
            b64.extend_from_slice(token);
        }
    }
    (encrypted, b64)
}

/// A DER-encoded key: PKCS#8, PKCS#1 or SEC1 that parses, another complete
/// `SEQUENCE` (DSA, encrypted PKCS#8), or a `SEQUENCE` whose length runs
/// past the text (a fragment).
fn der_key(bytes: &[u8]) -> KeyShape {
    if bytes.first() != Some(&0x30) {
        return KeyShape::NotAKey;
    }
    if bytes.len() >= MIN_KEY
        && (pkcs8::PrivateKeyInfoRef::from_der(bytes).is_ok()
            || pkcs1::RsaPrivateKeyRef::from_der(bytes).is_ok()
            || sec1::EcPrivateKey::from_der(bytes).is_ok())
    {
        return KeyShape::Parsed;
    }
    let Ok(mut reader) = SliceReader::new(bytes) else {
        return KeyShape::NotAKey;
    };
    let Ok(header) = der::Header::decode(&mut reader) else {
        return KeyShape::NotAKey;
    };
    let declared = u32::from(header.length()) as usize;
    let have = u32::from(reader.remaining_len()) as usize;
    // A SEQUENCE of SEQUENCEs and INTEGERs whose fields decode in turn.
    let fields_decode = |content: &[u8]| -> bool {
        let Ok(mut inner) = SliceReader::new(content) else {
            return false;
        };
        let mut n = 0;
        while !inner.is_finished() {
            if der::asn1::AnyRef::decode(&mut inner).is_err() {
                return false;
            }
            n += 1;
        }
        n >= 2
    };
    let start = bytes.len() - have;
    if declared == have && bytes.len() >= MIN_KEY && fields_decode(&bytes[start..]) {
        KeyShape::Parsed
    } else if declared > have && declared >= MIN_KEY {
        KeyShape::Fragment
    } else {
        KeyShape::NotAKey
    }
}

/// A big-endian uint32 read off the front of `r`.
fn ssh_u32(r: &mut &[u8]) -> Option<u32> {
    let (head, tail) = r.split_at_checked(4)?;
    *r = tail;
    Some(u32::from_be_bytes(head.try_into().ok()?))
}

/// An SSH `string` (a uint32 length, then the bytes) read off `r`.
fn ssh_string<'a>(r: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = ssh_u32(r)? as usize;
    let (head, tail) = r.split_at_checked(n)?;
    *r = tail;
    Some(head)
}

/// After `openssh-key-v1\0`: string cipher, string KDF, string KDF
/// options, uint32 key count, that many public-key strings, string private
/// section, padded to the cipher's block size (8 when not encrypted)
/// (OpenSSH's PROTOCOL.key). A field that runs past the text: a fragment.
fn openssh(mut r: &[u8]) -> KeyShape {
    let shape = (|| {
        for _ in 0..3 {
            ssh_string(&mut r)?;
        }
        let count = ssh_u32(&mut r)?;
        if count == 0 || count > 16 {
            return Some(KeyShape::NotAKey);
        }
        for _ in 0..count {
            ssh_string(&mut r)?;
        }
        let private = ssh_string(&mut r)?;
        Some(if private.len() >= 8 && private.len() % 8 == 0 {
            KeyShape::Parsed
        } else {
            KeyShape::NotAKey
        })
    })();
    shape.unwrap_or(KeyShape::Fragment)
}

/// An OpenPGP secret-key or secret-subkey packet (tags 5 and 7), in the
/// old or the new packet format (RFC 4880 §4.2): `None` when the first
/// byte is no such packet.
fn pgp(bytes: &[u8]) -> Option<KeyShape> {
    let first = *bytes.first()?;
    let (tag, len, header) = if first & 0xC0 == 0xC0 {
        let tag = first & 0x3F;
        let (len, header) = match *bytes.get(1)? as usize {
            n @ 0..192 => (n, 2),
            n @ 192..224 => (((n - 192) << 8) + *bytes.get(2)? as usize + 192, 3),
            255 => (
                u32::from_be_bytes(bytes.get(2..6)?.try_into().ok()?) as usize,
                6,
            ),
            _ => return Some(KeyShape::NotAKey),
        };
        (tag, len, header)
    } else if first & 0xC0 == 0x80 {
        let tag = (first >> 2) & 0x0F;
        let (len, header) = match first & 3 {
            0 => (*bytes.get(1)? as usize, 2),
            1 => (
                u16::from_be_bytes(bytes.get(1..3)?.try_into().ok()?) as usize,
                3,
            ),
            2 => (
                u32::from_be_bytes(bytes.get(1..5)?.try_into().ok()?) as usize,
                5,
            ),
            _ => return Some(KeyShape::NotAKey),
        };
        (tag, len, header)
    } else {
        return None;
    };
    if tag != 5 && tag != 7 {
        return None;
    }
    let version = bytes.get(header).copied();
    Some(match version {
        Some(3..=6) if bytes.len() >= header + len && len >= MIN_KEY => KeyShape::Parsed,
        Some(3..=6) => KeyShape::Fragment,
        _ => KeyShape::NotAKey,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::examples::base64_encode;

    /// An RFC 8410 Ed25519 key in PKCS#8: 48 bytes.
    fn ed25519(seed: u8) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend((0..32).map(|i| seed.wrapping_mul(31).wrapping_add(i * 7)));
        der
    }

    fn lines(b64: &str) -> String {
        b64.as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_pkcs8_key_parses_in_every_idiom() {
        let b64 = base64_encode(&ed25519(3));
        assert_eq!(pem_shape(b64.as_bytes()), KeyShape::Parsed);
        let split = format!("{}\\n\" +\n  \"{}", &b64[..30], &b64[30..]);
        assert_eq!(pem_shape(split.as_bytes()), KeyShape::Parsed);
    }

    #[test]
    fn keyboard_mash_is_not_a_key() {
        let mash = b"asdfasdfasdfasdfasdfasdfasdfasdfasdfasdfasdfas";
        assert_eq!(pem_shape(mash), KeyShape::NotAKey);
        assert_eq!(pem_shape(b"YOUR_PRIVATE_KEY_HERE"), KeyShape::NotAKey);
    }

    #[test]
    fn a_truncated_rsa_excerpt_is_a_fragment() {
        // SEQUENCE of 1188 bytes, version 0, a 257-byte modulus: cut short.
        let mut der = vec![
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01,
        ];
        der.extend((0..120u8).map(|i| i.wrapping_mul(37)));
        let b64 = lines(&base64_encode(&der));
        assert_eq!(pem_shape(b64.as_bytes()), KeyShape::Fragment);
    }

    #[test]
    fn legacy_encrypted_bodies_are_whole_blocks() {
        let body = format!(
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n{}",
            lines(&base64_encode(&[7u8; 96]))
        );
        assert_eq!(pem_shape(body.as_bytes()), KeyShape::Parsed);
    }

    #[test]
    fn encrypted_bodies_are_told_apart() {
        let legacy = format!(
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n{}",
            lines(&base64_encode(&[7u8; 64]))
        );
        assert!(pem_encrypted(legacy.as_bytes()));
        let container = |cipher: &[u8]| {
            let mut b = b"openssh-key-v1\0".to_vec();
            b.extend_from_slice(&(cipher.len() as u32).to_be_bytes());
            b.extend_from_slice(cipher);
            b.extend_from_slice(&[0; 40]);
            lines(&base64_encode(&b))
        };
        assert!(pem_encrypted(container(b"aes256-ctr").as_bytes()));
        assert!(!pem_encrypted(container(b"none").as_bytes()));
        assert!(!pem_encrypted(
            lines(&base64_encode(&ed25519(3))).as_bytes()
        ));
    }

    #[test]
    fn openssh_containers_must_hold_their_fields() {
        let key = crate::rules::examples::Fake::new(1)
            .key_der("openssh-ed25519")
            .unwrap();
        let whole = base64_encode(&key);
        assert_eq!(pem_shape(whole.as_bytes()), KeyShape::Parsed);
        let cut = base64_encode(&key[..120]);
        assert_eq!(pem_shape(cut.as_bytes()), KeyShape::Fragment);
    }

    #[test]
    fn pgp_secret_key_packets_are_recognised() {
        let mut packet = vec![0xC5, 0x58, 0x04];
        packet.extend([9u8; 87]);
        let body = format!("{}\n={}", base64_encode(&packet), "AbCd");
        assert_eq!(pem_shape(body.as_bytes()), KeyShape::Parsed);
        let cut = base64_encode(&packet[..40]);
        assert_eq!(pem_shape(cut.as_bytes()), KeyShape::Fragment);
    }
}
