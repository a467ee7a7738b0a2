//! The pre-commit hook: `keyhound hook install`/`uninstall`, and what a
//! real `git commit` meets when keyhound blocks it.

mod common;

use common::git::Repo;
use common::*;

fn leak(seed: &str) -> String {
    format!("BINANCE_API_SECRET={}\n", binance_key(seed))
}

fn staged(repo: &Repo) -> (i32, serde_json::Value) {
    scan_json(repo.path(), &["--staged"])
}

/// Runs real `git` (the test may; keyhound itself never does).
fn git(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::git::git_command(dir, args)
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
        "[allowlist]\n",
        "fingerprints = [",
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
fn issue8_13_a_blocked_commit_is_told_to_stage_the_config_it_edits() {
    // New-user trial: with `.keyhound.toml` already tracked, pasting the
    // printed entries into the work tree's file changed nothing (the check
    // reads the config from the index) and nothing said to stage it.
    let mut repo = Repo::new();
    repo.commit_files(
        &[(".keyhound.toml", "[allowlist]\nfingerprints = []\n")],
        "config",
    );
    repo.write("prod.env", leak("stage-the-config").as_bytes());
    repo.stage("prod.env");
    let out = blocked_text(&repo);
    assert!(
        out.contains("Then stage the file you edited (`git add .keyhound.toml`"),
        "{out}"
    );
    assert!(out.contains("`git rm --cached` it"), "{out}");
    let (_, doc) = staged(&repo);
    let fingerprint = findings(&doc)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    repo.write(
        ".keyhound.toml",
        format!("[allowlist]\nfingerprints = [\"{fingerprint}\"]\n").as_bytes(),
    );
    assert_eq!(staged(&repo).0, 1, "an unstaged edit changes nothing");
    repo.stage(".keyhound.toml");
    assert_eq!(staged(&repo).0, 0, "staged, it lets the commit through");
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

/// The TOML a blocked commit's report says to add to the config: the
/// indented lines under the instruction that names the config.
fn lines_to_paste(out: &str) -> String {
    let mut lines = out.lines().skip_while(|l| !l.contains(", added to "));
    assert!(lines.next().is_some(), "no lines to add in:\n{out}");
    lines
        .take_while(|l| l.starts_with("        "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn issue8_13_the_lines_a_blocked_commit_prints_to_accept_it_are_valid_toml_as_shown() {
    // Broke (review U9): the report printed `[allowlist] fingerprints =
    // ["…"]` on one line, which is not valid TOML: pasted into
    // .keyhound.toml, the next run stopped on a config error. It must also
    // not print a second `[allowlist]` header for a config that has one.
    let setup = |config: Option<&str>| {
        let mut repo = Repo::new();
        repo.commit_files(&[("README.md", "# bot\n")], "init");
        if let Some(c) = config {
            repo.write(".keyhound.toml", c.as_bytes());
        }
        repo.write(
            "bot.env",
            format!("# binance\n{}", leak("u9-paste")).as_bytes(),
        );
        repo.stage("bot.env");
        repo
    };
    // No config yet: the table and its list, to paste as they are.
    let repo = setup(None);
    let paste = lines_to_paste(&blocked_text(&repo));
    assert!(paste.contains("[allowlist]\n"), "{paste}");
    repo.write(".keyhound.toml", paste.as_bytes());
    assert_eq!(staged(&repo).0, 0, "{paste}");
    // A config with an [allowlist] table: the line for it, pasted under its
    // header.
    let config = "[allowlist]\nstopwords = [\"dummy\"]\n\n[[rule]]\nid = \"acme\"\ndescription = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_(?P<secret>[a-z0-9]{32})'\n";
    let repo = setup(Some(config));
    let out = blocked_text(&repo);
    assert!(
        out.contains("the [allowlist] table .keyhound.toml already has"),
        "{out}"
    );
    let paste = lines_to_paste(&out);
    assert!(!paste.contains("[allowlist]"), "{paste}");
    let pasted = config.replacen("[allowlist]\n", &format!("[allowlist]\n{paste}"), 1);
    repo.write(".keyhound.toml", pasted.as_bytes());
    assert_eq!(staged(&repo).0, 0, "{pasted}");
    // A config with a fingerprints list: the entries, pasted into it.
    let config = "[allowlist]\nfingerprints = [\n    \"00000000000000000000000000000000\",\n]\n";
    let repo = setup(Some(config));
    let paste = lines_to_paste(&blocked_text(&repo));
    assert!(!paste.contains("fingerprints"), "{paste}");
    let pasted = config.replacen("= [\n", &format!("= [\n{paste}"), 1);
    repo.write(".keyhound.toml", pasted.as_bytes());
    assert_eq!(staged(&repo).0, 0, "{pasted}");
}
