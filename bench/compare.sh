#!/usr/bin/env bash
# tcpkit against tshark, tcpdump, tcptrace and dpkt on the same capture.
#
#   bench/compare.sh                      build the capture (needs root), then measure
#   BENCH_PCAP=/path/big.pcap bench/compare.sh   measure on an existing capture
#   PGO=1 BENCH_PCAP=... bench/compare.sh         also the profile-guided build
#                                                 (scripts/build-pgo.sh: +3-5 minutes)
#
# Installs what is missing (apt: tshark tcpdump tcptrace hyperfine ethtool iptables iproute2
# wireshark-common time; pip: dpkt into bench/.venv), builds tcpkit in release
# mode, then runs each tool once, one after another, on the same file (warm
# page cache: the file is read once first), under /usr/bin/time: wall time,
# CPU time (user+sys), peak RSS. The fast tcpkit modes run RUNS times (default
# 3) and the run with the median CPU time is kept. Slow tools (tshark: 30-80 s
# each, dpkt) run once. Whole script: about 4-6 minutes on 2 cores.
#
# Output: one table on stdout, also written to bench/results-<date>.txt (not
# committed). packets/s and ns/packet are computed from CPU time (user+sys),
# which other jobs on a shared machine disturb far less than wall time (every
# tool here is single-threaded, so CPU time is also its one-core time); wall
# time and the load average (1 min, when each row ended) are printed beside.
# The two ratio columns: each tool's CPU time over tcpkit's per-segment analysis
# (`--analyze-only`, the work of tshark's TCP analysis) and over
# `flows --json` (every connection's story, the work of tcptrace -l).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-3}
SKIP_SLOW=${SKIP_SLOW:-0}   # 1: only tcpkit, tcpdump and tcptrace (no tshark, no dpkt)
ONLY_TCPKIT=${ONLY_TCPKIT:-0}   # 1: only the tcpkit rows (to measure a new build beside an earlier run)
PGO=${PGO:-0}   # 1: also the build scripts/build-pgo.sh makes (profile-guided), its rows marked "PGO"

need_apt=()
for t in tshark:tshark tcpdump:tcpdump tcptrace:tcptrace hyperfine:hyperfine \
         capinfos:wireshark-common /usr/bin/time:time ethtool:ethtool \
         iptables:iptables ip:iproute2; do
    command -v "${t%%:*}" >/dev/null 2>&1 || need_apt+=("${t#*:}")
done
if ((${#need_apt[@]})); then
    echo "installing: ${need_apt[*]}" >&2
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}" >&2
fi
VENV=$HERE/.venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import dpkt' 2>/dev/null; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install -q dpkt >&2
fi

PCAP=${BENCH_PCAP:-}
if [ -z "$PCAP" ]; then
    PCAP=$ROOT/target/bench/big.pcap
    if [ ! -s "$PCAP" ]; then
        mkdir -p "$(dirname "$PCAP")"
        SUDO=; [ "$(id -u)" -eq 0 ] || SUDO="sudo -E"
        $SUDO "$ROOT/bench/make-bench-pcap.sh" "$PCAP" >&2
    fi
fi
[ -s "$PCAP" ] || { echo "no capture at $PCAP" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -q -p tcpkit-examples --bin tcpkit)
TCPKIT=$ROOT/target/release/tcpkit
if [ "$PGO" = 1 ]; then
    TCPKIT_PGO=$("$ROOT/scripts/build-pgo.sh" | tail -1)
fi

PACKETS=$(capinfos -c -M "$PCAP" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
cat "$PCAP" >/dev/null   # warm the page cache

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
RESULTS=$HERE/results-$(date -u +%Y%m%dT%H%MZ).txt

# measure NAME RUNS CMD...: runs CMD (stdout to /dev/null unless the command
# redirects itself) RUNS times; records the run with the median CPU time
# (user+sys), the max RSS and the load average after the last run.
declare -a ROWS=()
measure() {
    local name=$1 runs=$2; shift 2
    local i
    : >"$OUT/m"
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -f '%e %U %S %M' -o "$OUT/t" bash -c "$*" >/dev/null 2>"$OUT/err" || {
            echo "FAILED: $name: $(tail -2 "$OUT/err")" >&2; return 0; }
        cat "$OUT/t" >>"$OUT/m"
    done
    # median by CPU time; RSS: the max over runs
    local line rss load
    line=$(awk '{print $2 + $3, $0}' "$OUT/m" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) {$1 = ""; print substr($0, 2)}')
    rss=$(awk 'BEGIN {m = 0} $4 > m {m = $4} END {print m}' "$OUT/m")
    load=$(cut -d' ' -f1 /proc/loadavg)
    ROWS+=("$name|$line|$rss|$load|$*")
    echo "  $name: wall/user/sys: $(cut -d' ' -f1-3 <<<"$line") s, RSS $((rss / 1024)) MiB, load $load" >&2
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "capture: $PCAP ($PACKETS packets, $(stat -c %s "$PCAP") bytes)" >&2

q=$(printf %q "$PCAP")
measure "tcpkit segments --count (read+decode)" "$RUNS" "$TCPKIT segments --count $q"
measure "tcpkit segments --analyze-only (full analysis)" "$RUNS" "$TCPKIT segments --analyze-only $q"
measure "tcpkit segments --analyze-only --closed-linger 120" "$RUNS" "$TCPKIT segments --analyze-only --closed-linger 120 $q"
measure "tcpkit report --json (analysis + stories)" "$RUNS" "$TCPKIT report --json $q > /dev/null"
measure "tcpkit flows --json (analysis + stories, one object per connection)" "$RUNS" "$TCPKIT flows --json $q > /dev/null"
measure "tcpkit flows --json -j $(nproc) (N analysing threads)" "$RUNS" "$TCPKIT flows --json -j $(nproc) $q > /dev/null"
measure "tcpkit segments --json > /dev/null" 1 "$TCPKIT segments --json $q > /dev/null"
measure "tcpkit segments (text) > /dev/null" 1 "$TCPKIT segments $q > /dev/null"
if [ "$PGO" = 1 ]; then
    measure "tcpkit PGO segments --count" "$RUNS" "$TCPKIT_PGO segments --count $q"
    measure "tcpkit PGO segments --analyze-only" "$RUNS" "$TCPKIT_PGO segments --analyze-only $q"
    measure "tcpkit PGO report --json" "$RUNS" "$TCPKIT_PGO report --json $q > /dev/null"
    measure "tcpkit PGO flows --json" "$RUNS" "$TCPKIT_PGO flows --json $q > /dev/null"
    measure "tcpkit PGO flows --json -j $(nproc)" "$RUNS" "$TCPKIT_PGO flows --json -j $(nproc) $q > /dev/null"
    measure "tcpkit PGO segments --json > /dev/null" 1 "$TCPKIT_PGO segments --json $q > /dev/null"
fi
if [ "$ONLY_TCPKIT" = 1 ]; then SKIP_SLOW=1; else
measure "tcpdump -r -w /dev/null" "$RUNS" "tcpdump -r $q -w /dev/null 2>/dev/null"
measure "tcpdump -nn -r > /dev/null" 1 "tcpdump -nn -r $q > /dev/null 2>/dev/null"
measure "tcptrace -l > /dev/null" 1 "tcptrace -l $q > /dev/null"
fi
if [ "$SKIP_SLOW" != 1 ]; then
    measure "dpkt loop (bench/dpkt_loop.py)" 1 "$VENV/bin/python $HERE/dpkt_loop.py $q"
    measure "tshark -T fields -e frame.number (TCP analysis on)" 1 \
        "tshark -r $q -T fields -e frame.number > /dev/null"
    measure "tshark -q -z conv,tcp" 1 "tshark -r $q -q -z conv,tcp > /dev/null"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "capture: $(basename "$PCAP"), $PACKETS packets; $(nproc) cores; load average at the end: $load_after"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "tool / mode" "wall s" "CPU s" "packets/s (CPU)" "ns/packet (CPU)" "peak RSS MiB" "× tcpkit --analyze-only (CPU)" "× tcpkit flows --json (CPU)" "load"
    printf '|---|---|---|---|---|---|---|---|---|\n'
    base=
    flows=
    for r in "${ROWS[@]}"; do
        IFS='|' read -r name t rss load cmd <<<"$r"
        read -r wall user sys _ <<<"$t"
        [[ $name == *"analyze-only (full"* ]] && base=$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')
        [[ $name == "tcpkit flows --json (analysis"* ]] && flows=$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')
    done
    for r in "${ROWS[@]}"; do
        IFS='|' read -r name t rss load cmd <<<"$r"
        read -r wall user sys _ <<<"$t"
        awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v p="$PACKETS" -v b="${base:-0}" -v f="${flows:-0}" -v l="$load" 'BEGIN {
            c = u + s; c = (c > 0) ? c : 0.001
            ratio = (b > 0) ? sprintf("%.1f", c / b) : "-"
            rf = (f > 0) ? sprintf("%.1f", c / f) : "-"
            printf "| %s | %.2f | %.2f | %.2f M | %.0f | %.0f | %s | %s | %s |\n", n, w, c, p / c / 1e6, c * 1e9 / p, r / 1024, ratio, rf, l }'
    done
    echo
    echo "commands:"
    for r in "${ROWS[@]}"; do
        IFS='|' read -r name t rss load cmd <<<"$r"
        echo "  $cmd"
    done
} | tee "$RESULTS"
