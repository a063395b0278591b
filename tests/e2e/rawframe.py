#!/usr/bin/env python3
"""rawframe.py: hand-made Ethernet frames on an interface, for the tests.

  rawframe.py na IFACE TARGET6 TLLA_MAC     an unsolicited neighbour
                                            advertisement claiming TARGET6
  rawframe.py arp IFACE SENDER_IP SENDER_MAC a gratuitous ARP reply whose
                                            sender fields are as given
  rawframe.py redirect IFACE                an ICMPv6 redirect
  rawframe.py flood IFACE COUNT             COUNT broadcast frames, each
                                            from a new random MAC
  rawframe.py bcast IFACE COUNT SIZE        COUNT broadcast frames of SIZE
                                            bytes from the interface's MAC
  rawframe.py sniff IFACE SECONDS HEXMARK   how many frames carrying the
                                            bytes HEXMARK arrive

Every frame leaves with the interface's own MAC as its Ethernet source
(but the flood's); payloads carry the marker "rawframe" so a sniffer can
tell them. Only the given interface is used.
"""
import fcntl
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SIOCGIFHWADDR = 0x8927
MARK = b"rawframe"


def sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    return s


def own_mac(s, iface):
    req = struct.pack("256s", iface.encode()[:15])
    return fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, req)[18:24]


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp6(src_mac, dst_mac, src_ip, dst_ip, body):
    """ICMPv6 in IPv6 in Ethernet, with its checksum."""
    pseudo = src_ip + dst_ip + struct.pack("!IxxxB", len(body), 58)
    c = csum(pseudo + body)
    body = body[:2] + struct.pack("!H", c) + body[4:]
    ip = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + src_ip + dst_ip
    return dst_mac + src_mac + b"\x86\xdd" + ip + body


LL = socket.inet_pton(socket.AF_INET6, "fe80::1")
ALL_NODES = socket.inet_pton(socket.AF_INET6, "ff02::1")
ALL_NODES_MAC = mac("33:33:00:00:00:01")


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "na":
        s = sock(a[1])
        me = own_mac(s, a[1])
        target = socket.inet_pton(socket.AF_INET6, a[2])
        body = (struct.pack("!BBHI", 136, 0, 0, 0x20000000) + target +
                struct.pack("!BB", 2, 1) + mac(a[3]) + MARK)
        s.send(icmp6(me, ALL_NODES_MAC, LL, ALL_NODES, body))
        return 0
    if len(a) == 4 and a[0] == "arp":
        s = sock(a[1])
        me = own_mac(s, a[1])
        spa = socket.inet_aton(a[2])
        arp = (struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac(a[3]) + spa +
               b"\xff" * 6 + spa)
        s.send(b"\xff" * 6 + me + b"\x08\x06" + arp + MARK + bytes(10))
        return 0
    if len(a) == 2 and a[0] == "redirect":
        s = sock(a[1])
        me = own_mac(s, a[1])
        target = socket.inet_pton(socket.AF_INET6, "fe80::2")
        dest = socket.inet_pton(socket.AF_INET6, "2001:db8::99")
        body = struct.pack("!BBHI", 137, 0, 0, 0) + target + dest + MARK
        s.send(icmp6(me, ALL_NODES_MAC, LL, ALL_NODES, body))
        return 0
    if len(a) == 3 and a[0] == "flood":
        s = sock(a[1])
        for i in range(int(a[2])):
            # Paced, so the interface's queue does not overflow on a
            # slow (sanitized) card: the hub is to see them all.
            if i % 100 == 99:
                time.sleep(0.01)
            src = bytearray(os.urandom(6))
            src[0] = (src[0] & 0xFC) | 0x02       # local, unicast
            s.send(b"\xff" * 6 + bytes(src) + b"\x88\xb5" + MARK + bytes(38))
        return 0
    if len(a) == 4 and a[0] == "bcast":
        s = sock(a[1])
        me = own_mac(s, a[1])
        size = max(60, min(1514, int(a[3])))
        frame = b"\xff" * 6 + me + b"\x88\xb5" + MARK
        frame += bytes(size - len(frame))
        for _ in range(int(a[2])):
            s.send(frame)
        return 0
    if len(a) == 4 and a[0] == "sniff":
        s = sock(a[1])
        want = bytes.fromhex(a[3])
        n = 0
        end = time.time() + float(a[2])
        while time.time() < end:
            r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
            if r and want in s.recv(65536):
                n += 1
        print(n)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
