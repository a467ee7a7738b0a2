//! Which commits introduced a secret at a path: their file there holds the
//! secret's bytes and no parent's file there does.
//!
//! A scan finds a secret where it is detectable, and that can be later than
//! where it came: `client = Client("<key>", "<secret>")` is recognised once
//! `from binance.client import Client` is added above it, months after the
//! key itself (`git log -S` finds the earlier commit). So from each commit
//! that made the secret detectable at a path (no parent's file there is
//! detected holding it), the earlier versions of the file at that path are
//! looked at, parent by parent, for the secret's bytes; while they hold
//! them, further back. The commits where the bytes first appear introduced
//! it.
//!
//! What cannot be known is said, not guessed: the boundary commit of a
//! shallow clone (its parents are not in the clone), and a commit whose
//! parent's version of the file cannot be read (a partial clone that did
//! not fetch it), may hold a secret that is older.
//!
//! The secret's bytes are kept in memory only (they never reach a report),
//! and only versions on the way back from a detected introduction are
//! read: a few blobs per secret.

use std::cell::OnceCell;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use gix::ObjectId;
use gix::prelude::*;

use super::group::Blobs;
use crate::detectors::Match;
use crate::sources::git::history::{FastMap, FastSet, History};
use crate::sources::git::pages::Trimmer;
use crate::sources::git::paths::{AtPath, Resolved, at_path};

/// Why a commit that holds a secret may not be where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unknown {
    /// The commit is at a shallow clone's boundary: its parents, which may
    /// hold the secret, are not in the clone.
    Boundary,
    /// A parent's version of the file at the path could not be read (a
    /// partial or damaged clone): it may hold the secret.
    Unreadable,
}

/// A commit that holds a secret at a path, none of whose parents is known
/// to hold it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Origin {
    /// Index into [`History::commits`].
    pub entry: u32,
    /// Its blob at the path.
    pub blob: ObjectId,
    /// `None`: it introduced the secret. Otherwise why that is not known.
    pub unknown: Option<Unknown>,
}

/// What is known of where one secret came from at one path.
#[derive(Debug, Default)]
pub(super) struct Trace {
    /// The commits that introduced it, and those that may have.
    pub origins: Vec<Origin>,
}

impl Trace {
    /// How many commits are known to have introduced it.
    pub fn introduced(&self) -> u64 {
        self.origins.iter().filter(|o| o.unknown.is_none()).count() as u64
    }

    /// The earliest origin, by committer time then topological order: the
    /// first exposure, or the commit before which nothing can be known.
    pub fn first(&self, history: &History) -> Option<Origin> {
        self.origins
            .iter()
            .copied()
            .min_by_key(|o| (history.nodes[o.entry as usize].time, o.entry))
    }
}

/// A parent's version of the file at the path, as far as one secret goes.
enum Version {
    /// Holds it, as the scan found it there.
    Detected,
    /// Holds its bytes, where the scan did not find it: look further back.
    Bytes(ObjectId),
    /// Does not hold it (or there is no file).
    Without,
    /// Could not be read.
    Unreadable,
}

/// The secrets found at one path, to look for in its other versions.
pub(super) struct PathSecrets {
    /// Digest index and the index of a rule that found it, by pattern.
    pub secrets: Vec<(u32, u32)>,
    /// Their bytes, by pattern.
    patterns: Vec<Box<[u8]>>,
    /// Built when a version is first looked at (most paths never are).
    finder: OnceCell<Option<AhoCorasick>>,
}

impl PathSecrets {
    /// `secrets`: digest index and rule index; `bytes`: each secret's
    /// bytes by digest index (an empty one is left out).
    pub fn new(secrets: Vec<(u32, u32)>, bytes: &[Box<[u8]>]) -> Self {
        let (secrets, patterns) = secrets
            .into_iter()
            .filter(|&(d, _)| !bytes[d as usize].is_empty())
            .map(|(d, rule)| ((d, rule), bytes[d as usize].clone()))
            .unzip();
        PathSecrets {
            secrets,
            patterns,
            finder: OnceCell::new(),
        }
    }

    fn finder(&self) -> Option<&AhoCorasick> {
        self.finder
            .get_or_init(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&self.patterns)
                    .ok()
            })
            .as_ref()
    }

    /// Every place `data` holds one of the secrets, as matches of the rule
    /// that found it, sorted and disjoint (of two that overlap, the one
    /// that starts first, or the longer).
    pub fn find(&self, data: &[u8]) -> Vec<Match> {
        let Some(finder) = self.finder() else {
            return Vec::new();
        };
        let mut found: Vec<Match> = finder
            .find_overlapping_iter(data)
            .map(|m| Match {
                rule: self.secrets[m.pattern().as_usize()].1,
                start: m.start(),
                end: m.end(),
                match_start: m.start(),
                match_end: m.end(),
                decoded: None,
            })
            .collect();
        found.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        let mut end = 0;
        found.retain(|m| {
            let keep = m.start >= end;
            end = end.max(m.end);
            keep
        });
        found
    }

    /// The digest indices of the secrets `data` holds, at any place.
    fn held(&self, data: &[u8]) -> FastSet<u32> {
        self.finder().map_or_else(FastSet::default, |f| {
            f.find_overlapping_iter(data)
                .map(|m| self.secrets[m.pattern().as_usize()].0)
                .collect()
        })
    }
}

/// The look-back over one history.
pub(super) struct Tracer<'a> {
    history: &'a History,
    resolved: &'a Resolved,
    blobs: &'a Blobs<'a>,
    /// Paths by index, as Git has them.
    paths: &'a [Vec<u8>],
    /// The secrets of each path.
    secrets: &'a HashMap<u32, PathSecrets>,
    repo: &'a gix::Repository,
    buf: Vec<u8>,
    /// What each entry holds at each path, when read from its tree.
    at: FastMap<(u32, u32), AtPath>,
    /// Which of a path's secrets each blob holds the bytes of, by (blob,
    /// path); `None`: the blob could not be read.
    bytes: FastMap<(ObjectId, u32), Option<FastSet<u32>>>,
    /// The last blob read and its contents (a path's secrets are looked
    /// for in one version after the other).
    last: Option<(ObjectId, Option<Vec<u8>>)>,
    /// Gives back the pack pages the reads touch: each blob's delta chain
    /// is a megabyte or two of pages, resident until then.
    trim: Trimmer,
}

/// Lookups (a tree path or a blob) between two trims of the pack pages.
const TRIM_READS: u64 = 8;

impl<'a> Tracer<'a> {
    pub fn new(
        repo: &'a gix::Repository,
        history: &'a History,
        resolved: &'a Resolved,
        blobs: &'a Blobs<'a>,
        paths: &'a [Vec<u8>],
        secrets: &'a HashMap<u32, PathSecrets>,
    ) -> Self {
        Tracer {
            history,
            resolved,
            blobs,
            paths,
            secrets,
            repo,
            buf: Vec::new(),
            at: FastMap::default(),
            bytes: FastMap::default(),
            last: None,
            trim: Trimmer::new(TRIM_READS),
        }
    }

    /// The blob entry `e` holds at path `p` (of interest or not).
    fn blob_at(&mut self, e: u32, p: u32) -> AtPath {
        if let Some(b) = self.resolved.blob_at(e, p) {
            return AtPath::Blob(self.blobs.oid(b));
        }
        if let Some(&at) = self.at.get(&(e, p)) {
            return at;
        }
        self.trim.add(1);
        let at = match self.history.nodes[e as usize].tree {
            Some(root) => at_path(self.repo, root, &self.paths[p as usize], &mut self.buf),
            None => AtPath::Absent,
        };
        self.at.insert((e, p), at);
        at
    }

    /// Whether blob `id`, at path `p`, holds the bytes of secret `d`
    /// (`None`: it could not be read).
    fn holds_bytes(&mut self, id: ObjectId, p: u32, d: u32) -> Option<bool> {
        if !self.bytes.contains_key(&(id, p)) {
            let secrets = self.secrets;
            let held = self.contents(id).map(|data| secrets[&p].held(data));
            self.bytes.insert((id, p), held);
        }
        self.bytes[&(id, p)].as_ref().map(|held| held.contains(&d))
    }

    /// The contents of blob `id` (`None`: not in the object store).
    pub fn contents(&mut self, id: ObjectId) -> Option<&[u8]> {
        if self.last.as_ref().is_none_or(|(last, _)| *last != id) {
            self.trim.add(1);
            let mut buf = Vec::new();
            let data = match self.repo.objects.try_find(&id, &mut buf) {
                Ok(Some(o)) if o.kind == gix::objs::Kind::Blob => Some(o.data.to_vec()),
                _ => None,
            };
            self.last = Some((id, data));
        }
        self.last.as_ref().and_then(|(_, data)| data.as_deref())
    }

    /// Parent `q`'s version of the file at `p`, as far as secret `d` goes.
    fn version(&mut self, q: u32, p: u32, d: u32) -> Version {
        if let Some(b) = self.resolved.blob_at(q, p)
            && self.blobs.at(b, p).binary_search(&d).is_ok()
        {
            return Version::Detected;
        }
        match self.blob_at(q, p) {
            AtPath::Absent => Version::Without,
            AtPath::Unreadable => Version::Unreadable,
            AtPath::Blob(id) => match self.holds_bytes(id, p, d) {
                Some(true) => Version::Bytes(id),
                Some(false) => Version::Without,
                None => Version::Unreadable,
            },
        }
    }

    /// Where secret `d` came from at path `p`, from `detected`: the
    /// commits whose file there the scan found holding it while no
    /// parent's was found holding it, each with its blob.
    pub fn trace(&mut self, p: u32, d: u32, detected: &[(u32, ObjectId)]) -> Trace {
        let mut trace = Trace::default();
        let mut seen: FastSet<u32> = detected.iter().map(|&(e, _)| e).collect();
        let mut todo: Vec<(u32, ObjectId)> = detected.to_vec();
        while let Some((e, blob)) = todo.pop() {
            let node = &self.history.nodes[e as usize];
            if node.cut {
                trace.origins.push(Origin {
                    entry: e,
                    blob,
                    unknown: Some(Unknown::Boundary),
                });
                continue;
            }
            let (mut held, mut unreadable) = (false, false);
            for q in node.parents.clone() {
                match self.version(q, p, d) {
                    Version::Detected => held = true,
                    Version::Bytes(id) => {
                        held = true;
                        if seen.insert(q) {
                            todo.push((q, id));
                        }
                    }
                    Version::Without => {}
                    Version::Unreadable => unreadable = true,
                }
            }
            if !held {
                trace.origins.push(Origin {
                    entry: e,
                    blob,
                    unknown: unreadable.then_some(Unknown::Unreadable),
                });
            }
        }
        trace
    }

    /// Whether entry `e`'s file at path `p` holds the bytes of secret `d`,
    /// detected there or not (a file that cannot be read does not).
    pub fn holds_at(&mut self, e: u32, p: u32, d: u32) -> bool {
        if let Some(b) = self.resolved.blob_at(e, p)
            && self.blobs.at(b, p).binary_search(&d).is_ok()
        {
            return true;
        }
        match self.blob_at(e, p) {
            AtPath::Blob(id) => self.holds_bytes(id, p, d) == Some(true),
            AtPath::Absent | AtPath::Unreadable => false,
        }
    }

    /// Whether entry `e`'s tree has a file at path `p`.
    pub fn has_file(&mut self, e: u32, p: u32) -> bool {
        matches!(self.blob_at(e, p), AtPath::Blob(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paths_secrets_are_found_at_every_place_disjoint() {
        let bytes: Vec<Box<[u8]>> = vec![
            b"KEYKEYKEY".as_slice().into(),
            b"SECRET".as_slice().into(),
            b"KEY".as_slice().into(),
            Box::default(),
        ];
        let at = PathSecrets::new(vec![(0, 7), (1, 8), (2, 9), (3, 10)], &bytes);
        let data = b"a KEYKEYKEY b SECRET c SECRET";
        let found: Vec<(u32, usize, usize)> = at
            .find(data)
            .iter()
            .map(|m| (m.rule, m.start, m.end))
            .collect();
        // The longer of two that start together; what overlaps it is left.
        assert_eq!(found, [(7, 2, 11), (8, 14, 20), (8, 23, 29)]);
        let held: std::collections::BTreeSet<u32> = at.held(data).into_iter().collect();
        assert_eq!(held, [0, 1, 2].into(), "held anywhere, even inside another");
        assert!(at.held(b"nothing").is_empty());
    }
}
