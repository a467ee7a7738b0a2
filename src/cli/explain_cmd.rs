//! `keyhound explain RULE_ID`: what a rule finds, how bad a leak of it is,
//! and what to do about one.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use super::EXIT_CLEAN;
use super::output::load_rules;
use keyhound::reports::BINANCE_PLAYBOOK;
use keyhound::reports::escape::escape;
use keyhound::rules::RuleSet;

/// Prints rule `id`'s guidance. Errors: no such rule (the message names
/// the closest ids and `keyhound rules list`).
pub fn explain(id: &str, config: Option<&Path>) -> Result<u8> {
    let (rules, _) = load_rules(config, Path::new("."))?;
    let Some(rule) = rules.get(id) else {
        bail!(
            "no rule `{}`{}: `keyhound rules list` shows every rule id",
            escape(id),
            suggestions(&rules, id)
        );
    };
    let spec = &rule.spec;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "{} [{}]: {}",
        escape(&spec.id),
        spec.severity.as_str(),
        escape(&spec.description)
    )?;
    if !spec.tags.is_empty() {
        writeln!(out, "tags: {}", escape(&spec.tags.join(", ")))?;
    }
    if !spec.keywords.is_empty() {
        writeln!(out, "runs near: {}", escape(&spec.keywords.join(", ")))?;
    }
    writeln!(
        out,
        "confidence: {} before context (a parsed key or a pair raises it; documentation, examples and sample prose lower it)",
        spec.base_confidence()
    )?;
    if let Some(kind) = spec.validate {
        writeln!(out, "validated: {}", kind.describe())?;
    }
    writeln!(out, "from: {}", escape(&rule.origin))?;
    writeln!(out)?;
    if spec.tags.iter().any(|t| t == "binance") {
        writeln!(
            out,
            "If a Binance credential leaked, in the next ten minutes:"
        )?;
        for (i, step) in BINANCE_PLAYBOOK.iter().enumerate() {
            writeln!(out, "  {}. {step}", i + 1)?;
        }
    } else if let Some(text) = &spec.remediation {
        writeln!(out, "If it leaked: {}", escape(text.trim()))?;
    } else {
        writeln!(
            out,
            "If it leaked: revoke it where it was issued, replace it, keep the new one out of the repository (an environment variable or a secrets manager), and purge it from history."
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "A false positive: `keyhound:allow` on the line, the finding's fingerprint in the [allowlist] fingerprints of .keyhound.toml, or the path in .keyhoundignore."
    )?;
    Ok(EXIT_CLEAN)
}

/// ", did you mean `a`, `b`?" for the ids that contain `id` or share its
/// first word; empty when none do.
fn suggestions(rules: &RuleSet, id: &str) -> String {
    let id = id.to_ascii_lowercase();
    let head = id.split('-').next().unwrap_or_default();
    let close: Vec<String> = rules
        .rules
        .iter()
        .map(|r| r.id())
        .filter(|r| r.contains(&id) || (!head.is_empty() && r.starts_with(head)))
        .take(5)
        .map(|r| format!("`{}`", escape(r)))
        .collect();
    if close.is_empty() {
        String::new()
    } else {
        format!(", did you mean {}?", close.join(", "))
    }
}
