//! What a history audit says about each secret must be true: where it still
//! is (`live_in`), which commit first exposed it, how many commits
//! introduced it, where HEAD has it; and a secret is one entry however many
//! rules match it (issue 8, items 1–5).

mod common;

use common::git::Repo;
use common::*;
use serde_json::Value;

fn leak(seed: &str) -> String {
    format!("# binance\nBINANCE_API_SECRET={}\n", binance_key(seed))
}

fn history(dir: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["git", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(dir, &args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)))
}

fn by_path<'a>(doc: &'a Value, path: &str) -> &'a Value {
    findings(doc)
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no finding at {path}: {doc:#}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn issue8_01_a_secret_on_an_unmerged_branch_is_live_in_that_branch() {
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.branch("experiment");
    let config = format!(
        "binance:\n  api_key: {}\n  api_secret: {}\n",
        binance_key("exp-key"),
        binance_key("exp-secret")
    );
    repo.commit_files(&[("config.yaml", &config)], "try the bot");
    repo.checkout("master");
    let doc = history(repo.path(), &[]);
    assert_eq!(findings(&doc).len(), 2, "{doc:#}");
    for f in findings(&doc) {
        assert_eq!(f["at_head"], false, "{f:#}");
        assert_eq!(strings(&f["live_in"]), ["refs/heads/experiment"], "{f:#}");
    }
    let out = stdout(&run(repo.path(), &["git"]));
    assert!(out.contains("still on branch `experiment`"), "{out}");
    assert!(
        !out.contains("removed") && !out.contains("only in history"),
        "{out}"
    );
}

#[test]
fn issue8_01_live_in_names_tags_stash_entries_detached_heads_and_nothing_for_removed_secrets() {
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    // Only a tag reaches this commit.
    repo.commit_tagged_only("v1.0", &[("release.env", &leak("tagged"))]);
    // Removed from the only branch that had it.
    repo.commit_files(&[("old.env", &leak("removed"))], "leak");
    repo.remove("old.env");
    repo.commit_files(&[], "remove the leak");
    // stash@{1}: a secret only in the stash's index; stash@{0}: one only in
    // its untracked files.
    let sig = git2::Signature::now("S", "s@example.com").unwrap();
    repo.write("a.txt", leak("staged").as_bytes());
    repo.stage("a.txt");
    repo.write("a.txt", b"a\nb\n");
    repo.repo.stash_save(&sig, "older", None).unwrap();
    repo.write("untracked.env", leak("untracked").as_bytes());
    repo.repo
        .stash_save(&sig, "newer", Some(git2::StashFlags::INCLUDE_UNTRACKED))
        .unwrap();
    // A detached HEAD on a commit no branch has.
    let detached = repo.commit_files(&[("head.env", &leak("detached"))], "detached");
    repo.repo.set_head_detached(detached).unwrap();
    let head = repo.repo.find_commit(detached).unwrap();
    let parent = head.parent(0).unwrap();
    repo.repo
        .reference("refs/heads/master", parent.id(), true, "")
        .unwrap();

    let doc = history(repo.path(), &[]);
    let live = |path: &str| strings(&by_path(&doc, path)["live_in"]);
    assert_eq!(live("release.env"), ["refs/tags/v1.0"]);
    assert_eq!(live("old.env"), Vec::<&str>::new());
    assert_eq!(live("a.txt"), ["stash@{1}"]);
    assert_eq!(live("untracked.env"), ["stash@{0}"]);
    assert_eq!(live("head.env"), ["HEAD"]);
    assert_eq!(by_path(&doc, "head.env")["at_head"], true);
    assert_eq!(by_path(&doc, "old.env")["at_head"], false);

    let out = stdout(&run(repo.path(), &["git"]));
    for said in [
        "still on tag `v1.0`",
        "still in stash@{1}",
        "still in stash@{0}",
        "still at HEAD",
        "in no branch, tag or stash, only in history",
    ] {
        assert!(out.contains(said), "{said}: {out}");
    }
}

#[test]
fn issue8_02_a_secret_is_headed_by_its_first_exposure_by_commit_date() {
    let mut repo = Repo::new();
    let key = binance_key("first-exposure");
    repo.set_time(1_704_067_200); // 2024-01-01
    let first = repo.commit_files_as(
        "Bob",
        &[("zzz.env", &format!("# binance\nBINANCE_API_SECRET={key}\n"))],
        "config",
    );
    repo.set_time(1_735_689_600); // 2025-01-01
    let later = repo.commit_files_as(
        "Carol",
        &[(
            "aaa.py",
            &format!("# binance\nBINANCE_API_SECRET = \"{key}\"\n"),
        )],
        "script",
    );
    let doc = history(repo.path(), &[]);
    assert_eq!(by_path(&doc, "zzz.env")["commit"], first.to_string());
    assert_eq!(by_path(&doc, "aaa.py")["commit"], later.to_string());
    let out = stdout(&run(repo.path(), &["git"]));
    let mut lines = out.lines();
    assert!(
        lines.next().unwrap().starts_with("zzz.env:2:"),
        "headed by the first exposure: {out}"
    );
    let block: Vec<&str> = out.split("\n\n").next().unwrap().lines().collect();
    assert!(
        block.iter().any(|l| l.contains(&first.to_string()[..12])
            && l.contains("Bob")
            && l.contains("2024-01-01")),
        "{out}"
    );
    assert!(
        block
            .iter()
            .any(|l| l.starts_with("  also at aaa.py:2:") && l.contains(&later.to_string()[..12])),
        "{out}"
    );
    assert_eq!(
        out.matches("BINANCE_API_SECRET").count(),
        1,
        "one block: {out}"
    );
}

#[test]
fn issue8_02_the_first_commit_at_a_path_is_the_earliest_dated() {
    // Two branches add the same file; the one written later in topological
    // terms carries the earlier date.
    let mut repo = Repo::new();
    repo.commit_files(&[("a.txt", "a\n")], "init");
    repo.branch("late");
    repo.set_time(1_735_689_600);
    let late = repo.commit_files(&[("bot.env", &leak("two-branches"))], "late");
    repo.checkout("master");
    repo.branch("early");
    repo.set_time(1_704_067_200);
    let early = repo.commit_files(&[("bot.env", &leak("two-branches"))], "early");
    let doc = history(repo.path(), &[]);
    let f = by_path(&doc, "bot.env");
    assert_eq!(f["commit"], early.to_string(), "not {late}: {doc:#}");
    assert_eq!(f["commits"], 2, "{doc:#}");
}

#[test]
fn issue8_03_commits_counts_the_commits_that_introduced_the_secret() {
    let mut repo = Repo::new();
    let secret = leak("counted");
    repo.commit_files(&[("bot.env", &format!("{secret}RUN=0\n"))], "add");
    for i in 1..4 {
        // Another line of the file changes; the secret does not.
        repo.commit_files(&[("bot.env", &format!("{secret}RUN={i}\n"))], "tweak");
    }
    // A documentation example rewritten again and again: one introduction.
    repo.commit_files(
        &[("docs/config.md", &format!("Example:\n\n{secret}"))],
        "docs",
    );
    for i in 0..30 {
        repo.commit_files(
            &[(
                "docs/config.md",
                &format!("Example {i}:\n\n{secret}\nMore text {i}.\n"),
            )],
            "docs",
        );
    }
    // The documentation example is low confidence: shown on request.
    let doc = history(repo.path(), &["--min-confidence", "low"]);
    assert_eq!(by_path(&doc, "bot.env")["commits"], 1, "{doc:#}");
    assert_eq!(by_path(&doc, "docs/config.md")["commits"], 1, "{doc:#}");

    // Removed, then brought back: introduced twice. A merge that brings a
    // branch's secret in introduces nothing new.
    repo.commit_files(&[("bot.env", "RUN=9\n")], "remove");
    repo.commit_files(&[("bot.env", &secret)], "revert");
    repo.branch("side");
    repo.commit_files(&[("side.env", &leak("side"))], "side");
    repo.checkout("master");
    repo.commit_files(&[("a.txt", "a\n")], "main work");
    repo.merge("side", "merge side");
    let doc = history(repo.path(), &[]);
    assert_eq!(by_path(&doc, "bot.env")["commits"], 2, "{doc:#}");
    assert_eq!(by_path(&doc, "side.env")["commits"], 1, "{doc:#}");
}

#[test]
fn issue8_04_a_secret_still_at_head_is_reported_at_heads_lines() {
    let mut repo = Repo::new();
    let first = repo.commit_files(&[("bot.env", &leak("moved-down"))], "leak");
    let above = "A=1\nB=2\nC=3\nD=4\nE=5\n";
    repo.commit_files(
        &[("bot.env", &format!("{above}{}", leak("moved-down")))],
        "more",
    );
    // And one only in history, at a path HEAD still has.
    repo.commit_files(&[("old.env", &format!("X=1\n{}", leak("gone")))], "old");
    repo.commit_files(&[("old.env", "X=1\n")], "gone");

    let (_, scan) = scan_json(repo.path(), &["."]);
    let at_scan = &by_path(&scan, "bot.env")["line"];
    assert_eq!(at_scan, 7);
    let doc = history(repo.path(), &[]);
    let f = by_path(&doc, "bot.env");
    assert_eq!(
        (&f["line"], &f["lines_at"]),
        (at_scan, &Value::from("head"))
    );
    assert_eq!(f["column"], by_path(&scan, "bot.env")["column"]);
    assert_eq!(f["commit"], first.to_string());
    assert_eq!(f["introduced"]["commit"], first.to_string());
    assert_eq!(f["introduced"]["line"], 2);
    let old = by_path(&doc, "old.env");
    assert_eq!(
        (&old["line"], &old["lines_at"]),
        (&Value::from(3), &Value::from("introduced"))
    );
    assert_eq!(old["introduced"]["line"], 3);

    let out = stdout(&run(repo.path(), &["git"]));
    assert!(out.contains("bot.env:7:"), "{out}");
    assert!(out.contains("(at line 2 there)"), "{out}");
    assert!(out.contains("  7 | BINANCE_API_SECRET="), "{out}");

    // SARIF and annotations: HEAD's lines for what HEAD holds; the file as
    // a whole, with the commit named, for what only history holds.
    let o = run(repo.path(), &["git", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let loc = |path: &str| {
        let r = results
            .iter()
            .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path)
            .unwrap();
        (r["locations"][0]["physicalLocation"].clone(), r.clone())
    };
    let (bot, _) = loc("bot.env");
    assert_eq!(bot["region"]["startLine"], 7);
    let (old, result) = loc("old.env");
    assert!(old.get("region").is_none(), "{old:#}");
    let message = result["message"]["text"].as_str().unwrap();
    assert!(
        message.contains("not in HEAD's version of this file"),
        "{message}"
    );
    assert_eq!(result["properties"]["live_in"], Value::Array(Vec::new()));
    let o = run(repo.path(), &["git", "--format", "github"]);
    let gh = stdout(&o);
    assert!(gh.contains("file=bot.env,line=7,"), "{gh}");
    let old_line = gh.lines().find(|l| l.contains("file=old.env")).unwrap();
    assert!(!old_line.contains("line="), "{old_line}");
    assert!(
        old_line.contains("not in HEAD's version of this file"),
        "{old_line}"
    );
}

/// `(path, rule_id)` of each finding.
fn rules_of(doc: &Value) -> Vec<(String, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn issue8_05_one_secret_matched_by_two_rules_is_one_entry_in_every_mode() {
    let key = binance_key("two-rules");
    let generic = format!("API_SECRET={key}\n");
    let binance = format!("# binance\nBINANCE_API_SECRET={key}\n");
    let want = [
        ("a.env".to_string(), "binance-secret-key".to_string()),
        ("b.env".to_string(), "binance-secret-key".to_string()),
    ];
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "x\n")], "init");
    // Staged.
    repo.write("a.env", generic.as_bytes());
    repo.write("b.env", binance.as_bytes());
    repo.stage_all();
    let o = run(repo.path(), &["scan", "--staged", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rules_of(&doc), want, "staged: {doc:#}");
    // A range.
    repo.commit("two files");
    let doc = history(repo.path(), &["--range", "HEAD~1..HEAD"]);
    assert_eq!(rules_of(&doc), want, "range: {doc:#}");
    // Files.
    let (_, doc) = scan_json(repo.path(), &["."]);
    assert_eq!(rules_of(&doc), want, "scan: {doc:#}");
    // History: one version of a file without the Binance context, one with:
    // one entry per path, one block of text.
    repo.commit_files(&[("a.env", &format!("# binance\n{generic}"))], "context");
    let doc = history(repo.path(), &[]);
    assert_eq!(rules_of(&doc), want, "history: {doc:#}");
    let out = stdout(&run(repo.path(), &["git"]));
    assert!(!out.contains("generic-secret"), "{out}");
    assert_eq!(out.matches("binance-secret-key [").count(), 1, "{out}");
    let o = run(repo.path(), &["git", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["binance-secret-key", "binance-secret-key"]);
}

#[test]
fn issue8_05_accepted_fingerprints_hold_before_and_after_relabelling() {
    let key = binance_key("accepted");
    let dir = tree(&[
        ("a.env", &format!("API_SECRET={key}\n")),
        ("b.env", &format!("# binance\nBINANCE_API_SECRET={key}\n")),
    ]);
    let (_, doc) = scan_json(dir.path(), &["."]);
    let fp = |doc: &Value, path: &str| {
        by_path(doc, path)["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let relabelled = fp(&doc, "a.env");
    let b = fp(&doc, "b.env");
    // What a.env's finding was before relabelling (the fingerprint an older
    // keyhound showed): accepted too.
    let only_a = tree(&[("a.env", &format!("API_SECRET={key}\n"))]);
    let (_, doc) = scan_json(only_a.path(), &["."]);
    assert_eq!(rules_of(&doc)[0].1, "generic-secret");
    let generic = fp(&doc, "a.env");
    assert_ne!(generic, relabelled);
    for accepted in [vec![&relabelled], vec![&generic], vec![&relabelled, &b]] {
        let list: Vec<String> = accepted.iter().map(|f| format!("\"{f}\"")).collect();
        write(
            dir.path(),
            ".keyhound.toml",
            format!("[allowlist]\nfingerprints = [{}]\n", list.join(", ")).as_bytes(),
        );
        let (_, doc) = scan_json(dir.path(), &["."]);
        let paths: Vec<String> = rules_of(&doc).into_iter().map(|r| r.0).collect();
        let want: &[&str] = if accepted.len() == 2 { &[] } else { &["b.env"] };
        assert_eq!(paths, want, "accepted {accepted:?}: {doc:#}");
    }
}

#[test]
fn a_path_that_is_not_utf8_is_resolved_in_every_commit() {
    use std::os::unix::ffi::OsStrExt;
    let mut repo = Repo::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
    let secret = leak("not-utf8");
    for i in 0..3 {
        std::fs::write(repo.path().join(name), format!("{secret}RUN={i}\n")).unwrap();
        repo.stage_all();
        repo.commit("write");
    }
    let doc = history(repo.path(), &[]);
    let f = &findings(&doc)[0];
    assert_eq!(f["path"], "caf\\xe9.env", "{doc:#}");
    assert_eq!(
        (&f["commits"], &f["at_head"]),
        (&Value::from(1), &Value::from(true))
    );
    assert_eq!(f["lines_at"], "head");
}

/// Reviewer R's a12: two names that are not UTF-8 and differ only there
/// (`a\xff.env`, `a\xfe.env`) were one entry, shown `a\u{FFFD}.env`. Each
/// is its own entry, shown with the byte escaped; fingerprints stay those
/// of `keyhound scan` (which names both lossily).
#[test]
fn review_r14_two_names_that_are_not_utf8_and_look_alike_are_two_entries() {
    use std::os::unix::ffi::OsStrExt;
    let mut repo = Repo::new();
    let first = std::ffi::OsStr::from_bytes(b"a\xff.env");
    let second = std::ffi::OsStr::from_bytes(b"a\xfe.env");
    let secret = leak("look-alike");
    std::fs::write(repo.path().join(first), &secret).unwrap();
    repo.stage_all();
    let one = repo.commit("one");
    std::fs::write(repo.path().join(second), format!("{secret}X=1\n")).unwrap();
    repo.stage_all();
    let two = repo.commit("two");
    std::fs::remove_file(repo.path().join(first)).unwrap();
    repo.stage_all();
    repo.commit("remove the first");
    let doc = history(repo.path(), &[]);
    let got: Vec<(&str, &str, &str)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["commit"].as_str().unwrap(),
                f["lines_at"].as_str().unwrap(),
            )
        })
        .collect();
    let (one, two) = (one.to_string(), two.to_string());
    assert_eq!(
        got,
        [
            ("a\\xfe.env", two.as_str(), "head"),
            ("a\\xff.env", one.as_str(), "introduced")
        ],
        "{doc:#}"
    );
    let (_, scan) = scan_json(repo.path(), &["."]);
    assert_eq!(
        findings(&scan)[0]["fingerprint"],
        findings(&doc)[0]["fingerprint"]
    );
}

/// Reviewer R's a3 (U11): a secret's first exposure is chosen by committer
/// date, but only the author date was shown, so a rebased commit authored
/// earlier looked like the first. JSON keeps `date` (the author date) and
/// adds `committed`; the text shows the committer date when it differs.
#[test]
fn review_r6_the_committer_date_that_orders_exposures_is_shown() {
    let mut repo = Repo::new();
    let secret = leak("rebased");
    repo.set_time(1_640_995_200); // 2022-01-01
    repo.commit_files(&[("README", "base\n")], "base");
    repo.set_time(1_704_067_200); // 2024-01-01
    let zzz = repo.commit_files(&[("zzz.env", &secret)], "zzz");
    // Authored 2023-01-01, committed (rebased) 2025-01-01.
    repo.write("aaa.env", secret.as_bytes());
    repo.stage_all();
    let sig = |t: i64| git2::Signature::new("Rae", "rae@example.com", &git2::Time::new(t, 0));
    let (author, committer) = (sig(1_672_531_200).unwrap(), sig(1_735_689_600).unwrap());
    let tree = repo
        .repo
        .find_tree(repo.repo.index().unwrap().write_tree().unwrap())
        .unwrap();
    let parent = repo.repo.head().unwrap().peel_to_commit().unwrap();
    let aaa = repo
        .repo
        .commit(Some("HEAD"), &author, &committer, "aaa", &tree, &[&parent])
        .unwrap();
    let doc = history(repo.path(), &[]);
    let f = by_path(&doc, "aaa.env");
    assert_eq!(f["commit"], aaa.to_string());
    assert_eq!(f["date"], "2023-01-01T00:00:00+00:00", "the author date");
    assert_eq!(f["committed"], "2025-01-01T00:00:00+00:00", "{doc:#}");
    assert_eq!(
        by_path(&doc, "zzz.env")["committed"],
        "2024-01-01T01:00:00+01:00"
    );
    let out = stdout(&run(repo.path(), &["git"]));
    assert!(out.starts_with("zzz.env:2:"), "headed by zzz.env: {out}");
    assert!(
        out.contains(&format!(
            "also at aaa.env:2:20 (first added in commit {} on 2023-01-01T00:00:00+00:00 (committed 2025-01-01T00:00:00+00:00);",
            &aaa.to_string()[..12]
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "first added in commit {} by Alice <alice@example.com> on 2024-01-01T01:00:00+01:00\n",
            &zzz.to_string()[..12]
        )),
        "the same date twice is shown once: {out}"
    );
    // README says what orders them.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let words = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("the earliest by committer date"), "README");
}
