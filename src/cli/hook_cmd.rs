//! `keyhound hook install` and `keyhound hook uninstall`.

use anyhow::{Context, Result};

use super::{EXIT_CLEAN, HookCommand};
use keyhound::hooks::{self, Installed, Uninstalled};
use keyhound::sources::git;

pub fn run(cmd: HookCommand) -> Result<u8> {
    match cmd {
        HookCommand::Install { repo, force } => {
            let repo = git::open_env(repo.as_deref())?;
            let binary = std::env::current_exe().context("cannot find keyhound's own path")?;
            match hooks::install(&repo, &binary, force).context("cannot install the hook")? {
                Installed::Fresh(p) => {
                    println!("keyhound: installed the pre-commit hook at {}", p.display())
                }
                Installed::Updated(p) => {
                    println!("keyhound: updated the pre-commit hook at {}", p.display())
                }
                Installed::Replaced(p) => {
                    println!(
                        "keyhound: replaced the existing pre-commit hook at {}",
                        p.display()
                    )
                }
                Installed::Chained { hook, kept } => println!(
                    "keyhound: installed the pre-commit hook at {}; the existing hook was kept as {} and runs first",
                    hook.display(),
                    kept.display()
                ),
            }
        }
        HookCommand::Uninstall { repo } => {
            let repo = git::open_env(repo.as_deref())?;
            match hooks::uninstall(&repo).context("cannot remove the hook")? {
                Uninstalled::Removed(p) => {
                    println!("keyhound: removed the pre-commit hook {}", p.display())
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
