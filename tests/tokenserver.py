#!/usr/bin/env python3
"""tokenserver.py - a registry token service for hoist's tests.

The Distribution registry, configured with `auth: token`, sends clients
here for a bearer token: GET /token?service=...&scope=... with basic
credentials.  This checks them (--user/--password), and answers with an
RS256 JWT the registry verifies against --cert (x5c header).

  tokenserver.py keygen DIR             writes DIR/token.key, DIR/token.crt
  tokenserver.py serve DIR PORT USER PASSWORD
"""
import base64
import datetime
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def keygen(d):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hoist-test-tokens")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(d + "/token.key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(d + "/token.crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def serve(d, port, user, password):
    with open(d + "/token.key", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(d + "/token.crt", "rb") as f:
        der = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
    want = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            if self.headers.get("Authorization", "") != want:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            access = []
            for scope in q.get("scope", []):
                for s in scope.split(" "):
                    typ, name, actions = s.split(":")
                    access.append({"type": typ, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            claims = {"iss": "hoist-test-issuer", "sub": user,
                      "aud": q.get("service", [""])[0], "exp": now + 600, "nbf": now - 30,
                      "iat": now, "jti": "%d-%d" % (now, id(self)), "access": access}
            head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
            msg = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
            sig = key.sign(msg.encode(), padding.PKCS1v15(), hashes.SHA256())
            body = json.dumps({"token": msg + "." + b64url(sig)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "keygen":
        keygen(sys.argv[2])
    else:
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
