//! A history scan's findings as facts to act on: one finding per secret and
//! path, with
//!
//! - the commit that first introduced it there (its file holds the secret,
//!   no parent's file at that path does), earliest by committer date, ties
//!   by topological order, and where the secret was in that file
//!   (`introduced`);
//! - how many commits introduced it there (`commits`): a file rewritten a
//!   hundred times with the secret in it counts once; a revert that brings
//!   it back counts again;
//! - whether HEAD holds it (`at_head`, any path) and which named tips
//!   still do (`live_in`: branches, tags, remote-tracking refs, stash
//!   entries, detached HEADs);
//! - HEAD's lines when HEAD's file at that path holds it (`lines_at`).
//!
//! A secret matched by several rules is labelled with the most specific
//! one (`relabel`); the fingerprints it had under the others stay accepted.

use std::collections::{BTreeSet, HashMap, HashSet};

use gix::ObjectId;

use super::Scanned;
use crate::detectors::Engine;
use crate::findings::{Finding, Introduced, LinesAt, fingerprint};
use crate::relabel::Specificity;
use crate::sources::git::history::{self, FastMap, History, Store};
use crate::sources::git::pages::Trimmer;
use crate::sources::git::paths::{self, Resolved};

/// What is known of one secret at one path.
struct Acc {
    /// Commits that introduced it.
    commits: u64,
    /// The earliest of them: (committer time, entry, blob).
    first: Option<(i64, u32, u32)>,
    /// The entry that first listed a blob holding it there (a commit, or a
    /// tag of a tree or blob), and that blob: used when no commit could be
    /// resolved as introducing it.
    listed: (u32, u32),
    /// Every rule that matched it there.
    rules: BTreeSet<String>,
}

/// The scanned blobs that have findings, indexed for lookups.
struct Blobs<'a> {
    found: &'a [Scanned],
    /// For each blob, the index of its findings at each path (`None`: the
    /// path hides them).
    class: HashMap<(u32, u32), Option<usize>>,
    /// For each blob, for each of its scans, the secrets it holds (indices
    /// into `digests`), sorted.
    held: Vec<Vec<Vec<u32>>>,
    /// For each blob, every secret it holds at any path.
    any: Vec<Vec<u32>>,
}

impl Blobs<'_> {
    /// The secrets `blob` holds at `path`.
    fn at(&self, blob: u32, path: u32) -> &[u32] {
        match self.class.get(&(blob, path)) {
            Some(Some(c)) => &self.held[blob as usize][*c],
            _ => &[],
        }
    }

    /// The first occurrence (by line and column) of `digest` in `blob` at
    /// `path`.
    fn finding(&self, blob: u32, path: u32, digest: &[u8; 32]) -> Option<&Finding> {
        let c = (*self.class.get(&(blob, path))?)?;
        self.found[blob as usize].findings[c]
            .iter()
            .filter(|f| &f.secret_digest == digest)
            .min_by_key(|f| (f.line, f.column))
    }
}

/// Interns values into dense indices.
struct Interner<T> {
    values: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn new() -> Self {
        Interner {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn id(&mut self, v: &T) -> u32 {
        if let Some(&i) = self.index.get(v) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.clone());
        self.index.insert(v.clone(), i);
        i
    }
}

/// Orders `live_in`: HEAD, branches, tags, remote-tracking refs, other
/// refs, stash entries; by name within each.
fn ref_order(name: &str) -> (u8, &str) {
    let kind = match name {
        "HEAD" => 0,
        n if n.starts_with("refs/heads/") => 1,
        n if n.starts_with("refs/tags/") => 2,
        n if n.starts_with("refs/remotes/") => 3,
        n if n.starts_with("stash@{") => 5,
        _ => 4,
    };
    (kind, name)
}

/// One finding per secret and path, with its provenance (module docs).
pub(super) fn group(
    store: &Store,
    history: &History,
    found: Vec<Scanned>,
    engine: &Engine,
    trim: &Trimmer,
) -> Vec<Finding> {
    if found.is_empty() {
        return Vec::new();
    }
    let mut paths: Interner<Vec<u8>> = Interner::new();
    let mut digests: Interner<[u8; 32]> = Interner::new();
    let mut blobs = Blobs {
        found: &found,
        class: HashMap::new(),
        held: Vec::new(),
        any: Vec::new(),
    };
    let mut ids: FastMap<ObjectId, u32> = FastMap::default();
    let mut groups: HashMap<(u32, u32), Acc> = HashMap::new();
    for (b, scanned) in found.iter().enumerate() {
        let b = b as u32;
        let (oid, intros) = &history.blobs[scanned.blob];
        ids.insert(*oid, b);
        let held: Vec<Vec<u32>> = scanned
            .findings
            .iter()
            .map(|fs| {
                let set: BTreeSet<u32> = fs.iter().map(|f| digests.id(&f.secret_digest)).collect();
                set.into_iter().collect()
            })
            .collect();
        let any: BTreeSet<u32> = held.iter().flatten().copied().collect();
        blobs.any.push(any.into_iter().collect());
        for (intro, class) in intros.iter().zip(&scanned.classes) {
            let p = paths.id(&intro.path);
            blobs.class.insert((b, p), *class);
            let Some(c) = *class else { continue };
            for f in &scanned.findings[c] {
                let d = digests.id(&f.secret_digest);
                let acc = groups.entry((p, d)).or_insert_with(|| Acc {
                    commits: 0,
                    first: None,
                    listed: (intro.commit, b),
                    rules: BTreeSet::new(),
                });
                if intro.commit < acc.listed.0 {
                    acc.listed = (intro.commit, b);
                }
                acc.rules.insert(f.rule_id.clone());
            }
        }
        blobs.held.push(held);
    }
    let trees: Vec<Option<ObjectId>> = history.nodes.iter().map(|n| n.tree).collect();
    let mut resolved = paths::resolve(&trees, &history.listings, &paths.values, &ids, trim);
    // A blob a tag points at holds itself, at the tag's name.
    for (b, scanned) in found.iter().enumerate() {
        for intro in &history.blobs[scanned.blob].1 {
            if history.nodes[intro.commit as usize].tree.is_none() {
                let p = paths.id(&intro.path);
                resolved.set(intro.commit, vec![(p, b as u32)]);
            }
        }
    }
    introductions(history, &resolved, &blobs, &mut groups);
    // Where HEAD holds each secret, and which tips hold each.
    let mut head_at: HashMap<(u32, u32), u32> = HashMap::new();
    let mut at_head: HashSet<u32> = HashSet::new();
    if let Some(h) = history.head {
        for &(p, b) in resolved.of(h) {
            at_head.extend(&blobs.any[b as usize]);
            for &d in blobs.at(b, p) {
                head_at.insert((p, d), b);
            }
        }
    }
    let mut live: HashMap<u32, Vec<&str>> = HashMap::new();
    for tip in &history.named {
        let held: BTreeSet<u32> = tip
            .entries
            .iter()
            .flat_map(|&e| resolved.of(e))
            .flat_map(|&(_, b)| blobs.any[b as usize].iter().copied())
            .collect();
        for d in held {
            live.entry(d).or_default().push(&tip.name);
        }
    }
    let spec = Specificity::new(engine.rules());
    let best = spec.best(found.iter().flat_map(|s| s.findings.iter().flatten()));
    let repo = store.handle();
    let mut out = Vec::with_capacity(groups.len());
    for ((p, d), acc) in groups {
        // Shown with the bytes that are not UTF-8 escaped; fingerprints
        // name it as other scans do (lossily).
        let raw_path = &paths.values[p as usize];
        let path = history::shown_path(raw_path);
        let text_path = String::from_utf8_lossy(raw_path);
        let digest = &digests.values[d as usize];
        let (entry, b) = acc.first.map_or(acc.listed, |(_, e, b)| (e, b));
        let Some(intro) = blobs.finding(b, p, digest) else {
            continue;
        };
        let node = &history.nodes[entry as usize];
        let id = history.commits[entry as usize];
        let introduced = Introduced {
            commit: node.time.map(|_| id.to_string()),
            line: intro.line,
            column: intro.column,
            end_line: intro.end_line,
            end_column: intro.end_column,
            order: (node.time.unwrap_or(i64::MAX), entry),
        };
        let at_head_here = head_at
            .get(&(p, d))
            .and_then(|&hb| blobs.finding(hb, p, digest));
        let mut f = match at_head_here {
            Some(h) => h.clone(),
            None => intro.clone(),
        };
        f.lines_at = Some(if at_head_here.is_some() {
            LinesAt::Head
        } else {
            LinesAt::Introduced
        });
        f.path = path.into_owned();
        f.fingerprint = fingerprint(&f.rule_id, &text_path, digest);
        f.fingerprint_path = (text_path != f.path).then(|| text_path.to_string());
        f.aliases = acc
            .rules
            .iter()
            .filter(|r| **r != f.rule_id)
            .map(|r| fingerprint(r, &text_path, digest))
            .collect();
        spec.relabel(&mut f, best[digest]);
        f.commits = Some(acc.commits.max(1));
        f.at_head = Some(at_head.contains(&d));
        let mut names = live.get(&d).cloned().unwrap_or_default();
        names.sort_by_key(|n| ref_order(n));
        f.live_in = Some(names.into_iter().map(String::from).collect());
        f.introduced = Some(introduced);
        if node.cut {
            // The boundary commit of a shallow clone: the secret may come
            // from an older commit the clone does not have. Name no commit.
            f.shallow_boundary = Some(id.to_string());
            if let Some(i) = f.introduced.as_mut() {
                i.commit = None;
            }
        } else {
            f.provenance = history::provenance(&repo, id);
        }
        out.push(f);
    }
    out
}

/// Counts, for each secret and path, the commits that introduced it, and
/// keeps the earliest (committer time, then topological order).
fn introductions(
    history: &History,
    resolved: &Resolved,
    blobs: &Blobs<'_>,
    groups: &mut HashMap<(u32, u32), Acc>,
) {
    for (e, node) in history.nodes.iter().enumerate() {
        let Some(time) = node.time else { continue };
        let e = e as u32;
        let set = resolved.at[e as usize];
        // Nothing of interest, or a parent with the same files there.
        if set == 0 || node.parents.iter().any(|&p| resolved.at[p as usize] == set) {
            continue;
        }
        for &(p, b) in resolved.of(e) {
            for &d in blobs.at(b, p) {
                let in_parent = node.parents.iter().any(|&q| {
                    resolved
                        .blob_at(q, p)
                        .is_some_and(|qb| blobs.at(qb, p).binary_search(&d).is_ok())
                });
                if in_parent {
                    continue;
                }
                let Some(acc) = groups.get_mut(&(p, d)) else {
                    continue;
                };
                acc.commits += 1;
                if acc.first.is_none_or(|(t, first, _)| (time, e) < (t, first)) {
                    acc.first = Some((time, e, b));
                }
            }
        }
    }
}
