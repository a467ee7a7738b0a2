//! What a push brings to a server repository, as Git's `pre-receive` hook
//! sees it (githooks(5), git-receive-pack(1)): one `<old> <new> <ref>`
//! line per ref the push updates on standard input, the pushed objects in
//! a quarantine directory that Git names in the environment, and the
//! repository's refs as they were before the push. The commits to check
//! are those the push makes new to the repository: reachable from a
//! pushed value and from no existing ref (`git rev-list NEW... --not
//! --all`), each then read as a range reads its commits.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Sort};

use super::Unread;
use super::tips::short;
use crate::error::{Error, Result};

/// One ref update of a push: the line `<old> <new> <ref>` (githooks(5),
/// "pre-receive"). An all-zero `old` creates the ref; an all-zero `new`
/// deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub old: Oid,
    pub new: Oid,
    /// The full ref name (`refs/heads/main`, `refs/tags/v1.0`).
    pub name: String,
}

impl Update {
    /// The push deletes the ref: nothing to check.
    pub fn deletes(&self) -> bool {
        self.new.is_zero()
    }
}

/// Parses what Git writes to a pre-receive hook's standard input: one
/// `<old-oid> SP <new-oid> SP <ref-name>` line per updated ref. Empty
/// lines are ignored. Errors: a line of another shape, or an object id
/// that is not hex (the hook was run by hand with other input).
pub fn parse_updates(input: &[u8]) -> Result<Vec<Update>> {
    let text = String::from_utf8_lossy(input);
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: &str| Error::Git {
            message: format!(
                "--pre-receive: line {} of standard input {why}: expected `<old> <new> <ref>` \
                 as Git gives a pre-receive hook (githooks(5)); run keyhound git --pre-receive \
                 from the repository's pre-receive hook (`keyhound hook install --pre-receive`)",
                n + 1
            ),
        };
        let mut parts = line.splitn(3, ' ');
        let (Some(old), Some(new), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("has fewer than three fields"));
        };
        let oid = |s: &str| {
            (s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| Oid::from_str(s).ok())
                .flatten()
                .ok_or_else(|| bad("has an object id that is not hexadecimal"))
        };
        out.push(Update {
            old: oid(old)?,
            new: oid(new)?,
            name: name.to_string(),
        });
    }
    Ok(out)
}

/// The object directories a push in progress keeps its objects in, from
/// the environment Git gives the pre-receive hook: `GIT_QUARANTINE_PATH`
/// (the quarantine directory, git-receive-pack(1) "Quarantine
/// environment"), `GIT_OBJECT_DIRECTORY` (the same directory) and
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES` (`:`-separated, an entry that starts
/// with `"` C-quoted; git(1) "Environment variables"). Relative paths are
/// taken from the current directory. `own` (the repository's own objects
/// directory) is left out; duplicates are dropped.
pub fn quarantine_dirs(
    var: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    own: &Path,
) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for name in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
        dirs.extend(var(name).filter(|v| !v.is_empty()).map(PathBuf::from));
    }
    if let Some(list) = var("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
        dirs.extend(
            split_alternates(&list.to_string_lossy())
                .into_iter()
                .map(PathBuf::from),
        );
    }
    let absolute = |p: &Path| {
        let p = std::env::current_dir()
            .map(|cwd| cwd.join(p))
            .unwrap_or_else(|_| p.to_path_buf());
        std::fs::canonicalize(&p).unwrap_or(p)
    };
    let mut seen: HashSet<PathBuf> = HashSet::from([absolute(own)]);
    dirs.into_iter()
        .map(|d| absolute(&d))
        .filter(|d| seen.insert(d.clone()))
        .collect()
}

/// Splits `GIT_ALTERNATE_OBJECT_DIRECTORIES` as Git does
/// (`parse_alt_odb_entry`): entries separated by `:`, an entry that starts
/// with `"` unquoted as a C string (`\"`, `\\`, `\n`, `\t`, octal `\NNN`).
fn split_alternates(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = list;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut bytes = Vec::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => bytes.push(b'\n'),
                        Some((_, 't')) => bytes.push(b'\t'),
                        Some((_, d @ '0'..='7')) => {
                            let mut v = d as u32 - '0' as u32;
                            for _ in 0..2 {
                                if let Some((_, d @ '0'..='7')) = chars.clone().next() {
                                    chars.next();
                                    v = v * 8 + (d as u32 - '0' as u32);
                                }
                            }
                            bytes.push(v as u8);
                        }
                        Some((_, other)) => bytes.extend(other.encode_utf8(&mut [0; 4]).as_bytes()),
                        None => {}
                    },
                    c => bytes.extend(c.encode_utf8(&mut [0; 4]).as_bytes()),
                }
            }
            out.push(String::from_utf8_lossy(&bytes).into_owned());
            rest = quoted[end.min(quoted.len())..].trim_start_matches(':');
        } else {
            let (entry, tail) = rest.split_once(':').unwrap_or((rest, ""));
            if !entry.is_empty() {
                out.push(entry.to_string());
            }
            rest = tail;
        }
    }
    out
}

/// Makes the objects of the push in progress readable through `repo`:
/// each directory of [`quarantine_dirs`] (from this process's
/// environment) becomes an alternate of its object database. Returns the
/// directories added (none outside a push). Errors: a directory Git named
/// cannot be opened as an object directory.
pub fn add_quarantine(repo: &Repository) -> Result<Vec<PathBuf>> {
    let own = repo.path().join("objects");
    let dirs = quarantine_dirs(&|name| std::env::var_os(name), &own);
    let odb = repo.odb()?;
    for dir in &dirs {
        let path = dir.to_str().ok_or_else(|| Error::Git {
            message: format!(
                "the push's object directory {} is not UTF-8, which libgit2 cannot open",
                dir.display()
            ),
        })?;
        odb.add_disk_alternate(path).map_err(|e| Error::Git {
            message: format!(
                "cannot read the pushed objects in {path}: {} (is keyhound run by Git's \
                 pre-receive hook?)",
                e.message()
            ),
        })?;
    }
    Ok(dirs)
}

/// What a push makes new: its commits, oldest first, and the trees and
/// blobs its refs point at directly (a tag of a tree or of a blob).
#[derive(Debug, Default)]
pub struct Pushed {
    pub commits: Vec<Oid>,
    /// `(ref's short name, tree)`: scanned whole.
    pub trees: Vec<(String, Oid)>,
    /// `(ref's short name, blob)`: scanned whole, named by the ref.
    pub blobs: Vec<(String, Oid)>,
    /// Pushed values that could not be read (their objects missing).
    pub unread: Vec<Unread>,
}

/// The object `id` names, an annotated tag (or a tag of a tag) followed
/// to what it tags.
fn untag(repo: &Repository, id: Oid) -> std::result::Result<git2::Object<'_>, git2::Error> {
    let mut object = repo.find_object(id, None)?;
    while let Some(tag) = object.as_tag() {
        object = tag.target()?;
    }
    Ok(object)
}

/// The commits `updates` make new to `repo`: reachable from a pushed value
/// (an annotated tag peeled to what it tags) and from no ref the
/// repository has now (before the push, in a pre-receive hook), nor from a
/// detached HEAD. A deletion brings nothing; a new branch or tag whose
/// commits the repository already has brings none; a force-push brings
/// the commits it adds, not those it drops. Errors: the walk fails (a
/// commit it reaches is missing).
pub fn pushed(repo: &Repository, updates: &[Update]) -> Result<Pushed> {
    let mut out = Pushed::default();
    // Where the walk starts: (committer time, commit, hidden).
    let mut starts: Vec<(i64, Oid, bool)> = Vec::new();
    for u in updates.iter().filter(|u| !u.deletes()) {
        let object = match untag(repo, u.new) {
            Ok(o) => o,
            Err(e) => {
                out.unread.push(Unread::of(None, Some(u.new), &e));
                continue;
            }
        };
        let name = short(&u.name).to_string();
        match object.kind() {
            Some(ObjectType::Commit) => {
                let time = object.as_commit().map_or(0, |c| c.time().seconds());
                starts.push((time, object.id(), false));
            }
            Some(ObjectType::Tree) => out.trees.push((name, object.id())),
            Some(ObjectType::Blob) => out.blobs.push((name, object.id())),
            _ => {}
        }
    }
    if starts.is_empty() {
        return Ok(out);
    }
    let mut hide = |c: git2::Commit<'_>| starts.push((c.time().seconds(), c.id(), true));
    for r in repo.references()?.flatten() {
        if let Ok(c) = r.peel_to_commit() {
            hide(c);
        }
    }
    if repo.head_detached().unwrap_or(false)
        && let Ok(c) = repo.head().and_then(|h| h.peel_to_commit())
    {
        hide(c);
    }
    // libgit2 takes the starts in the reverse order they are given, and
    // stops walking the hidden side once the newest commits left are all
    // hidden, which assumes that order is newest first: given oldest first,
    // a hidden branch tip listed before a pushed commit would make it walk
    // the whole history (136 M instructions for a 3-commit push to a
    // 5,000-commit repository with 8 branches, against 4 M).
    starts.sort();
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for (_, id, hidden) in starts {
        if hidden {
            walk.hide(id)?;
        } else {
            walk.push(id)?;
        }
    }
    out.commits = walk
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Git {
            message: format!(
                "cannot list the pushed commits: {} (an object the push needs is missing; \
             `git fsck` on the server lists what is damaged)",
                e.message()
            ),
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_lines_parse_and_bad_input_is_an_error() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let input = format!("{zero} {a} refs/heads/new\n\n{a} {zero} refs/tags/v1\n");
        let u = parse_updates(input.as_bytes()).unwrap();
        assert_eq!(u.len(), 2);
        assert!(u[0].old.is_zero() && !u[0].deletes());
        assert_eq!(u[0].name, "refs/heads/new");
        assert!(u[1].deletes());
        assert!(parse_updates(b"main\n").is_err());
        assert!(parse_updates(format!("{a} xyz refs/heads/x").as_bytes()).is_err());
    }

    #[test]
    fn alternates_split_on_colons_and_unquote() {
        assert_eq!(split_alternates("/a:/b"), ["/a", "/b"]);
        assert_eq!(
            split_alternates("\"/with:colon\":/plain"),
            ["/with:colon", "/plain"]
        );
        assert_eq!(split_alternates("\"/q\\\"t\\101\""), ["/q\"tA"]);
        assert_eq!(split_alternates("::/x:"), ["/x"]);
    }

    #[test]
    fn quarantine_dirs_leave_out_the_repository_own_objects() {
        let tmp = std::env::temp_dir();
        let own = tmp.join("own-objects");
        let q = tmp.join("quarantine");
        let env = |name: &str| match name {
            "GIT_QUARANTINE_PATH" | "GIT_OBJECT_DIRECTORY" => Some(q.clone().into_os_string()),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES" => {
                Some(format!("{}:{}", own.display(), q.display()).into())
            }
            _ => None,
        };
        assert_eq!(quarantine_dirs(&env, &own), vec![q.clone()]);
        assert!(quarantine_dirs(&|_| None, &own).is_empty());
    }
}
