//! The server-side guard (`keyhound git --pre-receive`): checks what a
//! push brings before Git accepts it. The commits the push makes new to
//! the repository ([`pushed`]) are read as a range reads its commits, each
//! for the lines it adds against its parents, and scanned by the same
//! driver (`scan::changes`); a tag of a tree or of a blob is scanned
//! whole. Findings keep the adding commit's lines: the pusher fixes that
//! commit.

use std::time::Instant;

use git2::{Oid, Repository};
use ignore::gitignore::Gitignore;

use crate::detectors::Engine;
use crate::error::Result;
use crate::findings::{Mode, Outcome};
use crate::scan::changes::{excluded, scan_changes};
use crate::scan::{Counters, Output};
use crate::sources::git::exclusions::Governing;
use crate::sources::git::pushed::{Update, pushed};
use crate::sources::git::staged::{changes_of, diff_options};
use crate::sources::git::{AddedLines, Change, ChangeSet, Unread, range};

/// What the guard needs besides the push: how to scan and what to leave
/// out, as for `git --range`.
pub struct Guard<'a> {
    pub engine: &'a Engine,
    pub output: &'a Output,
    /// `.keyhoundignore` as the repository has it before the push.
    pub ignore: Option<&'a Gitignore>,
    pub max_file_size: u64,
    pub governing: Governing,
}

/// Scans what `updates` bring to `repo` (whose object database already
/// reads the push's quarantine, see
/// [`crate::sources::git::pushed::add_quarantine`]): findings on the
/// lines the new commits add, with their commit; `stats.commits_scanned`
/// counts those commits (0 for a deletion, or a branch or tag of commits
/// the repository has). Objects that cannot be read make the scan
/// incomplete. Errors: the pushed commits cannot be listed.
pub fn scan_push(guard: &Guard<'_>, repo: &Repository, updates: &[Update]) -> Result<Outcome> {
    let started = Instant::now();
    let new = pushed(repo, updates)?;
    let is_excluded = |p: &str| excluded(guard.engine, guard.ignore, p);
    let mut set = range::read_commits(repo, new.commits, None, &is_excluded, guard.governing);
    set.unread.extend(new.unread);
    for (name, tree) in &new.trees {
        whole_tree(repo, name, *tree, &mut set);
    }
    for (name, blob) in new.blobs {
        set.changes.push(Change {
            raw_path: name.clone().into_bytes(),
            path: name,
            renamed_from: None,
            blob,
            added: AddedLines::all(),
            provenance: None,
            shallow_boundary: None,
        });
    }
    let mut outcome = scan_changes(
        guard.engine,
        repo,
        &set,
        guard.output,
        guard.ignore,
        guard.max_file_size,
        &Counters::default(),
    );
    outcome.mode = Mode::PreReceive;
    outcome.stats.duration_ms = started.elapsed().as_millis() as u64;
    Ok(outcome)
}

/// Every file of `tree` (what the tag `name` tags), all its lines added.
fn whole_tree(repo: &Repository, name: &str, tree: Oid, set: &mut ChangeSet) {
    let diff = repo
        .find_tree(tree)
        .and_then(|t| repo.diff_tree_to_tree(None, Some(&t), Some(&mut diff_options())));
    match diff {
        Ok(diff) => {
            let read = changes_of(&diff, None);
            set.changes.extend(read.changes);
            set.unread.extend(read.unread);
        }
        Err(e) => set
            .unread
            .push(Unread::of(Some(name.to_string()), None, &e)),
    }
}
