#!/usr/bin/env bash
# A sha256 of every column of every Arrow batch (segments, connections,
# findings, listeners) over every test capture and the captures given as
# arguments: the check that a change to the Arrow builders changes no Arrow
# output. Run it before and after, then diff the listings:
#   bench/arrow-digest.sh /work/bench/big.pcap > /tmp/before.digest ; ...change... ;
#   bench/arrow-digest.sh /work/bench/big.pcap | diff /tmp/before.digest -
# DIGEST defaults to target/release/examples/arrow_digest
# (cargo build --release -p tcpkit-examples --example arrow_digest).
set -euo pipefail
cd "$(dirname "$0")/.."
DIGEST=${DIGEST:-target/release/examples/arrow_digest}
{ find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort; printf '%s\n' "$@"; } |
    grep -v '^$' | xargs "$DIGEST"
