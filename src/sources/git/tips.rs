//! Where a history walk starts: every ref (branches, tags, remote-tracking
//! refs, the stash and every entry of its reflog), HEAD and the HEAD of
//! every worktree; and where it stops: the boundary of a shallow clone.
//! Each tip keeps the name a person would look it up by (see
//! [`Tips::named`]), to say which refs still hold a secret.

use std::collections::HashSet;

use gix::ObjectId;
use gix::objs::Kind;

/// The objects a walk starts from.
#[derive(Debug, Default)]
pub struct Tips {
    /// Commits, sorted, without duplicates.
    pub commits: Vec<ObjectId>,
    /// Trees and blobs a ref points at directly (a tag of a tree or of a
    /// blob), with the ref's short name.
    pub trees: Vec<(String, ObjectId)>,
    pub blobs: Vec<(String, ObjectId)>,
    /// Refs whose object is not in the store, and those objects.
    pub missing: Vec<String>,
    pub missing_ids: HashSet<ObjectId>,
    /// Every named tip and the object it peels to, as gitrevisions(7)
    /// names it: full ref names (`refs/heads/main`, `refs/tags/v1.0`,
    /// `refs/remotes/origin/x`), `stash@{N}` for the stash's entries,
    /// `HEAD` for a detached HEAD, and `main-worktree/HEAD` or
    /// `worktrees/<id>/HEAD` for another worktree's detached HEAD. Symbolic
    /// refs and a HEAD on a branch are not listed: the branch is.
    pub named: Vec<(String, ObjectId)>,
    /// HEAD's commit, when HEAD is born.
    pub head: Option<ObjectId>,
}

impl Tips {
    /// Files `id`, reached from `name`, by the kind of object it is; keeps
    /// it in [`Tips::named`] as `shown` when given.
    fn add(&mut self, repo: &gix::Repository, name: &str, id: ObjectId, shown: Option<String>) {
        match repo.find_header(id).map(|h| h.kind()) {
            Ok(Kind::Commit) => self.commits.push(id),
            Ok(Kind::Tree) => self.trees.push((short(name).to_string(), id)),
            Ok(Kind::Blob) => self.blobs.push((short(name).to_string(), id)),
            Ok(Kind::Tag) => return,
            Err(_) => {
                return self.lost(
                    id,
                    format!("{name}: object {id} is not in the object store"),
                );
            }
        }
        if let Some(shown) = shown {
            self.named.push((shown, id));
        }
    }

    /// Notes a missing object once, however many refs point at it.
    fn lost(&mut self, id: ObjectId, note: String) {
        if self.missing_ids.insert(id) {
            self.missing.push(note);
        }
    }
}

/// `v1.0` for `refs/tags/v1.0`; other names as they are.
pub(crate) fn short(name: &str) -> &str {
    ["refs/tags/", "refs/heads/", "refs/remotes/", "refs/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// Every tip of `repo`.
pub fn tips(repo: &gix::Repository) -> Tips {
    let mut tips = Tips::default();
    if let Ok(platform) = repo.references()
        && let Ok(all) = platform.all()
    {
        for mut r in all.flatten() {
            let name = r.name().as_bstr().to_string();
            let direct = r.try_id().map(|id| id.detach());
            // The stash is named by its entries, below; a symbolic ref
            // (`refs/remotes/origin/HEAD`) by the ref it points at.
            let shown = (direct.is_some() && name != "refs/stash").then(|| name.clone());
            match r.peel_to_id() {
                Ok(id) => tips.add(repo, &name, id.detach(), shown),
                // A tag object or a commit that is not there. (A symbolic
                // ref to a missing branch only dangles: nothing is lost.)
                Err(_) => {
                    if let Some(id) = direct {
                        tips.lost(
                            id,
                            format!(
                                "{name}: object {id} (or what it tags) is not in the object store"
                            ),
                        );
                    }
                }
            }
        }
    }
    // Older stashes live only in the stash's reflog.
    // stash@{0} is the newest entry: the last line of the reflog.
    if let Ok(Some(mut stash)) = repo.try_find_reference("refs/stash") {
        let mut ids: Vec<ObjectId> = Vec::new();
        if let Ok(Some(lines)) = stash.log_iter().all() {
            ids = lines.flatten().map(|l| l.new_oid()).collect();
        }
        if ids.is_empty() {
            ids.extend(stash.peel_to_id().ok().map(|id| id.detach()));
        }
        for (n, id) in ids.into_iter().rev().enumerate() {
            tips.add(repo, "refs/stash", id, Some(format!("stash@{{{n}}}")));
        }
    }
    // HEAD, and the HEAD of the main and of every linked worktree: a
    // detached HEAD may be the only way to a commit.
    if let Ok(head) = repo.head() {
        tips.head = head.id().map(|id| id.detach());
        if let Some(id) = tips.head {
            let shown = head.is_detached().then(|| "HEAD".to_string());
            tips.add(repo, "HEAD", id, shown);
        }
    }
    let here = std::fs::canonicalize(repo.git_dir()).ok();
    if let Ok(all) = repo.worktrees_including_main() {
        for wt in all.flatten() {
            let Ok(head) = wt.head() else { continue };
            let Some(id) = head.id().map(|id| id.detach()) else {
                continue;
            };
            let shown = if !head.is_detached() || std::fs::canonicalize(wt.git_dir()).ok() == here {
                None
            } else {
                let linked = wt
                    .worktree()
                    .and_then(|w| w.id().ok().flatten().map(|id| id.to_string()));
                Some(match linked {
                    Some(wt_id) => format!("worktrees/{wt_id}/HEAD"),
                    None => "main-worktree/HEAD".to_string(),
                })
            };
            tips.add(repo, "HEAD", id, shown);
        }
    }
    for list in [&mut tips.trees, &mut tips.blobs] {
        list.sort();
        list.dedup();
    }
    tips.commits.sort();
    tips.commits.dedup();
    tips.named.sort();
    tips.named.dedup();
    tips
}

/// The commits at the boundary of a shallow clone, whose parents the clone
/// does not have (empty for a full clone).
pub fn shallow(repo: &gix::Repository) -> HashSet<ObjectId> {
    match repo.shallow_commits() {
        Ok(Some(commits)) => commits.iter().copied().collect(),
        _ => HashSet::new(),
    }
}
