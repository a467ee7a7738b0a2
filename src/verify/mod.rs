//! Live verification (`--verify`): asks the exchange whether a leaked
//! credential pair works, what it may do and whether it is bound to an IP
//! whitelist, and turns the answer into a risk level.
//!
//! Only pairs that [`crate::pairs`] matched in one file are checked: the
//! exchange's signed check request needs both halves. Each distinct pair
//! is checked once per run, however many findings (files, commits) hold
//! it; requests to one host are spaced by [`Settings::min_interval`].
//! Nothing else is ever sent: one signed `GET` per pair, no redirect
//! followed. One file per exchange (`binance`); the HTTP client and its
//! rate limit are in `http`.

pub mod binance;
mod http;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::findings::{Finding, Raw};
pub use http::HttpError;

/// What the exchange said.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The pair works: the exchange answered the signed request.
    Valid,
    /// The exchange refused the pair; `reason` says how (an unknown key
    /// may also be a key bound to other IPs: never proof of safety).
    Invalid,
    /// Not checked: a lone half, an encrypted private key, a key type the
    /// exchange does not take.
    Unverifiable,
    /// Checked, but no verdict: network, timeout, rate limit, geo-block,
    /// an unexpected answer.
    Error,
}

/// How bad a valid key is, from its permissions (see [`binance::risk`]):
/// `critical` > `high` > `medium` > `low`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// A finding's `verification` in reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verification {
    /// The exchange asked (`binance`).
    pub exchange: String,
    pub status: Status,
    /// Why it is `invalid`, `unverifiable` or `error`, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The exchange's error code (Binance: `-2014`, `-2015`, `-1022`...)
    /// or, for an HTTP refusal without one, absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// `valid`: the fields the exchange returned, under its own names
    /// (Binance: `enableReading`, `enableWithdrawals`, `ipRestrict`,
    /// `createTime`...), unknown fields kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<serde_json::Map<String, serde_json::Value>>,
    /// `valid`: whether the key only works from whitelisted IPs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_restricted: Option<bool>,
    /// `valid`: whole days since the key was created, when the exchange
    /// says when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_age_days: Option<u64>,
    /// `valid`: how bad the leak is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

impl Verification {
    /// A verdict of `status` with `reason` and nothing else.
    pub fn because(exchange: &str, status: Status, reason: impl Into<String>) -> Self {
        Verification {
            exchange: exchange.to_string(),
            status,
            reason: Some(reason.into()),
            code: None,
            permissions: None,
            ip_restricted: None,
            key_age_days: None,
            risk: None,
        }
    }
}

/// Where and how fast to ask.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Binance's REST base URL (`https://api.binance.com`; tests and
    /// proxies point elsewhere).
    pub binance_url: String,
    /// Most time to open a connection.
    pub connect_timeout: Duration,
    /// Most time for a whole request, connection to last byte.
    pub timeout: Duration,
    /// Least time between two requests to one host.
    pub min_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            binance_url: binance::DEFAULT_URL.to_string(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            min_interval: Duration::from_millis(250),
        }
    }
}

/// What a run of [`Verifier::verify`] did, for the user's notes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Requests sent.
    pub requests: usize,
    /// Distinct pairs checked (each once).
    pub pairs: usize,
}

/// Checks pairs, each distinct one once.
pub struct Verifier {
    settings: Settings,
    client: http::Client,
    /// By SHA-256 of (exchange, key, secret).
    done: HashMap<[u8; 32], Verification>,
    tally: Tally,
    /// Why no more requests are sent this run (a back-off, timeouts).
    stopped: Option<&'static str>,
    /// Timeouts in a row.
    timeouts: u32,
}

/// Timeouts in a row after which no more requests are sent: a host that
/// hangs would otherwise cost the timeout once per pair.
const MAX_TIMEOUTS: u32 = 2;

/// The two halves of a credential to check, and which exchange.
struct Job<'a> {
    exchange: &'static str,
    key: &'a Raw,
    secret: &'a Raw,
    /// The secret half's tags (secret key, Ed25519, RSA, encrypted...).
    secret_tags: &'a [String],
}

impl Verifier {
    pub fn new(settings: Settings) -> Self {
        let client = http::Client::new(&settings);
        Verifier {
            settings,
            client,
            done: HashMap::new(),
            tally: Tally::default(),
            stopped: None,
            timeouts: 0,
        }
    }

    /// Sets `verification` on every finding that is half of an exchange
    /// credential (and on private keys paired with an exchange API key).
    pub fn verify(&mut self, findings: &mut [Finding]) -> Tally {
        for f in findings.iter_mut() {
            f.verification = match job(f) {
                None => None,
                Some(Err(v)) => Some(v),
                Some(Ok(job)) => Some(self.check(&job)),
            };
        }
        self.tally
    }

    fn check(&mut self, job: &Job<'_>) -> Verification {
        let mut h = Sha256::new();
        for part in [job.exchange.as_bytes(), job.key.bytes(), job.secret.bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let id: [u8; 32] = h.finalize().into();
        if let Some(v) = self.done.get(&id) {
            return v.clone();
        }
        let v = match binance::signer(job.secret_tags, job.secret.bytes()) {
            Err(reason) => Verification::because(job.exchange, Status::Unverifiable, reason),
            Ok(_) if self.stopped.is_some() => Verification::because(
                job.exchange,
                Status::Error,
                format!(
                    "not checked: {}; the key may still be live",
                    self.stopped.unwrap_or_default()
                ),
            ),
            Ok(signer) => {
                self.tally.pairs += 1;
                self.tally.requests += 1;
                let (v, next) = binance::check(
                    &mut self.client,
                    &self.settings.binance_url,
                    job.key.bytes(),
                    &signer,
                    now_ms(),
                );
                match next {
                    binance::Next::BackOff => {
                        self.stopped = Some(
                            "Binance asked keyhound to back off (HTTP 429 or 418), so no more requests were sent this run",
                        );
                    }
                    binance::Next::TimedOut => {
                        self.timeouts += 1;
                        if self.timeouts >= MAX_TIMEOUTS {
                            self.stopped = Some(
                                "the exchange did not answer in time twice, so no more requests were sent this run",
                            );
                        }
                    }
                    binance::Next::Go => self.timeouts = 0,
                }
                v
            }
        };
        self.done.insert(id, v.clone());
        v
    }
}

/// Masks what an exchange's answer echoes of the pair before it reaches a
/// report: the API key wherever it appears (reason, permission names and
/// values), and anything secret-shaped
/// ([`crate::findings::mask_secret_shaped`]).
pub fn mask_answer(v: &mut Verification, key: &str) {
    fn mask(s: &str, key: &str) -> String {
        let s = if key.is_empty() {
            s.to_string()
        } else {
            s.replace(key, &crate::findings::redact(key))
        };
        crate::findings::mask_secret_shaped(&s).into_owned()
    }
    fn walk(value: &mut serde_json::Value, key: &str) {
        match value {
            serde_json::Value::String(s) => *s = mask(s, key),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, key)),
            serde_json::Value::Object(o) => {
                let old = std::mem::take(o);
                for (k, mut x) in old {
                    walk(&mut x, key);
                    o.insert(mask(&k, key), x);
                }
            }
            _ => {}
        }
    }
    if let Some(r) = &mut v.reason {
        *r = mask(r, key);
    }
    if let Some(p) = v.permissions.take() {
        let mut value = serde_json::Value::Object(p);
        walk(&mut value, key);
        if let serde_json::Value::Object(p) = value {
            v.permissions = Some(p);
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn has(tags: &[String], t: &str) -> bool {
    tags.iter().any(|x| x == t)
}

/// What to check for `f`: nothing (not an exchange credential), a verdict
/// without asking (`Err`: a lone half...), or a pair to check.
fn job(f: &Finding) -> Option<Result<Job<'_>, Verification>> {
    const EXCHANGE: &str = "binance";
    let unverifiable = |reason: &str| {
        Some(Err(Verification::because(
            EXCHANGE,
            Status::Unverifiable,
            reason,
        )))
    };
    let binance = has(&f.tags, EXCHANGE);
    let partner = f.pair.as_ref().filter(|p| p.raw.is_some());
    let own = f.raw.as_ref()?;
    if binance && has(&f.tags, "credential") {
        return unverifiable(
            "keyhound cannot tell whether this is the API key or the secret key: name it (api_key = …, api_secret = …) to have the pair checked",
        );
    }
    if binance && has(&f.tags, "api-key") {
        let Some(p) = partner else {
            return unverifiable(
                "lone API key: no secret key or private key found in the same file, and a signed check needs both",
            );
        };
        return Some(Ok(Job {
            exchange: EXCHANGE,
            key: own,
            secret: p.raw.as_ref()?,
            secret_tags: &p.tags,
        }));
    }
    if binance && has(&f.tags, "secret-key") {
        let Some(p) = partner else {
            return unverifiable(
                "lone secret key: no API key found in the same file, and a signed check needs both",
            );
        };
        return Some(Ok(Job {
            exchange: EXCHANGE,
            key: p.raw.as_ref()?,
            secret: own,
            secret_tags: &f.tags,
        }));
    }
    // A private key is a Binance credential when it was paired with a
    // Binance API key.
    let p = partner.filter(|p| {
        has(&f.tags, "private-key") && has(&p.tags, EXCHANGE) && has(&p.tags, "api-key")
    })?;
    Some(Ok(Job {
        exchange: EXCHANGE,
        key: p.raw.as_ref()?,
        secret: own,
        secret_tags: &f.tags,
    }))
}
