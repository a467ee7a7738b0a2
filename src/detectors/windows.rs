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
/// searchable `max_lines - 1` lines further.
pub fn windows(
    data: &[u8],
    offsets: &[usize],
    lines: usize,
    max_lines: usize,
    out: &mut Vec<Window>,
) {
    out.clear();
    let mut last_line_end = None;
    for &off in offsets {
        // Hits on a line already covered add nothing when windows are symmetric.
        if last_line_end.is_some_and(|e| off <= e) {
            continue;
        }
        let le = line_end(data, off);
        last_line_end = Some(le);
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
