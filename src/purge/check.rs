//! `keyhound purge --check FILE`: after the rewrite, proves that none of
//! the values a replacement file lists is left in any blob reachable from
//! any ref, by a plain search of every blob's bytes (not by the rules: a
//! secret no rule recognises any more, half rewritten, still counts), and
//! that no blob listed for stripping is left.
//!
//! Each value is looked for as the file gives it and in UTF-16 (both byte
//! orders): a text replacement skips binary files, and a UTF-16 `.env`
//! is one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use aho_corasick::AhoCorasick;
use gix::ObjectId;

use super::expressions::{Expression, Pattern};
use super::walk::Walk;
use crate::findings::redact;
use crate::reports::escape::escape;
use crate::sources::git::history::shown_path;

/// Places listed per value before "and N more".
const PLACES_SHOWN: usize = 5;

/// Where a blob sits: a path, the commit that introduced it there, and
/// the refs whose history holds that commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub commit: ObjectId,
    pub refs: Vec<String>,
}

/// A listed value still in the history.
#[derive(Debug)]
pub struct Left {
    /// Its line in the replacement file.
    pub line: usize,
    /// Its replacement (`***REMOVED-<rule>***`), which names the rule.
    pub replacement: String,
    /// Its first characters (see [`redact`]).
    pub redacted: String,
    /// The blobs that still hold it, as places.
    pub places: Vec<Place>,
}

/// A blob listed for stripping that is still in the history.
#[derive(Debug)]
pub struct LeftBlob {
    pub blob: ObjectId,
    pub places: Vec<Place>,
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Checked {
    /// How many expressions the file lists.
    pub listed: usize,
    pub left: Vec<Left>,
    pub left_blobs: Vec<LeftBlob>,
    /// Blobs read, commits and refs they were reached from.
    pub blobs: u64,
    pub commits: usize,
    pub refs: usize,
    /// What could not be read (a partial or damaged clone).
    pub missing: Vec<String>,
}

impl Checked {
    /// Whether something listed is still there.
    pub fn dirty(&self) -> bool {
        !self.left.is_empty() || !self.left_blobs.is_empty()
    }
}

/// A byte string as UTF-16 in both byte orders, when it is UTF-8 text.
fn utf16_forms(value: &[u8]) -> Vec<Vec<u8>> {
    let Ok(text) = std::str::from_utf8(value) else {
        return Vec::new();
    };
    let units: Vec<u16> = text.encode_utf16().collect();
    vec![
        units.iter().flat_map(|u| u.to_le_bytes()).collect(),
        units.iter().flat_map(|u| u.to_be_bytes()).collect(),
    ]
}

/// Checks every blob of `walk` for the values of `expressions`, and the
/// history for the blobs `strip` lists.
///
/// # Errors
/// A hand-written `regex:` line that Rust's `regex` cannot compile.
pub fn check(
    walk: &Walk,
    expressions: &[Expression],
    strip: &[ObjectId],
) -> Result<Checked, regex::Error> {
    let mut patterns: Vec<Vec<u8>> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    let mut regexes: Vec<(usize, regex::bytes::Regex)> = Vec::new();
    for (i, e) in expressions.iter().enumerate() {
        match &e.pattern {
            Pattern::Literal(v) => {
                for form in std::iter::once(v.clone()).chain(utf16_forms(v)) {
                    patterns.push(form);
                    owner.push(i);
                }
            }
            Pattern::Regex(re) => {
                let re = regex::bytes::Regex::new(&String::from_utf8_lossy(re))?;
                regexes.push((i, re));
            }
        }
    }
    let ac = AhoCorasick::new(&patterns).expect("literal patterns build");
    let visited = walk.blobs(
        |_| true,
        |_: &mut (), data, _| {
            let mut found: BTreeSet<usize> = ac
                .find_overlapping_iter(data)
                .map(|m| owner[m.pattern().as_usize()])
                .collect();
            found.extend(
                regexes
                    .iter()
                    .filter(|(_, re)| re.is_match(data))
                    .map(|(i, _)| *i),
            );
            (!found.is_empty()).then_some(found)
        },
    );
    let mut by_expression: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (blob, found) in &visited.found {
        for &i in found {
            by_expression.entry(i).or_default().push(*blob);
        }
    }
    // Which refs reach a commit, asked once per commit.
    let reaching = std::cell::RefCell::new(BTreeMap::<u32, Vec<String>>::new());
    let places = |blobs: &[usize]| -> Vec<Place> {
        let mut out: Vec<Place> = blobs
            .iter()
            .flat_map(|&b| &walk.history.blobs[b].1)
            .map(|x| Place {
                path: shown_path(&x.path).into_owned(),
                commit: walk.commit_id(x.commit),
                refs: reaching
                    .borrow_mut()
                    .entry(x.commit)
                    .or_insert_with(|| walk.refs_reaching(&[x.commit]))
                    .clone(),
            })
            .collect();
        out.sort_by(|a, b| (&a.path, a.commit).cmp(&(&b.path, b.commit)));
        out.dedup();
        out
    };
    let left = by_expression
        .into_iter()
        .map(|(i, blobs)| {
            let e = &expressions[i];
            let value = match &e.pattern {
                Pattern::Literal(v) | Pattern::Regex(v) => v,
            };
            Left {
                line: e.line,
                replacement: String::from_utf8_lossy(&e.replacement).into_owned(),
                redacted: redact(&String::from_utf8_lossy(value)),
                places: places(&blobs),
            }
        })
        .collect();
    let index: BTreeMap<ObjectId, usize> = walk
        .history
        .blobs
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let left_blobs = strip
        .iter()
        .filter_map(|id| {
            let &i = index.get(id)?;
            Some(LeftBlob {
                blob: *id,
                places: places(&[i]),
            })
        })
        .collect();
    let mut missing = walk.missing().to_vec();
    missing.extend(visited.missing);
    Ok(Checked {
        listed: expressions.len(),
        left,
        left_blobs,
        blobs: visited.read,
        commits: walk.commit_count(),
        refs: walk.ref_names().count(),
        missing,
    })
}

/// Sorted line numbers as ranges: `1-3, 5, 7-9`.
fn ranges(lines: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        out.push(if j == i {
            lines[i].to_string()
        } else {
            format!("{}-{}", lines[i], lines[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// `1a2b3c4d5e6f` (first 12 hex digits).
fn short(id: &ObjectId) -> String {
    id.to_hex_with_len(12).to_string()
}

fn write_places(out: &mut dyn Write, places: &[Place]) -> io::Result<()> {
    for p in places.iter().take(PLACES_SHOWN) {
        let refs = if p.refs.is_empty() {
            String::new()
        } else {
            let names: Vec<_> = p.refs.iter().map(|r| escape(r)).collect();
            format!(" (in {})", names.join(", "))
        };
        writeln!(out, "    {} in {}{refs}", escape(&p.path), short(&p.commit))?;
    }
    if places.len() > PLACES_SHOWN {
        writeln!(out, "    and {} more", places.len() - PLACES_SHOWN)?;
    }
    Ok(())
}

/// The check's text report; `file` names the replacement file.
pub fn write(out: &mut dyn Write, c: &Checked, file: &str) -> io::Result<()> {
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if !c.dirty() {
        if c.missing.is_empty() {
            writeln!(
                out,
                "keyhound purge --check: none of the {} listed in {file} is left: searched {} reachable from {} ({}).",
                plural(c.listed, "value", "values"),
                plural(c.blobs as usize, "blob", "blobs"),
                plural(c.refs, "ref", "refs"),
                plural(c.commits, "commit", "commits"),
            )?;
        }
        return Ok(());
    }
    if !c.left.is_empty() {
        writeln!(
            out,
            "keyhound purge --check: {} of the {} listed in {file} {} still in this repository's history:",
            c.left.len(),
            plural(c.listed, "value", "values"),
            if c.left.len() == 1 { "is" } else { "are" },
        )?;
        // The lines of one key body are found in the same places: one
        // entry for them all.
        let mut groups: Vec<(Vec<&Left>, &[Place])> = Vec::new();
        for l in &c.left {
            match groups
                .iter_mut()
                .find(|(ls, p)| ls[0].replacement == l.replacement && *p == l.places.as_slice())
            {
                Some((ls, _)) => ls.push(l),
                None => groups.push((vec![l], &l.places)),
            }
        }
        for (ls, places) in groups {
            let label = escape(&ls[0].replacement);
            if let [l] = ls.as_slice() {
                writeln!(out, "  line {} ({label}, {}):", l.line, escape(&l.redacted))?;
            } else {
                let lines: Vec<usize> = ls.iter().map(|l| l.line).collect();
                writeln!(
                    out,
                    "  lines {} ({label}, {} values):",
                    ranges(&lines),
                    ls.len()
                )?;
            }
            write_places(out, places)?;
        }
    }
    if !c.left_blobs.is_empty() {
        writeln!(
            out,
            "keyhound purge --check: {} listed for stripping {} still in this repository's history:",
            plural(c.left_blobs.len(), "blob", "blobs"),
            if c.left_blobs.len() == 1 { "is" } else { "are" },
        )?;
        for b in &c.left_blobs {
            writeln!(out, "  blob {}:", b.blob)?;
            write_places(out, &b.places)?;
        }
    }
    writeln!(
        out,
        "The rewrite missed these. Run it again on every ref (a fresh `git clone --mirror`, then the same `git filter-repo` command), check again, and push only when this check passes. A ref named here that the rewrite cannot reach (a pull-request ref on the server, a fork) must be removed by its owner or the hosting service."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_read_as_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), "1-3, 5, 7-8");
        assert_eq!(ranges(&[4]), "4");
    }

    #[test]
    fn values_are_also_looked_for_in_utf16() {
        assert_eq!(
            utf16_forms(b"ab"),
            vec![b"a\0b\0".to_vec(), b"\0a\0b".to_vec()]
        );
        assert!(utf16_forms(b"\xff").is_empty());
    }
}
