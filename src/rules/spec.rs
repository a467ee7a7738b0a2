//! The TOML shape of rules, shared by the built-in pack and user configs.
//!
//! Unknown keys are errors (`deny_unknown_fields`): a misspelt allowlist key
//! must never silently disable a safeguard.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How bad a leak of this kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A character class a secret must contain at least once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CharClass {
    Upper,
    Lower,
    Digit,
}

/// One regex or several; every one is searched.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Patterns {
    One(String),
    Many(Vec<String>),
}

impl Patterns {
    pub fn as_slice(&self) -> &[String] {
        match self {
            Patterns::One(p) => std::slice::from_ref(p),
            Patterns::Many(v) => v,
        }
    }
}

/// Words or patterns that must appear near a match.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContextSpec {
    /// Regexes; at least one must match in the text from `lines` lines
    /// before the secret's first line to `lines-after` lines after its last.
    pub patterns: Vec<String>,
    /// How many lines before (and, unless `lines-after` says otherwise,
    /// after) the secret's lines to look at.
    #[serde(default)]
    pub lines: usize,
    /// How many lines after the secret's lines to look at (default:
    /// `lines`). With 0 the text ends with the secret's last line, so a
    /// pattern can tie what it finds to that line with `\z`: on it
    /// (`{{word}}[^\n]*\z`), or in a section or object still open there.
    #[serde(default)]
    pub lines_after: Option<usize>,
}

/// What makes a match not a finding.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AllowlistSpec {
    /// Regexes matched against the secret.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Glob patterns of paths never reported.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes matched against the name the secret is assigned to.
    #[serde(default)]
    pub names: Vec<String>,
    /// Regexes matched against the text just before the secret on its line.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Exact secrets known to be public examples.
    #[serde(default)]
    pub secrets: Vec<String>,
}

impl AllowlistSpec {
    /// Adds everything of `other` to `self`.
    pub fn extend(&mut self, other: &AllowlistSpec) {
        self.regexes.extend(other.regexes.iter().cloned());
        self.stopwords.extend(other.stopwords.iter().cloned());
        self.paths.extend(other.paths.iter().cloned());
        self.names.extend(other.names.iter().cloned());
        self.prefixes.extend(other.prefixes.iter().cloned());
        self.secrets.extend(other.secrets.iter().cloned());
    }
}

/// Value checks a rule can switch on, beyond entropy and character classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reject {
    /// Pure hexadecimal values (digests, hashes, signatures).
    Hex,
    /// UUIDs.
    Uuid,
    /// Values made mostly of dictionary or programming words.
    Words,
    /// Identifiers: values that read like a variable name or a path.
    Identifier,
    /// Base64 that decodes to readable text (encoded JSON, cursors).
    EncodedText,
}

/// Format checks a regex cannot express, run on the secret after the
/// value checks (see `detectors::formats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validate {
    /// Base64 of `user:password` (Docker `auth`, npm `_auth`, HTTP Basic):
    /// both parts non-empty printable text, the password no placeholder.
    Base64UserPassword,
    /// Base64 of a printable password that is no placeholder (FileZilla
    /// `<Pass encoding="base64">`, npm `_password`).
    Base64Text,
    /// AES-CBC output as a file holds it: a 16-byte IV and whole 16-byte
    /// blocks, not text (DBeaver `credentials-config.json`).
    CipherBlocks,
}

fn yes() -> bool {
    true
}

/// One detection rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    pub id: String,
    pub description: String,
    pub severity: Severity,
    /// ASCII case-insensitive literals; the rule runs only near one of them.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Globs of the files the rule applies to (`**/.netrc`), matched like
    /// allowlist paths against the path as shown and relative to the scan
    /// root, `/`-separated (history and `--staged` paths too). Empty: every
    /// file. A rule with paths searches the whole of every file its paths
    /// match, and no other: the file name is its keyword, and the rule takes
    /// no `keywords` (the prefilter's automaton stays free of them).
    #[serde(default)]
    pub paths: Vec<String>,
    /// How many lines around a keyword the regex looks at (0: the keyword's line).
    #[serde(default)]
    pub window: usize,
    /// How many lines one match may span (default 4).
    #[serde(default)]
    pub max_lines: Option<usize>,
    /// The regex (or regexes); the secret is the group named `secret`.
    pub regex: Patterns,
    /// Minimum Shannon entropy of the secret, in bits per character.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Character classes the secret must mix.
    #[serde(default)]
    pub require: Vec<CharClass>,
    /// Value shapes that are never this rule's secret.
    #[serde(default)]
    pub reject: Vec<Reject>,
    /// A format check of the secret (decoding, structure).
    #[serde(default)]
    pub validate: Option<Validate>,
    #[serde(default)]
    pub context: Option<ContextSpec>,
    /// Whether the pack-wide `names` allowlist applies. Tokens that carry
    /// their own prefix (`ghp_`, `AKIA`) are secrets whatever their name.
    #[serde(default = "yes")]
    pub check_names: bool,
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// Labels such as `binance`, `private-key`, `exchange`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What to do when this leaks.
    #[serde(default)]
    pub remediation: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// A decoder: finds encoded text (base64 PEM, Kubernetes secret data),
/// decodes it, and scans the result with every rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DecoderSpec {
    pub id: String,
    pub description: String,
    /// As for rules: the decoder runs only near one of these.
    pub keywords: Vec<String>,
    #[serde(default)]
    pub window: usize,
    #[serde(default)]
    pub max_lines: Option<usize>,
    /// The encoded value is the group named `encoded`; an optional `name`
    /// group is the name it is assigned to, kept for the decoded scan.
    pub regex: String,
    /// Texts in which a secret must be found through this decoder.
    #[serde(default)]
    pub examples: Vec<String>,
}

/// A rules file: named regex fragments, a pack-wide allowlist, rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleFile {
    /// Reusable regex pieces, referenced as `{{name}}` in any regex.
    #[serde(default)]
    pub fragments: BTreeMap<String, String>,
    /// Applies to every rule.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
    #[serde(default, rename = "decoder")]
    pub decoders: Vec<DecoderSpec>,
}
