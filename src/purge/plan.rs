//! The purge plan: from the secrets the full-history audit reports, the
//! lines of the replacement file (every form each secret takes in a blob,
//! see `forms`) and the blobs a text replacement cannot clean (binary
//! blobs, values that cannot be listed line by line), to be stripped by
//! their ids.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;

use gix::ObjectId;

use super::expressions::{line, replacement};
use super::forms::listed;
use super::walk::Walk;
use crate::detectors::{Engine, PathForms, Scratch};
use crate::findings::{self, Finding};
use crate::sources::git::history::shown_path;
use crate::sources::{is_binary, utf16};

/// Single-line values shorter than this are noted: the rewrite replaces
/// them wherever they appear, in files where they are no secret too.
pub const SHORT_VALUE: usize = 12;

/// BFG leaves blobs of this size and more untouched unless told
/// otherwise (`--filter-content-size-threshold`; its default, 1 MiB).
pub const BFG_SIZE_THRESHOLD: u64 = 1 << 20;

/// One line of the replacement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The bytes to replace (one line).
    pub value: Vec<u8>,
    /// The rule that reported the secret.
    pub rule_id: String,
}

/// Why a blob is stripped rather than rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// A binary blob (a NUL byte in its first 8 KiB, which is how both
    /// tools tell): neither replaces text in it.
    Binary,
    /// A secret in it spans lines whose parts are too short to list.
    Unlistable,
}

/// A blob to strip from history by its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Strip {
    pub blob: ObjectId,
    /// A path it was found at (as shown).
    pub path: String,
    pub why: Why,
}

/// What the plan found, for the file and the procedure.
#[derive(Debug, Default)]
pub struct Plan {
    /// The lines of the replacement file, longest value first (so that a
    /// value holding another is replaced whole before the shorter one).
    pub entries: Vec<Entry>,
    /// Blobs to strip, sorted.
    pub strip: Vec<Strip>,
    /// Secrets with runs too short to list (the last line of a PEM key
    /// body), by rule.
    pub short_runs: BTreeSet<String>,
    /// (rule, path) of single-line values shorter than [`SHORT_VALUE`].
    pub short_values: BTreeSet<(String, String)>,
    /// The largest text blob holding a secret, in bytes.
    pub largest_text_blob: u64,
    /// Blobs that could not be read again.
    pub missing: Vec<String>,
    /// Secrets the audit reported that were not found again in any blob
    /// (their rule and path).
    pub not_found: Vec<(String, String)>,
}

/// One secret found in one blob.
struct Hit {
    digest: [u8; 32],
    /// The secret's value (decoded when it was found decoded).
    value: Vec<u8>,
    /// How the blob holds it, when that differs from `value` (the encoded
    /// text of a decoded secret) and the blob is text.
    seen: Option<Vec<u8>>,
}

/// What one blob holds of the reported secrets.
struct Held {
    hits: Vec<Hit>,
    binary: bool,
    size: u64,
    path: String,
}

/// Builds the plan for the secrets of `findings` (a history audit's), by
/// reading again every blob at a path where the audit found one and
/// scanning it with `engine`, keeping the matches whose secret (by its
/// SHA-256) the audit reported.
pub fn plan(engine: &Engine, walk: &Walk, findings: &[Finding]) -> Plan {
    let wanted: HashMap<[u8; 32], &Finding> =
        findings.iter().map(|f| (f.secret_digest, f)).collect();
    let paths: BTreeSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    let at_path = |intros: &[crate::sources::git::history::Introduction]| {
        intros
            .iter()
            .map(|x| shown_path(&x.path))
            .find(|p| paths.contains(p.as_ref()))
            .map(|p| p.into_owned())
    };
    let visited = walk.blobs(
        |intros| at_path(intros).is_some(),
        |scratch: &mut Scratch, data, intros| {
            let path = at_path(intros)?;
            let decoded = utf16::decode(data);
            let text = decoded.as_deref().unwrap_or(data);
            let forms = PathForms {
                display: &path,
                relative: &path,
            };
            let binary = is_binary(data);
            let hits: Vec<Hit> = engine
                .scan_file(text, forms, scratch)
                .into_iter()
                .filter_map(|m| {
                    let seen = &text[m.start..m.end];
                    let value = m.decoded.as_deref().unwrap_or(seen);
                    let digest = findings::digest(value);
                    wanted.contains_key(&digest).then(|| Hit {
                        digest,
                        value: value.to_vec(),
                        seen: (!binary && seen != value).then(|| seen.to_vec()),
                    })
                })
                .collect();
            (!hits.is_empty()).then_some(Held {
                hits,
                binary,
                size: data.len() as u64,
                path,
            })
        },
    );
    let mut plan = Plan {
        missing: visited.missing,
        ..Plan::default()
    };
    let mut values: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let mut strip = BTreeSet::new();
    let mut seen_digests = BTreeSet::new();
    for (blob, held) in visited.found {
        let id = walk.blob_id(blob);
        if held.binary {
            strip.insert(Strip {
                blob: id,
                path: held.path.clone(),
                why: Why::Binary,
            });
        } else {
            plan.largest_text_blob = plan.largest_text_blob.max(held.size);
        }
        for hit in held.hits {
            seen_digests.insert(hit.digest);
            let f = wanted[&hit.digest];
            let pem = f.tags.iter().any(|t| t == "pem");
            for form in std::iter::once(&hit.value).chain(&hit.seen) {
                let l = listed(form, pem);
                if l.unlistable && !held.binary {
                    strip.insert(Strip {
                        blob: id,
                        path: held.path.clone(),
                        why: Why::Unlistable,
                    });
                }
                if l.short > 0 {
                    plan.short_runs.insert(f.rule_id.clone());
                }
                for v in l.values {
                    if !pem && v.len() < SHORT_VALUE {
                        plan.short_values
                            .insert((f.rule_id.clone(), f.path.clone()));
                    }
                    values.entry(v).or_insert_with(|| f.rule_id.clone());
                }
            }
        }
    }
    for f in findings {
        if !seen_digests.contains(&f.secret_digest) {
            plan.not_found.push((f.rule_id.clone(), f.path.clone()));
        }
    }
    plan.not_found.sort();
    plan.not_found.dedup();
    // A blob stripped as binary needs no second reason.
    let binary: BTreeSet<ObjectId> = strip
        .iter()
        .filter(|s| s.why == Why::Binary)
        .map(|s| s.blob)
        .collect();
    plan.strip = strip
        .into_iter()
        .filter(|s| s.why == Why::Binary || !binary.contains(&s.blob))
        .collect();
    plan.entries = values
        .into_iter()
        .map(|(value, rule_id)| Entry { value, rule_id })
        .collect();
    plan.entries.sort_by(|a, b| {
        b.value
            .len()
            .cmp(&a.value.len())
            .then(a.value.cmp(&b.value))
    });
    plan
}

impl Plan {
    /// The replacement file's bytes: one line per entry.
    pub fn file(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.entries {
            out.extend(line(&e.value, &replacement(&e.rule_id)));
            out.push(b'\n');
        }
        out
    }

    /// The ids of the blobs to strip, one per line, as
    /// `--strip-blobs-with-ids` reads them (both tools).
    pub fn blob_ids(&self) -> Vec<u8> {
        let ids: BTreeSet<String> = self.strip.iter().map(|s| s.blob.to_string()).collect();
        ids.into_iter()
            .flat_map(|id| format!("{id}\n").into_bytes())
            .collect()
    }
}

/// Creates `path` holding `bytes`, readable and writable by its owner
/// only: created with mode 0600 (never widened, never changed after). An
/// existing file (or symlink) is an error unless `force`, which removes
/// it first (a file kept and truncated would keep its mode).
pub fn write_private(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    if force {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_created_owner_only_and_never_overwritten_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.txt");
        write_private(&p, b"a==>b\n", false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let e = write_private(&p, b"c==>d\n", false).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"a==>b\n");
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        write_private(&p, b"c==>d\n", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"c==>d\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
