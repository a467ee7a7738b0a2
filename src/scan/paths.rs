//! The directory driver: files and directories walked in parallel, what
//! Git tracks there read even where an ignore file hides it, each file
//! named in fingerprints from the top of its work tree.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rayon::prelude::*;

use super::{Counters, Output, finish, scan_blob_as, stream};
use crate::detectors::{Engine, PathForms, Scratch};
use crate::findings::Finding;
use crate::findings::{Outcome, Stats};
use crate::sources::fs::{WalkOptions, visit_file, walk};
use crate::sources::tracked;
use crate::sources::{Item, is_binary};

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
                let streamed = stream::scan_stream(
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
