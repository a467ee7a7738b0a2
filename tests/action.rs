//! The GitHub Action: which commits a push, a tag or a pull request
//! makes `scripts/action/scan.sh` scan (run with bash against real
//! repositories, see tests/common/action.rs), and its cache key. Outputs,
//! the upload and its scope are in tests/action_outputs.rs; the action's
//! YAML in tests/action_yml.rs.

mod common;

use common::action::*;
use common::*;

// --- Which commits a push scans -------------------------------------------

#[test]
fn issue8_14_a_new_branch_push_ignores_old_secrets_on_other_refs() {
    // Before: no base meant `keyhound git` with no range, every ref of the
    // repository, so the abandoned branch's key failed this clean push.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("feature.txt", "a clean change\n")], "feature");
    let push = forge.push("feature", false);
    assert_eq!(push.before, ZEROS);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.output("findings"), "0", "{scan:?}");
}

#[test]
fn action_a_new_branch_push_fails_on_the_secret_it_adds() {
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("deploy"))], "deploy config");
    forge.commit(&[("feature.txt", "more\n")], "more");
    let scan = forge.scan_push(&forge.push("feature", false), &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["deploy.env"]);
    assert!(scan.stdout.contains("::error file=deploy.env"), "{scan:?}");
}

#[test]
fn issue8_14_the_first_push_of_the_default_branch_scans_its_history_only() {
    // HEAD's own history (`..HEAD`), not every ref.
    let forge = Forge::new();
    forge.switch("abandoned", "main");
    forge.commit(&[("stale.env", &leak("stale"))], "try a key");
    forge.push("abandoned", false);
    forge.switch("main", "main");
    forge.commit(&[("app.py", "print('hi')\n")], "app");
    let push = Push {
        git_ref: "refs/heads/main".into(),
        before: ZEROS.into(),
    };
    forge.push("main", false);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "..HEAD");
}

#[test]
fn action_the_first_push_of_the_default_branch_finds_secrets_in_its_history() {
    let forge = forge_with_old_secrets();
    let push = Push {
        git_ref: "refs/heads/main".into(),
        before: ZEROS.into(),
    };
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["legacy.env"]);
}

#[test]
fn issue8_14_a_forced_push_is_scanned_against_the_default_branch() {
    // The old tip is not an ancestor and not in the clone: `before..HEAD`
    // was an unknown revision (exit 2); every commit not on main is what
    // the branch now brings.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("deploy.env", &leak("forced"))], "deploy config");
    forge.commit(&[("feature.txt", "v1\n")], "feature v1");
    forge.push("feature", false);
    git(
        &forge.dev(),
        &["commit", "-q", "--amend", "-m", "feature v2"],
    );
    let push = forge.push("feature", true);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
    assert_eq!(scan.paths(), ["deploy.env"]);
    assert!(
        scan.stdout.contains("rewrote refs/heads/feature"),
        "{scan:?}"
    );
}

#[test]
fn issue8_14_a_tag_push_scans_only_what_the_default_branch_lacks() {
    let forge = forge_with_old_secrets();
    git(&forge.dev(), &["tag", "v1.0.0"]);
    let push = forge.push("refs/tags/v1.0.0", false);
    assert_eq!(push.before, ZEROS);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
}

#[test]
fn action_a_push_to_the_default_branch_fails_on_the_commits_after_its_before() {
    let forge = forge_with_old_secrets();
    forge.commit(&[("app.py", "v1\n")], "v1");
    let push = forge.push("main", false);
    let scan = forge.scan_push(&push, &[]);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), format!("{}..HEAD", push.before));
    assert_eq!(scan.calls, 1, "no SARIF asked for: one scan");
    forge.commit(&[("bot.env", &leak("pushed"))], "bot config");
    let scan = forge.scan_push(&forge.push("main", false), &[]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert_eq!(scan.paths(), ["bot.env"]);
}

#[test]
fn issue8_14_a_shallow_checkout_gets_the_default_branch_to_scan_against() {
    // actions/checkout's default: one commit of one branch. fetch.sh
    // deepens it and fetches main, so the new branch is scanned against it.
    let forge = forge_with_old_secrets();
    forge.switch("feature", "main");
    forge.commit(&[("feature.txt", "clean\n")], "feature");
    assert_eq!(forge.push("feature", false).before, ZEROS);
    let ci = tempfile::tempdir().unwrap();
    git(
        ci.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--single-branch",
            "-b",
            "feature",
            &forge.origin_url(),
            ".",
        ],
    );
    let fetch = run_script(ci.path(), "fetch.sh", &[]);
    assert_eq!(fetch.code, 0, "{fetch:?}");
    let env = [("GITHUB_REF", "refs/heads/feature"), ("PUSH_BEFORE", ZEROS)];
    let scan = run_script(ci.path(), "scan.sh", &env);
    assert_eq!(scan.code, 0, "{scan:?}");
    assert_eq!(scan.output("range"), "refs/remotes/origin/main..HEAD");
}

#[test]
fn action_cache_key_changes_with_the_source_and_the_ref() {
    let action = tree(&[
        ("Cargo.toml", "[package]\nname = \"x\"\n"),
        ("Cargo.lock", "version = 4\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("README.md", "docs\n"),
    ]);
    let key_on = |image: &str, r#ref: &str| {
        let path = action.path().display().to_string();
        let env = [
            ("ACTION_PATH", path.as_str()),
            ("ACTION_REF", r#ref),
            ("RUNNER_OS", "Linux"),
            ("ImageOS", image),
            ("RUNNER_ARCH", "X64"),
        ];
        let run = run_script(action.path(), "cache-key.sh", &env);
        assert_eq!(run.code, 0, "{run:?}");
        run.output("key").to_string()
    };
    let key = |r#ref: &str| key_on("ubuntu24", r#ref);
    let first = key("v1.2.3");
    assert!(
        first.starts_with("keyhound-Linux-ubuntu24-X64-v1.2.3-"),
        "{first}"
    );
    assert_eq!(key("v1.2.3"), first);
    assert_ne!(key("v1.2.4"), first);
    // A binary built on a newer image may not run on an older one.
    assert_ne!(key_on("ubuntu22", "v1.2.3"), first);
    write(action.path(), "README.md", b"other docs\n");
    assert_eq!(key("v1.2.3"), first, "docs do not change the build");
    write(action.path(), "src/main.rs", b"fn main() { }\n");
    assert_ne!(key("v1.2.3"), first);
}
