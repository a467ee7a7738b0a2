//! Which blob each commit holds at each of a few paths: the paths where a
//! history scan found secrets, resolved in the root tree of every entry of
//! [`History::commits`](super::history::History::commits), to tell which
//! commits introduced a secret, which refs still hold it and where HEAD
//! has it.
//!
//! Only blobs of interest are kept (those with findings): a path whose blob
//! has none holds no secret. The paths form a tree of directories; a
//! directory's tree object is read once per thread however many commits
//! share it (a cache keyed by directory and tree id), so a commit costs the
//! read of its root tree and of the directories it changed on the way to
//! the paths. Results are interned: consecutive commits that change none of
//! the paths share one set.

use std::collections::HashMap;

use gix::ObjectId;
use gix::prelude::*;
use rayon::prelude::*;

use super::history::{FastMap, Store, TREE_MODE, is_file_mode};

/// A path's index and a blob's index (both into the caller's lists).
pub type Held = (u32, u32);

/// The blobs of interest each entry holds at the paths.
#[derive(Debug, Default)]
pub struct Resolved {
    /// For each entry, an index into `sets`.
    pub at: Vec<u32>,
    /// Distinct sets of (path, blob), sorted; `sets[0]` is empty.
    pub sets: Vec<Vec<Held>>,
}

impl Resolved {
    /// The set entry `entry` holds.
    pub fn of(&self, entry: u32) -> &[Held] {
        &self.sets[self.at[entry as usize] as usize]
    }

    /// The blob `entry` holds at `path`, if one of interest.
    pub fn blob_at(&self, entry: u32, path: u32) -> Option<u32> {
        let set = self.of(entry);
        set.binary_search_by_key(&path, |h| h.0)
            .ok()
            .map(|i| set[i].1)
    }

    /// Gives entry `entry` the set `set` (sorted), not interned.
    pub fn set(&mut self, entry: u32, set: Vec<Held>) {
        self.at[entry as usize] = self.sets.len() as u32;
        self.sets.push(set);
    }

    /// Interns `set` (sorted).
    pub fn intern(&mut self, set: Vec<Held>, index: &mut HashMap<Vec<Held>, u32>) -> u32 {
        if let Some(&id) = index.get(&set) {
            return id;
        }
        let id = self.sets.len() as u32;
        index.insert(set.clone(), id);
        self.sets.push(set);
        id
    }
}

/// A directory on the way to the paths: its entries of interest, sorted by
/// name. A name can be a file in one commit and a directory in another.
#[derive(Default)]
struct Dir {
    children: Vec<Child>,
}

struct Child {
    name: Vec<u8>,
    file: Option<u32>,
    dir: Option<u32>,
}

/// The directories of `paths` (`/`-separated), root first.
fn directories(paths: &[String]) -> Vec<Dir> {
    let mut dirs = vec![Dir::default()];
    for (p, path) in paths.iter().enumerate() {
        let mut at = 0usize;
        let mut parts = path.split('/').peekable();
        while let Some(name) = parts.next() {
            let last = parts.peek().is_none();
            let children = &mut dirs[at].children;
            let i = match children.binary_search_by(|c| c.name.as_slice().cmp(name.as_bytes())) {
                Ok(i) => i,
                Err(i) => {
                    children.insert(
                        i,
                        Child {
                            name: name.as_bytes().to_vec(),
                            file: None,
                            dir: None,
                        },
                    );
                    i
                }
            };
            if last {
                dirs[at].children[i].file = Some(p as u32);
            } else {
                at = match dirs[at].children[i].dir {
                    Some(d) => d as usize,
                    None => {
                        dirs.push(Dir::default());
                        let d = dirs.len() - 1;
                        dirs[at].children[i].dir = Some(d as u32);
                        d
                    }
                };
            }
        }
    }
    dirs
}

/// One thread's resolver.
struct Resolver<'a> {
    repo: gix::Repository,
    dirs: &'a [Dir],
    blobs: &'a FastMap<ObjectId, u32>,
    memo: FastMap<(u32, ObjectId), u32>,
    out: Resolved,
    index: HashMap<Vec<Held>, u32>,
    /// One buffer per depth: a tree iterator borrows its buffer.
    bufs: Vec<Vec<u8>>,
}

impl Resolver<'_> {
    /// The set of (path, blob) below directory `dir`, whose tree is `tree`.
    fn dir(&mut self, dir: u32, tree: ObjectId, depth: usize) -> u32 {
        if let Some(&id) = self.memo.get(&(dir, tree)) {
            return id;
        }
        if self.bufs.len() <= depth {
            self.bufs.resize_with(depth + 1, Vec::new);
        }
        let mut buf = std::mem::take(&mut self.bufs[depth]);
        let mut held: Vec<Held> = Vec::new();
        let dirs = self.dirs;
        // A tree that cannot be read was noted by the history walk.
        if let Ok(entries) = self.repo.objects.find_tree_iter(&tree, &mut buf) {
            let children = &dirs[dir as usize].children;
            for entry in entries.flatten() {
                let Some(child) = find(children, entry.filename) else {
                    continue;
                };
                let mode = u32::from(entry.mode.value());
                if mode == TREE_MODE {
                    if let Some(sub) = child.dir {
                        let id = self.dir(sub, entry.oid.to_owned(), depth + 1);
                        held.extend_from_slice(&self.out.sets[id as usize]);
                    }
                } else if is_file_mode(mode)
                    && let (Some(path), Some(&blob)) =
                        (child.file, self.blobs.get(&entry.oid.to_owned()))
                {
                    held.push((path, blob));
                }
            }
        }
        self.bufs[depth] = buf;
        held.sort_unstable();
        let id = self.out.intern(held, &mut self.index);
        self.memo.insert((dir, tree), id);
        id
    }
}

/// The child named `name`; names that are not UTF-8 are compared as the
/// history walk shows them (lossily).
fn find<'c>(children: &'c [Child], name: &[u8]) -> Option<&'c Child> {
    let by = |n: &[u8]| {
        children
            .binary_search_by(|c| c.name.as_slice().cmp(n))
            .ok()
            .map(|i| &children[i])
    };
    by(name).or_else(|| {
        std::str::from_utf8(name)
            .is_err()
            .then(|| by(String::from_utf8_lossy(name).as_bytes()))
            .flatten()
    })
}

/// Resolves `paths` in each of `trees` (an entry's root tree; `None`
/// resolves to the empty set), keeping the blobs of `blobs` (blob id →
/// index). Runs one contiguous run of entries per thread.
pub(crate) fn resolve(
    store: &Store,
    trees: &[Option<ObjectId>],
    paths: &[String],
    blobs: &FastMap<ObjectId, u32>,
) -> Resolved {
    let dirs = directories(paths);
    let threads = rayon::current_num_threads().max(1);
    let chunk = trees.len().div_ceil(threads).max(1);
    let runs: Vec<(Vec<u32>, Resolved)> = trees
        .par_chunks(chunk)
        .map(|run| {
            let mut r = Resolver {
                repo: store.handle(),
                dirs: &dirs,
                blobs,
                memo: FastMap::default(),
                out: Resolved::default(),
                index: HashMap::new(),
                bufs: Vec::new(),
            };
            let empty = r.out.intern(Vec::new(), &mut r.index);
            let at = run
                .iter()
                .map(|t| t.map_or(empty, |t| r.dir(0, t, 0)))
                .collect();
            (at, r.out)
        })
        .collect();
    let mut all = Resolved::default();
    let mut index = HashMap::new();
    all.intern(Vec::new(), &mut index);
    for (at, local) in runs {
        let map: Vec<u32> = local
            .sets
            .into_iter()
            .map(|s| all.intern(s, &mut index))
            .collect();
        all.at.extend(at.into_iter().map(|i| map[i as usize]));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_share_prefixes_and_a_name_can_be_file_and_directory() {
        let paths = ["a/b.env", "a/c/d.env", "a", "z.env"].map(String::from);
        let dirs = directories(&paths);
        let root: Vec<&[u8]> = dirs[0].children.iter().map(|c| c.name.as_slice()).collect();
        assert_eq!(root, [b"a".as_slice(), b"z.env"]);
        let a = &dirs[0].children[0];
        assert_eq!(a.file, Some(2));
        let a_dir = &dirs[a.dir.unwrap() as usize];
        assert_eq!(a_dir.children.len(), 2);
        assert_eq!(a_dir.children[0].file, Some(0));
    }
}
