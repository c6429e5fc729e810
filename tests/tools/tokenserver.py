#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Bearer token server for docker-registry's `auth: token` (the tests' own, on 127.0.0.1):
GET /token?service=S&scope=repository:NAME:ACTIONS answers {"token": JWT} signed RS256 with
KEY (openssl signs), the certificate CERT in the JWT's x5c (the registry's rootcertbundle).
Anonymous requests get `pull`; with Basic USER:PASSWORD, everything asked for; a wrong
password is a 401. Every request is appended to LOG (without the Authorization header).

    tokenserver.py KEY CERT ISSUER USER PASSWORD PORT_FILE LOG
"""
import base64
import http.server
import json
import os
import socketserver
import subprocess
import sys
import time
import urllib.parse

KEY, CERT, ISSUER, USER, PASSWORD, PORT_FILE, LOG = sys.argv[1:8]


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


X5C = base64.b64encode(cert_der()).decode()


def sign(data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=data,
                          capture_output=True, check=True).stdout


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        user = ""
        auth = self.headers.get("Authorization", "")
        with open(LOG, "a") as f:
            f.write("%s basic=%s\n" % (self.path, "yes" if auth.startswith("Basic ") else "no"))
        if auth.startswith("Basic "):
            u_, _, p_ = base64.b64decode(auth[6:]).decode().partition(":")
            if u_ != USER or p_ != PASSWORD:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            user = u_
        access = []
        for s in q.get("scope", []):
            parts = s.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            want = parts[-1].split(",")
            name = ":".join(parts[1:-1])
            granted = [a for a in want if user or a == "pull"]
            access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
        claims = {"iss": ISSUER, "sub": user, "aud": q.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": b64u(os.urandom(12)), "access": access}
        signing = (b64u(json.dumps(header).encode()) + "." +
                   b64u(json.dumps(claims).encode())).encode()
        tok = signing.decode() + "." + b64u(sign(signing))
        body = json.dumps({"token": tok, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    s = Server(("127.0.0.1", 0), Handler)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(s.server_port))
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    s.serve_forever()


if __name__ == "__main__":
    main()
