//! The plumbing of the loopback stand-in servers (`binance`, `exchanges`):
//! a listener on 127.0.0.1 that serves each connection on its own thread,
//! one HTTP/1.1 request read, one JSON answer written.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Listens on a free loopback port; each connection first runs
/// `on_connection` on the state, then `serve` on its own thread. Returns
/// the server's base URL (`http://127.0.0.1:PORT`).
pub fn listen<S: Send + 'static>(
    state: Arc<Mutex<S>>,
    on_connection: fn(&mut S),
    serve: fn(TcpStream, &Mutex<S>) -> std::io::Result<()>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            on_connection(&mut state.lock().unwrap());
            let shared = state.clone();
            std::thread::spawn(move || {
                let _ = serve(stream, &shared);
            });
        }
    });
    url
}

/// One request: its target (path and query) and headers (names lowercase).
pub struct Request {
    pub target: String,
    pub headers: HashMap<String, String>,
}

/// Reads the request line and headers of one request on `stream`.
pub fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split(' ').nth(1).unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    Ok(Request { target, headers })
}

/// Writes a JSON answer and closes; status 0: no answer at all.
pub fn respond(mut stream: TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    if status == 0 {
        return Ok(());
    }
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
