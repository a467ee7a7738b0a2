//! Runs the pipeline over Git changes: each changed blob is scanned whole
//! (so that context such as an import of the exchange client counts), and
//! only findings on the lines the change adds are kept.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

use git2::Repository;
use ignore::gitignore::Gitignore;

use crate::detectors::{Engine, PathForms, Scratch};
use crate::findings::{Gap, Mode, Outcome, Stats, Unchecked};
use crate::scan::{self, Counters, Output};
use crate::sources::git::{self, ChangeSet, Unread};
use crate::sources::{Blob, classify, is_binary};

/// Whether `.keyhoundignore` or a global path allowlist excludes `path`.
pub fn excluded(engine: &Engine, ignore: Option<&Gitignore>, path: &str) -> bool {
    ignore.is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
        || engine.path_allowed(PathForms {
            display: path,
            relative: path,
        })
}

/// Counts and notes what a Git source could not read: the scan is
/// incomplete.
fn not_read(u: &Unread, stats: &mut Stats, notes: &mut Vec<String>) {
    let what = u.what();
    if u.missing {
        stats.missing_objects += 1;
        notes.push(format!(
            "{what}: not checked, an object is missing: {}",
            u.message
        ));
        stats.missing_paths.push(what);
    } else {
        stats.errors += 1;
        notes.push(format!(
            "{what}: not checked, cannot read it: {}",
            u.message
        ));
    }
}

/// Scans the changes of `set`, keeping findings on added lines, with
/// provenance; what the source could not read makes the scan incomplete.
/// A range's findings ([`ChangeSet::head`]) are then one per secret and
/// path, at the lines of the range's head ([`scan::range::at_head`]).
pub fn scan_changes(
    engine: &Engine,
    repo: &Repository,
    set: &ChangeSet,
    output: &Output,
    ignore: Option<&Gitignore>,
    max_file_size: u64,
    counters: &Counters,
) -> Outcome {
    let started = Instant::now();
    let mut stats = Stats::default();
    let mut notes = Vec::new();
    let mut findings = Vec::new();
    let mut scratch = Scratch::default();
    for u in &set.unread {
        not_read(u, &mut stats, &mut notes);
    }
    for change in &set.changes {
        if change.added.is_empty() || excluded(engine, ignore, &change.path) {
            continue;
        }
        let blob = match repo.find_blob(change.blob) {
            Ok(b) => b,
            // Not in the store (a partial clone, a blob never written):
            // noted, and the scan is incomplete.
            Err(e) => {
                let commit = change
                    .provenance
                    .as_ref()
                    .map(|p| p.commit.as_str())
                    .or(change.shallow_boundary.as_deref())
                    .and_then(|c| git2::Oid::from_str(c).ok());
                let u = Unread::of(Some(change.path.clone()), commit, &e);
                not_read(&u, &mut stats, &mut notes);
                continue;
            }
        };
        let data = blob.content();
        if let Some(why) = classify(data, data.len() as u64, max_file_size) {
            stats.skip(change.path.clone(), &why);
            continue;
        }
        stats.files_scanned_binary += u64::from(is_binary(data));
        stats.files_scanned += 1;
        stats.bytes_scanned += data.len() as u64;
        counters.files.fetch_add(1, Ordering::Relaxed);
        counters
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        // Fingerprints name the file as `keyhound scan` does (lossily).
        let found = scan::scan_blob_as(
            engine,
            Blob {
                display: &change.path,
                relative: &change.path,
                data,
            },
            &String::from_utf8_lossy(&change.raw_path),
            output,
            &mut scratch,
        );
        findings.extend(
            found
                .into_iter()
                .filter(|f| change.added.touches(f.line, f.end_line))
                .map(|mut f| {
                    f.provenance = change.provenance.clone();
                    f.shallow_boundary = change.shallow_boundary.clone();
                    f
                }),
        );
    }
    if let Some(head) = set.head {
        let raw: HashMap<&str, &[u8]> = set
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.raw_path.as_slice()))
            .collect();
        findings = scan::range::at_head(engine, repo, head, findings, &raw, output, &mut scratch);
    }
    stats.shallow_boundaries = set.shallow_boundaries;
    stats.commits_scanned = set.commits;
    scan::finish(findings, stats, notes, engine, output, started)
}

/// Says what a Git scan of `repo` could not check, and how to get it
/// checked: objects missing from the store (fetched again from the remote
/// of a partial clone, written again by `git add` for the staged files,
/// else a damaged clone) make the scan incomplete; a shallow clone's cut
/// is noted.
pub fn account(repo: &Repository, outcome: &mut Outcome) {
    let stats = &mut outcome.stats;
    let n = stats.missing_objects;
    let s = if n == 1 { "" } else { "s" };
    if n > 0 {
        let (what, fix) = match (outcome.mode, git::promisor_remote(repo)) {
            (Mode::Staged, _) => (
                format!(
                    "{n} staged file{s} whose blob is missing from the object store ({})",
                    named(&stats.missing_paths)
                ),
                "stage it again (`git add`), or commit with --no-verify knowing it was not checked"
                    .to_string(),
            ),
            (Mode::PreReceive, _) => (
                format!(
                    "{n} object{s} the push needs, missing from the repository and the push's quarantine"
                ),
                "push again; if it persists, `git fsck` on the server lists what is damaged"
                    .to_string(),
            ),
            (_, remote) => {
                let subject = match outcome.mode {
                    Mode::Range if !stats.missing_paths.is_empty() => format!(
                        "{n} of the range's commits and files ({}): objects they need are",
                        named(&stats.missing_paths)
                    ),
                    _ => format!("{n} object{s}"),
                };
                match remote {
                    Some(remote) => (
                        format!("{subject} missing from this partial clone (cloned with --filter)"),
                        // `--tags`: a plain fetch leaves what only tags reach.
                        format!(
                            "fetch them with `git config --unset remote.{remote}.partialclonefilter && git fetch --refetch --tags {remote}`, or clone again without --filter"
                        ),
                    ),
                    None => (
                        format!("{subject} missing from the object store (a damaged clone?)"),
                        "`git fsck` lists them; fetch them again, or clone again".to_string(),
                    ),
                }
            }
        };
        stats.not_checked(Unchecked {
            reason: Gap::MissingObjects,
            count: n,
            what,
            fix,
        });
    }
    if stats.shallow_boundaries > 0 {
        outcome.notes.push(format!(
            "history is cut at this shallow clone's boundary ({} commit{}): older commits are not in the clone and were not checked; `git fetch --unshallow` gets them",
            stats.shallow_boundaries,
            if stats.shallow_boundaries == 1 { "" } else { "s" }
        ));
    }
}

/// The first paths of a list, for a summary line.
fn named(paths: &[String]) -> String {
    let mut out: Vec<&str> = paths.iter().take(3).map(String::as_str).collect();
    let more = format!("and {} more", paths.len().saturating_sub(3));
    if paths.len() > 3 {
        out.push(&more);
    }
    out.join(", ")
}
