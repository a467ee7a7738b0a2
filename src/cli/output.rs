//! Where reports go and how they look; loading rules with the user's config.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::{ColorArg, EXIT_CLEAN, FormatArg, ReportArgs};
use keyhound::config::{self, Loaded};
use keyhound::reports::{self, Format, TextOptions};
use keyhound::rules::RuleSet;
use keyhound::scan::Outcome;

pub fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    }
}

/// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
pub fn use_color(arg: ColorArg, to_file: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            !to_file
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && io::stdout().is_terminal()
        }
    }
}

/// The built-in pack with the config applied.
pub fn load_rules(explicit: Option<&Path>, root: &Path) -> Result<(RuleSet, Loaded)> {
    let loaded = config::discover(explicit, root)
        .context("cannot load the config; fix the file named above")?;
    let rules = rules_with(&loaded)?;
    Ok((rules, loaded))
}

/// The built-in pack with `loaded` applied.
pub fn rules_with(loaded: &Loaded) -> Result<RuleSet> {
    let mut rules = RuleSet::builtin()
        .context("the built-in rule pack is broken (run `keyhound rules check`)")?;
    config::apply(&mut rules, loaded)
        .context("cannot apply the config; fix the file named above")?;
    Ok(rules)
}

/// Writes the report where asked and returns the exit code.
pub fn emit(args: &ReportArgs, outcome: &Outcome, rules: &RuleSet) -> Result<u8> {
    let text = TextOptions {
        color: use_color(args.color, args.output.is_some()),
    };
    match &args.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
            let mut w = BufWriter::new(file);
            reports::write(&mut w, format(args.format), outcome, rules, text)?;
            w.flush()
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            reports::write(&mut w, format(args.format), outcome, rules, text)?;
            w.flush()?;
        }
    }
    print_notes(&outcome.notes);
    Ok(if outcome.findings.is_empty() {
        EXIT_CLEAN
    } else {
        args.exit_code
    })
}

/// Skipped files and read errors, on stderr, at most a screenful.
pub fn print_notes(notes: &[String]) {
    const MAX: usize = 20;
    for n in notes.iter().take(MAX) {
        eprintln!("keyhound: note: {}", keyhound::reports::escape::escape(n));
    }
    if notes.len() > MAX {
        eprintln!("keyhound: note: ... and {} more", notes.len() - MAX);
    }
}
