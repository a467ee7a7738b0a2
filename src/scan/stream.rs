//! Runs the pipeline over a text too large to hold whole (a 12 MB notebook,
//! a SQL dump, a 200 MB single-line file, standard input): it is read in
//! windows of [`WINDOW`] bytes, each overlapping the previous one by
//! [`OVERLAP`] bytes, so memory stays bounded whatever the size.
//!
//! A secret is reported by exactly one window: the overlap is cut in its
//! middle, and each window keeps the secrets that start on its side of the
//! cuts, where it sees at least `OVERLAP / 2` bytes around them, more than
//! any rule's match and context need. Line and column numbers are counted
//! from the start of the text as windows go by (a window may start in the
//! middle of a line), so they are the ones a whole read would give. Key and
//! secret pairs are marked over the whole text.

use std::io::{self, Read};

use crate::detectors::{Engine, PathForms, Scratch};
use crate::findings::{self, Finding, Origin};
use crate::scan::{Output, settle};
use crate::sources::WINDOW;

/// Bytes read again by the next window: twice the reach kept on each side
/// of a cut. The longest secrets (a 4096-bit RSA private key in PEM is
/// about 3.3 KB) and their context windows fit many times over.
pub const OVERLAP: usize = 256 << 10;

/// Reads from `rest` until `buf` holds `size` bytes; true at the end of
/// the input.
fn fill(buf: &mut Vec<u8>, rest: &mut dyn Read, size: usize) -> io::Result<bool> {
    while buf.len() < size {
        let want = (size - buf.len()) as u64;
        if rest.take(want).read_to_end(buf)? == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Moves `at` forward to the start of a UTF-8 character: past at most 3
/// continuation bytes (a text that is not UTF-8 may have more in a row).
fn char_boundary(data: &[u8], at: usize) -> usize {
    let rest = &data[at..data.len().min(at + 3)];
    at + rest.iter().take_while(|&&b| b & 0xC0 == 0x80).count()
}

/// What a streamed scan found, and how many bytes it read.
pub struct Streamed {
    pub findings: Vec<Finding>,
    pub bytes: u64,
}

/// Scans `head` (the first bytes of the text, already read) followed by
/// what `rest` yields, window by window. Fingerprints name the text
/// `fingerprint_path`; accepted fingerprints are dropped, as in
/// [`crate::scan::scan_blob_as`]. Errors are those of `rest`.
pub fn scan_stream(
    engine: &Engine,
    path: PathForms<'_>,
    fingerprint_path: &str,
    head: &[u8],
    rest: &mut dyn Read,
    output: &Output,
    scratch: &mut Scratch,
) -> io::Result<Streamed> {
    let sizes = (WINDOW, OVERLAP);
    scan_windows(
        engine,
        path,
        fingerprint_path,
        head,
        rest,
        output,
        scratch,
        sizes,
    )
}

/// [`scan_stream`] with windows of `size` bytes overlapping by `overlap`.
#[allow(clippy::too_many_arguments)]
fn scan_windows(
    engine: &Engine,
    path: PathForms<'_>,
    fingerprint_path: &str,
    head: &[u8],
    rest: &mut dyn Read,
    output: &Output,
    scratch: &mut Scratch,
    (size, overlap): (usize, usize),
) -> io::Result<Streamed> {
    let mut window: Vec<u8> = Vec::with_capacity(size.max(head.len()));
    window.extend_from_slice(head);
    let mut end = fill(&mut window, rest, size)?;
    let mut origin = Origin::START;
    let mut bytes = 0u64;
    let mut found = Vec::new();
    loop {
        let n = window.len();
        // Where the next window starts, and the cut in the middle of the
        // overlap: this window keeps the secrets starting before it.
        let next = if end {
            n
        } else {
            char_boundary(&window, n - overlap)
        };
        let keep_from = if origin.at_start { 0 } else { overlap / 2 };
        let keep_to = if end { n } else { next + overlap / 2 };
        let matches = engine.scan(&window, path, scratch);
        if !matches.is_empty() {
            found.extend(findings::from_window(
                &window,
                &matches,
                keep_from..keep_to,
                origin,
                &engine.rules().rules,
                path.display,
                output.reveal,
            ));
        }
        if end {
            bytes += n as u64;
            break;
        }
        origin.advance(&window[..next]);
        bytes += next as u64;
        window.copy_within(next.., 0);
        window.truncate(n - next);
        end = fill(&mut window, rest, size)?;
    }
    findings::mark_pairs(&mut found);
    settle(&mut found, path.display, fingerprint_path);
    Ok(Streamed {
        findings: found,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::rules::examples::Fake;

    /// Small windows, so that there are many cuts.
    const SIZE: usize = 256 << 10;
    const OVERLAP_: usize = 16 << 10;

    /// The same findings, at the same places, as a whole read, whatever
    /// the windows cut: secrets across every cut, on one long line too.
    #[test]
    fn windows_find_what_a_whole_read_finds() {
        let engine = Engine::new(RuleSet::builtin().unwrap());
        let forms = PathForms {
            display: "big.env",
            relative: "big.env",
        };
        let output = Output::default();
        for line_break in [true, false] {
            let mut text = Vec::new();
            let mut i = 0;
            while text.len() < 2 * SIZE + OVERLAP_ {
                let key = Fake::from_str_seed(&format!("stream-{i}")).alnum(64);
                text.extend_from_slice(format!("BINANCE_API_SECRET={key}").as_bytes());
                text.push(if line_break { b'\n' } else { b' ' });
                text.extend(std::iter::repeat_n(b'x', 4093 + i % 7));
                text.push(if line_break { b'\n' } else { b' ' });
                i += 1;
            }
            // And a secret across each edge and cut of the first windows.
            let step = SIZE - OVERLAP_;
            let sep = if line_break { b'\n' } else { b' ' };
            let edges = [
                step,
                step + OVERLAP_ / 2,
                SIZE,
                2 * step,
                2 * step + OVERLAP_ / 2,
            ];
            for (k, &edge) in edges.iter().enumerate() {
                let key = Fake::from_str_seed(&format!("edge-{k}")).alnum(64);
                let line = format!("{}BINANCE_API_SECRET={key}{}", sep as char, sep as char);
                let at = edge - 40;
                text[at..at + line.len()].copy_from_slice(line.as_bytes());
            }
            let whole = crate::scan::scan_blob(
                &engine,
                crate::sources::Blob {
                    display: "big.env",
                    relative: "big.env",
                    data: &text,
                },
                &output,
                &mut Scratch::default(),
            );
            let streamed = scan_windows(
                &engine,
                forms,
                "big.env",
                &text[..100],
                &mut &text[100..],
                &output,
                &mut Scratch::default(),
                (SIZE, OVERLAP_),
            )
            .unwrap();
            assert_eq!(streamed.bytes, text.len() as u64);
            let place = |f: &Finding| {
                (
                    f.line,
                    f.column,
                    f.end_line,
                    f.end_column,
                    f.fingerprint.clone(),
                )
            };
            let a: Vec<_> = whole.iter().map(place).collect();
            let b: Vec<_> = streamed.findings.iter().map(place).collect();
            // (A generated key may fail a value check: nearly all are found.)
            assert!(a.len() + 5 >= i, "{} of {i}", a.len());
            for edge in edges {
                assert!(
                    whole
                        .iter()
                        .any(|f| f.secret_digest
                            == crate::findings::digest(&text[edge - 20..edge + 44])),
                    "the secret across offset {edge}"
                );
            }
            assert_eq!(a, b, "line breaks: {line_break}");
        }
    }
}
