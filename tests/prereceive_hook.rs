//! `keyhound hook install --pre-receive` (issue 11): where it writes the
//! hook of a server repository, how it keeps a hook already there, the
//! `pre-receive.d` layout of Gitea (a dispatcher that runs every script of
//! the directory with the same input), and the server's own config.

mod common;

use std::path::Path;

use common::server::Server;
use common::*;

fn leak(seed: &str) -> String {
    format!(
        "# binance\nBINANCE_API_KEY={}\nBINANCE_API_SECRET={}\n",
        binance_key(&format!("{seed}-key")),
        binance_key(&format!("{seed}-secret"))
    )
}

#[cfg(unix)]
fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn uninstall(s: &Server) -> String {
    let server = s.server().display().to_string();
    let o = run(
        s.dir.path(),
        &["hook", "uninstall", "--pre-receive", "--repo", &server],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn issue11_prereceive_install_writes_the_hook_of_a_bare_repository() {
    let s = Server::new();
    let o = s.install(&[]);
    let hook = s.server().join("hooks/pre-receive");
    assert!(
        stdout(&o).contains(&format!(
            "installed the pre-receive hook at {}",
            hook.display()
        )),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains(bin().to_str().unwrap()), "{text}");
    assert!(text.contains("git --pre-receive"), "{text}");
    // The pre-commit hook is not what it installs, nor where.
    assert!(!s.server().join("hooks/pre-commit").exists());
    assert!(stdout(&s.install(&[])).contains("updated the pre-receive hook"));
    assert!(uninstall(&s).contains("removed the pre-receive hook"));
    assert!(!hook.exists());
}

#[cfg(unix)]
#[test]
fn issue11_prereceive_install_chains_an_existing_hook_which_sees_the_same_input() {
    let s = Server::new();
    let hooks = s.server().join("hooks");
    let seen = s.dir.path().join("seen.txt");
    let theirs = format!(
        "#!/bin/sh\ncat > '{}'\necho their-hook-ran >&2\nexit 0\n",
        seen.display()
    );
    write_script(&hooks.join("pre-receive"), &theirs);
    let o = s.install(&[]);
    assert!(
        stdout(&o).contains("the existing hook was kept as"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-receive.keyhound-chained")).unwrap(),
        theirs
    );
    let id = s.commit(&[("bot.env", &leak("chained"))], "leak");
    let err = s.push_rejected(&["main"]);
    assert!(err.contains("their-hook-ran"), "{err}");
    assert!(
        err.contains("remote: bot.env:3:20: binance-secret-key"),
        "{err}"
    );
    let seen_text = std::fs::read_to_string(&seen).unwrap();
    assert!(
        seen_text.contains(&format!("{id} refs/heads/main")),
        "{seen_text}"
    );
    // Their hook alone can still reject a push.
    write_script(
        &hooks.join("pre-receive.keyhound-chained"),
        "#!/bin/sh\necho their-hook-says-no >&2\nexit 3\n",
    );
    s.git(&["checkout", "-q", "--orphan", "clean"]);
    s.git(&["rm", "-rfq", "."]);
    s.commit(&[("README.md", "# clean\n")], "clean");
    let err = s.push_rejected(&["clean"]);
    assert!(err.contains("their-hook-says-no"), "{err}");
    assert!(!err.contains("keyhound"), "{err}");
    assert!(uninstall(&s).contains("the previous hook is back"));
    assert!(!hooks.join("pre-receive.keyhound-chained").exists());
    // --force replaces it instead.
    s.install(&["--force"]);
    assert!(!hooks.join("pre-receive.keyhound-chained").exists());
    let out = s.push_ok(&["clean"]);
    assert!(!out.contains("their-hook"), "{out}");
}

#[cfg(unix)]
#[test]
fn issue11_prereceive_install_joins_a_pre_receive_d_directory() {
    // Gitea's layout: hooks/pre-receive runs every executable file of
    // hooks/pre-receive.d with the pushed refs, and fails if one fails.
    let s = Server::new();
    let hooks = s.server().join("hooks");
    let dispatcher = "#!/bin/sh\n\
        data=$(cat)\n\
        status=0\n\
        for hook in \"$(dirname \"$0\")/pre-receive.d\"/*; do\n\
          [ -x \"$hook\" ] || continue\n\
          printf '%s\\n' \"$data\" | \"$hook\" || status=1\n\
        done\n\
        exit $status\n";
    write_script(&hooks.join("pre-receive"), dispatcher);
    write_script(
        &hooks.join("pre-receive.d/forge"),
        "#!/bin/sh\ncat >/dev/null\necho forge-hook-ran >&2\n",
    );
    let o = s.install(&[]);
    let ours = hooks.join("pre-receive.d/keyhound");
    assert!(
        stdout(&o).contains(&format!(
            "installed the pre-receive hook at {}",
            ours.display()
        )),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-receive")).unwrap(),
        dispatcher
    );
    assert!(!hooks.join("pre-receive.keyhound-chained").exists());
    s.commit(&[("bot.env", &leak("gitea"))], "leak");
    let err = s.push_rejected(&["main"]);
    assert!(err.contains("forge-hook-ran"), "{err}");
    assert!(err.contains("keyhound rejected this push"), "{err}");
    assert!(uninstall(&s).contains("removed the pre-receive hook"));
    assert!(!ours.exists() && hooks.join("pre-receive.d/forge").exists());
    s.push_ok(&["main"]);
}

#[test]
fn issue11_prereceive_install_with_a_server_config_reads_it_on_every_push() {
    let s = Server::new();
    let config = s.dir.path().join("server.toml");
    std::fs::write(&config, "disabled-rules = []\n").unwrap();
    let config_arg = config.display().to_string();
    let o = s.install(&["--config", &config_arg]);
    assert!(
        stdout(&o).contains("pushes are checked with the config"),
        "{}",
        stdout(&o)
    );
    s.commit(&[("tests/fixture.env", &leak("server-config"))], "fixture");
    let err = s.push_rejected(&["main"]);
    assert!(
        err.contains("the server's config (ask its administrators)"),
        "{err}"
    );
    // The administrators accept the reviewed fingerprints in their file.
    let line = err
        .lines()
        .find(|l| l.contains("fingerprints = ["))
        .unwrap()
        .trim_start_matches("remote:")
        .trim()
        .to_string();
    std::fs::write(
        &config,
        format!("disabled-rules = []\n[allowlist]\n{line}\n"),
    )
    .unwrap();
    let out = s.push_ok(&["main"]);
    assert!(out.contains("2 findings accepted by fingerprint"), "{out}");
    // A config that does not load is refused at install time.
    std::fs::write(&config, "[allowlist\n").unwrap();
    let server = s.server().display().to_string();
    let o = run(
        s.dir.path(),
        &[
            "hook",
            "install",
            "--pre-receive",
            "--repo",
            &server,
            "--config",
            &config_arg,
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot use this --config"),
        "{}",
        stderr(&o)
    );
}
