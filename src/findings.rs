//! Findings: a match turned into something to report, with its location,
//! a redacted secret and a stable fingerprint. The raw secret never leaves
//! this module unless the user asked for it with `--show-secrets`.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::detectors::Match;
use crate::rules::{Rule, Severity};

/// Where in git a finding comes from (git scans only).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Provenance {
    pub commit: String,
    pub author: String,
    /// RFC 3339 author date.
    pub date: String,
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
    /// History scans: whether the secret is still in HEAD's tree (rotate the
    /// key) or only in history (rotate the key and purge history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
    /// History scans: how many commits introduced a version of the file
    /// holding this secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
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

/// Counts lines lazily: newlines are counted with memchr only up to the
/// offsets asked for, in ascending order, as in ripgrep's searcher.
struct LineCounter<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineCounter {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Line number and line start of `offset` (offsets must not go backwards).
    fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.data.len());
        if offset < self.pos {
            // Only ever asked for ascending offsets; restart if not.
            *self = LineCounter::new(self.data);
        }
        for i in memchr::memchr_iter(b'\n', &self.data[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + i + 1;
        }
        self.pos = offset;
        (self.line, self.line_start)
    }
}

/// Character count of a byte slice (invalid bytes count one each).
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Context kept around a secret in snippets (characters).
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

/// Builds findings for the matches of one blob (sorted by position).
pub fn from_matches(
    data: &[u8],
    matches: &[Match],
    rules: &[Rule],
    path: &str,
    reveal: Reveal,
) -> Vec<Finding> {
    let mut lines = LineCounter::new(data);
    let mut out: Vec<Finding> = Vec::with_capacity(matches.len());
    for m in matches {
        let rule = &rules[m.rule as usize];
        let raw = m.decoded.as_deref().unwrap_or(&data[m.start..m.end]);
        let secret_digest = digest(raw);
        let secret_text = String::from_utf8_lossy(raw);
        let (line, ls) = lines.locate(m.start);
        let column = chars(&data[ls..m.start]) + 1;
        let last = m.end - 1;
        let newlines = memchr::memchr_iter(b'\n', &data[m.start..last]).count();
        let end_ls = if newlines == 0 {
            ls
        } else {
            memchr::memrchr(b'\n', &data[..last]).map_or(0, |i| i + 1)
        };
        let end_column = chars(&data[end_ls..last]) + 1;
        let shown = match reveal {
            Reveal::Redacted => redact(&secret_text),
            Reveal::Shown => secret_text.to_string(),
        };
        let line_end = memchr::memchr(b'\n', &data[m.start..]).map_or(data.len(), |i| m.start + i);
        let secret_on_line = (m.end.min(line_end)).max(m.start);
        let before = clip_start(&String::from_utf8_lossy(&data[ls..m.start]), SNIPPET_BEFORE);
        let after = clip_end(
            &String::from_utf8_lossy(&data[secret_on_line..line_end]),
            SNIPPET_AFTER,
        );
        let after = after.trim_end_matches('\r');
        let shown_on_line = if newlines == 0 {
            shown.clone()
        } else {
            redact(&secret_text)
        };
        let span_start = before.chars().count();
        let snippet = format!("{before}{shown_on_line}{after}");
        let snippet_span = (span_start, span_start + shown_on_line.chars().count());
        out.push(Finding {
            rule_id: rule.spec.id.clone(),
            description: rule.spec.description.clone(),
            severity: rule.spec.severity,
            path: path.to_string(),
            line,
            column,
            end_line: line + newlines,
            end_column,
            secret: shown,
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
            at_head: None,
            commits: None,
            snippet,
            snippet_span,
        });
    }
    mark_pairs(&mut out);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Key,
    Secret,
    PrivateKey,
}

const ROLE_TAGS: &[&str] = &[
    "api-key",
    "secret-key",
    "private-key",
    "exchange",
    "credential",
];

fn role(f: &Finding) -> Option<Role> {
    let has = |t: &str| f.tags.iter().any(|x| x == t);
    if has("api-key") {
        Some(Role::Key)
    } else if has("secret-key") {
        Some(Role::Secret)
    } else if has("private-key") {
        Some(Role::PrivateKey)
    } else {
        None
    }
}

/// The service a credential belongs to: its first tag that is not a role.
fn venue(f: &Finding) -> Option<&str> {
    f.tags
        .iter()
        .map(String::as_str)
        .find(|t| !ROLE_TAGS.contains(t))
}

/// Marks credentials whose other half sits in the same blob: an API key with
/// its secret key (same service), or an API key with a private key.
pub fn mark_pairs(findings: &mut [Finding]) {
    let roles: Vec<(Option<Role>, Option<String>)> = findings
        .iter()
        .map(|f| (role(f), venue(f).map(str::to_string)))
        .collect();
    for (i, f) in findings.iter_mut().enumerate() {
        let (Some(mine), venue) = &roles[i] else {
            continue;
        };
        let paired = roles.iter().enumerate().any(|(j, (other, other_venue))| {
            j != i
                && match (mine, other) {
                    (Role::Key, Some(Role::Secret)) | (Role::Secret, Some(Role::Key)) => {
                        venue == other_venue
                    }
                    (Role::Key, Some(Role::PrivateKey)) | (Role::PrivateKey, Some(Role::Key)) => {
                        true
                    }
                    _ => false,
                }
        });
        f.paired = Some(paired);
    }
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
    fn line_counter_counts_only_forward() {
        let data = b"a\nbb\nccc\n";
        let mut c = LineCounter::new(data);
        assert_eq!(c.locate(0), (1, 0));
        assert_eq!(c.locate(3), (2, 2));
        assert_eq!(c.locate(6), (3, 5));
        assert_eq!(c.locate(1), (1, 0));
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
