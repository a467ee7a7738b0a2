//! Times the two phases of a full-history scan on a repository: enumerating
//! (commit walk and tree walks) and reading every blob (no scanning).
//!
//!     cargo run --release --example history_phases -- REPO

use std::time::Instant;

use keyhound::sources::git::{self, history};

/// Peak resident memory so far.
fn peak() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string() + " kB")
        })
        .unwrap_or_default()
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let repo = git::open(std::path::Path::new(&path)).unwrap();
    let t = Instant::now();
    let h = history::enumerate(&repo).unwrap();
    println!(
        "enumerate: {:.2}s, {} commits, {} blobs, peak {}",
        t.elapsed().as_secs_f64(),
        h.commits.len(),
        h.blobs.len(),
        peak()
    );
    let t = Instant::now();
    let mut bytes = 0;
    for (oid, _) in &h.blobs {
        bytes += repo.find_blob(*oid).map(|b| b.content().len()).unwrap_or(0);
    }
    println!(
        "read blobs (1 thread): {:.2}s, {} MB, peak {}",
        t.elapsed().as_secs_f64(),
        bytes >> 20,
        peak()
    );
    let t = Instant::now();
    let offsets = pack_offsets(repo.path());
    let mut order: Vec<git2::Oid> = h.blobs.iter().map(|b| b.0).collect();
    order.sort_by_key(|o| offsets.get(o).copied().unwrap_or((usize::MAX, 0)));
    println!("index offsets: {:.2}s", t.elapsed().as_secs_f64());
    let repo = git::open(std::path::Path::new(&path)).unwrap();
    let t = Instant::now();
    let mut bytes = 0;
    for oid in &order {
        bytes += repo.find_blob(*oid).map(|b| b.content().len()).unwrap_or(0);
    }
    println!(
        "read blobs in pack order (1 thread): {:.2}s, {} MB",
        t.elapsed().as_secs_f64(),
        bytes >> 20
    );
}

/// Offsets of every object in the repository's pack indexes (v2).
pub fn pack_offsets(
    git_dir: &std::path::Path,
) -> std::collections::HashMap<git2::Oid, (usize, u64)> {
    let mut out = std::collections::HashMap::new();
    let dir = git_dir.join("objects/pack");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for (pack_no, e) in entries.flatten().enumerate() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "idx") {
            continue;
        }
        let data = std::fs::read(&p).unwrap();
        if &data[..4] != b"\xfftOc" {
            continue;
        }
        let n = u32::from_be_bytes(data[8 + 255 * 4..8 + 256 * 4].try_into().unwrap()) as usize;
        let oids = 8 + 256 * 4;
        let crcs = oids + 20 * n;
        let offs = crcs + 4 * n;
        let large = offs + 4 * n;
        for i in 0..n {
            let oid = git2::Oid::from_bytes(&data[oids + 20 * i..oids + 20 * i + 20]).unwrap();
            let o = u32::from_be_bytes(data[offs + 4 * i..offs + 4 * i + 4].try_into().unwrap());
            let off = if o & 0x8000_0000 != 0 {
                let j = (o & 0x7fff_ffff) as usize;
                u64::from_be_bytes(data[large + 8 * j..large + 8 * j + 8].try_into().unwrap())
            } else {
                o as u64
            };
            out.insert(oid, (pack_no, off));
        }
    }
    out
}
