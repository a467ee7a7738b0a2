//! What the next commit would contain: the index against HEAD (the empty
//! tree before the first commit). Only index blobs are read, never the
//! working copy, so unstaged edits and untracked files are not seen.

use git2::{Diff, DiffFindOptions, DiffOptions, Repository};

use super::{AddedLines, Change, new_path, scannable};
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
pub fn find_renames(diff: &mut Diff<'_>) -> Result<()> {
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find))?;
    Ok(())
}

/// The lines each file of `diff` adds, one [`Change`] per scannable file.
pub fn changes_of(diff: &Diff<'_>) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        if !scannable(&delta) {
            continue;
        }
        let Some(path) = new_path(&delta) else {
            continue;
        };
        // A file that replaces a symlink (a type change) is new: all its
        // lines are added.
        let added = if matches!(delta.status(), git2::Delta::Added | git2::Delta::Typechange) {
            AddedLines::all()
        } else {
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
            added
        };
        let renamed_from = (delta.status() == git2::Delta::Renamed)
            .then(|| delta.old_file().path_bytes())
            .flatten()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        if !added.is_empty() || renamed_from.is_some() {
            out.push(Change {
                path,
                renamed_from,
                blob: delta.new_file().id(),
                added,
                provenance: None,
                shallow_boundary: None,
            });
        }
    }
    Ok(out)
}

/// The staged changes of `repo`.
pub fn staged(repo: &Repository) -> Result<Vec<Change>> {
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
    changes_of(&diff)
}
