//! Runs the pipeline over a text too large to hold whole (a 12 MB notebook,
//! a SQL dump, a 200 MB single-line file, standard input): it is read in
//! windows of at most [`WINDOW`] + 2 × [`REACH_CAP`] bytes, each
//! overlapping the previous one, so memory stays bounded whatever the size.
//!
//! A secret is reported by exactly one window: each window keeps the
//! secrets that start before a cut, the next one those that start after
//! it. Rules look a number of lines around a secret (a Binance key's
//! client import 40 lines away, a keyword's window, a private key's 400
//! lines), so the text after a cut (up to the next window's end) and
//! before it (from the next window's start) each hold that many lines:
//! [`Reach::lines`], the most any rule looks, and at least
//! [`REACH_MIN`] bytes, but at most [`REACH_CAP`] bytes. Lines longer than
//! that (a notebook whose outputs are megabyte-long base64 lines) are
//! where a secret within the cap of a cut loses context further than the
//! cap: the one place a window sees less than a whole read. Line and
//! column numbers are counted from the start of the text as windows go by
//! (a window may start in the middle of a line), so they are the ones a
//! whole read would give. Key and secret pairs are marked over the whole
//! text.

use std::io::{self, Read};

use memchr::memrchr_iter;

use crate::detectors::{Engine, Match, PathForms, Scratch};
use crate::findings::{self, Finding, Origin};
use crate::rules::RuleSet;
use crate::scan::{Output, settle};
use crate::sources::WINDOW;

/// The least text kept on each side of a cut, in bytes: the longest
/// secrets (a 4096-bit RSA private key in PEM is about 3.3 KB) fit many
/// times over.
pub const REACH_MIN: usize = 128 << 10;

/// The most text kept on each side of a cut, in bytes, however long the
/// lines: windows then advance by at least [`WINDOW`] bytes.
pub const REACH_CAP: usize = 1 << 20;

/// How far each side of a cut must reach.
#[derive(Debug, Clone, Copy)]
struct Reach {
    /// Lines: the most any rule or decoder looks around a secret.
    lines: usize,
    /// Bytes, at least and at most.
    min: usize,
    cap: usize,
}

impl Reach {
    /// The lines the rules of `rules` look at around a secret: a rule's
    /// keyword `window`, its `context` lines before and after, plus the
    /// lines one match may span.
    fn of(rules: &RuleSet, min: usize, cap: usize) -> Reach {
        let rule_lines = rules.rules.iter().map(|r| {
            let context = r
                .spec
                .context
                .as_ref()
                .map_or(0, |c| c.lines.max(c.lines_after.unwrap_or(c.lines)));
            r.spec.window.max(context) + r.max_lines()
        });
        let decoder_lines = rules.decoders.iter().map(|d| d.spec.window + d.max_lines());
        Reach {
            lines: rule_lines.chain(decoder_lines).max().unwrap_or(0),
            min,
            cap,
        }
    }

    /// Where to cut `window` (full, not the end of the text): the text
    /// after the cut holds the rest of the cut's line and `lines` lines
    /// more, within `min..=cap` bytes.
    fn cut(&self, window: &[u8]) -> usize {
        let n = window.len();
        let (far, near) = (n.saturating_sub(self.cap), n.saturating_sub(self.min));
        // The cut may be the newline that has `lines` more after it.
        let have = newlines(&window[near..]);
        if have > self.lines {
            return near;
        }
        memrchr_iter(b'\n', &window[far..near])
            .nth(self.lines - have)
            .map_or(far, |i| far + i)
    }

    /// Where the next window starts, for a cut at `cut`: the text from it
    /// to the cut holds `lines` lines before the cut's line, within
    /// `min..=cap` bytes.
    fn start(&self, window: &[u8], cut: usize) -> usize {
        let (far, near) = (cut.saturating_sub(self.cap), cut.saturating_sub(self.min));
        // The line `lines` lines before the cut's starts after the newline
        // `lines + 1` back.
        let have = newlines(&window[near..cut]);
        if have > self.lines {
            return near;
        }
        memrchr_iter(b'\n', &window[far..near])
            .nth(self.lines - have)
            .map_or(far, |i| far + i + 1)
    }
}

fn newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

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
    let reach = Reach::of(engine.rules(), REACH_MIN, REACH_CAP);
    scan_windows(
        engine,
        path,
        fingerprint_path,
        (head, rest),
        output,
        scratch,
        (WINDOW + 2 * REACH_CAP, reach),
    )
}

/// [`scan_stream`] with windows of `size` bytes cut as `reach` says.
fn scan_windows(
    engine: &Engine,
    path: PathForms<'_>,
    fingerprint_path: &str,
    (head, rest): (&[u8], &mut dyn Read),
    output: &Output,
    scratch: &mut Scratch,
    (size, reach): (usize, Reach),
) -> io::Result<Streamed> {
    let mut window: Vec<u8> = Vec::with_capacity(size.max(head.len()));
    window.extend_from_slice(head);
    let mut end = fill(&mut window, rest, size)?;
    let mut origin = Origin::START;
    let mut bytes = 0u64;
    let mut found = Vec::new();
    let mut silenced: Vec<Match> = Vec::new();
    // Where this window's secrets start: the previous window's cut.
    let mut keep_from = 0;
    loop {
        let n = window.len();
        // This window keeps the secrets starting before the cut; the next
        // one starts far enough before it to see their context.
        let (cut, next) = if end {
            (n, n)
        } else {
            let cut = reach.cut(&window);
            (cut, char_boundary(&window, reach.start(&window, cut)))
        };
        let keep = keep_from..cut;
        let matches = engine.scan(&window, path, scratch);
        silenced.extend(
            scratch
                .silenced()
                .iter()
                .filter(|m| keep.contains(&m.start))
                .cloned(),
        );
        if !matches.is_empty() {
            found.extend(findings::from_window(
                &window,
                &matches,
                keep,
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
        keep_from = cut - next;
        window.copy_within(next.., 0);
        window.truncate(n - next);
        end = fill(&mut window, rest, size)?;
    }
    findings::note_silenced(&mut found, &silenced, &engine.rules().rules);
    findings::mark_pairs(&mut found);
    findings::take_passphrases(&mut found);
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
    const MIN: usize = 8 << 10;
    const CAP: usize = 32 << 10;

    fn whole(engine: &Engine, text: &[u8]) -> Vec<Finding> {
        let blob = crate::sources::Blob {
            display: "big.env",
            relative: "big.env",
            data: text,
        };
        crate::scan::scan_blob(engine, blob, &Output::default(), &mut Scratch::default())
    }

    fn streamed(engine: &Engine, text: &[u8], reach: Reach) -> Streamed {
        let forms = PathForms {
            display: "big.env",
            relative: "big.env",
        };
        let out = scan_windows(
            engine,
            forms,
            "big.env",
            (&text[..100], &mut &text[100..]),
            &Output::default(),
            &mut Scratch::default(),
            (SIZE, reach),
        )
        .unwrap();
        assert_eq!(out.bytes, text.len() as u64);
        out
    }

    fn place(f: &Finding) -> (usize, usize, usize, usize, String) {
        (
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            f.fingerprint.clone(),
        )
    }

    /// The same findings, at the same places, as a whole read, whatever
    /// the windows cut: secrets across every cut, on one long line too.
    #[test]
    fn windows_find_what_a_whole_read_finds() {
        let engine = Engine::new(RuleSet::builtin().unwrap());
        let reach = Reach::of(engine.rules(), MIN, CAP);
        for line_break in [true, false] {
            let mut text = Vec::new();
            let mut i = 0;
            while text.len() < 3 * SIZE {
                let key = Fake::from_str_seed(&format!("stream-{i}")).alnum(64);
                text.extend_from_slice(format!("BINANCE_API_SECRET={key}").as_bytes());
                text.push(if line_break { b'\n' } else { b' ' });
                text.extend(std::iter::repeat_n(b'x', 4093 + i % 7));
                text.push(if line_break { b'\n' } else { b' ' });
                i += 1;
            }
            let a: Vec<_> = whole(&engine, &text).iter().map(place).collect();
            let b: Vec<_> = streamed(&engine, &text, reach)
                .findings
                .iter()
                .map(place)
                .collect();
            // (A generated key may fail a value check: nearly all are found.)
            assert!(a.len() + 5 >= i, "{} of {i}", a.len());
            assert_eq!(a, b, "line breaks: {line_break}");
        }
    }

    /// Review R2: a key whose Binance context (the client import, 40 lines
    /// up at most) is further back than the least reach, past long lines,
    /// is found by the window that keeps it.
    #[test]
    fn context_many_long_lines_away_is_seen_across_a_cut() {
        let engine = Engine::new(RuleSet::builtin().unwrap());
        let reach = Reach::of(engine.rules(), MIN, CAP);
        assert!(reach.lines >= 40, "{reach:?}");
        let mut text = Vec::new();
        let mut i = 0;
        while text.len() < 3 * SIZE {
            let fake = |s: &str| Fake::from_str_seed(&format!("{s}-{i}")).alnum(64);
            text.extend_from_slice(b"from binance.client import Client\n");
            // Several lines, each longer than MIN in all: the import is
            // more than MIN bytes before the call.
            for _ in 0..3 {
                text.extend(std::iter::repeat_n(b'#', 5000 + i % 13));
                text.push(b'\n');
            }
            let call = format!("client = Client(\"{}\", \"{}\")\n", fake("k"), fake("s"));
            text.extend_from_slice(call.as_bytes());
            i += 1;
        }
        let a: Vec<_> = whole(&engine, &text).iter().map(place).collect();
        assert_eq!(a.len(), 2 * i, "every key and secret, read whole");
        let b: Vec<_> = streamed(&engine, &text, reach)
            .findings
            .iter()
            .map(place)
            .collect();
        assert_eq!(a, b);
    }

    /// Cuts reach `lines` lines each way when they fit in the cap, the cap
    /// when they do not, and never less than the least reach.
    #[test]
    fn cuts_reach_lines_within_bounds() {
        let reach = Reach {
            lines: 3,
            min: 8,
            cap: 100,
        };
        // Short lines: the least reach holds enough lines.
        let short = b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n".repeat(20);
        let n = short.len();
        assert_eq!(reach.cut(&short), n - 8);
        // Lines of 10 bytes: 3 lines after the cut's line.
        let ten = b"123456789\n".repeat(30);
        let cut = reach.cut(&ten);
        assert_eq!(cut, ten.len() - 31);
        assert_eq!(ten[cut], b'\n');
        assert_eq!(newlines(&ten[cut..]), 4);
        let start = reach.start(&ten, cut);
        assert_eq!(start, cut - 39);
        assert_eq!(ten[start - 1], b'\n');
        // One long line: the cap.
        let long = vec![b'x'; 1000];
        assert_eq!(reach.cut(&long), 900);
        assert_eq!(reach.start(&long, 900), 800);
    }
}
