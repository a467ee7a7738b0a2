//! `keyhound hook install` and `keyhound hook uninstall`: the pre-commit
//! hook of a clone, or with `--pre-receive` the pre-receive hook of a
//! server repository.

use anyhow::{Context, Result};

use super::{EXIT_CLEAN, HookCommand};
use keyhound::hooks::{self, Hook, Installed, Uninstalled};
use keyhound::sources::git;

pub fn run(cmd: HookCommand) -> Result<u8> {
    match cmd {
        HookCommand::Install {
            repo,
            force,
            pre_receive,
            config,
        } => {
            let (hook, repo) = if pre_receive {
                (Hook::PreReceive, git::open_receiving(repo.as_deref())?)
            } else {
                (Hook::PreCommit, git::open_env(repo.as_deref())?)
            };
            let name = hook.name();
            // The hook runs in the repository's Git directory: the config
            // is named by its absolute path, and must load now.
            let config =
                match config {
                    Some(path) => {
                        keyhound::config::load(&path).context("cannot use this --config")?;
                        Some(std::fs::canonicalize(&path).with_context(|| {
                            format!("cannot find the config {}", path.display())
                        })?)
                    }
                    None => None,
                };
            let binary = std::env::current_exe().context("cannot find keyhound's own path")?;
            let installed = hooks::install(&repo, hook, &binary, config.as_deref(), force)
                .context("cannot install the hook")?;
            match installed {
                Installed::Fresh(p) => {
                    println!("keyhound: installed the {name} hook at {}", p.display())
                }
                Installed::Updated(p) => {
                    println!("keyhound: updated the {name} hook at {}", p.display())
                }
                Installed::Replaced(p) => {
                    println!(
                        "keyhound: replaced the existing {name} hook at {}",
                        p.display()
                    )
                }
                Installed::Chained { hook, kept } => println!(
                    "keyhound: installed the {name} hook at {}; the existing hook was kept as {} and runs first",
                    hook.display(),
                    kept.display()
                ),
            }
            if hook == Hook::PreReceive {
                match &config {
                    Some(c) => println!(
                        "keyhound: pushes are checked with the config {}",
                        c.display()
                    ),
                    None => println!(
                        "keyhound: pushes are checked with the repository's .keyhound.toml as its default branch holds it (none: the built-in rules); `--config FILE` names a server-side config instead"
                    ),
                }
            }
        }
        HookCommand::Uninstall { repo, pre_receive } => {
            let (hook, repo) = if pre_receive {
                (Hook::PreReceive, git::open_receiving(repo.as_deref())?)
            } else {
                (Hook::PreCommit, git::open_env(repo.as_deref())?)
            };
            let name = hook.name();
            match hooks::uninstall(&repo, hook).context("cannot remove the hook")? {
                Uninstalled::Removed(p) => {
                    println!("keyhound: removed the {name} hook {}", p.display())
                }
                Uninstalled::Restored(p) => {
                    println!(
                        "keyhound: removed keyhound's hook; the previous hook is back at {}",
                        p.display()
                    )
                }
                Uninstalled::NotInstalled(p) => {
                    println!(
                        "keyhound: no keyhound hook at {}; nothing to remove",
                        p.display()
                    )
                }
            }
        }
    }
    Ok(EXIT_CLEAN)
}
