#!/usr/bin/env bash
# Time and memory of `tcpkit flows --json` against the size of the capture:
# its first 1/4 and 1/2 (editcap), the whole, and 4 copies one after the other
# (bench/repeat_pcap.py: timestamps shifted, so the copies are 4x the traffic,
# not 4x the same moment). The scratch captures (about 5.6x the capture's size
# on disk at the peak) go to a temporary directory, deleted at the end.
#
#   BENCH_PCAP=/work/bench/big.pcap bench/scaling.sh     # RUNS=3: median CPU of 3
#
# One run at a time, under /usr/bin/time: CPU time (user+sys), peak RSS, and
# the load average when each row ended (a shared machine: see compare.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-3}
PCAP=${BENCH_PCAP:?set BENCH_PCAP to the benchmark capture}
CMD=${SCALE_CMD:-flows --json}
(cd "$ROOT" && cargo build --release -q -p tcpkit-examples --bin tcpkit)
TCPKIT=$ROOT/target/release/tcpkit
TMP=$(mktemp -d "${SCALE_TMP:-/tmp}/tcpkit-scale.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
N=$(capinfos -c -M "$PCAP" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
editcap -F pcap -r "$PCAP" "$TMP/q1.pcap" "1-$((N / 4))"
editcap -F pcap -r "$PCAP" "$TMP/half.pcap" "1-$((N / 2))"
python3 "$HERE/repeat_pcap.py" "$PCAP" 4 "$TMP/x4.pcap" >&2
echo "tcpkit $CMD; $(git -C "$ROOT" rev-parse --short HEAD); $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores"
echo "| capture | packets | CPU s (median of $RUNS) | ns/packet (CPU) | wall s | peak RSS MiB (max) | load |"
echo "|---|---|---|---|---|---|---|"
for f in "$TMP/q1.pcap:1/4" "$TMP/half.pcap:1/2" "$PCAP:1x" "$TMP/x4.pcap:4x"; do
    file=${f%:*} label=${f##*:}
    n=$(capinfos -c -M "$file" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    cat "$file" >/dev/null
    : >"$TMP/m"
    for ((i = 0; i < RUNS; i++)); do
        # shellcheck disable=SC2086
        /usr/bin/time -f '%e %U %S %M' -a -o "$TMP/m" "$TCPKIT" $CMD "$file" >/dev/null
    done
    awk -v l="$label" -v n="$n" -v r="$RUNS" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
        {c[NR] = $2 + $3; w[NR] = $1; if ($4 > m) m = $4}
        END {
            for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (c[j] < c[i]) {t = c[i]; c[i] = c[j]; c[j] = t; t = w[i]; w[i] = w[j]; w[j] = t}
            k = int((r + 1) / 2)
            printf "| %s | %d | %.2f | %.0f | %.2f | %.0f | %s |\n", l, n, c[k], c[k] * 1e9 / n, w[k], m / 1024, load
        }' "$TMP/m"
    [ "$label" = 1x ] || rm -f "$file"
done
