//! `.keyhound.toml`: extra rules, disabled rules, allowlists, and errors
//! that say where the problem is.

mod common;

use common::*;

fn bot(seed: &str) -> String {
    format!("# binance bot\nBINANCE_API_KEY={}\n", binance_key(seed))
}

#[test]
fn unknown_keys_are_errors_naming_file_line_and_key() {
    let dir = tree(&[(
        ".keyhound.toml",
        "[allowlist]\npaths = []\nstopword = [\"x\"]\n",
    )]);
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains(".keyhound.toml:3:"), "{err}");
    assert!(err.contains("stopword"), "{err}");
}

#[test]
fn a_parse_error_does_not_print_a_secret_pasted_into_the_config() {
    // New-user trial: a key pasted as the value of `fingerprints` was
    // printed whole in the error, on the terminal and in CI logs.
    let key = binance_key("pasted-into-config");
    let dir = tree(&[(
        ".keyhound.toml",
        &format!("[allowlist]\nfingerprints = \"{key}\"\n"),
    )]);
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains(".keyhound.toml:2:"), "{err}");
    assert!(err.contains(&format!("{}…", &key[..4])), "{err}");
    assert!(!err.contains(&key[..12]), "{err}");
}

#[test]
fn bad_regex_in_a_config_rule_is_an_error() {
    let cfg = "[[rule]]\nid = \"acme\"\ndescription = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme\"]\nregex = 'acme_(?P<secret>[a-z'\n";
    let dir = tree(&[(".keyhound.toml", cfg)]);
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("rule `acme`"), "{}", stderr(&o));
}

#[test]
fn disabling_an_unknown_rule_is_an_error() {
    let dir = tree(&[(".keyhound.toml", "disabled-rules = [\"no-such-rule\"]\n")]);
    let o = run(dir.path(), &["scan"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no-such-rule") && stderr(&o).contains("rules list"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_explicit_config_is_an_error() {
    let dir = tree(&[]);
    let o = run(dir.path(), &["scan", "--config", "nope.toml"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
}

#[test]
fn disabled_rules_do_not_report() {
    let dir = tree(&[("bot.env", &bot("disabled"))]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(findings(&doc)[0]["rule_id"], "binance-api-key");
    // With the specific rule off, the role-less Binance rule takes over...
    write(
        dir.path(),
        ".keyhound.toml",
        b"disabled-rules = [\"binance-api-key\"]\n",
    );
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(findings(&doc)[0]["rule_id"], "binance-api-credential");
    // ...and with every rule that matches off, nothing is reported.
    let all =
        "disabled-rules = [\"binance-api-key\", \"binance-api-credential\", \"generic-secret\"]\n";
    write(dir.path(), ".keyhound.toml", all.as_bytes());
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn allowlisted_paths_regexes_stopwords_and_fingerprints() {
    let dir = tree(&[
        ("tests/fixtures/bot.env", &bot("fixture")),
        ("app/bot.env", &bot("app")),
        (
            ".keyhound.toml",
            "[allowlist]\npaths = [\"tests/fixtures/**\"]\n",
        ),
    ]);
    let (_, doc) = scan_json(dir.path(), &[]);
    let paths: Vec<_> = summary(&doc).into_iter().map(|s| s.0).collect();
    assert_eq!(paths, ["app/bot.env"]);

    // The same file allowlisted by its secret's regex, a stopword, or its fingerprint.
    let key = binance_key("app");
    let fp = findings(&doc)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    for cfg in [
        format!("[allowlist]\nregexes = ['^{}']\n", &key[..10]),
        format!("[allowlist]\nstopwords = ['{}']\n", &key[20..30]),
        format!("[allowlist]\nfingerprints = ['{fp}']\n"),
    ] {
        let dir = tree(&[("app/bot.env", &bot("app")), (".keyhound.toml", &cfg)]);
        let (code, doc) = scan_json(dir.path(), &[]);
        assert_eq!(code, 0, "{cfg}: {doc}");
    }
}

#[test]
fn extra_rules_report_with_their_id() {
    let cfg = r#"
[[rule]]
id = "acme-token"
description = "ACME deploy token"
severity = "medium"
keywords = ["acme_"]
regex = '''\bacme_(?P<secret>[a-z0-9]{24})\b'''
examples = ["token = acme_q3kz8w1mdl0x7c2vb9n4p6ry"]  # keyhound:allow (a fake for this test)
"#;
    let dir = tree(&[
        (
            "deploy.sh",
            "curl -H 'X: acme_q3kz8w1mdl0x7c2vb9n4p6ry' host\n",
        ),
        (".keyhound.toml", cfg),
    ]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        summary(&doc),
        [("deploy.sh".to_string(), 1, "acme-token".to_string())]
    );
    assert_eq!(findings(&doc)[0]["severity"], "medium");
    // `rules check` verifies config rules too.
    let o = run(
        dir.path(),
        &["rules", "check", "--config", ".keyhound.toml"],
    );
    assert_eq!(code_of(&o), 0, "{}", stderr(&o));
}

fn code_of(o: &std::process::Output) -> i32 {
    code(o)
}

#[test]
fn config_is_found_at_the_scan_root() {
    let dir = tree(&[
        ("proj/bot.env", &bot("root")),
        ("proj/.keyhound.toml", "[allowlist]\npaths = [\"*.env\"]\n"),
    ]);
    let (code, _) = scan_json(dir.path(), &["proj"]);
    assert_eq!(code, 0);
}

#[test]
fn a_subdirectory_scan_uses_the_config_at_the_top_of_its_work_tree() {
    // `keyhound scan src` from a repository's root, or `keyhound scan .`
    // inside `src`, takes the root's `.keyhound.toml`; its path globs match
    // paths from the top of the work tree.
    let dir = tree(&[
        (
            ".keyhound.toml",
            "[allowlist]\npaths = [\"src/vendored/**\"]\n",
        ),
        (
            "src/vendored/keys.env",
            &format!("BINANCE_API_KEY={}\n", binance_key("fixture")),
        ),
        (
            "src/bot.env",
            &format!("BINANCE_API_KEY={}\n", binance_key("real")),
        ),
    ]);
    git2::Repository::init(dir.path()).unwrap();
    let paths = |cwd: &std::path::Path, args: &[&str]| -> Vec<String> {
        let (_, doc) = scan_json(cwd, args);
        findings(&doc)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(paths(dir.path(), &["src"]), ["src/bot.env"]);
    assert_eq!(paths(&dir.path().join("src"), &["."]), ["bot.env"]);
    // Outside a work tree, only the scanned directory's own config counts.
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    assert_eq!(
        paths(dir.path(), &["src"]),
        ["src/bot.env", "src/vendored/keys.env"]
    );
}

/// `(path, line, rule_id)` of each finding of a JSON report on standard
/// output.
fn found_in(o: &std::process::Output) -> Vec<(String, u64, String)> {
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)));
    summary(&doc)
}

#[test]
fn review_u2_the_config_file_is_scanned_in_every_mode() {
    // Broke: the config in use was hidden from every scan, in every
    // version: the pre-commit check let a key pasted into a comment of
    // `.keyhound.toml` through, `git --range` scanned 0 files, a history
    // audit never read its past versions.
    use common::git::Repo;
    let leaky = format!(
        "# binance: BINANCE_API_SECRET={}\n[allowlist]\nstopwords = [\"dummy\"]\n",
        binance_key("u2-config")
    );
    let mut repo = Repo::new();
    let base = repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.write(".keyhound.toml", leaky.as_bytes());
    repo.stage(".keyhound.toml");
    let in_config = vec![(
        ".keyhound.toml".to_string(),
        1,
        "binance-secret-key".to_string(),
    )];
    let dir = repo.path().to_path_buf();
    let json = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        run(&dir, &all)
    };
    let o = json(&["scan", "--staged"]);
    assert_eq!((code(&o), found_in(&o)), (1, in_config.clone()), "staged");
    repo.commit("config");
    let range = format!("{base}..HEAD");
    for args in [&["scan", "."][..], &["git", "--range", &range], &["git"]] {
        let o = json(args);
        assert_eq!(found_in(&o), in_config, "{args:?}");
    }
    // Taken out of the config: history still has it.
    repo.commit_files(
        &[(".keyhound.toml", "[allowlist]\nstopwords = [\"dummy\"]\n")],
        "clean",
    );
    assert_eq!(found_in(&json(&["git"])), in_config, "history");
    assert_eq!(found_in(&json(&["scan", "."])), []);
}

#[test]
fn issue8_05_an_accepted_fingerprint_holds_in_every_mode_whichever_rule_labels_the_secret() {
    // Broke (review R3): a full scan labels a value next to a Binance
    // client in one file `binance-secret-key` in every file, so the
    // fingerprint it prints for `scripts/settings.py` is that rule's; a scan of
    // that file alone, a range or the pre-commit check label it
    // `generic-secret` there, and that fingerprint was not accepted.
    use common::git::Repo;
    let (key, secret) = (binance_key("r3-key"), binance_key("r3-secret"));
    let mut repo = Repo::new();
    let base = repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.commit_files(
        &[(
            "bot.py",
            &format!(
                "from binance.client import Client\nclient = Client(\"{key}\", \"{secret}\")\n"
            ),
        )],
        "bot",
    );
    let example = format!("api_secret = \"{secret}\"\n");
    repo.commit_files(&[("scripts/settings.py", &example)], "docs");
    let o = run(repo.path(), &["scan", ".", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = findings(&doc)
        .iter()
        .find(|f| f["path"] == "scripts/settings.py")
        .unwrap();
    assert_eq!(f["rule_id"], "binance-secret-key");
    let fp = f["fingerprint"].as_str().unwrap();
    repo.write(
        ".keyhound.toml",
        format!("[allowlist]\nfingerprints = [\"{fp}\"]\n").as_bytes(),
    );
    // The same line added again, for the pre-commit check.
    repo.write(
        "scripts/settings.py",
        format!("{example}{example}").as_bytes(),
    );
    repo.stage("scripts/settings.py");
    let range = format!("{base}..HEAD");
    for args in [
        &["scan", "."][..],
        &["scan", "scripts/settings.py"],
        &["scan", "--staged"],
        &["git", "--range", &range],
        &["git"],
    ] {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let found = found_in(&run(repo.path(), &all));
        assert!(
            found.iter().all(|(path, ..)| path != "scripts/settings.py"),
            "{args:?}: {found:?}"
        );
    }
    // Only that secret at that path: the same value in bot.py is still
    // reported.
    let found = found_in(&run(repo.path(), &["scan", ".", "--format", "json"]));
    assert!(found.contains(&("bot.py".to_string(), 2, "binance-secret-key".to_string())));
    // So says the README.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let words = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("whichever rule reports it, in every mode"));
}

#[test]
fn review_u16_the_summary_and_stats_count_what_fingerprints_accepted() {
    // Broke: after accepting findings by fingerprint, the summary said
    // "no secrets found" as if nothing had been there, and JSON did not
    // count them.
    let dir = tree(&[("a.env", &bot("u16-a")), ("b.env", &bot("u16-b"))]);
    let (_, doc) = scan_json(dir.path(), &[]);
    let fps: Vec<String> = findings(&doc)
        .iter()
        .map(|f| format!("\"{}\"", f["fingerprint"].as_str().unwrap()))
        .collect();
    assert_eq!(fps.len(), 2);
    let accept = |n: usize| {
        write(
            dir.path(),
            ".keyhound.toml",
            format!("[allowlist]\nfingerprints = [{}]\n", fps[..n].join(", ")).as_bytes(),
        );
    };
    accept(1);
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        (status, doc["stats"]["findings_accepted"].as_u64()),
        (1, Some(1))
    );
    let out = stdout(&run(dir.path(), &["scan", "."]));
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("keyhound: 1 finding in 1 file"), "{last}");
    assert!(
        last.contains("; 1 finding accepted by fingerprint in .keyhound.toml;"),
        "{last}"
    );
    accept(2);
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "keyhound: no secrets found; 2 findings accepted by fingerprint in .keyhound.toml;"
        ),
        "{out}"
    );
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(doc["stats"]["findings_accepted"], 2);
}

#[test]
fn a_config_rule_without_remediation_leaves_one_blank_line_before_the_summary() {
    let token = format!("acme_{}", Fake::new(31).alnum(24).to_lowercase());
    let dir = tree(&[
        (
            ".keyhound.toml",
            "[[rule]]\nid = \"acme-token\"\ndescription = \"ACME token\"\nseverity = \"high\"\n\
             regex = '(?P<secret>acme_[a-z0-9]{24})'\nkeywords = [\"acme_\"]\n",
        ),
        ("a.env", &format!("ACME={token}\n")),
    ]);
    let o = run(dir.path(), &["scan", "a.env"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("acme-token"), "{out}");
    assert!(!out.contains("\n\n\n"), "{out:?}");
    assert!(out.contains("\n\nkeyhound: 1 finding in 1 file"), "{out:?}");
}

#[test]
fn a_fingerprint_that_is_not_one_is_an_error_saying_what_to_paste() {
    // New-user trial: the README's placeholder `"8f0c2a…"` was accepted
    // and silently accepted nothing.
    for bad in ["8f0c2a…", "8F0C2A9D41B7E3C05A6F18D2B9E4C7A1", "8f0c2a9d"] {
        let dir = tree(&[(
            ".keyhound.toml",
            &format!("[allowlist]\nfingerprints = [\"{bad}\"]\n"),
        )]);
        let o = run(dir.path(), &["scan"]);
        assert_eq!(code(&o), 2, "{bad}");
        let err = stderr(&o);
        assert!(
            err.contains("is not a fingerprint (32 lowercase hex digits)"),
            "{err}"
        );
        assert!(err.contains("copy the `fingerprint` of a finding"), "{err}");
    }
}
