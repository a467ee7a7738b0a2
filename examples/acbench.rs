use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::time::Instant;
fn main() {
    let data: Vec<u8> = std::env::args()
        .skip(1)
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    let rules = keyhound::rules::RuleSet::builtin().unwrap();
    let mut kws: Vec<String> = rules
        .rules
        .iter()
        .flat_map(|r| r.spec.keywords.iter().map(|k| k.to_ascii_lowercase()))
        .collect();
    kws.sort();
    kws.dedup();
    println!("{} bytes, {} keywords", data.len(), kws.len());
    for (name, kind, mk, ci) in [
        (
            "dfa ll ci",
            AhoCorasickKind::DFA,
            MatchKind::LeftmostLongest,
            true,
        ),
        (
            "dfa std ci",
            AhoCorasickKind::DFA,
            MatchKind::Standard,
            true,
        ),
        (
            "nfa ll ci",
            AhoCorasickKind::ContiguousNFA,
            MatchKind::LeftmostLongest,
            true,
        ),
        (
            "dfa ll cs(lower)",
            AhoCorasickKind::DFA,
            MatchKind::LeftmostLongest,
            false,
        ),
    ] {
        let ac = AhoCorasick::builder()
            .kind(Some(kind))
            .match_kind(mk)
            .ascii_case_insensitive(ci)
            .build(&kws)
            .unwrap();
        let t = Instant::now();
        let mut n = 0;
        let lower;
        let hay: &[u8] = if ci {
            &data
        } else {
            lower = data.to_ascii_lowercase();
            &lower
        };
        for _ in 0..3 {
            n += ac.find_iter(hay).count();
        }
        let s = t.elapsed().as_secs_f64() / 3.0;
        println!(
            "{name:20} {:7.1} MB/s ({n} matches)",
            data.len() as f64 / s / 1e6
        );
    }
    let re = regex::bytes::RegexBuilder::new(
        &kws.iter()
            .map(|k| regex::escape(k))
            .collect::<Vec<_>>()
            .join("|"),
    )
    .case_insensitive(true)
    .unicode(false)
    .build()
    .unwrap();
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..3 {
        n += re.find_iter(&data).count();
    }
    let s = t.elapsed().as_secs_f64() / 3.0;
    println!(
        "{:20} {:7.1} MB/s ({n} matches)",
        "regex alternation",
        data.len() as f64 / s / 1e6
    );
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..3 {
        n += data.to_ascii_lowercase().len();
    }
    let s = t.elapsed().as_secs_f64() / 3.0;
    println!(
        "{:20} {:7.1} MB/s ({n})",
        "lowercase copy",
        data.len() as f64 / s / 1e6
    );
}
