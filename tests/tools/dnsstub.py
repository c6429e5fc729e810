#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A one-name DNS server for tests/cli/network-dns.bats, run by the test inside a network
# namespace of its own (the "host's resolver" a network's responder forwards to):
#   dnsstub.py ADDR NAME IP LOG
# UDP ADDR:53; an A query for NAME gets IP, any other query NXDOMAIN. Each query is logged
# to LOG as "SOURCE-ADDRESS NAME". It prints "ready" once bound, and ends after 600 s without a
# query (a bound for a test that failed, not a wait the test relies on).
import socket
import struct
import sys

addr, name, ip, log = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
s.settimeout(600)
print("ready", flush=True)
while True:
    try:
        q, src = s.recvfrom(4096)
    except socket.timeout:
        break
    if len(q) < 17:
        continue
    labels, i = [], 12
    while i < len(q) and q[i] != 0 and q[i] < 64:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    qname = ".".join(labels)
    if i + 5 > len(q):
        continue
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    with open(log, "a") as f:
        f.write("%s %s\n" % (src[0], qname))
    question = q[12:i + 5]
    hit = qname.lower() == name.lower()
    flags = 0x8180 if hit else 0x8183
    an = 1 if hit and qtype == 1 else 0
    r = q[:2] + struct.pack(">HHHHH", flags, 1, an, 0, 0) + question
    if an:
        r += struct.pack(">HHHIH", 0xC00C, 1, 1, 30, 4) + socket.inet_aton(ip)
    s.sendto(r, src)
