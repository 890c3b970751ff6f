//! leadscore: parse the command line, run it, print any error once, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = leadscore::cli::Cli::parse();
    leadscore::io::output::remove_temporaries_on_signals();
    match leadscore::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        // `leadscore score leads.csv | head` closing the pipe is a normal end.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
