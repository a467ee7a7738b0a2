//! Snippets: the secret's line with a little context, every secret in it
//! masked unless secrets are shown.

use std::borrow::Cow;

use crate::detectors::Match;
use crate::detectors::checks::{entropy, is_wordy, looks_like_identifier};

use super::{Reveal, redact};

/// Context kept around a secret in snippets (characters), and the bytes
/// read to find them (4 bytes per character at most).
pub(super) const SNIPPET_BEFORE: usize = 80;
pub(super) const SNIPPET_AFTER: usize = 60;

/// The last `n` characters of `s`, with `…` if cut.
pub(super) fn clip_start(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        return s.to_string();
    }
    let mut out = String::from("…");
    out.extend(s.chars().skip(count - n));
    out
}

/// The first `n` characters of `s`, with `…` if cut.
pub(super) fn clip_end(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n).collect();
    out.push('…');
    out
}

/// How a match's secret is displayed.
pub(super) fn shown(data: &[u8], m: &Match, reveal: Reveal) -> String {
    let raw = m.decoded.as_deref().unwrap_or(&data[m.start..m.end]);
    let text = String::from_utf8_lossy(raw);
    match reveal {
        Reveal::Redacted => redact(&text),
        Reveal::Shown => text.into_owned(),
    }
}

/// Snippet context masks what looks like a secret though no rule reported
/// it (the other half of a pair a rule missed, a token of an unknown
/// service): runs of at least this many characters of `A-Z a-z 0-9 + / _ -`
/// (with trailing `=` padding)...
const TOKEN_MIN: usize = 16;
/// ...whose Shannon entropy, in bits per character, is at least the
/// generic rule's `min-entropy` (rules/generic.toml), unless they read as
/// words or an identifier as that rule says (`BINANCE_API_SECRET`,
/// `docs/binance_setup`).
const TOKEN_ENTROPY: f64 = 3.5;

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-')
}

/// `text` with every secret-shaped token in it redacted as secrets are.
pub(super) fn mask_tokens(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let (mut last, mut i) = (0, 0);
    while i < bytes.len() {
        if !token_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && token_byte(bytes[i]) {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == b'=' {
            i += 1;
        }
        let run = &bytes[start..i];
        if run.len() >= TOKEN_MIN
            && entropy(run) >= TOKEN_ENTROPY
            && !is_wordy(run)
            && !looks_like_identifier(run)
        {
            out.push_str(&text[last..start]);
            out.push_str(&redact(&text[start..i]));
            last = i;
        }
    }
    if last == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Text around secrets in a snippet: secret-shaped tokens masked unless
/// secrets are shown.
fn context(bytes: &[u8], reveal: Reveal) -> String {
    let text = String::from_utf8_lossy(bytes);
    match reveal {
        Reveal::Redacted => mask_tokens(&text).into_owned(),
        Reveal::Shown => text.into_owned(),
    }
}

/// `data[from..to]` as text, with every secret in it masked: a line can hold
/// more than one (`Client("key", "secret")`), and what looks like a secret
/// no rule reported is masked too (see [`TOKEN_MIN`]).
pub(super) fn masked(
    data: &[u8],
    from: usize,
    to: usize,
    matches: &[Match],
    reveal: Reveal,
) -> String {
    let mut out = String::new();
    let mut at = from;
    let first = matches.partition_point(|m| m.end <= from);
    for m in matches[first..].iter().take_while(|m| m.start < to) {
        // Secrets decoded from one encoded text share its span.
        if m.end <= at {
            continue;
        }
        if m.start > at {
            out.push_str(&context(&data[at..m.start], reveal));
        }
        out.push_str(&shown(data, m, reveal));
        at = at.max(m.end);
    }
    if at < to {
        out.push_str(&context(&data[at..to], reveal));
    }
    out
}

/// Moves `at` forward to the start of a UTF-8 character.
pub(super) fn char_boundary(data: &[u8], mut at: usize, limit: usize) -> usize {
    while at < limit && (data[at] & 0xC0) == 0x80 {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_shaped_tokens_are_masked_names_and_words_are_not() {
        let token = crate::rules::examples::Fake::new(7).alnum(40);
        let line =
            format!("client = Client(BINANCE_API_KEY, backup={token}) # see docs/binance_setup.md");
        let shown = mask_tokens(&line);
        assert_eq!(
            shown,
            format!(
                "client = Client(BINANCE_API_KEY, backup={}…) # see docs/binance_setup.md",
                &token[..4]
            )
        );
        // Base64 with its padding, as one token.
        let b64 = format!("{}==", &token[..30]);
        assert_eq!(
            mask_tokens(&format!("x {b64} y")),
            format!("x {}… y", &token[..4])
        );
        // The threshold is the generic rule's.
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let generic = rules.get("generic-secret").unwrap();
        assert_eq!(generic.spec.min_entropy, Some(TOKEN_ENTROPY));
        // Short or flat runs stay.
        for plain in [
            "0123456789abcdef",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "pkcs8_priv_key_info_st",
        ] {
            assert_eq!(mask_tokens(plain), plain);
        }
    }
}
