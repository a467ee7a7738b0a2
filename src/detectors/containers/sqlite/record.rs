//! SQLite cells and records: varints, cell payloads with their overflow
//! pages, and the record format, as the file format document describes
//! them (<https://www.sqlite.org/fileformat2.html>, §1.6 "B-tree Pages"
//! for cells and overflow, §2.1 "Record Format" for records). Every read
//! is bounds-checked; nothing here panics on any input.

/// Reads a varint (§1.6: one to nine bytes, big-endian, seven bits a byte
/// and all eight in the ninth) at `at`: its value and length.
pub(super) fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(at.checked_add(i)?)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The content length in bytes of a serial type (§2.1), or `None` for the
/// reserved types 10 and 11.
pub(super) fn serial_len(t: u64) -> Option<u64> {
    Some(match t {
        0 | 8 | 9 => 0,
        1..=4 => t,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        _ => (t - 12) / 2,
    })
}

/// Whether a serial type is text (odd, from 13) or a blob (even, from 12).
pub(super) fn is_text(t: u64) -> bool {
    t >= 13 && !t.is_multiple_of(2)
}

pub(super) fn is_blob(t: u64) -> bool {
    t >= 12 && t.is_multiple_of(2)
}

/// A payload as it lies in the file: runs of bytes (file offset, length),
/// the cell's local part and then its overflow pages' content, in order.
#[derive(Debug, Default, Clone)]
pub(super) struct Payload {
    pub pieces: Vec<(usize, usize)>,
}

impl Payload {
    /// The byte at logical offset `at`.
    pub fn byte(&self, data: &[u8], mut at: usize) -> Option<u8> {
        for &(off, len) in &self.pieces {
            if at < len {
                return data.get(off + at).copied();
            }
            at -= len;
        }
        None
    }

    /// A varint at logical offset `at` (it may cross pieces).
    fn varint(&self, data: &[u8], at: usize) -> Option<(u64, usize)> {
        let mut buf = [0u8; 9];
        let mut n = 0;
        while n < 9 {
            match self.byte(data, at + n) {
                Some(b) => buf[n] = b,
                None => break,
            }
            n += 1;
        }
        varint(&buf[..n], 0)
    }

    /// The file runs holding logical bytes `from..from + len` (cut short
    /// where the file ends).
    pub fn runs(&self, from: usize, len: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let (mut skip, mut left) = (from, len);
        for &(off, n) in &self.pieces {
            if left == 0 {
                break;
            }
            if skip >= n {
                skip -= n;
                continue;
            }
            let take = (n - skip).min(left);
            out.push((off + skip, take));
            left -= take;
            skip = 0;
        }
        out
    }
}

/// One column of a record: its serial type and where its content starts
/// in the payload.
#[derive(Debug, Clone, Copy)]
pub(super) struct Column {
    pub serial: u64,
    pub at: usize,
    pub len: usize,
}

/// Records with more columns than this are read no further.
const MAX_COLUMNS: usize = 4096;

/// Reads serial types (§2.1) with `varint_at` from `pos` on while `more`
/// (given the position and the count so far) says so; the first column's
/// content starts at `body`. The columns, and where the types end.
pub(super) fn serial_types(
    mut varint_at: impl FnMut(usize) -> Option<(u64, usize)>,
    mut pos: usize,
    mut body: usize,
    more: impl Fn(usize, usize) -> bool,
) -> Option<(Vec<Column>, usize)> {
    let mut cols = Vec::new();
    while more(pos, cols.len()) {
        let (t, k) = varint_at(pos)?;
        pos += k;
        let len = usize::try_from(serial_len(t)?).ok()?;
        cols.push(Column {
            serial: t,
            at: body,
            len,
        });
        body = body.checked_add(len)?;
        if cols.len() > MAX_COLUMNS {
            return None;
        }
    }
    Some((cols, pos))
}

/// Parses a record's header (§2.1): the header size, then one serial
/// type per column. `None` unless the header is well formed and every
/// column's content starts within `total` bytes; a column may run past
/// the bytes the file holds (a cut overflow chain): readers clip it.
pub(super) fn record(data: &[u8], payload: &Payload, total: usize) -> Option<Vec<Column>> {
    let (h, n) = payload.varint(data, 0)?;
    let h = usize::try_from(h).ok()?;
    if h < n || h > total {
        return None;
    }
    let (cols, pos) = serial_types(|at| payload.varint(data, at), n, h, |pos, _| pos < h)?;
    let body = cols.last().map_or(h, |c| c.at + c.len);
    (pos == h && body <= total).then_some(cols)
}

/// A record's integer column (serial types 1 to 6, big-endian two's
/// complement), or `None` for other types.
pub(super) fn int_value(data: &[u8], payload: &Payload, c: &Column) -> Option<i64> {
    if !(1..=6).contains(&c.serial) {
        return None;
    }
    let mut v: i64 = 0;
    for i in 0..c.len {
        v = (v << 8) | i64::from(payload.byte(data, c.at + i)?);
    }
    let bits = 8 * c.len as u32;
    Some(if bits < 64 && v >> (bits - 1) & 1 == 1 {
        v - (1i64 << bits)
    } else {
        v
    })
}

/// A record's text or blob column, copied (for the schema table).
pub(super) fn bytes_value(data: &[u8], payload: &Payload, c: &Column, max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(c.len.min(max));
    for (off, len) in payload.runs(c.at, c.len.min(max)) {
        out.extend_from_slice(&data[off..off + len]);
    }
    out
}

/// The local share of a payload of `p` bytes on a page of `usable` bytes
/// (§1.6): all of it up to the limit `x`, else `m` plus what fills the
/// last overflow page, when that fits.
pub(super) fn local_len(p: u64, usable: usize, table_leaf: bool) -> usize {
    let u = usable as u64;
    let x = if table_leaf {
        u - 35
    } else {
        (u - 12) * 64 / 255 - 23
    };
    if p <= x {
        return p as usize;
    }
    let m = (u - 12) * 32 / 255 - 23;
    let k = m + (p - m) % (u - 4);
    (if k <= x { k } else { m }) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_big_endian_seven_bits_a_byte() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
        assert_eq!(varint(&[], 0), None);
    }

    #[test]
    fn serial_types_give_lengths() {
        assert_eq!(serial_len(13), Some(0));
        assert_eq!(serial_len(13 + 2 * 64), Some(64));
        assert_eq!(serial_len(12 + 2 * 3), Some(3));
        assert_eq!(serial_len(5), Some(6));
        assert_eq!(serial_len(10), None);
        assert!(is_text(141) && !is_blob(141) && is_blob(12));
    }

    #[test]
    fn payload_runs_cross_pieces() {
        let p = Payload {
            pieces: vec![(10, 4), (100, 4)],
        };
        assert_eq!(p.runs(2, 4), vec![(12, 2), (100, 2)]);
        assert_eq!(p.runs(6, 10), vec![(102, 2)]);
    }

    #[test]
    fn records_parse_and_reject_bad_headers() {
        // header 3 bytes: text of 2, integer of 1; then "hi", 0x07.
        let data = [3u8, 17, 1, b'h', b'i', 7];
        let p = Payload {
            pieces: vec![(0, data.len())],
        };
        let cols = record(&data, &p, data.len()).unwrap();
        assert_eq!((cols[0].at, cols[0].len, cols[1].at), (3, 2, 5));
        assert_eq!(int_value(&data, &p, &cols[1]), Some(7));
        // A header larger than the payload, a reserved type.
        assert!(
            record(
                &[9, 17],
                &Payload {
                    pieces: vec![(0, 2)]
                },
                2
            )
            .is_none()
        );
        assert!(
            record(
                &[2, 10],
                &Payload {
                    pieces: vec![(0, 2)]
                },
                2
            )
            .is_none()
        );
    }

    #[test]
    fn local_share_follows_the_spill_rule() {
        // 4096-byte pages: up to 4061 bytes stay on a table leaf page.
        assert_eq!(local_len(4061, 4096, true), 4061);
        let l = local_len(10_000, 4096, true);
        assert!(((4096 - 12) * 32 / 255 - 23..4061).contains(&l));
    }
}
