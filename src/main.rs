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
            // Errors can quote a scanned repository's config: escape them.
            let message = format!("{err:#}");
            eprintln!(
                "keyhound: error: {}",
                keyhound::reports::escape::escape(&message)
            );
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
