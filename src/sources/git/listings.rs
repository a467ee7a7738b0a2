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
    pub path: u64,
    pub id: ObjectId,
    pub tree: bool,
}

/// A change to an entry: its path hash and what it is now (`None`: gone).
pub type Change = (u64, Option<(ObjectId, bool)>);

/// A tree read: the hash of its path, its id, and the end of its changes.
#[derive(Debug, Clone, Copy)]
pub struct Read {
    pub path: u64,
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
        let aligned =
            now.len() == last.len() && now.iter().zip(last.iter()).all(|(a, b)| a.path == b.path);
        if aligned {
            // The usual case: the same names, some objects changed.
            for (a, b) in now.iter().zip(last.iter()) {
                if a != b {
                    self.changes.push((a.path, Some((a.id, a.tree))));
                }
            }
        } else {
            let before: FastMap<u64, &Entry> = last.iter().map(|e| (e.path, e)).collect();
            for a in now.iter() {
                if before.get(&a.path) != Some(&a) {
                    self.changes.push((a.path, Some((a.id, a.tree))));
                }
            }
            let names: FastMap<u64, ()> = now.iter().map(|e| (e.path, ())).collect();
            for b in last.iter() {
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
}
