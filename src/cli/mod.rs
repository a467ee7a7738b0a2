//! Command-line definitions and dispatch.

mod explain_cmd;
mod git_cmd;
mod hook_cmd;
mod output;
mod progress;
mod purge_cmd;
mod rules_cmd;
mod scan_cmd;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// No findings.
pub const EXIT_CLEAN: u8 = 0;
/// Findings (unless `--exit-code` says otherwise).
pub const EXIT_FINDINGS: u8 = 1;
/// Bad arguments, bad config, or nothing found in a scan that could not
/// check all it was asked to (unreadable files, missing Git objects).
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "keyhound",
    version,
    about = "Find leaked secrets (Binance and other exchange API keys, private keys, tokens) in files and Git history.",
    after_help = "Exit codes: 0 no findings, 1 findings, 2 error, or a scan that could not check all it was asked to (missing Git objects, unreadable files) and found nothing."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files and directories (default: the current directory), or with
    /// --staged what the next commit would contain.
    Scan(ScanArgs),
    /// Scan Git history: a commit range (pull requests) or every commit.
    #[command(mut_arg("config", |a| a.help(GIT_CONFIG_HELP)))]
    Git(GitArgs),
    /// After a leak: the plan for a history rewrite (a replacement file for
    /// git filter-repo or BFG, and the steps), or with --check FILE the
    /// proof that the rewrite left none of the listed secrets. keyhound
    /// never rewrites history itself.
    #[command(
        mut_arg("config", |a| a.help(GIT_CONFIG_HELP)),
        after_help = PURGE_AFTER_HELP
    )]
    Purge(PurgeArgs),
    /// Install or remove the pre-commit hook (or a server's pre-receive hook).
    #[command(subcommand)]
    Hook(HookCommand),
    /// List or check the rule pack.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// What a rule finds, how bad its leak is, and what to do about one.
    Explain {
        /// A rule id, as findings and `keyhound rules list` give it.
        rule_id: String,
        /// Config file whose rules count too (default: .keyhound.toml in
        /// the current directory or above it).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Sarif,
    /// GitHub Actions annotations (`::error file=…`).
    Github,
}

/// `rules list` formats: a rule list is no finding, so no SARIF or
/// annotations.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormatArg {
    Text,
    Json,
}

/// `--config` as `keyhound git` reads it.
const GIT_CONFIG_HELP: &str = "Config file (default: the repository's .keyhound.toml: the work \
     tree's, or HEAD's in a bare repository)";

/// `--min-confidence` levels (see `keyhound::confidence`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    Low,
    Medium,
    High,
}

impl ConfidenceArg {
    pub fn level(self) -> keyhound::confidence::Confidence {
        use keyhound::confidence::Confidence;
        match self {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Options shared by every command that reports findings.
#[derive(Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the same scan's report in FORMAT to FILE (repeatable), e.g.
    /// `--format github --report sarif:keyhound.sarif`: one scan, several reports.
    #[arg(long = "report", value_name = "FORMAT:FILE", value_parser = parse_report)]
    pub reports: Vec<ExtraReport>,
    /// Report only findings at least this sure: high (a validated format,
    /// a checksum, a parsed key, a key with its other half), medium (a
    /// random-enough value under a credential name) or low (also samples in
    /// documentation and examples, key fragments, plain words). Default:
    /// the config's `min-confidence`, else medium.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_confidence: Option<ConfidenceArg>,
    /// Show secrets in full instead of their first characters.
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit code when there are findings.
    #[arg(long, value_name = "N", default_value_t = EXIT_FINDINGS)]
    pub exit_code: u8,
    /// Colour in text output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Config file (default: .keyhound.toml in the first directory argument
    /// or the current directory, else above it up to the top of its Git
    /// work tree; with --staged, the repository's).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Never show a progress display.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// `--verify` and where it asks: the exchanges' check requests.
#[derive(Args)]
#[command(next_help_heading = "Live verification")]
pub struct VerifyArgs {
    /// Ask the exchange whether each API key found with its secret or
    /// private key (and OKX's passphrase) in the same file works, what it
    /// may do and whether it is bound to an IP whitelist: one signed
    /// read-only request per distinct pair (Binance: GET
    /// /sapi/v1/account/apiRestrictions; OKX: GET /api/v5/account/config;
    /// Bybit: GET /v5/user/query-api), nothing else. Without it keyhound
    /// never touches the network.
    #[arg(long)]
    pub verify: bool,
    /// Binance's REST API for --verify (a test server or a proxy).
    #[arg(long, value_name = "URL", default_value = keyhound::verify::binance::DEFAULT_URL)]
    pub binance_api_url: String,
    /// OKX's REST API for --verify (a test server or a proxy).
    #[arg(long, value_name = "URL", default_value = keyhound::verify::okx::DEFAULT_URL)]
    pub okx_api_url: String,
    /// Bybit's REST API for --verify (a test server or a proxy).
    #[arg(long, value_name = "URL", default_value = keyhound::verify::bybit::DEFAULT_URL)]
    pub bybit_api_url: String,
    /// --verify: most seconds to open a connection.
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub verify_connect_timeout: u64,
    /// --verify: most seconds for one whole request.
    #[arg(long, value_name = "SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub verify_timeout: u64,
}

/// A further report of the same scan: `--report FORMAT:FILE`.
#[derive(Clone)]
pub struct ExtraReport {
    pub format: FormatArg,
    pub path: PathBuf,
}

/// Parses `FORMAT:FILE` (split at the first `:`, so FILE may hold colons).
fn parse_report(spec: &str) -> Result<ExtraReport, String> {
    let (format, path) = spec
        .split_once(':')
        .filter(|(_, p)| !p.is_empty())
        .ok_or_else(|| format!("`{spec}`: write FORMAT:FILE, for example sarif:keyhound.sarif"))?;
    let format = FormatArg::from_str(format, true).map_err(|_| {
        format!("`{format}` is not a report format: use text, json, sarif or github")
    })?;
    Ok(ExtraReport {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", conflicts_with = "staged")]
    pub paths: Vec<PathBuf>,
    /// Scan what the next commit would contain (the index), only the lines
    /// it adds: the pre-commit hook's job.
    #[arg(long)]
    pub staged: bool,
    /// The repository for --staged (default: the one around the current directory).
    #[arg(long, value_name = "PATH", requires = "staged")]
    pub repo: Option<PathBuf>,
    /// With --staged: a staged file that cannot be read (its blob missing
    /// from the object store) is a warning, not exit code 2 ("this commit
    /// was not checked").
    #[arg(long, requires = "staged")]
    pub fail_open: bool,
    /// Also scan files that .gitignore and .ignore exclude (.keyhoundignore still applies).
    #[arg(long)]
    pub no_ignore: bool,
    /// The file standard input (`-`) holds, as a path from the
    /// repository's root, e.g. `.pgpass` or `config/master.key`: rules and
    /// allowlists that go by path apply as to that file, and reports name
    /// it (default: `<stdin>`).
    #[arg(long, value_name = "NAME", conflicts_with = "staged")]
    pub stdin_name: Option<String>,
    /// Worker threads (default: one per CPU; at most 256).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0, hide_default_value = true,
          value_parser = clap::value_parser!(u16).range(0..=256))]
    pub threads: u16,
    /// Binary files larger than this are skipped; text files are scanned
    /// whatever their size (e.g. 500KB, 10MB, 1GB; units of 1024).
    #[arg(long, value_name = "SIZE", default_value = "10MB")]
    pub max_file_size: String,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Args)]
pub struct GitArgs {
    /// The repository (default: the one around the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Scan the commits reachable from HEAD and not from BASE: the lines
    /// each one adds (a pull request: `origin/main..HEAD`).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["since_commit", "all"])]
    pub range: Option<String>,
    /// Shorthand for --range REV..HEAD.
    #[arg(long, value_name = "REV", conflicts_with = "all")]
    pub since_commit: Option<String>,
    /// Scan every commit of every ref, each blob once (the default).
    #[arg(long)]
    pub all: bool,
    /// Run as a server repository's pre-receive hook: read Git's
    /// `<old> <new> <ref>` lines from standard input and scan the commits
    /// the push makes new to the repository (reachable from no existing
    /// ref), the lines each adds, reading the pushed objects from Git's
    /// quarantine. Exits non-zero, so Git rejects the push, on a finding.
    /// Installed by `keyhound hook install --pre-receive`.
    #[arg(long, conflicts_with_all = ["range", "since_commit", "all"])]
    pub pre_receive: bool,
    /// Binary blobs larger than this are skipped; text blobs are scanned
    /// whatever their size (e.g. 500KB, 10MB, 1GB; units of 1024).
    #[arg(long, value_name = "SIZE", default_value = "10MB")]
    pub max_file_size: String,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// What `keyhound purge --help` ends with.
const PURGE_AFTER_HELP: &str = "\
Typical use:
  keyhound purge                     # audit, write the file, print the steps
  git clone --mirror URL repo.git && cd repo.git
  git filter-repo --replace-text /path/to/repo/.git/keyhound-purge.txt --replace-refs delete-no-add
  keyhound purge --check /path/to/repo/.git/keyhound-purge.txt --repo .
  git push --force --mirror URL

The file holds the raw secrets (one per line, `SECRET==>***REMOVED-<rule-id>***`): \
it is created readable by you only (mode 0600), never printed, and never \
overwritten without --force. Delete it when you are done.

Exit codes: without --check, 0 nothing to purge, 1 secrets found (file \
written), 2 error or an incomplete audit that found nothing. With --check, 0 \
none of the listed secrets is left, 1 one is left, 2 error or an incomplete \
check.";

#[derive(Args)]
pub struct PurgeArgs {
    /// The repository (default: the one around the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Where to write the replacement file (default: keyhound-purge.txt in
    /// the repository's Git directory, which is never committed). Blob ids
    /// to strip, when there are any, go to FILE.blobs.
    #[arg(short, long, value_name = "FILE", conflicts_with = "check")]
    pub output: Option<PathBuf>,
    /// Replace an existing replacement file (and FILE.blobs).
    #[arg(long, conflicts_with = "check")]
    pub force: bool,
    /// After the rewrite: search every blob of every ref for each value
    /// FILE lists (recognised by a rule or not), and for the blobs
    /// FILE.blobs lists; name the refs, commits and paths that still hold
    /// one.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// Config file.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    pub config: Option<PathBuf>,
    /// Purge only secrets at least this sure (as `keyhound git`; default:
    /// the config's `min-confidence`, else medium).
    #[arg(long, value_enum, value_name = "LEVEL", conflicts_with = "check")]
    pub min_confidence: Option<ConfidenceArg>,
    /// Binary blobs larger than this are skipped by the audit (e.g. 500KB,
    /// 10MB, 1GB; units of 1024).
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "10MB",
        conflicts_with = "check"
    )]
    pub max_file_size: String,
    /// Never show a progress display.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Subcommand)]
pub enum HookCommand {
    /// Write keyhound's pre-commit hook into the repository, or with
    /// --pre-receive its pre-receive hook into a server repository (an
    /// existing hook is kept and chained, unless --force).
    Install {
        /// The repository (default: the one around the current directory);
        /// a bare server repository's directory (BARE.git) with --pre-receive.
        #[arg(long, value_name = "PATH")]
        repo: Option<PathBuf>,
        /// Replace an existing hook instead of chaining it.
        #[arg(long)]
        force: bool,
        /// Install the server-side guard: a pre-receive hook that rejects a
        /// push whose new commits add a secret (`keyhound git --pre-receive`).
        #[arg(long)]
        pre_receive: bool,
        /// With --pre-receive: the config file the hook reads (kept by the
        /// server's administrators; its absolute path is written into the
        /// hook). Default: the repository's .keyhound.toml as its default
        /// branch holds it.
        #[arg(long, value_name = "FILE", requires = "pre_receive")]
        config: Option<PathBuf>,
    },
    /// Remove what `hook install` wrote (and restore a chained hook).
    Uninstall {
        /// The repository (default: the one around the current directory).
        #[arg(long, value_name = "PATH")]
        repo: Option<PathBuf>,
        /// Remove the pre-receive hook instead of the pre-commit hook.
        #[arg(long)]
        pre_receive: bool,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// List the rules in effect (built-in plus config).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormatArg,
        /// Config file whose rules to list too (default: .keyhound.toml in
        /// the current directory or above it).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Check every rule: compiles, examples found, negative examples not.
    Check {
        /// Config file whose rules to check too.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Parses arguments and runs the command; returns the exit code.
pub fn run() -> Result<u8> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return Ok(code);
        }
    };
    // Settings that would fail after a long scan are checked first.
    match &cli.command {
        Command::Scan(args) => output::check_verify_args(&args.report.verify)?,
        Command::Git(args) => output::check_verify_args(&args.report.verify)?,
        _ => {}
    }
    match cli.command {
        Command::Scan(args) if args.staged => git_cmd::staged(args),
        Command::Scan(args) => scan_cmd::run(args),
        Command::Git(args) => git_cmd::git(args),
        Command::Purge(args) => purge_cmd::run(args),
        Command::Hook(cmd) => hook_cmd::run(cmd),
        Command::Rules(RulesCommand::List { format, config }) => {
            rules_cmd::list(format, config.as_deref())
        }
        Command::Rules(RulesCommand::Check { config }) => rules_cmd::check(config.as_deref()),
        Command::Explain { rule_id, config } => explain_cmd::explain(&rule_id, config.as_deref()),
    }
}

/// True when the error chain ends in a closed pipe (`keyhound scan | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                e.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            })
            == Some(std::io::ErrorKind::BrokenPipe)
    })
}
