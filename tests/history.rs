//! `keyhound git` (full history) on repositories built with git2: every
//! blob of every ref scanned once, each secret traced to its first commit.

mod common;

use common::git::{Repo, git};
use common::*;

fn leak(seed: &str) -> String {
    format!("# binance\nBINANCE_API_SECRET={}\n", binance_key(seed))
}

fn history(dir: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["git", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(dir, &args);
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    (code(&o), doc, stderr(&o))
}

#[test]
fn a_secret_in_a_hundred_commits_is_reported_once_with_its_first_commit() {
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    let first = repo.commit_files(&[("bot.env", &leak("hundred"))], "add config");
    for i in 0..99 {
        // Every commit writes a new version of the file, still holding the key.
        repo.commit_files(
            &[("bot.env", &format!("{}RUN={i}\n", leak("hundred")))],
            &format!("tweak {i}"),
        );
    }
    let (code, doc, _) = history(repo.path(), &[]);
    assert_eq!(code, 1);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["commit"], first.to_string());
    assert_eq!(f[0]["line"], 2);
    assert_eq!(
        f[0]["commits"], 1,
        "one commit introduced it; 99 rewrote it"
    );
    assert_eq!(f[0]["at_head"], true);
    assert_eq!(
        doc["stats"]["files_scanned"], 101,
        "each distinct blob once"
    );
}

#[test]
fn deleted_secrets_and_unmerged_branches_are_found_with_their_commits() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    let deleted = repo.commit_files(&[("old.env", &leak("deleted"))], "leak");
    repo.remove("old.env");
    repo.stage("old.env");
    repo.commit("remove the leak");
    repo.branch("wip");
    let wip = repo.commit_files(&[("wip.env", &leak("wip"))], "wip");
    repo.checkout("master");
    let (_, doc, _) = history(repo.path(), &[]);
    let got: Vec<(String, String, bool)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
                f["at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("old.env".to_string(), deleted.to_string(), false),
            ("wip.env".to_string(), wip.to_string(), false)
        ]
    );
    // The text report says what to do about each.
    let out = stdout(&run(repo.path(), &["git"]));
    assert!(
        out.contains("in no branch, tag or stash, only in history")
            && out.contains("still on branch `wip`"),
        "{out}"
    );
}

#[test]
fn a_commit_reachable_only_from_a_tag_is_scanned() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    let tagged = repo.commit_tagged_only("v1.0", &[("release.env", &leak("tag"))]);
    let (_, doc, _) = history(repo.path(), &[]);
    assert_eq!(
        summary(&doc),
        [(
            "release.env".to_string(),
            2,
            "binance-secret-key".to_string()
        )]
    );
    assert_eq!(findings(&doc)[0]["commit"], tagged.to_string());
}

#[test]
fn a_missing_blob_is_reported_and_skipped() {
    let mut repo = Repo::new();
    repo.commit_files(
        &[("a.env", &leak("kept")), ("b.env", &leak("lost"))],
        "two leaks",
    );
    // Delete b.env's loose blob object, as in a damaged or partial clone.
    let blob = repo
        .repo
        .revparse_single("HEAD:b.env")
        .unwrap()
        .id()
        .to_string();
    let object = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(object).unwrap();
    let (code, doc, err) = history(repo.path(), &[]);
    assert_eq!(code, 1, "findings still set the exit code");
    assert_eq!(
        summary(&doc),
        [("a.env".to_string(), 2, "binance-secret-key".to_string())]
    );
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn bare_and_shallow_clones_work() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    let leak_commit = repo.commit_files(&[("bot.env", &leak("clones"))], "leak");
    for i in 0..5 {
        repo.commit_files(&[("a.txt", &format!("a{i}\n"))], "more");
    }
    let url = format!("file://{}", repo.path().display());
    let work = tempfile::tempdir().unwrap();
    git(work.path(), &["clone", "-q", "--bare", &url, "bare.git"]);
    let (_, doc, _) = history(&work.path().join("bare.git"), &[]);
    assert_eq!(findings(&doc)[0]["commit"], leak_commit.to_string());
    let (_, doc, _) = history(work.path(), &["--repo", "bare.git"]);
    assert_eq!(findings(&doc).len(), 1);

    git(
        work.path(),
        &["clone", "-q", "--depth", "2", &url, "shallow"],
    );
    let (code, doc, _) = history(&work.path().join("shallow"), &[]);
    // The leaking commit is cut off, but its blob is still in the tree at
    // the shallow boundary, which is where history starts for this clone.
    assert_eq!(code, 1);
    assert_eq!(
        summary(&doc),
        [("bot.env".to_string(), 2, "binance-secret-key".to_string())]
    );
    assert_eq!(findings(&doc)[0]["at_head"], true);
}

#[test]
fn history_is_scanned_from_a_worktree() {
    let mut repo = Repo::new();
    repo.commit_files(&[("bot.env", &leak("worktree"))], "leak");
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    git(
        repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            wt_path.to_str().unwrap(),
            "-b",
            "side",
        ],
    );
    let (code, doc, _) = history(&wt_path, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1);
}

/// `(path, commit, at_head)` of each finding.
fn found(doc: &serde_json::Value) -> Vec<(String, String, bool)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap_or("").to_string(),
                f["at_head"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_clean_shallow_clone_is_clean_and_ranges_stop_at_its_boundary() {
    let mut repo = Repo::new();
    for i in 0..5 {
        repo.commit_files(&[("a.txt", &format!("a{i}\n"))], "more");
    }
    let url = format!("file://{}", repo.path().display());
    let work = tempfile::tempdir().unwrap();
    git(
        work.path(),
        &["clone", "-q", "--depth", "2", &url, "shallow"],
    );
    let shallow = work.path().join("shallow");
    let (code, doc, err) = history(&shallow, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["stats"]["missing_objects"], 0, "{err}");
    assert!(!err.contains("missing"), "{err}");
    for range in ["..HEAD", "HEAD~1..HEAD"] {
        let (code, _, err) = history(&shallow, &["--range", range]);
        assert_eq!(code, 0, "{range}: {err}");
    }
}

#[test]
fn path_filters_and_fingerprints_apply_to_each_path_of_a_blob() {
    let mut repo = Repo::new();
    let (l1, l2) = (leak("fixture"), leak("accepted"));
    repo.commit_files(
        &[
            (".keyhound.toml", "[allowlist]\npaths = [\"fixtures/**\"]\n"),
            ("fixtures/key.env", &l1),
            ("real.env", &l1),
            ("a.env", &l2),
            ("b.env", &l2),
        ],
        "one blob at two paths, twice",
    );
    let (_, doc, _) = history(repo.path(), &[]);
    let paths: Vec<String> = found(&doc).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["a.env", "b.env", "real.env"], "{doc:#}");
    let fp = findings(&doc)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    repo.write(
        ".keyhound.toml",
        format!("[allowlist]\npaths = [\"fixtures/**\"]\nfingerprints = [\"{fp}\"]\n").as_bytes(),
    );
    let (_, doc, _) = history(repo.path(), &[]);
    let paths: Vec<String> = found(&doc).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["b.env", "real.env"], "{doc:#}");
}

/// Adds a linked worktree at `dir/wt` with a detached HEAD; returns its
/// path.
fn detached_worktree(repo: &Repo, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("wt");
    git(
        repo.path(),
        &["worktree", "add", "-q", "--detach", path.to_str().unwrap()],
    );
    path
}

fn remove_loose(repo: &Repo, id: git2::Oid) {
    let hex = id.to_string();
    let object = repo
        .path()
        .join(".git/objects")
        .join(&hex[..2])
        .join(&hex[2..]);
    std::fs::remove_file(object).unwrap();
}

#[test]
fn missing_commits_are_counted_and_noted_and_make_the_scan_incomplete() {
    // A ref to a commit that is gone.
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    repo.branch("lost");
    let lost = repo.commit_files(&[("b.txt", "b\n")], "lost");
    repo.checkout("master");
    remove_loose(&repo, lost);
    let (code, doc, err) = history(repo.path(), &[]);
    // What the lost commit holds was not checked: no clean pass.
    assert_eq!(code, 2, "{err}");
    assert_eq!(doc["stats"]["complete"], false);
    assert_eq!(doc["stats"]["missing_objects"], 1);
    assert!(
        err.contains("refs/heads/lost") && err.contains(&lost.to_string()),
        "{err}"
    );

    // A parent that is gone (a damaged clone, not a shallow one), and a
    // ref to it: one object, counted once.
    let mut repo = Repo::new();
    let first = repo.commit_files(&[("a.txt", "a\n")], "init");
    repo.commit_files(&[("a.txt", "b\n")], "next");
    repo.repo
        .reference("refs/tags/first", first, false, "")
        .unwrap();
    remove_loose(&repo, first);
    let (code, doc, err) = history(repo.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(doc["stats"]["missing_objects"], 1);
    assert_eq!(doc["stats"]["errors"], 0);
    assert!(err.contains(&first.to_string()), "{err}");
}

#[test]
fn a_missing_tree_shared_by_many_commits_is_counted_once() {
    let mut repo = Repo::new();
    for i in 0..20 {
        repo.commit_files(
            &[("shared/x.txt", "same\n"), ("top.txt", &format!("{i}\n"))],
            "edit",
        );
    }
    let head = repo.repo.head().unwrap().peel_to_tree().unwrap();
    let shared = head.get_name("shared").unwrap().id();
    remove_loose(&repo, shared);
    let (code, doc, err) = history(repo.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(doc["stats"]["missing_objects"], 1, "{err}");
    let id = shared.to_string();
    assert_eq!(err.lines().filter(|l| l.contains(&id)).count(), 1, "{err}");
}

#[test]
fn worktree_heads_stashes_and_tagged_trees_and_blobs_are_scanned() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.env", "# binance\n")], "init");
    // A commit only a linked worktree's detached HEAD reaches.
    let wt_dir = tempfile::tempdir().unwrap();
    let wt_path = detached_worktree(&repo, wt_dir.path());
    let wt = git2::Repository::open(&wt_path).unwrap();
    std::fs::write(wt_path.join("wt.env"), leak("detached")).unwrap();
    let mut index = wt.index().unwrap();
    index.add_path(std::path::Path::new("wt.env")).unwrap();
    let tree = wt.find_tree(index.write_tree().unwrap()).unwrap();
    let parent = wt.head().unwrap().peel_to_commit().unwrap();
    let sig = git2::Signature::now("Wt", "wt@example.com").unwrap();
    let detached = wt
        .commit(Some("HEAD"), &sig, &sig, "wt", &tree, &[&parent])
        .unwrap();
    // Two stashes: the older lives only in the stash's reflog.
    repo.write("a.env", leak("stashed").as_bytes());
    repo.repo.stash_save(&sig, "older", None).unwrap();
    repo.write("a.env", b"# binance\nX=1\n");
    repo.repo.stash_save(&sig, "newer", None).unwrap();
    // A tag of a tree and a tag of a blob, in no commit.
    let blob = repo.repo.blob(leak("tree-tag").as_bytes()).unwrap();
    let mut sub = repo.repo.treebuilder(None).unwrap();
    sub.insert("keys.env", blob, 0o100644).unwrap();
    let sub = sub.write().unwrap();
    let mut top = repo.repo.treebuilder(None).unwrap();
    top.insert("deploy", sub, 0o040000).unwrap();
    let top = top.write().unwrap();
    repo.repo
        .reference("refs/tags/tree-tag", top, false, "")
        .unwrap();
    let blob = repo.repo.blob(leak("blob-tag").as_bytes()).unwrap();
    let obj = repo.repo.find_object(blob, None).unwrap();
    repo.repo
        .tag("blob-tag", &obj, &sig, "a key", false)
        .unwrap();

    let (code, doc, err) = history(repo.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let got = found(&doc);
    let paths: Vec<&str> = got.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        paths,
        ["a.env", "blob-tag", "deploy/keys.env", "wt.env"],
        "{doc:#}"
    );
    assert_eq!(got[3].1, detached.to_string());
    assert_eq!((got[1].1.as_str(), got[2].1.as_str()), ("", ""));
}

#[test]
fn a_secret_twice_in_one_file_counts_one_commit_at_its_first_line() {
    let mut repo = Repo::new();
    let key = binance_key("twice");
    let text = format!("# binance\nBINANCE_API_SECRET={key}\nX=1\nBACKUP_SECRET={key}\n");
    repo.commit_files(&[("bot.env", &text)], "twice");
    let (_, doc, _) = history(repo.path(), &[]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["commits"], 1);
    assert_eq!(f[0]["line"], 2);
}

#[test]
fn at_head_means_the_secret_anywhere_at_head() {
    let mut repo = Repo::new();
    let old = repo.commit_files(&[("old.env", &leak("moved"))], "leak");
    repo.remove("old.env");
    repo.stage("old.env");
    let new = repo.commit_files(&[("new.env", &format!("{}X=1\n", leak("moved")))], "move");
    let (_, doc, _) = history(repo.path(), &[]);
    assert_eq!(
        found(&doc),
        [
            ("new.env".to_string(), new.to_string(), true),
            ("old.env".to_string(), old.to_string(), true)
        ]
    );
    let out = stdout(&run(repo.path(), &["git"]));
    assert!(
        out.contains("still at HEAD") && !out.contains("removed since"),
        "{out}"
    );
}

#[test]
fn a_secret_still_at_head_under_a_suppressed_finding_is_at_head() {
    // The same secret was once in old.env (deleted since) and is still in
    // fixture.env at HEAD, whose finding the user suppressed: old.env's
    // finding must say the secret is still at HEAD.
    let mut repo = Repo::new();
    let secret = leak("suppressed-at-head");
    repo.commit_files(&[("old.env", &secret)], "old");
    repo.remove("old.env");
    repo.commit_files(&[("fixture.env", &secret)], "move");
    let (_, doc, _) = history(repo.path(), &[]);
    let fixture = findings(&doc)
        .iter()
        .find(|f| f["path"] == "fixture.env")
        .expect("fixture.env reported")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    repo.write(
        ".keyhound.toml",
        format!("[allowlist]\nfingerprints = [\"{fixture}\"]\n").as_bytes(),
    );
    let (code, doc, err) = history(repo.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found(&doc).len(), 1, "{doc:#}");
    let (path, _, at_head) = &found(&doc)[0];
    assert_eq!((path.as_str(), *at_head), ("old.env", true), "{doc:#}");
}

#[test]
fn issue8_01_another_worktrees_detached_head_is_named_in_live_in() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    let wt_dir = tempfile::tempdir().unwrap();
    let wt_path = detached_worktree(&repo, wt_dir.path());
    std::fs::write(wt_path.join("wt.env"), leak("other-worktree")).unwrap();
    git(&wt_path, &["add", "wt.env"]);
    git(
        &wt_path,
        &[
            "-c",
            "user.name=W",
            "-c",
            "user.email=w@example.com",
            "commit",
            "-qm",
            "wt",
        ],
    );
    // From the main worktree, and from the linked one (where it is HEAD).
    let (_, doc, _) = history(repo.path(), &[]);
    assert_eq!(
        findings(&doc)[0]["live_in"],
        serde_json::json!(["worktrees/wt/HEAD"])
    );
    assert_eq!(findings(&doc)[0]["at_head"], false);
    let (_, doc, _) = history(&wt_path, &[]);
    assert_eq!(findings(&doc)[0]["live_in"], serde_json::json!(["HEAD"]));
    assert_eq!(findings(&doc)[0]["at_head"], true);
}

#[test]
fn issue10_passwords_a_blob_with_a_lone_exchange_passphrase_and_another_secret_does_not_crash() {
    // Broke: `keyhound git` panicked (index out of bounds in grouping) when
    // a blob's matches outnumbered its findings: a ccxt `'password'` (an
    // OKX passphrase) with no OKX key beside it is folded away, yet its
    // bytes were kept, next to another finding of the same blob.
    let mut repo = Repo::new();
    let token = Fake::from_str_seed("lone-passphrase").alnum(32);
    let text =
        format!("okx = ccxt.okx({{'password': 'Tr4d1ng-Passphrase'}})\nAPI_TOKEN = '{token}'\n");
    repo.commit_files(&[("bot.py", &text)], "add bot");
    let (code, doc, err) = history(repo.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        summary(&doc),
        [("bot.py".to_string(), 2, "generic-secret".to_string())]
    );
}
