//! The replacement file: the expressions file that both git-filter-repo
//! (`--replace-text`, git-filter-repo(1) "CONTENT EDITING FILTERS") and BFG
//! Repo-Cleaner (`--replace-text`, its `TextReplacementConfig`) read.
//!
//! Both read it one line per expression, `PATTERN==>REPLACEMENT`, and both
//! take `literal:` and `regex:` prefixes. They differ where a pattern
//! holds `==>`: filter-repo splits at the last one, BFG at the first. So a
//! value that holds `==>`, and only such a value, is written as a
//! `regex:` whose every punctuation character is escaped with `\` (which
//! Python's `re` and Java's `Pattern` both read as the character itself):
//! the line then holds `==>` once, before the replacement. A value that
//! starts like a prefix (`regex:`, `glob:`, `literal:`) gets `literal:`
//! before it. Neither tool has comments or escapes otherwise, and neither
//! can hold a line break in a pattern (see `forms` for multi-line keys).

/// What a secret is replaced with: `***REMOVED-<rule-id>***`, the rule id
/// kept to letters, digits, `.`, `_` and `-` (a replacement is a
/// replacement template to both tools' regex engines: no `$` or `\`).
pub fn replacement(rule_id: &str) -> Vec<u8> {
    let id: String = rule_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("***REMOVED-{id}***").into_bytes()
}

/// The prefixes either tool reads at the start of a pattern.
const PREFIXES: [&[u8]; 3] = [b"regex:", b"glob:", b"literal:"];

/// One line of the file (without its line feed) that replaces `value`
/// (one line, non-empty) with `replacement`.
pub fn line(value: &[u8], replacement: &[u8]) -> Vec<u8> {
    debug_assert!(!value.is_empty() && !value.iter().any(|&b| b == b'\n' || b == b'\r'));
    let mut out = Vec::with_capacity(value.len() + replacement.len() + 16);
    if memchr::memmem::find(value, b"==>").is_some() {
        out.extend_from_slice(b"regex:");
        for &b in value {
            if b.is_ascii_punctuation() || b == b' ' {
                out.push(b'\\');
            }
            out.push(b);
        }
    } else {
        if PREFIXES.iter().any(|p| value.starts_with(p)) {
            out.extend_from_slice(b"literal:");
        }
        out.extend_from_slice(value);
    }
    out.extend_from_slice(b"==>");
    out.extend_from_slice(replacement);
    out
}

/// One expression read back from a replacement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Bytes to find as they are.
    Literal(Vec<u8>),
    /// A `regex:` line that is not an escaped value as [`line`] writes
    /// it: a pattern written by hand, matched with Rust's `regex` syntax
    /// (close to Python's and Java's for ordinary patterns).
    Regex(Vec<u8>),
}

/// A line of the file: its 1-based number, what it looks for, and what it
/// is replaced with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub line: usize,
    pub pattern: Pattern,
    pub replacement: Vec<u8>,
}

/// Why a replacement file cannot be checked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("line {0}: a glob: pattern cannot be checked; list the values themselves")]
    Glob(usize),
    #[error("the file lists no secret")]
    Empty,
}

/// Reads a replacement file as git-filter-repo does: lines split at line
/// feeds, a trailing carriage return dropped, the replacement after the
/// last `==>` (none: `***REMOVED***`), then a `regex:`, `glob:` or
/// `literal:` prefix; empty patterns skipped.
pub fn parse(text: &[u8]) -> Result<Vec<Expression>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (pattern, replacement) = match memchr::memmem::rfind(raw, b"==>") {
            Some(at) => (&raw[..at], raw[at + 3..].to_vec()),
            None => (raw, b"***REMOVED***".to_vec()),
        };
        let pattern = if let Some(re) = pattern.strip_prefix(b"regex:") {
            match unescape(re) {
                Some(lit) => Pattern::Literal(lit),
                None => Pattern::Regex(re.to_vec()),
            }
        } else if pattern.starts_with(b"glob:") {
            return Err(ParseError::Glob(i + 1));
        } else {
            Pattern::Literal(
                pattern
                    .strip_prefix(b"literal:")
                    .unwrap_or(pattern)
                    .to_vec(),
            )
        };
        if matches!(&pattern, Pattern::Literal(l) | Pattern::Regex(l) if l.is_empty()) {
            continue;
        }
        out.push(Expression {
            line: i + 1,
            pattern,
            replacement,
        });
    }
    if out.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(out)
}

/// The value of a `regex:` pattern that [`line`] wrote: every
/// punctuation character escaped and nothing else special. `None` for any
/// other pattern.
fn unescape(re: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(re.len());
    let mut it = re.iter();
    while let Some(&b) = it.next() {
        match b {
            b'\\' => match it.next() {
                Some(&c) if c.is_ascii_punctuation() || c == b' ' => out.push(c),
                _ => return None,
            },
            c if c.is_ascii_punctuation() || c == b' ' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(s: &str) -> Pattern {
        Pattern::Literal(s.as_bytes().to_vec())
    }

    #[test]
    fn plain_values_are_written_as_they_are_and_read_back() {
        let l = line(b"abc123", &replacement("binance-api-key"));
        assert_eq!(l, b"abc123==>***REMOVED-binance-api-key***");
        let e = parse(&l).unwrap();
        assert_eq!(e[0].pattern, literal("abc123"));
        assert_eq!(e[0].replacement, b"***REMOVED-binance-api-key***");
    }

    #[test]
    fn a_value_holding_the_separator_becomes_an_escaped_regex() {
        // BFG splits at the first `==>`, filter-repo at the last: the
        // line must hold one, before the replacement.
        let l = line(b"pa==>ss w$rd", b"***REMOVED-x***");
        assert_eq!(
            String::from_utf8(l.clone()).unwrap(),
            r"regex:pa\=\=\>ss\ w\$rd==>***REMOVED-x***"
        );
        assert_eq!(memchr::memmem::find_iter(&l, b"==>").count(), 1);
        assert_eq!(parse(&l).unwrap()[0].pattern, literal("pa==>ss w$rd"));
    }

    #[test]
    fn values_that_look_like_a_prefix_are_marked_literal() {
        let l = line(b"regex:abc", b"R");
        assert_eq!(l, b"literal:regex:abc==>R");
        assert_eq!(parse(&l).unwrap()[0].pattern, literal("regex:abc"));
    }

    #[test]
    fn rule_ids_are_kept_to_safe_characters() {
        assert_eq!(replacement("my rule$1"), b"***REMOVED-my-rule-1***");
    }

    #[test]
    fn hand_written_lines_read_as_filter_repo_reads_them() {
        let e = parse(b"one\r\nregex:[a-z]+\\d==>X\n\nliteral:two==>Y\n").unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].pattern, literal("one"));
        assert_eq!(e[0].replacement, b"***REMOVED***");
        assert_eq!(e[1].pattern, Pattern::Regex(b"[a-z]+\\d".to_vec()));
        assert_eq!((e[2].line, &e[2].pattern), (4, &literal("two")));
        assert_eq!(parse(b"glob:*.pem\n"), Err(ParseError::Glob(1)));
        assert_eq!(parse(b"\n\n"), Err(ParseError::Empty));
    }
}
