#!/usr/bin/env python3
"""tcp_send.py ADDR PORT [SRC]: send standard input over one TCP
connection (retrying the connect for a few seconds while the sink
starts)."""
import socket, sys, time

fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
deadline = time.monotonic() + 10
while True:
    s = socket.socket(fam)
    if len(sys.argv) > 3:
        s.bind((sys.argv[3], 0))
    s.settimeout(30)
    try:
        s.connect((sys.argv[1], int(sys.argv[2])))
        break
    except ConnectionRefusedError:
        s.close()
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
s.sendall(sys.stdin.buffer.read())
s.close()
