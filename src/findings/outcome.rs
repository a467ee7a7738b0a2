//! What a scan produces, as reports read it: its findings, what it
//! checked and could not ([`Stats`]), notes, and which way it scanned
//! ([`Mode`]). The drivers (`scan`) make it; `reports` print it.

use serde::Serialize;

use super::{Finding, Stats};

/// What was scanned: reports word their advice by it (a commit stopped by
/// the pre-commit hook has not leaked; a secret in history has).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Files and directories (`keyhound scan`).
    #[default]
    Paths,
    /// What the next commit would contain (`keyhound scan --staged`).
    Staged,
    /// The commits of a range (`keyhound git --range`).
    Range,
    /// Every commit of every ref (`keyhound git`).
    History,
    /// The commits a push brings to a server repository (`keyhound git
    /// --pre-receive`, run by its pre-receive hook).
    PreReceive,
}

/// Findings, stats, and notes for the user (skipped files, read errors).
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub notes: Vec<String>,
    pub mode: Mode,
    /// The user accepts an incomplete scan (`scan --staged --fail-open`):
    /// with no finding it exits 0, its gaps still reported.
    pub fail_open: bool,
    /// The config file in use (set by the command line), for the lines
    /// that accept a finding and the count of what it accepted.
    pub config: Option<crate::config::InUse>,
}
