//! Line and column numbers of offsets in a text, counted lazily, and the
//! origin of a window of a larger text (`scan::stream`). Columns count
//! characters as `String::from_utf8_lossy` shows them.

/// Characters in `bytes` as `String::from_utf8_lossy` would show them: each
/// maximal invalid sequence counts as one (a U+FFFD).
pub(super) fn chars(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
        .sum()
}

/// Where a window of a larger text starts (see `scan::stream`): the line
/// it starts on, the characters of that line before it, and whether it is
/// the start of the text (where a byte order mark is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// 1-based.
    pub line: usize,
    /// Characters of `line` before the window.
    pub column: usize,
    pub at_start: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Origin {
    /// The start of a text.
    pub const START: Origin = Origin {
        line: 1,
        column: 0,
        at_start: true,
    };

    /// Moves past `bytes`, the text from this origin to the next one (which
    /// must start at a character boundary).
    pub fn advance(&mut self, bytes: &[u8]) {
        let bytes = match bytes.strip_prefix(BOM) {
            Some(rest) if self.at_start => rest,
            _ => bytes,
        };
        self.at_start = false;
        match memchr::memrchr(b'\n', bytes) {
            Some(nl) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.column = chars(&bytes[nl + 1..]);
            }
            None => self.column += chars(bytes),
        }
    }
}

/// Counts lines and columns lazily: newlines are counted with memchr only
/// up to the offsets asked for, in ascending order, as in ripgrep's
/// searcher, and columns only from the last offset on the same line.
pub(super) struct LineCounter<'a> {
    data: &'a [u8],
    origin: Origin,
    pos: usize,
    line: usize,
    line_start: usize,
    /// Characters from the start of the line (which may be before `data`)
    /// to `pos`.
    column: usize,
}

impl<'a> LineCounter<'a> {
    pub(super) fn new(data: &'a [u8], origin: Origin) -> Self {
        // A byte order mark is no column (and no part of a snippet).
        let bom = if origin.at_start && data.starts_with(BOM) {
            3
        } else {
            0
        };
        LineCounter {
            data,
            origin,
            pos: bom,
            line: origin.line,
            line_start: bom,
            column: origin.column,
        }
    }

    /// Line number, line start and 1-based column of `offset`.
    pub(super) fn locate(&mut self, offset: usize) -> (usize, usize, usize) {
        let offset = offset.min(self.data.len());
        if offset < self.pos {
            // Asked for ascending offsets only; start over if not.
            *self = LineCounter::new(self.data, self.origin);
        }
        let offset = offset.max(self.pos);
        let mut from = self.pos;
        if let Some(nl) = memchr::memrchr(b'\n', &self.data[self.pos..offset]) {
            self.line += memchr::memchr_iter(b'\n', &self.data[self.pos..offset]).count();
            self.line_start = self.pos + nl + 1;
            self.column = 0;
            from = self.line_start;
        }
        self.column += chars(&self.data[from..offset]);
        self.pos = offset;
        (self.line, self.line_start, self.column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counter_counts_lines_and_columns_forward() {
        let data = "a\nbé x\nccc\n".as_bytes();
        let mut c = LineCounter::new(data, Origin::START);
        assert_eq!(c.locate(0), (1, 0, 1));
        assert_eq!(c.locate(3), (2, 2, 2));
        assert_eq!(c.locate(6), (2, 2, 4));
        assert_eq!(c.locate(9), (3, 8, 2));
        assert_eq!(c.locate(1), (1, 0, 2));
    }

    #[test]
    fn a_window_counts_from_its_origin() {
        let text = "\u{feff}ab\ncdé fgh\nij".as_bytes();
        for cut in [3, 4, 7, 8, 10, 12, 15] {
            let mut origin = Origin::START;
            origin.advance(&text[..cut]);
            let mut whole = LineCounter::new(text, Origin::START);
            let mut window = LineCounter::new(&text[cut..], origin);
            for at in cut..text.len() {
                let (line, _, column) = whole.locate(at);
                let (wl, _, wc) = window.locate(at - cut);
                assert_eq!((line, column), (wl, wc), "cut {cut}, offset {at}");
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_no_column() {
        let data = "\u{feff}key = x\nab\n".as_bytes();
        let mut c = LineCounter::new(data, Origin::START);
        assert_eq!(c.locate(9), (1, 3, 7));
        assert_eq!(c.locate(12), (2, 11, 2));
        assert_eq!(LineCounter::new(data, Origin::START).locate(0), (1, 3, 1));
    }

    #[test]
    fn invalid_utf8_counts_like_the_lossy_text() {
        assert_eq!(chars(b"\x80\x80\x80 t"), 5);
        assert_eq!(chars("é".as_bytes()), 1);
        assert_eq!(
            String::from_utf8_lossy(b"\x80\x80\x80 t").chars().count(),
            5
        );
    }
}
