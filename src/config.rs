//! `.keyhound.toml`: the user's additions to the rule pack.
//!
//! ```toml
//! disabled-rules = ["generic-secret"]
//! min-confidence = "medium"
//!
//! [allowlist]
//! paths = ["tests/fixtures/**"]
//! regexes = ['^test_']
//! stopwords = ["dummy"]
//! fingerprints = ["3f0c…"]
//!
//! [[rule]]
//! id = "acme-token"
//! description = "ACME API token"
//! severity = "high"
//! keywords = ["acme_"]
//! regex = '''\bacme_(?P<secret>[a-z0-9]{32})\b'''
//! ```
//! Unknown keys are errors naming the file, line and key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::rules::RuleSet;
use crate::rules::spec::{AllowlistSpec, RuleSpec};

/// The file looked for at the scan root.
pub const CONFIG_FILE: &str = ".keyhound.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigAllowlist {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Findings with these fingerprints are not reported.
    #[serde(default)]
    pub fingerprints: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Built-in rule ids to turn off.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
    #[serde(default)]
    pub allowlist: ConfigAllowlist,
    /// The least confidence reported (`low`, `medium`, `high`) when
    /// `--min-confidence` is not given (see [`crate::confidence`]).
    #[serde(default)]
    pub min_confidence: Option<crate::confidence::Confidence>,
    /// Extra rules, same shape as the built-in pack.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

/// A loaded config and where it came from. The file is scanned like any
/// other: a key pasted into it is found, in every mode and every version
/// of it in history. What a config holds by design is not secret-shaped:
/// fingerprints are hashes named `fingerprints`, rule examples are
/// templates (`{{alnum:32}}`), allowlisted values are allowed everywhere.
#[derive(Debug, Default)]
pub struct Loaded {
    pub path: Option<PathBuf>,
    pub config: Config,
    /// What reports say about it; `None` when there is no config.
    pub in_use: Option<InUse>,
}

/// The config file in use, as reports name it: the blocked pre-commit
/// check prints the lines that accept its findings, and the summary line
/// counts what its fingerprints accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InUse {
    /// The file as the user knows it: `.keyhound.toml`, or `--config`'s path.
    pub name: String,
    /// Whether it has an `allowlist` table already (a second `[allowlist]`
    /// header would be invalid TOML).
    pub allowlist_table: bool,
    /// Whether that table has a `fingerprints` list already.
    pub fingerprints_list: bool,
}

impl InUse {
    /// How the file `name`, whose text is `text` (valid TOML), is described.
    fn of(name: &str, text: &str) -> InUse {
        let table: Option<toml::Table> = text.parse().ok();
        let allowlist = table
            .as_ref()
            .and_then(|t| t.get("allowlist"))
            .and_then(toml::Value::as_table);
        InUse {
            name: name.to_string(),
            allowlist_table: allowlist.is_some(),
            fingerprints_list: allowlist.is_some_and(|a| a.contains_key("fingerprints")),
        }
    }
}

impl Loaded {
    pub fn fingerprints(&self) -> HashSet<String> {
        self.config.allowlist.fingerprints.iter().cloned().collect()
    }
}

/// Parses a config file's text; `origin` names it in errors.
pub fn parse(origin: &str, text: &str) -> Result<Config> {
    toml::from_str(text).map_err(|e| Error::from_toml(origin, text, &e))
}

/// A config read from a repository (`origin` names it in errors, `name`
/// in reports).
pub fn from_text(origin: &str, text: &str, name: &str) -> Result<Loaded> {
    Ok(Loaded {
        path: Some(PathBuf::from(origin)),
        config: parse(origin, text)?,
        in_use: Some(InUse::of(name, text)),
    })
}

/// Reads `path`, which must exist.
pub fn load(path: &Path) -> Result<Loaded> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        error: source,
    })?;
    let name = crate::sources::display_path(path);
    let config = parse(&name, &text)?;
    Ok(Loaded {
        path: Some(path.to_path_buf()),
        config,
        in_use: Some(InUse::of(&name, &text)),
    })
}

/// The config for a scan: `explicit` if given, else `.keyhound.toml` in
/// `root`, else in the directories above it up to the top of its Git work
/// tree (`keyhound scan src` from a repository's root uses the root's
/// config), else nothing.
pub fn discover(explicit: Option<&Path>, root: &Path) -> Result<Loaded> {
    // A symlink is not followed out of the scanned tree.
    let is_config = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    let candidate = root.join(CONFIG_FILE);
    let above = || {
        let dir = root.canonicalize().ok()?;
        let top = dir.ancestors().find(|d| d.join(".git").exists())?;
        dir.ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(top))
            .map(|d| d.join(CONFIG_FILE))
            .find(|p| is_config(p))
    };
    let found;
    let path = match explicit {
        Some(p) => p,
        None if is_config(&candidate) => &candidate,
        None => match above() {
            Some(p) => {
                found = p;
                &found
            }
            None => return Ok(Loaded::default()),
        },
    };
    load(path)
}

/// Applies a config to the rule set: extra rules (ranked above the
/// built-in generic rules, so that they name what they were written for),
/// disabled rules, allowlist.
pub fn apply(rules: &mut RuleSet, loaded: &Loaded) -> Result<()> {
    let origin = loaded
        .path
        .as_ref()
        .map_or_else(|| "config".to_string(), |p| p.display().to_string());
    let c = &loaded.config;
    rules.disable(&c.disabled_rules, &origin)?;
    for spec in &c.rules {
        rules.add_user_rule(spec.clone(), &origin)?;
    }
    let a = &c.allowlist;
    check_allowlist(a, &origin)?;
    let extra = AllowlistSpec {
        regexes: a.regexes.clone(),
        stopwords: a.stopwords.clone(),
        paths: a.paths.clone(),
        names: a.names.clone(),
        prefixes: Vec::new(),
        secrets: a.secrets.clone(),
    };
    if extra.regexes.is_empty()
        && extra.stopwords.is_empty()
        && extra.paths.is_empty()
        && extra.names.is_empty()
        && extra.secrets.is_empty()
    {
        return Ok(());
    }
    let mut spec = rules.allowlist_spec.clone();
    spec.extend(&extra);
    // The user's regexes are checked now, so that a typo stops the scan.
    rules.set_allowlist(spec, &origin, !(a.regexes.is_empty() && a.names.is_empty()))
}

/// Refuses allowlist entries that would silence every finding: an empty
/// stopword, or a regex that matches any value.
fn check_allowlist(a: &ConfigAllowlist, origin: &str) -> Result<()> {
    let refuse = |key: &str, entry: &str, why: &str| Error::Config {
        origin: origin.to_string(),
        message: format!(
            "[allowlist] {key} entry {entry:?} {why}, so nothing would ever be reported: remove it or make it specific"
        ),
    };
    for (key, list) in [
        ("stopwords", &a.stopwords),
        ("paths", &a.paths),
        ("secrets", &a.secrets),
    ] {
        if let Some(e) = list.iter().find(|e| e.trim().is_empty()) {
            return Err(refuse(key, e, "is empty"));
        }
    }
    // A fingerprint is 32 lowercase hex digits (`findings::fingerprint`):
    // anything else never matches, and would leave the user wondering.
    if let Some(f) = a.fingerprints.iter().find(|f| {
        f.len() != 32
            || !f
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }) {
        return Err(Error::Config {
            origin: origin.to_string(),
            message: format!(
                "[allowlist] fingerprints entry {:?} is not a fingerprint (32 lowercase hex digits), so it would accept nothing: copy the `fingerprint` of a finding from a report, whole",
                crate::findings::mask_secret_shaped(f)
            ),
        });
    }
    for (key, list) in [("regexes", &a.regexes), ("names", &a.names)] {
        for e in list {
            // Typos are reported when the allowlist is compiled.
            let Ok(re) = regex::Regex::new(e) else {
                continue;
            };
            if ["", "Zq7x-Value_9", "apiSecret"]
                .iter()
                .all(|v| re.is_match(v))
            {
                return Err(refuse(key, e, "matches every value"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_entries_that_allow_everything_are_refused() {
        for cfg in [
            "[allowlist]\nstopwords = [\"\"]\n",
            "[allowlist]\nregexes = [\"\"]\n",
            "[allowlist]\nregexes = [\".*\"]\n",
            "[allowlist]\nnames = [\"x?\"]\n",
            "[allowlist]\npaths = [\" \"]\n",
        ] {
            let loaded = Loaded {
                path: Some(PathBuf::from("k.toml")),
                config: parse("k.toml", cfg).unwrap(),
                in_use: None,
            };
            let mut rules = RuleSet::builtin().unwrap();
            let err = apply(&mut rules, &loaded).unwrap_err().to_string();
            assert!(
                err.starts_with("k.toml") && err.contains("remove it"),
                "{cfg}: {err}"
            );
        }
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let err = parse("cfg.toml", "[allowlist]\npaths = []\npath = []\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cfg.toml:3:"), "{msg}");
        assert!(msg.contains("path"), "{msg}");
    }

    #[test]
    fn a_full_config_parses() {
        let c = parse(
            "c",
            r#"disabled-rules = ["generic-secret"]
[allowlist]
paths = ["tests/**"]
fingerprints = ["ab"]
[[rule]]
id = "acme"
description = "ACME"
severity = "high"
keywords = ["acme_"]
regex = 'acme_(?P<secret>[a-z0-9]{32})'
"#,
        )
        .unwrap();
        assert_eq!(c.disabled_rules, ["generic-secret"]);
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.allowlist.fingerprints, ["ab"]);
    }
}
