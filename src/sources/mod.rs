//! Sources: where the bytes come from. Each yields blobs with their origin.

pub mod fs;
pub mod git;
pub mod tracked;
pub mod utf16;

use crate::findings::human_bytes;

/// Bytes to scan and how to name them.
#[derive(Debug, Clone, Copy)]
pub struct Blob<'a> {
    /// The path as reported: `/`-separated, as given joined with what is below.
    pub display: &'a str,
    /// The path relative to the scan root, for allowlist globs.
    pub relative: &'a str,
    pub data: &'a [u8],
}

/// Why a file was not scanned. Only binary files are ever skipped: text is
/// scanned whatever its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A binary file whose content is compressed or encoded media (its
    /// format's name, such as `png` or `zip`): a token in it is not in its
    /// bytes.
    Compressed(&'static str),
    /// A binary file larger than `--max-file-size` (its size in bytes).
    TooLarge(u64),
}

impl Skip {
    /// Why, in a few words: `compressed png`, `12.0 MiB, over --max-file-size`.
    pub fn reason(&self) -> String {
        match self {
            Skip::Compressed(kind) => format!("compressed {kind}"),
            Skip::TooLarge(n) => format!("{}, over --max-file-size", human_bytes(*n)),
        }
    }
}

/// What a source hands to the scanner for each file.
pub enum Item<'a> {
    Blob(Blob<'a>),
    /// A text file too large to hold whole: its first bytes, and the rest
    /// to read in windows.
    Stream {
        display: &'a str,
        relative: &'a str,
        head: &'a [u8],
        rest: &'a mut dyn std::io::Read,
    },
    Skipped {
        path: String,
        why: Skip,
    },
    Error {
        path: String,
        message: String,
    },
}

/// Text files up to this size are read whole; larger ones (and standard
/// input) are read and scanned in windows of this size (`scan::stream`), so
/// memory stays bounded whatever a file's size.
pub const WINDOW: usize = 8 << 20;

/// How far into a file to look for a NUL byte.
pub const BINARY_PROBE: usize = 8 * 1024;

/// Binary files are told apart by a NUL byte early on (git's test too).
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some()
}

/// Whether to scan a file of `len` bytes starting with `head` (at least
/// its first [`BINARY_PROBE`] bytes, or all of it): text always; binary
/// files (a compiled `.pyc`, a SQLite database, an executable) as bytes
/// when at most `max` bytes long, unless their format compresses its
/// content (images, audio, video, fonts, ZIP-based documents, compressed
/// archives), recognised by magic number with the `infer` crate; a ZIP
/// that stores a file uncompressed or a PNG with a text chunk is scanned
/// (`detectors::containers` reads that text).
pub fn classify(head: &[u8], len: u64, max: u64) -> Option<Skip> {
    if !is_binary(head) {
        return None;
    }
    if let Some(kind) = compressed(head)
        && !crate::detectors::containers::plain_text_inside(head)
    {
        return Some(Skip::Compressed(kind));
    }
    (len > max).then_some(Skip::TooLarge(len))
}

/// The format of a compressed or media file, from its first bytes.
fn compressed(head: &[u8]) -> Option<&'static str> {
    use infer::MatcherType;
    let t = infer::get(head)?;
    let media = matches!(
        t.matcher_type(),
        MatcherType::Image | MatcherType::Audio | MatcherType::Video | MatcherType::Font
    );
    // Archives and documents whose content is compressed; others (tar,
    // cpio, ar, SQLite, PDF, OLE documents, executables) hold their
    // strings as they are.
    const COMPRESSED: &[&str] = &[
        "zip", "epub", "rar", "gz", "bz2", "bz3", "7z", "xz", "zst", "lz4", "lz", "Z", "cab",
        "crx", "deb", "rpm", "swf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "mobi",
    ];
    (media || COMPRESSED.contains(&t.extension())).then_some(t.extension())
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
    fn compressed_binaries_are_skipped_and_others_scanned() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(classify(png, 14, 1 << 20), Some(Skip::Compressed("png")));
        let gz = b"\x1f\x8b\x08\0\0\0\0\0";
        assert_eq!(classify(gz, 8, 1 << 20), Some(Skip::Compressed("gz")));
        let sqlite = b"SQLite format 3\0\x10\0";
        assert_eq!(classify(sqlite, 18, 1 << 20), None);
        assert_eq!(
            classify(sqlite, 2 << 20, 1 << 20),
            Some(Skip::TooLarge(2 << 20))
        );
        // Text is scanned whatever its size.
        assert_eq!(classify(b"text", 1 << 40, 1 << 20), None);
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
