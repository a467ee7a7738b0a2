//! Where a history audit's secret came from, in words: the commit that
//! added it at its path, or why no commit can be named (a shallow clone's
//! boundary, a version a partial clone does not have, a tag of a tree or
//! blob that no commit holds), how many commits added it, and what HEAD
//! has at that path. Shared by the text, SARIF and GitHub reports.

use super::escape::escape;
use crate::findings::Finding;

/// A commit id as shown: its first 12 hex digits.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// What a history finding's `introduced` lines are from, as a phrase:
/// `commit 0123456789ab`, `the shallow clone's boundary commit …`, `commit
/// … (the oldest version of the file this clone could read)`, `a tag of a
/// tree or blob`.
pub fn source(f: &Finding) -> String {
    if let Some(p) = &f.provenance {
        format!("commit {}", short(&p.commit))
    } else if let Some(b) = &f.shallow_boundary {
        format!("the shallow clone's boundary commit {}", short(b))
    } else if let Some(c) = &f.earliest_readable {
        format!(
            "commit {} (the oldest version of the file this clone could read)",
            short(c)
        )
    } else {
        "a tag of a tree or blob".to_string()
    }
}

/// Why a history finding's lines are not HEAD's: HEAD's file at the path
/// does not hold the secret, HEAD has no file there, or there is no HEAD.
pub fn not_at_head(f: &Finding) -> &'static str {
    match f.file_at_head {
        Some(true) => "not in HEAD's version of this file",
        Some(false) => "HEAD has no such file",
        None => "not at HEAD",
    }
}

/// Why no commit is named, when none is: what may be older than what the
/// clone shows.
pub fn unknown(f: &Finding) -> Option<&'static str> {
    if f.shallow_boundary.is_some() {
        Some(
            "present at this shallow clone's boundary: added there or by an older commit the clone does not have",
        )
    } else if f.earliest_readable.is_some() {
        Some(
            "the version of the file before it is missing from this clone (a partial clone): the secret may have been added by an older commit",
        )
    } else {
        None
    }
}

/// How many commits are known to have added the secret at the path
/// (`where`: `here`, `there`): `added here by 2 commits`; `at the
/// boundary` or `in the oldest readable version` when that commit may not
/// be the one (and `, added here again by …` for later ones); `in no
/// commit, only a tag of a tree or blob` for what only such a tag holds.
pub fn added(f: &Finding, place: &str) -> String {
    let n = f.commits.unwrap_or(0);
    let by = |again: &str| {
        format!(
            "added {place} {again}by {n} commit{}",
            if n == 1 { "" } else { "s" }
        )
    };
    let start = if f.shallow_boundary.is_some() {
        "at the boundary"
    } else if f.earliest_readable.is_some() {
        "in the oldest readable version"
    } else if f.provenance.is_none() && n == 0 {
        return "in no commit, only a tag of a tree or blob".to_string();
    } else {
        return by("");
    };
    if n == 0 {
        start.to_string()
    } else {
        format!("{start}, {}", by("again "))
    }
}

/// The line a text report gives a history finding under its description:
/// the commit that first added it (`at` gives where it was then when that
/// is not the line shown), or where it is known from.
pub fn first_line(f: &Finding, at: &str) -> Option<String> {
    if let Some(prov) = &f.provenance {
        let verb = if f.at_head.is_some() {
            "first added in"
        } else {
            "added in"
        };
        return Some(format!(
            "{verb} commit {}{at} by {} on {}",
            short(&prov.commit),
            escape(&prov.author),
            prov.dates()
        ));
    }
    if let Some(b) = &f.shallow_boundary {
        return Some(format!(
            "present at this shallow clone's boundary (commit {}{at}): added there or by an older commit the clone does not have",
            short(b)
        ));
    }
    let c = f.earliest_readable.as_ref()?;
    Some(format!(
        "present in commit {}{at}, the oldest version of this file the clone could read: the version before it is missing (a partial clone), so the secret may have been added by an older commit",
        short(c)
    ))
}

/// What a text report says of another path of the same secret, in
/// parentheses after it.
pub fn also_at(g: &Finding) -> String {
    let added = added(g, "there");
    let unnamed = g.shallow_boundary.as_ref().or(g.earliest_readable.as_ref());
    match (&g.provenance, unnamed) {
        (Some(prov), _) => format!(
            " (first added in commit {} on {}; {added})",
            short(&prov.commit),
            prov.dates()
        ),
        (None, Some(c)) => format!(" (commit {}: {added})", short(c)),
        (None, None) => format!(" ({added})"),
    }
}
