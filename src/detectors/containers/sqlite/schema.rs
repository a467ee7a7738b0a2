//! Column names from a `CREATE TABLE` statement, as the schema table
//! keeps it (<https://www.sqlite.org/fileformat2.html> §2.6; the grammar
//! is <https://www.sqlite.org/lang_createtable.html>). Only what naming a
//! record's columns needs: the column list in order, the primary key's
//! columns, and whether the table is `WITHOUT ROWID` (its records then hold
//! the primary key's columns first).

/// A table's columns as its records store them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Columns {
    /// Column names in record order.
    pub names: Vec<String>,
    pub without_rowid: bool,
}

/// Names longer than this are cut (they are labels in the view).
const MAX_NAME: usize = 64;

/// The characters of `s` outside quoted identifiers and strings (`"…"`,
/// `'…'`, `` `…` ``, `[…]`), with their offsets and the depth of
/// parentheses they are at; a `(` is at the depth outside it, a `)` at
/// the depth inside it (0 for one that closes more than was opened).
fn unquoted(s: &str) -> impl Iterator<Item = (usize, char, usize)> + '_ {
    let (mut depth, mut quote) = (0usize, None::<char>);
    s.char_indices().filter_map(move |(i, c)| {
        match (quote, c) {
            (Some(q), _) if c == q || (q == '[' && c == ']') => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`' | '[') => quote = Some(c),
            (None, '(') => {
                depth += 1;
                return Some((i, c, depth - 1));
            }
            (None, ')') => {
                let inside = depth;
                depth = depth.saturating_sub(1);
                return Some((i, c, inside));
            }
            (None, _) => return Some((i, c, depth)),
        }
        None
    })
}

/// Splits `s` at top-level commas, outside quotes and nested parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, c, depth) in unquoted(s) {
        if c == ',' && depth == 0 {
            out.push(&s[from..i]);
            from = i + 1;
        }
    }
    out.push(&s[from..]);
    out
}

/// The first token of a column definition: a quoted or bare identifier,
/// unquoted.
fn first_token(s: &str) -> &str {
    let s = s.trim_start();
    let close = match s.chars().next() {
        Some('"') => '"',
        Some('`') => '`',
        Some('[') => ']',
        Some('\'') => '\'',
        _ => {
            let end = s
                .find(|c: char| c.is_whitespace() || c == '(')
                .unwrap_or(s.len());
            return &s[..end];
        }
    };
    let rest = &s[1..];
    &rest[..rest.find(close).unwrap_or(rest.len())]
}

/// A name as the view shows it: word characters, cut to [`MAX_NAME`].
pub(super) fn label(name: &str) -> String {
    name.chars()
        .take(MAX_NAME)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The columns of `CREATE TABLE name (defs) [options]`; `None` when the
/// statement has no column list (`CREATE TABLE t AS SELECT …`).
pub(super) fn columns(sql: &str) -> Option<Columns> {
    let open = sql.find('(')?;
    let body = &sql[open + 1..];
    // The parenthesis that closes the column list.
    let close = unquoted(body)
        .find(|&(_, c, depth)| c == ')' && depth == 0)
        .map(|x| x.0);
    let close = close?;
    let options = body[close + 1..].to_ascii_lowercase();
    let without_rowid = options.contains("without") && options.contains("rowid");
    let mut names = Vec::new();
    let mut pk: Vec<String> = Vec::new();
    for def in split_top(&body[..close]) {
        let def = def.trim_start();
        let word = first_token(def);
        let lower = def.to_ascii_lowercase();
        let constraint = ["constraint", "primary", "unique", "check", "foreign"]
            .iter()
            .any(|k| lower.starts_with(k) && word.eq_ignore_ascii_case(k));
        if constraint {
            if let Some(at) = lower.find("primary key")
                && let Some(o) = def[at..].find('(')
            {
                let list = &def[at + o + 1..];
                let list = &list[..list.find(')').unwrap_or(list.len())];
                pk = split_top(list)
                    .into_iter()
                    .map(|c| first_token(c).to_string())
                    .collect();
            }
            continue;
        }
        if word.is_empty() {
            continue;
        }
        if lower.contains("primary key") && pk.is_empty() {
            pk.push(word.to_string());
        }
        names.push(word.to_string());
    }
    if without_rowid && !pk.is_empty() {
        // The primary key's columns come first, then the others in order.
        let mut ordered: Vec<String> = pk
            .iter()
            .filter_map(|k| names.iter().find(|n| n.eq_ignore_ascii_case(k)).cloned())
            .collect();
        for n in &names {
            if !ordered.iter().any(|o| o.eq_ignore_ascii_case(n)) {
                ordered.push(n.clone());
            }
        }
        names = ordered;
    }
    Some(Columns {
        names: names.iter().map(|n| label(n)).collect(),
        without_rowid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_are_read_in_order() {
        let c = columns("CREATE TABLE settings(name text, value text)").unwrap();
        assert_eq!(c.names, ["name", "value"]);
        assert!(!c.without_rowid);
        let c = columns(
            "CREATE TABLE \"my keys\" (id INTEGER PRIMARY KEY, [api key] TEXT DEFAULT ('a,b'), \
             `secret` TEXT CHECK (length(secret) > 0), CONSTRAINT u UNIQUE (secret))",
        )
        .unwrap();
        assert_eq!(c.names, ["id", "api_key", "secret"]);
        assert!(columns("CREATE TABLE t AS SELECT 1").is_none());
    }

    #[test]
    fn without_rowid_tables_put_the_primary_key_first() {
        let c = columns("CREATE TABLE kv(v TEXT, k TEXT, PRIMARY KEY (k)) WITHOUT ROWID").unwrap();
        assert_eq!(c.names, ["k", "v"]);
        assert!(c.without_rowid);
    }
}
