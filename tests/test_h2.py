"""HTTP/2 over TLS, which libcurl offers by ALPN: the checks of one host
started together share one connection in the event model (they wait for
the first connection's protocol answer, CURLOPT_PIPEWAIT, instead of
opening their own), and a check stopped at its head resets only its
stream, so the connection serves the next checks without reading any
body. Against an HTTP/1.1-only TLS server the waiting costs one
connection setup, not one per check. In every model; the sharing is the
event model's (a blocking transfer runs alone in its own multi handle).

The HTTP/2 server is made here with the h2 library (Debian's python3-h2),
one thread per connection, counting connections and requests."""

import http.server
import socket
import ssl
import statistics
import threading
import time

import pytest

from conftest import concurrency_args, loops_of, serve_tls_in_thread

h2_connection = pytest.importorskip("h2.connection")
h2_config = pytest.importorskip("h2.config")
h2_events = pytest.importorskip("h2.events")
h2_exceptions = pytest.importorskip("h2.exceptions")


class H2Server:
    """A loopback TLS server that speaks HTTP/2 only (ALPN h2). /endless
    answers 200 and 16 KiB of body, and never ends the stream; /page
    answers 200 and a 16 KiB page; /links an HTML page of 28 KiB whose
    one link, to /p1, comes last; any other path answers 200 "ok"."""

    def __init__(self, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.ctx.set_alpn_protocols(["h2"])
        self.lock = threading.Lock()
        self.conns = self.requests = 0
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(raw,),
                             daemon=True).start()

    def _serve(self, raw):
        raw.settimeout(20)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        with self.lock:
            self.conns += 1
        conn = h2_connection.H2Connection(h2_config.H2Configuration(
            client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        try:
            tls.sendall(conn.data_to_send())
            while True:
                data = tls.recv(65536)
                if not data:
                    break
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2_events.RequestReceived):
                        self._answer(conn, ev)
                out = conn.data_to_send()
                if out:
                    tls.sendall(out)
        except (OSError, h2_exceptions.H2Error):
            pass
        finally:
            tls.close()

    def _answer(self, conn, ev):
        with self.lock:
            self.requests += 1
        sid = ev.stream_id
        path = dict(ev.headers).get(":path", "")
        if path.startswith("/endless"):
            conn.send_headers(sid, [(":status", "200"),
                                    ("content-type", "text/plain")])
            conn.send_data(sid, b"x" * 16384)
            return
        ctype = "text/plain"
        if path.startswith("/page"):
            body = b"<p>" + b"x" * 16000 + b"</p>\n"
        elif path == "/links":
            ctype = "text/html"
            body = (b"<!doctype html><title>t</title>" +
                    b"<p>filler</p>\n" * 2000 + b'<a href="/p1">p1</a>\n')
        else:
            body = b"ok\n"
        conn.send_headers(sid, [(":status", "200"), ("content-type", ctype),
                                ("content-length", str(len(body)))])
        # 8 KiB DATA frames, as nginx sends them (http2_chunk_size).
        for at in range(0, len(body), 8192):
            conn.send_data(sid, body[at:at + 8192],
                           end_stream=at + 8192 >= len(body))

    def close(self):
        self.sock.close()


@pytest.fixture
def h2_server(tls_cert):
    srv = H2Server(*tls_cert)
    yield srv
    srv.close()


class SlowHandshake:
    """A loopback TLS server that offers HTTP/1.1 only and starts each
    TLS handshake DELAY seconds after the connection arrives, as a distant
    server would answer; counts connections."""

    DELAY = 0.3

    def __init__(self, cert, key):
        owner = self
        self.lock = threading.Lock()
        self.conns = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                time.sleep(owner.DELAY)
                self.request.settimeout(20)
                self.request.do_handshake()
                with owner.lock:
                    owner.conns += 1
                super().setup()

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n")

            def log_message(self, *args):
                pass

        self.httpd = serve_tls_in_thread(Handler, cert, key)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slow_handshake(tls_cert):
    srv = SlowHandshake(*tls_cert)
    yield srv
    srv.close()


def test_checks_of_one_host_share_one_connection(sc, model, h2_server,
                                                 tls_cert):
    # 16 URLs of one host, 8 in flight (--per-host 8, the default): all
    # start before the first connection is up. In the event model they
    # wait for it and go as streams over it (one connection per loop: a
    # loop that takes jobs of a lane fallen behind opens its own); each
    # blocking thread or worker has its own connection, one check at a
    # time on it.
    lines = [f"{h2_server.url}/p{i}" for i in range(16)]
    res = sc(*concurrency_args(model, 16), "--per-host", "8", "--cacert",
             tls_cert[0], input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 16}\n', res.err
    assert {r["http_version"] for r in res.records} == {"2"}, res.records
    assert h2_server.requests == 16, h2_server.requests
    if model.startswith("event"):
        assert h2_server.conns <= loops_of(model), h2_server.conns
    else:
        assert 1 <= h2_server.conns <= 8, h2_server.conns


def test_a_stopped_stream_leaves_the_connection_in_use(sc, model, h2_server,
                                                       tls_cert):
    # Bodies that never end, with reuse on: over HTTP/1.1 a kept check
    # would read up to 16 KiB for up to 200 ms and then lose its
    # connection; over HTTP/2 it stops at the head at once (libcurl resets
    # the stream) and the connection serves the next checks.
    lines = [f"{h2_server.url}/endless?{i}" for i in range(12)]
    res = sc(*concurrency_args(model, 4), "--per-host", "4", "--cacert",
             tls_cert[0], "-t", "10", input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 12}\n', res.err
    times = [r["time_ms"] for r in res.records]
    assert statistics.median(times) < 150, times
    if model.startswith("event"):
        assert h2_server.conns <= loops_of(model), h2_server.conns
    else:
        assert h2_server.conns <= 4, h2_server.conns


def test_pages_over_a_shared_connection(sc, model, h2_server, tls_cert):
    # Pages larger than the 1 KiB receive buffer, 8 streams at a time on
    # one connection: a check's easy handle runs its next transfer right
    # after one that ended while the connection still carried others
    # (libcurl 7.88 then keeps the old buffer, whose size a reset
    # forgets: check.c makes a new handle).
    lines = [f"{h2_server.url}/page{i}" for i in range(48)]
    res = sc(*concurrency_args(model, 8), "--per-host", "8", "--cacert",
             tls_cert[0], input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 48}\n', res.err
    assert {r["content_length"] for r in res.records} == {16008}
    if model.startswith("event"):
        assert h2_server.conns <= loops_of(model), h2_server.conns


def test_a_page_is_read_to_its_end(sc, model, h2_server, tls_cert):
    # A page read for its links, 28 KiB in 8 KiB DATA frames: its link
    # comes last, so it is found only if the whole body was read.
    res = sc("--links", f"{h2_server.url}/links", "--cacert", tls_cert[0],
             "-t", "5")
    assert res.rc == 0, res.err
    assert {r["url"]: r["status"] for r in res.records} == {
        f"{h2_server.url}/links": 200, f"{h2_server.url}/p1": 200}
    assert all(r["detail"] is None for r in res.records), res.records


def test_http1_tls_server_gets_its_connections_together(sc, model,
                                                        slow_handshake,
                                                        tls_cert):
    # 8 URLs of an HTTP/1.1-only TLS server whose handshakes take 0.3 s.
    # The checks started with the first wait for its protocol answer, then
    # open their connections side by side: one setup's wait, not one per
    # check (2.4 s).
    if model.startswith("serial"):
        pytest.skip("one check at a time: one connection by construction")
    lines = [f"{slow_handshake.url}/p{i}" for i in range(8)]
    res = sc(*concurrency_args(model, 8), "--per-host", "8", "--cacert",
             tls_cert[0], input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 8}\n', res.err
    assert {r["http_version"] for r in res.records} == {"1.1"}, res.records
    slowest = max(r["time_ms"] for r in res.records)
    assert slowest < 4 * SlowHandshake.DELAY * 1000, slowest
    assert 2 <= slow_handshake.conns <= 8, slow_handshake.conns
