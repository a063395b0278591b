#!/usr/bin/env python3
"""udpcheck.py: UDP datagrams that say who they are, for the offload test.

  udpcheck.py recv ADDR PORT COUNT SECONDS   take datagrams until COUNT good
                                             ones or SECONDS pass; print
                                             "got N bad M" (exit 0 if none
                                             was bad)
  udpcheck.py send ADDR PORT COUNT SIZE [SEG]
                                             COUNT datagrams of SIZE bytes,
                                             paced; with SEG, each send()
                                             carries SEG datagrams at once
                                             through UDP_SEGMENT (one
                                             super-frame for the kernel to
                                             hand over whole), if the kernel
                                             has it (else one by one)

Each datagram: its index (8 bytes), its length (4 bytes), then bytes that
follow from both, so a datagram cut, merged or corrupted on the way is bad.
Only the given address is used.
"""
import socket
import struct
import sys
import time

SOL_UDP = 17
UDP_SEGMENT = 103


def datagram(i, size):
    head = struct.pack("!QI", i, size)
    body = bytes((i * 7 + k * 13) & 0xFF for k in range(size - len(head)))
    return head + body


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv(addr, port, count, seconds):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, port))
    s.settimeout(0.2)
    good, bad, seen = 0, 0, set()
    end = time.monotonic() + seconds
    while good < count and time.monotonic() < end:
        try:
            d = s.recv(70000)
        except socket.timeout:
            continue
        if len(d) < 12:
            bad += 1
            continue
        i, size = struct.unpack("!QI", d[:12])
        if size != len(d) or d != datagram(i, size) or i in seen:
            bad += 1
            continue
        seen.add(i)
        good += 1
    print("got %d bad %d" % (good, bad))
    return 0 if bad == 0 else 1


def send(addr, port, count, size, seg):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    gso = False
    if seg > 1:
        try:
            s.setsockopt(SOL_UDP, UDP_SEGMENT, size)
            gso = True
        except OSError:
            gso = False
    i = 0
    while i < count:
        n = min(seg if seg > 1 else 1, count - i)
        if gso:
            # Every segment but the last is exactly size bytes.
            s.sendto(b"".join(datagram(i + k, size) for k in range(n)),
                     (addr, port))
        else:
            for k in range(n):
                s.sendto(datagram(i + k, size), (addr, port))
        i += n
        time.sleep(0.002)
    print("sent %d%s" % (count, " with UDP_SEGMENT" if gso else ""))
    return 0


def main(argv):
    if len(argv) >= 5 and argv[0] == "recv":
        return recv(argv[1], int(argv[2]), int(argv[3]), float(argv[4]))
    if len(argv) >= 5 and argv[0] == "send":
        seg = int(argv[5]) if len(argv) > 5 else 1
        return send(argv[1], int(argv[2]), int(argv[3]), int(argv[4]), seg)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
