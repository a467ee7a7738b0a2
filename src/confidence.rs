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
//!    fixture paths of one scan is a published sample, `low` there;
//! 6. tests: in a directory of tests (`tests/`, `src/test/`, `__tests__/`),
//!    a value under a test name (`TEST_API_SECRET`, `mockToken`) is a
//!    fixture, `low`; one that only its name makes a credential (generic
//!    rules, passwords, connection strings) is one level lower. An exchange
//!    key in a test (a committed testnet key) keeps its level;
//! 7. doc comments: an indented value in a Python docstring or a `/** */`
//!    / `///` comment that shows what a call returns or an example
//!    (`:returns:`, `@example`, `.. code-block::`) is a sample copied from
//!    the API's documentation, `low`.
//!
//! A directory scan and a history scan (`keyhound git`) see every path, so
//! all of these apply; a pre-commit scan (`scan --staged`) sees the staged
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
    // A `.env` is what a program reads when it runs, wherever it sits: an
    // example's own `.env` holds the keys it was run with (a fixture's
    // does not).
    let live_env = name == ".env" || name == ".env.local";
    let in_example_dir = parts.iter().any(|d| {
        EXAMPLE_DIRS.contains(d) && !(live_env && !d.contains("fixture") && !d.contains("data"))
    });
    if in_example_dir || named_sample {
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
/// the exchange returns"; "example" in the languages bot authors write
/// READMEs in (Indonesian `contoh`, Spanish, French, German, Italian,
/// Portuguese, Dutch, Polish, Turkish, Russian `пример`, Chinese `例如`
/// and `示例`, Korean `예시`).
const SAMPLE_PROSE: &str = r"(?i)such as the following|something like (?:this|the following)|looks? (?:something )?like (?:this|the following)|for (?:example|instance)|\be\.g\.|(?:^|[^a-z.@/-])(?:example|sample|dummy|fake|placeholder|contoh|ejemplo|exemple|beispiel|esempio|exemplo|voorbeeld|przykład|örnek)s?(?:[^a-z.-]|$)|пример|例如|示例|예시|(?:api|exchange|server) (?:will )?returns?\b|is returned";

/// How many lines before a secret's line [`sample_context`] reads.
const PROSE_LINES: usize = 2;

/// Whether the text around `data[start..end]` presents it as a sample:
/// that line without the secret, and, when the secret is not assigned in
/// live code (a value on its own in prose, or a commented-out line), the
/// [`PROSE_LINES`] lines before it. A heading such as `# Example bot
/// config` above `API_SECRET=…` says nothing about the value.
pub fn sample_context(data: &[u8], start: usize, end: usize) -> bool {
    static PROSE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let re = PROSE.get_or_init(|| regex::bytes::Regex::new(SAMPLE_PROSE).expect("valid regex"));
    use crate::detectors::windows::{line_end, line_start, lines_back};
    let line = line_start(data, start);
    let to = line_end(data, end.saturating_sub(1).max(start));
    // Only what is near: a minified line may be megabytes long.
    let to = to.min(end + 200);
    let from = if assigned_live(&data[line..start]) {
        line
    } else {
        lines_back(data, line, PROSE_LINES)
    };
    let from = from.max(start.saturating_sub(600));
    re.is_match(&data[from..start]) || re.is_match(&data[end.min(to)..to])
}

/// Whether the text before a secret on its line assigns it in live code or
/// configuration (`API_SECRET=`, `"secret": "`, `Client("`), not in a
/// comment.
fn assigned_live(prefix: &[u8]) -> bool {
    !commented(prefix)
        && prefix
            .iter()
            .any(|&b| matches!(b, b'=' | b':' | b'(' | b'>'))
}

/// Whether a line whose text before some point is `prefix` is a comment
/// there: it starts with a comment marker (`#`, `//`, `/*`, `*`, `--`,
/// `;`, `<!--`, `%`, `'`, `REM `).
pub fn commented(prefix: &[u8]) -> bool {
    let t = prefix.trim_ascii_start();
    [
        &b"#"[..],
        b"//",
        b"/*",
        b"*",
        b"--",
        b";",
        b"<!--",
        b"%",
        b"'",
    ]
    .iter()
    .any(|m| t.starts_with(m))
        || t.len() >= 4 && t[..4].eq_ignore_ascii_case(b"rem ")
}

/// Directories of tests (`tests/`, `src/test/`, `__tests__/`, `spec/`).
const TEST_DIRS: &[&str] = &["test", "tests", "__tests__", "spec", "specs", "testing"];

/// Whether `path` (`/`-separated) lies in a directory of tests.
pub fn in_tests(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').collect();
    parts.pop();
    parts.iter().any(|d| TEST_DIRS.contains(d))
}

/// Whether the text before a secret on its line names it as a test value:
/// `TEST_API_SECRET = `, `mockApiKey: `, `fake_token=` (a name made of a
/// test word and more).
pub fn test_name(prefix: &[u8]) -> bool {
    static NAME: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        regex::bytes::Regex::new(
            r"(?:^|[^A-Za-z0-9])(?:(?:TEST|MOCK|FAKE|DUMMY|STUB)_[A-Z0-9_]*[A-Z0-9]|(?:test|mock|fake|dummy|stub)(?:_[a-z0-9]|[A-Z])\w*)[\s\x22'`]*(?:[:=]|=>)",
        )
        .expect("valid regex")
    })
    .is_match(prefix)
}

/// Whether a secret sits in documentation written in code: a Python
/// docstring, a `/** … */` doc comment (Javadoc, JSDoc, TSDoc, PHPDoc), or
/// a `///` / `//!` doc-comment line (Rust, C#).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DocComment {
    /// Not in a doc comment.
    #[default]
    Outside,
    /// In one, not shown as a sample: no change.
    Inside,
    /// In one that presents what a call returns or an example
    /// (`:returns: API Response`, `@example`, `.. code-block::`): a sample
    /// copied from the API's documentation, `low`.
    Sample,
}

/// How far back [`doc_comment`] looks for the opening of a doc comment.
const DOC_REACH: usize = 64 * 1024;

/// Words of a doc comment that present the values in it as samples: a
/// reStructuredText or JSDoc return or example section, a code block, a
/// response shown as such.
const DOC_SAMPLE: &str = r"(?i):returns?:|@returns?\b|@example|code-block|\.\. code::|\b(?:api|example|sample) response\b|\bresponse:|\be\.g\.";

/// Most lines between a doc comment's opening and a secret in it.
const DOC_LINES: usize = 80;

/// Where `data[start..]` sits with respect to doc comments (see
/// [`DocComment`]). Reads at most [`DOC_REACH`] bytes back.
pub fn doc_comment(data: &[u8], start: usize) -> DocComment {
    use crate::detectors::windows::{line_end, line_start};
    use memchr::memmem;
    static SAMPLE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let sample = SAMPLE.get_or_init(|| regex::bytes::Regex::new(DOC_SAMPLE).expect("valid regex"));
    let lo = start.saturating_sub(DOC_REACH);
    let line = line_start(data, start);
    let rest = line_end(data, start);
    // A sample in a doc comment is indented (a method's docstring, a
    // ` * ` comment line), near its opening, after a word that shows it.
    let indented = data.get(line).is_some_and(|&b| b == b' ' || b == b'\t');
    let opened = |open: usize| {
        let near = memchr::memchr_iter(b'\n', &data[open.min(line)..line]).count() <= DOC_LINES;
        if near && indented && sample.is_match(&data[open..rest]) {
            DocComment::Sample
        } else {
            DocComment::Inside
        }
    };
    let own = data[line..start].trim_ascii_start();
    if own.starts_with(b"///") || own.starts_with(b"//!") {
        // The doc-comment lines above it, up to 30.
        let mut open = line;
        for _ in 0..30 {
            if open == 0 {
                break;
            }
            let prev = line_start(data, open - 1);
            let t = data[prev..open].trim_ascii_start();
            if !(t.starts_with(b"///") || t.starts_with(b"//!")) {
                break;
            }
            open = prev;
        }
        return opened(open);
    }
    let before = &data[lo..start];
    // `/** … */`: the last opening after the last closing.
    let doc_open = memmem::rfind(before, b"/**");
    let close = memmem::rfind(before, b"*/");
    if let Some(o) = doc_open
        && close.is_none_or(|c| c < o)
        && data[line_start(data, lo + o)..lo + o]
            .iter()
            .all(u8::is_ascii_whitespace)
    {
        return opened(lo + o);
    }
    // A Python docstring: inside a triple-quoted string (an odd number of
    // its quotes before the secret) that opens a line of its own.
    // Counted from the start of the file, up to 8 MiB.
    let all = &data[..start];
    if all.len() > 8 << 20 {
        return DocComment::Outside;
    }
    for quotes in [&b"\"\"\""[..], b"'''"] {
        let Some(open) = memmem::rfind(all, quotes) else {
            continue;
        };
        if memmem::find_iter(all, quotes).count() % 2 == 0 {
            continue;
        }
        let head = &data[line_start(data, open)..open];
        let head = head.trim_ascii();
        if head.iter().all(|b| matches!(b, b'r' | b'u' | b'R' | b'U')) {
            return opened(open);
        }
    }
    DocComment::Outside
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
        // An exchange key and its secret used together in an example's
        // code (`NewClient(key, secret, WithBaseURL(TESTNET))`) are the
        // credentials the example runs with, not an illustration.
        let live_pair =
            f.paired == Some(true) && !f.sample_context && f.doc_comment == DocComment::Outside;
        match path_kind(&f.path) {
            Some(PathKind::Generated) => c = Confidence::Low,
            Some(PathKind::Example) if live_pair => {}
            Some(_) if repeated.contains(&f.secret_digest) => c = Confidence::Low,
            Some(_) => c = c.lower(),
            None => {}
        }
        if f.sample_context {
            c = c.lower();
        }
        // In a directory of tests: a value named for tests is a fixture;
        // so is, one level, what only a name says is a credential (generic
        // values, passwords, connection strings to test databases).
        if in_tests(&f.path) {
            let by_name = f
                .tags
                .iter()
                .any(|t| t == "generic" || t == "plain-password" || t == "url");
            if f.test_name {
                c = Confidence::Low;
            } else if by_name {
                c = c.lower();
            }
        }
        // Only a sample shown as one: a plain docstring may hold anything
        // (a key pasted into a module's docstring is still a key).
        if f.doc_comment == DocComment::Sample {
            c = Confidence::Low;
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
            ("examples/.env", None),
            ("examples/.env.example", Some(PathKind::Example)),
            ("tests/fixtures/.env", Some(PathKind::Example)),
        ] {
            assert_eq!(path_kind(path), kind, "{path}");
        }
    }

    #[test]
    fn doc_comments_opened_on_the_secrets_line_or_above() {
        // Opened on the secret's own line: no panic, a sample when marked.
        let one = b"  /** @example key = \"K3y\" */\n";
        assert_eq!(doc_comment(one, 24), DocComment::Sample);
        let doc = b"def f():\n    \"\"\"Keys.\n\n    :returns: API Response\n\n        {\"apiKey\": \"K3y\"}\n    \"\"\"\n";
        let at = doc.windows(3).position(|w| w == b"K3y").unwrap();
        assert_eq!(doc_comment(doc, at), DocComment::Sample);
        let plain = b"\"\"\"Module docs.\nAPI_KEY = \"K3y\"\n";
        let at = plain.windows(3).position(|w| w == b"K3y").unwrap();
        assert_ne!(doc_comment(plain, at), DocComment::Sample);
    }

    #[test]
    fn sample_prose_is_read_before_and_beside_the_secret() {
        let text = b"Your key will look such as the following:\n\n    K3y\n";
        let at = text.len() - 4;
        assert!(sample_context(text, at, at + 3));
        let code = b"import os\nkey = \"K3y\"  # production\n";
        let at = 17;
        assert!(!sample_context(code, at, at + 3));
        assert!(test_name(b"TEST_API_SECRET = \""));
        assert!(test_name(b"  mockApiKey: '"));
        assert!(!test_name(b"TESTNET_API_KEY = \""));
        assert!(!test_name(b"api_key = \""));
        assert!(in_tests("sdk/tests/constants.py") && in_tests("src/test/java/A.java"));
        assert!(!in_tests("src/bot.py") && !in_tests("tests.py"));
        let named = b"EXAMPLE_API_KEY = \"K3y\"\n";
        assert!(sample_context(named, 19, 22));
        // A heading above a live assignment says nothing about its value;
        // above a commented-out one it does.
        let live = b"# Example bot config\nAPI_SECRET=K3y\n";
        assert!(!sample_context(live, 32, 35));
        let commented = b"# Example key, what the API returns\n# API_SECRET=K3y\n";
        let at = commented.len() - 4;
        assert!(sample_context(commented, at, at + 3));
        // A host name is no prose: `db.example-cloud.net`, `example.com`.
        let url = b"A=mongodb://app:K3y@db.example-cloud.net/x\nB=https://example.com\n";
        assert!(!sample_context(url, 16, 19));
    }
}
