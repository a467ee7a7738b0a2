//! `keyhound scan --staged`, `keyhound git --range`, and the pre-commit
//! hook, on repositories built with git2.

mod common;

use common::git::Repo;
use common::*;

fn leak(seed: &str) -> String {
    format!("BINANCE_API_SECRET={}\n", binance_key(seed))
}

fn staged(repo: &Repo) -> (i32, serde_json::Value) {
    scan_json(repo.path(), &["--staged"])
}

#[test]
fn initial_commit_is_scanned_against_the_empty_tree() {
    let repo = Repo::new();
    repo.write(
        "config/.env",
        format!("# bot\n{}", leak("initial")).as_bytes(),
    );
    repo.stage("config/.env");
    let (code, doc) = staged(&repo);
    assert_eq!(code, 1);
    assert_eq!(
        summary(&doc),
        [(
            "config/.env".to_string(),
            2,
            "binance-secret-key".to_string()
        )]
    );
}

#[test]
fn unstaged_secrets_and_untracked_files_are_not_reported() {
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    // Staged then unstaged.
    repo.write("a.env", leak("a").as_bytes());
    repo.stage("a.env");
    assert_eq!(staged(&repo).0, 1);
    repo.unstage("a.env");
    assert_eq!(staged(&repo).0, 0);
    // Untracked, and a tracked file leaking only in the working copy.
    repo.write("untracked.env", leak("u").as_bytes());
    repo.write("README.md", format!("# bot\n{}", leak("wc")).as_bytes());
    let (code, doc) = staged(&repo);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn partial_staging_reports_index_lines_only() {
    let mut repo = Repo::new();
    let old = "import os\n\nPAIRS = ['BTCUSDT']\nOLD = 1\n";
    repo.commit_files(&[("bot.py", old)], "init");
    let k1 = binance_key("partial-1");
    let k2 = binance_key("partial-2");
    // The index adds a secret on line 2; the working copy then adds another.
    let staged_text =
        format!("import os\nAPI_SECRET = '{k1}'  # binance\n\nPAIRS = ['BTCUSDT']\nOLD = 1\n");
    repo.write("bot.py", staged_text.as_bytes());
    repo.stage("bot.py");
    let worktree = format!("{staged_text}API_KEY = '{k2}'  # binance\n");
    repo.write("bot.py", worktree.as_bytes());
    let (code, doc) = scan_json(repo.path(), &["--staged", "--show-secrets"]);
    assert_eq!(code, 1);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["line"], 2);
    assert_eq!(f[0]["secret"], k1.as_str());
}

#[test]
fn committed_unchanged_secrets_are_not_reported_again() {
    let mut repo = Repo::new();
    let text = format!("# binance\n{}OTHER=1\n", leak("old"));
    repo.commit_files(&[("bot.env", &text)], "init with a leak");
    repo.write("bot.env", format!("{text}MORE=2\n").as_bytes());
    repo.stage("bot.env");
    assert_eq!(staged(&repo).0, 0);
}

#[test]
fn renames_keep_their_new_path() {
    let mut repo = Repo::new();
    let text = format!("# binance\n{}", leak("rename"));
    repo.commit_files(&[("old.env", &text)], "init");
    // A pure rename adds no line.
    repo.remove("old.env");
    repo.write("new.env", text.as_bytes());
    repo.stage("old.env");
    repo.stage("new.env");
    assert_eq!(staged(&repo).0, 0);
    // A rename that adds a secret reports it at the new path.
    repo.write("new.env", format!("{text}{}", leak("rename-2")).as_bytes());
    repo.stage("new.env");
    let (_, doc) = staged(&repo);
    assert_eq!(
        summary(&doc),
        [("new.env".to_string(), 3, "binance-secret-key".to_string())]
    );
}

#[test]
fn deletions_compressed_binaries_and_symlinks_are_skipped() {
    let mut repo = Repo::new();
    repo.commit_files(&[("gone.env", &leak("gone"))], "init");
    repo.remove("gone.env");
    repo.stage("gone.env");
    // A gzip stream's header, then bytes: its content is compressed.
    let mut bin = b"\x1f\x8b\x08\0\0\0\0\0".to_vec();
    bin.extend_from_slice(leak("binary").as_bytes());
    repo.write("blob.bin", &bin);
    repo.stage("blob.bin");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            format!("/tmp/{}", binance_key("link")),
            repo.path().join("link"),
        )
        .unwrap();
        repo.stage("link");
    }
    let (code, doc) = staged(&repo);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn crlf_files_report_the_right_line() {
    let repo = Repo::new();
    repo.write(
        "win.env",
        format!("# binance\r\nX=1\r\n{}", leak("crlf").replace('\n', "\r\n")).as_bytes(),
    );
    repo.stage("win.env");
    let (_, doc) = staged(&repo);
    assert_eq!(
        summary(&doc),
        [("win.env".to_string(), 3, "binance-secret-key".to_string())]
    );
}

#[test]
fn config_ignore_file_and_inline_allow_apply() {
    let repo = Repo::new();
    repo.write(".keyhoundignore", b"fixtures/\n");
    repo.write("fixtures/a.env", leak("fx").as_bytes());
    repo.write(
        "b.env",
        format!("{} # keyhound:allow\n", leak("b").trim_end()).as_bytes(),
    );
    repo.write(".keyhound.toml", b"[allowlist]\npaths = [\"c.env\"]\n");
    repo.write("c.env", leak("c").as_bytes());
    repo.stage_all();
    let (code, doc) = staged(&repo);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn fsmonitor_and_hooks_of_the_repository_never_run() {
    let repo = Repo::new();
    let witness = repo.path().join("fsmonitor-ran");
    let mut cfg = repo.repo.config().unwrap();
    cfg.set_str("core.fsmonitor", &format!("touch {}", witness.display()))
        .unwrap();
    cfg.set_str("filter.evil.clean", &format!("touch {}", witness.display()))
        .unwrap();
    repo.write(".gitattributes", b"*.env filter=evil\n");
    repo.write("a.env", leak("fsmonitor").as_bytes());
    repo.stage_all();
    let (code, _) = staged(&repo);
    assert_eq!(code, 1);
    let (_, _) = scan_json(repo.path(), &["--staged", "--repo", "."]);
    let o = run(repo.path(), &["git", "--format", "json"]);
    assert!(code_ok(&o));
    assert!(
        !witness.exists(),
        "keyhound ran a command the repository configures"
    );
}

fn code_ok(o: &std::process::Output) -> bool {
    matches!(code(o), 0 | 1)
}

#[test]
fn not_a_repository_is_an_error() {
    let dir = tree(&[]);
    let o = run(dir.path(), &["scan", "--staged", "--repo", "."]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--repo"), "{}", stderr(&o));
}

#[test]
fn range_reports_a_secret_added_then_removed_with_its_commit() {
    let mut repo = Repo::new();
    let base = repo.commit_files(&[("bot.py", "import binance\n")], "init");
    let text = format!("import binance\nAPI_SECRET = '{}'\n", binance_key("range"));
    let added = repo.commit_files(&[("bot.py", &text)], "add key");
    repo.commit_files(
        &[("bot.py", "import binance\nAPI_SECRET = os.environ['S']\n")],
        "remove key",
    );
    let o = run(
        repo.path(),
        &[
            "git",
            "--range",
            &format!("{base}..HEAD"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["path"], "bot.py");
    assert_eq!(f[0]["line"], 2);
    assert_eq!(f[0]["commit"], added.to_string());
    assert_eq!(f[0]["author"], "Alice <alice@example.com>");
    assert!(f[0]["date"].as_str().unwrap().ends_with("+01:00"));
    // --since-commit is the same range.
    let o = run(
        repo.path(),
        &[
            "git",
            "--since-commit",
            &base.to_string(),
            "--format",
            "json",
        ],
    );
    let doc2: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc2["findings"], doc["findings"]);
    // A range after the fix is clean.
    let o = run(repo.path(), &["git", "--since-commit", &added.to_string()]);
    assert_eq!(code(&o), 0);
}

#[test]
fn merges_do_not_report_twice() {
    let mut repo = Repo::new();
    let base = repo.commit_files(&[("a.txt", "a\n")], "init");
    repo.branch("feature");
    let leak_commit = repo.commit_files(
        &[("bot.env", &format!("# binance\n{}", leak("merge")))],
        "feature leak",
    );
    repo.checkout("master");
    repo.commit_files(&[("b.txt", "b\n")], "main work");
    repo.merge("feature", "merge feature");
    let o = run(
        repo.path(),
        &[
            "git",
            "--range",
            &format!("{base}..HEAD"),
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["commit"], leak_commit.to_string());
}

#[test]
fn bad_ranges_say_what_to_fix() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    let o = run(repo.path(), &["git", "--range", "nope..HEAD"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown revision `nope`"),
        "{}",
        stderr(&o)
    );
    let o = run(repo.path(), &["git", "--range", "HEAD"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("BASE..HEAD"), "{}", stderr(&o));
}

#[test]
fn github_format_annotates_findings() {
    let mut repo = Repo::new();
    let base = repo.commit_files(&[("a.txt", "a\n")], "init");
    repo.commit_files(
        &[("dir/bot.env", &format!("# binance\n{}", leak("gh")))],
        "leak",
    );
    let o = run(
        repo.path(),
        &[
            "git",
            "--range",
            &format!("{base}..HEAD"),
            "--format",
            "github",
        ],
    );
    let out = stdout(&o);
    let line = out.lines().next().unwrap();
    assert!(line.starts_with("::error file=dir/bot.env,line=2,col=20,endLine=2,endColumn=84,title=keyhound%3A binance-secret-key::"), "{out}");
    assert!(!out.contains(&binance_key("gh")));
}

/// Runs real `git` (the test may; keyhound itself never does).
fn git(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin().parent().unwrap().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("git runs")
}

#[test]
fn installed_hook_blocks_a_leaking_commit_and_lets_a_clean_one_through() {
    let repo = Repo::new();
    let o = run(repo.path(), &["hook", "install"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains(bin().to_str().unwrap())
    );

    repo.write("clean.txt", b"hello\n");
    git(repo.path(), &["add", "clean.txt"]);
    let o = git(repo.path(), &["commit", "-m", "clean"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    repo.write("bot.env", format!("# binance\n{}", leak("hook")).as_bytes());
    git(repo.path(), &["add", "bot.env"]);
    let o = git(repo.path(), &["commit", "-m", "leak"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("keyhound blocked this commit") && err.contains("--no-verify"),
        "{err}"
    );
    assert!(!err.contains(&binance_key("hook")));
}

#[test]
fn install_chains_an_existing_hook_and_uninstall_restores_it() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let theirs = "#!/bin/sh\necho their-hook-ran >&2\nexit 0\n";
    std::fs::write(hooks.join("pre-commit"), theirs).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    assert_eq!(code(&run(repo.path(), &["hook", "install"])), 0);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.keyhound-chained")).unwrap(),
        theirs
    );
    repo.write("a.txt", b"a\n");
    git(repo.path(), &["add", "a.txt"]);
    let o = git(repo.path(), &["commit", "-m", "a"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("their-hook-ran"));
    assert_eq!(code(&run(repo.path(), &["hook", "uninstall"])), 0);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        theirs
    );
    assert!(!hooks.join("pre-commit.keyhound-chained").exists());
    // Uninstalling again touches nothing that is not keyhound's.
    let o = run(repo.path(), &["hook", "uninstall"]);
    assert!(stdout(&o).contains("nothing to remove"));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        theirs
    );
}

#[test]
fn install_honours_core_hooks_path() {
    let repo = Repo::new();
    repo.repo
        .config()
        .unwrap()
        .set_str("core.hooksPath", "githooks")
        .unwrap();
    assert_eq!(code(&run(repo.path(), &["hook", "install"])), 0);
    assert!(repo.path().join("githooks/pre-commit").exists());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
}

/// Runs `keyhound ARGS` in `dir` with extra environment variables.
fn run_env(dir: &std::path::Path, args: &[&str], env: &[(&str, &std::path::Path)]) -> i32 {
    let mut cmd = std::process::Command::new(bin());
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("keyhound runs");
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    code(&o)
}

#[test]
fn git_index_file_and_git_dir_are_honoured() {
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.write("bot.env", format!("# binance\n{}", leak("alt")).as_bytes());
    repo.stage("bot.env");
    // The staged secret lives only in another index file, as Git's
    // temporary index of `git commit -a` does.
    std::fs::copy(repo.path().join(".git/index"), repo.path().join("alt")).unwrap();
    repo.unstage("bot.env");
    assert_eq!(staged(&repo).0, 0);
    let args = ["scan", "--staged"];
    let abs = repo.path().join("alt");
    assert_eq!(run_env(repo.path(), &args, &[("GIT_INDEX_FILE", &abs)]), 1);
    let rel = std::path::Path::new("alt");
    assert_eq!(run_env(repo.path(), &args, &[("GIT_INDEX_FILE", rel)]), 1);
    // GIT_DIR, from outside the work tree.
    let elsewhere = tempfile::tempdir().unwrap();
    let git_dir = repo.path().join(".git");
    let env = [("GIT_DIR", git_dir.as_path()), ("GIT_INDEX_FILE", &abs)];
    assert_eq!(run_env(elsewhere.path(), &args, &env), 1);
}

#[test]
fn hook_blocks_commit_all_and_commit_with_paths() {
    let mut repo = Repo::new();
    repo.commit_files(&[("bot.env", "# binance\n")], "init");
    assert_eq!(code(&run(repo.path(), &["hook", "install"])), 0);
    repo.write(
        "bot.env",
        format!("# binance\n{}", leak("commit-a")).as_bytes(),
    );
    for args in [
        &["commit", "-a", "-m", "leak"][..],
        &["commit", "-m", "leak", "bot.env"],
    ] {
        let o = git(repo.path(), args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} got through: {err}");
        assert!(err.contains("keyhound blocked this commit"), "{err}");
    }
}

/// `(path, line, rule_id)` of what `git --range BASE..HEAD` finds.
fn range_summary(repo: &Repo, base: git2::Oid) -> Vec<(String, u64, String)> {
    let range = format!("{base}..HEAD");
    let o = run(repo.path(), &["git", "--range", &range, "--format", "json"]);
    summary(&serde_json::from_slice(&o.stdout).unwrap())
}

#[test]
fn gitattributes_cannot_hide_changes() {
    let mut repo = Repo::new();
    let base = repo.commit_files(
        &[
            (".gitattributes", "*.env -diff\n*.cfg binary\n"),
            ("a.env", "# binance\nX=1\n"),
            ("b.cfg", "# binance\nX=1\n"),
        ],
        "init",
    );
    for (path, seed) in [("a.env", "attr-a"), ("b.cfg", "attr-b")] {
        repo.write(path, format!("# binance\nX=1\n{}", leak(seed)).as_bytes());
    }
    repo.stage_all();
    let want = [
        ("a.env".to_string(), 3, "binance-secret-key".to_string()),
        ("b.cfg".to_string(), 3, "binance-secret-key".to_string()),
    ];
    assert_eq!(summary(&staged(&repo).1), want);
    repo.commit("leak");
    assert_eq!(range_summary(&repo, base), want);
}

#[cfg(unix)]
#[test]
fn a_file_that_replaces_a_symlink_is_scanned_whole() {
    let mut repo = Repo::new();
    repo.write("README.md", b"# bot\n");
    std::os::unix::fs::symlink("README.md", repo.path().join("bot.env")).unwrap();
    repo.stage_all();
    let base = repo.commit("init");
    repo.remove("bot.env");
    repo.write(
        "bot.env",
        format!("# binance\n{}", leak("typechange")).as_bytes(),
    );
    repo.stage("bot.env");
    let want = [("bot.env".to_string(), 2, "binance-secret-key".to_string())];
    assert_eq!(summary(&staged(&repo).1), want);
    repo.commit("replace the link");
    assert_eq!(range_summary(&repo, base), want);
}

#[test]
fn a_copy_of_a_leaking_file_is_new_even_if_its_source_changes() {
    let mut repo = Repo::new();
    let text = format!("# binance\n{}", leak("copied"));
    let base = repo.commit_files(&[("a.env", &text)], "init with a leak");
    repo.write("a.env", b"# binance\nBINANCE_API_SECRET=${SECRET}\n");
    repo.write("b.env", text.as_bytes());
    repo.stage_all();
    let want = [("b.env".to_string(), 2, "binance-secret-key".to_string())];
    assert_eq!(summary(&staged(&repo).1), want);
    repo.commit("move the secret");
    assert_eq!(range_summary(&repo, base), want);
}

#[cfg(unix)]
#[test]
fn symlinked_hooks_are_moved_or_replaced_never_written_through() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let (hook, kept) = (
        hooks.join("pre-commit"),
        hooks.join("pre-commit.keyhound-chained"),
    );
    let shared = tempfile::tempdir().unwrap();
    let target = shared.path().join("team-hook");
    let theirs = "#!/bin/sh\necho team-hook-ran >&2\nexit 0\n";
    std::fs::write(&target, theirs).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    let is_link = |p: &std::path::Path| p.symlink_metadata().unwrap().file_type().is_symlink();

    // Chained: the link is kept as it is, and still runs its target.
    symlink(&target, &hook).unwrap();
    assert_eq!(code(&run(repo.path(), &["hook", "install"])), 0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), theirs);
    assert!(!is_link(&hook) && is_link(&kept));
    assert_eq!(std::fs::read_link(&kept).unwrap(), target);
    repo.write("a.txt", b"a\n");
    git(repo.path(), &["add", "a.txt"]);
    let o = git(repo.path(), &["commit", "-m", "a"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("team-hook-ran"));
    assert_eq!(code(&run(repo.path(), &["hook", "uninstall"])), 0);
    assert!(is_link(&hook) && kept.symlink_metadata().is_err());
    assert_eq!(std::fs::read_link(&hook).unwrap(), target);

    // --force replaces the link, not its target.
    assert_eq!(code(&run(repo.path(), &["hook", "install", "--force"])), 0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), theirs);
    assert!(!is_link(&hook) && kept.symlink_metadata().is_err());

    // A dangling link is an existing hook: its target is not created.
    std::fs::remove_file(&hook).unwrap();
    let nowhere = shared.path().join("nowhere");
    symlink(&nowhere, &hook).unwrap();
    assert_eq!(code(&run(repo.path(), &["hook", "install"])), 0);
    assert!(!nowhere.exists());
    assert!(is_link(&kept) && !is_link(&hook));
    assert_eq!(code(&run(repo.path(), &["hook", "uninstall"])), 0);
    assert_eq!(std::fs::read_link(&hook).unwrap(), nowhere);
}

/// The text `scan --staged` prints after a commit it blocks.
fn blocked_text(repo: &Repo) -> String {
    let o = run(repo.path(), &["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn issue8_13_a_blocked_commit_is_told_how_to_fix_and_unblock_it_not_that_it_leaked() {
    // Broke: `scan --staged` ended with "Binance credentials leaked. In the
    // next ten minutes: 1. Delete the exposed API key now", for a commit it
    // had just stopped; only the native hook script said how to unblock,
    // so users of the pre-commit framework never saw it.
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.write(
        "bot.env",
        format!("# binance\n{}", leak("staged-words")).as_bytes(),
    );
    repo.stage("bot.env");
    let out = blocked_text(&repo);
    for needle in [
        "keyhound blocked this commit",
        "Nothing has been committed or pushed",
        "environment variable or a secrets manager",
        "`git add`",
        "Rotate the key anyway if it was ever pushed, shared, or pasted anywhere else",
        "Binance API Management",
        "keyhound:allow",
        "[allowlist] fingerprints",
        ".keyhoundignore",
        "git commit --no-verify",
    ] {
        assert!(out.contains(needle), "no `{needle}` in:\n{out}");
    }
    for wrong in [
        "leaked",
        "next ten minutes",
        "Delete the exposed API key now",
        "purge",
    ] {
        assert!(!out.contains(wrong), "`{wrong}` in:\n{out}");
    }
    assert!(!out.contains(&binance_key("staged-words")));

    // The fingerprint it prints, accepted in .keyhound.toml, lets the
    // commit through.
    let (_, doc) = staged(&repo);
    let fingerprint = findings(&doc)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        out.contains(&format!("fingerprints = [\"{fingerprint}\"]")),
        "{out}"
    );
    repo.write(
        ".keyhound.toml",
        format!("[allowlist]\nfingerprints = [\"{fingerprint}\"]\n").as_bytes(),
    );
    assert_eq!(staged(&repo).0, 0);

    // A directory scan of the same file still gets the incident playbook.
    repo.remove(".keyhound.toml");
    let o = run(repo.path(), &["scan", "bot.env"]);
    assert!(
        stdout(&o).contains("Binance credentials leaked"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn issue8_13_the_native_hook_shows_the_guidance_once() {
    // A real `git commit` through the installed hook: the guidance comes
    // from keyhound, once (the hook script no longer repeats its own).
    let repo = Repo::new();
    assert_eq!(code(&run(repo.path(), &["hook", "install"])), 0);
    repo.write(
        "bot.env",
        format!("# binance\n{}", leak("native-hook")).as_bytes(),
    );
    git(repo.path(), &["add", "bot.env"]);
    let o = git(repo.path(), &["commit", "-m", "leak"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.matches("keyhound blocked this commit").count(),
        1,
        "{err}"
    );
    assert_eq!(err.matches("--no-verify").count(), 1, "{err}");
    assert!(!err.contains("leaked"), "{err}");
    assert!(!err.contains(&binance_key("native-hook")));
}

#[test]
fn issue8_15_a_repo_that_is_not_one_is_named_with_what_to_check() {
    // Broke: `git --repo /nonexistent` said "(use --repo to point at one)",
    // to a user who had just used --repo.
    let dir = tree(&[("plain/a.txt", "a\n")]);
    let missing = dir.path().join("missing");
    for (args, want) in [
        (
            vec!["git", "--repo", missing.to_str().unwrap()],
            "no such directory; check the path",
        ),
        (
            vec!["git", "--repo", "plain"],
            "--repo plain is not a Git repository",
        ),
        (
            vec!["scan", "--staged", "--repo", "plain"],
            "--repo plain is not a Git repository",
        ),
        (
            vec!["git"],
            "the current directory is not in a Git repository",
        ),
    ] {
        let o = run(dir.path(), &args);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("use --repo"), "{args:?}: {err}");
    }
}
