"""TLS session resumption: the checks of an engine share the TLS sessions
they were given (check.h, struct sc_tls_sessions), so a new connection to
a server met before, by any check, resumes its session instead of a full
handshake; and a resumed connection still reports the certificate.

The servers are Python's ssl module on loopback (HTTP/1.1, each answer
closing its connection, so every check connects anew), counting the
connections that resumed a session, in every model. A watch resumes
none."""

import http.server
import threading

import pytest

from conftest import serve_tls_in_thread
from test_watch import Watch, wait_until


class ResumeServers:
    """N HTTPS servers on loopback ports; each answer closes its
    connection. Counts connections and resumed sessions."""

    def __init__(self, cert, key, n):
        owner = self
        self.lock = threading.Lock()
        self.conns = self.resumed = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                self.request.settimeout(20)
                self.request.do_handshake()
                with owner.lock:
                    owner.conns += 1
                    owner.resumed += bool(self.request.session_reused)
                super().setup()

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "3")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"ok\n")

            def log_message(self, *args):
                pass

        self.servers = [serve_tls_in_thread(Handler, cert, key)
                        for _ in range(n)]
        self.urls = [f"https://127.0.0.1:{s.server_address[1]}"
                     for s in self.servers]

    def close(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()


@pytest.fixture
def resume_servers(tls_cert):
    srv = ResumeServers(*tls_cert, 6)
    yield srv
    srv.close()


def test_servers_met_before_resume_their_sessions(sc, model, resume_servers,
                                                  tls_cert):
    # Six servers in turn, four rounds, one check at a time, a connection
    # each. A handle's own cache keeps 5 sessions, the oldest going first,
    # so going round six servers it never has the one it needs: without
    # shared sessions no connection would resume. Shared, every server's
    # second and later connections do.
    lines = [f"{url}/r{r}" for r in range(4) for url in resume_servers.urls]
    conc = [] if model.startswith("serial") else ["-c", "1"]
    res = sc(*conc, "--cacert", tls_cert[0], input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 24}\n', res.err
    assert resume_servers.conns == 24, resume_servers.conns
    assert resume_servers.resumed >= 16, resume_servers.resumed
    # A resumed session still carries the server's certificate.
    expiries = {r["cert_expiry"] for r in res.records}
    assert len(expiries) == 1 and None not in expiries, res.records


def test_many_checks_in_flight_resume_most(sc, model, resume_servers,
                                           tls_cert):
    # Many checks of two servers at once, each on a connection of its own,
    # storing and resuming sessions side by side (under the sanitizers, in
    # a loop's set and in each thread's own): all answer, and most new
    # connections resume. That sessions pass between the checks of one
    # set is the test above; here a handle's own cache would pass too.
    if model.startswith("serial"):
        pytest.skip("one check at a time: the test above covers it")
    lines = [f"{url}/p{i}" for i in range(20) for url in resume_servers.urls[:2]]
    res = sc("-c", "8", "--cacert", tls_cert[0],
             input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 40}\n', res.err
    assert resume_servers.conns == 40, resume_servers.conns
    assert resume_servers.resumed >= 20, resume_servers.resumed


@pytest.mark.timeout(60)
def test_a_watch_makes_a_full_handshake_every_time(tmp_path, resume_servers,
                                                   tls_cert):
    # A watch checks as a new visitor does: a connection and a full
    # handshake of its own each round, and for a /probe. A resumed
    # session would hide a certificate replaced, or a handshake that no
    # longer succeeds, for as long as the server took the old ticket.
    url = resume_servers.urls[0] + "/"
    lst = tmp_path / "l.txt"
    lst.write_text(url + "\n")
    w = Watch(tmp_path, "--every", "0.5s", "--cacert", tls_cert[0], lst)
    try:
        wait_until("four rounds", lambda: resume_servers.conns >= 4)
        status, body = w.probe(url)
        assert status == 200 and "probe_success 1" in body, body
        assert w.value("probe_ssl_earliest_cert_expiry", target=url) > 0
    finally:
        assert w.stop() == 0, w.stderr()
    assert resume_servers.conns >= 5, resume_servers.conns
    assert resume_servers.resumed == 0, resume_servers.resumed
