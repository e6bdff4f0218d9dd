#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests.
# Beyond the Rust toolchain's own components it installs the Python tools of
# tcpkit-py/requirements-dev.txt into .venv (scripts/python-env.sh), and what the
# C examples' tests need (scripts/setup-c.sh, apt-get on Debian as root): a C/C++
# compiler, make, pkg-config, libpcap-dev, valgrind.
set -euo pipefail
cd "$(dirname "$0")"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
scripts/setup-c.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The library's docs: no broken links or HTML.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p tcpkit-core --features serde,mmap,arrow,capi
# The fuzz targets live in their own workspace (cargo-fuzz); keep them compiling.
cargo check --manifest-path tcpkit-core/fuzz/Cargo.toml --target-dir target/fuzz-check
cargo test --workspace --no-fail-fast
# The optional Arrow output (feature arrow): its unit tests, JSON and Arrow
# agreeing on every capture, the doc example. Built without mmap, so the
# threads here read a capture file each by itself (the workspace's run above,
# where the command turns mmap on, maps it for them).
cargo test -p tcpkit-core --features arrow --lib --test schema_arrow --test driver_threads
cargo test -p tcpkit-core --features arrow --doc arrow
# The optional memory-mapped input (the one `unsafe` in the core).
cargo test -p tcpkit-core --features mmap --test capture_mmap
# The Python package: the release `tcpkit` binary its CLI tests compare with,
# and the wheel (built with --workspace, the binary shares the wheel's release
# build of the core), installed into .venv; then its tests.
cargo build --release --workspace --bins
scripts/python-env.sh
.venv/bin/python -m pytest tcpkit-py/tests -q
