#!/usr/bin/env bash
# Regenerates include/tcpkit.h from tcpkit-core/src/capi with cbindgen 0.29.4
# (the pinned dev-dependency of the examples package, run as a library by the
# test that otherwise fails when the header is stale).
set -euo pipefail
cd "$(dirname "$0")/.."
TCPKIT_BLESS=1 cargo test -q -p tcpkit-examples --test capi_header header_is_fresh
git diff --stat -- include/tcpkit.h
