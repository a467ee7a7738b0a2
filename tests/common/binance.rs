//! A stand-in for Binance's REST API on a loopback port, for `--verify`
//! tests: it checks each `GET /sapi/v1/account/apiRestrictions` as Binance
//! documents SIGNED endpoints (the `X-MBX-APIKEY` header; `recvWindow`,
//! `timestamp`, then `signature`: hex HMAC-SHA256 recomputed with the
//! secret, or base64 Ed25519 / RSASSA-PKCS1-v1_5 SHA-256 verified with the
//! public key), answers with Binance's response shapes and error bodies,
//! and records every request. Nothing here reaches past 127.0.0.1.

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

/// How a key's signatures are checked.
#[derive(Clone)]
pub enum Verify {
    /// The HMAC secret key: the signature is recomputed.
    Hmac(String),
    /// A raw 32-byte Ed25519 public key.
    Ed25519(Vec<u8>),
    /// A PKCS#1 RSAPublicKey (DER).
    Rsa(Vec<u8>),
}

/// What the server answers for a key whose signature checks out.
#[derive(Clone)]
pub enum Answer {
    /// HTTP 200 with this apiRestrictions object.
    Permissions(serde_json::Value),
    /// An HTTP status with a Binance error body `{"code","msg"}`.
    Code(u16, i64, &'static str),
    /// An HTTP status with an empty body (429, 451...).
    Status(u16),
    /// No answer for this long (a timeout).
    Stall(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: String,
    pub api_key: Option<String>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, (Verify, Answer)>,
    seen: Vec<Seen>,
    connections: usize,
}

pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let state = Arc::new(Mutex::new(State::default()));
        let url = super::loopback::listen(state.clone(), |s| s.connections += 1, serve);
        Server { url, state }
    }

    /// Registers API key `key`, how to check its signatures and the answer.
    pub fn key(&self, key: &str, verify: Verify, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .keys
            .insert(key.to_string(), (verify, answer));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let request = super::loopback::read_request(&stream)?;
    let api_key = request.headers.get("x-mbx-apikey").cloned();
    let target = request.target;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let seen = Seen {
        path: path.to_string(),
        query: query.to_string(),
        api_key: api_key.clone(),
    };
    let entry = {
        let mut s = state.lock().unwrap();
        s.seen.push(seen);
        api_key.as_ref().and_then(|k| s.keys.get(k).cloned())
    };
    let (status, body) = answer(path, query, api_key.as_deref(), entry);
    super::loopback::respond(stream, status, &body)
}

fn error(status: u16, code: i64, msg: &str) -> (u16, String) {
    (
        status,
        serde_json::json!({ "code": code, "msg": msg }).to_string(),
    )
}

/// Binance's checks in its order: the key's format and existence, the
/// signature, then the endpoint's answer. Status 0: no answer at all.
fn answer(
    path: &str,
    query: &str,
    api_key: Option<&str>,
    entry: Option<(Verify, Answer)>,
) -> (u16, String) {
    if path != "/sapi/v1/account/apiRestrictions" {
        return error(404, -1, "unexpected path");
    }
    let Some(key) = api_key.filter(|k| k.len() == 64) else {
        return error(401, -2014, "API-key format invalid.");
    };
    let Some((verify, answer)) = entry else {
        return error(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        );
    };
    let _ = key;
    // The payload is everything before `&signature=`, which comes last.
    let Some((payload, signature)) = query.split_once("&signature=") else {
        return error(400, -1102, "Mandatory parameter 'signature' was not sent.");
    };
    let timestamp_ok = payload.starts_with("recvWindow=5000&timestamp=")
        && payload["recvWindow=5000&timestamp=".len()..]
            .parse::<u64>()
            .is_ok();
    if !timestamp_ok {
        return error(400, -1102, "Mandatory parameter 'timestamp' was not sent.");
    }
    let signature = percent_decode(signature);
    let good = match &verify {
        Verify::Hmac(secret) => {
            let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
            let expect: String = ring::hmac::sign(&k, payload.as_bytes())
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            signature.eq_ignore_ascii_case(&expect)
        }
        Verify::Ed25519(public) => BASE64.decode(&signature).is_ok_and(|sig| {
            UnparsedPublicKey::new(&ED25519, public)
                .verify(payload.as_bytes(), &sig)
                .is_ok()
        }),
        Verify::Rsa(public) => BASE64.decode(&signature).is_ok_and(|sig| {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
                .verify(payload.as_bytes(), &sig)
                .is_ok()
        }),
    };
    if !good {
        return error(400, -1022, "Signature for this request is not valid.");
    }
    match answer {
        Answer::Permissions(v) => (200, v.to_string()),
        Answer::Code(status, code, msg) => error(status, code, msg),
        Answer::Status(status) => (status, String::new()),
        Answer::Stall(d) => {
            std::thread::sleep(d);
            (0, String::new())
        }
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// A permissions object as Binance returns it, with `fields` set to true
/// (the others false), created `age_days` ago, and a field Binance may add
/// one day (kept by keyhound).
pub fn permissions(fields: &[&str], age_days: u64) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let mut v = serde_json::json!({
        "ipRestrict": false,
        "createTime": now - age_days * 86_400_000,
        "enableReading": true,
        "enableWithdrawals": false,
        "enableInternalTransfer": false,
        "enableMargin": false,
        "enableFutures": false,
        "permitsUniversalTransfer": false,
        "enableVanillaOptions": false,
        "enableFixApiTrade": false,
        "enableFixReadOnly": false,
        "enableSpotAndMarginTrading": false,
        "enablePortfolioMarginTrading": false,
        "someFutureField": "kept",
    });
    for f in fields {
        v[*f] = serde_json::json!(true);
    }
    v
}

/// A new Ed25519 key: (PKCS#8 PEM body in base64, raw public key).
pub fn ed25519() -> (String, Vec<u8>) {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    (
        BASE64.encode(pkcs8.as_ref()),
        pair.public_key().as_ref().to_vec(),
    )
}

/// A new 2048-bit RSA key made by `openssl` in `dir`: (PKCS#8 PEM text,
/// PKCS#1 RSAPublicKey DER).
pub fn rsa(dir: &std::path::Path) -> (String, Vec<u8>) {
    let key = dir.join("rsa-test-key.pem");
    let public = dir.join("rsa-test-key.pub.der");
    let ok = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .output()
        .expect("openssl runs")
        .status
        .success();
    assert!(ok, "openssl genpkey");
    let ok = std::process::Command::new("openssl")
        .args(["rsa", "-RSAPublicKey_out", "-outform", "DER", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .output()
        .expect("openssl runs")
        .status
        .success();
    assert!(ok, "openssl rsa -RSAPublicKey_out");
    let pem = std::fs::read_to_string(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    (pem, std::fs::read(&public).unwrap())
}
