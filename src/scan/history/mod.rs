//! Full-history audit: every blob of every ref scanned once, each secret
//! reported once per path with the commit that first introduced it, how
//! many commits introduced it, and which refs still hold it (`group`).

mod group;
mod origins;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use gix::prelude::*;
use ignore::gitignore::Gitignore;
use rayon::prelude::*;

use crate::detectors::{Engine, PathForms, Scratch};
use crate::error::Result;
use crate::findings::Finding;
use crate::findings::{Mode, Outcome, Stats};
use crate::scan::{self, Counters, Output};
use crate::sources::git::history::{self, Store};
use crate::sources::git::pages::Trimmer;
use crate::sources::{classify, is_binary};

/// How often the pack pages are given back: every so many commits walked,
/// and every so many bytes of blobs read.
const TRIM_COMMITS: u64 = 1000;
const TRIM_BYTES: u64 = 16 << 20;

#[derive(Default)]
struct Tally {
    stats: Stats,
    notes: Vec<String>,
    missing: Vec<String>,
}

/// What one blob holds, for each way its paths filter findings.
struct Scanned {
    /// Index into [`History::blobs`].
    blob: usize,
    /// For each introduction of the blob, the index of its findings in
    /// `findings`, or `None` when the path is ignored or allowlisted.
    classes: Vec<Option<usize>>,
    findings: Vec<Vec<Finding>>,
    /// Each secret found (SHA-256, as in [`Finding::secret_digest`]) and
    /// its bytes, to look for in older versions of the file (`origins`).
    /// Kept in memory only, never reported.
    secrets: Vec<([u8; 32], Box<[u8]>)>,
}

/// Marks a rule selected by its `paths` in a [`path_class`].
const SCOPED: u32 = 1 << 31;

/// How a path filters a blob's findings: `None` when it hides them all
/// (`.keyhoundignore`, a global path allowlist), else the rules whose own
/// path allowlist matches it, then (with the top bit set) the rules whose
/// `paths` select it. Paths that filter alike share one scan.
fn path_class(
    engine: &Engine,
    ignore: Option<&Gitignore>,
    path_rules: &[u32],
    path: &str,
) -> Option<Vec<u32>> {
    let forms = PathForms {
        display: path,
        relative: path,
    };
    if ignore.is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
        || engine.path_allowed(forms)
    {
        return None;
    }
    Some(
        path_rules
            .iter()
            .copied()
            .filter(|&r| {
                engine
                    .rule(r)
                    .compiled()
                    .allowlist
                    .allows_path(&[path, path])
            })
            .chain(engine.rules_in_scope(forms).into_iter().map(|r| r | SCOPED))
            .collect(),
    )
}

/// Scans every blob reachable from any ref of the repository whose Git
/// directory is `git_dir`.
///
/// A blob is read once, and scanned once per way its paths filter findings
/// (nearly always once); which findings each introduction path keeps (path
/// allowlists, `.keyhoundignore`) is settled per path when findings are
/// grouped, accepted fingerprints by [`scan::finish`].
pub fn scan_history(
    engine: &Engine,
    git_dir: &Path,
    output: &Output,
    ignore: Option<&Gitignore>,
    max_file_size: u64,
    counters: &Counters,
) -> Result<Outcome> {
    let started = Instant::now();
    let store = Store::open(git_dir)?;
    let commit_trim = Trimmer::new(TRIM_COMMITS);
    let history = history::enumerate(&store, &commit_trim)?;
    let byte_trim = Trimmer::new(TRIM_BYTES);
    counters
        .total
        .store(history.blobs.len() as u64, Ordering::Relaxed);
    let path_rules: Vec<u32> = (0..engine.rules().rules.len() as u32)
        .filter(|&r| !engine.rule(r).spec.allowlist.paths.is_empty())
        .collect();
    let tally = Mutex::new(Tally::default());
    // One repository handle, read buffer and scratch space per worker.
    let found: Vec<Scanned> = history
        .blobs
        .par_iter()
        .enumerate()
        .map_init(
            || (store.handle(), Scratch::default(), Vec::new()),
            |(repo, scratch, buf), (i, (oid, intros))| {
                counters.files.fetch_add(1, Ordering::Relaxed);
                // Rules and ignore files match paths as text.
                let mut kinds: Vec<(Vec<u32>, String)> = Vec::new();
                let classes: Vec<Option<usize>> = intros
                    .iter()
                    .map(|x| {
                        let text = String::from_utf8_lossy(&x.path);
                        let class = path_class(engine, ignore, &path_rules, &text)?;
                        Some(match kinds.iter().position(|(c, _)| *c == class) {
                            Some(k) => k,
                            None => {
                                kinds.push((class, text.into_owned()));
                                kinds.len() - 1
                            }
                        })
                    })
                    .collect();
                // Every path hides the blob's findings: not even read.
                let path =
                    history::shown_path(&intros[classes.iter().position(Option::is_some)?].path);
                let data = match repo.objects.try_find(oid, buf) {
                    Ok(Some(d)) if d.kind == gix::objs::Kind::Blob => d.data,
                    _ => {
                        let mut t = tally.lock().expect("no panics while locked");
                        t.missing
                            .push(format!("blob {oid} ({path}): not in the object store"));
                        return None;
                    }
                };
                byte_trim.add(data.len() as u64);
                counters
                    .bytes
                    .fetch_add(data.len() as u64, Ordering::Relaxed);
                if let Some(why) = classify(data, data.len() as u64, max_file_size) {
                    let mut t = tally.lock().expect("no panics while locked");
                    t.stats.skip(format!("{path} (blob {oid})"), &why);
                    return None;
                }
                {
                    let mut t = tally.lock().expect("no panics while locked");
                    t.stats.files_scanned += 1;
                    t.stats.files_scanned_binary += u64::from(is_binary(data));
                    t.stats.bytes_scanned += data.len() as u64;
                }
                let mut secrets: Vec<scan::SecretBytes> = Vec::new();
                let findings: Vec<Vec<Finding>> = kinds
                    .iter()
                    .map(|(_, path)| {
                        let forms = PathForms {
                            display: path,
                            relative: path,
                        };
                        scan::blob_findings(
                            engine,
                            data,
                            forms,
                            output.reveal,
                            scratch,
                            Some(&mut secrets),
                        )
                    })
                    .collect();
                secrets.sort_unstable_by_key(|s| s.0);
                secrets.dedup_by(|a, b| a.0 == b.0);
                findings.iter().any(|f| !f.is_empty()).then_some(Scanned {
                    blob: i,
                    classes,
                    findings,
                    secrets,
                })
            },
        )
        .flatten()
        .collect();
    let mut tally = tally.into_inner().expect("no panics while locked");
    let findings = group::group(&store, &history, found, engine, output.reveal, &commit_trim);
    let mut notes = tally.notes;
    let missing = tally.missing.len() + history.missing.len();
    tally.stats.missing_objects = missing as u64;
    tally.stats.shallow_boundaries = history.shallow_boundaries;
    tally.stats.commits_scanned =
        Some(history.nodes.iter().filter(|n| n.time.is_some()).count() as u64);
    if missing > 0 {
        notes.push(format!(
            "{missing} object{} missing from the object store (a partial or damaged clone?); what {} was not scanned",
            if missing == 1 { " is" } else { "s are" },
            if missing == 1 { "it holds" } else { "they hold" }
        ));
        tally.missing.sort();
        notes.extend(
            history
                .missing
                .iter()
                .chain(&tally.missing)
                .take(5)
                .cloned(),
        );
    }
    let mut outcome = scan::finish(findings, tally.stats, notes, engine, output, started);
    outcome.mode = Mode::History;
    Ok(outcome)
}
