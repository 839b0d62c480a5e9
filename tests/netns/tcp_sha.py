#!/usr/bin/env python3
"""tcp_sha.py - a TCP transfer with a checksum, for tests/netns.

  tcp_sha.py serve ADDR PORT OUT   accept one connection, read to EOF,
                                   write "<bytes> <sha256>" to OUT
  tcp_sha.py send ADDR PORT NBYTES send NBYTES of seeded pseudo-random
                                   data, print "<bytes> <sha256>"
The caller compares the two lines.  Both give up after 30 s.
"""
import hashlib
import random
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(addr, port, out):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(30)
    c, _ = s.accept()
    c.settimeout(30)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    with open(out, "w") as f:
        f.write("%d %s\n" % (n, h.hexdigest()))


def send(addr, port, nbytes):
    rnd = random.Random(4953)
    c = socket.create_connection((addr, port), timeout=30)
    h, left = hashlib.sha256(), nbytes
    while left > 0:
        b = rnd.randbytes(min(left, 1 << 16))
        c.sendall(b)
        h.update(b)
        left -= len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # wait for the server's close: everything was read
    c.close()
    print("%d %s" % (nbytes, h.hexdigest()))


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("serve", "send"):
        sys.exit(__doc__)
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
