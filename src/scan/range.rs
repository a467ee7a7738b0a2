//! A range's findings as facts about its head (the pull request's head
//! commit): each commit of the range reports the secrets its added lines
//! hold, at that commit's lines; reports are read against the head's files
//! (annotations on the pull request, code scanning alerts on the branch).
//! So, as in a history audit (`scan::history`):
//!
//! - one finding per secret and path: the first commit of the range that
//!   added it there (oldest first, in topological order), with where the
//!   secret was in that commit's file (`introduced`);
//! - at the head's lines when the head's file at that path still holds the
//!   secret (`lines_at: "head"`), otherwise at the adding commit's
//!   (`lines_at: "introduced"`), which SARIF and annotations then give as
//!   the file as a whole, never a line of the head's file that has nothing
//!   to do with it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{Oid, Repository};

use crate::detectors::{Engine, Scratch};
use crate::findings::{Finding, Introduced, LinesAt};
use crate::relabel::one_rule_per_secret;
use crate::scan::{self, Output};
use crate::sources::Blob;

/// The secrets the head's file at `path` holds; empty when the head has no
/// regular file there or its blob cannot be read (its findings then name
/// the file as a whole).
fn head_findings(
    engine: &Engine,
    repo: &Repository,
    head: &git2::Tree<'_>,
    (path, raw): (&str, &[u8]),
    output: &Output,
    scratch: &mut Scratch,
) -> Vec<Finding> {
    let Some(entry) = blob_entry(head, raw) else {
        return Vec::new();
    };
    if entry.kind() != Some(git2::ObjectType::Blob) {
        return Vec::new();
    }
    let Ok(blob) = repo.find_blob(entry.id()) else {
        return Vec::new();
    };
    let data = blob.content();
    scan::scan_blob_as(
        engine,
        Blob {
            display: path,
            relative: path,
            data,
        },
        &String::from_utf8_lossy(raw),
        output,
        scratch,
    )
}

/// The entry of `tree` at `raw`, a path as Git has it (bytes), when it is
/// a file.
fn blob_entry<'t>(tree: &'t git2::Tree<'_>, raw: &[u8]) -> Option<git2::TreeEntry<'t>> {
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStrExt;
        Path::new(std::ffi::OsStr::from_bytes(raw)).to_path_buf()
    };
    #[cfg(not(unix))]
    let path = Path::new(&*String::from_utf8_lossy(raw)).to_path_buf();
    let entry = tree.get_path(&path).ok()?;
    (entry.kind() == Some(git2::ObjectType::Blob)).then_some(entry)
}

/// One finding per secret and path, at the lines of `head`'s file when it
/// holds the secret (module docs). `found` is in the order of the range's
/// commits, oldest first; each finding carries its commit's provenance.
/// `raw` gives each shown path as Git has it (bytes).
pub fn at_head(
    engine: &Engine,
    repo: &Repository,
    head: Oid,
    found: Vec<Finding>,
    raw: &HashMap<&str, &[u8]>,
    output: &Output,
    scratch: &mut Scratch,
) -> Vec<Finding> {
    if found.is_empty() {
        return found;
    }
    let tree = repo.find_commit(head).and_then(|c| c.tree()).ok();
    let paths: HashSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    let mut held: Vec<Finding> = Vec::new();
    if let Some(tree) = &tree {
        for path in paths {
            let bytes = raw.get(path).copied().unwrap_or(path.as_bytes());
            held.extend(head_findings(
                engine,
                repo,
                tree,
                (path, bytes),
                output,
                scratch,
            ));
        }
    }
    // One rule per secret across the commits and the head, before the
    // entries of a secret are merged into one (which would lose the rules
    // of the others).
    let n = found.len();
    let mut all = found;
    all.append(&mut held);
    one_rule_per_secret(&mut all, engine.rules());
    let mut at_head: HashMap<String, Vec<Finding>> = HashMap::new();
    for h in all.split_off(n) {
        at_head.entry(h.path.clone()).or_default().push(h);
    }
    let mut first: HashSet<(String, [u8; 32])> = HashSet::new();
    let mut out: Vec<Finding> = Vec::new();
    for (order, mut f) in all.into_iter().enumerate() {
        // A later commit of the range that added it again adds nothing: an
        // accepted fingerprint holds under any rule (`relabel::accepted`).
        if first.insert((f.path.clone(), f.secret_digest)) {
            f.introduced = Some(Introduced {
                commit: f.provenance.as_ref().map(|p| p.commit.clone()),
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
                order: (0, order as u32),
            });
            out.push(f);
        }
    }
    for f in &mut out {
        let held = at_head
            .get(&f.path)
            .into_iter()
            .flatten()
            .filter(|h| h.secret_digest == f.secret_digest)
            .min_by_key(|h| (h.line, h.column));
        match held {
            Some(h) => {
                let mut h = h.clone();
                h.provenance = f.provenance.take();
                h.shallow_boundary = f.shallow_boundary.take();
                h.introduced = f.introduced.take();
                h.lines_at = Some(LinesAt::Head);
                *f = h;
            }
            None => {
                f.lines_at = Some(LinesAt::Introduced);
                f.file_at_head = tree.as_ref().map(|t| {
                    let bytes = raw.get(f.path.as_str()).copied();
                    blob_entry(t, bytes.unwrap_or(f.path.as_bytes())).is_some()
                });
            }
        }
    }
    out
}
