//! SQLite databases, read as the file format document describes them
//! (<https://www.sqlite.org/fileformat2.html>): the database header
//! (§1.3: page size, reserved bytes, text encoding), b-tree pages and
//! their cells (§1.6 "B-tree Pages"), overflow pages (§1.6 "Cell Payload
//! Overflow Pages"), records (§2.1 "Record Format") and the schema table
//! (§2.6).
//!
//! The view has a `[table]` line before each page's rows and one line per
//! row, its text and blob columns named from the table's `CREATE TABLE`:
//! `api_key = '…', api_secret = '…'`; a settings row (a name, then its
//! value) also as `NAME = '…'`. Every table b-tree is walked from its
//! root in the schema table; index b-trees are skipped (they copy table
//! columns), except those of `WITHOUT ROWID` tables, which hold their rows.
//! A page no tree reaches that is still a table leaf (a freelist page of a
//! deleted table) is rendered too, under `[free page]`; rows deleted from a
//! live page are carved from its free space (`carve`). Any other page no
//! tree or overflow chain claims is added as bytes. Work is linear in the
//! file: every page is claimed at most once.

mod carve;
mod record;
mod schema;

use super::TextView;
use record::{Column, Payload, is_blob, is_text};

const MAGIC: &[u8] = b"SQLite format 3\0";

/// Whether `data` starts with the SQLite header's magic string (§1.3).
pub(super) fn is_sqlite(data: &[u8]) -> bool {
    data.len() >= 100 && data.starts_with(MAGIC)
}

/// What a page is, as far as the walk knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Not reached yet.
    Free,
    /// An interior b-tree page, or an index page (its keys copy columns).
    Skip,
    /// A leaf of table `tables[i]`'s b-tree.
    Leaf(usize),
    /// Holds the rest of some cell's payload.
    Overflow,
    /// Rendered as a table leaf that no tree reaches.
    Orphan,
}

/// How text values are stored (§1.3, header offset 56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// A table as the view names it.
#[derive(Debug, Default)]
struct Table {
    label: String,
    /// Column names in record order; empty when unknown.
    columns: Vec<String>,
    /// Rows are in an index b-tree (`WITHOUT ROWID`).
    index_tree: bool,
}

/// Overflow pages read for a schema entry (its `CREATE` statement).
const PEEK_PAGES: usize = 16;

/// B-tree page types (§1.6, the header's first byte).
const INTERIOR_INDEX: u8 = 2;
const INTERIOR_TABLE: u8 = 5;
const LEAF_INDEX: u8 = 10;
const LEAF_TABLE: u8 = 13;

/// The text view of a SQLite database, or `None` when its header is not
/// one (a bad page size) or the view would grow past its cap.
pub(super) fn view(data: &[u8]) -> Option<TextView> {
    let mut db = Db::open(data)?;
    let mut view = TextView::for_file(data.len());
    db.load_schema();
    for n in 1..=db.pages {
        if view.full() {
            return None;
        }
        match db.role[n] {
            Role::Leaf(t) => db.render_leaf(&mut view, n, Some(t)),
            Role::Free if db.page_kind(n) == Some(LEAF_TABLE) => {
                db.role[n] = Role::Orphan;
                db.render_leaf(&mut view, n, None);
            }
            _ => {}
        }
    }
    // What no tree or chain claimed (freelist trunk pages, pages of an
    // unknown kind) and a cut last page: as bytes.
    for n in 1..=db.pages {
        if db.role[n] == Role::Free {
            let off = (n - 1) * db.page_size;
            carve::push_raw(&mut view, data, off, off + db.page_size);
        }
    }
    carve::push_raw(&mut view, data, db.pages * db.page_size, data.len());
    (!view.full()).then_some(view)
}

/// A database being read.
struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
    /// Page size less the reserved bytes at each page's end (§1.3).
    usable: usize,
    /// Whole pages in the file.
    pages: usize,
    encoding: Encoding,
    /// Indexed by page number (1-based; 0 unused).
    role: Vec<Role>,
    tables: Vec<Table>,
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()
}

impl<'a> Db<'a> {
    fn open(data: &'a [u8]) -> Option<Self> {
        let page_size = match u16_at(data, 16)? {
            1 => 65536,
            n => n,
        };
        if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
            return None;
        }
        let usable = page_size.checked_sub(usize::from(data[20]))?;
        if usable < 480 {
            return None;
        }
        let pages = data.len() / page_size;
        let encoding = match u32_at(data, 56)? {
            2 => Encoding::Utf16Le,
            3 => Encoding::Utf16Be,
            _ => Encoding::Utf8,
        };
        Some(Db {
            data,
            page_size,
            usable,
            pages,
            encoding,
            role: vec![Role::Free; pages + 1],
            tables: vec![Table {
                label: "sqlite_master".to_string(),
                columns: ["type", "name", "tbl_name", "rootpage", "sql"]
                    .map(String::from)
                    .to_vec(),
                index_tree: false,
            }],
        })
    }

    /// Page `n`'s usable bytes and their file offset.
    fn page(&self, n: usize) -> Option<(usize, &'a [u8])> {
        if n == 0 || n > self.pages {
            return None;
        }
        let off = (n - 1) * self.page_size;
        Some((off, &self.data[off..off + self.usable]))
    }

    /// Where page `n`'s b-tree header starts: after the database header
    /// on page 1.
    fn header(n: usize) -> usize {
        if n == 1 { 100 } else { 0 }
    }

    fn page_kind(&self, n: usize) -> Option<u8> {
        let (_, p) = self.page(n)?;
        p.get(Self::header(n)).copied()
    }

    /// A b-tree page's type and cell offsets (within the page), when its
    /// header and cell pointer array are sane.
    fn cells(&self, n: usize) -> Option<(u8, Vec<usize>)> {
        let (_, p) = self.page(n)?;
        let h = Self::header(n);
        let kind = *p.get(h)?;
        let header_len = match kind {
            INTERIOR_INDEX | INTERIOR_TABLE => 12,
            LEAF_INDEX | LEAF_TABLE => 8,
            _ => return None,
        };
        let count = u16_at(p, h + 3)?;
        let array = h + header_len;
        let end = array + 2 * count;
        if end > p.len() {
            return None;
        }
        let cells = (0..count)
            .filter_map(|i| u16_at(p, array + 2 * i))
            .filter(|&c| c >= end && c < p.len())
            .collect();
        Some((kind, cells))
    }

    /// Walks the b-tree rooted at `root`, giving its leaves `leaf` and its
    /// other pages [`Role::Skip`]. Pages already claimed are not entered,
    /// so a cycle or a shared page costs nothing.
    fn walk(&mut self, root: usize, leaf: Role) {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n == 0 || n > self.pages || self.role[n] != Role::Free {
                continue;
            }
            let Some((kind, cells)) = self.cells(n) else {
                continue;
            };
            let (_, p) = self.page(n).expect("cells read it");
            match kind {
                INTERIOR_INDEX | INTERIOR_TABLE => {
                    // An index b-tree's interior cells hold keys of their
                    // own: a `WITHOUT ROWID` table's rows.
                    self.role[n] = match leaf {
                        Role::Leaf(t) if kind == INTERIOR_INDEX && self.tables[t].index_tree => {
                            leaf
                        }
                        _ => Role::Skip,
                    };
                    let right = u32_at(p, Self::header(n) + 8);
                    stack.extend(right);
                    stack.extend(cells.iter().filter_map(|&c| u32_at(p, c)));
                }
                LEAF_TABLE | LEAF_INDEX => {
                    let index_tree = kind == LEAF_INDEX;
                    self.role[n] = match leaf {
                        Role::Leaf(t) if self.tables[t].index_tree == index_tree => leaf,
                        _ => Role::Skip,
                    };
                }
                _ => {}
            }
        }
    }

    /// Reads the schema table (§2.6) from page 1's tree and walks the tree
    /// of every table and index it names.
    fn load_schema(&mut self) {
        self.walk(1, Role::Leaf(0));
        let mut roots = Vec::new();
        for n in 1..=self.pages {
            if self.role[n] != Role::Leaf(0) {
                continue;
            }
            let Some((_, cells)) = self.cells(n) else {
                continue;
            };
            for c in cells {
                let Some((payload, total, _)) = self.payload(n, c, LEAF_TABLE, false) else {
                    continue;
                };
                let Some(cols) = record::record(self.data, &payload, total) else {
                    continue;
                };
                let text = |i: usize, max: usize| {
                    cols.get(i)
                        .filter(|c| is_text(c.serial))
                        .map(|c| self.text_value(&payload, c, max))
                        .unwrap_or_default()
                };
                let kind = text(0, 16);
                let name = text(1, 256);
                let sql = text(4, 1 << 16);
                let root = cols
                    .get(3)
                    .and_then(|c| record::int_value(self.data, &payload, c))
                    .and_then(|r| usize::try_from(r).ok())
                    .unwrap_or(0);
                roots.push((kind, name, sql, root));
            }
        }
        for (kind, name, sql, root) in roots {
            if root == 0 {
                continue;
            }
            if kind == "table" {
                let cols = schema::columns(&sql).unwrap_or_default();
                self.tables.push(Table {
                    label: schema::label(&name),
                    columns: cols.names,
                    index_tree: cols.without_rowid,
                });
                self.walk(root, Role::Leaf(self.tables.len() - 1));
            } else {
                self.walk(root, Role::Skip);
            }
        }
    }

    /// A text or blob value as a string (schema entries), from UTF-16
    /// when the database is.
    fn text_value(&self, payload: &Payload, c: &Column, max: usize) -> String {
        let bytes = record::bytes_value(self.data, payload, c, max);
        match self.encoding {
            Encoding::Utf8 => String::from_utf8_lossy(&bytes).into_owned(),
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let units = bytes.chunks_exact(2).map(|u| match self.encoding {
                    Encoding::Utf16Le => u16::from_le_bytes([u[0], u[1]]),
                    _ => u16::from_be_bytes([u[0], u[1]]),
                });
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or('\u{fffd}'))
                    .collect()
            }
        }
    }

    /// The payload of the cell at `at` on page `n` (of `kind`, a leaf or an
    /// index's interior page):
    /// its runs in the file, its declared size, and where the cell ends on
    /// the page. The overflow chain is followed through pages no tree or
    /// other chain claimed; `claim` makes them this cell's (rendering),
    /// else only [`PEEK_PAGES`] of them are read (the schema).
    fn payload(
        &mut self,
        n: usize,
        at: usize,
        kind: u8,
        claim: bool,
    ) -> Option<(Payload, usize, usize)> {
        let (off, p) = self.page(n)?;
        // An interior index cell starts with its left child's number.
        let at = at + if kind == INTERIOR_INDEX { 4 } else { 0 };
        let (size, k) = record::varint(p, at)?;
        let mut pos = at + k;
        if kind == LEAF_TABLE {
            pos += record::varint(p, pos)?.1;
        }
        let total = usize::try_from(size).ok()?;
        let local = record::local_len(size, self.usable, kind == LEAF_TABLE);
        let mut end = pos.checked_add(local)?;
        if end > p.len() {
            return None;
        }
        let mut payload = Payload {
            pieces: vec![(off + pos, local)],
        };
        if local < total {
            let mut next = u32_at(p, end)?;
            end += 4;
            let mut left = total - local;
            let mut steps = 0;
            while left > 0 && next <= self.pages && self.role[next] == Role::Free {
                if claim {
                    self.role[next] = Role::Overflow;
                } else if steps == PEEK_PAGES {
                    break;
                }
                steps += 1;
                let (o, q) = self.page(next)?;
                let take = left.min(self.usable - 4);
                payload.pieces.push((o + 4, take));
                left -= take;
                next = u32_at(q, 0)?;
            }
        }
        Some((payload, total, end))
    }

    /// Renders a leaf page's rows (or a `WITHOUT ROWID` table's interior
    /// page's), then what its free space still holds.
    /// `table` is `None` for a page no tree reaches.
    fn render_leaf(&mut self, view: &mut TextView, n: usize, table: Option<usize>) {
        let Some((kind, cells)) = self.cells(n) else {
            return;
        };
        let label = match table {
            Some(t) => format!("\n[{}]\n", self.tables[t].label),
            None => "\n[free page]\n".to_string(),
        };
        view.push_text(label.as_bytes());
        for c in cells {
            if view.full() {
                return;
            }
            let Some((payload, total, _)) = self.payload(n, c, kind, true) else {
                continue;
            };
            if let Some(cols) = record::record(self.data, &payload, total) {
                self.render_row(view, &payload, &cols, table);
            }
        }
        carve::free_space(self, view, n, kind, table);
    }

    /// One row on one line: `name = 'value'` for each text or blob column
    /// that is not empty, separated by `, `; a row whose first text is a
    /// setting's name is followed by `NAME = 'value'`, its second text.
    fn render_row(
        &self,
        view: &mut TextView,
        payload: &Payload,
        cols: &[Column],
        table: Option<usize>,
    ) {
        let names = table.map_or(&[][..], |t| &self.tables[t].columns[..]);
        let mut first = true;
        for (i, c) in cols.iter().enumerate() {
            if c.len == 0 || !(is_text(c.serial) || is_blob(c.serial)) {
                continue;
            }
            if !first {
                view.push_text(b", ");
            }
            first = false;
            match names.get(i) {
                Some(name) => view.push_text(name.as_bytes()),
                None => view.push_text(format!("c{}", i + 1).as_bytes()),
            }
            view.push_text(b" = '");
            self.push_value(view, payload, c);
            view.push_text(b"'");
        }
        if !first {
            view.push_text(b"\n");
        }
        // A settings table's row (`'BINANCE_API_SECRET', '…'`, whatever
        // its columns are called): its value again, under its name.
        let mut texts = cols.iter().filter(|c| c.len > 0 && is_text(c.serial));
        if let (Some(name), Some(value)) = (texts.next(), texts.next())
            && self.is_setting_name(payload, name)
        {
            self.push_value(view, payload, name);
            view.push_text(b" = '");
            self.push_value(view, payload, value);
            view.push_text(b"'\n");
        }
    }

    /// Whether a text value reads as the name of a setting: an identifier
    /// of at most 64 characters with a separator (`_`, `.`, `-`) or no
    /// digit (`BINANCE_API_SECRET`, `github`), not a key of letters and
    /// digits.
    fn is_setting_name(&self, payload: &Payload, c: &Column) -> bool {
        if self.encoding != Encoding::Utf8 || c.len > 64 {
            return false;
        }
        let name = record::bytes_value(self.data, payload, c, 64);
        let identifier = name
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        identifier
            && (name.iter().any(|b| matches!(b, b'_' | b'.' | b'-'))
                || !name.iter().any(u8::is_ascii_digit))
    }

    /// A value's bytes, as the file holds them; text of a UTF-16 database
    /// as ASCII, each character mapped to its two bytes (other characters
    /// are left out of the view).
    fn push_value(&self, view: &mut TextView, payload: &Payload, c: &Column) {
        let runs = payload.runs(c.at, c.len);
        if self.encoding == Encoding::Utf8 || is_blob(c.serial) {
            for (off, len) in runs {
                view.push_file(off, &self.data[off..off + len]);
            }
            return;
        }
        let le = self.encoding == Encoding::Utf16Le;
        let mut at = c.at;
        while at + 1 < c.at + c.len {
            let (Some(a), Some(b)) = (payload.byte(self.data, at), payload.byte(self.data, at + 1))
            else {
                break;
            };
            let (lo, hi) = if le { (a, b) } else { (b, a) };
            if hi == 0 && lo.is_ascii() && lo != 0 {
                let off = payload.runs(at, 1)[0].0;
                view.push_scaled(off, &[lo], 2);
            }
            at += 2;
        }
    }
}
