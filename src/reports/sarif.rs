//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::origin;
use crate::findings::Outcome;
use crate::findings::{Finding, LinesAt};
use crate::rules::{Rule, RuleSet, Severity};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` scale (0–10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// `binance-api-key` → `BinanceApiKey`.
fn pascal(id: &str) -> String {
    id.split(['-', '.', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Percent-encodes a `/`-separated path as a relative URI reference;
/// absolute paths become `file://` URIs.
pub fn path_uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule_descriptor(rule: &Rule) -> Value {
    let spec = &rule.spec;
    let mut help = spec.description.clone();
    if let Some(r) = &spec.remediation {
        help.push_str("\n\n");
        help.push_str(r);
    }
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.extend(spec.tags.iter().cloned());
    json!({
        "id": spec.id,
        "name": pascal(&spec.id),
        "shortDescription": { "text": spec.description },
        "fullDescription": { "text": spec.description },
        "help": { "text": help },
        "defaultConfiguration": { "level": level(spec.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(spec.severity),
            // GitHub code scanning's rule precision (`very-high`, `high`,
            // `medium`, `low`): the rule's base confidence. Each result
            // carries its own in `properties.confidence`; `rank` (§3.27.27,
            // importance) is left to severity's `security-severity`.
            "precision": spec.base_confidence().as_str(),
        }
    })
}

/// A history finding's facts as a sentence: where its lines come from,
/// why no commit is named when none is, and which refs still hold it (""
/// for other findings). `commit_named`: the message already names the
/// introducing commit.
pub fn history_note(f: &Finding, commit_named: bool) -> String {
    let Some(intro) = &f.introduced else {
        return String::new();
    };
    let from = if commit_named {
        "that commit".to_string()
    } else {
        origin::source(f)
    };
    // Only a commit that is known to have added the secret added it.
    let added = f.provenance.is_some();
    let mut s = match f.lines_at {
        Some(LinesAt::Introduced) => format!(
            "; {}: at line {} of {from}{}",
            origin::not_at_head(f),
            intro.line,
            if added { ", which added it" } else { "" }
        ),
        _ if intro.line != f.line && added => {
            format!("; at line {} when {from} added it", intro.line)
        }
        _ if intro.line != f.line => format!("; at line {} in {from}", intro.line),
        _ => String::new(),
    };
    if let Some(why) = origin::unknown(f) {
        s.push_str("; ");
        s.push_str(why);
    }
    // Range findings carry `introduced` but no refs: nothing more to say.
    let Some(live) = f.live_in.as_deref() else {
        return s;
    };
    if live.is_empty() && f.at_head != Some(true) {
        s.push_str("; in no branch, tag or stash, only in history");
    } else if !live.is_empty() {
        s.push_str("; still in ");
        s.push_str(&live.join(", "));
    }
    s
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let mut message = format!("{} ({})", f.description, f.secret);
    if f.paired == Some(true) {
        message.push_str(": found with its other half, usable as is");
    }
    message.push_str(&history_note(f, false));
    if let Some(v) = &f.verification {
        message.push_str(&format!("; --verify: {}", super::verdict::headline(v)));
    }
    // A secret that HEAD's file no longer holds has no line in the checked
    // out file: the location is the file as a whole (SARIF 2.1.0 §3.29.4),
    // the commit and its lines are in the message and properties.
    let mut location = json!({ "artifactLocation": { "uri": path_uri(&f.path) } });
    if f.lines_at != Some(LinesAt::Introduced) {
        location["region"] = json!({
            "startLine": f.line,
            "startColumn": f.column,
            "endLine": f.end_line,
            "endColumn": f.end_column + 1,
        });
    }
    let mut r = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [{ "physicalLocation": location }],
        "partialFingerprints": { "keyhound/v1": f.fingerprint },
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(p) = &f.provenance {
        r["properties"] = json!({ "commit": p.commit, "author": p.author, "date": p.date });
        if let Some(c) = &p.committed {
            r["properties"]["committed"] = json!(c);
        }
    }
    if let Some(b) = &f.shallow_boundary {
        r["properties"]["shallow_boundary"] = json!(b);
    }
    if let Some(c) = &f.earliest_readable {
        r["properties"]["earliest_readable"] = json!(c);
    }
    for (key, value) in [
        ("pair", json!(f.pair)),
        ("verification", json!(f.verification)),
    ] {
        if !value.is_null() {
            r["properties"][key] = value;
        }
    }
    r["properties"]["confidence"] = json!(f.confidence);
    if f.introduced.is_some() {
        // Range findings have no `at_head`, `live_in` or `commits`.
        for (key, value) in [
            ("at_head", json!(f.at_head)),
            ("live_in", json!(f.live_in)),
            ("commits", json!(f.commits)),
            ("introduced", json!(f.introduced)),
            ("lines_at", json!(f.lines_at)),
        ] {
            if !value.is_null() {
                r["properties"][key] = value;
            }
        }
    }
    r
}

/// The run's invocation: whether it checked all it was asked to (SARIF
/// 3.20.14 `executionSuccessful`), each gap as a notification.
fn invocation(outcome: &Outcome) -> Value {
    let s = &outcome.stats;
    let mut notes: Vec<Value> = s
        .unchecked
        .iter()
        .map(|u| {
            json!({
                "level": if outcome.fail_open { "warning" } else { "error" },
                "message": { "text": format!("not checked: {}: {}", u.what, u.fix) },
            })
        })
        .collect();
    if s.shallow_boundaries > 0 {
        notes.push(json!({
            "level": "note",
            "message": { "text": super::SHALLOW_NOTE },
        }));
    }
    // `--verify`: what was sent, to whom, and checks that failed. A check
    // that failed is not a scan that failed: a warning, the scan stands.
    for note in outcome.notes.iter().filter(|n| n.starts_with("--verify:")) {
        notes.push(json!({ "level": "note", "message": { "text": note } }));
    }
    let mut failed: Vec<&str> = outcome
        .findings
        .iter()
        .filter_map(|f| f.verification.as_ref())
        .filter(|v| v.status == crate::verify::Status::Error)
        .filter_map(|v| v.reason.as_deref())
        .collect();
    if !failed.is_empty() {
        let n = failed.len();
        failed.sort_unstable();
        failed.dedup();
        notes.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "--verify: {n} finding{} could not be checked ({}): treat those keys as live",
                if n == 1 { "" } else { "s" },
                failed.join("; ")
            ) },
        }));
    }
    json!({
        "executionSuccessful": s.complete || outcome.fail_open,
        "toolExecutionNotifications": notes,
    })
}

pub fn write(out: &mut dyn Write, outcome: &Outcome, rules: &RuleSet) -> io::Result<()> {
    let descriptors: Vec<Value> = rules.rules.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = outcome
        .findings
        .iter()
        .map(|f| result(f, rules.rules.iter().position(|r| r.spec.id == f.rule_id)))
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "keyhound",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/keyhound/keyhound",
                    "rules": descriptors,
                }
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation(outcome)],
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(path_uri("src/a b.py"), "src/a%20b.py");
        assert_eq!(path_uri("/tmp/x.env"), "file:///tmp/x.env");
        assert_eq!(path_uri("dir/ü.txt"), "dir/%C3%BC.txt");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal("binance-api-key"), "BinanceApiKey");
    }
}
