//! keyhound: a secret scanner for Git repositories, tuned for exchange
//! credentials (Binance first) and general secrets.
//!
//! Data flows one way: a **source** yields blobs (`sources`), the
//! **prefilter** picks the rules worth running on each (`prefilter`), the
//! **detectors** confirm matches (`detectors`), matches become **findings**
//! (`findings`; `pairs` marks the two halves of a credential,
//! `confidence` says how sure each one is), and
//! **reports** print them (`reports`). `rules` holds the
//! TOML rule pack, `config` the user's `.keyhound.toml`, `scan` the drivers
//! (directories, Git changes, Git history, a push to a server); what a scan
//! produces and what it checked and could not (`findings::Outcome`,
//! `findings::Stats`) is the findings layer's, so reports depend on
//! findings alone; `purge` the history rewrite plan built on the history
//! audit, and its check.

pub mod confidence;
pub mod config;
pub mod detectors;
pub mod error;
pub mod findings;
pub mod hooks;
pub mod pairs;
pub mod prefilter;
pub mod purge;
pub mod relabel;
pub mod reports;
pub mod rules;
pub mod scan;
pub mod sources;
pub mod verify;

pub use error::{Error, Result};
