//! Rule examples are templates: `{{alnum:64}}` stands for 64 random
//! letters and digits. Fake keys are generated when examples are checked,
//! so no secret-shaped string sits in plain text in this repository (and
//! `keyhound scan .` on its own source stays quiet).
//!
//! Kinds: `alnum` (mixes upper, lower and digits), `lower`, `upper`,
//! `digits`, `hex`, `HEX`, `b64`, `b64url`, `django` (the alphabet of
//! Django's secret keys), `salt` (WordPress's), and without a length `uuid`,
//! `login` (a `user:password` pair, as HTTP Basic and Docker's `auth`
//! encode it), `pem-ed25519` (a whole PEM block), and the base64 bodies
//! (64-character lines) of private keys whose structure parses
//! (`crate::detectors::keys`): `rsa-pkcs1`, `rsa-pkcs8`, `ec-sec1`,
//! `ec-pkcs8`, `dsa`, `openssh-ed25519` (`{{ec-sec1:N}}`: lines of N
//! characters, one line for N past the body's length). `{{b64of:KIND:N}}` is the base64
//! of such a value, as Kubernetes secrets hold them. Wallet secrets
//! (`{{bip39:12}}`, `{{wif}}`, `{{xprv}}`, `{{xrpl-seed}}`,
//! `{{solana-json}}`…) are valid ones, checksums included: see
//! `detectors::wallet::examples`.

/// A deterministic generator (SplitMix64): same seed, same examples.
#[derive(Debug, Clone)]
pub struct Fake(u64);

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The alphabet of WordPress's salts (`wp_generate_password(64, true, true)`).
const SALT: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|";
/// The alphabet of Django's `get_random_secret_key`.
const DJANGO: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";

impl Fake {
    pub fn new(seed: u64) -> Self {
        Fake(seed)
    }

    /// Seeded from a string (a rule id and example number, say).
    pub fn from_str_seed(s: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in s.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Fake(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` characters from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }

    /// Letters and digits, with at least one upper, lower and digit (for n ≥ 3).
    pub fn alnum(&mut self, n: usize) -> String {
        loop {
            let s = self.string(ALNUM, n);
            let b = s.as_bytes();
            if n < 3
                || (b.iter().any(u8::is_ascii_uppercase)
                    && b.iter().any(u8::is_ascii_lowercase)
                    && b.iter().any(u8::is_ascii_digit))
            {
                return s;
            }
        }
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    pub fn uuid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.string(HEX, 8),
            self.string(HEX, 4),
            self.string(HEX, 4),
            self.string(HEX, 4),
            self.string(HEX, 12)
        )
    }

    fn kind(&mut self, kind: &str, n: usize) -> Option<String> {
        Some(match kind {
            "alnum" => self.alnum(n),
            "lower" => self.string(LOWER, n),
            "upper" => self.string(UPPER, n),
            "digits" => self.string(DIGITS, n),
            "hex" => self.string(HEX, n),
            "HEX" => self.string(HEX_UPPER, n),
            "b64" => self.string(B64, n),
            "b64url" => self.string(B64URL, n),
            "django" => self.string(DJANGO, n),
            "salt" => self.string(SALT, n),
            "uuid" => self.uuid(),
            "rsa-pkcs1" | "rsa-pkcs8" | "ec-sec1" | "ec-pkcs8" | "dsa" | "openssh-ed25519" => {
                let der = self.key_der(kind)?;
                let b64 = base64_encode(&der);
                // Lines of 64 characters, or of N with `{{KIND:N}}`.
                b64.as_bytes()
                    .chunks(if n == 0 { 64 } else { n })
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            "login" => format!("{}:{}", self.string(LOWER, 8), self.alnum(20)),
            "pem-ed25519" => format!(
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI{}\n-----END PRIVATE KEY-----\n",
                self.string(B64, 43)
            ),
            _ => return crate::detectors::wallet::examples::example(kind, n, self),
        })
    }

    /// The encoding of a fake private key of `kind` whose structure is a
    /// key's, with random numbers: PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2,
    /// 2048 bits), PKCS#8 `PrivateKeyInfo` (RFC 5958) around it or around a
    /// SEC1 `ECPrivateKey` (RFC 5915, P-256), a DSA key (six INTEGERs, as
    /// OpenSSL writes them), an `openssh-key-v1` container (OpenSSH's
    /// PROTOCOL.key) of an Ed25519 key. Not a working key: nothing signs
    /// with it.
    pub fn key_der(&mut self, kind: &str) -> Option<Vec<u8>> {
        const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        const EC_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        const P256_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let mut int = |f: &mut Fake, n: usize| {
            let mut b: Vec<u8> = (0..n).map(|_| f.next() as u8).collect();
            b[0] |= 0x80;
            b.insert(0, 0);
            tlv(0x02, &b)
        };
        let rsa = |f: &mut Fake, int: &mut dyn FnMut(&mut Fake, usize) -> Vec<u8>| {
            let mut body = tlv(0x02, &[0]);
            body.extend(int(f, 256));
            body.extend(tlv(0x02, &[1, 0, 1]));
            body.extend(int(f, 256));
            for _ in 0..5 {
                body.extend(int(f, 128));
            }
            tlv(0x30, &body)
        };
        let ec = |f: &mut Fake, params: bool| {
            let mut body = tlv(0x02, &[1]);
            body.extend(tlv(
                0x04,
                &(0..32).map(|_| f.next() as u8).collect::<Vec<_>>(),
            ));
            if params {
                body.extend(tlv(0xa0, &tlv(0x06, P256_OID)));
            }
            let mut point = vec![0, 4];
            point.extend((0..64).map(|_| f.next() as u8));
            body.extend(tlv(0xa1, &tlv(0x03, &point)));
            tlv(0x30, &body)
        };
        let pkcs8 = |algorithm: Vec<u8>, key: Vec<u8>| {
            let mut body = tlv(0x02, &[0]);
            body.extend(tlv(0x30, &algorithm));
            body.extend(tlv(0x04, &key));
            tlv(0x30, &body)
        };
        Some(match kind {
            "rsa-pkcs1" => rsa(self, &mut int),
            "rsa-pkcs8" => {
                let mut alg = tlv(0x06, RSA_OID);
                alg.extend(tlv(0x05, &[]));
                pkcs8(alg, rsa(self, &mut int))
            }
            "ec-sec1" => ec(self, true),
            "ec-pkcs8" => {
                let mut alg = tlv(0x06, EC_OID);
                alg.extend(tlv(0x06, P256_OID));
                pkcs8(alg, ec(self, false))
            }
            "dsa" => {
                let mut body = tlv(0x02, &[0]);
                for n in [128, 20, 128, 128, 20] {
                    body.extend(int(self, n));
                }
                tlv(0x30, &body)
            }
            "openssh-ed25519" => {
                let mut key = b"openssh-key-v1\0".to_vec();
                let string = |k: &mut Vec<u8>, s: &[u8]| {
                    k.extend((s.len() as u32).to_be_bytes());
                    k.extend_from_slice(s);
                };
                string(&mut key, b"none");
                string(&mut key, b"none");
                string(&mut key, b"");
                key.extend(1u32.to_be_bytes());
                let public: Vec<u8> = (0..32).map(|_| self.next() as u8).collect();
                let mut blob = Vec::new();
                string(&mut blob, b"ssh-ed25519");
                string(&mut blob, &public);
                string(&mut key, &blob);
                let check = self.next() as u32;
                let mut private = Vec::new();
                private.extend(check.to_be_bytes());
                private.extend(check.to_be_bytes());
                private.extend_from_slice(&blob);
                let secret: Vec<u8> = (0..32).map(|_| self.next() as u8).collect();
                string(&mut private, &[secret, public].concat());
                string(&mut private, b"fake@keyhound");
                let pad = (8 - private.len() % 8) % 8;
                private.extend((1..=pad as u8).collect::<Vec<_>>());
                string(&mut key, &private);
                key
            }
            _ => return None,
        })
    }

    /// `KIND:N`, `KIND`, or `b64of:KIND[:N]`.
    fn placeholder(&mut self, spec: &str) -> Option<String> {
        if let Some(inner) = spec.strip_prefix("b64of:") {
            return self.placeholder(inner).map(|v| base64_encode(v.as_bytes()));
        }
        let (kind, n) = match spec.split_once(':') {
            Some((k, n)) => (k, n.parse().ok()?),
            None => (spec, 0),
        };
        self.kind(kind, n)
    }
}

/// A DER tag-length-value (X.690 §8.1): `tag`, the definite length of
/// `content` in short or long form, `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let n = content.len();
    let mut out = vec![tag];
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Expands every `{{kind:N}}` placeholder in `template`. Unknown
/// placeholders are left as they are.
pub fn expand(template: &str, fake: &mut Fake) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(len) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match fake.placeholder(&after[..len]) {
            Some(s) => out.push_str(&s),
            None => out.push_str(&rest[start..start + 4 + len]),
        }
        rest = &after[len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand_to_their_shape() {
        let mut f = Fake::new(1);
        let s = expand("key={{alnum:64}};id={{uuid}};h={{HEX:32}}", &mut f);
        let key = &s[4..68];
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(key.bytes().any(|b| b.is_ascii_digit()));
        assert!(s.contains(";id="));
        assert_eq!(s.len(), 4 + 64 + 4 + 36 + 3 + 32);
    }

    #[test]
    fn unknown_placeholders_stay() {
        let mut f = Fake::new(1);
        assert_eq!(expand("a {{nope:3}} b {{x", &mut f), "a {{nope:3}} b {{x");
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_encode(b"-----BEGIN"), "LS0tLS1CRUdJTg==");
        let mut f = Fake::new(3);
        let s = expand("{{b64of:pem-ed25519}}", &mut f);
        let back = crate::detectors::checks::base64_decode(s.as_bytes()).unwrap();
        assert!(back.starts_with(b"-----BEGIN PRIVATE KEY-----\nMC4CAQ"));
    }

    #[test]
    fn fake_keys_parse_as_keys() {
        use crate::detectors::keys::{KeyShape, pem_shape};
        let mut f = Fake::new(5);
        for kind in [
            "rsa-pkcs1",
            "rsa-pkcs8",
            "ec-sec1",
            "ec-pkcs8",
            "dsa",
            "openssh-ed25519",
        ] {
            let body = expand(&format!("{{{{{kind}}}}}"), &mut f);
            assert!(body.lines().all(|l| l.len() <= 64), "{kind}");
            assert_eq!(pem_shape(body.as_bytes()), KeyShape::Parsed, "{kind}");
        }
    }

    #[test]
    fn same_seed_same_output() {
        let a = expand("{{b64:40}}", &mut Fake::from_str_seed("r1"));
        let b = expand("{{b64:40}}", &mut Fake::from_str_seed("r1"));
        assert_eq!(a, b);
    }
}
