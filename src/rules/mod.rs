//! Rules: the TOML pack embedded in the binary, user additions, compilation.

pub mod check;
mod compile;
pub mod examples;
mod fragments;
pub mod spec;

pub use compile::{Allowlist, Decoder, Rule, RuleSet, path_glob};
pub use spec::{Confidence, RuleSpec, Severity};

/// Embeds rule files by their path in the repository.
macro_rules! pack {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../../", $file)))),*]
    };
}

/// The built-in rule pack, in priority order: when two rules match the same
/// text, the one listed first wins.
pub const BUILTIN: &[(&str, &str)] = pack![
    "rules/fragments.toml",
    "rules/known-examples.toml",
    "rules/private-keys.toml",
    "rules/binance.toml",
    "rules/wallets.toml",
    "rules/credential-files.toml",
    "rules/services.toml",
    "rules/exchanges.toml",
    "rules/frameworks.toml",
    "rules/generic.toml",
    "rules/passwords.toml",
    "rules/decoders.toml",
];
