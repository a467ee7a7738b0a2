//! Shared helpers for the integration tests: run the real binary on real
//! temporary trees. Fake keys are generated at run time, so the repository
//! holds no secret-shaped strings.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use keyhound::rules::examples::Fake;

/// The binary under test: this build's, or `KEYHOUND_TEST_BIN` when set
/// (to run today's tests against an older build and see which fail).
pub fn bin() -> PathBuf {
    std::env::var_os("KEYHOUND_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keyhound")))
}

/// Runs `keyhound ARGS` in `dir`, with colour off and no terminal.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    run_stdin(dir, args, None)
}

/// The proxy variables `--verify` honours: unset in tests, so that the
/// loopback stand-ins are asked directly whatever the machine sets.
pub const PROXY_VARS: &[&str] = &[
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `keyhound ARGS` in `dir` with `env` set (after the proxy variables are
/// cleared).
pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args)
        .envs(env.iter().copied())
        .output()
        .expect("keyhound runs")
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

pub fn run_stdin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = command(dir, args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("keyhound runs");
    if let Some(data) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().expect("keyhound finishes")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// Runs a JSON scan and returns the parsed document.
pub fn scan_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = run(dir, &all);
    let doc = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}\nstderr: {}", stdout(&o), stderr(&o)));
    (code(&o), doc)
}

pub fn findings(doc: &serde_json::Value) -> &Vec<serde_json::Value> {
    doc["findings"].as_array().expect("findings is an array")
}

/// `(path, line, rule_id)` of each finding.
pub fn summary(doc: &serde_json::Value) -> Vec<(String, u64, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Writes `files` (relative path, content) under a new temporary directory.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        write(dir.path(), path, content.as_bytes());
    }
    dir
}

pub fn write(root: &Path, path: &str, content: &[u8]) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// A fake Binance-shaped key (64 letters and digits, mixed).
pub fn binance_key(seed: &str) -> String {
    Fake::from_str_seed(seed).alnum(64)
}
pub mod action;
pub mod binance;
pub mod exchanges;
pub mod git;
pub mod loopback;
pub mod purge;
pub mod pyc;
pub mod server;
pub mod sqlite;
