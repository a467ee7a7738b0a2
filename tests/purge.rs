//! Issue 11: `keyhound purge`, the plan for a history rewrite, and
//! `keyhound purge --check`. The rewrite itself is done for real by
//! git-filter-repo (`.ci/run` installs it; `pip install git-filter-repo`),
//! over real repositories pushed to a real bare "server" over the local
//! file transport. Secrets are made at run time.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::git::{git, git_bytes};
use common::purge::*;
use common::*;

#[test]
fn issue11_purge_rewrite_with_filter_repo_as_printed_leaves_no_secret_and_every_other_byte() {
    let l = leaky();
    let before = snapshot(&l.server);
    let refs_before = refs(&l.server);
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("purge.txt");
    // `purge --check` of the file against the server's refs.
    let purge_check = || {
        run(
            &l.work,
            &[
                "purge",
                "--check",
                file.to_str().unwrap(),
                "--repo",
                l.server.to_str().unwrap(),
            ],
        )
    };
    let o = run(
        &l.work,
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    let (stdout, stderr) = (common::stdout(&o), common::stderr(&o));
    assert_eq!(code(&o), 1, "{stdout}\n{stderr}");
    // The file: owner-only, never shown.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    for s in &l.secrets {
        assert!(
            !leaks(&stdout, s) && !leaks(&stderr, s),
            "a secret reached the terminal:\n{stdout}\n{stderr}"
        );
    }
    let listed = std::fs::read(&file).unwrap();
    for form in &l.forms {
        assert!(
            contains(&listed, form),
            "not listed: {}",
            String::from_utf8_lossy(form)
        );
    }
    assert!(
        stdout.contains("mode 0600") && stdout.contains("delete it"),
        "{stdout}"
    );
    // The steps fit: tags, PEM keys; HEAD holds no secret (no step 2).
    assert!(
        stdout.contains("1 here, rewritten: old tags point at old commits"),
        "{stdout}"
    );
    assert!(stdout.contains("Private keys span lines"), "{stdout}");
    assert!(!stdout.contains("git rm --cached"), "{stdout}");
    let canonical = std::fs::canonicalize(&file).unwrap();
    assert!(
        stdout.contains(&format!(
            "git filter-repo --replace-text {}",
            canonical.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("git clone --mirror {}", l.server.display())),
        "{stdout}"
    );

    // Before the rewrite the check fails, naming refs, commits and paths.
    let o = purge_check();
    let check = common::stdout(&o);
    assert_eq!(code(&o), 1, "{check}");
    for name in [
        "refs/tags/v1.0",
        "refs/heads/feature",
        "refs/heads/main",
        ".env",
        "bot.py",
        "deploy/id_rsa.pem",
        "k8s/secret.yaml",
        "settings.json",
    ] {
        assert!(check.contains(name), "{name} not named:\n{check}");
    }
    for s in &l.secrets {
        assert!(!leaks(&check, s), "{check}");
    }

    // The printed procedure, run as printed: backup, mirror clone,
    // git filter-repo, both checks, force-push of every ref.
    let commands = filter_repo_commands(&stdout);
    assert!(
        commands.iter().any(|c| c.starts_with("git filter-repo")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("git push --force --mirror ")),
        "{commands:?}"
    );
    let scratch = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .args(["-ec", &commands.join("\n")])
        .current_dir(scratch.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the procedure failed:\n{}\n{}\n{}",
        commands.join("\n"),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    // The server now: no secret in any blob of any ref, every other byte
    // of every file of every commit as it was, the same refs, the tag
    // still annotated with its message.
    let after = snapshot(&l.server);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (key, old) in &before {
        let new = &after[key];
        for form in &l.forms {
            assert!(!contains(new, form), "{key:?} still holds a secret");
        }
        assert_eq!(
            masked(old, &l.forms),
            masked(new, &l.forms),
            "{key:?} changed beyond its secrets"
        );
    }
    assert_eq!(refs(&l.server), refs_before);
    let env = &after[&("first config".to_string(), ".env".to_string())];
    assert_eq!(
        String::from_utf8_lossy(env),
        "BINANCE_API_KEY=***REMOVED-binance-api-key***\nBINANCE_API_SECRET=***REMOVED-binance-secret-key***\nLOG_LEVEL=info\n"
    );
    let o = purge_check();
    assert_eq!(code(&o), 0, "{}", common::stdout(&o));
    let o = run(
        &l.work,
        &[
            "git",
            "--all",
            "--repo",
            l.server.to_str().unwrap(),
            "--format",
            "json",
            "--no-progress",
        ],
    );
    assert_eq!(code(&o), 0, "{}", common::stdout(&o));
}

#[test]
fn issue11_purge_refuses_to_overwrite_the_replacement_file() {
    let l = leaky();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    std::fs::write(&file, "kept\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(
        &l.work,
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains("--force"),
        "{}",
        common::stderr(&o)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"kept\n");
    // A symlink is not followed either.
    let link = dir.path().join("link.txt");
    let target = dir.path().join("target.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = run(
        &l.work,
        &["purge", "--no-progress", "-o", link.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(!target.exists());
    // --force replaces it with a new file, owner-only.
    let o = run(
        &l.work,
        &[
            "purge",
            "--no-progress",
            "--force",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1, "{}", common::stderr(&o));
    assert_ne!(std::fs::read(&file).unwrap(), b"kept\n");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The default file is in the Git directory, out of the work tree.
    let o = run(&l.work, &["purge", "--no-progress"]);
    assert_eq!(code(&o), 1);
    let default = l.work.join(".git/keyhound-purge.txt");
    assert_eq!(
        std::fs::metadata(&default).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(git(&l.work, &["status", "--porcelain"]).is_empty());
}

#[test]
fn issue11_purge_nothing_found_says_so_and_writes_no_file() {
    let mut r = common::git::Repo::new();
    r.commit_files(&[("README.md", "# nothing secret\n")], "docs");
    let o = run(r.path(), &["purge", "--no-progress"]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    assert!(
        common::stdout(&o).contains("nothing to purge"),
        "{}",
        common::stdout(&o)
    );
    assert!(!r.path().join(".git/keyhound-purge.txt").exists());
}

#[test]
fn issue11_purge_steps_fit_a_tracked_env_file_and_no_tags() {
    let mut r = common::git::Repo::new();
    let key = binance_key("purge-env-key");
    let secret = binance_key("purge-env-secret");
    r.commit_files(
        &[(
            "config/.env",
            &format!("BINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"),
        )],
        "env",
    );
    let o = run(r.path(), &["purge", "--no-progress"]);
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}");
    assert!(stdout.contains("git rm --cached config/.env"), "{stdout}");
    assert!(
        stdout.contains("printf '\\n%s\\n' /config/.env >> .gitignore"),
        "{stdout}"
    );
    // Only the files named are staged: new keys in an untracked file stay
    // out of the commit (trial defect: `git add -A`).
    assert!(
        stdout.contains("git add .gitignore && git commit"),
        "{stdout}"
    );
    assert!(!stdout.contains("git add -A"), "{stdout}");
    assert!(
        stdout.contains("Delete the exposed API key now: Binance > Account > API Management"),
        "{stdout}"
    );
    // Steps in order: rotate, current files, backup, rewrite, check, push.
    let at = |s: &str| {
        stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{stdout}"))
    };
    assert!(at("1. Rotate first") < at("2. Take the secrets out"));
    assert!(at("2. Take the secrets out") < at("3. Make a backup"));
    assert!(at("3. Make a backup") < at("4. Rewrite"));
    assert!(at("4. Rewrite") < at("5. Check"));
    assert!(at("5. Check") < at("6. Force-push"));
    assert!(
        !stdout.contains("old tags point at old commits"),
        "{stdout}"
    );
    assert!(!stdout.contains("Private keys span lines"), "{stdout}");
    assert!(!stdout.contains("--strip-blobs-with-ids"), "{stdout}");
    assert!(!leaks(&stdout, &key) && !leaks(&stdout, &secret));
}

#[test]
fn issue11_purge_check_finds_a_listed_secret_no_rule_recognises() {
    // After a rewrite that missed a copy, the value may sit where no rule
    // looks (no keyword, no name): it is still a leak.
    let mut r = common::git::Repo::new();
    let value = binance_key("purge-plain-value");
    r.commit_files(
        &[("notes/todo.txt", &format!("call {value} tomorrow\n"))],
        "notes",
    );
    r.commit_files(&[("README.md", "# x\n")], "readme");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    std::fs::write(&file, format!("{value}==>***REMOVED-binance-api-key***\n")).unwrap();
    let o = run(r.path(), &["scan", "notes", "--format", "json"]);
    assert_eq!(
        code(&o),
        0,
        "no rule should recognise it: {}",
        common::stdout(&o)
    );
    let o = run(r.path(), &["purge", "--check", file.to_str().unwrap()]);
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}");
    assert!(
        stdout.contains("notes/todo.txt") && stdout.contains("refs/heads/"),
        "{stdout}"
    );
    assert!(!leaks(&stdout, &value), "{stdout}");
    // A file that lists nothing, or cannot be read, is an error.
    std::fs::write(&file, "\n").unwrap();
    assert_eq!(
        code(&run(
            r.path(),
            &["purge", "--check", file.to_str().unwrap()]
        )),
        2
    );
    let missing = dir.path().join("missing.txt");
    assert_eq!(
        code(&run(
            r.path(),
            &["purge", "--check", missing.to_str().unwrap()]
        )),
        2
    );
}

#[test]
fn issue11_purge_strips_binary_blobs_by_id() {
    // A UTF-16 `.env` (as PowerShell writes it) holds NUL bytes: neither
    // tool replaces text in it, so its blob is stripped by id.
    let mut r = common::git::Repo::new();
    let key = binance_key("purge-utf16-key");
    let secret = binance_key("purge-utf16-secret");
    let text = format!("\u{feff}BINANCE_API_KEY={key}\r\nBINANCE_API_SECRET={secret}\r\n");
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    r.write("ops/.env", &utf16);
    r.stage_all();
    r.commit("windows env");
    r.remove("ops/.env");
    r.commit_files(&[("README.md", "# ops\n")], "drop env");
    let blob = git(r.path(), &["rev-parse", "HEAD~1:ops/.env"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    let o = run(
        r.path(),
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}");
    let blobs = dir.path().join("purge.txt.blobs");
    assert_eq!(
        std::fs::read_to_string(&blobs).unwrap(),
        format!("{blob}\n")
    );
    assert_eq!(
        std::fs::metadata(&blobs).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(stdout.contains("--strip-blobs-with-ids"), "{stdout}");
    assert!(stdout.contains("binary (ops/.env)"), "{stdout}");
    // The .blobs list given in place of the replacement file is refused,
    // not read as values that no blob holds (a check proving nothing).
    let o = run(r.path(), &["purge", "--check", blobs.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", common::stderr(&o));
    assert!(common::stderr(&o).contains("not a replacement file"));
    // Before: the check finds the values (in UTF-16) and the blob.
    let o = run(r.path(), &["purge", "--check", file.to_str().unwrap()]);
    let check = common::stdout(&o);
    assert_eq!(code(&o), 1, "{check}");
    assert!(
        check.contains(&blob) && check.contains("ops/.env"),
        "{check}"
    );
    // The rewrite as printed, in a mirror clone.
    let mirror = rewritten_mirror(
        r.path(),
        dir.path(),
        &[
            "--replace-text",
            file.to_str().unwrap(),
            "--strip-blobs-with-ids",
            blobs.to_str().unwrap(),
        ],
    );
    assert_eq!(check_in(&mirror, &file).0, 0);
    // The commit that only added that file became empty: git filter-repo
    // drops it (as the steps say); the other stays.
    assert_eq!(git(&mirror, &["log", "--format=%s", "--all"]), "drop env");
}

#[test]
fn issue11_purge_expressions_are_read_by_filter_repo_as_written() {
    // The line format, through the real tool: values holding `==>`, a
    // prefix, regex and replacement metacharacters, spaces.
    let values: Vec<String> = [
        "pa==>ss-{}",
        "regex:{}",
        "literal:{}",
        "a$1\\b.*+?{}",
        "with space {} ",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| t.replace("{}", &Fake::from_str_seed(&format!("expr-{i}")).alnum(20)))
    .collect();
    let mut r = common::git::Repo::new();
    let body: String = values.iter().map(|v| format!("x={v}|\n")).collect();
    r.commit_files(&[("values.txt", &body)], "values");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    let mut text = Vec::new();
    for v in &values {
        text.extend(keyhound::purge::expressions::line(
            v.as_bytes(),
            b"***REMOVED-x***",
        ));
        text.push(b'\n');
    }
    std::fs::write(&file, &text).unwrap();
    assert_eq!(check_in(r.path(), &file).0, 1);
    let mirror = rewritten_mirror(
        r.path(),
        dir.path(),
        &["--replace-text", file.to_str().unwrap()],
    );
    let after = git_bytes(&mirror, &["show", "HEAD:values.txt"]);
    assert_eq!(
        String::from_utf8_lossy(&after),
        "x=***REMOVED-x***|\n".repeat(values.len())
    );
    let (code, report) = check_in(&mirror, &file);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn issue11_purge_help_says_what_it_writes_and_checks() {
    let o = run(Path::new("."), &["purge", "--help"]);
    let help = common::stdout(&o);
    assert_eq!(code(&o), 0);
    for s in [
        "--check",
        "--force",
        "-o, --output",
        "0600",
        "git filter-repo --replace-text",
        "never rewrites history",
    ] {
        assert!(help.contains(s), "{s} missing:\n{help}");
    }
}

#[test]
fn issue11_purge_a_seed_phrase_one_word_per_line_is_stripped_by_id() {
    // Each line is one common word: no line can be listed without
    // replacing that word all over the history. The file's version is
    // stripped instead, and the check verifies it is gone.
    let phrase = keyhound::rules::examples::expand("{{bip39:12}}", &mut Fake::new(11));
    let mut r = common::git::Repo::new();
    r.commit_files(
        &[
            (
                "wallet/seed.txt",
                &format!("{}\n", phrase.replace(' ', "\n")),
            ),
            ("README.md", "# wallet tools\n"),
        ],
        "wallet backup",
    );
    r.remove("wallet/seed.txt");
    r.stage_all();
    r.commit("drop the backup");
    let blob = git(r.path(), &["rev-parse", "HEAD~1:wallet/seed.txt"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    let o = run(
        r.path(),
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}\n{}", common::stderr(&o));
    assert!(
        stdout.contains("too short to replace safely") && stdout.contains("wallet/seed.txt"),
        "{stdout}"
    );
    assert!(!stdout.contains(&phrase));
    let blobs = dir.path().join("purge.txt.blobs");
    assert_eq!(
        std::fs::read_to_string(&blobs).unwrap(),
        format!("{blob}\n")
    );
    assert_eq!(
        code(&run(
            r.path(),
            &["purge", "--check", file.to_str().unwrap()]
        )),
        1
    );
    let mirror = rewritten_mirror(
        r.path(),
        dir.path(),
        &[
            "--replace-text",
            file.to_str().unwrap(),
            "--strip-blobs-with-ids",
            blobs.to_str().unwrap(),
        ],
    );
    let (code, report) = check_in(&mirror, &file);
    assert_eq!(code, 0, "{report}");
    // The commit that only deleted the file is now empty: dropped.
    assert_eq!(git(&mirror, &["log", "--format=%s"]), "wallet backup");
    assert_eq!(
        git(&mirror, &["ls-tree", "-r", "--name-only", "HEAD"]),
        "README.md"
    );
}

/// A shallow clone lacks the older commits: purge refuses to plan from it
/// (its file would miss the older secrets) and --check refuses to prove
/// anything there (trial defect: an incomplete file, then a passing check).
#[test]
fn issue11_purge_refuses_a_shallow_clone() {
    let mut r = common::git::Repo::new();
    let old = binance_key("shallow-old");
    r.commit_files(
        &[("old.env", &format!("BINANCE_API_SECRET={old}\n"))],
        "old",
    );
    r.commit_files(&[("README", "docs\n")], "later");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    let dest = clone.path().join("c");
    git(
        clone.path(),
        &["clone", "-q", "--depth", "1", &url, dest.to_str().unwrap()],
    );
    let o = run(&dest, &["purge", "--no-progress"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("git fetch --unshallow"),
        "{}",
        stderr(&o)
    );
    assert!(!dest.join(".git/keyhound-purge.txt").exists());
    let list = clone.path().join("list.txt");
    std::fs::write(&list, format!("{old}==>***REMOVED***\n")).unwrap();
    let o = run(&dest, &["purge", "--check", list.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!stdout(&o).contains(&old));
}
