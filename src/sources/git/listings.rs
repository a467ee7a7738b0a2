//! The trees the history walk reads, kept as changes. Each time a thread's
//! walk reads a tree at a path, it notes which entries differ from the
//! last tree it read at that path (a few, nearly always), and where that
//! tree sits. Replaying a run of commits in order then tells which object
//! any commit holds at any path, without reading a tree again: resolving
//! the paths that hold secrets in every commit (`paths`) costs no object
//! reads.
//!
//! Paths are named by the walk's path hashes (`history::extend_hash`).

use gix::ObjectId;

use super::history::FastMap;

/// A tree entry: the hash of its path, its object, and whether it is a
/// tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// `history::extend_hash` of the entry's path.
    pub path: u64,
    /// The blob or tree.
    pub id: ObjectId,
    /// Whether `id` is a tree.
    pub tree: bool,
}

/// A change to an entry: its path hash and what it is now (`None`: gone).
pub type Change = (u64, Option<(ObjectId, bool)>);

/// A tree read: the hash of its path, its id, and the end of its changes.
#[derive(Debug, Clone, Copy)]
pub struct Read {
    /// `history::extend_hash` of the tree's path (0: the root).
    pub path: u64,
    /// The tree read.
    pub tree: ObjectId,
    end: u32,
}

/// The trees a run of consecutive entries of
/// [`History::commits`](super::history::History::commits) read, in the
/// order their reads finished (a tree after the trees below it).
#[derive(Debug, Default)]
pub struct Run {
    /// Index of the run's first entry.
    pub start: u32,
    /// `reads[ends[i - 1]..ends[i]]` are entry `start + i`'s reads.
    ends: Vec<u32>,
    reads: Vec<Read>,
    changes: Vec<Change>,
    /// The last listing read at each path (while walking).
    last: FastMap<u64, Vec<Entry>>,
}

impl Run {
    /// An empty run whose first entry is `start`.
    pub fn new(start: u32) -> Self {
        Run {
            start,
            ..Run::default()
        }
    }

    /// Notes that `tree`, at the path hashed `path`, was read and holds
    /// `now` (in tree order); leaves `now` empty for reuse.
    ///
    /// The changes are ordered so that applying them in turn to the last
    /// listing gives `now` whatever the two listings' orders: every removal
    /// comes before every addition. Git sorts a tree entry as if its name
    /// ended with `/` (`config` the file before `config.env`, `config/` the
    /// tree after it), so a name that turns from file into directory, or
    /// back, moves; the walk below may then take an entry both listings
    /// hold for added at its new place and removed at its old one.
    pub fn read(&mut self, path: u64, tree: ObjectId, now: &mut Vec<Entry>) {
        let last = self.last.entry(path).or_default();
        let start = self.changes.len();
        // Both listings are in tree order: walk them side by side, an
        // entry added or removed here and there (the usual case) found by
        // looking one entry ahead; anything else by name. An entry of
        // `now` that the walk does not pair with its like in `last` is
        // given as added (with what it is now), so a removal the walk
        // wrongly inferred for it (an entry that moved) is undone: the
        // removals are applied first.
        let (mut i, mut j) = (0, 0);
        while i < now.len() && j < last.len() {
            let (a, b) = (&now[i], &last[j]);
            if a.path == b.path {
                if a != b {
                    self.changes.push((a.path, Some((a.id, a.tree))));
                }
                (i, j) = (i + 1, j + 1);
            } else if now.get(i + 1).is_some_and(|n| n.path == b.path) {
                self.changes.push((a.path, Some((a.id, a.tree))));
                i += 1;
            } else if last.get(j + 1).is_some_and(|l| l.path == a.path) {
                self.changes.push((b.path, None));
                j += 1;
            } else {
                break;
            }
        }
        let (now_rest, last_rest) = (&now[i..], &last[j..]);
        if now_rest.is_empty() || last_rest.is_empty() {
            for a in now_rest {
                self.changes.push((a.path, Some((a.id, a.tree))));
            }
            for b in last_rest {
                self.changes.push((b.path, None));
            }
        } else {
            let before: FastMap<u64, &Entry> = last_rest.iter().map(|e| (e.path, e)).collect();
            for a in now_rest {
                if before.get(&a.path) != Some(&a) {
                    self.changes.push((a.path, Some((a.id, a.tree))));
                }
            }
            let names: FastMap<u64, ()> = now_rest.iter().map(|e| (e.path, ())).collect();
            for b in last_rest {
                if !names.contains_key(&b.path) {
                    self.changes.push((b.path, None));
                }
            }
        }
        let fresh = &mut self.changes[start..];
        if fresh.iter().any(|c| c.1.is_none()) {
            // Stable: removals first, additions after, each in walk order.
            fresh.sort_by_key(|c| c.1.is_some());
        }
        std::mem::swap(last, now);
        now.clear();
        self.reads.push(Read {
            path,
            tree,
            end: self.changes.len() as u32,
        });
    }

    /// Ends the current entry: the reads since the last call are its.
    pub fn end_entry(&mut self) {
        self.ends.push(self.reads.len() as u32);
    }

    /// Frees what only the walk needs.
    pub fn seal(&mut self) {
        self.last = FastMap::default();
        self.reads.shrink_to_fit();
        self.changes.shrink_to_fit();
    }

    /// How many entries the run has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the run has no entries.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The trees the run's `i`th entry read, each with its changes.
    pub fn reads(&self, i: usize) -> impl Iterator<Item = (&Read, &[Change])> {
        let from = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let to = self.ends[i] as usize;
        (from..to).map(move |r| {
            let start = if r == 0 {
                0
            } else {
                self.reads[r - 1].end as usize
            };
            (
                &self.reads[r],
                &self.changes[start..self.reads[r].end as usize],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    fn e(path: u64, n: u8) -> Entry {
        Entry {
            path,
            id: id(n),
            tree: false,
        }
    }

    #[test]
    fn reads_are_kept_as_changes_from_the_last_read_at_the_same_path() {
        let mut run = Run::new(0);
        run.read(0, id(10), &mut vec![e(1, 1), e(2, 2)]);
        run.end_entry();
        run.read(0, id(11), &mut vec![e(1, 1), e(2, 3)]);
        run.read(7, id(12), &mut vec![e(8, 1)]);
        run.end_entry();
        run.read(0, id(13), &mut vec![e(2, 3), e(3, 4)]);
        run.end_entry();
        assert_eq!(run.len(), 3);
        let first: Vec<_> = run.reads(0).map(|(r, c)| (r.path, c.len())).collect();
        assert_eq!(first, [(0, 2)]);
        let second: Vec<_> = run.reads(1).map(|(r, c)| (r.path, c.to_vec())).collect();
        assert_eq!(
            second,
            [
                (0, vec![(2, Some((id(3), false)))]),
                (7, vec![(8, Some((id(1), false)))])
            ]
        );
        let (_, third) = run.reads(2).next().unwrap();
        let mut third = third.to_vec();
        third.sort_by_key(|c| c.0);
        assert_eq!(third, [(1, None), (3, Some((id(4), false)))]);
    }

    /// The changes from listing `a` to listing `b`, sorted.
    fn diff(a: Vec<Entry>, b: Vec<Entry>) -> Vec<Change> {
        let mut run = Run::new(0);
        run.read(0, id(0), &mut a.clone());
        run.end_entry();
        run.read(0, id(0), &mut b.clone());
        run.end_entry();
        let mut changes = run.reads(1).next().unwrap().1.to_vec();
        changes.sort_by_key(|c| c.0);
        changes
    }

    /// What replaying the changes of a read of `b` after a read of `a`
    /// gives, in order, from `a`'s entries.
    fn replay(a: &[Entry], b: &[Entry]) -> Vec<(u64, (ObjectId, bool))> {
        let mut run = Run::new(0);
        run.read(0, id(0), &mut a.to_vec());
        run.end_entry();
        run.read(0, id(0), &mut b.to_vec());
        run.end_entry();
        let mut state: FastMap<u64, (ObjectId, bool)> =
            a.iter().map(|e| (e.path, (e.id, e.tree))).collect();
        for &(path, now) in run.reads(1).next().unwrap().1 {
            match now {
                Some(v) => state.insert(path, v),
                None => state.remove(&path),
            };
        }
        let mut state: Vec<_> = state.into_iter().collect();
        state.sort_by_key(|s| s.0);
        state
    }

    fn listing(entries: &[Entry]) -> Vec<(u64, (ObjectId, bool))> {
        let mut l: Vec<_> = entries.iter().map(|e| (e.path, (e.id, e.tree))).collect();
        l.sort_by_key(|s| s.0);
        l
    }

    fn tree(path: u64, n: u8) -> Entry {
        Entry {
            path,
            id: id(n),
            tree: true,
        }
    }

    /// Git's order sorts a tree as if its name ended with `/`: `config`
    /// (file, 1) < `config.env` (2) < `config/` (tree, 1).
    #[test]
    fn review_r1_a_file_that_becomes_a_directory_moves_and_its_neighbours_stay() {
        let file_then = [e(1, 1), e(2, 2)];
        let dir_now = [e(2, 2), tree(1, 3)];
        assert_eq!(replay(&file_then, &dir_now), listing(&dir_now));
        assert_eq!(replay(&dir_now, &file_then), listing(&file_then));
        // With a neighbour changed, added or removed on the way.
        let dir_more = [e(2, 5), tree(1, 3), e(4, 4)];
        assert_eq!(replay(&file_then, &dir_more), listing(&dir_more));
        assert_eq!(replay(&dir_more, &file_then), listing(&file_then));
        // `a` < `a-b` < `a.b` < `a/` < `a0`: a name that is a prefix of
        // its neighbours, as file and as directory.
        let file = [e(1, 1), e(2, 2), e(3, 3), e(5, 5)];
        let dir = [e(2, 2), e(3, 3), tree(1, 4), e(5, 5)];
        assert_eq!(replay(&file, &dir), listing(&dir));
        assert_eq!(replay(&dir, &file), listing(&file));
    }

    /// Any two listings, in any orders: replaying the changes gives the
    /// second, whatever moved, appeared or went.
    #[test]
    fn review_r1_replaying_changes_gives_the_new_listing_whatever_the_orders() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..20_000 {
            let mut pick = |len: u64| -> Vec<Entry> {
                let mut l: Vec<Entry> = Vec::new();
                for path in 1..=8u64 {
                    if next(3) > 0 {
                        let (n, tree) = (next(3) as u8, next(2) == 0);
                        l.push(Entry {
                            path,
                            id: id(n),
                            tree,
                        });
                    }
                }
                // Mostly in one order, sometimes an entry moved.
                for _ in 0..next(len) {
                    let (x, y) = (next(8) as usize, next(8) as usize);
                    if x < l.len() && y < l.len() {
                        l.swap(x, y);
                    }
                }
                l
            };
            let (a, b) = (pick(3), pick(3));
            assert_eq!(replay(&a, &b), listing(&b), "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn entries_added_removed_or_reordered_are_all_changes() {
        let some = |n: u8| Some((id(n), false));
        let base = vec![e(1, 1), e(2, 2), e(3, 3), e(4, 4)];
        // Added in the middle, and one changed after it.
        let added = vec![e(1, 1), e(2, 2), e(9, 9), e(3, 3), e(4, 5)];
        assert_eq!(diff(base.clone(), added), [(4, some(5)), (9, some(9))]);
        // Removed in the middle, at the end.
        assert_eq!(
            diff(base.clone(), vec![e(1, 1), e(3, 3)]),
            [(2, None), (4, None)]
        );
        // Nothing lines up: by name.
        let other = vec![e(4, 4), e(3, 6), e(7, 7)];
        assert_eq!(
            diff(base, other),
            [(1, None), (2, None), (3, some(6)), (7, some(7))]
        );
    }
}
