#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests.
# Installs nothing beyond the Rust toolchain's own components.
set -euo pipefail
cd "$(dirname "$0")"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The library's docs: no broken links or HTML.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p tcpkit-core --features serde,mmap,arrow
# The fuzz targets live in their own workspace (cargo-fuzz); keep them compiling.
cargo check --manifest-path tcpkit-core/fuzz/Cargo.toml --target-dir target/fuzz-check
cargo test --workspace --no-fail-fast
# The optional Arrow output (feature arrow): its unit tests, JSON and Arrow
# agreeing on every capture, the doc example.
cargo test -p tcpkit-core --features arrow --lib --test schema_arrow
cargo test -p tcpkit-core --features arrow --doc arrow
# The optional memory-mapped input (the one `unsafe` in the core).
cargo test -p tcpkit-core --features mmap --test capture_mmap
