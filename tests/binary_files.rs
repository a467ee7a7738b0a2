//! Binary containers read as text (issue 8, item 10b): SQLite databases,
//! CPython `.pyc` files, stored ZIP entries and PNG text chunks hold their
//! strings verbatim, but packed back to back with their own framing
//! bytes, so rules' boundaries and names fail on the raw bytes. The files
//! here are built byte by byte at run time (tests/common/sqlite.rs,
//! tests/common/pyc.rs): no database, `.pyc` or secret is committed.

mod common;

use common::git::Repo;
use common::pyc::{self, Stmt};
use common::sqlite::{self, Table, Value};
use common::*;
use keyhound::rules::examples::{Fake, expand};

/// Where `needle` is in `data`, as a finding names it: 1-based line (after
/// each `\n` byte) and column (characters, an invalid UTF-8 sequence
/// counting as one), as in a raw scan of the file.
fn location(data: &[u8], needle: &str) -> (u64, u64) {
    let at = data
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("the secret is in the file");
    let line_start = data[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + data[..at].iter().filter(|&&b| b == b'\n').count();
    let column = String::from_utf8_lossy(&data[line_start..at])
        .chars()
        .count()
        + 1;
    (line as u64, column as u64)
}

/// Scans `files` (written as bytes) with `--show-secrets`: each finding's
/// `(path, rule, secret, line, column)`.
fn found(files: &[(&str, &[u8])], args: &[&str]) -> Vec<(String, String, String, u64, u64)> {
    let dir = tree(&[]);
    for (path, data) in files {
        write(dir.path(), path, data);
    }
    let mut all = vec!["--show-secrets"];
    all.extend_from_slice(args);
    let (_, doc) = scan_json(dir.path(), &all);
    findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Asserts that `secret` was found in `db` by `rule`, at its place in the
/// file.
fn assert_found(got: &[(String, String, String, u64, u64)], db: &[u8], rule: &str, secret: &str) {
    let (line, column) = location(db, secret);
    assert!(
        got.iter()
            .any(|f| f.1 == rule && f.2 == secret && (f.3, f.4) == (line, column)),
        "{rule} {secret} at {line}:{column} not in {got:#?}"
    );
}

#[test]
fn issue8_10b_sqlite_credentials_table_gives_the_key_and_its_secret() {
    // Broke: the row's values are back to back (`<key><secret>`), so
    // neither has a boundary.
    let (key, secret) = (binance_key("db-a-key"), binance_key("db-a-secret"));
    let db = sqlite::database(&[Table::text(
        "binance_credentials",
        &["api_key", "api_secret"],
        &[&[&key, &secret]],
    )]);
    let got = found(&[("a.db", &db)], &[]);
    assert_found(&got, &db, "binance-api-key", &key);
    assert_found(&got, &db, "binance-secret-key", &secret);
    assert_eq!(got.len(), 2, "{got:#?}");
}

#[test]
fn issue8_10b_sqlite_settings_rows_pair_a_name_with_its_value() {
    // Broke: `BINANCE_API_SECRET<secret>` in the file. The name is in one
    // column and the value in the next, whatever the columns are called.
    let (s1, s2) = (binance_key("db-b-secret"), binance_key("db-b-secret-2"));
    let db = sqlite::database(&[
        Table::text(
            "settings",
            &["name", "value"],
            &[&["BINANCE_API_SECRET", &s1], &["theme", "dark"]],
        ),
        Table::text("cfg", &["k", "v"], &[&["binance_secret_key", &s2]]),
    ]);
    let got = found(&[("b.db", &db)], &[]);
    assert_found(&got, &db, "binance-secret-key", &s1);
    assert_found(&got, &db, "binance-secret-key", &s2);
}

#[test]
fn issue8_10b_sqlite_github_token_after_its_service_name_is_found() {
    // Broke: `githubghp_…` in the file, no boundary before the token.
    let token = expand("ghp_{{alnum:36}}", &mut Fake::from_str_seed("db-d"));
    let db = sqlite::database(&[Table::text(
        "tokens",
        &["service", "token"],
        &[&["github", &token]],
    )]);
    let got = found(&[("d.db", &db)], &[]);
    assert_found(&got, &db, "github-token", &token);
}

#[test]
fn issue8_10b_sqlite_single_column_telegram_token_is_found() {
    // Broke: the record header's serial type byte (a letter) touches the
    // token.
    let token = expand(
        "{{digits:10}}:AA{{b64url:33}}",
        &mut Fake::from_str_seed("db-e"),
    );
    let db = sqlite::database(&[Table::text("bot", &["telegram_token"], &[&[&token]])]);
    let got = found(&[("e.db", &db)], &[]);
    assert_found(&got, &db, "telegram-bot-token", &token);
}

#[test]
fn issue8_10b_sqlite_values_on_overflow_pages_are_found() {
    // A 10 KB JSON value spills onto overflow pages; one secret sits
    // wholly on an overflow page, the other across the boundary between
    // two of them (its bytes are apart in the file: it is reported over
    // the bytes that hold it, with its value read across).
    let (key, secret) = (binance_key("db-o-key"), binance_key("db-o-secret"));
    let head = format!(
        "{{\"pad\": \"{}\", \"exchange\": \"binance\", \"apiKey\": \"{key}\", \"pad2\": \"",
        "x".repeat(5000)
    );
    // The record: a 4-byte header (its size, a 3-byte serial type), then
    // the 10,000 bytes. Of its 10,004 bytes, the leaf keeps `local` (the
    // spill rule, §1.6), each overflow page 4,092.
    let (u, p) = (4096usize, 10_004usize);
    let m = (u - 12) * 32 / 255 - 23;
    let k = m + (p - m) % (u - 4);
    let local = if k <= u - 35 { k } else { m };
    let boundary = local + (u - 4) - 4;
    let before = "\", \"secret\": \"";
    let pad = "y".repeat(boundary - 20 - head.len() - before.len());
    let json = format!("{head}{pad}{before}{secret}\"}}");
    let json = format!("{json:<10000}");
    assert_eq!(json.len(), 10_000);
    let db = sqlite::database(&[Table::text("config", &["body"], &[&[&json]])]);
    assert!(db.len() > 3 * sqlite::PAGE, "the value spills");
    let got = found(&[("o.db", &db)], &[]);
    assert_found(&got, &db, "binance-api-key", &key);
    // The secret is not one run of bytes in the file: no location helper.
    assert!(
        got.iter()
            .any(|f| f.1 == "binance-secret-key" && f.2 == secret),
        "{got:#?}"
    );
    let raw = String::from_utf8_lossy(&db);
    assert!(!raw.contains(&secret), "the secret straddles two pages");
}

#[test]
fn issue8_10b_sqlite_deleted_rows_are_still_found() {
    // Deleted rows stay in the file (no secure_delete): one in a
    // freeblock, whose header overwrote the cell's first bytes, one given
    // back whole to the unallocated space.
    let (s1, s2) = (binance_key("db-del-1"), binance_key("db-del-2"));
    let mut table = Table::text(
        "settings",
        &["name", "value"],
        &[
            &["theme", "dark"],
            &["BINANCE_API_SECRET", &s1],
            &["lang", "en"],
            &["binance_secret_key", &s2],
        ],
    );
    table.deleted = vec![1, 3];
    let db = sqlite::database(&[table]);
    let got = found(&[("del.db", &db)], &[]);
    assert_found(&got, &db, "binance-secret-key", &s1);
    assert_found(&got, &db, "binance-secret-key", &s2);
}

/// The secrets of a JSON report.
fn secrets(o: &std::process::Output) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    findings(&doc)
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn issue8_10b_sqlite_rows_are_read_in_history_and_staged_scans() {
    // The same reading applies to blobs of a Git history and the index.
    let key = binance_key("db-git-key");
    let secret = binance_key("db-git-secret");
    let db = sqlite::database(&[Table {
        name: "creds".into(),
        sql: "CREATE TABLE creds(id INTEGER PRIMARY KEY, api_key TEXT, api_secret TEXT)".into(),
        rows: vec![vec![
            Value::Null,
            Value::Text(format!("binance {key}")),
            Value::Text(secret.clone()),
        ]],
        deleted: Vec::new(),
    }]);
    let mut repo = Repo::new();
    repo.write("bot.db", &db);
    repo.stage("bot.db");
    let o = run(
        repo.path(),
        &["scan", "--staged", "--format", "json", "--show-secrets"],
    );
    assert!(secrets(&o).contains(&secret), "{}", stdout(&o));
    repo.commit("a database");
    let o = run(repo.path(), &["git", "--format", "json", "--show-secrets"]);
    assert!(secrets(&o).contains(&secret), "{}", stdout(&o));
}

#[test]
fn issue8_10b_pyc_client_secret_followed_by_a_marshal_byte_is_found() {
    // Broke: in `Client("k", "s")` compiled, the secret is followed by the
    // next constant's type byte (`N` for None): only the key was found.
    let (key, secret) = (binance_key("pyc-c-key"), binance_key("pyc-c-secret"));
    let pyc = pyc::module(&[
        Stmt::Import("binance.client", "Client"),
        Stmt::Call(
            "client".into(),
            "Client".into(),
            key.clone(),
            secret.clone(),
        ),
    ]);
    let n = pyc
        .windows(secret.len())
        .position(|w| w == secret.as_bytes())
        .unwrap();
    assert_eq!(
        pyc[n + secret.len()],
        b'N',
        "the marshal byte after the secret"
    );
    let got = found(&[("__pycache__/bot.cpython-311.pyc", &pyc)], &[]);
    assert_found(&got, &pyc, "binance-api-key", &key);
    assert_found(&got, &pyc, "binance-secret-key", &secret);
}

#[test]
fn issue8_10b_pyc_module_assignments_are_named() {
    // `BINANCE_API_SECRET = "s"`: the name is in co_names, the value in
    // co_consts, apart in the file; the bytecode pairs them.
    let (key, secret) = (binance_key("pyc-a-key"), binance_key("pyc-a-secret"));
    let pyc = pyc::module(&[
        Stmt::Assign("BINANCE_API_KEY".into(), key.clone()),
        Stmt::Assign("BINANCE_API_SECRET".into(), secret.clone()),
        Stmt::Assign("DB_PASSWORD".into(), Fake::from_str_seed("pw").alnum(24)),
    ]);
    let got = found(&[("settings.pyc", &pyc)], &[]);
    assert_found(&got, &pyc, "binance-api-key", &key);
    assert_found(&got, &pyc, "binance-secret-key", &secret);
}

#[test]
fn issue8_10b_stored_zip_entries_and_png_text_chunks_are_scanned() {
    // Broke: both were skipped as "compressed" though they hold plain text.
    let env = format!(
        "BINANCE_API_KEY={}\nBINANCE_API_SECRET={}\n",
        binance_key("zip-key"),
        binance_key("zip-secret")
    );
    let mut zip = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    zip.extend_from_slice(&(env.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(env.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(8u16).to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    zip.extend_from_slice(b"prod.env");
    zip.extend_from_slice(env.as_bytes());
    let secret = binance_key("png-secret");
    let text = format!("binance_api_secret\0{secret}");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&(text.len() as u32).to_be_bytes());
    png.extend_from_slice(b"tEXt");
    png.extend_from_slice(text.as_bytes());
    png.extend_from_slice(&[0; 4]);
    png.extend_from_slice(b"\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0");
    let got = found(&[("backup.zip", &zip), ("logo.png", &png)], &[]);
    assert_found(&got, &zip, "binance-secret-key", &binance_key("zip-secret"));
    assert_found(&got, &png, "binance-secret-key", &secret);
}

/// Byte flips, truncations and random pages never make a reader panic or
/// loop: each file is read (or scanned as bytes) in bounded time.
#[test]
fn hostile_sqlite_and_pyc_files_are_read_without_panicking() {
    use keyhound::detectors::containers::view;
    let secret = binance_key("fuzz");
    let mut table = Table::text(
        "settings",
        &["name", "value"],
        &[
            &["BINANCE_API_SECRET", &secret],
            &["big", &"z".repeat(9000)],
            &["x", "y"],
        ],
    );
    table.deleted = vec![2];
    let db = sqlite::database(&[table, Table::text("t", &["a"], &[&["b"]])]);
    let pyc = pyc::module(&[
        Stmt::Import("binance.client", "Client"),
        Stmt::Call("c".into(), "Client".into(), secret.clone(), secret.clone()),
    ]);
    assert!(view(&db).is_some() && view(&pyc).is_some());
    let mut fake = Fake::from_str_seed("fuzz");
    let mut rnd = |n: usize| (fake.string(b"0123456789", 9).parse::<u64>().unwrap() as usize) % n;
    let started = std::time::Instant::now();
    for base in [&db, &pyc] {
        for round in 0..1500 {
            let mut f = base.clone();
            match round % 3 {
                0 => {
                    for _ in 0..1 + rnd(16) {
                        let i = rnd(f.len());
                        f[i] = rnd(256) as u8;
                    }
                }
                1 => f.truncate(rnd(f.len())),
                _ => {
                    // A page (or span) of random bytes.
                    let at = rnd(f.len());
                    for b in f.iter_mut().skip(at).take(4096) {
                        *b = rnd(256) as u8;
                    }
                }
            }
            let _ = view(&f);
        }
    }
    assert!(started.elapsed().as_secs() < 60, "bounded work");
}
