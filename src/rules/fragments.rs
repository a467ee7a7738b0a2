//! Named regex pieces (`{{name}}`), shared by rule patterns and, as plain
//! text, by remediation prose.

use std::collections::BTreeMap;

/// Named regex pieces, `{{name}}` in a pattern.
#[derive(Debug, Default, Clone)]
pub struct Fragments(BTreeMap<String, String>);

impl Fragments {
    /// The fragments by name (`[fragments]` of rules/fragments.toml and
    /// of user rule files).
    pub fn new(by_name: BTreeMap<String, String>) -> Self {
        Fragments(by_name)
    }

    /// Replaces `{{name}}` with the fragment's text as is (for prose such
    /// as remediation texts); unknown names stay.
    pub fn substitute(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let name = rest[start + 2..]
                .find("}}")
                .map(|len| &rest[start + 2..start + 2 + len]);
            match name.and_then(|n| Some((n, self.0.get(n)?))) {
                Some((name, body)) => {
                    out.push_str(&rest[..start]);
                    out.push_str(body);
                    rest = &rest[start + 4 + name.len()..];
                }
                None => {
                    out.push_str(&rest[..start + 2]);
                    rest = &rest[start + 2..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Replaces every `{{name}}` (recursively, a few levels deep).
    pub fn expand(&self, pattern: &str) -> std::result::Result<String, String> {
        self.expand_at(pattern, 0)
    }

    fn expand_at(&self, pattern: &str, depth: usize) -> std::result::Result<String, String> {
        if depth > 8 {
            return Err("fragments nest too deeply (or refer to themselves)".into());
        }
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start + 2..].find("}}") else {
                break;
            };
            let name = &rest[start + 2..start + 2 + len];
            let body = self
                .0
                .get(name)
                .ok_or_else(|| format!("unknown fragment `{{{{{name}}}}}`"))?;
            out.push_str(&rest[..start]);
            out.push_str("(?:");
            out.push_str(&self.expand_at(body, depth + 1)?);
            out.push(')');
            rest = &rest[start + 4 + len..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Fragments;

    #[test]
    fn prose_fragments_are_replaced_and_other_braces_kept() {
        let f = Fragments(
            [("steps", "delete the key"), ("ip", "{{not_again}}")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
        );
        assert_eq!(
            f.substitute("First {{steps}}; then {{steps}} {{ip}}, {{unknown}} and {{ left"),
            "First delete the key; then delete the key {{not_again}}, {{unknown}} and {{ left"
        );
        assert_eq!(f.substitute("{{steps}}"), "delete the key");
        assert_eq!(f.substitute("{{{{steps}}}}"), "{{delete the key}}");
    }
}
