//! What a text report says when keyhound stops a change before it lands:
//! a commit the pre-commit hook blocked (`scan --staged`), a push the
//! pre-receive hook rejected (`git --pre-receive`). How to fix it, when
//! to rotate the key anyway, and how to let a reviewed false positive
//! through (the fingerprints to accept, spelled out where the check reads
//! them).

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::escape::escape;
use super::origin::short;
use super::text::Paint;
use crate::config::{CONFIG_FILE, InUse};
use crate::findings::Outcome;

/// Where accepted fingerprints go, as TOML to paste as shown: the
/// `[allowlist]` table with its `fingerprints` list when the config has no
/// such table (or there is no config), the `fingerprints` line for the table
/// it has, or the entries for the list it has.
/// `name` is the file as the reader should look for it.
fn write_accept_lines(
    out: &mut dyn Write,
    config: Option<&InUse>,
    fingerprints: &BTreeSet<String>,
    name: &str,
) -> io::Result<()> {
    let list = fingerprints.iter().cloned().collect::<Vec<_>>().join(", ");
    match config {
        Some(c) if c.fingerprints_list => {
            writeln!(
                out,
                "  - these entries, added to the `fingerprints` list of the [allowlist] table in {name}:"
            )?;
            writeln!(out, "        {list},")
        }
        Some(c) if c.allowlist_table => {
            writeln!(
                out,
                "  - this line, added to the [allowlist] table {name} already has:"
            )?;
            writeln!(out, "        fingerprints = [{list}]")
        }
        _ => {
            writeln!(out, "  - these lines, added to {name}:")?;
            writeln!(out, "        [allowlist]")?;
            writeln!(out, "        fingerprints = [{list}]")
        }
    }
}

/// The findings' fingerprints, quoted as TOML strings.
fn fingerprints(outcome: &Outcome) -> BTreeSet<String> {
    outcome
        .findings
        .iter()
        .map(|f| format!("\"{}\"", escape(&f.fingerprint)))
        .collect()
}

/// How to replace the leaked key, for the findings' kind.
fn revoke(outcome: &Outcome) -> &'static str {
    let binance = outcome
        .findings
        .iter()
        .any(|f| f.tags.iter().any(|t| t == "binance"));
    if binance {
        "delete it in Binance API Management and create a new one"
    } else {
        "revoke it where it was issued and create a new one"
    }
}

/// For `scan --staged`, the pre-commit check: the commit was stopped, so
/// nothing has leaked through it. How to fix it, when to rotate the key
/// anyway, how to let a false positive through (the fingerprints to accept
/// spelled out), and the bypass. Under the pre-commit framework this text
/// is all a blocked user sees.
pub(super) fn write_unblock_steps(
    out: &mut dyn Write,
    outcome: &Outcome,
    p: &Paint,
) -> io::Result<()> {
    let revoke = revoke(outcome);
    let headline = "keyhound blocked this commit: the staged changes add the secret(s) above. \
                    Nothing has been committed or pushed.";
    writeln!(out, "{}", p.wrap("1", headline))?;
    writeln!(out, "To fix it:")?;
    writeln!(
        out,
        "  1. Take the secret out of the file; read it from an environment variable or a secrets manager instead."
    )?;
    writeln!(
        out,
        "  2. `git add` the file again, and commit. A file that holds only secrets (a `.env`): \
         `git rm --cached` it and add its name to .gitignore instead."
    )?;
    writeln!(
        out,
        "Rotate the key anyway if it was ever pushed, shared, or pasted anywhere else: {revoke}. A blocked commit does not undo that."
    )?;
    writeln!(out, "A false positive? Any one of:")?;
    writeln!(out, "  - a `keyhound:allow` comment on that line;")?;
    let name = outcome.config.as_ref().map_or_else(
        || format!("{CONFIG_FILE} (a new file at the top of the repository)"),
        |c| escape(&c.name).into_owned(),
    );
    write_accept_lines(out, outcome.config.as_ref(), &fingerprints(outcome), &name)?;
    writeln!(out, "  - the path in .keyhoundignore.")?;
    let config = outcome
        .config
        .as_ref()
        .map_or(CONFIG_FILE.into(), |c| escape(&c.name));
    writeln!(
        out,
        "Then stage the file you edited (`git add {config}` or `git add .keyhoundignore`): the check reads them from the index, as the commit will have them, and your team and CI need them too."
    )?;
    writeln!(
        out,
        "Last resort: `git commit --no-verify` skips every pre-commit check."
    )
}

/// For `git --pre-receive`, the server's guard: the push was rejected, so
/// nothing of it landed. How to take the secret out of the commit that
/// added it (amend, or an interactive rebase; a later commit deleting it
/// is not enough), when to rotate the key anyway, and how to let a false
/// positive through: a `keyhound:allow` comment, or its fingerprint where
/// the server reads its config (`--config` in the installed hook, which
/// only the server's administrators change; else `.keyhound.toml` on the
/// repository's default branch, as the server has it before the push).
/// The pusher sees this as Git's `remote:` lines.
pub(super) fn write_reject_steps(
    out: &mut dyn Write,
    outcome: &Outcome,
    p: &Paint,
) -> io::Result<()> {
    let commits: BTreeSet<&str> = outcome
        .findings
        .iter()
        .filter_map(|f| f.provenance.as_ref().map(|c| short(&c.commit)))
        .collect();
    let commit = match commits.iter().next() {
        Some(c) if commits.len() == 1 => c.to_string(),
        _ => "<commit>".to_string(),
    };
    let headline = "keyhound rejected this push: its new commits add the secret(s) above. \
                    Nothing of it landed: the server's refs are unchanged and the pushed objects are discarded.";
    writeln!(out, "{}", p.wrap("1", headline))?;
    writeln!(
        out,
        "To fix it, take the secret out of the commit that added it (a later commit that deletes it is not enough: the push would still carry it):"
    )?;
    writeln!(
        out,
        "  1. Edit the file: read the secret from an environment variable or a secrets manager instead. A file that holds only secrets (a `.env`): `git rm --cached` it and add its name to .gitignore."
    )?;
    writeln!(
        out,
        "  2. The branch's last commit: `git add` the file and `git commit --amend`. An older commit: `git rebase -i {commit}^`, mark {commit} `edit`, change the file, `git add` it, `git commit --amend`, `git rebase --continue`."
    )?;
    writeln!(out, "  3. Push again.")?;
    writeln!(
        out,
        "Rotate the key anyway if the commit was pushed anywhere else, shared, or pasted elsewhere: {}. A rejected push does not undo that.",
        revoke(outcome)
    )?;
    writeln!(out, "A false positive? Any one of:")?;
    writeln!(
        out,
        "  - a `keyhound:allow` comment on that line, amended into the commit as above;"
    )?;
    let server_file = outcome
        .config
        .as_ref()
        .filter(|c| c.name != CONFIG_FILE)
        .map(|c| escape(&c.name).into_owned());
    match &server_file {
        Some(name) => {
            let name = format!("{name}, the server's config (ask its administrators)");
            write_accept_lines(out, outcome.config.as_ref(), &fingerprints(outcome), &name)
        }
        None => {
            let name = format!(
                "{CONFIG_FILE} at the top of the default branch{}",
                if outcome.config.is_none() {
                    " (a new file)"
                } else {
                    ""
                }
            );
            write_accept_lines(out, outcome.config.as_ref(), &fingerprints(outcome), &name)?;
            writeln!(
                out,
                "    The server reads {CONFIG_FILE} (and .keyhoundignore) from its default branch as it was before this push: push that change, reviewed, to the default branch first, then push again."
            )
        }
    }
}
