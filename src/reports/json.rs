//! JSON: `{"version", "findings", "stats"}`, the contract evaluation tools use.

use std::io::{self, Write};

use serde::Serialize;

use crate::findings::Finding;
use crate::findings::{Outcome, Stats};

#[derive(Serialize)]
struct Document<'a> {
    version: &'static str,
    findings: &'a [Finding],
    stats: &'a Stats,
    notes: &'a [String],
}

pub fn write(out: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    let doc = Document {
        version: env!("CARGO_PKG_VERSION"),
        findings: &outcome.findings,
        stats: &outcome.stats,
        notes: &outcome.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
