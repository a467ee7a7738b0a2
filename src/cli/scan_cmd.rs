//! `keyhound scan`: directories, files and standard input.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::ScanArgs;
use super::output::{emit, load_rules};
use super::progress::Progress;
use keyhound::detectors::{Engine, PathForms, Scratch};
use keyhound::findings::{Outcome, Stats};
use keyhound::scan::stream::scan_stream;
use keyhound::scan::{self, Counters, Output};
use keyhound::sources::fs::{Head, WalkOptions, read_head};
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
            bail!(
                "cannot scan `{}`: {err}; check the path",
                keyhound::sources::display_path(p)
            );
        }
    }
    let max_file_size =
        keyhound::scan::parse_size(&args.max_file_size).context("bad --max-file-size")?;
    let (rules, loaded) = load_rules(args.report.config.as_deref(), &config_root(&paths))?;
    let engine = Engine::new(rules);
    let out = super::output::scan_output(&args.report, &loaded);
    let (stdin, dirs): (Vec<PathBuf>, Vec<PathBuf>) =
        paths.into_iter().partition(|p| p.as_os_str() == "-");
    let stdin_name = match args.stdin_name.as_deref() {
        Some(_) if stdin.is_empty() => {
            bail!("--stdin-name names standard input: add `-` to the paths to read it")
        }
        Some(name) => stdin_name(name)?,
        None => STDIN_NAME.to_string(),
    };

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
        scan_stdin(&engine, &out, max_file_size, &stdin_name, &mut outcome)?;
        let mut findings = std::mem::take(&mut outcome.findings);
        let notes = std::mem::take(&mut outcome.notes);
        scan::sort_findings(&mut findings);
        outcome = scan::finish(findings, outcome.stats, notes, &engine, &out, started);
    }
    progress.finish();
    outcome.config = loaded.in_use;
    emit(&args.report, &mut outcome, engine.rules())
}

/// The name `--stdin-name` gives standard input, as paths are reported
/// ([`keyhound::sources::display_path`]: '/'-separated, no leading `./`).
fn stdin_name(name: &str) -> Result<String> {
    let shown = keyhound::sources::display_path(std::path::Path::new(name));
    if name.is_empty() {
        bail!("--stdin-name is empty: give a file name such as `.pgpass`");
    }
    if shown == "." || shown.ends_with('/') {
        bail!("--stdin-name `{shown}` names no file: give a file name such as `.pgpass`");
    }
    Ok(shown)
}

/// Standard input, read as a file is: whole when it is small, in windows
/// when it is a large text. `name` is the file it stands for.
fn scan_stdin(
    engine: &Engine,
    out: &Output,
    max: u64,
    name: &str,
    outcome: &mut Outcome,
) -> Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut head = Vec::new();
    let read = read_head(&mut input, None, max, &mut head).context("cannot read standard input")?;
    let stats = &mut outcome.stats;
    let forms = PathForms {
        display: name,
        relative: name,
    };
    let mut scratch = Scratch::default();
    let found = match read {
        Head::Skip(why) => {
            stats.skip(name.to_string(), &why);
            return Ok(());
        }
        Head::Whole => {
            stats.bytes_scanned += head.len() as u64;
            stats.files_scanned_binary += u64::from(is_binary(&head));
            let blob = Blob {
                display: name,
                relative: name,
                data: &head,
            };
            scan::scan_blob(engine, blob, out, &mut scratch)
        }
        Head::Stream => {
            let streamed = scan_stream(engine, forms, name, &head, &mut input, out, &mut scratch)
                .context("cannot read standard input")?;
            stats.bytes_scanned += streamed.bytes;
            streamed.findings
        }
    };
    stats.files_scanned += 1;
    outcome.findings.extend(found);
    Ok(())
}
