//! OKX: the signed check `GET /api/v5/account/config` and what its answer
//! means.
//!
//! Signing follows OKX's API v5 documentation, "Overview > REST
//! Authentication > Making Requests / Signature"
//! (www.okx.com/docs-v5/en/#overview-rest-authentication): the
//! `OK-ACCESS-SIGN` header is base64 HMAC-SHA256, with the secret key, of
//! `timestamp + method + requestPath + body` (method in capitals, the path
//! with its query string, no body for a `GET`); `OK-ACCESS-TIMESTAMP` is
//! that timestamp in ISO 8601 UTC with milliseconds
//! (`2020-12-08T09:08:57.715Z`); `OK-ACCESS-KEY` is the API key and
//! `OK-ACCESS-PASSPHRASE` the passphrase chosen when the key was created.
//! The endpoint is "Trading Account > Get account configuration"
//! (www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration):
//! `{"code":"0","data":[{"perm":"read_only,trade,withdraw","ip":"…",…}]}`,
//! `ip` empty when the key is bound to no IP. Error codes are from "Error
//! Code > REST API > Public" (www.okx.com/docs-v5/en/#error-code-rest-api-public),
//! HTTP 401: 50111 invalid OK-ACCESS-KEY, 50119 API key doesn't exist,
//! 50113 invalid signature, 50105 OK-ACCESS-PASSPHRASE incorrect, 50110
//! the request IP is not in the key's whitelist, 50101 the key belongs to
//! the other environment (demo trading), 50100 the key is frozen; 50011 /
//! HTTP 429 rate limit. (The codes and their wording were cross-checked
//! against the error table that the ccxt library's OKX module carries.)

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use super::http::Client;
use super::{Can, Risk, Status, Verification, network_error};

/// OKX's REST API.
pub const DEFAULT_URL: &str = "https://www.okx.com";
/// The signed check: the account's configuration, with the key's
/// permissions and IP binding; changes nothing.
pub const CHECK_PATH: &str = "/api/v5/account/config";
const EXCHANGE: &str = "okx";

/// `OK-ACCESS-TIMESTAMP` for `ms` milliseconds since the Unix epoch: ISO
/// 8601 UTC with milliseconds.
pub fn timestamp(ms: u64) -> String {
    jiff::Timestamp::from_millisecond(ms as i64)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `OK-ACCESS-SIGN` of a request: base64 HMAC-SHA256 with `secret` of
/// `timestamp + method + request_path + body`.
pub fn sign(
    secret: &[u8],
    timestamp: &str,
    method: &str,
    request_path: &str,
    body: &str,
) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let prehash = format!("{timestamp}{method}{request_path}{body}");
    BASE64.encode(ring::hmac::sign(&key, prehash.as_bytes()).as_ref())
}

/// Sends the check for API key `key` with `secret` and `passphrase` and
/// reads the answer; `now_ms` is the request's timestamp.
pub fn check(
    client: &mut Client,
    base: &str,
    key: &[u8],
    secret: &[u8],
    passphrase: &[u8],
    now_ms: u64,
) -> Verification {
    let (Ok(key), Ok(passphrase)) = (std::str::from_utf8(key), std::str::from_utf8(passphrase))
    else {
        return Verification::because(
            EXCHANGE,
            Status::Unverifiable,
            "the API key or passphrase is not text",
        );
    };
    let ts = timestamp(now_ms);
    let sign = sign(secret, &ts, "GET", CHECK_PATH, "");
    let url = format!("{}{CHECK_PATH}", base.trim_end_matches('/'));
    let headers = [
        ("OK-ACCESS-KEY", key),
        ("OK-ACCESS-SIGN", sign.as_str()),
        ("OK-ACCESS-TIMESTAMP", ts.as_str()),
        ("OK-ACCESS-PASSPHRASE", passphrase),
    ];
    match client.get(&url, &headers) {
        Ok(reply) => interpret(reply.status, &reply.body),
        Err(e) => network_error(EXCHANGE, &e),
    }
}

/// What OKX's answer (HTTP `status`, `body`) means.
pub fn interpret(status: u16, body: &str) -> Verification {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let error = |reason: String| Verification::because(EXCHANGE, Status::Error, reason);
    // OKX gives `code` as a string ("0", "50113").
    let code = json
        .as_ref()
        .and_then(|j| j.get("code"))
        .and_then(|c| c.as_str().and_then(|s| s.parse().ok()).or(c.as_i64()));
    let invalid = |reason: &str| {
        let mut v = Verification::because(EXCHANGE, Status::Invalid, reason);
        v.code = code;
        v
    };
    match (status, code) {
        (200, Some(0)) => {
            let first = json
                .as_ref()
                .and_then(|j| j.get("data"))
                .and_then(Value::as_array)
                .and_then(|d| d.first())
                .and_then(Value::as_object);
            match first {
                // Fail safe: without `perm` the risk is unknown.
                Some(config) if perms(config).is_none() => error(
                    "unexpected answer: an account configuration without its permissions (perm)"
                        .into(),
                ),
                Some(config) => valid(config.clone()),
                None => error("unexpected answer: code 0 without an account configuration".into()),
            }
        }
        (_, Some(50111 | 50119)) => invalid(
            "OKX rejected the API key (50111/50119): it is unknown or deleted; this is not proof that it is safe (it may belong to the other environment, or have been replaced)",
        ),
        (_, Some(50100)) => invalid(
            "OKX has frozen the API key (50100): it exists but does not work until OKX unfreezes it; delete it",
        ),
        (_, Some(50101)) => invalid(
            "OKX says the API key belongs to the other environment (50101): a demo-trading key, or a live key sent to demo trading",
        ),
        (_, Some(50113)) => invalid(
            "OKX rejected the signature (50113): the API key exists, but this secret does not belong to it (the matching secret may be elsewhere)",
        ),
        (_, Some(50105)) => invalid(
            "OKX rejected the passphrase (50105): the API key exists, but this passphrase is not its own (the right one may be elsewhere)",
        ),
        (_, Some(50110)) => invalid(
            "OKX refused the request IP (50110): the key exists and is bound to an IP whitelist that does not hold this machine; it works from those IPs, so it is not safe",
        ),
        (429, _) | (_, Some(50011)) => {
            error("rate limited by OKX (HTTP 429 / 50011): run again later".into()).backing_off()
        }
        (403 | 451, _) => error(format!(
            "OKX refuses service from this location (HTTP {status}, geo-block): the key could not be checked from here, and may still be live"
        )),
        _ => {
            let msg = json
                .as_ref()
                .and_then(|j| j.get("msg"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let msg: String = msg.chars().take(200).collect();
            let mut v = error(match code {
                Some(c) => format!("unexpected answer: HTTP {status}, code {c}: {msg}"),
                None => format!("unexpected answer: HTTP {status}"),
            });
            v.code = code;
            v
        }
    }
}

fn valid(config: Map<String, Value>) -> Verification {
    let ip_restricted = config
        .get("ip")
        .and_then(Value::as_str)
        .is_some_and(|ip| !ip.trim().is_empty());
    let risk = risk(&config);
    // The configuration says nothing of the key's age.
    Verification::valid(EXCHANGE, config, ip_restricted, None, risk)
}

/// The risk of a valid key from its account configuration (OKX's
/// fields): `perm` lists `read_only`, `trade`, `withdraw`; `ip` the bound
/// IPs, empty for none. OKX has no separate transfer permission.
///
/// | risk | when |
/// |---|---|
/// | critical | `withdraw` |
/// | high | `trade` without `ip` |
/// | medium | `trade` with `ip`; or read-only without `ip` |
/// | low | read-only with `ip` |
pub fn risk(config: &Map<String, Value>) -> Risk {
    let restricted = config
        .get("ip")
        .and_then(Value::as_str)
        .is_some_and(|ip| !ip.trim().is_empty());
    // OKX has no transfer permission of its own (`can` never sets it).
    can(config).risk(restricted)
}

/// The permissions `perm` lists: a comma-separated string as documented
/// (`read_only,trade,withdraw`), or a list of them; `None` when it is
/// missing or neither.
fn perms(config: &Map<String, Value>) -> Option<Vec<&str>> {
    match config.get("perm")? {
        Value::String(s) => Some(s.split(',').map(str::trim).collect()),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).map(str::trim).collect()),
        _ => None,
    }
}

/// What a key may do, from `perm` (`read_only,trade,withdraw`).
pub fn can(config: &Map<String, Value>) -> Can {
    let perm = perms(config).unwrap_or_default();
    let on = |p: &str| perm.contains(&p);
    Can {
        withdraw: on("withdraw"),
        transfer: false,
        trade: on("trade"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okx_timestamp_is_iso_8601_utc_with_milliseconds() {
        assert_eq!(timestamp(1_607_418_537_715), "2020-12-08T09:08:57.715Z");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn okx_signature_is_base64_hmac_of_the_documented_prehash() {
        // Independent recomputation: HMAC-SHA256 per RFC 4231 test case 2
        // ("Jefe" / "what do ya want for nothing?"), whose digest is
        // published, with OKX's prehash split across its four parts.
        let sig = sign(b"Jefe", "what do ", "ya ", "want for ", "nothing?");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&expected[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(sig, BASE64.encode(bytes));
    }

    fn config(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn okx_risk_follows_the_table() {
        let r = |j: &str| risk(&config(j));
        assert_eq!(
            r(r#"{"perm":"read_only,trade,withdraw","ip":"1.2.3.4"}"#),
            Risk::Critical
        );
        assert_eq!(r(r#"{"perm":"read_only,trade","ip":""}"#), Risk::High);
        assert_eq!(
            r(r#"{"perm":"read_only,trade","ip":"1.2.3.4"}"#),
            Risk::Medium
        );
        assert_eq!(r(r#"{"perm":"read_only","ip":""}"#), Risk::Medium);
        assert_eq!(
            r(r#"{"perm":"read_only","ip":"1.2.3.4,5.6.7.8"}"#),
            Risk::Low
        );
        // A list instead of the documented string reads the same.
        assert_eq!(
            r(r#"{"perm":["read_only","withdraw"],"ip":""}"#),
            Risk::Critical
        );
        // Without `perm`: no verdict (fail safe), not "read-only".
        let v = interpret(200, r#"{"code":"0","msg":"","data":[{"ip":""}]}"#);
        assert_eq!(v.status, Status::Error);
    }

    #[test]
    fn okx_answers_read_as_documented() {
        let v = interpret(
            200,
            r#"{"code":"0","msg":"","data":[{"perm":"read_only","ip":"","uid":"1","newField":1}]}"#,
        );
        assert_eq!(
            (v.status, v.ip_restricted, v.risk),
            (Status::Valid, Some(false), Some(Risk::Medium))
        );
        assert_eq!(
            v.permissions.unwrap()["newField"],
            1,
            "unknown fields are kept"
        );
        for (code, words) in [
            ("50111", "unknown or deleted"),
            ("50113", "secret does not belong"),
            ("50105", "passphrase is not its own"),
            ("50110", "not safe"),
            ("50100", "frozen"),
            ("50101", "other environment"),
            ("50119", "unknown or deleted"),
        ] {
            let v = interpret(401, &format!(r#"{{"code":"{code}","msg":"x","data":[]}}"#));
            assert_eq!(v.status, Status::Invalid, "{code}");
            assert_eq!(v.code, Some(code.parse().unwrap()));
            assert!(v.reason.unwrap().contains(words), "{code}");
        }
        assert_eq!(
            interpret(429, r#"{"code":"50011","msg":"Too Many Requests"}"#).status,
            Status::Error
        );
        assert_eq!(interpret(200, "<html>").status, Status::Error);
    }
}
