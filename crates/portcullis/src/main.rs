//! `portcullis`: the command line of the Portcullis image-promotion gate.
//!
//! Thin by design: it parses flags, sets up logging, wires the library crates together,
//! prints, and maps outcomes to exit codes. Decisions live in the libraries.

mod cli;
mod commands;
mod config;
mod exit;
mod output;
mod tags_file;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are answers, not errors. A usage mistake is bad input
            // (1): clap's own 2 would read as "nothing matched" in this command line.
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return code.into();
        }
    };
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::ERROR.into();
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(code) => code.into(),
        Err(err) => {
            // `{:#}` prints the whole cause chain on one line: what failed, then why.
            eprintln!("error: {err:#}");
            exit::ERROR.into()
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,portcullis=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORTCULLIS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
