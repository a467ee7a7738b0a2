//! Repositories built with git2 for the tests.

#![allow(dead_code)]

use std::path::Path;

use git2::{IndexAddOption, Oid, Repository, Signature, Time};

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
    clock: i64,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Repo {
            dir,
            repo,
            clock: 1_700_000_000,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the work tree (not staged).
    pub fn write(&self, path: &str, content: &[u8]) {
        let p = self.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.path().join(path)).unwrap();
    }

    /// Stages one path as it is in the work tree (or its removal).
    pub fn stage(&self, path: &str) {
        let mut index = self.repo.index().unwrap();
        if self.path().join(path).exists() {
            index.add_path(Path::new(path)).unwrap();
        } else {
            index.remove_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
    }

    /// Stages everything in the work tree.
    pub fn stage_all(&self) {
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
    }

    /// Unstages a path: back to HEAD's version (or out of the index).
    pub fn unstage(&self, path: &str) {
        let head = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        match head {
            Some(c) => self
                .repo
                .reset_default(Some(c.as_object()), [path])
                .unwrap(),
            None => {
                let mut index = self.repo.index().unwrap();
                index.remove_path(Path::new(path)).unwrap();
                index.write().unwrap();
            }
        }
    }

    fn signature(&mut self, who: &str) -> Signature<'static> {
        self.clock += 3600;
        Signature::new(
            who,
            &format!("{}@example.com", who.to_lowercase()),
            &Time::new(self.clock, 60),
        )
        .unwrap()
    }

    /// Dates the next commit `seconds` after the Unix epoch (author and
    /// committer; later commits follow an hour apart).
    pub fn set_time(&mut self, seconds: i64) {
        self.clock = seconds - 3600;
    }

    /// Writes, stages everything and commits as `who`.
    pub fn commit_files_as(&mut self, who: &str, files: &[(&str, &str)], message: &str) -> Oid {
        for (p, c) in files {
            self.write(p, c.as_bytes());
        }
        self.stage_all();
        self.commit_as(who, message)
    }

    /// Commits the index on HEAD's branch; returns the commit id.
    pub fn commit(&mut self, message: &str) -> Oid {
        self.commit_as("Alice", message)
    }

    pub fn commit_as(&mut self, who: &str, message: &str) -> Oid {
        let sig = self.signature(who);
        let mut index = self.repo.index().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &refs)
            .unwrap()
    }

    /// Writes, stages everything and commits.
    pub fn commit_files(&mut self, files: &[(&str, &str)], message: &str) -> Oid {
        for (p, c) in files {
            self.write(p, c.as_bytes());
        }
        self.stage_all();
        self.commit(message)
    }

    /// Commits `files` on a branch from HEAD that only the annotated tag
    /// `tag` keeps (the branch is deleted; HEAD's branch is checked out
    /// again); returns the commit id.
    pub fn commit_tagged_only(&mut self, tag: &str, files: &[(&str, &str)]) -> Oid {
        let back = self.repo.head().unwrap().name().unwrap().to_string();
        let back = back.trim_start_matches("refs/heads/").to_string();
        self.branch("tagged-only");
        let id = self.commit_files(files, "tagged");
        let sig = self.signature("Rel");
        let obj = self.repo.find_object(id, None).unwrap();
        self.repo.tag(tag, &obj, &sig, "release", false).unwrap();
        self.checkout(&back);
        self.repo
            .find_branch("tagged-only", git2::BranchType::Local)
            .unwrap()
            .delete()
            .unwrap();
        id
    }

    /// Makes `branch` at HEAD and checks it out.
    pub fn branch(&self, branch: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.branch(branch, &head, true).unwrap();
        self.checkout(branch);
    }

    pub fn checkout(&self, branch: &str) {
        let refname = format!("refs/heads/{branch}");
        let obj = self.repo.revparse_single(&refname).unwrap();
        self.repo
            .checkout_tree(&obj, Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
        self.repo.set_head(&refname).unwrap();
    }

    /// Merges `branch` into HEAD with a merge commit (no conflicts expected).
    pub fn merge(&mut self, branch: &str, message: &str) -> Oid {
        let sig = self.signature("Alice");
        let ours = self.repo.head().unwrap().peel_to_commit().unwrap();
        let theirs = self
            .repo
            .revparse_single(&format!("refs/heads/{branch}"))
            .unwrap()
            .peel_to_commit()
            .unwrap();
        let mut merged = self.repo.merge_commits(&ours, &theirs, None).unwrap();
        assert!(!merged.has_conflicts());
        let tree = self
            .repo
            .find_tree(merged.write_tree_to(&self.repo).unwrap())
            .unwrap();
        let id = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&ours, &theirs])
            .unwrap();
        let obj = self.repo.find_object(id, None).unwrap();
        self.repo
            .checkout_tree(&obj, Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
        id
    }
}

/// Runs the real `git` in `dir` with a fixed identity, for what git2 does
/// not do (partial and shallow clones over `file://`, `git mv`, fetches);
/// panics if it fails, and returns its trimmed standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&git_bytes(dir, args))
        .trim()
        .to_string()
}

/// `git ARGS` in `dir` with a fixed author and committer, to be run: every
/// test that runs the real `git` starts from it.
pub fn git_command(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com");
    c
}

/// [`git`]'s standard output as it is, bytes untrimmed (file contents).
pub fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let o = git_command(dir, args).output().expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Fetches every object of a partial clone again, as keyhound's advice
/// says (`extra`: e.g. `--tags`), with git's maintenance in the foreground:
/// a refetch starts `git maintenance`, which would otherwise repack (and
/// move the objects) while keyhound reads.
pub fn refetch(clone: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "-c",
        "gc.autoDetach=false",
        "-c",
        "maintenance.autoDetach=false",
        "fetch",
        "-q",
        "--refetch",
    ];
    args.extend_from_slice(extra);
    args.push("origin");
    git(clone, &args)
}
