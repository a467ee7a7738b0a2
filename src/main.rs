//! The `keyhound` command line. Library errors are typed; here they get
//! context and become messages that say what to fix, and exit code 2.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Errors can quote a scanned repository's config: escape them,
            // line by line (a regex parse error points at its column on
            // the next lines).
            let message = format!("{err:#}");
            let lines: Vec<_> = message
                .lines()
                .map(keyhound::reports::escape::escape)
                .collect();
            eprintln!("keyhound: error: {}", lines.join("\n"));
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
