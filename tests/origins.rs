//! Where a history audit says a secret came from: the commit whose file
//! first held its bytes, even before anything made it detectable; no
//! commit named where that cannot be known (a version a partial clone does
//! not have, a shallow clone's boundary, a tag of a tree or blob); and the
//! words for what HEAD has at that path. Reviewers' defects R7, R8, R14
//! and U3 (issue 8 review).

mod common;

use common::git::{Repo, git, refetch};
use common::*;
use serde_json::Value;

fn audit(dir: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["git", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(dir, &args);
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    (code(&o), doc)
}

fn text(dir: &std::path::Path) -> String {
    stdout(&run(dir, &["git"]))
}

fn by_rule<'a>(doc: &'a Value, rule: &str) -> &'a Value {
    findings(doc)
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule}: {doc:#}"))
}

/// A bot whose key and secret are committed months before the import
/// that lets keyhound recognise them as Binance's.
fn late_context(repo: &mut Repo, key: &str, secret: &str) -> (git2::Oid, git2::Oid) {
    let body = format!("import os\nclient = Client(\"{key}\", \"{secret}\")\n");
    repo.set_time(1_704_067_200); // 2024-01-01
    let keys = repo.commit_files(&[("bot.py", &body)], "add bot with keys");
    repo.set_time(1_717_200_000); // 2024-06-01
    let import = repo.commit_files(
        &[(
            "bot.py",
            &format!("from binance.client import Client\n{body}"),
        )],
        "add import",
    );
    (keys, import)
}

/// Reviewer R's a10: the commit that added the key's bytes is the one that
/// introduced it, not the later one that made it detectable (`git log -S`
/// agrees); it counts once.
#[test]
fn review_r8_introduced_is_the_commit_that_added_the_bytes_before_they_were_detectable() {
    let mut repo = Repo::new();
    let (key, secret) = (binance_key("r8-key"), binance_key("r8-secret"));
    let (keys, _) = late_context(&mut repo, &key, &secret);
    let (_, doc) = audit(repo.path(), &[]);
    for rule in ["binance-api-key", "binance-secret-key"] {
        let f = by_rule(&doc, rule);
        assert_eq!(f["commit"], keys.to_string(), "{doc:#}");
        assert_eq!(f["date"], "2024-01-01T01:00:00+01:00");
        assert_eq!(f["commits"], 1, "{doc:#}");
        assert_eq!(f["introduced"]["commit"], keys.to_string());
        assert_eq!(f["introduced"]["line"], 2, "the line in that commit");
        assert_eq!(
            (&f["line"], &f["lines_at"]),
            (&Value::from(3), &Value::from("head"))
        );
    }
    let out = text(repo.path());
    assert!(
        out.contains(&format!(
            "first added in commit {} (at line 2 there)",
            &keys.to_string()[..12]
        )),
        "{out}"
    );
}

/// The same, once the file is gone: the lines and the snippet are those of
/// the commit that added the bytes, with both secrets of the line masked;
/// and a context removed and added back does not count again.
#[test]
fn review_r8_a_version_where_the_secret_was_not_detectable_is_shown_masked_and_counts_once() {
    let mut repo = Repo::new();
    let (key, secret) = (binance_key("r8b-key"), binance_key("r8b-secret"));
    let (keys, _) = late_context(&mut repo, &key, &secret);
    let body = format!("import os\nclient = Client(\"{key}\", \"{secret}\")\n");
    repo.commit_files(&[("bot.py", &body)], "drop the import");
    repo.commit_files(
        &[(
            "bot.py",
            &format!("from binance.client import Client\n{body}"),
        )],
        "import again",
    );
    repo.remove("bot.py");
    repo.stage("bot.py");
    repo.commit("remove the bot");
    let (_, doc) = audit(repo.path(), &[]);
    let f = by_rule(&doc, "binance-secret-key");
    assert_eq!(f["commit"], keys.to_string(), "{doc:#}");
    assert_eq!(f["commits"], 1, "present all along: {doc:#}");
    assert_eq!(
        (&f["line"], &f["lines_at"]),
        (&Value::from(2), &Value::from("introduced"))
    );
    let out = text(repo.path());
    assert!(!out.contains(&key) && !out.contains(&secret), "{out}");
    assert!(out.contains("  2 | client = Client(\""), "{out}");
    assert!(out.contains("HEAD has no such file; as commit"), "{out}");
}

/// Reviewer R's a11: a key that another file identifies as Binance's is
/// relabelled; its secret next to it is then its other half, as `scan .`
/// says.
#[test]
fn review_r7_key_and_secret_relabelled_in_history_are_paired_as_scan_says() {
    let mut repo = Repo::new();
    let (key, secret) = (binance_key("r7-key"), binance_key("r7-secret"));
    repo.commit_files(
        &[
            (
                "notes.md",
                &format!("| binance | {key} |\n\nBINANCE_SECRET_KEY={secret}\n"),
            ),
            ("b.env", &format!("BINANCE_API_KEY={key}\n")),
        ],
        "add",
    );
    let (_, scan) = scan_json(repo.path(), &["."]);
    let (_, doc) = audit(repo.path(), &[]);
    let pairs = |doc: &Value| -> Vec<(String, String, Value)> {
        findings(doc)
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["paired"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(pairs(&doc), pairs(&scan), "{doc:#}");
    assert!(
        pairs(&doc).contains(&(
            "notes.md".into(),
            "binance-secret-key".into(),
            Value::from(true)
        )),
        "{doc:#}"
    );
}

/// Reviewer U's h1/partial (U3): in a blobless clone the version of the
/// file that added the secret is missing; the audit named the commit that
/// only moved it (inserted lines above) as its first. It names no commit,
/// gives the earliest version it could read, and says why; fetched, the
/// true commit.
#[test]
fn review_u3_a_partial_clone_names_no_commit_before_a_version_it_cannot_read() {
    let mut source = Repo::new();
    let secret = format!(
        "# binance\nBINANCE_API_SECRET = \"{}\"\n",
        binance_key("u3")
    );
    source.set_time(1_588_291_200); // 2020-05-01
    let added = source.commit_files(&[("head.py", &secret)], "head secret");
    source.set_time(1_596_240_000); // 2020-08-01
    let moved = source.commit_files(
        &[("head.py", &format!("import os\nimport sys\n\n\n{secret}"))],
        "insert lines",
    );
    git(source.path(), &["config", "uploadpack.allowFilter", "true"]);
    let work = tempfile::tempdir().unwrap();
    let url = format!("file://{}", source.path().display());
    git(
        work.path(),
        &["clone", "-q", "--filter=blob:none", &url, "part"],
    );
    let clone = work.path().join("part");
    let (code, doc) = audit(&clone, &[]);
    assert_eq!(code, 1);
    let f = &findings(&doc)[0];
    assert_eq!(f["earliest_readable"], moved.to_string(), "{doc:#}");
    for unknown in ["commit", "author", "date"] {
        assert!(f.get(unknown).is_none(), "{unknown}: {doc:#}");
    }
    assert!(f["introduced"].get("commit").is_none(), "{doc:#}");
    assert_eq!(f["commits"], 0, "no commit is known to have added it");
    let out = text(&clone);
    assert!(
        out.contains(&format!(
            "present in commit {}, the oldest version of this file the clone could read",
            &moved.to_string()[..12]
        )) && !out.contains("first added in"),
        "{out}"
    );
    let sarif = stdout(&run(&clone, &["git", "--format", "sarif"]));
    assert!(sarif.contains("\"earliest_readable\""), "{sarif}");

    // With the blobs fetched, the commit that added it.
    git(
        &clone,
        &["config", "--unset", "remote.origin.partialclonefilter"],
    );
    refetch(&clone, &[]);
    let (_, doc) = audit(&clone, &[]);
    let f = &findings(&doc)[0];
    assert_eq!(f["commit"], added.to_string(), "{doc:#}");
    assert!(f.get("earliest_readable").is_none());
}

/// Reviewer R's a4 (R14): a secret that only a tag of a blob or of a tree
/// holds was "added here by 1 commit"; no commit holds it.
#[test]
fn review_r14_a_tag_of_a_tree_or_blob_is_in_no_commit() {
    let mut repo = Repo::new();
    repo.commit_files(&[("README", "base\n")], "base");
    let blob = repo
        .repo
        .blob(format!("BINANCE_API_SECRET={}\n", binance_key("blob-tag")).as_bytes())
        .unwrap();
    let mut tree = repo.repo.treebuilder(None).unwrap();
    let in_tree = repo
        .repo
        .blob(format!("BINANCE_API_SECRET={}\n", binance_key("tree-tag")).as_bytes())
        .unwrap();
    tree.insert("t3.env", in_tree, 0o100644).unwrap();
    let tree = tree.write().unwrap();
    for (name, id) in [("blobtag", blob), ("treetag", tree)] {
        let obj = repo.repo.find_object(id, None).unwrap();
        repo.repo.tag_lightweight(name, &obj, false).unwrap();
    }
    let (_, doc) = audit(repo.path(), &[]);
    assert_eq!(findings(&doc).len(), 2, "{doc:#}");
    for f in findings(&doc) {
        assert_eq!(f["commits"], 0, "{doc:#}");
        assert!(f.get("commit").is_none());
    }
    let out = text(repo.path());
    assert!(!out.contains("added here by"), "{out}");
    assert_eq!(
        out.matches("  not at HEAD; as a tag of a tree or blob had it:")
            .count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.matches("in no commit, only a tag of a tree or blob; still on tag `")
            .count(),
        2,
        "{out}"
    );
}

/// Reviewer R's b3 (R14, U12): at a shallow clone's boundary the commit
/// that added a secret is unknown: "at the boundary", and `commits` counts
/// only commits known to have added it (none here).
#[test]
fn review_r14_a_shallow_boundary_is_at_the_boundary_and_counts_no_commit() {
    let mut source = Repo::new();
    source.commit_files(&[("README", "base\n")], "base");
    source.commit_files(
        &[(
            "old.env",
            &format!("BINANCE_API_SECRET={}\n", binance_key("b3")),
        )],
        "add old",
    );
    for i in 0..3 {
        source.commit_files(&[(&format!("f{i}") as &str, "x\n")], "more");
    }
    let work = tempfile::tempdir().unwrap();
    let url = format!("file://{}", source.path().display());
    git(
        work.path(),
        &["clone", "-q", "--depth", "2", &url, "shallow"],
    );
    let clone = work.path().join("shallow");
    let (_, doc) = audit(&clone, &[]);
    let f = &findings(&doc)[0];
    assert!(f["shallow_boundary"].is_string(), "{doc:#}");
    assert_eq!(f["commits"], 0, "{doc:#}");
    let out = text(&clone);
    assert!(out.contains("  at the boundary; still at HEAD"), "{out}");
    assert!(!out.contains("added here by"), "{out}");
}

/// Reviewer R's a1 (R14): "not in HEAD's version of this file" was said of
/// a file HEAD does not have.
#[test]
fn review_r14_a_file_gone_at_head_is_not_called_heads_version() {
    let mut repo = Repo::new();
    let leak = |seed: &str| format!("BINANCE_API_SECRET={}\n", binance_key(seed));
    repo.commit_files(
        &[("gone.env", &leak("gone")), ("kept.env", &leak("kept"))],
        "add",
    );
    repo.remove("gone.env");
    repo.commit_files(&[("kept.env", "A=1\n")], "remove one, edit the other");
    let out = text(repo.path());
    let block = |path: &str| {
        out.split("\n\n")
            .find(|b| b.starts_with(path))
            .unwrap_or_else(|| panic!("{path}: {out}"))
            .to_string()
    };
    assert!(
        block("gone.env").contains("  HEAD has no such file; as commit"),
        "{out}"
    );
    assert!(
        block("kept.env").contains("  not in HEAD's version of this file; as commit"),
        "{out}"
    );
    let sarif = stdout(&run(repo.path(), &["git", "--format", "sarif"]));
    assert!(
        sarif.contains("HEAD has no such file: at line 1 of commit"),
        "{sarif}"
    );
}

/// Helper review N3: a branch whose tip holds the key and secret in a form
/// no rule recognises alone (`Client("<key>", "<secret>")` without the
/// import) still holds them: the audit must not say "only in history".
#[test]
fn issue8_01_a_tip_that_holds_the_bytes_unrecognised_still_holds_the_secret() {
    let mut repo = Repo::new();
    let (key, secret) = (binance_key("n3-key"), binance_key("n3-secret"));
    let body = format!("client = Client(\"{key}\", \"{secret}\")\n");
    repo.commit_files(&[("README", "bot\n")], "base");
    repo.branch("exp");
    repo.commit_files(&[("bot.py", &format!("import os\n{body}"))], "exp");
    repo.checkout("master");
    repo.commit_files(
        &[(
            "bot.py",
            &format!("from binance.client import Client\n{body}"),
        )],
        "master with the import",
    );
    repo.remove("bot.py");
    repo.stage("bot.py");
    repo.commit("remove the bot");
    let (status, doc) = audit(repo.path(), &[]);
    assert_eq!(status, 1, "{doc:#}");
    for rule in ["binance-api-key", "binance-secret-key"] {
        let f = by_rule(&doc, rule);
        assert_eq!(f["live_in"], serde_json::json!(["refs/heads/exp"]), "{f:#}");
        assert_eq!(f["at_head"], false, "{f:#}");
    }
    let out = text(repo.path());
    assert!(out.contains("still on branch `exp`"), "{out}");
    assert!(!out.contains("only in history"), "{out}");
}
