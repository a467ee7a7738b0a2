//! Full-history audit: every blob of every ref scanned once, each secret
//! reported once per path with the commit that first introduced it, how
//! many commits brought a version holding it, and whether it is still at
//! HEAD.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use std::path::Path;

use gix::prelude::*;
use ignore::gitignore::Gitignore;
use rayon::prelude::*;

use crate::detectors::{Engine, Scratch};
use crate::error::Result;
use crate::findings::{Finding, fingerprint};
use crate::scan::{self, Counters, Outcome, Output, Stats, human_bytes};
use crate::sources::git::history::{self, History, Store};
use crate::sources::git::pages::Trimmer;
use crate::sources::{Blob, is_binary};

/// How often the pack pages are given back: every so many commits walked,
/// and every so many bytes of blobs read.
const TRIM_COMMITS: u64 = 1000;
const TRIM_BYTES: u64 = 16 << 20;

/// A secret at a path, as first seen.
struct Group {
    finding: Finding,
    first_commit: u32,
    commits: u64,
    at_head: bool,
}

#[derive(Default)]
struct Tally {
    stats: Stats,
    notes: Vec<String>,
    missing: Vec<String>,
}

/// Scans every blob reachable from any ref of the repository whose Git
/// directory is `git_dir`.
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
    let history = history::enumerate(&store, &Trimmer::new(TRIM_COMMITS))?;
    let byte_trim = Trimmer::new(TRIM_BYTES);
    counters
        .total
        .store(history.blobs.len() as u64, Ordering::Relaxed);
    let tally = Mutex::new(Tally::default());
    // One repository handle, read buffer and scratch space per worker.
    let found: Vec<(usize, Vec<Finding>)> = history
        .blobs
        .par_iter()
        .enumerate()
        .map_init(
            || (store.handle(), Scratch::default(), Vec::new()),
            |(repo, scratch, buf), (i, (oid, intros))| {
                counters.files.fetch_add(1, Ordering::Relaxed);
                let paths: Vec<&str> = intros
                    .iter()
                    .map(|x| x.path.as_str())
                    .filter(|p| {
                        !ignore.is_some_and(|g| g.matched_path_or_any_parents(p, false).is_ignore())
                    })
                    .collect();
                let Some(&path) = paths.first() else {
                    return (i, Vec::new());
                };
                let data = match repo.objects.try_find(oid, buf) {
                    Ok(Some(d)) if d.kind == gix::objs::Kind::Blob => d.data,
                    _ => {
                        let mut t = tally.lock().expect("no panics while locked");
                        t.missing
                            .push(format!("blob {oid} ({path}): not in the object store"));
                        return (i, Vec::new());
                    }
                };
                byte_trim.add(data.len() as u64);
                counters
                    .bytes
                    .fetch_add(data.len() as u64, Ordering::Relaxed);
                if data.len() as u64 > max_file_size || is_binary(data) {
                    let mut t = tally.lock().expect("no panics while locked");
                    if is_binary(data) {
                        t.stats.files_skipped_binary += 1;
                    } else {
                        t.stats.files_skipped_large += 1;
                        t.notes.push(format!(
                            "skipped blob {oid} ({path}): {} is over --max-file-size",
                            human_bytes(data.len() as u64)
                        ));
                    }
                    return (i, Vec::new());
                }
                {
                    let mut t = tally.lock().expect("no panics while locked");
                    t.stats.files_scanned += 1;
                    t.stats.bytes_scanned += data.len() as u64;
                }
                let blob = Blob {
                    display: path,
                    relative: path,
                    data,
                };
                (i, scan::scan_blob(engine, blob, output, scratch))
            },
        )
        .filter(|(_, f)| !f.is_empty())
        .collect();
    let mut tally = tally.into_inner().expect("no panics while locked");
    let findings = group(&store.handle(), &history, found, ignore);
    let mut notes = tally.notes;
    let missing = tally.missing.len() + history.missing.len();
    tally.stats.missing_objects = missing as u64;
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
    Ok(scan::finish(findings, tally.stats, notes, engine, started))
}

/// One finding per secret and path: the first commit that introduced it,
/// how many introduced it, and whether HEAD still holds it.
fn group(
    repo: &gix::Repository,
    history: &History,
    found: Vec<(usize, Vec<Finding>)>,
    ignore: Option<&Gitignore>,
) -> Vec<Finding> {
    let mut groups: HashMap<(String, String, [u8; 32]), Group> = HashMap::new();
    for (i, findings) in found {
        let (oid, intros) = &history.blobs[i];
        let in_head = history.at_head.contains(oid);
        for intro in intros {
            if ignore.is_some_and(|g| {
                g.matched_path_or_any_parents(&intro.path, false)
                    .is_ignore()
            }) {
                continue;
            }
            for f in &findings {
                let key = (f.rule_id.clone(), intro.path.clone(), f.secret_digest);
                let g = groups.entry(key).or_insert_with(|| Group {
                    finding: f.clone(),
                    first_commit: intro.commit,
                    commits: 0,
                    at_head: false,
                });
                g.commits += 1;
                g.at_head |= in_head;
                if intro.commit <= g.first_commit {
                    g.first_commit = intro.commit;
                    g.finding = f.clone();
                }
            }
        }
        let _ = oid;
    }
    groups
        .into_iter()
        .map(|((_, path, _), g)| {
            let mut f = g.finding;
            f.fingerprint = fingerprint(&f.rule_id, &path, &f.secret_digest);
            f.path = path;
            f.commits = Some(g.commits);
            f.at_head = Some(g.at_head);
            f.provenance = history::provenance(repo, history.commits[g.first_commit as usize]);
            f
        })
        .collect()
}
