//! Value checks: is this string random enough, and shaped like a secret?

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::spec::{CharClass, Reject};

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

pub fn has_class(s: &[u8], class: CharClass) -> bool {
    match class {
        CharClass::Upper => s.iter().any(u8::is_ascii_uppercase),
        CharClass::Lower => s.iter().any(u8::is_ascii_lowercase),
        CharClass::Digit => s.iter().any(u8::is_ascii_digit),
    }
}

/// Hexadecimal only (an optional `0x` aside), as digests and hashes are.
pub fn is_hex(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"0x").unwrap_or(s);
    !s.is_empty() && s.iter().all(u8::is_ascii_hexdigit)
}

/// `8-4-4-4-12` hexadecimal groups.
pub fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A run of `n` or more steps through the alphabet or digits (`abcdefg`,
/// `1234567`, `zyxwvut`) or of one repeated character: test data, not keys.
pub fn has_sequence(s: &[u8], n: usize) -> bool {
    let (mut up, mut down, mut same) = (1, 1, 1);
    for w in s.windows(2) {
        let (a, b) = (w[0], w[1]);
        let alnum = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
        up = if alnum && b == a.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && a == b.wrapping_add(1) {
            down + 1
        } else {
            1
        };
        same = if a == b { same + 1 } else { 1 };
        if up >= n || down >= n || same >= n {
            return true;
        }
    }
    false
}

fn dictionary() -> &'static AhoCorasick {
    static DICT: OnceLock<AhoCorasick> = OnceLock::new();
    DICT.get_or_init(|| {
        let words = include_str!("words.txt").lines().filter(|w| !w.is_empty());
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(words)
            .expect("word list builds")
    })
}

/// Share of the value's letters that belong to dictionary words.
pub fn word_coverage(s: &[u8]) -> f64 {
    let letters = s.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 {
        return 0.0;
    }
    let covered: usize = dictionary().find_iter(s).map(|m| m.len()).sum();
    covered as f64 / letters as f64
}

/// Reads like words or an identifier: `Tr4ding-Passphrase`, `api_key_prod`.
pub fn is_wordy(s: &[u8]) -> bool {
    word_coverage(s) >= 0.5
}

/// True when `reject` says this value is not a secret.
pub fn rejects(reject: Reject, s: &[u8]) -> bool {
    match reject {
        Reject::Hex => is_hex(s),
        Reject::Uuid => is_uuid(s),
        Reject::Words => is_wordy(s),
        Reject::Identifier => looks_like_identifier(s),
    }
}

/// A dotted or snake/camel-case name rather than a value: `config.api_key`,
/// `self.secretKey`, `API_SECRET`, `getToken`.
pub fn looks_like_identifier(s: &[u8]) -> bool {
    let Some(&first) = s.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return false;
    }
    if !s
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'-'))
    {
        return false;
    }
    let digits = s.iter().filter(|b| b.is_ascii_digit()).count();
    // Generated values are dense in digits; names have few.
    digits * 8 < s.len() && is_wordy(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_constant_strings() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(entropy(b"laFeVHE634kGX0XZpnrfcnmLeRFkGVgKvDaGi3MwOiiSOD3XnBbYkDDttrnAx5vv") > 4.5);
    }

    #[test]
    fn hex_and_uuid_shapes() {
        assert!(is_hex(
            b"983ba998fbc7791791cceff2232d0a877bc9a2c93959d5327cb741faaf6180c9"
        ));
        assert!(is_hex(b"0xdeadBEEF"));
        assert!(!is_hex(b"laFeVHE634"));
        assert!(is_uuid(b"21d5044e-1972-a67e-73f4-c5e2ffc556f8"));
        assert!(!is_uuid(b"21d5044e-1972-a67e-73f4-c5e2ffc556f"));
    }

    #[test]
    fn sequences_and_repeats() {
        assert!(has_sequence(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            7
        ));
        assert!(has_sequence(b"XXXXXXXXXXXXXXXX", 7));
        assert!(!has_sequence(
            b"laFeVHE634kGX0XZpnrfcnmLeRFkGVgKvDaGi3MwOiiSOD3XnBbYkDDttrnAx5vv",
            7
        ));
    }

    #[test]
    fn words_versus_random() {
        assert!(is_wordy(b"Tr4d1ng-Passphrase"));
        assert!(is_wordy(b"your_api_key_here"));
        assert!(!is_wordy(
            b"laFeVHE634kGX0XZpnrfcnmLeRFkGVgKvDaGi3MwOiiSOD3XnBbYkDDttrnAx5vv"
        ));
        assert!(!is_wordy(b"6slUhGsCGTjhlfG/I9SAS4HNbIVig751Rlbdc7Uz"));
    }

    #[test]
    fn identifiers_versus_values() {
        assert!(looks_like_identifier(b"self.api_secret"));
        assert!(looks_like_identifier(b"BINANCE_API_SECRET"));
        assert!(!looks_like_identifier(
            b"laFeVHE634kGX0XZpnrfcnmLeRFkGVgKvDaGi3MwOiiSOD3XnBbYkDDttrnAx5vv"
        ));
    }
}
