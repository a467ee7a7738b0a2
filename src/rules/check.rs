//! `keyhound rules check`: every rule compiles, every example is found by
//! the real engine (prefilter included) exactly as the rule's definition
//! says, and no negative example is.

use super::compile::RuleSet;
use super::examples::{Fake, expand};
use super::spec::RuleSpec;
use crate::detectors::{Engine, PathForms, Scratch};

/// The result of checking a rule set.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub rules: usize,
    pub examples: usize,
    pub negative_examples: usize,
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What a rule means, computed the slow way: an exhaustive search of the
/// whole text, keeping the matches that start within `window` lines of a
/// keyword found by a plain case-insensitive substring search. The engine
/// (Aho-Corasick prefilter, merged windows, bounded search) must agree.
fn reference(
    engine: &Engine,
    spec: &RuleSpec,
    data: &[u8],
    path: PathForms<'_>,
    scratch: &mut Scratch,
) -> Vec<crate::detectors::Match> {
    let all = engine.scan_with(data, path, scratch, true);
    if spec.keywords.is_empty() {
        return all;
    }
    let lower = data.to_ascii_lowercase();
    let line_of = |pos: usize| data[..pos].iter().filter(|&&b| b == b'\n').count();
    let mut keyword_lines = Vec::new();
    for kw in &spec.keywords {
        let kw = kw.to_ascii_lowercase();
        let kw = kw.as_bytes();
        if kw.is_empty() || kw.len() > lower.len() {
            continue;
        }
        for at in 0..=lower.len() - kw.len() {
            if &lower[at..at + kw.len()] == kw {
                keyword_lines.push(line_of(at));
            }
        }
    }
    all.into_iter()
        .filter(|m| {
            let line = line_of(m.match_start);
            keyword_lines
                .iter()
                .any(|&k| k.abs_diff(line) <= spec.window)
        })
        .collect()
}

const EXAMPLE_PATH: PathForms<'static> = PathForms {
    display: "example.txt",
    relative: "example.txt",
};

/// Where a rule's examples are scanned: `example.txt`, or for a rule with
/// `paths` its first glob made a path (`**/.netrc` gives `.netrc`,
/// `**/*.ppk` gives `x.ppk`).
fn example_path(spec: &RuleSpec) -> String {
    match spec.paths.first() {
        None => EXAMPLE_PATH.display.to_string(),
        Some(glob) => glob.trim_start_matches("**/").replace('*', "x"),
    }
}

/// A rule set holding only `spec`, with the pack's fragments and allowlist.
fn alone(set: &RuleSet, spec: &RuleSpec, origin: &str) -> Result<RuleSet, String> {
    let mut one = RuleSet {
        rules: Vec::new(),
        decoders: Vec::new(),
        allowlist: Default::default(),
        allowlist_spec: Default::default(),
        fragments: set.fragments.clone(),
    };
    one.add_rule(spec.clone(), origin, true)
        .map_err(|e| e.to_string())?;
    one.set_allowlist(set.allowlist_spec.clone(), origin, true)
        .map_err(|e| e.to_string())?;
    Ok(one)
}

/// Checks every rule of `set`. Built-in rules must carry examples.
pub fn check(set: &RuleSet) -> CheckReport {
    let mut report = CheckReport {
        rules: set.rules.len(),
        ..Default::default()
    };
    let mut scratch = Scratch::default();
    for rule in &set.rules {
        let spec = &rule.spec;
        let id = &spec.id;
        if let Err(e) = rule.try_compile() {
            report.problems.push(e.to_string());
            continue;
        }
        // A rule validated by a checksum may find its own places to look;
        // one scoped to files by name searches those files whole.
        let finds_itself = spec.validate.is_some_and(|v| v.finds_itself());
        if spec.keywords.is_empty() && spec.paths.is_empty() && !finds_itself {
            report.problems.push(format!(
                "rule `{id}`: no keywords or paths, so it searches every file in full; add keywords"
            ));
        }
        if rule.builtin && spec.examples.is_empty() {
            report.problems.push(format!("rule `{id}`: no examples"));
        }
        let engine = match alone(set, spec, &rule.origin) {
            Ok(set) => Engine::new(set),
            Err(e) => {
                report.problems.push(e);
                continue;
            }
        };
        let at = example_path(spec);
        let path = PathForms {
            display: &at,
            relative: &at,
        };
        for (i, template) in spec.examples.iter().enumerate() {
            report.examples += 1;
            let ex = &expand(template, &mut Fake::from_str_seed(&format!("{id}/{i}")));
            let found = engine.scan(ex.as_bytes(), path, &mut scratch);
            let expected = reference(&engine, spec, ex.as_bytes(), path, &mut scratch);
            if !spec.paths.is_empty()
                && !engine
                    .scan(ex.as_bytes(), EXAMPLE_PATH, &mut scratch)
                    .is_empty()
            {
                report.problems.push(format!(
                    "rule `{id}`: example {} is found in `{}`, outside the rule's paths",
                    i + 1,
                    EXAMPLE_PATH.display
                ));
            }
            if found.is_empty() {
                let why = if expected.is_empty() {
                    "the rule does not match it"
                } else {
                    "the keyword prefilter loses it"
                };
                report.problems.push(format!(
                    "rule `{id}`: example {} is not found: {why}:\n    {ex}",
                    i + 1
                ));
            } else if found != expected {
                report.problems.push(format!(
                    "rule `{id}`: example {}: the engine finds {} matches where the rule's definition gives {} \
                     (a match longer than max-lines?):\n    {ex}",
                    i + 1,
                    found.len(),
                    expected.len()
                ));
            }
        }
        for (i, template) in spec.negative_examples.iter().enumerate() {
            report.negative_examples += 1;
            let ex = &expand(template, &mut Fake::from_str_seed(&format!("{id}/-{i}")));
            let found = engine.scan(ex.as_bytes(), path, &mut scratch);
            if let Some(m) = found.first() {
                report.problems.push(format!(
                    "rule `{id}`: negative example {} matches `{}`:\n    {ex}",
                    i + 1,
                    String::from_utf8_lossy(&ex.as_bytes()[m.start..m.end])
                ));
            }
        }
    }
    check_decoders(set, &mut report);
    report
}

/// Each decoder example must yield a secret found through decoding, with
/// the whole rule set.
fn check_decoders(set: &RuleSet, report: &mut CheckReport) {
    let mut all = RuleSet {
        rules: Vec::new(),
        decoders: Vec::new(),
        allowlist: Default::default(),
        allowlist_spec: Default::default(),
        fragments: set.fragments.clone(),
    };
    for r in &set.rules {
        if let Err(e) = all.add_rule(r.spec.clone(), &r.origin, false) {
            report.problems.push(e.to_string());
            return;
        }
    }
    for d in &set.decoders {
        if let Err(e) = d.try_compile() {
            report.problems.push(e.to_string());
            return;
        }
        if d.spec.examples.is_empty() {
            report
                .problems
                .push(format!("decoder `{}`: no examples", d.spec.id));
        }
        if let Err(e) = all.add_decoder(d.spec.clone(), &d.origin) {
            report.problems.push(e.to_string());
            return;
        }
    }
    if let Err(e) = all.set_allowlist(set.allowlist_spec.clone(), "the rule pack", true) {
        report.problems.push(e.to_string());
        return;
    }
    let engine = Engine::new(all);
    let mut scratch = Scratch::default();
    for d in &set.decoders {
        for (i, template) in d.spec.examples.iter().enumerate() {
            report.examples += 1;
            let id = &d.spec.id;
            let ex = expand(template, &mut Fake::from_str_seed(&format!("{id}/{i}")));
            let found = engine.scan(ex.as_bytes(), EXAMPLE_PATH, &mut scratch);
            if !found.iter().any(|m| m.decoded.is_some()) {
                report.problems.push(format!(
                    "decoder `{id}`: example {} yields no secret:\n    {ex}",
                    i + 1
                ));
            }
        }
    }
}
