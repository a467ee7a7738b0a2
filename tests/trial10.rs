//! Defects a new-user trial of issue 10 found, each kept as a test: what
//! the default report shows (confidence), which rule reports a key, and
//! what is no secret at all.

mod common;

use common::*;
use keyhound::rules::examples::expand;

fn fake(spec: &str, seed: &str) -> String {
    expand(spec, &mut Fake::from_str_seed(seed))
}

/// `(path, line, rule_id, confidence)` of each finding of a directory scan
/// at `--min-confidence low`.
fn all_findings(dir: &std::path::Path) -> Vec<(String, u64, String, String)> {
    let (_, doc) = scan_json(dir, &["--min-confidence", "low"]);
    findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The lines of `file` where `rule` reported, ascending.
fn lines_of(found: &[(String, u64, String, String)], file: &str, rule: &str) -> Vec<u64> {
    found
        .iter()
        .filter(|(p, _, r, _)| p == file && r == rule)
        .map(|f| f.1)
        .collect()
}

fn has(found: &[(String, u64, String, String)], file: &str, rule: &str, level: &str) -> bool {
    found
        .iter()
        .any(|(p, _, r, c)| p == file && r == rule && c == level)
}

/// Failing input 9 in capitals: `MOCK`, `TOKEN`, `SECRET` inside a random
/// 64-character secret are chance as much as in lower case, also at its
/// ends; a long capital word (`…EXAMPLE…`) is still a sample.
#[test]
fn issue10_trial_capital_placeholder_words_inside_a_secret_are_chance() {
    let mut files = Vec::new();
    for (i, word) in ["MOCK", "TOKEN", "SECRET", "DUMMY", "fake"]
        .iter()
        .enumerate()
    {
        let k = binance_key(&format!("caps-{i}"));
        let middle = format!("{}{word}{}", &k[..30], &k[30 + word.len()..]);
        let start = format!("{word}{}", &k[word.len()..]);
        files.push((
            format!("m{i}.env"),
            format!("BINANCE_API_SECRET={middle}\n"),
        ));
        files.push((format!("s{i}.env"), format!("BINANCE_API_SECRET={start}\n")));
    }
    let k = binance_key("caps-example");
    files.push((
        "x.env".to_string(),
        format!("BINANCE_API_SECRET={}EXAMPLE{}\n", &k[..30], &k[37..]),
    ));
    let dir = tree(
        &files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
    );
    let found = all_findings(dir.path());
    for i in 0..5 {
        for f in [format!("m{i}.env"), format!("s{i}.env")] {
            assert!(found.iter().any(|(p, ..)| *p == f), "{f}: {found:?}");
        }
    }
    assert!(!found.iter().any(|(p, ..)| p == "x.env"), "{found:?}");
}

/// A heading or comment with "example" above a live assignment says
/// nothing about the value; above a commented-out one it still does.
#[test]
fn issue10_trial_a_heading_above_a_live_assignment_keeps_the_level() {
    let s1 = binance_key("heading-1");
    let s2 = binance_key("heading-2");
    let s3 = binance_key("heading-3");
    let dir = tree(&[
        (
            "prose.env",
            &format!("# Example bot config\nBINANCE_API_SECRET={s1}\n"),
        ),
        (
            "bot.py",
            &format!("import os\n# Example: run with python bot.py\nAPI_SECRET = \"{s2}\"\n"),
        ),
        (
            "old.env",
            &format!("# Example secret, what the API returns:\n# BINANCE_API_SECRET={s3}\n"),
        ),
        ("examples/.env", &format!("BINANCE_API_SECRET={s1}\n")),
    ]);
    let found = all_findings(dir.path());
    assert!(
        has(&found, "prose.env", "binance-secret-key", "medium"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, _, _, c)| p == "bot.py" && c == "medium"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, _, _, c)| p == "old.env" && c == "low"),
        "{found:?}"
    );
    // A `.env` is what the example runs with.
    assert!(
        has(&found, ".env", "binance-secret-key", "medium"),
        "{found:?}"
    );
}

/// EVM keys handed to wallet libraries, in Hardhat network configs, and
/// under deployer names; 64 hex digits under any `*_SECRET` name.
#[test]
fn issue10_trial_evm_key_idioms_and_hex_secrets_are_found() {
    let hex = |s: &str| fake("{{hex:64}}", s);
    let dir = tree(&[
        (
            "hardhat.config.js",
            &format!(
                "module.exports = {{\n  networks: {{\n    sepolia: {{\n      url: \"https://rpc.sepolia.org\",\n      accounts: [\"0x{}\"]\n    }}\n  }}\n}};\n",
                hex("hh")
            ),
        ),
        (
            "w.js",
            &format!(
                "const wallet = new ethers.Wallet(\"0x{}\", provider);\n",
                hex("eth")
            ),
        ),
        (
            "w.py",
            &format!("acct = w3.eth.account.from_key(\"0x{}\")\n", hex("w3")),
        ),
        (
            "w.go",
            &format!("key, err := crypto.HexToECDSA(\"{}\")\n", hex("go")),
        ),
        (
            "deploy.env",
            &format!("DEPLOYER_KEY=0x{}\nPK=0x{}\n", hex("d"), hex("pk")),
        ),
        ("jwt.env", &format!("JWT_SECRET={}\n", hex("jwt"))),
        (
            "hash.py",
            &format!("receipt = wallet.get_transaction(\"0x{}\")\n", hex("tx")),
        ),
    ]);
    let found = all_findings(dir.path());
    for file in ["hardhat.config.js", "w.js", "w.py", "w.go"] {
        assert!(
            has(&found, file, "crypto-wallet-private-key", "medium"),
            "{file}: {found:?}"
        );
    }
    let deploy: Vec<_> = found.iter().filter(|(p, ..)| p == "deploy.env").collect();
    assert_eq!(deploy.len(), 2, "{found:?}");
    assert!(
        has(&found, "jwt.env", "generic-hex-secret", "medium"),
        "{found:?}"
    );
    assert!(!found.iter().any(|(p, ..)| p == "hash.py"), "{found:?}");
}

/// A legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED`) and an OpenSSH key
/// saved with a passphrase are encrypted keys, not usable private keys.
#[test]
fn issue10_trial_encrypted_legacy_and_openssh_keys_are_reported_as_encrypted() {
    let legacy = format!(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,{}\n\n{}\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
        fake("{{HEX:32}}", "iv"),
        fake("{{b64:64}}", "l1"),
        fake("{{b64:64}}", "l2"),
        fake("{{b64:64}}", "l3")
    );
    // openssh-key-v1, cipher aes256-ctr, KDF bcrypt, one ed25519 public
    // key, then 144 bytes of ciphertext (generated).
    let mut head = b"openssh-key-v1\0".to_vec();
    let string = |b: &[u8], out: &mut Vec<u8>| {
        out.extend_from_slice(&(b.len() as u32).to_be_bytes());
        out.extend_from_slice(b);
    };
    string(b"aes256-ctr", &mut head);
    string(b"bcrypt", &mut head);
    let mut kdf = Vec::new();
    string(&[7; 16], &mut kdf);
    kdf.extend_from_slice(&16u32.to_be_bytes());
    string(&kdf, &mut head);
    head.extend_from_slice(&1u32.to_be_bytes());
    let mut public = Vec::new();
    string(b"ssh-ed25519", &mut public);
    string(&[9; 32], &mut public);
    string(&public, &mut head);
    let cipher: Vec<u8> = (0..144u32).map(|i| (i * 73 % 251) as u8).collect();
    string(&cipher, &mut head);
    let b64 = keyhound::rules::examples::base64_encode(&head);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let openssh = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        body.join("\n")
    );
    let dir = tree(&[("legacy.pem", &legacy), ("id_ed25519", &openssh)]);
    let found = all_findings(dir.path());
    assert_eq!(found.len(), 2, "{found:?}");
    for file in ["legacy.pem", "id_ed25519"] {
        assert!(
            found
                .iter()
                .any(|(p, _, r, _)| p == file && r == "private-key-encrypted"),
            "{file}: {found:?}"
        );
    }
}

/// In program source a value without quotes is a name (a type, an enum
/// variant, a parameter's type); the same shape in a `.env` saved under a
/// source name, or in a URL's query, is a value.
#[test]
fn issue10_trial_type_names_in_source_are_no_secrets() {
    let token = format!("{}7q", fake("{{alnum:22}}", "shyft"));
    let dir = tree(&[
        (
            "types.rs",
            "pub struct X {\n    pub localCredentials: IKEEXT_CREDENTIAL0,\n    pub credentials: MI_UserCredentials_0,\n}\nlet s = ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv };\n",
        ),
        (
            "Creds.cs",
            "public BinanceCredentials(Ed25519Credential credential)\n",
        ),
        (
            "config.ts",
            &format!("RPC_API_KEY={token}\nRPC_URL=https://rpc.example-host.io?api_key={token}\n"),
        ),
    ]);
    let found = all_findings(dir.path());
    assert!(
        !found
            .iter()
            .any(|(p, ..)| p == "types.rs" || p == "Creds.cs"),
        "{found:?}"
    );
    assert_eq!(
        found.iter().filter(|(p, ..)| p == "config.ts").count(),
        2,
        "{token}: {found:?}"
    );
}

/// A key in a docstring that shows what a call returns is a sample copied
/// from the API's documentation: low. (KuCoin's SDK docstrings.)
#[test]
fn issue10_trial_doc_comment_response_samples_are_low() {
    let key = fake("{{hex:24}}", "kucoin-doc");
    let secret = binance_key("doc-secret");
    let python = format!(
        "import binance\n\ndef get_api_list(self):\n    \"\"\"Get the API key list\n\n    :returns: API Response\n\n    .. code-block:: python\n\n        {{\n            \"apiKey\": \"{key}\",\n            \"apiSecret\": \"{secret}\"\n        }}\n    \"\"\"\n    return self._get(\"keys\")\n"
    );
    let js = format!(
        "/**\n * Creates a key.\n * @returns {{Promise}} e.g. {{ apiSecret: \"{secret}\" }}\n */\nfunction create() {{}}\n"
    );
    let live = format!("import binance\nAPI_SECRET = \"{secret}\"\n");
    let dir = tree(&[
        ("client.py", &python),
        ("client.js", &js),
        ("bot.py", &live),
    ]);
    let found = all_findings(dir.path());
    let of = |file: &str| -> Vec<String> {
        found
            .iter()
            .filter(|(p, ..)| p == file)
            .map(|(.., c)| c.clone())
            .collect()
    };
    assert!(!of("client.py").is_empty(), "{found:?}");
    assert!(of("client.py").iter().all(|c| c == "low"), "{found:?}");
    assert!(!of("client.js").is_empty(), "{found:?}");
    assert!(of("client.js").iter().all(|c| c == "low"), "{found:?}");
    assert!(of("bot.py").iter().all(|c| c != "low"), "{found:?}");
}

/// In a directory of tests, a value under a test name is a fixture (low)
/// and what only a name makes a credential is one level lower; an exchange
/// key pair used in a test or an example (a committed testnet pair) keeps
/// its level.
#[test]
fn issue10_trial_test_fixtures_are_low_and_testnet_pairs_are_not() {
    let generic = fake("{{alnum:32}}", "fixture");
    let k = binance_key("testnet-k");
    let s = binance_key("testnet-s");
    let pair = format!("import binance\nclient = Client(\"{k}\", \"{s}\", testnet=True)\n");
    let dir = tree(&[
        (
            "tests/constants.py",
            &format!("TEST_API_SECRET = \"{generic}\"\n"),
        ),
        (
            "tests/test_auth.py",
            &format!("auth_token = \"{generic}\"\n"),
        ),
        ("tests/test_trade.py", &pair),
        ("examples/trade.py", &pair),
        ("src/app.py", &format!("auth_token = \"{generic}\"\n")),
    ]);
    let found = all_findings(dir.path());
    assert!(
        has(&found, "constants.py", "generic-secret", "low"),
        "{found:?}"
    );
    assert!(
        has(&found, "test_auth.py", "generic-secret", "low"),
        "{found:?}"
    );
    assert!(
        has(&found, "app.py", "generic-secret", "medium"),
        "{found:?}"
    );
    for file in ["test_trade.py", "trade.py"] {
        let levels: Vec<_> = found.iter().filter(|(p, ..)| p == file).collect();
        assert_eq!(levels.len(), 2, "{found:?}");
        assert!(levels.iter().all(|(.., c)| c == "high"), "{found:?}");
    }
}

/// Services that issue keys as UUIDs (Helius, Heroku, Shyft): a UUID under
/// a key or token name is a credential; under an idempotency or page
/// token name it is a handle.
#[test]
fn issue10_trial_uuid_keys_under_credential_names() {
    let u = |s: &str| fake("{{uuid}}", s);
    let dir = tree(&[
        (
            "bot.env",
            &format!("HELIUS_API_KEY={}\nX_TOKEN={}\n", u("helius"), u("x")),
        ),
        (
            "client.py",
            &format!(
                "idempotency_key = \"{}\"\nnext_page_token = \"{}\"\nclient_id = \"{}\"\n",
                u("i"),
                u("p"),
                u("c")
            ),
        ),
    ]);
    let found = all_findings(dir.path());
    assert_eq!(
        found
            .iter()
            .filter(|(p, _, r, _)| p == "bot.env" && r == "generic-uuid-credential")
            .count(),
        2,
        "{found:?}"
    );
    assert!(!found.iter().any(|(p, ..)| p == "client.py"), "{found:?}");
}

/// `.netrc` entries need a host name or a login: prose with "machine" and
/// "password" in it is no entry.
#[test]
fn issue10_trial_netrc_rule_ignores_prose() {
    let pw = fake("{{alnum:16}}", "netrc");
    let dir = tree(&[
        (
            "pypi.tsv",
            "mlpass\tA machine learning-based password strength evaluation library\n",
        ),
        ("netrw.vim", "\" machine id password [path/]filename\n"),
        (
            ".netrc",
            &format!("machine api.example-host.io login bot password {pw}\n"),
        ),
        (
            "hosts.netrc",
            &format!("machine buildbox login ci password {pw}\n"),
        ),
    ]);
    let found = all_findings(dir.path());
    assert!(
        !found
            .iter()
            .any(|(p, ..)| p == "pypi.tsv" || p == "netrw.vim"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, _, r, _)| p == ".netrc" && r == "netrc-password"),
        "{found:?}"
    );
    assert!(found.iter().any(|(p, ..)| p == "hosts.netrc"), "{found:?}");
}

/// `min-confidence = 3` in the config names the three levels it takes.
#[test]
fn issue10_trial_a_bad_min_confidence_type_names_the_levels() {
    let bad = tree(&[(".keyhound.toml", "min-confidence = 3\n")]);
    let o = run(bad.path(), &["scan"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(".keyhound.toml:1:") && err.contains("\"low\", \"medium\", \"high\""),
        "{err}"
    );
}

/// Rails' `config/master.key` (and per-environment keys under
/// `config/credentials/`): 32 hex digits, the whole file.
#[test]
fn issue10_trial_rails_master_key_is_found_by_its_path() {
    let key = fake("{{hex:32}}", "rails-master");
    let dir = tree(&[
        ("app/config/master.key", &format!("{key}\n")),
        ("app/config/credentials/production.key", &key),
        ("app/notes/master.key.txt", &format!("{key}\n")),
    ]);
    let found = all_findings(dir.path());
    assert!(
        has(&found, "master.key", "rails-master-key", "high"),
        "{found:?}"
    );
    assert!(
        has(&found, "production.key", "rails-master-key", "high"),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(p, ..)| p == "master.key.txt"),
        "{found:?}"
    );
}

/// Failing input 10's kind, further: XML element text under a secret name
/// with attributes on the element, on its own line, in a CDATA section,
/// and a plist `<key>` with its `<string>`; placeholders stay quiet.
#[test]
fn issue10_trial_xml_element_text_in_every_form() {
    let v = |s: &str| format!("{}7Q", fake("{{alnum:30}}", s));
    let dir = tree(&[
        (
            "attr.xml",
            &format!(
                "<cfg>\n  <ClientSecret type=\"string\">{}</ClientSecret>\n</cfg>\n",
                v("a")
            ),
        ),
        (
            "line.xml",
            &format!(
                "<config>\n  <apiSecret>\n    {}\n  </apiSecret>\n</config>\n",
                v("l")
            ),
        ),
        (
            "cdata.xml",
            &format!("<cfg><apiKey><![CDATA[{}]]></apiKey></cfg>\n", v("c")),
        ),
        (
            "Info.plist",
            &format!(
                "<dict>\n  <key>API_SECRET</key>\n  <string>{}</string>\n</dict>\n",
                v("p")
            ),
        ),
        (
            "neg.xml",
            "<cfg><password>${env.PASSWORD}</password><token></token><clientSecret>{{ secret }}</clientSecret></cfg>\n",
        ),
    ]);
    let found = all_findings(dir.path());
    for file in ["attr.xml", "line.xml", "cdata.xml", "Info.plist"] {
        assert!(found.iter().any(|(p, ..)| p == file), "{file}: {found:?}");
    }
    assert!(!found.iter().any(|(p, ..)| p == "neg.xml"), "{found:?}");
}

/// Failing input 4's kind, further: Binance's own SDK constructors other
/// than `Client(…)` (python-binance's `AsyncClient.create`,
/// binance-connector's `Spot`, `UMFutures`, `CMFutures`, in Python and
/// JavaScript) with two 64-character literals, no import in the file.
#[test]
fn issue10_trial_binance_sdk_constructors_without_the_import() {
    let pair = |s: &str| {
        (
            binance_key(&format!("{s}-k")),
            binance_key(&format!("{s}-s")),
        )
    };
    let (a, b) = pair("async");
    let (c, d) = pair("spot");
    let (e, f) = pair("um");
    let (g, h) = pair("js");
    let dir = tree(&[
        (
            "a.py",
            &format!("client = await AsyncClient.create(\"{a}\", \"{b}\")\n"),
        ),
        ("s.py", &format!("client = Spot(\"{c}\", \"{d}\")\n")),
        (
            "u.py",
            &format!("um_futures_client = UMFutures(key=\"{e}\", secret=\"{f}\")\n"),
        ),
        (
            "s.js",
            &format!("const client = new Spot(\"{g}\", \"{h}\")\n"),
        ),
        ("h.py", &format!("c = HttpSpot(\"{g}\", \"{h}\")\n")),
    ]);
    let found = all_findings(dir.path());
    for file in ["a.py", "s.py", "u.py", "s.js"] {
        assert!(
            has(&found, file, "binance-client-api-key", "high")
                && has(&found, file, "binance-client-secret-key", "high"),
            "{file}: {found:?}"
        );
    }
    assert!(
        !found
            .iter()
            .any(|(p, _, r, _)| p == "h.py" && r.starts_with("binance-client")),
        "{found:?}"
    );
}

/// A Redis password in redis.conf (`requirepass`, `masterauth`) and on a
/// `redis-server --requirepass` command line (Compose, Dockerfile) is a
/// password by its directive, plain words included; Redis's own
/// commented `foobared`, environment references and a variable passed as
/// an argument are not.
#[test]
fn issue10_trial_redis_requirepass_in_config_and_command_lines() {
    let word = format!("{}42", fake("{{lower:9}}", "redis-word"));
    let random = fake("{{alnum:24}}", "redis-random");
    let dir = tree(&[
        (
            "redis.conf",
            &format!(
                "bind 0.0.0.0\n# requirepass foobared\nrequirepass {word}\nmasterauth \"{random}\"\n"
            ),
        ),
        (
            "docker-compose.yml",
            &format!(
                "services:\n  cache:\n    image: redis:7\n    command: redis-server --appendonly yes --requirepass {random}\n  other:\n    command: redis-server --requirepass ${{REDIS_PASSWORD}}\n"
            ),
        ),
        (
            "run.py",
            "subprocess.run([\"redis-server\", \"--requirepass\", password])\n",
        ),
    ]);
    let found = all_findings(dir.path());
    let lines = |file: &str| lines_of(&found, file, "redis-requirepass");
    assert_eq!(lines("redis.conf"), [3, 4], "{found:?}");
    assert_eq!(lines("docker-compose.yml"), [4], "{found:?}");
    assert!(!found.iter().any(|(p, ..)| p == "run.py"), "{found:?}");
    assert!(
        has(&found, "redis.conf", "redis-requirepass", "medium"),
        "{found:?}"
    );
}

/// Rules that go by a file's name (`.pgpass`, `.netrc`, Rails'
/// `master.key`) apply to standard input when `--stdin-name` says which
/// file it holds (`git show HEAD:.pgpass | keyhound scan - --stdin-name
/// .pgpass`); reports then name that file. Without `-` the option is an
/// error that says what to add.
#[test]
fn issue10_trial_stdin_named_as_a_credential_file() {
    let dir = tree(&[]);
    let line = format!(
        "db.prod-trading.net:5432:trading:bot:{}\n",
        fake("{{alnum:14}}", "pgpass-stdin")
    );
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--format", "json"];
        args.extend_from_slice(extra);
        run_stdin(dir.path(), &args, Some(line.as_bytes()))
    };
    let o = scan(&["-"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = scan(&["-", "--stdin-name", "./home/.pgpass"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(findings(&doc)[0]["rule_id"], "pgpass-password");
    assert_eq!(findings(&doc)[0]["path"], "home/.pgpass");
    let o = scan(&["--stdin-name", ".pgpass"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("add `-`"), "{}", stderr(&o));
}

/// The Redis rule, further (a new user's trial): argument lists (exec-form
/// `CMD`, Compose `command:` and Kubernetes `args:` as JSON arrays or YAML
/// lists) and Sentinel's `auth-pass`/`sentinel-pass` are found; the flag
/// named in prose, help texts and usage lines is not a password.
#[test]
fn issue10_trial_redis_argument_lists_and_sentinel_but_not_prose() {
    let pw = |s: &str| fake("{{alnum:24}}", s);
    let dir = tree(&[
        (
            "Dockerfile",
            &format!(
                "FROM redis:7\nCMD [\"redis-server\", \"--requirepass\", \"{}\"]\n",
                pw("d")
            ),
        ),
        (
            "deployment.yaml",
            &format!(
                "containers:\n  - name: redis\n    args: [\"--requirepass\", \"{}\"]\n  - name: replica\n    args:\n      - --masterauth\n      - {}\n",
                pw("k1"),
                pw("k2")
            ),
        ),
        (
            "sentinel.conf",
            &format!(
                "sentinel monitor mymaster 10.0.0.5 6379 2\nsentinel auth-pass mymaster {}\nsentinel sentinel-pass {}\n",
                pw("s1"),
                pw("s2")
            ),
        ),
        (
            "setup.sh",
            "# The --requirepass option sets the password; we pass it from the env.\n# Without --requirepass flag redis is open to anyone.\necho \"usage: start.sh [--requirepass value] [--port n]\"\n",
        ),
        (
            "helper.py",
            "HELP = \"--requirepass enables authentication for clients\"\n",
        ),
    ]);
    let found = all_findings(dir.path());
    let lines = |file: &str| lines_of(&found, file, "redis-requirepass");
    assert_eq!(lines("Dockerfile"), [2], "{found:?}");
    assert_eq!(lines("deployment.yaml"), [3, 7], "{found:?}");
    assert_eq!(lines("sentinel.conf"), [2, 3], "{found:?}");
    assert!(
        !found
            .iter()
            .any(|(p, ..)| p == "setup.sh" || p == "helper.py"),
        "{found:?}"
    );
}
