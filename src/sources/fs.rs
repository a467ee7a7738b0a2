//! Directory source: a parallel walk with `ignore`, the walker of ripgrep.
//!
//! Respects `.gitignore`, `.ignore` and `.keyhoundignore`, includes hidden
//! files (`.env` is where keys leak), never enters `.git`, never follows
//! symlinks, and skips compressed binaries and binaries over the size limit.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::{BINARY_PROBE, Blob, Item, Skip, WINDOW, classify, display_path, is_binary};

/// The ignore file of keyhound's own, honoured even with `--no-ignore`.
pub const IGNORE_FILE: &str = ".keyhoundignore";

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Worker threads (0: one per CPU).
    pub threads: usize,
    /// Binary files larger than this are skipped (text is scanned whatever
    /// its size).
    pub max_file_size: u64,
    /// Do not honour `.gitignore` and `.ignore`.
    pub no_ignore: bool,
}

/// Walks `roots` in parallel. `make_visitor` builds one visitor per worker
/// thread; each visitor sees the files of its thread, one at a time.
pub fn walk<M, V>(roots: &[PathBuf], opts: &WalkOptions, make_visitor: M)
where
    M: Fn() -> V + Sync,
    V: FnMut(Item<'_>) + Send,
{
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut b = WalkBuilder::new(first);
    for r in rest {
        b.add(r);
    }
    b.hidden(false)
        .follow_links(false)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let max = opts.max_file_size;
    b.build_parallel().run(|| {
        let mut visit = make_visitor();
        let mut buf = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let (path, message) = walk_error(&err);
                    visit(Item::Error { path, message });
                    return WalkState::Continue;
                }
            };
            // Below the roots, regular files only; a root that is no
            // directory is read whatever it is (`scan <(cmd)`, a FIFO).
            let kind = entry.file_type();
            let wanted = kind.is_some_and(|t| t.is_file())
                || (entry.depth() == 0 && !kind.is_some_and(|t| t.is_dir()));
            if !wanted {
                return WalkState::Continue;
            }
            let path = entry.path();
            let display = display_path(path);
            let root = roots
                .iter()
                .find(|r| path.starts_with(r))
                .map(PathBuf::as_path)
                .unwrap_or(Path::new(""));
            let relative = relative_to(path, root);
            visit_file(path, &display, &relative, max, &mut buf, &mut visit);
            WalkState::Continue
        })
    });
}

/// A walk error as its path (in display form, as findings name files) and
/// what went wrong; the walker's own text would repeat the path as typed
/// (`./locked: Permission denied`).
fn walk_error(err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (display_path(path), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        ignore::Error::Partial(errs) if errs.len() == 1 => walk_error(&errs[0]),
        other => (String::new(), other.to_string()),
    }
}

/// The path below `root`, `/`-separated (the file name when `root` is the file).
pub fn relative_to(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => display_path(rel),
        _ => path
            .file_name()
            .map(|n| display_path(Path::new(n)))
            .unwrap_or_else(|| display_path(path)),
    }
}

/// Reads the file at `path` and hands it to `visit`: a text file whole when
/// it fits in one [`WINDOW`], else as a stream; a binary file whole, unless
/// [`classify`] skips it; an error when it cannot be read. The first 8 KiB
/// are read and checked first, so a skipped binary costs one small read.
/// `buf` is reused from file to file.
pub fn visit_file(
    path: &Path,
    display: &str,
    relative: &str,
    max: u64,
    buf: &mut Vec<u8>,
    visit: &mut dyn FnMut(Item<'_>),
) {
    let error = |e: std::io::Error| Item::Error {
        path: display.to_string(),
        message: e.to_string(),
    };
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => return visit(error(e)),
    };
    let size = f.metadata().ok().map(|m| m.len());
    match read_head(&mut f, size, max, buf) {
        Ok(Head::Whole) => visit(Item::Blob(Blob {
            display,
            relative,
            data: buf,
        })),
        Ok(Head::Stream) => visit(Item::Stream {
            display,
            relative,
            head: buf,
            rest: &mut f,
        }),
        Ok(Head::Skip(why)) => visit(Item::Skipped {
            path: display.to_string(),
            why,
        }),
        Err(e) => visit(error(e)),
    }
}

/// What [`read_head`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// All of it.
    Whole,
    /// The first [`WINDOW`] bytes and more of a text: read the rest as a
    /// stream.
    Stream,
    Skip(Skip),
}

/// Reads the start of `input` into `buf`: all of it when it is a binary of
/// at most `max` bytes or a text of at most [`WINDOW`] bytes, else enough
/// to tell (a binary over `max` is read to its end, and only counted). The size is what is read, not what metadata says: a file may
/// grow as it is read, and a FIFO or standard input has none; `size`, the
/// size metadata gives, only spares reading a binary known to be too large.
pub fn read_head(
    input: &mut dyn Read,
    size: Option<u64>,
    max: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<Head> {
    buf.clear();
    input.take(BINARY_PROBE as u64).read_to_end(buf)?;
    if is_binary(buf) {
        let len = size.unwrap_or(0).max(buf.len() as u64);
        if let Some(why) = classify(buf, len, max) {
            return Ok(Head::Skip(why));
        }
        // Read at most one byte past the limit; past it, only count the
        // rest, so that a skip names the size read, not the limit.
        let more = max.saturating_add(1).saturating_sub(buf.len() as u64);
        input.take(more).read_to_end(buf)?;
        let len = buf.len() as u64;
        if len <= max {
            return Ok(Head::Whole);
        }
        let rest = std::io::copy(input, &mut std::io::sink())?;
        return Ok(match classify(buf, len + rest, max) {
            Some(why) => Head::Skip(why),
            None => Head::Whole,
        });
    }
    let more = (WINDOW + 1).saturating_sub(buf.len()) as u64;
    input.take(more).read_to_end(buf)?;
    Ok(if buf.len() > WINDOW {
        Head::Stream
    } else {
        Head::Whole
    })
}
