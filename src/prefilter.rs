//! The first stage: one Aho-Corasick pass over every rule keyword.
//!
//! Contract (as in ripgrep's matcher): the prefilter may select a rule that
//! then finds nothing, but it never misses a place where a rule could match.
//!
//! Every keyword occurrence is seen, overlapping ones included: the
//! automaton (aho-corasick's DFA, standard match semantics) reports at each
//! byte every keyword that ends there. A DFA step is one table look-up that
//! needs the state the previous byte left, so one walk through a file waits
//! on memory at every byte; [`walk`] runs [`LANES`] walks over the file's
//! parts at once, whose look-ups overlap (each part reads on past its end by
//! the longest keyword, so a keyword across a boundary is seen whole).

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, MatchKind, dfa, nfa};

/// Which rules a file needs, and where their keywords are.
#[derive(Debug)]
pub struct Prefilter {
    ac: Option<Keywords>,
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
            // No prefilter: with one, the start state is "special" and the
            // walk would stop at nearly every byte.
            if small {
                Keywords::Nfa(
                    nfa::contiguous::Builder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&keywords)
                        .expect("keyword automaton builds"),
                )
            } else {
                Keywords::Dfa(
                    dfa::Builder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&keywords)
                        .expect("keyword automaton builds"),
                )
            }
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

    /// Whether any rule could match in `data`: a rule without keywords,
    /// or any keyword anywhere (the search stops at the first).
    pub fn any(&self, data: &[u8]) -> bool {
        !self.unconditional.is_empty()
            || self.ac.as_ref().is_some_and(|ac| {
                let mut any = false;
                ac.walk(data, |_, _| {
                    any = true;
                    false
                });
                any
            })
    }

    /// Finds every keyword in `data` and records in `hits`, per rule, where
    /// they start (byte offsets, ascending, each once), and which rules
    /// search the whole file.
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
        // Every keyword at every position, overlapping ones included;
        // one seen twice at a part's boundary is deduplicated below.
        ac.walk(data, |pattern, start| {
            for &r in &self.pattern_rules[pattern] {
                let offs = &mut hits.offsets[r as usize];
                if offs.is_empty() {
                    hits.selected.push(r);
                }
                offs.push(start);
            }
            true
        });
        hits.selected.sort_unstable();
        for &r in &hits.selected {
            let offs = &mut hits.offsets[r as usize];
            offs.sort_unstable();
            offs.dedup();
        }
    }
}

/// The keyword automaton: a DFA for large inputs, a contiguous NFA (quick
/// to build) for small ones.
#[derive(Debug)]
enum Keywords {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

impl Keywords {
    /// Calls `on(pattern, start)` for every keyword occurrence in `data`,
    /// at least once each, until `on` returns false.
    fn walk(&self, data: &[u8], on: impl FnMut(usize, usize) -> bool) {
        match self {
            Keywords::Dfa(a) => walk(a, data, on),
            Keywords::Nfa(a) => walk(a, data, on),
        }
    }
}

/// How many walks [`walk`] interleaves (2 to 8 measured on the stdlib's
/// text: 4 was fastest; docs/benchmarks.md).
const LANES: usize = 4;

/// Below this many bytes a file is one part.
const MIN_PART: usize = 256;

/// Runs `aut` (unanchored, standard semantics, no prefilter) over `data`
/// in up to [`LANES`] parts at once; calls `on(pattern, start)` for each
/// keyword that ends in a part or in the longest keyword's length after
/// it, and stops when `on` returns false. A keyword across two parts'
/// boundary may be reported twice.
fn walk<A: Automaton>(aut: &A, data: &[u8], mut on: impl FnMut(usize, usize) -> bool) {
    let start = aut
        .start_state(Anchored::No)
        .expect("unanchored start state");
    // Reports the matches of state `sid`, reached after byte `after - 1`.
    let mut report = |sid, after: usize| -> bool {
        for k in 0..aut.match_len(sid) {
            let p = aut.match_pattern(sid, k);
            if !on(p.as_usize(), after - aut.pattern_len(p)) {
                return false;
            }
        }
        true
    };
    let n = data.len();
    if n >= MIN_PART * LANES {
        // Lane `l` reads `data[from[l]..]` up to the end of its part plus
        // the reach; the lanes step together for `common` bytes, then each
        // finishes alone.
        let part = n.div_ceil(LANES);
        let reach = aut.max_pattern_len().saturating_sub(1);
        let from: [usize; LANES] = std::array::from_fn(|l| l * part);
        let mut sid = [start; LANES];
        let common = n - from[LANES - 1];
        let [a, b, c, d] = from;
        let lanes = data[a..a + common]
            .iter()
            .zip(&data[b..b + common])
            .zip(&data[c..c + common])
            .zip(&data[d..d + common]);
        for (i, (((&x, &y), &z), &w)) in lanes.enumerate() {
            sid[0] = aut.next_state(Anchored::No, sid[0], x);
            sid[1] = aut.next_state(Anchored::No, sid[1], y);
            sid[2] = aut.next_state(Anchored::No, sid[2], z);
            sid[3] = aut.next_state(Anchored::No, sid[3], w);
            if aut.is_special(sid[0])
                | aut.is_special(sid[1])
                | aut.is_special(sid[2])
                | aut.is_special(sid[3])
            {
                for l in 0..LANES {
                    if aut.is_match(sid[l]) && !report(sid[l], from[l] + i + 1) {
                        return;
                    }
                }
            }
        }
        for l in 0..LANES - 1 {
            let end = ((l + 1) * part + reach).min(n);
            if !finish(aut, data, from[l] + common, end, sid[l], &mut report) {
                return;
            }
        }
    } else {
        finish(aut, data, 0, n, start, &mut report);
    }
}

/// One walk over `data[at..end]` from state `sid`; false when `report`
/// said stop.
fn finish<A: Automaton>(
    aut: &A,
    data: &[u8],
    at: usize,
    end: usize,
    mut sid: aho_corasick::automaton::StateID,
    report: &mut impl FnMut(aho_corasick::automaton::StateID, usize) -> bool,
) -> bool {
    for (i, &b) in data[at..end].iter().enumerate() {
        sid = aut.next_state(Anchored::No, sid, b);
        if aut.is_special(sid) && aut.is_match(sid) && !report(sid, at + i + 1) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;

    /// Every (pattern, start) the library's own overlapping search reports.
    fn reference(keywords: &[&str], data: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(keywords)
            .unwrap();
        let mut v: Vec<_> = ac
            .find_overlapping_iter(data)
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect();
        v.sort_unstable();
        v
    }

    fn walked(k: &Keywords, data: &[u8]) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        k.walk(data, |p, s| {
            v.push((p, s));
            true
        });
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn interleaved_walks_see_every_overlapping_keyword_once_deduplicated() {
        let keywords = ["key", "apikey", "api_key", "secret", "ecr", "token", "k"];
        let owned: Vec<Vec<u8>> = keywords.iter().map(|k| k.as_bytes().to_vec()).collect();
        let dfa = Keywords::Dfa(
            dfa::Builder::new()
                .ascii_case_insensitive(true)
                .prefilter(false)
                .build(&owned)
                .unwrap(),
        );
        let nfa = Keywords::Nfa(
            nfa::contiguous::Builder::new()
                .ascii_case_insensitive(true)
                .prefilter(false)
                .build(&owned)
                .unwrap(),
        );
        // Sizes around the one-part limit and part boundaries; keywords
        // planted densely (so some straddle every boundary) and in mixed case.
        let mut seed = 7u64;
        for n in [
            0,
            1,
            5,
            MIN_PART * LANES - 1,
            MIN_PART * LANES,
            4099,
            10_007,
        ] {
            let data: Vec<u8> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    b"apiKEY_secrtokn .x"[(seed >> 33) as usize % 18]
                })
                .collect();
            // And one across each part's boundary.
            let mut data = data;
            let part = n.div_ceil(LANES);
            for l in 1..LANES {
                if n >= MIN_PART * LANES {
                    data[l * part - 3..l * part + 3].copy_from_slice(b"SeCrEt");
                }
            }
            let want = reference(&keywords, &data);
            assert!(n < 1000 || want.len() > 100, "dense enough: {}", want.len());
            assert_eq!(walked(&dfa, &data), want, "dfa, {n} bytes");
            assert_eq!(walked(&nfa, &data), want, "nfa, {n} bytes");
        }
    }

    #[test]
    fn a_walk_stops_when_told() {
        let dfa = Keywords::Dfa(dfa::Builder::new().prefilter(false).build(["ab"]).unwrap());
        let data = b"ab".repeat(5000);
        let mut seen = 0;
        dfa.walk(&data, |_, _| {
            seen += 1;
            seen < 3
        });
        assert_eq!(seen, 3);
    }
}
