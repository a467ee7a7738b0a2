//! A second look at pairs the exchange refused as mismatched: the API key
//! exists, but the secret found beside it is not its own (Binance `-1022`,
//! OKX `50113`, Bybit `10004`). In a file that holds two credentials listed
//! crosswise (a testnet key above a live key, their secrets in the other
//! order), the position-based pairing ([`crate::pairs::partners`]) gives
//! each key the other's secret. The other mismatched secrets of the same
//! file are then tried with the key, a few at most; a pair the exchange
//! accepts replaces the guess on both halves. Each try is the same single
//! signed check request as the first; nothing else is sent. Likewise an
//! OKX key whose passphrase OKX refused (50105) is tried with the other
//! passphrases of the file.

use super::{Job, Status, Verification, Verifier, has};
use crate::findings::Finding;
use crate::pairs::Pair;

/// Most other secrets tried per mismatched key.
const MAX_TRIES: usize = 4;

/// Whether the exchange said the key exists but the secret is not its own.
fn mismatched(v: Option<&Verification>) -> bool {
    v.is_some_and(|v| {
        v.status == Status::Invalid
            && matches!(
                (v.exchange.as_str(), v.code),
                ("binance", Some(-1022)) | ("okx", Some(50113)) | ("bybit", Some(10004))
            )
    })
}

fn is_secret_half(f: &Finding) -> bool {
    has(&f.tags, "secret-key") || has(&f.tags, "private-key")
}

/// Whether OKX said the passphrase is not the key's own (50105).
fn wrong_passphrase(v: Option<&Verification>) -> bool {
    v.is_some_and(|v| v.status == Status::Invalid && v.exchange == "okx" && v.code == Some(50105))
}

impl Verifier {
    /// Gives the OKX keys of `findings` whose passphrase OKX refused
    /// (50105) the other passphrases of the same file, a few at most,
    /// keeping the first one OKX accepts (on the key and its secret).
    pub(super) fn rematch_passphrases(&mut self, findings: &mut [Finding]) {
        let keys: Vec<usize> = (0..findings.len())
            .filter(|&i| has(&findings[i].tags, "api-key"))
            .filter(|&i| wrong_passphrase(findings[i].verification.as_ref()))
            .collect();
        // Every passphrase of the file as first given (a re-paired key
        // takes one, which stays a candidate for the others).
        let mut all: Vec<Pair> = Vec::new();
        for f in findings.iter() {
            let new = f.passphrase.as_ref().filter(|p| {
                p.raw.is_some() && !all.iter().any(|o| o.path == p.path && o.line == p.line)
            });
            if let Some(p) = new {
                all.push(p.clone());
            }
        }
        for i in keys {
            let own = findings[i].passphrase.as_ref().map(|p| p.line);
            let others: Vec<Pair> = all
                .iter()
                .filter(|p| p.path == findings[i].path && Some(p.line) != own)
                .cloned()
                .collect();
            let Some(partner) = findings[i].pair.clone() else {
                continue;
            };
            for phrase in others.into_iter().take(MAX_TRIES) {
                let (Some(key), Some(secret)) = (findings[i].raw.as_ref(), partner.raw.as_ref())
                else {
                    break;
                };
                let job = Job {
                    exchange: "okx",
                    key,
                    secret,
                    secret_tags: &partner.tags,
                    passphrase: phrase.raw.as_ref(),
                };
                let v = self.check(&job);
                if v.status != Status::Valid {
                    continue;
                }
                // The key and its secret take the passphrase and verdict.
                let key_line = (findings[i].line, findings[i].rule_id.clone());
                for f in findings.iter_mut().filter(|f| f.path == partner.path) {
                    let is_key = (f.line, f.rule_id.clone()) == key_line;
                    let is_secret = f.line == partner.line && f.rule_id == partner.kind;
                    if is_key || is_secret {
                        f.passphrase = Some(phrase.clone());
                        f.verification = Some(v.clone());
                    }
                }
                break;
            }
        }
    }

    /// Re-pairs the mismatched keys of `findings` (already verified) with
    /// mismatched secrets of the same file (path), keeping the first
    /// pair the exchange accepts: both halves get the new [`Pair`] and its
    /// verdict.
    pub(super) fn rematch(&mut self, findings: &mut [Finding]) {
        let keys: Vec<usize> = (0..findings.len())
            .filter(|&i| has(&findings[i].tags, "api-key"))
            .filter(|&i| mismatched(findings[i].verification.as_ref()))
            .collect();
        for i in keys {
            // A key an earlier round re-paired is settled.
            if !mismatched(findings[i].verification.as_ref()) {
                continue;
            }
            let exchange = findings[i]
                .verification
                .as_ref()
                .map(|v| v.exchange.clone());
            let own = findings[i].pair.as_ref().map(|p| p.line);
            let candidates: Vec<usize> = (0..findings.len())
                .filter(|&j| {
                    let (k, s) = (&findings[i], &findings[j]);
                    is_secret_half(s)
                        && s.path == k.path
                        && Some(s.line) != own
                        && mismatched(s.verification.as_ref())
                        && s.verification.as_ref().map(|v| &v.exchange) == exchange.as_ref()
                })
                .take(MAX_TRIES)
                .collect();
            for j in candidates {
                let (k, s) = (&findings[i], &findings[j]);
                let (Some(key), Some(secret)) = (k.raw.as_ref(), s.raw.as_ref()) else {
                    continue;
                };
                let job = Job {
                    exchange: match exchange.as_deref() {
                        Some("okx") => "okx",
                        Some("bybit") => "bybit",
                        _ => "binance",
                    },
                    key,
                    secret,
                    secret_tags: &s.tags,
                    passphrase: k.passphrase.as_ref().and_then(|p| p.raw.as_ref()),
                };
                let v = self.check(&job);
                if v.status != Status::Valid {
                    continue;
                }
                let (to_secret, to_key) = (Pair::of(&findings[i]), Pair::of(&findings[j]));
                findings[i].pair = Some(to_key);
                findings[i].verification = Some(v.clone());
                findings[j].pair = Some(to_secret);
                findings[j].verification = Some(v);
                break;
            }
        }
    }
}
