//! Deleted rows in a live page's free space. Unless the database uses
//! `secure_delete`, deleting a row leaves its cell's bytes on the page
//! (<https://www.sqlite.org/fileformat2.html> §1.6): in a freeblock, whose
//! first four bytes (next freeblock, size) overwrite the start of the cell
//! (its payload size, rowid, record header size and, for short rows, the
//! first column's serial type), or, when the cell was at the start of the
//! cell content area, whole in the unallocated space. A deleted secret is
//! still in the file, so both are read back as rows where the bytes allow
//! (`[table]`'s columns), and added as bytes as well: a carved row may
//! be read wrong, the bytes are there whatever it reads.

use super::record::{self, Column, Payload, is_blob, is_text};
use super::{Db, Encoding, LEAF_TABLE, TextView, u16_at};

/// Adds the non-zero runs of `data[from..to]` to the view as bytes, each
/// on its own line.
pub(super) fn push_raw(view: &mut TextView, data: &[u8], from: usize, to: usize) {
    let mut at = from;
    while at < to {
        let Some(s) = data[at..to].iter().position(|&b| b != 0) else {
            return;
        };
        let s = at + s;
        let e = data[s..to]
            .iter()
            .position(|&b| b == 0)
            .map_or(to, |e| s + e);
        view.push_text(b"\n");
        view.push_file(s, &data[s..e]);
        view.push_text(b"\n");
        at = e;
    }
}

/// Reads the free space of leaf page `n` (of `kind`) of `table`: each
/// freeblock, then the unallocated space between the cell pointer array
/// and the cell content area.
pub(super) fn free_space(
    db: &Db<'_>,
    view: &mut TextView,
    n: usize,
    kind: u8,
    table: Option<usize>,
) {
    let Some((off, p)) = db.page(n) else {
        return;
    };
    let h = Db::header(n);
    // Rows can be carved where the encoding is UTF-8 and the columns known.
    let columns = match table {
        Some(t) if kind == LEAF_TABLE && db.encoding == Encoding::Utf8 => {
            db.tables[t].columns.len()
        }
        _ => 0,
    };
    let mut block = u16_at(p, h + 1).unwrap_or(0);
    while block != 0 && !view.full() {
        let (Some(next), Some(size)) = (u16_at(p, block), u16_at(p, block + 2)) else {
            break;
        };
        let end = block.saturating_add(size).min(p.len());
        carve_freeblock(db, view, off, p, block, end, columns, table);
        push_raw(view, db.data, off + block + 4, off + end.max(block + 4));
        // Freeblocks are in ascending order: anything else ends the chain.
        if next <= block {
            break;
        }
        block = next;
    }
    let count = u16_at(p, h + 3).unwrap_or(0);
    let header_len = if kind == LEAF_TABLE || kind == super::LEAF_INDEX {
        8
    } else {
        12
    };
    let gap_start = (h + header_len + 2 * count).min(p.len());
    let gap_end = match u16_at(p, h + 5) {
        Some(0) | None => 65536,
        Some(c) => c,
    }
    .min(p.len());
    if gap_start < gap_end {
        intact_cells(db, view, off, p, gap_start, gap_end, columns, table);
    }
}

/// Parses `count` serial types at `at`, up to `limit`: their columns
/// (content offsets from 0) and where the types end.
fn serial_types(p: &[u8], at: usize, count: usize, limit: usize) -> Option<(Vec<Column>, usize)> {
    record::serial_types(|i| record::varint(&p[..limit], i), at, 0, |_, n| n < count)
}

/// Whether a lost column's bytes read as text: UTF-8 with no control
/// characters but tabs and line breaks.
fn plausible_text(b: &[u8]) -> bool {
    !b.is_empty()
        && std::str::from_utf8(b).is_ok()
        && b.iter()
            .all(|&c| c >= 0x20 || matches!(c, b'\t' | b'\n' | b'\r'))
}

/// Carves the deleted rows in the freeblock `block..end` of a page at
/// file offset `off`, whose table has `columns` columns: one row, or
/// several when the freeblocks of adjacent deleted cells merged.
#[allow(clippy::too_many_arguments)]
fn carve_freeblock(
    db: &Db<'_>,
    view: &mut TextView,
    off: usize,
    p: &[u8],
    block: usize,
    end: usize,
    columns: usize,
    table: Option<usize>,
) {
    let mut at = block;
    while columns > 0
        && let Some((cols, body, next)) = carve_one(p, at, end, columns)
    {
        render_at(db, view, off, body, &cols, table);
        at = next;
    }
}

/// The deleted cell at `start` (its first four bytes overwritten by a
/// freeblock header), ending at `end` or before: its columns, where its
/// body starts and where it ends. The row's serial types start after the
/// four bytes: all of them (the header size byte, when it survives, must
/// agree; the body fills the block, or is followed by more deleted cells),
/// or all but the first, whose length is then what the others leave and
/// whose bytes must read as text.
fn carve_one(
    p: &[u8],
    start: usize,
    end: usize,
    columns: usize,
) -> Option<(Vec<Column>, usize, usize)> {
    let first = start + 4;
    if first >= end {
        return None;
    }
    let mut prefix: Option<(Vec<Column>, usize, usize, bool)> = None;
    for s in first..(first + 10).min(end) {
        let Some((cols, e)) = serial_types(p, s, columns, end) else {
            continue;
        };
        if s > first && usize::from(p[s - 1]) != e - s + 1 {
            continue;
        }
        let body: usize = cols.iter().map(|c| c.len).sum();
        if e + body == end {
            return Some((cols, e, end));
        }
        // A header size byte that agrees is better evidence than none.
        let better = prefix
            .as_ref()
            .is_none_or(|(_, _, _, checked)| !checked && s > first);
        if e + body < end && better && cols.iter().any(|c| c.len > 0) {
            prefix = Some((cols, e, e + body, s > first));
        }
    }
    if columns >= 2 {
        for s in [first, first + 1] {
            let Some((mut cols, e)) = serial_types(p, s, columns - 1, end) else {
                continue;
            };
            let body: usize = cols.iter().map(|c| c.len).sum();
            let Some(lost) = end.checked_sub(e + body).filter(|&l| l > 0) else {
                continue;
            };
            if !plausible_text(&p[e..e + lost]) {
                continue;
            }
            for c in &mut cols {
                c.at += lost;
            }
            // Text of `lost` bytes (serial type 13 + 2 × lost).
            let lost_col = Column {
                serial: 13 + 2 * lost as u64,
                at: 0,
                len: lost,
            };
            cols.insert(0, lost_col);
            return Some((cols, e, end));
        }
    }
    prefix.map(|(cols, e, next, _)| (cols, e, next))
}

/// Renders a carved row whose content starts at page offset `body`.
fn render_at(
    db: &Db<'_>,
    view: &mut TextView,
    off: usize,
    body: usize,
    cols: &[Column],
    table: Option<usize>,
) {
    let len: usize = cols.iter().map(|c| c.len).sum();
    let payload = Payload {
        pieces: vec![(off + body, len)],
    };
    db.render_row(view, &payload, cols, table);
}

/// Reads whole cells left in `from..to` (the unallocated space): a cell
/// whose payload size, header and column lengths agree exactly is a row.
/// Then the space is added as bytes as well.
#[allow(clippy::too_many_arguments)]
fn intact_cells(
    db: &Db<'_>,
    view: &mut TextView,
    off: usize,
    p: &[u8],
    from: usize,
    to: usize,
    columns: usize,
    table: Option<usize>,
) {
    let mut at = from;
    // Each try reads a record header: a budget keeps crafted bytes from
    // making the tries quadratic in the page size.
    let mut budget = 16 * (to - from);
    while columns > 0 && at < to {
        if p[at] == 0 {
            at += 1;
            continue;
        }
        match intact_cell(db, p, at, to, &mut budget) {
            Some((body, cols, end)) => {
                render_at(db, view, off, body, &cols, table);
                at = end;
            }
            None => at += 1,
        }
    }
    push_raw(view, db.data, off + from, off + to);
}

/// A table leaf cell at `at` that ends by `to` with no overflow, whose
/// record's column lengths add up to its payload size exactly and which
/// has some text: where its body starts, its columns, where it ends.
/// Reading its header is charged to `budget` (bytes); `None` once spent.
fn intact_cell(
    db: &Db<'_>,
    p: &[u8],
    at: usize,
    to: usize,
    budget: &mut usize,
) -> Option<(usize, Vec<Column>, usize)> {
    let (size, k) = record::varint(&p[..to], at)?;
    let (_, r) = record::varint(&p[..to], at + k)?;
    let start = at + k + r;
    let size = usize::try_from(size).ok()?;
    let end = start.checked_add(size).filter(|&e| e <= to)?;
    if size < 2 || size > record::local_len(size as u64, db.usable, true) {
        return None;
    }
    let (header, _) = record::varint(&p[..to], start)?;
    *budget = budget.checked_sub(usize::try_from(header).ok()?.min(size))?;
    let payload = Payload {
        pieces: vec![(start, size)],
    };
    let cols = record::record(p, &payload, size)?;
    let last = cols.last()?;
    let header = cols.first()?.at;
    if last.at + last.len != size
        || !cols
            .iter()
            .any(|c| c.len > 0 && (is_text(c.serial) || is_blob(c.serial)))
    {
        return None;
    }
    let cols = cols
        .into_iter()
        .map(|c| Column {
            at: c.at - header,
            ..c
        })
        .collect();
    Some((start + header, cols, end))
}
