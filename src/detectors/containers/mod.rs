//! Text views of binary containers. A binary file that is a known
//! container (a SQLite database, a CPython `.pyc`, a ZIP archive whose
//! entries are stored, a PNG's text chunks) keeps its strings verbatim but
//! packs them back to back with its own framing bytes: a SQLite row's
//! `binance_api_key` and its value touch, a `.pyc` string is followed by
//! the next object's type byte (often a letter). Rules need boundaries and
//! names, so such a file is scanned through a text view: its strings
//! rendered as lines the rules understand (`[table]`,
//! `api_key = '…', api_secret = '…'`; `BINANCE_API_SECRET = '…'`).
//!
//! Every byte of a value in a view is a byte of the file: a view keeps,
//! for each value, where its bytes are in the file ([`Span`]), and
//! [`Engine::scan_file`] reports a match found in the view at the file's
//! bytes, so line, column and fingerprint are those of a raw scan of the
//! file. What the view adds (names, quotes, separators) maps to nothing: a
//! match that starts there is dropped.
//!
//! Each reader is bounded on hostile input: checked arithmetic, visited
//! sets, caps on depth and on the view's size. A file a reader cannot
//! decode is scanned as bytes, as any other binary file; parts of a file a
//! reader cannot attribute (a SQLite page it cannot parse) are added to the
//! view as bytes, so nothing a raw scan would see is lost.

mod archive;
mod pyc;
mod sqlite;

use super::{Engine, Match, PathForms, Scratch, resolve_overlaps};

pub use archive::plain_text_inside;

/// A view grows to at most this many times the file's size (names and
/// quotes around short values), and never past [`MAX_VIEW`].
const VIEW_FACTOR: usize = 8;
/// The largest view built, in bytes.
const MAX_VIEW: usize = 256 << 20;

/// A run of view bytes copied from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// Offset in the view.
    view: usize,
    /// Offset in the file of the first byte.
    file: usize,
    /// Length in the view.
    len: usize,
    /// File bytes per view byte: 1, or 2 for ASCII text read from UTF-16
    /// (a SQLite database in a UTF-16 encoding).
    scale: usize,
}

/// A container's text view: the text the rules search, and where each
/// value's bytes are in the file.
#[derive(Debug, Default)]
pub struct TextView {
    text: Vec<u8>,
    /// Ascending by `view`, disjoint.
    spans: Vec<Span>,
    /// The view stops growing here (see [`VIEW_FACTOR`]).
    cap: usize,
}

impl TextView {
    fn for_file(len: usize) -> Self {
        TextView {
            text: Vec::with_capacity(len / 2),
            spans: Vec::new(),
            cap: len.saturating_mul(VIEW_FACTOR).clamp(1 << 16, MAX_VIEW),
        }
    }

    /// The text the rules search.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Whether the view has reached its size cap (a reader then stops).
    fn full(&self) -> bool {
        self.text.len() >= self.cap
    }

    /// Adds text of the view's own (a name, a quote, a line break).
    fn push_text(&mut self, s: &[u8]) {
        self.text.extend_from_slice(s);
    }

    /// Adds `bytes`, which are the file's bytes at `file..file + bytes.len()`.
    fn push_file(&mut self, file: usize, bytes: &[u8]) {
        self.push_scaled(file, bytes, 1);
    }

    /// Adds `bytes`, each of which stands for `scale` bytes of the file
    /// from `file` on.
    fn push_scaled(&mut self, file: usize, bytes: &[u8], scale: usize) {
        if bytes.is_empty() {
            return;
        }
        let view = self.text.len();
        if let Some(last) = self.spans.last_mut()
            && last.scale == scale
            && last.view + last.len == view
            && last.file + last.len * scale == file
        {
            last.len += bytes.len();
        } else {
            self.spans.push(Span {
                view,
                file,
                len: bytes.len(),
                scale,
            });
        }
        self.text.extend_from_slice(bytes);
    }

    /// The span holding view offset `at`.
    fn span_at(&self, at: usize) -> Option<&Span> {
        let i = self.spans.partition_point(|s| s.view + s.len <= at);
        self.spans.get(i).filter(|s| s.view <= at)
    }

    /// The file offset of view byte `at`, when it is a file byte.
    fn file_offset(&self, at: usize) -> Option<usize> {
        self.span_at(at).map(|s| s.file + (at - s.view) * s.scale)
    }

    /// The file range of the view range `start..end` (non-empty): from its
    /// first byte's place to just after its last byte's, and whether the
    /// file holds exactly the view's bytes there (one span, scale 1).
    fn file_range(&self, start: usize, end: usize) -> Option<(usize, usize, bool)> {
        let first = self.span_at(start)?;
        let last = self.span_at(end - 1)?;
        let from = first.file + (start - first.view) * first.scale;
        let to = last.file + (end - 1 - last.view) * last.scale + last.scale;
        let exact = std::ptr::eq(first, last) && first.scale == 1;
        (to > from).then_some((from, to, exact))
    }

    /// Matches found in the view, moved to the file: a secret that is one
    /// run of file bytes is reported there as it is; one whose bytes are
    /// apart in the file (a value split across SQLite overflow pages, text
    /// read from UTF-16) is reported over the file range that holds it,
    /// with the view's bytes as its value. Matches that start in the view's
    /// own text are dropped. Sorted by position, overlaps resolved.
    fn to_file(&self, matches: Vec<Match>) -> Vec<Match> {
        let mut out = Vec::with_capacity(matches.len());
        for m in matches {
            let Some((start, end, exact)) = self.file_range(m.start, m.end) else {
                continue;
            };
            let decoded = match m.decoded {
                Some(d) => Some(d),
                None if exact => None,
                None => Some(self.text[m.start..m.end].into()),
            };
            let match_start = self.file_offset(m.match_start).unwrap_or(start).min(start);
            let match_end = m
                .match_end
                .checked_sub(1)
                .and_then(|e| self.file_offset(e))
                .map_or(end, |e| e + 1)
                .max(end);
            out.push(Match {
                rule: m.rule,
                start,
                end,
                match_start,
                match_end,
                decoded,
            });
        }
        resolve_overlaps(out)
    }
}

/// The text view of `data` when it is a container a reader knows, else
/// `None` (scan it as it is).
pub fn view(data: &[u8]) -> Option<TextView> {
    if sqlite::is_sqlite(data) {
        return sqlite::view(data);
    }
    if pyc::is_pyc(data) {
        return pyc::view(data);
    }
    archive::view(data)
}

impl Engine {
    /// All secrets in a file's bytes, like [`Engine::scan`], through the
    /// file's text view when it is a container (see the module docs):
    /// offsets are the file's either way.
    pub fn scan_file(&self, data: &[u8], path: PathForms<'_>, scratch: &mut Scratch) -> Vec<Match> {
        if !crate::sources::is_binary(data) {
            return self.scan(data, path, scratch);
        }
        // A `.pyc`'s view is its strings as they are in the file, apart
        // only by quotes, ` = `, `; `, `, `, parentheses and line breaks,
        // which complete no keyword: a file without one has nothing to
        // find (most compiled modules), and is not decoded.
        if pyc::is_pyc(data) && !self.prefilter.any(data) {
            return Vec::new();
        }
        match view(data) {
            Some(v) => {
                let found = self.scan(v.text(), path, scratch);
                v.to_file(found)
            }
            None => self.scan(data, path, scratch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(start: usize, end: usize) -> Match {
        Match {
            rule: 0,
            start,
            end,
            match_start: start,
            match_end: end,
            decoded: None,
        }
    }

    #[test]
    fn matches_move_to_the_file_bytes_they_came_from() {
        let file = b"\x00\x01abcdef\x02XYZ";
        let mut v = TextView::for_file(file.len());
        v.push_text(b"name = '");
        v.push_file(2, &file[2..8]);
        v.push_text(b"'\n");
        v.push_file(9, &file[9..12]);
        // A match inside one value keeps its bytes.
        let got = v.to_file(vec![m(9, 12)]);
        assert_eq!(
            (got[0].start, got[0].end, got[0].decoded.is_none()),
            (3, 6, true)
        );
        // One that runs over two spans carries the view's bytes.
        let got = v.to_file(vec![m(12, 17)]);
        assert_eq!((got[0].start, got[0].end), (6, 10));
        assert_eq!(got[0].decoded.as_deref(), Some(&b"ef'\nX"[..]));
        // One that starts in the view's own text is not the file's.
        assert!(v.to_file(vec![m(0, 10)]).is_empty());
    }

    #[test]
    fn adjacent_file_runs_merge_and_scaled_runs_map_by_scale() {
        let mut v = TextView::for_file(100);
        v.push_file(10, b"ab");
        v.push_file(12, b"cd");
        assert_eq!(v.spans.len(), 1);
        v.push_scaled(40, b"xyz", 2);
        assert_eq!(v.file_offset(5), Some(42));
        let got = v.to_file(vec![m(4, 7)]);
        assert_eq!((got[0].start, got[0].end), (40, 46));
        assert_eq!(got[0].decoded.as_deref(), Some(&b"xyz"[..]));
    }
}
