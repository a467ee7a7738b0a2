//! `--verify` (issue 9, Binance): the real binary against a loopback
//! stand-in for Binance (tests/common/binance.rs) that checks signatures
//! as Binance documents them. Nothing here reaches the internet.

mod common;

use common::binance::{Answer, Server, Verify, ed25519, permissions, rsa};
use common::git::Repo;
use common::{binance_key, code, findings, run, run_env, stderr, stdout, tree};
use serde_json::Value;

/// A Python file with a Binance API key and its HMAC secret key.
fn hmac_file(key: &str, secret: &str) -> String {
    format!("from binance.client import Client\napi_key = \"{key}\"\napi_secret = \"{secret}\"\n")
}

/// A .env file with a Binance API key and a PEM private key.
fn pem_file(key: &str, pem: &str) -> String {
    format!("# binance\nBINANCE_API_KEY={key}\n{pem}")
}

fn ed25519_pem(body: &str) -> String {
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

/// `keyhound scan DIR --verify --format json` against `server`.
fn verify_json(dir: &std::path::Path, server: &Server, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let o = scan_verify(dir, &server.url, &args);
    let doc = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}\n{}", stdout(&o), stderr(&o)));
    (code(&o), doc, stderr(&o))
}

/// `keyhound scan . --verify --binance-api-url URL EXTRA...` in `dir`.
fn scan_verify(dir: &std::path::Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["scan", ".", "--verify", "--binance-api-url", url];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// The finding of rule `rule`.
fn of<'a>(doc: &'a Value, rule: &str) -> &'a Value {
    findings(doc)
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {doc:#}"))
}

#[test]
fn issue9_verify_hmac_pair_with_withdrawals_is_valid_and_critical() {
    let server = Server::start();
    let (key, secret) = (binance_key("v-key-1"), binance_key("v-secret-1"));
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(
            &["enableWithdrawals", "enableSpotAndMarginTrading"],
            120,
        )),
    );
    let dir = tree(&[("bot.py", &hmac_file(&key, &secret))]);
    let (status, doc, err) = verify_json(dir.path(), &server, &[]);
    assert_eq!(status, 1, "findings exit 1 as before");
    let k = of(&doc, "binance-api-key");
    let v = &k["verification"];
    assert_eq!(v["status"], "valid");
    assert_eq!(v["risk"], "critical");
    assert_eq!(v["ip_restricted"], false);
    assert_eq!(v["key_age_days"], 120);
    assert_eq!(v["permissions"]["enableWithdrawals"], true);
    assert_eq!(v["permissions"]["someFutureField"], "kept");
    assert_eq!(k["pair"]["kind"], "binance-secret-key");
    assert_eq!(k["pair"]["line"], 3);
    assert_eq!(k["pair"]["path"], "bot.py");
    let s = of(&doc, "binance-secret-key");
    assert_eq!(s["pair"]["kind"], "binance-api-key");
    assert_eq!(s["verification"]["status"], "valid");
    // One request for the pair, though two findings hold it; the header
    // and signature checked by the server.
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].api_key.as_deref(), Some(key.as_str()));
    assert!(err.contains("1 signed request"), "{err}");
    // The text report: the verdict first, in plain words, and the steps.
    let o = scan_verify(dir.path(), &server.url, &[]);
    let text = stdout(&o);
    let first = text.lines().nth(1).unwrap();
    assert!(
        first.contains("VALID — can withdraw — no IP whitelist — act now (risk critical)"),
        "{text}"
    );
    assert!(text.contains("key 120 days old"), "{text}");
    assert!(text.contains("withdrawal history"), "{text}");
    assert!(text.contains("open orders and positions"), "{text}");
    assert!(text.contains("rotate API keys every 90 days"), "{text}");
    assert!(text.contains("IP whitelist always"), "{text}");
    for out in [stdout(&o), stderr(&o), doc.to_string(), err] {
        assert!(
            !out.contains(&secret) && !out.contains(&key),
            "secret shown: {out}"
        );
    }
}

#[test]
fn issue9_verify_ed25519_trading_with_ip_whitelist_is_medium() {
    let server = Server::start();
    let key = binance_key("v-key-ed");
    let (body, public) = ed25519();
    let mut perms = permissions(&["enableFutures"], 10);
    perms["ipRestrict"] = true.into();
    server.key(&key, Verify::Ed25519(public), Answer::Permissions(perms));
    let dir = tree(&[(".env", &pem_file(&key, &ed25519_pem(&body)))]);
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let k = of(&doc, "binance-api-key");
    assert_eq!(k["pair"]["kind"], "private-key-ed25519");
    assert_eq!(k["verification"]["status"], "valid", "{doc:#}");
    assert_eq!(k["verification"]["risk"], "medium");
    assert_eq!(k["verification"]["ip_restricted"], true);
    let p = of(&doc, "private-key-ed25519");
    assert_eq!(p["verification"]["risk"], "medium");
    assert_eq!(server.seen().len(), 1);
    // New-user trial: the same PKCS#8 v2 key (with its public key, longer
    // than one line) wrapped at 64 columns as `openssl` writes it was cut
    // at its first line and unverifiable.
    assert!(body.len() > 64, "a v2 document: {}", body.len());
    let wrapped: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let dir = tree(&[(".env", &pem_file(&key, &ed25519_pem(&wrapped.join("\n"))))]);
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let p = of(&doc, "private-key-ed25519");
    assert_eq!(p["verification"]["status"], "valid", "{doc:#}");
    assert_eq!(
        (&p["line"], &p["end_line"]),
        (&4.into(), &5.into()),
        "the body's two lines: {p:#}"
    );
}

#[test]
fn issue9_verify_rsa_read_only_with_ip_whitelist_is_low() {
    let server = Server::start();
    let key = binance_key("v-key-rsa");
    let keys = tempfile::tempdir().unwrap();
    let (pem, public) = rsa(keys.path());
    let mut perms = permissions(&[], 5);
    perms["ipRestrict"] = true.into();
    server.key(&key, Verify::Rsa(public), Answer::Permissions(perms));
    let dir = tree(&[("keys.env", &pem_file(&key, &pem))]);
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let k = of(&doc, "binance-api-key");
    assert_eq!(k["pair"]["kind"], "private-key-rsa");
    assert_eq!(k["verification"]["status"], "valid", "{doc:#}");
    assert_eq!(k["verification"]["risk"], "low");
}

#[test]
fn issue9_verify_high_risk_trading_without_whitelist_and_findings_ordered_by_risk() {
    let server = Server::start();
    let (k1, s1) = (binance_key("v-low-k"), binance_key("v-low-s"));
    let (k2, s2) = (binance_key("v-high-k"), binance_key("v-high-s"));
    let mut low = permissions(&[], 1);
    low["ipRestrict"] = true.into();
    server.key(&k1, Verify::Hmac(s1.clone()), Answer::Permissions(low));
    server.key(
        &k2,
        Verify::Hmac(s2.clone()),
        Answer::Permissions(permissions(&["enableSpotAndMarginTrading"], 1)),
    );
    // The low-risk pair comes first in the scan's order.
    let dir = tree(&[
        ("a.py", &hmac_file(&k1, &s1)),
        ("b.py", &hmac_file(&k2, &s2)),
    ]);
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let risks: Vec<(&str, &str)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["verification"]["risk"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(risks.contains(&("b.py", "high")), "{risks:?}");
    assert!(risks.contains(&("a.py", "low")), "{risks:?}");
    let o = scan_verify(dir.path(), &server.url, &[]);
    let text = stdout(&o);
    let (high, low) = (text.find("b.py:").unwrap(), text.find("a.py:").unwrap());
    assert!(high < low, "the high-risk key comes first:\n{text}");
    assert!(
        text.contains("VALID — can trade — no IP whitelist — act now (risk high)"),
        "{text}"
    );
    assert!(
        text.contains("VALID — read-only (balances and history exposed) — IP whitelist on"),
        "{text}"
    );
}

#[test]
fn issue9_verify_binance_error_codes_are_invalid_with_their_reasons() {
    let server = Server::start();
    // -1022: the key exists, the secret beside it is not its own.
    let (k1, s1) = (binance_key("v-1022-k"), binance_key("v-1022-s"));
    server.key(
        &k1,
        Verify::Hmac(binance_key("v-1022-real")),
        Answer::Permissions(permissions(&[], 1)),
    );
    // -2015: unknown to the server.
    let (k2, s2) = (binance_key("v-2015-k"), binance_key("v-2015-s"));
    // -2014 as Binance answers a malformed key.
    let (k3, s3) = (binance_key("v-2014-k"), binance_key("v-2014-s"));
    server.key(
        &k3,
        Verify::Hmac(s3.clone()),
        Answer::Code(400, -2014, "API-key format invalid."),
    );
    let dir = tree(&[
        ("a.py", &hmac_file(&k1, &s1)),
        ("b.py", &hmac_file(&k2, &s2)),
        ("c.py", &hmac_file(&k3, &s3)),
    ]);
    let (status, doc, _) = verify_json(dir.path(), &server, &[]);
    assert_eq!(status, 1);
    let at = |path: &str| {
        findings(&doc)
            .iter()
            .find(|f| f["path"] == path && f["rule_id"] == "binance-api-key")
            .unwrap()["verification"]
            .clone()
    };
    let v = at("a.py");
    assert_eq!(
        (v["status"].as_str(), v["code"].as_i64()),
        (Some("invalid"), Some(-1022))
    );
    assert!(
        v["reason"].as_str().unwrap().contains("the API key exists"),
        "{v}"
    );
    let v = at("b.py");
    assert_eq!(
        (v["status"].as_str(), v["code"].as_i64()),
        (Some("invalid"), Some(-2015))
    );
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("unknown or deleted") && reason.contains("other IPs"),
        "{v}"
    );
    assert!(reason.contains("not proof that it is safe"), "{v}");
    let v = at("c.py");
    assert_eq!(
        (v["status"].as_str(), v["code"].as_i64()),
        (Some("invalid"), Some(-2014))
    );
    assert!(v["risk"].is_null());
}

#[test]
fn issue9_verify_geo_block_rate_limit_and_timeout_are_errors_and_the_scan_finishes() {
    // Each run: the pairs' files, and what the server answers for each.
    let runs = [
        vec![
            ("geo", Answer::Status(451), "HTTP 451"),
            (
                "slow",
                Answer::Stall(std::time::Duration::from_secs(5)),
                "no answer within the timeout",
            ),
        ],
        // After a 429, Binance wants no more requests (they escalate to
        // IP bans): the next pair is not sent.
        vec![
            ("rate", Answer::Status(429), "HTTP 429"),
            (
                "second",
                Answer::Status(200),
                "not checked: the exchange asked keyhound to back off",
            ),
        ],
    ];
    for cases in runs {
        let server = Server::start();
        let mut files = Vec::new();
        for (name, answer, _) in &cases {
            let (k, s) = (
                binance_key(&format!("v-{name}-k")),
                binance_key(&format!("v-{name}-s")),
            );
            server.key(&k, Verify::Hmac(s.clone()), answer.clone());
            files.push((format!("{name}.py"), hmac_file(&k, &s)));
        }
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let dir = tree(&files);
        let (status, doc, _) = verify_json(dir.path(), &server, &["--verify-timeout", "1"]);
        assert_eq!(status, 1, "exits by its findings");
        for (name, _, words) in &cases {
            let f = findings(&doc)
                .iter()
                .find(|f| {
                    f["path"] == format!("{name}.py").as_str() && f["rule_id"] == "binance-api-key"
                })
                .unwrap();
            assert_eq!(f["verification"]["status"], "error", "{f:#}");
            let reason = f["verification"]["reason"].as_str().unwrap();
            assert!(reason.contains(words), "{name}: {reason}");
        }
        if cases[0].0 == "rate" {
            assert_eq!(server.seen().len(), 1, "nothing sent after the 429");
        } else {
            // SARIF: the scan stands; the failed checks are a warning.
            let o = scan_verify(
                dir.path(),
                &server.url,
                &["--format", "sarif", "--verify-timeout", "1"],
            );
            let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
            let inv = &sarif["runs"][0]["invocations"][0];
            assert_eq!(inv["executionSuccessful"], true, "{inv:#}");
            let notes = inv["toolExecutionNotifications"].as_array().unwrap();
            let warning = notes
                .iter()
                .find(|n| n["level"] == "warning")
                .unwrap_or_else(|| panic!("{inv:#}"));
            let text = warning["message"]["text"].as_str().unwrap();
            assert!(
                text.contains("could not be checked") && text.contains("HTTP 451"),
                "{text}"
            );
            assert!(
                notes.iter().any(|n| n["level"] == "note"
                    && n["message"]["text"]
                        .as_str()
                        .unwrap()
                        .contains("signed request")),
                "{inv:#}"
            );
        }
    }
}

#[test]
fn issue9_verify_lone_and_encrypted_halves_are_unverifiable_without_a_request() {
    let server = Server::start();
    let key = binance_key("v-lone-k");
    let encrypted = format!(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAi{}\n{}\n-----END ENCRYPTED PRIVATE KEY-----\n",
        common::Fake::from_str_seed("v-enc-1").alnum(17),
        common::Fake::from_str_seed("v-enc-2").alnum(64)
    );
    let dir = tree(&[
        (
            "lone.py",
            &format!("from binance.client import Client\napi_key = \"{key}\"\n"),
        ),
        ("enc.env", &pem_file(&binance_key("v-enc-k"), &encrypted)),
    ]);
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let lone = findings(&doc)
        .iter()
        .find(|f| f["path"] == "lone.py")
        .unwrap();
    assert_eq!(lone["verification"]["status"], "unverifiable");
    assert!(
        lone["verification"]["reason"]
            .as_str()
            .unwrap()
            .contains("lone API key")
    );
    assert!(lone["pair"].is_null());
    let enc = findings(&doc)
        .iter()
        .find(|f| f["path"] == "enc.env" && f["rule_id"] == "binance-api-key")
        .unwrap();
    assert_eq!(enc["pair"]["kind"], "private-key-encrypted", "{doc:#}");
    assert_eq!(enc["verification"]["status"], "unverifiable");
    assert!(
        enc["verification"]["reason"]
            .as_str()
            .unwrap()
            .contains("passphrase")
    );
    assert_eq!(server.connections(), 0, "nothing to ask, nothing sent");
}

#[test]
fn issue9_no_request_at_all_without_verify() {
    let server = Server::start();
    let (key, secret) = (binance_key("v-off-k"), binance_key("v-off-s"));
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(&[], 1)),
    );
    let dir = tree(&[("bot.py", &hmac_file(&key, &secret))]);
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--binance-api-url",
            &server.url,
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 1);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(findings(&doc).iter().all(|f| f["verification"].is_null()));
    assert_eq!(
        of(&doc, "binance-api-key")["pair"]["kind"],
        "binance-secret-key"
    );
    // With --verify the same server is asked: the listener works.
    assert_eq!(server.connections(), 0, "no connection without --verify");
    scan_verify(dir.path(), &server.url, &[]);
    assert_eq!(server.connections(), 1);
}

#[test]
fn issue9_history_audit_checks_a_pair_once_across_many_commits() {
    let server = Server::start();
    let (key, secret) = (binance_key("v-hist-k"), binance_key("v-hist-s"));
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(&["enableFutures"], 3)),
    );
    let mut repo = Repo::new();
    for i in 0..12 {
        let content = format!("{}# revision {i}\n", hmac_file(&key, &secret));
        let path = format!("bots/bot{}.py", i % 4);
        repo.commit_files(&[(&path, &content)], &format!("change {i}"));
    }
    let o = run(
        repo.path(),
        &[
            "git",
            "--verify",
            "--binance-api-url",
            &server.url,
            "--format",
            "json",
        ],
    );
    let doc: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    let keys: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["rule_id"] == "binance-api-key")
        .collect();
    assert!(keys.len() >= 4, "one per path: {doc:#}");
    assert!(
        keys.iter().all(|f| f["verification"]["status"] == "valid"),
        "{doc:#}"
    );
    assert_eq!(server.seen().len(), 1, "one request for one pair");
    // A range scan (`git --range`) verifies too.
    let o = run(
        repo.path(),
        &[
            "git",
            "--range",
            "HEAD~11..HEAD",
            "--verify",
            "--binance-api-url",
            &server.url,
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        findings(&doc)
            .iter()
            .any(|f| f["verification"]["status"] == "valid"),
        "{doc:#}"
    );
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn issue9_sarif_and_github_carry_the_verdict() {
    let server = Server::start();
    let (key, secret) = (binance_key("v-fmt-k"), binance_key("v-fmt-s"));
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(&["enableWithdrawals"], 1)),
    );
    let dir = tree(&[("bot.py", &hmac_file(&key, &secret))]);
    let url = server.url.clone();
    let o = scan_verify(dir.path(), &url, &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "binance-api-key")
        .unwrap();
    assert_eq!(r["properties"]["verification"]["risk"], "critical");
    assert_eq!(r["properties"]["pair"]["kind"], "binance-secret-key");
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("VALID — can withdraw")
    );
    let o = scan_verify(dir.path(), &url, &["--format", "github"]);
    assert!(
        stdout(&o).contains("--verify: VALID — can withdraw — no IP whitelist — act now"),
        "{}",
        stdout(&o)
    );
    // `scan --staged` verifies what the commit would add.
    let repo = Repo::new();
    repo.write("bot.py", hmac_file(&key, &secret).as_bytes());
    repo.stage("bot.py");
    let o = run(
        repo.path(),
        &[
            "scan",
            "--staged",
            "--verify",
            "--binance-api-url",
            &url,
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        of(&doc, "binance-api-key")["verification"]["status"],
        "valid"
    );
    assert_eq!(server.seen().len(), 3, "one request per run");
}

#[test]
fn issue9_readme_and_help_document_verify() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for needle in [
        "keyhound scan --verify",
        "keyhound git --verify",
        "What is sent, to whom",
        "Without `--verify` keyhound makes no network",
        "not proof that it is safe",
    ] {
        assert!(readme.contains(needle), "README lacks {needle:?}");
    }
    let doc = std::fs::read_to_string(root.join("docs/verify.md")).unwrap();
    for risk in ["| critical |", "| high |", "| medium |", "| low |"] {
        assert!(doc.contains(risk), "docs/verify.md lacks {risk:?}");
    }
    for cmd in [&["scan", "--help"][..], &["git", "--help"][..]] {
        let help = stdout(&run(root, cmd));
        assert!(
            help.contains("--verify") && help.contains("--binance-api-url"),
            "{help}"
        );
    }
}

#[test]
fn issue9_pair_names_the_partner_in_the_same_section() {
    let k: Vec<String> = (0..3).map(|i| binance_key(&format!("p-k{i}"))).collect();
    let s: Vec<String> = (0..3).map(|i| binance_key(&format!("p-s{i}"))).collect();
    // Two sections, each with its key and secret; then a third key with
    // no secret of its own, three lines after the second section's secret.
    let yaml = format!(
        "binance:\n  main:\n    api_key: {}\n    api_secret: {}\n  sub:\n    api_key: {}\n    api_secret: {}\n",
        k[0], s[0], k[1], s[1]
    );
    let two = format!(
        "binance:\n  api_key: {}\n  api_secret: {}\n\n\n\n  api_key: {}\n",
        k[2], s[2], k[0]
    );
    let dir = tree(&[("sections.yml", &yaml), ("extra.yml", &two)]);
    let (_, doc) = common::scan_json(dir.path(), &[]);
    let pair_of = |path: &str, line: u64| {
        let f = findings(&doc)
            .iter()
            .find(|f| f["path"] == path && f["line"] == line)
            .unwrap_or_else(|| panic!("no finding at {path}:{line}: {doc:#}"));
        (
            f["pair"]["line"].as_u64(),
            f["pair"]["kind"].as_str().map(String::from),
        )
    };
    let secret = Some("binance-secret-key".to_string());
    let key = Some("binance-api-key".to_string());
    assert_eq!(pair_of("sections.yml", 3), (Some(4), secret.clone()));
    assert_eq!(pair_of("sections.yml", 6), (Some(7), secret.clone()));
    assert_eq!(pair_of("sections.yml", 7), (Some(6), key.clone()));
    // One secret, two keys: the secret goes with the adjacent key; the
    // other key has none of its own (trial defect: it was checked with the
    // first key's secret) and is unverifiable, saying why.
    assert_eq!(pair_of("extra.yml", 3), (Some(2), key));
    assert_eq!(pair_of("extra.yml", 2), (Some(3), secret));
    assert_eq!(pair_of("extra.yml", 7), (None, None));
    let server = Server::start();
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let lone = findings(&doc)
        .iter()
        .find(|f| f["path"] == "extra.yml" && f["line"] == 7)
        .unwrap();
    assert_eq!(lone["paired"], true);
    assert_eq!(lone["verification"]["status"], "unverifiable");
    let reason = lone["verification"]["reason"].as_str().unwrap();
    assert!(reason.contains("paired with another half"), "{reason}");
}

/// Helper review: an answer that echoes the API key (in an unknown field)
/// printed it whole; a 200 without Binance's fields read as VALID; a base
/// URL with a fragment sent an unsigned request.
#[test]
fn issue9_verify_answers_are_masked_odd_answers_are_errors_and_the_url_is_a_base() {
    let server = Server::start();
    let (k1, s1) = (binance_key("v-echo-k"), binance_key("v-echo-s"));
    let (k2, s2) = (binance_key("v-empty-k"), binance_key("v-empty-s"));
    server.key(
        &k1,
        Verify::Hmac(s1.clone()),
        Answer::Permissions(serde_json::json!({
            "ipRestrict": false,
            "enableReading": true,
            "enableWithdrawals": false,
            "echo": format!("apiKey={k1}"),
        })),
    );
    server.key(
        &k2,
        Verify::Hmac(s2.clone()),
        Answer::Permissions(serde_json::json!({})),
    );
    let dir = tree(&[
        ("echo.py", &hmac_file(&k1, &s1)),
        ("empty.py", &hmac_file(&k2, &s2)),
    ]);
    for format in ["json", "text", "sarif", "github"] {
        let o = scan_verify(dir.path(), &server.url, &["--format", format]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains(&k1[..16]), "{format}: {all}");
        assert!(!all.contains(&s1[..16]), "{format}: {all}");
    }
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let of = |path: &str| {
        findings(&doc)
            .iter()
            .find(|f| f["path"] == path && f["rule_id"] == "binance-api-key")
            .unwrap()
            .clone()
    };
    let echo = of("echo.py");
    assert_eq!(echo["verification"]["status"], "valid", "{echo:#}");
    assert_eq!(
        echo["verification"]["permissions"]["echo"],
        format!("apiKey={}…", &k1[..4]),
        "{echo:#}"
    );
    let empty = of("empty.py");
    assert_eq!(empty["verification"]["status"], "error", "{empty:#}");

    for bad in [
        format!("{}#x", server.url),
        format!("{}?x=1", server.url),
        server.url.replace("http://", "http://user:pw@"),
    ] {
        let before = server.connections();
        let o = scan_verify(dir.path(), &bad, &[]);
        assert_eq!(code(&o), 2, "{bad}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("no user name, password, query or fragment"),
            "{}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("pw"), "{}", stderr(&o));
        assert_eq!(server.connections(), before, "{bad}: nothing sent");
    }
}

/// Helper review: when a range reports only the secret (its key was
/// committed before), a VALID verdict came with no "delete first", no
/// withdrawal checks and no rotation reminder: the steps looked only at
/// API-key findings.
#[test]
fn issue9_a_range_that_reports_only_the_secret_gets_the_steps_of_its_verdict() {
    let server = Server::start();
    let (key, secret) = (binance_key("v-range-k"), binance_key("v-range-s"));
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(&["enableWithdrawals"], 200)),
    );
    let mut repo = Repo::new();
    repo.commit_files(
        &[(
            "bot.py",
            &format!("from binance.client import Client\napi_key = \"{key}\"\n"),
        )],
        "the key",
    );
    repo.commit_files(&[("bot.py", &hmac_file(&key, &secret))], "the secret");
    let o = run(
        repo.path(),
        &[
            "git",
            "--range",
            "HEAD~1..HEAD",
            "--verify",
            "--binance-api-url",
            &server.url,
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("VALID"), "{out}");
    for needle in [
        "Delete first, highest risk first: the VALID key(s) at bot.py:2 (critical)",
        "Withdrawals were on",
        "days old: rotate API keys every 90 days",
    ] {
        assert!(out.contains(needle), "no `{needle}` in:\n{out}");
    }
    assert!(
        !out.contains(&key[..12]) && !out.contains(&secret[..12]),
        "{out}"
    );
}

#[test]
fn issue9_keys_listed_crosswise_are_re_paired_by_the_exchange_answer() {
    // A testnet key above the live key, their secrets in the other order:
    // the order of position pairs each key with the other's secret; the
    // exchange says -1022 for both; the other secret of the file is tried.
    let server = Server::start();
    let (test_key, test_secret) = (binance_key("cross-test-key"), binance_key("cross-test-s"));
    let (live_key, live_secret) = (binance_key("cross-live-key"), binance_key("cross-live-s"));
    server.key(
        &test_key,
        Verify::Hmac(test_secret.clone()),
        Answer::Permissions(permissions(&["enableSpotAndMarginTrading"], 5)),
    );
    server.key(
        &live_key,
        Verify::Hmac(live_secret.clone()),
        Answer::Permissions(permissions(&["enableWithdrawals"], 5)),
    );
    let env = format!(
        "BINANCE_TESTNET_API_KEY={test_key}\nBINANCE_API_KEY={live_key}\nBINANCE_API_SECRET={live_secret}\nBINANCE_TESTNET_API_SECRET={test_secret}\n"
    );
    let dir = tree(&[(".env", env.as_str())]);
    let (status, doc, err) = verify_json(dir.path(), &server, &[]);
    assert_eq!(status, 1, "{err}");
    let at = |line: u64| {
        findings(&doc)
            .iter()
            .find(|f| f["line"] == line)
            .unwrap_or_else(|| panic!("nothing at line {line}: {doc:#}"))
    };
    for (line, partner, risk) in [
        (1, 4, "high"),
        (2, 3, "critical"),
        (3, 2, "critical"),
        (4, 1, "high"),
    ] {
        let f = at(line);
        assert_eq!(f["verification"]["status"], "valid", "line {line}: {f:#}");
        assert_eq!(f["verification"]["risk"], risk, "line {line}");
        assert_eq!(f["pair"]["line"], partner, "line {line}: {f:#}");
    }
    // Two mismatched checks, then one try per key: four requests, and no
    // more once each key has its secret.
    assert_eq!(server.seen().len(), 4, "{:?}", server.seen());
    for out in [doc.to_string(), err] {
        assert!(
            !out.contains(&live_secret) && !out.contains(&test_secret),
            "{out}"
        );
    }
}

#[test]
fn issue9_a_proxy_from_the_environment_is_named() {
    let server = Server::start();
    let (key, secret) = (binance_key("proxy-k"), binance_key("proxy-s"));
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(&[], 1)),
    );
    let dir = tree(&[("bot.py", &hmac_file(&key, &secret))]);
    let args = ["scan", ".", "--verify", "--binance-api-url", &server.url];
    // A proxy that refuses connections: the check fails, and the note
    // says where the request went (no user or password of the proxy).
    let o = run_env(
        dir.path(),
        &args,
        &[
            ("HTTPS_PROXY", "http://user:pw@127.0.0.1:9"),
            ("HTTP_PROXY", "http://user:pw@127.0.0.1:9"),
        ],
    );
    let err = stderr(&o);
    assert!(err.contains("went through the proxy 127.0.0.1:9"), "{err}");
    assert!(!err.contains("pw@"), "{err}");
    assert!(stdout(&o).contains("ERROR, not checked"), "{}", stdout(&o));
    assert!(server.seen().is_empty());
    // NO_PROXY exempts the stand-in: asked directly, no proxy note.
    let o = run_env(
        dir.path(),
        &args,
        &[
            ("HTTP_PROXY", "http://127.0.0.1:9"),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    let err = stderr(&o);
    assert!(!err.contains("proxy"), "{err}");
    assert!(stdout(&o).contains("VALID"), "{}", stdout(&o));
    assert_eq!(server.seen().len(), 1);
}

/// New-user trial: a bad base URL was found only after the whole scan
/// (and never without --verify); `HTTP://` was refused, a port out of
/// range and a space accepted, `[::1]` called a remote host.
#[test]
fn issue9_trial_base_urls_are_checked_before_the_scan() {
    let (key, secret) = (binance_key("trial-url-k"), binance_key("trial-url-s"));
    let dir = tree(&[("bot.py", &hmac_file(&key, &secret))]);
    for (bad, words) in [
        ("ftp://x", "give an http:// or https:// URL"),
        ("http://127.0.0.1:99999", "port must be a number"),
        ("http://exa mple.com", "no spaces"),
        ("http://user:pw@127.0.0.1:9", "no user name, password"),
    ] {
        for verify in [true, false] {
            let mut args = vec!["scan", ".", "--binance-api-url", bad];
            if verify {
                args.push("--verify");
            }
            let o = run(dir.path(), &args);
            assert_eq!(code(&o), 2, "{bad}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(
                err.contains("--binance-api-url") && err.contains(words),
                "{bad}: {err}"
            );
            assert!(!err.contains("pw@"), "{err}");
            assert!(stdout(&o).is_empty(), "no scan ran: {}", stdout(&o));
        }
    }
    // Upper-case scheme and IPv6 loopback are fine (and not "plain http
    // across the network").
    let server = Server::start();
    server.key(
        &key,
        Verify::Hmac(secret.clone()),
        Answer::Permissions(permissions(&[], 1)),
    );
    let url = server.url.replace("http://", "HTTP://");
    let o = scan_verify(dir.path(), &url, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("VALID"), "{}", stdout(&o));
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--verify",
            "--binance-api-url",
            "http://[::1]:9",
        ],
    );
    assert!(!stderr(&o).contains("unencrypted"), "{}", stderr(&o));
}

/// New-user trial: a key whose secret carries `keyhound:allow` read
/// "lone API key: no secret key found in the same file"; the same key in
/// two files was two keys to delete, with two rotation reminders; an
/// error said "not checked" twice.
#[test]
fn issue9_trial_reasons_and_steps_say_what_happened_once() {
    let server = Server::start();
    let (key, secret) = (binance_key("trial-allow-k"), binance_key("trial-allow-s"));
    let (k2, s2) = (binance_key("trial-copy-k"), binance_key("trial-copy-s"));
    server.key(
        &k2,
        Verify::Hmac(s2.clone()),
        Answer::Permissions(permissions(&[], 400)),
    );
    let allowed = format!(
        "from binance.client import Client\napi_key = \"{key}\"\napi_secret = \"{secret}\"  # keyhound:allow\n"
    );
    let copy = hmac_file(&k2, &s2);
    let dir = tree(&[
        ("allowed.py", &allowed),
        ("bot.py", &copy),
        ("bot_copy.py", &copy),
    ]);
    let (_, doc, _) = verify_json(dir.path(), &server, &[]);
    let k = findings(&doc)
        .iter()
        .find(|f| f["path"] == "allowed.py")
        .unwrap();
    let reason = k["verification"]["reason"].as_str().unwrap();
    assert!(reason.contains("keyhound:allow"), "{reason}");
    let text = stdout(&scan_verify(dir.path(), &server.url, &[]));
    assert_eq!(
        text.matches("days old: rotate API keys").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("the VALID key(s) at bot.py:2 (medium) in"),
        "{text}"
    );
    assert!(!text.contains("bot_copy.py:2 (medium)"), "{text}");
    // After a 429 the next pair is "not checked", said once.
    let busy = Server::start();
    let (k3, s3) = (binance_key("trial-busy-k"), binance_key("trial-busy-s"));
    busy.key(&k3, Verify::Hmac(s3.clone()), Answer::Status(429));
    busy.key(
        &k2,
        Verify::Hmac(s2.clone()),
        Answer::Permissions(permissions(&[], 1)),
    );
    let dir = tree(&[("a.py", &hmac_file(&k3, &s3)), ("b.py", &copy)]);
    let text = stdout(&scan_verify(dir.path(), &busy.url, &[]));
    assert!(
        text.contains("ERROR — not checked: the exchange asked keyhound to back off"),
        "{text}"
    );
    assert!(!text.contains("not checked — not checked"), "{text}");
}
