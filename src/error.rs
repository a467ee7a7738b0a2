//! Typed errors of the library. Each says what went wrong and what to fix.

use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A TOML file (rule pack or user config) did not parse or has unknown keys.
    #[error("{path}:{line}:{column}: {message}")]
    Toml {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// A rule is malformed: bad regex, missing secret group, unknown fragment...
    #[error("rule `{rule}` in {origin}: {message}")]
    Rule {
        rule: String,
        origin: String,
        message: String,
    },

    /// A configuration value is invalid (bad glob, unknown rule id...).
    #[error("{origin}: {message}")]
    Config { origin: String, message: String },

    /// Reading a file or directory failed.
    /// The I/O error is part of the message (not a `source`), so a chain
    /// printed with `{:#}` says it once.
    #[error("cannot read {}: {error}", crate::sources::display_path(path))]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },

    /// A Git repository could not be opened or read.
    #[error("{message}")]
    Git { message: String },

    /// A size such as `10MB` could not be parsed.
    #[error(
        "invalid size `{0}`: use a number above zero with an optional unit, like 500KB, 10MB or 1GB"
    )]
    Size(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git {
            message: format!("git: {}", e.message()),
        }
    }
}

impl Error {
    /// Builds a [`Error::Toml`] from a `toml` deserialisation error, with the
    /// line and column of its span in `text`.
    pub fn from_toml(path: &str, text: &str, err: &toml::de::Error) -> Self {
        let (line, column) = match err.span() {
            Some(span) => line_col(text, span.start),
            None => (1, 1),
        };
        Error::Toml {
            path: path.to_string(),
            line,
            column,
            // The message quotes the value it could not read: a key
            // pasted into the config by mistake must not reach the log.
            message: crate::findings::mask_secret_shaped(err.message().trim()).into_owned(),
        }
    }
}

/// 1-based line and column of a byte offset in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("abc\ndef", 0), (1, 1));
        assert_eq!(line_col("abc\ndef", 5), (2, 2));
    }
}
