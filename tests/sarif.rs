//! SARIF output, read back through serde-sarif's typed model of SARIF 2.1.0
//! (generated from the OASIS schema), plus what code scanning relies on:
//! relative URIs, fingerprints, rules and their indices, the column unit,
//! levels. The full schema check is a measurement (docs/benchmarks.md): the
//! schema is a third-party file and stays out of this repository.

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;

use common::*;
use serde_sarif::sarif::{ResultColumnKind, ResultLevel, Sarif, Version};

/// Parses a SARIF report into the typed model. serde-sarif ignores fields
/// it does not know, so the model serialised back must give the same
/// document: every field keyhound writes is a SARIF field of its type.
fn typed(raw: &serde_json::Value) -> Result<Sarif, String> {
    let sarif: Sarif = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&sarif).map_err(|e| e.to_string())?;
    if &back != raw {
        return Err(format!("fields the SARIF model does not have:\n{raw:#}"));
    }
    Ok(sarif)
}

fn sarif_of(dir: &std::path::Path) -> (i32, serde_json::Value, Sarif) {
    let o = run(dir, &["scan", "--format", "sarif"]);
    let raw: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sarif = typed(&raw).unwrap_or_else(|e| panic!("not SARIF 2.1.0: {e}"));
    (code(&o), raw, sarif)
}

/// `%XX` escapes decoded.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn leaking_tree() -> (tempfile::TempDir, String) {
    let key = binance_key("sarif");
    let pem_body = Fake::from_str_seed("sarif-pem").string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        43,
    );
    let token = Fake::from_str_seed("sarif-generic").alnum(40);
    let dir = tree(&[
        (
            "with space/bot.py",
            // A character outside the BMP before the key: one code point,
            // two UTF-16 code units.
            &format!("from binance.spot import Spot\nlabel = \"\u{1F511}\"; api_key = '{key}'\n"),
        ),
        (
            "keys/k.pem",
            &format!(
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI{pem_body}\n-----END PRIVATE KEY-----\n"
            ),
        ),
        ("settings.py", &format!("DB_TOKEN = \"{token}\"\n")),
    ]);
    (dir, key)
}

#[test]
fn sarif_with_findings_is_typed_sarif_that_code_scanning_can_place() {
    let (dir, key) = leaking_tree();
    let (status, raw, sarif) = sarif_of(dir.path());
    assert_eq!(status, 1);
    assert!(!raw.to_string().contains(&key));
    assert!(matches!(
        serde_json::from_value::<Version>(sarif.version.clone()),
        Ok(Version::V2_1_0)
    ));
    let (_, doc) = scan_json(dir.path(), &[]);
    let json_findings = findings(&doc);

    assert_eq!(sarif.runs.len(), 1);
    let run0 = &sarif.runs[0];
    let kind = run0.column_kind.as_ref().and_then(|v| v.as_str()).unwrap();
    assert!(matches!(
        ResultColumnKind::from_str(kind),
        Ok(ResultColumnKind::UnicodeCodePoints)
    ));

    // Every rule in effect, in order, each with a default level.
    let rules = run0.tool.driver.rules.as_ref().unwrap();
    let listed = run(dir.path(), &["rules", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let listed_ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, listed_ids);
    for r in rules {
        let level = r
            .default_configuration
            .as_ref()
            .and_then(|c| c.level.clone())
            .unwrap();
        serde_json::from_value::<ResultLevel>(level).unwrap();
    }

    let results = run0.results.as_ref().unwrap();
    assert_eq!(results.len(), json_findings.len());
    assert_eq!(results.len(), 3);
    let mut levels = BTreeMap::new();
    for (r, f) in results.iter().zip(json_findings) {
        let rule_id = r.rule_id.as_deref().unwrap();
        assert_eq!(rule_id, f["rule_id"].as_str().unwrap());
        let index = usize::try_from(r.rule_index.unwrap()).unwrap();
        assert_eq!(rules[index].id, rule_id);

        let want = match f["severity"].as_str().unwrap() {
            "critical" | "high" => ResultLevel::Error,
            "medium" => ResultLevel::Warning,
            _ => ResultLevel::Note,
        };
        assert_eq!(r.level, Some(want), "{rule_id}");
        levels.insert(format!("{want:?}"), ());

        let fingerprints = r.partial_fingerprints.as_ref().unwrap();
        assert_eq!(
            fingerprints.get("keyhound/v1").map(String::as_str),
            f["fingerprint"].as_str()
        );

        let location = r.locations.as_ref().unwrap()[0]
            .physical_location
            .as_ref()
            .unwrap();
        let uri = location
            .artifact_location
            .as_ref()
            .unwrap()
            .uri
            .as_deref()
            .unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains(':') && !uri.contains(' '),
            "not a relative URI reference: {uri}"
        );
        assert_eq!(percent_decode(uri), f["path"].as_str().unwrap());
        let region = location.region.as_ref().unwrap();
        assert_eq!(region.start_line, f["line"].as_i64());
        assert_eq!(region.start_column, f["column"].as_i64());
    }
    assert!(levels.len() >= 2, "{levels:?}");

    // Columns count code points: after the key emoji, the key starts at
    // character 25 (26 in UTF-16 code units).
    let bot = results
        .iter()
        .find(|r| r.rule_id.as_deref() == Some("binance-api-key"))
        .unwrap();
    let region = bot.locations.as_ref().unwrap()[0]
        .physical_location
        .as_ref()
        .unwrap()
        .region
        .as_ref()
        .unwrap();
    assert_eq!(region.start_column, Some(25));
}

#[test]
fn sarif_without_findings_is_typed_sarif() {
    let dir = tree(&[("a.txt", "nothing here\n")]);
    let (status, _, sarif) = sarif_of(dir.path());
    assert_eq!(status, 0);
    assert_eq!(sarif.runs[0].results.as_ref().map(Vec::len), Some(0));
}

#[test]
fn issue8_17_no_copy_of_the_sarif_schema_is_in_the_repository() {
    // Broke: tests/data held the OASIS SARIF schema, a third-party file.
    // SARIF is checked through serde-sarif here, and against the schema
    // only when measuring.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let copies: Vec<_> = std::fs::read_dir(&data)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.to_ascii_lowercase().contains("schema"))
        .collect();
    assert!(copies.is_empty(), "{copies:?} in {}", data.display());
}

#[test]
fn issue8_17_the_typed_check_rejects_malformed_sarif() {
    // What the SARIF check above relies on: the typed model refuses a bad
    // level or a ruleIndex of the wrong type, and the round trip catches a
    // misspelled field that serde-sarif alone would skip.
    let (dir, _) = leaking_tree();
    let (_, raw, _) = sarif_of(dir.path());
    let mut bad_level = raw.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(typed(&bad_level).is_err());
    let mut bad_index = raw.clone();
    bad_index["runs"][0]["results"][0]["ruleIndex"] = "0".into();
    assert!(typed(&bad_index).is_err());
    let mut misspelled = raw.clone();
    let result = misspelled["runs"][0]["results"][0].as_object_mut().unwrap();
    let fingerprints = result.remove("partialFingerprints").unwrap();
    result.insert("partialFingerprint".into(), fingerprints);
    assert!(typed(&misspelled).is_err());
    assert!(typed(&raw).is_ok());
}
