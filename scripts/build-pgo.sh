#!/usr/bin/env bash
# Builds the `tcpkit` command with profile-guided optimisation (PGO): the
# compiler lays out and inlines the code by how often each branch and call ran
# on real captures. On the benchmark capture (bench/make-bench-pcap.sh) this
# build takes about 12 % less CPU for `flows --json` than the plain release
# build (BENCHMARKS.md); its output is the same, byte for byte.
#
#   scripts/build-pgo.sh            # writes target/pgo/release/tcpkit
#
# The profile is trained on the captures bundled in testdata/ (the lab's real
# Linux traffic and tcpdump's corpus), never on the benchmark capture, with the
# commands users run: flows and report (JSON and text), segments --json, and
# flows on two threads. Steps: an instrumented build (target/pgo-train), the
# commands over every bundled capture, the profile merged with the toolchain's
# own llvm-profdata (rustup component llvm-tools, installed if missing) into
# target/pgo/tcpkit.profdata, and the optimised build. Then a check: the PGO
# build and the plain one (target/release) print the same bytes for every
# bundled capture's `flows --json` and `report`.
#
# The same profile serves the other builds of the core, e.g. the Python wheel:
#   RUSTFLAGS="-Cprofile-use=$PWD/target/pgo/tcpkit.profdata" maturin build --release ...
# (functions the profile does not cover are compiled as without it).
#
# Takes two release builds and about a minute of training (3-5 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

rustup component add llvm-tools >/dev/null 2>&1 || true
HOST=$(rustc -vV | awk '/^host:/ {print $2}')
PROFDATA=$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata
[ -x "$PROFDATA" ] || {
    echo "build-pgo: no llvm-profdata at $PROFDATA (rustup component add llvm-tools)" >&2
    exit 1
}

RAW=$ROOT/target/pgo-train/profiles
OUT=$ROOT/target/pgo
rm -rf "$RAW"
mkdir -p "$RAW" "$OUT"

echo "build-pgo: instrumented build" >&2
RUSTFLAGS="-Cprofile-generate=$RAW" \
    cargo build --release -q -p tcpkit-examples --bin tcpkit --target-dir "$ROOT/target/pgo-train"
# The build scripts of the instrumented build wrote profiles of themselves.
rm -f "$RAW"/*.profraw

mapfile -t CAPTURES < <(find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
[ "${#CAPTURES[@]}" -gt 0 ] || { echo "build-pgo: no captures under testdata/" >&2; exit 1; }
echo "build-pgo: training on ${#CAPTURES[@]} bundled captures" >&2
TRAIN=$ROOT/target/pgo-train/release/tcpkit
for f in "${CAPTURES[@]}"; do
    for cmd in "flows --json" "flows" "report --json" "report" "segments --json" "flows --json -j 2"; do
        # Damaged captures end with an error on purpose: their paths count too.
        # shellcheck disable=SC2086
        "$TRAIN" $cmd "$f" >/dev/null 2>&1 </dev/null || true
    done
done
"$PROFDATA" merge -o "$OUT/tcpkit.profdata" "$RAW"/*.profraw

echo "build-pgo: optimised build" >&2
RUSTFLAGS="-Cprofile-use=$OUT/tcpkit.profdata" \
    cargo build --release -q -p tcpkit-examples --bin tcpkit --target-dir "$OUT/build"
mkdir -p "$OUT/release"
cp "$OUT/build/release/tcpkit" "$OUT/release/tcpkit"

echo "build-pgo: checking its output against the plain release build" >&2
cargo build --release -q -p tcpkit-examples --bin tcpkit
PLAIN=$ROOT/target/release/tcpkit
PGO=$OUT/release/tcpkit
for f in "${CAPTURES[@]}"; do
    for cmd in "flows --json" "report"; do
        # shellcheck disable=SC2086
        if ! cmp -s <("$PLAIN" $cmd "$f" 2>&1 </dev/null) <("$PGO" $cmd "$f" 2>&1 </dev/null); then
            echo "build-pgo: $cmd $f differs between the PGO and the plain build" >&2
            exit 1
        fi
    done
done
echo "$PGO"
