//! Installing and removing keyhound's Git hooks: the pre-commit hook of a
//! clone (hooks/pre-commit) and the pre-receive hook of a server
//! repository (hooks/pre-receive).
//!
//! The hooks directory is `core.hooksPath` when set (relative to the work
//! tree), else `hooks` in the (common) Git directory: `BARE.git/hooks` for
//! a bare repository. An existing hook is kept as
//! `<hook>.keyhound-chained` and run first by keyhound's, unless
//! `--force`. A pre-receive hook goes into `pre-receive.d/keyhound`
//! instead when the hooks directory has a `pre-receive.d` directory
//! (Gitea's layout: its `pre-receive` runs every script there with the
//! same input), leaving the existing hook alone. Uninstalling removes only
//! a hook keyhound wrote, and puts a chained hook back.

use std::fs;
use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::{Error, Result};

/// The pre-commit hook script, with `@KEYHOUND_PATH@` standing for the
/// installing binary.
pub const PRE_COMMIT: &str = include_str!("../hooks/pre-commit");

/// The pre-receive hook script, with `@KEYHOUND_PATH@` standing for the
/// installing binary and `@KEYHOUND_CONFIG@` for the server's config file
/// (empty: the repository's own `.keyhound.toml`).
pub const PRE_RECEIVE: &str = include_str!("../hooks/pre-receive");

/// The line that marks a hook as keyhound's.
const MARKER: &str = "# keyhound-hook:";

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// Run by `git commit` in a clone: `keyhound scan --staged`.
    PreCommit,
    /// Run by `git receive-pack` in a server repository before it updates
    /// any ref: `keyhound git --pre-receive`.
    PreReceive,
}

impl Hook {
    /// The hook's file name, as githooks(5) names it.
    pub fn name(self) -> &'static str {
        match self {
            Hook::PreCommit => "pre-commit",
            Hook::PreReceive => "pre-receive",
        }
    }

    fn script(self) -> &'static str {
        match self {
            Hook::PreCommit => PRE_COMMIT,
            Hook::PreReceive => PRE_RECEIVE,
        }
    }

    /// Where the hook goes in `dir` (the hooks directory), and where an
    /// existing hook is kept (`None`: there is no hook to chain, keyhound's
    /// runs beside the others of a `pre-receive.d` directory).
    fn paths(self, dir: &Path) -> (PathBuf, Option<PathBuf>) {
        let multi = dir.join(format!("{}.d", self.name()));
        if self == Hook::PreReceive && multi.is_dir() {
            return (multi.join("keyhound"), None);
        }
        (
            dir.join(self.name()),
            Some(dir.join(format!("{}.keyhound-chained", self.name()))),
        )
    }
}

/// A path as a single-quoted POSIX shell word's content.
fn shell_quoted(path: &Path) -> String {
    path.to_string_lossy().replace('\'', "'\\''")
}

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

/// Writes `hook`. `binary` is the absolute path of the keyhound the hook
/// runs (the pre-commit hook prefers a `keyhound` on PATH, the pre-receive
/// hook this one); `config` is the config file the pre-receive hook passes
/// as `--config` (absolute; `None`: the repository's `.keyhound.toml`).
/// Errors: the hooks directory cannot be written; a hook is there that
/// keyhound cannot keep (a chained one already kept, or, in a
/// `pre-receive.d` directory, another file named `keyhound`) without
/// `force`.
pub fn install(
    repo: &Repository,
    hook: Hook,
    binary: &Path,
    config: Option<&Path>,
    force: bool,
) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let (path, kept) = hook.paths(&dir);
    let config = config.map_or(String::new(), shell_quoted);
    let script = hook
        .script()
        .replace("@KEYHOUND_PATH@", &shell_quoted(binary))
        .replace("@KEYHOUND_CONFIG@", &config);
    let outcome = if !present(&path) {
        Installed::Fresh(path.clone())
    } else if is_ours(&path) {
        Installed::Updated(path.clone())
    } else if force {
        // The hook itself goes (a symlink, not its target).
        fs::remove_file(&path).map_err(io(&path))?;
        Installed::Replaced(path.clone())
    } else {
        let Some(kept) = kept else {
            return Err(Error::Config {
                origin: path.display().to_string(),
                message:
                    "another hook named `keyhound` is here; remove it, or use --force to replace it"
                        .into(),
            });
        };
        if present(&kept) {
            return Err(Error::Config {
                origin: kept.display().to_string(),
                message: "a chained hook is already kept here; remove it, or use --force to overwrite the current hook"
                    .into(),
            });
        }
        // A symlink is moved as it is, still pointing at its target.
        fs::rename(&path, &kept).map_err(io(&path))?;
        Installed::Chained {
            hook: path.clone(),
            kept,
        }
    };
    fs::write(&path, script).map_err(io(&path))?;
    make_executable(&path)?;
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

/// Removes keyhound's `hook` and puts a chained hook back. Errors: the
/// hooks directory cannot be written.
pub fn uninstall(repo: &Repository, hook: Hook) -> Result<Uninstalled> {
    let dir = hooks_dir(repo)?;
    let (hook, kept) = hook.paths(&dir);
    if !is_ours(&hook) {
        return Ok(Uninstalled::NotInstalled(hook));
    }
    fs::remove_file(&hook).map_err(io(&hook))?;
    if let Some(kept) = kept.filter(|k| present(k)) {
        fs::rename(&kept, &hook).map_err(io(&kept))?;
        return Ok(Uninstalled::Restored(hook));
    }
    Ok(Uninstalled::Removed(hook))
}
