//! Runs the pipeline over Git changes: each changed blob is scanned whole
//! (so that context such as an import of the exchange client counts), and
//! only findings on the lines the change adds are kept.

use std::sync::atomic::Ordering;
use std::time::Instant;

use git2::Repository;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::detectors::{Engine, PathForms, Scratch};
use crate::scan::{self, Counters, Gap, Mode, Outcome, Output, Stats, Unchecked};
use crate::sources::git::{self, Change};
use crate::sources::{Blob, classify, is_binary};

/// `.keyhoundignore` as read from the repository (gitignore syntax, paths
/// relative to the repository root).
pub fn ignore_from(text: Option<&[u8]>) -> Option<Gitignore> {
    let text = String::from_utf8_lossy(text?);
    let mut b = GitignoreBuilder::new("");
    for line in text.lines() {
        let _ = b.add_line(None, line);
    }
    b.build().ok()
}

/// Whether `.keyhoundignore` or a global path allowlist excludes `path`.
fn excluded(engine: &Engine, ignore: Option<&Gitignore>, path: &str) -> bool {
    ignore.is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
        || engine.path_allowed(PathForms {
            display: path,
            relative: path,
        })
}

/// Scans `changes`, keeping findings on added lines, with provenance.
pub fn scan_changes(
    engine: &Engine,
    repo: &Repository,
    changes: &[Change],
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
    for change in changes {
        if excluded(engine, ignore, &change.path) {
            continue;
        }
        // Content moved out of an excluded path is new to the scanned one:
        // every line of it counts as added.
        let moved_in = change
            .renamed_from
            .as_deref()
            .is_some_and(|from| excluded(engine, ignore, from));
        if change.added.is_empty() && !moved_in {
            continue;
        }
        let blob = match repo.find_blob(change.blob) {
            Ok(b) => b,
            // Not in the store (a partial clone, a blob never written):
            // noted, and the scan is incomplete.
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                stats.missing_objects += 1;
                stats.missing_paths.push(change.path.clone());
                notes.push(format!("{}: blob {} is missing", change.path, change.blob));
                continue;
            }
            Err(e) => {
                stats.errors += 1;
                notes.push(format!(
                    "{}: cannot read blob {}: {}",
                    change.path,
                    change.blob,
                    e.message()
                ));
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
        let found = scan::scan_blob(
            engine,
            Blob {
                display: &change.path,
                relative: &change.path,
                data,
            },
            output,
            &mut scratch,
        );
        findings.extend(
            found
                .into_iter()
                .filter(|f| moved_in || change.added.touches(f.line, f.end_line))
                .map(|mut f| {
                    f.provenance = change.provenance.clone();
                    f.shallow_boundary = change.shallow_boundary.clone();
                    f
                }),
        );
    }
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
            (_, Some(remote)) => (
                format!("{n} object{s} missing from this partial clone (cloned with --filter)"),
                format!(
                    "fetch them with `git config --unset remote.{remote}.partialclonefilter && git fetch --refetch {remote}`, or clone again without --filter"
                ),
            ),
            (_, None) => (
                format!("{n} object{s} missing from the object store (a damaged clone?)"),
                "`git fsck` lists them; fetch them again, or clone again".to_string(),
            ),
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
