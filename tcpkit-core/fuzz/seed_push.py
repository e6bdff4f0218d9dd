#!/usr/bin/env python3
"""Seeds for the `push` fuzz target from pcap files (pcapng is skipped).

    python3 seed_push.py corpus/push ../../testdata/captures/lab/*/capture.pcap ../../testdata/corpus/tcpdump/*.pcap

Each capture becomes one input in the target's format: per packet (the first
400), a link-type selector byte (the index of its link type in the target's
LINKS, or the link type itself when it is a byte outside that list), the clock
step in milliseconds as a signed byte (clamped to -128..127), a cut byte (0:
captured whole; else 97-byte steps of wire length beyond the captured bytes;
the target takes an odd one to give the packet a frame number of its own), a
length byte and at most 255 bytes of the packet.
"""

import struct
import sys
from pathlib import Path

# As in fuzz_targets/common.rs.
LINKS = [0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 129, 178, 228, 242, 276]
MICROS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}
NANOS = {b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}


def seed(capture: bytes) -> bytes | None:
    """The target's input for one classic pcap file, or None."""
    magic = capture[:4]
    endian = MICROS.get(magic) or NANOS.get(magic)
    if endian is None or len(capture) < 24:
        return None
    per_ms = 1_000_000 if magic in NANOS else 1_000
    link = struct.unpack(endian + "I", capture[20:24])[0] & 0xFFFF
    if link in LINKS:
        sel = LINKS.index(link)
    elif len(LINKS) <= link < 256:
        sel = link
    else:
        return None
    out, off, clock_ms = bytearray(), 24, None
    for _ in range(400):
        if off + 16 > len(capture):
            break
        sec, frac, caplen, wire = struct.unpack(endian + "IIII", capture[off : off + 16])
        data = capture[off + 16 : off + 16 + caplen][:255]
        off += 16 + caplen
        t = sec * 1000 + frac // per_ms
        step = 0 if clock_ms is None else max(-128, min(127, t - clock_ms))
        clock_ms = t if clock_ms is None else clock_ms + step
        cut = 0 if wire == len(data) else max(1, min(255, (wire - len(data) + 96) // 97))
        out += bytes([sel, step & 0xFF, cut, len(data)]) + data
    return bytes(out) or None


def main() -> None:
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    for name in sys.argv[2:]:
        data = seed(Path(name).read_bytes())
        if data:
            (out_dir / f"{n:04}-{Path(name).parent.name}-{Path(name).name}").write_bytes(data)
            n += 1
    print(f"{n} seeds in {out_dir}")


if __name__ == "__main__":
    main()
