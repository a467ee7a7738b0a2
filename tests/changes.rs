//! What `keyhound git --range` and `keyhound scan --staged` report from
//! real repositories (built with the real git: merges, `git mv`, partial
//! clones over `file://`): content that an exclusion no longer hides,
//! where a range's findings point, and ranges a partial clone cannot read
//! whole.

mod common;

use common::git::{Repo, git};
use common::*;

fn leak(seed: &str) -> String {
    format!(
        "BINANCE_API_KEY={}\nBINANCE_SECRET_KEY={}\n",
        binance_key(&format!("{seed}-key")),
        binance_key(seed)
    )
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

/// `keyhound git --range RANGE --format json ARGS…` in `dir`.
fn range(dir: &std::path::Path, range: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["git", "--range", range, "--format", "json"];
    all.extend_from_slice(args);
    let o = run(dir, &all);
    (code(&o), json(&o))
}

/// The two ways a repository excludes a path from scans.
const EXCLUSIONS: [(&str, &str); 2] = [
    (".keyhoundignore", "tests/fixtures/\n"),
    (
        ".keyhound.toml",
        "[allowlist]\npaths = [\"tests/fixtures/**\"]\n",
    ),
];

/// A repository whose `main` excludes `tests/fixtures/` (with `exclusion`)
/// and holds a key pair there; returns it and the base commit.
fn fixture_repo(exclusion: (&str, &str)) -> (Repo, String) {
    let repo = Repo::new();
    git(repo.path(), &["checkout", "-q", "-b", "main"]);
    write(repo.path(), exclusion.0, exclusion.1.as_bytes());
    write(
        repo.path(),
        "tests/fixtures/keys.env",
        leak("fixture").as_bytes(),
    );
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "fixtures"]);
    let base = git(repo.path(), &["rev-parse", "HEAD"]);
    (repo, base)
}

// --- Content an exclusion no longer hides ----------------------------------

#[test]
fn issue8_10c_a_merge_that_moves_content_out_of_an_excluded_path_reports_it() {
    // Broke (review R4): the merge's lines added against each parent were
    // intersected (nothing ∩ nothing: a pure rename adds no line) before
    // the rename out of the excluded path counted, so the keys moved to
    // deploy/prod.env by the merge commit itself were never reported.
    for exclusion in EXCLUSIONS {
        let (repo, base) = fixture_repo(exclusion);
        let dir = repo.path();
        git(dir, &["checkout", "-q", "-b", "side"]);
        write(dir, "side.txt", b"side\n");
        git(dir, &["add", "side.txt"]);
        git(dir, &["commit", "-q", "-m", "side"]);
        git(dir, &["checkout", "-q", "main"]);
        write(dir, "main.txt", b"main\n");
        git(dir, &["add", "main.txt"]);
        git(dir, &["commit", "-q", "-m", "main"]);
        git(dir, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
        std::fs::create_dir(dir.join("deploy")).unwrap();
        git(dir, &["mv", "tests/fixtures/keys.env", "deploy/prod.env"]);
        git(
            dir,
            &["commit", "-q", "-m", "merge side, and move the keys"],
        );
        let merge = git(dir, &["rev-parse", "HEAD"]);
        let (status, doc) = range(dir, &format!("{base}..HEAD"), &[]);
        assert_eq!(status, 1, "{}: {doc:#}", exclusion.0);
        let found = summary(&doc);
        assert_eq!(
            found,
            [
                (
                    "deploy/prod.env".to_string(),
                    1,
                    "binance-api-key".to_string()
                ),
                (
                    "deploy/prod.env".to_string(),
                    2,
                    "binance-secret-key".to_string()
                ),
            ],
            "{}",
            exclusion.0
        );
        assert!(findings(&doc).iter().all(|f| f["commit"] == merge.as_str()));
    }
}

#[test]
fn issue8_10c_a_merge_is_new_whole_against_a_parent_that_lacked_the_file() {
    // One parent had the keys at the excluded path, the other never had
    // them: against both, deploy/prod.env is new.
    let (repo, base) = fixture_repo(EXCLUSIONS[0]);
    let dir = repo.path();
    git(dir, &["checkout", "-q", "-b", "side", "HEAD"]);
    git(dir, &["rm", "-q", "tests/fixtures/keys.env"]);
    git(dir, &["commit", "-q", "-m", "side drops the fixtures"]);
    git(dir, &["checkout", "-q", "main"]);
    git(
        dir,
        &[
            "merge",
            "-q",
            "--no-ff",
            "--no-commit",
            "-s",
            "ours",
            "side",
        ],
    );
    std::fs::create_dir(dir.join("deploy")).unwrap();
    git(dir, &["mv", "tests/fixtures/keys.env", "deploy/prod.env"]);
    git(dir, &["commit", "-q", "-m", "merge"]);
    let (status, doc) = range(dir, &format!("{base}..HEAD"), &[]);
    assert_eq!(status, 1, "{doc:#}");
    assert_eq!(summary(&doc).len(), 2, "{doc:#}");
}

#[test]
fn issue8_10c_un_excluding_a_path_scans_what_it_holds_whole() {
    // Broke (review R10): taking `tests/fixtures/` out of .keyhoundignore
    // (or the path allowlist) makes the committed keys part of the scanned
    // tree, and neither `scan --staged` nor `git --range` said anything.
    for (file, exclude) in EXCLUSIONS {
        let (repo, base) = fixture_repo((file, exclude));
        let dir = repo.path();
        let keep = if file == ".keyhound.toml" {
            "[allowlist]\npaths = [\"docs/**\"]\n"
        } else {
            "docs/\n"
        };
        write(dir, file, keep.as_bytes());
        git(dir, &["add", file]);
        // The index is what the commit records: it governs, not the work
        // tree, which here still excludes the fixtures.
        write(dir, file, exclude.as_bytes());
        let (status, doc) = scan_json(dir, &["--staged"]);
        assert_eq!(status, 1, "{file}: {doc:#}");
        assert_eq!(
            summary(&doc),
            [
                (
                    "tests/fixtures/keys.env".to_string(),
                    1,
                    "binance-api-key".to_string()
                ),
                (
                    "tests/fixtures/keys.env".to_string(),
                    2,
                    "binance-secret-key".to_string()
                ),
            ],
            "{file}"
        );
        git(dir, &["commit", "-q", "-m", "scan the fixtures"]);
        let unexcluded = git(dir, &["rev-parse", "HEAD"]);
        git(dir, &["checkout", "-q", "--", file]);
        let (status, doc) = range(dir, &format!("{base}..HEAD"), &[]);
        assert_eq!(status, 1, "{file}: {doc:#}");
        assert_eq!(summary(&doc).len(), 2, "{file}: {doc:#}");
        assert!(
            findings(&doc)
                .iter()
                .all(|f| f["commit"] == unexcluded.as_str()),
            "{doc:#}"
        );
    }
}

#[test]
fn issue8_10c_a_staged_exclusion_governs_the_staged_scan() {
    // The other way: a staged .keyhoundignore that excludes a staged file
    // holds for the commit that records both, whatever the work tree says.
    let repo = Repo::new();
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "init"],
    );
    write(repo.path(), ".keyhoundignore", b"tests/fixtures/\n");
    write(
        repo.path(),
        "tests/fixtures/keys.env",
        leak("staged").as_bytes(),
    );
    git(repo.path(), &["add", "-A"]);
    std::fs::remove_file(repo.path().join(".keyhoundignore")).unwrap();
    let (status, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!(status, 0, "{doc:#}");
}

// --- Where a range's findings point ----------------------------------------

/// A range over which x.env gains a key pair, then a header line above it,
/// then a rewritten secret line; returns the repository, the base and the
/// commit that added the keys.
fn moving_secret() -> (Repo, String, String) {
    let repo = Repo::new();
    let dir = repo.path();
    write(dir, "README.md", b"# bot\n");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "init"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    let (key, secret) = (binance_key("moving-key"), binance_key("moving"));
    write(
        dir,
        "x.env",
        format!("BINANCE_API_KEY={key}\nBINANCE_SECRET_KEY={secret}\n").as_bytes(),
    );
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "add keys"]);
    let added = git(dir, &["rev-parse", "HEAD"]);
    write(
        dir,
        "x.env",
        format!("# header\nBINANCE_API_KEY={key}\nBINANCE_SECRET_KEY={secret}\n").as_bytes(),
    );
    git(dir, &["commit", "-q", "-am", "header"]);
    write(
        dir,
        "x.env",
        format!("# header\nBINANCE_API_KEY={key}\nBINANCE_SECRET_KEY = {secret}\n").as_bytes(),
    );
    git(dir, &["commit", "-q", "-am", "respace"]);
    (repo, base, added)
}

#[test]
fn issue8_04_a_range_points_at_its_heads_lines_once_per_secret() {
    // Broke (review R9): the annotation pointed at line 1 (`# header`),
    // the adding commit's line, and the secret rewritten by a later commit
    // of the range was reported a second time.
    let (repo, base, added) = moving_secret();
    let spec = format!("{base}..HEAD");
    let (status, doc) = range(repo.path(), &spec, &[]);
    assert_eq!(status, 1, "{doc:#}");
    assert_eq!(
        summary(&doc),
        [
            ("x.env".to_string(), 2, "binance-api-key".to_string()),
            ("x.env".to_string(), 3, "binance-secret-key".to_string()),
        ]
    );
    for (f, line) in findings(&doc).iter().zip([1, 2]) {
        assert_eq!(f["commit"], added.as_str(), "{f}");
        assert_eq!(f["lines_at"], "head", "{f}");
        assert_eq!(f["introduced"]["commit"], added.as_str(), "{f}");
        assert_eq!(f["introduced"]["line"], line, "{f}");
    }
    let o = run(
        repo.path(),
        &["git", "--range", &spec, "--format", "github"],
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("::error file=x.env,line=2,col=17,"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("::error file=x.env,line=3,col=22,"),
        "{out}"
    );
    assert!(
        lines[0].contains("at line 1 when that commit added it"),
        "{out}"
    );
    let o = run(repo.path(), &["git", "--range", &spec, "--format", "sarif"]);
    let sarif = json(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(results[0]["properties"]["lines_at"], "head");
    assert!(results[0]["properties"].get("live_in").is_none());
}

#[test]
fn issue8_04_a_secret_the_ranges_head_no_longer_holds_names_the_file_as_a_whole() {
    let (repo, base, added) = moving_secret();
    let dir = repo.path();
    write(
        dir,
        "x.env",
        b"# header\n# keys come from the environment\n\n\n",
    );
    git(dir, &["commit", "-q", "-am", "remove the keys"]);
    let spec = format!("{base}..HEAD");
    let (status, doc) = range(dir, &spec, &[]);
    assert_eq!(status, 1, "{doc:#}");
    let f = &findings(&doc)[0];
    assert_eq!(findings(&doc).len(), 2, "{doc:#}");
    assert_eq!(f["lines_at"], "introduced", "{f}");
    assert_eq!(f["line"], 1, "the adding commit's line: {f}");
    assert_eq!(f["commit"], added.as_str());
    let o = run(dir, &["git", "--range", &spec, "--format", "github"]);
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("::error file=x.env,title="), "{out}");
    assert!(
        first.contains("not in HEAD's version of this file: at line 1"),
        "{out}"
    );
    let o = run(dir, &["git", "--range", &spec, "--format", "sarif"]);
    let sarif = json(&o);
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(location.get("region").is_none(), "{location}");
    assert_eq!(location["artifactLocation"]["uri"], "x.env");
}

// --- Partial clones --------------------------------------------------------

/// A repository served to clones with filters allowed: a clean base, a
/// commit that edits README.md, one that adds leak.env, and a tag-only
/// commit holding a key.
fn source() -> (Repo, String) {
    let repo = Repo::new();
    let dir = repo.path();
    git(dir, &["config", "uploadpack.allowFilter", "true"]);
    git(dir, &["checkout", "-q", "-b", "main"]);
    write(dir, "README.md", b"# bot\n");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "init"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    git(dir, &["checkout", "-q", "-b", "release"]);
    write(dir, "release.env", leak("tag-only").as_bytes());
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "release keys"]);
    git(dir, &["tag", "-a", "-m", "v1", "v1"]);
    git(dir, &["checkout", "-q", "main"]);
    git(dir, &["branch", "-q", "-D", "release"]);
    write(dir, "README.md", b"# trading bot\n");
    git(dir, &["commit", "-q", "-am", "docs"]);
    write(dir, "leak.env", leak("partial").as_bytes());
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "leak"]);
    (repo, base)
}

fn clone(source: &Repo, filter: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let url = format!("file://{}", source.path().display());
    git(work.path(), &["clone", "-q", filter, &url, "clone"]);
    let dir = work.path().join("clone");
    (work, dir)
}

/// Runs, in `dir`, the fix that `summary` (a summary line) gives between
/// its backticks; returns it.
fn follow_advice(dir: &std::path::Path, summary: &str) -> String {
    let start = summary.find("fetch them with `").expect("advice") + "fetch them with `".len();
    let fix = &summary[start..start + summary[start..].find('`').unwrap()];
    // In the foreground: a refetch starts `git maintenance`, which would
    // repack while keyhound reads.
    let ok = std::process::Command::new("sh")
        .args(["-c", fix])
        .current_dir(dir)
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "gc.autoDetach")
        .env("GIT_CONFIG_VALUE_0", "false")
        .env("GIT_CONFIG_KEY_1", "maintenance.autoDetach")
        .env("GIT_CONFIG_VALUE_1", "false")
        .status()
        .unwrap();
    assert!(ok.success(), "{fix}");
    fix.to_string()
}

#[test]
fn issue8_06_a_range_in_a_partial_clone_scans_what_it_can_and_says_what_it_could_not() {
    // Broke (review R11, U5): `cannot read commit …`, exit 2, no report
    // even with -o, no advice.
    let (source, base) = source();
    for filter in ["--filter=blob:none", "--filter=tree:0"] {
        let (_work, dir) = clone(&source, filter);
        let spec = format!("{base}..HEAD");
        let o = run(
            &dir,
            &[
                "git", "--range", &spec, "--format", "sarif", "-o", "r.sarif",
            ],
        );
        let err = stderr(&o);
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("r.sarif")).unwrap()).unwrap();
        let run0 = &sarif["runs"][0];
        assert_eq!(
            run0["invocations"][0]["executionSuccessful"], false,
            "{filter}: {err}"
        );
        assert!(err.contains("not checked"), "{filter}: {err}");
        assert!(err.contains("--refetch --tags origin"), "{filter}: {err}");
        let (status, doc) = range(&dir, &spec, &[]);
        assert_eq!(doc["stats"]["complete"], false, "{filter}: {doc:#}");
        assert_eq!(doc["stats"]["unchecked"][0]["reason"], "missing-objects");
        assert!(doc["stats"]["missing_objects"].as_u64().unwrap() >= 1);
        if filter == "--filter=blob:none" {
            // The docs commit's old README is missing; the leak's commit
            // adds a file whose blob HEAD has: it is checked.
            assert_eq!(status, 1, "{doc:#}");
            assert_eq!(summary(&doc).len(), 2, "{doc:#}");
            let what = doc["stats"]["unchecked"][0]["what"].as_str().unwrap();
            assert!(what.contains("README.md in commit"), "{what}");
        } else {
            assert!(status == 1 || status == 2, "{status}: {doc:#}");
        }
        // Nothing found and something not checked: exit 2.
        let o = run(&dir, &["git", "--range", &format!("{base}..HEAD~1")]);
        assert_eq!(code(&o), 2, "{filter}: {}", stdout(&o));
        let summary_line = stdout(&o);
        assert!(
            summary_line.contains("scan incomplete: no secrets found in what could be read"),
            "{summary_line}"
        );
        // The advice works: afterwards the range is read whole.
        follow_advice(&dir, &summary_line);
        let (status, doc) = range(&dir, &spec, &[]);
        assert_eq!(status, 1, "{filter}: {doc:#}");
        assert_eq!(doc["stats"]["complete"], true, "{filter}: {doc:#}");
        assert_eq!(summary(&doc).len(), 2);
    }
}

#[test]
fn issue8_06_the_partial_clone_advice_also_fetches_what_only_tags_reach() {
    // Broke (review U4): `git fetch --refetch origin` fetches the branches'
    // objects; a blob only a tag reaches stayed missing, and the audit
    // stayed incomplete after following the advice.
    let (source, _) = source();
    let (_work, dir) = clone(&source, "--filter=blob:none");
    let o = run(&dir, &["git"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    let line = out.lines().rfind(|l| l.starts_with("keyhound:")).unwrap();
    let fix = follow_advice(&dir, line);
    let missing = git(&dir, &["rev-list", "--objects", "--missing=print", "--all"]);
    assert!(
        !missing.lines().any(|l| l.starts_with('?')),
        "still missing after `{fix}`:\n{missing}"
    );
    let o = run(&dir, &["git", "--format", "json"]);
    let doc = json(&o);
    assert_eq!(doc["stats"]["complete"], true, "{doc:#}");
    assert!(
        findings(&doc).iter().any(|f| f["path"] == "release.env"),
        "{doc:#}"
    );
}

/// New-user trial: an empty range ended "no secrets found; scanned 0
/// files", like a clean pass over something; a history audit's "files"
/// are distinct blobs. The summary says which, and how many commits.
#[test]
fn the_summary_counts_commits_and_says_when_a_range_holds_none() {
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "one");
    repo.commit_files(&[("README.md", "# bot\nmore\n")], "two");
    let o = run(repo.path(), &["git", "--range", "HEAD..HEAD"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("no secrets found; the range holds no commit;"),
        "{}",
        stdout(&o)
    );
    let o = run(repo.path(), &["git", "--range", "HEAD~1..HEAD"]);
    assert!(
        stdout(&o).contains("scanned 1 file (") && stdout(&o).contains(") of 1 commit in "),
        "{}",
        stdout(&o)
    );
    let o = run(repo.path(), &["git"]);
    assert!(
        stdout(&o).contains("scanned 2 distinct blobs (")
            && stdout(&o).contains(") of 2 commits in "),
        "{}",
        stdout(&o)
    );
    let (_, doc) = scan_json(repo.path(), &[]);
    assert!(doc["stats"].get("commits_scanned").is_none(), "{doc:#}");
}

/// Helper review N1: `--range` showed file names that are not UTF-8
/// lossily, merged two such names into one entry and said "HEAD has no
/// such file" of a file HEAD holds. Paths are Git's bytes, as in the
/// history audit.
#[cfg(unix)]
#[test]
fn issue8_04_range_findings_in_files_whose_names_are_not_utf8_are_at_heads_lines() {
    use std::os::unix::ffi::OsStrExt;
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "base");
    let base = git(repo.path(), &["rev-parse", "HEAD"]).trim().to_string();
    let secret = binance_key("not-utf8-names");
    for (name, body) in [
        (&b"a\xff.env"[..], format!("BINANCE_SECRET_KEY={secret}\n")),
        (
            &b"a\xfe.env"[..],
            format!("X=1\nBINANCE_SECRET_KEY={secret}\n"),
        ),
    ] {
        let path = repo.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, body).unwrap();
    }
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "keys"]);
    let (status, doc) = range(repo.path(), &format!("{base}..HEAD"), &[]);
    assert_eq!(status, 1, "{doc:#}");
    let mut got: Vec<(String, u64, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["lines_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("a\\xfe.env".to_string(), 2, "head".to_string()),
            ("a\\xff.env".to_string(), 1, "head".to_string()),
        ],
        "{doc:#}"
    );
    // Fingerprints name the file as `keyhound scan` does.
    let (_, scanned) = scan_json(repo.path(), &[]);
    let mut want: Vec<&str> = findings(&scanned)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let mut have: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    want.sort();
    have.sort();
    assert_eq!(have, want);
}
