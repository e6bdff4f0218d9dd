#!/usr/bin/env bash
# tcpkit flows --json -j 1 against -j 2 (issue 11 part 2): wall and CPU
# seconds, 5 runs each after a warm-up, interleaved (1, 2, 1, 2, ...),
# medians; checks that both give the same bytes. Then the machine's own
# ceiling for two threads: two -j 1 runs started together (two independent
# processes, nothing shared but the machine), whose speed-up over one run
# alone (2 x its wall time / theirs) bounds what any two-thread design gets
# here (a virtual machine's two cores may be one core's hyperthreads, or
# share a memory bus). Run it on a quiet machine.
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
  # Two one-thread runs at once (the wall time until both are done).
  # shellcheck disable=SC2016
  /usr/bin/time -f "%e" -a -o "$tmp/pair" bash -c \
    '"$1" $2 -j 1 "$3" >/dev/null & "$1" $2 -j 1 "$3" >/dev/null & wait' _ "$BIN" "$CMD" "$PCAP"
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for j in 1 2; do
  wall=$(awk '{print $1}' "$tmp/j$j" | median)
  cpu=$(awk '{print $2+$3}' "$tmp/j$j" | median)
  rss=$(awk '{print $4}' "$tmp/j$j" | median)
  echo "-j $j: wall ${wall} s, CPU ${cpu} s, peak RSS $((rss / 1024)) MiB (medians of $RUNS)"
  eval "wall$j=$wall"
done
pair=$(median <"$tmp/pair")
echo "two -j 1 runs at once: wall ${pair} s (median of $RUNS)"
awk -v a="$wall1" -v b="$wall2" -v p="$pair" 'BEGIN {
  printf "speed-up (wall, -j 1 / -j 2): %.2f x\n", a / b
  printf "the machine'"'"'s ceiling (two independent runs, 2 x -j 1 / the pair): %.2f x\n", 2 * a / p
  printf "-j 2 gets %.0f %% of the ceiling'"'"'s gain\n", 100 * (a / b - 1) / (2 * a / p - 1) }'
