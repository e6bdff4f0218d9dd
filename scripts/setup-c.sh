#!/usr/bin/env bash
# What the C examples (examples/c) and their tests need besides Rust: a C and
# a C++ compiler, make, pkg-config, libpcap's headers and valgrind. On a
# Debian or Ubuntu machine, as root, installs the missing ones with apt-get;
# otherwise names them and fails.
set -euo pipefail
need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
[ -e /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
((${#need[@]} == 0)) && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-c: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
    echo "setup-c: missing ${need[*]}; install them (Debian: sudo apt-get install ${need[*]})" >&2
    exit 1
fi
