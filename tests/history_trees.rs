//! A history audit reads each tree once and keeps what changed from the
//! last tree at the same path; what it says about each commit's files must
//! be what the commit's tree holds, however names move in Git's tree order
//! (a tree sorts as if its name ended with `/`) and however the commits are
//! shared among threads. Reviewer R's defect R1 and a differential check on
//! random histories.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::git::Repo;
use common::*;
use serde_json::Value;

/// `keyhound git --format json` with `threads` worker threads.
fn audit(dir: &std::path::Path, threads: usize) -> Value {
    let o = std::process::Command::new(bin())
        .args(["git", "--format", "json", "--no-progress"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()
        .expect("keyhound runs");
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn key_line(seed: &str) -> String {
    format!("BINANCE_API_SECRET={}\n", binance_key(seed))
}

/// `(path, at_head, live_in, commits, lines_at)` of each finding.
fn facts(doc: &Value) -> Facts {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["at_head"].as_bool().unwrap(),
                f["live_in"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
                f["commits"].as_u64().unwrap(),
                f["lines_at"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

type Facts = Vec<(String, bool, Vec<String>, u64, String)>;

/// Asserts that audits with one, two and three threads all give `want`.
fn same_whatever_the_threads(repo: &Repo, want: &Facts) {
    for threads in [1, 2, 3] {
        assert_eq!(
            &facts(&audit(repo.path(), threads)),
            want,
            "{threads} threads"
        );
    }
}

/// Three commits on a new branch `other`, then back to `master`.
fn side_branch(repo: &mut Repo) {
    repo.branch("other");
    for i in 0..3 {
        repo.commit_files(&[("x", &format!("{i}\n"))], "other");
    }
    repo.checkout("master");
}

fn still_at_head(path: &str, commits: u64) -> Facts {
    vec![(
        path.to_string(),
        true,
        vec!["refs/heads/master".to_string()],
        commits,
        "head".to_string(),
    )]
}

/// Reviewer R's a7b: `config` the file becomes the directory `config/`
/// next to `config.env`, which holds the key; a side branch follows. Git
/// sorts `config` < `config.env` < `config/`, and the replay took
/// `config.env` for deleted: "only in history", or "still on branch
/// `other`", depending on the thread split.
#[test]
fn review_r1_a_file_becoming_a_directory_next_to_the_secret_keeps_it_at_head() {
    let mut repo = Repo::new();
    repo.commit_files(
        &[("config.env", &key_line("a7b")), ("config", "x\n")],
        "add",
    );
    repo.remove("config");
    repo.commit_files(&[("config/settings.ini", "y\n")], "file to directory");
    side_branch(&mut repo);
    let mut want = still_at_head("config.env", 1);
    want[0].2.push("refs/heads/other".to_string());
    same_whatever_the_threads(&repo, &want);
}

/// Reviewer R's a7: the same swap, then another line of `config.env`
/// edited: one commit introduced the key, not two.
#[test]
fn review_r1_a_file_becoming_a_directory_does_not_count_a_second_introduction() {
    let mut repo = Repo::new();
    let key = key_line("a7");
    repo.commit_files(&[("config.env", &key), ("config", "x\n")], "add");
    repo.remove("config");
    repo.commit_files(&[("config/settings.ini", "y\n")], "file to directory");
    repo.commit_files(&[("config.env", &format!("{key}OTHER=1\n"))], "edit");
    same_whatever_the_threads(&repo, &still_at_head("config.env", 1));
}

/// Reviewer R's a7c, the other direction: the directory `config/` is
/// replaced by a file `config` that holds the key.
#[test]
fn review_r1_a_directory_becoming_a_file_that_holds_the_secret_is_at_head() {
    let mut repo = Repo::new();
    repo.commit_files(
        &[("config/settings.ini", "y\n"), ("config.env", "A=1\n")],
        "base",
    );
    std::fs::remove_dir_all(repo.path().join("config")).unwrap();
    repo.commit_files(&[("config", &key_line("a7c"))], "directory to file");
    side_branch(&mut repo);
    let mut want = still_at_head("config", 1);
    want[0].2.push("refs/heads/other".to_string());
    same_whatever_the_threads(&repo, &want);
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A commit's files: path → content.
type Files = BTreeMap<String, String>;

/// Names that are prefixes of one another with `-`, `.`, `/` and `0`
/// after them, as files and as directories, at the root and below.
const PATHS: [&str; 14] = [
    "config",
    "config/a.env",
    "config/sub/b.env",
    "config.env",
    "config-x.env",
    "config0.env",
    "a",
    "a/b.env",
    "a.b",
    "a-b",
    "deep/x",
    "deep/x/y.env",
    "deep/x.env",
    "z.env",
];

/// Contents that make an entry a symbolic link (to what follows) or a
/// submodule (at the commit that follows).
const LINK: &str = "link:";
const SUBMODULE: &str = "submodule:";

/// Writes `files` as nested trees; returns the root tree.
fn write_tree(repo: &git2::Repository, files: &Files) -> git2::Oid {
    let mut below: BTreeMap<&str, Files> = BTreeMap::new();
    let mut builder = repo.treebuilder(None).unwrap();
    for (path, content) in files {
        match path.split_once('/') {
            Some((dir, rest)) => {
                below
                    .entry(dir)
                    .or_default()
                    .insert(rest.to_string(), content.clone());
            }
            None => {
                // Not files: a symbolic link, a submodule (a commit of
                // another repository).
                let (mode, id) = if let Some(target) = content.strip_prefix(LINK) {
                    (0o120000, repo.blob(target.as_bytes()).unwrap())
                } else if let Some(commit) = content.strip_prefix(SUBMODULE) {
                    (0o160000, git2::Oid::from_str(commit).unwrap())
                } else {
                    (0o100644, repo.blob(content.as_bytes()).unwrap())
                };
                builder.insert(path, id, mode).unwrap();
            }
        }
    }
    for (dir, sub) in below {
        builder
            .insert(dir, write_tree(repo, &sub), 0o040000)
            .unwrap();
    }
    builder.write().unwrap()
}

/// Puts `path` in `files`, taking out what stands in its way (a file
/// where a directory of it must be, a directory where it must be).
fn put(files: &mut Files, path: &str, content: String) {
    files
        .retain(|p, _| !(p.starts_with(&format!("{path}/")) || path.starts_with(&format!("{p}/"))));
    files.insert(path.to_string(), content);
}

struct Commit {
    id: git2::Oid,
    parents: Vec<usize>,
    files: Files,
}

/// A random history: commits on up to four branches that write, delete,
/// turn files into directories and back, into symbolic links and
/// submodules and back, revert to earlier contents and merge. Returns the commits (oldest first, one a minute) and each
/// branch's tip.
fn random_history(repo: &git2::Repository, seed: u64) -> (Vec<Commit>, Vec<(String, usize)>) {
    let mut rng = Rng(seed);
    let keys: Vec<String> = (0..4).map(|i| key_line(&format!("diff-{i}"))).collect();
    let mut commits: Vec<Commit> = Vec::new();
    let mut tips: Vec<(String, usize)> = Vec::new();
    for n in 0..80 {
        let on = if tips.is_empty() {
            None
        } else {
            Some(rng.below(tips.len()))
        };
        let mut files = on.map_or_else(Files::new, |b| commits[tips[b].1].files.clone());
        let mut parents: Vec<usize> = on.map(|b| tips[b].1).into_iter().collect();
        match rng.below(10) {
            0..=4 => {
                let path = PATHS[rng.below(PATHS.len())];
                let mut content = String::from("# binance\n");
                for k in &keys {
                    if rng.below(3) == 0 {
                        content.push_str(k);
                    }
                }
                // Few distinct fillers: contents come back.
                content.push_str(&format!("n={}\n", rng.below(3)));
                put(&mut files, path, content);
            }
            5 | 6 if !files.is_empty() => {
                let gone = files.keys().nth(rng.below(files.len())).unwrap().clone();
                files.remove(&gone);
            }
            7 if tips.len() > 1 => {
                let other = tips[rng.below(tips.len())].1;
                if !parents.contains(&other) {
                    for (p, c) in commits[other].files.clone() {
                        if rng.below(2) == 0 {
                            put(&mut files, &p, c);
                        }
                    }
                    parents.push(other);
                }
            }
            8 => {
                let path = PATHS[rng.below(PATHS.len())];
                let other = if rng.below(2) == 0 {
                    format!("{LINK}config.env")
                } else {
                    format!("{SUBMODULE}{:040x}", rng.below(1 << 20) + 1)
                };
                put(&mut files, path, other);
            }
            _ => {
                let path = PATHS[rng.below(PATHS.len())];
                put(&mut files, path, format!("plain {n}\n"));
            }
        }
        let tree = repo.find_tree(write_tree(repo, &files)).unwrap();
        let when = git2::Time::new(1_700_000_000 + 60 * n as i64, 0);
        let sig = git2::Signature::new("Gen", "gen@example.com", &when).unwrap();
        let ps: Vec<git2::Commit> = parents
            .iter()
            .map(|&p| repo.find_commit(commits[p].id).unwrap())
            .collect();
        let refs: Vec<&git2::Commit> = ps.iter().collect();
        let id = repo
            .commit(None, &sig, &sig, &format!("c{n}"), &tree, &refs)
            .unwrap();
        commits.push(Commit { id, parents, files });
        let at = commits.len() - 1;
        match on {
            Some(b) if rng.below(8) > 0 || tips.len() >= 4 => tips[b].1 = at,
            _ => {
                let name = if tips.is_empty() {
                    "master".to_string()
                } else {
                    format!("b{}", tips.len())
                };
                tips.push((name, at));
            }
        }
    }
    for (name, at) in &tips {
        repo.reference(&format!("refs/heads/{name}"), commits[*at].id, true, "")
            .unwrap();
    }
    (commits, tips)
}

/// What an audit must say of one secret at one path.
#[derive(Debug, PartialEq)]
struct Truth {
    commit: String,
    commits: u64,
    at_head: bool,
    live_in: Vec<String>,
    lines_at: String,
}

/// The facts of every secret at every path, from the files themselves.
fn truth(commits: &[Commit], tips: &[(String, usize)]) -> BTreeMap<(String, String), Truth> {
    let holds = |c: usize, path: &str, key: &str| {
        commits[c]
            .files
            .get(path)
            .is_some_and(|content| content.contains(key))
    };
    let anywhere = |c: usize, key: &str| commits[c].files.values().any(|v| v.contains(key));
    let keys: BTreeSet<String> = (0..4).map(|i| binance_key(&format!("diff-{i}"))).collect();
    let paths: BTreeSet<&String> = commits.iter().flat_map(|c| c.files.keys()).collect();
    let head = tips[0].1;
    let mut out = BTreeMap::new();
    for path in paths {
        for key in &keys {
            let introduced: Vec<usize> = (0..commits.len())
                .filter(|&c| {
                    holds(c, path, key) && !commits[c].parents.iter().any(|&p| holds(p, path, key))
                })
                .collect();
            let Some(&first) = introduced.first() else {
                continue;
            };
            let mut live_in: Vec<String> = tips
                .iter()
                .filter(|(_, t)| anywhere(*t, key))
                .map(|(name, _)| format!("refs/heads/{name}"))
                .collect();
            live_in.sort();
            out.insert(
                (path.clone(), key.clone()),
                Truth {
                    commit: commits[first].id.to_string(),
                    commits: introduced.len() as u64,
                    at_head: anywhere(head, key),
                    live_in,
                    lines_at: if holds(head, path, key) {
                        "head"
                    } else {
                        "introduced"
                    }
                    .to_string(),
                },
            );
        }
    }
    out
}

/// On random histories, whatever the number of threads, each secret's
/// first commit, count of introducing commits, `at_head`, `live_in` and
/// `lines_at` are those the commits' own trees give.
#[test]
fn review_r1_random_histories_agree_with_every_commits_own_tree() {
    for seed in 1..=6u64 {
        let repo = Repo::new();
        let (commits, tips) = random_history(&repo.repo, seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        repo.repo.set_head("refs/heads/master").unwrap();
        let want = truth(&commits, &tips);
        assert!(want.len() > 5, "seed {seed}: too few secrets to check");
        for threads in [1, 2, 3, 4] {
            let o = std::process::Command::new(bin())
                .args(["git", "--format", "json", "--no-progress", "--show-secrets"])
                .current_dir(repo.path())
                .env("RAYON_NUM_THREADS", threads.to_string())
                .output()
                .unwrap();
            let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
            let got: BTreeMap<(String, String), Truth> = findings(&doc)
                .iter()
                .map(|f| {
                    let key = (
                        f["path"].as_str().unwrap().to_string(),
                        f["secret"].as_str().unwrap().to_string(),
                    );
                    let live_in = f["live_in"].as_array().unwrap();
                    let t = Truth {
                        commit: f["commit"].as_str().unwrap().to_string(),
                        commits: f["commits"].as_u64().unwrap(),
                        at_head: f["at_head"].as_bool().unwrap(),
                        live_in: live_in
                            .iter()
                            .map(|s| s.as_str().unwrap().to_string())
                            .collect(),
                        lines_at: f["lines_at"].as_str().unwrap().to_string(),
                    };
                    (key, t)
                })
                .collect();
            let wrong: HashMap<_, _> = want
                .iter()
                .filter(|(k, t)| got.get(*k) != Some(*t))
                .map(|(k, t)| (k, (t, got.get(k))))
                .collect();
            assert!(
                wrong.is_empty() && got.len() == want.len(),
                "seed {seed}, {threads} threads: {} of {} wrong, {} reported: {wrong:#?}",
                wrong.len(),
                want.len(),
                got.len()
            );
        }
    }
}
