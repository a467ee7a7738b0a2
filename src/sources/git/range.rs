//! The commits of a range (`BASE..HEAD`: reachable from HEAD, not from
//! BASE), each against its parents: the lines each commit adds. A merge
//! reports only what none of its parents had, so what the merged branch
//! brought in is not reported twice.

use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository, Sort};

use super::exclusions::{self, Governing};
use super::staged::{changes_of, diff_options, find_renames};
use super::{AddedLines, Change, ChangeSet, Unread, moved_in, provenance};
use crate::error::{Error, Result};

/// What to hide and what to walk from.
#[derive(Debug, Clone)]
pub struct Range {
    pub hide: Option<Oid>,
    pub head: Oid,
}

fn resolve(repo: &Repository, rev: &str) -> Result<Oid> {
    let obj = repo.revparse_single(rev).map_err(|e| Error::Git {
        message: format!(
            "unknown revision `{rev}`: {} (fetch it, or check the spelling)",
            e.message()
        ),
    })?;
    Ok(obj.peel_to_commit()?.id())
}

/// Parses `BASE..HEAD` (either side may be empty: `BASE..` means up to HEAD).
pub fn parse(repo: &Repository, spec: &str) -> Result<Range> {
    let (base, head) = spec.split_once("..").ok_or_else(|| Error::Git {
        message: format!(
            "`{spec}` is not a range: write BASE..HEAD (for example origin/main..HEAD)"
        ),
    })?;
    if head.starts_with('.') {
        return Err(Error::Git {
            message: format!("`{spec}`: three-dot ranges are not supported; write BASE..HEAD"),
        });
    }
    let head = resolve(repo, if head.is_empty() { "HEAD" } else { head })?;
    let hide = if base.is_empty() {
        None
    } else {
        Some(resolve(repo, base)?)
    };
    Ok(Range { hide, head })
}

/// `REV..HEAD`.
pub fn since(repo: &Repository, rev: &str) -> Result<Range> {
    Ok(Range {
        hide: Some(resolve(repo, rev)?),
        head: resolve(repo, "HEAD")?,
    })
}

/// The commits of `range`, oldest first.
pub fn commits(repo: &Repository, range: &Range) -> Result<Vec<Oid>> {
    let walk = || -> std::result::Result<Vec<Oid>, git2::Error> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        walk.push(range.head)?;
        if let Some(h) = range.hide {
            walk.hide(h)?;
        }
        walk.collect()
    };
    walk().map_err(|e| Error::Git {
        message: format!(
            "cannot list the commits of the range: {} (a commit is missing from this clone: fetch it, or check it with `git fsck`)",
            e.message()
        ),
    })
}

/// Reads the commits of `range`: the lines each adds ([`changes`]). A
/// commit or file that cannot be read (objects missing from a partial
/// clone) is an [`Unread`], and the other commits are still read. Paths
/// `excluded` holds are settled by the scan; here they only make moved
/// content new ([`moved_in`]). Errors: the commits cannot be listed.
pub fn read(
    repo: &Repository,
    range: &Range,
    excluded: &dyn Fn(&str) -> bool,
    governing: Governing,
) -> Result<ChangeSet> {
    let ids = commits(repo, range)?;
    Ok(read_commits(
        repo,
        ids,
        Some(range.head),
        excluded,
        governing,
    ))
}

/// Reads commits `ids` (oldest first), each against its parents: the lines
/// each adds ([`changes`]); `head` is where reports take a secret's lines
/// from ([`ChangeSet::head`]). A commit or file that cannot be read is an
/// [`Unread`], and the other commits are still read.
pub fn read_commits(
    repo: &Repository,
    ids: Vec<Oid>,
    head: Option<Oid>,
    excluded: &dyn Fn(&str) -> bool,
    governing: Governing,
) -> ChangeSet {
    let shallow = super::shallow_commits(repo);
    let mut set = ChangeSet {
        head,
        commits: Some(ids.len() as u64),
        ..ChangeSet::default()
    };
    for id in ids {
        set.shallow_boundaries += u64::from(shallow.contains(&id));
        match changes(repo, id, &shallow, excluded, governing) {
            Ok(read) => {
                set.changes.extend(read.changes);
                set.unread.extend(read.unread);
            }
            Err(e) => set.unread.push(Unread::of(None, Some(id), &e)),
        }
    }
    set
}

/// The lines commit `id` adds, against each of its parents. A commit in
/// `shallow` (at a shallow clone's boundary) has no parents in the clone:
/// its whole tree is compared with nothing, and its changes name no
/// provenance, only the boundary (see [`Change::shallow_boundary`]).
///
/// Against a parent, a file is new whole where that parent had it at a path
/// `excluded` holds ([`moved_in`]), and where the commit's change to
/// `.keyhoundignore` or `.keyhound.toml` stops excluding it
/// ([`exclusions::unexcluded_in_tree`]); only then are the lines added
/// against every parent intersected. Errors: the commit's tree or a
/// parent's cannot be read; a file whose lines cannot be compared is an
/// [`Unread`] of the result.
pub fn changes(
    repo: &Repository,
    id: Oid,
    shallow: &HashSet<Oid>,
    excluded: &dyn Fn(&str) -> bool,
    governing: Governing,
) -> std::result::Result<ChangeSet, git2::Error> {
    let commit = repo.find_commit(id)?;
    let tree = commit.tree()?;
    let prov = provenance(&commit);
    let mut unread = Vec::new();
    let mut per_parent: Vec<Vec<Change>> = Vec::new();
    if commit.parent_count() == 0 || shallow.contains(&id) {
        let diff = repo.diff_tree_to_tree(None, Some(&tree), Some(&mut diff_options()))?;
        let set = changes_of(&diff, Some(id));
        unread.extend(set.unread);
        per_parent.push(set.changes);
    } else {
        for parent in commit.parents() {
            let old = parent.tree()?;
            let mut diff =
                repo.diff_tree_to_tree(Some(&old), Some(&tree), Some(&mut diff_options()))?;
            find_renames(&mut diff)?;
            let mut set = changes_of(&diff, Some(id));
            moved_in(&mut set.changes, excluded);
            let whole = exclusions::unexcluded_in_tree(repo, Some(&old), &tree, governing)?;
            exclusions::merge_whole(&mut set.changes, whole);
            unread.extend(set.unread);
            per_parent.push(set.changes);
        }
    }
    // A file unread against one parent is unread for the commit (noted once).
    let mut seen = HashSet::new();
    unread.retain(|u| seen.insert(u.path.clone()));
    let unread_paths: HashSet<String> = unread.iter().filter_map(|u| u.path.clone()).collect();
    let mut iter = per_parent.into_iter();
    let mut result: Vec<Change> = iter.next().unwrap_or_default();
    for other in iter {
        // A line is new in a merge only if it is new against every parent.
        let other: HashMap<String, AddedLines> =
            other.into_iter().map(|c| (c.path, c.added)).collect();
        result = result
            .into_iter()
            .filter_map(|mut c| {
                let theirs = other.get(&c.path)?;
                c.added = c.added.intersect(theirs);
                (!c.added.is_empty()).then_some(c)
            })
            .collect();
    }
    result.retain(|c| !unread_paths.contains(&c.path));
    for c in &mut result {
        if shallow.contains(&id) {
            c.shallow_boundary = Some(id.to_string());
        } else {
            c.provenance = Some(prov.clone());
        }
    }
    Ok(ChangeSet {
        changes: result,
        unread,
        ..ChangeSet::default()
    })
}
