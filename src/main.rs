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
            eprintln!("keyhound: error: {err:#}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
