//! `keyhound purge`: after a leak, the plan for a history rewrite and the
//! check that it worked. keyhound never rewrites history and never runs
//! `git`: the rewrite is done by the tool the user chooses (git-filter-repo
//! or BFG Repo-Cleaner), from files keyhound writes.
//!
//! - `plan`: from the full-history audit's secrets, the replacement file
//!   (`expressions`: the format both tools read; `forms`: what to list for
//!   each secret so that every copy is found) and the blobs to strip;
//! - `procedure`: the steps printed, in order, those that fit;
//! - `check`: `--check FILE`, every blob of every ref searched for what the
//!   file lists;
//! - `walk`: every blob reachable from every ref, read in parallel.

pub mod check;
pub mod expressions;
pub mod forms;
pub mod plan;
pub mod procedure;
pub mod walk;

use std::path::{Path, PathBuf};

/// The file of blob ids to strip that goes with a replacement file:
/// `FILE.blobs`, one 40-hex id per line, as `--strip-blobs-with-ids`
/// reads it (git-filter-repo and BFG alike).
pub fn blobs_file(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".blobs");
    PathBuf::from(name)
}

/// The default replacement file: `keyhound-purge.txt` in the Git
/// directory, which is never committed, pushed or copied by a clone.
pub const DEFAULT_FILE: &str = "keyhound-purge.txt";
