//! Every commit of every ref, by blobs: which blob appeared at which path
//! in which commit first. A blob is then scanned once however many commits
//! and paths hold it (as Nosey Parker does).
//!
//! Commits are put in topological order, oldest first, and cut into one
//! contiguous run per thread. Each thread walks the trees of its run,
//! skipping every subtree it has already seen at the same path, and lists
//! for each commit the (blob, path) pairs new to it; contents are never
//! diffed. A sequential merge then keeps each pair's first commit. A pair
//! first seen in commit C is listed at C by C's thread (no earlier commit
//! of that run has it), so the earliest listing is the true first one.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{Oid, Repository, Sort, TreeWalkMode, TreeWalkResult};
use rayon::prelude::*;

use crate::error::Result;

/// A blob at a path, first seen in a commit.
#[derive(Debug, Clone)]
pub struct Introduction {
    pub path: String,
    /// Index into [`History::commits`].
    pub commit: u32,
}

/// What the object store holds, as far as the refs reach.
#[derive(Debug, Default)]
pub struct History {
    /// Commits oldest first (topological order).
    pub commits: Vec<Oid>,
    /// Distinct blobs, in order of first appearance, each with every path
    /// it was introduced at.
    pub blobs: Vec<(Oid, Vec<Introduction>)>,
    /// Blobs in HEAD's tree.
    pub at_head: HashSet<Oid>,
    /// Commits or trees that could not be read (partial clones, damage).
    pub missing: Vec<String>,
}

/// Hash of a path, extended one component at a time (no allocation).
fn extend_hash(prefix: u64, name: &[u8]) -> u64 {
    let mut h = prefix ^ 0x9e37_79b9_7f4a_7c15;
    for &b in name {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ u64::from(b'/')).wrapping_mul(0x0100_0000_01b3)
}

fn is_file_mode(mode: i32) -> bool {
    // Regular files; symlinks (0o120000) and submodules (0o160000) are not followed.
    matches!(mode, 0o100644 | 0o100755 | 0o100664)
}

/// A (blob, path) pair as a thread lists it.
struct Pair {
    blob: Oid,
    hash: u64,
    path: String,
}

/// One thread's walk over a run of commits.
struct Walker<'r> {
    repo: &'r Repository,
    trees: HashSet<(Oid, u64)>,
    pairs: HashSet<(Oid, u64)>,
    missing: Vec<String>,
}

impl Walker<'_> {
    fn walk(&mut self, tree: Oid, path: &mut Vec<u8>, path_hash: u64, out: &mut Vec<Pair>) {
        if !self.trees.insert((tree, path_hash)) {
            return;
        }
        let tree = match self.repo.find_tree(tree) {
            Ok(t) => t,
            Err(e) => {
                self.missing.push(format!("tree {tree}: {}", e.message()));
                return;
            }
        };
        for entry in tree.iter() {
            let mode = entry.filemode();
            let is_tree = mode == 0o040000;
            if !is_tree && !is_file_mode(mode) {
                continue;
            }
            let name = entry.name_bytes();
            let hash = extend_hash(path_hash, name);
            if !is_tree && !self.pairs.insert((entry.id(), hash)) {
                continue;
            }
            let mark = path.len();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            if is_tree {
                self.walk(entry.id(), path, hash, out);
            } else {
                out.push(Pair {
                    blob: entry.id(),
                    hash,
                    path: String::from_utf8_lossy(path).into_owned(),
                });
            }
            path.truncate(mark);
        }
    }

    /// The pairs each commit of `run` adds to what this walker has seen.
    fn run(&mut self, run: &[Oid]) -> Vec<Vec<Pair>> {
        let mut path = Vec::with_capacity(256);
        run.iter()
            .map(|&id| {
                let mut out = Vec::new();
                match self.repo.find_commit(id) {
                    Ok(c) => self.walk(c.tree_id(), &mut path, 0, &mut out),
                    Err(e) => self.missing.push(format!("commit {id}: {}", e.message())),
                }
                out
            })
            .collect()
    }
}

/// Every commit reachable from a ref (branches, tags, remote-tracking
/// refs, the stash) or HEAD, oldest first.
fn commits(repo: &Repository, missing: &mut Vec<String>) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut pushed = 0;
    for r in repo.references()?.flatten() {
        // Refs to trees or blobs (rare tags) have no commits to walk.
        if let Ok(c) = r.peel_to_commit()
            && walk.push(c.id()).is_ok()
        {
            pushed += 1;
        }
    }
    if let Ok(head) = repo.head()
        && let Ok(c) = head.peel_to_commit()
        && walk.push(c.id()).is_ok()
    {
        pushed += 1;
    }
    if pushed == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for id in walk {
        match id {
            Ok(id) => out.push(id),
            Err(e) => missing.push(format!("commit walk: {}", e.message())),
        }
    }
    Ok(out)
}

/// Enumerates `repo`'s history with `threads` walkers (each opens its own
/// handle on the Git directory: libgit2 handles are not shared).
pub fn enumerate(repo: &Repository) -> Result<History> {
    let mut history = History::default();
    history.commits = commits(repo, &mut history.missing)?;
    let threads = rayon::current_num_threads().max(1);
    let chunk = history.commits.len().div_ceil(threads).max(1);
    let git_dir: &Path = repo.path();
    let runs: Vec<(Vec<Vec<Pair>>, Vec<String>)> = history
        .commits
        .par_chunks(chunk)
        .map(|run| match Repository::open(git_dir) {
            Ok(handle) => {
                let mut w = Walker {
                    repo: &handle,
                    trees: HashSet::new(),
                    pairs: HashSet::new(),
                    missing: Vec::new(),
                };
                let listed = w.run(run);
                (listed, w.missing)
            }
            Err(e) => (
                run.iter().map(|_| Vec::new()).collect(),
                vec![format!(
                    "cannot open {}: {}",
                    git_dir.display(),
                    e.message()
                )],
            ),
        })
        .collect();
    // Merge in commit order: a pair belongs to the first commit listing it.
    let mut seen: HashSet<(Oid, u64)> = HashSet::new();
    let mut index: HashMap<Oid, usize> = HashMap::new();
    let mut commit = 0u32;
    for (listed, missing) in runs {
        history.missing.extend(missing);
        for pairs in listed {
            for p in pairs {
                if !seen.insert((p.blob, p.hash)) {
                    continue;
                }
                let at = *index.entry(p.blob).or_insert_with(|| {
                    history.blobs.push((p.blob, Vec::new()));
                    history.blobs.len() - 1
                });
                history.blobs[at].1.push(Introduction {
                    path: p.path,
                    commit,
                });
            }
            commit += 1;
        }
    }
    if let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) {
        let _ = tree.walk(TreeWalkMode::PreOrder, |_, entry| {
            if is_file_mode(entry.filemode()) {
                history.at_head.insert(entry.id());
            }
            TreeWalkResult::Ok
        });
    }
    Ok(history)
}
