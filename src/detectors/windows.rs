//! Line windows around keyword hits: where a rule's regex is allowed to look.

use memchr::{memchr, memrchr};
use regex::bytes::{CaptureLocations, Regex};

/// A region to search: matches must start in `start..=end`; the search may
/// read on to `search_end` so that a match can span a few lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub search_end: usize,
}

/// Offset of the first byte of the line holding `pos`.
pub fn line_start(data: &[u8], pos: usize) -> usize {
    memrchr(b'\n', &data[..pos.min(data.len())]).map_or(0, |i| i + 1)
}

/// Offset of the `\n` ending the line holding `pos` (or the end of data).
pub fn line_end(data: &[u8], pos: usize) -> usize {
    if pos >= data.len() {
        return data.len();
    }
    memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i)
}

/// Moves `n` lines back from the line starting at `start`.
pub fn lines_back(data: &[u8], mut start: usize, n: usize) -> usize {
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = line_start(data, start - 1);
    }
    start
}

/// Moves `n` lines forward from the line ending at `end`.
pub fn lines_forward(data: &[u8], mut end: usize, n: usize) -> usize {
    for _ in 0..n {
        if end >= data.len() {
            break;
        }
        end = line_end(data, end + 1);
    }
    end
}

/// Merged windows of `lines` lines around each offset (ascending), each
/// searchable `max_lines - 1` lines further. Linear in the data however
/// dense the offsets: a hit inside the current window only moves its end,
/// by as many lines as separate it from the previous hit.
pub fn windows(
    data: &[u8],
    offsets: &[usize],
    lines: usize,
    max_lines: usize,
    out: &mut Vec<Window>,
) {
    out.clear();
    // End of the line of the last hit, and of the window it opened.
    let mut last_hit_end: Option<usize> = None;
    for &off in offsets {
        if last_hit_end.is_some_and(|e| off <= e) {
            continue;
        }
        let le = line_end(data, off);
        if let (Some(prev), Some(w)) = (last_hit_end, out.last_mut())
            && line_start(data, off) <= w.end + 1
        {
            // Inside (or touching) the current window: its end moves as
            // many lines down as this hit is below the previous one.
            let delta = memchr::memchr_iter(b'\n', &data[prev..le]).count();
            w.end = lines_forward(data, w.end, delta);
            last_hit_end = Some(le);
            continue;
        }
        last_hit_end = Some(le);
        let start = lines_back(data, line_start(data, off), lines);
        let end = lines_forward(data, le, lines);
        match out.last_mut() {
            Some(w) if start <= w.end + 1 => w.end = w.end.max(end),
            _ => out.push(Window {
                start,
                end,
                search_end: end,
            }),
        }
    }
    for w in out.iter_mut() {
        w.search_end = lines_forward(data, w.end, max_lines.saturating_sub(1));
    }
}

/// Runs `re` over each window and calls `visit` for every match that starts
/// inside it, with the capture locations (relative to the window start,
/// which `visit` also gets). `visit` returns where to resume, relative to
/// the window start; it must be past the match start.
pub fn each_match(
    re: &Regex,
    data: &[u8],
    wins: &[Window],
    caps: &mut CaptureLocations,
    mut visit: impl FnMut(&CaptureLocations, usize) -> usize,
) {
    for w in wins {
        let hay = &data[w.start..w.search_end];
        let mut at = 0;
        while at <= hay.len() {
            let Some(m) = re.captures_read_at(caps, hay, at) else {
                break;
            };
            if w.start + m.start() > w.end {
                break;
            }
            at = visit(caps, w.start).max(m.start() + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_covers_neighbouring_lines() {
        let data = b"a\nb\nKEY\nd\ne\n";
        let mut out = Vec::new();
        windows(data, &[4], 1, 1, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&data[out[0].start..out[0].end], b"b\nKEY\nd");
    }

    #[test]
    fn close_hits_merge_and_far_hits_do_not() {
        let data = b"k\nx\nk\nx\nx\nx\nx\nk\n";
        let mut out = Vec::new();
        windows(data, &[0, 4, 14], 0, 1, &mut out);
        assert_eq!(out.len(), 3);
        windows(data, &[0, 4, 14], 1, 1, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].start, 0);
        assert_eq!(&data[out[0].start..out[0].end], b"k\nx\nk\nx");
    }

    #[test]
    fn dense_hits_give_the_same_windows_as_one_by_one() {
        // Every line a hit, then a gap, then more hits.
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(if !(20..35).contains(&i) {
                "kw\n"
            } else {
                "x\n"
            });
        }
        let data = text.as_bytes();
        let offsets: Vec<usize> = (0..50)
            .filter(|i| *i < 20 || *i >= 35)
            .map(|i| i * 3)
            .collect();
        for lines in [0, 1, 3, 10] {
            let mut fast = Vec::new();
            windows(data, &offsets, lines, 2, &mut fast);
            // Reference: one window per hit, merged.
            let mut slow: Vec<Window> = Vec::new();
            for &off in &offsets {
                let start = lines_back(data, line_start(data, off), lines);
                let end = lines_forward(data, line_end(data, off), lines);
                match slow.last_mut() {
                    Some(w) if start <= w.end + 1 => w.end = w.end.max(end),
                    _ => slow.push(Window {
                        start,
                        end,
                        search_end: end,
                    }),
                }
            }
            for w in slow.iter_mut() {
                w.search_end = lines_forward(data, w.end, 1);
            }
            assert_eq!(fast, slow, "window of {lines} lines");
        }
    }

    #[test]
    fn search_end_reaches_extra_lines() {
        let data = b"BEGIN\nbody\nbody\nEND\n";
        let mut out = Vec::new();
        windows(data, &[0], 0, 4, &mut out);
        assert_eq!(
            &data[out[0].start..out[0].search_end],
            b"BEGIN\nbody\nbody\nEND"
        );
    }
}
