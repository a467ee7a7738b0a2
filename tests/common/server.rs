//! A server repository and a clone that pushes to it, with the real `git`
//! over the local file transport: what the pre-receive tests push through.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{bin, code, stderr, stdout};

/// The all-zero object id of a ref created or deleted by a push.
pub const ZERO: &str = "0000000000000000000000000000000000000000";

pub struct Server {
    pub dir: tempfile::TempDir,
}

/// `git ARGS` in `dir`, with a fixed identity and no user or system
/// config; returns its output whatever its status.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    super::git::git_command(dir, args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .output()
        .expect("git runs")
}

/// `git ARGS` in `dir` with `input` on standard input; panics unless it
/// succeeds (`git fast-import` builds long histories in one process).
pub fn git_stdin(dir: &Path, args: &[&str], input: &[u8]) {
    let mut child = super::git::git_command(dir, args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let o = child.wait_with_output().expect("git finishes");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// `git ARGS` in `dir`; panics unless it succeeds; its trimmed output.
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let o = git_output(dir, args);
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o).trim().to_string()
}

impl Server {
    /// A bare server repository `server.git` and a clone `work` (branch
    /// `main`) whose `origin` it is; no hook yet.
    pub fn new() -> Server {
        Server::with(true)
    }

    /// A server repository with a work tree (`server`, on branch `home`,
    /// so that pushes to `main` may update it).
    pub fn non_bare() -> Server {
        Server::with(false)
    }

    fn with(bare: bool) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let s = Server { dir };
        let init = |args: &[&str]| git_ok(s.dir.path(), args);
        if bare {
            init(&[
                "-c",
                "init.defaultBranch=main",
                "init",
                "-q",
                "--bare",
                "server.git",
            ]);
        } else {
            init(&["-c", "init.defaultBranch=home", "init", "-q", "server"]);
            git_ok(
                &s.server(),
                &["commit", "-q", "--allow-empty", "-m", "home"],
            );
        }
        init(&["-c", "init.defaultBranch=main", "init", "-q", "work"]);
        let server = s.server().display().to_string();
        s.git(&["remote", "add", "origin", &server]);
        s
    }

    /// The server repository: its Git directory when bare, else its top.
    pub fn server(&self) -> PathBuf {
        let bare = self.dir.path().join("server.git");
        if bare.exists() {
            bare
        } else {
            self.dir.path().join("server")
        }
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `git ARGS` in the clone.
    pub fn git(&self, args: &[&str]) -> String {
        git_ok(&self.work(), args)
    }

    /// `git ARGS` in the server repository.
    pub fn server_git(&self, args: &[&str]) -> String {
        git_ok(&self.server(), args)
    }

    /// Writes `files` in the clone, stages everything and commits; the
    /// commit's id.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (path, content) in files {
            super::write(&self.work(), path, content.as_bytes());
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `git push origin ARGS` from the clone, whatever comes of it.
    pub fn push(&self, args: &[&str]) -> Output {
        let mut all = vec!["push", "origin"];
        all.extend_from_slice(args);
        git_output(&self.work(), &all)
    }

    /// Pushes and asserts that the server accepted it; the push's output.
    pub fn push_ok(&self, args: &[&str]) -> String {
        let o = self.push(args);
        assert!(
            o.status.success(),
            "push {args:?} rejected:\n{}",
            stderr(&o)
        );
        stderr(&o)
    }

    /// Pushes and asserts that the server rejected it; what the pusher saw.
    pub fn push_rejected(&self, args: &[&str]) -> String {
        let o = self.push(args);
        let err = stderr(&o);
        assert!(!o.status.success(), "push {args:?} accepted:\n{err}");
        assert!(err.contains("pre-receive hook declined"), "{err}");
        err
    }

    /// `keyhound hook install --pre-receive --repo SERVER ARGS`.
    pub fn install(&self, args: &[&str]) -> Output {
        let server = self.server().display().to_string();
        let mut all = vec!["hook", "install", "--pre-receive", "--repo", &server];
        all.extend_from_slice(args);
        let o = super::run(self.dir.path(), &all);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        o
    }

    /// The object a ref of the server names, if it has the ref.
    pub fn server_ref(&self, name: &str) -> Option<String> {
        let o = git_output(&self.server(), &["rev-parse", "--verify", "-q", name]);
        o.status.success().then(|| stdout(&o).trim().to_string())
    }

    /// Whether the server's object store holds `id`.
    pub fn server_has(&self, id: &str) -> bool {
        git_output(&self.server(), &["cat-file", "-e", id])
            .status
            .success()
    }

    /// Puts the clone's commit `id` (and what it needs) in the server's
    /// object store without any ref keeping it, as a push leaves its
    /// objects for the hook: pushed to a ref that is then deleted (before
    /// a hook is installed).
    pub fn store_unreachable(&self, id: &str) {
        self.push_ok(&[&format!("{id}:refs/heads/tmp-store")]);
        self.server_git(&["update-ref", "-d", "refs/heads/tmp-store"]);
    }

    /// `keyhound git --pre-receive --repo SERVER --format json ARGS` run by
    /// hand with `updates` on standard input: its exit code and report.
    pub fn guard(&self, updates: &str, args: &[&str]) -> (i32, serde_json::Value) {
        let o = self.guard_raw(updates, &[&["--format", "json"], args].concat());
        let doc = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("JSON ({e}): {}\n{}", stdout(&o), stderr(&o)));
        (code(&o), doc)
    }

    /// `keyhound git --pre-receive --repo SERVER ARGS` with `updates` on
    /// standard input.
    pub fn guard_raw(&self, updates: &str, args: &[&str]) -> Output {
        let server = self.server().display().to_string();
        let mut child = Command::new(bin())
            .args(["git", "--pre-receive", "--repo", &server])
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("keyhound runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(updates.as_bytes())
            .unwrap();
        child.wait_with_output().expect("keyhound finishes")
    }
}

/// `stats.commits_scanned` of a report.
pub fn commits_scanned(doc: &serde_json::Value) -> u64 {
    doc["stats"]["commits_scanned"]
        .as_u64()
        .expect("commits_scanned")
}
