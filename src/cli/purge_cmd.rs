//! `keyhound purge`: the history rewrite plan, and `--check` after it.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use gix::ObjectId;

use super::git_cmd::setup_audit;
use super::output::{print_notes, scan_output_with};
use super::progress::Progress;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, PurgeArgs};
use keyhound::findings::Finding;
use keyhound::purge::procedure::{self, Context as Steps, shell_quote};
use keyhound::purge::walk::Walk;
use keyhound::purge::{self as purge, check, expressions, plan};
use keyhound::reports::escape::escape;
use keyhound::scan::Counters;
use keyhound::sources::git;

/// `keyhound purge`.
pub fn run(args: PurgeArgs) -> Result<u8> {
    match args.check.clone() {
        Some(file) => run_check(&args, &file),
        None => run_plan(&args),
    }
}

/// Refuses to go on when `path` exists (a file, or a symlink to anything)
/// and `--force` was not given.
fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if !force && std::fs::symlink_metadata(path).is_ok() {
        bail!(
            "{} already exists; keyhound does not overwrite it (it may hold the secrets of an earlier run): delete it, choose another file with -o FILE, or pass --force",
            path.display()
        );
    }
    Ok(())
}

/// `origin`'s URL without a user name or password (`https://u:t@host/x`
/// becomes `https://host/x`), as a shell word.
fn origin_url(repo: &git2::Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url().ok()?.to_string();
    let clean = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let host_end = rest.find('/').unwrap_or(rest.len());
            match rest[..host_end].rfind('@') {
                Some(at) => format!("{}{}", &url[..i + 3], &rest[at + 1..]),
                None => url.clone(),
            }
        }
        None => url.clone(),
    };
    Some(clean)
}

/// The mirror clone's name: the URL's last segment, else the repository
/// directory's name, ending in `.git`.
fn mirror_name(url: Option<&str>, repo: &git2::Repository) -> String {
    let from_url = url.and_then(|u| {
        let u = u.trim_end_matches('/');
        let last = u.rsplit(['/', ':']).next()?;
        let base = last.strip_suffix(".git").unwrap_or(last);
        (!base.is_empty()).then(|| base.to_string())
    });
    let base = from_url.unwrap_or_else(|| {
        let root = git::root(repo);
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "repository".to_string());
        name.strip_suffix(".git").unwrap_or(&name).to_string()
    });
    format!("{base}.git")
}

/// `path` made absolute (the commands run in another directory), as a
/// shell word.
fn shown(path: &Path) -> String {
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    shell_quote(&abs.to_string_lossy())
}

/// The secrets, one line each (rule, redacted value, paths, first
/// commit, refs that still hold it).
fn write_secrets(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    const SHOWN: usize = 20;
    for f in findings.iter().take(SHOWN) {
        let commit = f
            .introduced
            .as_ref()
            .and_then(|i| i.commit.as_deref())
            .map(|c| format!(", introduced in {}", &c[..c.len().min(12)]))
            .unwrap_or_default();
        let live = match f.live_in.as_deref() {
            Some([]) | None => ", in history only".to_string(),
            Some(refs) => {
                let names: Vec<_> = refs.iter().map(|r| escape(r)).collect();
                format!(", still in {}", names.join(", "))
            }
        };
        writeln!(
            out,
            "  {} ({}): {}{commit}{live}",
            escape(&f.rule_id),
            escape(&f.secret),
            escape(&f.path)
        )?;
    }
    if findings.len() > SHOWN {
        writeln!(
            out,
            "  and {} more (`keyhound git --all` lists them all)",
            findings.len() - SHOWN
        )?;
    }
    Ok(())
}

fn run_plan(args: &PurgeArgs) -> Result<u8> {
    let s = setup_audit(
        args.repo.as_ref(),
        args.config.as_deref(),
        |loaded| scan_output_with(args.min_confidence, false, loaded),
        &args.max_file_size,
    )?;
    refuse_shallow(&s.repo)?;
    let git_dir = s.repo.path().to_path_buf();
    let file = args
        .output
        .clone()
        .unwrap_or_else(|| git_dir.join(purge::DEFAULT_FILE));
    let blobs = purge::blobs_file(&file);
    // Settled before the audit, which can take minutes.
    refuse_existing(&file, args.force)?;
    refuse_existing(&blobs, args.force)?;
    let counters = Arc::new(Counters::default());
    let progress = Progress::start(counters.clone(), !args.no_progress);
    let mut outcome = keyhound::scan::history::scan_history(
        &s.engine,
        &git_dir,
        &s.output,
        s.ignore.as_ref(),
        s.max_file_size,
        &counters,
    )?;
    progress.finish();
    keyhound::scan::changes::account(&s.repo, &mut outcome);
    outcome.config = s.config.clone();
    let summary = keyhound::reports::text::summary_line(&outcome, io::stderr().is_terminal());
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if outcome.findings.is_empty() {
        writeln!(
            out,
            "keyhound purge: the full-history audit found no secret in any commit of any ref: nothing to purge, no file written."
        )?;
        out.flush()?;
        print_notes(&outcome.notes);
        eprintln!("{summary}");
        return Ok(if outcome.stats.complete {
            EXIT_CLEAN
        } else {
            EXIT_ERROR
        });
    }
    if !outcome.stats.complete {
        print_notes(&outcome.notes);
        eprintln!("{summary}");
        bail!(
            "the audit could not read every blob (a partial clone, or objects missing), so the replacement file would miss secrets; nothing was written. Fetch every object first (`git fetch --refetch origin`, and `git fetch --refetch --tags origin`), then run keyhound purge again"
        );
    }
    let walk = Walk::open(&git_dir).context("cannot read the history again")?;
    let p = plan::plan(&s.engine, &walk, &outcome.findings);
    if p.entries.is_empty() && p.strip.is_empty() {
        bail!(
            "the secrets the audit found could not be read again from any blob; nothing was written"
        );
    }
    // Written even when empty (every secret is in a blob to strip): the
    // steps name it, and --check reads it.
    plan::write_private(&file, &p.file(), args.force)
        .with_context(|| format!("cannot create {}", file.display()))?;
    let blob_ids = p.blob_ids();
    if !blob_ids.is_empty() {
        plan::write_private(&blobs, &blob_ids, args.force)
            .with_context(|| format!("cannot create {}", blobs.display()))?;
    } else if args.force {
        // A list left by an earlier run would be read by --check.
        let _ = std::fs::remove_file(&blobs);
    }
    let n = outcome.findings.len();
    writeln!(
        out,
        "keyhound purge: the full-history audit found {n} secret{} in {} ({} commits, {} refs):",
        if n == 1 { "" } else { "s" },
        escape(
            git::root(&s.repo)
                .display()
                .to_string()
                .trim_end_matches('/')
        ),
        walk.commit_count(),
        walk.ref_names().count(),
    )?;
    write_secrets(&mut out, &outcome.findings)?;
    writeln!(out)?;
    writeln!(
        out,
        "Wrote the replacement file {}: {} line{}, readable by you only (mode 0600). It holds the secrets themselves, one per line, as git filter-repo and BFG read them: keyhound never prints it; never commit, share or paste it, and delete it when you are done (last step).",
        shown(&file),
        p.entries.len(),
        if p.entries.len() == 1 { "" } else { "s" },
    )?;
    let ids = p
        .strip
        .iter()
        .map(|x| x.blob)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if ids > 0 {
        writeln!(
            out,
            "Wrote {}: {ids} blob id{} to strip (versions of files a text replacement cannot clean).",
            shown(&blobs),
            if ids == 1 { "" } else { "s" },
        )?;
    }
    for (rule, path) in &p.not_found {
        writeln!(
            out,
            "Not listed: the {} secret at {} could not be read again: remove it by hand.",
            escape(rule),
            escape(path)
        )?;
    }
    let url = origin_url(&s.repo);
    let steps = Steps {
        findings: &outcome.findings,
        rules: s.engine.rules(),
        plan: &p,
        file: shown(&file),
        blobs_file: (ids > 0).then(|| shown(&blobs)),
        url: url.as_deref().map(shell_quote),
        mirror: shell_quote(&mirror_name(url.as_deref(), &s.repo)),
        refs: walk.ref_names().map(str::to_string).collect(),
    };
    procedure::write(&mut out, &steps)?;
    out.flush()?;
    print_notes(&outcome.notes);
    if !p.missing.is_empty() {
        eprintln!(
            "keyhound: {} blob{} could not be read again: what {} hold is not in the file",
            p.missing.len(),
            if p.missing.len() == 1 { "" } else { "s" },
            if p.missing.len() == 1 {
                "it may"
            } else {
                "they may"
            }
        );
    }
    eprintln!("{summary}");
    Ok(EXIT_FINDINGS)
}

/// Reads the blob ids of a `.blobs` file (one 40-hex id per line).
fn read_blob_ids(path: &Path) -> Result<Vec<ObjectId>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            ObjectId::from_hex(l.as_bytes()).with_context(|| {
                format!(
                    "{}: line {} is not a blob id (40 hexadecimal digits)",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// A shallow clone lacks the commits past its boundary: a plan made there
/// would miss the older secrets, and a check could not see them.
fn refuse_shallow(repo: &git2::Repository) -> Result<()> {
    if repo.is_shallow() {
        bail!(
            "this clone is shallow: the commits before its boundary are not here, so older secrets would be missed; run `git fetch --unshallow` (for a partial clone also `git fetch --refetch origin`), then run keyhound purge again"
        );
    }
    Ok(())
}

fn run_check(args: &PurgeArgs, file: &PathBuf) -> Result<u8> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // The list of blobs to strip, given in place of the replacement file,
    // would be read as values no blob holds: a check that proves nothing.
    let ids = || {
        text.split(|&b| b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
            .all(|l| l.trim_ascii().len() == 40 && l.trim_ascii().iter().all(u8::is_ascii_hexdigit))
    };
    if !text.trim_ascii().is_empty() && ids() {
        bail!(
            "{} is a list of blob ids (the .blobs file), not a replacement file: pass the replacement file (its .blobs list is read from beside it)",
            file.display()
        );
    }
    let blobs = purge::blobs_file(file);
    let strip = if blobs.exists() {
        read_blob_ids(&blobs)?
    } else {
        Vec::new()
    };
    let exprs = match expressions::parse(&text) {
        // Every secret was in a blob to strip.
        Err(expressions::ParseError::Empty) if !strip.is_empty() => Vec::new(),
        parsed => parsed.with_context(|| {
            format!(
                "{} is not a replacement file keyhound can check",
                file.display()
            )
        })?,
    };
    let repo = git::open_env(args.repo.as_deref())?;
    refuse_shallow(&repo)?;
    let walk = Walk::open(repo.path()).context("cannot read the history")?;
    let checked = check::check(&walk, &exprs, &strip)
        .with_context(|| format!("{}: a regex: line does not compile", file.display()))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    check::write(&mut out, &checked, &shown(file))?;
    out.flush()?;
    if !checked.missing.is_empty() {
        eprintln!(
            "keyhound: check incomplete: {} object{} could not be read (a partial or damaged clone): what they hold was not searched; check a full clone",
            checked.missing.len(),
            if checked.missing.len() == 1 { "" } else { "s" }
        );
        print_notes(&checked.missing.iter().take(5).cloned().collect::<Vec<_>>());
    }
    Ok(if checked.dirty() {
        EXIT_FINDINGS
    } else if checked.missing.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    })
}
