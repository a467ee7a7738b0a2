//! Text for people: each finding with its line (secret masked) and a caret
//! under the secret, a summary, and what to do next.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::escape::escape;
use super::origin;
use super::{BINANCE_PLAYBOOK, TextOptions, verdict};
use crate::findings::{Finding, LinesAt};
use crate::findings::{Mode, Outcome, human_bytes};
use crate::rules::{RuleSet, Severity};
use crate::verify::{Risk, Status};

/// Colour, when on (`--color`).
pub(super) struct Paint {
    pub(super) on: bool,
}

impl Paint {
    pub(super) fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "34",
        };
        self.wrap(code, s.as_str())
    }
}

/// Splits a snippet at a character range: before, inside, after. Tabs become
/// spaces so that the caret lines up; other controls are escaped.
fn snippet_parts(f: &Finding) -> (String, String, String) {
    let clean = |s: String| escape(&s.replace('\t', "    ")).into_owned();
    let (a, b) = f.snippet_span;
    let before: String = f.snippet.chars().take(a).collect();
    let inside: String = f.snippet.chars().skip(a).take(b - a).collect();
    let after: String = f.snippet.chars().skip(b).collect();
    (clean(before), clean(inside), clean(after))
}

fn what(f: &Finding) -> String {
    let mut s = f.description.clone();
    match f.paired {
        Some(true) if f.tags.iter().any(|t| t == "private-key") => {
            s.push_str(", next to an API key")
        }
        // Unless the exchange said the pair does not work.
        Some(true)
            if f.verification.as_ref().map(|v| v.status)
                == Some(crate::verify::Status::Invalid) => {}
        Some(true) => s.push_str(", with its other half: usable as is"),
        Some(false) if f.tags.iter().any(|t| t == "api-key" || t == "secret-key") => {
            s.push_str(", alone")
        }
        _ => {}
    }
    s
}

/// Where a ref name says a secret is: `on branch `x``, `in stash@{0}`...
fn where_in(name: &str) -> String {
    let name = escape(name);
    if let Some(b) = name.strip_prefix("refs/heads/") {
        format!("on branch `{b}`")
    } else if let Some(t) = name.strip_prefix("refs/tags/") {
        format!("on tag `{t}`")
    } else if let Some(r) = name.strip_prefix("refs/remotes/") {
        format!("on remote branch `{r}`")
    } else if name.starts_with("stash@{") {
        format!("in {name}")
    } else if name == "HEAD" {
        "at HEAD".to_string()
    } else {
        format!("at `{name}`")
    }
}

/// A history finding's status: where the secret still is, and what to do.
fn status(f: &Finding, also_at: &[&Finding], p: &Paint) -> String {
    let at_head = f.at_head == Some(true) || also_at.iter().any(|g| g.at_head == Some(true));
    let live = f.live_in.as_deref().unwrap_or_default();
    let mut places: Vec<String> = Vec::new();
    if at_head {
        places.push("at HEAD".to_string());
    }
    places.extend(
        live.iter()
            .filter(|n| !at_head || *n != "HEAD")
            .map(|n| where_in(n)),
    );
    const SHOWN: usize = 6;
    if places.len() > SHOWN {
        let more = places.len() - SHOWN;
        places.truncate(SHOWN);
        places.push(format!("and {more} more"));
    }
    if places.is_empty() {
        let act = action(f, "rotate the key and purge history");
        p.wrap(
            "33",
            &format!("in no branch, tag or stash, only in history: {act}"),
        )
    } else {
        let act = action(f, "rotate the key");
        p.wrap("1;31", &format!("still {}: {act}", places.join(", ")))
    }
}

/// What to do about a leaked secret: `rotate` for most, and for a
/// wallet's (tag `wallet`), which cannot be rotated (rules/wallets.toml,
/// `keyhound explain`), moving the funds.
fn action(f: &Finding, rotate: &'static str) -> &'static str {
    if f.tags.iter().any(|t| t == "wallet") {
        "move the funds to a new wallet whose secret never touched the repository, then purge history"
    } else {
        rotate
    }
}

/// `line N`, or `lines N-M` for a secret over several lines.
fn lines(line: usize, end_line: usize) -> String {
    if end_line > line {
        format!("lines {line}-{end_line}")
    } else {
        format!("line {line}")
    }
}

/// `also_at`: other paths where a history scan met the same secret.
fn write_finding(
    out: &mut dyn Write,
    f: &Finding,
    also_at: &[&Finding],
    p: &Paint,
) -> io::Result<()> {
    // A line that starts with `::` is a GitHub Actions workflow command.
    let path = escape(&f.path);
    let path = if path.starts_with("::") {
        format!("./{path}")
    } else {
        path.into_owned()
    };
    let location = format!("{path}:{}:{}", f.line, f.column);
    writeln!(
        out,
        "{}: {} [{}] ({} confidence)",
        p.wrap("1", &location),
        p.wrap("36", &escape(&f.rule_id)),
        p.severity(f.severity),
        f.confidence
    )?;
    if let Some(v) = &f.verification {
        let code = match (v.status, v.risk) {
            (Status::Valid, Some(Risk::Low)) => "1;33",
            (Status::Valid, _) => "1;31",
            _ => "1",
        };
        writeln!(out, "  {}", p.wrap(code, &verdict::headline(v)))?;
    }
    writeln!(out, "  {}", escape(&what(f)))?;
    if let (Some(pair), Some(_)) = (&f.pair, &f.verification) {
        writeln!(
            out,
            "  paired with {}:{} ({})",
            escape(&pair.path),
            pair.line,
            escape(&pair.kind)
        )?;
    }
    // HEAD's lines are shown; say where the secret was when it came.
    let there = match &f.introduced {
        Some(i) if f.lines_at == Some(LinesAt::Head) && i.line != f.line => {
            format!(" (at {} there)", lines(i.line, i.end_line))
        }
        _ => String::new(),
    };
    if let Some(first) = origin::first_line(f, &there) {
        writeln!(out, "  {first}")?;
    }
    if f.at_head.is_some() {
        writeln!(
            out,
            "  {}; {}",
            origin::added(f, "here"),
            status(f, also_at, p)
        )?;
    }
    for g in also_at {
        writeln!(
            out,
            "  also at {}:{}:{}{}",
            escape(&g.path),
            g.line,
            g.column,
            origin::also_at(g)
        )?;
    }
    if f.lines_at == Some(LinesAt::Introduced) {
        writeln!(
            out,
            "  {}; as {} had it:",
            origin::not_at_head(f),
            origin::source(f)
        )?;
    }
    let (before, inside, after) = snippet_parts(f);
    let gutter = f.line.to_string();
    let pad = " ".repeat(gutter.len());
    writeln!(
        out,
        "  {} | {}{}{}",
        p.wrap("2", &gutter),
        before,
        p.wrap("1;31", &inside),
        after
    )?;
    let caret_at = before.chars().count();
    let width = inside.chars().count().max(1);
    writeln!(
        out,
        "  {} | {}{}",
        pad,
        " ".repeat(caret_at),
        p.wrap("1;31", &"^".repeat(width))
    )?;
    writeln!(out)
}

/// History scans report a secret once per path; people want it once:
/// headed by its first exposure (the earliest commit that introduced it at
/// any path, by committer date, ties by topological order), with the other
/// paths listed under it. Other scans keep one entry per finding.
fn group_by_secret(findings: &[Finding]) -> Vec<(&Finding, Vec<&Finding>)> {
    let mut out: Vec<(&Finding, Vec<&Finding>)> = Vec::new();
    let mut index: std::collections::HashMap<[u8; 32], usize> = std::collections::HashMap::new();
    let order = |f: &Finding| f.introduced.as_ref().map(|i| i.order);
    for f in findings {
        if f.at_head.is_none() {
            out.push((f, Vec::new()));
            continue;
        }
        match index.get(&f.secret_digest) {
            Some(&i) => {
                let (head, others) = &mut out[i];
                if order(f) < order(head) {
                    others.push(std::mem::replace(head, f));
                } else {
                    others.push(f);
                }
            }
            None => {
                index.insert(f.secret_digest, out.len());
                out.push((f, Vec::new()));
            }
        }
    }
    for (_, others) in &mut out {
        others.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    }
    out
}

pub fn write(
    out: &mut dyn Write,
    outcome: &Outcome,
    rules: &RuleSet,
    opts: TextOptions,
) -> io::Result<()> {
    let p = Paint { on: opts.color };
    let mut groups = group_by_secret(&outcome.findings);
    // With --verify, the worst verdict first (a stable sort keeps the
    // scan's order otherwise).
    groups.sort_by_key(|(f, _)| verdict::rank(f));
    for (f, also_at) in &groups {
        write_finding(out, f, also_at, &p)?;
    }
    // What to do, then the summary: the last line, as CI logs show it.
    if !outcome.findings.is_empty() && write_next_steps(out, outcome, rules, &p)? {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(outcome, opts.color))
}

/// How many skipped files the summary line names.
const SKIPPED_NAMED: usize = 3;

/// The one-line summary: what was found and what was scanned, then what
/// was not checked and how to get it checked (missing objects, unreadable
/// files), where history was cut (a shallow clone), and which binary files
/// were skipped and why; how many findings the config's fingerprints
/// accepted. Printed last in text reports, and on standard error when the
/// report goes to a file.
pub fn summary_line(outcome: &Outcome, color: bool) -> String {
    let p = Paint { on: color };
    let s = &outcome.stats;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut parts = Vec::new();
    if outcome.findings.is_empty() {
        parts.push(match (s.complete, outcome.mode) {
            (true, _) => format!("{}: no secrets found", p.wrap("1;32", "keyhound")),
            (false, Mode::Staged) => format!(
                "{}: this commit was not checked{}: no secrets found in what could be read",
                p.wrap("1;31", "keyhound"),
                if outcome.fail_open {
                    " (allowed by --fail-open)"
                } else {
                    ""
                }
            ),
            (false, _) => format!(
                "{}: scan incomplete: no secrets found in what could be read",
                p.wrap("1;31", "keyhound")
            ),
        });
    } else {
        let files: BTreeSet<&str> = outcome.findings.iter().map(|f| f.path.as_str()).collect();
        let mut by_sev = Vec::new();
        for sev in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ] {
            let n = outcome
                .findings
                .iter()
                .filter(|f| f.severity == sev)
                .count();
            if n > 0 {
                by_sev.push(format!("{n} {}", p.severity(sev)));
            }
        }
        parts.push(format!(
            "{}: {} finding{} in {} file{} ({})",
            p.wrap("1;31", "keyhound"),
            outcome.findings.len(),
            plural(outcome.findings.len() as u64),
            files.len(),
            plural(files.len() as u64),
            by_sev.join(", ")
        ));
    }
    if s.findings_accepted > 0 {
        let n = s.findings_accepted;
        let config = outcome.config.as_ref().map_or_else(
            || "the config".to_string(),
            |c| escape(&c.name).into_owned(),
        );
        parts.push(format!(
            "{n} finding{} accepted by fingerprint in {config}",
            plural(n)
        ));
    }
    if s.findings_below_confidence > 0 {
        let n = s.findings_below_confidence;
        parts.push(format!(
            "{n} finding{} below --min-confidence not shown (documentation samples, fragments, plain words: --min-confidence low shows them)",
            plural(n)
        ));
    }
    // A history scans each distinct blob once: its files are blobs.
    let (unit, of_commits) = match (outcome.mode, s.commits_scanned) {
        (Mode::PreReceive, Some(0)) => {
            parts.push("the push brings no commit the repository does not have".to_string());
            ("file", String::new())
        }
        (_, Some(0)) => {
            parts.push("the range holds no commit".to_string());
            ("file", String::new())
        }
        (Mode::History, Some(n)) => ("distinct blob", format!(" of {n} commit{}", plural(n))),
        (Mode::PreReceive, Some(n)) => ("file", format!(" of {n} new commit{}", plural(n))),
        (_, Some(n)) => ("file", format!(" of {n} commit{}", plural(n))),
        (_, None) => ("file", String::new()),
    };
    parts.push(format!(
        "scanned {} {unit}{} ({}){of_commits} in {:.2}s",
        s.files_scanned,
        plural(s.files_scanned),
        human_bytes(s.bytes_scanned),
        s.duration_ms as f64 / 1000.0
    ));
    for u in &s.unchecked {
        parts.push(format!(
            "{} {}: {}",
            p.wrap("1;31", "not checked:"),
            escape(&u.what),
            escape(&u.fix)
        ));
    }
    if s.shallow_boundaries > 0 {
        parts.push(super::SHALLOW_NOTE.to_string());
    }
    let skipped = s.files_skipped();
    if skipped > 0 {
        let mut named: Vec<String> = s
            .skipped
            .iter()
            .take(SKIPPED_NAMED)
            .map(|k| format!("{} ({})", escape(&k.path), escape(&k.why)))
            .collect();
        if skipped > named.len() as u64 {
            named.push(format!(
                "and {} more (--format json lists them)",
                skipped - named.len() as u64
            ));
        }
        parts.push(format!(
            "skipped {skipped} binary file{}, not scanned: {}",
            plural(skipped),
            named.join(", ")
        ));
    }
    parts.join("; ")
}

/// What to do now. A commit the pre-commit check stopped has leaked
/// nothing: how to fix or unblock it. Otherwise the steps that fit what
/// `--verify` found (any exchange), or the Binance playbook when a Binance
/// credential leaked unchecked, then each other rule's remediation once.
/// Returns whether it wrote anything (a config rule may have no
/// remediation).
fn write_next_steps(
    out: &mut dyn Write,
    outcome: &Outcome,
    rules: &RuleSet,
    p: &Paint,
) -> io::Result<bool> {
    if matches!(outcome.mode, Mode::Staged | Mode::PreReceive) {
        if outcome.mode == Mode::Staged {
            super::guard::write_unblock_steps(out, outcome, p)?;
        } else {
            super::guard::write_reject_steps(out, outcome, p)?;
        }
        // A live key that was ever pushed or shared (its other half may be
        // in an earlier commit) is not made safe by blocking this commit.
        let live: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| {
                f.verification.as_ref().map(|v| v.status) == Some(crate::verify::Status::Valid)
            })
            .collect();
        if let Some(steps) = verdict::steps(&live).filter(|_| !live.is_empty()) {
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                p.wrap("1", "--verify found the key live. If it was ever pushed or shared (its other half may be in an earlier commit), act on it now:")
            )?;
            for (i, step) in steps.iter().enumerate() {
                writeln!(out, "  {}. {step}", i + 1)?;
            }
        }
        return Ok(true);
    }
    let binance = outcome
        .findings
        .iter()
        .any(|f| f.tags.iter().any(|t| t == "binance"));
    // Blocks apart by a blank line; the findings end with one.
    let mut blocks = 0;
    let mut gap = |out: &mut dyn Write| {
        blocks += 1;
        if blocks > 1 { writeln!(out) } else { Ok(()) }
    };
    let verified = outcome.findings.iter().any(|f| f.verification.is_some());
    if binance || verified {
        gap(out)?;
        let mut ordered: Vec<&Finding> = outcome.findings.iter().collect();
        ordered.sort_by_key(|f| verdict::rank(f));
        let only_binance = outcome
            .findings
            .iter()
            .filter_map(|f| f.verification.as_ref())
            .all(|v| v.exchange == "binance");
        let (title, steps) = match verdict::steps(&ordered) {
            Some(steps) if only_binance => (
                "Binance credentials leaked; what --verify found calls for:",
                steps,
            ),
            Some(steps) => (
                "Exchange credentials leaked; what --verify found calls for:",
                steps,
            ),
            None => (
                "Binance credentials leaked. In the next ten minutes:",
                BINANCE_PLAYBOOK.iter().map(|s| s.to_string()).collect(),
            ),
        };
        writeln!(out, "{}", p.wrap("1", title))?;
        for (i, step) in steps.iter().enumerate() {
            writeln!(out, "  {}. {step}", i + 1)?;
        }
    }
    let mut seen = BTreeSet::new();
    for f in &outcome.findings {
        // The steps above cover Binance findings and every checked one.
        let covered = binance && f.tags.iter().any(|t| t == "binance") || f.verification.is_some();
        if covered || !seen.insert(f.rule_id.as_str()) {
            continue;
        }
        if let Some(text) = rules
            .get(&f.rule_id)
            .and_then(|r| r.spec.remediation.as_deref())
        {
            gap(out)?;
            writeln!(
                out,
                "{} {}",
                p.wrap("1", &format!("{}:", escape(&f.rule_id))),
                escape(text.trim())
            )?;
        }
    }
    Ok(blocks > 0)
}
