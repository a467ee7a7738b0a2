//! Engine throughput on mixed source text: the crate's own sources and rule
//! pack, plus generated Python, YAML, JSON and .env files full of keywords
//! (`api_key`, `token`, `secret`, `binance`) and a few planted secrets, cut
//! into file-sized blobs. Reported in bytes per second.
//!
//!     cargo bench --bench engine

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keyhound::detectors::{Engine, PathForms, Scratch};
use keyhound::rules::RuleSet;
use keyhound::rules::examples::Fake;

/// About 8 MiB of text in blobs of 4–64 KiB.
fn corpus() -> Vec<Vec<u8>> {
    let mut sources = Vec::new();
    for dir in [
        "src",
        "src/detectors",
        "src/rules",
        "src/reports",
        "src/sources",
        "src/cli",
        "rules",
        "tests",
    ] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().is_file() {
                sources.push(std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut fake = Fake::new(7);
    let mut generated = Vec::new();
    for i in 0..200 {
        let mut s = String::new();
        for j in 0..300 {
            match (i + j) % 9 {
                0 => s.push_str(&format!("api_key = os.environ['API_KEY_{j}']\n")),
                1 => s.push_str(&format!("    token: ${{{{ secrets.TOKEN_{j} }}}}\n")),
                2 => s.push_str(&format!("  \"checksum\": \"sha256:{}\",\n", fake.string(b"0123456789abcdef", 64))),
                3 => s.push_str("from binance.client import Client  # the exchange client\n"),
                4 => s.push_str(&format!("def handler_{j}(event, context):\n    return secret_manager.get(event['key'])\n")),
                5 => s.push_str(&format!("ORDER_ID_{j}={}\n", fake.uuid())),
                6 => s.push_str("        self.session = requests.Session()  # https://api.example.com/v1\n"),
                7 => s.push_str(&format!("password_hash = \"$2b$12${}\"\n", fake.string(b"abcdefghijklmnopqrstuvwxyz./", 53))),
                _ => s.push_str("    for key, value in sorted(mapping.items()): total += len(value)\n"),
            }
        }
        if i % 50 == 0 {
            s.push_str(&format!(
                "BINANCE_API_KEY={}\nBINANCE_API_SECRET={}\n",
                fake.alnum(64),
                fake.alnum(64)
            ));
        }
        generated.push(s.into_bytes());
    }
    let mut blobs = Vec::new();
    let mut total = 0;
    while total < 8 << 20 {
        for b in sources.iter().chain(generated.iter()) {
            total += b.len();
            blobs.push(b.clone());
        }
    }
    blobs
}

fn bench(c: &mut Criterion) {
    let blobs = corpus();
    let bytes: usize = blobs.iter().map(Vec::len).sum();
    let engine = Engine::new(RuleSet::builtin().unwrap());
    let path = PathForms {
        display: "bench.txt",
        relative: "bench.txt",
    };
    let mut scratch = Scratch::default();
    // Compile the rules once, outside the measurement.
    for b in &blobs {
        engine.scan(b, path, &mut scratch);
    }
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.bench_function("scan mixed source (8 MiB)", |b| {
        b.iter(|| {
            let mut n = 0;
            for blob in &blobs {
                n += engine.scan(black_box(blob), path, &mut scratch).len();
            }
            n
        })
    });
    let clean: Vec<u8> = blobs.iter().take(40).flatten().copied().collect();
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function("scan one large blob", |b| {
        b.iter(|| engine.scan(black_box(&clean), path, &mut scratch).len())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
