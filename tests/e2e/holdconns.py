#!/usr/bin/env python3
"""holdconns.py: hold idle TCP connections to a hub, as an attacker would.

  holdconns.py HOST PORT SECONDS PER_SOURCE SRC [SRC...]

From each source address, keep PER_SOURCE connections open that never send
a byte; whenever the hub closes one, open it again at once. Runs SECONDS
seconds, printing every second "held N opened N closed N" (closed: by the
hub), then exits 0. Only the given HOST is ever contacted.
"""
import errno
import selectors
import socket
import sys
import time


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    seconds, per = float(sys.argv[3]), int(sys.argv[4])
    sources = sys.argv[5:]
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sel = selectors.DefaultSelector()
    want = {src: per for src in sources}
    have = {src: 0 for src in sources}
    opened = closed = 0

    def open_one(src):
        nonlocal opened
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            err = s.connect_ex((host, port))
        except OSError:
            s.close()
            return False
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return False
        sel.register(s, selectors.EVENT_READ, src)
        have[src] += 1
        opened += 1
        return True

    end = time.time() + seconds
    next_report = time.time() + 1
    while time.time() < end:
        for src in sources:
            # At most a few a round, so a source's rate stays plausible.
            for _ in range(min(8, want[src] - have[src])):
                if not open_one(src):
                    break
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                have[key.data] -= 1
                closed += 1
        if time.time() >= next_report:
            print(f"held {sum(have.values())} opened {opened} closed {closed}",
                  flush=True)
            next_report += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
