//! The steps `keyhound purge` prints: only those that fit what the audit
//! found, in the order they must be taken. Rotation comes first because a
//! rewrite does not un-leak anything; the rest follows git-filter-repo's
//! manual ("SENSITIVE DATA REMOVAL": a fresh clone, rewrite, check, push
//! every ref, what the host keeps, re-clone) and BFG's usage (a `--mirror`
//! clone, `reflog expire` and `gc` after).

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::plan::{BFG_SIZE_THRESHOLD, Plan, Why};
use crate::findings::{Finding, LinesAt};
use crate::reports::BINANCE_PLAYBOOK;
use crate::reports::escape::escape;
use crate::rules::RuleSet;

/// What the procedure is written for.
pub struct Context<'a> {
    /// The audit's findings: the secrets to purge.
    pub findings: &'a [Finding],
    pub rules: &'a RuleSet,
    pub plan: &'a Plan,
    /// The replacement file and the blob-id file, shell-quoted.
    pub file: String,
    pub blobs_file: Option<String>,
    /// The repository's `origin` URL without credentials, shell-quoted.
    pub url: Option<String>,
    /// The mirror clone's directory name (`bot.git`), shell-quoted.
    pub mirror: String,
    /// The repository's named tips (full ref names, `stash@{N}`...).
    pub refs: Vec<String>,
}

/// `word` as one shell word: as it is when it holds only characters no
/// shell treats specially, else in single quotes (a quote inside as
/// `'\''`). Control characters are escaped afterwards for the terminal.
/// `path` as a `.gitignore` pattern that matches it alone: the glob
/// characters `*`, `?`, `[` and a backslash escaped (gitignore(5)).
fn ignore_pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:@%+=,-".contains(&b));
    let quoted = if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    };
    escape(&quoted).into_owned()
}

/// A file that holds only secrets, which is stopped from being tracked
/// rather than edited: `.env` and its variants (not the samples), key
/// files, and credential files (rules tagged `credential-file`).
fn secrets_file(path: &str, tags: &[String]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let sample = ["example", "sample", "template", "dist", "default"]
        .iter()
        .any(|s| lower.contains(s));
    let env = lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env");
    let key = [".pem", ".key", ".p12", ".pfx", ".ppk", ".jks", ".keystore"]
        .iter()
        .any(|e| lower.ends_with(e))
        || ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(&lower.as_str());
    (env && !sample) || key || tags.iter().any(|t| t == "credential-file")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes the steps.
pub fn write(out: &mut dyn Write, c: &Context<'_>) -> io::Result<()> {
    let f = c.findings;
    let has_tag = |tag: &str| f.iter().any(|x| x.tags.iter().any(|t| t == tag));
    let url = c.url.clone().unwrap_or_else(|| "URL".to_string());
    let mut step = 0;
    let mut next = |out: &mut dyn Write, title: &str| -> io::Result<()> {
        step += 1;
        writeln!(out)?;
        writeln!(out, "{step}. {title}")
    };

    next(
        out,
        "Rotate first. Rewriting history does not un-leak anything: every clone, fork and cache made since the push keeps the secrets, and bots scrape public pushes within minutes. Revoke each secret where it was issued before anything else:",
    )?;
    if has_tag("binance") {
        for s in &BINANCE_PLAYBOOK[..3] {
            writeln!(out, "   - Binance: {s}")?;
        }
    }
    let mut seen = BTreeSet::new();
    for x in f {
        if x.tags.iter().any(|t| t == "binance") || !seen.insert(x.rule_id.as_str()) {
            continue;
        }
        let text = c
            .rules
            .get(&x.rule_id)
            .and_then(|r| r.spec.remediation.as_deref())
            .unwrap_or("revoke it where it was issued and replace it.");
        writeln!(out, "   - {}: {}", escape(&x.rule_id), escape(text.trim()))?;
    }

    // Files HEAD still holds secrets in.
    let mut at_head: Vec<&Finding> = f
        .iter()
        .filter(|x| x.lines_at == Some(LinesAt::Head))
        .collect();
    at_head.sort_by(|a, b| a.path.cmp(&b.path));
    at_head.dedup_by(|a, b| a.path == b.path);
    if !at_head.is_empty() {
        next(
            out,
            &format!(
                "Take the secrets out of the current files: HEAD still holds them in {}. In your working clone:",
                plural(at_head.len(), "file", "files")
            ),
        )?;
        let (files, code): (Vec<&Finding>, Vec<&Finding>) =
            at_head.iter().partition(|x| secrets_file(&x.path, &x.tags));
        for x in &files {
            let p = shell_quote(&x.path);
            writeln!(
                out,
                "   {} holds only secrets: stop tracking it and ignore it (the file stays on your disk):",
                escape(&x.path)
            )?;
            writeln!(out, "       git rm --cached {p}")?;
            // A `.gitignore` without a last line break would join the
            // new line to its last pattern; `/` anchors the path at the
            // top of the work tree.
            writeln!(
                out,
                "       printf '\\n%s\\n' {} >> .gitignore",
                shell_quote(&format!("/{}", ignore_pattern(&x.path)))
            )?;
        }
        for x in &code {
            writeln!(
                out,
                "   {}: read the secret from an environment variable or a secrets manager instead, and delete it from the file.",
                escape(&x.path)
            )?;
        }
        // Only the files named here: `git add -A` would also commit
        // untracked files, the new keys in a `.env.local` among them.
        let mut staged = vec![".gitignore".to_string()];
        staged.extend(code.iter().map(|x| shell_quote(&x.path)));
        if files.is_empty() {
            staged.remove(0);
        }
        writeln!(
            out,
            "       git add {} && git commit -m 'Remove leaked secrets' && git push",
            staged.join(" ")
        )?;
        writeln!(
            out,
            "   Stage only these files: adding everything would also commit untracked files, such as new keys in a `.env.local`."
        )?;
        writeln!(
            out,
            "   The rewrite below replaces what is left in every commit; this commit keeps the files working without the secrets."
        )?;
    }

    next(
        out,
        "Make a backup of every ref (it holds the secrets too: keep it private, delete it once the rewrite is verified):",
    )?;
    writeln!(out, "       git clone --mirror {url} backup-{}", c.mirror)?;
    if c.url.is_none() {
        writeln!(
            out,
            "   (URL: the repository's address on its hosting service; this repository has no `origin` remote.)"
        )?;
    }

    next(
        out,
        "Rewrite a fresh mirror clone with git filter-repo (`pip install git-filter-repo`), which replaces every listed value in every blob of every branch and tag:",
    )?;
    let strip = c
        .blobs_file
        .as_ref()
        .map(|b| format!(" --strip-blobs-with-ids {b}"))
        .unwrap_or_default();
    writeln!(out, "       git clone --mirror {url} {}", c.mirror)?;
    writeln!(out, "       cd {}", c.mirror)?;
    writeln!(
        out,
        "       git filter-repo --replace-text {}{strip} --replace-refs delete-no-add",
        c.file
    )?;
    writeln!(
        out,
        "   (--replace-refs delete-no-add: no refs/replace/* naming the old commits are left to push.)"
    )?;
    writeln!(
        out,
        "   Or with BFG Repo-Cleaner, which reads the same file (then expire the reflog and collect the old objects):"
    )?;
    let size = if c.plan.largest_text_blob >= BFG_SIZE_THRESHOLD {
        format!(
            " --filter-content-size-threshold {}",
            c.plan.largest_text_blob + 1
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "       java -jar bfg.jar --replace-text {}{strip}{size} {}",
        c.file, c.mirror
    )?;
    writeln!(
        out,
        "       cd {} && git reflog expire --expire=now --all && git gc --prune=now --aggressive",
        c.mirror
    )?;
    if !size.is_empty() {
        writeln!(
            out,
            "   (--filter-content-size-threshold: a file holding a secret is 1 MiB or larger, which BFG otherwise leaves as it is.)"
        )?;
    }
    if !at_head.is_empty() {
        writeln!(
            out,
            "   BFG leaves the files of the latest commit as they are: push the commit of step 2 before you clone."
        )?;
    }
    if has_tag("pem") {
        writeln!(
            out,
            "   Private keys span lines, and both tools match one line at a time: the file lists each line of a key body, so the BEGIN and END lines stay with ***REMOVED-…*** lines between them."
        )?;
        if c.plan.short_runs.iter().any(|r| {
            c.rules
                .get(r)
                .is_some_and(|r| r.spec.tags.iter().any(|t| t == "pem"))
        }) {
            writeln!(
                out,
                "   The last line of a key body shorter than 16 characters is left: it could match unrelated text, and without the other lines it is no key."
            )?;
        }
    }
    // Distinct names, escaped, joined.
    let listed = |names: BTreeSet<String>| names.into_iter().collect::<Vec<_>>().join(", ");
    let stripped = |why: Why| -> (usize, String) {
        let of: Vec<&str> = c
            .plan
            .strip
            .iter()
            .filter(|s| s.why == why)
            .map(|s| s.path.as_str())
            .collect();
        (
            of.len(),
            listed(of.iter().map(|p| escape(p).into_owned()).collect()),
        )
    };
    let (binary, names) = stripped(Why::Binary);
    if binary > 0 {
        writeln!(
            out,
            "   {} holding a secret {} binary ({names}): neither tool replaces text in binary files, so --strip-blobs-with-ids removes those versions of the file from history (git filter-repo then drops a commit left empty).",
            plural(binary, "version of a file", "versions of files"),
            if binary == 1 { "is" } else { "are" },
        )?;
    }
    let (unlistable, names) = stripped(Why::Unlistable);
    if unlistable > 0 {
        writeln!(
            out,
            "   A secret spread over lines too short to replace safely (a seed phrase one word per line) is in {names}: --strip-blobs-with-ids removes those versions of the file from history.",
        )?;
    }
    if !c.plan.short_values.is_empty() {
        let names = listed(
            c.plan
                .short_values
                .iter()
                .map(|(r, p)| format!("{} in {}", escape(r), escape(p)))
                .collect(),
        );
        writeln!(
            out,
            "   Short values are replaced wherever they appear, also where they are no secret ({names}): look at the file before the rewrite and take out a line that would change unrelated text.",
        )?;
    }

    next(out, "Check the rewritten clone before pushing anything:")?;
    let files = c
        .blobs_file
        .as_ref()
        .map(|_| " (and the blob ids beside it)")
        .unwrap_or_default();
    writeln!(out, "       keyhound purge --check {} --repo .", c.file)?;
    writeln!(out, "       keyhound git --all --repo .")?;
    writeln!(
        out,
        "   The first searches every blob of every ref for each value the file lists{files}, recognised by a rule or not, and exits 1 naming the refs and commits that still hold one; the second must no longer report these secrets."
    )?;

    next(
        out,
        "Force-push every ref, to the repository's address (recent versions of git filter-repo remove the `origin` remote so that nothing is pushed by mistake):",
    )?;
    writeln!(out, "       git push --force --mirror {url}")?;
    let tags: Vec<&String> = c
        .refs
        .iter()
        .filter(|r| r.starts_with("refs/tags/"))
        .collect();
    let branches = c
        .refs
        .iter()
        .filter(|r| r.starts_with("refs/heads/"))
        .count();
    writeln!(
        out,
        "   --mirror pushes every branch ({branches} here) and every tag{} and deletes on the server the refs the rewrite dropped; pushing one branch would leave the secrets in the others{}. GitHub refuses updates to its pull-request refs (`deny updating a hidden ref` for refs/pull/*): expected, see the next step.",
        if tags.is_empty() {
            String::new()
        } else {
            format!(
                " ({} here, rewritten: old tags point at old commits)",
                tags.len()
            )
        },
        if tags.is_empty() {
            ""
        } else {
            " and in the tags"
        }
    )?;

    next(
        out,
        "What the hosting service keeps, and everyone else's clones:",
    )?;
    writeln!(
        out,
        "   - Pull or merge requests keep refs to the old commits (refs/pull/* on GitHub, refs/merge-requests/* on GitLab) that no push can change, and the host caches commit pages and diffs: ask its support to remove them and to collect the unreachable objects, naming the repository and the old commits (GitHub: \"Removing sensitive data from a repository\")."
    )?;
    writeln!(
        out,
        "   - Forks and existing clones keep the secrets: ask fork owners to delete or re-fork, and every collaborator to re-clone. A pull or merge from an old clone brings the old commits back; never push from one."
    )?;
    if c.refs.iter().any(|r| r.starts_with("stash@{"))
        && f.iter()
            .any(|x| x.live_in.iter().flatten().any(|r| r.starts_with("stash@{")))
    {
        writeln!(
            out,
            "   - Your local stash holds a secret and is never pushed: drop it (`git stash drop`, `git stash clear`) before you re-clone."
        )?;
    }

    next(
        out,
        "Delete the files keyhound wrote: they hold the raw secrets.",
    )?;
    let also = c
        .blobs_file
        .as_ref()
        .map(|b| format!(" {b}"))
        .unwrap_or_default();
    writeln!(out, "       rm {}{also}", c.file)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_quote("/tmp/x.txt"), "/tmp/x.txt");
        assert_eq!(shell_quote("my file"), "'my file'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a$(b)"), "'a$(b)'");
        assert_eq!(shell_quote("a\x1bb"), r"'a\x1bb'");
    }

    #[test]
    fn files_of_secrets_are_told_from_code() {
        let none: Vec<String> = Vec::new();
        assert!(secrets_file(".env", &none));
        assert!(secrets_file("config/.env.production", &none));
        assert!(secrets_file("deploy/key.pem", &none));
        assert!(!secrets_file(".env.example", &none));
        assert!(!secrets_file("bot.py", &none));
        assert!(secrets_file(".netrc", &["credential-file".to_string()]));
    }
}
