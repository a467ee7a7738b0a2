//! The GitHub Action's definition: `action.yml` parsed as YAML (the step
//! conditions that matter), the README's workflow snippet, and the
//! `--report` option the action's scan relies on. The scripts the action
//! runs are tested in tests/action.rs and tests/action_outputs.rs.

mod common;

use std::path::Path;

use common::*;
use yaml_rust2::{Yaml, YamlLoader};

fn leak(seed: &str) -> String {
    format!("BINANCE_API_SECRET={}\n", binance_key(seed))
}

fn uses(step: &Yaml, action: &str) -> bool {
    str_of(step, "uses").starts_with(&format!("{action}@"))
}

// --- action.yml -------------------------------------------------------------

fn action_yml() -> Yaml {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    YamlLoader::load_from_str(&text)
        .expect("action.yml parses")
        .remove(0)
}

fn steps(action: &Yaml) -> Vec<Yaml> {
    action["runs"]["steps"]
        .as_vec()
        .expect("runs.steps")
        .clone()
}

fn str_of<'a>(y: &'a Yaml, key: &str) -> &'a str {
    y[key].as_str().unwrap_or("")
}

/// The index of the first step for which `pred` holds.
fn position(steps: &[Yaml], what: &str, pred: impl Fn(&Yaml) -> bool) -> usize {
    steps
        .iter()
        .position(pred)
        .unwrap_or_else(|| panic!("action.yml has no step that {what}"))
}

#[test]
fn issue8_14_action_uploads_only_what_a_completed_scan_wrote() {
    // Before: `inputs.sarif == 'true' && always()`, so the upload ran after
    // a failed build, and after a scan that wrote no SARIF.
    let steps = steps(&action_yml());
    let upload = position(&steps, "uploads SARIF", |s| {
        uses(s, "github/codeql-action/upload-sarif")
    });
    let cond = str_of(&steps[upload], "if");
    assert!(
        cond.contains("steps.scan.outputs.sarif-upload == 'true'"),
        "{cond}"
    );
    assert!(
        cond.contains("!cancelled()") && !cond.contains("always()"),
        "{cond}"
    );
    assert_eq!(
        str_of(&steps[upload]["with"], "sarif_file"),
        "${{ steps.scan.outputs.sarif-file }}"
    );
    // The scan step, which sets sarif-upload, runs the tested script and is
    // told the event's values, among them whether a pull request comes from
    // a fork.
    let scan = position(&steps, "has id scan", |s| str_of(s, "id") == "scan");
    assert!(scan < upload);
    assert!(str_of(&steps[scan], "run").contains("scripts/action/scan.sh"));
    let env = &steps[scan]["env"];
    assert_eq!(
        str_of(env, "PR_HEAD_REPO"),
        "${{ github.event.pull_request.head.repo.full_name }}"
    );
    assert_eq!(
        str_of(env, "DEFAULT_BRANCH"),
        "${{ github.event.repository.default_branch }}"
    );
    assert_eq!(str_of(env, "PUSH_BEFORE"), "${{ github.event.before }}");
}

#[test]
fn issue8_14_action_builds_locked_and_caches_the_binary_by_action_ref() {
    let steps = steps(&action_yml());
    let key = position(&steps, "computes the cache key", |s| {
        str_of(s, "run").contains("scripts/action/cache-key.sh")
    });
    assert_eq!(str_of(&steps[key], "id"), "key");
    assert_eq!(
        str_of(&steps[key]["env"], "ACTION_REF"),
        "${{ github.action_ref }}"
    );
    let restore = position(&steps, "restores the cache", |s| {
        uses(s, "actions/cache/restore")
    });
    let build = position(&steps, "runs cargo install", |s| {
        str_of(s, "run").contains("cargo install")
    });
    let save = position(&steps, "saves the cache", |s| uses(s, "actions/cache/save"));
    let scan = position(&steps, "has id scan", |s| str_of(s, "id") == "scan");
    assert!(key < restore && restore < build && build < save && save < scan);
    assert_eq!(str_of(&steps[restore], "id"), "cache");
    for i in [restore, save] {
        assert_eq!(
            str_of(&steps[i]["with"], "key"),
            "${{ steps.key.outputs.key }}"
        );
        assert_eq!(
            str_of(&steps[i]["with"], "path"),
            "${{ runner.temp }}/keyhound/bin"
        );
    }
    let run = str_of(&steps[build], "run");
    assert!(run.contains("cargo install --locked"), "{run}");
    assert!(run.contains("--root \"$RUNNER_TEMP/keyhound\""), "{run}");
    for i in [build, save] {
        assert_eq!(
            str_of(&steps[i], "if"),
            "steps.cache.outputs.cache-hit != 'true'"
        );
    }
    assert_eq!(
        str_of(&steps[scan]["env"], "KEYHOUND"),
        "${{ runner.temp }}/keyhound/bin/keyhound"
    );
}

#[test]
fn issue8_14_action_outputs_are_the_findings_count_and_the_exit_code() {
    let action = action_yml();
    let outputs = &action["outputs"];
    assert_eq!(
        str_of(&outputs["findings"], "value"),
        "${{ steps.scan.outputs.findings }}"
    );
    assert!(str_of(&outputs["findings"], "description").contains("number of findings"));
    assert_eq!(
        str_of(&outputs["exit-code"], "value"),
        "${{ steps.scan.outputs.exit-code }}"
    );
}

#[test]
fn action_yml_passes_values_to_scripts_through_env_only() {
    // `${{ … }}` pasted into a script is a script injection (a branch name
    // or an input is attacker-controlled).
    for step in steps(&action_yml()) {
        let run = str_of(&step, "run");
        assert!(!run.contains("${{"), "expression in a script: {run}");
        if !run.is_empty() {
            assert_eq!(str_of(&step, "shell"), "bash");
        }
    }
}

// --- keyhound --report (one scan, several reports) ---------------------------

#[test]
fn issue8_14_report_writes_more_formats_from_the_same_scan() {
    // The action scans once: annotations on stdout, JSON (to count the
    // findings) and SARIF (for code scanning) into files.
    let dir = tree(&[("deploy.env", &leak("report"))]);
    let args = [
        "scan",
        "--format",
        "github",
        "--report",
        "json:out/k.json",
        "--report",
        "sarif:k.sarif",
        "deploy.env",
    ];
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let o = run(dir.path(), &args);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("::error file=deploy.env"),
        "{}",
        stdout(&o)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/k.json")).unwrap()).unwrap();
    assert_eq!(summary(&json)[0].0, "deploy.env");
    assert_eq!(findings(&json).len(), 1);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("k.sarif")).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["partialFingerprints"]["keyhound/v1"],
        findings(&json)[0]["fingerprint"]
    );

    // A report that cannot be written is an error that names it.
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let o = run(dir.path(), &args);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("out/k.json"), "{}", stderr(&o));
    // Bad specifications say what to write.
    let o = run(dir.path(), &["scan", "--report", "yaml:x", "deploy.env"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("use text, json, sarif or github"),
        "{}",
        stderr(&o)
    );
    let o = run(dir.path(), &["scan", "--report", "sarif", "deploy.env"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("FORMAT:FILE"), "{}", stderr(&o));
}

// --- README -----------------------------------------------------------------

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The README's YAML block that contains `needle`, parsed, and where the
/// block ends.
fn yaml_block(readme: &str, needle: &str) -> (Yaml, usize) {
    let at = readme
        .find(needle)
        .unwrap_or_else(|| panic!("README shows {needle}"));
    let start = readme[..at].rfind("```yaml\n").unwrap() + "```yaml\n".len();
    let end = at + readme[at..].find("```").unwrap();
    let yaml = YamlLoader::load_from_str(&readme[start..end])
        .unwrap_or_else(|e| panic!("the README's block with {needle} parses: {e}"))
        .remove(0);
    (yaml, end)
}

/// A YAML list of strings.
fn strings(list: &Yaml) -> Vec<&str> {
    list.as_vec()
        .expect("a list")
        .iter()
        .filter_map(Yaml::as_str)
        .collect()
}

/// A pin that cannot move: a full commit sha, or the placeholder the
/// README tells the reader to replace with one (no tag exists yet).
fn pinned_to_a_commit(reference: &str) -> bool {
    reference == "FULL-COMMIT-SHA"
        || (reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn issue8_14_readme_pins_the_action_to_a_commit_and_says_what_forks_get() {
    // Review U7: the snippet used `keyhound/keyhound@v0.1.0`, a tag that
    // does not exist; the pre-commit section already pinned a full sha.
    let readme = readme();
    let (workflow, block_end) = yaml_block(&readme, "uses: keyhound/keyhound@");
    assert_eq!(str_of(&workflow["permissions"], "contents"), "read");
    assert_eq!(str_of(&workflow["permissions"], "security-events"), "write");
    let steps = workflow["jobs"]["keyhound"]["steps"].as_vec().unwrap();
    let checkout = steps.iter().find(|s| uses(s, "actions/checkout")).unwrap();
    assert_eq!(checkout["with"]["fetch-depth"].as_i64(), Some(0));
    let action = steps
        .iter()
        .find_map(|s| str_of(s, "uses").strip_prefix("keyhound/keyhound@"))
        .unwrap();
    assert!(
        pinned_to_a_commit(action),
        "the action is pinned to a full commit sha: @{action}"
    );
    // As the pre-commit section does, with the same explanation.
    let (hooks, _) = yaml_block(&readme, "id: keyhound");
    let rev = str_of(&hooks["repos"][0], "rev");
    assert!(pinned_to_a_commit(rev), "pre-commit rev: {rev}");
    let section = &readme[block_end..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    assert!(section.contains("no release tag yet"), "README says why");
    assert!(
        section.contains("git ls-remote"),
        "README says how to get a sha"
    );
    assert!(section.contains("fork"), "README says what forks get");
    assert!(section.contains("exit-code") && section.contains("findings"));
    assert!(
        section.contains("sarif-range"),
        "README names the SARIF scope"
    );
}

#[test]
fn review_u15_the_gitlab_snippet_pins_its_install_and_caches_the_binary() {
    // Review U15: `cargo install --git …` followed the default branch and
    // rebuilt keyhound (about three minutes) in every pipeline.
    let readme = readme();
    let (ci, _) = yaml_block(&readme, "CI_MERGE_REQUEST_DIFF_BASE_SHA");
    let job = &ci["keyhound"];
    let rev = str_of(&job["variables"], "KEYHOUND_REV");
    assert!(pinned_to_a_commit(rev), "KEYHOUND_REV: {rev}");
    let key = str_of(&job["cache"], "key");
    assert!(
        key.contains("$KEYHOUND_REV"),
        "the cache is keyed on the rev: {key}"
    );
    let cached: Vec<&str> = strings(&job["cache"]["paths"]);
    let script: Vec<&str> = strings(&job["script"]);
    let install = script.iter().find(|l| l.contains("cargo install")).unwrap();
    for part in ["--locked", "--rev \"$KEYHOUND_REV\"", "--root .keyhound"] {
        assert!(install.contains(part), "{install}");
    }
    assert!(
        install.starts_with("test -x .keyhound/bin/keyhound ||"),
        "built only when the cache lacks it: {install}"
    );
    assert_eq!(cached, [".keyhound/"]);
    let scan = script.iter().find(|l| l.contains(" git --range")).unwrap();
    assert!(scan.starts_with(".keyhound/bin/keyhound "), "{scan}");
    // The SARIF goes to the artifact; the text report, with where each
    // finding is, to the job log.
    assert!(scan.contains("--report sarif:keyhound.sarif"), "{scan}");
    assert!(!scan.contains(" -o "), "{scan}");
    let artifacts: Vec<&str> = strings(&job["artifacts"]["paths"]);
    assert_eq!(artifacts, ["keyhound.sarif"]);
}
