//! What each rule costs: scans the given files with an engine holding one
//! rule at a time (and then all of them), and prints the time per rule,
//! slowest last. For rule authors: a rule whose keywords are too common or
//! whose window is too wide shows here.
//!
//!     cargo run --release --example rule_cost -- FILE...

use std::time::Instant;

use keyhound::detectors::{Engine, PathForms, Scratch};
use keyhound::rules::RuleSet;

fn time(engine: &Engine, files: &[Vec<u8>]) -> (f64, usize) {
    let path = PathForms {
        display: "file",
        relative: "file",
    };
    let mut scratch = Scratch::default();
    let mut found = 0;
    for f in files {
        found += engine.scan(f, path, &mut scratch).len();
    }
    let started = Instant::now();
    for _ in 0..3 {
        for f in files {
            engine.scan(f, path, &mut scratch);
        }
    }
    (started.elapsed().as_secs_f64() * 1000.0 / 3.0, found)
}

fn main() {
    let files: Vec<Vec<u8>> = std::env::args()
        .skip(1)
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .collect();
    let ids: Vec<String> = RuleSet::builtin()
        .unwrap()
        .rules
        .iter()
        .map(|r| r.spec.id.clone())
        .collect();
    let mut rows = Vec::new();
    for id in &ids {
        let mut set = RuleSet::builtin().unwrap();
        let others: Vec<String> = ids.iter().filter(|x| *x != id).cloned().collect();
        set.disable(&others, "rule_cost").unwrap();
        rows.push((time(&Engine::new(set), &files), id.clone()));
    }
    rows.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
    for ((ms, found), id) in rows {
        println!("{ms:8.1} ms  {found:6} findings  {id}");
    }
    let (ms, found) = time(&Engine::new(RuleSet::builtin().unwrap()), &files);
    println!("{ms:8.1} ms  {found:6} findings  all rules");
}
