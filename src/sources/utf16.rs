//! UTF-16 text: what Windows editors, PowerShell's `>` and `Out-File` write
//! (and UTF-32 with a byte order mark). Every ASCII character carries NUL
//! bytes, so the file reads as binary and no token in it is contiguous.
//! Such a text is decoded to UTF-8 and scanned as text; line and column
//! numbers count its characters.

/// How far into a text without a byte order mark to look for the shape of
/// UTF-16 (the same reach as the binary check).
const PROBE: usize = crate::sources::BINARY_PROBE;

/// Byte order.
#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

/// The text of `data` as UTF-8 when `data` is UTF-16 or UTF-32 text
/// (Unicode's definitions, chapter 3.9), `None` otherwise:
///
/// - UTF-32 with its byte order mark (`FF FE 00 00` little-endian,
///   `00 00 FE FF` big-endian), in whole code units of four bytes;
/// - UTF-16 with its mark (`FF FE` little-endian, `FE FF` big-endian); or
/// - UTF-16 without one, in any script (a `.env` that PowerShell 5 or
///   Notepad wrote, a Cyrillic or Chinese comment above ASCII keys): the
///   byte order is the one that puts the NUL bytes of the Latin-1
///   characters in high bytes, and the first [`PROBE`] bytes must then
///   decode to text: no NUL or other control character but tab, line
///   feed and carriage return, no unpaired surrogate, no noncharacter.
///
/// A mark is kept as U+FEFF so that columns count as in the file. Either
/// way the first bytes hold a NUL byte: without one the data is a text
/// already (a Latin-1 file may start with `ÿþ`, which are `FF FE`). Data
/// whose first characters hold a NUL is not text, whatever its first
/// bytes. Past the probe, unpaired surrogates and invalid code points
/// become U+FFFD; a last incomplete code unit is dropped.
pub fn decode(data: &[u8]) -> Option<Vec<u8>> {
    if !crate::sources::is_binary(data) {
        return None;
    }
    // UTF-32 is made of whole code units of four bytes.
    match data {
        [0xFF, 0xFE, 0, 0, ..] if data.len().is_multiple_of(4) => {
            return utf32(data, Order::Little);
        }
        [0, 0, 0xFE, 0xFF, ..] if data.len().is_multiple_of(4) => return utf32(data, Order::Big),
        _ => {}
    }
    let order = match data {
        [0xFF, 0xFE, ..] => Order::Little,
        [0xFE, 0xFF, ..] => Order::Big,
        _ => bare_order(data)?,
    };
    let units = data.chunks_exact(2).map(|p| match order {
        Order::Little => u16::from_le_bytes([p[0], p[1]]),
        Order::Big => u16::from_be_bytes([p[0], p[1]]),
    });
    if units.clone().take(PROBE / 2).any(|u| u == 0) {
        return None;
    }
    let mut out = String::with_capacity(data.len() / 2 * 3 / 2);
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    Some(out.into_bytes())
}

/// UTF-32 text (after its mark was seen) as UTF-8; `None` when its first
/// characters hold a NUL or an invalid code point.
fn utf32(data: &[u8], order: Order) -> Option<Vec<u8>> {
    let units = data.chunks_exact(4).map(|p| {
        let b = [p[0], p[1], p[2], p[3]];
        match order {
            Order::Little => u32::from_le_bytes(b),
            Order::Big => u32::from_be_bytes(b),
        }
    });
    if units
        .clone()
        .take(PROBE / 4)
        .any(|u| u == 0 || char::from_u32(u).is_none())
    {
        return None;
    }
    let text: String = units
        .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Some(text.into_bytes())
}

/// The byte order of UTF-16 text without a byte order mark, judged from
/// its first [`PROBE`] bytes: the NUL bytes of Latin-1 characters are
/// high bytes (odd offsets little-endian, even big-endian), and the
/// probe decodes to text in that order.
fn bare_order(data: &[u8]) -> Option<Order> {
    let probe = &data[..data.len().min(PROBE) & !1];
    if probe.len() < 4 {
        return None;
    }
    // Text has no U+0000: binary data (a `.pyc` header, any structure of
    // integers) shows two NUL bytes in one code unit within its first bytes.
    if probe.chunks_exact(2).take(256).any(|u| u == [0, 0]) {
        return None;
    }
    let nuls = |at: usize| probe.chunks_exact(2).filter(|p| p[at] == 0).count();
    let (high_le, high_be) = (nuls(1), nuls(0));
    let order = if high_le > high_be {
        Order::Little
    } else if high_be > high_le {
        Order::Big
    } else {
        return None;
    };
    let units = probe.chunks_exact(2).map(|p| match order {
        Order::Little => u16::from_le_bytes([p[0], p[1]]),
        Order::Big => u16::from_be_bytes([p[0], p[1]]),
    });
    let text = |c: char| {
        !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}' | '\u{FFFD}')
            || matches!(c, '\t' | '\n' | '\r')
    };
    // A probe may end inside a surrogate pair: its last character is not
    // judged. Judged lazily: most binary data fails on its first ones.
    let mut decoded = char::decode_utf16(units).peekable();
    while let Some(c) = decoded.next() {
        if decoded.peek().is_some() && !c.is_ok_and(text) {
            return None;
        }
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn both_byte_orders_decode_with_or_without_a_mark() {
        let text = "KEY=värde 😀\nB=2\n";
        assert_eq!(
            decode(&le(text, true)).unwrap(),
            format!("\u{feff}{text}").as_bytes()
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap(), format!("\u{feff}{text}").as_bytes());
        // Without a mark, ASCII text only.
        assert_eq!(decode(&le("KEY=1\n", false)).unwrap(), b"KEY=1\n");
        let be_bare: Vec<u8> = "KEY=1\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode(&be_bare).unwrap(), b"KEY=1\n");
        // Without a mark, in any script: the Latin-1 characters' NULs tell
        // the order.
        for text in ["# Настройки бота\r\nKEY=1\r\n", "# 交易机器人配置\nKEY=1\n"]
        {
            assert_eq!(decode(&le(text, false)).unwrap(), text.as_bytes(), "{text}");
            let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            assert_eq!(decode(&be).unwrap(), text.as_bytes(), "{text}");
        }
    }

    #[test]
    fn utf32_with_a_mark_decodes() {
        let text = "KEY=värde 😀\n";
        let mut le = vec![0xFF, 0xFE, 0, 0];
        le.extend(text.chars().flat_map(|c| (c as u32).to_le_bytes()));
        let marked = format!("\u{feff}{text}");
        assert_eq!(decode(&le).unwrap(), marked.as_bytes());
        let mut be = vec![0, 0, 0xFE, 0xFF];
        be.extend(text.chars().flat_map(|c| (c as u32).to_be_bytes()));
        assert_eq!(decode(&be).unwrap(), marked.as_bytes());
        // Not a code point: not text.
        assert!(decode(&[0xFF, 0xFE, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]).is_none());
    }

    #[test]
    fn other_data_is_not_utf16() {
        assert!(decode(b"plain text").is_none());
        assert!(decode(b"\x00\x00\x00\x00").is_none());
        // A .pyc, a SQLite file: NULs, but not beside each character.
        assert!(decode(b"\xa7\r\r\n\0\0\0\0\xe3\0\0\0").is_none());
        assert!(decode(b"SQLite format 3\0\x10\0\x01\x01").is_none());
        // A mark followed by NULs is no text; without any NUL, the data is
        // text already (Latin-1 `ÿþ`).
        assert!(decode(b"\xFF\xFE\0\0\0\0").is_none());
        assert!(decode(b"\xFF\xFE binance junk\n").is_none());
        assert_eq!(
            decode(b"\xFF\xFE\x41\x00\x00\xd8").unwrap(),
            "\u{feff}A\u{fffd}".as_bytes()
        );
    }
}
