#!/usr/bin/env bash
# The md5 of every command's output on every test capture: the byte-identity
# check for changes meant to make no difference (speed work). Run it before and
# after, then diff the two listings:
#   scripts/output-md5.sh > /tmp/before.md5 ; ...change... ; scripts/output-md5.sh | diff /tmp/before.md5 -
# BIN defaults to target/release/tcpkit; extra captures may be given as arguments.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/tcpkit}
{ find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort; printf '%s\n' "$@"; } |
while read -r f; do
    [ -n "$f" ] || continue
    for cmd in "flows" "flows --json" "report" "report --json" "segments" "segments --json"; do
        # shellcheck disable=SC2086
        sum=$("$BIN" $cmd "$f" 2>&1; echo "exit $?")
        printf '%s  %s  %s\n' "$(printf '%s' "$sum" | md5sum | cut -c1-32)" "$cmd" "$f"
    done
done
