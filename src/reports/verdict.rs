//! `--verify` verdicts in plain words, the order of findings by them, and
//! the response steps that fit them (used by every report format).

use super::escape::escape;
use crate::findings::Finding;
use crate::verify::{Risk, Status, Verification};

/// Keys older than this should have been rotated (days).
pub const ROTATE_AFTER_DAYS: u64 = 90;

fn withdraws(v: &Verification) -> bool {
    v.can().withdraw
}

fn transfers(v: &Verification) -> bool {
    v.can().transfer
}

fn trades(v: &Verification) -> bool {
    v.can().trade
}

/// The verdict in plain words, first thing a reader sees:
/// `VALID — can withdraw — no IP whitelist — act now (risk critical)`,
/// `INVALID (-1022) — …reason…`, `UNVERIFIABLE — …`, `ERROR — …`.
/// Control characters in the exchange's words are escaped.
pub fn headline(v: &Verification) -> String {
    let reason = || escape(v.reason.as_deref().unwrap_or("")).into_owned();
    match v.status {
        Status::Valid => {
            let can = if withdraws(v) {
                "can withdraw"
            } else if transfers(v) {
                "can move funds between accounts"
            } else if trades(v) {
                "can trade"
            } else {
                "read-only (balances and history exposed)"
            };
            let ip = if v.ip_restricted == Some(true) {
                "IP whitelist on"
            } else {
                "no IP whitelist"
            };
            let risk = v.risk.unwrap_or(Risk::Medium);
            let act = match risk {
                Risk::Critical | Risk::High => "act now",
                Risk::Medium => "delete it today",
                Risk::Low => "delete and replace it",
            };
            let mut s = format!("VALID — {can} — {ip} — {act} (risk {})", risk.as_str());
            if let Some(days) = v.key_age_days.filter(|d| *d > ROTATE_AFTER_DAYS) {
                s.push_str(&format!(" — key {days} days old"));
            }
            s
        }
        Status::Invalid => match v.code {
            Some(c) => format!("INVALID ({c}) — {}", reason()),
            None => format!("INVALID — {}", reason()),
        },
        Status::Unverifiable => format!("UNVERIFIABLE — {}", reason()),
        Status::Error => match reason() {
            r if r.starts_with("not checked") => format!("ERROR — {r}"),
            r => format!("ERROR, not checked — {r}"),
        },
    }
}

/// Sort key: valid keys by risk (critical first), then errors (may be
/// live), unverifiable, invalid, and findings that were not checked.
pub fn rank(f: &Finding) -> u8 {
    match &f.verification {
        Some(v) => match (v.status, v.risk) {
            (Status::Valid, Some(Risk::Critical)) => 0,
            (Status::Valid, Some(Risk::High)) => 1,
            (Status::Valid, Some(Risk::Medium)) => 2,
            (Status::Valid, _) => 3,
            (Status::Error, _) => 4,
            (Status::Unverifiable, _) => 5,
            (Status::Invalid, _) => 6,
        },
        None => 7,
    }
}

/// `reason` escaped, ending with a full stop.
fn sentence(reason: &str) -> String {
    let reason = escape(reason.trim_end_matches('.'));
    format!("{reason}.")
}

/// `path:line` of a finding, escaped.
fn place(f: &Finding) -> String {
    format!("{}:{}", escape(&f.path), f.line)
}

fn is_key(f: &Finding) -> bool {
    f.tags.iter().any(|t| t == "api-key")
}

/// Where the API key of `f`'s pair is: `f` itself, or its partner when
/// `f` is the secret half (a range or staged scan may report only the
/// secret: the key was committed before).
fn key_place(f: &Finding) -> String {
    match &f.pair {
        Some(p) if !is_key(f) && p.tags.iter().any(|t| t == "api-key") => {
            format!("{}:{}", escape(&p.path), p.line)
        }
        _ => place(f),
    }
}

/// How a user reaches an exchange's API key page: (display name, where
/// to delete a key). From each exchange's help centre: Binance "How to
/// Create API Keys on Binance" (Account > API Management), OKX "API"
/// under the profile menu (www.okx.com/account/my-api), Bybit "How to
/// Delete Your API Key" (Account & Security > API Management).
fn exchange_ui(exchange: &str) -> (&'static str, &'static str) {
    match exchange {
        "okx" => (
            "OKX",
            "OKX > Profile > API (okx.com/account/my-api) > Delete",
        ),
        "bybit" => (
            "Bybit",
            "Bybit > Account & Security > API Management (bybit.com/app/user/api-management) > Delete",
        ),
        _ => ("Binance", "Binance > Account > API Management > Delete"),
    }
}

/// What tells one API key from another: its bytes (the finding's own, or
/// its partner's when `f` is the secret half), else where it is.
fn key_identity(f: &Finding) -> Vec<u8> {
    let raw = if is_key(f) {
        f.raw.as_ref()
    } else {
        f.pair
            .as_ref()
            .filter(|p| p.tags.iter().any(|t| t == "api-key"))
            .and_then(|p| p.raw.as_ref())
    };
    match raw {
        Some(r) => r.bytes().to_vec(),
        None => key_place(f).into_bytes(),
    }
}

/// The response steps that fit the verdicts of `findings` (in report
/// order), or `None` when no credential was checked (the general
/// playbook applies). Steps name each exchange's own API key page.
pub fn steps(findings: &[&Finding]) -> Option<Vec<String>> {
    let checked: Vec<(&Finding, &Verification)> = findings
        .iter()
        .filter_map(|f| f.verification.as_ref().map(|v| (*f, v)))
        .collect();
    if checked.is_empty() {
        return None;
    }
    // One entry per key: a pair's halves carry the same verdict, and one
    // key copied to several files (or commits) is one key to delete.
    let mut seen_keys = std::collections::HashSet::new();
    let checked: Vec<(&Finding, &Verification)> = checked
        .into_iter()
        .filter(|(f, _)| seen_keys.insert(key_identity(f)))
        .collect();
    let valid: Vec<&(&Finding, &Verification)> = checked
        .iter()
        .filter(|(_, v)| v.status == Status::Valid)
        .collect();
    let any = |pred: fn(&Verification) -> bool| valid.iter().any(|(_, v)| pred(v));
    let mut steps = Vec::new();
    let mut exchanges: Vec<&str> = valid.iter().map(|(_, v)| v.exchange.as_str()).collect();
    exchanges.dedup();
    for exchange in exchanges {
        let keys: Vec<String> = valid
            .iter()
            .filter(|(_, v)| v.exchange == exchange)
            .map(|(f, v)| format!("{} ({})", key_place(f), v.risk.map_or("", Risk::as_str)))
            .collect();
        steps.push(format!(
            "Delete first, highest risk first: the VALID key(s) at {} in {}. Deleting revokes a key; editing its permissions does not.",
            keys.join(", "),
            exchange_ui(exchange).1
        ));
    }
    if any(withdraws) {
        steps.push("Withdrawals were on: check the withdrawal history now, and the withdrawal address whitelist (remove every address you did not add).".into());
    }
    if any(transfers) {
        steps.push(
            "Transfers were on: check internal, universal and sub-account transfer history.".into(),
        );
    }
    if any(trades) {
        steps.push("Trading was on: check open orders and positions (spot, margin, futures, options) and the trade history; cancel what you did not place.".into());
    }
    for (f, v) in &checked {
        let (name, page) = exchange_ui(&v.exchange);
        match (v.exchange.as_str(), v.status, v.code) {
            ("binance", Status::Invalid, Some(-2015)) => steps.push(format!(
                "Binance rejected the key at {} (-2015): if it is yours, delete it anyway: it may be bound to other IPs and still work from them.",
                key_place(f)
            )),
            ("binance", Status::Invalid, Some(-1022)) => steps.push(format!(
                "The API key at {} exists, but the secret next to it is not its own: its real secret may be elsewhere; delete the key.",
                key_place(f)
            )),
            // The reason names the exchange and its code.
            (_, Status::Invalid, _) => steps.push(format!(
                "The key at {}: {} If it is yours, delete it in {page}.",
                key_place(f),
                sentence(v.reason.as_deref().unwrap_or("")),
            )),
            (_, Status::Error | Status::Unverifiable, _) if is_key(f) || f.pair.is_some() => {
                steps.push(format!(
                    "The key at {} could not be checked: treat it as live and delete it in {page}.",
                    key_place(f)
                ))
            }
            (_, Status::Error | Status::Unverifiable, _) => steps.push(format!(
                "The secret at {} could not be checked: treat its API key as live, find it in {name}'s API key page, and delete it.",
                place(f)
            )),
            _ => {}
        }
    }
    // Each exchange's own name for a read-only key.
    let mut read_only: Vec<&str> = checked
        .iter()
        .map(|(_, v)| match v.exchange.as_str() {
            "okx" => "OKX: Read only",
            "bybit" => "Bybit: Read-Only",
            _ => "Binance: Enable Reading only",
        })
        .collect();
    read_only.sort_unstable();
    read_only.dedup();
    steps.push(format!("Create the replacement with least privilege: read-only ({}) for trackers and tax tools; trading without withdrawals for bots; an IP whitelist always.", read_only.join("; ")));
    for (f, v) in &valid {
        if let Some(days) = v.key_age_days.filter(|d| *d > ROTATE_AFTER_DAYS) {
            steps.push(format!(
                "The key at {} is {days} days old: rotate API keys every {ROTATE_AFTER_DAYS} days.",
                key_place(f)
            ));
        }
    }
    steps.push("Keep the new key out of code (an environment variable or a secrets manager), and purge the old one from Git history if it was committed.".into());
    let mut seen = std::collections::HashSet::new();
    steps.retain(|s| seen.insert(s.clone()));
    Some(steps)
}
