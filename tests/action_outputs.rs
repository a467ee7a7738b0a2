//! The GitHub Action's outputs, summary and code scanning upload: what
//! `scripts/action/scan.sh` reports, and which commits the SARIF it
//! uploads describes (run with bash against real repositories, see
//! tests/common/action.rs).

mod common;

use common::action::*;
use common::*;

#[test]
fn issue8_14_a_branch_keeps_failing_while_it_holds_a_key_an_earlier_push_leaked() {
    // Review U6: the SARIF of a push came from the pushed commits only, so
    // a later clean push uploaded an empty SARIF for the branch, which
    // closed the alert though the key was still in the branch; and the job
    // turned green. A branch's scope is every commit not on the default
    // branch, for the upload and for the job's status.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("bot.env", &leak("earlier"))], "bot config");
    let sarif = [("INPUT_SARIF", "true")];
    let scan = forge.scan_push(&forge.push("feature", false), &sarif);
    assert_eq!(scan.code, 1, "{scan:?}");
    forge.commit(&[("bot.env", "")], "remove the key");
    forge.commit(&[("feature.txt", "clean\n")], "clean work");
    let scan = forge.scan_push(&forge.push("feature", false), &sarif);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.output("sarif-range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.calls, 1, "one scope, one scan: {scan:?}");
    assert_eq!(scan.paths(), ["bot.env"]);
    assert_eq!(sarif_paths(&scan), ["bot.env"]);
    assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
}

#[test]
fn issue8_14_a_clean_push_to_the_default_branch_uploads_its_whole_history() {
    // Review U6: code scanning gets the state of the default branch, its
    // whole history; the job fails only on what the push added.
    let forge = forge_with_old_secrets();
    forge.commit(&[("app.py", "print('hi')\n")], "app");
    let push = forge.push("main", false);
    let scan = forge.scan_push(&push, &[("INPUT_SARIF", "true")]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "0");
    assert_eq!(scan.output("findings"), "0");
    assert_eq!(scan.output("range"), format!("{}..HEAD", push.before));
    assert_eq!(scan.output("sarif-range"), "..HEAD");
    assert_eq!(scan.calls, 2, "two scopes, two scans: {scan:?}");
    assert_eq!(sarif_paths(&scan), ["legacy.env"]);
    assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
    assert!(
        scan.summary.contains("No secrets found"),
        "{}",
        scan.summary
    );
    assert!(
        scan.summary.contains("1 finding(s) in the history of HEAD"),
        "{}",
        scan.summary
    );
}

#[test]
fn issue8_14_a_sarif_scan_that_cannot_complete_fails_the_job_and_uploads_nothing() {
    // The push's own commits are read, but the history of HEAD is not in
    // this blobless clone: the two scans' statuses both count.
    let forge = forge_with_old_secrets();
    git(
        &forge.root.path().join("origin.git"),
        &["config", "uploadpack.allowFilter", "true"],
    );
    forge.commit(&[("app.py", "print('hi')\n")], "app");
    let push = forge.push("main", false);
    let ci = tempfile::tempdir().unwrap();
    git(
        ci.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            &forge.origin_url(),
            ".",
        ],
    );
    let env = [
        ("GITHUB_REF", "refs/heads/main"),
        ("PUSH_BEFORE", push.before.as_str()),
        ("INPUT_SARIF", "true"),
    ];
    let scan = run_script(ci.path(), "scan.sh", &env);
    assert_eq!(scan.calls, 2, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "0", "the push's scan: {scan:?}");
    assert_eq!(scan.code, 2, "{scan:?}");
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    assert!(
        scan.stdout.contains("for code scanning") && scan.stdout.contains("nothing was uploaded"),
        "{scan:?}"
    );
}

#[test]
fn issue8_14_exit_code_in_args_does_not_confuse_the_outputs_or_the_upload() {
    // Review U10: with `--exit-code 0` the summary said "No secrets found"
    // beside findings=2; with `--exit-code 3`, "could not complete", and
    // the upload was skipped. The report says what was found.
    for n in ["0", "3"] {
        let forge = Forge::new();
        forge.switch("feature", "main");
        forge.commit(&[("a.env", &leak("a")), ("b.env", &leak("b"))], "two keys");
        let args = format!("--exit-code {n}");
        let env = [("INPUT_SARIF", "true"), ("INPUT_ARGS", args.as_str())];
        let scan = forge.scan_push(&forge.push("feature", false), &env);
        assert_eq!(scan.code.to_string(), n, "the job exits as asked: {scan:?}");
        assert_eq!(scan.output("findings"), "2", "{scan:?}");
        assert_eq!(scan.output("exit-code"), "1", "{scan:?}");
        assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
        assert!(
            scan.summary.contains("**2 finding(s)**"),
            "{}",
            scan.summary
        );
        assert!(!scan.summary.contains("No secrets"), "{}", scan.summary);
    }
}

// --- One scan, its outputs, the upload ------------------------------------

#[test]
fn issue8_14_sarif_comes_from_the_one_scan() {
    let forge = Forge::new();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("sarif"))], "deploy config");
    let scan = forge.scan_push(&forge.push("feature", false), &[("INPUT_SARIF", "true")]);
    assert_eq!(scan.calls, 1, "keyhound ran {} times: {scan:?}", scan.calls);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "1");
    let sarif = scan.temp.path().join("keyhound.sarif");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(scan.output("sarif-file").ends_with("/keyhound.sarif"));
    assert_eq!(scan.output("sarif-upload"), "true");
    assert!(scan.stdout.contains("::error file=deploy.env"), "{scan:?}");
}

#[test]
fn issue8_14_findings_output_is_the_number_of_findings() {
    let forge = Forge::new();
    forge.switch("feature", "main");
    forge.commit(&[("a.env", &leak("a")), ("b.env", &leak("b"))], "two keys");
    let scan = forge.scan_push(&forge.push("feature", false), &[]);
    assert_eq!(scan.output("findings"), "2", "{scan:?}");
    assert_eq!(scan.output("exit-code"), "1", "{scan:?}");
    assert_eq!(scan.code, 1);
    assert!(scan.summary.contains("2 finding"), "{}", scan.summary);

    forge.switch("clean", "main");
    forge.commit(&[("c.txt", "clean\n")], "clean");
    let scan = forge.scan_push(&forge.push("clean", false), &[]);
    assert_eq!(scan.output("findings"), "0", "{scan:?}");
    assert_eq!(scan.output("exit-code"), "0", "{scan:?}");
    assert_eq!(scan.code, 0);
}

/// A pull request from `head_repo`: HEAD is the merge commit GitHub makes.
fn pull_request(head_repo: &str) -> Scan {
    let forge = Forge::new();
    let base = git(&forge.dev(), &["rev-parse", "main"]);
    forge.switch("contribution", "main");
    forge.commit(&[("bot.env", &leak("pr"))], "bot config");
    forge.push("contribution", false);
    let ci = forge.checkout("refs/heads/main");
    git(
        ci.path(),
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "merge",
            "origin/contribution",
        ],
    );
    let env = [
        ("GITHUB_REF", "refs/pull/1/merge"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("PR_BASE", base.as_str()),
        ("PR_HEAD_REPO", head_repo),
        ("INPUT_SARIF", "true"),
    ];
    run_script(ci.path(), "scan.sh", &env)
}

#[test]
fn issue8_14_a_fork_pull_request_skips_the_upload_and_says_why() {
    let scan = pull_request("someone/repo-fork");
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["bot.env"]);
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    let notice = scan
        .stdout
        .lines()
        .find(|l| l.starts_with("::notice") && l.contains("code scanning"))
        .unwrap_or_else(|| panic!("no notice: {scan:?}"));
    assert!(notice.contains("fork someone/repo-fork"), "{notice}");
    assert!(notice.contains("read-only token"), "{notice}");

    // A deleted fork: GitHub gives its head repository as null.
    let scan = pull_request("");
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    assert!(scan.stdout.contains("a deleted fork"), "{scan:?}");

    let scan = pull_request(REPOSITORY);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("sarif-upload"), "true", "{scan:?}");
}

#[test]
fn issue8_14_an_incomplete_scan_is_not_uploaded() {
    let forge = Forge::new();
    let scan = forge.scan_push(
        &forge.push("main", false),
        &[("INPUT_SARIF", "true"), ("INPUT_BASE", "no-such-commit")],
    );
    assert_eq!(scan.code, 2, "{scan:?}");
    assert_eq!(scan.output("exit-code"), "2");
    assert_eq!(scan.output("findings"), "");
    assert_eq!(scan.output("sarif-upload"), "false", "{scan:?}");
    assert!(scan.stderr.contains("no-such-commit"), "{scan:?}");
}

#[test]
fn action_args_input_reaches_keyhound_word_by_word() {
    let forge = Forge::new();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("args"))], "deploy config");
    let push = forge.push("feature", false);
    let scan = forge.scan_push(&push, &[("INPUT_ARGS", "--exit-code 7\n--show-secrets")]);
    assert_eq!(scan.code, 7, "{scan:?}");
    assert!(scan.stdout.contains(&binance_key("args")), "{scan:?}");
}
