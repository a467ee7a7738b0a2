//! Rule examples are templates: `{{alnum:64}}` stands for 64 random
//! letters and digits. Fake keys are generated when examples are checked,
//! so no secret-shaped string sits in plain text in this repository (and
//! `keyhound scan .` on its own source stays quiet).
//!
//! Kinds: `alnum` (mixes upper, lower and digits), `lower`, `upper`,
//! `digits`, `hex`, `HEX`, `b64`, `b64url`, `django` (the alphabet of
//! Django's secret keys), and without a length `uuid`, `login` (a
//! `user:password` pair, as HTTP Basic and Docker's `auth` encode it) and
//! `pem-ed25519` (a whole PEM block). `{{b64of:KIND:N}}` is the base64 of
//! such a value, as Kubernetes secrets hold them.

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
            "uuid" => self.uuid(),
            "login" => format!("{}:{}", self.string(LOWER, 8), self.alnum(20)),
            "pem-ed25519" => format!(
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI{}\n-----END PRIVATE KEY-----\n",
                self.string(B64, 43)
            ),
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
    fn same_seed_same_output() {
        let a = expand("{{b64:40}}", &mut Fake::from_str_seed("r1"));
        let b = expand("{{b64:40}}", &mut Fake::from_str_seed("r1"));
        assert_eq!(a, b);
    }
}
