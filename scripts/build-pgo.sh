#!/usr/bin/env bash
# Builds tcpkit with profile-guided optimisation (PGO): the compiler lays out
# and inlines the code by how often each branch and call ran on real
# captures. On the benchmark capture (bench/make-bench-pcap.sh) the command
# takes about 10 % less CPU for `flows --json` than the plain release build,
# the wheel about 10 % less for `tcpkit.analyze` (BENCHMARKS.md); the output is
# the same, byte for byte.
#
#   scripts/build-pgo.sh            # the command: target/pgo/release/tcpkit
#   scripts/build-pgo.sh wheel      # the Python wheel: target/pgo/wheels/tcpkit-*.whl
#                                   # (run scripts/python-env.sh first: .venv, maturin)
#
# Each is trained on the captures bundled in testdata/ (the lab's real Linux
# traffic and tcpdump's corpus), never on the benchmark capture, by an
# instrumented build of itself: a profile is only good for the build it came
# from (the command's does nothing for the wheel). The command runs flows and
# report (JSON and text), segments --json and flows on two threads; the wheel
# scripts/pgo_train.py (tcpkit.analyze, its tables, findings and stories).
# The toolchain's own llvm-profdata (rustup component llvm-tools, added if
# missing) merges the profile into target/pgo/<what>.profdata. Then a check:
# for every bundled capture, the PGO build prints the same bytes as the plain
# release build (`flows --json` and `report`; the wheel through
# `python -m tcpkit`, which runs the command's code inside the wheel).
#
# Takes two release builds and a minute of training: 3-5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WHAT=${1:-cli}
case $WHAT in
cli | wheel) ;;
*)
    echo "usage: scripts/build-pgo.sh [cli|wheel]" >&2
    exit 2
    ;;
esac

rustup component add llvm-tools >/dev/null 2>&1 || true
HOST=$(rustc -vV | awk '/^host:/ {print $2}')
PROFDATA=$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata
[ -x "$PROFDATA" ] || {
    echo "build-pgo: no llvm-profdata at $PROFDATA (rustup component add llvm-tools)" >&2
    exit 1
}
PY=$ROOT/.venv/bin/python
if [ "$WHAT" = wheel ] && [ ! -x "$ROOT/.venv/bin/maturin" ]; then
    echo "build-pgo: no .venv with maturin: run scripts/python-env.sh first" >&2
    exit 1
fi

TRAIN_DIR=$ROOT/target/pgo-train/$WHAT
RAW=$TRAIN_DIR/profiles
OUT=$ROOT/target/pgo
PROFILE=$OUT/$WHAT.profdata
rm -rf "$RAW"
mkdir -p "$RAW" "$OUT"
mapfile -t CAPTURES < <(find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
[ "${#CAPTURES[@]}" -gt 0 ] || { echo "build-pgo: no captures under testdata/" >&2; exit 1; }

# build FLAGS TARGET_DIR WHEEL_DIR: the release build of $WHAT with RUSTFLAGS.
build() {
    if [ "$WHAT" = cli ]; then
        RUSTFLAGS=$1 cargo build --release -q -p tcpkit-examples --bin tcpkit --target-dir "$2"
    else
        rm -rf "$3"
        RUSTFLAGS=$1 "$ROOT/.venv/bin/maturin" build --quiet --release \
            --manifest-path tcpkit-py/Cargo.toml --interpreter "$PY" --out "$3" --target-dir "$2"
    fi
}

# unpack WHEEL_DIR SITE: the wheel's package unpacked where PYTHONPATH finds it
# before the venv's own.
unpack() {
    rm -rf "$2"
    "$PY" -m pip install --quiet --no-deps --target "$2" "$1"/tcpkit-*.whl
}

echo "build-pgo: instrumented build ($WHAT)" >&2
build "-Cprofile-generate=$RAW" "$TRAIN_DIR/build" "$TRAIN_DIR/wheels"
# The build scripts of the instrumented build wrote profiles of themselves.
rm -f "$RAW"/*.profraw

echo "build-pgo: training on ${#CAPTURES[@]} bundled captures" >&2
if [ "$WHAT" = cli ]; then
    TRAIN=$TRAIN_DIR/build/release/tcpkit
    for f in "${CAPTURES[@]}"; do
        for cmd in "flows --json" "flows" "report --json" "report" "segments --json" "flows --json -j 2"; do
            # Damaged captures end with an error on purpose: their paths count too.
            # shellcheck disable=SC2086
            "$TRAIN" $cmd "$f" >/dev/null 2>&1 </dev/null || true
        done
    done
else
    unpack "$TRAIN_DIR/wheels" "$TRAIN_DIR/site"
    PYTHONPATH=$TRAIN_DIR/site "$PY" scripts/pgo_train.py "${CAPTURES[@]}"
fi
"$PROFDATA" merge -o "$PROFILE" "$RAW"/*.profraw

echo "build-pgo: optimised build ($WHAT)" >&2
build "-Cprofile-use=$PROFILE" "$OUT/build-$WHAT" "$OUT/wheels"

echo "build-pgo: checking its output against the plain release build" >&2
cargo build --release -q -p tcpkit-examples --bin tcpkit
PLAIN=(target/release/tcpkit)
if [ "$WHAT" = cli ]; then
    mkdir -p "$OUT/release"
    cp "$OUT/build-cli/release/tcpkit" "$OUT/release/tcpkit"
    BUILT=("$OUT/release/tcpkit")
    RESULT=$OUT/release/tcpkit
else
    unpack "$OUT/wheels" "$OUT/wheel-site"
    BUILT=(env "PYTHONPATH=$OUT/wheel-site" "$PY" -m tcpkit)
    RESULT=$(ls "$OUT"/wheels/tcpkit-*.whl)
fi
for f in "${CAPTURES[@]}"; do
    for cmd in "flows --json" "report"; do
        # shellcheck disable=SC2086
        if ! cmp -s <("${PLAIN[@]}" $cmd "$f" 2>&1 </dev/null) <("${BUILT[@]}" $cmd "$f" 2>&1 </dev/null); then
            echo "build-pgo: $cmd $f differs between the PGO and the plain build" >&2
            exit 1
        fi
    done
done
echo "$RESULT"
