//! Escaping text from scanned files and paths before it reaches a terminal:
//! a file must not be able to move the cursor, recolour the screen, hide
//! text behind bidirectional overrides or inject CI workflow commands.

use std::borrow::Cow;
use std::fmt::Write;

fn needs_escape(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// Unicode's invisible "format" characters (general category Cf) and other
/// characters that render as nothing: zero-width, bidirectional controls,
/// the soft hyphen, tags, interlinear annotation and variation-like marks.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Control characters, C1 controls, zero-width and bidi format characters
/// become visible escapes (`\x1b`, `\u{202e}`); everything else is kept.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        assert!(matches!(escape("src/main.rs"), Cow::Borrowed(_)));
        assert_eq!(escape("naïve ✓"), "naïve ✓");
    }

    #[test]
    fn terminal_controls_become_visible() {
        assert_eq!(escape("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape("x\ty\r"), "x\\ty\\r");
        assert_eq!(escape("\u{202e}txt"), "\\u{202e}txt");
        assert_eq!(escape("a\u{9b}b"), "a\\u{9b}b");
    }

    #[test]
    fn invisible_format_characters_become_visible() {
        assert_eq!(escape("a\u{2060}b"), "a\\u{2060}b");
        assert_eq!(escape("soft\u{ad}hyphen"), "soft\\u{ad}hyphen");
        assert_eq!(escape("tag\u{e0041}"), "tag\\u{e0041}");
        assert_eq!(escape("m\u{180e}n"), "m\\u{180e}n");
        assert_eq!(escape("\u{fff9}x\u{fffb}"), "\\u{fff9}x\\u{fffb}");
    }
}
