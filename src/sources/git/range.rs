//! The commits of a range (`BASE..HEAD`: reachable from HEAD, not from
//! BASE), each against its parents: the lines each commit adds. A merge
//! reports only what none of its parents had, so what the merged branch
//! brought in is not reported twice.

use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository, Sort};

use super::staged::{changes_of, diff_options, find_renames};
use super::{AddedLines, Change, provenance};
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
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(range.head)?;
    if let Some(h) = range.hide {
        walk.hide(h)?;
    }
    walk.map(|r| r.map_err(Error::from)).collect()
}

/// The lines commit `id` adds, against each of its parents. A commit in
/// `shallow` (at a shallow clone's boundary) has no parents in the clone:
/// its whole tree is compared with nothing, and its changes name no
/// provenance, only the boundary (see [`Change::shallow_boundary`]).
pub fn changes(repo: &Repository, id: Oid, shallow: &HashSet<Oid>) -> Result<Vec<Change>> {
    let commit = repo.find_commit(id)?;
    let tree = commit.tree()?;
    let prov = provenance(&commit);
    let per_parent: Vec<Vec<Change>> = if commit.parent_count() == 0 {
        let diff = repo.diff_tree_to_tree(None, Some(&tree), Some(&mut diff_options()))?;
        vec![changes_of(&diff)?]
    } else {
        commit
            .parents()
            .map(|p| {
                let mut diff = repo.diff_tree_to_tree(
                    Some(&p.tree()?),
                    Some(&tree),
                    Some(&mut diff_options()),
                )?;
                find_renames(&mut diff)?;
                changes_of(&diff)
            })
            .collect::<Result<_>>()?
    };
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
    for c in &mut result {
        if shallow.contains(&id) {
            c.shallow_boundary = Some(id.to_string());
        } else {
            c.provenance = Some(prov.clone());
        }
    }
    Ok(result)
}
