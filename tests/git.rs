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
