#!/usr/bin/env bash
# The Python side of the build: makes `.venv` at the root (git-ignored) if it is
# missing, installs the tools of tcpkit-py/requirements-dev.txt into it when that
# file changed, then builds the `tcpkit` wheel (release build of the extension,
# abi3, CPython >= 3.11) and installs it into the venv. Needs only python3 with
# its venv module and a reachable package index; test.sh calls it.
#
#   scripts/python-env.sh            # then: .venv/bin/python -m tcpkit report
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
stamp=$venv/.tcpkit-requirements
if ! cmp -s tcpkit-py/requirements-dev.txt "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r tcpkit-py/requirements-dev.txt
    cp tcpkit-py/requirements-dev.txt "$stamp"
fi
rm -rf target/wheels/tcpkit-*.whl
"$venv/bin/maturin" build --quiet --release --manifest-path tcpkit-py/Cargo.toml \
    --interpreter "$venv/bin/python" --out target/wheels
"$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall target/wheels/tcpkit-*.whl
