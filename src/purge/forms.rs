//! What to list for one secret found in one blob: the bytes a text
//! replacement must find there.
//!
//! - In a text blob, the secret as the blob holds it (`start..end` of the
//!   match): for a secret found decoded (base64 under a Kubernetes
//!   `data:` key, a base64 PEM) that is the encoded text, which is what
//!   the rewrite must replace; the decoded value is listed too, as it
//!   would be written elsewhere.
//! - In a binary blob (a NUL byte in its first 8 KiB, UTF-16 text, a
//!   SQLite database, a `.pyc`) neither git-filter-repo nor BFG replaces
//!   text at all, so the blob is stripped whole (see `plan`); the value is
//!   still listed, so that `--check` finds it should the blob stay.
//!
//! Both tools read the replacement file one line per pattern, and BFG
//! also matches each pattern within one line of a file. A value that
//! spans lines (a PEM private key) is therefore listed as its base64 runs:
//! each line of the key body, split at line breaks, `\n` escapes, quotes,
//! commas and spaces. The runs are the same whether the key sits in a
//! `.pem` file, a JSON string with `\n` escapes or a notebook's source
//! lines, so one list covers every copy. A run shorter than [`MIN_RUN`]
//! could be found in files that have nothing to do with the key, and is
//! left (the last line of a key body; it is useless without the others).

/// The shortest run of a multi-line value that is listed: 16 base64
/// characters are 96 bits, found nowhere by chance.
pub const MIN_RUN: usize = 16;

/// `openssh-key-v1\0` in base64: how an OpenSSH private key's body starts
/// (OpenSSH's PROTOCOL.key).
const OPENSSH_MAGIC: &[u8] = b"b3BlbnNzaC1rZXktdjE";

/// How a value is to be listed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Listed {
    /// The values to replace, each on one line.
    pub values: Vec<Vec<u8>>,
    /// Runs of a multi-line value too short to list (their characters).
    pub short: usize,
    /// The value could not be listed safely (a multi-line value whose
    /// listable runs hold less than half of it: a seed phrase one word
    /// per line): the blob must be stripped instead.
    pub unlistable: bool,
}

/// Whether `b` belongs to a base64 run.
fn base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// The base64 runs of `value`: maximal runs of base64 characters, split
/// also at `\n`, `\r` and `\t` escapes (however many backslashes).
fn runs(value: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = None;
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        let escape = b == b'\\';
        if escape || !base64_byte(b) {
            if let Some(s) = start.take() {
                out.push(&value[s..i]);
            }
            i += 1;
            if escape {
                while value.get(i) == Some(&b'\\') {
                    i += 1;
                }
                if matches!(value.get(i), Some(b'n' | b'r' | b't')) {
                    i += 1;
                }
            }
            continue;
        }
        start.get_or_insert(i);
        i += 1;
    }
    if let Some(s) = start {
        out.push(&value[s..]);
    }
    out
}

/// How to list `value` (the bytes of one secret), found by a rule whose
/// tags say whether it is a PEM key (`pem`): one line as it is, or, for a
/// PEM key or any value that spans lines, its base64 runs.
pub fn listed(value: &[u8], pem: bool) -> Listed {
    let mut out = Listed::default();
    if value.is_empty() {
        return out;
    }
    let multi = value.iter().any(|&b| b == b'\n' || b == b'\r');
    if !pem && !multi {
        out.values.push(value.to_vec());
        return out;
    }
    // The first line of an OpenSSH container (its magic, cipher, KDF,
    // key count and key type: `b3BlbnNzaC1rZXktdjEAAAAABG5vbmU…`) is the
    // same in every key of its kind: replacing it would change every other
    // such key, and `--check` would find it in any new one.
    let all: Vec<&[u8]> = runs(value)
        .into_iter()
        .filter(|r| !(pem && r.starts_with(OPENSSH_MAGIC)))
        .collect();
    let total: usize = all
        .iter()
        .filter(|r| r.iter().any(u8::is_ascii_alphanumeric))
        .map(|r| r.len())
        .sum();
    let mut kept = 0;
    // A lone `+` of concatenation (`"…" + "…"`) is no part of the key.
    for r in all
        .into_iter()
        .filter(|r| r.iter().any(u8::is_ascii_alphanumeric))
    {
        if r.len() >= MIN_RUN {
            kept += r.len();
            out.values.push(r.to_vec());
        } else {
            out.short += r.len();
        }
    }
    if kept * 2 < total {
        out.values.clear();
        out.unlistable = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "MC4CAQAwBQYDK2VwBCIEIAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcd";
    const B: &str = "ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210+/ZZZZzzzz";

    #[test]
    fn a_one_line_value_is_listed_whole() {
        let l = listed(b"k3Yq-not+base64: at all", false);
        assert_eq!(l.values, vec![b"k3Yq-not+base64: at all".to_vec()]);
        assert!(!l.unlistable);
    }

    #[test]
    fn a_pem_body_is_listed_by_lines_whatever_its_wrapping() {
        let expect = vec![A.as_bytes().to_vec(), B.as_bytes().to_vec()];
        for value in [
            format!("{A}\n{B}"),
            format!("{A}\r\n{B}"),
            format!("{A}\\n{B}"),
            format!("{A}\\\\n{B}"),
            format!("{A}\\n\",\n    \"{B}"),
            format!("{A}\" +\n  \"{B}"),
            format!("{A}\n    {B}"),
        ] {
            let l = listed(value.as_bytes(), true);
            assert_eq!(l.values, expect, "{value}");
            assert_eq!(l.short, 0);
        }
    }

    #[test]
    fn short_runs_are_left_and_headers_fall_apart() {
        let value = format!(
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{}\n\n{A}\n{B}\nQQ==",
            "0A1B2C3D4E5F60718293A4B5C6D7E8F9"
        );
        let l = listed(value.as_bytes(), true);
        assert_eq!(
            l.values,
            vec![
                b"0A1B2C3D4E5F60718293A4B5C6D7E8F9".to_vec(),
                A.as_bytes().to_vec(),
                B.as_bytes().to_vec()
            ]
        );
        assert!(l.short > 0 && !l.unlistable);
    }

    #[test]
    fn an_openssh_keys_fixed_first_line_is_not_listed() {
        let header = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
        let body = format!("{header}\n{A}\n{B}");
        let l = listed(body.as_bytes(), true);
        assert_eq!(l.values, vec![A.as_bytes().to_vec(), B.as_bytes().to_vec()]);
        assert!(!l.unlistable);
    }

    #[test]
    fn a_value_of_short_lines_is_unlistable() {
        let phrase = "abandon\nability\nable\nabout\nabove\nabsent\nabsorb\nabstract";
        let l = listed(phrase.as_bytes(), false);
        assert!(l.unlistable);
        assert!(l.values.is_empty());
    }
}
