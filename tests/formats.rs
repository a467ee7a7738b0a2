//! Issue 10, credential formats: framework signing secrets, legacy and
//! prefixed service tokens, connection strings and passwords in config
//! files, and the failing inputs 5 and 8 to 12. Every value is generated
//! at run time (`Fake`, `{{kind:N}}` templates): nothing secret-shaped is
//! committed.

mod common;

use common::*;
use keyhound::rules::examples::expand;

/// Django's `get_random_secret_key` alphabet.
const DJANGO: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";

/// Expands `{{kind:N}}` templates with a generator seeded by `seed`.
fn fill(seed: &str, template: &str) -> String {
    expand(template, &mut Fake::from_str_seed(seed))
}

/// Scans `files` (with `args`) and returns `(path, line, rule_id)` of
/// each finding.
fn found(files: &[(&str, &str)], args: &[&str]) -> Vec<(String, u64, String)> {
    let dir = tree(files);
    let (code, doc) = scan_json(dir.path(), args);
    assert!(code == 0 || code == 1, "exit {code}: {doc}");
    summary(&doc)
}

/// Asserts that each `(path, line, rule)` is found and nothing else is.
fn assert_exactly(files: &[(&str, &str)], expect: &[(&str, u64, &str)]) {
    assert_exactly_with(files, &[], expect)
}

/// [`assert_exactly`] with `args` (`--min-confidence low`).
fn assert_exactly_with(files: &[(&str, &str)], args: &[&str], expect: &[(&str, u64, &str)]) {
    let mut got = found(files, args);
    got.sort();
    let mut want: Vec<(String, u64, String)> = expect
        .iter()
        .map(|&(p, l, r)| (p.to_string(), l, r.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want, "files: {files:#?}");
}

/// `(path, text)` pairs as the slices [`found`] takes.
fn borrowed(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect()
}

/// Writes `word` over `key` at `at`, in the case pattern `case` picks
/// (lower, capitalised, alternating: a word in capitals inside a mixed-case
/// value is documentation's sample mark, AWS's `…EXAMPLE…`).
fn splice(key: &str, word: &str, at: usize, case: usize) -> String {
    let word: String = word
        .chars()
        .enumerate()
        .map(|(i, c)| match case % 3 {
            0 => c.to_ascii_lowercase(),
            1 if i == 0 => c.to_ascii_uppercase(),
            1 => c,
            _ if i % 2 == 0 => c.to_ascii_uppercase(),
            _ => c,
        })
        .collect();
    format!("{}{word}{}", &key[..at], &key[at + word.len()..])
}

#[test]
fn issue10_f9_placeholder_word_inside_a_generated_secret_does_not_drop_it() {
    // About 1 real secret in 5,000 holds one of these words somewhere in
    // its 64 characters; it must be reported like any other. A placeholder
    // that is the word or most of it stays quiet.
    let words = [
        "mock", "fake", "dummy", "example", "secret", "xxxx", "token",
    ];
    let mut files: Vec<(String, String)> = Vec::new();
    let mut expect: Vec<(String, u64, String)> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        for (j, at) in [8usize, 27, 50].into_iter().enumerate() {
            let case = i + j;
            let secret = splice(&binance_key(&format!("s{i}{j}")), word, at, case);
            let path = format!("bot{i}{j}/.env");
            files.push((
                path.clone(),
                format!(
                    "BINANCE_API_KEY={}\nBINANCE_API_SECRET={secret}\n",
                    binance_key(&format!("k{i}{j}"))
                ),
            ));
            expect.push((path.clone(), 1, "binance-api-key".into()));
            expect.push((path, 2, "binance-secret-key".into()));
            // The generic rule and its own `xxx` stopword.
            let token = splice(
                &Fake::from_str_seed(&format!("t{i}{j}")).alnum(40),
                word,
                18,
                case,
            );
            let path = format!("svc{i}{j}/config.yml");
            files.push((path.clone(), format!("service:\n  api_token: {token}\n")));
            expect.push((path, 2, "generic-secret".into()));
        }
    }
    // Placeholders: the word is the value or most of it.
    files.push((
        "placeholders/.env".into(),
        "BINANCE_API_SECRET=mock_binance_api_secret_for_unit_tests_only_0001\n\
         SERVICE_TOKEN=fake-token-xxxxxxxxxxxxxxxxxxxx-1\n\
         API_KEY=EXAMPLE1234EXAMPLE5678EXAMPLE90\n\
         AWS_SECRET_ACCESS_KEY=9drTJvcXLB89EXAMPLELB8923FB892xMFI\n"
            .into(),
    ));
    let refs = borrowed(&files);
    let mut got = found(&refs, &[]);
    got.sort();
    expect.sort();
    assert_eq!(got, expect);
}

#[test]
fn issue10_f8_a_file_name_key_in_a_checksums_manifest_is_not_a_credential() {
    let manifest = fill(
        "f8",
        "{\n  \"001_add_api_key.sql\": \"{{hex:64}}\",\n  \"002_add_secret_key.sql\": \"{{hex:64}}\",\n  \"003_private_key_index.sql\": \"{{hex:64}}\"\n}\n",
    );
    let real = fill("f8r", "{\n  \"api_secret\": \"{{hex:64}}\"\n}\n");
    assert_exactly(
        &[
            ("migrations/checksums.json", &manifest),
            ("config.json", &real),
        ],
        &[("config.json", 2, "generic-hex-secret")],
    );
}

#[test]
fn issue10_f10_xml_element_text_under_a_secret_name_is_checked() {
    let settings = fill(
        "f10",
        "<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n      <username>deploy</username>\n      <password>{{alnum:24}}</password>\n    </server>\n  </servers>\n</settings>\n",
    );
    let app = fill(
        "f10b",
        "<config>\n  <clientSecret>{{alnum:32}}</clientSecret>\n  <token>{{b64url:40}}</token>\n  <apiSecret>{{hex:64}}</apiSecret>\n  <clientId>{{alnum:24}}</clientId>\n</config>\n",
    );
    assert_exactly(
        &[("settings.xml", &settings), ("app.config.xml", &app)],
        &[
            ("settings.xml", 6, "generic-secret"),
            ("app.config.xml", 2, "generic-secret"),
            ("app.config.xml", 3, "generic-secret"),
            ("app.config.xml", 4, "generic-hex-secret"),
        ],
    );
}

#[test]
fn issue10_f11_a_connection_url_with_an_empty_user_name_is_reported() {
    let env = fill(
        "f11",
        "REDIS_URL=redis://:{{alnum:24}}@host:6379/0\nDATABASE_URL=postgres://:{{alnum:20}}@host/db\n",
    );
    assert_exactly(
        &[(".env", &env)],
        &[
            (".env", 1, "url-credentials"),
            (".env", 2, "url-credentials"),
        ],
    );
}

#[test]
fn issue10_f5_a_plain_password_for_a_real_host_is_a_finding() {
    // Plain words, generated: `testpass`, `word`, `hunter42`...
    let env = fill(
        "f5",
        "MONGO_URL=mongodb://testuser:test{{lower:4}}@ds012345.mlab-like-host.com:48537/app\n\
         APP_DB=mongodb://app:{{lower:4}}@db.example-cloud.net/prod\n\
         ATLAS=mongodb+srv://admin:{{lower:6}}{{digits:2}}@cluster0.q1w2e.mongodb.net/test\n\
         PG=postgresql+psycopg2://shop:{{lower:6}}@10.0.3.7:5432/shop\n\
         MQ=amqp://bot:{{lower:6}}{{digits:1}}@mq.trading-desk.io:5672/\n\
         MSSQL=mssql://sa:Winter{{digits:4}}@sql.corp-eu.net:1433/app\n",
    );
    // Documented dummies and local hosts stay quiet.
    let dummies = "A=postgres://user:password@localhost/db\n\
                   B=amqp://guest:guest@localhost:5672/\n\
                   C=postgres://app:${DB_PASS}@db.prod.net/app\n\
                   D=mongodb://app:word@mongo:27017/prod\n\
                   E=mysql://shop:tulips@db.example.com/shop\n\
                   F=redis://:changeme@cache.prod.net:6379\n\
                   G=mongodb://user:pass@cluster0.xxxxx.mongodb.net/test\n";
    let rule = "connection-string-password";
    assert_exactly(
        &[(".env", &env), ("docs/.env.sample", dummies)],
        &[
            (".env", 1, rule),
            (".env", 2, rule),
            (".env", 3, rule),
            (".env", 4, rule),
            (".env", 5, rule),
            (".env", 6, rule),
        ],
    );
}

#[test]
fn issue10_f12_a_user_rule_wins_over_the_generic_rule() {
    // README's example rule, as written there: the generic rule matches the
    // same `ACME_TOKEN=acme_…` lines (already so on main: this guards it).
    let config = "[[rule]]\nid = \"acme-token\"\ndescription = \"ACME deploy token\"\n\
                  severity = \"high\"\nkeywords = [\"acme_\"]\n\
                  regex = '''\\bacme_(?P<secret>[a-z0-9]{32})\\b'''\n\
                  examples = [\"ACME_TOKEN=acme_{{lower:32}}\"]\n";
    let value = Fake::from_str_seed("f12").alnum(32).to_ascii_lowercase();
    let env = format!("ACME_TOKEN=acme_{value}\n");
    let py = format!("acme_api_key = \"acme_{value}\"\n");
    assert_exactly(
        &[
            (".keyhound.toml", config),
            ("deploy.env", &env),
            ("app.py", &py),
        ],
        &[("deploy.env", 1, "acme-token"), ("app.py", 1, "acme-token")],
    );
}

#[test]
fn issue10_frameworks_signing_secrets_are_found_by_their_own_rules() {
    let wp = fill(
        "wp",
        "<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_PASSWORD', 'kT9#mQ2vLpz' );\n\
         define('AUTH_KEY',         '{{salt:64}}');\ndefine('SECURE_AUTH_KEY',  '{{salt:64}}');\n\
         define('LOGGED_IN_KEY',    '{{salt:64}}');\ndefine('NONCE_KEY',        '{{salt:64}}');\n\
         define('AUTH_SALT',        '{{salt:64}}');\ndefine('SECURE_AUTH_SALT', '{{salt:64}}');\n\
         define('LOGGED_IN_SALT',   '{{salt:64}}');\ndefine('NONCE_SALT',       '{{salt:64}}');\n",
    );
    let sample = "<?php\ndefine( 'DB_PASSWORD', 'password_here' );\n\
                  define( 'AUTH_KEY',         'put your unique phrase here' );\n";
    let laravel = fill(
        "laravel",
        "APP_NAME=Shop\nAPP_KEY=base64:{{b64of:alnum:32}}\nAPP_DEBUG=false\n",
    );
    let secrets = fill(
        "rails-skb",
        "development:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\nproduction:\n  secret_key_base: {{hex:128}}\n",
    );
    let flask = fill(
        "flask",
        "from flask import Flask\napp = Flask(__name__)\napp.secret_key = b'{{b64:24}}'\n",
    );
    // DB_PASSWORD's plain word is low confidence (--min-confidence low).
    let mut wp_expect = vec![];
    for line in 4..=11 {
        wp_expect.push(("wp-config.php", line, "wordpress-auth-key"));
    }
    wp_expect.extend([
        (".env", 2, "laravel-app-key"),
        ("config/secrets.yml", 4, "rails-secret-key-base"),
        ("app.py", 3, "flask-secret-key"),
    ]);
    assert_exactly(
        &[
            ("wp-config.php", &wp),
            ("wp-config-sample.php", sample),
            (".env", &laravel),
            ("config/secrets.yml", &secrets),
            ("app.py", &flask),
        ],
        &wp_expect,
    );
}

#[test]
fn issue10_frameworks_django_keys_in_every_alphabet_django_generates() {
    let mut files = Vec::new();
    for i in 0..300 {
        let mut fake = Fake::from_str_seed(&format!("django{i}"));
        let key = fake.string(DJANGO, 50);
        let text = if i % 2 == 0 {
            format!("SECRET_KEY = '{key}'\n")
        } else {
            format!("SECRET_KEY = \"django-insecure-{key}\"\n")
        };
        files.push((format!("site{i}/settings.py"), text));
    }
    let refs = borrowed(&files);
    let got = found(&refs, &[]);
    let missed: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| {
            !got.iter()
                .any(|(q, _, r)| q == p && r == "django-secret-key")
        })
        .collect();
    assert!(
        missed.is_empty(),
        "missed {} keys: {missed:#?}",
        missed.len()
    );
    assert_eq!(got.len(), files.len(), "{got:#?}");
}

#[test]
fn issue10_tokens_legacy_github_openai_project_and_slack_by_their_own_rules() {
    let hub = fill(
        "hub",
        "github.com:\n- user: octocat\n  oauth_token: {{hex:40}}\n  protocol: https\n",
    );
    let env = fill(
        "tokens",
        "HOMEBREW_GITHUB_API_TOKEN={{hex:40}}\n\
         OPENAI_API_KEY=sk-proj-{{b64url:74}}T3BlbkFJ{{b64url:74}}\n\
         OPENAI_KEY_2=sk-proj-{{b64url:156}}\n\
         SLACK_BOT_TOKEN=xoxb-{{digits:12}}-{{digits:13}}-{{alnum:24}}\n\
         SLACK_USER_TOKEN=xoxp-{{digits:10}}-{{digits:11}}-{{digits:13}}-{{hex:32}}\n\
         SLACK_APP_TOKEN=xapp-1-A{{upper:10}}-{{digits:13}}-{{hex:64}}\n\
         SLACK_LEGACY=xoxs-{{digits:4}}-{{digits:6}}-{{digits:12}}-{{hex:64}}\n\
         SLACK_REFRESH=xoxe-1-{{alnum:140}}\n\
         GITHUB_SHA={{hex:40}}\n",
    );
    assert_exactly(
        &[(".config/hub", &hub), ("ci.env", &env)],
        &[
            (".config/hub", 3, "github-token-legacy"),
            ("ci.env", 1, "github-token-legacy"),
            ("ci.env", 2, "openai-api-key"),
            ("ci.env", 3, "openai-api-key"),
            ("ci.env", 4, "slack-token"),
            ("ci.env", 5, "slack-token"),
            ("ci.env", 6, "slack-token"),
            ("ci.env", 7, "slack-token"),
            ("ci.env", 8, "slack-token"),
        ],
    );
}

#[test]
fn issue10_passwords_in_config_files_and_their_look_alikes() {
    let files = [
        (".env", "DB_HOST=db\nDB_PASSWORD=trader2024\nDB_PASS=\n"),
        (
            "config.php",
            "<?php\n$dbhost = 'localhost';\n$dbpasswd = 'qwerty77';\n$dbpass = getenv('DB_PASS');\n",
        ),
        (
            "appsettings.json",
            "{\n  \"Db\": {\n    \"User\": \"app\",\n    \"password\": \"Sunflower88\"\n  }\n}\n",
        ),
        (
            "config.ini",
            "[database]\nuser = app\npassword = hunter42\n[cache]\npassword = %(cache_password)s\n",
        ),
        (
            "config.yml",
            "db:\n  password: bluebird9\nsmtp:\n  password: ${SMTP_PASSWORD}\nldap:\n  password: \"********\"\n",
        ),
        (
            "settings.xml",
            "<settings><servers><server>\n<password>tulips2020</password>\n</server></servers></settings>\n",
        ),
        (
            "conf/app.conf",
            "password = os.environ[\"DB_PASSWORD\"]\npassword = self.password\npassword_hash = bcrypt(pw)\nbypass = enabled\n",
        ),
        // Source code and test fixtures: a ccxt passphrase, test data.
        (
            "bot.py",
            "okx = ccxt.okx({'password': 'Tr4d1ng-Passphrase'})\n",
        ),
        ("tests/fixtures/db.yml", "password: fixture99\n"),
        (
            "web/locales/de.json",
            "{\n  \"password\": \"Kennwort\"\n}\n",
        ),
    ];
    let rule = "password-assignment";
    // Plain-word passwords are low confidence: shown on request only.
    assert_exactly(&files, &[]);
    assert_exactly_with(
        &files,
        &["--min-confidence", "low"],
        &[
            (".env", 2, rule),
            ("config.php", 3, rule),
            ("appsettings.json", 4, rule),
            ("config.ini", 3, rule),
            ("config.yml", 2, rule),
            ("settings.xml", 2, rule),
        ],
    );
}
