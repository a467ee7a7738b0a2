//! `keyhound scan --staged` and `keyhound git` (ranges, history audits,
//! `--pre-receive`): scans read through libgit2 and gitoxide.

use std::io::{IsTerminal, Read};
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
use keyhound::findings::{Mode, Outcome};
use keyhound::scan::changes::{account, excluded, scan_changes};
use keyhound::scan::pre_receive::{Guard, scan_push};
use keyhound::scan::{Counters, Output, parse_size};
use keyhound::sources::fs::IGNORE_FILE;
use keyhound::sources::git::exclusions::{Governing, ignore_from};
use keyhound::sources::git::{self, pushed, range};

/// Where a Git scan reads the repository's own files (`.keyhound.toml`,
/// `.keyhoundignore`) from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Files {
    /// The work tree (HEAD's tree in a bare repository): ranges and audits.
    WorkTree,
    /// The index, what the next commit records (else the work tree, for a
    /// local file never added): `scan --staged`, so that a commit is
    /// checked with the ignore file and config it commits.
    Index,
    /// A server's default branch before a push (`git --pre-receive`): as
    /// `WorkTree`, but a config that does not load is skipped with a
    /// warning (built-in rules, nothing accepted) rather than rejecting
    /// every push, the one that fixes it included.
    Server,
}

impl Files {
    fn read(self, repo: &Repository, name: &str) -> Option<Vec<u8>> {
        match self {
            Files::WorkTree | Files::Server => git::repo_file(repo, name),
            Files::Index => git::staged_file(repo, name),
        }
    }
}

/// The repository's config: `--config`, else `.keyhound.toml` as `files`
/// holds it.
fn repo_config(repo: &Repository, explicit: Option<&Path>, files: Files) -> Result<Loaded> {
    if explicit.is_some() {
        return config::discover(explicit, &git::root(repo)).context("cannot load the config");
    }
    match files.read(repo, CONFIG_FILE) {
        None => Ok(Loaded::default()),
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let origin = git::root(repo).join(CONFIG_FILE);
            let loaded = config::from_text(&origin.display().to_string(), &text, CONFIG_FILE)
                .context("cannot load the config");
            match loaded {
                Err(e) if files == Files::Server => {
                    eprintln!(
                        "keyhound: warning: the default branch's {CONFIG_FILE} does not load ({}): this push is checked with the built-in rules and nothing is accepted; push a fixed {CONFIG_FILE} to the default branch",
                        keyhound::reports::escape::escape(&format!("{e:#}"))
                    );
                    Ok(Loaded::default())
                }
                other => other,
            }
        }
    }
}

/// Everything a Git scan needs, set up the same way for every mode.
pub(super) struct Setup {
    pub(super) repo: Repository,
    pub(super) engine: Engine,
    pub(super) output: Output,
    pub(super) ignore: Option<ignore::gitignore::Gitignore>,
    pub(super) max_file_size: u64,
    /// Which of the repository's files decide what is excluded.
    governing: Governing,
    /// The config file in use, for reports.
    pub(super) config: Option<InUse>,
}

impl Setup {
    /// Whether `.keyhoundignore` or a path allowlist excludes `path`.
    fn excluded(&self, path: &str) -> bool {
        excluded(&self.engine, self.ignore.as_ref(), path)
    }

    /// Scans `set` (staged or from a range), keeping added lines.
    fn scan(&self, set: &git::ChangeSet, counters: &Counters) -> Outcome {
        scan_changes(
            &self.engine,
            &self.repo,
            set,
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
    files: Files,
) -> Result<Setup> {
    let repo = git::open_env(repo.map(PathBuf::as_path))?;
    setup_in(repo, report, max_file_size, small, files)
}

/// [`setup_with`] for a command that reports as `report` says.
fn setup_in(
    repo: Repository,
    report: &ReportArgs,
    max_file_size: &str,
    small: bool,
    files: Files,
) -> Result<Setup> {
    setup_with(
        repo,
        report.config.as_deref(),
        |loaded| super::output::scan_output(report, loaded),
        max_file_size,
        small,
        files,
    )
}

/// A history audit's setup: the work tree's config (`--config` if given),
/// and what the scan keeps as `output` makes it from that config.
pub(super) fn setup_audit(
    repo: Option<&PathBuf>,
    config: Option<&Path>,
    output: impl FnOnce(&Loaded) -> Output,
    max_file_size: &str,
) -> Result<Setup> {
    let repo = git::open_env(repo.map(PathBuf::as_path))?;
    setup_with(repo, config, output, max_file_size, false, Files::WorkTree)
}

fn setup_with(
    repo: Repository,
    config: Option<&Path>,
    output: impl FnOnce(&Loaded) -> Output,
    max_file_size: &str,
    small: bool,
    files: Files,
) -> Result<Setup> {
    let max_file_size = parse_size(max_file_size).context("bad --max-file-size")?;
    let loaded = repo_config(&repo, config, files)?;
    let rules = rules_with(&loaded)?;
    let engine = if small {
        Engine::for_small_inputs(rules)
    } else {
        Engine::new(rules)
    };
    let output = output(&loaded);
    let ignore = ignore_from(files.read(&repo, IGNORE_FILE).as_deref());
    Ok(Setup {
        repo,
        engine,
        output,
        ignore,
        max_file_size,
        governing: Governing {
            config: config.is_none(),
        },
        config: loaded.in_use,
    })
}

/// `keyhound scan --staged`.
pub fn staged(args: ScanArgs) -> Result<u8> {
    let s = setup(
        args.repo.as_ref(),
        &args.report,
        &args.max_file_size,
        true,
        Files::Index,
    )?;
    let set = git::staged::staged(&s.repo, &|p| s.excluded(p), s.governing)
        .context("cannot read the staged changes")?;
    let mut outcome = s.scan(&set, &Counters::default());
    outcome.mode = Mode::Staged;
    account(&s.repo, &mut outcome);
    outcome.fail_open = args.fail_open;
    outcome.config = s.config.clone();
    emit(&args.report, &mut outcome, s.engine.rules())
}

/// `keyhound git --pre-receive`: the server's guard, run by the
/// repository's pre-receive hook. The config and `.keyhoundignore` are the
/// repository's as the server has them before the push (`--config` when
/// the hook names one).
fn pre_receive(args: &GitArgs) -> Result<u8> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        anyhow::bail!(
            "--pre-receive reads the pushed refs (`<old> <new> <ref>` lines) from standard input, as Git gives them to a pre-receive hook; install it with `keyhound hook install --pre-receive`"
        );
    }
    let mut input = Vec::new();
    stdin
        .read_to_end(&mut input)
        .context("cannot read the pushed refs from standard input")?;
    let updates = pushed::parse_updates(&input)?;
    let repo = git::open_receiving(args.repo.as_deref())?;
    pushed::add_quarantine(&repo)?;
    let s = setup_in(repo, &args.report, &args.max_file_size, true, Files::Server)?;
    let guard = Guard {
        engine: &s.engine,
        output: &s.output,
        ignore: s.ignore.as_ref(),
        max_file_size: s.max_file_size,
        governing: s.governing,
    };
    let mut outcome = scan_push(&guard, &s.repo, &updates)?;
    account(&s.repo, &mut outcome);
    outcome.config = s.config.clone();
    emit(&args.report, &mut outcome, s.engine.rules())
}

/// `keyhound git`.
pub fn git(args: GitArgs) -> Result<u8> {
    if args.pre_receive {
        return pre_receive(&args);
    }
    let started = Instant::now();
    let ranged = args.range.is_some() || args.since_commit.is_some();
    let s = setup(
        args.repo.as_ref(),
        &args.report,
        &args.max_file_size,
        ranged,
        Files::WorkTree,
    )?;
    let counters = Arc::new(Counters::default());
    let progress = Progress::start(counters.clone(), !args.report.no_progress);
    let outcome = if let Some(spec) = args.range.as_deref().or(args.since_commit.as_deref()) {
        let range = if args.range.is_some() {
            range::parse(&s.repo, spec)?
        } else {
            range::since(&s.repo, spec)?
        };
        let set = range::read(&s.repo, &range, &|p| s.excluded(p), s.governing)?;
        let mut outcome = s.scan(&set, &counters);
        outcome.mode = Mode::Range;
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
    emit(&args.report, &mut outcome, s.engine.rules())
}
