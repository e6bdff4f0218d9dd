#!/usr/bin/env bash
# Refreshes testdata/ from the team's shared oracle folder (../shared beside the
# checkout, where the lab and corpus maintainers publish them). The test suite
# reads only testdata/; run this when ../shared changes, then review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared}
[ -d "$src/captures/lab" ] || { echo "no $src/captures/lab" >&2; exit 1; }
rm -rf testdata/captures testdata/corpus testdata/lab
mkdir -p testdata/captures testdata/corpus testdata/lab
cp -r "$src/captures/lab" testdata/captures/
cp -r "$src/corpus/tcpdump" "$src/corpus/libpcap" "$src/corpus/wireshark" testdata/corpus/
cp -r "$src/lab/." testdata/lab/
echo "testdata/ refreshed from $src: $(find testdata -type f | wc -l) files, $(du -sh testdata | cut -f1)"
