"""Transfers that follow one another on the same easy handle, in every
model: a check's easy handle is reset only after a transfer that did not
end plainly (check.c, sc_check_prepare), so each option one transfer sets
must be undone for the next one that does not want it. Each test runs
its lines at -c 1 (one easy handle), with the transfer that changes an
option right after one that ended plainly on a kept connection:

- -H headers stop at a redirect off the origin, and come back for the
  next line's origin;
- GET after a refused HEAD sends GET, with the body read for reuse cut
  as soon as it stalls (the progress callback and the low-speed check that
  HEAD leaves off are on again)."""

import http.server
import socket
import threading
import time
import urllib.parse

import pytest

from conftest import serve_in_thread


class Site:
    """A keep-alive HTTP server on addr that records every request as
    (method, path, X-Api-Key, client port). /go?to=URL answers 302 to URL;
    /nohead answers HEAD with 405 and GET with 200; /nohead-stall too, but
    its GET body stops after 10 of its 1000 bytes for STALL_S seconds;
    anything else is 200 "ok"."""

    STALL_S = 6

    def __init__(self, addr):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                with owner.lock:
                    owner.seen.append((self.command, self.path,
                                       self.headers.get("X-Api-Key"),
                                       self.client_address[1]))
                parts = urllib.parse.urlsplit(self.path)
                to = urllib.parse.parse_qs(parts.query).get("to")
                refuse = parts.path.startswith("/nohead")
                if refuse and self.command == "HEAD":
                    self.send_response(405)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if parts.path == "/nohead-stall":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"x" * 10)
                    self.wfile.flush()
                    time.sleep(owner.STALL_S)
                    self.close_connection = True
                    return
                body = b"moved\n" if to else b"ok\n"
                self.send_response(302 if to else 200)
                if to:
                    self.send_header("Location", to[0])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.seen = []
        self.httpd = serve_in_thread(Handler, addr)
        self.url = f"http://{addr}:{self.httpd.server_address[1]}"

    def go(self, to):
        return f"{self.url}/go?to={urllib.parse.quote(to, safe='')}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sites():
    """(a, b): sites on 127.0.0.1 and on 127.0.0.2 (another host)."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound")
    made = [Site("127.0.0.1"), Site("127.0.0.2")]
    yield made
    for s in made:
        s.close()


def one_handle(model):
    """-c 1 (serial takes no -c: it has one handle anyway)."""
    return [] if model.startswith("serial") else ["-c", "1"]


def run_lines(sc, model, lines, *args):
    res = sc(*one_handle(model), *args, input="".join(u + "\n" for u in lines))
    assert res.rc == 0, res.err
    assert [r["url"] for r in res.records] == lines, res.records
    return res.records


def test_headers_stop_at_a_hop_off_the_origin_after_a_reused_connection(
        sc, model, sites):
    a, b = sites
    recs = run_lines(sc, model, [a.url + "/warm", a.go(b.url + "/final")],
                     "-H", "X-Api-Key: k")
    assert [r["status"] for r in recs] == [200, 200], recs
    assert recs[1]["redirects"] == 1 and recs[1]["ip"] == "127.0.0.2", recs
    # The redirect came over the first line's connection: the hop after it
    # was prepared without a reset.
    (_, _, _, p1), (_, _, _, p2) = a.seen
    assert p1 == p2, a.seen
    assert [k for _, _, k, _ in a.seen] == ["k", "k"]
    assert [k for _, _, k, _ in b.seen] == [None]


def test_headers_come_back_for_the_next_lines_origin(sc, model, sites):
    a, b = sites
    recs = run_lines(sc, model, [b.url + "/w1", b.url + "/w2",
                                 a.go(b.url + "/x"), a.url + "/y"],
                     "-H", "X-Api-Key: k")
    assert [r["status"] for r in recs] == [200] * 4, recs
    assert [(p, k) for _, p, k, _ in a.seen] == [
        ("/go?to=" + urllib.parse.quote(b.url + "/x", safe=""), "k"),
        ("/y", "k")]
    assert [(p, k) for _, p, k, _ in b.seen] == [
        ("/w1", "k"), ("/w2", "k"), ("/x", None)]
    if model.startswith("event"):
        # The hop found b's kept connection (a loop's cache holds two per
        # slot; a blocking handle's one): /y was prepared without a reset.
        assert len({port for _, _, _, port in b.seen}) == 1, b.seen


def test_get_after_a_refused_head_on_a_reused_connection(sc, model, sites):
    a, _ = sites
    recs = run_lines(sc, model, [a.url + "/warm", a.url + "/nohead",
                                 a.url + "/after"], "-X", "HEAD")
    assert [r["status"] for r in recs] == [200, 200, 200], recs
    assert [r["method"] for r in recs] == ["HEAD", "GET", "HEAD"], recs
    assert [(m, p) for m, p, _, _ in a.seen] == [
        ("HEAD", "/warm"), ("HEAD", "/nohead"), ("GET", "/nohead"),
        ("HEAD", "/after")]
    assert len({port for _, _, _, port in a.seen}) == 1, a.seen


def test_a_stalled_body_after_a_refused_head_is_cut(sc, model, sites):
    """GET's body, read for reuse, stalls: it is cut within its grace (the
    progress callback and the low-speed check are on for GET, off for
    HEAD), not at -t."""
    a, _ = sites
    recs = run_lines(sc, model, [a.url + "/warm", a.url + "/nohead-stall"],
                     "-X", "HEAD", "-t", "8")
    rec = recs[1]
    assert rec["status"] == 200 and rec["method"] == "GET", rec
    assert rec["detail"] is None, rec
    assert rec["time_ms"] < 4000, rec
    assert [(m, p) for m, p, _, _ in a.seen] == [
        ("HEAD", "/warm"), ("HEAD", "/nohead-stall"), ("GET", "/nohead-stall")]
    assert a.seen[0][3] == a.seen[1][3], a.seen
