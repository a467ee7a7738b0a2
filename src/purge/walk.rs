//! Every blob reachable from every ref, read in parallel: what the purge
//! plan reads its secrets' forms from, and what `--check` searches. The
//! refs and commits are those of the history audit
//! (`sources::git::history`): branches, tags, remote-tracking refs, the
//! stash, HEAD and every worktree's HEAD.

use std::path::Path;
use std::sync::Mutex;
use std::sync::OnceLock;

use gix::ObjectId;
use gix::prelude::*;
use rayon::prelude::*;

use crate::error::Result;
use crate::sources::git::history::{self, History, Introduction, Store};
use crate::sources::git::pages::Trimmer;

/// How often the pack pages are given back (see `sources::git::pages`).
const TRIM_COMMITS: u64 = 1000;
const TRIM_BYTES: u64 = 16 << 20;

/// A repository's history, enumerated once.
pub struct Walk {
    store: Store,
    pub history: History,
    /// Each entry's children in [`History::commits`], built when first
    /// asked which refs reach a commit.
    children: OnceLock<Vec<Vec<u32>>>,
}

/// What [`Walk::blobs`] gives back.
pub struct Visited<T> {
    /// Index into [`History::blobs`] and what the visitor returned.
    pub found: Vec<(usize, T)>,
    /// Blobs selected but not in the object store (a partial or damaged
    /// clone): `blob <id> (<path>)`.
    pub missing: Vec<String>,
    /// How many blobs were read.
    pub read: u64,
}

impl Walk {
    /// Opens the Git directory `git_dir` and enumerates its history.
    pub fn open(git_dir: &Path) -> Result<Walk> {
        let store = Store::open(git_dir)?;
        let history = history::enumerate(&store, &Trimmer::new(TRIM_COMMITS))?;
        Ok(Walk {
            store,
            history,
            children: OnceLock::new(),
        })
    }

    /// Reads, in parallel, every blob whose introductions `select` keeps,
    /// and gives its bytes and introductions to `visit` with a scratch
    /// value of its own thread; keeps what `visit` returns.
    pub fn blobs<T, S>(
        &self,
        select: impl Fn(&[Introduction]) -> bool + Sync,
        visit: impl Fn(&mut S, &[u8], &[Introduction]) -> Option<T> + Sync,
    ) -> Visited<T>
    where
        T: Send,
        S: Default,
    {
        let trim = Trimmer::new(TRIM_BYTES);
        let missing = Mutex::new(Vec::new());
        let read = std::sync::atomic::AtomicU64::new(0);
        let found: Vec<(usize, T)> = self
            .history
            .blobs
            .par_iter()
            .enumerate()
            .filter(|(_, (_, intros))| select(intros))
            .map_init(
                || (self.store.handle(), Vec::new(), S::default()),
                |(repo, buf, scratch), (i, (oid, intros))| {
                    let data = match repo.objects.try_find(oid, buf) {
                        Ok(Some(d)) if d.kind == gix::objs::Kind::Blob => d.data,
                        _ => {
                            let path = history::shown_path(&intros[0].path).into_owned();
                            missing
                                .lock()
                                .expect("no panics while locked")
                                .push(format!("blob {oid} ({path})"));
                            return None;
                        }
                    };
                    trim.add(data.len() as u64);
                    read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    visit(scratch, data, intros).map(|t| (i, t))
                },
            )
            .flatten()
            .collect();
        let mut missing = missing.into_inner().expect("no panics while locked");
        missing.sort();
        Visited {
            found,
            missing,
            read: read.into_inner(),
        }
    }

    /// The id of blob `i` of [`History::blobs`].
    pub fn blob_id(&self, i: usize) -> ObjectId {
        self.history.blobs[i].0
    }

    /// The commit (or tag target) of entry `entry` of [`History::commits`].
    pub fn commit_id(&self, entry: u32) -> ObjectId {
        self.history.commits[entry as usize]
    }

    /// The named tips (full ref names, `stash@{N}`, `HEAD`...) whose
    /// history holds any of `entries`: the tips that are one of them or
    /// descend from one. Sorted.
    pub fn refs_reaching(&self, entries: &[u32]) -> Vec<String> {
        let children = self.children.get_or_init(|| {
            let mut children = vec![Vec::new(); self.history.nodes.len()];
            for (i, node) in self.history.nodes.iter().enumerate() {
                for &p in &node.parents {
                    children[p as usize].push(i as u32);
                }
            }
            children
        });
        let mut held = vec![false; self.history.nodes.len()];
        let mut stack: Vec<u32> = entries.to_vec();
        while let Some(e) = stack.pop() {
            if std::mem::replace(&mut held[e as usize], true) {
                continue;
            }
            stack.extend(children[e as usize].iter().copied());
        }
        let mut refs: Vec<String> = self
            .history
            .named
            .iter()
            .filter(|t| t.entries.iter().any(|&e| held[e as usize]))
            .map(|t| t.name.clone())
            .collect();
        refs.sort();
        refs.dedup();
        refs
    }

    /// The named tips, full ref names first as Git lists them.
    pub fn ref_names(&self) -> impl Iterator<Item = &str> {
        self.history.named.iter().map(|t| t.name.as_str())
    }

    /// How many commits the history holds (not counting trees and blobs
    /// that tags point at).
    pub fn commit_count(&self) -> usize {
        self.history
            .nodes
            .iter()
            .filter(|n| n.time.is_some())
            .count()
    }

    /// Whether the store could not be read whole (refs, commits or trees
    /// missing): the notes say what.
    pub fn missing(&self) -> &[String] {
        &self.history.missing
    }
}
