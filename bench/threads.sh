#!/usr/bin/env bash
# tcpkit flows --json -j 1 against -j 2 (issue 11 part 2): wall and CPU
# seconds, 5 runs each after a warm-up, interleaved (1, 2, 1, 2, ...),
# medians; checks that both give the same bytes. Run it on a quiet machine.
#   BIN=target/release/tcpkit BENCH_PCAP=/work/bench/big.pcap bench/threads.sh
set -euo pipefail
BIN=${BIN:-target/release/tcpkit}
PCAP=${BENCH_PCAP:?set BENCH_PCAP to the capture}
RUNS=${RUNS:-5}
CMD=${CMD:-flows --json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
one=$("$BIN" $CMD -j 1 "$PCAP" | md5sum)
# shellcheck disable=SC2086
two=$("$BIN" $CMD -j 2 "$PCAP" | md5sum)
[ "$one" = "$two" ] || { echo "-j 1 and -j 2 differ: $one / $two" >&2; exit 1; }
echo "same bytes: $one"
for i in $(seq "$RUNS"); do
  for j in 1 2; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S %M" -a -o "$tmp/j$j" "$BIN" $CMD -j "$j" "$PCAP" >/dev/null
  done
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for j in 1 2; do
  wall=$(awk '{print $1}' "$tmp/j$j" | median)
  cpu=$(awk '{print $2+$3}' "$tmp/j$j" | median)
  rss=$(awk '{print $4}' "$tmp/j$j" | median)
  echo "-j $j: wall ${wall} s, CPU ${cpu} s, peak RSS $((rss / 1024)) MiB (medians of $RUNS)"
  eval "wall$j=$wall"
done
awk -v a="$wall1" -v b="$wall2" 'BEGIN {printf "speed-up (wall, -j 1 / -j 2): %.2f x\n", a / b}'
