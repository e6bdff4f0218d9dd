"""Writes a pcap that is K copies of another one after the other, each copy's
timestamps shifted past the end of the previous copy by a gap (default 300 s:
beyond tcpkit's 120-s linger, so a copy's connections are new connections,
not port reuses of the previous copy's). For the scaling rows of
BENCHMARKS.md (the 4x capture); the output is a scratch file, never committed.

    python3 bench/repeat_pcap.py big.pcap 4 /tmp/x4.pcap [GAP_SECONDS]
"""

import struct
import sys


def main(src: str, k: int, dst: str, gap: int = 300) -> None:
    with open(src, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    hdr = struct.Struct(endian + "IIII")
    offsets = []
    at = 24
    while at + 16 <= len(data):
        offsets.append(at)
        at += 16 + hdr.unpack_from(data, at)[2]
    first = hdr.unpack_from(data, offsets[0])[0]
    last = hdr.unpack_from(data, offsets[-1])[0]
    shift = last - first + 1 + gap
    with open(dst, "wb") as out:
        out.write(data[:24])
        for i in range(k):
            body = bytearray(data[24:])
            for o in offsets:
                (s,) = struct.unpack_from(endian + "I", body, o - 24)
                struct.pack_into(endian + "I", body, o - 24, s + i * shift)
            out.write(body)
    print(f"{dst}: {k} x {len(offsets)} records, copies {shift} s apart")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], *(int(a) for a in sys.argv[4:5]))
