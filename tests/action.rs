//! The GitHub Action: `action.yml` and the scripts it runs
//! (`scripts/action/*.sh`), run with bash against real repositories built
//! with git: an `origin`, a developer's clone that pushes to it, and the
//! clone a workflow checks out. The event's values go in env as action.yml
//! passes them, with fake `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files.
//! Nothing reaches GitHub.
//! The action's YAML is tested in tests/action_yml.rs.
//!
//! `KEYHOUND_TEST_ACTION_DIR` runs the script tests against other scripts
//! (for instance a reproduction of an older action's inline logic).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const ZEROS: &str = "0000000000000000000000000000000000000000";
const REPOSITORY: &str = "owner/repo";

fn leak(seed: &str) -> String {
    format!("BINANCE_API_SECRET={}\n", binance_key(seed))
}

/// Runs git in `dir` with no user or system config; returns its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A hosted repository: `origin.git`, and `dev`, a clone that pushes to it.
struct Forge {
    root: tempfile::TempDir,
}

/// What a push event says: the ref and the tip before the push.
struct Push {
    git_ref: String,
    before: String,
}

impl Forge {
    /// `main` with one clean commit, pushed.
    fn new() -> Forge {
        let root = tempfile::tempdir().unwrap();
        git(
            root.path(),
            &["init", "-q", "--bare", "-b", "main", "origin.git"],
        );
        git(root.path(), &["clone", "-q", "origin.git", "dev"]);
        let forge = Forge { root };
        git(&forge.dev(), &["checkout", "-q", "-b", "main"]);
        forge.commit(&[("README.md", "# bot\n")], "init");
        forge.push("main", false);
        forge
    }

    fn dev(&self) -> PathBuf {
        self.root.path().join("dev")
    }

    fn origin_url(&self) -> String {
        // file:// sends only reachable objects, as a real server does.
        format!("file://{}", self.root.path().join("origin.git").display())
    }

    /// Writes `files` (an empty content removes the file) and commits.
    fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (path, content) in files {
            if content.is_empty() {
                git(&self.dev(), &["rm", "-q", path]);
            } else {
                write(&self.dev(), path, content.as_bytes());
            }
        }
        git(&self.dev(), &["add", "-A"]);
        git(&self.dev(), &["commit", "-q", "-m", message]);
        git(&self.dev(), &["rev-parse", "HEAD"])
    }

    fn switch(&self, branch: &str, from: &str) {
        git(&self.dev(), &["checkout", "-q", "-B", branch, from]);
    }

    /// Pushes `name` (a branch, or a tag when it starts with `refs/tags/`).
    fn push(&self, name: &str, force: bool) -> Push {
        let git_ref = if name.starts_with("refs/") {
            name.to_string()
        } else {
            format!("refs/heads/{name}")
        };
        let origin = self.root.path().join("origin.git");
        let before = Command::new("git")
            .args(["rev-parse", "--verify", "-q", &git_ref])
            .current_dir(&origin)
            .output()
            .unwrap();
        let before = String::from_utf8_lossy(&before.stdout).trim().to_string();
        let spec = format!("{git_ref}:{git_ref}");
        let mut args = vec!["push", "-q", "origin", &spec];
        if force {
            args.insert(1, "--force");
        }
        git(&self.dev(), &args);
        Push {
            git_ref,
            before: if before.is_empty() {
                ZEROS.to_string()
            } else {
                before
            },
        }
    }

    /// The workflow's clone, as actions/checkout with fetch-depth: 0 leaves
    /// it: every branch and tag fetched, the pushed ref checked out.
    fn checkout(&self, git_ref: &str) -> tempfile::TempDir {
        let ci = tempfile::tempdir().unwrap();
        git(ci.path(), &["clone", "-q", &self.origin_url(), "."]);
        match git_ref.strip_prefix("refs/heads/") {
            Some(branch) => git(
                ci.path(),
                &[
                    "checkout",
                    "-q",
                    "-B",
                    branch,
                    &format!("refs/remotes/origin/{branch}"),
                ],
            ),
            None => git(ci.path(), &["checkout", "-q", "--detach", git_ref]),
        };
        ci
    }

    /// Scans the clone checked out for `push`, as a push event runs it.
    fn scan_push(&self, push: &Push, env: &[(&str, &str)]) -> Scan {
        let ci = self.checkout(&push.git_ref);
        let mut all = vec![
            ("GITHUB_REF", push.git_ref.as_str()),
            ("PUSH_BEFORE", push.before.as_str()),
        ];
        all.extend_from_slice(env);
        run_script(ci.path(), "scan.sh", &all)
    }
}

/// The directory of the action's scripts.
fn scripts() -> PathBuf {
    std::env::var_os("KEYHOUND_TEST_ACTION_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action"))
}

/// One run of a script, with what it left behind.
struct Scan {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: HashMap<String, String>,
    summary: String,
    /// How many times the script ran keyhound.
    calls: usize,
    temp: tempfile::TempDir,
}

impl Scan {
    fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map_or("<unset>", String::as_str)
    }

    /// The paths of the findings in the JSON report the scan wrote.
    fn paths(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.temp.path().join("keyhound.json"))
            .unwrap_or_else(|e| panic!("no JSON report ({e}): {self:?}"));
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        findings(&doc)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    }
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\noutputs {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.outputs, self.stdout, self.stderr
        )
    }
}

/// Runs `scripts/action/NAME` with bash in `dir`, with a clean environment
/// plus `env`; keyhound is the binary under test behind a shim that counts
/// its runs.
fn run_script(dir: &Path, name: &str, env: &[(&str, &str)]) -> Scan {
    let temp = tempfile::tempdir().unwrap();
    let shim = temp.path().join("keyhound-shim");
    let log = temp.path().join("calls.log");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            bin().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let runner_temp = temp.path().join("runner");
    std::fs::create_dir(&runner_temp).unwrap();
    let output_file = temp.path().join("github_output");
    let summary_file = temp.path().join("step_summary");
    let o = Command::new("bash")
        .arg(scripts().join(name))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", temp.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .env("KEYHOUND", &shim)
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("GITHUB_REPOSITORY", REPOSITORY)
        .env("DEFAULT_BRANCH", "main")
        .envs(env.iter().copied())
        .output()
        .expect("bash runs");
    let outputs = std::fs::read_to_string(&output_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count();
    let moved = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&runner_temp).unwrap() {
        let entry = entry.unwrap();
        std::fs::rename(entry.path(), moved.path().join(entry.file_name())).unwrap();
    }
    Scan {
        code: o.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
        calls,
        temp: moved,
    }
}

/// A forge whose other refs hold old secrets: an abandoned branch, and
/// main's own history (added, then removed).
fn forge_with_old_secrets() -> Forge {
    let forge = Forge::new();
    forge.switch("abandoned", "main");
    forge.commit(&[("stale.env", &leak("stale"))], "try a key");
    forge.push("abandoned", false);
    forge.switch("main", "main");
    forge.commit(&[("legacy.env", &leak("legacy"))], "legacy key");
    forge.commit(&[("legacy.env", "")], "remove the legacy key");
    forge.push("main", false);
    forge
}

// --- Which commits a push scans -------------------------------------------

#[test]
fn issue8_14_a_new_branch_push_ignores_old_secrets_on_other_refs() {
    // Before: no base meant `keyhound git` with no range, every ref of the
    // repository, so the abandoned branch's key failed this clean push.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("feature.txt", "a clean change\n")], "feature");
    let push = forge.push("feature", false);
    assert_eq!(push.before, ZEROS);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.output("findings"), "0", "{scan:?}");
}

#[test]
fn action_a_new_branch_push_fails_on_the_secret_it_adds() {
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("deploy"))], "deploy config");
    forge.commit(&[("feature.txt", "more\n")], "more");
    let scan = forge.scan_push(&forge.push("feature", false), &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["deploy.env"]);
    assert!(scan.stdout.contains("::error file=deploy.env"), "{scan:?}");
}

#[test]
fn issue8_14_the_first_push_of_the_default_branch_scans_its_history_only() {
    // HEAD's own history (`..HEAD`), not every ref.
    let forge = Forge::new();
    forge.switch("abandoned", "main");
    forge.commit(&[("stale.env", &leak("stale"))], "try a key");
    forge.push("abandoned", false);
    forge.switch("main", "main");
    forge.commit(&[("app.py", "print('hi')\n")], "app");
    let push = Push {
        git_ref: "refs/heads/main".into(),
        before: ZEROS.into(),
    };
    forge.push("main", false);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "..HEAD");
}

#[test]
fn action_the_first_push_of_the_default_branch_finds_secrets_in_its_history() {
    let forge = forge_with_old_secrets();
    let push = Push {
        git_ref: "refs/heads/main".into(),
        before: ZEROS.into(),
    };
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["legacy.env"]);
}

#[test]
fn issue8_14_a_forced_push_is_scanned_against_the_default_branch() {
    // The old tip is not an ancestor and not in the clone: `before..HEAD`
    // was an unknown revision (exit 2); every commit not on main is what
    // the branch now brings.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("forced"))], "deploy config");
    forge.commit(&[("feature.txt", "v1\n")], "feature v1");
    forge.push("feature", false);
    git(
        &forge.dev(),
        &["commit", "-q", "--amend", "-m", "feature v2"],
    );
    let push = forge.push("feature", true);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.paths(), ["deploy.env"]);
    assert!(
        scan.stdout.contains("rewrote refs/heads/feature"),
        "{scan:?}"
    );
}

#[test]
fn issue8_14_a_tag_push_scans_only_what_the_default_branch_lacks() {
    let forge = forge_with_old_secrets();
    git(&forge.dev(), &["tag", "v1.0.0"]);
    let push = forge.push("refs/tags/v1.0.0", false);
    assert_eq!(push.before, ZEROS);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
}

#[test]
fn action_a_push_to_the_default_branch_fails_on_the_commits_after_its_before() {
    let forge = forge_with_old_secrets();
    forge.commit(&[("app.py", "v1\n")], "v1");
    let push = forge.push("main", false);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), format!("{}..HEAD", push.before));
    assert_eq!(scan.calls, 1, "no SARIF asked for: one scan");
    forge.commit(&[("bot.env", &leak("pushed"))], "bot config");
    let scan = forge.scan_push(&forge.push("main", false), &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["bot.env"]);
}

/// The results of the SARIF file the scan step wrote, as `path` of each.
fn sarif_paths(scan: &Scan) -> Vec<String> {
    let text = std::fs::read_to_string(scan.temp.path().join("keyhound.sarif"))
        .unwrap_or_else(|e| panic!("no SARIF ({e}): {scan:?}"));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn issue8_14_a_branch_keeps_failing_while_it_holds_a_key_an_earlier_push_leaked() {
    // Review U6: the SARIF of a push came from the pushed commits only, so
    // a later clean push uploaded an empty SARIF for the branch, which
    // closed the alert though the key was still in the branch; and the job
    // turned green. A branch's scope is every commit not on the default
    // branch, for the upload and for the job's status.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("bot.env", &leak("earlier"))], "bot config");
    let sarif = [("INPUT_SARIF", "true")];
    let scan = forge.scan_push(&forge.push("feature", false), &sarif);
    assert_eq!(scan.code, 1, "{scan:?}");
    forge.commit(&[("bot.env", "")], "remove the key");
    forge.commit(&[("feature.txt", "clean\n")], "clean work");
    let scan = forge.scan_push(&forge.push("feature", false), &sarif);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.output("sarif-range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.calls, 1, "one scope, one scan: {scan:?}");
    assert_eq!(scan.paths(), ["bot.env"]);
    assert_eq!(sarif_paths(&scan), ["bot.env"]);
    assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
}

#[test]
fn issue8_14_a_clean_push_to_the_default_branch_uploads_its_whole_history() {
    // Review U6: code scanning gets the state of the default branch, its
    // whole history; the job fails only on what the push added.
    let forge = forge_with_old_secrets();
    forge.commit(&[("app.py", "print('hi')\n")], "app");
    let push = forge.push("main", false);
    let scan = forge.scan_push(&push, &[("INPUT_SARIF", "true")]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "0");
    assert_eq!(scan.output("findings"), "0");
    assert_eq!(scan.output("range"), format!("{}..HEAD", push.before));
    assert_eq!(scan.output("sarif-range"), "..HEAD");
    assert_eq!(scan.calls, 2, "two scopes, two scans: {scan:?}");
    assert_eq!(sarif_paths(&scan), ["legacy.env"]);
    assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
    assert!(
        scan.summary.contains("No secrets found"),
        "{}",
        scan.summary
    );
    assert!(
        scan.summary.contains("1 finding(s) in the history of HEAD"),
        "{}",
        scan.summary
    );
}

#[test]
fn issue8_14_a_sarif_scan_that_cannot_complete_fails_the_job_and_uploads_nothing() {
    // The push's own commits are read, but the history of HEAD is not in
    // this blobless clone: the two scans' statuses both count.
    let forge = forge_with_old_secrets();
    git(
        &forge.root.path().join("origin.git"),
        &["config", "uploadpack.allowFilter", "true"],
    );
    forge.commit(&[("app.py", "print('hi')\n")], "app");
    let push = forge.push("main", false);
    let ci = tempfile::tempdir().unwrap();
    git(
        ci.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            &forge.origin_url(),
            ".",
        ],
    );
    let env = [
        ("GITHUB_REF", "refs/heads/main"),
        ("PUSH_BEFORE", push.before.as_str()),
        ("INPUT_SARIF", "true"),
    ];
    let scan = run_script(ci.path(), "scan.sh", &env);
    assert_eq!(scan.calls, 2, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "0", "the push's scan: {scan:?}");
    assert_eq!(scan.code, 2, "{scan:?}");
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    assert!(
        scan.stdout.contains("for code scanning") && scan.stdout.contains("nothing was uploaded"),
        "{scan:?}"
    );
}

#[test]
fn issue8_14_exit_code_in_args_does_not_confuse_the_outputs_or_the_upload() {
    // Review U10: with `--exit-code 0` the summary said "No secrets found"
    // beside findings=2; with `--exit-code 3`, "could not complete", and
    // the upload was skipped. The report says what was found.
    for n in ["0", "3"] {
        let forge = Forge::new();
        forge.switch("feature", "main");
        forge.commit(&[("a.env", &leak("a")), ("b.env", &leak("b"))], "two keys");
        let args = format!("--exit-code {n}");
        let env = [("INPUT_SARIF", "true"), ("INPUT_ARGS", args.as_str())];
        let scan = forge.scan_push(&forge.push("feature", false), &env);
        assert_eq!(scan.code.to_string(), n, "the job exits as asked: {scan:?}");
        assert_eq!(scan.output("findings"), "2", "{scan:?}");
        assert_eq!(scan.output("exit-code"), "1", "{scan:?}");
        assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
        assert!(
            scan.summary.contains("**2 finding(s)**"),
            "{}",
            scan.summary
        );
        assert!(!scan.summary.contains("No secrets"), "{}", scan.summary);
    }
}

#[test]
fn issue8_14_a_shallow_checkout_gets_the_default_branch_to_scan_against() {
    // actions/checkout's default: one commit of one branch. fetch.sh
    // deepens it and fetches main, so the new branch is scanned against it.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("feature.txt", "clean\n")], "feature");
    assert_eq!(forge.push("feature", false).before, ZEROS);
    let ci = tempfile::tempdir().unwrap();
    git(
        ci.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--single-branch",
            "-b",
            "feature",
            &forge.origin_url(),
            ".",
        ],
    );
    let fetch = run_script(ci.path(), "fetch.sh", &[]);
    assert_eq!(fetch.code, 0, "{fetch:?}");
    let env = [("GITHUB_REF", "refs/heads/feature"), ("PUSH_BEFORE", ZEROS)];
    let scan = run_script(ci.path(), "scan.sh", &env);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
}

// --- One scan, its outputs, the upload ------------------------------------

#[test]
fn issue8_14_sarif_comes_from_the_one_scan() {
    let forge = Forge::new();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("sarif"))], "deploy config");
    let scan = forge.scan_push(&forge.push("feature", false), &[("INPUT_SARIF", "true")]);
    assert_eq!(scan.calls, 1, "keyhound ran {} times: {scan:?}", scan.calls);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "1");
    let sarif = scan.temp.path().join("keyhound.sarif");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(scan.output("sarif-file").ends_with("/keyhound.sarif"));
    assert_eq!(scan.output("sarif-upload"), "true");
    assert!(scan.stdout.contains("::error file=deploy.env"), "{scan:?}");
}

#[test]
fn issue8_14_findings_output_is_the_number_of_findings() {
    let forge = Forge::new();
    forge.switch("feature", "main");
    forge.commit(&[("a.env", &leak("a")), ("b.env", &leak("b"))], "two keys");
    let scan = forge.scan_push(&forge.push("feature", false), &[]);
    assert_eq!(scan.output("findings"), "2", "{scan:?}");
    assert_eq!(scan.output("exit-code"), "1", "{scan:?}");
    assert_eq!(scan.code, 1);
    assert!(scan.summary.contains("2 finding"), "{}", scan.summary);

    forge.switch("clean", "main");
    forge.commit(&[("c.txt", "clean\n")], "clean");
    let scan = forge.scan_push(&forge.push("clean", false), &[]);
    assert_eq!(scan.output("findings"), "0", "{scan:?}");
    assert_eq!(scan.output("exit-code"), "0", "{scan:?}");
    assert_eq!(scan.code, 0);
}

/// A pull request from `head_repo`: HEAD is the merge commit GitHub makes.
fn pull_request(head_repo: &str) -> Scan {
    let forge = Forge::new();
    let base = git(&forge.dev(), &["rev-parse", "main"]);
    forge.switch("contribution", "main");
    forge.commit(&[("bot.env", &leak("pr"))], "bot config");
    forge.push("contribution", false);
    let ci = forge.checkout("refs/heads/main");
    git(
        ci.path(),
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "merge",
            "origin/contribution",
        ],
    );
    let env = [
        ("GITHUB_REF", "refs/pull/1/merge"),
        ("PR_BASE", base.as_str()),
        ("PR_HEAD_REPO", head_repo),
        ("INPUT_SARIF", "true"),
    ];
    run_script(ci.path(), "scan.sh", &env)
}

#[test]
fn issue8_14_a_fork_pull_request_skips_the_upload_and_says_why() {
    let scan = pull_request("someone/repo-fork");
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["bot.env"]);
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    let notice = scan
        .stdout
        .lines()
        .find(|l| l.starts_with("::notice") && l.contains("code scanning"))
        .unwrap_or_else(|| panic!("no notice: {scan:?}"));
    assert!(notice.contains("fork someone/repo-fork"), "{notice}");
    assert!(notice.contains("read-only token"), "{notice}");

    let scan = pull_request(REPOSITORY);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
}

#[test]
fn issue8_14_an_incomplete_scan_is_not_uploaded() {
    let forge = Forge::new();
    let scan = forge.scan_push(
        &forge.push("main", false),
        &[("INPUT_SARIF", "true"), ("INPUT_BASE", "no-such-commit")],
    );
    assert_eq!(scan.code, 2, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "2");
    assert_eq!(scan.output("findings"), "");
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    assert!(scan.stderr.contains("no-such-commit"), "{scan:?}");
}

#[test]
fn action_args_input_reaches_keyhound_word_by_word() {
    let forge = Forge::new();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("args"))], "deploy config");
    let push = forge.push("feature", false);
    let scan = forge.scan_push(&push, &[("INPUT_ARGS", "--exit-code 7\n--show-secrets")]);
    assert_eq!(scan.code, 7, "{scan:?}");
    assert!(scan.stdout.contains(&binance_key("args")), "{scan:?}");
}

#[test]
fn action_cache_key_changes_with_the_source_and_the_ref() {
    let action = tree(&[
        ("Cargo.toml", "[package]\nname = \"x\"\n"),
        ("Cargo.lock", "version = 4\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("README.md", "docs\n"),
    ]);
    let key_on = |image: &str, r#ref: &str| {
        let path = action.path().display().to_string();
        let env = [
            ("ACTION_PATH", path.as_str()),
            ("ACTION_REF", r#ref),
            ("RUNNER_OS", "Linux"),
            ("ImageOS", image),
            ("RUNNER_ARCH", "X64"),
        ];
        let run = run_script(action.path(), "cache-key.sh", &env);
        assert_eq!(run.code, 0, "{run:?}");
        run.output("key").to_string()
    };
    let key = |r#ref: &str| key_on("ubuntu24", r#ref);
    let first = key("v1.2.3");
    assert!(
        first.starts_with("keyhound-Linux-ubuntu24-X64-v1.2.3-"),
        "{first}"
    );
    assert_eq!(key("v1.2.3"), first);
    assert_ne!(key("v1.2.4"), first);
    // A binary built on a newer image may not run on an older one.
    assert_ne!(key_on("ubuntu22", "v1.2.3"), first);
    write(action.path(), "README.md", b"other docs\n");
    assert_eq!(key("v1.2.3"), first, "docs do not change the build");
    write(action.path(), "src/main.rs", b"fn main() { }\n");
    assert_ne!(key("v1.2.3"), first);
}
