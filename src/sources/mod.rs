//! Sources: where the bytes come from. Each yields blobs with their origin.

pub mod fs;
pub mod git;
pub mod tracked;

/// Bytes to scan and how to name them.
#[derive(Debug, Clone, Copy)]
pub struct Blob<'a> {
    /// The path as reported: `/`-separated, as given joined with what is below.
    pub display: &'a str,
    /// The path relative to the scan root, for allowlist globs.
    pub relative: &'a str,
    pub data: &'a [u8],
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than `--max-file-size` (its size in bytes).
    TooLarge(u64),
}

/// What a source hands to the scanner for each file.
#[derive(Debug)]
pub enum Item<'a> {
    Blob(Blob<'a>),
    Skipped { path: String, why: Skip },
    Error { path: String, message: String },
}

/// How far into a file to look for a NUL byte.
pub const BINARY_PROBE: usize = 8 * 1024;

/// Binary files are skipped: a NUL byte early on is the usual test (git's too).
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some()
}

/// `/`-separated display form of a path, without a leading `./`.
pub fn display_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    let mut t = s.as_str();
    while let Some(rest) = t.strip_prefix("./") {
        t = rest.trim_start_matches('/');
    }
    if t.is_empty() {
        return ".".to_string();
    }
    // `src//x` (an argument given as `src/`) reads as `src/x`.
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn display_paths_drop_leading_dot_slash() {
        assert_eq!(display_path(Path::new("./src/main.rs")), "src/main.rs");
        assert_eq!(display_path(Path::new("src/main.rs")), "src/main.rs");
        assert_eq!(display_path(Path::new(".env")), ".env");
        assert_eq!(display_path(Path::new("/abs/x")), "/abs/x");
        assert_eq!(display_path(Path::new("src//x.env")), "src/x.env");
    }

    #[test]
    fn nul_early_means_binary() {
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"plain text"));
        let mut late = vec![b'a'; BINARY_PROBE + 10];
        late[BINARY_PROBE + 5] = 0;
        assert!(!is_binary(&late));
    }
}
