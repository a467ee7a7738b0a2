//! The drivers: they run a source's blobs through the engine into findings,
//! one per way of scanning, and share what is here (finishing an
//! outcome, sizes). What a scan produces, the report model ([`Outcome`],
//! [`Stats`]), is in `findings`.
//!
//! - `paths`: files and directories (`keyhound scan`), large text files
//!   read in windows by `stream`;
//! - `changes`: what Git changes add (`scan --staged`, `git --range`), a
//!   range's findings settled on its head's lines by `range`;
//! - `history`: every blob of every ref (`keyhound git`);
//! - `pre_receive`: what a push brings to a server repository (`keyhound
//!   git --pre-receive`), its new commits read as a range's.

pub mod changes;
pub mod history;
pub mod paths;
pub mod pre_receive;
pub mod range;
pub mod stream;

use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use crate::detectors::{Engine, PathForms, Scratch};
use crate::findings::{
    self, Finding, Gap, Mode, Outcome, Reveal, SKIPPED_LISTED, Stats, Unchecked,
};
use crate::sources::Blob;

pub use paths::scan_paths;

/// Live counters, read by a progress display while a scan runs.
#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    /// How many items the scan will visit, when known (history scans).
    pub total: AtomicU64,
}

/// What to do with what is found.
#[derive(Debug, Clone)]
pub struct Output {
    pub reveal: Reveal,
    /// Fingerprints the user has accepted (config allowlist).
    pub suppressed: HashSet<String>,
    /// Findings below this confidence are counted, not reported
    /// (`--min-confidence`; default [`crate::confidence::DEFAULT_MIN`]).
    pub min_confidence: crate::confidence::Confidence,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            reveal: Reveal::default(),
            suppressed: HashSet::new(),
            min_confidence: crate::confidence::DEFAULT_MIN,
        }
    }
}

/// Scans one blob; fingerprints name it by its displayed path.
pub fn scan_blob(
    engine: &Engine,
    blob: Blob<'_>,
    output: &Output,
    scratch: &mut Scratch,
) -> Vec<Finding> {
    scan_blob_as(engine, blob, blob.display, output, scratch)
}

/// Scans one blob; fingerprints name it `fingerprint_path`. Accepted
/// fingerprints are dropped later, by [`finish`], once each secret has its
/// most specific rule.
pub fn scan_blob_as(
    engine: &Engine,
    blob: Blob<'_>,
    fingerprint_path: &str,
    output: &Output,
    scratch: &mut Scratch,
) -> Vec<Finding> {
    let path = PathForms {
        display: blob.display,
        relative: blob.relative,
    };
    let mut found = blob_findings(engine, blob.data, path, output.reveal, scratch, None);
    settle(&mut found, blob.display, fingerprint_path);
    found
}

/// A secret as the history audit keeps it in memory: (SHA-256 of its
/// bytes, its bytes).
pub type SecretBytes = ([u8; 32], Box<[u8]>);

/// The findings of one blob, named by `path.display`: a UTF-16 text is
/// decoded and scanned as text (`sources::utf16`), and credentials that
/// `keyhound:allow` silenced count as the other half of a pair.
/// With `secrets`, each match's secret is also pushed there as
/// (SHA-256 of its bytes, its bytes), for the history audit's look-back.
pub fn blob_findings(
    engine: &Engine,
    data: &[u8],
    path: PathForms<'_>,
    reveal: Reveal,
    scratch: &mut Scratch,
    secrets: Option<&mut Vec<SecretBytes>>,
) -> Vec<Finding> {
    let decoded = crate::sources::utf16::decode(data);
    let data = decoded.as_deref().unwrap_or(data);
    let matches = engine.scan_file(data, path, scratch);
    if matches.is_empty() {
        return Vec::new();
    }
    if let Some(secrets) = secrets {
        secrets.extend(matches.iter().map(|m| {
            let raw = m.decoded.as_deref().unwrap_or(&data[m.start..m.end]);
            (findings::digest(raw), raw.into())
        }));
    }
    findings::from_matches(
        data,
        &matches,
        scratch.silenced(),
        &engine.rules().rules,
        path.display,
        reveal,
    )
}

/// Names findings' fingerprints by `fingerprint_path` (when it is not
/// `display`, the path they were found at). Accepted ones are dropped by
/// [`finish`], once each secret has its most specific rule.
pub fn settle(found: &mut [Finding], display: &str, fingerprint_path: &str) {
    if fingerprint_path != display {
        for f in found.iter_mut() {
            f.fingerprint = findings::fingerprint(&f.rule_id, fingerprint_path, &f.secret_digest);
            f.fingerprint_path = Some(fingerprint_path.to_string());
        }
    }
}

/// One secret at one place is one finding, whatever found it (two decoders
/// that decode the same base64 text, a window and its neighbour): keeps
/// the first finding of each path, commit, position and fingerprint.
fn one_per_place(findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    findings.retain(|f| {
        seen.insert((
            f.path.clone(),
            f.provenance.as_ref().map(|p| p.commit.clone()),
            (f.line, f.column, f.end_line, f.end_column),
            f.fingerprint.clone(),
        ))
    });
}

/// Sorts findings by path, line, column, then rule: same input, same output.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            &a.path,
            a.line,
            a.column,
            &a.rule_id,
            &a.provenance.as_ref().map(|p| &p.commit),
        )
            .cmp(&(
                &b.path,
                b.line,
                b.column,
                &b.rule_id,
                &b.provenance.as_ref().map(|p| &p.commit),
            ))
    });
}

/// Labels each secret with its most specific rule, drops (and counts) what
/// the user accepted, then sorts, counts and times a finished scan; files
/// or objects that could not be read make it incomplete.
pub fn finish(
    mut findings: Vec<Finding>,
    mut stats: Stats,
    mut notes: Vec<String>,
    engine: &Engine,
    output: &Output,
    started: Instant,
) -> Outcome {
    crate::relabel::one_rule_per_secret(&mut findings, engine.rules());
    one_per_place(&mut findings);
    let before = findings.len();
    findings.retain(|f| !crate::relabel::accepted(f, &output.suppressed, engine.rules()));
    // Added: a scan finished twice (directories, then standard input)
    // keeps the first count.
    stats.findings_accepted += (before - findings.len()) as u64;
    crate::confidence::assess(&mut findings, engine.rules());
    let before = findings.len();
    findings.retain(|f| f.confidence >= output.min_confidence);
    stats.findings_below_confidence += (before - findings.len()) as u64;
    sort_findings(&mut findings);
    notes.sort();
    stats.findings = findings.len() as u64;
    stats.rules = engine.rules().rules.len();
    stats.duration_ms = started.elapsed().as_millis() as u64;
    stats.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    stats.skipped.truncate(SKIPPED_LISTED);
    stats.complete = stats.unchecked.is_empty();
    if stats.errors > 0 && !stats.unchecked.iter().any(|u| u.reason == Gap::Unreadable) {
        let n = stats.errors;
        stats.not_checked(Unchecked {
            reason: Gap::Unreadable,
            count: n,
            what: format!(
                "{n} {} could not be read",
                if n == 1 { "item" } else { "items" }
            ),
            fix: "see the notes on standard error".to_string(),
        });
    }
    Outcome {
        findings,
        stats,
        notes,
        mode: Mode::Paths,
        fail_open: false,
        config: None,
    }
}

/// Parses sizes like `500KB`, `10MB`, `1GB` (units of 1024, as in ripgrep's
/// `--max-filesize`; `MiB` spellings too) or a plain byte count.
pub fn parse_size(s: &str) -> crate::error::Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| crate::error::Error::Size(s.to_string()))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(crate::error::Error::Size(s.to_string())),
    };
    match (value * (1u64 << shift) as f64) as u64 {
        0 => Err(crate::error::Error::Size(s.to_string())),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_size("500KB").unwrap(), 500 << 10);
        assert_eq!(parse_size("10MB").unwrap(), 10 << 20);
        assert_eq!(parse_size("1GB").unwrap(), 1 << 30);
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert_eq!(parse_size("1.5m").unwrap(), 3 << 19);
        // A limit that skips every file is a mistake, not a scan.
        assert!(parse_size("0").is_err());
        assert!(parse_size("0.1").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10XB").is_err());
    }
}
