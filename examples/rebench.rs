use std::time::Instant;
fn main() {
    let data: Vec<u8> = std::env::args()
        .skip(1)
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    let rules = keyhound::rules::RuleSet::builtin().unwrap();
    for r in &rules.rules {
        for p in r.patterns() {
            let re = regex::bytes::RegexBuilder::new(p)
                .unicode(false)
                .multi_line(true)
                .size_limit(64 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .unwrap();
            let t = Instant::now();
            let n = re.find_iter(&data).count();
            let s = t.elapsed().as_secs_f64();
            println!(
                "{:8.1} MB/s {:5} {}",
                data.len() as f64 / s / 1e6,
                n,
                r.id()
            );
        }
    }
}
