//! What the next commit would contain: the index against HEAD (the empty
//! tree before the first commit). Only index blobs are read, never the
//! working copy, so unstaged edits and untracked files are not seen.

use git2::{Diff, DiffFindOptions, DiffOptions, Oid, Repository};

use super::exclusions::{self, Governing};
use super::{AddedLines, Change, ChangeSet, Unread, moved_in, new_path, scannable};
use crate::error::Result;

/// Diff options shared by every Git source: no context lines, submodules
/// ignored, type changes kept, and every file diffed as text whatever
/// `.gitattributes` says (`-diff` or `binary` would hide its lines);
/// keyhound's own NUL check still skips real binaries.
pub fn diff_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(0)
        .interhunk_lines(0)
        .ignore_submodules(true)
        .include_typechange(true)
        .force_text(true);
    opts
}

/// Detects renames, so that a moved file keeps its new path and reports
/// only the lines it really gains. Not copies: a copy is a new file, whose
/// every line is added (libgit2 would diff it against its source, and miss
/// a secret the source held before the same change edited it).
pub fn find_renames(diff: &mut Diff<'_>) -> Result<(), git2::Error> {
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find))?;
    Ok(())
}

/// The lines each file of `diff` adds, one [`Change`] per scannable file.
/// A file whose lines cannot be compared (a blob missing from a partial
/// clone) is not a change but an [`Unread`] of `commit`; the other files
/// are still read.
pub fn changes_of(diff: &Diff<'_>, commit: Option<Oid>) -> ChangeSet {
    let mut out = ChangeSet::default();
    for (i, delta) in diff.deltas().enumerate() {
        if !scannable(&delta) {
            continue;
        }
        let Some(raw_path) = new_path(&delta) else {
            continue;
        };
        let path = super::history::shown_path(&raw_path).into_owned();
        // A file that replaces a symlink (a type change) is new: all its
        // lines are added.
        let added = if matches!(delta.status(), git2::Delta::Added | git2::Delta::Typechange) {
            AddedLines::all()
        } else {
            match added_lines(diff, i) {
                Ok(added) => added,
                Err(e) => {
                    out.unread.push(Unread::of(Some(path), commit, &e));
                    continue;
                }
            }
        };
        let renamed_from = (delta.status() == git2::Delta::Renamed)
            .then(|| delta.old_file().path_bytes())
            .flatten()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        if !added.is_empty() || renamed_from.is_some() {
            out.changes.push(Change {
                path,
                raw_path,
                renamed_from,
                blob: delta.new_file().id(),
                added,
                provenance: None,
                shallow_boundary: None,
            });
        }
    }
    out
}

/// The lines the `i`th file of `diff` adds (both blobs are read).
fn added_lines(diff: &Diff<'_>, i: usize) -> Result<AddedLines, git2::Error> {
    let mut added = AddedLines::default();
    if let Some(patch) = git2::Patch::from_diff(diff, i)? {
        for h in 0..patch.num_hunks() {
            for l in 0..patch.num_lines_in_hunk(h)? {
                let line = patch.line_in_hunk(h, l)?;
                if line.origin() == '+'
                    && let Some(n) = line.new_lineno()
                {
                    added.push(n as usize);
                }
            }
        }
    }
    Ok(added)
}

/// The staged changes of `repo`: what the next commit adds. A rename out
/// of a path `excluded` holds is new whole ([`moved_in`]); so are the files
/// a staged change to `.keyhoundignore` or `.keyhound.toml` stops
/// excluding ([`exclusions::unexcluded_in_index`]).
pub fn staged(
    repo: &Repository,
    excluded: &dyn Fn(&str) -> bool,
    governing: Governing,
) -> Result<ChangeSet> {
    let index = repo.index()?;
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree()?),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut diff =
        repo.diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut diff_options()))?;
    find_renames(&mut diff)?;
    let mut set = changes_of(&diff, None);
    moved_in(&mut set.changes, excluded);
    let unexcluded = exclusions::unexcluded_in_index(repo, head_tree.as_ref(), &index, governing)?;
    exclusions::merge_whole(&mut set.changes, unexcluded);
    Ok(set)
}
