//! Issue 11: `keyhound purge`, the plan for a history rewrite, and
//! `keyhound purge --check`. The rewrite itself is done for real by
//! git-filter-repo (`.ci/run` installs it; `pip install git-filter-repo`),
//! over real repositories pushed to a real bare "server" over the local
//! file transport. Secrets are made at run time.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::git::git;
use common::*;

/// Runs `git ARGS` in `dir` and returns its standard output as bytes.
fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Runs the real `git filter-repo ARGS` in `dir`.
fn filter_repo(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .arg("filter-repo")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git filter-repo {args:?} failed (is it installed? `pip install git-filter-repo`; .ci/run installs it): {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `keyhound purge --check FILE --repo REPO`: its exit code and report.
fn check_in(repo: &Path, file: &Path) -> (i32, String) {
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
    (code(&o), common::stdout(&o))
}

/// A mirror clone of `repo`, made in `dir` and rewritten by git
/// filter-repo with `args`, as the steps say.
fn rewritten_mirror(repo: &Path, dir: &Path, args: &[&str]) -> PathBuf {
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
fn snapshot(repo: &Path) -> BTreeMap<(String, String), Vec<u8>> {
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
fn refs(repo: &Path) -> String {
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
fn masked(data: &[u8], values: &[Vec<u8>]) -> Vec<u8> {
    let mut values = values.to_vec();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut text = data.to_vec();
    for v in &values {
        text = replace(&text, v, b"<R>");
    }
    let re = regex::bytes::Regex::new(r"\*\*\*REMOVED-[a-z0-9-]+\*\*\*").unwrap();
    re.replace_all(&text, &b"<R>"[..]).into_owned()
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
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

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `text` holds any 8 consecutive characters of `secret`.
fn leaks(text: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .any(|w| text.contains(&w.iter().collect::<String>()))
}

/// A repository with secrets in old commits, on two branches and under an
/// annotated tag, pushed to a bare server, and the secrets' forms.
struct Leaky {
    _dir: tempfile::TempDir,
    server: PathBuf,
    work: PathBuf,
    /// The secrets as the blobs hold them, and the values, each a form
    /// that must be gone after the rewrite.
    forms: Vec<Vec<u8>>,
    /// The secrets, to look for in keyhound's output.
    secrets: Vec<String>,
}

fn leaky() -> Leaky {
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
    let (rsa_pem, _) = common::binance::rsa(dir.path());
    let (ed_body, _) = common::binance::ed25519();
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
fn filter_repo_commands(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("       "))
        .filter(|l| !l.contains("bfg.jar") && !l.contains("reflog") && !l.starts_with("rm "))
        .map(str::to_string)
        .collect()
}

#[test]
fn issue11_purge_rewrite_with_filter_repo_as_printed_leaves_no_secret_and_every_other_byte() {
    let l = leaky();
    let before = snapshot(&l.server);
    let refs_before = refs(&l.server);
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("purge.txt");
    let o = run(
        &l.work,
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    let (stdout, stderr) = (common::stdout(&o), common::stderr(&o));
    assert_eq!(code(&o), 1, "{stdout}\n{stderr}");
    // The file: owner-only, never shown.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    for s in &l.secrets {
        assert!(
            !leaks(&stdout, s) && !leaks(&stderr, s),
            "a secret reached the terminal:\n{stdout}\n{stderr}"
        );
    }
    let listed = std::fs::read(&file).unwrap();
    for form in &l.forms {
        assert!(
            contains(&listed, form),
            "not listed: {}",
            String::from_utf8_lossy(form)
        );
    }
    assert!(
        stdout.contains("mode 0600") && stdout.contains("delete it"),
        "{stdout}"
    );
    // The steps fit: tags, PEM keys; HEAD holds no secret (no step 2).
    assert!(
        stdout.contains("1 here, rewritten: old tags point at old commits"),
        "{stdout}"
    );
    assert!(stdout.contains("Private keys span lines"), "{stdout}");
    assert!(!stdout.contains("git rm --cached"), "{stdout}");
    let canonical = std::fs::canonicalize(&file).unwrap();
    assert!(
        stdout.contains(&format!(
            "git filter-repo --replace-text {}",
            canonical.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("git clone --mirror {}", l.server.display())),
        "{stdout}"
    );

    // Before the rewrite the check fails, naming refs, commits and paths.
    let o = run(
        &l.work,
        &[
            "purge",
            "--check",
            file.to_str().unwrap(),
            "--repo",
            l.server.to_str().unwrap(),
        ],
    );
    let check = common::stdout(&o);
    assert_eq!(code(&o), 1, "{check}");
    for name in [
        "refs/tags/v1.0",
        "refs/heads/feature",
        "refs/heads/main",
        ".env",
        "bot.py",
        "deploy/id_rsa.pem",
        "k8s/secret.yaml",
        "settings.json",
    ] {
        assert!(check.contains(name), "{name} not named:\n{check}");
    }
    for s in &l.secrets {
        assert!(!leaks(&check, s), "{check}");
    }

    // The printed procedure, run as printed: backup, mirror clone,
    // git filter-repo, both checks, force-push of every ref.
    let commands = filter_repo_commands(&stdout);
    assert!(
        commands.iter().any(|c| c.starts_with("git filter-repo")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("git push --force --mirror ")),
        "{commands:?}"
    );
    let scratch = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .args(["-ec", &commands.join("\n")])
        .current_dir(scratch.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the procedure failed:\n{}\n{}\n{}",
        commands.join("\n"),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    // The server now: no secret in any blob of any ref, every other byte
    // of every file of every commit as it was, the same refs, the tag
    // still annotated with its message.
    let after = snapshot(&l.server);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (key, old) in &before {
        let new = &after[key];
        for form in &l.forms {
            assert!(!contains(new, form), "{key:?} still holds a secret");
        }
        assert_eq!(
            masked(old, &l.forms),
            masked(new, &l.forms),
            "{key:?} changed beyond its secrets"
        );
    }
    assert_eq!(refs(&l.server), refs_before);
    let env = &after[&("first config".to_string(), ".env".to_string())];
    assert_eq!(
        String::from_utf8_lossy(env),
        "BINANCE_API_KEY=***REMOVED-binance-api-key***\nBINANCE_API_SECRET=***REMOVED-binance-secret-key***\nLOG_LEVEL=info\n"
    );
    let o = run(
        &l.work,
        &[
            "purge",
            "--check",
            file.to_str().unwrap(),
            "--repo",
            l.server.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", common::stdout(&o));
    let o = run(
        &l.work,
        &[
            "git",
            "--all",
            "--repo",
            l.server.to_str().unwrap(),
            "--format",
            "json",
            "--no-progress",
        ],
    );
    assert_eq!(code(&o), 0, "{}", common::stdout(&o));
}

#[test]
fn issue11_purge_refuses_to_overwrite_the_replacement_file() {
    let l = leaky();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    std::fs::write(&file, "kept\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(
        &l.work,
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains("--force"),
        "{}",
        common::stderr(&o)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"kept\n");
    // A symlink is not followed either.
    let link = dir.path().join("link.txt");
    let target = dir.path().join("target.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = run(
        &l.work,
        &["purge", "--no-progress", "-o", link.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(!target.exists());
    // --force replaces it with a new file, owner-only.
    let o = run(
        &l.work,
        &[
            "purge",
            "--no-progress",
            "--force",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1, "{}", common::stderr(&o));
    assert_ne!(std::fs::read(&file).unwrap(), b"kept\n");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The default file is in the Git directory, out of the work tree.
    let o = run(&l.work, &["purge", "--no-progress"]);
    assert_eq!(code(&o), 1);
    let default = l.work.join(".git/keyhound-purge.txt");
    assert_eq!(
        std::fs::metadata(&default).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(git(&l.work, &["status", "--porcelain"]).is_empty());
}

#[test]
fn issue11_purge_nothing_found_says_so_and_writes_no_file() {
    let mut r = common::git::Repo::new();
    r.commit_files(&[("README.md", "# nothing secret\n")], "docs");
    let o = run(r.path(), &["purge", "--no-progress"]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    assert!(
        common::stdout(&o).contains("nothing to purge"),
        "{}",
        common::stdout(&o)
    );
    assert!(!r.path().join(".git/keyhound-purge.txt").exists());
}

#[test]
fn issue11_purge_steps_fit_a_tracked_env_file_and_no_tags() {
    let mut r = common::git::Repo::new();
    let key = binance_key("purge-env-key");
    let secret = binance_key("purge-env-secret");
    r.commit_files(
        &[(
            "config/.env",
            &format!("BINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"),
        )],
        "env",
    );
    let o = run(r.path(), &["purge", "--no-progress"]);
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}");
    assert!(stdout.contains("git rm --cached config/.env"), "{stdout}");
    assert!(
        stdout.contains("echo config/.env >> .gitignore"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Delete the exposed API key now: Binance > Account > API Management"),
        "{stdout}"
    );
    // Steps in order: rotate, current files, backup, rewrite, check, push.
    let at = |s: &str| {
        stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{stdout}"))
    };
    assert!(at("1. Rotate first") < at("2. Take the secrets out"));
    assert!(at("2. Take the secrets out") < at("3. Make a backup"));
    assert!(at("3. Make a backup") < at("4. Rewrite"));
    assert!(at("4. Rewrite") < at("5. Check"));
    assert!(at("5. Check") < at("6. Force-push"));
    assert!(
        !stdout.contains("old tags point at old commits"),
        "{stdout}"
    );
    assert!(!stdout.contains("Private keys span lines"), "{stdout}");
    assert!(!stdout.contains("--strip-blobs-with-ids"), "{stdout}");
    assert!(!leaks(&stdout, &key) && !leaks(&stdout, &secret));
}

#[test]
fn issue11_purge_check_finds_a_listed_secret_no_rule_recognises() {
    // After a rewrite that missed a copy, the value may sit where no rule
    // looks (no keyword, no name): it is still a leak.
    let mut r = common::git::Repo::new();
    let value = binance_key("purge-plain-value");
    r.commit_files(
        &[("notes/todo.txt", &format!("call {value} tomorrow\n"))],
        "notes",
    );
    r.commit_files(&[("README.md", "# x\n")], "readme");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    std::fs::write(&file, format!("{value}==>***REMOVED-binance-api-key***\n")).unwrap();
    let o = run(r.path(), &["scan", "notes", "--format", "json"]);
    assert_eq!(
        code(&o),
        0,
        "no rule should recognise it: {}",
        common::stdout(&o)
    );
    let o = run(r.path(), &["purge", "--check", file.to_str().unwrap()]);
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}");
    assert!(
        stdout.contains("notes/todo.txt") && stdout.contains("refs/heads/"),
        "{stdout}"
    );
    assert!(!leaks(&stdout, &value), "{stdout}");
    // A file that lists nothing, or cannot be read, is an error.
    std::fs::write(&file, "\n").unwrap();
    assert_eq!(
        code(&run(
            r.path(),
            &["purge", "--check", file.to_str().unwrap()]
        )),
        2
    );
    let missing = dir.path().join("missing.txt");
    assert_eq!(
        code(&run(
            r.path(),
            &["purge", "--check", missing.to_str().unwrap()]
        )),
        2
    );
}

#[test]
fn issue11_purge_strips_binary_blobs_by_id() {
    // A UTF-16 `.env` (as PowerShell writes it) holds NUL bytes: neither
    // tool replaces text in it, so its blob is stripped by id.
    let mut r = common::git::Repo::new();
    let key = binance_key("purge-utf16-key");
    let secret = binance_key("purge-utf16-secret");
    let text = format!("\u{feff}BINANCE_API_KEY={key}\r\nBINANCE_API_SECRET={secret}\r\n");
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    r.write("ops/.env", &utf16);
    r.stage_all();
    r.commit("windows env");
    r.remove("ops/.env");
    r.commit_files(&[("README.md", "# ops\n")], "drop env");
    let blob = git(r.path(), &["rev-parse", "HEAD~1:ops/.env"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    let o = run(
        r.path(),
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}");
    let blobs = dir.path().join("purge.txt.blobs");
    assert_eq!(
        std::fs::read_to_string(&blobs).unwrap(),
        format!("{blob}\n")
    );
    assert_eq!(
        std::fs::metadata(&blobs).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(stdout.contains("--strip-blobs-with-ids"), "{stdout}");
    assert!(stdout.contains("binary (ops/.env)"), "{stdout}");
    // Before: the check finds the values (in UTF-16) and the blob.
    let o = run(r.path(), &["purge", "--check", file.to_str().unwrap()]);
    let check = common::stdout(&o);
    assert_eq!(code(&o), 1, "{check}");
    assert!(
        check.contains(&blob) && check.contains("ops/.env"),
        "{check}"
    );
    // The rewrite as printed, in a mirror clone.
    let mirror = rewritten_mirror(
        r.path(),
        dir.path(),
        &[
            "--replace-text",
            file.to_str().unwrap(),
            "--strip-blobs-with-ids",
            blobs.to_str().unwrap(),
        ],
    );
    assert_eq!(check_in(&mirror, &file).0, 0);
    // The commit that only added that file became empty: git filter-repo
    // drops it (as the steps say); the other stays.
    assert_eq!(git(&mirror, &["log", "--format=%s", "--all"]), "drop env");
}

#[test]
fn issue11_purge_expressions_are_read_by_filter_repo_as_written() {
    // The line format, through the real tool: values holding `==>`, a
    // prefix, regex and replacement metacharacters, spaces.
    let values: Vec<String> = [
        "pa==>ss-{}",
        "regex:{}",
        "literal:{}",
        "a$1\\b.*+?{}",
        "with space {} ",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| t.replace("{}", &Fake::from_str_seed(&format!("expr-{i}")).alnum(20)))
    .collect();
    let mut r = common::git::Repo::new();
    let body: String = values.iter().map(|v| format!("x={v}|\n")).collect();
    r.commit_files(&[("values.txt", &body)], "values");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    let mut text = Vec::new();
    for v in &values {
        text.extend(keyhound::purge::expressions::line(
            v.as_bytes(),
            b"***REMOVED-x***",
        ));
        text.push(b'\n');
    }
    std::fs::write(&file, &text).unwrap();
    assert_eq!(check_in(r.path(), &file).0, 1);
    let mirror = rewritten_mirror(
        r.path(),
        dir.path(),
        &["--replace-text", file.to_str().unwrap()],
    );
    let after = git_bytes(&mirror, &["show", "HEAD:values.txt"]);
    assert_eq!(
        String::from_utf8_lossy(&after),
        "x=***REMOVED-x***|\n".repeat(values.len())
    );
    let (code, report) = check_in(&mirror, &file);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn issue11_purge_help_says_what_it_writes_and_checks() {
    let o = run(Path::new("."), &["purge", "--help"]);
    let help = common::stdout(&o);
    assert_eq!(code(&o), 0);
    for s in [
        "--check",
        "--force",
        "-o, --output",
        "0600",
        "git filter-repo --replace-text",
        "never rewrites history",
    ] {
        assert!(help.contains(s), "{s} missing:\n{help}");
    }
}

#[test]
fn issue11_purge_a_seed_phrase_one_word_per_line_is_stripped_by_id() {
    // Each line is one common word: no line can be listed without
    // replacing that word all over the history. The file's version is
    // stripped instead, and the check verifies it is gone.
    let phrase = keyhound::rules::examples::expand("{{bip39:12}}", &mut Fake::new(11));
    let mut r = common::git::Repo::new();
    r.commit_files(
        &[
            (
                "wallet/seed.txt",
                &format!("{}\n", phrase.replace(' ', "\n")),
            ),
            ("README.md", "# wallet tools\n"),
        ],
        "wallet backup",
    );
    r.remove("wallet/seed.txt");
    r.stage_all();
    r.commit("drop the backup");
    let blob = git(r.path(), &["rev-parse", "HEAD~1:wallet/seed.txt"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purge.txt");
    let o = run(
        r.path(),
        &["purge", "--no-progress", "-o", file.to_str().unwrap()],
    );
    let stdout = common::stdout(&o);
    assert_eq!(code(&o), 1, "{stdout}\n{}", common::stderr(&o));
    assert!(
        stdout.contains("too short to replace safely") && stdout.contains("wallet/seed.txt"),
        "{stdout}"
    );
    assert!(!stdout.contains(&phrase));
    let blobs = dir.path().join("purge.txt.blobs");
    assert_eq!(
        std::fs::read_to_string(&blobs).unwrap(),
        format!("{blob}\n")
    );
    assert_eq!(
        code(&run(
            r.path(),
            &["purge", "--check", file.to_str().unwrap()]
        )),
        1
    );
    let mirror = rewritten_mirror(
        r.path(),
        dir.path(),
        &[
            "--replace-text",
            file.to_str().unwrap(),
            "--strip-blobs-with-ids",
            blobs.to_str().unwrap(),
        ],
    );
    let (code, report) = check_in(&mirror, &file);
    assert_eq!(code, 0, "{report}");
    // The commit that only deleted the file is now empty: dropped.
    assert_eq!(git(&mirror, &["log", "--format=%s"]), "wallet backup");
    assert_eq!(
        git(&mirror, &["ls-tree", "-r", "--name-only", "HEAD"]),
        "README.md"
    );
}
