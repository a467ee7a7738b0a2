//! Issue 8, "no silent passes": a scan that could not check what it was
//! asked to check never looks clean, and its summary line says what was
//! not checked and how to get it checked. Real partial and shallow clones
//! over the file transport, real `git mv`, real large files.

mod common;

use common::git::{Repo, git, refetch};
use common::*;

fn leak(seed: &str) -> String {
    format!("# binance\nBINANCE_API_SECRET={}\n", binance_key(seed))
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

/// The last line of standard output: the text report's summary line.
fn summary_line(o: &std::process::Output) -> String {
    let out = stdout(o);
    out.lines()
        .rfind(|l| l.starts_with("keyhound:"))
        .unwrap_or_else(|| panic!("no summary line in {out}"))
        .to_string()
}

/// A repository whose history holds a secret no longer at HEAD, served to
/// clones with blob filters allowed.
fn source_with_a_removed_secret() -> Repo {
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.commit_files(&[("bot.env", &leak("partial"))], "add config");
    repo.remove("bot.env");
    repo.stage("bot.env");
    repo.commit("remove config");
    git(repo.path(), &["config", "uploadpack.allowFilter", "true"]);
    repo
}

fn url(repo: &Repo) -> String {
    format!("file://{}", repo.path().display())
}

#[test]
fn issue8_06_a_blobless_partial_clone_is_not_a_clean_pass_and_says_how_to_fetch_the_blobs() {
    // Broke: "no secrets found; scanned 0 files", exit 0, the missing blobs
    // only a note on standard error.
    let source = source_with_a_removed_secret();
    let work = tempfile::tempdir().unwrap();
    git(
        work.path(),
        &["clone", "-q", "--filter=blob:none", &url(&source), "part"],
    );
    let clone = work.path().join("part");
    let o = run(&clone, &["git"]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let line = summary_line(&o);
    assert!(line.contains("not checked"), "{line}");
    assert!(line.contains("partial clone"), "{line}");
    let fix =
        "git config --unset remote.origin.partialclonefilter && git fetch --refetch --tags origin";
    assert!(line.contains(fix), "{line}");

    let o = run(&clone, &["git", "--format", "json"]);
    assert_eq!(code(&o), 2);
    let doc = json(&o);
    assert_eq!(doc["stats"]["complete"], false);
    assert_eq!(doc["stats"]["unchecked"][0]["reason"], "missing-objects");
    assert!(doc["stats"]["missing_objects"].as_u64().unwrap() >= 1);
    // And the summary reaches the log when the report is for tools.
    assert!(stderr(&o).contains("not checked"), "{}", stderr(&o));
    let o = run(&clone, &["git", "--format", "sarif"]);
    assert_eq!(code(&o), 2);
    let invocation = &json(&o)["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{invocation}");
    let o = run(&clone, &["git", "--format", "github"]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("::error title=keyhound%3A not checked::"),
        "{}",
        stdout(&o)
    );

    // The advice works: after it, the secret in history is found.
    git(
        &clone,
        &["config", "--unset", "remote.origin.partialclonefilter"],
    );
    refetch(&clone, &["--tags"]);
    let o = run(&clone, &["git", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["stats"]["complete"], true);
    assert_eq!(
        summary(&doc),
        [("bot.env".to_string(), 2, "binance-secret-key".to_string())]
    );
}

#[test]
fn issue8_06_a_shallow_clone_says_that_history_was_cut() {
    // Broke: nothing said that commits before the boundary were not there.
    let source = source_with_a_removed_secret();
    let work = tempfile::tempdir().unwrap();
    git(
        work.path(),
        &["clone", "-q", "--depth", "1", &url(&source), "shallow"],
    );
    let clone = work.path().join("shallow");
    let o = run(&clone, &["git"]);
    // A shallow clone is the user's choice of depth (CI checkouts are
    // shallow): the cut is said, and is no error.
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let line = summary_line(&o);
    assert!(line.contains("shallow"), "{line}");
    assert!(line.contains("git fetch --unshallow"), "{line}");
    let o = run(&clone, &["git", "--format", "json"]);
    let doc = json(&o);
    assert_eq!(doc["stats"]["shallow_boundaries"], 1);
    assert_eq!(doc["stats"]["complete"], true);
    assert!(stderr(&o).contains("--unshallow"), "{}", stderr(&o));
    // For machines too: an annotation on the run, a SARIF notification.
    let o = run(&clone, &["git", "--format", "github"]);
    assert!(
        stdout(&o).contains(
            "::notice title=keyhound%3A shallow clone::history cut at this shallow clone's boundary"
        ),
        "{}",
        stdout(&o)
    );
    let o = run(&clone, &["git", "--format", "sarif"]);
    let sarif = json(&o);
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "note", "{notes}");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("git fetch --unshallow"),
        "{notes}"
    );
}

#[test]
fn issue8_07_text_files_are_scanned_whatever_their_size() {
    // Broke: files over --max-file-size were skipped and the scan said "no
    // secrets found" with exit 0. A 12 MB dump with a key at its end:
    let mut dump = "INSERT INTO t VALUES (1, 'row');\n".repeat(12 << 20 >> 5);
    let lines = dump.lines().count();
    dump.push_str(&format!("BINANCE_API_SECRET={}\n", binance_key("dump")));
    let dir = tree(&[("dump.sql", &dump), ("small.env", &leak("small"))]);
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(status, 1, "{doc}");
    let found = summary(&doc);
    assert!(
        found.contains(&(
            "dump.sql".to_string(),
            lines as u64 + 1,
            "binance-secret-key".to_string()
        )),
        "{found:?}"
    );
    // Standard input too.
    let o = run_stdin(
        dir.path(),
        &["scan", "-", "--format", "json"],
        Some(dump.as_bytes()),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        summary(&json(&o)),
        [(
            "<stdin>".to_string(),
            lines as u64 + 1,
            "binance-secret-key".to_string()
        )]
    );
    // The limit is for binaries only: text over it is still scanned.
    let (status, doc) = scan_json(dir.path(), &["--max-file-size", "1KB"]);
    assert_eq!(status, 1);
    assert_eq!(summary(&doc).len(), 2, "{doc}");
    assert_eq!(doc["stats"]["files_skipped_large"], 0);
    // So says the help.
    let help = stdout(&run(dir.path(), &["scan", "--help"]));
    assert!(
        help.contains("text files are scanned whatever their size"),
        "{help}"
    );
    assert!(help.contains("units of 1024"), "{help}");
}

#[test]
fn issue8_08_a_staged_blob_missing_from_the_store_fails_closed() {
    // Broke: the pre-commit scan passed (exit 0) a commit it never read.
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.write("deploy/prod.env", leak("unread").as_bytes());
    repo.stage("deploy/prod.env");
    let blob = git(repo.path(), &["rev-parse", ":deploy/prod.env"]);
    let object = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(&object).unwrap();
    let o = run(repo.path(), &["scan", "--staged"]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let line = summary_line(&o);
    assert!(line.contains("this commit was not checked"), "{line}");
    assert!(line.contains("deploy/prod.env"), "{line}");
    // Opting in to fail open makes it a warning.
    let o = run(repo.path(), &["scan", "--staged", "--fail-open"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let line = summary_line(&o);
    assert!(
        line.contains("not checked (allowed by --fail-open)"),
        "{line}"
    );
    assert!(line.contains("deploy/prod.env"), "{line}");

    // Any other unreadable staged blob fails closed too: a damaged object.
    std::fs::write(&object, b"not a zlib stream").unwrap();
    let o = run(repo.path(), &["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(json(&o)["stats"]["complete"], false);
}

#[test]
fn issue8_09_a_report_written_to_a_file_leaves_the_summary_on_stderr() {
    // Broke: with -o nothing at all was printed (an empty CI job log).
    let dir = tree(&[("bot.env", &leak("output")), ("README.md", "# bot\n")]);
    let reports = tempfile::tempdir().unwrap();
    let report = reports.path().join("report.out");
    let report = report.to_str().unwrap();
    for format in ["text", "json", "sarif", "github"] {
        let o = run(dir.path(), &["scan", ".", "--format", format, "-o", report]);
        assert_eq!(code(&o), 1);
        assert!(stdout(&o).is_empty(), "{format}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.lines()
                .any(|l| l.starts_with("keyhound: 1 finding in 1 file")
                    && l.contains("scanned 2 files")),
            "{format}: {err}"
        );
    }
    let clean = tree(&[("README.md", "# bot\n")]);
    let o = run(clean.path(), &["scan", ".", "-o", report]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("keyhound: no secrets found"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn issue8_10b_binary_files_are_scanned_as_bytes_and_skipped_ones_are_named() {
    // Broke: a committed .pyc or a SQLite file holding a token gave "no
    // secrets found; scanned 0 files", only JSON counting a skip.
    let dir = tree(&[]);
    // What CPython 3.11 writes for `from binance.client import Client`
    // and `client = Client("<key>", "<secret>")`, its source deleted.
    let mut pyc = b"\xa7\x0d\x0d\x0a\0\0\0\0\x80o\x0dk&\x01\0\0\xe3\0\0\0".to_vec();
    pyc.extend_from_slice(b"d\x00d\x01l\x00m\x01Z\x01)\x06\xe9\0\0\0\0)\x01\xda\x06Client\xda@");
    pyc.extend_from_slice(binance_key("pyc-key").as_bytes());
    pyc.extend_from_slice(b")\x06\xda\x0ebinance.client");
    write(dir.path(), "__pycache__/bot.cpython-311.pyc", &pyc);
    // A SQLite page holding a row with the bot's JSON config.
    let mut db = b"SQLite format 3\0\x10\0\x01\x01\0@  ".to_vec();
    db.extend_from_slice(&[0; 64]);
    db.extend_from_slice(b"\x81=\x02\x04\x19\x82sconfig");
    db.extend_from_slice(
        format!(
            "{{\"exchange\": \"binance\", \"apiKey\": \"{}\", \"secret\": \"{}\"}}",
            binance_key("db-key"),
            binance_key("db-secret")
        )
        .as_bytes(),
    );
    write(dir.path(), "trades.sqlite", &db);
    // A PNG's bytes are compressed: no token is readable in them.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(leak("png").as_bytes());
    write(dir.path(), "logo.png", &png);
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(status, 1, "{doc:#}");
    let mut paths: Vec<String> = summary(&doc).into_iter().map(|f| f.0).collect();
    paths.dedup();
    assert_eq!(paths, ["__pycache__/bot.cpython-311.pyc", "trades.sqlite"]);
    assert_eq!(doc["stats"]["files_scanned_binary"], 2);
    assert_eq!(doc["stats"]["files_skipped_binary"], 1);
    assert_eq!(doc["stats"]["skipped"][0]["path"], "logo.png");
    assert_eq!(doc["stats"]["skipped"][0]["why"], "compressed png");
    // The text summary names what was skipped and why; that alone is no
    // error.
    std::fs::remove_file(dir.path().join("trades.sqlite")).unwrap();
    std::fs::remove_file(dir.path().join("__pycache__/bot.cpython-311.pyc")).unwrap();
    let o = run(dir.path(), &["scan", "--max-file-size", "8"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let line = summary_line(&o);
    assert!(
        line.contains("skipped 1 binary file, not scanned: logo.png (compressed png)"),
        "{line}"
    );
    write(dir.path(), "blob.bin", b"\0\x01\x02 binary bytes");
    let line = summary_line(&run(dir.path(), &["scan", "--max-file-size", "8"]));
    assert!(
        line.contains("blob.bin (16 B, over --max-file-size)"),
        "{line}"
    );
}

/// A repository where `.keyhoundignore` excludes `tests/fixtures/`, whose
/// `keys.env` holds a key.
fn repo_with_an_ignored_fixture(exclude: (&str, &str)) -> Repo {
    let mut repo = Repo::new();
    repo.commit_files(
        &[exclude, ("tests/fixtures/keys.env", &leak("fixture"))],
        "fixtures",
    );
    repo
}

#[test]
fn issue8_10c_a_rename_out_of_an_excluded_path_is_scanned_whole() {
    // Broke: `git mv tests/fixtures/keys.env deploy/prod.env` was reported
    // neither by `scan --staged` nor by `git --range` (a copy was).
    for exclude in [
        (".keyhoundignore", "tests/fixtures/\n"),
        (
            ".keyhound.toml",
            "[allowlist]\npaths = [\"tests/fixtures/**\"]\n",
        ),
    ] {
        let repo = repo_with_an_ignored_fixture(exclude);
        let base = git(repo.path(), &["rev-parse", "HEAD"]);
        std::fs::create_dir(repo.path().join("deploy")).unwrap();
        git(
            repo.path(),
            &["mv", "tests/fixtures/keys.env", "deploy/prod.env"],
        );
        let (status, doc) = scan_json(repo.path(), &["--staged"]);
        assert_eq!(status, 1, "{}: {doc}", exclude.0);
        assert_eq!(
            summary(&doc),
            [(
                "deploy/prod.env".to_string(),
                2,
                "binance-secret-key".to_string()
            )]
        );
        git(repo.path(), &["commit", "-q", "-m", "deploy"]);
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
        assert_eq!(summary(&json(&o)).len(), 1);
    }
    // A rename between two scanned paths still reports only added lines.
    let mut repo = Repo::new();
    repo.commit_files(&[("a/keys.env", &leak("moved"))], "keys");
    std::fs::create_dir(repo.path().join("b")).unwrap();
    git(repo.path(), &["mv", "a/keys.env", "b/keys.env"]);
    let (code, _) = scan_json(repo.path(), &["--staged"]);
    assert_eq!(code, 0);
}

#[test]
fn issue8_16_a_range_reaching_a_shallow_boundary_names_no_commit_it_cannot_know() {
    // Broke: the secret, added before the boundary, was attributed to the
    // boundary commit, and nothing said the history was cut.
    let mut source = Repo::new();
    source.commit_files(&[("bot.env", &leak("boundary"))], "add config");
    source.commit_files(&[("README.md", "# bot\n")], "docs");
    source.commit_files(&[("README.md", "# trading bot\n")], "more docs");
    let work = tempfile::tempdir().unwrap();
    git(
        work.path(),
        &["clone", "-q", "--depth", "2", &url(&source), "shallow"],
    );
    let clone = work.path().join("shallow");
    let boundary = git(&clone, &["rev-parse", "HEAD~1"]);
    let o = run(&clone, &["git", "--range", "..HEAD", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc = json(&o);
    let f = &findings(&doc)[0];
    assert_eq!(f["path"], "bot.env");
    assert!(
        f.get("commit").is_none() && f.get("author").is_none(),
        "{f}"
    );
    assert_eq!(f["shallow_boundary"], boundary.as_str());
    assert_eq!(doc["stats"]["shallow_boundaries"], 1);
    assert!(
        stderr(&o).contains("git fetch --unshallow"),
        "{}",
        stderr(&o)
    );
    let o = run(&clone, &["git", "--range", "..HEAD"]);
    assert!(
        stdout(&o).contains("present at this shallow clone's boundary"),
        "{}",
        stdout(&o)
    );
    assert!(summary_line(&o).contains("shallow"), "{}", stdout(&o));
}

#[test]
fn issue8_16_a_history_audit_of_a_shallow_clone_names_no_commit_at_the_boundary() {
    // Broke: `keyhound git` on a shallow clone credited a secret in the
    // boundary commit's tree to that commit ("first added in commit …"),
    // though it may come from an older commit the clone does not have.
    // A secret a commit inside the clone adds keeps its commit.
    let mut source = Repo::new();
    source.commit_files(&[("bot.env", &leak("old-boundary"))], "add config");
    source.commit_files(&[("README.md", "# bot\n")], "docs");
    let added = source.commit_files(&[("new.env", &leak("inside"))], "another key");
    let work = tempfile::tempdir().unwrap();
    git(
        work.path(),
        &["clone", "-q", "--depth", "2", &url(&source), "shallow"],
    );
    let clone = work.path().join("shallow");
    let boundary = git(&clone, &["rev-parse", "HEAD~1"]);
    let o = run(&clone, &["git", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc = json(&o);
    let by_path = |p: &str| {
        findings(&doc)
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("no finding at {p}: {doc:#}"))
            .clone()
    };
    let old = by_path("bot.env");
    assert!(
        old.get("commit").is_none() && old.get("author").is_none(),
        "{old}"
    );
    assert!(old["introduced"].get("commit").is_none(), "{old}");
    assert_eq!(old["shallow_boundary"], boundary.as_str());
    let new = by_path("new.env");
    assert_eq!(new["commit"], added.to_string());
    assert!(new.get("shallow_boundary").is_none(), "{new}");
    let o = run(&clone, &["git"]);
    let text = stdout(&o);
    assert!(
        text.contains("present at this shallow clone's boundary"),
        "{text}"
    );
    assert!(
        !text.contains(&format!("added in commit {}", &boundary[..12])),
        "{text}"
    );
}

#[test]
fn issue8_07_a_keys_context_past_long_lines_is_seen_across_a_window_cut() {
    // Broke (review R2): a text over 8 MiB is read in windows; the window
    // that kept a secret saw only 128 KiB before it, so a Binance client
    // import two lines but 300 KB up (a notebook's base64 output between)
    // was not seen, and the key and secret were not reported. Keys right
    // after the old cut (8 MiB - 128 KiB) and then every 300 KB or so,
    // each with its import 300 KB up.
    let (old_cut, block) = ((8 << 20) - (128 << 10), 300 << 10);
    let mut text = Vec::new();
    let mut calls = Vec::new();
    let mut i = 0;
    while text.len() < 14 << 20 {
        let key_at = if i == 0 {
            old_cut + 1000
        } else {
            text.len() + block
        };
        let lead = key_at - block - text.len();
        text.extend("# filler\n".repeat(lead / 9).as_bytes());
        text.extend_from_slice(b"from binance.client import Client\n");
        let long = block - 40;
        text.extend_from_slice(b"    \"image/png\": \"");
        text.extend(std::iter::repeat_n(b'A', long));
        text.extend_from_slice(b"\",\n");
        calls.push(text.iter().filter(|&&b| b == b'\n').count() + 1);
        let (k, s) = (
            binance_key(&format!("r2-key-{i}")),
            binance_key(&format!("r2-secret-{i}")),
        );
        text.extend(format!("client = Client(\"{k}\", \"{s}\")\n").as_bytes());
        // The next import is further than the 40 lines the rules look.
        text.extend("#\n".repeat(50).as_bytes());
        i += 1;
    }
    let dir = tree(&[]);
    write(dir.path(), "notebook.py", &text);
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(status, 1, "{doc:#}");
    let mut found: Vec<(u64, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let expected: Vec<(u64, String)> = calls
        .iter()
        .flat_map(|&l| {
            [
                (l as u64, "binance-api-key".to_string()),
                (l as u64, "binance-secret-key".to_string()),
            ]
        })
        .collect();
    let missed: Vec<_> = expected.iter().filter(|e| !found.contains(e)).collect();
    assert!(missed.is_empty(), "missed {missed:?}");
    assert_eq!(found, expected);
}

#[test]
fn review_r14_standard_input_over_the_size_limit_names_its_size() {
    // Broke: `head -c 50000000 /dev/zero | keyhound scan -` said
    // "<stdin> (10.0 MiB, over --max-file-size)": the limit, where the
    // size read belongs.
    let dir = tree(&[]);
    write(dir.path(), "zeros.bin", &vec![0u8; 12 << 20]);
    let input = std::fs::File::open(dir.path().join("zeros.bin")).unwrap();
    let o = std::process::Command::new(bin())
        .args(["scan", "-"])
        .current_dir(dir.path())
        .stdin(input)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let line = summary_line(&o);
    assert!(
        line.contains("<stdin> (12.0 MiB, over --max-file-size)"),
        "{line}"
    );
}
