//! Findings: a match turned into something to report, with its location,
//! a redacted secret and a stable fingerprint. The raw secret never leaves
//! this module unless the user asked for it with `--show-secrets`.

use std::borrow::Cow;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::detectors::Match;
use crate::detectors::checks::{entropy, is_wordy, looks_like_identifier};
pub use crate::pairs::{mark_pairs, note_silenced};
use crate::rules::{Rule, Severity};

/// Where in git a finding comes from (git scans only).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Provenance {
    pub commit: String,
    pub author: String,
    /// RFC 3339 author date: when the change was written.
    pub date: String,
    /// History audits: RFC 3339 committer date, when the commit was made
    /// (a rebase or cherry-pick makes it later than `date`). The audit
    /// orders a secret's introductions by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed: Option<String>,
}

impl Provenance {
    /// The author date, and the committer date when it differs (a rebase,
    /// a cherry-pick): `2023-01-01T00:00:00+00:00 (committed
    /// 2025-01-01T00:00:00+00:00)`.
    pub fn dates(&self) -> String {
        match &self.committed {
            Some(c) if *c != self.date => format!("{} (committed {c})", self.date),
            _ => self.date.clone(),
        }
    }
}

/// Where a history audit's secret was first introduced at a path: the
/// commit and the location of the secret in that commit's file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Introduced {
    /// The commit; absent when only a tag of a tree or blob holds it, or
    /// when the commit may not be where the secret came from: a shallow
    /// clone's boundary ([`Finding::shallow_boundary`]) or the oldest
    /// version of the file a partial clone could read
    /// ([`Finding::earliest_readable`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// 1-based line and column (in characters) of the secret's first
    /// character, and of its last (inclusive), as in [`Finding`].
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Committer time (seconds since the Unix epoch; `i64::MAX` for tags of
    /// trees and blobs) and topological index of the commit: reports order
    /// a secret's paths by first exposure with it.
    #[serde(skip)]
    pub order: (i64, u32),
}

/// Whose lines a history finding's `line`… are.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LinesAt {
    /// HEAD's file at the path holds the secret: the lines are HEAD's, where
    /// `keyhound scan` of a checkout puts them.
    Head,
    /// It does not: the lines are those of the introducing commit's file
    /// (the same as [`Finding::introduced`]), not of any checked-out file.
    Introduced,
}

/// One reported secret.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub description: String,
    pub severity: Severity,
    /// `/`-separated; as given on the command line joined with the file below it.
    pub path: String,
    /// 1-based line and column (in characters) of the first character of the secret.
    pub line: usize,
    pub column: usize,
    /// 1-based line and column of the last character of the secret (inclusive).
    pub end_line: usize,
    pub end_column: usize,
    /// The secret, redacted unless `--show-secrets`.
    pub secret: String,
    /// Hex SHA-256 of rule, path and secret: stable across runs and line moves.
    pub fingerprint: String,
    /// Labels from the rule: `binance`, `api-key`, `secret-key`, `private-key`...
    pub tags: Vec<String>,
    /// For credentials that come in pairs: whether the other half was found
    /// in the same file (a Binance key next to its secret or private key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired: Option<bool>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// Range scans of a shallow clone: the commit at the clone's boundary
    /// whose tree holds the secret. The commit that added it is that one or
    /// one before it, which the clone does not have, so no `commit`,
    /// `author` or `date` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shallow_boundary: Option<String>,
    /// History scans of a partial (or damaged) clone: the earliest commit
    /// whose file at this path could be read and holds the secret, when
    /// the version before it could not be read (its blob was not fetched):
    /// the commit that added the secret may be older, so no `commit`,
    /// `author` or `date` is given (as with `shallow_boundary`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_readable: Option<String>,
    /// History scans, when `lines_at` is `introduced`: whether HEAD's tree
    /// has a file at this path at all (it may hold another version of it,
    /// or none).
    #[serde(skip)]
    pub file_at_head: Option<bool>,
    /// History scans: whether the secret is still in HEAD's tree (rotate the
    /// key) or only in history (rotate the key and purge history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
    /// History scans: how many commits are known to have introduced this
    /// secret at this path: their file there holds its bytes and no
    /// parent's file there does. A commit that may not be where it came
    /// from (a shallow clone's boundary, one whose parent's version of the
    /// file could not be read) is not counted, nor a tag of a tree or blob:
    /// 0 when no commit is known to have introduced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
    /// History scans: the refs whose tips still hold the secret, at any path
    /// (full ref names, `stash@{N}`, `HEAD` when detached; see
    /// `sources::git::tips`). Empty: only history holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_in: Option<Vec<String>>,
    /// History scans: the first commit that introduced the secret at this
    /// path (whose file first held its bytes, which may be before anything
    /// made it detectable), and where it was in that commit's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<Introduced>,
    /// History scans: whether `line`… are HEAD's or the introducing
    /// commit's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_at: Option<LinesAt>,
    /// The path fingerprints name the file by, when it is not `path`
    /// (`scan sub` names `sub/x` by its path from the top of the work tree).
    #[serde(skip)]
    pub fingerprint_path: Option<String>,
    /// The tags of credentials in the same file that a `keyhound:allow`
    /// silenced: not reported, but the other half of a pair all the same
    /// (see [`mark_pairs`]).
    #[serde(skip)]
    pub silenced_halves: Vec<Vec<String>>,
    /// SHA-256 of the secret, to group a secret's occurrences.
    #[serde(skip)]
    pub secret_digest: [u8; 32],
    /// The first line of the secret with the secret masked, for text reports.
    #[serde(skip)]
    pub snippet: String,
    /// Character range of the masked secret within `snippet`.
    #[serde(skip)]
    pub snippet_span: (usize, usize),
}

/// How a secret is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reveal {
    #[default]
    Redacted,
    Shown,
}

/// The first characters of a secret and an ellipsis: enough to recognise
/// it, not enough to use it.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 4).clamp(1, 4);
    let mut out: String = secret.chars().take(keep).collect();
    out.push('…');
    out
}

/// SHA-256 of a secret: identifies it without holding it.
pub fn digest(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// Hex of the first 16 bytes of SHA-256(rule, path, SHA-256(secret)).
pub fn fingerprint(rule_id: &str, path: &str, secret_digest: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret_digest);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Characters in `bytes` as `String::from_utf8_lossy` would show them: each
/// maximal invalid sequence counts as one (a U+FFFD).
fn chars(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
        .sum()
}

/// Where a window of a larger text starts (see `scan::stream`): the line
/// it starts on, the characters of that line before it, and whether it is
/// the start of the text (where a byte order mark is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// 1-based.
    pub line: usize,
    /// Characters of `line` before the window.
    pub column: usize,
    pub at_start: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Origin {
    /// The start of a text.
    pub const START: Origin = Origin {
        line: 1,
        column: 0,
        at_start: true,
    };

    /// Moves past `bytes`, the text from this origin to the next one (which
    /// must start at a character boundary).
    pub fn advance(&mut self, bytes: &[u8]) {
        let bytes = match bytes.strip_prefix(BOM) {
            Some(rest) if self.at_start => rest,
            _ => bytes,
        };
        self.at_start = false;
        match memchr::memrchr(b'\n', bytes) {
            Some(nl) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.column = chars(&bytes[nl + 1..]);
            }
            None => self.column += chars(bytes),
        }
    }
}

/// Counts lines and columns lazily: newlines are counted with memchr only
/// up to the offsets asked for, in ascending order, as in ripgrep's
/// searcher, and columns only from the last offset on the same line.
struct LineCounter<'a> {
    data: &'a [u8],
    origin: Origin,
    pos: usize,
    line: usize,
    line_start: usize,
    /// Characters from the start of the line (which may be before `data`)
    /// to `pos`.
    column: usize,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8], origin: Origin) -> Self {
        // A byte order mark is no column (and no part of a snippet).
        let bom = if origin.at_start && data.starts_with(BOM) {
            3
        } else {
            0
        };
        LineCounter {
            data,
            origin,
            pos: bom,
            line: origin.line,
            line_start: bom,
            column: origin.column,
        }
    }

    /// Line number, line start and 1-based column of `offset`.
    fn locate(&mut self, offset: usize) -> (usize, usize, usize) {
        let offset = offset.min(self.data.len());
        if offset < self.pos {
            // Asked for ascending offsets only; start over if not.
            *self = LineCounter::new(self.data, self.origin);
        }
        let offset = offset.max(self.pos);
        let mut from = self.pos;
        if let Some(nl) = memchr::memrchr(b'\n', &self.data[self.pos..offset]) {
            self.line += memchr::memchr_iter(b'\n', &self.data[self.pos..offset]).count();
            self.line_start = self.pos + nl + 1;
            self.column = 0;
            from = self.line_start;
        }
        self.column += chars(&self.data[from..offset]);
        self.pos = offset;
        (self.line, self.line_start, self.column + 1)
    }
}

/// Context kept around a secret in snippets (characters), and the bytes
/// read to find them (4 bytes per character at most).
const SNIPPET_BEFORE: usize = 80;
const SNIPPET_AFTER: usize = 60;

/// The last `n` characters of `s`, with `…` if cut.
fn clip_start(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        return s.to_string();
    }
    let mut out = String::from("…");
    out.extend(s.chars().skip(count - n));
    out
}

/// The first `n` characters of `s`, with `…` if cut.
fn clip_end(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n).collect();
    out.push('…');
    out
}

/// How a match's secret is displayed.
fn shown(data: &[u8], m: &Match, reveal: Reveal) -> String {
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
fn mask_tokens(text: &str) -> Cow<'_, str> {
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
fn masked(data: &[u8], from: usize, to: usize, matches: &[Match], reveal: Reveal) -> String {
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
fn char_boundary(data: &[u8], mut at: usize, limit: usize) -> usize {
    while at < limit && (data[at] & 0xC0) == 0x80 {
        at += 1;
    }
    at
}

/// Builds findings for the matches of one blob (sorted by position, their
/// secrets disjoint), and marks key/secret pairs, counting the halves that
/// `keyhound:allow` silenced (`silenced`, from
/// [`crate::detectors::Scratch::silenced`]).
pub fn from_matches(
    data: &[u8],
    matches: &[Match],
    silenced: &[Match],
    rules: &[Rule],
    path: &str,
    reveal: Reveal,
) -> Vec<Finding> {
    let mut out = from_window(
        data,
        matches,
        0..data.len(),
        Origin::START,
        rules,
        path,
        reveal,
    );
    note_silenced(&mut out, silenced, rules);
    mark_pairs(&mut out);
    out
}

/// Builds findings for the matches of `data`, a window of a larger text
/// that starts at `origin`, whose secrets start in `keep` (offsets in
/// `data`); the others only mask their secrets in snippets. Pairs are not
/// marked: [`mark_pairs`] runs over the whole text's findings. The snippet
/// of a binary file (a NUL byte early on) is the secret alone: what sits
/// next to it in a `.pyc` or a database may be the other half of the pair.
pub fn from_window(
    data: &[u8],
    matches: &[Match],
    keep: std::ops::Range<usize>,
    origin: Origin,
    rules: &[Rule],
    path: &str,
    reveal: Reveal,
) -> Vec<Finding> {
    let mut lines = LineCounter::new(data, origin);
    let binary = crate::sources::is_binary(data);
    let mut out: Vec<Finding> = Vec::with_capacity(matches.len());
    for m in matches.iter().filter(|m| keep.contains(&m.start)) {
        let rule = &rules[m.rule as usize];
        let raw = m.decoded.as_deref().unwrap_or(&data[m.start..m.end]);
        let secret_digest = digest(raw);
        let (line, ls, column) = lines.locate(m.start);
        let newlines = memchr::memchr_iter(b'\n', &data[m.start..m.end - 1]).count();
        let end_column = if newlines == 0 {
            column + chars(&data[m.start..m.end]) - 1
        } else {
            let end_ls = memchr::memrchr(b'\n', &data[..m.end - 1]).map_or(0, |i| i + 1);
            chars(&data[end_ls..m.end])
        };
        // The snippet: the secret's first line, other secrets on it masked,
        // read only near the secret (lines can be megabytes long).
        let from = char_boundary(
            data,
            ls.max(m.start.saturating_sub(4 * SNIPPET_BEFORE)),
            m.start,
        );
        let after_start = m
            .end
            .min(m.start + memchr::memchr(b'\n', &data[m.start..m.end]).unwrap_or(m.end - m.start));
        let window_end = data.len().min(after_start + 4 * SNIPPET_AFTER);
        let line_end = memchr::memchr(b'\n', &data[after_start..window_end])
            .map_or(window_end, |j| after_start + j);
        let before = if binary {
            String::new()
        } else {
            clip_start(
                &masked(data, from, m.start, matches, reveal),
                SNIPPET_BEFORE,
            )
        };
        // A secret that spans lines fills the rest of its first line.
        let after = if newlines == 0 && !binary {
            clip_end(
                &masked(data, after_start, line_end, matches, reveal),
                SNIPPET_AFTER,
            )
        } else {
            String::new()
        };
        let after = after.trim_end_matches('\r');
        let own = if newlines == 0 {
            shown(data, m, reveal)
        } else {
            shown(data, m, Reveal::Redacted)
        };
        let span_start = before.chars().count();
        let snippet_span = (span_start, span_start + own.chars().count());
        let snippet = format!("{before}{own}{after}");
        out.push(Finding {
            rule_id: rule.spec.id.clone(),
            description: rule.spec.description.clone(),
            severity: rule.spec.severity,
            path: path.to_string(),
            line,
            column,
            end_line: line + newlines,
            end_column,
            secret: shown(data, m, reveal),
            fingerprint: fingerprint(&rule.spec.id, path, &secret_digest),
            secret_digest,
            tags: {
                let mut tags = rule.spec.tags.clone();
                if m.decoded.is_some() {
                    tags.push("base64".to_string());
                }
                tags
            },
            paired: None,
            provenance: None,
            shallow_boundary: None,
            earliest_readable: None,
            file_at_head: None,
            at_head: None,
            commits: None,
            live_in: None,
            introduced: None,
            lines_at: None,
            fingerprint_path: None,
            silenced_halves: Vec::new(),
            snippet,
            snippet_span,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_a_short_prefix() {
        assert_eq!(
            redact("abcdEFGH0123456789abcdEFGH0123456789abcdEFGH0123456789abcdEFGH01"),
            "abcd…"
        );
        assert_eq!(redact("abcdefgh"), "ab…");
        assert_eq!(redact("ab"), "a…");
    }

    #[test]
    fn line_counter_counts_lines_and_columns_forward() {
        let data = "a\nbé x\nccc\n".as_bytes();
        let mut c = LineCounter::new(data, Origin::START);
        assert_eq!(c.locate(0), (1, 0, 1));
        assert_eq!(c.locate(3), (2, 2, 2));
        assert_eq!(c.locate(6), (2, 2, 4));
        assert_eq!(c.locate(9), (3, 8, 2));
        assert_eq!(c.locate(1), (1, 0, 2));
    }

    #[test]
    fn a_window_counts_from_its_origin() {
        let text = "\u{feff}ab\ncdé fgh\nij".as_bytes();
        for cut in [3, 4, 7, 8, 10, 12, 15] {
            let mut origin = Origin::START;
            origin.advance(&text[..cut]);
            let mut whole = LineCounter::new(text, Origin::START);
            let mut window = LineCounter::new(&text[cut..], origin);
            for at in cut..text.len() {
                let (line, _, column) = whole.locate(at);
                let (wl, _, wc) = window.locate(at - cut);
                assert_eq!((line, column), (wl, wc), "cut {cut}, offset {at}");
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_no_column() {
        let data = "\u{feff}key = x\nab\n".as_bytes();
        let mut c = LineCounter::new(data, Origin::START);
        assert_eq!(c.locate(9), (1, 3, 7));
        assert_eq!(c.locate(12), (2, 11, 2));
        assert_eq!(LineCounter::new(data, Origin::START).locate(0), (1, 3, 1));
    }

    #[test]
    fn invalid_utf8_counts_like_the_lossy_text() {
        assert_eq!(chars(b"\x80\x80\x80 t"), 5);
        assert_eq!(chars("é".as_bytes()), 1);
        assert_eq!(
            String::from_utf8_lossy(b"\x80\x80\x80 t").chars().count(),
            5
        );
    }

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

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = fingerprint("r", "p", &digest(b"s"));
        assert_eq!(a, fingerprint("r", "p", &digest(b"s")));
        assert_ne!(a, fingerprint("r", "q", &digest(b"s")));
        assert_ne!(a, fingerprint("r", "p", &digest(b"t")));
        assert_eq!(a.len(), 32);
    }
}
