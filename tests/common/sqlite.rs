//! A tiny SQLite database writer for tests: real database files, built
//! byte by byte as the file format document describes them
//! (<https://www.sqlite.org/fileformat2.html>: §1.3 header, §1.6 b-tree
//! pages, cells and overflow pages, §2.1 records, §2.6 schema table), so
//! no test needs Python or a SQLite library. Each table is one leaf page
//! (plus overflow pages); deleted rows are left on the page as SQLite
//! leaves them without `secure_delete`: in a freeblock whose first four
//! bytes are overwritten, or whole in the unallocated space when the cell
//! was at the start of the cell content area.

/// A column value.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// A table: its `CREATE TABLE` statement, name, and rows; rows whose
/// index is in `deleted` are written and then deleted.
pub struct Table {
    pub name: String,
    pub sql: String,
    pub rows: Vec<Vec<Value>>,
    pub deleted: Vec<usize>,
}

impl Table {
    /// A table of text columns.
    pub fn text(name: &str, columns: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            name: name.to_string(),
            sql: format!(
                "CREATE TABLE {name}({})",
                columns
                    .iter()
                    .map(|c| format!("{c} text"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| Value::Text(v.to_string())).collect())
                .collect(),
            deleted: Vec::new(),
        }
    }
}

pub const PAGE: usize = 4096;

fn varint(mut v: u64) -> Vec<u8> {
    if v > 0x00ff_ffff_ffff_ffff {
        let mut out = vec![0u8; 9];
        out[8] = v as u8;
        v >>= 8;
        for i in (0..8).rev() {
            out[i] = (v & 0x7f) as u8 | 0x80;
            v >>= 7;
        }
        return out;
    }
    let mut groups = vec![(v & 0x7f) as u8];
    v >>= 7;
    while v > 0 {
        groups.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    groups.reverse();
    groups
}

/// A record (§2.1): header size, serial types, then the values.
fn record(values: &[Value]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut body = Vec::new();
    for v in values {
        match v {
            Value::Null => types.extend(varint(0)),
            Value::Int(i) => {
                types.extend(varint(6));
                body.extend_from_slice(&i.to_be_bytes());
            }
            Value::Text(s) => {
                types.extend(varint(13 + 2 * s.len() as u64));
                body.extend_from_slice(s.as_bytes());
            }
        }
    }
    // The header size counts itself (one byte for any header here).
    let mut out = varint(types.len() as u64 + 1);
    assert_eq!(out.len(), 1, "a short header");
    out.extend(types);
    out.extend(body);
    out
}

/// How much of a payload stays on a table leaf page (§1.6).
fn local_len(p: usize) -> usize {
    let u = PAGE;
    let x = u - 35;
    if p <= x {
        return p;
    }
    let m = (u - 12) * 32 / 255 - 23;
    let k = m + (p - m) % (u - 4);
    if k <= x { k } else { m }
}

/// Builds a leaf table page holding `rows` (rowids from 1), at byte
/// `header` of the page (100 on page 1); overflow pages are appended to
/// `extra`, numbered from `next_page`.
fn leaf_page(
    rows: &[Vec<Value>],
    deleted: &[usize],
    header: usize,
    next_page: &mut usize,
    extra: &mut Vec<Vec<u8>>,
) -> Vec<u8> {
    let mut page = vec![0u8; PAGE];
    let mut content = PAGE;
    let mut cells: Vec<(usize, usize, bool)> = Vec::new(); // offset, len, deleted
    for (i, row) in rows.iter().enumerate() {
        let payload = record(row);
        let local = local_len(payload.len());
        let mut cell = varint(payload.len() as u64);
        cell.extend(varint(i as u64 + 1));
        cell.extend_from_slice(&payload[..local]);
        if local < payload.len() {
            cell.extend_from_slice(&(*next_page as u32).to_be_bytes());
            let chunks: Vec<&[u8]> = payload[local..].chunks(PAGE - 4).collect();
            for (k, chunk) in chunks.iter().enumerate() {
                let mut ov = vec![0u8; PAGE];
                let next = if k + 1 < chunks.len() {
                    *next_page + 1
                } else {
                    0
                };
                ov[..4].copy_from_slice(&(next as u32).to_be_bytes());
                ov[4..4 + chunk.len()].copy_from_slice(chunk);
                extra.push(ov);
                *next_page += 1;
            }
        }
        content -= cell.len();
        page[content..content + cell.len()].copy_from_slice(&cell);
        cells.push((content, cell.len(), deleted.contains(&i)));
    }
    // Deleting: the cell at the start of the content area is given back to
    // the unallocated space; others become freeblocks (ascending chain).
    let live: Vec<usize> = cells.iter().filter(|c| !c.2).map(|c| c.0).collect();
    let mut freeblocks: Vec<(usize, usize)> = Vec::new();
    let mut order: Vec<&(usize, usize, bool)> = cells.iter().collect();
    order.sort_by_key(|c| c.0);
    for c in order {
        if !c.2 {
            continue;
        }
        if c.0 == content {
            content += c.1;
        } else {
            freeblocks.push((c.0, c.1));
        }
    }
    for (k, &(at, len)) in freeblocks.iter().enumerate() {
        let next = freeblocks.get(k + 1).map_or(0, |f| f.0);
        page[at..at + 2].copy_from_slice(&(next as u16).to_be_bytes());
        page[at + 2..at + 4].copy_from_slice(&(len as u16).to_be_bytes());
    }
    let h = header;
    page[h] = 0x0d;
    let first = freeblocks.first().map_or(0, |f| f.0);
    page[h + 1..h + 3].copy_from_slice(&(first as u16).to_be_bytes());
    page[h + 3..h + 5].copy_from_slice(&(live.len() as u16).to_be_bytes());
    page[h + 5..h + 7].copy_from_slice(&(content as u16).to_be_bytes());
    // Cell pointers in rowid order (the order the rows were given).
    for (k, off) in live.iter().enumerate() {
        let at = h + 8 + 2 * k;
        page[at..at + 2].copy_from_slice(&(*off as u16).to_be_bytes());
    }
    page
}

/// A database file holding `tables`, pages of [`PAGE`] bytes.
pub fn database(tables: &[Table]) -> Vec<u8> {
    // Page 1 is the schema table; each table's leaf page follows, then its
    // overflow pages.
    let mut pages: Vec<Vec<u8>> = Vec::new();
    let mut master_rows = Vec::new();
    let mut next_page = 2;
    for t in tables {
        let root = next_page;
        next_page += 1;
        let mut extra = Vec::new();
        let page = leaf_page(&t.rows, &t.deleted, 0, &mut next_page, &mut extra);
        pages.push(page);
        pages.extend(extra);
        master_rows.push(vec![
            Value::Text("table".into()),
            Value::Text(t.name.clone()),
            Value::Text(t.name.clone()),
            Value::Int(root as i64),
            Value::Text(t.sql.clone()),
        ]);
    }
    let mut none = Vec::new();
    let mut first = leaf_page(&master_rows, &[], 100, &mut 0, &mut none);
    let count = pages.len() + 1;
    let mut h = Vec::new();
    h.extend_from_slice(b"SQLite format 3\0");
    h.extend_from_slice(&(PAGE as u16).to_be_bytes());
    h.extend_from_slice(&[1, 1, 0, 64, 32, 32]);
    for v in [1u32, count as u32, 0, 0, 1, 4, 0, 0, 1, 0, 0, 0] {
        h.extend_from_slice(&v.to_be_bytes());
    }
    h.extend_from_slice(&[0; 20]);
    h.extend_from_slice(&1u32.to_be_bytes());
    h.extend_from_slice(&3_040_001u32.to_be_bytes());
    assert_eq!(h.len(), 100);
    first[..100].copy_from_slice(&h);
    let mut out = first;
    for p in pages {
        out.extend(p);
    }
    out
}
