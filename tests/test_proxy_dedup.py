"""-x/--proxy and the *_proxy variables, and --dedup, in every model."""

import http.server
import json
import os
import threading

import pytest

from conftest import BIN, concurrency_args, check_one, model_args, run, serve_in_thread


class ForwardProxy:
    """A loopback stand-in for an HTTP forward proxy: it answers every
    absolute-form request itself with 204 and records the target URL."""

    def __init__(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                owner.seen.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.seen = []
        self.httpd = serve_in_thread(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def proxy():
    p = ForwardProxy()
    yield p
    p.close()


# The target names are in .localhost: even if the proxy were bypassed,
# nothing would leave the machine (they are loopback, port 9 is closed).
TARGET = "http://only-the-proxy-knows.localhost:9/page"


def test_proxy_option(sc, proxy):
    rec, _ = check_one(sc, TARGET, "-x", proxy.url, "--retries", "0")
    assert rec["status"] == 204 and rec["error"] is None, rec
    assert proxy.seen == [TARGET]


def test_proxy_variable(model, proxy, tmp_path):
    out = tmp_path / "r.jsonl"
    import subprocess
    env = dict(os.environ, http_proxy=proxy.url)
    proc = subprocess.run([BIN, *model_args(model), "--per-host", "0",
                           "--retries", "0", "-o", str(out)],
                          input=(TARGET + "\n").encode(), env=env,
                          capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'{"204": 1}\n'
    assert proxy.seen == [TARGET]


def test_dedup(sc, model, base):
    lines = [f"{base}/delay/200", f"{base}/status/404", f"{base}/delay/200",
             "not a url", f"{base}/status/404", f"{base}/delay/200",
             f"{base}/"]
    res = sc(*concurrency_args(model, 8), "--dedup",
             input="\n".join(lines) + "\n")
    assert res.rc == 0, res.err
    assert res.out == '{"200": 4, "404": 2, "invalid_url": 1}\n'
    recs = {r["line"]: r for r in res.records}
    assert sorted(recs) == list(range(1, 8))
    assert recs[3]["duplicate_of"] == 1 and recs[6]["duplicate_of"] == 1
    assert recs[5]["duplicate_of"] == 2 and recs[5]["status"] == 404
    assert recs[3]["status"] == 200 and recs[3]["attempts"] == 0
    for n in (1, 2, 4, 7):
        assert recs[n]["duplicate_of"] is None, recs[n]
    assert recs[1]["attempts"] == 1


def test_without_dedup_repeats_are_checked(sc, base):
    res = sc(input=f"{base}/\n{base}/\n")
    assert res.out == '{"200": 2}\n'
    assert all(r["duplicate_of"] is None and r["attempts"] == 1
               for r in res.records)


def test_dedup_failures_are_shared(sc, base, refused_url):
    res = sc("--dedup", "--retries", "0",
             input=f"{refused_url}\n{refused_url}\n")
    assert res.out == '{"connect": 2}\n', res.out
    dup = [r for r in res.records if r["duplicate_of"]][0]
    assert dup["error"] == "connect" and dup["detail"], dup
