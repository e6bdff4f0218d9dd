//! The `tcpkit` command, as a library so that its pieces can be tested.
//!
//! Each subcommand is one module of [`cli`]; `src/bin/tcpkit.rs` only calls
//! [`cli::main`].

pub mod cli;
