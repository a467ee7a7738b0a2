//! Bybit: the signed check `GET /v5/user/query-api` and what its answer
//! means.
//!
//! Signing follows Bybit's V5 "Integration Guidance > Authentication"
//! (bybit-exchange.github.io/docs/v5/guide): the headers
//! `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (UTC milliseconds),
//! `X-BAPI-RECV-WINDOW` and `X-BAPI-SIGN`, the signature of
//! `timestamp + api_key + recv_window + queryString` (the query string
//! unsorted, empty here): hex HMAC-SHA256 with the secret for
//! system-generated keys, base64 RSA-SHA256 (PKCS#1 v1.5) with the private
//! key for self-generated (RSA) keys. The endpoint is "User > Get API Key
//! Information" (bybit-exchange.github.io/docs/v5/user/apikey-info):
//! `{"retCode":0,"result":{"readOnly":0,"permissions":{"Wallet":[…],…},
//! "ips":["*"],"expiredAt":…,"createdAt":…}}`. Error codes are from "Error
//! Codes" (bybit-exchange.github.io/docs/v5/error): 10003 API key invalid,
//! 10004 signature error, 10010 unmatched IP, 33004 API key expired,
//! 10006 / 10018 rate limits; HTTP 403 for a refused location or an IP
//! rate limit.

use serde_json::{Map, Value};

use super::binance::Signer;
use super::http::Client;
use super::{Can, Risk, Status, Verification, network_error};

/// Bybit's REST API.
pub const DEFAULT_URL: &str = "https://api.bybit.com";
/// The signed check: the key's own information; changes nothing.
pub const CHECK_PATH: &str = "/v5/user/query-api";
/// `X-BAPI-RECV-WINDOW`: how long (ms) after the timestamp Bybit may
/// accept the request.
pub const RECV_WINDOW: u64 = 5000;
const EXCHANGE: &str = "bybit";

/// What is signed for a request at `timestamp_ms` by `api_key` with query
/// string `query`.
pub fn payload(timestamp_ms: u64, api_key: &str, query: &str) -> String {
    format!("{timestamp_ms}{api_key}{RECV_WINDOW}{query}")
}

/// Sends the check for API key `key` signed by `signer` (HMAC: hex; RSA:
/// base64) and reads the answer; `now_ms` is the request's timestamp and
/// the clock for `key_age_days`.
pub fn check(
    client: &mut Client,
    base: &str,
    key: &[u8],
    signer: &Signer,
    now_ms: u64,
) -> Verification {
    let Ok(key) = std::str::from_utf8(key) else {
        return Verification::because(EXCHANGE, Status::Unverifiable, "the API key is not text");
    };
    if matches!(signer, Signer::Ed25519(_)) {
        return Verification::because(
            EXCHANGE,
            Status::Unverifiable,
            "an Ed25519 private key: Bybit API keys are HMAC or RSA",
        );
    }
    let sign = signer.sign(payload(now_ms, key, "").as_bytes());
    let (ts, window) = (now_ms.to_string(), RECV_WINDOW.to_string());
    let url = format!("{}{CHECK_PATH}", base.trim_end_matches('/'));
    let headers = [
        ("X-BAPI-API-KEY", key),
        ("X-BAPI-TIMESTAMP", ts.as_str()),
        ("X-BAPI-RECV-WINDOW", window.as_str()),
        ("X-BAPI-SIGN", sign.as_str()),
    ];
    match client.get(&url, &headers) {
        Ok(reply) => interpret(reply.status, &reply.body, now_ms),
        Err(e) => network_error(EXCHANGE, &e),
    }
}

/// What Bybit's answer (HTTP `status`, `body`) means, `now_ms` being the
/// time of the request.
pub fn interpret(status: u16, body: &str, now_ms: u64) -> Verification {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let error = |reason: String| Verification::because(EXCHANGE, Status::Error, reason);
    let code = json
        .as_ref()
        .and_then(|j| j.get("retCode"))
        .and_then(Value::as_i64);
    let invalid = |reason: &str| {
        let mut v = Verification::because(EXCHANGE, Status::Invalid, reason);
        v.code = code;
        v
    };
    match (status, code) {
        (200, Some(0)) => match json.as_ref().and_then(|j| j.get("result")) {
            Some(Value::Object(info)) => valid(info.clone(), now_ms),
            _ => error("unexpected answer: retCode 0 without key information".into()),
        },
        (_, Some(10003)) => invalid("Bybit rejected the API key (10003): it is unknown or deleted (or a testnet key); this is not proof that it is safe"),
        (_, Some(10004)) => invalid("Bybit rejected the signature (10004): the API key exists, but this secret does not belong to it (the matching secret may be elsewhere)"),
        (_, Some(10010)) => invalid("Bybit refused the request IP (10010): the key exists and is bound to an IP whitelist that does not hold this machine; it works from those IPs, so it is not safe"),
        (_, Some(33004)) => invalid("Bybit says the API key has expired (33004): it no longer works, but delete it all the same"),
        (429, _) | (_, Some(10006 | 10018)) => error("rate limited by Bybit (10006/10018, HTTP 429): run again later".into()).backing_off(),
        (403, _) => error("Bybit refused the request (HTTP 403): a refused location (Bybit blocks the US and Mainland China) or an IP rate limit; the key could not be checked from here, and may still be live".into()).backing_off(),
        _ => {
            let msg = json
                .as_ref()
                .and_then(|j| j.get("retMsg"))
                .and_then(Value::as_str)
                .unwrap_or("");
            super::unexpected(EXCHANGE, status, code, "retCode", msg)
        }
    }
}

fn valid(info: Map<String, Value>, now_ms: u64) -> Verification {
    let key_age_days = info
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| (now_ms as i64).saturating_sub(t.as_millisecond()).max(0) as u64 / 86_400_000);
    let (restricted, risk) = (ip_restricted(&info), risk(&info));
    Verification::valid(EXCHANGE, info, restricted, key_age_days, risk)
}

/// Whether `ips` binds the key: a list of addresses other than `*`.
pub fn ip_restricted(info: &Map<String, Value>) -> bool {
    info.get("ips")
        .and_then(Value::as_array)
        .is_some_and(|ips| {
            ips.iter()
                .any(|ip| ip.as_str().is_some_and(|s| s != "*" && !s.is_empty()))
        })
}

/// Bybit's `Wallet` permissions that move funds between accounts.
pub const TRANSFERS: &[&str] = &["AccountTransfer", "SubMemberTransfer"];

/// The risk of a valid key from its information (Bybit's fields):
/// `readOnly` 1 means read-only; `permissions` maps groups (`Spot`,
/// `ContractTrade`, `Options`, `Derivatives`, `Wallet`...) to lists;
/// `ips` is `["*"]` when unbound.
///
/// | risk | when |
/// |---|---|
/// | critical | `Wallet` holds `Withdraw`; or a transfer ([`TRANSFERS`]) without `ips` |
/// | high | trading (not `readOnly`, a permission outside `Wallet`) without `ips` |
/// | medium | trading or transfers with `ips`; or read-only without `ips` |
/// | low | read-only with `ips` |
pub fn risk(info: &Map<String, Value>) -> Risk {
    can(info).risk(ip_restricted(info))
}

/// What a key with this information may do: `Withdraw` in `Wallet`; a
/// transfer ([`TRANSFERS`]); trading (a permission outside `Wallet`), not
/// when `readOnly` is 1. Withdrawals and transfers listed are believed
/// whatever `readOnly` says (fail safe).
pub fn can(info: &Map<String, Value>) -> Can {
    let groups = info.get("permissions").and_then(Value::as_object);
    let wallet: Vec<&str> = groups
        .and_then(|p| p.get("Wallet"))
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let read_only = info.get("readOnly").and_then(Value::as_i64) == Some(1);
    Can {
        withdraw: wallet.contains(&"Withdraw"),
        transfer: wallet.iter().any(|p| TRANSFERS.contains(p)),
        trade: !read_only
            && groups.is_some_and(|p| {
                p.iter()
                    .any(|(g, v)| g != "Wallet" && v.as_array().is_some_and(|a| !a.is_empty()))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bybit_signature_is_hex_hmac_of_the_documented_payload() {
        // Independent recomputation: RFC 4231 test case 2 ("Jefe" / "what
        // do ya want for nothing?"), whose HMAC-SHA256 is published.
        let signer = super::super::binance::signer(&["secret-key".into()], b"Jefe").unwrap();
        assert_eq!(
            payload(1_658_384_314_791, "K", "a=1"),
            "1658384314791K5000a=1"
        );
        assert_eq!(
            signer.sign(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    fn info(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn bybit_risk_follows_the_table() {
        let r = |j: &str| risk(&info(j));
        assert_eq!(
            r(r#"{"readOnly":0,"permissions":{"Wallet":["Withdraw"]},"ips":["1.2.3.4"]}"#),
            Risk::Critical
        );
        assert_eq!(
            r(r#"{"readOnly":0,"permissions":{"Wallet":["AccountTransfer"]},"ips":["*"]}"#),
            Risk::Critical
        );
        assert_eq!(
            r(r#"{"readOnly":0,"permissions":{"Spot":["SpotTrade"],"Wallet":[]},"ips":["*"]}"#),
            Risk::High
        );
        assert_eq!(
            r(r#"{"readOnly":0,"permissions":{"ContractTrade":["Order"]},"ips":["1.2.3.4"]}"#),
            Risk::Medium
        );
        assert_eq!(
            r(r#"{"readOnly":1,"permissions":{"Spot":["SpotTrade"]},"ips":["*"]}"#),
            Risk::Medium
        );
        assert_eq!(
            r(r#"{"readOnly":1,"permissions":{},"ips":["1.2.3.4"]}"#),
            Risk::Low
        );
        // A withdrawal listed is believed whatever readOnly says.
        assert_eq!(
            r(r#"{"readOnly":1,"permissions":{"Wallet":["Withdraw"]},"ips":["1.2.3.4"]}"#),
            Risk::Critical
        );
    }

    #[test]
    fn bybit_answers_read_as_documented() {
        let v = interpret(
            200,
            r#"{"retCode":0,"retMsg":"","result":{"readOnly":1,"permissions":{},"ips":["*"],"createdAt":"2024-01-01T00:00:00Z","newField":1}}"#,
            1_704_067_200_000 + 100 * 86_400_000,
        );
        assert_eq!(
            (v.status, v.key_age_days, v.risk),
            (Status::Valid, Some(100), Some(Risk::Medium))
        );
        assert_eq!(
            v.permissions.unwrap()["newField"],
            1,
            "unknown fields are kept"
        );
        for (code, words) in [
            (10003, "unknown or deleted"),
            (10004, "secret does not belong"),
            (10010, "not safe"),
            (33004, "expired"),
        ] {
            let v = interpret(
                401,
                &format!(r#"{{"retCode":{code},"retMsg":"x","result":{{}}}}"#),
                0,
            );
            assert_eq!((v.status, v.code), (Status::Invalid, Some(code)));
            assert!(v.reason.unwrap().contains(words), "{code}");
        }
        assert_eq!(interpret(403, "", 0).status, Status::Error);
        assert_eq!(
            interpret(200, r#"{"retCode":10006,"retMsg":"Too many visits!"}"#, 0).status,
            Status::Error
        );
    }
}
