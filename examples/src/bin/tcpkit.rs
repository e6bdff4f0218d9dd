//! The `tcpkit` command: see `tcpkit --help`.

fn main() -> std::process::ExitCode {
    tcpkit_cli::cli::main()
}
