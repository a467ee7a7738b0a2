//! The first stage: one Aho-Corasick pass over every rule keyword.
//!
//! Contract (as in ripgrep's matcher): the prefilter may select a rule that
//! then finds nothing, but it never misses a place where a rule could match.
//!
//! Every keyword occurrence is seen, cheaply: the automaton runs in
//! leftmost-longest mode (which lets aho-corasick's SIMD prefilter skip
//! ahead), and each search restarts one byte after the previous match
//! started, so a keyword that starts inside another is still found. A
//! keyword contained in a longer one that matched at the same place (`key`
//! in `apikey`) is credited through a table computed once: each pattern
//! selects the rules of every keyword it contains.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Which rules a file needs, and where their keywords are.
#[derive(Debug)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// For each automaton pattern, the indices of the rules it selects.
    pattern_rules: Vec<Vec<u32>>,
    /// Rules without keywords: they search every file in full.
    unconditional: Vec<u32>,
    rule_count: usize,
}

/// Per-thread scratch space: keyword offsets by rule.
#[derive(Debug, Default)]
pub struct Hits {
    offsets: Vec<Vec<usize>>,
    selected: Vec<u32>,
    full: Vec<u32>,
}

impl Hits {
    /// Rules with at least one keyword in the file, in rule order.
    pub fn selected(&self) -> &[u32] {
        &self.selected
    }

    /// Rules that search the whole file (no keywords).
    pub fn full(&self) -> &[u32] {
        &self.full
    }

    /// Selects no rule by keyword and every rule in `rules` for a full search.
    pub fn force_full(&mut self, rules: &[u32]) {
        for &r in &self.selected {
            self.offsets[r as usize].clear();
        }
        self.selected.clear();
        self.full.clear();
        self.full.extend_from_slice(rules);
    }

    /// Adds places (ascending offsets) where rule `r` must look, found by
    /// a finder of its own rather than by keywords (`detectors::wallet`).
    pub fn add(&mut self, r: u32, offsets: &[usize]) {
        if offsets.is_empty() {
            return;
        }
        let offs = &mut self.offsets[r as usize];
        if offs.is_empty() {
            let at = self.selected.partition_point(|&s| s < r);
            self.selected.insert(at, r);
        }
        offs.extend_from_slice(offsets);
        offs.sort_unstable();
        offs.dedup();
    }

    /// Adds rule `r` to the rules that search the whole file (a rule
    /// selected by the file's path, see `detectors::scope`).
    pub fn add_full(&mut self, r: u32) {
        if !self.full.contains(&r) {
            self.full.push(r);
        }
    }

    /// Offsets of rule `r`'s keywords, ascending.
    pub fn offsets(&self, r: u32) -> &[usize] {
        &self.offsets[r as usize]
    }
}

impl Prefilter {
    /// `owners[i]` are the keywords of rule (or decoder) `i`. `small` builds
    /// an automaton that is quick to build rather than quick to run: for a
    /// pre-commit scan of a few kilobytes, building the DFA would cost more
    /// than the search.
    pub fn new(owners: &[&[String]], small: bool) -> Self {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut pattern_rules: Vec<Vec<u32>> = Vec::new();
        let mut unconditional = Vec::new();
        for (i, owned) in owners.iter().enumerate() {
            if owned.is_empty() {
                unconditional.push(i as u32);
            }
            for kw in owned.iter() {
                let kw = kw.to_ascii_lowercase().into_bytes();
                if kw.is_empty() {
                    unconditional.push(i as u32);
                    continue;
                }
                match keywords.iter().position(|k| *k == kw) {
                    Some(p) => {
                        if !pattern_rules[p].contains(&(i as u32)) {
                            pattern_rules[p].push(i as u32);
                        }
                    }
                    None => {
                        keywords.push(kw);
                        pattern_rules.push(vec![i as u32]);
                    }
                }
            }
        }
        unconditional.dedup();
        let ac = (!keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(if small {
                    aho_corasick::AhoCorasickKind::ContiguousNFA
                } else {
                    aho_corasick::AhoCorasickKind::DFA
                }))
                .build(&keywords)
                .expect("keyword automaton builds")
        });
        Prefilter {
            ac,
            pattern_rules,
            unconditional,
            rule_count: owners.len(),
        }
    }

    /// Rule `r` has no keywords but a finder of its own
    /// (`detectors::wallet`), which records where it must look: it does not
    /// search every file in full.
    pub fn exempt(&mut self, r: u32) {
        self.unconditional.retain(|&u| u != r);
    }

    /// Takes `rules` (keyword-less rules selected by path) out of the rules
    /// that search every file: the engine adds each to [`Hits::full`] when
    /// the file's path selects it.
    pub fn select_by_path(&mut self, rules: &[u32]) {
        self.unconditional.retain(|r| !rules.contains(r));
    }

    /// Finds every keyword in `data` and records, per rule, where they are.
    /// Whether any rule could match in `data`: a rule without keywords,
    /// or any keyword anywhere (the search stops at the first).
    pub fn any(&self, data: &[u8]) -> bool {
        !self.unconditional.is_empty() || self.ac.as_ref().is_some_and(|ac| ac.is_match(data))
    }

    pub fn scan(&self, data: &[u8], hits: &mut Hits) {
        if hits.offsets.len() != self.rule_count {
            hits.offsets = vec![Vec::new(); self.rule_count];
        }
        for &r in &hits.selected {
            hits.offsets[r as usize].clear();
        }
        hits.selected.clear();
        hits.full.clear();
        hits.full.extend_from_slice(&self.unconditional);
        let Some(ac) = &self.ac else { return };
        // One pass reports every keyword at every position, overlapping
        // ones included (no restart after each match).
        for m in ac.find_overlapping_iter(data) {
            for &r in &self.pattern_rules[m.pattern().as_usize()] {
                let offs = &mut hits.offsets[r as usize];
                if offs.is_empty() {
                    hits.selected.push(r);
                }
                offs.push(m.start());
            }
        }
        hits.selected.sort_unstable();
        for &r in &hits.selected {
            let offs = &mut hits.offsets[r as usize];
            offs.sort_unstable();
            offs.dedup();
        }
    }
}
