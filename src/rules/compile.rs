//! Turning rule specs into searchable rules.
//!
//! Regexes are compiled lazily, on the first file that selects the rule, and
//! shared by all threads: a pre-commit scan of a small diff compiles only the
//! rules its keywords select. User rules are compiled eagerly so that a bad
//! regex in a config is reported before any scan starts.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::fragments::Fragments;
use super::spec::{AllowlistSpec, DecoderSpec, RuleFile, RuleSpec};
use crate::detectors::checks;
use crate::error::{Error, Result};

/// How many lines a match may span unless its rule says otherwise.
pub const DEFAULT_MAX_LINES: usize = 4;

/// An allowlist. Path globs are compiled at once (every file asks); the
/// value checks (regex sets, stopwords) on the first candidate that needs
/// them, so a scan that meets no candidate never pays for them.
#[derive(Debug, Default)]
pub struct Allowlist {
    paths: Option<GlobSet>,
    secrets: HashSet<Vec<u8>>,
    spec: AllowlistSpec,
    fragments: Fragments,
    values: OnceLock<std::result::Result<ValueChecks, String>>,
}

/// The compiled value checks of an allowlist. Every part is optional.
#[derive(Debug, Default)]
struct ValueChecks {
    regexes: Option<RegexSet>,
    stopwords: Option<aho_corasick::AhoCorasick>,
    names: Option<RegexSet>,
    prefixes: Option<RegexSet>,
}

impl ValueChecks {
    fn compile(spec: &AllowlistSpec, fragments: &Fragments) -> std::result::Result<Self, String> {
        let set = |pats: &[String]| -> std::result::Result<Option<RegexSet>, String> {
            if pats.is_empty() {
                return Ok(None);
            }
            let expanded = pats
                .iter()
                .map(|p| fragments.expand(p))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            RegexSetBuilder::new(&expanded)
                .unicode(false)
                .build()
                .map(Some)
                .map_err(|e| format!("allowlist regex: {e}"))
        };
        let stopwords = if spec.stopwords.is_empty() {
            None
        } else {
            Some(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .build(&spec.stopwords)
                    .map_err(|e| format!("allowlist stopwords: {e}"))?,
            )
        };
        Ok(ValueChecks {
            regexes: set(&spec.regexes)?,
            stopwords,
            names: set(&spec.names)?,
            prefixes: set(&spec.prefixes)?,
        })
    }
}

impl Allowlist {
    /// Checks the path globs now; the rest is compiled on first use (call
    /// [`Allowlist::validate`] to compile and check it now).
    pub fn compile(
        spec: &AllowlistSpec,
        fragments: &Fragments,
    ) -> std::result::Result<Self, String> {
        let paths = if spec.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for p in &spec.paths {
                b.add(path_glob(p).map_err(|e| format!("allowlist {e}"))?);
            }
            Some(b.build().map_err(|e| format!("allowlist paths: {e}"))?)
        };
        Ok(Allowlist {
            paths,
            secrets: spec.secrets.iter().map(|s| s.as_bytes().to_vec()).collect(),
            spec: spec.clone(),
            fragments: fragments.clone(),
            values: OnceLock::new(),
        })
    }

    /// Compiles the value checks now, reporting a bad regex.
    pub fn validate(&self) -> std::result::Result<(), String> {
        self.checks().map(|_| ())
    }

    fn checks(&self) -> std::result::Result<&ValueChecks, String> {
        self.values
            .get_or_init(|| ValueChecks::compile(&self.spec, &self.fragments))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The value checks; an allowlist that failed to compile allows nothing
    /// (user allowlists are validated when loaded, the pack's by its tests).
    fn values(&self) -> Option<&ValueChecks> {
        self.checks().ok()
    }

    /// True when the secret itself is allowlisted: a listed secret (a hex
    /// value also looked up without `0x` and in lowercase, the form the
    /// wallet test keys are listed in), a matching regex, or a stopword,
    /// unless every stopword in it is chance inside a generated value
    /// ([`checks::words_by_chance`]).
    pub fn allows_secret(&self, secret: &[u8]) -> bool {
        if self.secrets.contains(secret) {
            return true;
        }
        let bare = secret.strip_prefix(b"0x").unwrap_or(secret);
        if bare.len() == 64
            && bare.iter().all(u8::is_ascii_hexdigit)
            && self.secrets.contains(&bare.to_ascii_lowercase())
        {
            return true;
        }
        self.values().is_some_and(|v| {
            v.regexes.as_ref().is_some_and(|s| s.is_match(secret))
                || v.stopwords.as_ref().is_some_and(|s| {
                    let spans: Vec<(usize, usize)> =
                        s.find_iter(secret).map(|m| (m.start(), m.end())).collect();
                    !spans.is_empty() && !checks::words_by_chance(secret, &spans)
                })
        })
    }

    /// True when the secret is one of the exact values listed (`secrets`),
    /// whatever the regexes and stopwords say.
    pub fn lists_secret(&self, secret: &[u8]) -> bool {
        self.secrets.contains(secret)
    }

    pub fn allows_name(&self, name: &[u8]) -> bool {
        self.values()
            .is_some_and(|v| v.names.as_ref().is_some_and(|s| s.is_match(name)))
    }

    pub fn allows_prefix(&self, prefix: &[u8]) -> bool {
        self.values()
            .is_some_and(|v| v.prefixes.as_ref().is_some_and(|s| s.is_match(prefix)))
    }

    /// True when any of `paths` (the same file, spelt several ways) matches a glob.
    pub fn allows_path(&self, paths: &[&str]) -> bool {
        self.paths
            .as_ref()
            .is_some_and(|g| paths.iter().any(|p| g.is_match(p)))
    }

    pub fn has_paths(&self) -> bool {
        self.paths.is_some()
    }
}

/// A path glob of an allowlist or a rule's `paths`: `*` crosses `/`, as
/// in gitleaks' path regexes (`**/.netrc` and `*.ppk` match at any depth).
pub fn path_glob(p: &str) -> std::result::Result<globset::Glob, String> {
    GlobBuilder::new(p)
        .literal_separator(false)
        .build()
        .map_err(|e| format!("path glob `{p}`: {e}"))
}

/// What a rule needs at scan time, built on first use.
#[derive(Debug)]
pub struct Compiled {
    /// All the rule's patterns as one alternation.
    pub regex: Regex,
    /// Capture group indices of each pattern's `secret` and `name`.
    pub secret_groups: Vec<usize>,
    pub name_groups: Vec<usize>,
    pub allowlist: Allowlist,
    pub context: Option<Context>,
}

/// A rule's compiled `context`: at least one pattern must match in the
/// text from `before` lines above the secret's first line to `after` lines
/// below its last.
#[derive(Debug)]
pub struct Context {
    pub patterns: Vec<Regex>,
    pub before: usize,
    pub after: usize,
}

/// One rule, ready to search.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule comes from: a pack file or a config path.
    pub origin: String,
    /// Part of the built-in pack.
    pub builtin: bool,
    patterns: Vec<String>,
    fragments: Fragments,
    compiled: OnceLock<Compiled>,
}

impl Rule {
    fn new(spec: RuleSpec, origin: &str, fragments: &Fragments) -> Result<Self> {
        let err = |message: String| Error::Rule {
            rule: spec.id.clone(),
            origin: origin.to_string(),
            message,
        };
        let patterns = spec
            .regex
            .as_slice()
            .iter()
            .map(|p| fragments.expand(p))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(err)?;
        if patterns.is_empty() {
            return Err(err("`regex` is empty".into()));
        }
        if spec.id.is_empty()
            || !spec
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(err("ids use letters, digits, `-` and `.` only".into()));
        }
        for p in &spec.paths {
            path_glob(p).map_err(|e| err(format!("`paths`: {e}")))?;
        }
        if !spec.paths.is_empty() && !spec.keywords.is_empty() {
            return Err(err(
                "a rule with `paths` takes no `keywords`: it searches the whole of the files its paths name; remove one of them".into(),
            ));
        }
        let mut spec = spec;
        if let Some(text) = &spec.remediation {
            spec.remediation = Some(fragments.substitute(text));
        }
        Ok(Rule {
            builtin: super::BUILTIN.iter().any(|(name, _)| *name == origin),
            spec,
            origin: origin.to_string(),
            patterns,
            fragments: fragments.clone(),
            compiled: OnceLock::new(),
        })
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }

    pub fn max_lines(&self) -> usize {
        self.spec.max_lines.unwrap_or(DEFAULT_MAX_LINES).max(1)
    }

    /// Compiles everything the rule needs, reporting the first problem.
    pub fn try_compile(&self) -> Result<Compiled> {
        let err = |message: String| Error::Rule {
            rule: self.spec.id.clone(),
            origin: self.origin.clone(),
            message,
        };
        // Each pattern must stand on its own (for clear errors)...
        for p in &self.patterns {
            let re = build_regex(p).map_err(&err)?;
            if !re.capture_names().any(|n| n == Some("secret")) {
                return Err(err(format!(
                    "regex `{p}` has no group named `secret`: wrap the secret in (?P<secret>...)"
                )));
            }
        }
        // ...and all of a rule's patterns are searched in one pass, as one
        // alternation whose `secret`/`name` groups are numbered apart.
        let combined = if self.patterns.len() == 1 {
            self.patterns[0].clone()
        } else {
            self.patterns
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let p = p
                        .replace("(?P<secret>", &format!("(?P<secret_{i}>"))
                        .replace("(?<secret>", &format!("(?P<secret_{i}>"))
                        .replace("(?P<name>", &format!("(?P<name_{i}>"))
                        .replace("(?<name>", &format!("(?P<name_{i}>"));
                    format!("(?:{p})")
                })
                .collect::<Vec<_>>()
                .join("|")
        };
        let regex = build_regex(&combined).map_err(&err)?;
        let group = |prefix: &str| -> Vec<usize> {
            regex
                .capture_names()
                .enumerate()
                .filter(|(_, n)| {
                    n.is_some_and(|n| {
                        n == prefix || n.strip_prefix(prefix).is_some_and(|r| r.starts_with('_'))
                    })
                })
                .map(|(i, _)| i)
                .collect()
        };
        let secret_groups = group("secret");
        let name_groups = group("name");
        let allowlist = Allowlist::compile(&self.spec.allowlist, &self.fragments).map_err(&err)?;
        allowlist.validate().map_err(&err)?;
        let context = match &self.spec.context {
            None => None,
            Some(c) => {
                let res = c
                    .patterns
                    .iter()
                    .map(|p| build_regex(&self.fragments.expand(p).map_err(&err)?).map_err(&err))
                    .collect::<Result<Vec<_>>>()?;
                Some(Context {
                    patterns: res,
                    before: c.lines,
                    after: c.lines_after.unwrap_or(c.lines),
                })
            }
        };
        Ok(Compiled {
            regex,
            secret_groups,
            name_groups,
            allowlist,
            context,
        })
    }

    /// The compiled rule; compiled on first call. Built-in rules are verified
    /// by `keyhound rules check` and its test, user rules when loaded.
    pub fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            self.try_compile()
                .unwrap_or_else(|e| panic!("{e} (run `keyhound rules check`)"))
        })
    }

    /// Compiles now, so that errors surface before a scan.
    pub fn compile_now(&self) -> Result<()> {
        if self.compiled.get().is_none() {
            let c = self.try_compile()?;
            let _ = self.compiled.set(c);
        }
        Ok(())
    }
}

fn build_regex(pattern: &str) -> std::result::Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .multi_line(true)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| format!("bad regex: {e}"))
}

/// A decoder, ready to search.
#[derive(Debug)]
pub struct Decoder {
    pub spec: DecoderSpec,
    pub origin: String,
    pattern: String,
    compiled: OnceLock<Regex>,
}

impl Decoder {
    fn new(spec: DecoderSpec, origin: &str, fragments: &Fragments) -> Result<Self> {
        let pattern = fragments
            .expand(&spec.regex)
            .map_err(|message| Error::Rule {
                rule: spec.id.clone(),
                origin: origin.to_string(),
                message,
            })?;
        Ok(Decoder {
            spec,
            origin: origin.to_string(),
            pattern,
            compiled: OnceLock::new(),
        })
    }

    pub fn max_lines(&self) -> usize {
        self.spec.max_lines.unwrap_or(DEFAULT_MAX_LINES).max(1)
    }

    pub fn try_compile(&self) -> Result<Regex> {
        let re = build_regex(&self.pattern).map_err(|message| Error::Rule {
            rule: self.spec.id.clone(),
            origin: self.origin.clone(),
            message,
        })?;
        if !re.capture_names().any(|n| n == Some("encoded")) {
            return Err(Error::Rule {
                rule: self.spec.id.clone(),
                origin: self.origin.clone(),
                message: "a decoder's regex needs a group named `encoded`".into(),
            });
        }
        Ok(re)
    }

    /// The regex, compiled on first use (the built-in pack is verified by
    /// `keyhound rules check`).
    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            self.try_compile()
                .unwrap_or_else(|e| panic!("{e} (run `keyhound rules check`)"))
        })
    }
}

/// All rules in priority order, with the allowlist that applies to every one.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub decoders: Vec<Decoder>,
    pub allowlist: Allowlist,
    pub allowlist_spec: AllowlistSpec,
    pub fragments: Fragments,
}

impl RuleSet {
    /// Parses and merges rule files given as `(origin, text)`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self> {
        let mut fragments = BTreeMap::new();
        let mut allowlist = AllowlistSpec::default();
        let mut specs = Vec::new();
        let mut decoders = Vec::new();
        for (origin, text) in files {
            let file: RuleFile =
                toml::from_str(text).map_err(|e| Error::from_toml(origin, text, &e))?;
            for (name, body) in file.fragments {
                if fragments.insert(name.clone(), body).is_some() {
                    return Err(Error::Config {
                        origin: origin.to_string(),
                        message: format!("fragment `{name}` is defined twice"),
                    });
                }
            }
            allowlist.extend(&file.allowlist);
            specs.extend(file.rules.into_iter().map(|r| (origin.to_string(), r)));
            decoders.extend(file.decoders.into_iter().map(|d| (origin.to_string(), d)));
        }
        let fragments = Fragments::new(fragments);
        let mut set = RuleSet {
            rules: Vec::new(),
            decoders: Vec::new(),
            allowlist: Allowlist::default(),
            allowlist_spec: AllowlistSpec::default(),
            fragments,
        };
        for (origin, spec) in specs {
            set.add_rule(spec, &origin, false)?;
        }
        for (origin, spec) in decoders {
            set.add_decoder(spec, &origin)?;
        }
        set.set_allowlist(allowlist, "the rule pack", false)?;
        Ok(set)
    }

    /// The built-in pack.
    pub fn builtin() -> Result<Self> {
        Self::from_files(super::BUILTIN)
    }

    /// Adds a rule at the end (lowest priority). `eager` compiles it now.
    pub fn add_rule(&mut self, spec: RuleSpec, origin: &str, eager: bool) -> Result<()> {
        if self.rules.iter().any(|r| r.spec.id == spec.id) {
            return Err(Error::Rule {
                rule: spec.id.clone(),
                origin: origin.to_string(),
                message: "a rule with this id already exists; pick another id or disable the existing rule".into(),
            });
        }
        let rule = Rule::new(spec, origin, &self.fragments)?;
        if eager {
            rule.compile_now()?;
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Adds a rule from the user's config, compiled now (a typo stops the
    /// scan), ranked above the built-in rules tagged `generic` and below the
    /// other built-in ones: a user's `acme-token` names an `ACME_TOKEN=…`
    /// line that the generic rule also matches, while a Binance key stays a
    /// Binance key. Config rules keep their order among themselves.
    pub fn add_user_rule(&mut self, spec: RuleSpec, origin: &str) -> Result<()> {
        self.add_rule(spec, origin, true)?;
        let rule = self.rules.pop().expect("just added");
        let at = self
            .rules
            .iter()
            .position(|r| r.spec.tags.iter().any(|t| t == "generic"))
            .unwrap_or(self.rules.len());
        self.rules.insert(at, rule);
        Ok(())
    }

    /// Adds a decoder.
    pub fn add_decoder(&mut self, spec: DecoderSpec, origin: &str) -> Result<()> {
        let d = Decoder::new(spec, origin, &self.fragments)?;
        self.decoders.push(d);
        Ok(())
    }

    /// Replaces the global allowlist with `spec`: path globs are checked now,
    /// the rest when first needed (`validate` checks everything now).
    pub fn set_allowlist(
        &mut self,
        spec: AllowlistSpec,
        origin: &str,
        validate: bool,
    ) -> Result<()> {
        let err = |message| Error::Config {
            origin: origin.to_string(),
            message,
        };
        let allowlist = Allowlist::compile(&spec, &self.fragments).map_err(err)?;
        if validate {
            allowlist.validate().map_err(err)?;
        }
        self.allowlist = allowlist;
        self.allowlist_spec = spec;
        Ok(())
    }

    /// Drops the rules with these ids; an unknown id is an error.
    pub fn disable(&mut self, ids: &[String], origin: &str) -> Result<()> {
        for id in ids {
            if !self.rules.iter().any(|r| &r.spec.id == id) {
                return Err(Error::Config {
                    origin: origin.to_string(),
                    message: format!(
                        "cannot disable unknown rule `{id}` (see `keyhound rules list`)"
                    ),
                });
            }
        }
        self.rules.retain(|r| !ids.contains(&r.spec.id));
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }
}
