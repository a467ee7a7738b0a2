//! BIP-39 mnemonics (<https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki>):
//! the word lists and the checksum come from the `bip39` crate (looked up
//! through [`super::lists`]); this file only finds runs of list words in
//! text, cheaply.
//!
//! A *word* is a maximal run of 3 to 9 ASCII letters with no digit or `_`
//! touching it; a *gap* between two words is 1 to [`MAX_GAP`] bytes of
//! whitespace, quotes, `,`, `.`, `(`, `)`, `[`, `]`, `-` and digits, starts
//! and ends with one of the non-digits, and holds at least one whitespace,
//! quote or comma (`border-left`, `os.path` and `f(x` join identifiers,
//! they do not separate words). So every idiom people write a phrase in is
//! one run: a quoted string, a Python/JS list (`["w1", "w2"]`), one word
//! per line, a YAML list (`- w1`), a numbered list (`1. w1`). The rule's
//! regex (rules/wallets.toml) matches a superset; [`super::phrase`]
//! applies this definition. Words joined by one `-` and nothing else
//! (`egg-depth-…`) are a run too, a *hyphen chain*.

use super::lists::languages_of;

pub(super) const MIN_WORD: usize = 3;
pub(super) const MAX_WORD: usize = 9;
/// Longest gap between two words of a phrase (`",\n            "` in an
/// indented JSON list is 16).
pub const MAX_GAP: usize = 40;
/// A mnemonic has 12, 15, 18, 21 or 24 words.
pub const LENGTHS: [usize; 5] = [24, 21, 18, 15, 12];
pub(super) const MIN_WORDS: usize = 12;
/// A run of more list words than this is a word list, not a phrase.
pub(super) const MAX_RUN: usize = 48;

pub(super) const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const UNDERSCORE: u8 = 4;
const SEP: u8 = 8;
/// Separators that end an identifier: whitespace, quotes, comma.
const STRONG: u8 = 16;
pub(super) const WORD_CHAR: u8 = LETTER | DIGIT | UNDERSCORE;

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphabetic() {
            LETTER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b == b'_' {
            UNDERSCORE
        } else if matches!(
            b,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b'"' | b'\'' | b'`' | b','
        ) {
            SEP | STRONG
        } else if matches!(b, b'.' | b'(' | b')' | b'[' | b']' | b'-') {
            SEP
        } else {
            0
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

pub(super) fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

/// The word-char token holding `p`: `(start, end)`. Reads eight bytes at
/// a time ([`word_bytes`]), so a token's end costs no mispredicted loop
/// exit.
pub(super) fn token(data: &[u8], p: usize) -> (usize, usize) {
    let mut s = p;
    loop {
        let Some(chunk) = s.checked_sub(8).and_then(|a| data.get(a..s)) else {
            while s > 0 && class(data[s - 1]) & WORD_CHAR != 0 {
                s -= 1;
            }
            break;
        };
        let other = !word_bytes(u64::from_le_bytes(chunk.try_into().unwrap())) & HIGH;
        if other != 0 {
            s -= other.leading_zeros() as usize / 8;
            break;
        }
        s -= 8;
    }
    let mut e = p;
    loop {
        let Some(chunk) = data.get(e..e + 8) else {
            while e < data.len() && class(data[e]) & WORD_CHAR != 0 {
                e += 1;
            }
            break;
        };
        let other = !word_bytes(u64::from_le_bytes(chunk.try_into().unwrap())) & HIGH;
        if other != 0 {
            e += other.trailing_zeros() as usize / 8;
            break;
        }
        e += 8;
    }
    (s, e)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` set where the byte is in `lo..=hi`
/// (`hi` < 0x80; bytes from 0x80 never are): per-byte sums that cannot
/// carry into the next byte ("has between" in Sean Anderson's Bit
/// Twiddling Hacks).
const fn bytes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let low7 = x & !HIGH;
    let at_most_hi = ONES * (128 + hi as u64) - low7;
    let at_least_lo = low7 + ONES * (128 - lo as u64);
    at_most_hi & at_least_lo & !x & HIGH
}

/// The high bit of each byte of `x` set where the byte is a [`WORD_CHAR`]
/// (as [`class`] says, eight bytes at once).
const fn word_bytes(x: u64) -> u64 {
    bytes_in(x | (ONES * 0x20), b'a', b'z') | bytes_in(x, b'0', b'9') | bytes_in(x, b'_', b'_')
}

pub(super) fn letters_only(t: &[u8]) -> bool {
    t.iter().all(|&b| class(b) == LETTER)
}

/// The list word starting at `at` (a letter after a gap byte), if any.
fn word_at(data: &[u8], at: usize) -> Option<(usize, usize, u8)> {
    let (s, e) = token(data, at);
    let w = &data[s..e];
    (s == at && letters_only(w))
        .then(|| languages_of(w))
        .filter(|&m| m != 0)
        .map(|m| (s, e, m))
}

/// How a word is joined to the next in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// A gap as defined above.
    Gap,
    /// One `-` between two words (`egg-depth-…`).
    Hyphen,
}

/// The list word before the word starting at `s`, across a valid gap or
/// one hyphen: `(start, end, link)`.
pub(super) fn prev_word(data: &[u8], s: usize) -> Option<(usize, usize, Link)> {
    if s == 0 || class(data[s - 1]) & SEP == 0 {
        return None;
    }
    if s >= 2 && data[s - 1] == b'-' && class(data[s - 2]) == LETTER {
        let (ws, we) = token(data, s - 2);
        let w = &data[ws..we];
        return (we == s - 1 && letters_only(w) && languages_of(w) != 0).then_some((
            ws,
            we,
            Link::Hyphen,
        ));
    }
    let lo = s.saturating_sub(MAX_GAP);
    let mut q = s - 1;
    while q > lo && class(data[q - 1]) & (SEP | DIGIT) != 0 {
        q -= 1;
    }
    // `q` is the gap's first byte; before it must sit a letter, and the gap
    // must not start with a digit.
    if q == 0 || class(data[q - 1]) != LETTER {
        return None;
    }
    if class(data[q]) & SEP == 0 || !data[q..s].iter().any(|&b| class(b) & STRONG != 0) {
        return None;
    }
    let (ws, we) = token(data, q - 1);
    let w = &data[ws..we];
    (letters_only(w) && we == q && languages_of(w) != 0).then_some((ws, we, Link::Gap))
}

/// The list word after the word ending at `e`, across a valid gap or one
/// hyphen: `(start, end, link)`.
pub(super) fn next_word(data: &[u8], e: usize) -> Option<(usize, usize, Link)> {
    if e >= data.len() || class(data[e]) & SEP == 0 {
        return None;
    }
    if data[e] == b'-' && e + 1 < data.len() && class(data[e + 1]) == LETTER {
        return word_at(data, e + 1).map(|(s, e, _)| (s, e, Link::Hyphen));
    }
    let hi = (e + MAX_GAP).min(data.len());
    let mut q = e;
    while q < hi && class(data[q]) & (SEP | DIGIT) != 0 {
        q += 1;
    }
    if q >= data.len()
        || class(data[q]) != LETTER
        || class(data[q - 1]) & SEP == 0
        || !data[e..q].iter().any(|&b| class(b) & STRONG != 0)
    {
        return None;
    }
    word_at(data, q).map(|(s, e, _)| (s, e, Link::Gap))
}

/// How many bytes apart the finder looks: no run of 12 words (12 words of
/// 3 letters and 11 gaps: 47 bytes at least) and no base58 candidate (51
/// characters at least) fits between two samples, so each holds one.
pub const STRIDE: usize = 47;

/// Shapes of base58 tokens worth checking: a WIF key (51 or 52 characters
/// starting with 5, K, L, 9 or c), 64 bytes of a Solana keypair (86 to 88
/// characters).
fn base58_candidate(t: &[u8]) -> bool {
    let ok = match t.len() {
        51..=52 => matches!(t[0], b'5' | b'K' | b'L' | b'9' | b'c'),
        86..=88 => true,
        _ => false,
    };
    ok && !t.contains(&b'_')
}

/// Where mnemonics and base58 tokens may be: the start of every run of
/// 12 or more list words (`runs`) and of every base58 candidate token
/// (`tokens`), in ascending order, never missing one.
///
/// It reads one position and what surrounds it: a run or a token covering
/// that position is found from it; otherwise the token (or the gap and the
/// word after it) there is shown to be in none, and the next position is
/// [`STRIDE`] bytes past its end, where anything starting after it must
/// reach. A text without list words costs a token and a Bloom-filter
/// look-up every 47 bytes or more (every 54 on the stdlib's text).
pub fn find(
    data: &[u8],
    want_runs: bool,
    want_tokens: bool,
    runs: &mut Vec<usize>,
    tokens: &mut Vec<usize>,
) {
    // Every run or candidate token starts after `b` once no run or token
    // covers a position up to `b` (a word, token or gap found at a sample
    // and shown to be none, or a run's end): one starting in the next
    // stride covers `b + STRIDE`, the next sample.
    let mut p = STRIDE - 1;
    while p < data.len() {
        let c = class(data[p]);
        let mut resume = p + STRIDE;
        if c & WORD_CHAR != 0 {
            let (s, e) = token(data, p);
            let t = &data[s..e];
            // No run or token covers the token's bytes or the one after
            // it, a separator; found ones are followed past their end.
            resume = e + STRIDE;
            if want_tokens && base58_candidate(t) {
                tokens.push(s);
            }
            if want_runs {
                if (MIN_WORD..=MAX_WORD).contains(&t.len()) && letters_only(t) {
                    if languages_of(t) != 0 {
                        resume = resume.max(expand(data, s, runs) + STRIDE);
                    }
                } else if t.iter().all(|&b| class(b) == DIGIT) {
                    resume = from_gap(data, p, runs, want_tokens.then_some(&mut *tokens));
                }
            }
        } else if want_runs && c & SEP != 0 {
            resume = from_gap(data, p, runs, want_tokens.then_some(&mut *tokens));
        }
        p = resume;
    }
}

/// From a position in a gap: the run through the next word, if any, and
/// the token after the gap in `tokens` (when given) if it is a base58
/// candidate. Returns the next sample position: past the run, or past the
/// token after the gap when that is no list word (no run then covers the
/// gap).
fn from_gap(
    data: &[u8],
    p: usize,
    runs: &mut Vec<usize>,
    tokens: Option<&mut Vec<usize>>,
) -> usize {
    let hi = (p + MAX_GAP).min(data.len());
    let mut q = p;
    while q < hi && class(data[q]) & (SEP | DIGIT) != 0 {
        q += 1;
    }
    if q < data.len() && q > 0 && class(data[q]) == LETTER && class(data[q - 1]) & SEP != 0 {
        return match word_at(data, q) {
            Some((s, _, _)) => expand(data, s, runs) + STRIDE,
            None => {
                // Jumping past the token skips it: record it here when it
                // is a base58 candidate.
                let (s, e) = token(data, q);
                if let Some(tokens) = tokens.filter(|_| base58_candidate(&data[s..e])) {
                    tokens.push(s);
                }
                e + STRIDE
            }
        };
    }
    p + STRIDE
}

/// The maximal run of list words through the word at `s`; when it has 12
/// words or more, records its start and the first word of each of its
/// other lines (the rule's windows are lines around these: every phrase
/// of a run of many lines is searched). Returns its end.
fn expand(data: &[u8], s: usize, runs: &mut Vec<usize>) -> usize {
    let mut start = s;
    while let Some((ps, _, _)) = prev_word(data, start) {
        start = ps;
    }
    let recorded = runs.len();
    let fresh = runs.last().is_none_or(|&l| l < start);
    if fresh {
        runs.push(start);
    }
    let (mut end, mut n) = (token(data, start).1, 1);
    while let Some((ns, ne, _)) = next_word(data, end) {
        if fresh && memchr::memchr(b'\n', &data[end..ns]).is_some() {
            runs.push(ns);
        }
        end = ne;
        n += 1;
    }
    if n < MIN_WORDS {
        runs.truncate(recorded);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::wallet::phrase::tests::phrase;

    /// The slow way: every run of 12+ list words, by a plain tokenisation.
    fn reference_runs(data: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            if class(data[i]) == LETTER
                && (i == 0 || class(data[i - 1]) & WORD_CHAR == 0)
                && let Some((s, e, _)) = word_at(data, i)
                && (e == data.len() || class(data[e]) & WORD_CHAR == 0)
            {
                let (mut end, mut n) = (e, 1);
                let first = prev_word(data, s).is_none();
                let mut lines = vec![s];
                while let Some((ns, ne, _)) = next_word(data, end) {
                    if data[end..ns].contains(&b'\n') {
                        lines.push(ns);
                    }
                    end = ne;
                    n += 1;
                }
                if first && n >= MIN_WORDS {
                    out.extend(lines);
                }
                i = e;
                continue;
            }
            i += 1;
        }
        out
    }

    #[test]
    fn eight_bytes_at_a_time_classify_as_the_table_does() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let x =
                    u64::from_le_bytes(std::array::from_fn(|i| if i == pos { b } else { b'=' }));
                let want = if class(b) & WORD_CHAR != 0 {
                    0x80 << (8 * pos)
                } else {
                    0
                };
                assert_eq!(word_bytes(x), want, "byte {b:#x} at {pos}");
            }
        }
        let data = b"a_1 -x9yz__ab.\n\xffQ longer_identifier_of_many_bytes+end";
        for p in 0..data.len() {
            let mut s = p;
            while s > 0 && class(data[s - 1]) & WORD_CHAR != 0 {
                s -= 1;
            }
            let mut e = p;
            while e < data.len() && class(data[e]) & WORD_CHAR != 0 {
                e += 1;
            }
            assert_eq!(token(data, p), (s, e), "at {p}");
        }
    }

    #[test]
    fn every_idiom_is_one_run() {
        let p = phrase(1, 12);
        let words: Vec<&str> = p.split(' ').collect();
        let idioms = [
            format!("mnemonic = \"{p}\"\n"),
            format!(
                "seed = [{}]\n",
                words
                    .iter()
                    .map(|w| format!("'{w}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("{}\n", words.join("\n")),
            format!(
                "words:\n{}",
                words
                    .iter()
                    .map(|w| format!("  - {w}\n"))
                    .collect::<String>()
            ),
            words
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{}. {w}\n", i + 1))
                .collect::<String>(),
        ];
        for text in idioms {
            for pad in 0..STRIDE {
                let data = format!("{}{text}", "#".repeat(pad));
                let (mut runs, mut tokens) = (Vec::new(), Vec::new());
                find(data.as_bytes(), true, false, &mut runs, &mut tokens);
                assert_eq!(runs, reference_runs(data.as_bytes()), "{data}");
                assert!(!runs.is_empty(), "{data}");
                let (s, e, canon) =
                    super::super::phrase::mnemonic(data.as_bytes(), runs[0], data.len()).unwrap();
                assert_eq!(canon, p.as_bytes());
                assert!(e > s);
            }
        }
    }

    #[test]
    fn the_shortest_runs_are_found_wherever_they_start() {
        // Twelve 3-letter list words and single spaces: 47 bytes, the
        // stride; after identifiers, numbers and gaps of every length.
        let run = "act add age aim air all any arm art ask bag bar";
        assert_eq!(run.len(), STRIDE);
        let prefixes = [
            ("x", ";"),
            ("_", " "),
            (" ", ""),
            ("9", " "),
            ("(1) ", ""),
            ("ab;", ""),
            ("(", " qqqq;"),
            ("(", " zoo able;"),
            ("zoo able;", ""),
        ];
        after_every_prefix(&prefixes, run, |data, runs, _| {
            assert_eq!(runs, reference_runs(data.as_bytes()), "{data}");
            assert_eq!(runs.len(), 1, "{data}");
        });
    }

    /// Runs the finder on `body` after `fill` repeated 0 to 93 times and
    /// then `last`, for each `(fill, last)`: `check(text, runs, tokens)`.
    fn after_every_prefix(
        prefixes: &[(&str, &str)],
        body: &str,
        check: impl Fn(&str, &[usize], &[usize]),
    ) {
        for pad in 0..2 * STRIDE {
            for (fill, last) in prefixes {
                let data = format!("{}{last}{body};", fill.repeat(pad));
                let (mut runs, mut tokens) = (Vec::new(), Vec::new());
                find(data.as_bytes(), true, true, &mut runs, &mut tokens);
                check(&data, &runs, &tokens);
            }
        }
    }

    /// A base58 token (51 characters, the shortest candidate) after every
    /// kind of gap, at every offset: a sample in the gap must not jump
    /// past it.
    #[test]
    fn base58_tokens_after_a_gap_are_found_wherever_they_start() {
        let token: String = std::iter::once('L')
            .chain(
                (1..51).map(|i| b"abcdefghijkmnopqrstuvwxyzABCDEFGH23456789"[i * 7 % 41] as char),
            )
            .collect();
        let prefixes = [
            ("#", "\n"),
            ("#", " key = \""),
            ("#", " 1. "),
            ("x;", "- "),
            ("(", "'"),
            ("9 ", ""),
            ("zoo ", "["),
        ];
        after_every_prefix(&prefixes, &token, |data, _, tokens| {
            assert_eq!(tokens, [data.len() - 52], "{data}");
        });
    }

    #[test]
    fn sampled_finder_agrees_with_the_slow_way_on_mixed_text() {
        // Text with list words, short runs, numbers and phrases of each length.
        let mut text = String::new();
        // Base58-shaped tokens of candidate lengths and just outside them,
        // next to identifiers long and short.
        let b58 = |n: usize, first: char| {
            let mut t = String::from(first);
            t.extend(
                (1..n).map(|i| b"abcdefghijkmnopqrstuvwxyzABCDEFGH23456789"[i * 7 % 41] as char),
            );
            t
        };
        for (i, n) in [12, 15, 18, 21, 24].into_iter().enumerate() {
            text.push_str("the cat sat on a mat, abandon ability able about 42 zoo\n");
            text.push_str(&format!("phrase_{i}: \"{}\"\n", phrase(i as u8 + 3, n)));
            text.push_str("x = [1, 2, 3] # access account accuse achieve acid acoustic\n");
            text.push_str(&format!(
                "wif = '{}' # {} self.assertEqual(a_long_identifier_name, {})\n",
                b58(51 + i % 2, 'K'),
                b58(50, '5'),
                b58(86 + i % 3, 'x')
            ));
        }
        let data = text.as_bytes();
        for skip in 0..STRIDE {
            let d = &data[skip..];
            let (mut runs, mut tokens) = (Vec::new(), Vec::new());
            find(d, true, true, &mut runs, &mut tokens);
            assert_eq!(runs, reference_runs(d), "skip {skip}");
            let mut want = Vec::new();
            let mut i = 0;
            while i < d.len() {
                if class(d[i]) & WORD_CHAR == 0 {
                    i += 1;
                    continue;
                }
                let (s, e) = token(d, i);
                if base58_candidate(&d[s..e]) {
                    want.push(s);
                }
                i = e;
            }
            assert_eq!(tokens, want, "skip {skip}");
            assert_eq!(want.len(), 10, "skip {skip}");
        }
    }
}
