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

/// How sure keyhound is that a finding is a live secret (severity says how
/// bad its leak would be). A rule declares a base level
/// ([`RuleSpec::confidence`]); what surrounds a finding (a parsed key, its
/// other half, a documentation or example file) moves it: see
/// `crate::confidence`. Ordered `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A plain word, a documentation sample, a fixture: shown on request
    /// (`--min-confidence low`).
    Low,
    /// A random-enough value under a credential name.
    Medium,
    /// A validated format: a distinctive prefix, a checksum, a parsed
    /// private key, a key with its other half.
    High,
}

/// Reads `"low"`, `"medium"` or `"high"`; anything else (a number, another
/// word) is an error that names the three.
impl<'de> Deserialize<'de> for Confidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Level;
        impl serde::de::Visitor<'_> for Level {
            type Value = Confidence;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one of \"low\", \"medium\", \"high\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Confidence, E> {
                match v {
                    "low" => Ok(Confidence::Low),
                    "medium" => Ok(Confidence::Medium),
                    "high" => Ok(Confidence::High),
                    _ => Err(E::unknown_variant(v, &["low", "medium", "high"])),
                }
            }
        }
        d.deserialize_any(Level)
    }
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One level less sure (`Low` stays `Low`).
    pub fn lower(self) -> Self {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

impl std::fmt::Display for Confidence {
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
    /// Case-insensitive substrings of the secret that mark a placeholder;
    /// one that occurs by chance inside a generated value does not
    /// (`detectors::checks::words_by_chance`).
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

/// A check of the secret beyond its regex: a checksum or key structure
/// (`detectors::wallet`) or a format's encoding (`detectors::formats`).
/// Checksum-validated kinds (the wallet ones but `secp256k1`) also need no
/// keyword: their own cheap finder picks the places to look, and the
/// pack's placeholder checks (stopwords, sequences) do not apply to a value
/// whose checksum holds; only the exact values listed as published
/// examples (compared in a canonical form) are dropped. The format kinds
/// run after the value checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validate {
    /// A BIP-39 mnemonic of 12/15/18/21/24 list words whose checksum holds.
    Bip39,
    /// A Bitcoin WIF private key: base58check, version 0x80 or 0xEF.
    Wif,
    /// A BIP-32 extended private key (`xprv`, `tprv`, `yprv`, `zprv`...).
    Bip32Private,
    /// An XRPL family seed (`s…`): base58check in the XRPL alphabet.
    XrplSeed,
    /// A Solana keypair (64 bytes, base58 or a JSON array of numbers)
    /// whose second half is the Ed25519 public key of its first half.
    SolanaKeypair,
    /// A secp256k1 private key in hex: in range (0 < k < n). Not a
    /// checksum: the rule's other value checks still apply.
    Secp256k1,
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
    /// How sure a match of this rule is, before context moves it
    /// (`high`, `medium`, `low`). Default: `high` for rules that do not
    /// check names (`check-names = false`: tokens with their own prefix,
    /// PEM keys), `medium` otherwise (a value recognised by its name). See
    /// [`RuleSpec::base_confidence`].
    #[serde(default)]
    pub confidence: Option<Confidence>,
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
    /// A check of the secret beyond its regex: a checksum, a key's
    /// structure or a format's encoding (see [`Validate`]).
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

impl RuleSpec {
    /// The rule's confidence before context: `confidence` when given, else
    /// `high` for a rule whose format carries its own proof
    /// (`check-names = false`), `medium` for one that relies on a name.
    pub fn base_confidence(&self) -> Confidence {
        self.confidence.unwrap_or(if self.check_names {
            Confidence::Medium
        } else {
            Confidence::High
        })
    }
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
