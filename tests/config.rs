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
            "[allowlist]\npaths = [\"src/fixtures/**\"]\n",
        ),
        (
            "src/fixtures/sample.env",
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
        ["src/bot.env", "src/fixtures/sample.env"]
    );
}
