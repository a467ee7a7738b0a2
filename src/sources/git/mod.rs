//! Git sources, read through libgit2: never the `git` program, never a hook,
//! filter, fsmonitor or anything else the repository configures.
//!
//! - `staged`: what the next commit would contain (the index against HEAD);
//! - `range`: the commits of a range, each against its parents;
//! - `pushed`: what a push brings to a server repository (the pre-receive
//!   hook's updates and quarantined objects), read as a range's commits;
//! - `exclusions`: the paths `.keyhoundignore` and `.keyhound.toml` exclude
//!   as a tree or the index holds them, and the files a change to them
//!   brings into the scan;
//! - `history` (read with gitoxide): every blob of every commit, from the
//!   `tips` of the repository; `paths` then resolves the paths that hold
//!   secrets in every commit.
//!
//! `staged` and `range` yield a [`ChangeSet`]: [`Change`]s (a blob, the
//! lines the change adds, where the change comes from) and what could not
//! be read.

pub mod dates;
pub mod exclusions;
mod hashing;
pub mod history;
pub mod listings;
pub mod pages;
pub mod paths;
pub mod pushed;
pub mod range;
pub mod spans;
pub mod staged;
pub mod tips;

use std::path::{Path, PathBuf};

use git2::{Delta, DiffDelta, FileMode, Oid, Repository};

use crate::error::{Error, Result};
use crate::findings::Provenance;

/// Lines added by a change, as sorted, disjoint, inclusive 1-based ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedLines {
    ranges: Vec<(usize, usize)>,
}

impl AddedLines {
    /// Every line of the blob is new.
    pub fn all() -> Self {
        AddedLines {
            ranges: vec![(1, usize::MAX)],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Adds one line (lines come in ascending order from a diff).
    pub fn push(&mut self, line: usize) {
        match self.ranges.last_mut() {
            Some((_, end)) if *end + 1 == line => *end = line,
            Some((_, end)) if *end >= line => {}
            _ => self.ranges.push((line, line)),
        }
    }

    /// True when any line of `first..=last` was added.
    pub fn touches(&self, first: usize, last: usize) -> bool {
        self.ranges.iter().any(|&(s, e)| s <= last && first <= e)
    }

    /// The lines added in both `self` and `other`.
    pub fn intersect(&self, other: &AddedLines) -> AddedLines {
        let mut out = AddedLines::default();
        for &(a, b) in &self.ranges {
            for &(c, d) in &other.ranges {
                let (s, e) = (a.max(c), b.min(d));
                if s <= e {
                    out.ranges.push((s, e));
                }
            }
        }
        out.ranges.sort_unstable();
        out
    }
}

/// A blob to scan, the lines of it to report on, and its origin.
#[derive(Debug, Clone)]
pub struct Change {
    /// `/`-separated, relative to the repository root, as shown: bytes
    /// that are not UTF-8 escaped as `\xNN` ([`history::shown_path`]), so
    /// that two names that are not UTF-8 stay two.
    pub path: String,
    /// The path as Git has it (bytes).
    pub raw_path: Vec<u8>,
    /// The path a rename moved the file from.
    pub renamed_from: Option<String>,
    pub blob: Oid,
    pub added: AddedLines,
    pub provenance: Option<Provenance>,
    /// Set (to the commit's id) when the change is a commit at a shallow
    /// clone's boundary against nothing: its lines may have been added by a
    /// commit before it, which the clone does not have, so `provenance` is
    /// `None`.
    pub shallow_boundary: Option<String>,
}

/// Something a Git source could not read, so the scan did not check it: a
/// commit (its tree, or a parent's), or a file whose blob was needed to
/// tell which lines a change adds.
#[derive(Debug, Clone)]
pub struct Unread {
    /// The file's path (`/`-separated, from the repository root), or `None`
    /// when a whole commit could not be read.
    pub path: Option<String>,
    /// The commit, or `None` for the staged changes.
    pub commit: Option<Oid>,
    /// The object is absent from the object store (a partial clone, a
    /// damaged one, a staged blob never written), rather than unreadable.
    pub missing: bool,
    /// libgit2's message.
    pub message: String,
}

impl Unread {
    /// A commit (or a file of it) that libgit2 failed on with `e`.
    pub fn of(path: Option<String>, commit: Option<Oid>, e: &git2::Error) -> Unread {
        Unread {
            path,
            commit,
            missing: e.code() == git2::ErrorCode::NotFound,
            message: e.message().to_string(),
        }
    }

    /// What was not checked, for people: `bot.env in commit 1a2b3c4d5e6f`,
    /// `commit 1a2b3c4d5e6f`, `bot.env`.
    pub fn what(&self) -> String {
        let short = |c: &Oid| c.to_string()[..12].to_string();
        match (&self.path, &self.commit) {
            (Some(p), Some(c)) => format!("{p} in commit {}", short(c)),
            (Some(p), None) => p.clone(),
            (None, Some(c)) => format!("commit {}", short(c)),
            (None, None) => "the changes".to_string(),
        }
    }
}

/// What a Git source read: the changes to scan, and what it could not read.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    pub changes: Vec<Change>,
    pub unread: Vec<Unread>,
    /// A range's head commit: reports point at the lines of its files
    /// (`None` for the staged changes, whose lines are the index's, and
    /// for a push, whose findings keep their commits' lines).
    pub head: Option<Oid>,
    /// Commits of a range at a shallow clone's boundary.
    pub shallow_boundaries: u64,
    /// How many commits a range or a push holds (`None` for the staged
    /// changes).
    pub commits: Option<u64>,
}

/// Marks content moved out of an excluded path (`.keyhoundignore`, a path
/// allowlist) as new: a rename from a path `excluded` holds counts every
/// line of its file as added, for the scanned path never had it.
pub fn moved_in(changes: &mut [Change], excluded: &dyn Fn(&str) -> bool) {
    for c in changes {
        if c.renamed_from.as_deref().is_some_and(excluded) {
            c.added = AddedLines::all();
        }
    }
}

/// Opens the repository at (or above) `path`.
///
/// Two libgit2 checks are off. Ownership validation: keyhound only reads,
/// and CI checkouts are often owned by another user. Strict hash
/// verification: re-hashing every object read (with SHA-1 collision
/// detection) took 40% of a full-history scan, and a scanner that only
/// reads gains nothing from it.
pub fn open(path: &Path) -> Result<Repository> {
    open_named(path, Named::Repo)
}

/// How the repository to open was named: errors say what to check.
#[derive(Clone, Copy)]
enum Named {
    /// `--repo PATH`.
    Repo,
    /// The `GIT_DIR` environment variable.
    GitDir,
    /// Nothing: the current directory.
    CurrentDir,
}

fn open_named(path: &Path, named: Named) -> Result<Repository> {
    set_options();
    Repository::discover(path).map_err(|e| cannot_open(path, &e, named))
}

/// Opens the repository as Git's own commands would: `explicit` (`--repo`)
/// if given, else `GIT_DIR` (with `GIT_WORK_TREE`) when set, else the one at
/// or above the current directory. `GIT_INDEX_FILE`, when set, replaces the
/// repository's index: Git sets it for the pre-commit hook of
/// `git commit -a` and `git commit PATH`, whose next commit is a temporary
/// index, not `.git/index`. Relative paths are taken from the current
/// directory, as Git does.
pub fn open_env(explicit: Option<&Path>) -> Result<Repository> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let repo = match (explicit, var("GIT_DIR")) {
        (Some(path), _) => open_named(path, Named::Repo)?,
        (None, Some(dir)) => {
            set_options();
            let dir = PathBuf::from(dir);
            let repo = Repository::open(&dir).map_err(|e| cannot_open(&dir, &e, Named::GitDir))?;
            if let Some(work_tree) = var("GIT_WORK_TREE") {
                repo.set_workdir(Path::new(&work_tree), false)?;
            } else if !repo.is_bare()
                && repo
                    .config()
                    .and_then(|c| c.get_path("core.worktree"))
                    .is_err()
                && let Ok(cwd) = std::env::current_dir()
            {
                // As in Git: GIT_DIR alone makes the current directory the
                // work tree (unless core.worktree names one).
                repo.set_workdir(&cwd, false)?;
            }
            repo
        }
        (None, None) => open_named(Path::new("."), Named::CurrentDir)?,
    };
    if let Some(file) = var("GIT_INDEX_FILE") {
        let file = std::env::current_dir()
            .map(|cwd| cwd.join(&file))
            .unwrap_or_else(|_| PathBuf::from(&file));
        let mut index = git2::Index::open(&file).map_err(|e| Error::Git {
            message: format!(
                "cannot read the index GIT_INDEX_FILE={}: {}",
                file.display(),
                e.message()
            ),
        })?;
        repo.set_index(&mut index)?;
    }
    Ok(repo)
}

/// Opens the repository a push goes to, from its pre-receive hook:
/// `explicit` (`--repo`) if given, else `GIT_DIR` (Git runs push hooks in
/// the Git directory with `GIT_DIR` set, githooks(5)), else the one at or
/// above the current directory. Unlike [`open_env`], `GIT_DIR` alone does
/// not make the current directory a work tree: a server repository is
/// bare, or its work tree is the one its Git directory belongs to.
pub fn open_receiving(explicit: Option<&Path>) -> Result<Repository> {
    let dir = std::env::var_os("GIT_DIR").filter(|v| !v.is_empty());
    match (explicit, dir) {
        (Some(path), _) => open_named(path, Named::Repo),
        (None, Some(dir)) => open_named(Path::new(&dir), Named::GitDir),
        (None, None) => open_named(Path::new("."), Named::CurrentDir),
    }
}

fn set_options() {
    // SAFETY: process-wide libgit2 options, set before this process opens
    // any repository, from the main thread.
    unsafe {
        let _ = git2::opts::set_verify_owner_validation(false);
        // Bounded memory: the parsed-object cache and the mapped pack windows
        // (by default one window maps a whole pack) otherwise grow to the
        // size of the repository.
        let _ = git2::opts::set_cache_max_size(32 << 20);
        let _ = git2::opts::set_mwindow_size(8 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
    }
    git2::opts::strict_hash_verification(false);
}

/// Says which path was not a repository, as the user named it, and what
/// to check.
fn cannot_open(path: &Path, e: &git2::Error, named: Named) -> Error {
    let shown = crate::sources::display_path(path);
    let missing = std::fs::metadata(path).is_err();
    let message = match named {
        Named::Repo if missing => {
            format!("--repo {shown}: no such directory; check the path")
        }
        Named::Repo if e.code() == git2::ErrorCode::NotFound => format!(
            "--repo {shown} is not a Git repository: neither it nor a directory above it holds \
             one; check the path (a clone's work tree, or a bare repository's directory)"
        ),
        Named::GitDir if missing || e.code() == git2::ErrorCode::NotFound => format!(
            "GIT_DIR={shown} is not a Git directory; point GIT_DIR at one (a `.git` \
             directory or a bare repository), or unset it"
        ),
        Named::CurrentDir if e.code() == git2::ErrorCode::NotFound => {
            "the current directory is not in a Git repository; run keyhound inside a clone, \
             or name one with --repo PATH"
                .to_string()
        }
        _ => format!(
            "cannot open the Git repository at {shown}: {}; check that it is a Git \
             repository you can read",
            e.message()
        ),
    };
    Error::Git { message }
}

/// The root of the work tree, or the Git directory of a bare repository.
pub fn root(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}

/// A file of the repository's own (`.keyhound.toml`, `.keyhoundignore`):
/// from the work tree if there is one, else from HEAD's tree.
pub fn repo_file(repo: &Repository, name: &str) -> Option<Vec<u8>> {
    if let Some(dir) = repo.workdir() {
        return std::fs::read(dir.join(name)).ok();
    }
    let tree = repo.head().ok()?.peel_to_tree().ok()?;
    let entry = tree.get_path(Path::new(name)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(blob.content().to_vec())
}

/// A file of the repository's own as the next commit would hold it: the
/// index's version when the index has the file (what `git commit` records),
/// else the work tree's (a local file never added), else, in a bare
/// repository, HEAD's.
pub fn staged_file(repo: &Repository, name: &str) -> Option<Vec<u8>> {
    let staged = repo.index().ok().and_then(|index| {
        let entry = index.get_path(Path::new(name), 0)?;
        repo.find_blob(entry.id).ok().map(|b| b.content().to_vec())
    });
    staged.or_else(|| repo_file(repo, name))
}

/// Whether a diff delta is worth scanning: added, modified, renamed, copied
/// or changed in type, and a regular file (not a submodule, not a symlink).
pub fn scannable(delta: &DiffDelta<'_>) -> bool {
    matches!(
        delta.status(),
        Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
    ) && matches!(
        delta.new_file().mode(),
        FileMode::Blob | FileMode::BlobExecutable
    )
}

/// `/`-separated path of a delta's new side, as Git has it.
pub fn new_path(delta: &DiffDelta<'_>) -> Option<Vec<u8>> {
    delta.new_file().path_bytes().map(<[u8]>::to_vec)
}

/// The remote a partial clone (`git clone --filter=…`) fetches missing
/// objects from, from the repository's own config: `extensions.partialClone`,
/// else the first `remote.<name>.promisor` that is true (Git's
/// `partial-clone` documentation). `None` for a full clone.
pub fn promisor_remote(repo: &Repository) -> Option<String> {
    let config = repo
        .config()
        .ok()?
        .open_level(git2::ConfigLevel::Local)
        .ok()?;
    if let Ok(name) = config.get_string("extensions.partialclone") {
        return Some(name);
    }
    let mut names = Vec::new();
    config
        .entries(Some(r"remote\..*\.promisor"))
        .ok()?
        .for_each(|e| names.extend(e.name().ok().map(str::to_string)))
        .ok()?;
    names
        .into_iter()
        .filter(|n| config.get_bool(n).unwrap_or(false))
        .find_map(|n| {
            n.strip_prefix("remote.")
                .and_then(|n| n.strip_suffix(".promisor"))
                .map(str::to_string)
        })
}

/// The commits at the boundary of a shallow clone: the `shallow` file of
/// the Git directory (one hex object id a line); empty for a full clone.
pub fn shallow_commits(repo: &Repository) -> std::collections::HashSet<Oid> {
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

/// Who made a commit, and when.
pub fn provenance(commit: &git2::Commit<'_>) -> Provenance {
    let author = commit.author();
    let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
    let email = String::from_utf8_lossy(author.email_bytes()).into_owned();
    let when = author.when();
    Provenance {
        commit: commit.id().to_string(),
        author: if email.is_empty() {
            name
        } else {
            format!("{name} <{email}>")
        },
        date: dates::rfc3339(when.seconds(), when.offset_minutes()),
        committed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_merge_and_intersect() {
        let mut a = AddedLines::default();
        for l in [1, 2, 3, 7, 8] {
            a.push(l);
        }
        assert_eq!(a.ranges, [(1, 3), (7, 8)]);
        assert!(a.touches(3, 5));
        assert!(!a.touches(4, 6));
        let mut b = AddedLines::default();
        for l in [2, 8, 9] {
            b.push(l);
        }
        assert_eq!(a.intersect(&b).ranges, [(2, 2), (8, 8)]);
        assert!(AddedLines::all().touches(123_456, 123_456));
    }
}
