#!/usr/bin/env python3
"""vlanframe.py: raw 802.1Q frames through AF_PACKET, for the bridge test.

The kernels the tests run on cannot create vlan links, so a tagged frame is
written by hand and read back by hand:

  vlanframe.py send IFACE DST_MAC VID COUNT   write COUNT tagged frames
  vlanframe.py recv IFACE VID SECONDS         exit 0 once a frame of ours
                                              arrives tagged VID (the tag
                                              read from PACKET_AUXDATA, where
                                              the kernel keeps it), else 1
"""
import fcntl
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETHERTYPE = 0x88B5          # IEEE "local experimental": nobody answers it
MARK = b"softether-vlan-test"
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
SIOCGIFHWADDR = 0x8927


def mac_of(sock, iface):
    req = struct.pack("256s", iface.encode()[:15])
    return fcntl.ioctl(sock.fileno(), SIOCGIFHWADDR, req)[18:24]


def send(iface, dst, vid, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src = mac_of(s, iface)
    tag = struct.pack("!HH", 0x8100, vid & 0x0FFF)
    frame = (bytes.fromhex(dst.replace(":", "")) + src + tag +
             struct.pack("!H", ETHERTYPE) + MARK + bytes(30))
    for _ in range(count):
        s.send(frame)
        time.sleep(0.05)
    return 0


def recv(iface, vid, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((iface, 0))
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            break
        data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(20))
        if MARK not in data:
            continue
        for level, typ, val in anc:
            if level != SOL_PACKET or typ != PACKET_AUXDATA or len(val) < 20:
                continue
            status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", val[:20])
            if status & TP_STATUS_VLAN_VALID:
                print("tag", tci & 0x0FFF, "tpid 0x%04x" % (tpid or 0x8100))
                if tci & 0x0FFF == vid:
                    return 0
        # A frame of ours whose tag was lost, or the wrong one.
        print("untagged or wrong tag:", data[:18].hex())
    return 1


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        return send(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                    int(sys.argv[5]))
    if len(sys.argv) == 5 and sys.argv[1] == "recv":
        return recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
