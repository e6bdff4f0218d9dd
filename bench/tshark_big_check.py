"""Agreement of `tcpkit segments --json` with tshark on a big capture, streamed
(neither side is held in memory): connection number, relative seq/ack,
calculated window, the analysis flags, ack_rtt (within 2 us).

usage: tshark_big_check.py TSHARK.tsv < tcpkit-json-lines
The TSV comes from (one tshark pass, 1-3 minutes on the benchmark capture):
  tshark -r big.pcap -T fields -E header=y -e frame.number -e tcp.stream -e tcp.seq \\
    -e tcp.ack -e tcp.window_size -e tcp.analysis.retransmission ... -e tcp.analysis.ack_rtt
(every tcp.analysis.<flag> column named in FLAGS that is present is compared).
"""
import csv
import json
import sys
from collections import Counter

FLAGS = ["retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
         "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
         "window_full", "window_update", "keep_alive", "keep_alive_ack"]


def main(tsv):
    agree, total, ours_n, theirs_n = Counter(), Counter(), Counter(), Counter()
    frames = frames_ok = missing = 0
    examples = []
    with open(tsv, newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        head = next(rows)
        col = {h: i for i, h in enumerate(head)}
        flags = [fl for fl in FLAGS if "tcp.analysis." + fl in col]
        segs = (json.loads(line) for line in sys.stdin if line.strip())
        seg = next(segs, None)
        for r in rows:
            g = lambda k: r[col[k]] if k in col and col[k] < len(r) else ""  # noqa: E731
            if not g("tcp.stream"):
                continue
            frame = int(g("frame.number"))
            while seg is not None and seg["frame"] < frame:
                seg = next(segs, None)
            frames += 1
            if seg is None or seg["frame"] != frame:
                missing += 1
                continue
            ok = True

            def check(name, a, b):
                nonlocal ok
                total[name] += 1
                if a == b:
                    agree[name] += 1
                else:
                    ok = False
                    if len(examples) < 10:
                        examples.append((frame, name, a, b))

            check("conn", seg["conn"], int(g("tcp.stream")))
            check("seq", seg["seq"], int(g("tcp.seq") or 0))
            if "." in seg["flags"]:
                check("ack", seg["ack"], int(g("tcp.ack") or 0))
            if g("tcp.window_size"):
                check("win_scaled", seg["win_scaled"], int(g("tcp.window_size")))
            ours = set(seg["analysis"]) & set(flags)
            theirs = {fl for fl in flags if g("tcp.analysis." + fl)}
            ours_n.update(ours)
            theirs_n.update(theirs)
            check("analysis", sorted(ours), sorted(theirs))
            if g("tcp.analysis.ack_rtt"):
                r_ = seg.get("ack_rtt")
                check("ack_rtt", r_ is not None and abs(r_ - float(g("tcp.analysis.ack_rtt"))) < 2e-6, True)
            frames_ok += ok
    for k in sorted(total):
        print(f"{k:12} {100.0 * agree[k] / total[k]:8.4f}%  of {total[k]}")
    for fl in flags:
        print(f"flag {fl:24} tshark={theirs_n[fl]:7} tcpkit={ours_n[fl]:7}")
    for e in examples:
        print("  differs:", e)
    print(f"missing in tcpkit: {missing}")
    print(f"{100.0 * frames_ok / max(frames, 1):.4f}% of {frames} TCP segments agree on every field")


if __name__ == "__main__":
    main(sys.argv[1])
