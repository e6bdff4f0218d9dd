//! Command-line parsing and dispatch.
//!
//! Adding a subcommand: write a module with an `Args` struct (clap `Args`
//! derive) and a `run(&Args, &mut Output) -> Result<(), CliError>`, then add one
//! variant to [`Command`] and one arm to [`run`].

pub mod arrow;
pub mod flows;
pub mod input;
pub mod output;
pub mod report;
pub mod segments;
pub mod ss;
pub mod stream;

use clap::{Parser, Subcommand};
use output::Output;
use std::fmt;
use std::process::ExitCode;

/// tcpkit: what every TCP connection in a capture did.
#[derive(Debug, Parser)]
#[command(name = "tcpkit", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One line (or JSON object) per TCP segment, as tcpdump prints it.
    Segments(segments::Args),
    /// One line (or JSON object) per connection: its story.
    Flows(flows::Args),
    /// Each connection's story in words and numbers, then capture-wide findings.
    Report(report::Args),
    /// What `ss -tano` would have printed on each endpoint at an instant.
    Ss(ss::Args),
    /// The reassembled bytes of one direction of a connection (gaps on stderr).
    Stream(stream::Args),
}

/// A failure the command reports on one line of stderr.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or unreadable file: the message names the file, the
    /// frame / byte offset and the reason.
    Input(String),
    /// Writing the output failed for another reason than a closed pipe.
    Output(std::io::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) => f.write_str(m),
            CliError::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for CliError {}

/// Runs one parsed command line against `out`.
pub fn run(cli: &Cli, out: &mut Output) -> Result<(), CliError> {
    match &cli.command {
        Command::Segments(a) => segments::run(a, out),
        Command::Flows(a) => flows::run(a, out),
        Command::Report(a) => report::run(a, out),
        Command::Ss(a) => ss::run(a, out),
        Command::Stream(a) => stream::run(a, out),
    }
}

/// The whole program: parse, run, flush, report. Never panics on user input;
/// exit status 0 on success, 1 on bad input, 2 on a usage error.
pub fn main() -> ExitCode {
    ExitCode::from(run_with_args(std::env::args_os()))
}

/// The program on an argument list (`args[0]` is the program name, as in
/// `std::env::args_os()`): what `tcpkit ARGS...` does, writing to this
/// process's standard output and error. Returns the exit status (0 success,
/// 1 bad input, 2 usage error). The Python package's `python -m tcpkit` calls
/// this, so both print the same bytes.
pub fn run_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let mut out = Output::stdout();
    let r = run(&cli, &mut out);
    let flushed = out.finish();
    match r.and(flushed) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("tcpkit: {e}");
            1
        }
    }
}
