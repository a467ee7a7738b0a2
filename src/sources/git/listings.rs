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
    pub fn read(&mut self, path: u64, tree: ObjectId, now: &mut Vec<Entry>) {
        let last = self.last.entry(path).or_default();
        // Both listings are in tree order: walk them side by side, an
        // entry added or removed here and there (the usual case) found by
        // looking one entry ahead; anything else by name.
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
