//! A stand-in for OKX's and Bybit's REST APIs on one loopback port, for
//! `--verify` tests. It checks `GET /api/v5/account/config` as OKX
//! documents REST authentication (`OK-ACCESS-KEY`, `OK-ACCESS-PASSPHRASE`,
//! `OK-ACCESS-TIMESTAMP` in ISO 8601 UTC with milliseconds,
//! `OK-ACCESS-SIGN` = base64 HMAC-SHA256 of timestamp + "GET" + path,
//! recomputed here) and `GET /v5/user/query-api` as Bybit documents V5
//! authentication (`X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP`,
//! `X-BAPI-RECV-WINDOW`, `X-BAPI-SIGN` = hex HMAC-SHA256 of timestamp +
//! key + recv_window + query, recomputed here), answers with their
//! response shapes and error bodies, and records every request. Nothing
//! here reaches past 127.0.0.1.

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::Fake;

/// What the server answers for a key whose signature checks out.
#[derive(Clone)]
pub enum Answer {
    /// Success: OKX's account configuration (`data[0]`) or Bybit's key
    /// information (`result`).
    Ok(serde_json::Value),
    /// An HTTP status with the exchange's error body and code.
    Code(u16, i64, &'static str),
    /// No answer for this long (a timeout).
    Stall(Duration),
}

/// A registered key: its secret, OKX's passphrase, the answer.
#[derive(Clone)]
struct Entry {
    secret: String,
    passphrase: Option<String>,
    answer: Answer,
}

/// One request as received: path and headers (names in lower case).
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Entry>,
    seen: Vec<Seen>,
}

pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let state = Arc::new(Mutex::new(State::default()));
        let url = super::loopback::listen(state.clone(), |_| {}, serve);
        Server { url, state }
    }

    /// Registers OKX key `key` with its `secret` and `passphrase`.
    pub fn okx(&self, key: &str, secret: &str, passphrase: &str, answer: Answer) {
        self.add(key, secret, Some(passphrase), answer);
    }

    /// Registers Bybit key `key` with its `secret`.
    pub fn bybit(&self, key: &str, secret: &str, answer: Answer) {
        self.add(key, secret, None, answer);
    }

    fn add(&self, key: &str, secret: &str, passphrase: Option<&str>, answer: Answer) {
        let entry = Entry {
            secret: secret.to_string(),
            passphrase: passphrase.map(str::to_string),
            answer,
        };
        self.state
            .lock()
            .unwrap()
            .keys
            .insert(key.to_string(), entry);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let super::loopback::Request { target, headers } = super::loopback::read_request(&stream)?;
    let seen = Seen {
        path: target.clone(),
        headers: headers.clone(),
    };
    let keys = {
        let mut s = state.lock().unwrap();
        s.seen.push(seen);
        s.keys.clone()
    };
    let h = |n: &str| headers.get(n).map(String::as_str).unwrap_or("");
    let (status, body) = match target.as_str() {
        "/api/v5/account/config" => okx(h, &keys),
        "/v5/user/query-api" => bybit(h, &keys),
        _ => (404, String::new()),
    };
    super::loopback::respond(stream, status, &body)
}

fn hmac(secret: &str, payload: &str) -> Vec<u8> {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::sign(&k, payload.as_bytes()).as_ref().to_vec()
}

fn stall(d: Duration) -> (u16, String) {
    std::thread::sleep(d);
    (0, String::new())
}

/// OKX's checks: key, timestamp, signature, passphrase, then the answer.
fn okx<'a>(h: impl Fn(&str) -> &'a str, keys: &HashMap<String, Entry>) -> (u16, String) {
    let err = |status: u16, code: &str, msg: &str| {
        (
            status,
            serde_json::json!({"code": code, "msg": msg, "data": []}).to_string(),
        )
    };
    let Some(e) = keys
        .get(h("ok-access-key"))
        .filter(|e| e.passphrase.is_some())
    else {
        return err(401, "50111", "Invalid OK-ACCESS-KEY");
    };
    let ts = h("ok-access-timestamp");
    let iso = ts.len() == 24 && ts.ends_with('Z') && &ts[10..11] == "T" && &ts[19..20] == ".";
    if !iso {
        return err(401, "50112", "Invalid OK-ACCESS-TIMESTAMP");
    }
    let expect = BASE64.encode(hmac(&e.secret, &format!("{ts}GET/api/v5/account/config")));
    if h("ok-access-sign") != expect {
        return err(401, "50113", "Invalid Sign");
    }
    if Some(h("ok-access-passphrase")) != e.passphrase.as_deref() {
        return err(
            401,
            "50105",
            "Request header OK-ACCESS-PASSPHRASE incorrect.",
        );
    }
    match &e.answer {
        Answer::Ok(config) => (
            200,
            serde_json::json!({"code": "0", "msg": "", "data": [config]}).to_string(),
        ),
        Answer::Code(status, code, msg) => err(*status, &code.to_string(), msg),
        Answer::Stall(d) => stall(*d),
    }
}

/// Bybit's checks: key, timestamp and window, signature, then the answer.
fn bybit<'a>(h: impl Fn(&str) -> &'a str, keys: &HashMap<String, Entry>) -> (u16, String) {
    let err = |status: u16, code: i64, msg: &str| {
        let body = serde_json::json!({"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 0});
        (status, body.to_string())
    };
    let key = h("x-bapi-api-key");
    let Some(e) = keys.get(key).filter(|e| e.passphrase.is_none()) else {
        return err(401, 10003, "API key is invalid.");
    };
    let (ts, window) = (h("x-bapi-timestamp"), h("x-bapi-recv-window"));
    if ts.parse::<u64>().is_err() || window != "5000" {
        return err(
            200,
            10002,
            "invalid request, please check your server timestamp or recv_window param",
        );
    }
    let expect: String = hmac(&e.secret, &format!("{ts}{key}{window}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if h("x-bapi-sign") != expect {
        return err(
            401,
            10004,
            "Error sign, please check your signature generation algorithm.",
        );
    }
    match &e.answer {
        Answer::Ok(info) => (
            200,
            serde_json::json!({"retCode": 0, "retMsg": "", "result": info, "retExtInfo": {}, "time": 0}).to_string(),
        ),
        Answer::Code(status, code, msg) => err(*status, *code, msg),
        Answer::Stall(d) => stall(*d),
    }
}

/// A fake OKX credential: (API key, secret key, passphrase).
pub fn okx_credential(seed: &str) -> (String, String, String) {
    let mut f = Fake::from_str_seed(seed);
    (
        f.uuid(),
        f.string(b"0123456789ABCDEF", 32),
        format!("Pp-{}", f.alnum(12)),
    )
}

/// A fake Bybit credential: (API key, secret key).
pub fn bybit_credential(seed: &str) -> (String, String) {
    let mut f = Fake::from_str_seed(seed);
    (f.alnum(18), f.alnum(36))
}

/// OKX's account configuration with `perm` and `ip`.
pub fn okx_config(perm: &str, ip: &str) -> serde_json::Value {
    serde_json::json!({
        "uid": "44705892343619584", "acctLv": "2", "posMode": "long_short_mode",
        "autoLoan": false, "level": "Lv1", "perm": perm, "ip": ip,
        "label": "v5 test", "roleType": "0", "someFutureField": "kept",
    })
}

/// Bybit's key information: `read_only`, `permissions`, `ips`, created
/// `age_days` ago.
pub fn bybit_info(
    read_only: bool,
    permissions: serde_json::Value,
    ips: &[&str],
    age_days: u64,
) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let created = jiff::Timestamp::from_second((now - age_days * 86_400) as i64).unwrap();
    serde_json::json!({
        "id": "13770661", "note": "test", "apiKey": "", "readOnly": i64::from(read_only),
        "secret": "", "permissions": permissions, "ips": ips, "type": 1,
        "deadlineDay": 83, "expiredAt": "", "createdAt": created.to_string(),
        "uta": 1, "isMaster": true, "someFutureField": "kept",
    })
}
