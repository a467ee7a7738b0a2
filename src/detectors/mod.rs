//! The second stage: rules selected by the prefilter search the windows
//! around their keywords, and every candidate passes value checks,
//! allowlists and context before it becomes a match.

pub mod checks;
pub mod containers;
mod decode;
mod facts;
pub mod formats;
pub mod keys;
pub mod names;
pub mod scope;
pub mod wallet;
pub mod windows;

use crate::prefilter::{Hits, Prefilter};
use crate::rules::{Rule, RuleSet};
use windows::{Window, line_end, line_start, lines_back, lines_forward};

/// Secrets longer than this are structured blobs (private keys): the
/// sequence check, meant for short placeholders, does not apply to them.
const SHORT_SECRET: usize = 256;

/// The marker that silences findings on its line.
pub const INLINE_ALLOW: &[u8] = b"keyhound:allow";

/// A confirmed secret in a blob, by byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the engine's rule set.
    pub rule: u32,
    /// The secret.
    pub start: usize,
    pub end: usize,
    /// The whole regex match (the secret and what recognised it).
    pub match_start: usize,
    pub match_end: usize,
    /// For secrets found inside encoded text (base64): the decoded secret.
    /// `start..end` is then the encoded text.
    pub decoded: Option<Box<[u8]>>,
}

/// Scratch space reused across files by one worker thread.
#[derive(Debug, Default)]
pub struct Scratch {
    hits: Hits,
    windows: Vec<Window>,
    silenced: Vec<Match>,
    wallet: wallet::Found,
    /// The scoped rules whose paths match the file being scanned.
    in_scope: Vec<u32>,
}

impl Scratch {
    /// The matches of the last [`Engine::scan`] that a `keyhound:allow`
    /// on their line silenced: not reported, but the other half of a pair
    /// all the same (a secret next to its silenced key is not alone).
    pub fn silenced(&self) -> &[Match] {
        &self.silenced
    }
}

/// The compiled rule set behind the prefilter. Shared by all threads.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    prefilter: Prefilter,
    finders: wallet::Finders,
    scopes: scope::Scopes,
}

/// How the file being scanned is named, for path allowlists: the path as
/// reported and the path relative to the scan root.
#[derive(Debug, Clone, Copy)]
pub struct PathForms<'a> {
    pub display: &'a str,
    pub relative: &'a str,
}

impl Engine {
    /// An engine for large inputs (directory trees, histories).
    pub fn new(rules: RuleSet) -> Self {
        Self::build(rules, false)
    }

    /// An engine that starts faster, for small inputs (staged changes).
    pub fn for_small_inputs(rules: RuleSet) -> Self {
        Self::build(rules, true)
    }

    fn build(rules: RuleSet, small: bool) -> Self {
        let owners: Vec<&[String]> = rules
            .rules
            .iter()
            .map(|r| r.spec.keywords.as_slice())
            .chain(rules.decoders.iter().map(|d| d.spec.keywords.as_slice()))
            .collect();
        let mut prefilter = Prefilter::new(&owners, small);
        let finders = wallet::Finders::new(rules.rules.iter().map(|r| r.spec.validate));
        for r in finders.rules() {
            prefilter.exempt(r);
        }
        let scopes = scope::Scopes::new(&rules);
        let by_path: Vec<u32> = (0..rules.rules.len() as u32)
            .filter(|&r| scopes.is_scoped(r))
            .collect();
        prefilter.select_by_path(&by_path);
        Engine {
            rules,
            prefilter,
            finders,
            scopes,
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn rule(&self, index: u32) -> &Rule {
        &self.rules.rules[index as usize]
    }

    /// The rules scoped by `paths` whose globs match `path`, ascending.
    pub fn rules_in_scope(&self, path: PathForms<'_>) -> Vec<u32> {
        let mut out = Vec::new();
        self.scopes.matching(path, &mut out);
        out
    }

    /// True when no rule can report anything in this file.
    pub fn path_allowed(&self, path: PathForms<'_>) -> bool {
        self.rules
            .allowlist
            .allows_path(&[path.display, path.relative])
    }

    /// All secrets in `data`, sorted by position, overlaps resolved in favour
    /// of the rule listed first.
    pub fn scan(&self, data: &[u8], path: PathForms<'_>, scratch: &mut Scratch) -> Vec<Match> {
        self.scan_with(data, path, scratch, false)
    }

    /// Like [`Engine::scan`]; `exhaustive` bypasses the prefilter and runs
    /// every rule over the whole blob. `rules check` compares the two to
    /// prove the prefilter never loses a match.
    pub fn scan_with(
        &self,
        data: &[u8],
        path: PathForms<'_>,
        scratch: &mut Scratch,
        exhaustive: bool,
    ) -> Vec<Match> {
        self.scan_at_depth(data, path, scratch, exhaustive, 0)
    }

    /// Decoded text is scanned at depth 1, and not decoded again.
    fn scan_at_depth(
        &self,
        data: &[u8],
        path: PathForms<'_>,
        scratch: &mut Scratch,
        exhaustive: bool,
        depth: u8,
    ) -> Vec<Match> {
        let mut found = Vec::new();
        let mut silenced = Vec::new();
        if depth == 0 {
            scratch.silenced.clear();
        }
        if self.path_allowed(path) {
            return found;
        }
        let rule_count = self.rules.rules.len() as u32;
        if exhaustive {
            let all: Vec<u32> = (0..rule_count).collect();
            scratch.hits.force_full(&all);
        } else {
            self.prefilter.scan(data, &mut scratch.hits);
            self.finders
                .scan(data, &mut scratch.hits, &mut scratch.wallet);
        }
        self.scopes.matching(path, &mut scratch.in_scope);
        for &r in &scratch.in_scope {
            scratch.hits.add_full(r);
        }
        let mut facts = facts::BlobFacts::default();
        facts.source = facts::is_source(path.relative) || facts::is_source(path.display);
        let whole = [Window {
            start: 0,
            end: data.len(),
            search_end: data.len(),
        }];
        for pass in 0..2 {
            let list = if pass == 0 {
                scratch.hits.selected()
            } else {
                scratch.hits.full()
            };
            for &r in list {
                if r >= rule_count {
                    continue;
                }
                if self.scopes.is_scoped(r) && scratch.in_scope.binary_search(&r).is_err() {
                    continue;
                }
                let rule = self.rule(r);
                let compiled = rule.compiled();
                if compiled.allowlist.has_paths()
                    && compiled
                        .allowlist
                        .allows_path(&[path.display, path.relative])
                {
                    continue;
                }
                let wins: &[Window] = if pass == 0 {
                    windows::windows(
                        data,
                        scratch.hits.offsets(r),
                        rule.spec.window,
                        rule.max_lines(),
                        &mut scratch.windows,
                    );
                    &scratch.windows
                } else {
                    &whole
                };
                let out = (&mut found, &mut silenced);
                self.search(r, rule, data, wins, &mut facts, out);
            }
        }
        if depth == 0 && !exhaustive {
            decode::run(self, data, path, scratch, &mut found);
        }
        if depth == 0 {
            scratch.silenced = resolve_overlaps(silenced);
        }
        resolve_overlaps(found)
    }

    fn search(
        &self,
        r: u32,
        rule: &Rule,
        data: &[u8],
        wins: &[Window],
        facts: &mut facts::BlobFacts,
        (out, silenced): (&mut Vec<Match>, &mut Vec<Match>),
    ) {
        let compiled = rule.compiled();
        let re = &compiled.regex;
        let mut caps = re.capture_locations();
        let group = |caps: &regex::bytes::CaptureLocations, groups: &[usize]| {
            groups.iter().find_map(|&g| caps.get(g))
        };
        windows::each_match(re, data, wins, &mut caps, |caps, base| {
            let (ms, me) = caps.get(0).expect("group 0 always exists");
            let (s, e) = group(caps, &compiled.secret_groups).unwrap_or((ms, me));
            // A secret may be followed at once by the next one (`"k" "s"`, the
            // boundary between them consumed by the first match): resume right
            // after the secret.
            if s == e {
                return e;
            }
            let mut candidate = Match {
                rule: r,
                start: base + s,
                end: base + e,
                match_start: base + ms,
                match_end: base + me,
                decoded: None,
            };
            let validated = match rule.spec.validate.filter(|k| k.is_wallet()) {
                Some(kind) => match wallet::validate(kind, data, candidate.start, candidate.end) {
                    Some(v) => Some(v),
                    None => return e,
                },
                None => None,
            };
            if let Some(v) = &validated
                && (v.start, v.end) != (candidate.start, candidate.end)
            {
                // A phrase inside longer text: the match is the phrase.
                (candidate.start, candidate.end) = (v.start, v.end);
                (candidate.match_start, candidate.match_end) = (v.start, v.end);
            }
            let name = group(caps, &compiled.name_groups)
                .map(|(s, e)| (base + s, base + e))
                .or_else(|| names::assigned_name(data, candidate.start));
            let canonical = validated.as_ref().map(|v| v.canonical.as_slice());
            // After a validated secret (a phrase inside longer text), the
            // search resumes right after it.
            let resume = if validated.is_some() {
                candidate.end - base
            } else {
                e
            };
            // Windows are merged, so no text is reached twice.
            if self.accepts(rule, data, &candidate, name, facts, canonical) {
                let first = candidate.match_start.min(candidate.start);
                let last = candidate.match_end.max(candidate.end);
                if facts.inline_allowed(data, first, last) {
                    silenced.push(candidate);
                } else {
                    out.push(candidate);
                }
            }
            resume
        });
    }

    /// Value checks, allowlists and context (not inline allows: a secret
    /// on a `keyhound:allow` line passes these, see [`Scratch::silenced`]).
    fn accepts(
        &self,
        rule: &Rule,
        data: &[u8],
        m: &Match,
        name: Option<(usize, usize)>,
        facts: &mut facts::BlobFacts,
        canonical: Option<&[u8]>,
    ) -> bool {
        let spec = &rule.spec;
        let compiled = rule.compiled();
        let secret = &data[m.start..m.end];
        // A value whose checksum holds is no placeholder, whatever words or
        // runs it holds; only the published examples listed are dropped.
        let proven = spec.validate.is_some_and(|v| v.is_checksum());
        let global = &self.rules.allowlist;
        if let Some(c) = canonical
            && (compiled.allowlist.lists_secret(c) || global.lists_secret(c))
        {
            return false;
        }
        // Runs of `A`s are zero bytes in a key's DER or SSH encoding (tags
        // `pem`, `der`), not a placeholder: the check is for short, flat
        // secrets.
        let pem = spec.tags.iter().any(|t| t == "pem");
        let structured = proven || pem || spec.tags.iter().any(|t| t == "der");
        // A cipher text is random bytes: the checks for text values below
        // (runs, entropy, placeholder words) say nothing about it.
        let text = !spec.validate.is_some_and(|v| v.is_binary());
        if text && !structured && secret.len() < SHORT_SECRET && checks::has_sequence(secret, 7) {
            return false;
        }
        if let Some(min) = spec.min_entropy
            && checks::entropy(secret) < min
        {
            return false;
        }
        // A PEM body that is no key in any encoding (keyboard mash, a
        // placeholder): not a private key. Fragments stay, at low
        // confidence (`crate::confidence`).
        if pem && keys::pem_shape(secret) == keys::KeyShape::NotAKey {
            return false;
        }
        // An encrypted key is reported by the rule for encrypted keys
        // only (lower severity: one passphrase away from use).
        if pem {
            let armour = &data[m.match_start.min(m.start)..m.start];
            let encrypted =
                memchr::memmem::find(armour, b"ENCRYPTED").is_some() || keys::pem_encrypted(secret);
            if encrypted != spec.tags.iter().any(|t| t == "encrypted") {
                return false;
            }
        }
        if !spec.require.iter().all(|&c| checks::has_class(secret, c)) {
            return false;
        }
        if spec.reject.iter().any(|&r| checks::rejects(r, secret)) {
            return false;
        }
        let placeholder = |s: &[u8]| compiled.allowlist.allows_secret(s) || global.allows_secret(s);
        if text && !proven && placeholder(secret) {
            return false;
        }
        if let Some(check) = spec.validate
            && !formats::valid(check, secret, placeholder)
        {
            return false;
        }
        if let Some((s, e)) = name {
            let name = &data[s..e];
            if compiled.allowlist.allows_name(name)
                || (spec.check_names && global.allows_name(name))
            {
                return false;
            }
        }
        // The text just before the secret on its line (200 bytes at most).
        let lo = m.start.saturating_sub(200);
        let ls = memchr::memrchr(b'\n', &data[lo..m.start]).map_or(lo, |i| lo + i + 1);
        let prefix = &data[ls..m.start];
        if compiled.allowlist.allows_prefix(prefix) || global.allows_prefix(prefix) {
            return false;
        }
        // In program source, a generic rule's value written without quotes
        // and starting like a name is a name or an expression (`pub creds:
        // CREDENTIAL0,`, `Foo(Ed25519Credential c)`), except in a comment
        // (`// token: …`) or an assignment without spaces (`API_KEY=…`: a
        // `.env` saved under a source name; `?api_key=…` in a URL).
        let env_line = |p: &[u8]| {
            // The assignment the value belongs to: the text after the last
            // space, quote or query-string separator (`?api_key=`).
            let from = p
                .iter()
                .rposition(|&b| {
                    b.is_ascii_whitespace() || matches!(b, b'?' | b'&' | b';' | b'"' | b'\'')
                })
                .map_or(0, |i| i + 1);
            let p = &p[from..];
            p.split_last().is_some_and(|(&last, name)| {
                last == b'='
                    && !name.is_empty()
                    && name
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            })
        };
        if facts.source
            && spec.tags.iter().any(|t| t == "generic")
            && secret
                .first()
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
            && !prefix
                .last()
                .is_some_and(|&b| matches!(b, b'"' | b'\'' | b'`'))
            && !crate::confidence::commented(prefix)
            && !env_line(prefix)
        {
            return false;
        }
        if !rule.spec.tags.iter().any(|t| t == "private-key") && facts.in_armour(data, m.start) {
            return false;
        }
        if let Some(context) = &compiled.context {
            let from = lines_back(data, line_start(data, m.start), context.before);
            let to = lines_forward(
                data,
                line_end(data, m.end.saturating_sub(1).max(m.start)),
                context.after,
            );
            let around = &data[from..to];
            if !context.patterns.iter().any(|p| p.is_match(around)) {
                return false;
            }
        }
        true
    }
}

/// Keeps, of matches whose secrets overlap, the one whose rule comes first.
/// Secrets decoded from the same encoded text (a key and its secret in one
/// base64 value) share its span and are all kept: the scan of the decoded
/// text has resolved their overlaps.
fn resolve_overlaps(mut found: Vec<Match>) -> Vec<Match> {
    if found.len() < 2 {
        return found;
    }
    found.sort_by_key(|m| (m.rule, m.start, m.end));
    // Kept secrets are disjoint (or siblings of one span): by start, only
    // the one starting last before a candidate's end can overlap it.
    let mut kept: std::collections::BTreeMap<(usize, usize), Match> =
        std::collections::BTreeMap::new();
    for (i, m) in found.into_iter().enumerate() {
        let clash = kept.range(..(m.end, 0)).next_back().is_some_and(|(_, k)| {
            let siblings =
                k.decoded.is_some() && m.decoded.is_some() && (k.start, k.end) == (m.start, m.end);
            // Two decoders that decoded the same text (a base64 PEM under
            // a Secret's `data:`) found the same secret: one finding.
            let same = siblings && k.decoded == m.decoded;
            k.end > m.start && (!siblings || same)
        });
        if !clash {
            kept.insert((m.start, i), m);
        }
    }
    kept.into_values().collect()
}
