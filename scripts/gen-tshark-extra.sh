#!/usr/bin/env bash
# Supplementary tshark oracle for the tcpdump corpus.
#
# The corpus's *.tshark.tsv (../shared/corpus/tcpdump) were written without the
# tcp.analysis fields below; this asks the same tshark (4.0.17, Debian 12's
# 4.0.17-0+deb12u3, the version that wrote the shared oracles) with the same
# preference for exactly those fields, so the tests can check them too.
# Output: tcpkit-core/tests/data/corpus-tshark-extra.tsv (capture, then the fields).
set -euo pipefail
cd "$(dirname "$0")/.."
want="4.0.17"
have=$(tshark --version 2>/dev/null | head -1 | awk '{print $3}')
[ "$have" = "$want" ] || { echo "needs tshark $want (the oracle's version), found '${have:-none}'" >&2; exit 1; }
corpus=../shared/corpus/tcpdump
out=tcpkit-core/tests/data/corpus-tshark-extra.tsv
fields=(frame.number tcp.stream tcp.analysis.lost_segment tcp.analysis.ack_lost_segment
        tcp.analysis.zero_window_probe tcp.analysis.zero_window_probe_ack tcp.analysis.window_full
        tcp.analysis.keep_alive_ack tcp.analysis.duplicate_ack_num tcp.analysis.bytes_in_flight)
{
  printf 'capture'; printf '\t%s' "${fields[@]}"; printf '\n'
  for f in "$corpus"/*.pcap "$corpus"/*.pcapng; do
    args=(); for x in "${fields[@]}"; do args+=(-e "$x"); done
    tshark -r "$f" -o tcp.relative_sequence_numbers:TRUE -T fields -E separator=/t \
      -E occurrence=a -E aggregator=, "${args[@]}" tcp 2>/dev/null \
      | sed "s|^|$(basename "$f")\t|"
  done
} > "$out"
echo "wrote $out ($(($(wc -l < "$out") - 1)) TCP frames)"
