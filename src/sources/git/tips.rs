//! Where a history walk starts: every ref (branches, tags, remote-tracking
//! refs, the stash and every entry of its reflog), HEAD and the HEAD of
//! every worktree; and where it stops: the boundary of a shallow clone.

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
}

impl Tips {
    /// Files `id`, reached from `name`, by the kind of object it is.
    fn add(&mut self, repo: &gix::Repository, name: &str, id: ObjectId) {
        match repo.find_header(id).map(|h| h.kind()) {
            Ok(Kind::Commit) => self.commits.push(id),
            Ok(Kind::Tree) => self.trees.push((short(name).to_string(), id)),
            Ok(Kind::Blob) => self.blobs.push((short(name).to_string(), id)),
            Ok(Kind::Tag) => {}
            Err(_) => self.lost(
                id,
                format!("{name}: object {id} is not in the object store"),
            ),
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
fn short(name: &str) -> &str {
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
            match r.peel_to_id() {
                Ok(id) => tips.add(repo, &name, id.detach()),
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
    if let Ok(Some(stash)) = repo.try_find_reference("refs/stash") {
        let mut log = stash.log_iter();
        if let Ok(Some(lines)) = log.all() {
            let ids: Vec<ObjectId> = lines.flatten().map(|l| l.new_oid()).collect();
            for id in ids {
                tips.add(repo, "refs/stash", id);
            }
        }
    }
    // HEAD, and the HEAD of the main and of every linked worktree: a
    // detached HEAD may be the only way to a commit.
    let mut heads = Vec::new();
    if let Ok(head) = repo.head() {
        heads.extend(head.id().map(|id| id.detach()));
    }
    if let Ok(all) = repo.worktrees_including_main() {
        for wt in all.flatten() {
            if let Ok(head) = wt.head() {
                heads.extend(head.id().map(|id| id.detach()));
            }
        }
    }
    for id in heads {
        tips.add(repo, "HEAD", id);
    }
    for list in [&mut tips.trees, &mut tips.blobs] {
        list.sort();
        list.dedup();
    }
    tips.commits.sort();
    tips.commits.dedup();
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
