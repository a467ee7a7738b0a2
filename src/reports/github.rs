//! GitHub Actions workflow commands: `::error file=…,line=…::…`, so that
//! findings show inline on the pull request.

use std::io::{self, Write};

use super::escape::escape;
use super::sarif::history_note;
use crate::findings::LinesAt;
use crate::findings::Outcome;
use crate::rules::Severity;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

/// Escapes a message: `%`, CR and LF as GitHub wants, other controls as
/// keyhound always does.
fn data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape(&s).into_owned()
}

/// Escapes a property value: also `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    // What was not checked, where the job's summary shows it too.
    let s = &outcome.stats;
    for u in &s.unchecked {
        writeln!(
            out,
            "::{} title=keyhound%3A not checked::{}",
            if outcome.fail_open {
                "warning"
            } else {
                "error"
            },
            data(&format!("{}: {}", u.what, u.fix))
        )?;
    }
    if s.shallow_boundaries > 0 {
        writeln!(
            out,
            "::notice title=keyhound%3A shallow clone::{}",
            data(super::SHALLOW_NOTE)
        )?;
    }
    for f in &outcome.findings {
        let mut message = format!(
            "{} ({}; {} confidence)",
            f.description, f.secret, f.confidence
        );
        if f.paired == Some(true) {
            message.push_str(", found with its other half: usable as is");
        }
        if let Some(p) = &f.provenance {
            message.push_str(&format!(
                ", added in {} by {} on {}",
                &p.commit[..p.commit.len().min(12)],
                p.author,
                p.dates()
            ));
        }
        message.push_str(&history_note(f, f.provenance.is_some()));
        if let Some(v) = &f.verification {
            message.push_str(&format!("; --verify: {}", super::verdict::headline(v)));
        }
        // A secret HEAD's file no longer holds is annotated on the file,
        // not on a line of the checked-out file that has nothing to do
        // with it.
        let lines = if f.lines_at == Some(LinesAt::Introduced) {
            String::new()
        } else {
            format!(
                ",line={},col={},endLine={},endColumn={}",
                f.line,
                f.column,
                f.end_line,
                f.end_column + 1
            )
        };
        writeln!(
            out,
            "::{} file={}{lines},title={}::{}",
            level(f.severity),
            property(&f.path),
            property(&format!("keyhound: {}", f.rule_id)),
            data(&message)
        )?;
    }
    // The summary line goes to standard error (as for every format for
    // tools): standard output holds workflow commands only.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(data("\x1b[31m"), "\\x1b[31m");
    }
}
