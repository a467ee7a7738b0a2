//! The GitHub Action's scripts under test (tests/action.rs,
//! tests/action_outputs.rs): real repositories built with git (an `origin`,
//! a developer's clone that pushes to it, the clone a workflow checks out),
//! the scripts run with bash, the event's values in env as action.yml
//! passes them, fake `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files.
//! Nothing reaches GitHub.
//!
//! `KEYHOUND_TEST_ACTION_DIR` runs the script tests against other scripts
//! (for instance a reproduction of an older action's inline logic).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

pub const ZEROS: &str = "0000000000000000000000000000000000000000";
pub const REPOSITORY: &str = "owner/repo";

pub fn leak(seed: &str) -> String {
    format!("BINANCE_API_SECRET={}\n", binance_key(seed))
}

/// Runs git in `dir` with no user or system config; returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
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
pub struct Forge {
    pub root: tempfile::TempDir,
}

/// What a push event says: the ref and the tip before the push.
pub struct Push {
    pub git_ref: String,
    pub before: String,
}

impl Forge {
    /// `main` with one clean commit, pushed.
    pub fn new() -> Forge {
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

    pub fn dev(&self) -> PathBuf {
        self.root.path().join("dev")
    }

    pub fn origin_url(&self) -> String {
        // file:// sends only reachable objects, as a real server does.
        format!("file://{}", self.root.path().join("origin.git").display())
    }

    /// Writes `files` (an empty content removes the file) and commits.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
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

    pub fn switch(&self, branch: &str, from: &str) {
        git(&self.dev(), &["checkout", "-q", "-B", branch, from]);
    }

    /// Pushes `name` (a branch, or a tag when it starts with `refs/tags/`).
    pub fn push(&self, name: &str, force: bool) -> Push {
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
    pub fn checkout(&self, git_ref: &str) -> tempfile::TempDir {
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
    pub fn scan_push(&self, push: &Push, env: &[(&str, &str)]) -> Scan {
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
pub fn scripts() -> PathBuf {
    std::env::var_os("KEYHOUND_TEST_ACTION_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action"))
}

/// One run of a script, with what it left behind.
pub struct Scan {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: HashMap<String, String>,
    pub summary: String,
    /// How many times the script ran keyhound.
    pub calls: usize,
    pub temp: tempfile::TempDir,
}

impl Scan {
    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map_or("<unset>", String::as_str)
    }

    /// The paths of the findings in the JSON report the scan wrote.
    pub fn paths(&self) -> Vec<String> {
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
pub fn run_script(dir: &Path, name: &str, env: &[(&str, &str)]) -> Scan {
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
pub fn forge_with_old_secrets() -> Forge {
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

/// The results of the SARIF file the scan step wrote, as `path` of each.
pub fn sarif_paths(scan: &Scan) -> Vec<String> {
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
