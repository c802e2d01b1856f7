"""`sitecheck serve` against clients that hold connections: it times out
a client that is slow to send its request head or that sits idle on a
kept-alive connection (never a reply that is slow on purpose), and caps
its connections below the open-file limit so that clients that send half
a request cannot lock out one that sends a whole one.

These are about the server, so they run once, not per model. Loopback
only."""

import os
import resource
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN, SLOW_FACTOR, _ServeProcess, run, tally_text

HEAD_S = 10   # a request head must be complete this long after it began
IDLE_S = 15   # a kept-alive connection may wait this long for a request
SLACK = 2.5 * SLOW_FACTOR


class LimitedServe(_ServeProcess):
    """`sitecheck serve` on 127.0.0.1 under RLIMIT_NOFILE nofile."""

    def __init__(self, workdir, nofile):
        self.out_path = os.path.join(workdir, "serve.out")
        self.err_path = os.path.join(workdir, "serve.err")

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        with open(self.out_path, "wb") as out, \
                open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [BIN, "serve", "--listen", "127.0.0.1:0"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                preexec_fn=limit)
        self.url = self._wait_for_banner()
        self.port = int(self.url.rsplit(":", 1)[1])


@pytest.fixture
def limited(tmp_path):
    srv = LimitedServe(str(tmp_path), 128)
    yield srv
    rc = srv.stop()
    assert rc == 0, f"sitecheck serve exited {rc}: {srv.stderr()}"


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_reply(sock):
    """Reads one small reply (head and body "ok\\n" or a short status
    text) and returns its status line."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += sock.recv(4096)
    return head.split(b"\r\n")[0].decode()


def seconds_until_closed(sock, start, limit):
    """Waits until the server closes sock; returns the seconds since start,
    or None if it is still open after limit seconds."""
    sock.settimeout(0.2)
    while time.monotonic() - start < limit:
        try:
            if not sock.recv(4096):
                return time.monotonic() - start
        except socket.timeout:
            continue
        except ConnectionError:
            return time.monotonic() - start
    return None


def test_half_sent_requests_cannot_lock_out_a_new_client(limited):
    """200 connections that sent half a request, more than the server has
    descriptors for: a new client is still answered at once, and so is a
    sitecheck run."""
    held = []
    try:
        for _ in range(200):
            s = connect(limited.port)
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nX-Half: ")
            held.append(s)
        time.sleep(0.3)  # let the server take them all in
        start = time.monotonic()
        with connect(limited.port) as s:
            s.sendall(b"GET /status/201 HTTP/1.1\r\nHost: a\r\n\r\n")
            assert read_reply(s) == "HTTP/1.1 201 Created"
        assert time.monotonic() - start < 3 * SLOW_FACTOR
        res = run("-t", "5", input=limited.url + "/status/202\n")
        assert res.rc == 0, res.err
        assert res.out == tally_text({"202": 1}), (res.out, res.err)
        assert res.elapsed < 5 * SLOW_FACTOR
    finally:
        for s in held:
            s.close()


def test_new_clients_share_what_a_half_sent_flood_leaves(limited):
    """Clients keep arriving while 150 half-sent requests hold the server:
    every one of 20 whole requests is answered."""
    held = []
    try:
        for _ in range(150):
            s = connect(limited.port)
            s.sendall(b"GET / HTTP/1.1\r\n")
            held.append(s)
        for i in range(20):
            with connect(limited.port) as s:
                s.sendall(f"GET /?{i} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
                assert read_reply(s) == "HTTP/1.1 200 OK"
    finally:
        for s in held:
            s.close()


def test_slow_and_idle_clients_are_closed_slow_replies_are_not(server):
    """Run side by side on one server: a client that sends nothing and one
    that sends its head a line a second are closed HEAD_S after they
    connected; a kept-alive connection idle after its reply is closed
    IDLE_S after it, but one that sends its next request after more than
    HEAD_S (and less than IDLE_S) is answered; a /delay longer than HEAD_S
    is answered, and a /hang stays open."""
    port = int(server.url.rsplit(":", 1)[1])
    results = {}
    start = time.monotonic()

    def silent():
        with connect(port) as s:
            results["silent"] = seconds_until_closed(s, start, 30)

    def trickle():
        with connect(port) as s:
            s.sendall(b"GET / HTTP/1.1\r\n")
            s.settimeout(1)
            for i in range(30):
                try:
                    if not s.recv(4096):
                        break
                except socket.timeout:
                    pass
                try:
                    s.sendall(f"X-Line-{i}: y\r\n".encode())
                except OSError:
                    break
            results["trickle"] = time.monotonic() - start

    def idle():
        with connect(port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            read_reply(s)
            results["idle"] = seconds_until_closed(s, time.monotonic(), 30)

    def late_second_request():
        with connect(port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            read_reply(s)
            time.sleep(HEAD_S + 2)
            s.sendall(b"GET /status/201 HTTP/1.1\r\nHost: a\r\n\r\n")
            results["late"] = read_reply(s)

    def delayed():
        with connect(port) as s:
            s.settimeout(30)
            s.sendall(f"GET /delay/{(HEAD_S + 2) * 1000} HTTP/1.1\r\n"
                      f"Host: a\r\n\r\n".encode())
            results["delay"] = (read_reply(s), time.monotonic() - start)

    def hang():
        with connect(port) as s:
            s.sendall(b"GET /hang HTTP/1.1\r\nHost: a\r\n\r\n")
            results["hang"] = seconds_until_closed(s, start, IDLE_S + 2)

    threads = [threading.Thread(target=f, daemon=True)
               for f in (silent, trickle, idle, late_second_request, delayed,
                         hang)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(45)
    def within(key, low, high):
        return results.get(key) is not None and low <= results[key] <= high

    assert within("silent", HEAD_S - 0.5, HEAD_S + SLACK), results
    assert within("trickle", HEAD_S - 0.5, HEAD_S + SLACK), results
    assert within("idle", IDLE_S - 0.5, IDLE_S + SLACK), results
    assert results["late"] == "HTTP/1.1 201 Created", results
    status, when = results["delay"]
    assert status == "HTTP/1.1 200 OK" and when >= HEAD_S + 2, results
    assert results["hang"] is None, results
