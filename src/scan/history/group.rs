//! A history scan's findings as facts to act on: one finding per secret and
//! path, with
//!
//! - the commit that first introduced it there (its file holds the
//!   secret's bytes, no parent's file at that path does; `origins`),
//!   earliest by committer date, ties by topological order, and where the
//!   secret was in that file (`introduced`); no commit where that cannot be
//!   known (a shallow clone's boundary, a version missing from a partial
//!   clone);
//! - how many commits are known to have introduced it there (`commits`): a
//!   file rewritten a hundred times with the secret in it counts once; a
//!   revert that brings it back counts again;
//! - whether HEAD holds it (`at_head`, any path) and which named tips
//!   still do (`live_in`: branches, tags, remote-tracking refs, stash
//!   entries, detached HEADs);
//! - HEAD's lines when HEAD's file at that path holds it (`lines_at`).
//!
//! A secret matched by several rules is labelled with the most specific
//! one (`relabel`), and whether a key has its other half in the same file
//! is decided again with those labels; a fingerprint accepted under any
//! rule stays accepted (`relabel::accepted`).

use std::collections::{BTreeSet, HashMap, HashSet};

use gix::ObjectId;

use super::Scanned;
use super::origins::{PathSecrets, Tracer, Unknown};
use crate::detectors::Engine;
use crate::findings::{
    Finding, Introduced, LinesAt, Reveal, fingerprint, from_matches, mark_pairs,
};
use crate::pairs::Pair;
use crate::relabel::Specificity;
use crate::sources::git::history::{self, FastMap, History, Store};
use crate::sources::git::pages::Trimmer;
use crate::sources::git::paths::{self, Resolved};

/// What is known of one secret at one path.
struct Acc {
    /// The commits whose file there was found holding it while no
    /// parent's was, with their blob (`origins` looks further back).
    detected: Vec<(u32, ObjectId)>,
    /// The entry that first listed a blob holding it there (a commit, or a
    /// tag of a tree or blob), and that blob: used when no commit could be
    /// resolved as introducing it.
    listed: (u32, u32),
}

/// The scanned blobs that have findings, indexed for lookups.
pub(super) struct Blobs<'a> {
    found: &'a [Scanned],
    /// Each blob's id.
    oids: Vec<ObjectId>,
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
    /// Blob `blob`'s id.
    pub fn oid(&self, blob: u32) -> ObjectId {
        self.oids[blob as usize]
    }

    /// The secrets `blob` holds at `path` (sorted digest indices).
    pub fn at(&self, blob: u32, path: u32) -> &[u32] {
        match self.class.get(&(blob, path)) {
            Some(Some(c)) => &self.held[blob as usize][*c],
            _ => &[],
        }
    }

    /// The first occurrence (by line and column) of `digest` in `blob` at
    /// `path`.
    fn finding(&self, blob: u32, path: u32, digest: &[u8; 32]) -> Option<Hit> {
        let class = (*self.class.get(&(blob, path))?)?;
        let (index, _) = self.found[blob as usize].findings[class]
            .iter()
            .enumerate()
            .filter(|(_, f)| &f.secret_digest == digest)
            .min_by_key(|(_, f)| (f.line, f.column))?;
        Some(Hit { blob, class, index })
    }

    /// The findings of a blob's scan that `hit` is one of.
    fn list(&self, hit: Hit) -> &[Finding] {
        &self.found[hit.blob as usize].findings[hit.class]
    }
}

/// A finding of a scanned blob: the blob, which of its scans, which of
/// that scan's findings.
#[derive(Debug, Clone, Copy)]
struct Hit {
    blob: u32,
    class: usize,
    index: usize,
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
    reveal: Reveal,
    trim: &Trimmer,
) -> Vec<Finding> {
    if found.is_empty() {
        return Vec::new();
    }
    let mut paths: Interner<Vec<u8>> = Interner::new();
    let mut digests: Interner<[u8; 32]> = Interner::new();
    let mut blobs = Blobs {
        found: &found,
        oids: Vec::new(),
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
        blobs.oids.push(*oid);
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
                    detected: Vec::new(),
                    listed: (intro.commit, b),
                });
                if intro.commit < acc.listed.0 {
                    acc.listed = (intro.commit, b);
                }
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
    detections(history, &resolved, &blobs, &mut groups);
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
    // Each secret's bytes (in memory only), and the secrets of each path
    // with a rule that found them, to find them in older versions.
    // A blob's matches may outnumber its findings (an exchange passphrase
    // with no key beside it is folded away): only findings' secrets count.
    let mut bytes: Vec<Box<[u8]>> = vec![Box::default(); digests.values.len()];
    for (d, raw) in found.iter().flat_map(|s| &s.secrets) {
        if let Some(&i) = digests.index.get(d) {
            bytes[i as usize] = raw.clone();
        }
    }
    let spec = Specificity::new(engine.rules());
    let best = spec.best(found.iter().flat_map(|s| s.findings.iter().flatten()));
    let mut keys: Vec<(u32, u32)> = groups.keys().copied().collect();
    keys.sort_unstable();
    let mut of_path: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
    for &(p, d) in &keys {
        // The most specific rule that found it (a rule's index is its rank).
        let rule = best.get(&digests.values[d as usize]).copied().unwrap_or(0);
        of_path.entry(p).or_default().push((d, rule as u32));
    }
    let secrets: HashMap<u32, PathSecrets> = of_path
        .into_iter()
        .map(|(p, of)| (p, PathSecrets::new(of, &bytes)))
        .collect();
    // One handle for the few reads from here on.
    let repo = store.handle();
    let mut tracer = Tracer::new(&repo, history, &resolved, &blobs, &paths.values, &secrets);
    let mut located = Located::default();
    let mut pairs = Pairs {
        spec: &spec,
        best: &best,
        memo: HashMap::new(),
    };
    // The paths each secret was found at, and what the tips hold of the
    // secrets found in none (by their bytes).
    let mut paths_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(p, d) in &keys {
        paths_of.entry(d).or_default().push(p);
    }
    let mut bytes_live: HashMap<u32, (Vec<&str>, bool)> = HashMap::new();
    let mut out = Vec::with_capacity(groups.len());
    for (p, d) in keys {
        let acc = &groups[&(p, d)];
        // Shown with the bytes that are not UTF-8 escaped; fingerprints
        // name it as other scans do (lossily).
        let raw_path = &paths.values[p as usize];
        let path = history::shown_path(raw_path);
        let text_path = String::from_utf8_lossy(raw_path);
        let digest = &digests.values[d as usize];
        let trace = tracer.trace(p, d, &acc.detected);
        let first = trace.first(history);
        // The first origin's file, as the scan found it or, in a version
        // where it was not found (not yet detectable), by its bytes.
        let mut origin: Option<(u32, Found)> = None;
        if let Some(o) = first {
            origin = match ids.get(&o.blob).and_then(|&b| blobs.finding(b, p, digest)) {
                Some(hit) => Some((o.entry, Found::Scanned(hit))),
                None => {
                    let at = (o.blob, p);
                    if !located.index.contains_key(&at) {
                        let list = tracer.contents(o.blob).map(|data| {
                            let matches = secrets[&p].find(data);
                            from_matches(
                                data,
                                &matches,
                                &[],
                                &engine.rules().rules,
                                &text_path,
                                reveal,
                            )
                        });
                        located.add(at, list);
                    }
                    located.find(at, digest).map(|l| (o.entry, l))
                }
            };
        }
        let origin = origin.or_else(|| {
            let (entry, b) = acc.listed;
            Some((entry, Found::Scanned(blobs.finding(b, p, digest)?)))
        });
        let Some((entry, origin)) = origin else {
            continue;
        };
        let (list, i) = origin.list(&blobs, &located);
        let intro = &list[i];
        let node = &history.nodes[entry as usize];
        let id = history.commits[entry as usize];
        let unknown = first.and_then(|o| o.unknown);
        let introduced = Introduced {
            commit: (node.time.is_some() && unknown.is_none()).then(|| id.to_string()),
            line: intro.line,
            column: intro.column,
            end_line: intro.end_line,
            end_column: intro.end_column,
            order: (node.time.unwrap_or(i64::MAX), entry),
        };
        let at_head_here = head_at
            .get(&(p, d))
            .and_then(|&hb| blobs.finding(hb, p, digest));
        let shown = at_head_here.map_or(origin, Found::Scanned);
        let (list, i) = shown.list(&blobs, &located);
        let mut f = list[i].clone();
        (f.paired, f.pair) = pairs.of(shown, &blobs, &located);
        f.lines_at = Some(if at_head_here.is_some() {
            LinesAt::Head
        } else {
            // What only a tag of a tree or blob holds was never in HEAD's
            // history at that path: nothing to say of HEAD's file.
            f.file_at_head = history
                .head
                .filter(|_| node.time.is_some())
                .map(|h| tracer.has_file(h, p));
            LinesAt::Introduced
        });
        f.path = path.into_owned();
        f.fingerprint = fingerprint(&f.rule_id, &text_path, digest);
        f.fingerprint_path = (text_path != f.path).then(|| text_path.to_string());
        if let Some(&rank) = best.get(digest) {
            spec.relabel(&mut f, rank);
        }
        f.commits = Some(trace.introduced());
        let mut names = live.get(&d).cloned().unwrap_or_default();
        let mut head_holds = at_head.contains(&d);
        if names.is_empty() {
            // Found in no tip: before saying "only in history", look for
            // its bytes in the tips' files at the paths it was found at,
            // where no rule recognised it (`Client("<key>", "<secret>")`
            // on a branch without the import that names Binance).
            let (by_bytes, head) = bytes_live.entry(d).or_insert_with(|| {
                let at = paths_of.get(&d).map_or(&[][..], Vec::as_slice);
                let mut holds = |e: u32| at.iter().any(|&q| tracer.holds_at(e, q, d));
                let names: Vec<&str> = history
                    .named
                    .iter()
                    .filter(|t| t.entries.iter().any(|&e| holds(e)))
                    .map(|t| t.name.as_str())
                    .collect();
                (names, history.head.is_some_and(&mut holds))
            });
            names.clone_from(by_bytes);
            head_holds |= *head;
        }
        f.at_head = Some(head_holds);
        names.sort_by_key(|n| ref_order(n));
        f.live_in = Some(names.into_iter().map(String::from).collect());
        f.introduced = Some(introduced);
        match unknown {
            // The secret may come from a commit before this one that the
            // clone does not have, or whose file could not be read: name
            // no commit.
            Some(Unknown::Boundary) => f.shallow_boundary = Some(id.to_string()),
            Some(Unknown::Unreadable) => f.earliest_readable = Some(id.to_string()),
            None if node.time.is_some() => f.provenance = history::provenance(&repo, id),
            None => {}
        }
        out.push(f);
    }
    out
}

/// A finding of a secret in one version of a file.
#[derive(Debug, Clone, Copy)]
enum Found {
    /// As the scan found it.
    Scanned(Hit),
    /// By its bytes, where the scan did not find it: a list of
    /// [`Located`] and the index of the one wanted.
    Located(usize, usize),
}

impl Found {
    /// The findings of its version of the file, and its index there.
    fn list<'f>(&self, blobs: &'f Blobs<'_>, located: &'f Located) -> (&'f [Finding], usize) {
        match *self {
            Found::Scanned(hit) => (blobs.list(hit), hit.index),
            Found::Located(list, i) => (&located.lists[list], i),
        }
    }
}

/// Whether a finding has its other half in the same file once every
/// secret has its most specific rule in the whole history, as `scan`
/// decides it after relabelling; kept per scan of a blob.
/// A finding's `paired` and `pair`.
type Paired = (Option<bool>, Option<Pair>);

struct Pairs<'a> {
    spec: &'a Specificity<'a>,
    best: &'a HashMap<[u8; 32], usize>,
    /// By list: a blob's scan, or a located list (blob `u32::MAX`).
    memo: HashMap<(u32, usize), Vec<Paired>>,
}

impl Pairs<'_> {
    /// `found`'s `paired` and `pair`.
    fn of(&mut self, found: Found, blobs: &Blobs<'_>, located: &Located) -> Paired {
        let (spec, best) = (self.spec, self.best);
        let (list, i) = found.list(blobs, located);
        let key = match found {
            Found::Scanned(hit) => (hit.blob, hit.class),
            Found::Located(list, _) => (u32::MAX, list),
        };
        self.memo.entry(key).or_insert_with(|| {
            let mut all = list.to_vec();
            for f in &mut all {
                if let Some(&rank) = best.get(&f.secret_digest) {
                    spec.relabel(f, rank);
                }
            }
            mark_pairs(&mut all);
            all.iter().map(|f| (f.paired, f.pair.clone())).collect()
        })[i]
            .clone()
    }
}

/// The findings of a path's secrets in versions of its file where the
/// scan did not find them (before they were detectable), found by their
/// bytes; one list per (blob, path).
#[derive(Default)]
struct Located {
    lists: Vec<Vec<Finding>>,
    index: HashMap<(ObjectId, u32), Option<usize>>,
}

impl Located {
    fn add(&mut self, at: (ObjectId, u32), list: Option<Vec<Finding>>) {
        let id = list.map(|l| {
            self.lists.push(l);
            self.lists.len() - 1
        });
        self.index.insert(at, id);
    }

    /// The first occurrence of `digest` in the list of `at`.
    fn find(&self, at: (ObjectId, u32), digest: &[u8; 32]) -> Option<Found> {
        let list = (*self.index.get(&at)?)?;
        let i = self.lists[list]
            .iter()
            .position(|f| &f.secret_digest == digest)?;
        Some(Found::Located(list, i))
    }
}

/// Notes, for each secret and path, the commits whose file there the scan
/// found holding it while no parent's file there was found holding it.
fn detections(
    history: &History,
    resolved: &Resolved,
    blobs: &Blobs<'_>,
    groups: &mut HashMap<(u32, u32), Acc>,
) {
    for (e, node) in history.nodes.iter().enumerate() {
        if node.time.is_none() {
            continue;
        }
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
                if let Some(acc) = groups.get_mut(&(p, d)) {
                    acc.detected.push((e, blobs.oid(b)));
                }
            }
        }
    }
}
