//! Contiguous spans of a sequence of work items, shared by threads that
//! each take one span at a time and process it in order: the history walk
//! reads consecutive commits with one walker, whose trees repeat from one
//! commit to the next. Spans start as equal parts, one per thread; a thread
//! that runs out takes the upper half of the span with the most items left
//! (items do not cost the same: later commits of a growing repository have
//! larger trees, and an even split left one thread idle for half the walk).

use std::sync::Mutex;

/// The spans of `0..n` and how far each has been taken.
#[derive(Debug)]
pub struct Spans {
    /// Per span: `[next, end, taken]`, `taken` 1 once a thread works on it.
    spans: Mutex<Vec<[usize; 3]>>,
    /// The fewest items left in a span for half of them to be taken over:
    /// a new span starts a new walker, which reads its first commit's
    /// trees whole.
    min_split: usize,
}

impl Spans {
    /// `0..n` in `parts` equal spans (at least one); a span with fewer than
    /// `min_split` items left is not split.
    pub fn new(n: usize, parts: usize, min_split: usize) -> Self {
        let size = n.div_ceil(parts.max(1)).max(1);
        let spans = (0..n)
            .step_by(size)
            .map(|start| [start, (start + size).min(n), 0])
            .collect();
        Spans {
            spans: Mutex::new(spans),
            min_split: min_split.max(2),
        }
    }

    /// A span to work on: one nobody has taken, else the upper half of
    /// the one with the most items left. Returns its index (for
    /// [`Spans::next`]) and first item; `None` when no work is left to
    /// share.
    pub fn claim(&self) -> Option<(usize, usize)> {
        let mut spans = self.spans.lock().expect("no panics while locked");
        if let Some(i) = spans.iter().position(|s| s[2] == 0 && s[0] < s[1]) {
            spans[i][2] = 1;
            return Some((i, spans[i][0]));
        }
        let (i, left) = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s[1].saturating_sub(s[0])))
            .max_by_key(|&(_, left)| left)?;
        if left < self.min_split {
            return None;
        }
        let [next, end, _] = spans[i];
        let mid = next + left / 2;
        spans[i][1] = mid;
        spans.push([mid, end, 1]);
        Some((spans.len() - 1, mid))
    }

    /// The next item of span `i`, in order; `None` when it is done (its
    /// end may have moved down since it was claimed).
    pub fn next(&self, i: usize) -> Option<usize> {
        let mut spans = self.spans.lock().expect("no panics while locked");
        let s = &mut spans[i];
        (s[0] < s[1]).then(|| {
            s[0] += 1;
            s[0] - 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_every_item_once_in_order_however_they_are_taken() {
        for (n, parts, min) in [(0, 2, 4), (1, 2, 4), (10, 3, 2), (1000, 2, 16), (7, 8, 2)] {
            let spans = Spans::new(n, parts, min);
            let mut runs: Vec<(usize, Vec<usize>)> = Vec::new();
            let mut open: Vec<(usize, usize, Vec<usize>)> = Vec::new();
            // Two workers, the second three times as fast: it steals.
            loop {
                while open.len() < 2 {
                    match spans.claim() {
                        Some((i, start)) => open.push((i, start, Vec::new())),
                        None => break,
                    }
                }
                if open.is_empty() {
                    break;
                }
                for (w, steps) in [(0, 1), (1, 3)] {
                    let Some((i, _, items)) = open.get_mut(w) else {
                        continue;
                    };
                    for _ in 0..steps {
                        if let Some(item) = spans.next(*i) {
                            items.push(item);
                        }
                    }
                }
                let (done, rest): (Vec<_>, Vec<_>) = open.into_iter().partition(|(i, _, _)| {
                    let s = spans.spans.lock().unwrap()[*i];
                    s[0] >= s[1]
                });
                open = rest;
                runs.extend(done.into_iter().map(|(_, start, items)| (start, items)));
            }
            runs.sort();
            let all: Vec<usize> = runs.iter().flat_map(|(_, items)| items.clone()).collect();
            assert_eq!(all, (0..n).collect::<Vec<_>>(), "{n} {parts} {min}");
            for (start, items) in &runs {
                let want: Vec<usize> = (*start..*start + items.len()).collect();
                assert_eq!(items, &want, "a span is contiguous from its start");
            }
        }
    }
}
