//! Reports: the same findings as text for people, JSON for tools, SARIF for
//! code scanning. A new format is one file here.

pub mod escape;
pub mod github;
mod guard;
pub mod json;
pub mod origin;
pub mod sarif;
pub mod text;
pub mod verdict;

use std::io::{self, Write};

use crate::findings::Outcome;
use crate::rules::RuleSet;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

/// Text report options.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
}

/// Writes `outcome` in `format`.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    outcome: &Outcome,
    rules: &RuleSet,
    text: TextOptions,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(out, outcome, rules, text),
        Format::Json => json::write(out, outcome),
        Format::Sarif => sarif::write(out, outcome, rules),
        Format::Github => github::write(out, outcome),
    }
}

/// The Binance playbook: what to do in the next ten minutes.
/// What a shallow clone's cut leaves unchecked, as every format says it.
pub const SHALLOW_NOTE: &str = "history cut at this shallow clone's boundary: older commits were not checked (`git fetch --unshallow`)";

pub const BINANCE_PLAYBOOK: &[&str] = &[
    "Delete the exposed API key now: Binance > Account > API Management > Delete. Deleting revokes it; editing its permissions does not.",
    "Check account activity: open orders, trade and withdrawal history, sub-accounts, and the withdrawal address whitelist (remove any address you did not add).",
    "Create a new key with least privilege: Enable Reading, plus Spot/Futures trading only if the bot trades. Never enable withdrawals for a bot. Restrict access to trusted IPs only.",
    "Keep the new key out of code: an environment variable or a secrets manager (and add `.env` to .gitignore).",
    "If the key was committed, purge it from history (`keyhound purge` writes the file for git filter-repo or BFG and prints the steps) and force-push; assume it was scraped within minutes.",
    "Rotate API keys every 90 days.",
];
