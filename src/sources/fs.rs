//! Directory source: a parallel walk with `ignore`, the walker of ripgrep.
//!
//! Respects `.gitignore`, `.ignore` and `.keyhoundignore`, includes hidden
//! files (`.env` is where keys leak), never enters `.git`, never follows
//! symlinks, and skips binary and oversized files.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::{BINARY_PROBE, Blob, Item, Skip, display_path, is_binary};

/// The ignore file of keyhound's own, honoured even with `--no-ignore`.
pub const IGNORE_FILE: &str = ".keyhoundignore";

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Worker threads (0: one per CPU).
    pub threads: usize,
    /// Files larger than this are skipped.
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
            match read_file(path, max, &mut buf) {
                Ok(None) => visit(Item::Blob(Blob {
                    display: &display,
                    relative: &relative,
                    data: &buf,
                })),
                Ok(Some(why)) => visit(Item::Skipped { path: display, why }),
                Err(e) => visit(Item::Error {
                    path: display,
                    message: e.to_string(),
                }),
            }
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

/// Reads a file into `buf`, unless it is too large or binary. The first
/// 8 KiB are read and checked before the rest, so binary files cost one
/// small read.
pub fn read_file(path: &Path, max: u64, buf: &mut Vec<u8>) -> std::io::Result<Option<Skip>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len > max {
        return Ok(Some(Skip::TooLarge(len)));
    }
    buf.clear();
    buf.reserve(len as usize + 1);
    f.by_ref().take(BINARY_PROBE as u64).read_to_end(buf)?;
    if is_binary(buf) {
        return Ok(Some(Skip::Binary));
    }
    // Read at most one byte past the limit: a file may grow while we read.
    f.take(max.saturating_add(1).saturating_sub(buf.len() as u64))
        .read_to_end(buf)?;
    if buf.len() as u64 > max {
        return Ok(Some(Skip::TooLarge(buf.len() as u64)));
    }
    Ok(None)
}
