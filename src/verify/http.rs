//! The one HTTP client of `--verify`: ureq over rustls, with connect and
//! total timeouts, no redirects (nothing but the signed check request is
//! sent) and requests to one host spaced by a minimum interval.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::Settings;

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The connection or the whole request took longer than allowed.
    #[error("no answer within the timeout ({0})")]
    Timeout(String),
    /// No connection, DNS failure, TLS failure, reset...
    #[error("network error: {0}")]
    Network(String),
    /// An answer came, but its body could not be read: larger than
    /// [`MAX_BODY`], not UTF-8, or cut short.
    #[error("unreadable answer: {0}")]
    Body(String),
}

/// An HTTP answer: status code and body (at most [`MAX_BODY`] bytes read).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Most bytes of an answer read: a permissions object is far smaller.
pub const MAX_BODY: u64 = 256 * 1024;

pub struct Client {
    agent: ureq::Agent,
    min_interval: Duration,
    /// When each host (`scheme://host:port`) was last asked.
    last: HashMap<String, Instant>,
    /// How the last request ended.
    outcome: Outcome,
    /// Requests sent so far.
    sent: usize,
}

/// How a request ended, as far as the next requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An answer (or a failure other than a timeout).
    Answered,
    /// HTTP 429 or 418: the exchange asks for no more requests for a
    /// while (Binance's "Limits": requests after a 429 escalate to IP
    /// bans; OKX and Bybit rate limits alike).
    BackOff,
    /// No answer within the timeout.
    TimedOut,
}

impl Client {
    pub fn new(settings: &Settings) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("keyhound/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            min_interval: settings.min_interval,
            last: HashMap::new(),
            outcome: Outcome::Answered,
            sent: 0,
        }
    }

    /// How the last request ended.
    pub fn last_outcome(&self) -> Outcome {
        self.outcome
    }

    /// How many requests were sent (a request counts once it is started,
    /// answered or not).
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// `GET url` with `headers`, after waiting out the host's interval.
    pub fn get(&mut self, url: &str, headers: &[(&str, &str)]) -> Result<Reply, HttpError> {
        self.wait(host(url));
        self.sent += 1;
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = request.call().map_err(classify).and_then(|mut response| {
            let status = response.status().as_u16();
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .read_to_string()
                .map_err(|e| match classify(e) {
                    HttpError::Network(e) => HttpError::Body(e),
                    other => other,
                })?;
            Ok(Reply { status, body })
        });
        self.outcome = match &result {
            Ok(r) if matches!(r.status, 429 | 418) => Outcome::BackOff,
            Err(HttpError::Timeout(_)) => Outcome::TimedOut,
            _ => Outcome::Answered,
        };
        result
    }

    fn wait(&mut self, host: &str) {
        if let Some(at) = self.last.get(host) {
            let ready = *at + self.min_interval;
            let now = Instant::now();
            if ready > now {
                std::thread::sleep(ready - now);
            }
        }
        self.last.insert(host.to_string(), Instant::now());
    }
}

/// The proxy that requests to `url` go through, as `host:port`, when the
/// environment names one (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` or
/// their lower-case forms, as ureq reads them) and `NO_PROXY` does not
/// exempt the host; `None` otherwise. Never the proxy's user or password.
pub fn proxy_for(url: &str) -> Option<String> {
    let proxy = ureq::Proxy::try_from_env()?;
    let uri: ureq::http::Uri = url.parse().ok()?;
    if proxy.is_no_proxy(&uri) {
        return None;
    }
    Some(format!("{}:{}", proxy.host(), proxy.port()))
}

/// `scheme://authority` of `url`: what the rate limit is kept by.
fn host(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

fn classify(e: ureq::Error) -> HttpError {
    match e {
        // ureq names which of its timeouts ran out (`Global`, `Connect`…).
        ureq::Error::Timeout(ureq::Timeout::Connect) => {
            HttpError::Timeout("while connecting".into())
        }
        ureq::Error::Timeout(_) => HttpError::Timeout("while waiting for the answer".into()),
        other => HttpError::Network(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_is_kept_per_host() {
        assert_eq!(
            host("https://api.binance.com/sapi/v1/x?a=b"),
            "https://api.binance.com"
        );
        assert_eq!(host("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        let mut c = Client::new(&Settings {
            min_interval: Duration::from_millis(200),
            ..Settings::default()
        });
        let start = Instant::now();
        c.wait("http://a");
        c.wait("http://b");
        c.wait("http://a");
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "the same host waits"
        );
    }
}
