//! Confidence: how sure keyhound is that a finding is a live secret, as
//! opposed to severity, how bad its leak would be. Every finding gets one
//! ([`Finding::confidence`]); `--min-confidence` (default
//! [`DEFAULT_MIN`]) hides the findings below a level.
//!
//! A finding starts at its rule's level ([`RuleSpec::base_confidence`]:
//! `high` for formats that prove themselves, a distinctive prefix, a
//! checksum, a PEM key; `medium` for a random-enough value under a
//! credential name). Then, in this order:
//! 1. its structure: a PEM key that parses is `high`, a fragment of one
//!    (a truncated excerpt) `low` ([`crate::detectors::keys`]);
//! 2. its other half: an exchange key found with its secret or private
//!    key in the same file is `high`;
//! 3. where it is: a documentation file (`README*`, `*.md`, `docs/`), an
//!    example, sample or test-fixture path (`examples/`,
//!    `config.example.json`, `testdata/`) lowers it one level; a generated
//!    aggregate of all docs (`llms.txt`, `llms-full.txt`) makes it `low`;
//! 4. what is said around it: prose or names that present it as a sample
//!    ("such as the following", "for example", `EXAMPLE_KEY`) lower it one
//!    level;
//! 5. repetition: the same value at two or more documentation, example or
//!    fixture paths of one scan is a published sample, `low` there.
//!
//! A directory scan and a history scan (`keyhound git`) see every path, so
//! all five apply; a pre-commit scan (`scan --staged`) sees the staged
//! files only, so repetition counts among them.

use std::collections::{HashMap, HashSet};

use crate::detectors::keys::KeyShape;
use crate::findings::Finding;
use crate::rules::RuleSet;
pub use crate::rules::spec::Confidence;

/// The default `--min-confidence`: findings below it are counted, not
/// shown. `medium` hides what keyhound itself calls unsure (samples in
/// documentation, fragments, plain words): see docs/benchmarks.md for the
/// numbers behind the choice.
pub const DEFAULT_MIN: Confidence = Confidence::Medium;

/// Where a file sits, as far as confidence goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Documentation: `README*`, Markdown, reStructuredText, AsciiDoc,
    /// anything under `docs/`, `doc/`, `documentation/`, `wiki/`.
    Docs,
    /// Examples, samples, demos and test fixtures: `examples/`,
    /// `samples/`, `demo/`, `fixtures/`, `testdata/`, and files named
    /// `*.example.*`, `*.sample`, `*-example.*`.
    Example,
    /// A generated aggregate of a project's docs for language models
    /// (`llms.txt`, `llms-full.txt`): every sample of every page, again.
    Generated,
}

const DOC_DIRS: &[&str] = &[
    "docs",
    "doc",
    "documentation",
    "wiki",
    "guides",
    "tutorials",
];
const DOC_EXTS: &[&str] = &["md", "markdown", "mdx", "rst", "adoc", "asciidoc"];
const EXAMPLE_DIRS: &[&str] = &[
    "examples",
    "example",
    "samples",
    "sample",
    "demo",
    "demos",
    "fixtures",
    "fixture",
    "__fixtures__",
    "testdata",
    "test-data",
    "test_data",
];
const EXAMPLE_WORDS: &[&str] = &[
    "example", "examples", "sample", "samples", "template", "dist",
];

/// What kind of file `path` (`/`-separated) is, if any of [`PathKind`].
pub fn path_kind(path: &str) -> Option<PathKind> {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let name = parts.pop()?;
    if name == "llms.txt" || name == "llms-full.txt" || name == "llms-ctx.txt" {
        return Some(PathKind::Generated);
    }
    // API documentation as data: Postman collections, OpenAPI/Swagger
    // specifications (their example requests and responses).
    if name.ends_with(".postman_collection.json")
        || parts.contains(&"postman")
        || ["openapi", "swagger"].iter().any(|w| name.starts_with(w))
    {
        return Some(PathKind::Docs);
    }
    // A file named for what it is: `config.example.json`, `.env.sample`,
    // `settings-example.py`.
    let named_sample = name.split(['.', '-', '_']).enumerate().any(|(i, w)| {
        EXAMPLE_WORDS.contains(&w) && (i > 0 || w.starts_with("example") || w.starts_with("sample"))
    });
    if parts.iter().any(|d| EXAMPLE_DIRS.contains(d)) || named_sample {
        return Some(PathKind::Example);
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name.starts_with("readme")
        || DOC_EXTS.contains(&ext)
        || parts.iter().any(|d| DOC_DIRS.contains(d))
    {
        return Some(PathKind::Docs);
    }
    None
}

/// Words that present a value as a sample: "such as the following", "for
/// example", "e.g.", "looks like this", "sample", "dummy", "fake", "what
/// the exchange returns".
const SAMPLE_PROSE: &str = r"(?i)such as the following|something like (?:this|the following)|looks? (?:something )?like (?:this|the following)|for (?:example|instance)|\be\.g\.|(?:^|[^a-z.@/-])(?:example|sample|dummy|fake|placeholder)s?(?:[^a-z.-]|$)|(?:api|exchange|server) (?:will )?returns?\b|is returned";

/// How many lines before a secret's line [`sample_context`] reads.
const PROSE_LINES: usize = 2;

/// Whether the text around `data[start..end]` (that line without the
/// secret, and the [`PROSE_LINES`] lines before it) presents it as a
/// sample.
pub fn sample_context(data: &[u8], start: usize, end: usize) -> bool {
    static PROSE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let re = PROSE.get_or_init(|| regex::bytes::Regex::new(SAMPLE_PROSE).expect("valid regex"));
    use crate::detectors::windows::{line_end, line_start, lines_back};
    let from = lines_back(data, line_start(data, start), PROSE_LINES);
    let to = line_end(data, end.saturating_sub(1).max(start));
    // Only what is near: a minified line may be megabytes long.
    let from = from.max(start.saturating_sub(600));
    let to = to.min(end + 200);
    re.is_match(&data[from..start]) || re.is_match(&data[end.min(to)..to])
}

/// Sets every finding's confidence (the rules have labelled them:
/// [`crate::relabel`]), as the module documentation says.
pub fn assess(findings: &mut [Finding], rules: &RuleSet) {
    let base: HashMap<&str, Confidence> = rules
        .rules
        .iter()
        .map(|r| (r.spec.id.as_str(), r.spec.base_confidence()))
        .collect();
    // Distinct sample paths (documentation, examples, fixtures, generated)
    // each secret was found at.
    let mut sample_paths: HashMap<[u8; 32], HashSet<&str>> = HashMap::new();
    for f in findings.iter() {
        if path_kind(&f.path).is_some() {
            sample_paths
                .entry(f.secret_digest)
                .or_default()
                .insert(f.path.as_str());
        }
    }
    let repeated: HashSet<[u8; 32]> = sample_paths
        .into_iter()
        .filter(|(_, paths)| paths.len() >= 2)
        .map(|(d, _)| d)
        .collect();
    for f in findings.iter_mut() {
        let mut c = base
            .get(f.rule_id.as_str())
            .copied()
            .unwrap_or(Confidence::Medium);
        match f.key_shape {
            Some(KeyShape::Parsed) => c = Confidence::High,
            Some(KeyShape::Fragment) => c = Confidence::Low,
            _ => {}
        }
        if f.paired == Some(true) && c == Confidence::Medium {
            c = Confidence::High;
        }
        match path_kind(&f.path) {
            Some(PathKind::Generated) => c = Confidence::Low,
            Some(_) if repeated.contains(&f.secret_digest) => c = Confidence::Low,
            Some(_) => c = c.lower(),
            None => {}
        }
        if f.sample_context {
            c = c.lower();
        }
        f.confidence = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_told_apart() {
        for (path, kind) in [
            ("README.md", Some(PathKind::Docs)),
            ("docs/api/keys.rst", Some(PathKind::Docs)),
            ("pkg/Readme", Some(PathKind::Docs)),
            ("examples/spot/order.py", Some(PathKind::Example)),
            ("sdk/postman/collection-REST.json", Some(PathKind::Docs)),
            ("api/openapi.yaml", Some(PathKind::Docs)),
            ("config.example.json", Some(PathKind::Example)),
            (".env.sample", Some(PathKind::Example)),
            ("tests/fixtures/keys.json", Some(PathKind::Example)),
            ("site/llms-full.txt", Some(PathKind::Generated)),
            ("src/bot.py", None),
            ("tests/test_client.py", None),
            ("example.py", Some(PathKind::Example)),
            ("dist.py", None),
            ("sampler/main.go", None),
        ] {
            assert_eq!(path_kind(path), kind, "{path}");
        }
    }

    #[test]
    fn sample_prose_is_read_before_and_beside_the_secret() {
        let text = b"Your key will look such as the following:\n\n    K3y\n";
        let at = text.len() - 4;
        assert!(sample_context(text, at, at + 3));
        let code = b"import os\nkey = \"K3y\"  # production\n";
        let at = 17;
        assert!(!sample_context(code, at, at + 3));
        let named = b"EXAMPLE_API_KEY = \"K3y\"\n";
        assert!(sample_context(named, 19, 22));
        // A host name is no prose: `db.example-cloud.net`, `example.com`.
        let url = b"A=mongodb://app:K3y@db.example-cloud.net/x\nB=https://example.com\n";
        assert!(!sample_context(url, 16, 19));
    }
}
