"""The Python half of scripts/build-pgo.sh: what a notebook does with tcpkit,
run by an instrumented wheel over the bundled captures so that the compiler
learns which code is hot. Damaged captures raise on purpose (their paths
count too).

    python scripts/pgo_train.py CAPTURE...
"""

import sys

import tcpkit


def main(paths: list[str]) -> None:
    for path in paths:
        try:
            a = tcpkit.analyze(path)
            a.segments.to_arrow()
            a.connections.to_arrow()
            for f in a.findings:
                f.text
            for c in a:
                c.explain()
            tcpkit.analyze(path, segments=False).connections.to_arrow()
        except (tcpkit.CaptureError, ValueError, OSError):
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
