//! Runs the pipeline over Git changes: each changed blob is scanned whole
//! (so that context such as an import of the exchange client counts), and
//! only findings on the lines the change adds are kept.

use std::sync::atomic::Ordering;
use std::time::Instant;

use git2::Repository;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::detectors::{Engine, Scratch};
use crate::scan::{self, Counters, Outcome, Output, Stats, human_bytes};
use crate::sources::git::Change;
use crate::sources::{Blob, is_binary};

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

fn ignored(ignore: Option<&Gitignore>, path: &str) -> bool {
    ignore.is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
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
        if ignored(ignore, &change.path) {
            continue;
        }
        let blob = match repo.find_blob(change.blob) {
            Ok(b) => b,
            // Not in the store (a partial clone): noted and skipped, as in
            // history scans.
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                stats.missing_objects += 1;
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
        if data.len() as u64 > max_file_size {
            stats.files_skipped_large += 1;
            notes.push(format!(
                "skipped {}: {} is over --max-file-size ({})",
                change.path,
                human_bytes(data.len() as u64),
                human_bytes(max_file_size)
            ));
            continue;
        }
        if is_binary(data) {
            stats.files_skipped_binary += 1;
            continue;
        }
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
                .filter(|f| change.added.touches(f.line, f.end_line))
                .map(|mut f| {
                    f.provenance = change.provenance.clone();
                    f
                }),
        );
    }
    scan::finish(findings, stats, notes, engine, output, started)
}
