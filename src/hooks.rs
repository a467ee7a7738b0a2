//! Installing and removing the pre-commit hook (hooks/pre-commit).
//!
//! The hooks directory is `core.hooksPath` when set (relative to the work
//! tree), else `hooks` in the (common) Git directory. An existing hook is
//! kept as `pre-commit.keyhound-chained` and run first by keyhound's, unless
//! `--force`. Uninstalling removes only a hook keyhound wrote, and puts a
//! chained hook back.

use std::fs;
use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::{Error, Result};

/// The hook script, with `@KEYHOUND_PATH@` standing for the installing binary.
pub const PRE_COMMIT: &str = include_str!("../hooks/pre-commit");

/// The line that marks a hook as keyhound's.
const MARKER: &str = "# keyhound-hook:";

/// Where an existing hook is kept.
const CHAINED: &str = "pre-commit.keyhound-chained";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        error: source,
    }
}

/// The repository's hooks directory.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let configured = repo
        .config()
        .ok()
        .and_then(|mut c| c.snapshot().ok())
        .and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

/// Whether anything is at `path`, a dangling symlink included.
fn present(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// keyhound's own hook: a regular file with the marker. A symlink is never
/// ours, even to a keyhound hook: it is someone else's setup, and writing
/// through it would change its target.
fn is_ours(path: &Path) -> bool {
    path.symlink_metadata().is_ok_and(|m| m.is_file())
        && fs::read_to_string(path).is_ok_and(|t| t.lines().take(3).any(|l| l.starts_with(MARKER)))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(io(path))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}

/// What `install` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Installed {
    /// A new hook.
    Fresh(PathBuf),
    /// keyhound's hook was already there and was rewritten.
    Updated(PathBuf),
    /// An existing hook is kept and runs first.
    Chained { hook: PathBuf, kept: PathBuf },
    /// An existing hook was overwritten (`--force`).
    Replaced(PathBuf),
}

/// Writes the hook. `binary` is the absolute path the hook falls back to
/// when no `keyhound` is on PATH.
pub fn install(repo: &Repository, binary: &Path, force: bool) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let hook = dir.join("pre-commit");
    let kept = dir.join(CHAINED);
    let script = PRE_COMMIT.replace(
        "@KEYHOUND_PATH@",
        &binary.to_string_lossy().replace('\'', "'\\''"),
    );
    let outcome = if !present(&hook) {
        Installed::Fresh(hook.clone())
    } else if is_ours(&hook) {
        Installed::Updated(hook.clone())
    } else if force {
        // The hook itself goes (a symlink, not its target).
        fs::remove_file(&hook).map_err(io(&hook))?;
        Installed::Replaced(hook.clone())
    } else {
        if present(&kept) {
            return Err(Error::Config {
                origin: kept.display().to_string(),
                message: "a chained hook is already kept here; remove it, or use --force to overwrite the current hook"
                    .into(),
            });
        }
        // A symlink is moved as it is, still pointing at its target.
        fs::rename(&hook, &kept).map_err(io(&hook))?;
        Installed::Chained {
            hook: hook.clone(),
            kept: kept.clone(),
        }
    };
    fs::write(&hook, script).map_err(io(&hook))?;
    make_executable(&hook)?;
    Ok(outcome)
}

/// What `uninstall` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Uninstalled {
    Removed(PathBuf),
    /// Removed, and the chained hook put back.
    Restored(PathBuf),
    /// No keyhound hook there (another hook, or none): nothing touched.
    NotInstalled(PathBuf),
}

pub fn uninstall(repo: &Repository) -> Result<Uninstalled> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join("pre-commit");
    let kept = dir.join(CHAINED);
    if !is_ours(&hook) {
        return Ok(Uninstalled::NotInstalled(hook));
    }
    fs::remove_file(&hook).map_err(io(&hook))?;
    if present(&kept) {
        fs::rename(&kept, &hook).map_err(io(&kept))?;
        return Ok(Uninstalled::Restored(hook));
    }
    Ok(Uninstalled::Removed(hook))
}
