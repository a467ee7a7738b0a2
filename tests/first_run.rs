//! What a new user meets first (issue 8, items 11 to 13): keyhound run on
//! its own repository, the install line, and the pre-commit framework's
//! hook. These tests read keyhound's own files (README, hook manifest,
//! `.keyhound.toml`) and clone its repository; nothing else in the suite
//! depends on them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::git::Repo;
use common::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The README's section under the heading `title` (any level), up to the
/// next heading of the same level or above.
fn readme_section(title: &str) -> String {
    let readme = read("README.md");
    let mut lines = readme.lines();
    let level = lines
        .by_ref()
        .find_map(|l| {
            let hashes = l.chars().take_while(|&c| c == '#').count();
            (hashes > 0 && l[hashes..].trim() == title).then_some(hashes)
        })
        .unwrap_or_else(|| panic!("README has no section `{title}`"));
    let mut out = String::new();
    let mut fenced = false;
    for l in lines {
        fenced ^= l.starts_with("```");
        let hashes = l.chars().take_while(|&c| c == '#').count();
        if !fenced && hashes > 0 && hashes <= level {
            break;
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// A config with no allowlist: what keyhound reports on its own.
fn empty_config() -> (tempfile::TempDir, PathBuf) {
    let dir = tree(&[("empty.toml", "")]);
    let path = dir.path().join("empty.toml");
    (dir, path)
}

/// Runs real `git` (the test may; keyhound itself never does).
fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs")
}

#[test]
fn issue8_11_keyhound_finds_nothing_in_its_own_tree() {
    // Broke: tests/regressions.rs held `postgres://trader:<password>@…`, so
    // the quick start's first run, `scan .` on a fresh clone, reported it
    // and exited 1. Checked without any allowlist: the tree is clean on its
    // own, not because `.keyhound.toml` hides something.
    let (_cfg_dir, cfg) = empty_config();
    let o = run(
        root(),
        &[
            "scan",
            ".",
            "--config",
            cfg.to_str().unwrap(),
            "--no-progress",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = run(root(), &["scan", ".", "--no-progress"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn issue8_11_a_fresh_clones_history_is_clean_and_each_accepted_fingerprint_is_in_it() {
    // Broke: `keyhound git` on a clone reported the fake test values of
    // landed commits. They are accepted by fingerprint in .keyhound.toml;
    // each fingerprint there must name a finding keyhound really makes on
    // this history (an entry left over after a rule or path change would
    // be a review nobody did), and nothing else may be found.
    let clone = tempfile::tempdir().unwrap();
    let o = git(
        root(),
        &[
            "clone",
            "--quiet",
            "--single-branch",
            root().to_str().unwrap(),
            clone.path().to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let o = run(clone.path(), &["git", "--no-progress"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

    let (_cfg_dir, cfg) = empty_config();
    let o = run(
        clone.path(),
        &[
            "git",
            "--no-progress",
            "--format",
            "json",
            // Each accepted entry must name a finding, of any confidence.
            "--min-confidence",
            "low",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    // What a user sees (the default confidence) must all be accepted;
    // low-confidence findings (rule-pack examples, sample prose, plain
    // words in old test fixtures) are shown only on request.
    let shown: Vec<&str> = findings(&doc)
        .iter()
        .filter(|f| f["confidence"] != "low")
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let config: toml::Value = toml::from_str(&read(".keyhound.toml")).unwrap();
    let accepted: Vec<&str> = config["allowlist"]["fingerprints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for f in &shown {
        assert!(
            accepted.contains(f),
            "{f} is found and not accepted: {doc:#}"
        );
    }
    // A shallow clone of keyhound (a CI checkout) lacks the early commits
    // that hold the accepted values: only a full history can show that
    // each entry still names a real finding.
    if root().join(".git/shallow").exists() {
        eprintln!("keyhound's own clone is shallow: accepted fingerprints not all checked");
        return;
    }
    for f in &accepted {
        assert!(
            found.contains(f),
            "{f} in .keyhound.toml names no finding of this history: {doc:#}"
        );
    }
}

#[test]
fn issue8_11_the_quick_start_says_what_the_first_run_shows() {
    // Words, whatever the line breaks.
    let quick = readme_section("Quick start")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for needle in [
        "cargo run --release -- scan .",
        "reports no secrets and exits 0",
        "cargo run --release -- git",
        ".keyhound.toml",
        "git --config /dev/null",
    ] {
        assert!(
            quick.contains(needle),
            "the quick start does not say `{needle}`:\n{quick}"
        );
    }
}

#[test]
fn issue8_12_every_cargo_install_is_locked() {
    // Broke: the README said `cargo install --path .`, which ignores
    // Cargo.lock and resolves every dependency afresh.
    assert!(readme_section("Quick start").contains("cargo install --locked --path ."));
    let mut unlocked = Vec::new();
    for file in [
        "README.md",
        "hooks/pre-commit",
        "action.yml",
        "docs/benchmarks.md",
    ] {
        let Ok(text) = std::fs::read_to_string(root().join(file)) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains("cargo install") && !line.contains("--locked") {
                unlocked.push(format!("{file}:{}: {line}", i + 1));
            }
        }
    }
    assert!(unlocked.is_empty(), "{}", unlocked.join("\n"));
}

#[test]
fn issue8_13_the_pre_commit_snippet_pins_an_immutable_rev() {
    // Broke: the README recommended `rev: main`; pre-commit installs a
    // branch once, never updates it, and warns that it is not supported.
    let section = readme_section("Before each commit: the pre-commit hook");
    let revs: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("rev:"))
        .collect();
    assert_eq!(revs.len(), 1, "{section}");
    let rev = revs[0].split('#').next().unwrap().trim();
    assert!(
        !["main", "master", "HEAD"].contains(&rev),
        "rev: {rev}\n{section}"
    );
    assert!(
        section.contains("pre-commit autoupdate --freeze"),
        "{section}"
    );
    assert!(section.contains("full commit sha"), "{section}");
}

#[test]
fn issue8_13_the_hook_manifest_runs_the_staged_check_and_its_output_says_how_to_unblock() {
    // Under the pre-commit framework the blocked user sees only what the
    // manifest's `entry` prints: run exactly that, as pre-commit does (in
    // the repository, no file names), on a commit that adds a secret.
    let manifest = read(".pre-commit-hooks.yaml");
    let field = |name: &str| {
        manifest
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no `{name}` in the manifest"))
            .trim()
            .to_string()
    };
    assert_eq!(field("pass_filenames"), "false");
    assert_eq!(field("language"), "rust");
    assert_eq!(field("stages"), "[pre-commit]");
    let entry = field("entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("keyhound"));
    let args: Vec<&str> = words.collect();

    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    let key = binance_key("pre-commit-framework");
    repo.write(
        "bot.env",
        format!("# binance\nBINANCE_API_SECRET={key}\n").as_bytes(),
    );
    repo.stage("bot.env");
    let o = run(repo.path(), &args);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("keyhound blocked this commit"), "{out}");
    assert!(out.contains("keyhound:allow"), "{out}");
    assert!(out.contains("git commit --no-verify"), "{out}");
    assert!(!out.contains(&key), "{out}");
}

/// The TOML example of the README's Configuration section.
fn readme_config() -> String {
    let section = readme_section("Configuration");
    let start = section.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_string()
}

#[test]
fn review_r15_the_readmes_custom_rule_reports_under_its_own_id() {
    // Broke: config rules were added after the built-in pack, below the
    // generic rule, so the README's own `acme-token` example reported an
    // `ACME_TOKEN=acme_…` line as generic-secret. The README's rule as it
    // is, without the example's `disabled-rules` (which would hide the
    // problem):
    let config = readme_config();
    let rule = &config[config.find("[[rule]]").expect("a [[rule]] example")..];
    let token = Fake::from_str_seed("r15").alnum(32).to_lowercase();
    let dir = tree(&[
        (".keyhound.toml", rule),
        ("deploy.env", &format!("ACME_TOKEN=acme_{token}\n")),
    ]);
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(status, 1, "{doc:#}");
    assert_eq!(
        summary(&doc),
        [("deploy.env".to_string(), 1, "acme-token".to_string())]
    );
    assert_eq!(findings(&doc)[0]["severity"], "high");
    // Ranked above the generic rules, below the specific built-in ones.
    let o = run(dir.path(), &["rules", "list", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let at = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    assert!(at("binance-api-key") < at("acme-token"), "{ids:?}");
    assert!(at("acme-token") < at("generic-secret"), "{ids:?}");
    // So says the README.
    let words = readme_section("Configuration")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains("above the built-in generic rules"),
        "{words}"
    );
}

#[test]
fn review_u2_keyhounds_own_config_and_the_readmes_example_report_nothing_of_themselves() {
    // The config is scanned like any file now; what a config holds by
    // design (fingerprints and their comments, rule examples that are
    // templates, allowlist entries) must not report itself, in a directory
    // scan or in Git.
    for config in [read(".keyhound.toml"), readme_config()] {
        let mut repo = Repo::new();
        repo.commit_files(&[(".keyhound.toml", &config)], "config");
        for args in [
            &["scan", ".", "--format", "json"][..],
            &["git", "--format", "json"],
            &["git", "--range", "..HEAD", "--format", "json"],
        ] {
            let o = run(repo.path(), args);
            let doc: serde_json::Value =
                serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
            assert_eq!(code(&o), 0, "{args:?}: {doc:#}");
            assert_eq!(doc["stats"]["files_scanned"], 1, "{args:?}: {doc:#}");
        }
    }
}
