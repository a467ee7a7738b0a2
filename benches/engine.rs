//! Engine throughput (bytes per second) on two kinds of mixed source text,
//! in file-sized blobs:
//!
//! - `typical source`: this crate's own sources and rule pack, and
//!   generated Python modules where a line in thirty touches a credential
//!   (`os.environ['API_KEY']`, a Binance client, a checksum);
//! - `dense config`: generated files where nearly every line holds a
//!   keyword (`api_key`, `token`, `secret`, `binance`), the worst case for
//!   the prefilter, which then selects every rule almost everywhere.
//!
//! Both carry a few planted secrets.
//!
//!     cargo bench --bench engine

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keyhound::detectors::{Engine, PathForms, Scratch};
use keyhound::rules::RuleSet;
use keyhound::rules::examples::Fake;

/// One generated line: ordinary code most of the time, a credential-related
/// line once in `every` lines.
fn line(fake: &mut Fake, i: usize, j: usize, every: usize) -> String {
    if !(i + j).is_multiple_of(every) {
        return match (i * 7 + j) % 6 {
            0 => format!("def handler_{j}(event, context):\n"),
            1 => format!("    result_{j} = compute(event['values'][{j}], scale=0.{i})\n"),
            2 => "        self.session = requests.Session()  # https://api.example.com/v1\n"
                .to_string(),
            3 => {
                "    for name, value in sorted(mapping.items()): total += len(value)\n".to_string()
            }
            4 => format!("    logger.info(\"processed %d rows in %s\", {j}, elapsed)\n"),
            _ => "    return {\"status\": \"ok\", \"count\": len(rows)}\n".to_string(),
        };
    }
    match (i + j / every) % 7 {
        0 => format!("api_key = os.environ['API_KEY_{j}']\n"),
        1 => format!("    token: ${{{{ secrets.TOKEN_{j} }}}}\n"),
        2 => format!(
            "  \"checksum\": \"sha256:{}\",\n",
            fake.string(b"0123456789abcdef", 64)
        ),
        3 => "from binance.client import Client  # the exchange client\n".to_string(),
        4 => format!("    return secret_manager.get(event['key_{j}'])\n"),
        5 => format!("ORDER_ID_{j}={}\n", fake.uuid()),
        _ => format!(
            "password_hash = \"$2b$12${}\"\n",
            fake.string(b"abcdefghijklmnopqrstuvwxyz./", 53)
        ),
    }
}

/// About 8 MiB of generated files where one line in `every` is about
/// credentials, with a planted Binance key pair in a few.
fn generated(every: usize) -> Vec<Vec<u8>> {
    let mut fake = Fake::new(7);
    let mut files = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < 8 << 20 {
        let mut s = String::new();
        for j in 0..400 {
            s.push_str(&line(&mut fake, i, j, every));
        }
        if i % 50 == 0 {
            s.push_str(&format!(
                "BINANCE_API_KEY={}\nBINANCE_API_SECRET={}\n",
                fake.alnum(64),
                fake.alnum(64)
            ));
        }
        total += s.len();
        files.push(s.into_bytes());
        i += 1;
    }
    files
}

/// This crate's sources, then generated modules, about 8 MiB in all.
fn typical() -> Vec<Vec<u8>> {
    let mut blobs = Vec::new();
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
                blobs.push(std::fs::read(e.path()).unwrap());
            }
        }
    }
    let own: usize = blobs.iter().map(Vec::len).sum();
    let mut modules = generated(30);
    let mut total = own;
    modules.retain(|b| {
        total += b.len();
        total < (8 << 20) + b.len()
    });
    blobs.extend(modules);
    blobs
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(RuleSet::builtin().unwrap());
    let path = PathForms {
        display: "bench.txt",
        relative: "bench.txt",
    };
    let mut scratch = Scratch::default();
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    for (name, blobs) in [
        ("typical source", typical()),
        ("dense config", generated(1)),
    ] {
        // Compile the rules once, outside the measurement.
        let planted: usize = blobs
            .iter()
            .map(|b| engine.scan(b, path, &mut scratch).len())
            .sum();
        assert!(planted > 0, "the planted keys are found");
        let bytes: usize = blobs.iter().map(Vec::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{name} ({} MiB)", bytes >> 20), |b| {
            b.iter(|| {
                let mut n = 0;
                for blob in &blobs {
                    n += engine.scan(black_box(blob), path, &mut scratch).len();
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
