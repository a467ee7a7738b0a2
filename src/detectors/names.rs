//! The name a value is assigned to, read backwards from the value.

use super::windows::line_start;

fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'"'
            | b'\''
            | b'`'
            | b'\\'
            | b':'
            | b'='
            | b'>'
            | b','
            | b'|'
            | b'['
            | b']'
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b'@'
            | b'/'
    )
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'$')
}

/// Span of the identifier that the value starting at `start` is assigned to:
/// `api_key` in `api_key = "…"`, `apiKey` in `{apiKey: '…'}`, `X-MBX-APIKEY`
/// in a header map. For `value:` entries (Kubernetes env lists, .NET
/// `<add key="…" value="…"/>`) it is the sibling `name`/`key`.
pub fn assigned_name(data: &[u8], start: usize) -> Option<(usize, usize)> {
    // A name sits at most 16 + 100 bytes back: do not read more of a long line.
    let lo = start.saturating_sub(160);
    let ls = memchr::memrchr(b'\n', &data[lo..start]).map_or(lo, |i| lo + i + 1);
    let mut i = start;
    let mut skipped = 0;
    while i > ls && skipped < 16 && is_separator(data[i - 1]) {
        i -= 1;
        skipped += 1;
    }
    if skipped == 0 {
        return None;
    }
    let end = i;
    while i > ls && end - i < 100 && is_name_byte(data[i - 1]) {
        i -= 1;
    }
    let (mut s, mut e) = (i, end);
    while s < e && matches!(data[s], b'.' | b'-') {
        s += 1;
    }
    while e > s && matches!(data[e - 1], b'.' | b'-') {
        e -= 1;
    }
    if s == e {
        return None;
    }
    if data[s..e].eq_ignore_ascii_case(b"value") {
        return sibling_name(data, ls, s).or(Some((s, e)));
    }
    Some((s, e))
}

/// For `value` entries: `key="NAME"` earlier on the line, or `name: NAME` on
/// the line above.
fn sibling_name(data: &[u8], ls: usize, value_at: usize) -> Option<(usize, usize)> {
    let line = &data[ls..value_at];
    for marker in [&b"key=\""[..], b"key='", b"name=\"", b"name='"] {
        if let Some(p) = memchr::memmem::rfind(line, marker) {
            let s = ls + p + marker.len();
            let len = data[s..value_at]
                .iter()
                .position(|&b| b == b'"' || b == b'\'')?;
            return (len > 0).then_some((s, s + len));
        }
    }
    if ls == 0 {
        return None;
    }
    let prev_start = line_start(data, ls - 1);
    let prev = &data[prev_start..ls - 1];
    let p = memchr::memmem::find(prev, b"name:")?;
    let mut s = prev_start + p + 5;
    while s < ls && matches!(data[s], b' ' | b'\t' | b'"' | b'\'') {
        s += 1;
    }
    let mut e = s;
    while e < ls && is_name_byte(data[e]) {
        e += 1;
    }
    (e > s).then_some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(line: &str, value: &str) -> Option<String> {
        let at = line.find(value).unwrap();
        assigned_name(line.as_bytes(), at).map(|(s, e)| line[s..e].to_string())
    }

    #[test]
    fn names_across_syntaxes() {
        assert_eq!(
            name(r#"api_key = "VALUE""#, "VALUE").as_deref(),
            Some("api_key")
        );
        assert_eq!(
            name("{ apiKey: 'VALUE' }", "VALUE").as_deref(),
            Some("apiKey")
        );
        assert_eq!(
            name(r#"headers={"X-MBX-APIKEY": "VALUE"}"#, "VALUE").as_deref(),
            Some("X-MBX-APIKEY")
        );
        assert_eq!(
            name("BINANCE_API_KEY=VALUE", "VALUE").as_deref(),
            Some("BINANCE_API_KEY")
        );
        assert_eq!(
            name(r#"  "api_key = \"VALUE\"\n","#, "VALUE").as_deref(),
            Some("api_key")
        );
        assert_eq!(
            name("wss://stream.binance.com/ws/VALUE", "VALUE").as_deref(),
            Some("ws")
        );
        assert_eq!(
            name(r#"$api->key = "VALUE";"#, "VALUE").as_deref(),
            Some("key")
        );
        assert_eq!(name("VALUE", "VALUE"), None);
    }

    #[test]
    fn value_entries_take_their_sibling_name() {
        let k8s = "- name: BINANCE_API_KEY\n  value: \"VALUE\"";
        assert_eq!(name(k8s, "VALUE").as_deref(), Some("BINANCE_API_KEY"));
        let dotnet = r#"<add key="BinanceApiKey" value="VALUE" />"#;
        assert_eq!(name(dotnet, "VALUE").as_deref(), Some("BinanceApiKey"));
    }
}
