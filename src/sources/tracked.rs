//! Files Git tracks although an ignore file now excludes them. A `.env`
//! committed by mistake and then listed in `.gitignore` (without
//! `git rm --cached`) is still in every clone and every push; the walk,
//! which honours `.gitignore`, never sees it. After the walk, the index of
//! the work tree around each scanned directory names what it missed.
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

/// The Git work tree around `dir`, if any.
pub fn work_tree(dir: &Path) -> Option<git2::Repository> {
    let repo = git2::Repository::discover(dir).ok()?;
    repo.workdir()?;
    Some(repo)
}

/// The tracked regular files below the directory `root` that the walk did
/// not visit (`visited` holds the display paths it saw) and that no
/// `.keyhoundignore` or `.ignore` excludes.
pub fn unvisited(repo: &git2::Repository, root: &Path, visited: &HashSet<String>) -> Vec<Tracked> {
    let Some(workdir) = repo.workdir() else {
        return Vec::new();
    };
    let (Ok(top), Ok(dir)) = (workdir.canonicalize(), root.canonicalize()) else {
        return Vec::new();
    };
    let Ok(below) = dir.strip_prefix(&top) else {
        return Vec::new();
    };
    let prefix = if below.as_os_str().is_empty() {
        String::new()
    } else {
        format!("{}/", display_path(below))
    };
    let Ok(index) = repo.index() else {
        return Vec::new();
    };
    let mut excludes = Excludes {
        by_dir: HashMap::new(),
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for entry in index.iter() {
        // Regular files (not links, not submodules), once (a conflicted
        // path has several stages).
        if entry.mode & 0o170000 != 0o100000 {
            continue;
        }
        let Ok(path) = std::str::from_utf8(&entry.path) else {
            continue;
        };
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if !seen.insert(rel.to_string()) || rel.split('/').any(|c| c == ".git") {
            continue;
        }
        let file = root.join(rel);
        let display = display_path(&file);
        if visited.contains(&display) {
            continue;
        }
        if !std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if excludes.excluded(root, rel) {
            continue;
        }
        out.push(Tracked {
            path: file,
            display,
            relative: rel.to_string(),
        });
    }
    out
}

/// `.keyhoundignore` and `.ignore` files from the scan root down, read
/// once per directory.
struct Excludes {
    by_dir: HashMap<PathBuf, Vec<Gitignore>>,
}

impl Excludes {
    fn excluded(&mut self, root: &Path, rel: &str) -> bool {
        let file = root.join(rel);
        let mut dir = root.to_path_buf();
        let mut parts: Vec<&str> = rel.split('/').collect();
        parts.pop();
        let mut dirs = vec![dir.clone()];
        for p in parts {
            dir.push(p);
            dirs.push(dir.clone());
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
