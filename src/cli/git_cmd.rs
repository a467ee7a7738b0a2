//! `keyhound scan --staged` and `keyhound git`: scans read through libgit2.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use git2::Repository;

use super::output::{emit, rules_with};
use super::progress::Progress;
use super::{GitArgs, ReportArgs, ScanArgs};
use keyhound::config::{self, CONFIG_FILE, InUse, Loaded};
use keyhound::detectors::Engine;
use keyhound::findings::Reveal;
use keyhound::scan::changes::{account, ignore_from, scan_changes};
use keyhound::scan::{Counters, Mode, Output, parse_size};
use keyhound::sources::fs::IGNORE_FILE;
use keyhound::sources::git::{self, range};

/// The repository's config: `--config`, else `.keyhound.toml` of the work
/// tree (or of HEAD in a bare repository).
fn repo_config(repo: &Repository, explicit: Option<&Path>) -> Result<Loaded> {
    if explicit.is_some() {
        return config::discover(explicit, &git::root(repo)).context("cannot load the config");
    }
    match git::repo_file(repo, CONFIG_FILE) {
        None => Ok(Loaded::default()),
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let origin = git::root(repo).join(CONFIG_FILE);
            config::from_text(&origin.display().to_string(), &text, CONFIG_FILE)
                .context("cannot load the config")
        }
    }
}

/// Everything a Git scan needs, set up the same way for every mode.
struct Setup {
    repo: Repository,
    engine: Engine,
    output: Output,
    ignore: Option<ignore::gitignore::Gitignore>,
    max_file_size: u64,
    /// The config file in use, for reports.
    config: Option<InUse>,
}

impl Setup {
    /// Scans `changes` (staged or from a range), keeping added lines.
    fn scan(&self, changes: &[git::Change], counters: &Counters) -> keyhound::scan::Outcome {
        scan_changes(
            &self.engine,
            &self.repo,
            changes,
            &self.output,
            self.ignore.as_ref(),
            self.max_file_size,
            counters,
        )
    }
}

fn setup(
    repo: Option<&PathBuf>,
    report: &ReportArgs,
    max_file_size: &str,
    small: bool,
) -> Result<Setup> {
    let max_file_size = parse_size(max_file_size).context("bad --max-file-size")?;
    let repo = git::open_env(repo.map(PathBuf::as_path))?;
    let loaded = repo_config(&repo, report.config.as_deref())?;
    let rules = rules_with(&loaded)?;
    let engine = if small {
        Engine::for_small_inputs(rules)
    } else {
        Engine::new(rules)
    };
    let output = Output {
        reveal: if report.show_secrets {
            Reveal::Shown
        } else {
            Reveal::Redacted
        },
        suppressed: loaded.fingerprints(),
    };
    let ignore = ignore_from(git::repo_file(&repo, IGNORE_FILE).as_deref());
    Ok(Setup {
        repo,
        engine,
        output,
        ignore,
        max_file_size,
        config: loaded.in_use,
    })
}

/// `keyhound scan --staged`.
pub fn staged(args: ScanArgs) -> Result<u8> {
    let s = setup(args.repo.as_ref(), &args.report, &args.max_file_size, true)?;
    let changes = git::staged::staged(&s.repo).context("cannot read the staged changes")?;
    let mut outcome = s.scan(&changes, &Counters::default());
    outcome.mode = Mode::Staged;
    account(&s.repo, &mut outcome);
    outcome.fail_open = args.fail_open;
    outcome.config = s.config.clone();
    emit(&args.report, &outcome, s.engine.rules())
}

/// `keyhound git`.
pub fn git(args: GitArgs) -> Result<u8> {
    let started = Instant::now();
    let ranged = args.range.is_some() || args.since_commit.is_some();
    let s = setup(
        args.repo.as_ref(),
        &args.report,
        &args.max_file_size,
        ranged,
    )?;
    let counters = Arc::new(Counters::default());
    let progress = Progress::start(counters.clone(), !args.report.no_progress);
    let outcome = if let Some(spec) = args.range.as_deref().or(args.since_commit.as_deref()) {
        let range = if args.range.is_some() {
            range::parse(&s.repo, spec)?
        } else {
            range::since(&s.repo, spec)?
        };
        let mut changes = Vec::new();
        let shallow = git::shallow_commits(&s.repo);
        let mut boundaries = 0;
        for id in range::commits(&s.repo, &range)? {
            boundaries += u64::from(shallow.contains(&id));
            changes.extend(
                range::changes(&s.repo, id, &shallow)
                    .with_context(|| format!("cannot read commit {id}"))?,
            );
        }
        let mut outcome = s.scan(&changes, &counters);
        outcome.mode = Mode::Range;
        outcome.stats.shallow_boundaries = boundaries;
        outcome.stats.duration_ms = started.elapsed().as_millis() as u64;
        outcome
    } else {
        keyhound::scan::history::scan_history(
            &s.engine,
            s.repo.path(),
            &s.output,
            s.ignore.as_ref(),
            s.max_file_size,
            &counters,
        )?
    };
    progress.finish();
    let mut outcome = outcome;
    account(&s.repo, &mut outcome);
    outcome.config = s.config.clone();
    emit(&args.report, &outcome, s.engine.rules())
}
