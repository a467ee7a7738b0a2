//! Rules scoped to files by name (`paths = ["**/.netrc"]`): formats such
//! as `.pgpass` or `.git-credentials` say what is secret only in a file of
//! that name, and their lines hold no keyword a prefilter could look for.
//!
//! Every rule's globs are compiled into one set, matched once per file
//! against the path as shown and relative to the scan root; a file no glob
//! matches costs one set match, whatever the number of scoped rules.

use globset::{GlobSet, GlobSetBuilder};

use super::PathForms;
use crate::rules::{RuleSet, path_glob};

/// The path scopes of a rule set.
#[derive(Debug, Default)]
pub struct Scopes {
    /// All globs of all scoped rules; `None` when no rule is scoped.
    set: Option<GlobSet>,
    /// For each glob of `set`, the rule it belongs to.
    owner: Vec<u32>,
    /// Whether rule `i` has paths.
    scoped: Vec<bool>,
}

impl Scopes {
    /// The scopes of `rules`. Globs were checked when the rules were built.
    pub fn new(rules: &RuleSet) -> Self {
        let mut b = GlobSetBuilder::new();
        let mut owner = Vec::new();
        let mut scoped = vec![false; rules.rules.len()];
        for (i, rule) in rules.rules.iter().enumerate() {
            for p in &rule.spec.paths {
                let glob = path_glob(p).unwrap_or_else(|e| panic!("rule `{}`: {e}", rule.id()));
                b.add(glob);
                owner.push(i as u32);
                scoped[i] = true;
            }
        }
        let set = (!owner.is_empty()).then(|| b.build().expect("globs checked one by one"));
        Scopes { set, owner, scoped }
    }

    /// Whether rule `r` applies only to some files.
    pub fn is_scoped(&self, r: u32) -> bool {
        self.scoped.get(r as usize).copied().unwrap_or(false)
    }

    /// The scoped rules whose paths match `path`, ascending, into `out`.
    pub fn matching(&self, path: PathForms<'_>, out: &mut Vec<u32>) {
        out.clear();
        let Some(set) = &self.set else { return };
        let mut globs = Vec::new();
        let both = [path.display, path.relative];
        let forms = if path.display == path.relative {
            &both[..1]
        } else {
            &both[..]
        };
        for p in forms {
            set.matches_into(p, &mut globs);
            out.extend(globs.iter().map(|&g| self.owner[g]));
        }
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> RuleSet {
        RuleSet::from_files(&[(
            "t.toml",
            r#"
[[rule]]
id = "a"
description = "a"
severity = "high"
paths = ["**/.netrc", "**/_netrc"]
regex = '(?P<secret>x)'

[[rule]]
id = "b"
description = "b"
severity = "high"
keywords = ["k"]
regex = '(?P<secret>x)'
"#,
        )])
        .unwrap()
    }

    fn forms(p: &str) -> PathForms<'_> {
        PathForms {
            display: p,
            relative: p,
        }
    }

    #[test]
    fn a_glob_matches_at_any_depth_and_only_its_rule() {
        let s = Scopes::new(&set());
        let mut out = Vec::new();
        for p in [".netrc", "home/me/.netrc", "C/_netrc"] {
            s.matching(forms(p), &mut out);
            assert_eq!(out, [0], "{p}");
        }
        s.matching(forms("docs/netrc.md"), &mut out);
        assert!(out.is_empty());
        assert!(s.is_scoped(0) && !s.is_scoped(1));
    }
}
