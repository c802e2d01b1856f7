"""The record's detail says in words what happened, in every model: the
three kinds of timeout (no connection, connected but silent, a head that
never completed), a refused connection, an empty reply, a reset, a reply
that is not HTTP, a URL line with a space, a proxy that cannot be reached
(named, its password masked), and a 200 with an off-web Location, which
is no redirect. The failure classes stay what they were."""

import http.server
import json
import os
import socket
import subprocess
import threading

import pytest

from conftest import BIN, check_one, model_args, serve_in_thread


def failed(rec, cls):
    return rec["error"] == cls and rec["status"] is None


def test_connected_but_silent(sc, base):
    rec, _ = check_one(sc, f"{base}/hang", "-t", "1", "--retries", "0")
    assert failed(rec, "timeout"), rec
    assert rec["detail"] == "connected, but no response within 1 s", rec


def test_head_trickled_in_too_slowly(sc, base):
    rec, _ = check_one(sc, f"{base}/drip", "-t", "1.5", "--retries", "0")
    assert failed(rec, "timeout"), rec
    assert rec["detail"] == \
        "the response head did not complete within 1.5 s", rec


@pytest.fixture
def half_line():
    """A server that sends a few bytes of a status line, then nothing."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns = []

    def loop():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            conns.append(c)
            c.recv(65536)
            c.sendall(b"HTT")

    threading.Thread(target=loop, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/"
    srv.close()
    for c in conns:
        c.close()


def test_part_of_a_status_line_is_a_head_that_did_not_complete(sc, half_line):
    rec, _ = check_one(sc, half_line, "-t", "1", "--retries", "0")
    assert failed(rec, "timeout"), rec
    assert rec["detail"] == "the response head did not complete within 1 s"


@pytest.fixture
def full_backlog():
    """A listener whose accept queue is full and never drained: the kernel
    drops further SYNs, so a connect to it never completes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    addr = srv.getsockname()
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(addr)
        fillers.append(s)
    probe = socket.socket()
    probe.settimeout(0.5)
    try:
        probe.connect(addr)
        hangs = False
    except (socket.timeout, OSError):
        hangs = True
    probe.close()
    if not hangs:
        pytest.skip("the kernel completes connects past a full backlog")
    yield f"http://127.0.0.1:{addr[1]}/"
    for s in fillers:
        s.close()
    srv.close()


def test_no_connection(sc, full_backlog):
    rec, _ = check_one(sc, full_backlog, "-t", "1", "--retries", "0")
    assert failed(rec, "timeout"), rec
    assert rec["detail"] == "no connection within 1 s", rec


def test_no_connection_names_the_connect_timeout(sc, full_backlog):
    rec, _ = check_one(sc, full_backlog, "-t", "5", "--connect-timeout",
                       "0.5", "--retries", "0")
    assert failed(rec, "timeout"), rec
    assert rec["detail"] == "no connection within 0.5 s (--connect-timeout)"


def test_check_timeout_keeps_its_words(sc, base):
    rec, _ = check_one(sc, f"{base}/hang", "-t", "5", "--check-timeout",
                       "0.5", "--retries", "0")
    assert failed(rec, "timeout"), rec
    assert rec["detail"] == \
        "the check's time limit (--check-timeout) ran out", rec


def test_refused(sc, refused_url):
    rec, _ = check_one(sc, refused_url, "--retries", "0")
    assert failed(rec, "connect"), rec
    assert rec["detail"] == "connection refused", rec


def test_empty_reply(sc, base):
    rec, _ = check_one(sc, f"{base}/empty", "--retries", "0")
    assert failed(rec, "protocol"), rec
    assert rec["detail"] == \
        "the server closed the connection before answering", rec


def test_reset(sc, base):
    rec, _ = check_one(sc, f"{base}/reset", "--retries", "0")
    assert failed(rec, "protocol"), rec
    assert rec["detail"] == "connection reset by the server", rec


def test_garbage_is_not_http(sc, base):
    rec, _ = check_one(sc, f"{base}/garbage", "--retries", "0")
    assert failed(rec, "protocol"), rec
    assert rec["detail"] == "not an HTTP response", rec


def test_incomplete_head_keeps_its_words(sc, base):
    rec, _ = check_one(sc, f"{base}/truncated", "--retries", "0")
    assert failed(rec, "protocol"), rec
    assert rec["detail"] == \
        "connection closed before the response head was complete", rec


def test_url_with_a_space(sc, base):
    rec, _ = check_one(sc, f"{base}/a b")
    assert failed(rec, "invalid_url"), rec
    assert rec["detail"] == "URL contains a space", rec


def test_other_invalid_lines_keep_libcurls_words(sc):
    rec, _ = check_one(sc, "http://[::1/")
    assert failed(rec, "invalid_url"), rec
    assert "space" not in rec["detail"], rec


def test_unreachable_proxy_is_named(sc, base, refused_url):
    proxy = refused_url.replace("http://", "http://u:s3cret@").rstrip("/")
    rec, res = check_one(sc, f"{base}/", "-x", proxy, "--retries", "0")
    assert failed(rec, "connect"), rec
    masked = proxy.replace("s3cret", "***")
    assert rec["detail"] == \
        f"could not connect to the proxy {masked}: connection refused", rec
    assert "s3cret" not in res.err


def test_proxy_variable_is_named(model, base, refused_url, tmp_path):
    proxy = refused_url.rstrip("/")
    out = tmp_path / "r.jsonl"
    subprocess.run([BIN, *model_args(model), "--retries", "0", "-o",
                    str(out)], input=f"{base}/\n".encode(),
                   env=dict(os.environ, http_proxy=proxy),
                   capture_output=True, timeout=30, check=True)
    rec = json.loads(out.read_text().splitlines()[0])
    assert failed(rec, "connect"), rec
    assert rec["detail"] == \
        f"could not connect to the proxy {proxy}: connection refused", rec


class _OffWebLocation(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, body):
        code = int(self.path.strip("/") or 200)
        self.send_response(code)
        self.send_header("Location", "mailto:someone@example.com")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return body

    def do_GET(self):
        self.wfile.write(self._answer(b"ok\n"))

    def do_HEAD(self):
        self._answer(b"ok\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def off_web():
    httpd = serve_in_thread(_OffWebLocation)
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_200_with_an_off_web_location_is_no_redirect(sc, off_web):
    rec, _ = check_one(sc, f"{off_web}/200")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert rec["detail"] is None and rec["location"] is None, rec


def test_302_with_an_off_web_location_is_a_redirect_not_followed(sc, off_web):
    rec, _ = check_one(sc, f"{off_web}/302")
    assert rec["status"] == 302 and rec["error"] is None, rec
    assert rec["detail"] == "redirect off http(s) not followed", rec
