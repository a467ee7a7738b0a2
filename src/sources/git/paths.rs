//! Which blob each commit holds at each of a few paths: the paths where a
//! history scan found secrets, resolved in the root tree of every entry of
//! [`History::commits`](super::history::History::commits), to tell which
//! commits introduced a secret, which refs still hold it and where HEAD
//! has it.
//!
//! Only blobs of interest are kept (those with findings): a path whose blob
//! has none holds no secret. No tree is read: the history walk kept, for
//! each tree it read, the entries that differ from the last tree it read at
//! the same path (`listings`); replaying those in the walk's order tells
//! what each directory on the way to the paths holds, kept by directory and
//! tree id (the walk reads a tree once per path and thread). Paths are
//! Git's bytes, hashed as the walk hashes them. Results are interned:
//! consecutive commits that change none of the paths share one set.

use std::collections::HashMap;

use gix::ObjectId;
use rayon::prelude::*;

use gix::prelude::*;

use super::history::{FastMap, TREE_MODE, extend_hash, is_file_mode};
use super::listings::Run;
use super::pages::Trimmer;

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
    /// The hash of its path, as the history walk hashes it.
    hash: u64,
    children: Vec<Child>,
}

struct Child {
    name: Vec<u8>,
    hash: u64,
    file: Option<u32>,
    dir: Option<u32>,
}

/// The directories of `paths` (`/`-separated bytes, as Git has them), root
/// first.
fn directories(paths: &[Vec<u8>]) -> Vec<Dir> {
    let mut dirs = vec![Dir::default()];
    for (p, path) in paths.iter().enumerate() {
        let mut at = 0usize;
        let mut parts = path.split(|&b| b == b'/').peekable();
        while let Some(name) = parts.next() {
            let last = parts.peek().is_none();
            let found = dirs[at]
                .children
                .binary_search_by(|c| c.name.as_slice().cmp(name));
            let i = match found {
                Ok(i) => i,
                Err(i) => {
                    let hash = extend_hash(dirs[at].hash, name);
                    let children = &mut dirs[at].children;
                    children.insert(
                        i,
                        Child {
                            name: name.to_vec(),
                            hash,
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
                        let hash = dirs[at].children[i].hash;
                        dirs.push(Dir {
                            hash,
                            ..Dir::default()
                        });
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

/// One thread's replay of a run of the history walk's reads.
struct Replay<'a> {
    dirs: &'a [Dir],
    blobs: &'a FastMap<ObjectId, u32>,
    /// Directories of interest by path hash.
    dir_of: FastMap<u64, u32>,
    /// The paths of interest (the children of those directories) and what
    /// each holds as last read.
    last: FastMap<u64, Option<(ObjectId, bool)>>,
    /// What a directory's tree holds at the paths.
    memo: FastMap<(u32, ObjectId), u32>,
    out: Resolved,
    index: HashMap<Vec<Held>, u32>,
}

impl Replay<'_> {
    /// The set below directory `dir`, from its children as last read.
    fn dir(&mut self, dir: u32) -> u32 {
        let dirs = self.dirs;
        let mut held: Vec<Held> = Vec::new();
        for child in &dirs[dir as usize].children {
            match self.last.get(&child.hash).copied().flatten() {
                Some((id, true)) => {
                    if let Some(&set) = child.dir.and_then(|d| self.memo.get(&(d, id))) {
                        held.extend_from_slice(&self.out.sets[set as usize]);
                    }
                }
                Some((id, false)) => {
                    if let (Some(path), Some(&blob)) = (child.file, self.blobs.get(&id)) {
                        held.push((path, blob));
                    }
                }
                None => {}
            }
        }
        held.sort_unstable();
        self.out.intern(held, &mut self.index)
    }

    /// The sets of the run's entries, whose root trees are `trees`.
    fn run(&mut self, run: &Run, trees: &[Option<ObjectId>], trim: &Trimmer) -> Vec<u32> {
        let empty = self.out.intern(Vec::new(), &mut self.index);
        (0..run.len())
            .map(|i| {
                trim.add(1);
                for (read, changes) in run.reads(i) {
                    for &(path, now) in changes {
                        if let Some(held) = self.last.get_mut(&path) {
                            *held = now;
                        }
                    }
                    if let Some(&dir) = self.dir_of.get(&read.path) {
                        let set = self.dir(dir);
                        self.memo.insert((dir, read.tree), set);
                    }
                }
                trees[run.start as usize + i]
                    .and_then(|t| self.memo.get(&(0, t)).copied())
                    .unwrap_or(empty)
            })
            .collect()
    }
}

/// Resolves `paths` (`/`-separated bytes) in every entry of a history
/// (`trees`: each entry's root tree, `None` resolving to the empty set),
/// keeping the blobs of `blobs` (blob id → index). Replays the walk's
/// `listings` (one run per thread) without reading a tree. `trim` is told
/// of each entry, to give back pack pages as the history walk does.
pub(crate) fn resolve(
    trees: &[Option<ObjectId>],
    listings: &[Run],
    paths: &[Vec<u8>],
    blobs: &FastMap<ObjectId, u32>,
    trim: &Trimmer,
) -> Resolved {
    let dirs = directories(paths);
    let runs: Vec<(u32, Vec<u32>, Resolved)> = listings
        .par_iter()
        .map(|run| {
            let mut r = Replay {
                dirs: &dirs,
                blobs,
                dir_of: dirs
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (d.hash, i as u32))
                    .collect(),
                last: dirs
                    .iter()
                    .flat_map(|d| &d.children)
                    .map(|c| (c.hash, None))
                    .collect(),
                memo: FastMap::default(),
                out: Resolved::default(),
                index: HashMap::new(),
            };
            let at = r.run(run, trees, trim);
            (run.start, at, r.out)
        })
        .collect();
    let mut all = Resolved {
        at: vec![0; trees.len()],
        sets: Vec::new(),
    };
    let mut index = HashMap::new();
    all.intern(Vec::new(), &mut index);
    for (start, at, local) in runs {
        let map: Vec<u32> = local
            .sets
            .into_iter()
            .map(|s| all.intern(s, &mut index))
            .collect();
        for (i, id) in at.into_iter().enumerate() {
            all.at[start as usize + i] = map[id as usize];
        }
    }
    all
}

/// What a tree holds at a path, read from the object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtPath {
    /// No file there: nothing, a directory, a symbolic link or a submodule.
    Absent,
    /// A regular file: its blob.
    Blob(ObjectId),
    /// A tree on the way could not be read (a partial or damaged clone).
    Unreadable,
}

/// What `root`, a tree, holds at `path` (`/`-separated bytes), reading the
/// trees on the way (`buf` is reused). For the few commits a history audit
/// looks at one by one; [`resolve`] resolves every commit.
pub fn at_path(repo: &gix::Repository, root: ObjectId, path: &[u8], buf: &mut Vec<u8>) -> AtPath {
    let mut tree = root;
    let mut parts = path.split(|&b| b == b'/').peekable();
    while let Some(name) = parts.next() {
        let Ok(entries) = repo.objects.find_tree_iter(&tree, buf) else {
            return AtPath::Unreadable;
        };
        let mut found = None;
        for entry in entries {
            let Ok(entry) = entry else {
                return AtPath::Unreadable;
            };
            if entry.filename == name {
                found = Some((u32::from(entry.mode.value()), entry.oid.to_owned()));
                break;
            }
        }
        match found {
            Some((mode, id)) if parts.peek().is_none() && is_file_mode(mode) => {
                return AtPath::Blob(id);
            }
            Some((TREE_MODE, id)) if parts.peek().is_some() => tree = id,
            _ => return AtPath::Absent,
        }
    }
    AtPath::Absent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_share_prefixes_and_a_name_can_be_file_and_directory() {
        let paths = ["a/b.env", "a/c/d.env", "a", "z.env"].map(|p| p.as_bytes().to_vec());
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
