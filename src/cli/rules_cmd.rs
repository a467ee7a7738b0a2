//! `keyhound rules list` and `keyhound rules check`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::output::load_rules;
use super::{EXIT_CLEAN, EXIT_ERROR, RulesFormatArg};
use keyhound::reports::escape::escape;
use keyhound::rules::check::check as check_rules;

pub fn list(format: RulesFormatArg, config: Option<&Path>) -> Result<u8> {
    let (rules, _) = load_rules(config, Path::new("."))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        RulesFormatArg::Text => {
            let width = rules.rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
            for r in &rules.rules {
                writeln!(
                    out,
                    "{:width$}  {:8}  {}",
                    escape(r.id()),
                    r.spec.severity.as_str(),
                    escape(&r.spec.description)
                )?;
            }
        }
        RulesFormatArg::Json => {
            let list: Vec<_> = rules
                .rules
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id(),
                        "description": r.spec.description,
                        "severity": r.spec.severity,
                        "confidence": r.spec.base_confidence(),
                        "keywords": r.spec.keywords,
                        "tags": r.spec.tags,
                        "origin": r.origin,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
    }
    Ok(EXIT_CLEAN)
}

pub fn check(config: Option<&Path>) -> Result<u8> {
    let (rules, _) = load_rules(config, Path::new("."))?;
    let report = check_rules(&rules);
    for p in &report.problems {
        eprintln!("keyhound: rules check: {}", escape(p));
    }
    println!(
        "{} rules, {} examples, {} negative examples: {}",
        report.rules,
        report.examples,
        report.negative_examples,
        if report.ok() {
            "all pass".to_string()
        } else {
            format!("{} problems", report.problems.len())
        }
    );
    Ok(if report.ok() { EXIT_CLEAN } else { EXIT_ERROR })
}
