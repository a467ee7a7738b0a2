//! Files Git tracks although an ignore file now excludes them. A `.env`
//! committed by mistake and then listed in `.gitignore` (without
//! `git rm --cached`) is still in every clone and every push; the walk,
//! which honours `.gitignore`, never sees it. After the walk, the index of
//! each work tree holding scanned directories names what it missed.
//!
//! The index is read through libgit2: nothing the repository configures
//! runs. `.keyhoundignore` and `.ignore` still exclude: they are the
//! user's word about what to scan, not Git's about what to commit.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;

use super::display_path;
use super::fs::IGNORE_FILE;

/// A tracked file the walk did not visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub path: PathBuf,
    /// As the walk would have named it.
    pub display: String,
    /// Below the scan root.
    pub relative: String,
}

/// A work tree and the scanned directories in it.
pub struct WorkTree {
    repo: git2::Repository,
    /// The top of the work tree, canonical.
    top: PathBuf,
    /// Each scan root as given, with its path from the top (`""` at the
    /// top, else ending in `/`).
    roots: Vec<(PathBuf, String)>,
}

/// The work trees holding the directories among `roots`, each once.
pub fn work_trees(roots: &[PathBuf]) -> Vec<WorkTree> {
    let mut out: Vec<WorkTree> = Vec::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        let Ok(dir) = root.canonicalize() else {
            continue;
        };
        // Most roots share one work tree: find it without opening it again.
        if let Some(wt) = out.iter_mut().find(|w| dir.starts_with(&w.top))
            && nearest_top(&dir).as_deref() == Some(wt.top.as_path())
        {
            let prefix = prefix_below(&dir, &wt.top);
            wt.roots.push((root.clone(), prefix));
            continue;
        }
        let Ok(repo) = super::git::open(&dir) else {
            continue;
        };
        let Some(top) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
            continue;
        };
        let prefix = prefix_below(&dir, &top);
        out.push(WorkTree {
            repo,
            top,
            roots: vec![(root.clone(), prefix)],
        });
    }
    out
}

/// The nearest directory at or above `dir` holding `.git`.
fn nearest_top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

fn prefix_below(dir: &Path, top: &Path) -> String {
    match dir.strip_prefix(top) {
        Ok(below) if !below.as_os_str().is_empty() => format!("{}/", display_path(below)),
        _ => String::new(),
    }
}

/// The tracked regular files below the scan roots of `wt` that the walk
/// did not visit (`visited` holds the display paths it saw), reached
/// without following a symlink, and that no `.keyhoundignore` or `.ignore`
/// excludes. An index that cannot be read is an error message.
pub fn unvisited(wt: &WorkTree, visited: &HashSet<String>) -> Result<Vec<Tracked>, String> {
    let index = wt.repo.index().map_err(|e| {
        format!(
            "cannot read the Git index of {} ({}): files it tracks but .gitignore hides were not scanned",
            display_path(&wt.top),
            e.message()
        )
    })?;
    let mut excludes = Excludes::default();
    let mut real_dirs: HashMap<PathBuf, bool> = HashMap::new();
    let mut last: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    for entry in index.iter() {
        // Regular files (not links, not submodules), once (a conflicted
        // path has several stages, next to each other).
        if entry.mode & 0o170000 != 0o100000 || entry.path == last {
            continue;
        }
        last.clone_from(&entry.path);
        if entry.path.split(|&b| b == b'/').any(|c| c == b".git") {
            continue;
        }
        for (root, prefix) in &wt.roots {
            let Some(rel) = entry.path.strip_prefix(prefix.as_bytes()) else {
                continue;
            };
            let (Some(path), Some(rel)) = (entry_path(&entry.path), entry_path(rel)) else {
                continue;
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            let rel = rel.as_path();
            let file = root.join(rel);
            let display = display_path(&file);
            if visited.contains(&display)
                || !std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
                || !no_symlink_between(root, rel, &mut real_dirs)
                || excludes.excluded(&wt.top, &path)
            {
                continue;
            }
            out.push(Tracked {
                path: file,
                display,
                relative: display_path(rel),
            });
        }
    }
    Ok(out)
}

/// An index path as a path (any bytes on Unix; UTF-8 elsewhere).
fn entry_path(bytes: &[u8]) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

/// True when every directory between `root` and the file `rel` is a real
/// directory: a tracked path under a directory since replaced by a symlink
/// would lead out of the tree.
fn no_symlink_between(root: &Path, rel: &Path, real: &mut HashMap<PathBuf, bool>) -> bool {
    let mut dir = root.to_path_buf();
    let Some(parent) = rel.parent() else {
        return true;
    };
    parent.components().all(|c| {
        dir.push(c);
        *real
            .entry(dir.clone())
            .or_insert_with(|| std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()))
    })
}

/// `.keyhoundignore` and `.ignore` files from the top of the work tree
/// down, read once per directory.
#[derive(Default)]
struct Excludes {
    by_dir: HashMap<PathBuf, Vec<Gitignore>>,
}

impl Excludes {
    /// Whether the file at `path` (from `top`) is excluded.
    fn excluded(&mut self, top: &Path, path: &Path) -> bool {
        let file = top.join(path);
        let mut dir = top.to_path_buf();
        let mut dirs = vec![dir.clone()];
        if let Some(parent) = path.parent() {
            for c in parent.components() {
                dir.push(c);
                dirs.push(dir.clone());
            }
        }
        dirs.into_iter().any(|d| {
            self.by_dir
                .entry(d.clone())
                .or_insert_with(|| {
                    [IGNORE_FILE, ".ignore"]
                        .iter()
                        .map(|name| d.join(name))
                        .filter(|f| f.is_file())
                        .map(|f| Gitignore::new(f).0)
                        .collect()
                })
                .iter()
                .any(|g| g.matched_path_or_any_parents(&file, false).is_ignore())
        })
    }
}
