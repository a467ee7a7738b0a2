//! Plain text inside formats that are otherwise compressed: ZIP entries
//! stored without compression (method 0; APPNOTE.TXT, the PKWARE ZIP
//! specification, §4.3.7 local file header, §4.3.12 central directory
//! header, §4.3.16 end of central directory record) and PNG text chunks
//! (`tEXt`, and `iTXt` whose compression flag is 0; PNG specification,
//! third edition, §11.3.3). Such a file is scanned through a view of that
//! text: `[entry name]` then the entry's bytes; `keyword = 'text'` for a
//! PNG chunk.

use super::TextView;

const ZIP_LOCAL: &[u8] = b"PK\x03\x04";
const ZIP_CENTRAL: &[u8] = b"PK\x01\x02";
const ZIP_END: &[u8] = b"PK\x05\x06";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_le(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()
}

fn u32_be(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()
}

/// Whether the start of a compressed-format file (at least its first
/// 8 KiB, or all of it) shows plain text worth reading the rest for: a
/// ZIP whose local headers there include a stored, unencrypted file, or a
/// PNG with a text chunk before its image data.
pub fn plain_text_inside(head: &[u8]) -> bool {
    if head.starts_with(ZIP_LOCAL) {
        let mut at = 0;
        while let Some(e) = local_entry(head, at) {
            if e.stored && e.len > 0 {
                return true;
            }
            at = e.data + e.len;
        }
        return false;
    }
    if head.starts_with(PNG) {
        return png_chunks(head).any(|(kind, _, _)| kind == *b"tEXt" || kind == *b"iTXt");
    }
    false
}

/// The text view of a ZIP with stored entries or a PNG with text chunks;
/// `None` for other files, or when there is no such text.
pub(super) fn view(data: &[u8]) -> Option<TextView> {
    let mut view = TextView::for_file(data.len());
    if data.starts_with(ZIP_LOCAL) {
        zip(data, &mut view);
    } else if data.starts_with(PNG) {
        png(data, &mut view);
    } else {
        return None;
    }
    (!view.text().is_empty() && !view.full()).then_some(view)
}

/// A ZIP entry: its name's place, where its data starts, its length, and
/// whether it is stored unencrypted.
struct Entry {
    name: (usize, usize),
    data: usize,
    len: usize,
    stored: bool,
}

/// The entry whose local header is at `at` (§4.3.7): signature, version,
/// flags (2 bytes at 6), method (8), …, compressed size (18), name length
/// (26), extra length (28), name at 30. A size known only from a data
/// descriptor (flag bit 3) reads as 0 here.
fn local_entry(data: &[u8], at: usize) -> Option<Entry> {
    if data.get(at..at + 4)? != ZIP_LOCAL {
        return None;
    }
    let flags = u16_at(data, at + 6)?;
    let method = u16_at(data, at + 8)?;
    let len = u32_le(data, at + 18)?;
    let name_len = u16_at(data, at + 26)?;
    let extra = u16_at(data, at + 28)?;
    let start = at + 30 + name_len + extra;
    (start.checked_add(len)? <= data.len()).then_some(Entry {
        name: (at + 30, name_len),
        data: start,
        len,
        stored: method == 0 && flags & 1 == 0,
    })
}

/// The entries the central directory lists (§4.3.12: compressed size at
/// 20, name length 28, extra 30, comment 32, local header offset 42),
/// found from the end of central directory record (§4.3.16: entry count
/// at 10, directory offset at 16); their data from their local headers.
fn central_entries(data: &[u8]) -> Option<Vec<Entry>> {
    let tail = data.len().saturating_sub(22 + 65535);
    let end = (tail..data.len().saturating_sub(21))
        .rev()
        .find(|&i| data[i..].starts_with(ZIP_END))?;
    let count = u16_at(data, end + 10)?;
    let mut at = u32_le(data, end + 16)?;
    let mut out = Vec::new();
    for _ in 0..count {
        if data.get(at..at + 4)? != ZIP_CENTRAL {
            break;
        }
        let size = u32_le(data, at + 20)?;
        let skip = 46 + u16_at(data, at + 28)? + u16_at(data, at + 30)? + u16_at(data, at + 32)?;
        let local = u32_le(data, at + 42)?;
        if let Some(mut e) = local_entry(data, local) {
            if e.len == 0 {
                e.len = size.min(data.len().saturating_sub(e.data));
            }
            out.push(e);
        }
        at += skip;
    }
    Some(out)
}

fn zip(data: &[u8], view: &mut TextView) {
    let entries = central_entries(data).unwrap_or_else(|| {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(e) = local_entry(data, at) {
            at = e.data + e.len;
            out.push(e);
        }
        out
    });
    for e in entries {
        if !e.stored || e.len == 0 || view.full() {
            continue;
        }
        let (n, nl) = e.name;
        view.push_text(b"\n[");
        view.push_file(n, &data[n..n + nl]);
        view.push_text(b"]\n");
        view.push_file(e.data, &data[e.data..e.data + e.len]);
        view.push_text(b"\n");
    }
}

/// The chunks after the signature (§5.3: length, type, data, CRC): type,
/// data offset, data length; up to the end or a chunk cut short.
fn png_chunks(data: &[u8]) -> impl Iterator<Item = ([u8; 4], usize, usize)> + '_ {
    let mut at = PNG.len();
    std::iter::from_fn(move || {
        let len = u32_be(data, at)?;
        let kind: [u8; 4] = data.get(at + 4..at + 8)?.try_into().ok()?;
        let start = at + 8;
        let end = start.checked_add(len)?;
        if end > data.len() {
            return None;
        }
        at = end + 4;
        Some((kind, start, len))
    })
}

fn png(data: &[u8], view: &mut TextView) {
    for (kind, start, len) in png_chunks(data) {
        let chunk = &data[start..start + len];
        let Some(nul) = chunk.iter().position(|&b| b == 0) else {
            continue;
        };
        let text = match &kind {
            b"tEXt" => nul + 1,
            // Keyword, 0, compression flag, method, language tag, 0,
            // translated keyword, 0, text.
            b"iTXt" if chunk.get(nul + 1) == Some(&0) => {
                let mut at = nul + 3;
                for _ in 0..2 {
                    match chunk.get(at..).and_then(|r| r.iter().position(|&b| b == 0)) {
                        Some(z) => at += z + 1,
                        None => at = chunk.len(),
                    }
                }
                at
            }
            _ => continue,
        };
        if text >= chunk.len() {
            continue;
        }
        view.push_text(b"\n");
        view.push_file(start, &chunk[..nul]);
        view.push_text(b" = '");
        view.push_file(start + text, &chunk[text..]);
        view.push_text(b"'\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_zip(name: &str, body: &[u8]) -> Vec<u8> {
        let mut z = Vec::new();
        z.extend_from_slice(ZIP_LOCAL);
        z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&(body.len() as u32).to_le_bytes());
        z.extend_from_slice(&(body.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(body);
        z
    }

    #[test]
    fn stored_zip_entries_are_read() {
        let z = stored_zip("a.env", b"KEY=value\n");
        assert!(plain_text_inside(&z));
        let v = view(&z).unwrap();
        let text = String::from_utf8_lossy(v.text()).into_owned();
        assert!(text.contains("[a.env]\nKEY=value\n"), "{text}");
        // Deflated entries hold no plain text.
        let mut deflated = z.clone();
        deflated[8] = 8;
        assert!(!plain_text_inside(&deflated));
    }

    #[test]
    fn png_text_chunks_are_read() {
        let mut p = PNG.to_vec();
        let body = b"Comment\0hello there";
        p.extend_from_slice(&(body.len() as u32).to_be_bytes());
        p.extend_from_slice(b"tEXt");
        p.extend_from_slice(body);
        p.extend_from_slice(&[0; 4]);
        assert!(plain_text_inside(&p));
        let v = view(&p).unwrap();
        assert_eq!(v.text(), b"\nComment = 'hello there'\n");
        assert!(!plain_text_inside(&p[..20]));
    }
}
