//! `keyhound scan`: directories, files and standard input.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::ScanArgs;
use super::output::{emit, load_rules};
use super::progress::Progress;
use keyhound::detectors::{Engine, Scratch};
use keyhound::findings::Reveal;
use keyhound::scan::{self, Counters, Output, Stats};
use keyhound::sources::fs::WalkOptions;
use keyhound::sources::{Blob, is_binary};

/// The name standard input gets in reports.
const STDIN_NAME: &str = "<stdin>";

/// Where `.keyhound.toml` is looked for: the first directory argument, or
/// the current directory when only files (or standard input) are given.
fn config_root(paths: &[PathBuf]) -> PathBuf {
    paths
        .iter()
        .find(|p| p.as_os_str() != "-" && p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn run(args: ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    for p in &paths {
        if p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err() {
            let err = std::fs::metadata(p)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            bail!("cannot scan `{}`: {err}; check the path", p.display());
        }
    }
    let max_file_size =
        keyhound::scan::parse_size(&args.max_file_size).context("bad --max-file-size")?;
    let (rules, loaded) = load_rules(args.report.config.as_deref(), &config_root(&paths))?;
    let engine = Engine::new(rules);
    let out = Output {
        reveal: if args.report.show_secrets {
            Reveal::Shown
        } else {
            Reveal::Redacted
        },
        suppressed: loaded.fingerprints(),
    };
    let (stdin, dirs): (Vec<PathBuf>, Vec<PathBuf>) =
        paths.into_iter().partition(|p| p.as_os_str() == "-");

    let counters = Arc::new(Counters::default());
    let progress = Progress::start(counters.clone(), !args.report.no_progress);
    let walk = WalkOptions {
        threads: usize::from(args.threads),
        max_file_size,
        no_ignore: args.no_ignore,
    };
    let mut outcome = if dirs.is_empty() {
        scan::finish(
            Vec::new(),
            Stats::default(),
            Vec::new(),
            &engine,
            &out,
            started,
        )
    } else {
        scan::scan_paths(&engine, &dirs, &walk, &out, &counters)
    };
    if !stdin.is_empty() {
        scan_stdin(&engine, &out, max_file_size, &mut outcome)?;
        let mut findings = std::mem::take(&mut outcome.findings);
        let notes = std::mem::take(&mut outcome.notes);
        scan::sort_findings(&mut findings);
        outcome = scan::finish(findings, outcome.stats, notes, &engine, &out, started);
    }
    progress.finish();
    emit(&args.report, &outcome, engine.rules())
}

fn scan_stdin(
    engine: &Engine,
    out: &Output,
    max: u64,
    outcome: &mut keyhound::scan::Outcome,
) -> Result<()> {
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .take(max.saturating_add(1))
        .read_to_end(&mut data)
        .context("cannot read standard input")?;
    if data.len() as u64 > max {
        outcome.stats.files_skipped_large += 1;
        outcome
            .notes
            .push(format!("skipped {STDIN_NAME}: it is over --max-file-size"));
        return Ok(());
    }
    if is_binary(&data) {
        outcome.stats.files_skipped_binary += 1;
        return Ok(());
    }
    outcome.stats.files_scanned += 1;
    outcome.stats.bytes_scanned += data.len() as u64;
    let blob = Blob {
        display: STDIN_NAME,
        relative: STDIN_NAME,
        data: &data,
    };
    outcome
        .findings
        .extend(scan::scan_blob(engine, blob, out, &mut Scratch::default()));
    Ok(())
}
