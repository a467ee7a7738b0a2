//! What a scan looked at, what it skipped, and what it was asked to check
//! and did not: the counts and lists that reports and the exit code use.

use serde::Serialize;

use crate::sources::Skip;

/// What a scan looked at.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    /// Files (or blobs) scanned, text and binary.
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Binary files not scanned because their format compresses its content
    /// (images, audio, video, fonts, ZIP-based documents, archives).
    pub files_skipped_binary: u64,
    /// Binary files not scanned because they are larger than
    /// `--max-file-size` (text is scanned whatever its size).
    pub files_skipped_large: u64,
    /// Objects a Git scan could not find (a partial or damaged clone, a
    /// staged blob never written): what they hold was not checked.
    pub missing_objects: u64,
    /// Files or objects that could not be read.
    pub errors: u64,
    pub findings: u64,
    /// Findings not reported because their fingerprint is accepted in the
    /// config (`[allowlist] fingerprints`).
    pub findings_accepted: u64,
    /// Findings not reported because their confidence is below
    /// `--min-confidence` (see [`crate::confidence`]).
    pub findings_below_confidence: u64,
    pub rules: usize,
    pub duration_ms: u64,
    /// Binary files scanned as bytes (a compiled `.pyc`, a SQLite
    /// database); counted in `files_scanned` too.
    pub files_scanned_binary: u64,
    /// Commits at the boundary of a shallow clone that the scan reached:
    /// the history before them is not in the clone, and was not checked.
    pub shallow_boundaries: u64,
    /// Git range and history scans: the commits whose changes (range) or
    /// trees (history) were read. Absent for directory and staged scans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_scanned: Option<u64>,
    /// Skipped files, by path, with why (the first [`SKIPPED_LISTED`]).
    pub skipped: Vec<Skipped>,
    /// What the scan was asked to check and did not: empty when complete.
    pub unchecked: Vec<Unchecked>,
    /// Paths whose blobs were missing (staged and range scans), for the
    /// summary line.
    #[serde(skip)]
    pub missing_paths: Vec<String>,
    /// True when everything the scan was asked to check was read (binary
    /// files skipped by format or size, and history cut by a shallow clone,
    /// do not make a scan incomplete: `skipped`, `shallow_boundaries`).
    pub complete: bool,
}

/// How many skipped files JSON names (counts are always exact).
pub const SKIPPED_LISTED: usize = 100;

/// A file that was not scanned, and why (`compressed png`,
/// `12.0 MiB, over --max-file-size`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub why: String,
}

/// Why part of what a scan was asked to check was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gap {
    /// Objects absent from the Git object store.
    MissingObjects,
    /// Files or objects that could not be read.
    Unreadable,
}

/// Something a scan was asked to check and did not: a scan with such a
/// gap and no finding exits 2, not 0.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unchecked {
    pub reason: Gap,
    pub count: u64,
    /// What was not checked, in words.
    pub what: String,
    /// How to get it checked.
    pub fix: String,
}

impl Stats {
    /// Counts and names a skipped file.
    pub fn skip(&mut self, path: String, why: &Skip) {
        match why {
            Skip::Compressed(_) => self.files_skipped_binary += 1,
            Skip::TooLarge(_) => self.files_skipped_large += 1,
        }
        self.skipped.push(Skipped {
            path,
            why: why.reason(),
        });
    }

    /// Records a gap: the scan is incomplete.
    pub fn not_checked(&mut self, gap: Unchecked) {
        self.complete = false;
        self.unchecked.push(gap);
    }

    /// Files skipped, of either kind.
    pub fn files_skipped(&self) -> u64 {
        self.files_skipped_binary + self.files_skipped_large
    }
}

/// `1.5 MiB` style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
    }
}
