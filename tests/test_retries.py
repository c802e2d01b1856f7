"""Retries of transient failures (backoff, Retry-After in both forms,
--max-retry-wait) and the HEAD -> GET fallback, in every model."""

import email.utils
import http.server
import threading
import time

import pytest

from conftest import check_one, concurrency_args, serve_in_thread


class Scripted:
    """A loopback HTTP server whose n-th request to a path gets the n-th
    (status, headers) of that path's script (the last one repeats); it
    records (method, path, time) of every request."""

    def __init__(self, scripts):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                with owner.lock:
                    owner.seen.append((self.command, self.path,
                                       time.monotonic()))
                    n = sum(1 for s in owner.seen if s[1] == self.path)
                steps = owner.scripts.get(self.path, [(200, {})])
                status, headers = steps[min(n, len(steps)) - 1]
                if callable(headers):
                    headers = headers()
                if self.command == "HEAD" and "HEAD" in headers:
                    status = headers["HEAD"]
                self.send_response(status)
                for k, v in headers.items():
                    if k != "HEAD":
                        self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.scripts = scripts
        self.seen = []
        self.lock = threading.Lock()
        self.httpd = serve_in_thread(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


    def times(self, path):
        return [t for _, p, t in self.seen if p == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers = []

    def make(scripts):
        s = Scripted(scripts)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def test_default_is_one_retry(sc, base):
    rec, _ = check_one(sc, base + "/status/503")
    assert rec["status"] == 503 and rec["attempts"] == 2, rec


@pytest.mark.parametrize("n", [0, 2])
def test_retries_option(sc, base, n):
    rec, _ = check_one(sc, base + "/status/503", "--retries", str(n))
    assert rec["status"] == 503 and rec["attempts"] == n + 1, rec


@pytest.mark.parametrize("path,key", [("/status/404", "404"),
                                      ("/status/500", "500"),
                                      ("/garbage", "protocol")])
def test_lasting_answers_are_not_retried(sc, base, path, key):
    rec, _ = check_one(sc, base + path, "--retries", "3")
    assert rec["attempts"] == 1, rec
    assert (rec["error"] or str(rec["status"])) == key, rec


def test_timeouts_are_retried(sc, base):
    rec, res = check_one(sc, base + "/hang", "-t", "0.5", "--retries", "1")
    assert rec["error"] == "timeout" and rec["attempts"] == 2, rec
    assert res.elapsed >= 1.0


def test_retry_recovers(sc, scripted):
    srv = scripted({"/flaky": [(503, {}), (200, {})]})
    rec, _ = check_one(sc, srv.url + "/flaky")
    assert rec["status"] == 200 and rec["attempts"] == 2, rec
    gap = srv.times("/flaky")[1] - srv.times("/flaky")[0]
    assert 0.1 <= gap <= 1.0, f"backoff {gap:.3f} s"   # 250 ms x [0.5, 1.5)


def test_retry_after_seconds(sc, scripted):
    srv = scripted({"/busy": [(429, {"Retry-After": "1"}), (200, {})]})
    rec, _ = check_one(sc, srv.url + "/busy")
    assert rec["status"] == 200 and rec["attempts"] == 2, rec
    gap = srv.times("/busy")[1] - srv.times("/busy")[0]
    assert gap >= 0.95, f"retried after {gap:.3f} s"


def test_retry_after_http_date(sc, scripted):
    def later():
        return {"Retry-After": email.utils.formatdate(time.time() + 2,
                                                      usegmt=True)}

    srv = scripted({"/busy": [(503, later), (200, {})]})
    rec, _ = check_one(sc, srv.url + "/busy")
    assert rec["status"] == 200 and rec["attempts"] == 2, rec
    gap = srv.times("/busy")[1] - srv.times("/busy")[0]
    assert gap >= 0.9, f"retried after {gap:.3f} s"


def test_retry_after_beyond_max_wait_is_not_retried(sc, scripted):
    srv = scripted({"/busy": [(503, {"Retry-After": "120"})]})
    rec, res = check_one(sc, srv.url + "/busy", "--max-retry-wait", "5")
    assert rec["status"] == 503 and rec["attempts"] == 1, rec
    assert "max-retry-wait" in rec["detail"], rec
    assert res.elapsed < 3


def test_a_waiting_retry_does_not_block_others(sc, model, scripted):
    if model.startswith("serial"):
        pytest.skip("the serial model checks one URL at a time")
    srv = scripted({"/busy": [(503, {"Retry-After": "2"}), (200, {})]})
    lines = [srv.url + "/busy"] + [f"{srv.url}/ok{i}" for i in range(6)]
    res = sc(*concurrency_args(model, 2), input="\n".join(lines) + "\n")
    assert res.rc == 0, res.err
    order = [r["url"].rsplit("/", 1)[1] for r in res.records]
    assert order[-1] == "busy", order
    assert all(r["time_ms"] < 1500 for r in res.records if "ok" in r["url"])


def test_head_falls_back_to_get(sc, scripted):
    srv = scripted({"/nohead": [(200, {"HEAD": 405})]})
    rec, _ = check_one(sc, srv.url + "/nohead", "-X", "HEAD")
    assert rec["status"] == 200 and rec["method"] == "GET", rec
    assert [m for m, p, _ in srv.seen] == ["HEAD", "GET"]


def test_head_kept_when_it_works(sc, scripted):
    srv = scripted({})
    rec, _ = check_one(sc, srv.url + "/fine", "-X", "HEAD")
    assert rec["status"] == 200 and rec["method"] == "HEAD", rec
    assert [m for m, p, _ in srv.seen] == ["HEAD"]


@pytest.mark.parametrize("bad", ["--retries=-1", "--retries=x",
                                 "--max-retry-wait=-2"])
def test_bad_retry_options(bad):
    from conftest import run
    res = run(bad, input="http://127.0.0.1:1/\n")
    assert res.rc == 2 and res.err.startswith("sitecheck: "), res.err
    assert res.out == ""
