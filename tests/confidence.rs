//! Confidence (issue 10): every finding says how sure keyhound is
//! (`high`, `medium`, `low`) in every format, `--min-confidence` (and the
//! config's `min-confidence`) hides what is less sure, and context lowers
//! it: documentation samples, examples, generated docs (failing input 6),
//! PEM keys that do not parse (failing input 7).

mod common;

use common::git::Repo;
use common::*;
use keyhound::rules::examples::expand;

/// A private key body of `kind` (`rsa-pkcs1`, `ec-sec1`…) whose structure
/// parses, in 64-character lines.
fn key_body(kind: &str, seed: &str) -> String {
    expand(&format!("{{{{{kind}}}}}"), &mut Fake::from_str_seed(seed))
}

fn pem(label: &str, body: &str) -> String {
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

/// `(path, rule_id, confidence)` of each finding.
fn levels(doc: &serde_json::Value) -> Vec<(String, String, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// [`tree`] of files whose text was built at run time.
fn tree_of(files: &[(&str, String)]) -> tempfile::TempDir {
    tree(
        &files
            .iter()
            .map(|(p, t)| (*p, t.as_str()))
            .collect::<Vec<_>>(),
    )
}

fn bot(seed: &str) -> String {
    format!(
        "from binance.client import Client\napi_key = \"{}\"\napi_secret = \"{}\"\n",
        binance_key(&format!("{seed}-k")),
        binance_key(&format!("{seed}-s"))
    )
}

#[test]
fn issue10_confidence_is_in_json_sarif_github_and_text() {
    let dir = tree(&[("src/bot.py", &bot("every-format"))]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    // A key with its secret: a pair, high.
    assert_eq!(
        levels(&doc),
        [
            ("src/bot.py".into(), "binance-api-key".into(), "high".into()),
            (
                "src/bot.py".into(),
                "binance-secret-key".into(),
                "high".into()
            ),
        ]
    );
    let sarif: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["scan", "--format", "sarif"]).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["properties"]["confidence"], "high", "{r:#}");
    }
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let precision =
        |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["properties"]["precision"].clone();
    assert_eq!(precision("github-token"), "high");
    assert_eq!(precision("generic-secret"), "medium");
    let github = stdout(&run(dir.path(), &["scan", "--format", "github"]));
    assert_eq!(github.matches("; high confidence)").count(), 2, "{github}");
    let text = stdout(&run(dir.path(), &["scan", "--color", "never"]));
    assert!(
        text.contains("binance-secret-key [critical] (high confidence)"),
        "{text}"
    );
}

#[test]
fn issue10_confidence_lone_names_are_medium_and_min_confidence_high_hides_them() {
    let key = binance_key("lone-medium");
    let dir = tree(&[("bot.py", &format!("import binance\napi_key = \"{key}\"\n"))]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(levels(&doc)[0].2, "medium", "{doc:#}");
    let (code, doc) = scan_json(dir.path(), &["--min-confidence", "high"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["stats"]["findings_below_confidence"], 1);
    let o = run(dir.path(), &["scan", "--min-confidence", "high"]);
    assert!(
        stdout(&o).contains("1 finding below --min-confidence not shown"),
        "{}",
        stdout(&o)
    );
    let o = run(dir.path(), &["scan", "--min-confidence", "certain"]);
    assert_eq!(code_of(&o), 2);
    assert!(stderr(&o).contains("possible values"), "{}", stderr(&o));
}

fn code_of(o: &std::process::Output) -> i32 {
    code(o)
}

/// A Markdown guide that shows a key "such as the following".
fn guide(key: &str) -> String {
    format!(
        "# Binance setup\n\nCreate an API key. Binance shows a key such as the following:\n\n    {key}\n\nKeep it in `.env`.\n"
    )
}

#[test]
fn issue10_f6_a_key_shown_in_a_markdown_guide_is_low() {
    let dir = tree(&[("docs/setup.md", &guide(&binance_key("guide")))]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(findings(&doc).is_empty());
    assert_eq!(doc["stats"]["findings_below_confidence"], 1);
    let (code, doc) = scan_json(dir.path(), &["--min-confidence", "low"]);
    assert_eq!(code, 1);
    assert_eq!(
        levels(&doc),
        [(
            "docs/setup.md".into(),
            "binance-api-credential".into(),
            "low".into()
        )]
    );
}

/// An SDK's example: commented out, with prose saying what the exchange
/// returns.
fn example(key: &str, n: usize) -> String {
    format!(
        "from binance.spot import Spot\n\n# The API returns your key; it looks like:\n# api_key = \"{key}\"\nclient = Spot(api_key=os.environ[\"KEY\"])\nprint(client.order_{n}())\n"
    )
}

#[test]
fn issue10_f6_a_sample_repeated_across_examples_and_llms_txt_is_low() {
    let sample = binance_key("sdk-sample");
    let files = [
        ("examples/spot/account.py", example(&sample, 1)),
        ("examples/spot/order.py", example(&sample, 2)),
        ("examples/margin/loan.py", example(&sample, 3)),
        (
            "llms.txt",
            format!("## Binance connector\n\napi_key = \"{sample}\"\n"),
        ),
        ("src/live.py", bot("sdk-live")),
    ];
    let dir = tree_of(&files);
    // Only the real pair is reported by default.
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let paths: Vec<_> = levels(&doc).into_iter().map(|(p, _, c)| (p, c)).collect();
    assert_eq!(
        paths,
        [
            ("src/live.py".into(), "high".into()),
            ("src/live.py".into(), "high".into())
        ]
    );
    assert_eq!(doc["stats"]["findings_below_confidence"], 4);
    let (_, doc) = scan_json(dir.path(), &["--min-confidence", "low"]);
    let low: Vec<_> = levels(&doc)
        .into_iter()
        .filter(|(_, _, c)| c == "low")
        .map(|(p, _, _)| p)
        .collect();
    assert_eq!(
        low,
        [
            "examples/margin/loan.py",
            "examples/spot/account.py",
            "examples/spot/order.py",
            "llms.txt"
        ]
    );

    // The same in history, and one file at a time before a commit.
    let mut repo = Repo::new();
    for (p, t) in &files {
        repo.write(p, t.as_bytes());
    }
    repo.stage_all();
    let (code, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!(code, 1);
    assert!(
        levels(&doc).iter().all(|(p, _, _)| p == "src/live.py"),
        "{doc:#}"
    );
    repo.commit("sdk");
    let o = run(repo.path(), &["git", "--all", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        levels(&doc).iter().all(|(p, _, _)| p == "src/live.py"),
        "{doc:#}"
    );
    assert_eq!(doc["stats"]["findings_below_confidence"], 4);
    // One example staged alone: its path and prose say it is a sample.
    let repo = Repo::new();
    repo.write("examples/spot/account.py", files[0].1.as_bytes());
    repo.stage_all();
    let (code, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!(code, 0, "{doc:#}");
    let (code, _) = scan_json(repo.path(), &["--staged", "--min-confidence", "low"]);
    assert_eq!(code, 1);
}

#[test]
fn issue10_confidence_the_config_sets_the_default_level() {
    let dir = tree(&[
        ("docs/setup.md", &guide(&binance_key("cfg-guide"))),
        (".keyhound.toml", "min-confidence = \"low\"\n"),
    ]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(levels(&doc)[0].2, "low");
    // The flag wins over the config.
    let (code, _) = scan_json(dir.path(), &["--min-confidence", "medium"]);
    assert_eq!(code, 0);
    let bad = tree(&[(".keyhound.toml", "min-confidence = \"sure\"\n")]);
    let o = run(bad.path(), &["scan"]);
    assert_eq!(code_of(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains(".keyhound.toml:1:") && err.contains("`low`, `medium`, `high`"),
        "{err}"
    );
}

/// Keyboard mash between PEM armour lines: 46 characters, `asdf` runs.
const MASH: &str = "asdfASDFqwerQWERzxcvZXCV1234asdfuiopUIOPhjklHJ";

#[test]
fn issue10_f7_keyboard_mash_in_pem_armour_is_not_a_private_key() {
    assert_eq!(MASH.len(), 46);
    // An Ed25519 key's first characters, then mash: 46 characters in all.
    let typed = format!(
        "MC4CAQAwasdfasfasf{}",
        Fake::from_str_seed("f7-mash").alnum(28)
    );
    let dir = tree(&[
        ("notes.txt", &pem("RSA PRIVATE KEY", MASH)),
        ("key.pem", &pem("PRIVATE KEY", MASH)),
        (
            "ws.ts",
            &format!("const privateKey = `{}`;\n", pem("PRIVATE KEY", &typed)),
        ),
    ]);
    let (code, doc) = scan_json(dir.path(), &["--min-confidence", "low"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(findings(&doc).is_empty());
}

/// The start of an RSA key, as a guide shows it: a SEQUENCE of 1188 bytes
/// cut after three lines.
fn excerpt(seed: &str) -> String {
    let body = key_body("rsa-pkcs1", seed);
    body.lines().take(3).collect::<Vec<_>>().join("\n")
}

#[test]
fn issue10_f7_a_truncated_excerpt_from_a_guide_is_low() {
    let text = format!(
        "Your key file should look something like this:\n\n{}",
        pem("RSA PRIVATE KEY", &excerpt("guide-excerpt"))
    );
    let dir = tree(&[("setup.txt", &text)]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["stats"]["findings_below_confidence"], 1);
    let (_, doc) = scan_json(dir.path(), &["--min-confidence", "low"]);
    assert_eq!(
        levels(&doc),
        [("setup.txt".into(), "private-key-rsa".into(), "low".into())]
    );
}

#[test]
fn issue10_f7_keys_whose_structure_parses_are_high() {
    let files = [
        (
            "rsa1.pem",
            pem("RSA PRIVATE KEY", &key_body("rsa-pkcs1", "p1")),
        ),
        ("rsa8.pem", pem("PRIVATE KEY", &key_body("rsa-pkcs8", "p8"))),
        ("ec.pem", pem("EC PRIVATE KEY", &key_body("ec-sec1", "ec"))),
        ("ec8.pem", pem("PRIVATE KEY", &key_body("ec-pkcs8", "ec8"))),
        ("dsa.pem", pem("DSA PRIVATE KEY", &key_body("dsa", "dsa"))),
        (
            "id_ed25519",
            pem("OPENSSH PRIVATE KEY", &key_body("openssh-ed25519", "ssh")),
        ),
    ];
    let dir = tree_of(&files);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let got = levels(&doc);
    assert_eq!(got.len(), files.len(), "{doc:#}");
    assert!(got.iter().all(|(_, _, c)| c == "high"), "{got:?}");
}
