//! Runs the pipeline: a source's blobs through the engine into findings.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::detectors::{Engine, PathForms, Scratch};
use crate::findings::{self, Finding, Reveal};
use crate::scan_stream;
use crate::sources::fs::{WalkOptions, visit_file, walk};
use crate::sources::tracked;
use crate::sources::{Blob, Item, is_binary};

pub use crate::stats::{Gap, SKIPPED_LISTED, Skipped, Stats, Unchecked};

/// Live counters, read by a progress display while a scan runs.
#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    /// How many items the scan will visit, when known (history scans).
    pub total: AtomicU64,
}

/// What was scanned: reports word their advice by it (a commit stopped by
/// the pre-commit hook has not leaked; a secret in history has).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Files and directories (`keyhound scan`).
    #[default]
    Paths,
    /// What the next commit would contain (`keyhound scan --staged`).
    Staged,
    /// The commits of a range (`keyhound git --range`).
    Range,
    /// Every commit of every ref (`keyhound git`).
    History,
}

/// Findings, stats, and notes for the user (skipped files, read errors).
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub notes: Vec<String>,
    pub mode: Mode,
    /// The user accepts an incomplete scan (`scan --staged --fail-open`):
    /// with no finding it exits 0, its gaps still reported.
    pub fail_open: bool,
}

/// What to do with what is found.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub reveal: Reveal,
    /// Fingerprints the user has accepted (config allowlist).
    pub suppressed: HashSet<String>,
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
    let matches = engine.scan(blob.data, path, scratch);
    if matches.is_empty() {
        return Vec::new();
    }
    let mut found = findings::from_matches(
        blob.data,
        &matches,
        &engine.rules().rules,
        blob.display,
        output.reveal,
    );
    settle(&mut found, blob.display, fingerprint_path);
    found
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

#[derive(Default)]
struct Shared {
    findings: Vec<Finding>,
    /// Display paths the walk reached, when tracked files are looked up.
    visited: HashSet<String>,
    stats: Stats,
    notes: Vec<String>,
}

/// Scans files and directories.
pub fn scan_paths(
    engine: &Engine,
    roots: &[PathBuf],
    walk_opts: &WalkOptions,
    output: &Output,
    counters: &Counters,
) -> Outcome {
    let started = Instant::now();
    // Directories in a Git work tree: what Git tracks there is scanned even
    // when an ignore file hides it from the walk.
    let repos = if walk_opts.no_ignore {
        Vec::new()
    } else {
        tracked::work_trees(roots)
    };
    let track = !repos.is_empty();
    let shared = Mutex::new(Shared::default());
    let visitor = || Visitor {
        engine,
        output,
        counters,
        shared: &shared,
        track,
        reached: Vec::new(),
        scratch: Scratch::default(),
        anchors: Anchors::default(),
    };
    walk(roots, walk_opts, || {
        let mut v = visitor();
        move |item: Item<'_>| v.visit(item)
    });
    if !repos.is_empty() {
        let visited = std::mem::take(&mut shared.lock().expect("no panics while locked").visited);
        for wt in &repos {
            let found = match tracked::unvisited(wt, &visited) {
                Ok(found) => found,
                Err(note) => {
                    shared
                        .lock()
                        .expect("no panics while locked")
                        .notes
                        .push(note);
                    continue;
                }
            };
            found.par_iter().for_each_init(
                || (visitor(), Vec::new()),
                |(v, buf), t| {
                    visit_file(
                        &t.path,
                        &t.display,
                        &t.relative,
                        walk_opts.max_file_size,
                        buf,
                        &mut |item| v.visit(item),
                    );
                },
            );
        }
    }
    let mut s = shared.into_inner().expect("no panics while locked");
    s.stats.files_scanned = counters.files.load(Ordering::Relaxed);
    s.stats.bytes_scanned = counters.bytes.load(Ordering::Relaxed);
    finish(s.findings, s.stats, s.notes, engine, output, started)
}

/// One worker thread's end of a directory scan.
struct Visitor<'a> {
    engine: &'a Engine,
    output: &'a Output,
    counters: &'a Counters,
    shared: &'a Mutex<Shared>,
    /// Whether to note the paths reached (for the tracked-files lookup).
    track: bool,
    /// The paths this thread reached, handed over when it is done.
    reached: Vec<String>,
    scratch: Scratch,
    anchors: Anchors,
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        if !self.reached.is_empty()
            && let Ok(mut s) = self.shared.lock()
        {
            s.visited.extend(self.reached.drain(..));
        }
    }
}

impl Visitor<'_> {
    fn visit(&mut self, item: Item<'_>) {
        let shared = self.shared;
        if self.track {
            self.reached.push(match &item {
                Item::Blob(b) => b.display.to_string(),
                Item::Stream { display, .. } => display.to_string(),
                Item::Skipped { path, .. } | Item::Error { path, .. } => path.clone(),
            });
        }
        match item {
            Item::Blob(blob) => {
                let Some(anchored) = self.anchored(blob.display, blob.relative) else {
                    return;
                };
                self.counters.files.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .bytes
                    .fetch_add(blob.data.len() as u64, Ordering::Relaxed);
                let found =
                    scan_blob_as(self.engine, blob, &anchored, self.output, &mut self.scratch);
                if !found.is_empty() || is_binary(blob.data) {
                    let mut s = shared.lock().expect("no panics while locked");
                    s.stats.files_scanned_binary += u64::from(is_binary(blob.data));
                    s.findings.extend(found);
                }
            }
            Item::Stream {
                display,
                relative,
                head,
                rest,
            } => {
                let Some(anchored) = self.anchored(display, relative) else {
                    return;
                };
                let forms = PathForms { display, relative };
                let streamed = scan_stream::scan_stream(
                    self.engine,
                    forms,
                    &anchored,
                    head,
                    rest,
                    self.output,
                    &mut self.scratch,
                );
                self.counters.files.fetch_add(1, Ordering::Relaxed);
                match streamed {
                    Ok(st) => {
                        self.counters.bytes.fetch_add(st.bytes, Ordering::Relaxed);
                        if !st.findings.is_empty() {
                            let mut s = shared.lock().expect("no panics while locked");
                            s.findings.extend(st.findings);
                        }
                    }
                    Err(e) => self.visit(Item::Error {
                        path: display.to_string(),
                        message: e.to_string(),
                    }),
                }
            }
            Item::Skipped { path, why } => {
                let mut s = shared.lock().expect("no panics while locked");
                s.stats.skip(path, &why);
            }
            Item::Error { path, message } => {
                let mut s = shared.lock().expect("no panics while locked");
                s.stats.errors += 1;
                s.notes.push(if path.is_empty() || message.contains(&path) {
                    message
                } else {
                    format!("{path}: {message}")
                });
            }
        }
    }

    /// The path that names the file in fingerprints, or `None` when a
    /// path allowlist hides the file (the config file in use, for one).
    /// Globs also match the path from the top of the work tree, as in Git
    /// scans.
    fn anchored(&mut self, display: &str, relative: &str) -> Option<String> {
        let anchored = self.anchors.path(display, relative);
        let other = anchored != display && anchored != relative;
        let hidden = self.engine.path_allowed(PathForms { display, relative })
            || (other
                && self.engine.path_allowed(PathForms {
                    display: &anchored,
                    relative: &anchored,
                }));
        (!hidden).then_some(anchored)
    }
}

/// The path that names a file in fingerprints: from the top of its Git
/// work tree (the nearest one: a submodule's or nested repository's own),
/// as a history or staged scan names it, or outside one from the scanned
/// directory. It does not depend on how the path was typed (`scan .`,
/// `scan $PWD`, `scan sub`, `scan ./sub/file`), so a fingerprint
/// allowlisted once keeps matching.
#[derive(Default)]
struct Anchors {
    /// A directory as displayed → its path from the anchor (`""` at a top).
    dirs: HashMap<String, String>,
    /// The last file's scan root, directory below it, and that directory's
    /// anchored path: files of one directory come together.
    last: Option<(String, String, String)>,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if name.is_empty() {
        dir.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl Anchors {
    fn path(&mut self, display: &str, relative: &str) -> String {
        let Some(root) = display.strip_suffix(relative) else {
            return display.to_string();
        };
        let root = root.strip_suffix('/').unwrap_or(root);
        let (dir, name) = relative.rsplit_once('/').unwrap_or(("", relative));
        match &self.last {
            Some((r, d, anchored)) if r == root && d == dir => join(anchored, name),
            _ => {
                let anchored = self.dir(root, dir);
                let path = join(&anchored, name);
                self.last = Some((root.to_string(), dir.to_string(), anchored));
                path
            }
        }
    }

    /// The anchored path of the directory `rel` below the scan root `root`
    /// (both as displayed); one `.git` lookup per directory.
    fn dir(&mut self, root: &str, rel: &str) -> String {
        let key = join(root, rel);
        if let Some(a) = self.dirs.get(&key) {
            return a.clone();
        }
        let anchored = match rel.rsplit_once('/').unwrap_or(("", rel)) {
            ("", "") => anchor_prefix(root).unwrap_or_else(|| root.to_string()),
            (parent, name) => {
                if Path::new(&key).join(".git").exists() {
                    String::new()
                } else {
                    let parent = self.dir(root, parent);
                    join(&parent, name)
                }
            }
        };
        self.dirs.insert(key, anchored.clone());
        anchored
    }
}

/// `dir`'s path below the top of its work tree (empty at the top, or when
/// it is in no work tree).
fn anchor_prefix(dir: &str) -> Option<String> {
    let dir = Path::new(if dir.is_empty() { "." } else { dir })
        .canonicalize()
        .ok()?;
    let top = dir
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&dir);
    let below = dir.strip_prefix(top).ok()?;
    Some(if below.as_os_str().is_empty() {
        String::new()
    } else {
        crate::sources::display_path(below)
    })
}

/// Labels each secret with its most specific rule, drops what the user
/// accepted, then sorts, counts and times a finished scan; files or
/// objects that could not be read make it incomplete.
pub fn finish(
    mut findings: Vec<Finding>,
    mut stats: Stats,
    mut notes: Vec<String>,
    engine: &Engine,
    output: &Output,
    started: Instant,
) -> Outcome {
    crate::relabel::one_rule_per_secret(&mut findings, engine.rules());
    findings.retain(|f| !crate::relabel::accepted(f, &output.suppressed));
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

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
    }
}
