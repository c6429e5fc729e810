#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A hostile registry for the tests: a reverse proxy on 127.0.0.1 in front of a real one that
damages answers as the file MODE_FILE says (read at every request, so one proxy serves every
test):

  pass          nothing
  corrupt       blobs: one byte changed in the middle
  truncate      blobs: half the body, then the connection is closed (Content-Length whole)
  short         blobs: half the body, with a Content-Length that says so
  oversize      blobs: the body and 100 bytes more
  drop-once     the first blob GET: half, then closed; later ones (Range) pass
  drop          every blob GET: half, then closed
  500           blobs: HTTP 500
  bigmanifest   manifests: a 5 MiB JSON document
  schema1       manifests: a Docker schema 1 manifest
  badjson       manifests: not JSON
  redirect-loop blobs: a redirect to itself
  stall         blobs: headers and half the body, then nothing until the client gives up

    faultproxy.py UPSTREAM_PORT MODE_FILE PORT_FILE
The port it listens on is written to PORT_FILE; each request's method and path are appended to
MODE_FILE.log.
"""
import http.client
import http.server
import socketserver
import sys
import threading
import time

UPSTREAM = int(sys.argv[1])
MODE_FILE = sys.argv[2]
dropped = set()
lock = threading.Lock()


def mode():
    try:
        with open(MODE_FILE) as f:
            return f.read().strip()
    except OSError:
        return "pass"


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        c = http.client.HTTPConnection("127.0.0.1", UPSTREAM)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        hdrs["Host"] = "127.0.0.1:%d" % UPSTREAM
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheaders(), data

    def send(self, status, headers, data, length=None, close=False):
        self.send_response(status)
        for k, v in headers:
            if k.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if k.lower() == "location":
                v = v.replace(":%d/" % UPSTREAM, ":%d/" % self.server.server_port)
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
            self.wfile.flush()
        if close:
            self.close_connection = True

    def handle_any(self):
        m = mode()
        with lock, open(MODE_FILE + ".log", "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        blob = "/blobs/sha256:" in self.path and self.command == "GET"
        man = "/manifests/" in self.path and self.command == "GET"
        if blob and m == "500":
            return self.send(500, [("Content-Type", "text/plain")], b"broken\n")
        if blob and m == "redirect-loop":
            return self.send(302, [("Location", self.path)], b"")
        if man and m == "bigmanifest":
            big = b'{"schemaVersion":2,"pad":"' + b"x" * (5 << 20) + b'"}'
            return self.send(200, [("Content-Type",
                                    "application/vnd.oci.image.manifest.v1+json")], big)
        if man and m == "schema1":
            s1 = b'{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]}'
            return self.send(200, [("Content-Type",
                                    "application/vnd.docker.distribution.manifest.v1+prettyjws")],
                             s1)
        if man and m == "badjson":
            return self.send(200, [("Content-Type",
                                    "application/vnd.oci.image.manifest.v1+json")], b"{not json")
        status, headers, data = self.forward()
        if not blob or status not in (200, 206) or len(data) < 2:
            return self.send(status, headers, data)
        half = len(data) // 2
        if m == "corrupt":
            data = data[:half] + bytes([data[half] ^ 0x55]) + data[half + 1:]
            return self.send(status, headers, data)
        if m == "short":
            return self.send(status, headers, data[:half])
        if m == "oversize":
            return self.send(status, headers, data + b"\0" * 100)
        if m == "truncate" or m == "drop" or m == "stall":
            if m == "stall":
                self.send(status, headers, data[:half], length=len(data))
                time.sleep(30)
                self.close_connection = True
                return
            return self.send(status, headers, data[:half], length=len(data), close=True)
        if m == "drop-once":
            with lock:
                first = self.path not in dropped
                dropped.add(self.path)
            if first:
                return self.send(status, headers, data[:half], length=len(data), close=True)
        return self.send(status, headers, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    s = Server(("127.0.0.1", 0), Proxy)
    with open(sys.argv[3] + ".tmp", "w") as f:
        f.write(str(s.server_port))
    import os
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    s.serve_forever()


if __name__ == "__main__":
    main()
