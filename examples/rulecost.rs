use keyhound::detectors::{Engine, PathForms, Scratch};
use keyhound::rules::RuleSet;
use std::time::Instant;
fn main() {
    let files: Vec<Vec<u8>> = std::env::args()
        .skip(1)
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let path = PathForms {
        display: "x",
        relative: "x",
    };
    let all = RuleSet::builtin().unwrap();
    let ids: Vec<String> = all.rules.iter().map(|r| r.spec.id.clone()).collect();
    for id in ids.iter().map(|s| s.as_str()).chain(["ALL"]) {
        let mut set = RuleSet::builtin().unwrap();
        if id != "ALL" {
            let others: Vec<String> = ids.iter().filter(|x| *x != id).cloned().collect();
            set.disable(&others, "x").unwrap();
        }
        let e = Engine::new(set);
        let mut s = Scratch::default();
        for f in &files {
            e.scan(f, path, &mut s);
        }
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..3 {
            for f in &files {
                n += e.scan(f, path, &mut s).len();
            }
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / 3.0;
        if ms > 2.0 || id == "ALL" {
            println!("{ms:8.1} ms {id} ({n})");
        }
    }
}
