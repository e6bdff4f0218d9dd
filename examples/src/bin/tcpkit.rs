//! The `tcpkit` command (placeholder until the CLI lands).

fn main() {
    eprintln!("tcpkit: not implemented yet");
    std::process::exit(2);
}
