#!/usr/bin/env bash
# tcpkit flows --json at -j 1 and -j 2 under the system's malloc (glibc) and,
# where Debian's packages put them (apt-get install libjemalloc2
# libmimalloc2.0), jemalloc and mimalloc loaded with LD_PRELOAD: how much of
# the command's time and of the two threads' speed-up is the allocator's,
# and what each costs in peak memory (issue 11's one-thread bar: under 64 MB).
# Nothing is linked in: the binary is the same for every row. Runs are
# interleaved (every allocator and thread count in turn, RUNS rounds after a
# warm-up), medians, output to /dev/null; the warm-up checks that every
# allocator and thread count gives the same bytes.
#   BIN=target/release/tcpkit BENCH_PCAP=/work/bench/big.pcap bench/allocators.sh
set -euo pipefail
BIN=${BIN:-target/release/tcpkit}
PCAP=${BENCH_PCAP:?set BENCH_PCAP to the capture}
RUNS=${RUNS:-5}
CMD=${CMD:-flows --json}
LIBDIR=${LIBDIR:-/usr/lib/x86_64-linux-gnu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=(glibc)
libs=("")
for a in jemalloc mimalloc; do
  if [ -e "$LIBDIR/lib$a.so.2" ]; then
    names+=("$a")
    libs+=("$LIBDIR/lib$a.so.2")
  else
    echo "($a: $LIBDIR/lib$a.so.2 not installed, left out)"
  fi
done

# shellcheck disable=SC2086
want=$("$BIN" $CMD -j 1 "$PCAP" | md5sum)
run() { # allocator index, threads, round (0: the warm-up, which checks the bytes)
  local i=$1 j=$2 r=$3 log=$tmp/${names[$1]}-$2 out=/dev/null
  if [ "$r" = 0 ]; then log=/dev/null out=$tmp/out; fi
  # shellcheck disable=SC2086
  LD_PRELOAD=${libs[$i]} /usr/bin/time -f "%e %U %S %M" -a -o "$log" \
    "$BIN" $CMD -j "$j" "$PCAP" >"$out"
  if [ "$r" = 0 ]; then
    got=$(md5sum <"$out")
    rm -f "$out"
    [ "$got" = "$want" ] || { echo "${names[$i]} -j $j: other bytes ($got, not $want)" >&2; exit 1; }
  fi
}
for r in $(seq 0 "$RUNS"); do
  for i in "${!names[@]}"; do
    for j in 1 2; do run "$i" "$j" "$r"; done
  done
done
echo "same bytes everywhere: $want"
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf '%-9s %12s %12s %14s %12s %12s %14s %16s\n' allocator "-j 1 wall s" "-j 1 CPU s" "-j 1 peak MiB" \
  "-j 2 wall s" "-j 2 CPU s" "-j 2 peak MiB" "speed-up (wall)"
base=""
for n in "${names[@]}"; do
  row=()
  for j in 1 2; do
    f=$tmp/$n-$j
    row+=("$(awk '{print $1}' "$f" | median)" "$(awk '{print $2+$3}' "$f" | median)" \
      "$(awk '{printf "%.1f\n", $4/1024}' "$f" | median)")
  done
  [ -z "$base" ] && base=${row[0]}
  printf '%-9s %12s %12s %14s %12s %12s %14s %9.2f x\n' "$n" "${row[@]}" \
    "$(awk -v a="${row[0]}" -v b="${row[3]}" 'BEGIN {print a / b}')"
done
echo "(speed-up: the allocator's own -j 1 over its -j 2; -j 1 of glibc took $base s; medians of $RUNS)"
