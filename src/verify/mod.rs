//! Live verification (`--verify`): asks the exchange whether a leaked
//! credential pair works, what it may do and whether it is bound to an IP
//! whitelist, and turns the answer into a risk level.
//!
//! Only pairs that [`crate::pairs`] matched in one file are checked: the
//! exchange's signed check request needs both halves. Each distinct pair
//! is checked once per run, however many findings (files, commits) hold
//! it; requests to one host are spaced by [`Settings::min_interval`].
//! Nothing else is ever sent: one signed `GET` per pair, no redirect
//! followed. One file per exchange (`binance`, `okx`, `bybit`); the HTTP
//! client and its rate limit are in `http`.

pub mod binance;
pub mod bybit;
mod http;
pub mod okx;
mod rematch;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Map;
use sha2::{Digest, Sha256};

use crate::findings::{Finding, Raw};
pub use http::{HttpError, proxy_for};

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
    /// The exchange asked (`binance`, `okx`, `bybit`).
    pub exchange: String,
    pub status: Status,
    /// Why it is `invalid`, `unverifiable` or `error`, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The exchange's error code (Binance: `-2014`, `-2015`, `-1022`...;
    /// OKX: `50111`, `50113`, `50105`, `50110`...; Bybit: `10003`,
    /// `10004`, `10010`...) or, for an HTTP refusal without one, absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// `valid`: the fields the exchange returned, under its own names
    /// (Binance: `enableReading`, `enableWithdrawals`, `ipRestrict`,
    /// `createTime`...; OKX: the account configuration, `perm`, `ip`...;
    /// Bybit: the key information, `readOnly`, `permissions`, `ips`,
    /// `expiredAt`, `createdAt`...), unknown fields kept.
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
    /// The answer asked for no more requests for a while (a rate limit, a
    /// ban, a firewall): nothing more is sent to that host this run.
    #[serde(skip)]
    pub back_off: bool,
}

/// What a valid key may do, read from its exchange's own fields.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Can {
    pub withdraw: bool,
    /// Move funds between accounts (internal or universal transfers).
    pub transfer: bool,
    pub trade: bool,
}

impl Can {
    /// The risk table, the same for every exchange:
    ///
    /// | risk | when |
    /// |---|---|
    /// | critical | withdrawals; or transfers without an IP restriction |
    /// | high | trading without an IP restriction |
    /// | medium | trading or transfers with one; or read-only without one |
    /// | low | read-only with an IP restriction |
    pub fn risk(self, ip_restricted: bool) -> Risk {
        if self.withdraw || (self.transfer && !ip_restricted) {
            Risk::Critical
        } else if self.trade && !ip_restricted {
            Risk::High
        } else if self.trade || self.transfer || !ip_restricted {
            Risk::Medium
        } else {
            Risk::Low
        }
    }
}

/// The `error` verdict for an answer no rule above explains: its HTTP
/// status, and the exchange's error code (`code_name`: `code`, `retCode`)
/// and message, cut to 200 characters (masked later with the rest).
pub fn unexpected(
    exchange: &str,
    status: u16,
    code: Option<i64>,
    code_name: &str,
    msg: &str,
) -> Verification {
    let msg: String = msg.chars().take(200).collect();
    let mut v = Verification::because(
        exchange,
        Status::Error,
        match code {
            Some(c) => format!("unexpected answer: HTTP {status}, {code_name} {c}: {msg}"),
            None => format!("unexpected answer: HTTP {status}"),
        },
    );
    v.code = code;
    v
}

impl Verification {
    /// What the key may do (nothing known unless `valid`).
    pub fn can(&self) -> Can {
        let Some(p) = self.permissions.as_ref() else {
            return Can::default();
        };
        match self.exchange.as_str() {
            "okx" => okx::can(p),
            "bybit" => bybit::can(p),
            _ => binance::can(p),
        }
    }

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
            back_off: false,
        }
    }

    /// The same verdict, marked as a request to back off ([`Self::back_off`]).
    pub fn backing_off(mut self) -> Self {
        self.back_off = true;
        self
    }

    /// A `valid` verdict: the exchange's answer (`permissions`, under its
    /// own names), whether it binds the key to IPs, the key's age in days
    /// when the exchange says, and the risk (see [`Can::risk`]).
    pub fn valid(
        exchange: &str,
        permissions: Map<String, serde_json::Value>,
        ip_restricted: bool,
        key_age_days: Option<u64>,
        risk: Risk,
    ) -> Self {
        Verification {
            exchange: exchange.to_string(),
            status: Status::Valid,
            reason: None,
            code: None,
            ip_restricted: Some(ip_restricted),
            key_age_days,
            risk: Some(risk),
            permissions: Some(permissions),
            back_off: false,
        }
    }
}

/// Where and how fast to ask.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Binance's REST base URL (`https://api.binance.com`; tests and
    /// proxies point elsewhere).
    pub binance_url: String,
    /// OKX's REST base URL (`https://www.okx.com`).
    pub okx_url: String,
    /// Bybit's REST base URL (`https://api.bybit.com`).
    pub bybit_url: String,
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
            okx_url: okx::DEFAULT_URL.to_string(),
            bybit_url: bybit::DEFAULT_URL.to_string(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            min_interval: Duration::from_millis(250),
        }
    }
}

/// What a run of [`Verifier::verify`] did, for the user's notes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Requests sent.
    pub requests: usize,
    /// Distinct pairs checked (each once).
    pub pairs: usize,
    /// The base URLs asked, in the order first asked.
    pub hosts: Vec<String>,
}

/// Checks pairs, each distinct one once.
pub struct Verifier {
    settings: Settings,
    client: http::Client,
    /// By SHA-256 of (exchange, key, secret).
    done: HashMap<[u8; 32], Verification>,
    tally: Tally,
    /// Per exchange and base URL: why no more requests are sent to it
    /// this run (a back-off, timeouts).
    stopped: HashMap<String, &'static str>,
    /// Per exchange and base URL: timeouts in a row.
    timeouts: HashMap<String, u32>,
}

/// Timeouts in a row after which no more requests are sent: a host that
/// hangs would otherwise cost the timeout once per pair.
const MAX_TIMEOUTS: u32 = 2;

/// The parts of a credential to check, and which exchange.
struct Job<'a> {
    exchange: &'static str,
    key: &'a Raw,
    secret: &'a Raw,
    /// The secret half's tags (secret key, Ed25519, RSA, encrypted...).
    secret_tags: &'a [String],
    /// OKX's passphrase.
    passphrase: Option<&'a Raw>,
}

impl Verifier {
    pub fn new(settings: Settings) -> Self {
        let client = http::Client::new(&settings);
        Verifier {
            settings,
            client,
            done: HashMap::new(),
            tally: Tally::default(),
            stopped: HashMap::new(),
            timeouts: HashMap::new(),
        }
    }

    /// Sets `verification` on every finding that is half of an exchange
    /// credential (and on private keys paired with an exchange API key);
    /// keys the exchange says are paired with another key's secret are
    /// re-paired when a secret of the same file fits (`rematch`).
    pub fn verify(&mut self, findings: &mut [Finding]) -> Tally {
        for f in findings.iter_mut() {
            f.verification = match job(f) {
                None => None,
                Some(Err(v)) => Some(v),
                Some(Ok(job)) => Some(self.check(&job)),
            };
        }
        self.rematch(findings);
        self.rematch_passphrases(findings);
        self.tally.clone()
    }

    fn check(&mut self, job: &Job<'_>) -> Verification {
        let mut h = Sha256::new();
        let phrase = job.passphrase.map_or(&[][..], Raw::bytes);
        for part in [
            job.exchange.as_bytes(),
            job.key.bytes(),
            job.secret.bytes(),
            phrase,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let id: [u8; 32] = h.finalize().into();
        if let Some(v) = self.done.get(&id) {
            return v.clone();
        }
        let s = &self.settings;
        let base = match job.exchange {
            "okx" => s.okx_url.clone(),
            "bybit" => s.bybit_url.clone(),
            _ => s.binance_url.clone(),
        };
        // Back-offs are kept per exchange and URL (one proxy may serve two).
        let stop_key = format!("{} {base}", job.exchange);
        let v = match binance::signer(job.secret_tags, job.secret.bytes()) {
            Err(reason) => Verification::because(job.exchange, Status::Unverifiable, reason),
            Ok(_) if self.stopped.contains_key(&stop_key) => Verification::because(
                job.exchange,
                Status::Error,
                format!("{}; the key may still be live", self.stopped[&stop_key]),
            ),
            Ok(signer) => {
                let before = self.client.sent();
                let (client, key, now) = (&mut self.client, job.key.bytes(), now_ms());
                let mut v = match (job.exchange, job.passphrase) {
                    ("okx", Some(phrase)) => {
                        okx::check(client, &base, key, job.secret.bytes(), phrase.bytes(), now)
                    }
                    ("bybit", _) => bybit::check(client, &base, key, &signer, now),
                    _ => binance::check(client, &base, key, &signer, now),
                };
                // The answer may echo any part of the pair.
                let parts = [Some(job.key), Some(job.secret), job.passphrase];
                let parts: Vec<&str> = parts
                    .into_iter()
                    .flatten()
                    .filter_map(|p| std::str::from_utf8(p.bytes()).ok())
                    .collect();
                mask_answer(&mut v, &parts);
                if self.client.sent() > before {
                    self.tally.pairs += 1;
                    self.tally.requests += self.client.sent() - before;
                    if !self.tally.hosts.contains(&base) {
                        self.tally.hosts.push(base.clone());
                    }
                    self.after_answer(&stop_key, &v);
                }
                v
            }
        };
        self.done.insert(id, v.clone());
        v
    }

    /// Stops asking `host` (an exchange and its URL) after a request to
    /// back off or after [`MAX_TIMEOUTS`] timeouts in a row; the others
    /// are still asked.
    fn after_answer(&mut self, host: &str, v: &Verification) {
        let timeouts = self.timeouts.entry(host.to_string()).or_default();
        match self.client.last_outcome() {
            http::Outcome::TimedOut => *timeouts += 1,
            _ => *timeouts = 0,
        }
        let stop = if v.back_off || self.client.last_outcome() == http::Outcome::BackOff {
            Some(
                "not checked: the exchange asked keyhound to back off (a rate limit or ban), so no more requests were sent to it this run",
            )
        } else if *timeouts >= MAX_TIMEOUTS {
            Some(
                "not checked: the exchange did not answer in time twice, so no more requests were sent to it this run",
            )
        } else {
            None
        };
        if let Some(why) = stop {
            self.stopped.insert(host.to_string(), why);
        }
    }
}

/// Masks what an exchange's answer echoes of the pair before it reaches a
/// report: each of `parts` (the API key, the secret, the passphrase)
/// wherever it appears (reason, permission names and values), and
/// anything secret-shaped ([`crate::findings::mask_secret_shaped`]).
pub fn mask_answer(v: &mut Verification, parts: &[&str]) {
    fn mask(s: &str, parts: &[&str]) -> String {
        let mut s = s.to_string();
        for part in parts.iter().filter(|p| !p.is_empty()) {
            s = s.replace(part, &crate::findings::redact(part));
        }
        crate::findings::mask_secret_shaped(&s).into_owned()
    }
    fn walk(value: &mut serde_json::Value, parts: &[&str]) {
        match value {
            serde_json::Value::String(s) => *s = mask(s, parts),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, parts)),
            serde_json::Value::Object(o) => {
                let old = std::mem::take(o);
                for (k, mut x) in old {
                    walk(&mut x, parts);
                    o.insert(mask(&k, parts), x);
                }
            }
            _ => {}
        }
    }
    if let Some(r) = &mut v.reason {
        *r = mask(r, parts);
    }
    if let Some(p) = v.permissions.take() {
        let mut value = serde_json::Value::Object(p);
        walk(&mut value, parts);
        if let serde_json::Value::Object(p) = value {
            v.permissions = Some(p);
        }
    }
}

/// The `error` verdict for a request that got no answer.
fn network_error(exchange: &str, e: &HttpError) -> Verification {
    Verification::because(
        exchange,
        Status::Error,
        format!("{e}; the key may still be live"),
    )
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

/// Why half `f` (a `what`) has no partner to be checked with: none in its
/// file, its partner silenced by `keyhound:allow`, or every `other` of the
/// file paired with another half.
fn lone(f: &Finding, what: &str, other: &str) -> String {
    if !f.silenced_halves.is_empty() && f.paired == Some(true) {
        format!("its {other} in this file carries `keyhound:allow`, so the pair was not checked")
    } else if f.paired == Some(true) {
        format!(
            "lone {what}: each {other} in this file is paired with another half (nearer to it), and keyhound does not sign with another key's secret"
        )
    } else {
        format!("lone {what}: no {other} found in the same file, and a signed check needs both")
    }
}

/// The exchanges `--verify` asks, by their tag.
const EXCHANGES: &[&str] = &["binance", "okx", "bybit"];

/// What to check for `f`: nothing (not an exchange credential), a verdict
/// without asking (`Err`: a lone half, an OKX pair without its
/// passphrase...), or the parts to check.
fn job(f: &Finding) -> Option<Result<Job<'_>, Verification>> {
    let partner = f.pair.as_ref().filter(|p| p.raw.is_some());
    let own = f.raw.as_ref()?;
    let service = |tags: &[String]| EXCHANGES.iter().copied().find(|e| has(tags, e));
    // A private key is an exchange's credential when it was paired with
    // that exchange's API key.
    let exchange = service(&f.tags).or_else(|| {
        partner
            .filter(|p| has(&f.tags, "private-key") && has(&p.tags, "api-key"))
            .and_then(|p| service(&p.tags))
    })?;
    let unverifiable = |reason: &str| {
        Some(Err(Verification::because(
            exchange,
            Status::Unverifiable,
            reason,
        )))
    };
    let secret_name = if exchange == "binance" {
        "secret key or private key"
    } else {
        "secret key"
    };
    let (key, secret, secret_tags) = if has(&f.tags, "credential") {
        return unverifiable(
            "keyhound cannot tell whether this is the API key or the secret key: name it (api_key = …, api_secret = …) to have the pair checked",
        );
    } else if has(&f.tags, "api-key") {
        let Some(p) = partner else {
            return unverifiable(&lone(f, "API key", secret_name));
        };
        (own, p.raw.as_ref()?, &p.tags[..])
    } else if has(&f.tags, "secret-key") || has(&f.tags, "private-key") {
        let Some(p) = partner else {
            return unverifiable(&lone(f, "secret key", "API key"));
        };
        (p.raw.as_ref()?, own, &f.tags[..])
    } else {
        return None;
    };
    let passphrase = f.passphrase.as_ref().and_then(|p| p.raw.as_ref());
    if exchange == "okx" && !has(secret_tags, "secret-key") {
        return unverifiable("OKX API keys sign with their secret key, not with a private key");
    }
    if exchange == "okx" && passphrase.is_none() {
        return unverifiable(
            "no passphrase found in the same file: OKX signs with the API key, the secret key and the passphrase chosen for the key",
        );
    }
    Some(Ok(Job {
        exchange,
        key,
        secret,
        secret_tags,
        passphrase,
    }))
}
