//! Findings: a match turned into something to report, with its location,
//! a redacted secret and a stable fingerprint. The raw secret never leaves
//! this module unless the user asked for it with `--show-secrets`.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::detectors::Match;
use crate::detectors::keys::{self, KeyShape};
pub use crate::pairs::{mark_pairs, note_silenced, take_passphrases};
use crate::rules::{Confidence, Rule, Severity};

mod lines;
mod outcome;
mod snippet;
mod stats;

pub use lines::Origin;
use lines::{LineCounter, chars};
pub use outcome::{Mode, Outcome};
pub use stats::{Gap, SKIPPED_LISTED, Skipped, Stats, Unchecked, human_bytes};
/// `text` with every secret-shaped token in it redacted as secrets are in
/// snippets (see `snippet`): for messages that quote user files, such as a
/// config's parse errors, which may hold a key pasted by mistake.
pub fn mask_secret_shaped(text: &str) -> std::borrow::Cow<'_, str> {
    snippet::mask_tokens(text)
}

use snippet::{SNIPPET_AFTER, SNIPPET_BEFORE, char_boundary, clip_end, clip_start, masked, shown};

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
    /// How sure keyhound is that this is a live secret: `high`, `medium`
    /// or `low` (see [`crate::confidence`]). Set when the scan finishes;
    /// the rule's base level until then.
    pub confidence: Confidence,
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
    /// For credentials that come in pairs: the other half this one was
    /// paired with in the same file (see [`crate::pairs::mark_pairs`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<crate::pairs::Pair>,
    /// For exchanges whose keys also need a passphrase (OKX): the
    /// passphrase found in the same file that goes with this key and
    /// secret (see [`crate::pairs::take_passphrases`]); its `path`, `line`
    /// and `kind` only, never its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<crate::pairs::Pair>,
    /// `--verify`: what the exchange said about this credential (see
    /// [`crate::verify`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verify::Verification>,
    /// The secret's bytes, kept for the halves of a pair only, for
    /// `--verify`; never serialised or printed ([`Raw`]'s `Debug` is
    /// redacted).
    #[serde(skip)]
    pub raw: Option<Raw>,
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
    /// PEM private keys: whether the body parses as a key
    /// ([`crate::detectors::keys`]), for its confidence.
    #[serde(skip)]
    pub key_shape: Option<KeyShape>,
    /// Whether the text around the secret presents it as a sample ("such
    /// as the following", `EXAMPLE_KEY`), for its confidence.
    #[serde(skip)]
    pub sample_context: bool,
    /// Whether the name before the secret on its line is a test value's
    /// (`TEST_API_SECRET`), for its confidence.
    #[serde(skip)]
    pub test_name: bool,
    /// Whether the secret sits in a doc comment, for its confidence.
    #[serde(skip)]
    pub doc_comment: crate::confidence::DocComment,
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

/// A secret's bytes, kept in memory for `--verify`: cheap to clone (shared),
/// never printed (`Debug` shows `Raw(<redacted>)`), never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Raw(std::sync::Arc<[u8]>);

impl Raw {
    pub fn new(bytes: &[u8]) -> Self {
        Raw(bytes.into())
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Raw(<redacted>)")
    }
}

/// How a secret is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reveal {
    #[default]
    Redacted,
    Shown,
}

/// The first characters of a secret and an ellipsis: enough to recognise
/// it, not enough to use it. A seed phrase (12 words or more, and nothing
/// but words and the gaps between them) shows no letter, as `<12 words>`:
/// BIP-39 words are known by their first 4 letters, so a word's letters
/// would give away 11 bits of the wallet.
pub fn redact(secret: &str) -> String {
    // Words and numbers (`1. abandon`) between gaps, nothing else.
    let tokens = || {
        secret
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
    };
    let words = tokens()
        .filter(|t| t.bytes().all(|b| b.is_ascii_alphabetic()))
        .count();
    if words >= 12
        && tokens().all(|t| {
            t.bytes().all(|b| b.is_ascii_alphabetic()) || t.bytes().all(|b| b.is_ascii_digit())
        })
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || "\"'`,.()[]-".contains(c))
    {
        return format!("<{words} words>");
    }
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
    take_passphrases(&mut out);
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
            confidence: rule.spec.base_confidence(),
            key_shape: rule
                .spec
                .tags
                .iter()
                .any(|t| t == "pem")
                .then(|| keys::pem_shape(raw)),
            sample_context: crate::confidence::sample_context(data, m.start, m.end),
            doc_comment: crate::confidence::doc_comment(data, m.start),
            test_name: crate::confidence::test_name(
                &data[crate::detectors::windows::line_start(data, m.start)
                    .max(m.start.saturating_sub(200))..m.start],
            ),
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
            pair: None,
            passphrase: None,
            verification: None,
            raw: crate::pairs::is_half(&rule.spec.tags).then(|| Raw::new(raw)),
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
        let phrase = "zoo ".repeat(11) + "wrong";
        assert_eq!(redact(&phrase), "<12 words>");
        assert_eq!(redact(&phrase.replace(' ', "\n  - ")), "<12 words>");
        // Letters and digits mixed are a key, not words.
        let key = "a1".repeat(32);
        assert_eq!(redact(&key), "a1a1…");
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
