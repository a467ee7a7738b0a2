//! One secret at one place is one finding, whatever decoders found it
//! (issue 10, failing input 2): a Kubernetes Secret's `data:` value that is
//! a base64 PEM key is decoded by two decoders (base64 PEM armour, Secret
//! data), and was reported twice at the same place with the same
//! fingerprint in every format and in `scan --staged`.

mod common;

use common::git::Repo;
use common::*;
use keyhound::rules::examples::{base64_encode, expand};

fn manifest(kind: &str, seed: &str) -> String {
    let key = expand("{{pem-ed25519}}", &mut Fake::from_str_seed(seed));
    format!(
        "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: bot\ndata:\n  tls.key: {}\n",
        base64_encode(key.as_bytes())
    )
}

#[test]
fn issue10_f2_a_secret_data_pem_key_is_one_finding_in_every_format_and_mode() {
    let dir = tree(&[
        ("k8s/secret.yaml", &manifest("Secret", "f2-secret")),
        ("k8s/configmap.yaml", &manifest("ConfigMap", "f2-cm")),
    ]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let got = summary(&doc);
    assert_eq!(
        got,
        [
            ("k8s/configmap.yaml".into(), 6, "private-key-ed25519".into()),
            ("k8s/secret.yaml".into(), 6, "private-key-ed25519".into()),
        ],
        "{doc:#}"
    );
    let text = stdout(&run(dir.path(), &["scan", "--color", "never"]));
    assert_eq!(text.matches("k8s/secret.yaml:6:").count(), 1, "{text}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["scan", "--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    let github = stdout(&run(dir.path(), &["scan", "--format", "github"]));
    assert_eq!(
        github.matches("file=k8s/secret.yaml").count(),
        1,
        "{github}"
    );

    let repo = Repo::new();
    repo.write("secret.yaml", manifest("Secret", "f2-staged").as_bytes());
    repo.stage_all();
    let (code, doc) = scan_json(repo.path(), &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1, "{doc:#}");
}
