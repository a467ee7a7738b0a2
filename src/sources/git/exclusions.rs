//! The paths a repository's own files exclude from Git scans, as a tree or
//! the index holds those files: `.keyhoundignore` at the root (gitignore
//! syntax) and, when it is the scan's config, `[allowlist] paths` of
//! `.keyhound.toml` (globs). A change to them that stops excluding a path
//! (a line taken out of `.keyhoundignore`, a glob out of the allowlist)
//! makes the files there part of the scanned tree: they are new to it, and
//! every line of them counts as added, as for a file moved out of an
//! excluded path ([`super::moved_in`]).

use std::collections::HashMap;
use std::path::Path;

use git2::{FileMode, Index, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{AddedLines, Change};
use crate::config::{self, CONFIG_FILE};
use crate::rules::Allowlist;
use crate::rules::spec::AllowlistSpec;
use crate::sources::fs::IGNORE_FILE;

/// `.keyhoundignore` as read from the repository (gitignore syntax, paths
/// relative to the repository root).
pub fn ignore_from(text: Option<&[u8]>) -> Option<Gitignore> {
    let text = String::from_utf8_lossy(text?);
    let mut b = GitignoreBuilder::new("");
    for line in text.lines() {
        let _ = b.add_line(None, line);
    }
    b.build().ok()
}

/// Which of the repository's files decide what a scan excludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Governing {
    /// `.keyhound.toml` at the root is the scan's config (no `--config`):
    /// its `[allowlist] paths` count. `.keyhoundignore` always does.
    pub config: bool,
}

impl Governing {
    fn files(self) -> &'static [&'static str] {
        if self.config {
            &[IGNORE_FILE, CONFIG_FILE]
        } else {
            &[IGNORE_FILE]
        }
    }
}

/// The paths one version of the governing files excludes.
struct Exclusions {
    ignore: Option<Gitignore>,
    paths: Option<Allowlist>,
}

impl Exclusions {
    /// From the files' contents (`None`: absent). A config that does not
    /// parse excludes nothing (a scan with it would have stopped).
    fn new(ignore: Option<&[u8]>, config: Option<&[u8]>) -> Exclusions {
        let paths = config.and_then(|bytes| {
            let parsed = config::parse(CONFIG_FILE, &String::from_utf8_lossy(bytes)).ok()?;
            if parsed.allowlist.paths.is_empty() {
                return None;
            }
            let spec = AllowlistSpec {
                paths: parsed.allowlist.paths,
                ..AllowlistSpec::default()
            };
            Allowlist::compile(&spec, &Default::default()).ok()
        });
        Exclusions {
            ignore: ignore_from(ignore),
            paths,
        }
    }

    /// Whether `path` (`/`-separated, from the root) is excluded, as the
    /// scan itself decides it (`scan::changes`).
    fn excludes(&self, path: &str) -> bool {
        self.ignore
            .as_ref()
            .is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
            || self.paths.as_ref().is_some_and(|a| a.allows_path(&[path]))
    }
}

/// Where the governing files are read from.
trait Files {
    /// The blob id of `name` at the root, if there is one.
    fn id(&self, name: &str) -> Option<Oid>;
}

impl Files for Tree<'_> {
    fn id(&self, name: &str) -> Option<Oid> {
        let entry = self.get_path(Path::new(name)).ok()?;
        (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id())
    }
}

impl Files for Index {
    fn id(&self, name: &str) -> Option<Oid> {
        self.get_path(Path::new(name), 0).map(|e| e.id)
    }
}

impl<T: Files> Files for Option<&T> {
    fn id(&self, name: &str) -> Option<Oid> {
        self.and_then(|f| f.id(name))
    }
}

/// The governing files' blob ids in `files`, in [`Governing::files`] order.
fn ids(files: &impl Files, governing: Governing) -> Vec<Option<Oid>> {
    governing.files().iter().map(|n| files.id(n)).collect()
}

/// The exclusions the blobs `ids` (from [`ids`]) hold.
fn read(repo: &Repository, ids: &[Option<Oid>]) -> Result<Exclusions, git2::Error> {
    let content = |id: Option<&Option<Oid>>| -> Result<Option<Vec<u8>>, git2::Error> {
        match id.copied().flatten() {
            Some(id) => Ok(Some(repo.find_blob(id)?.content().to_vec())),
            None => Ok(None),
        }
    };
    let ignore = content(ids.first())?;
    let config = content(ids.get(1))?;
    Ok(Exclusions::new(ignore.as_deref(), config.as_deref()))
}

/// A file new to the scan: every line counts as added.
fn whole(raw_path: Vec<u8>, blob: Oid) -> Change {
    Change {
        path: super::history::shown_path(&raw_path).into_owned(),
        raw_path,
        renamed_from: None,
        blob,
        added: AddedLines::all(),
        provenance: None,
        shallow_boundary: None,
    }
}

/// Whether a tree or index entry's mode is a regular file's.
fn regular(mode: u32) -> bool {
    mode == u32::from(FileMode::Blob) || mode == u32::from(FileMode::BlobExecutable)
}

/// The files of `tree` that `old`'s governing files excluded and `tree`'s
/// own do not, each as a change that adds all its lines. Empty, without
/// reading anything more, when the governing files are the same in both.
/// Errors: a tree or governing file that cannot be read (missing from a
/// partial clone).
pub fn unexcluded_in_tree(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    tree: &Tree<'_>,
    governing: Governing,
) -> Result<Vec<Change>, git2::Error> {
    let (before, after) = (ids(&old, governing), ids(tree, governing));
    if before == after || old.is_none() {
        // Unchanged; or no parent, where every file is added anyway.
        return Ok(Vec::new());
    }
    let (before, after) = (read(repo, &before)?, read(repo, &after)?);
    let mut out = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if regular(entry.filemode() as u32) {
            let path = format!("{dir}{}", String::from_utf8_lossy(entry.name_bytes()));
            if before.excludes(&path) && !after.excludes(&path) {
                let mut raw = dir.as_bytes().to_vec();
                raw.extend_from_slice(entry.name_bytes());
                out.push(whole(raw, entry.id()));
            }
        }
        TreeWalkResult::Ok
    })?;
    Ok(out)
}

/// The files of `index` that HEAD's governing files (`head`: HEAD's tree,
/// `None` before the first commit) excluded and the index's do not (see
/// [`unexcluded_in_tree`]).
pub fn unexcluded_in_index(
    repo: &Repository,
    head: Option<&Tree<'_>>,
    index: &Index,
    governing: Governing,
) -> Result<Vec<Change>, git2::Error> {
    let (before, after) = (ids(&head, governing), ids(index, governing));
    if before == after || head.is_none() {
        return Ok(Vec::new());
    }
    let (before, after) = (read(repo, &before)?, read(repo, &after)?);
    Ok(index
        .iter()
        .filter(|e| regular(e.mode) && (e.flags >> 12) & 3 == 0)
        .filter_map(|e| {
            let path = String::from_utf8_lossy(&e.path).into_owned();
            (before.excludes(&path) && !after.excludes(&path)).then(|| whole(e.path.clone(), e.id))
        })
        .collect())
}

/// Adds `whole` (changes that add every line) to `changes`: a file already
/// there gets all its lines counted as added.
pub fn merge_whole(changes: &mut Vec<Change>, whole: Vec<Change>) {
    if whole.is_empty() {
        return;
    }
    let at: HashMap<String, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.path.clone(), i))
        .collect();
    for w in whole {
        match at.get(&w.path) {
            Some(&i) => changes[i].added = AddedLines::all(),
            None => changes.push(w),
        }
    }
}
