//! `keyhound scan` end to end: the real binary on real temporary trees.

mod common;

use std::path::PathBuf;

use common::*;

fn leaking_tree() -> (tempfile::TempDir, String, String) {
    let key = binance_key("cli-key");
    let secret = binance_key("cli-secret");
    let bot = format!(
        "from binance.client import Client\n\napi_key = \"{key}\"\napi_secret = \"{secret}\"\nclient = Client(api_key, api_secret)\n"
    );
    let dir = tree(&[("src/bot.py", &bot), ("README.md", "# a trading bot\n")]);
    (dir, key, secret)
}

#[test]
fn clean_tree_exits_zero() {
    let dir = tree(&[
        ("main.py", "print('hello')\n"),
        ("config.yml", "debug: true\n"),
    ]);
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("no secrets found"));
}

#[test]
fn findings_exit_one_and_exit_code_overrides() {
    let (dir, _, _) = leaking_tree();
    assert_eq!(code(&run(dir.path(), &["scan", "."])), 1);
    assert_eq!(
        code(&run(dir.path(), &["scan", ".", "--exit-code", "42"])),
        42
    );
}

#[test]
fn missing_path_is_an_error_that_says_what_to_fix() {
    let dir = tree(&[]);
    let o = run(dir.path(), &["scan", "no-such-dir"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("no-such-dir") && err.contains("check the path"),
        "{err}"
    );
}

#[test]
fn bad_arguments_exit_two() {
    let dir = tree(&[]);
    assert_eq!(code(&run(dir.path(), &["scan", "--format", "xml"])), 2);
    let o = run(dir.path(), &["scan", "--max-file-size", "ten"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("500KB"), "{}", stderr(&o));
}

#[test]
fn json_reports_the_contract_fields_and_redacts() {
    let (dir, key, secret) = leaking_tree();
    let (code, doc) = scan_json(dir.path(), &["src"]);
    assert_eq!(code, 1);
    assert!(doc["version"].is_string());
    assert!(doc["stats"]["files_scanned"].as_u64().unwrap() >= 1);
    let f = findings(&doc);
    assert_eq!(f.len(), 2, "{doc:#}");
    let k = &f[0];
    assert_eq!(k["rule_id"], "binance-api-key");
    assert_eq!(k["severity"], "high");
    assert_eq!(k["path"], "src/bot.py");
    assert_eq!(k["line"], 3);
    assert_eq!(k["column"], 12);
    assert_eq!(k["end_line"], 3);
    assert_eq!(k["end_column"], 12 + 63);
    assert_eq!(k["secret"], format!("{}…", &key[..4]));
    assert_eq!(k["paired"], true);
    assert_eq!(k["fingerprint"].as_str().unwrap().len(), 32);
    assert_eq!(f[1]["rule_id"], "binance-secret-key");
    assert_eq!(f[1]["severity"], "critical");
    let out = doc.to_string();
    assert!(
        !out.contains(&key) && !out.contains(&secret),
        "secrets leaked into JSON"
    );
}

#[test]
fn show_secrets_reveals_them() {
    let (dir, key, _) = leaking_tree();
    let (_, doc) = scan_json(dir.path(), &["--show-secrets"]);
    assert_eq!(findings(&doc)[0]["secret"], key.as_str());
}

#[test]
fn text_report_masks_the_secret_and_points_at_it() {
    let (dir, key, secret) = leaking_tree();
    let o = run(dir.path(), &["scan"]);
    let out = stdout(&o);
    assert!(!out.contains(&key) && !out.contains(&secret), "{out}");
    assert!(
        out.contains("src/bot.py:3:12: binance-api-key [high]"),
        "{out}"
    );
    let masked = format!("api_key = \"{}…\"", &key[..4]);
    assert!(out.contains(&masked), "{out}");
    // The caret line sits under the masked secret.
    let lines: Vec<&str> = out.lines().collect();
    let at = lines.iter().position(|l| l.contains(&masked)).unwrap();
    let caret = lines[at + 1];
    assert_eq!(caret.find('^'), lines[at].find(&key[..4]), "{out}");
    assert!(out.contains("Binance credentials leaked"), "{out}");
    assert!(out.contains("withdraw"), "{out}");
    assert!(!out.contains('\x1b'), "no colour without a terminal");
}

#[test]
fn sarif_redacts_by_default() {
    let (dir, key, secret) = leaking_tree();
    let o = run(dir.path(), &["scan", "--format", "sarif"]);
    let out = stdout(&o);
    assert!(!out.contains(&key) && !out.contains(&secret));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 2);
}

#[test]
fn output_file_receives_the_report() {
    let (dir, _, _) = leaking_tree();
    let out = dir.path().join("report.json");
    let o = run(
        dir.path(),
        &[
            "scan",
            "src",
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(findings(&doc).len(), 2);
}

#[test]
fn paths_are_joined_like_ripgrep() {
    let (dir, _, _) = leaking_tree();
    for arg in ["src", "./src", "src/"] {
        let (_, doc) = scan_json(dir.path(), &[arg]);
        assert_eq!(findings(&doc)[0]["path"], "src/bot.py", "for {arg}");
    }
    let (_, doc) = scan_json(dir.path(), &["."]);
    assert_eq!(findings(&doc)[0]["path"], "src/bot.py");
    let (_, doc) = scan_json(dir.path(), &["src/bot.py"]);
    assert_eq!(findings(&doc)[0]["path"], "src/bot.py");
}

#[test]
fn stdin_is_scanned_with_a_dash() {
    let dir = tree(&[]);
    let line = format!("BINANCE_API_SECRET={}\n", binance_key("stdin"));
    let o = run_stdin(
        dir.path(),
        &["scan", "-", "--format", "json"],
        Some(line.as_bytes()),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(findings(&doc)[0]["path"], "<stdin>");
    assert_eq!(findings(&doc)[0]["rule_id"], "binance-secret-key");
}

#[test]
fn hidden_files_are_scanned_gitignored_ones_are_not_and_git_never() {
    let key = binance_key("hidden");
    let env = format!("BINANCE_API_KEY={key}\n");
    let dir = tree(&[
        (".env", &env),
        ("ignored/.env", &env),
        (".gitignore", "ignored/\n"),
        (".git/config", &env),
    ]);
    let (_, doc) = scan_json(dir.path(), &[]);
    let paths: Vec<_> = summary(&doc).into_iter().map(|s| s.0).collect();
    assert_eq!(paths, [".env"]);
    let (_, doc) = scan_json(dir.path(), &["--no-ignore"]);
    let paths: Vec<_> = summary(&doc).into_iter().map(|s| s.0).collect();
    assert_eq!(paths, [".env", "ignored/.env"]);
}

#[test]
fn keyhoundignore_applies_even_with_no_ignore() {
    let env = format!("BINANCE_API_KEY={}\n", binance_key("kignore"));
    let dir = tree(&[("fixtures/.env", &env), (".keyhoundignore", "fixtures/\n")]);
    let (code, doc) = scan_json(dir.path(), &["--no-ignore"]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn inline_allow_silences_its_line_only() {
    let a = binance_key("inline-a");
    let b = binance_key("inline-b");
    let text =
        format!("# binance test fixtures\nKEY_A = \"{a}\"  # keyhound:allow\nKEY_B = \"{b}\"\n");
    let dir = tree(&[("fixtures.py", &text)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    let lines: Vec<_> = summary(&doc).into_iter().map(|s| s.1).collect();
    assert_eq!(lines, [3]);
}

#[test]
fn output_is_sorted_and_deterministic() {
    let mut files = Vec::new();
    for i in 0..12 {
        files.push((
            format!("d{}/f{}.env", i % 3, i),
            format!(
                "X=1\nBINANCE_API_KEY={}\nBINANCE_API_SECRET={}\n",
                binance_key(&format!("k{i}")),
                binance_key(&format!("s{i}"))
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let (_, a) = scan_json(dir.path(), &["-j", "4"]);
    let (_, b) = scan_json(dir.path(), &["-j", "1"]);
    assert_eq!(a["findings"], b["findings"]);
    let s = summary(&a);
    assert_eq!(s.len(), 24);
    let mut sorted = s.clone();
    sorted.sort();
    assert_eq!(s, sorted);
}

#[test]
fn control_characters_from_files_and_paths_are_escaped() {
    let key = binance_key("escape");
    let text = format!("binance \x1b[2J\x1b[31m api_key = \"{key}\"\n");
    let dir = tree(&[("evil\x1b[1mname.txt", &text)]);
    let out = stdout(&run(dir.path(), &["scan"]));
    assert!(
        !out.contains('\x1b'),
        "raw escape reached the terminal: {out:?}"
    );
    assert!(out.contains("\\x1b[2J"), "{out}");
    assert!(out.contains("evil\\x1b[1mname.txt"), "{out}");
}

#[test]
fn crlf_and_utf8_give_character_columns() {
    let key = binance_key("crlf");
    let text = format!("# binance — bot\r\nclé = 1\r\nnamé_api_key = \"{key}\"\r\n");
    let dir = tree(&[("bot.py", &text)]);
    let (_, doc) = scan_json(dir.path(), &["--show-secrets"]);
    let f = &findings(&doc)[0];
    assert_eq!(f["line"], 3);
    assert_eq!(f["column"], 17);
    assert_eq!(f["end_column"], 17 + 63);
    assert_eq!(f["secret"], key.as_str());
}

#[test]
fn invalid_utf8_is_still_scanned() {
    let mut data = b"\xff\xfe binance junk \xc3\n".to_vec();
    data.extend_from_slice(format!("api_secret = '{}'\n", binance_key("utf8")).as_bytes());
    let dir = tree(&[]);
    write(dir.path(), "latin.txt", &data);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        summary(&doc),
        [("latin.txt".to_string(), 2, "binance-secret-key".to_string())]
    );
}

#[test]
fn rules_list_and_check() {
    let dir = tree(&[]);
    let o = run(dir.path(), &["rules", "list"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("binance-secret-key"));
    let o = run(dir.path(), &["rules", "check"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("all pass"));
}

/// `keyhound ARGS --help`, which must succeed.
fn help(args: &[&str]) -> String {
    let dir = tree(&[]);
    let mut all = args.to_vec();
    all.push("--help");
    let o = run(dir.path(), &all);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
}

/// The help text of one option: its line and the lines under it, up to the
/// next option, as words (help is wrapped to the terminal's width).
fn option_help(help: &str, option: &str) -> String {
    let mut lines = help.lines().skip_while(|l| !l.contains(option));
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.take_while(|l| !l.trim_start().starts_with('-')));
    out.join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn issue8_15_threads_help_says_one_per_cpu_and_shows_no_zero_default() {
    // Broke: `-j` said "default: one per CPU" and then "[default: 0]".
    for args in [&["scan"][..], &["help", "scan"]] {
        let text = if args[0] == "help" {
            let dir = tree(&[]);
            stdout(&run(dir.path(), args))
        } else {
            help(args)
        };
        let threads = option_help(&text, "--threads");
        assert!(threads.contains("one per CPU"), "{threads}");
        assert!(!threads.contains("[default: 0]"), "{threads}");
    }
}

#[test]
fn issue8_15_git_help_says_where_a_git_scan_finds_its_config() {
    // Broke: `git --help` described --config as "at the scan root", which
    // a Git scan does not have.
    let config = option_help(&help(&["git"]), "--config");
    assert!(!config.contains("scan root"), "{config}");
    assert!(
        config.contains("the repository's .keyhound.toml")
            && config.contains("HEAD's in a bare repository"),
        "{config}"
    );
    let config = option_help(&help(&["scan"]), "--config");
    assert!(config.contains(".keyhound.toml"), "{config}");
}

#[test]
fn issue8_15_rules_list_offers_only_the_formats_it_prints() {
    // Broke: `rules list --help` offered sarif and github, then refused them.
    let format = option_help(&help(&["rules", "list"]), "--format");
    assert!(
        format.contains("text") && format.contains("json"),
        "{format}"
    );
    assert!(
        !format.contains("sarif") && !format.contains("github"),
        "{format}"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn issue8_15_notes_and_errors_name_paths_as_findings_do() {
    // Broke: a directory that could not be read was noted as
    // `./locked: …` while findings drop the leading `./`; a missing
    // argument was quoted as typed (`./missing`).
    let dir = tree(&[("ok.txt", "hello\n")]);
    // A directory keyhound cannot read, whoever runs the test (root reads
    // anything chmod forbids): its path is longer than PATH_MAX (4096).
    // Built by moving a tree under another, each path given to the system
    // staying short enough.
    let part = "d".repeat(250);
    let parts = |n| std::iter::repeat_n(part.as_str(), n).collect::<PathBuf>();
    let deep = dir.path().join("unreadable").join(parts(15));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::create_dir_all(dir.path().join("tail").join(parts(3))).unwrap();
    std::fs::rename(dir.path().join("tail").join(&part), deep.join("t")).unwrap();
    let o = run(dir.path(), &["scan", "."]);
    let err = stderr(&o);
    let notes: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("keyhound: note: "))
        .collect();
    assert!(notes.iter().any(|n| n.starts_with("unreadable/")), "{err}");
    assert!(notes.iter().all(|n| !n.contains("./")), "{err}");

    let o = run(dir.path(), &["scan", "./missing"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot scan `missing`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn review_r12_utf16_text_is_decoded_and_scanned_as_text() {
    // Broke: a UTF-16 `.env` (a byte order mark, or none as PowerShell's
    // `Out-File` writes ASCII) has a NUL beside each character: it was
    // scanned as binary bytes, where no token is contiguous, and nothing
    // was found. Lines and columns count characters.
    let (key, secret) = (binance_key("r12-key"), binance_key("r12-secret"));
    let text =
        format!("# binance bot 😀\r\nBINANCE_API_SECRET={secret}\r\n😀 BINANCE_API_KEY={key}\r\n");
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let ascii = text.replace("😀", ":)");
    let bare: Vec<u8> = ascii.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let dir = tree(&[]);
    write(dir.path(), "le.env", &[&[0xFF, 0xFE][..], &le].concat());
    write(dir.path(), "be.env", &[&[0xFE, 0xFF][..], &be].concat());
    write(dir.path(), "bare.env", &bare);
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(status, 1, "{doc:#}");
    let at: Vec<(String, u64, u64, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for (path, emoji_width) in [("bare.env", 2), ("be.env", 1), ("le.env", 1)] {
        expected.push((path.to_string(), 2, 20, "binance-secret-key".to_string()));
        expected.push((
            path.to_string(),
            3,
            18 + emoji_width,
            "binance-api-key".to_string(),
        ));
    }
    assert_eq!(at, expected);
    assert_eq!(findings(&doc)[0]["paired"], true);
    // In Git too.
    let mut repo = common::git::Repo::new();
    let content = [&[0xFF, 0xFE][..], &le].concat();
    repo.write("le.env", &content);
    repo.stage("le.env");
    let (status, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!((status, findings(&doc).len()), (1, 2), "{doc:#}");
    repo.commit("utf-16");
    let o = run(repo.path(), &["git", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(findings(&doc).len(), 2, "{doc:#}");
    assert_eq!(findings(&doc)[0]["column"], 20);
}

#[test]
fn issue10_f1_utf16_in_any_script_and_utf32_are_scanned_as_text() {
    // Broke: UTF-16 without a byte order mark was recognised only when its
    // first characters were ASCII: a Cyrillic or Chinese comment above the
    // keys made the file binary, and the scan a clean pass. UTF-32 with a
    // mark was binary too.
    let (key, secret) = (binance_key("f1-key"), binance_key("f1-secret"));
    let keys = format!("BINANCE_API_KEY={key}\r\nBINANCE_API_SECRET={secret}\r\n");
    let ru = format!("# Настройки бота для биржи\r\n{keys}");
    let zh = format!("# 交易机器人配置\r\n{keys}");
    let le = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let be = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_be_bytes).collect() };
    let utf32: Vec<u8> = format!("\u{feff}{ru}")
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let files: [(&str, Vec<u8>); 4] = [
        ("ru.env", le(&ru)),
        ("zh.env", le(&zh)),
        ("zh-be.env", be(&zh)),
        ("utf32.env", utf32),
    ];
    let dir = tree(&[]);
    for (path, data) in &files {
        write(dir.path(), path, data);
    }
    let (status, doc) = scan_json(dir.path(), &[]);
    assert_eq!(status, 1, "{doc:#}");
    for (path, _) in &files {
        let at: Vec<(u64, u64)> = findings(&doc)
            .iter()
            .filter(|f| f["path"] == *path)
            .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
            .collect();
        // The UTF-32 file's mark is its first character: line 1 only.
        assert_eq!(at, [(2, 17), (3, 20)], "{path}: {doc:#}");
    }
    // What the next commit would hold, too.
    let repo = common::git::Repo::new();
    repo.write("zh.env", &files[1].1);
    repo.stage("zh.env");
    let (status, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!((status, findings(&doc).len()), (1, 2), "{doc:#}");
}

#[test]
fn explain_prints_a_rules_guidance_and_names_close_ids_for_an_unknown_one() {
    let dir = tree(&[]);
    let o = run(dir.path(), &["explain", "binance-secret-key"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "binance-secret-key [critical]: Binance API secret key",
        "from: rules/binance.toml",
        "Delete the exposed API key now",
        "Never enable withdrawals for a bot",
        "Rotate API keys every 90 days",
        "keyhound:allow",
    ] {
        assert!(out.contains(needle), "no `{needle}` in:\n{out}");
    }
    let o = run(dir.path(), &["explain", "github-token"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("If it leaked: "), "{}", stdout(&o));
    assert!(!stdout(&o).contains("Binance"), "{}", stdout(&o));

    let o = run(dir.path(), &["explain", "binance"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("no rule `binance`, did you mean `binance-"),
        "{err}"
    );
    assert!(err.contains("`keyhound rules list`"), "{err}");
}
