//! Pairs: credentials that come in two halves (a Binance API key and its
//! secret key, an exchange API key and its Ed25519 or RSA private key) are
//! usable as is when both sit in the same file. Findings say so
//! ([`Finding::paired`]); halves that `keyhound:allow` silenced count.

use std::collections::HashSet;

use crate::detectors::Match;
use crate::findings::Finding;
use crate::rules::Rule;

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
}

const ROLE_TAGS: &[&str] = &[
    "api-key",
    "secret-key",
    "private-key",
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
pub fn mark_pairs(findings: &mut [Finding]) {
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
            None => {}
        }
    }
    let paired: Vec<Option<bool>> = findings
        .iter()
        .map(|f| match half(&f.tags) {
            Some((Role::Key, v, exchange)) => Some(secrets.contains(&v) || (exchange && private)),
            Some((Role::Secret, v, _)) => Some(keys.contains(&v)),
            Some((Role::PrivateKey, ..)) => Some(exchange_key),
            None => None,
        })
        .collect();
    for (f, p) in findings.iter_mut().zip(paired) {
        f.paired = p;
    }
}
