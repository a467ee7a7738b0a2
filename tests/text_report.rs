//! The text report as people read it: what a finding's snippet shows (and
//! never shows), what it says of a pair, and where the summary line is.

mod common;

use common::git::Repo;
use common::*;

/// Whether `out` shows 8 or more characters in a row of `value`: more than
/// a redacted secret shows (its first 4 at most).
fn shows(out: &str, value: &str) -> bool {
    value
        .as_bytes()
        .windows(8)
        .any(|w| out.contains(std::str::from_utf8(w).unwrap()))
}

/// The lines of a text report's snippets (`  N | …`).
fn snippets(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            l.trim_start()
                .split_once(" | ")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()))
        })
        .collect()
}

#[test]
fn review_u1_a_binary_files_snippet_shows_the_secret_alone() {
    // Broke: the snippet of the key found in a .pyc printed the bytes
    // around it as they are: 58 of the 64 characters of its secret, which
    // no rule had reported (a marshal `N` byte follows it).
    let (key, secret) = (binance_key("pyc-u1-key"), binance_key("pyc-u1-secret"));
    // What CPython 3.11 writes for `from binance.client import Client` and
    // `client = Client("<key>", "<secret>")`, its source deleted.
    let mut pyc = b"\xa7\x0d\x0d\x0a\0\0\0\0x\x80\x0dk\xba\0\0\0\xe3\0\0\0\0\0\0\0\0\0\0\0\0\x04\0\0\0\0\0\0\0\xf3*\0\0\0\x97\0d\0d\x01l\0m\x01Z\x01\x01\0\x02\0e\x01d\x02d\x03\xa6\x02\0\0\xab\x02\0\0\0\0\0\0\0\0Z\x02d\x04S\0)\x05\xe9\0\0\0\0)\x01\xda\x06Client\xda@".to_vec();
    pyc.extend_from_slice(key.as_bytes());
    pyc.extend_from_slice(b"\xda@");
    pyc.extend_from_slice(secret.as_bytes());
    pyc.extend_from_slice(b"N)\x03\xda\x0ebinance.clientr\x03\0\0\0\xda\x06client\xa9\0\xf3\0\0\0\0\xfa\x06bot.py\xfa\x08<module>r\x0b\0\0\0");
    let dir = tree(&[]);
    write(dir.path(), "__pycache__/bot.cpython-311.pyc", &pyc);
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!shows(&out, &key) && !shows(&out, &secret), "{out}");
    // Each snippet is the redacted secret, and nothing around it.
    let lines = snippets(&out);
    assert!(!lines.is_empty(), "{out}");
    for l in lines {
        let shown = l.split_once(" | ").unwrap().1;
        assert!(
            shown == format!("{}…", &key[..4]) || shown == format!("{}…", &secret[..4]),
            "{l}"
        );
    }
}

#[test]
fn review_u1_an_unreported_token_next_to_a_finding_is_masked_in_its_snippet() {
    // Broke: the snippet showed the rest of the line as it is, so a token
    // no rule reported (here an old token in a comment, with no name that
    // says it is one) appeared whole next to the redacted finding.
    let token = format!("ghp_{}", Fake::from_str_seed("u1-token").alnum(36));
    let other = Fake::from_str_seed("u1-other").alnum(40);
    let text = format!("export GITHUB_TOKEN={token}  # the old one: {other}\n");
    let dir = tree(&[("deploy.sh", &text)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        summary(&doc),
        [("deploy.sh".to_string(), 1, "github-token".to_string())],
        "the other value is no finding"
    );
    let o = run(dir.path(), &["scan", "."]);
    let out = stdout(&o);
    assert!(!shows(&out, &other) && !shows(&out, &token), "{out}");
    // Words and names stay readable; the token is redacted as secrets are.
    let snippet = snippets(&out)[0];
    assert!(
        snippet.contains(&format!(
            "export GITHUB_TOKEN=ghp_…  # the old one: {}…",
            &other[..4]
        )),
        "{snippet}"
    );
    // The same in the pre-commit check's report.
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# deploy\n")], "init");
    repo.write("deploy.sh", text.as_bytes());
    repo.stage("deploy.sh");
    let o = run(repo.path(), &["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!shows(&stdout(&o), &other), "{}", stdout(&o));
    // Shown in full only when asked to.
    let o = run(dir.path(), &["scan", ".", "--show-secrets"]);
    assert!(stdout(&o).contains(&other), "{}", stdout(&o));
}

#[test]
fn review_u13_a_secret_whose_key_is_silenced_on_its_line_is_not_alone() {
    // Broke: with `keyhound:allow` on the key's line, the secret below it
    // was called "alone", though its other half sits in the same file: the
    // pair is usable as is. Silenced halves count in pairs; they are still
    // not reported.
    let text = format!(
        "# binance\nBINANCE_API_KEY={}  # keyhound:allow\nBINANCE_API_SECRET={}\n",
        binance_key("u13-key"),
        binance_key("u13-secret")
    );
    let dir = tree(&[("bot.env", &text)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        summary(&doc),
        [("bot.env".to_string(), 3, "binance-secret-key".to_string())]
    );
    assert_eq!(findings(&doc)[0]["paired"], true, "{doc:#}");
    let out = stdout(&run(dir.path(), &["scan", "."]));
    assert!(out.contains("with its other half: usable as is"), "{out}");
    assert!(!out.contains("alone"), "{out}");
    // A file read in windows (over 8 MiB) says the same.
    let mut big = text.clone();
    big.push_str(&"# padding line of a large file\n".repeat(300_000));
    let dir = tree(&[("bot.env", &big)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(findings(&doc)[0]["paired"], true, "{doc:#}");
    // A secret alone in its file is still called so.
    let alone = format!(
        "# binance\nBINANCE_API_SECRET={}\n",
        binance_key("u13-alone")
    );
    let dir = tree(&[("bot.env", &alone)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(findings(&doc)[0]["paired"], false, "{doc:#}");
}

#[test]
fn review_u14_the_summary_is_the_last_line_of_a_text_report() {
    // Broke: with findings, the remediation block followed the summary
    // line, so `tail -1` of a CI log showed a playbook step.
    let text = format!("# binance\nBINANCE_API_SECRET={}\n", binance_key("u14"));
    let dir = tree(&[("bot.env", &text)]);
    let last = |o: &std::process::Output| stdout(o).lines().last().unwrap_or("").to_string();
    let o = run(dir.path(), &["scan", "."]);
    let out = stdout(&o);
    assert!(
        last(&o).starts_with("keyhound: 1 finding in 1 file"),
        "{out}"
    );
    // The next steps come before it.
    assert!(
        out.find("Binance credentials leaked") < out.find("keyhound: 1 finding"),
        "{out}"
    );
    // The blocked pre-commit check too.
    let mut repo = Repo::new();
    repo.commit_files(&[("README.md", "# bot\n")], "init");
    repo.write("bot.env", text.as_bytes());
    repo.stage("bot.env");
    let o = run(repo.path(), &["scan", "--staged"]);
    assert!(
        last(&o).starts_with("keyhound: 1 finding in 1 file"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("keyhound blocked this commit"));
    // And a clean scan.
    std::fs::remove_file(dir.path().join("bot.env")).unwrap();
    let o = run(dir.path(), &["scan", "."]);
    assert!(
        last(&o).starts_with("keyhound: no secrets found"),
        "{}",
        stdout(&o)
    );
}
