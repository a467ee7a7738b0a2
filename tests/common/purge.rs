//! Helpers for the `keyhound purge` tests (tests/purge.rs): the real
//! git filter-repo, snapshots of every file of every commit, and a
//! repository with secrets in old commits, on two branches and under an
//! annotated tag, pushed to a bare server.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::git::{git, git_bytes};
use super::{binance_key, code, run, write};

/// Runs the real `git filter-repo ARGS` in `dir` (installed by .ci/run;
/// `pip install git-filter-repo`: without it git says "'filter-repo' is
/// not a git command").
pub fn filter_repo(dir: &Path, args: &[&str]) {
    let mut all = vec!["filter-repo"];
    all.extend_from_slice(args);
    git_bytes(dir, &all);
}

/// `keyhound purge --check FILE --repo REPO`: its exit code and report.
pub fn check_in(repo: &Path, file: &Path) -> (i32, String) {
    let o = run(
        repo,
        &[
            "purge",
            "--check",
            file.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
        ],
    );
    (code(&o), super::stdout(&o))
}

/// A mirror clone of `repo`, made in `dir` and rewritten by git
/// filter-repo with `args`, as the steps say.
pub fn rewritten_mirror(repo: &Path, dir: &Path, args: &[&str]) -> PathBuf {
    let mirror = dir.join("m.git");
    git(
        dir,
        &[
            "clone",
            "-q",
            "--mirror",
            repo.to_str().unwrap(),
            mirror.to_str().unwrap(),
        ],
    );
    filter_repo(&mirror, args);
    mirror
}

/// Every file of every commit reachable from any ref: (commit subject,
/// path) to its bytes. Subjects are unique in these fixtures.
pub fn snapshot(repo: &Path) -> BTreeMap<(String, String), Vec<u8>> {
    let mut out = BTreeMap::new();
    for c in git(repo, &["rev-list", "--all"]).lines() {
        let subject = git(repo, &["log", "-1", "--format=%s", c]);
        for entry in git(repo, &["ls-tree", "-r", c]).lines() {
            let (meta, path) = entry.split_once('\t').unwrap();
            let blob = meta.split_whitespace().nth(2).unwrap();
            let bytes = git_bytes(repo, &["cat-file", "blob", blob]);
            out.insert((subject.clone(), path.to_string()), bytes);
        }
    }
    out
}

/// Every ref with the type of its object and its subject (a tag's own
/// message for an annotated tag).
pub fn refs(repo: &Path) -> String {
    git(
        repo,
        &[
            "for-each-ref",
            "--format=%(refname) %(objecttype) %(subject)",
        ],
    )
}

/// `data` with every occurrence of each of `values` (longest first)
/// replaced by `<R>`, and every `***REMOVED-<rule>***` too: two snapshots
/// that agree under it differ only where the secrets were.
pub fn masked(data: &[u8], values: &[Vec<u8>]) -> Vec<u8> {
    let mut values = values.to_vec();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut text = data.to_vec();
    for v in &values {
        text = replace(&text, v, b"<R>");
    }
    let re = regex::bytes::Regex::new(r"\*\*\*REMOVED-[a-z0-9-]+\*\*\*").unwrap();
    re.replace_all(&text, &b"<R>"[..]).into_owned()
}

pub fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `text` holds any 8 consecutive characters of `secret`.
pub fn leaks(text: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .any(|w| text.contains(&w.iter().collect::<String>()))
}

/// A repository with secrets in old commits, on two branches and under an
/// annotated tag, pushed to a bare server, and the secrets' forms.
pub struct Leaky {
    _dir: tempfile::TempDir,
    pub server: PathBuf,
    pub work: PathBuf,
    /// The secrets as the blobs hold them, and the values, each a form
    /// that must be gone after the rewrite.
    pub forms: Vec<Vec<u8>>,
    /// The secrets, to look for in keyhound's output.
    pub secrets: Vec<String>,
}

pub fn leaky() -> Leaky {
    let dir = tempfile::tempdir().unwrap();
    let server = dir.path().join("server.git");
    let work = dir.path().join("work");
    git(
        dir.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            server.to_str().unwrap(),
        ],
    );
    git(
        dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    git(
        &work,
        &["remote", "add", "origin", server.to_str().unwrap()],
    );
    let (k1, s1, s2) = (
        binance_key("purge-key-1"),
        binance_key("purge-secret-1"),
        binance_key("purge-secret-2"),
    );
    let (rsa_pem, _) = super::binance::rsa(dir.path());
    let (ed_body, _) = super::binance::ed25519();
    let s2_b64 = BASE64.encode(s2.as_bytes());
    let commit = |files: &[(&str, &str)], subject: &str| {
        for (p, c) in files {
            write(&work, p, c.as_bytes());
        }
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", subject]);
    };
    commit(
        &[
            (
                "README.md",
                "# bot\n\nTrades on Binance. Config in .env (a==>b, $1, \\n).\n",
            ),
            (
                ".env",
                &format!("BINANCE_API_KEY={k1}\nBINANCE_API_SECRET={s1}\nLOG_LEVEL=info\n"),
            ),
            ("deploy/id_rsa.pem", &rsa_pem),
        ],
        "first config",
    );
    git(&work, &["branch", "feature"]);
    commit(
        &[(
            "k8s/secret.yaml",
            &format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bot\ndata:\n  BINANCE_API_SECRET: {s2_b64}\n"
            ),
        )],
        "kubernetes secret",
    );
    git(&work, &["tag", "-a", "v1.0", "-m", "release one"]);
    std::fs::remove_file(work.join(".env")).unwrap();
    std::fs::remove_file(work.join("deploy/id_rsa.pem")).unwrap();
    std::fs::remove_file(work.join("k8s/secret.yaml")).unwrap();
    commit(&[(".gitignore", ".env\n")], "remove secrets");
    git(&work, &["checkout", "-q", "feature"]);
    let (ed1, ed2) = ed_body.split_at(64);
    commit(
        &[
            (
                "bot.py",
                &format!(
                    "from binance.client import Client\n\nclient = Client(\"{k1}\", \"{s1}\")\nprint(client.get_account())\n"
                ),
            ),
            (
                "settings.json",
                &format!(
                    "{{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{ed1}\\n{ed2}\\n-----END PRIVATE KEY-----\\n\", \"name\": \"bot\"}}\n"
                ),
            ),
        ],
        "bot on a branch",
    );
    git(&work, &["checkout", "-q", "main"]);
    git(&work, &["push", "-q", "origin", "--all"]);
    git(&work, &["push", "-q", "origin", "--tags"]);
    let rsa_lines: Vec<&str> = rsa_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut forms: Vec<Vec<u8>> = vec![
        k1.clone().into(),
        s1.clone().into(),
        s2.clone().into(),
        s2_b64.clone().into(),
        ed1.into(),
        ed2.into(),
    ];
    // The last line of a key body shorter than 16 characters is left (see
    // the README); 2048-bit keys end in a longer one.
    assert!(rsa_lines.iter().all(|l| l.len() >= 16), "{rsa_lines:?}");
    forms.extend(rsa_lines.iter().map(|l| l.as_bytes().to_vec()));
    let mut secrets = vec![k1, s1, s2, s2_b64, ed_body];
    secrets.extend(rsa_lines.iter().map(|l| l.to_string()));
    Leaky {
        _dir: dir,
        server,
        work,
        forms,
        secrets,
    }
}

/// The command lines a procedure prints (indented seven spaces) for the
/// git-filter-repo route: every step but BFG's and the final `rm`.
pub fn filter_repo_commands(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("       "))
        .filter(|l| !l.contains("bfg.jar") && !l.contains("reflog") && !l.starts_with("rm "))
        .map(str::to_string)
        .collect()
}
