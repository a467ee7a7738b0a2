//! Issue 10, "Credential files and formats": files whose format says what
//! is secret, each written under its real name in its real format and
//! scanned by the real binary. Values are generated at run time.

mod common;

use common::git::Repo;
use common::sqlite::{Table, database};
use common::*;
use keyhound::rules::examples::base64_encode;

/// A fake password of `n` letters and digits.
fn pw(seed: &str, n: usize) -> String {
    Fake::from_str_seed(seed).alnum(n)
}

/// Writes `files` (path, bytes) and scans the directory: exit code and
/// `(path, rule_id, severity)` of each finding.
fn scan_files(files: &[(&str, &[u8])]) -> (i32, Vec<(String, String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    for (path, data) in files {
        write(dir.path(), path, data);
    }
    let (code, doc) = scan_json(dir.path(), &["."]);
    let found = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, found)
}

fn scan_text(files: &[(&str, &str)]) -> (i32, Vec<(String, String, String)>) {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    scan_files(&bytes)
}

/// The rule ids found in `path`.
fn rules_in(found: &[(String, String, String)], path: &str) -> Vec<String> {
    found
        .iter()
        .filter(|(p, _, _)| p == path)
        .map(|(_, r, _)| r.clone())
        .collect()
}

#[test]
fn issue10_netrc_machine_login_password_is_reported_and_placeholders_are_not() {
    let netrc = format!(
        "machine api.heroku.com\n  login deploy@acme.io\n  password {}\nmachine github.com login ci password ${{GH_TOKEN}}\n",
        pw("netrc", 24)
    );
    let (code, found) = scan_text(&[
        (".netrc", &netrc),
        (
            "home/_netrc",
            "machine ftp.acme.io login me password ****\n",
        ),
    ]);
    assert_eq!(code, 1);
    assert_eq!(rules_in(&found, ".netrc"), ["netrc-password"]);
    assert!(rules_in(&found, "home/_netrc").is_empty(), "{found:?}");
}

#[test]
fn issue10_pgpass_line_is_a_password_only_in_a_pgpass_file() {
    let line = format!(
        "db.internal.acme.io:5432:orders:app_rw:{}\n",
        pw("pgpass", 20)
    );
    let (_, found) = scan_text(&[
        (
            ".pgpass",
            &format!("# hostname:port:database:username:password\n{line}"),
        ),
        ("conf/pgpass.conf", &line),
        ("notes.txt", &line),
        ("other/.pgpass", "localhost:5432:mydb:me:${PGPASSWORD}\n"),
    ]);
    assert_eq!(rules_in(&found, ".pgpass"), ["pgpass-password"]);
    assert_eq!(rules_in(&found, "conf/pgpass.conf"), ["pgpass-password"]);
    assert!(rules_in(&found, "notes.txt").is_empty(), "{found:?}");
    assert!(rules_in(&found, "other/.pgpass").is_empty(), "{found:?}");
}

#[test]
fn issue10_git_credentials_store_lines_are_reported() {
    let store = format!(
        "https://octocat:{}@github.com\nhttps://username:password@example.com\n",
        pw("gitcred", 40)
    );
    let (_, found) = scan_text(&[(".git-credentials", &store)]);
    assert_eq!(rules_in(&found, ".git-credentials"), ["git-credentials"]);
}

#[test]
fn issue10_docker_auth_is_decoded_and_must_be_user_password() {
    let login = base64_encode(format!("deploy:{}", pw("docker", 20)).as_bytes());
    let token_only = base64_encode(pw("docker-token", 30).as_bytes());
    let config = format!(
        "{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t\"auth\": \"{login}\"\n\t\t}},\n\t\t\"ghcr.io\": {{\n\t\t\t\"auth\": \"{token_only}\"\n\t\t}}\n\t}}\n}}\n"
    );
    let dockercfg = format!(
        "{{\"registry.acme.io\": {{\"auth\": \"{login}\", \"email\": \"ops@acme.io\"}}}}\n"
    );
    let sample = base64_encode(b"username:password");
    let (_, found) = scan_text(&[
        (".docker/config.json", &config),
        (".dockercfg", &dockercfg),
        (
            "docs/config.json",
            &format!("{{\"auths\": {{\"r\": {{\"auth\": \"{sample}\"}}}}}}\n"),
        ),
    ]);
    assert_eq!(
        rules_in(&found, ".docker/config.json"),
        ["docker-config-auth"]
    );
    assert_eq!(rules_in(&found, ".dockercfg"), ["docker-config-auth"]);
    assert!(rules_in(&found, "docs/config.json").is_empty(), "{found:?}");
}

/// The `.dockerconfigjson` of a Kubernetes pull secret is a base64 Docker
/// config: decoded, its `auth` is decoded and checked in turn.
#[test]
fn issue10_docker_auth_inside_a_kubernetes_pull_secret_is_reported() {
    let login = base64_encode(format!("robot$ci:{}", pw("k8s-docker", 20)).as_bytes());
    let config = format!("{{\"auths\":{{\"registry.acme.io\":{{\"auth\":\"{login}\"}}}}}}");
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
        base64_encode(config.as_bytes())
    );
    let (_, found) = scan_text(&[("k8s/regcred.yaml", &secret)]);
    assert_eq!(rules_in(&found, "k8s/regcred.yaml"), ["docker-config-auth"]);
}

#[test]
fn issue10_npmrc_auth_token_uuid_auth_and_password_are_reported() {
    let mut f = Fake::from_str_seed("npmrc");
    let npmrc = format!(
        "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={}\n//nexus.acme.io/repository/npm/:_auth={}\n//nexus.acme.io/repository/npm/:username=deploy\n//nexus.acme.io/repository/npm/:_password={}\n//npm.pkg.github.com/:_authToken=${{NODE_AUTH_TOKEN}}\n",
        f.uuid(),
        base64_encode(format!("deploy:{}", pw("npm-auth", 16)).as_bytes()),
        base64_encode(pw("npm-pass", 16).as_bytes()),
    );
    let (_, found) = scan_text(&[(".npmrc", &npmrc)]);
    assert_eq!(
        rules_in(&found, ".npmrc"),
        ["npmrc-auth-token", "npmrc-auth", "npmrc-password"]
    );
}

#[test]
fn issue10_pypirc_password_is_reported_in_a_pypirc_only() {
    let pypirc = |seed: &str| {
        format!(
            "[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.acme.io/simple\nusername = deploy\npassword = {}\n",
            pw(seed, 18)
        )
    };
    // (A secret is labelled with its most specific rule across the whole
    // scan: the copy in setup.cfg holds a password of its own.)
    let (_, found) = scan_text(&[
        (".pypirc", &pypirc("pypirc")),
        ("setup.cfg", &pypirc("setup.cfg")),
        (
            "ci/.pypirc",
            "[pypi]\nusername = __token__\npassword = ${PYPI_TOKEN}\n",
        ),
    ]);
    assert_eq!(rules_in(&found, ".pypirc"), ["pypirc-password"]);
    assert!(rules_in(&found, "ci/.pypirc").is_empty(), "{found:?}");
    assert!(
        !rules_in(&found, "setup.cfg").contains(&"pypirc-password".to_string()),
        "{found:?}"
    );
}

/// A PuTTY key file of the given version and encryption, base64 lines
/// generated from `seed`.
fn ppk(version: u8, encryption: &str, seed: &str) -> String {
    let mut f = Fake::from_str_seed(seed);
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let kdf = if encryption == "none" {
        String::new()
    } else {
        format!(
            "Key-Derivation: Argon2id\r\nArgon2-Memory: 8192\r\nArgon2-Passes: 21\r\nArgon2-Parallelism: 1\r\nArgon2-Salt: {}\r\n",
            f.string(b"0123456789abcdef", 32)
        )
    };
    format!(
        "PuTTY-User-Key-File-{version}: ssh-rsa\r\nEncryption: {encryption}\r\nComment: rsa-key-20240301\r\nPublic-Lines: 2\r\nAAAAB3NzaC1yc2EAAAABJQAAAQEA{}\r\n{}\r\n{kdf}Private-Lines: 3\r\n{}\r\n{}\r\n{}\r\nPrivate-MAC: {}\r\n",
        f.string(b64, 36),
        f.string(b64, 64),
        f.string(b64, 64),
        f.string(b64, 64),
        f.string(b64, 20),
        f.string(b"0123456789abcdef", 40)
    )
}

#[test]
fn issue10_ppk_unencrypted_is_critical_and_encrypted_is_medium() {
    let (_, found) = scan_text(&[
        ("keys/server.ppk", &ppk(2, "none", "ppk2")),
        ("keys/v3.ppk", &ppk(3, "none", "ppk3")),
        ("keys/locked.ppk", &ppk(3, "aes256-cbc", "ppk3e")),
    ]);
    for path in ["keys/server.ppk", "keys/v3.ppk"] {
        let f: Vec<_> = found.iter().filter(|(p, _, _)| p == path).collect();
        assert_eq!(f.len(), 1, "{found:?}");
        assert_eq!(
            (f[0].1.as_str(), f[0].2.as_str()),
            ("putty-private-key", "critical")
        );
    }
    let f: Vec<_> = found
        .iter()
        .filter(|(p, _, _)| p == "keys/locked.ppk")
        .collect();
    assert_eq!(f.len(), 1, "{found:?}");
    assert_eq!(
        (f[0].1.as_str(), f[0].2.as_str()),
        ("putty-private-key-encrypted", "medium")
    );
}

#[test]
fn issue10_filezilla_pass_plain_and_base64_are_reported() {
    let sites = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FileZilla3 version=\"3.66.1\" platform=\"windows\">\n\t<Servers>\n\t\t<Server>\n\t\t\t<Host>ftp.acme-hosting.net</Host>\n\t\t\t<Port>21</Port>\n\t\t\t<Protocol>0</Protocol>\n\t\t\t<Type>0</Type>\n\t\t\t<User>webmaster</User>\n\t\t\t<Pass encoding=\"base64\">{}</Pass>\n\t\t\t<Logontype>1</Logontype>\n\t\t</Server>\n\t\t<Server>\n\t\t\t<Host>10.0.0.7</Host>\n\t\t\t<Port>21</Port>\n\t\t\t<User>backup</User>\n\t\t\t<Pass>{}</Pass>\n\t\t</Server>\n\t\t<Server>\n\t\t\t<Host>ftp.acme.io</Host>\n\t\t\t<User>anon</User>\n\t\t\t<Pass encoding=\"base64\" />\n\t\t</Server>\n\t</Servers>\n</FileZilla3>\n",
        base64_encode(pw("fz-b64", 16).as_bytes()),
        pw("fz-plain", 14)
    );
    let (_, found) = scan_text(&[("AppData/Roaming/FileZilla/sitemanager.xml", &sites)]);
    assert_eq!(
        rules_in(&found, "AppData/Roaming/FileZilla/sitemanager.xml"),
        ["filezilla-password-base64", "filezilla-password"]
    );
}

#[test]
fn issue10_dbeaver_data_sources_password_and_credentials_config_are_reported() {
    let sources = format!(
        "{{\n\t\"folders\": {{}},\n\t\"connections\": {{\n\t\t\"postgres-jdbc-18c2\": {{\n\t\t\t\"provider\": \"postgresql\",\n\t\t\t\"name\": \"orders\",\n\t\t\t\"save-password\": true,\n\t\t\t\"configuration\": {{\n\t\t\t\t\"host\": \"db.acme.io\",\n\t\t\t\t\"port\": \"5432\",\n\t\t\t\t\"user\": \"app\",\n\t\t\t\t\"password\": \"{}\",\n\t\t\t\t\"auth-model\": \"native\"\n\t\t\t}}\n\t\t}}\n\t}}\n}}\n",
        pw("dbeaver", 16)
    );
    // An IV and three AES blocks, as DBeaver writes credentials-config.json.
    let mut f = Fake::from_str_seed("dbeaver-creds");
    let encrypted: Vec<u8> = (0..64)
        .map(|_| f.string(b"0123456789abcdef", 2))
        .map(|h| u8::from_str_radix(&h, 16).unwrap() | 0x80)
        .collect();
    let (_, found) = scan_files(&[
        (".dbeaver/data-sources.json", sources.as_bytes()),
        (".dbeaver/credentials-config.json", &encrypted),
        ("src/credentials-config.json", b"{\"user\": \"app\"}\n"),
    ]);
    assert_eq!(
        rules_in(&found, ".dbeaver/data-sources.json"),
        ["dbeaver-data-source-password"]
    );
    assert_eq!(
        rules_in(&found, ".dbeaver/credentials-config.json"),
        ["dbeaver-credentials"]
    );
    assert!(rules_in(&found, "src/credentials-config.json").is_empty());
}

#[test]
fn issue10_jetbrains_webservers_password_is_reported() {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<application>\n  <component name=\"WebServers\">\n    <option name=\"servers\">\n      <webServer id=\"{}\" name=\"production\" url=\"http://acme.io\">\n        <fileTransfer host=\"ftp.acme.io\" port=\"21\" rootFolder=\"/www\" accessType=\"FTP\" login=\"deploy\" password=\"{}\" />\n      </webServer>\n    </option>\n  </component>\n</application>\n",
        Fake::from_str_seed("jb-id").uuid(),
        Fake::from_str_seed("jb").string(b"0123456789abcdef", 48)
    );
    let (_, found) = scan_text(&[(".idea/WebServers.xml", &xml)]);
    assert_eq!(
        rules_in(&found, ".idea/WebServers.xml"),
        ["jetbrains-webserver-password"]
    );
}

#[test]
fn issue10_sftp_editor_deployment_configs_are_reported() {
    let json = |name: &str, seed: &str| {
        format!(
            "{{\n    \"type\": \"sftp\",\n    \"host\": \"web1.acme.io\",\n    \"user\": \"deploy\",\n    \"{name}\": \"{}\",\n    \"remote_path\": \"/var/www/\"\n}}\n",
            pw(seed, 14)
        )
    };
    let files = [
        ("sftp-config.json", json("password", "sublime")),
        (".vscode/sftp.json", json("password", "vscode")),
        (".ftpconfig", json("pass", "atom")),
        (".remote-sync.json", json("password", "remote-sync")),
        ("deployment-config.json", json("password", "deployment")),
    ];
    let text: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (_, found) = scan_text(&text);
    for (path, _) in &files {
        assert_eq!(
            rules_in(&found, path),
            ["sftp-config-password"],
            "{path}: {found:?}"
        );
    }
    // Sublime SFTP's template, its defaults commented out.
    let (code, found) = scan_text(&[(
        "sftp-config.json",
        "{\n    \"type\": \"sftp\",\n    \"host\": \"example.com\",\n    \"user\": \"username\",\n    //\"password\": \"password\",\n}\n",
    )]);
    assert_eq!((code, found.len()), (0, 0), "{found:?}");
}

#[test]
fn issue10_mongodb_gui_robo3t_and_compass_exports_are_reported() {
    let robo = format!(
        "{{\n    \"connections\": [\n        {{\n            \"configVersion\": 2,\n            \"connectionName\": \"prod\",\n            \"credentials\": [\n                {{\n                    \"databaseName\": \"admin\",\n                    \"enabled\": true,\n                    \"mechanism\": \"SCRAM-SHA-1\",\n                    \"userName\": \"root\",\n                    \"userPassword\": \"{}\"\n                }}\n            ],\n            \"serverHost\": \"mongo.acme.io\",\n            \"serverPort\": 27017\n        }}\n    ]\n}}\n",
        pw("robo", 16)
    );
    let compass = format!(
        "{{\"type\":\"Compass Connections\",\"version\":{{\"$numberInt\":\"1\"}},\"connections\":[{{\"id\":\"{}\",\"connectionOptions\":{{\"connectionString\":\"mongodb://app:{}@mongo.acme.io:27017/?authSource=admin\"}},\"favorite\":{{\"name\":\"prod\"}}}}]}}\n",
        Fake::from_str_seed("compass-id").uuid(),
        pw("compass", 16)
    );
    let (_, found) = scan_text(&[
        (".3T/robo-3t/1.4.4/robo3t.json", &robo),
        ("compass-connections.json", &compass),
    ]);
    assert_eq!(
        rules_in(&found, ".3T/robo-3t/1.4.4/robo3t.json"),
        ["robo3t-password"]
    );
    assert_eq!(
        rules_in(&found, "compass-connections.json"),
        ["mongodb-compass-connection"]
    );
}

#[test]
fn issue10_shadow_and_htpasswd_hash_lines_are_medium() {
    let mut f = Fake::from_str_seed("hashes");
    let crypt = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let shadow = format!(
        "root:$6${}${}:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\nnobody:!:19700:0:99999:7:::\n",
        f.string(crypt, 16),
        f.string(crypt, 86)
    );
    let htpasswd = format!(
        "admin:$apr1${}${}\ndeploy:$2y$10${}\n",
        f.string(crypt, 8),
        f.string(crypt, 22),
        f.string(crypt, 53)
    );
    let (_, found) = scan_text(&[("etc/shadow", &shadow), ("public/.htpasswd", &htpasswd)]);
    let hashes: Vec<_> = found
        .iter()
        .map(|(p, r, s)| (p.as_str(), r.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        hashes,
        [
            ("etc/shadow", "password-hash-line", "medium"),
            ("public/.htpasswd", "password-hash-line", "medium"),
            ("public/.htpasswd", "password-hash-line", "medium"),
        ]
    );
}

#[test]
fn issue10_firefox_logins_json_and_its_key4_db_are_both_reported() {
    let mut f = Fake::from_str_seed("firefox");
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let logins = format!(
        "{{\"nextId\":2,\"logins\":[{{\"id\":1,\"hostname\":\"https://admin.acme.io\",\"httpRealm\":null,\"formSubmitURL\":\"https://admin.acme.io\",\"usernameField\":\"user\",\"passwordField\":\"pass\",\"encryptedUsername\":\"MDoEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECL{}\",\"encryptedPassword\":\"MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECC{}\",\"encType\":1}}],\"version\":3}}\n",
        f.string(b64, 24),
        f.string(b64, 40)
    );
    let key4 = database(&[
        Table::text(
            "metaData",
            &["id", "item1", "item2"],
            &[&["password", "salt", "check"]],
        ),
        Table::text("nssPrivate", &["id", "a0", "a11"], &[&["1", "x", "y"]]),
    ]);
    let profile = "home/me/.mozilla/firefox/x1y2z3.default-release";
    let (_, found) = scan_files(&[
        (&format!("{profile}/logins.json"), logins.as_bytes()),
        (&format!("{profile}/key4.db"), &key4),
        ("backup/other.db", &key4),
    ]);
    assert_eq!(
        rules_in(&found, &format!("{profile}/logins.json")),
        ["firefox-logins"]
    );
    assert_eq!(
        rules_in(&found, &format!("{profile}/key4.db")),
        ["firefox-key-database"]
    );
    assert!(rules_in(&found, "backup/other.db").is_empty(), "{found:?}");
}

/// Path-scoped rules see the paths of history and of the index too, which
/// are `/`-separated and relative to the repository.
#[test]
fn issue10_scoped_rules_apply_in_history_and_staged_scans() {
    let line = format!("db.acme.io:5432:orders:app:{}\n", pw("pgpass-git", 20));
    let mut repo = Repo::new();
    repo.commit_files(
        &[("ops/.pgpass", &line), ("ops/notes.txt", &line)],
        "add ops",
    );
    let o = run(repo.path(), &["git", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<_> = summary(&doc).into_iter().map(|(p, _, r)| (p, r)).collect();
    assert_eq!(
        got,
        [("ops/.pgpass".to_string(), "pgpass-password".to_string())]
    );

    let repo = Repo::new();
    repo.write(
        "deploy/.git-credentials",
        format!("https://ci:{}@git.acme.io\n", pw("staged", 32)).as_bytes(),
    );
    repo.stage("deploy/.git-credentials");
    let (code, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!(code, 1);
    let got: Vec<_> = summary(&doc).into_iter().map(|(p, _, r)| (p, r)).collect();
    assert_eq!(
        got,
        [(
            "deploy/.git-credentials".to_string(),
            "git-credentials".to_string()
        )]
    );
}

/// `paths` is open to a user's rules: a keyword-less rule runs on the files
/// its globs name and no other; a bad glob stops the scan with its rule.
#[test]
fn issue10_paths_scope_a_user_rule_and_a_bad_glob_is_an_error() {
    let cfg = "[[rule]]\nid = \"acme-vault\"\ndescription = \"ACME vault file\"\nseverity = \"high\"\npaths = [\"**/*.acmevault\"]\nregex = '^(?P<secret>[A-Za-z0-9]{24})$'\n";
    let value = pw("acmevault", 24);
    let dir = tree(&[
        (".keyhound.toml", cfg),
        ("ops/prod.acmevault", &format!("{value}\n")),
        ("ops/notes.txt", &format!("{value}\n")),
    ]);
    let (code, doc) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    let got: Vec<_> = summary(&doc).into_iter().map(|(p, _, r)| (p, r)).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].0.ends_with("ops/prod.acmevault") && got[0].1 == "acme-vault",
        "{got:?}"
    );

    let bad = tree(&[(
        ".keyhound.toml",
        &cfg.replace("**/*.acmevault", "**/[.acmevault"),
    )]);
    let o = run(bad.path(), &["scan"]);
    assert_eq!(common::code(&o), 2);
    assert!(
        stderr(&o).contains("rule `acme-vault`") && stderr(&o).contains("paths"),
        "{}",
        stderr(&o)
    );

    // The file name is the keyword: both at once would leave the keywords
    // unused, so it is an error that says so.
    let both = tree(&[(
        ".keyhound.toml",
        &cfg.replace("paths =", "keywords = [\"acme\"]\npaths ="),
    )]);
    let o = run(both.path(), &["scan"]);
    assert_eq!(common::code(&o), 2);
    assert!(stderr(&o).contains("takes no `keywords`"), "{}", stderr(&o));
}
