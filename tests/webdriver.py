#!/usr/bin/env python3
"""webdriver.py - drives headless Chromium over the DevTools protocol for
the web page's tests (t5105-agent-web.sh).

Usage: webdriver.py DIR < STEPS

Starts Debian's chromium-headless-shell (or chromium --headless) with a
fresh profile in DIR/profile, on a DevTools port it picks itself, and runs
one step per line of stdin, in one tab, so cookies carry from step to step
as in a person's browser:

  open URL             navigate, wait for the load event
  fill SELECTOR TEXT   set an input's value
  click SELECTOR       click an element and wait for the page it loads
  dom FILE             write document.documentElement.outerHTML (after scripts)
  shot FILE            write a PNG screenshot of the whole page
  status               print the HTTP status of the last document loaded
  text SELECTOR        print the element's text ("(none)" when there is none)

Every wait is bounded (20 s); a step that fails exits 1 with the reason.
The browser is always stopped.
"""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request

TIMEOUT = 20


def die(msg):
    sys.stderr.write("webdriver: %s\n" % msg)
    sys.exit(1)


def find_browser():
    for name in ("chromium-headless-shell", "chromium"):
        p = shutil.which(name)
        if p:
            return p
    for p in ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium"):
        if os.access(p, os.X_OK):
            return p
    die("no chromium-headless-shell or chromium (scripts/deps.sh installs it)")


class WebSocket:
    """The client side of RFC 6455, as much as DevTools needs: text
    messages, fragmented or not, masked as a client must; ping answered."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (u.path, u.hostname, u.port, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                die("websocket: the browser closed the connection")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            die("websocket: no upgrade: %r" % head[:80])

    def settimeout(self, t):
        self.sock.settimeout(t)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                die("websocket: the browser closed the connection")
            buf += chunk
        return buf

    def _frame(self, opcode, data):
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + body)

    def send(self, text):
        self._frame(0x1, text.encode())

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            data = self._exact(n)
            op = b0 & 0x0F
            if op == 0x9:
                self._frame(0xA, data)
                continue
            if op == 0x8:
                die("websocket: the browser closed the connection")
            msg += data
            if b0 & 0x80:
                return msg.decode()


class Tab:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events = []
        self.last_status = None
        self.main_frame = None
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Runtime.enable")
        tree = self.call("Page.getFrameTree")
        self.main_frame = tree["frameTree"]["frame"]["id"]

    def _recv(self, deadline):
        self.ws.settimeout(max(0.1, deadline - time.monotonic()))
        msg = json.loads(self.ws.recv())
        if msg.get("method") == "Network.responseReceived":
            p = msg["params"]
            if p.get("type") == "Document" and p.get("frameId") == self.main_frame:
                self.last_status = p["response"]["status"]
        return msg

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            msg = self._recv(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    die("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        die("%s: no answer in %d s" % (method, TIMEOUT))

    def wait_event(self, method):
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method:
                    del self.events[: i + 1]
                    return ev
            if time.monotonic() >= deadline:
                die("no %s in %d s" % (method, TIMEOUT))
            msg = self._recv(deadline)
            if "method" in msg:
                self.events.append(msg)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            die("%s: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")


def main():
    if len(sys.argv) != 2:
        die("usage: webdriver.py DIR < STEPS")
    work = sys.argv[1]
    profile = os.path.join(work, "profile")
    os.makedirs(profile, exist_ok=True)
    log = open(os.path.join(work, "chromium.log"), "w")
    proc = subprocess.Popen(
        [find_browser(), "--headless", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--disable-extensions", "--disable-background-networking",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
         "--user-data-dir=" + profile, "--window-size=1280,900", "about:blank"],
        stdout=log, stderr=log, start_new_session=True)
    try:
        run(proc, profile)
    finally:
        # Debian's /usr/bin/chromium-headless-shell is a script that does not
        # exec the browser: the whole process group goes, not just the script.
        stop(proc, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            stop(proc, signal.SIGKILL)
            proc.wait()
        deadline = time.monotonic() + 10
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop(proc, signal.SIGKILL)


def stop(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def run(proc, profile):
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + TIMEOUT
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            die("chromium did not start (see chromium.log)")
        time.sleep(0.1)
    port = open(port_file).read().split()[0]
    with urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=TIMEOUT) as r:
        pages = [t for t in json.load(r) if t.get("type") == "page"]
    if not pages:
        die("chromium has no tab")
    tab = Tab(pages[0]["webSocketDebuggerUrl"])
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        words = line.split(" ", 2)
        step = words[0]
        if step in ("text", "click"):
            words = line.split(" ", 1)
        print("webdriver: " + line, file=sys.stderr)
        if step == "open":
            tab.events.clear()
            tab.call("Page.navigate", url=words[1])
            tab.wait_event("Page.loadEventFired")
        elif step == "fill":
            ok = tab.eval("(function(){var e=document.querySelector(%s);if(!e)return false;"
                          "e.value=%s;return true})()" % (json.dumps(words[1]),
                                                         json.dumps(words[2] if len(words) > 2 else "")))
            if not ok:
                die("fill: no element %s" % words[1])
        elif step == "click":
            tab.events.clear()
            ok = tab.eval("(function(){var e=document.querySelector(%s);if(!e)return false;"
                          "e.click();return true})()" % json.dumps(words[1]))
            if not ok:
                die("click: no element %s" % words[1])
            tab.wait_event("Page.loadEventFired")
        elif step == "dom":
            with open(words[1], "w") as f:
                f.write(tab.eval("document.documentElement.outerHTML"))
        elif step == "shot":
            r = tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            with open(words[1], "wb") as f:
                f.write(base64.b64decode(r["data"]))
        elif step == "text":
            print(tab.eval("(function(){var e=document.querySelector(%s);"
                           "return e?e.textContent:'(none)'})()" % json.dumps(words[1])))
        elif step == "status":
            print(tab.last_status)
        else:
            die("unknown step: " + step)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
