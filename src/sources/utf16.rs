//! UTF-16 text: what Windows editors, PowerShell's `>` and `Out-File` write.
//! Every ASCII character carries a NUL byte, so the file reads as binary
//! and no token in it is contiguous. Such a text is decoded to UTF-8 and
//! scanned as text; line and column numbers count its characters.

/// How far into a text without a byte order mark to look for the shape of
/// UTF-16 (the same reach as the binary check).
const PROBE: usize = crate::sources::BINARY_PROBE;

/// Byte order.
#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

/// The text of `data` as UTF-8 when `data` is UTF-16 (Unicode's
/// definition, chapter 3.9), `None` otherwise:
///
/// - with a byte order mark (`FF FE` little-endian, `FE FF` big-endian),
///   kept as U+FEFF so that columns count as in the file; or
/// - without one, when its first bytes are ASCII text in one byte order
///   (`41 00 50 00 …`: every other byte NUL, the others printable or
///   white space), as a `.env` written by PowerShell is.
///
/// Either way its first bytes hold a NUL byte (the NUL of an ASCII
/// character's other half): without one it is a text already (a Latin-1
/// file may start with `ÿþ`, which are `FF FE`). Data whose first
/// characters hold a NUL is not text, whatever its first bytes. Unpaired
/// surrogates become U+FFFD; a last odd byte is dropped.
pub fn decode(data: &[u8]) -> Option<Vec<u8>> {
    if !crate::sources::is_binary(data) {
        return None;
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

/// The byte order of UTF-16 text without a byte order mark, judged from
/// its first [`PROBE`] bytes: ASCII text with a NUL beside each character.
fn bare_order(data: &[u8]) -> Option<Order> {
    let probe = &data[..data.len().min(PROBE) & !1];
    if probe.len() < 4 {
        return None;
    }
    let text = |b: u8| b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let shaped = |lo: usize| probe.chunks_exact(2).all(|p| text(p[lo]) && p[1 - lo] == 0);
    if shaped(0) {
        Some(Order::Little)
    } else if shaped(1) {
        Some(Order::Big)
    } else {
        None
    }
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
