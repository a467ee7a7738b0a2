//! One test per problem found in review, named after what broke.

mod common;

use common::*;
#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;

#[test]
fn text_snippet_masks_every_secret_on_the_line() {
    // Broke: the API key's snippet showed the secret key after it in clear.
    let (k, s) = (binance_key("mask-k"), binance_key("mask-s"));
    let dir = tree(&[(
        "bot.py",
        &format!("from binance.client import Client\nclient = Client(\"{k}\", \"{s}\")\n"),
    )]);
    let out = stdout(&run(dir.path(), &["scan"]));
    assert!(!out.contains(&k[4..]) && !out.contains(&s[4..]), "{out}");
    assert!(
        out.contains(&format!("Client(\"{}…\", \"{}…\")", &k[..4], &s[..4])),
        "{out}"
    );
}

#[test]
fn config_text_is_escaped_before_the_terminal() {
    // Broke: a scanned repository's remediation text reached the terminal raw.
    let cfg = "[[rule]]\nid = \"evil\"\ndescription = \"x\\u001b[2J\"\nseverity = \"low\"\nkeywords = [\"evil_\"]\nregex = 'evil_(?P<secret>[a-z0-9]{20})'\nremediation = \"\\u001b]0;pwned\\u0007\"\n";
    let dir = tree(&[
        (".keyhound.toml", cfg),
        ("a.txt", "evil_q3kz8w1mdl0x7c2vb9n4\n"),
    ]);
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 1);
    assert!(
        !stdout(&o).contains('\x1b') && !stdout(&o).contains('\x07'),
        "{:?}",
        stdout(&o)
    );
    let bad = tree(&[(".keyhound.toml", "disabled-rules = [\"\\u001b[31mRED\"]\n")]);
    let o = run(bad.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).contains('\x1b'), "{:?}", stderr(&o));
}

#[test]
fn a_path_cannot_start_a_workflow_command() {
    // Broke: a file named `::error …` printed a GitHub Actions command.
    let dir = tree(&[(
        "::warning title=ok::all clear",
        &format!("BINANCE_API_KEY={}\n", binance_key("wf")),
    )]);
    let out = stdout(&run(dir.path(), &["scan", "."]));
    assert!(out.lines().all(|l| !l.starts_with("::")), "{out}");
}

#[test]
fn code_between_pem_header_constants_is_scanned() {
    // Broke: everything between `-----BEGIN` and `-----END` anywhere in a
    // file was treated as a key body.
    let text = format!(
        "from binance.spot import Spot\nPEM_HEADER = \"-----BEGIN PUBLIC KEY-----\"\nAPI_KEY = \"{}\"\nPEM_FOOTER = \"-----END PUBLIC KEY-----\"\n",
        binance_key("between")
    );
    let dir = tree(&[("sign.py", &text)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        summary(&doc),
        [("sign.py".to_string(), 3, "binance-api-key".to_string())]
    );
}

#[test]
fn an_aws_key_id_is_not_paired_with_an_ssh_key() {
    // Broke: any API key was "paired" with any private key.
    let body =
        keyhound::rules::examples::expand("{{openssh-ed25519}}", &mut Fake::from_str_seed("ssh"));
    let text = format!(
        "aws_access_key_id = AKIA{}\n-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n",
        Fake::from_str_seed("akia").string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    );
    let dir = tree(&[("mixed.txt", &text)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    let f = findings(&doc);
    assert_eq!(f.len(), 2, "{doc:#}");
    assert!(f.iter().all(|f| f["paired"] != true), "{doc:#}");
}

#[test]
fn a_closed_pipe_keeps_the_findings_exit_code() {
    // Broke: `keyhound scan | head -1` exited 0 with findings.
    let mut files = Vec::new();
    for i in 0..300 {
        files.push((
            format!("f{i}.env"),
            format!("BINANCE_API_KEY={}\n", binance_key(&format!("pipe{i}"))),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let mut child = std::process::Command::new(bin())
        .args(["scan", "."])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn a_huge_max_file_size_does_not_overflow() {
    // Broke: `take(max + 1)` wrapped to zero and stdin was scanned empty.
    let dir = tree(&[]);
    let line = format!("BINANCE_API_SECRET={}\n", binance_key("huge"));
    let o = run_stdin(
        dir.path(),
        &["scan", "-", "--max-file-size", "18446744073709551615"],
        Some(line.as_bytes()),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

#[test]
fn end_column_of_a_multibyte_last_character() {
    // Broke: end_column counted the last character's bytes.
    // The password is made at run time (11 letters and digits, then `é`), so
    // that no connection string with a password sits in this repository.
    let password = format!("{}é", Fake::from_str_seed("multibyte-url").alnum(11));
    let line = format!("DATABASE_URL=postgres://trader:{password}@db.internal/bot\n");
    let dir = tree(&[("db.env", &line)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    let f = &findings(&doc)[0];
    assert_eq!(
        (f["column"].as_u64(), f["end_column"].as_u64()),
        (Some(32), Some(43)),
        "{doc:#}"
    );
}

#[test]
fn another_roots_config_file_is_scanned() {
    // Broke: the config in use excluded every `.keyhound.toml` by name.
    let leak = format!("# token = ghp_{}\n", Fake::from_str_seed("b-cfg").alnum(36));
    let dir = tree(&[
        ("a/.keyhound.toml", "disabled-rules = []\n"),
        ("b/.keyhound.toml", &leak),
    ]);
    let (_, doc) = scan_json(dir.path(), &["a", "b"]);
    assert_eq!(
        summary(&doc),
        [(
            "b/.keyhound.toml".to_string(),
            1,
            "github-token".to_string()
        )]
    );
}

#[test]
fn config_of_the_current_directory_applies_to_file_arguments() {
    // Broke: `keyhound scan src/a.env` looked for the config in `src/`.
    let dir = tree(&[
        (
            "src/a.env",
            &format!("BINANCE_API_KEY={}\n", binance_key("cwd")),
        ),
        (".keyhound.toml", "[allowlist]\npaths = [\"src/*.env\"]\n"),
    ]);
    let (code, _) = scan_json(dir.path(), &["src/a.env"]);
    assert_eq!(code, 0);
}

#[test]
fn double_slashes_are_not_reported() {
    let dir = tree(&[(
        "src/a.env",
        &format!("BINANCE_API_KEY={}\n", binance_key("slash")),
    )]);
    let (_, doc) = scan_json(dir.path(), &["src//"]);
    assert_eq!(findings(&doc)[0]["path"], "src/a.env");
}

/// A fake RSA PKCS#8 key whose structure parses: its body spans 26 lines.
fn rsa_pem(seed: &str) -> (String, String) {
    let body = keyhound::rules::examples::expand("{{rsa-pkcs8}}", &mut Fake::from_str_seed(seed));
    let block = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    (block, body)
}

#[test]
fn a_multi_line_secret_is_shown_once_in_its_snippet() {
    // Broke: a PEM key's snippet printed its masked start twice, and with
    // --show-secrets the whole body after the masked copy.
    let (block, body) = rsa_pem("snippet-once");
    let dir = tree(&[("k.pem", &block)]);
    let out = stdout(&run(dir.path(), &["scan"]));
    let shown: Vec<_> = out.lines().filter(|l| l.starts_with("  2 |")).collect();
    assert_eq!(shown, ["  2 | MIIE…"], "{out}");
    let out = stdout(&run(dir.path(), &["scan", "--show-secrets"]));
    let first_line = body.lines().next().unwrap();
    assert!(!out.contains(first_line), "the snippet stays masked: {out}");
    let shown: Vec<_> = out.lines().filter(|l| l.starts_with("  2 |")).collect();
    assert_eq!(shown, ["  2 | MIIE…"], "{out}");
}

#[test]
fn invisible_format_characters_in_paths_are_escaped() {
    // Broke: a word joiner, a soft hyphen and a tag character reached the
    // terminal as they were.
    let name = "a\u{2060}b\u{ad}c\u{e0041}.env";
    let dir = tree(&[(name, &format!("BINANCE_API_KEY={}\n", binance_key("cf")))]);
    let out = stdout(&run(dir.path(), &["scan", "."]));
    assert!(out.contains("a\\u{2060}b\\u{ad}c\\u{e0041}.env"), "{out}");
    assert!(!out.contains(name), "{out}");
}

#[test]
fn io_errors_are_said_once_and_multi_line_errors_keep_their_lines() {
    let dir = tree(&[(
        ".keyhound.toml",
        "[[rule]]\nid = \"x\"\ndescription = \"x\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = '(?P<secret>abc'\n",
    )]);
    let o = run(dir.path(), &["scan", "--config", "missing.toml"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.lines().count() > 1 && !err.contains("\\n"), "{err}");
}

#[test]
fn rules_list_rejects_formats_it_does_not_print() {
    let dir = tree(&[]);
    let o = run(dir.path(), &["rules", "list", "--format", "sarif"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("text, json"), "{}", stderr(&o));
    let o = run(dir.path(), &["rules", "list", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(list.as_array().unwrap().len() > 40);
}

#[test]
fn thread_counts_and_sizes_out_of_range_are_refused() {
    let dir = tree(&[("a.txt", "hello\n")]);
    for args in [
        &["scan", "-j", "100000"][..],
        &["scan", "-j", "18446744073709551615"],
        &["scan", "--max-file-size", "0"],
    ] {
        let o = run(dir.path(), args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    assert_eq!(code(&run(dir.path(), &["scan", "-j", "3"])), 0);
}

#[test]
fn fingerprints_do_not_depend_on_how_the_path_was_typed() {
    // Broke: the fingerprint hashed the path as typed, so one allowlisted
    // from `scan .` came back under `scan $PWD` or `scan sub`.
    let mut repo = common::git::Repo::new();
    let content = format!("BINANCE_API_KEY={}\n", binance_key("fp-anchor"));
    repo.commit_files(&[("sub/a.env", &content)], "add");
    let root = repo.path().to_path_buf();
    let json = |dir: &std::path::Path, args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let o = run(dir, &all);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        (code(&o), doc)
    };
    let fp = |dir: &std::path::Path, args: &[&str]| {
        let (c, doc) = json(dir, args);
        assert_eq!(c, 1, "{args:?}");
        let f = findings(&doc);
        assert_eq!(f.len(), 1, "{args:?}");
        f[0]["fingerprint"].as_str().unwrap().to_string()
    };
    let reference = fp(&root, &["scan", "."]);
    let abs = root.join("sub").display().to_string();
    let abs_file = root.join("sub/a.env").display().to_string();
    assert_eq!(fp(&root, &["scan", "sub"]), reference);
    assert_eq!(fp(&root, &["scan", "./sub/"]), reference);
    assert_eq!(fp(&root, &["scan", &abs]), reference);
    assert_eq!(fp(&root, &["scan", &abs_file]), reference);
    assert_eq!(fp(&root.join("sub"), &["scan", "."]), reference);
    assert_eq!(fp(&root.join("sub"), &["scan", "a.env"]), reference);
    // The history scan names the file the same way.
    assert_eq!(fp(&root, &["git", "--all"]), reference);
    // Allowlisted once, it stays quiet whichever way the scan is typed.
    write(
        &root,
        ".keyhound.toml",
        format!("[allowlist]\nfingerprints = [\"{reference}\"]\n").as_bytes(),
    );
    let cfg = root.join(".keyhound.toml").display().to_string();
    for (dir, args) in [
        (root.clone(), vec!["scan", "."]),
        (root.clone(), vec!["scan", &abs, "--config", &cfg]),
        (root.join("sub"), vec!["scan", ".", "--config", &cfg]),
    ] {
        let (c, doc) = json(&dir, &args);
        assert_eq!((c, findings(&doc).len()), (0, 0), "{args:?}");
    }
}

#[test]
fn the_config_file_is_scanned_once_however_it_is_named() {
    // The config is scanned like any file (review U2): a key pasted into it
    // is found once, however `--config` names it.
    let key = binance_key("cfg-self");
    let cfg = format!("# binance key: BINANCE_API_KEY={key}\ndisabled-rules = []\n");
    let dir = tree(&[(".keyhound.toml", &cfg), ("ok.txt", "nothing here\n")]);
    let abs = dir.path().join(".keyhound.toml").display().to_string();
    for args in [
        &[][..],
        &[".", "--config", &abs],
        &[".", "--config", "./.keyhound.toml"],
    ] {
        let (status, doc) = scan_json(dir.path(), args);
        assert_eq!(status, 1, "{args:?}: {doc:#}");
        assert_eq!(
            summary(&doc),
            [(
                ".keyhound.toml".to_string(),
                1,
                "binance-api-key".to_string()
            )],
            "{args:?}"
        );
    }
}

#[test]
fn allowlist_entries_that_silence_everything_are_errors() {
    let dir = tree(&[
        (".keyhound.toml", "[allowlist]\nstopwords = [\"\"]\n"),
        (
            "a.env",
            &format!("BINANCE_API_KEY={}\n", binance_key("empty-sw")),
        ),
    ]);
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains(".keyhound.toml"), "{}", stderr(&o));
    assert!(stderr(&o).contains("stopwords"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    // Broke: `keyhound scan <(cat .env)` said "no secrets found".
    let dir = tree(&[]);
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let content = format!("BINANCE_API_KEY={}\n", binance_key("fifo"));
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, content).unwrap())
    };
    let o = run(dir.path(), &["scan", "pipe"]);
    writer.join().unwrap();
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("pipe:1:17"), "{}", stdout(&o));
}

#[test]
fn both_halves_decoded_from_one_base64_value_are_reported() {
    // Broke: a key and its secret decoded from the same `data:` value shared
    // its span, and only one of them was kept (marked "alone").
    let (k, s) = (binance_key("k8s-k"), binance_key("k8s-s"));
    let creds = keyhound::rules::examples::base64_encode(
        format!("BINANCE_API_KEY={k}\nBINANCE_SECRET_KEY={s}\n").as_bytes(),
    );
    let dir = tree(&[(
        "secret.yaml",
        &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: bot\ndata:\n  creds: {creds}\n"),
    )]);
    let (c, doc) = scan_json(dir.path(), &[]);
    assert_eq!(c, 1);
    let mut got: Vec<_> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["line"].as_u64(),
                f["paired"].as_bool(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("binance-api-key", Some(6), Some(true)),
            ("binance-secret-key", Some(6), Some(true))
        ]
    );
}

#[test]
fn tracked_files_that_gitignore_hides_are_still_scanned() {
    // Broke: a `.env` committed by mistake and then listed in `.gitignore`
    // (still in every clone) was never scanned, while untracked ignored
    // files must stay skipped.
    let mut repo = common::git::Repo::new();
    let tracked = format!("BINANCE_API_KEY={}\n", binance_key("tracked-ignored"));
    repo.commit_files(&[("config/.env", &tracked)], "add env");
    let root = repo.path().to_path_buf();
    write(&root, ".gitignore", b".env\nlocal.secrets\n");
    let untracked = format!("BINANCE_API_KEY={}\n", binance_key("untracked-ignored"));
    write(&root, "local.secrets", untracked.as_bytes());
    let paths = |dir: &std::path::Path, args: &[&str]| {
        let (c, doc) = scan_json(dir, args);
        let p: Vec<String> = findings(&doc)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        (c, p)
    };
    assert_eq!(paths(&root, &[]), (1, vec!["config/.env".to_string()]));
    assert_eq!(
        paths(&root, &["config"]),
        (1, vec!["config/.env".to_string()])
    );
    assert_eq!(
        paths(&root.join("config"), &["."]),
        (1, vec![".env".to_string()])
    );
    // .keyhoundignore is the user's word: it still excludes.
    write(&root, ".keyhoundignore", b"config/.env\n");
    assert_eq!(paths(&root, &[]), (0, vec![]));
}

#[test]
fn git_dir_alone_makes_the_current_directory_the_work_tree() {
    // Broke: with GIT_DIR set (a separate git dir) and no GIT_WORK_TREE,
    // the staged scan took its config from the git dir's parent, not from
    // the current directory as Git does.
    let mut repo = common::git::Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    let secret = format!("# binance\nBINANCE_API_SECRET={}\n", binance_key("gitdir"));
    repo.write("bot.env", secret.as_bytes());
    repo.stage("bot.env");
    let work = repo.path().to_path_buf();
    // Move the git dir away: `git init --separate-git-dir` without the
    // `.git` file, so only GIT_DIR finds it.
    let away = tempfile::tempdir().unwrap();
    let git_dir = away.path().join("bot.git");
    std::fs::rename(work.join(".git"), &git_dir).unwrap();
    write(
        &work,
        ".keyhound.toml",
        b"[allowlist]\npaths = [\"bot.env\"]\n",
    );
    // A config beside the git dir must not be the one used.
    write(away.path(), ".keyhound.toml", b"disabled-rules = []\n");
    let o = std::process::Command::new(bin())
        .args(["scan", "--staged", "--format", "json"])
        .current_dir(&work)
        .env("GIT_DIR", &git_dir)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[cfg(unix)]
#[test]
fn tracked_files_are_not_read_through_symlinks_or_past_parent_ignores() {
    // Broke: the tracked-files pass followed a directory replaced by a
    // symlink out of the tree, ignored `.keyhoundignore`/`.ignore` above the
    // scan root, and skipped names that are not UTF-8.
    let mut repo = common::git::Repo::new();
    let leak = |seed: &str| format!("BINANCE_API_KEY={}\n", binance_key(seed));
    repo.commit_files(
        &[
            ("ign/creds", &leak("through-link")),
            ("sub/deep/a.env", &leak("parent-ignore")),
            ("sub/b.env", &leak("parent-kh-ignore")),
        ],
        "add",
    );
    let root = repo.path().to_path_buf();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
    std::fs::write(root.join("sub").join(name), leak("latin1")).unwrap();
    let mut index = repo.repo.index().unwrap();
    index
        .add_path(&std::path::Path::new("sub").join(name))
        .unwrap();
    index.write().unwrap();
    repo.commit("latin1 name");
    // A directory replaced by a link to somewhere outside.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("creds"), leak("outside")).unwrap();
    std::fs::remove_dir_all(root.join("ign")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("ign")).unwrap();
    write(&root, ".gitignore", b"*.env\n");
    write(&root, ".ignore", b"sub/deep/\n");
    write(&root, ".keyhoundignore", b"b.env\n");
    let (_, doc) = scan_json(&root.join("sub"), &["."]);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["caf\u{fffd}.env"], "{doc:#}");
    let (_, doc) = scan_json(&root, &["."]);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["sub/caf\u{fffd}.env"], "{doc:#}");
}

#[test]
fn a_nested_repository_names_its_files_from_its_own_top() {
    let mut outer = common::git::Repo::new();
    outer.commit_files(&[("README.md", "outer\n")], "init");
    let inner = outer.path().join("inner");
    let content = format!("BINANCE_API_KEY={}\n", binance_key("nested"));
    write(&inner, "bot.env", content.as_bytes());
    git2::Repository::init(&inner).unwrap();
    let fp = |dir: &std::path::Path, arg: &str| {
        let (_, doc) = scan_json(dir, &[arg]);
        findings(&doc)[0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let from_outer = fp(outer.path(), ".");
    assert_eq!(from_outer, fp(outer.path(), "inner"));
    assert_eq!(from_outer, fp(&inner, "."));
}
