//! The server-side guard (issue 11): `keyhound git --pre-receive`, run by
//! the pre-receive hook `keyhound hook install --pre-receive` writes into a
//! server repository, against real `git push` over the local file
//! transport. Git runs the hook with the pushed objects in a quarantine
//! directory; a hook that exits non-zero rejects the whole push, and Git
//! discards the quarantine.

mod common;

use common::server::{Server, ZERO, commits_scanned, git_ok};
use common::*;

/// A `.env` with a Binance API key and its secret.
fn leak(seed: &str) -> String {
    format!(
        "# binance\nBINANCE_API_KEY={}\nBINANCE_API_SECRET={}\n",
        binance_key(&format!("{seed}-key")),
        binance_key(&format!("{seed}-secret"))
    )
}

/// A server with the guard installed and one clean commit on `main`.
fn guarded() -> (Server, String) {
    let s = Server::new();
    s.install(&[]);
    let first = s.commit(&[("README.md", "# bot\n")], "init");
    s.push_ok(&["main"]);
    (s, first)
}

#[test]
fn issue11_prereceive_rejects_a_leaking_push_and_nothing_of_it_lands() {
    let (s, first) = guarded();
    s.commit(&[("src/bot.py", "print('hello')\n")], "bot");
    let leaking = s.commit(&[("bot.env", &leak("reject"))], "config");
    s.commit(&[("src/bot.py", "print('bye')\n")], "later");
    let err = s.push_rejected(&["main"]);
    // What the pusher sees: commit, path, line, rule, how to fix.
    for needle in [
        "remote: bot.env:3:20: binance-secret-key",
        "remote: bot.env:2:17: binance-api-key",
        &format!("added in commit {}", &leaking[..12]),
        "keyhound rejected this push",
        "Nothing of it landed",
        "git commit --amend",
        &format!("git rebase -i {}^", &leaking[..12]),
        "Rotate the key anyway",
        "Binance API Management",
        "keyhound:allow",
        "fingerprints = [",
        "at the top of the default branch",
        "2 findings in 1 file",
        "of 3 new commits",
    ] {
        assert!(err.contains(needle), "no `{needle}` in:\n{err}");
    }
    assert!(!err.contains(&binance_key("reject-secret")), "{err}");
    assert!(!err.contains(&binance_key("reject-key")), "{err}");
    // The server's refs are unchanged, the pushed objects gone with the
    // quarantine.
    assert_eq!(s.server_ref("refs/heads/main").as_deref(), Some(&*first));
    assert!(!s.server_has(&leaking));
    let objects = std::fs::read_dir(s.server().join("objects")).unwrap();
    for entry in objects.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with("tmp_objdir"), "quarantine left: {name}");
    }
}

#[test]
fn issue11_prereceive_accepts_a_clean_push_reading_its_objects_from_the_quarantine() {
    let (s, _) = guarded();
    // Were the quarantined objects unread, the guard would fail closed
    // (exit 2, "not checked") and Git would reject this push.
    s.commit(
        &[("src/bot.py", "import os\nkey = os.environ['KEY']\n")],
        "a",
    );
    let head = s.commit(&[("src/util.py", "def f():\n    return 1\n")], "b");
    let out = s.push_ok(&["main"]);
    assert!(
        out.contains("remote: keyhound: no secrets found; scanned 2 files"),
        "{out}"
    );
    assert!(out.contains("of 2 new commits"), "{out}");
    assert_eq!(s.server_ref("refs/heads/main"), Some(head));
}

#[test]
fn issue11_prereceive_does_not_rescan_commits_the_server_already_has() {
    // A secret committed before the guard was installed is the history
    // audit's business: a new branch or tag of those commits brings
    // nothing new, and a branch on top of them is checked for its own
    // commits only.
    let s = Server::new();
    let old = s.commit(&[("bot.env", &leak("old"))], "old leak");
    s.push_ok(&["main"]);
    s.install(&[]);
    s.git(&["branch", "copy", &old]);
    let out = s.push_ok(&["copy"]);
    assert!(
        out.contains("the push brings no commit the repository does not have"),
        "{out}"
    );
    s.git(&["tag", "-a", "-m", "release", "v1", &old]);
    s.push_ok(&["v1"]);
    s.git(&["checkout", "-q", "-b", "feature", &old]);
    let new = s.commit(&[("src/app.py", "print(1)\n")], "feature");
    let out = s.push_ok(&["feature"]);
    assert!(out.contains("of 1 new commit in"), "{out}");
    assert_eq!(s.server_ref("refs/heads/feature"), Some(new.clone()));
    assert_eq!(s.server_ref("refs/heads/copy"), Some(old.clone()));

    // By hand, the stats say so: a new ref of commits the server has is 0
    // commits scanned and no finding.
    let (code, doc) = s.guard(&format!("{ZERO} {old} refs/heads/again\n"), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(commits_scanned(&doc), 0);
    assert!(findings(&doc).is_empty());
}

#[test]
fn issue11_prereceive_checks_tags_lightweight_annotated_and_of_a_blob() {
    let (s, _) = guarded();
    // Commits that only a tag brings, off every branch.
    s.git(&["checkout", "-q", "--detach"]);
    let leaking = s.commit(&[("deploy.env", &leak("tagged"))], "release config");
    s.git(&["tag", "light", &leaking]);
    s.git(&["tag", "-a", "-m", "release", "annotated", &leaking]);
    for tag in ["light", "annotated"] {
        let err = s.push_rejected(&[tag]);
        assert!(
            err.contains("remote: deploy.env:3:20: binance-secret-key"),
            "{err}"
        );
        assert!(
            err.contains(&format!("added in commit {}", &leaking[..12])),
            "{err}"
        );
        assert_eq!(s.server_ref(&format!("refs/tags/{tag}")), None);
    }
    // A tag of a blob is scanned whole, named by the tag.
    let blob = git_ok(&s.work(), &["hash-object", "-w", "deploy.env"]);
    s.git(&["tag", "blob-tag", &blob]);
    let err = s.push_rejected(&["blob-tag"]);
    assert!(
        err.contains("remote: blob-tag:3:20: binance-secret-key"),
        "{err}"
    );
    // A clean annotated tag of a new commit is accepted, its commit checked.
    s.git(&["checkout", "-q", "main"]);
    let clean = s.commit(&[("CHANGELOG.md", "## 1.0\n")], "1.0");
    s.git(&["tag", "-a", "-m", "1.0", "v1.0", &clean]);
    let out = s.push_ok(&["v1.0"]);
    assert!(out.contains("of 1 new commit in"), "{out}");
    assert!(s.server_ref("refs/tags/v1.0").is_some());
}

#[test]
fn issue11_prereceive_lets_a_deletion_through_with_nothing_to_scan() {
    let s = Server::new();
    s.commit(&[("README.md", "# bot\n")], "init");
    s.push_ok(&["main"]);
    s.git(&["checkout", "-q", "-b", "old"]);
    let old = s.commit(&[("bot.env", &leak("deleted"))], "old leak");
    s.push_ok(&["old"]);
    s.install(&[]);
    let out = s.push_ok(&[":old"]);
    assert!(out.contains("keyhound: no secrets found"), "{out}");
    assert_eq!(s.server_ref("refs/heads/old"), None);
    let (code, doc) = s.guard(&format!("{old} {ZERO} refs/heads/old\n"), &[]);
    assert_eq!((code, commits_scanned(&doc)), (0, 0), "{doc}");
    // A deletion in a push that leaks elsewhere lands no more than the
    // rest: Git's pre-receive hook accepts or rejects the push whole.
    s.git(&["checkout", "-q", "main"]);
    s.git(&["branch", "doomed"]);
    s.push_ok(&["doomed"]);
    s.commit(&[("prod.env", &leak("with-deletion"))], "leak");
    s.push_rejected(&["main", ":doomed"]);
    assert!(s.server_ref("refs/heads/doomed").is_some());
}

#[test]
fn issue11_prereceive_checks_what_a_force_push_adds_not_what_it_drops() {
    let (s, first) = guarded();
    let second = s.commit(&[("src/a.py", "a = 1\n")], "a");
    s.push_ok(&["main"]);
    // Rewritten: the branch's new commit leaks.
    s.git(&["reset", "-q", "--hard", &first]);
    s.commit(&[("src/a.py", "a = 2\n")], "a again");
    let leaking = s.commit(&[("bot.env", &leak("forced"))], "leak");
    let err = s.push_rejected(&["--force", "main"]);
    assert!(
        err.contains(&format!("added in commit {}", &leaking[..12])),
        "{err}"
    );
    assert!(err.contains("of 2 new commits"), "{err}");
    assert_eq!(s.server_ref("refs/heads/main"), Some(second.clone()));
    // Amended clean, the forced push is accepted.
    s.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let fixed = s.commit(
        &[("bot.env", "BINANCE_API_KEY=${BINANCE_API_KEY}\n")],
        "env",
    );
    let out = s.push_ok(&["--force", "main"]);
    assert!(out.contains("of 2 new commits"), "{out}");
    assert_eq!(s.server_ref("refs/heads/main"), Some(fixed));
    // Rewound to a commit the server has: nothing new.
    s.git(&["reset", "-q", "--hard", &first]);
    let out = s.push_ok(&["--force", "main"]);
    assert!(
        out.contains("the push brings no commit the repository does not have"),
        "{out}"
    );
}

#[test]
fn issue11_prereceive_checks_every_ref_of_one_push_and_each_commit_once() {
    let (s, first) = guarded();
    s.git(&["checkout", "-q", "-b", "clean"]);
    let shared = s.commit(&[("src/a.py", "a = 1\n")], "shared");
    s.git(&["checkout", "-q", "-b", "leaky"]);
    let leaking = s.commit(&[("prod.env", &leak("multi"))], "leak");
    let err = s.push_rejected(&["clean", "leaky", "main"]);
    assert!(
        err.contains(&format!("added in commit {}", &leaking[..12])),
        "{err}"
    );
    assert_eq!(s.server_ref("refs/heads/clean"), None);
    assert_eq!(s.server_ref("refs/heads/leaky"), None);
    assert_eq!(s.server_ref("refs/heads/main"), Some(first));
    // Two clean refs sharing a commit: both land, the commit read once.
    s.git(&["checkout", "-q", "clean"]);
    let top = s.commit(&[("src/b.py", "b = 2\n")], "top");
    s.git(&["branch", "-f", "other", &shared]);
    let out = s.push_ok(&["clean", "other"]);
    assert!(out.contains("of 2 new commits"), "{out}");
    assert_eq!(s.server_ref("refs/heads/clean"), Some(top));
    assert_eq!(s.server_ref("refs/heads/other"), Some(shared));
}

/// Appends `n` commits to branch `branch` of the clone (from `from`) with
/// `git fast-import`: each adds a line to one of 25 modules; commit
/// `leak_at` (0-based) also adds `config/prod.env` with a leaked key.
fn import_commits(s: &Server, branch: &str, from: &str, n: usize, leak_at: Option<usize>) {
    let mut files: Vec<String> = vec![String::new(); 25];
    let mut stream = String::new();
    for i in 0..n {
        let msg = format!("change {i}");
        stream.push_str(&format!(
            "commit refs/heads/{branch}\ncommitter Test <test@example.com> {} +0000\ndata {}\n{msg}\n",
            1_700_000_000 + i,
            msg.len()
        ));
        if i == 0 {
            stream.push_str(&format!("from {from}\n"));
        }
        let f = i % files.len();
        files[f].push_str(&format!("value_{i} = compute({i}, 'step')\n"));
        let mut put = |path: &str, content: &str| {
            stream.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{content}\n",
                content.len()
            ));
        };
        put(&format!("src/m{f}.py"), &files[f]);
        if Some(i) == leak_at {
            put("config/prod.env", &leak("thousand"));
        }
    }
    common::server::git_stdin(&s.work(), &["fast-import", "--quiet"], stream.as_bytes());
}

#[test]
fn issue11_prereceive_checks_a_push_of_1000_commits() {
    // Correctness only: the time it takes is measured in docs/benchmarks.md.
    let (s, first) = guarded();
    import_commits(&s, "big", &first, 1000, Some(700));
    let leaking = s.git(&["rev-parse", "big~299"]);
    let err = s.push_rejected(&["big:main"]);
    assert!(
        err.contains("remote: config/prod.env:3:20: binance-secret-key"),
        "{err}"
    );
    assert!(
        err.contains(&format!("added in commit {}", &leaking[..12])),
        "{err}"
    );
    assert!(err.contains("2 findings in 1 file"), "{err}");
    assert!(err.contains("of 1000 new commits"), "{err}");
    import_commits(&s, "clean", &first, 1000, None);
    let out = s.push_ok(&["clean:main"]);
    assert!(
        out.contains("no secrets found; scanned 1000 files"),
        "{out}"
    );
    assert!(out.contains("of 1000 new commits"), "{out}");
    assert_eq!(
        s.server_ref("refs/heads/main"),
        Some(s.git(&["rev-parse", "clean"]))
    );
}

#[test]
fn issue11_prereceive_escapes_control_characters_in_what_the_pusher_sees() {
    let s = Server::new();
    let first = s.commit(&[("README.md", "# bot\n")], "init");
    s.push_ok(&["main"]);
    let evil = "bot\u{1b}[2J\u{1b}]0;owned\u{7}.env";
    let leaking = s.commit(&[(evil, &leak("escape"))], "\u{1b}[31mred\u{1b}[0m message");
    // By hand, with the commit in the store and no ref to it (as a push
    // leaves it for the hook).
    s.store_unreachable(&leaking);
    let o = s.guard_raw(&format!("{first} {leaking} refs/heads/main\n"), &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("bot\\x1b[2J\\x1b]0;owned\\x07.env:3:20"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    // Through a real push.
    s.install(&[]);
    let err = s.push_rejected(&["main"]);
    assert!(err.contains("binance-secret-key"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}

#[test]
fn issue11_prereceive_guards_a_server_repository_with_a_work_tree() {
    let s = Server::non_bare();
    let o = s.install(&[]);
    assert!(
        stdout(&o).contains(&format!(
            "{}",
            s.server().join(".git/hooks/pre-receive").display()
        )),
        "{}",
        stdout(&o)
    );
    let clean = s.commit(&[("README.md", "# bot\n")], "init");
    let out = s.push_ok(&["main"]);
    assert!(out.contains("no secrets found; scanned 1 file"), "{out}");
    s.commit(&[("bot.env", &leak("non-bare"))], "leak");
    let err = s.push_rejected(&["main"]);
    assert!(
        err.contains("remote: bot.env:3:20: binance-secret-key"),
        "{err}"
    );
    assert_eq!(s.server_ref("refs/heads/main"), Some(clean));
}

/// The fingerprints a rejected push's report says to accept: its
/// `fingerprints = [...]` line, as TOML.
fn fingerprint_lines(report: &str) -> String {
    let line = report
        .lines()
        .find(|l| l.contains("fingerprints = ["))
        .expect("a fingerprints line");
    let line = line.trim_start_matches("remote:").trim();
    format!("[allowlist]\n{line}\n")
}

#[test]
fn issue11_prereceive_accepts_a_reviewed_fingerprint_from_the_default_branch() {
    let (s, _) = guarded();
    s.git(&["checkout", "-q", "-b", "feature"]);
    s.commit(&[("tests/fixture.env", &leak("reviewed"))], "fixture");
    let err = s.push_rejected(&["feature"]);
    let accept = fingerprint_lines(&err);
    // Accepting it in the same push changes nothing: the server reads the
    // config its default branch had before the push.
    s.commit(&[(".keyhound.toml", &accept)], "accept");
    let err = s.push_rejected(&["feature"]);
    assert!(err.contains("as it was before this push"), "{err}");
    // Reviewed and pushed to the default branch first, it lets the push in.
    s.git(&["checkout", "-q", "main"]);
    s.commit(&[(".keyhound.toml", &accept)], "accept the fixture key");
    s.push_ok(&["main"]);
    let out = s.push_ok(&["feature"]);
    assert!(
        out.contains("accepted by fingerprint in .keyhound.toml"),
        "{out}"
    );
}

#[test]
fn issue11_prereceive_says_what_it_expects_on_standard_input() {
    let s = Server::new();
    s.commit(&[("README.md", "# bot\n")], "init");
    s.push_ok(&["main"]);
    let o = s.guard_raw("main\n", &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("`<old> <new> <ref>`"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hook install --pre-receive"),
        "{}",
        stderr(&o)
    );
}

/// A `.keyhound.toml` that does not load, pushed to the default branch,
/// must not lock the repository: later pushes are checked with the
/// built-in rules (a warning says so), and the push that fixes it lands.
#[test]
fn issue11_prereceive_a_broken_config_on_the_default_branch_locks_nothing() {
    let (s, _) = guarded();
    s.commit(&[(".keyhound.toml", "min-confidence = 3\n")], "bad config");
    s.push_ok(&["main"]);
    s.commit(&[("src/bot.py", "print('hello')\n")], "clean");
    let out = s.push_ok(&["main"]);
    assert!(out.contains("does not load"), "{out}");
    s.commit(&[("bot.env", &leak("broken-config"))], "leak");
    s.push_rejected(&["main"]);
    s.git(&["reset", "-q", "--hard", "HEAD~1"]);
    s.commit(
        &[(".keyhound.toml", "min-confidence = \"medium\"\n")],
        "fix",
    );
    s.push_ok(&["main"]);
    s.commit(&[("src/more.py", "print('more')\n")], "after the fix");
    let out = s.push_ok(&["main"]);
    assert!(!out.contains("does not load"), "{out}");
}
