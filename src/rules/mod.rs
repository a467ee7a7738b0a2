//! Rules: the TOML pack embedded in the binary, user additions, compilation.

pub mod check;
mod compile;
pub mod examples;
pub mod spec;

pub use compile::{Allowlist, Rule, RuleSet};
pub use spec::{RuleSpec, Severity};

/// The built-in rule pack, in priority order: when two rules match the same
/// text, the one listed first wins.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "rules/fragments.toml",
        include_str!("../../rules/fragments.toml"),
    ),
    (
        "rules/private-keys.toml",
        include_str!("../../rules/private-keys.toml"),
    ),
    (
        "rules/binance.toml",
        include_str!("../../rules/binance.toml"),
    ),
    (
        "rules/services.toml",
        include_str!("../../rules/services.toml"),
    ),
    (
        "rules/exchanges.toml",
        include_str!("../../rules/exchanges.toml"),
    ),
    (
        "rules/generic.toml",
        include_str!("../../rules/generic.toml"),
    ),
];
