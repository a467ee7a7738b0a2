//! Every commit of every ref, by blobs: which blob appeared at which path
//! in which commit first. A blob is then scanned once however many commits
//! and paths hold it (as Nosey Parker does).
//!
//! Read with gitoxide (gix), which measured 2.2 times faster than libgit2
//! here (docs/benchmarks.md); the staged and range scans keep libgit2.
//!
//! Commits are put in topological order, oldest first, and cut into one
//! contiguous run per thread. Each thread walks the trees of its run,
//! skipping every subtree it has already seen at the same path, and lists
//! for each commit the (blob, path) pairs new to it; contents are never
//! diffed. A sequential merge then keeps each pair's first commit. A pair
//! first seen in commit C is listed at C by C's thread (no earlier commit
//! of that run has it), so the earliest listing is the true first one.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;

use gix::ObjectId;
use gix::prelude::*;

use super::listings::{Entry, Run};
use super::pages::Trimmer;
use super::spans::Spans;
use super::tips;
use crate::error::{Error, Result};
use crate::findings::Provenance;

/// Delta bases kept per thread: enough to resolve chains without re-reading
/// them, small enough to keep a scan's memory bounded.
const PACK_CACHE: usize = 8 << 20;

/// A blob at a path, first seen in a commit.
#[derive(Debug, Clone)]
pub struct Introduction {
    /// The path as Git has it: `/`-separated bytes, not always UTF-8 (two
    /// names that are not may look alike once shown; see [`shown_path`]).
    pub path: Vec<u8>,
    /// Index into [`History::commits`].
    pub commit: u32,
}

/// One entry of [`History::commits`]: where its files are and what came
/// before it.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The root tree: a commit's, or the tree a tag points at; `None` for a
    /// blob a tag points at.
    pub tree: Option<ObjectId>,
    /// Indices into [`History::commits`] of the parents that were read, in
    /// the commit's order (a stash's second parent is its index, the third
    /// its untracked files).
    pub parents: Vec<u32>,
    /// Committer time, seconds since the Unix epoch; `None` for trees and
    /// blobs that tags point at.
    pub time: Option<i64>,
    /// A commit at a shallow clone's boundary (`.git/shallow`): its parents
    /// are not in the clone, so what its tree holds may be older than it.
    pub cut: bool,
}

/// A named tip and the entries whose files it holds.
#[derive(Debug, Clone)]
pub struct NamedTip {
    /// As in [`tips::Tips::named`]: `refs/heads/main`, `stash@{0}`, `HEAD`.
    pub name: String,
    /// Indices into [`History::commits`]: the tip's own entry; for a stash
    /// entry, also its index and untracked-files commits.
    pub entries: Vec<u32>,
}

/// What the object store holds, as far as the refs reach.
#[derive(Debug, Default)]
pub struct History {
    /// Commits oldest first (topological order), then the trees and blobs
    /// that tags point at directly (no commit holds them: they have no
    /// author or date).
    pub commits: Vec<ObjectId>,
    /// The tree, parents and date of each entry of `commits`.
    pub nodes: Vec<Node>,
    /// Distinct blobs, in order of first appearance, each with every path
    /// it was introduced at.
    pub blobs: Vec<(ObjectId, Vec<Introduction>)>,
    /// Every named tip (see [`tips::Tips::named`]).
    pub named: Vec<NamedTip>,
    /// The trees each entry's walk read, as changes, in runs that cover
    /// the entries that have a tree, in order.
    pub listings: Vec<Run>,
    /// HEAD's index into `commits`, when HEAD is born and was read.
    pub head: Option<u32>,
    /// Refs, commits or trees whose objects could not be read (partial
    /// clones, damage).
    pub missing: Vec<String>,
    /// Commits at a shallow clone's boundary that the walk reached: their
    /// parents are not in the clone.
    pub shallow_boundaries: u64,
}

/// A repository opened for history reads, shared by the worker threads.
pub struct Store {
    shared: gix::ThreadSafeRepository,
}

impl Store {
    /// Opens the Git directory `git_dir` as it is. Only the repository's own
    /// files are read: no system or global config, no environment, and
    /// nothing is ever run.
    pub fn open(git_dir: &Path) -> Result<Store> {
        let opts = gix::open::Options::isolated().open_path_as_is(true);
        let shared =
            gix::ThreadSafeRepository::open_opts(git_dir, opts).map_err(|e| Error::Git {
                message: format!("cannot open {} for a history scan: {e}", git_dir.display()),
            })?;
        Ok(Store { shared })
    }

    /// A handle for one thread, with a bounded delta-base cache.
    pub fn handle(&self) -> gix::Repository {
        let mut repo = self.shared.to_thread_local();
        repo.object_cache_size(None);
        repo.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                PACK_CACHE,
            ))
        });
        // A missing object would otherwise make the store re-scan objects/
        // each time: a blobless clone misses thousands.
        repo.objects.refresh_never();
        repo
    }
}

pub(crate) use super::hashing::{FastMap, FastSet, extend_hash};

/// Regular files (any 0o100xxx mode); not symlinks, not submodules.
pub(crate) fn is_file_mode(mode: u32) -> bool {
    mode & 0o170000 == 0o100000
}

pub(crate) const TREE_MODE: u32 = 0o040000;

/// A commit as read: its id, tree, parents and committer time.
type Read = (ObjectId, ObjectId, Vec<ObjectId>, i64);

/// Reads a commit's tree, parents and committer time.
fn read_commit(
    data: gix::objs::Data<'_>,
) -> std::result::Result<(ObjectId, Vec<ObjectId>, i64), String> {
    use gix::objs::commit::ref_iter::Token;
    let mut it = data
        .try_into_commit_iter()
        .ok_or_else(|| "not a commit".to_string())?;
    let tree = it.tree_id().map_err(|e| e.to_string())?;
    let mut parents = Vec::new();
    let mut time = 0;
    for token in it {
        match token.map_err(|e| e.to_string())? {
            Token::Parent { id } => parents.push(id),
            Token::Author { .. } => {}
            Token::Committer { signature } => {
                time = signature.seconds();
                break;
            }
            _ => break,
        }
    }
    Ok((tree, parents, time))
}

/// Commits reachable from `tips`, parents before children (Kahn's
/// algorithm over the graph found breadth first), each with its tree,
/// parents (as indices into the result) and committer time. The parents of
/// `shallow` commits are not looked for: a shallow clone does not have
/// them, and is not damaged for that.
fn topological(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    shallow: &HashSet<ObjectId>,
    known_missing: &HashSet<ObjectId>,
    missing: &mut Vec<String>,
    boundaries: &mut u64,
    trim: &Trimmer,
) -> (Vec<ObjectId>, Vec<Node>) {
    let mut index: FastMap<ObjectId, u32> = FastMap::default();
    let mut nodes: Vec<Read> = Vec::new();
    let mut seen: FastSet<ObjectId> = tips.iter().copied().collect();
    // Objects already noted as missing are not looked for again.
    seen.extend(known_missing.iter().copied());
    let mut queue: VecDeque<ObjectId> = tips.into();
    let mut buf = Vec::new();
    while let Some(id) = queue.pop_front() {
        trim.add(1);
        let read = repo
            .objects
            .try_find(&id, &mut buf)
            .map_err(|e| e.to_string())
            .and_then(|d| d.ok_or_else(|| "not in the object store".to_string()))
            .and_then(read_commit);
        match read {
            Ok((tree, mut parents, time)) => {
                if shallow.contains(&id) {
                    *boundaries += 1;
                    parents.clear();
                }
                for p in &parents {
                    if seen.insert(*p) {
                        queue.push_back(*p);
                    }
                }
                index.insert(id, nodes.len() as u32);
                nodes.push((id, tree, parents, time));
            }
            Err(e) => missing.push(format!("commit {id}: {e}")),
        }
    }
    let mut pending = vec![0u32; nodes.len()];
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
    for (i, (_, _, parents, _)) in nodes.iter().enumerate() {
        let mut ps: Vec<u32> = parents
            .iter()
            .filter_map(|p| index.get(p).copied())
            .collect();
        ps.sort_unstable();
        ps.dedup();
        for p in ps {
            pending[i] += 1;
            children[p as usize].push(i as u32);
        }
    }
    let mut ready: VecDeque<u32> = (0..nodes.len() as u32)
        .filter(|&i| pending[i as usize] == 0)
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &c in &children[i as usize] {
            pending[c as usize] -= 1;
            if pending[c as usize] == 0 {
                ready.push_back(c);
            }
        }
    }
    let mut position = vec![0u32; nodes.len()];
    for (at, &i) in order.iter().enumerate() {
        position[i as usize] = at as u32;
    }
    order
        .iter()
        .map(|&i| {
            let (id, tree, parents, time) = &nodes[i as usize];
            let parents = parents
                .iter()
                .filter_map(|p| index.get(p).map(|&n| position[n as usize]))
                .collect();
            let node = Node {
                tree: Some(*tree),
                parents,
                time: Some(*time),
                cut: shallow.contains(id),
            };
            (*id, node)
        })
        .unzip()
}

/// A (blob, path) pair as a thread lists it.
struct Pair {
    blob: ObjectId,
    hash: u64,
    path: Vec<u8>,
}

/// A path as shown: as it is when it is UTF-8, else with each byte that is
/// not as `\xNN`, so that two names that differ only there stay apart
/// (`String::from_utf8_lossy` would show both with U+FFFD).
pub fn shown_path(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.into();
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for chunk in raw.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.into()
}

/// The fewest commits left in a span for a thread to take half of them
/// over (`Spans`): a new walker reads its first commit's trees whole.
const MIN_SPLIT: usize = 1024;

/// What one walker read of a span of consecutive commits.
struct WalkedSpan {
    /// Index of its first commit in `order`.
    start: usize,
    /// The pairs each commit listed first, in order.
    listed: Vec<Vec<Pair>>,
    missing: Vec<String>,
    run: Run,
}

/// One thread's walk over a run of commits.
struct Walker {
    repo: gix::Repository,
    trees: FastSet<(ObjectId, u64)>,
    pairs: FastSet<(ObjectId, u64)>,
    missing: Vec<String>,
    /// One buffer per depth: a tree iterator borrows its buffer.
    bufs: Vec<Vec<u8>>,
    /// One listing per depth, of the tree being read there.
    listings: Vec<Vec<Entry>>,
    /// The trees read, as changes.
    run: Run,
}

impl Walker {
    fn walk(
        &mut self,
        tree: ObjectId,
        depth: usize,
        path: &mut Vec<u8>,
        path_hash: u64,
        out: &mut Vec<Pair>,
    ) {
        if !self.trees.insert((tree, path_hash)) {
            return;
        }
        if self.bufs.len() <= depth {
            self.bufs.resize_with(depth + 1, Vec::new);
            self.listings.resize_with(depth + 1, Vec::new);
        }
        let mut buf = std::mem::take(&mut self.bufs[depth]);
        let mut listing = std::mem::take(&mut self.listings[depth]);
        match self.repo.objects.find_tree_iter(&tree, &mut buf) {
            Ok(entries) => {
                for entry in entries {
                    let Ok(entry) = entry else {
                        self.missing.push(format!("tree {tree}: damaged"));
                        break;
                    };
                    let mode = u32::from(entry.mode.value());
                    let is_tree = mode == TREE_MODE;
                    if !is_tree && !is_file_mode(mode) {
                        continue;
                    }
                    let name: &[u8] = entry.filename;
                    let hash = extend_hash(path_hash, name);
                    let id = entry.oid.to_owned();
                    listing.push(Entry {
                        path: hash,
                        id,
                        tree: is_tree,
                    });
                    if !is_tree && !self.pairs.insert((id, hash)) {
                        continue;
                    }
                    let mark = path.len();
                    if !path.is_empty() {
                        path.push(b'/');
                    }
                    path.extend_from_slice(name);
                    if is_tree {
                        self.walk(id, depth + 1, path, hash, out);
                    } else {
                        out.push(Pair {
                            blob: id,
                            hash,
                            path: path.clone(),
                        });
                    }
                    path.truncate(mark);
                }
                self.run.read(path_hash, tree, &mut listing);
            }
            Err(e) => self.missing.push(format!("tree {tree}: {e}")),
        }
        self.bufs[depth] = buf;
        self.listings[depth] = listing;
    }
}

/// Enumerates the history of `store` with one walker per thread.
pub fn enumerate(store: &Store, trim: &Trimmer) -> Result<History> {
    let repo = store.handle();
    let mut history = History::default();
    let tips = tips::tips(&repo);
    history.missing = tips.missing;
    let shallow = tips::shallow(&repo);
    let (commits, nodes) = topological(
        &repo,
        tips.commits,
        &shallow,
        &tips.missing_ids,
        &mut history.missing,
        &mut history.shallow_boundaries,
        trim,
    );
    history.commits = commits;
    history.nodes = nodes;
    // Trees that tags point at come after every commit: a file a commit
    // also holds is attributed to that commit.
    for &(_, tree) in &tips.trees {
        history.commits.push(tree);
        history.nodes.push(Node {
            tree: Some(tree),
            ..Node::default()
        });
    }
    let order: Vec<(ObjectId, ObjectId)> = history
        .commits
        .iter()
        .zip(&history.nodes)
        .filter_map(|(&c, n)| Some((c, n.tree?)))
        .collect();
    // One walker per span of consecutive commits; a thread that finishes
    // its span takes over half of the largest span left (`spans`).
    let threads = rayon::current_num_threads().max(1);
    let spans = Spans::new(order.len(), threads, MIN_SPLIT);
    let done: Mutex<Vec<WalkedSpan>> = Mutex::new(Vec::new());
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| {
                while let Some((span, start)) = spans.claim() {
                    let mut w = Walker {
                        repo: store.handle(),
                        trees: FastSet::default(),
                        pairs: FastSet::default(),
                        missing: Vec::new(),
                        bufs: Vec::new(),
                        listings: Vec::new(),
                        run: Run::new(start as u32),
                    };
                    let mut path = Vec::with_capacity(256);
                    let mut listed = Vec::new();
                    while let Some(i) = spans.next(span) {
                        trim.add(1);
                        let mut out = Vec::new();
                        w.walk(order[i].1, 0, &mut path, 0, &mut out);
                        w.run.end_entry();
                        listed.push(out);
                    }
                    w.run.seal();
                    done.lock()
                        .expect("no panics while locked")
                        .push(WalkedSpan {
                            start,
                            listed,
                            missing: w.missing,
                            run: w.run,
                        });
                }
            });
        }
    });
    let mut runs = done.into_inner().expect("no panics while locked");
    runs.sort_unstable_by_key(|r| r.start);
    // Merge in commit order: a pair belongs to the first commit listing it.
    let mut seen: FastSet<(ObjectId, u64)> = FastSet::default();
    let mut index: FastMap<ObjectId, usize> = FastMap::default();
    let mut commit = 0u32;
    for WalkedSpan {
        listed,
        missing,
        run,
        ..
    } in runs
    {
        history.missing.extend(missing);
        history.listings.push(run);
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
    // Blobs that tags point at, at the tag's name, last of all.
    for (name, blob) in tips.blobs {
        history.commits.push(blob);
        history.nodes.push(Node::default());
        if seen.insert((blob, extend_hash(0, name.as_bytes()))) {
            let at = *index.entry(blob).or_insert_with(|| {
                history.blobs.push((blob, Vec::new()));
                history.blobs.len() - 1
            });
            history.blobs[at].1.push(Introduction {
                path: name.into_bytes(),
                commit,
            });
        }
        commit += 1;
    }
    name_tips(&mut history, &tips.named, tips.head);
    // One missing tree is met by every thread and at every path holding it.
    history.missing.sort_unstable();
    history.missing.dedup();
    Ok(history)
}

/// Resolves each named tip to the entries that hold its files, and HEAD to
/// its entry.
fn name_tips(history: &mut History, named: &[(String, ObjectId)], head: Option<ObjectId>) {
    let wanted: FastSet<ObjectId> = named.iter().map(|(_, id)| *id).chain(head).collect();
    let at: FastMap<ObjectId, u32> = history
        .commits
        .iter()
        .enumerate()
        .filter(|(_, id)| wanted.contains(*id))
        .map(|(i, id)| (*id, i as u32))
        .collect();
    history.head = head.and_then(|h| at.get(&h).copied());
    for (name, id) in named {
        let Some(&entry) = at.get(id) else { continue };
        let mut entries = vec![entry];
        // A stash entry is a commit of the work tree whose second parent
        // holds the index and third the untracked files (git-stash(1)).
        if name.starts_with("stash@{") {
            entries.extend(history.nodes[entry as usize].parents.iter().skip(1));
        }
        history.named.push(NamedTip {
            name: name.clone(),
            entries,
        });
    }
}

/// Who made commit `id`, and when: author and author date, and the
/// committer date.
pub fn provenance(repo: &gix::Repository, id: ObjectId) -> Option<Provenance> {
    let mut buf = Vec::new();
    let data = repo.objects.try_find(&id, &mut buf).ok()??;
    use gix::objs::commit::ref_iter::Token;
    let (mut author, mut committer) = (None, None);
    for token in data.try_into_commit_iter()? {
        match token.ok()? {
            Token::Author { signature } => author = Some(signature.trim()),
            Token::Committer { signature } => {
                committer = Some(signature.trim());
                break;
            }
            _ => {}
        }
    }
    let author = author?;
    let when = author.time().ok()?;
    let committed = committer?.time().ok()?;
    let name = String::from_utf8_lossy(author.name).into_owned();
    let email = String::from_utf8_lossy(author.email).into_owned();
    Some(Provenance {
        commit: id.to_string(),
        author: if email.is_empty() {
            name
        } else {
            format!("{name} <{email}>")
        },
        date: super::dates::rfc3339(when.seconds, when.offset / 60),
        committed: Some(super::dates::rfc3339(
            committed.seconds,
            committed.offset / 60,
        )),
    })
}
