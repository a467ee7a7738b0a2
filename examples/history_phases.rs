//! Times the two phases of a full-history scan: enumerating (commit graph
//! and tree walks) and reading every distinct blob (no scanning), with the
//! peak memory after each.
//!
//!     cargo run --release --example history_phases -- path/to/repo/.git

use std::time::Instant;

use gix::prelude::*;
use keyhound::sources::git::history::{self, Store};
use keyhound::sources::git::pages::Trimmer;

/// Peak resident memory so far.
fn peak() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_default()
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| ".git".into());
    let store = Store::open(std::path::Path::new(&path)).unwrap();
    let t = Instant::now();
    let h = history::enumerate(&store, &Trimmer::new(1000)).unwrap();
    println!(
        "enumerate: {:.2}s, {} commits, {} blobs, peak {}",
        t.elapsed().as_secs_f64(),
        h.commits.len(),
        h.blobs.len(),
        peak()
    );
    let t = Instant::now();
    let repo = store.handle();
    let (mut bytes, mut buf) = (0, Vec::new());
    for (oid, _) in &h.blobs {
        bytes += repo
            .objects
            .try_find(oid, &mut buf)
            .ok()
            .flatten()
            .map_or(0, |d| d.data.len());
    }
    println!(
        "read blobs (1 thread): {:.2}s, {} MB, peak {}",
        t.elapsed().as_secs_f64(),
        bytes >> 20,
        peak()
    );
}
