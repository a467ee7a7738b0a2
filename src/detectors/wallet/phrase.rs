//! Which runs of list words are BIP-39 mnemonics
//! (<https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki>): the
//! checksum decides, and where a phrase may start and end keeps its 1 in
//! 16 (12 words) to 1 in 256 (24 words) chance of passing by luck from
//! adding up over long runs of list words. Words and gaps are as
//! [`super::words`] defines them.

use bip39::{Language, Mnemonic};

use super::lists::LANGUAGES;
use super::words::{
    LENGTHS, LETTER, Link, MAX_RUN, MIN_WORDS, WORD_CHAR, class, letters_only, next_word,
    prev_word, token,
};

/// Most words read back from a rule's match to the start of its run.
const MAX_BACK: usize = 4096;

/// How a word is written: a phrase keeps one case throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Lower,
    Upper,
    /// `Ginger Begin Message …`
    Title,
    /// Anything else (`iPhone`): never part of a phrase.
    Mixed,
}

fn case_of(w: &[u8]) -> Case {
    if w.iter().all(u8::is_ascii_lowercase) {
        Case::Lower
    } else if w.iter().all(u8::is_ascii_uppercase) {
        Case::Upper
    } else if w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_lowercase) {
        Case::Title
    } else {
        Case::Mixed
    }
}

/// A word of the text, and how it is joined to the next one.
struct Word {
    start: usize,
    end: usize,
    lower: String,
    case: Case,
    /// The join to the next word, if it is a list word across a valid gap
    /// or a hyphen, in the same case.
    link: Option<Link>,
    /// Whether the gap to the next word ends a line or a string (a line
    /// break, or a closing and an opening quote): a phrase may end before
    /// it and start after it.
    boundary_after: bool,
}

/// The first mnemonic starting in `data[start..end]` (text the rule's
/// regex matched, starting at a word) whose checksum holds: `(start, end,
/// canonical)`, offsets in `data`, canonical the lowercase words joined by
/// one space.
///
/// The words are read in runs (per language, words of one case joined by
/// gaps; the run through `start` is read from its first word, before
/// `start`). A run's *pieces* are split where a line or a string ends. A
/// window of 12, 15, 18, 21 or 24 words is a candidate when it
/// - touches either end of a run of at most 48 words (a phrase written
///   one word per line or as a list of quoted words, or in prose), or
/// - touches either end of a piece of at most 48 words (a phrase on a line
///   of its own or in a string of its own, among others);
///
/// in a run longer than 48 words (a word list, a dictionary), only pieces
/// that are whole phrases count, and only when every piece has a phrase's
/// length and at least half of them pass the checksum (a file of seed
/// phrases, one a line; a list of 12 words a line passes 1 line in 16).
/// A hyphen-joined chain of list words (`egg-depth-…`) is a candidate when
/// the whole chain is. Words in list order (an excerpt of the list itself)
/// and words repeated more than twice (`blue blue blue…`, code's lists of
/// names) are no phrase: a generated one has a repeat in 3% of 12-word
/// phrases.
pub fn mnemonic(data: &[u8], start: usize, end: usize) -> Option<(usize, usize, Vec<u8>)> {
    let mut from = start;
    for _ in 0..MAX_BACK {
        match prev_word(data, from) {
            Some((s, _, Link::Gap)) => from = s,
            _ => break,
        }
    }
    let words = words_of(data, from, end);
    type Key = (usize, bool, usize);
    let mut best: Option<(Key, usize, Vec<u8>)> = None;
    for lang in LANGUAGES {
        let in_list =
            |k: usize| words[k].case != Case::Mixed && lang.find_word(&words[k].lower).is_some();
        // At one start, a window that is a whole piece (a line, a string)
        // wins, then the longest.
        let mut consider = |a: usize, b: usize, piece: bool| {
            let key = (words[a].start, !piece, usize::MAX - (b - a));
            if key.0 >= start
                && best.as_ref().is_none_or(|x| key < x.0)
                && valid(lang, &words[a..b])
            {
                let canonical = words[a..b]
                    .iter()
                    .map(|w| w.lower.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                best = Some((key, words[b - 1].end, canonical.into_bytes()));
            }
        };
        let mut i = 0;
        while i < words.len() {
            if !in_list(i) {
                i += 1;
                continue;
            }
            let kind = words[i].link;
            let mut j = i + 1;
            while j < words.len() && words[j - 1].link == kind && kind.is_some() && in_list(j) {
                j += 1;
            }
            if kind == Some(Link::Hyphen) {
                // A chain is a phrase as a whole, and only when no other
                // word is joined to it (`x-egg-…`, `…-zoo-1`).
                let joined = |at: usize| {
                    at < data.len() && (class(data[at]) & WORD_CHAR != 0 || data[at] == b'-')
                };
                let open = words[i].start > 0 && joined(words[i].start - 1);
                if LENGTHS.contains(&(j - i)) && !open && !joined(words[j - 1].end) {
                    consider(i, j, true);
                }
            } else if j - i >= MIN_WORDS {
                candidates(&words[i..j], lang, &mut |a, b, piece| {
                    consider(i + a, i + b, piece)
                });
            }
            i = j.max(i + 1);
        }
    }
    best.map(|(key, e, c)| (key.0, e, c))
}

/// Calls `try_window(a, b)` for the candidate windows of `run` (see
/// [`mnemonic`]), words linked by gaps.
/// `try_window(a, b, piece)`: `piece` when the window is a whole piece.
fn candidates(run: &[Word], lang: Language, try_window: &mut dyn FnMut(usize, usize, bool)) {
    let n = run.len();
    let mut pieces = Vec::new();
    let mut a = 0;
    for (k, w) in run.iter().enumerate() {
        if k + 1 == n || w.boundary_after {
            pieces.push((a, k + 1));
            a = k + 1;
        }
    }
    let touching = |from: usize, to: usize, f: &mut dyn FnMut(usize, usize, bool)| {
        for len in LENGTHS.into_iter().filter(|&l| l <= to - from) {
            f(from, from + len, pieces.contains(&(from, from + len)));
            f(to - len, to, pieces.contains(&(to - len, to)));
        }
    };
    if n <= MAX_RUN {
        touching(0, n, try_window);
        for &(a, b) in &pieces {
            if (MIN_WORDS..=MAX_RUN).contains(&(b - a)) {
                touching(a, b, try_window);
            }
        }
        return;
    }
    if !pieces.iter().all(|&(a, b)| LENGTHS.contains(&(b - a))) {
        return;
    }
    let passing = pieces
        .iter()
        .filter(|&&(a, b)| valid(lang, &run[a..b]))
        .count();
    if passing * 2 >= pieces.len() {
        for &(a, b) in &pieces {
            try_window(a, b, true);
        }
    }
}

/// The letter words of `data[from..to]`, with their links.
fn words_of(data: &[u8], from: usize, to: usize) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut i = from;
    while i < to {
        if class(data[i]) & WORD_CHAR == 0 {
            i += 1;
            continue;
        }
        let (s, e) = token(data, i);
        let w = &data[s..e];
        if s >= from && e <= to && letters_only(w) {
            out.push(Word {
                start: s,
                end: e,
                lower: String::from_utf8_lossy(w).to_ascii_lowercase(),
                case: case_of(w),
                link: None,
                boundary_after: false,
            });
        }
        i = e;
    }
    for k in 0..out.len().saturating_sub(1) {
        let (e, next) = (out[k].end, out[k + 1].start);
        if out[k].case == out[k + 1].case
            && let Some((s, _, link)) = next_word(data, e)
            && s == next
        {
            out[k].link = Some(link);
            let gap = &data[e..next];
            out[k].boundary_after = gap.contains(&b'\n')
                || gap
                    .iter()
                    .filter(|&&b| matches!(b, b'"' | b'\'' | b'`'))
                    .count()
                    >= 2;
        }
    }
    debug_assert!(out.iter().all(|w| class(data[w.start]) == LETTER));
    out
}

fn valid(lang: Language, words: &[Word]) -> bool {
    let indices: Vec<u16> = words
        .iter()
        .filter_map(|w| lang.find_word(&w.lower))
        .collect();
    if indices.len() != words.len() || indices.windows(2).all(|w| w[0] < w[1]) {
        return false;
    }
    let mut distinct = indices.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() + 2 < indices.len() {
        return false;
    }
    let phrase = words
        .iter()
        .map(|w| w.lower.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Mnemonic::parse_in_normalized(lang, &phrase).is_ok()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A valid English mnemonic of `words` words, a different one for each
    /// `seed` (the wallet finder's tests use it too).
    pub(crate) fn phrase(seed: u8, words: usize) -> String {
        let entropy: Vec<u8> = (0..words * 4 / 3)
            .map(|i| {
                seed.wrapping_mul(31)
                    .wrapping_add((i as u8).wrapping_mul(97))
                    .wrapping_add(seed)
            })
            .collect();
        Mnemonic::from_entropy(&entropy).unwrap().to_string()
    }

    fn first(text: &str) -> Option<String> {
        mnemonic(text.as_bytes(), 0, text.len()).map(|(_, _, c)| String::from_utf8(c).unwrap())
    }

    /// Every phrase of `text`, as the engine finds them: the first, then
    /// the first after it.
    fn all(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some((_, e, c)) = mnemonic(text.as_bytes(), at, text.len()) {
            out.push(String::from_utf8(c).unwrap());
            at = e;
        }
        out
    }

    fn phrase_valid(words: &str) -> bool {
        mnemonic(words.as_bytes(), 0, words.len())
            .is_some_and(|(s, e, _)| (s, e) == (0, words.len()))
    }

    #[test]
    fn checksum_and_word_list_checks() {
        let p = phrase(9, 12);
        assert_eq!(first(&p).as_deref(), Some(p.as_str()));
        // The last word changed: the checksum fails (one in 16 would pass,
        // so pick a replacement that fails).
        let mut words: Vec<&str> = p.split(' ').collect();
        let last = words.pop().unwrap();
        let wrong = Language::English
            .word_list()
            .iter()
            .find(|w| **w != last && !phrase_valid(&format!("{} {w}", words.join(" "))))
            .unwrap();
        words.push(wrong);
        assert!(first(&words.join(" ")).is_none());
        // The list itself, in order, is not a phrase.
        let list = Language::English.word_list()[..12].join(" ");
        assert!(first(&list).is_none());
        // Code's lists of names: repeats, identifiers joined by `.`, mixed
        // case (found in pyc string tables and CSS keyword lists).
        for n in 0..16 {
            let blue = format!("'{}'", vec!["blue"; 11 + n].join("'\n'"));
            assert!(first(&blue).is_none(), "{blue}");
        }
        let p = phrase(10, 12);
        let dots = p.replace(' ', ".");
        assert!(first(&dots).is_none(), "{dots}");
        // With a capitalised first word the phrase is 11 words: no phrase.
        let mixed = p.replacen(p.split(' ').next().unwrap(), "File", 1);
        assert!(first(&mixed).is_none());
    }

    #[test]
    fn every_phrase_of_a_file_of_phrases() {
        let phrases: Vec<String> = (0..5).map(|i| phrase(20 + i, 12)).collect();
        let lines = phrases.join("\n");
        let list = format!(
            "SEEDS = [\n{}\n]\n",
            phrases
                .iter()
                .map(|p| format!("    \"{p}\","))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let json = format!(
            "[{}]",
            phrases
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for text in [&lines, &list, &json] {
            assert_eq!(all(text), phrases, "{text}");
        }
        // Two phrases of 24 and 12 words one word a line.
        let (a, b) = (phrase(30, 24), phrase(31, 12));
        let text = format!("{}\n{}\n", a.replace(' ', "\n"), b.replace(' ', "\n"));
        assert_eq!(all(&text), [a, b]);
    }

    #[test]
    fn long_runs_of_list_words_are_word_lists() {
        // 12 words a line, 40 lines of list words: about 1 line in 16
        // passes the checksum, which is a word list's rate, not a file of
        // phrases'.
        let list = Language::English.word_list();
        let text: String = (0..40)
            .map(|l| {
                (0..12)
                    .map(|k| list[(l * 389 + k * 1031) % 2048])
                    .collect::<Vec<_>>()
                    .join(" ")
                    + "\n"
            })
            .collect();
        assert!(all(&text).is_empty());
        // The whole list, one word a line or 16 a line.
        assert!(all(&list.join("\n")).is_empty());
        let rows: Vec<String> = list.chunks(16).map(|c| c.join(" ")).collect();
        assert!(all(&rows.join("\n")).is_empty());
    }

    #[test]
    fn capitalised_and_hyphen_joined_phrases() {
        let p = phrase(11, 12);
        let title: Vec<String> = p
            .split(' ')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect();
        let title = title.join(" ");
        assert_eq!(first(&title).as_deref(), Some(p.as_str()));
        let hyphens = format!("MNEMONIC={}\n", p.replace(' ', "-"));
        assert_eq!(first(&hyphens).as_deref(), Some(p.as_str()));
        // A chain inside a longer identifier is none.
        for text in [
            format!("x-{}", p.replace(' ', "-")),
            format!("{}-1", p.replace(' ', "-")),
            format!("{}_x", p.replace(' ', "-")),
        ] {
            assert!(first(&text).is_none(), "{text}");
        }
    }
}
