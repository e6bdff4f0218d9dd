"""The dpkt baseline of bench/compare.sh: read every record of a pcap, decode
Ethernet/IPv4/IPv6/TCP and count TCP segments per 4-tuple (a minimal flow
pass, no analysis). usage: dpkt_loop.py CAPTURE"""
import sys

import dpkt


def main(path):
    packets = tcp = 0
    flows = {}
    with open(path, "rb") as f:
        for _ts, buf in dpkt.pcap.Reader(f):
            packets += 1
            try:
                eth = dpkt.ethernet.Ethernet(buf)
            except (dpkt.dpkt.UnpackError, dpkt.dpkt.NeedData):
                continue
            ip = eth.data
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                continue
            seg = ip.data
            if not isinstance(seg, dpkt.tcp.TCP):
                continue
            tcp += 1
            a, b = (ip.src, seg.sport), (ip.dst, seg.dport)
            key = (a, b) if a <= b else (b, a)
            flows[key] = flows.get(key, 0) + 1
    print(f"packets {packets} tcp {tcp} four_tuples {len(flows)}")


if __name__ == "__main__":
    main(sys.argv[1])
