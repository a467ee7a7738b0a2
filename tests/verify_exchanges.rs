//! `--verify` for OKX and Bybit (issue 9): the real binary against a
//! loopback stand-in (tests/common/exchanges.rs) that recomputes each
//! exchange's signature and checks its headers. Nothing here reaches the
//! internet.

mod common;

use common::exchanges::{Answer, Server, bybit_credential, bybit_info, okx_config, okx_credential};
use common::{code, findings, run, stderr, stdout, tree};
use serde_json::{Value, json};

/// A Python file with an OKX key, its secret and (if given) passphrase.
fn okx_file(key: &str, secret: &str, passphrase: Option<&str>) -> String {
    let phrase = passphrase.map_or(String::new(), |p| format!("    'password': '{p}',\n"));
    format!(
        "import ccxt\nokx = ccxt.okx({{\n    'apiKey': '{key}',\n    'secret': '{secret}',\n{phrase}}})\n"
    )
}

/// A .env file with a Bybit key and its secret.
fn bybit_file(key: &str, secret: &str) -> String {
    format!("BYBIT_API_KEY={key}\nBYBIT_API_SECRET={secret}\n")
}

/// `keyhound scan . --verify --format json` with both exchanges at `server`.
fn verify(dir: &std::path::Path, server: &Server, verify: bool) -> (i32, Value, String, String) {
    let mut args = vec![
        "scan",
        ".",
        "--format",
        "json",
        "--okx-api-url",
        &server.url,
    ];
    args.extend(["--bybit-api-url", &server.url, "--verify-timeout", "2"]);
    if verify {
        args.push("--verify");
    }
    let o = run(dir, &args);
    let doc = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}\n{}", stdout(&o), stderr(&o)));
    (code(&o), doc, stdout(&o), stderr(&o))
}

/// `keyhound scan . --verify` (text report) with both exchanges at `server`.
fn verify_text(dir: &std::path::Path, server: &Server) -> std::process::Output {
    let url = server.url.as_str();
    let args = [
        "scan",
        ".",
        "--verify",
        "--okx-api-url",
        url,
        "--bybit-api-url",
        url,
    ];
    run(dir, &args)
}

/// The verification of the finding of `rule` in `path`.
fn verdict<'a>(doc: &'a Value, path: &str, rule: &str) -> &'a Value {
    let f = findings(doc)
        .iter()
        .find(|f| f["path"] == path && f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {path}: {doc:#}"));
    &f["verification"]
}

#[test]
fn issue9_okx_and_bybit_valid_keys_get_every_risk_level_and_pair_names_all_parts() {
    let server = Server::start();
    let creds: Vec<_> = (0..2)
        .map(|i| okx_credential(&format!("okx-valid-{i}")))
        .collect();
    server.okx(
        &creds[0].0,
        &creds[0].1,
        &creds[0].2,
        Answer::Ok(okx_config("read_only,trade,withdraw", "")),
    );
    server.okx(
        &creds[1].0,
        &creds[1].1,
        &creds[1].2,
        Answer::Ok(okx_config("read_only", "203.0.113.7")),
    );
    let by: Vec<_> = (0..2)
        .map(|i| bybit_credential(&format!("bybit-valid-{i}")))
        .collect();
    let trade =
        json!({"Spot": ["SpotTrade"], "ContractTrade": ["Order", "Position"], "Wallet": []});
    server.bybit(
        &by[0].0,
        &by[0].1,
        Answer::Ok(bybit_info(false, trade.clone(), &["*"], 10)),
    );
    server.bybit(
        &by[1].0,
        &by[1].1,
        Answer::Ok(bybit_info(false, trade, &["203.0.113.7"], 120)),
    );
    let files = [
        (
            "critical.py",
            okx_file(&creds[0].0, &creds[0].1, Some(&creds[0].2)),
        ),
        (
            "low.py",
            okx_file(&creds[1].0, &creds[1].1, Some(&creds[1].2)),
        ),
        ("high.env", bybit_file(&by[0].0, &by[0].1)),
        ("medium.env", bybit_file(&by[1].0, &by[1].1)),
    ];
    let dir = tree(
        &files
            .iter()
            .map(|(p, c)| (*p, c.as_str()))
            .collect::<Vec<_>>(),
    );
    let (status, doc, out, err) = verify(dir.path(), &server, true);
    assert_eq!(status, 1, "{err}");
    for (path, rule, risk, ip) in [
        ("critical.py", "okx-api-key", "critical", false),
        ("low.py", "okx-api-key", "low", true),
        ("high.env", "bybit-api-key", "high", false),
        ("medium.env", "bybit-api-key", "medium", true),
    ] {
        let v = verdict(&doc, path, rule);
        assert_eq!(v["status"], "valid", "{path}: {v:#}");
        assert_eq!(v["risk"], risk, "{path}: {v:#}");
        assert_eq!(v["ip_restricted"], ip, "{path}");
        assert_eq!(
            v["permissions"]["someFutureField"], "kept",
            "unknown fields kept"
        );
    }
    assert_eq!(
        verdict(&doc, "critical.py", "okx-api-key")["permissions"]["perm"],
        "read_only,trade,withdraw"
    );
    assert_eq!(
        verdict(&doc, "medium.env", "bybit-api-key")["key_age_days"],
        120
    );
    assert_eq!(
        verdict(&doc, "medium.env", "bybit-secret-key")["risk"],
        "medium"
    );
    // The OKX key's pair is its secret, with the passphrase beside it; the
    // passphrase is never a finding of its own.
    let key = findings(&doc)
        .iter()
        .find(|f| f["path"] == "critical.py" && f["rule_id"] == "okx-api-key")
        .unwrap();
    assert_eq!(key["pair"]["kind"], "okx-secret-key");
    assert_eq!(
        (
            key["passphrase"]["kind"].as_str(),
            key["passphrase"]["line"].as_u64()
        ),
        (Some("okx-passphrase"), Some(5))
    );
    assert!(
        findings(&doc)
            .iter()
            .all(|f| f["rule_id"] != "okx-passphrase")
    );
    for secret in [&creds[0].1, &creds[0].2, &by[0].1] {
        assert!(
            !out.contains(secret.as_str()) && !err.contains(secret.as_str()),
            "a secret leaked"
        );
    }
    // The headers each exchange documents, one request per pair.
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    let okx = seen
        .iter()
        .find(|s| s.path == "/api/v5/account/config")
        .unwrap();
    for h in [
        "ok-access-key",
        "ok-access-sign",
        "ok-access-timestamp",
        "ok-access-passphrase",
    ] {
        assert!(okx.headers.contains_key(h), "{h}");
    }
    assert!(err.contains("4 signed requests"), "{err}");
    // The text report's headline reads each exchange's own fields.
    let text = stdout(&verify_text(dir.path(), &server));
    for (path, words) in [
        ("critical.py", "VALID — can withdraw — no IP whitelist"),
        (
            "low.py",
            "VALID — read-only (balances and history exposed) — IP whitelist on",
        ),
        ("high.env", "VALID — can trade — no IP whitelist"),
    ] {
        let at = text
            .find(&format!("{path}:"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            text[at..].lines().nth(1).unwrap().contains(words),
            "{path}: {text}"
        );
    }
}

#[test]
fn issue9_okx_and_bybit_refusals_are_invalid_with_their_reasons() {
    let server = Server::start();
    let (k1, s1, p1) = okx_credential("okx-wrong-secret");
    server.okx(
        &k1,
        &okx_credential("okx-other").1,
        &p1,
        Answer::Ok(okx_config("read_only", "")),
    );
    let (k2, s2, p2) = okx_credential("okx-wrong-phrase");
    server.okx(
        &k2,
        &s2,
        "Pp-another-one",
        Answer::Ok(okx_config("read_only", "")),
    );
    let (k3, s3, p3) = okx_credential("okx-unknown");
    let (k4, s4, p4) = okx_credential("okx-ip");
    server.okx(
        &k4,
        &s4,
        &p4,
        Answer::Code(
            401,
            50110,
            "Your IP 127.0.0.1 is not included in your API key's IP whitelist.",
        ),
    );
    let (b1, t1) = bybit_credential("bybit-unknown");
    let (b2, t2) = bybit_credential("bybit-wrong-secret");
    server.bybit(
        &b2,
        &bybit_credential("bybit-other").1,
        Answer::Ok(bybit_info(true, json!({}), &["*"], 1)),
    );
    let (b3, t3) = bybit_credential("bybit-ip");
    server.bybit(
        &b3,
        &t3,
        Answer::Code(
            401,
            10010,
            "Unmatched IP, please check your API key's bound IP addresses.",
        ),
    );
    let files = [
        ("secret.py", okx_file(&k1, &s1, Some(&p1))),
        ("phrase.py", okx_file(&k2, &s2, Some(&p2))),
        ("unknown.py", okx_file(&k3, &s3, Some(&p3))),
        ("ip.py", okx_file(&k4, &s4, Some(&p4))),
        ("unknown.env", bybit_file(&b1, &t1)),
        ("secret.env", bybit_file(&b2, &t2)),
        ("ip.env", bybit_file(&b3, &t3)),
    ];
    let dir = tree(
        &files
            .iter()
            .map(|(p, c)| (*p, c.as_str()))
            .collect::<Vec<_>>(),
    );
    let (_, doc, _, err) = verify(dir.path(), &server, true);
    for (path, rule, code, words) in [
        ("secret.py", "okx-api-key", 50113, "secret does not belong"),
        (
            "phrase.py",
            "okx-api-key",
            50105,
            "passphrase is not its own",
        ),
        (
            "unknown.py",
            "okx-api-key",
            50111,
            "not proof that it is safe",
        ),
        ("ip.py", "okx-api-key", 50110, "so it is not safe"),
        (
            "unknown.env",
            "bybit-api-key",
            10003,
            "not proof that it is safe",
        ),
        (
            "secret.env",
            "bybit-api-key",
            10004,
            "secret does not belong",
        ),
        ("ip.env", "bybit-api-key", 10010, "so it is not safe"),
    ] {
        let v = verdict(&doc, path, rule);
        assert_eq!(
            (v["status"].as_str(), v["code"].as_i64()),
            (Some("invalid"), Some(code)),
            "{path}: {v:#} {err}"
        );
        assert!(
            v["reason"].as_str().unwrap().contains(words),
            "{path}: {v:#}"
        );
    }
}

#[test]
fn issue9_okx_and_bybit_errors_lone_parts_and_once_per_pair() {
    let server = Server::start();
    let (k1, s1, p1) = okx_credential("okx-slow");
    server.okx(
        &k1,
        &s1,
        &p1,
        Answer::Stall(std::time::Duration::from_secs(5)),
    );
    let (b1, t1) = bybit_credential("bybit-geo");
    server.bybit(&b1, &t1, Answer::Code(403, 10024, "Forbidden"));
    let (k2, s2, p2) = okx_credential("okx-often");
    server.okx(&k2, &s2, &p2, Answer::Ok(okx_config("read_only", "")));
    let (k3, s3, _) = okx_credential("okx-no-phrase");
    let (b4, _) = bybit_credential("bybit-lone");
    let mut files = vec![
        ("slow.py".to_string(), okx_file(&k1, &s1, Some(&p1))),
        ("geo.env".to_string(), bybit_file(&b1, &t1)),
        ("nophrase.py".to_string(), okx_file(&k3, &s3, None)),
        ("lone.env".to_string(), format!("BYBIT_API_KEY={b4}\n")),
    ];
    for i in 0..3 {
        files.push((format!("copy{i}.py"), okx_file(&k2, &s2, Some(&p2))));
    }
    let dir = tree(
        &files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect::<Vec<_>>(),
    );
    // No request at all without --verify.
    let (status, doc, _, _) = verify(dir.path(), &server, false);
    assert_eq!(status, 1);
    assert!(server.seen().is_empty() && findings(&doc).iter().all(|f| f["verification"].is_null()));
    let (status, doc, _, err) = verify(dir.path(), &server, true);
    assert_eq!(
        status, 1,
        "the scan finishes and exits by its findings: {err}"
    );
    let v = verdict(&doc, "slow.py", "okx-api-key");
    assert_eq!(v["status"], "error", "{v:#}");
    assert!(v["reason"].as_str().unwrap().contains("may still be live"));
    let v = verdict(&doc, "geo.env", "bybit-api-key");
    assert_eq!(v["status"], "error", "{v:#}");
    assert!(v["reason"].as_str().unwrap().contains("HTTP 403"));
    let v = verdict(&doc, "nophrase.py", "okx-api-key");
    assert_eq!(v["status"], "unverifiable");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("no passphrase found"),
        "{v:#}"
    );
    let v = verdict(&doc, "lone.env", "bybit-api-key");
    assert_eq!(v["status"], "unverifiable");
    assert!(
        v["reason"].as_str().unwrap().contains("lone API key"),
        "{v:#}"
    );
    for i in 0..3 {
        assert_eq!(
            verdict(&doc, &format!("copy{i}.py"), "okx-api-key")["status"],
            "valid"
        );
    }
    let to_often = server
        .seen()
        .iter()
        .filter(|s| s.headers.get("ok-access-key") == Some(&k2))
        .count();
    assert_eq!(to_often, 1, "one pair in three files is checked once");
    assert_eq!(
        server.seen().len(),
        3,
        "slow, geo, often: nothing for lone parts"
    );
}

#[test]
fn issue9_okx_and_bybit_flags_are_in_help_readme_and_docs() {
    let dir = tree(&[]);
    let help = stdout(&run(dir.path(), &["scan", "--help"]));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/verify.md")).unwrap();
    for needle in [
        "--okx-api-url",
        "--bybit-api-url",
        "/api/v5/account/config",
        "/v5/user/query-api",
    ] {
        assert!(help.contains(needle) && readme.contains(needle), "{needle}");
    }
    assert!(doc.contains("`perm` holds `withdraw`") && doc.contains("no passphrase found"));
}

#[test]
fn issue9_okx_and_bybit_verdicts_get_their_own_response_steps() {
    let server = Server::start();
    let okx = okx_credential("okx-steps");
    server.okx(
        &okx.0,
        &okx.1,
        &okx.2,
        Answer::Ok(okx_config("read_only,trade,withdraw", "")),
    );
    let bybit = bybit_credential("bybit-steps");
    server.bybit(
        &bybit.0,
        &bybit.1,
        Answer::Code(
            200,
            10010,
            "Unmatched IP, please check your API key's bound IP addresses.",
        ),
    );
    let okx_text = okx_file(&okx.0, &okx.1, Some(&okx.2));
    let bybit_text = bybit_file(&bybit.0, &bybit.1);
    let dir = tree(&[
        ("okx.py", okx_text.as_str()),
        ("bybit.env", bybit_text.as_str()),
    ]);
    let o = verify_text(dir.path(), &server);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Exchange credentials leaked; what --verify found calls for:"),
        "{out}"
    );
    // The valid OKX key is deleted on OKX's own page, the withdrawal checks
    // follow; the IP-bound Bybit key is named with Bybit's answer and page.
    assert!(
        out.contains("the VALID key(s) at okx.py:3 (critical) in OKX > Profile > API"),
        "{out}"
    );
    assert!(
        out.contains("Withdrawals were on: check the withdrawal history"),
        "{out}"
    );
    assert!(
        out.contains("The key at bybit.env:1: Bybit refused the request IP (10010)"),
        "{out}"
    );
    assert!(
        out.contains("Bybit > Account & Security > API Management"),
        "{out}"
    );
    assert!(
        out.contains("OKX: Read only; Bybit: Read-Only")
            || out.contains("Bybit: Read-Only; OKX: Read only"),
        "{out}"
    );
    // No Binance page for keys of other exchanges, and no second,
    // generic remediation under the steps.
    assert!(!out.contains("Binance"), "{out}");
    assert!(!out.contains("okx-api-key: Delete the API key"), "{out}");
}

#[test]
fn issue9_an_oversized_answer_is_an_unreadable_answer_not_a_network_error() {
    let server = Server::start();
    let okx = okx_credential("okx-huge");
    let huge = json!([{"perm": "read_only", "ip": "", "padding": "x".repeat(300 * 1024)}]);
    server.okx(&okx.0, &okx.1, &okx.2, Answer::Ok(huge[0].clone()));
    let text = okx_file(&okx.0, &okx.1, Some(&okx.2));
    let dir = tree(&[("okx.py", text.as_str())]);
    let (status, doc, _, err) = verify(dir.path(), &server, true);
    assert_eq!(status, 1, "{err}");
    let v = verdict(&doc, "okx.py", "okx-api-key");
    assert_eq!(v["status"], "error", "{v:#}");
    let reason = v["reason"].as_str().unwrap();
    assert!(reason.starts_with("unreadable answer"), "{reason}");
    assert!(reason.contains("may still be live"), "{reason}");
}

/// New-user trial: two OKX sets written one after the other (key, secret,
/// passphrase; no blank line): the second key took the first set's
/// passphrase (one line nearer than its own) and read INVALID (50105).
#[test]
fn issue9_trial_adjacent_okx_sets_each_get_their_own_passphrase() {
    let server = Server::start();
    let live = okx_credential("trial-live");
    let demo = okx_credential("trial-demo");
    for c in [&live, &demo] {
        server.okx(&c.0, &c.1, &c.2, Answer::Ok(okx_config("read_only", "")));
    }
    let env = format!(
        "OKX_LIVE_API_KEY={}\nOKX_LIVE_SECRET_KEY={}\nOKX_LIVE_PASSPHRASE={}\nOKX_DEMO_API_KEY={}\nOKX_DEMO_SECRET_KEY={}\nOKX_DEMO_PASSPHRASE={}\n",
        live.0, live.1, live.2, demo.0, demo.1, demo.2
    );
    let dir = tree(&[(".env", env.as_str())]);
    let (_, doc, _, err) = verify(dir.path(), &server, true);
    for f in findings(&doc) {
        assert_eq!(f["verification"]["status"], "valid", "{f:#}\n{err}");
    }
    let phrase_line = |line: u64| {
        findings(&doc).iter().find(|f| f["line"] == line).unwrap()["passphrase"]["line"].clone()
    };
    assert_eq!((phrase_line(1), phrase_line(4)), (json!(3), json!(6)));
    assert_eq!(server.seen().len(), 2, "one request per set");
}

/// New-user trial: an answer that echoes the secret (a 32-hex OKX secret
/// is no "secret shape" of its own) printed it whole.
#[test]
fn issue9_trial_an_answer_echoing_the_secret_or_passphrase_is_masked() {
    let server = Server::start();
    let c = okx_credential("trial-echo");
    let msg: &'static str = Box::leak(format!("bad secret {} for {}", c.1, c.2).into_boxed_str());
    server.okx(&c.0, &c.1, &c.2, Answer::Code(401, 50199, msg));
    let text = okx_file(&c.0, &c.1, Some(&c.2));
    let dir = tree(&[("okx.py", text.as_str())]);
    for format in ["json", "text", "sarif", "github"] {
        let url = server.url.as_str();
        let o = run(
            dir.path(),
            &[
                "scan",
                ".",
                "--verify",
                "--okx-api-url",
                url,
                "--format",
                format,
            ],
        );
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains("bad secret"), "{format}: {all}");
        assert!(
            !all.contains(&c.1) && !all.contains(&c.2),
            "{format}: {all}"
        );
    }
}

/// New-user trial: a 429 from one exchange stopped the checks of the
/// others; Bybit's own rate-limit answers (10006, HTTP 403) did not stop
/// the requests to Bybit.
#[test]
fn issue9_trial_back_off_is_per_host_and_reads_each_exchanges_rate_limit() {
    let (okx_server, bybit_server) = (Server::start(), Server::start());
    let binance = common::binance::Server::start();
    let (bk, bs) = (
        common::binance_key("trial-429-k"),
        common::binance_key("trial-429-s"),
    );
    binance.key(
        &bk,
        common::binance::Verify::Hmac(bs.clone()),
        common::binance::Answer::Status(429),
    );
    let okx = okx_credential("trial-after-429");
    okx_server.okx(
        &okx.0,
        &okx.1,
        &okx.2,
        Answer::Ok(okx_config("read_only", "")),
    );
    let by: Vec<_> = (0..3)
        .map(|i| bybit_credential(&format!("trial-10006-{i}")))
        .collect();
    for b in &by {
        bybit_server.bybit(&b.0, &b.1, Answer::Code(200, 10006, "Too many visits!"));
    }
    let mut files = vec![
        (
            "a-binance.py".to_string(),
            format!(
                "from binance.client import Client\napi_key = \"{bk}\"\napi_secret = \"{bs}\"\n"
            ),
        ),
        (
            "b-okx.py".to_string(),
            okx_file(&okx.0, &okx.1, Some(&okx.2)),
        ),
    ];
    for (i, b) in by.iter().enumerate() {
        files.push((format!("c-bybit-{i}.env"), bybit_file(&b.0, &b.1)));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let dir = tree(&files);
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--verify",
            "--format",
            "json",
            "--binance-api-url",
            &binance.url,
            "--okx-api-url",
            &okx_server.url,
            "--bybit-api-url",
            &bybit_server.url,
        ],
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        verdict(&doc, "b-okx.py", "okx-api-key")["status"],
        "valid",
        "{doc:#}"
    );
    assert_eq!(binance.seen().len(), 1);
    assert_eq!(
        bybit_server.seen().len(),
        1,
        "nothing more to Bybit after its 10006"
    );
    let later = verdict(&doc, "c-bybit-2.env", "bybit-api-key");
    assert!(
        later["reason"].as_str().unwrap().starts_with("not checked"),
        "{later:#}"
    );
    // The note counts what was sent: 3 requests, to 3 hosts.
    assert!(
        stderr(&o).contains("--verify: 3 signed requests"),
        "{}",
        stderr(&o)
    );
}

/// OKX's 50105 (the passphrase is not the key's own) sends the key's
/// other candidates: passphrases listed in the other order than their
/// keys end up with their own keys.
#[test]
fn issue9_okx_passphrases_listed_crosswise_are_re_paired_by_50105() {
    let server = Server::start();
    let a = okx_credential("cross-a");
    let b = okx_credential("cross-b");
    for c in [&a, &b] {
        server.okx(
            &c.0,
            &c.1,
            &c.2,
            Answer::Ok(okx_config("read_only,trade", "")),
        );
    }
    let env = format!(
        "OKX_A_API_KEY={}\nOKX_A_SECRET_KEY={}\nOKX_B_API_KEY={}\nOKX_B_SECRET_KEY={}\nOKX_B_PASSPHRASE={}\nOKX_A_PASSPHRASE={}\n",
        a.0, a.1, b.0, b.1, b.2, a.2
    );
    let dir = tree(&[(".env", env.as_str())]);
    let (_, doc, _, err) = verify(dir.path(), &server, true);
    for f in findings(&doc) {
        assert_eq!(f["verification"]["status"], "valid", "{f:#}\n{err}");
        assert_eq!(f["verification"]["risk"], "high");
    }
    let phrase = |line: u64| {
        findings(&doc).iter().find(|f| f["line"] == line).unwrap()["passphrase"]["line"].clone()
    };
    assert_eq!(
        (phrase(1), phrase(2), phrase(3), phrase(4)),
        (json!(6), json!(6), json!(5), json!(5))
    );
}
