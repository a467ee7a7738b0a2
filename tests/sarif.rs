//! SARIF output validates against the OASIS SARIF 2.1.0 schema
//! (tests/data/sarif-schema-2.1.0.json, the published schema file).

mod common;

use common::*;

fn validate(doc: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).expect("schema parses");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_with_findings_validates_and_carries_rules_and_fingerprints() {
    let key = binance_key("sarif");
    let pem_body = Fake::from_str_seed("sarif-pem").string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        43,
    );
    let dir = tree(&[
        (
            "with space/bot.py",
            &format!("from binance.spot import Spot\napi_key = '{key}'\n"),
        ),
        (
            "keys/k.pem",
            &format!(
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI{pem_body}\n-----END PRIVATE KEY-----\n"
            ),
        ),
    ]);
    let o = run(dir.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate(&doc);
    let run0 = &doc["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "binance-api-key"));
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(r["partialFingerprints"]["keyhound/v1"].is_string());
        assert!(!r.to_string().contains(&key));
    }
    let uris: Vec<_> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"with%20space/bot.py"), "{uris:?}");
}

#[test]
fn sarif_without_findings_validates() {
    let dir = tree(&[("a.txt", "nothing here\n")]);
    let o = run(dir.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code(&o), 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate(&doc);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}
