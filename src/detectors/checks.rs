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
        // Case-blind: `AB1C2defGHijkLMNo` is an alphabet in disguise.
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
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
        // A contiguous NFA builds in a fraction of a DFA's time, and values
        // are short: the build dominates.
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
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

/// Shortest value in which a placeholder word can be chance: generated
/// keys and secrets are 24 characters or more (Binance's are 64).
const GENERATED_LEN: usize = 24;

/// Bits per character above which a value is random text of a wide
/// alphabet (64 characters of WordPress's salt alphabet: about 5.7).
const WIDE_ENTROPY: f64 = 5.0;

/// Longest word that occurs by chance in a generated value: a given
/// 8-letter word turns up in a 64-character key about once in 10^10. A
/// longer stopword found in a value was put there (or listed) on purpose.
const CHANCE_WORD: usize = 7;

/// True when the placeholder words found at `spans` (byte ranges of `s`)
/// all occur by chance inside a generated value rather than saying what
/// the value is. A 64-character random secret holds `mock`, `fake`,
/// `secret` or `xxx` in some case about once in a few thousand keys; a
/// placeholder has the word as the value or most of it (`mock-secret-1`,
/// `your_api_secret`, `AKIAI44QH8DHBEXAMPLE`). By chance means: the value is
/// long enough to be generated, the words take less than a quarter of it,
/// each is [`CHANCE_WORD`] characters or fewer and sits among the value's own characters (letters or
/// digits beside it, or the value's end; no `_`, `-`, `.` or space beside it; a
/// template mark such as `<` or `${` only inside a value of
/// [`WIDE_ENTROPY`]), and what is left is random (no words, 3.5 bits per
/// character or more).
pub fn words_by_chance(s: &[u8], spans: &[(usize, usize)]) -> bool {
    if s.len() < GENERATED_LEN || spans.is_empty() {
        return false;
    }
    let covered: usize = spans.iter().map(|&(a, b)| b - a).sum();
    if covered * 4 >= s.len() {
        return false;
    }
    let embedded = spans.iter().all(|&(a, b)| {
        if b - a > CHANCE_WORD {
            return false;
        }
        let word = &s[a..b];
        if word.iter().all(u8::is_ascii_alphanumeric) {
            // Documentation marks a sample in capitals inside a mixed-case
            // value (AWS's `…EXAMPLE…`); chance mixes the word's case too.
            // Only a word too long for chance in capitals: `MOCK`, `TOKEN`
            // or `SECRET` turn up in capitals as often as in lower case.
            let shouted = word.iter().all(|c| !c.is_ascii_lowercase())
                && word.iter().filter(|c| c.is_ascii_alphabetic()).count() >= CHANCE_WORD
                && s.iter().any(u8::is_ascii_lowercase);
            // At either end of the value a word is chance too (`mockQ3…`),
            // unless a separator sets it apart (`mock-…`, `…_fake`).
            !shouted
                && (a == 0 || s[a - 1].is_ascii_alphanumeric())
                && (b == s.len() || s[b].is_ascii_alphanumeric())
                && (a > 0 || b < s.len())
        } else {
            // Template marks (`<`, `${`, `...`) are chance only in the
            // dense random text of a wide alphabet (WordPress salts); a
            // longer mark only inside it (`…` or `...` at the end is a
            // truncated sample).
            entropy(s) >= WIDE_ENTROPY && (word.len() == 1 || (a > 0 && b < s.len()))
        }
    });
    if !embedded {
        return false;
    }
    let mut rest = Vec::with_capacity(s.len());
    let mut at = 0;
    for &(a, b) in spans {
        rest.extend_from_slice(&s[at..a]);
        at = b;
    }
    rest.extend_from_slice(&s[at..]);
    entropy(&rest) >= 3.5 && !is_wordy(&rest)
}

/// True when `reject` says this value is not a secret.
pub fn rejects(reject: Reject, s: &[u8]) -> bool {
    match reject {
        Reject::Hex => is_hex(s),
        Reject::Uuid => is_uuid(s),
        Reject::Words => is_wordy(s),
        Reject::Identifier => looks_like_identifier(s),
        Reject::EncodedText => encodes_text(s),
    }
}

fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decodes standard or URL-safe base64 (padding optional); `None` if `s`
/// is not base64.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in s {
        acc = (acc << 6) | b64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Base64 that decodes to readable text with structure or words (encoded
/// JSON, pagination cursors, `base64("MyVerifierString")`): an encoding of
/// something, not a generated key. Base64 of a random key stays a secret.
pub fn encodes_text(s: &[u8]) -> bool {
    if s.len() < 16 {
        return false;
    }
    let Some(decoded) = base64_decode(s) else {
        return false;
    };
    let printable = decoded
        .iter()
        .filter(|&&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t' || b == b'\r')
        .count();
    if decoded.len() < 8 || printable * 20 < decoded.len() * 19 {
        return false;
    }
    decoded
        .iter()
        .any(|&b| matches!(b, b' ' | b'{' | b'"' | b'\n' | b':' | b','))
        || !decoded.iter().any(u8::is_ascii_digit)
        || is_wordy(&decoded)
        || entropy(&decoded) < 3.0
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
    if digits * 8 >= s.len() {
        return false;
    }
    is_wordy(s) || is_snake_case(s)
}

/// `pkcs8_priv_key_info_st`, `API_KEY_FILE_PATH`: one case, two or more
/// underscores between runs of letters.
fn is_snake_case(s: &[u8]) -> bool {
    let one_case = !(s.iter().any(u8::is_ascii_lowercase) && s.iter().any(u8::is_ascii_uppercase));
    let parts = s.split(|&b| b == b'_').filter(|p| !p.is_empty()).count();
    one_case && parts >= 3 && s.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::examples::{Fake, base64_encode, expand};

    /// A Binance-shaped fake key (generated: no key sits in the source).
    fn key() -> String {
        Fake::new(1).alnum(64)
    }

    /// An AWS-secret-shaped fake value.
    fn aws_like() -> String {
        expand("{{b64:40}}", &mut Fake::new(2))
    }

    #[test]
    fn entropy_of_uniform_and_constant_strings() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(entropy(key().as_bytes()) > 4.5);
    }

    #[test]
    fn hex_and_uuid_shapes() {
        assert!(is_hex(
            b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ));
        assert!(is_hex(b"0xdeadBEEF"));
        assert!(!is_hex(&key().as_bytes()[..10]));
        assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid(b"123e4567-e89b-12d3-a456-42661417400"));
    }

    #[test]
    fn sequences_and_repeats() {
        assert!(has_sequence(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            7
        ));
        assert!(has_sequence(b"XXXXXXXXXXXXXXXX", 7));
        assert!(!has_sequence(key().as_bytes(), 7));
    }

    #[test]
    fn words_versus_random() {
        assert!(is_wordy(b"Tr4d1ng-Passphrase"));
        assert!(is_wordy(b"your_api_key_here"));
        assert!(!is_wordy(key().as_bytes()));
        assert!(!is_wordy(aws_like().as_bytes()));
    }

    #[test]
    fn base64_of_text_is_not_a_secret() {
        assert_eq!(base64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGVsbG8").unwrap(), b"hello");
        assert!(encodes_text(
            b"eyJOZXh0VG9rZW4iOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAyfQ=="
        ));
        assert!(encodes_text(b"TXlWZXJpZmllclN0cmluZw"));
        // base64 of a random 64-character key: still a secret.
        assert!(!encodes_text(base64_encode(key().as_bytes()).as_bytes()));
        assert!(!encodes_text(aws_like().as_bytes()));
    }

    /// Issue 10, failing input 9: a placeholder word inside a generated
    /// value is chance; the word as the value or most of it is a placeholder.
    #[test]
    fn placeholder_words_by_chance_or_by_design() {
        let spans = |s: &str, w: &str| -> Vec<(usize, usize)> {
            let lower = s.to_ascii_lowercase();
            lower
                .match_indices(w)
                .map(|(i, m)| (i, i + m.len()))
                .collect()
        };
        let k = key();
        let words = ["mock", "fAkE", "Dummy", "example", "secret", "xxxx"];
        let upper = ["MOCK", "FAKE", "DUMMY", "TOKEN", "SECRET", "XXXXX"];
        for word in words.iter().chain(&upper) {
            // In the middle, at the start and at the end of the value.
            for at in [30, 0, k.len() - word.len()] {
                let s = format!("{}{word}{}", &k[..at], &k[at + word.len()..]);
                assert!(
                    words_by_chance(s.as_bytes(), &spans(&s, &word.to_ascii_lowercase())),
                    "{s}"
                );
            }
        }
        for (s, w) in [
            ("mock-secret-1", "mock"),
            ("your_api_secret_here_please_1234", "secret"),
            ("AKIAI44QH8DHBEXAMPLE00000", "example"),
            ("sk_live_example_4eC39HqLyjWDarjtT1zdp7dc", "example"),
            ("fakefakefakefakefakefake1234", "fake"),
            ("mysecretmysecretkey1234567890", "secret"),
            ("9drTJvcXLB89EXAMPLELB8923FB892xMFI", "example"),
        ] {
            assert!(!words_by_chance(s.as_bytes(), &spans(s, w)), "{s}");
        }
    }

    #[test]
    fn identifiers_versus_values() {
        assert!(looks_like_identifier(b"pkcs8_priv_key_info_st"));
        assert!(looks_like_identifier(b"self.api_secret"));
        assert!(looks_like_identifier(b"BINANCE_API_SECRET"));
        assert!(!looks_like_identifier(key().as_bytes()));
    }
}
