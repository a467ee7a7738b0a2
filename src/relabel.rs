//! One secret, one rule. Two rules can match the same secret in different
//! places (a Binance key next to a mention of Binance in one file, the same
//! key in a plain `SECRET=` line in another; two versions of one file in
//! history): every finding of a secret is labelled with the most specific
//! rule that matched it anywhere in the scan. A rule's specificity is its
//! priority, the order of the rule set (the built-in pack lists the most
//! specific rules first; overlapping matches in one file are resolved the
//! same way, in `detectors`).

use std::collections::{HashMap, HashSet};

use crate::findings::{Finding, fingerprint, mark_pairs};
use crate::rules::{Rule, RuleSet};

/// Rule priorities by id: 0 is the most specific.
pub struct Specificity<'a> {
    rules: &'a [Rule],
    rank: HashMap<&'a str, usize>,
}

impl<'a> Specificity<'a> {
    /// The priorities of `rules`, in their order.
    pub fn new(rules: &'a RuleSet) -> Self {
        let mut rank = HashMap::new();
        for (i, r) in rules.rules.iter().enumerate() {
            rank.entry(r.spec.id.as_str()).or_insert(i);
        }
        Specificity {
            rules: &rules.rules,
            rank,
        }
    }

    /// The priority of rule `id` (unknown ids last).
    pub fn rank(&self, id: &str) -> usize {
        self.rank.get(id).copied().unwrap_or(usize::MAX)
    }

    /// The most specific rule that matched each secret (by SHA-256 of the
    /// secret) among `findings`.
    pub fn best<'f>(
        &self,
        findings: impl IntoIterator<Item = &'f Finding>,
    ) -> HashMap<[u8; 32], usize> {
        let mut best: HashMap<[u8; 32], usize> = HashMap::new();
        for f in findings {
            let r = self.rank(&f.rule_id);
            best.entry(f.secret_digest)
                .and_modify(|b| *b = (*b).min(r))
                .or_insert(r);
        }
        best
    }

    /// Labels `f` with the rule of priority `rank` when that rule is more
    /// specific than its own: rule id, description, severity, tags (a
    /// `base64` tag is kept) and fingerprint. Returns whether it changed.
    pub fn relabel(&self, f: &mut Finding, rank: usize) -> bool {
        let Some(rule) = self.rules.get(rank) else {
            return false;
        };
        if self.rank(&f.rule_id) <= rank {
            return false;
        }
        let spec = &rule.spec;
        let base64 = f.tags.iter().any(|t| t == "base64");
        let path = f.fingerprint_path.as_deref().unwrap_or(&f.path);
        f.fingerprint = fingerprint(&spec.id, path, &f.secret_digest);
        f.rule_id = spec.id.clone();
        f.description = spec.description.clone();
        f.severity = spec.severity;
        f.tags = spec.tags.clone();
        if base64 {
            f.tags.push("base64".to_string());
        }
        true
    }
}

/// Relabels every finding with its secret's most specific rule, then marks
/// again which credentials have their other half in the same file (and
/// commit) wherever a label changed.
pub fn one_rule_per_secret(findings: &mut [Finding], rules: &RuleSet) {
    let spec = Specificity::new(rules);
    let best = spec.best(findings.iter());
    let mut changed: HashSet<(String, Option<String>)> = HashSet::new();
    for f in findings.iter_mut() {
        if spec.relabel(f, best[&f.secret_digest]) {
            changed.insert(file_of(f));
        }
    }
    if changed.is_empty() {
        return;
    }
    let mut files: HashMap<(String, Option<String>), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let file = file_of(f);
        if changed.contains(&file) {
            files.entry(file).or_default().push(i);
        }
    }
    for at in files.values() {
        let mut group: Vec<Finding> = at.iter().map(|&i| findings[i].clone()).collect();
        mark_pairs(&mut group);
        for (&i, g) in at.iter().zip(group) {
            findings[i].paired = g.paired;
            findings[i].pair = g.pair;
        }
    }
}

/// A finding's file: its path, and its commit in Git scans.
fn file_of(f: &Finding) -> (String, Option<String>) {
    (
        f.path.clone(),
        f.provenance.as_ref().map(|p| p.commit.clone()),
    )
}

/// Whether the user accepted `f`: `suppressed` holds the fingerprint of
/// its secret at its path under any rule of `rules`. Which rule labels a
/// secret depends on what else the scan saw (the most specific rule that
/// matched it anywhere: a full scan may call `binance-secret-key` what a
/// pre-commit scan of one file calls `generic-secret`), so a fingerprint
/// accepted in one mode must hold in every mode.
pub fn accepted(f: &Finding, suppressed: &HashSet<String>, rules: &RuleSet) -> bool {
    if suppressed.is_empty() {
        return false;
    }
    if suppressed.contains(&f.fingerprint) {
        return true;
    }
    let path = f.fingerprint_path.as_deref().unwrap_or(&f.path);
    rules
        .rules
        .iter()
        .any(|r| suppressed.contains(&fingerprint(&r.spec.id, path, &f.secret_digest)))
}
