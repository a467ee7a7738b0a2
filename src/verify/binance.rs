//! Binance: the signed check `GET /sapi/v1/account/apiRestrictions` and
//! what its answer means.
//!
//! Signing follows Binance's "SIGNED (TRADE and USER_DATA) Endpoint
//! security" (developers.binance.com/docs/binance-spot-api-docs/rest-api/
//! endpoint-security-type, and its "Request security" page): the payload
//! is the query string, with `timestamp` (milliseconds) and `recvWindow`;
//! the `signature` parameter is hex HMAC-SHA256 of it with the secret key
//! for HMAC keys, base64 Ed25519 for Ed25519 keys, base64
//! RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys (base64 percent-encoded in
//! the query); the API key goes in the `X-MBX-APIKEY` header. The endpoint
//! is "Get API Key Permission (USER_DATA)" (developers.binance.com/docs/
//! wallet/account/api-key-permission). Error codes are from "Error codes"
//! (developers.binance.com/docs/binance-spot-api-docs/errors): -1022
//! INVALID_SIGNATURE, -2014 BAD_API_KEY_FMT, -2015 REJECTED_MBX_KEY.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Map, Value};

use super::http::Client;
use super::{Can, Risk, Status, Verification, network_error};

/// Binance's REST API.
pub const DEFAULT_URL: &str = "https://api.binance.com";
/// The signed check: the key's permissions, changes nothing.
pub const CHECK_PATH: &str = "/sapi/v1/account/apiRestrictions";
/// How long (ms) after `timestamp` Binance may accept the request.
pub const RECV_WINDOW: u64 = 5000;
const EXCHANGE: &str = "binance";

/// How to sign for one key type.
pub enum Signer {
    /// HMAC-SHA256 with the secret key.
    Hmac(ring::hmac::Key),
    /// Ed25519 (PKCS#8 v1 or v2).
    Ed25519(Ed25519KeyPair),
    /// RSASSA-PKCS1-v1_5 with SHA-256 (PKCS#1 or PKCS#8).
    Rsa(RsaKeyPair),
}

impl Signer {
    /// The `signature` value for `payload`, not yet percent-encoded: hex for
    /// HMAC, base64 for Ed25519 and RSA.
    pub fn sign(&self, payload: &[u8]) -> String {
        match self {
            Signer::Hmac(key) => ring::hmac::sign(key, payload)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            Signer::Ed25519(pair) => BASE64.encode(pair.sign(payload)),
            Signer::Rsa(pair) => {
                let mut sig = vec![0; pair.public().modulus_len()];
                let rng = ring::rand::SystemRandom::new();
                // Fails only when `sig` has the wrong size.
                pair.sign(&RSA_PKCS1_SHA256, &rng, payload, &mut sig)
                    .expect("the signature buffer has the modulus's length");
                BASE64.encode(sig)
            }
        }
    }
}

/// The signer for a secret half with `tags` and bytes `raw` (a finding's
/// secret: a 64-character secret key, or a PEM body as found, with its
/// line breaks, `\n` escapes, quotes or concatenation left in). `Err` says
/// why it cannot sign: the `unverifiable` reason.
pub fn signer(tags: &[String], raw: &[u8]) -> Result<Signer, String> {
    let has = |t: &str| tags.iter().any(|x| x == t);
    if has("secret-key") {
        return Ok(Signer::Hmac(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            raw,
        )));
    }
    let text = String::from_utf8_lossy(raw);
    if has("encrypted") || text.contains("ENCRYPTED") {
        return Err("encrypted private key: it cannot sign without its passphrase (which keyhound does not look for)".into());
    }
    if !has("private-key") {
        return Err("not a secret key or private key an exchange signs with".into());
    }
    let der = pem_body(&text).ok_or("the private key's base64 body does not decode")?;
    if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
        return Ok(Signer::Ed25519(pair));
    }
    if let Ok(pair) = RsaKeyPair::from_pkcs8(&der).or_else(|_| RsaKeyPair::from_der(&der)) {
        return Ok(Signer::Rsa(pair));
    }
    Err("not an Ed25519 or RSA private key (Binance API keys are HMAC, Ed25519 or RSA), or a malformed one".into())
}

/// The DER bytes of a PEM body as a finding holds it: `\n` and `\r`
/// escapes, quotes, commas, whitespace and the `+` of string
/// concatenation (a `+` whose nearest non-blank neighbour is a quote)
/// dropped.
fn pem_body(text: &str) -> Option<Vec<u8>> {
    let chars: Vec<char> = text.chars().collect();
    let quote = |c: Option<&char>| c.is_some_and(|c| "\"'`".contains(*c));
    let mut clean = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            // An escape: `\n`, `\\n`, `\r`.
            while chars.get(i) == Some(&'\\') {
                i += 1;
            }
            i += 1;
            continue;
        }
        let concat = c == '+' && {
            let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
            let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            quote(before) || quote(after)
        };
        if (c.is_ascii_alphanumeric() || "/+=".contains(c)) && !concat {
            clean.push(c);
        }
        i += 1;
    }
    // Padding as found, or none (a body cut at `=` by a quote).
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    lenient.decode(clean).ok()
}

/// The query string signed for the check at `timestamp_ms`.
pub fn payload(timestamp_ms: u64) -> String {
    format!("recvWindow={RECV_WINDOW}&timestamp={timestamp_ms}")
}

/// The check's URL under `base`: `payload` and its percent-encoded
/// `signature`.
pub fn check_url(base: &str, signer: &Signer, timestamp_ms: u64) -> String {
    let payload = payload(timestamp_ms);
    let signature = signer.sign(payload.as_bytes());
    let signature =
        percent_encoding::utf8_percent_encode(&signature, percent_encoding::NON_ALPHANUMERIC);
    format!(
        "{}{CHECK_PATH}?{payload}&signature={signature}",
        base.trim_end_matches('/')
    )
}

/// Sends the check for API key `key` signed by `signer` and reads the
/// answer. `now_ms` is the request's `timestamp` and the clock for
/// `key_age_days`.
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
    let url = check_url(base, signer, now_ms);
    match client.get(&url, &[("X-MBX-APIKEY", key)]) {
        Ok(reply) => interpret(reply.status, &reply.body, now_ms),
        Err(e) => network_error(EXCHANGE, &e),
    }
}

/// What Binance's answer (HTTP `status`, `body`) means, `now_ms` being the
/// time of the request.
pub fn interpret(status: u16, body: &str, now_ms: u64) -> Verification {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let error = |reason: String| Verification::because(EXCHANGE, Status::Error, reason);
    match status {
        200 => match json {
            // Fail safe: without the fields that decide the risk, no
            // verdict (a missing `enableWithdrawals` must not read "off").
            Some(Value::Object(permissions))
                if ["ipRestrict", "enableReading", "enableWithdrawals"]
                    .iter()
                    .all(|f| permissions.contains_key(*f)) =>
            {
                valid(permissions, now_ms)
            }
            _ => error("unexpected answer: HTTP 200 without all of Binance's deciding permission fields (ipRestrict, enableReading, enableWithdrawals)".into()),
        },
        429 => error("rate limited by Binance (HTTP 429): run again later".into()).backing_off(),
        403 => error("Binance's web application firewall refused the request (HTTP 403): the key could not be checked, and may still be live".into()).backing_off(),
        418 => error("this IP is banned by Binance for a while after too many requests (HTTP 418): run again later".into()).backing_off(),
        451 => error("Binance refuses service from this location (HTTP 451, geo-block): the key could not be checked from here, and may still be live".into()),
        _ => {
            let code = json.as_ref().and_then(|j| j.get("code")).and_then(Value::as_i64);
            let msg = json.as_ref().and_then(|j| j.get("msg")).and_then(Value::as_str).unwrap_or("");
            let invalid = |reason: &str| {
                let mut v = Verification::because(EXCHANGE, Status::Invalid, reason);
                v.code = code;
                v
            };
            match code {
                Some(-2014) => invalid("Binance says the API key's format is invalid (-2014): not a Binance API key, or a mangled one"),
                Some(-2015) => invalid("Binance rejected the API key (-2015): it is unknown or deleted, OR it is restricted to other IPs and works from them; this is not proof that it is safe"),
                Some(-1022) => invalid("Binance rejected the signature (-1022): the API key exists, but this secret does not belong to it (the matching secret may be elsewhere)"),
                Some(-1021) => error("Binance says this machine's clock is outside the request's receive window (-1021): set the clock right (NTP) and run again".into()),
                Some(-1003) => error("rate limited by Binance (-1003, too many requests): run again later".into()).backing_off(),
                _ => super::unexpected(EXCHANGE, status, code, "code", msg),
            }
        }
    }
}

fn valid(permissions: Map<String, Value>, now_ms: u64) -> Verification {
    // Only a plain `true` restricts (fail safe: anything else does not).
    let ip_restricted = permissions.get("ipRestrict") == Some(&Value::Bool(true));
    let key_age_days = permissions
        .get("createTime")
        .and_then(Value::as_u64)
        .map(|t| now_ms.saturating_sub(t) / 86_400_000);
    let risk = risk(&permissions);
    Verification::valid(EXCHANGE, permissions, ip_restricted, key_age_days, risk)
}

/// Binance's fields that allow trading.
pub const TRADING: &[&str] = &[
    "enableSpotAndMarginTrading",
    "enableMargin",
    "enableFutures",
    "enableVanillaOptions",
    "enablePortfolioMarginTrading",
    "enableFixApiTrade",
];
/// Binance's fields that allow moving funds between accounts.
pub const TRANSFERS: &[&str] = &["enableInternalTransfer", "permitsUniversalTransfer"];

/// The risk of a valid key with `permissions` (Binance's field names):
///
/// | risk | when |
/// |---|---|
/// | critical | `enableWithdrawals`; or a transfer permission without `ipRestrict` |
/// | high | a trading permission ([`TRADING`]) without `ipRestrict` |
/// | medium | trading or transfers with `ipRestrict`; or read-only without it |
/// | low | read-only with `ipRestrict` |
pub fn risk(permissions: &Map<String, Value>) -> Risk {
    let restricted = permissions.get("ipRestrict").and_then(Value::as_bool) == Some(true);
    can(permissions).risk(restricted)
}

/// What a key may do: `enableWithdrawals`, [`TRANSFERS`], [`TRADING`].
pub fn can(permissions: &Map<String, Value>) -> Can {
    // Fail safe: a permission is on unless it is `false`, `null` or absent
    // (a string "true" is on).
    let on = |f: &str| {
        !matches!(
            permissions.get(f),
            None | Some(Value::Bool(false)) | Some(Value::Null)
        )
    };
    Can {
        withdraw: on("enableWithdrawals"),
        transfer: TRANSFERS.iter().any(|f| on(f)),
        trade: TRADING.iter().any(|f| on(f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_worked_hmac_example_reproduces() {
        // Binance's documented example ("SIGNED Endpoint Examples for POST
        // /api/v3/order - HMAC Keys"): a published demo secret.
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let signer = signer(&["binance".into(), "secret-key".into()], secret.as_bytes()).unwrap();
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            signer.sign(payload.as_bytes()),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn ed25519_signature_verifies_with_the_public_key() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let public = ring::signature::KeyPair::public_key(
            &Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap(),
        )
        .as_ref()
        .to_vec();
        // As a finding holds it: a one-line PEM in a JSON string.
        let found = format!("{}\\n", BASE64.encode(pkcs8.as_ref()));
        let signer = signer(&["private-key".into(), "ed25519".into()], found.as_bytes()).unwrap();
        assert!(matches!(signer, Signer::Ed25519(_)));
        let url = check_url("http://h/", &signer, 1_700_000_000_000);
        let (payload, sig) = url
            .split_once("?")
            .unwrap()
            .1
            .split_once("&signature=")
            .unwrap();
        assert_eq!(payload, "recvWindow=5000&timestamp=1700000000000");
        let sig = percent_encoding::percent_decode_str(sig)
            .decode_utf8()
            .unwrap();
        let sig = BASE64.decode(sig.as_bytes()).unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public)
            .verify(payload.as_bytes(), &sig)
            .expect("the signature verifies");
        assert!(
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public)
                .verify(b"recvWindow=5000&timestamp=1", &sig)
                .is_err()
        );
    }

    #[test]
    fn pem_bodies_lose_escapes_quotes_and_concatenation() {
        let der: Vec<u8> = (0u8..=255).collect();
        let b = BASE64.encode(&der);
        let (a, c) = b.split_at(64);
        for found in [
            format!("{a}\n{c}"),
            format!("{a}\\n\",\n    \"{c}"),
            format!("{a}\" +\n\"{c}"),
            format!("{a}\\\\n{c}"),
            // Base64's own `+` at the end or start of a line stays.
            format!(
                "{}\n{}",
                &b[..b.find('+').unwrap() + 1],
                &b[b.find('+').unwrap() + 1..]
            ),
        ] {
            assert_eq!(pem_body(&found).as_deref(), Some(&der[..]), "{found}");
        }
    }

    fn perms(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn risk_follows_the_table() {
        assert_eq!(
            risk(&perms(r#"{"enableWithdrawals":true,"ipRestrict":true}"#)),
            Risk::Critical
        );
        assert_eq!(
            risk(&perms(
                r#"{"enableInternalTransfer":true,"ipRestrict":false}"#
            )),
            Risk::Critical
        );
        assert_eq!(
            risk(&perms(r#"{"enableFutures":true,"ipRestrict":false}"#)),
            Risk::High
        );
        assert_eq!(
            risk(&perms(
                r#"{"enableSpotAndMarginTrading":true,"ipRestrict":true}"#
            )),
            Risk::Medium
        );
        assert_eq!(
            risk(&perms(r#"{"enableReading":true,"ipRestrict":false}"#)),
            Risk::Medium
        );
        assert_eq!(
            risk(&perms(r#"{"enableReading":true,"ipRestrict":true}"#)),
            Risk::Low
        );
    }

    #[test]
    fn error_codes_read_as_documented() {
        let v = interpret(
            401,
            r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#,
            0,
        );
        assert_eq!((v.status, v.code), (Status::Invalid, Some(-2015)));
        assert!(v.reason.unwrap().contains("other IPs"));
        let v = interpret(
            400,
            r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#,
            0,
        );
        assert!(v.reason.unwrap().contains("API key exists"));
        assert_eq!(interpret(451, "", 0).status, Status::Error);
        let v = interpret(
            200,
            r#"{"ipRestrict":false,"createTime":0,"enableReading":true,"enableWithdrawals":false,"newField":1}"#,
            100 * 86_400_000,
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
        // Fail safe: without the deciding fields, no verdict.
        let v = interpret(200, r#"{"ipRestrict":true}"#, 0);
        assert_eq!(v.status, Status::Error);
        assert_eq!(
            interpret(400, r#"{"code":-1021,"msg":"x"}"#, 0).status,
            Status::Error
        );
        assert!(interpret(400, r#"{"code":-1003,"msg":"x"}"#, 0).back_off);
        assert!(interpret(403, "", 0).back_off);
    }
}
