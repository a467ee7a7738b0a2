//! Facts about a blob that candidates are checked against, each found once
//! per blob on first need: where `keyhound:allow` lines are, and where PEM
//! armour bodies are. Lookups are binary searches, so a blob with thousands
//! of candidates on one long line costs no more per candidate than any other.

use memchr::{memchr, memmem, memrchr};

use super::INLINE_ALLOW;
use super::windows::{line_end, line_start};

/// Longest line taken for a line of a PEM body (they are 64 or 76 wide).
const PEM_LINE: usize = 200;

#[derive(Debug, Default)]
pub(super) struct BlobFacts {
    /// Line spans holding `keyhound:allow`, sorted and disjoint.
    allowed: Option<Vec<(usize, usize)>>,
    /// `-----BEGIN X-----` .. `-----END` spans, sorted and disjoint.
    armour: Option<Vec<(usize, usize)>>,
    /// The blob is program source by its file name (see [`is_source`]).
    pub source: bool,
}

/// File extensions of programming languages in which a value written
/// without quotes is a name or an expression (`pub creds: CREDENTIAL0,`,
/// `Foo(Ed25519Credential credential)`), never a literal. Shell, env,
/// YAML, INI, properties and the like are not here: there a bare value is
/// the value.
const SOURCE_EXTS: &[&str] = &[
    "rs", "java", "kt", "kts", "scala", "groovy", "cs", "fs", "vb", "go", "c", "h", "cc", "cpp",
    "cxx", "hpp", "hh", "m", "mm", "swift", "ts", "tsx", "js", "jsx", "mjs", "cjs", "py", "pyi",
    "rb", "php", "dart", "lua", "jl", "zig", "sol",
];

/// Whether `path` names program source (by [`SOURCE_EXTS`]).
pub(super) fn is_source(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| SOURCE_EXTS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// Index of the span holding `at`, in sorted disjoint spans.
fn containing(spans: &[(usize, usize)], at: usize) -> Option<&(usize, usize)> {
    let i = spans.partition_point(|&(s, _)| s <= at);
    spans[..i].last().filter(|&&(_, e)| at < e)
}

impl BlobFacts {
    /// True when a line of `from..to` holds `keyhound:allow`.
    pub fn inline_allowed(&mut self, data: &[u8], from: usize, to: usize) -> bool {
        let spans = self.allowed.get_or_insert_with(|| {
            let mut spans: Vec<(usize, usize)> = Vec::new();
            for at in memmem::find_iter(data, INLINE_ALLOW) {
                if spans.last().is_some_and(|&(_, e)| at < e) {
                    continue;
                }
                spans.push((line_start(data, at), line_end(data, at) + 1));
            }
            spans
        });
        let i = spans.partition_point(|&(s, _)| s < to);
        spans[..i].last().is_some_and(|&(_, e)| from < e)
    }

    /// True when `at` lies in the body of PEM armour: on a line between the
    /// armour lines made only of base64 (and the quotes and `\n` escapes of
    /// a key written in code), or after `-----BEGIN` on the same line (a
    /// one-line key). A certificate's 64-character line is not a Binance key;
    /// code between two PEM header constants is still code.
    pub fn in_armour(&mut self, data: &[u8], at: usize) -> bool {
        let spans = self.armour.get_or_insert_with(|| {
            let mut spans = Vec::new();
            let mut from = 0;
            while let Some(b) = memmem::find(&data[from..], b"-----BEGIN ") {
                let begin = from + b;
                let Some(e) = memmem::find(&data[begin..], b"-----END ") else {
                    break;
                };
                spans.push((begin, begin + e));
                from = begin + e + 1;
            }
            spans
        });
        let Some(&(begin, _)) = containing(spans, at) else {
            return false;
        };
        if memchr(b'\n', &data[begin..at]).is_none() {
            return true;
        }
        let lo = at.saturating_sub(PEM_LINE);
        let hi = data.len().min(at + PEM_LINE);
        let (Some(s), Some(e)) = (memrchr(b'\n', &data[lo..at]), memchr(b'\n', &data[at..hi]))
        else {
            return false;
        };
        let line = &data[lo + s + 1..at + e];
        line.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'+' | b'/' | b'=' | b' ' | b'\t' | b'\r' | b'"' | b'\'' | b',' | b'\\'
                )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_marker_covers_its_line_only() {
        let data = b"a = 1\nkey = 2 # keyhound:allow\nb = 3\n";
        let mut f = BlobFacts::default();
        assert!(f.inline_allowed(data, 6, 10));
        assert!(!f.inline_allowed(data, 0, 3));
        assert!(!f.inline_allowed(data, 32, 35));
        assert!(
            f.inline_allowed(data, 0, 8),
            "a match spanning into the line"
        );
    }

    #[test]
    fn armour_hides_body_lines_not_code_between_headers() {
        let pem = b"x\n-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n";
        let mut f = BlobFacts::default();
        assert!(f.in_armour(pem, 30));
        assert!(!f.in_armour(pem, 0));
        let code = b"H = \"-----BEGIN PUBLIC KEY-----\"\nAPI_KEY = \"abc\"\nF = \"-----END PUBLIC KEY-----\"\n";
        let mut f = BlobFacts::default();
        assert!(!f.in_armour(code, 45));
        let one_line = b"k = \"-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----\"\n";
        let mut f = BlobFacts::default();
        assert!(f.in_armour(one_line, 36));
    }
}
