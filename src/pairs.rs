//! Pairs: credentials that come in two halves (a Binance API key and its
//! secret key, an exchange API key and its Ed25519 or RSA private key) are
//! usable as is when both sit in the same file. Findings say so
//! ([`Finding::paired`]); halves that `keyhound:allow` silenced count.
//! Which half goes with which is decided explicitly and recorded on both
//! ([`Finding::pair`]): `--verify` signs with exactly that pair. A third
//! part some exchanges add (OKX's passphrase, tag `passphrase`) is never
//! reported: [`take_passphrases`] attaches it to the key and secret it goes
//! with ([`Finding::passphrase`]).

use std::collections::HashSet;

use serde::Serialize;

use crate::detectors::Match;
use crate::findings::{Finding, Raw};
use crate::rules::Rule;

/// The other half a credential was paired with, in the same file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Pair {
    /// The partner's path (the same file's), line (1-based, of its first
    /// character) and kind (its rule id: `binance-secret-key`,
    /// `private-key-ed25519`, `private-key-rsa`, `binance-api-key`...).
    pub path: String,
    pub line: usize,
    pub kind: String,
    /// The partner's tags, to tell its role and service.
    #[serde(skip)]
    pub tags: Vec<String>,
    /// The partner's bytes, for `--verify`; never serialised.
    #[serde(skip)]
    pub raw: Option<Raw>,
}

impl Pair {
    /// The part `f` is, as a partner of another finding.
    pub(crate) fn of(f: &Finding) -> Pair {
        Pair {
            path: f.path.clone(),
            line: f.line,
            kind: f.rule_id.clone(),
            tags: f.tags.clone(),
            raw: f.raw.clone(),
        }
    }
}

/// Whether a rule with `tags` names one half of a pair (an API key, a
/// secret key, a private key): such findings keep their bytes for
/// `--verify` ([`Finding::raw`]).
pub fn is_half(tags: &[String]) -> bool {
    half(tags).is_some()
}

/// Gives every finding of a file the tags of the credentials that
/// `keyhound:allow` silenced in it (`silenced`), for [`mark_pairs`].
pub fn note_silenced(findings: &mut [Finding], silenced: &[Match], rules: &[Rule]) {
    let mut halves: Vec<Vec<String>> = Vec::new();
    for m in silenced {
        let tags = &rules[m.rule as usize].spec.tags;
        if half(tags).is_some() && !halves.contains(tags) {
            halves.push(tags.clone());
        }
    }
    if halves.is_empty() {
        return;
    }
    for f in findings {
        f.silenced_halves.clone_from(&halves);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Key,
    Secret,
    PrivateKey,
    /// A passphrase the exchange adds to key and secret (OKX): never a
    /// partner in [`partners`], attached by [`take_passphrases`].
    Passphrase,
}

const ROLE_TAGS: &[&str] = &[
    "api-key",
    "secret-key",
    "private-key",
    "passphrase",
    "exchange",
    "credential",
];

/// A credential's part in a pair, from its rule's tags: its role, the
/// service it belongs to (its first tag that is not a role), and whether
/// that service is an exchange.
fn half(tags: &[String]) -> Option<(Role, Option<&str>, bool)> {
    let has = |t: &str| tags.iter().any(|x| x == t);
    let role = if has("api-key") {
        Role::Key
    } else if has("secret-key") {
        Role::Secret
    } else if has("private-key") {
        Role::PrivateKey
    } else if has("passphrase") {
        Role::Passphrase
    } else {
        return None;
    };
    let venue = tags
        .iter()
        .map(String::as_str)
        .find(|t| !ROLE_TAGS.contains(t));
    Some((role, venue, has("exchange")))
}

/// Marks credentials whose other half sits in the same blob: an API key
/// with its secret key (same service), or an exchange API key with a
/// private key (Binance's Ed25519 and RSA keys, Coinbase's EC keys). Halves
/// that `keyhound:allow` silenced count ([`Finding::silenced_halves`]).
/// Each reported half also gets its partner ([`Finding::pair`], see
/// [`partners`]).
pub fn mark_pairs(findings: &mut [Finding]) {
    let partners = partners(findings);
    for (i, p) in partners.into_iter().enumerate() {
        findings[i].pair = p.map(|j| Pair::of(&findings[j]));
    }
    mark_paired(findings);
}

/// Whether `a` and `b` (roles and services from [`half`]) are the two
/// halves of one credential: a key with a secret key of the same service,
/// or an exchange key with a private key (not an SSH or PGP key, which no
/// exchange takes).
fn fits(a: &Finding, b: &Finding) -> bool {
    let (Some(x), Some(y)) = (half(&a.tags), half(&b.tags)) else {
        return false;
    };
    let ((_, v, exchange), (role, w, _), other) = match (x.0, y.0) {
        (Role::Key, _) => (x, y, b),
        (_, Role::Key) => (y, x, a),
        _ => return false,
    };
    match role {
        Role::Secret => v == w,
        Role::PrivateKey => exchange && !other.tags.iter().any(|t| t == "ssh" || t == "pgp"),
        Role::Key | Role::Passphrase => false,
    }
}

/// Each finding's partner in `findings` (one file's), by index: keys
/// (role [`Role::Key`]) are matched with the halves that [`fits`] them.
/// When a file holds as many keys as partners, they pair in order of
/// position (`Client(k1, s1)` … `Client(k2, s2)`, or keys listed before
/// their secrets); otherwise the closest pairs by line distance are taken
/// first, one to one, so that the halves of one object, call, section or
/// adjacent lines go together. A half left over has no partner: the other
/// halves belong to other keys (`--verify` calls it unverifiable rather
/// than sign with another key's secret). Lines apart ties go to the
/// partner after the key (a secret usually follows its key).
pub fn partners(findings: &[Finding]) -> Vec<Option<usize>> {
    let mut out = vec![None; findings.len()];
    let is_key = |f: &Finding| half(&f.tags).is_some_and(|h| h.0 == Role::Key);
    let keys: Vec<usize> = (0..findings.len())
        .filter(|&i| is_key(&findings[i]))
        .collect();
    let others: Vec<usize> = (0..findings.len())
        .filter(|&j| keys.iter().any(|&i| fits(&findings[i], &findings[j])))
        .collect();
    if keys.is_empty() || others.is_empty() {
        return out;
    }
    let at = |i: usize| (findings[i].line, findings[i].column);
    let by_place = |mut v: Vec<usize>| {
        v.sort_by_key(|&i| at(i));
        v
    };
    let (keys, others) = (by_place(keys), by_place(others));
    let fit = |i: usize, j: usize| fits(&findings[i], &findings[j]);
    if keys.len() == others.len() && keys.iter().zip(&others).all(|(&i, &j)| fit(i, j)) {
        for (&i, &j) in keys.iter().zip(&others) {
            out[i] = Some(j);
            out[j] = Some(i);
        }
        return out;
    }
    // Lines apart, then the partner after the key first.
    let distance = |i: usize, j: usize| {
        let (k, p) = (&findings[i], &findings[j]);
        let gap = if p.line > k.end_line {
            p.line - k.end_line
        } else {
            k.line.saturating_sub(p.end_line)
        };
        (gap, p.line < k.line)
    };
    let mut candidates: Vec<(usize, usize)> = keys
        .iter()
        .flat_map(|&i| others.iter().map(move |&j| (i, j)))
        .filter(|&(i, j)| fit(i, j))
        .collect();
    candidates.sort_by_key(|&(i, j)| (distance(i, j), at(i), at(j)));
    for &(i, j) in &candidates {
        if out[i].is_none() && out[j].is_none() {
            out[i] = Some(j);
            out[j] = Some(i);
        }
    }
    out
}

/// Sets [`Finding::paired`]: whether some other half of the credential is
/// in the same file, reported or silenced.
fn mark_paired(findings: &mut [Finding]) {
    let mut keys: HashSet<Option<&str>> = HashSet::new();
    let mut secrets: HashSet<Option<&str>> = HashSet::new();
    let (mut private, mut exchange_key) = (false, false);
    let all = findings
        .iter()
        .flat_map(|f| std::iter::once(&f.tags).chain(&f.silenced_halves));
    for tags in all {
        match half(tags) {
            Some((Role::Key, v, exchange)) => {
                exchange_key |= exchange;
                keys.insert(v);
            }
            Some((Role::Secret, v, _)) => {
                secrets.insert(v);
            }
            Some((Role::PrivateKey, ..)) => private = true,
            Some((Role::Passphrase, ..)) | None => {}
        }
    }
    let paired: Vec<Option<bool>> = findings
        .iter()
        .map(|f| match half(&f.tags) {
            Some((Role::Key, v, exchange)) => Some(secrets.contains(&v) || (exchange && private)),
            Some((Role::Secret, v, _)) => Some(keys.contains(&v)),
            Some((Role::PrivateKey, ..)) => Some(exchange_key),
            Some((Role::Passphrase, ..)) | None => None,
        })
        .collect();
    for (f, p) in findings.iter_mut().zip(paired) {
        f.paired = p;
    }
}

/// Removes the passphrase findings (tag `passphrase`: OKX's) of one file's
/// `findings`, which are never reported, and gives each API key of the
/// same service a passphrase ([`Finding::passphrase`]), and each secret
/// key its partner key's. As keys and secrets are paired
/// ([`partners`]): as many passphrases as keys go in order of position;
/// otherwise the closest to the key and its partner (the lines they span)
/// first, one to one, ties to the one after them (OKX lists key, secret,
/// passphrase), and a key left over takes the nearest. Runs after
/// [`mark_pairs`].
pub fn take_passphrases(findings: &mut Vec<Finding>) {
    let is_phrase = |f: &Finding| half(&f.tags).is_some_and(|h| h.0 == Role::Passphrase);
    if !findings.iter().any(is_phrase) {
        return;
    }
    let (mut phrases, rest): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(findings).into_iter().partition(is_phrase);
    *findings = rest;
    phrases.sort_by_key(|p| (p.line, p.column));
    let venue = |f: &Finding| half(&f.tags).and_then(|h| h.1.map(str::to_string));
    let mut keys: Vec<usize> = (0..findings.len())
        .filter(|&i| half(&findings[i].tags).is_some_and(|h| h.0 == Role::Key))
        .collect();
    keys.sort_by_key(|&i| (findings[i].line, findings[i].column));
    // The lines a key and its partner span.
    let span = |f: &Finding| {
        let other = f.pair.as_ref().map_or(f.line, |p| p.line);
        (f.line.min(other), f.end_line.max(other))
    };
    let fit = |i: usize, j: usize| venue(&findings[i]) == venue(&phrases[j]);
    let mut given: Vec<Option<usize>> = vec![None; findings.len()];
    if keys.len() == phrases.len() && keys.iter().enumerate().all(|(n, &i)| fit(i, n)) {
        for (n, &i) in keys.iter().enumerate() {
            given[i] = Some(n);
        }
    } else {
        let distance = |i: usize, j: usize| {
            let ((from, to), line) = (span(&findings[i]), phrases[j].line);
            if line > to {
                (line - to, false)
            } else if line < from {
                (from - line, true)
            } else {
                (0, false)
            }
        };
        let mut candidates: Vec<(usize, usize)> = keys
            .iter()
            .flat_map(|&i| (0..phrases.len()).map(move |j| (i, j)))
            .filter(|&(i, j)| fit(i, j))
            .collect();
        candidates.sort_by_key(|&(i, j)| (distance(i, j), findings[i].line, j));
        let mut taken = vec![false; phrases.len()];
        for &(i, j) in &candidates {
            if given[i].is_none() && !taken[j] {
                given[i] = Some(j);
                taken[j] = true;
            }
        }
        for &(i, j) in &candidates {
            if given[i].is_none() {
                given[i] = Some(j);
            }
        }
    }
    for i in 0..findings.len() {
        let f = &findings[i];
        let Some((role, ..)) = half(&f.tags) else {
            continue;
        };
        let phrase = match role {
            Role::Key => given[i],
            // A secret takes its key's passphrase, or the nearest.
            Role::Secret => {
                let key = keys.iter().copied().find(|&k| {
                    f.pair.as_ref().is_some_and(|p| {
                        p.line == findings[k].line && p.kind == findings[k].rule_id
                    })
                });
                key.and_then(|k| given[k]).or_else(|| {
                    (0..phrases.len())
                        .filter(|&j| venue(&phrases[j]) == venue(f))
                        .min_by_key(|&j| {
                            (phrases[j].line.abs_diff(f.line), phrases[j].line < f.line)
                        })
                })
            }
            Role::PrivateKey | Role::Passphrase => None,
        };
        findings[i].passphrase = phrase.map(|j| Pair::of(&phrases[j]));
    }
}
