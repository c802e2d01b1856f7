"""sitecheck watch: the real binary watching servers on loopback, scraped by
a real Prometheus and compared with a real blackbox_exporter.

Runs once, not per model (watch has the event model only). Prometheus and
prometheus-blackbox-exporter come from Debian (scripts/deps.sh test); a
test that needs one fails, never skips, when it is missing. Everything
listens on 127.0.0.0/8 only.
"""

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import BIN, SLOW_FACTOR, Recorder

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Exposition text -> {name: {frozenset(labels): value}}; asserts that
    every line is a comment or a well-formed sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL_RE.findall(m.group(2) or ""))
        out.setdefault(m.group(1), {})[labels] = float(m.group(3))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None, timeout=10, source=None):
    """(status, body text) of a GET; source binds the client address."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout,
                                      source_address=(source, 0) if source
                                      else None)
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""),
                     headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8")
    finally:
        conn.close()


def wait_until(what, pred, timeout=15):
    deadline = time.monotonic() + timeout * SLOW_FACTOR
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


class Watch:
    """A running `sitecheck watch --listen 127.0.0.1:0 ARGS...`."""

    def __init__(self, tmp_path, *args):
        self.out_path = tmp_path / "watch.out"
        self.err_path = tmp_path / "watch.err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [BIN, "watch", "--listen", "127.0.0.1:0", *map(str, args)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        line = wait_until("the watch's banner", self._banner, 10)
        m = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))", line)
        assert m, line
        self.url, self.port = m.group(1), int(m.group(2))

    def _banner(self):
        data = self.out_path.read_bytes()
        if self.proc.poll() is not None:
            pytest.fail(f"sitecheck watch exited {self.proc.returncode}: "
                        f"{self.stderr()}")
        return data.split(b"\n")[0].decode() if b"\n" in data else None

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def metrics(self, source=None):
        status, body = get(self.url + "/metrics", source=source)
        assert status == 200, body
        return parse_metrics(body)

    def value(self, name, **labels):
        """The sample of name with exactly these labels, or None."""
        want = frozenset(labels.items())
        return self.metrics().get(name, {}).get(want)

    def probe(self, target, module="http_2xx", timeout_header=None):
        q = {"target": target}
        if module is not None:
            q["module"] = module
        h = {}
        if timeout_header is not None:
            h["X-Prometheus-Scrape-Timeout-Seconds"] = str(timeout_header)
        return get(self.url + "/probe?" + urllib.parse.urlencode(q), h, 30)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail("sitecheck watch did not stop within 10 s")
        return self.proc.returncode


@pytest.fixture
def watch(tmp_path):
    started = []

    def start(*args):
        w = Watch(tmp_path, *args)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop(signal.SIGKILL)


class Switchable:
    """An HTTP server on a fixed loopback port that answers `status` (or
    500 for the next `fail_next` requests), counts requests, and can be
    stopped and started again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.status = 200
        self.fail_next = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.httpd = None
        self.start()

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with outer.lock:
                    outer.requests += 1
                    code = outer.status
                    if outer.fail_next:
                        outer.fail_next -= 1
                        code = 500
                body = b"ok\n"
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def switchable():
    s = Switchable()
    yield s
    s.stop()


def write_list(path, *urls):
    path.write_text("".join(u + "\n" for u in urls))
    return path


# ------------------------------------------------------ the command line


def test_watch_usage_errors(tmp_path):
    lst = write_list(tmp_path / "l.txt", "http://127.0.0.1:9/")
    cases = [
        ([], "needs a FILE of URLs"),
        (["-m", "thread", lst], "runs the event model only"),
        (["--dedup", lst], "--dedup does not apply to sitecheck watch"),
        (["--fail-on", "5xx", lst], "--fail-on does not apply"),
        (["--every", "0", lst], "--every needs a duration"),
        (["--listen", "example.com:80", lst], "--listen needs ADDR:PORT"),
        (["--probe-allow", "(", lst], "--probe-allow needs a POSIX"),
        ([lst, "-"], "cannot watch stdin"),
        ([tmp_path / "missing.txt"], "cannot read"),
    ]
    for args, message in cases:
        p = subprocess.run([BIN, "watch", *map(str, args)], capture_output=True,
                           timeout=10, stdin=subprocess.DEVNULL)
        assert p.returncode == 2, (args, p.stderr)
        err = p.stderr.decode()
        assert message in err and err.count("\n") == 1, (args, err)
    # An address in use is a usage error too, found before any check.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        p = subprocess.run([BIN, "watch", "--listen",
                            f"127.0.0.1:{s.getsockname()[1]}", str(lst)],
                           capture_output=True, timeout=10)
    assert p.returncode == 2 and b"cannot listen" in p.stderr, p.stderr
    p = subprocess.run([BIN, "watch", "--help"], capture_output=True,
                       timeout=10)
    assert p.returncode == 0
    assert b"usage: sitecheck watch" in p.stdout and b"--every" in p.stdout


@pytest.mark.timeout(30)
def test_sigterm_and_sigint_stop_cleanly(tmp_path, watch, base):
    lst = write_list(tmp_path / "l.txt", base + "/", base + "/hang")
    for sig in (signal.SIGTERM, signal.SIGINT):
        w = watch("--every", "0.5s", "-t", "20", lst)
        wait_until("a result", lambda: w.value(
            "probe_success", target=base + "/") == 1)
        # A /probe waiting on a check that hangs is answered at the stop.
        answers = []
        t = threading.Thread(target=lambda: answers.append(
            w.probe(base + "/hang", timeout_header=20)))
        t.start()
        wait_until("the probe in flight",
                   lambda: w.value("sitecheck_probes_in_flight") == 1)
        start = time.monotonic()
        assert w.stop(sig) == 0, w.stderr()
        assert time.monotonic() - start < 3 * SLOW_FACTOR
        t.join(10)
        assert answers and answers[0][0] == 200, answers
        assert "probe_success 0" in answers[0][1]


# ------------------------------------------------- states and the events


@pytest.mark.timeout(60)
def test_state_changes_after_down_after(tmp_path, watch, switchable):
    target = f"http://alice:s3cret@127.0.0.1:{switchable.port}/"
    shown = f"http://alice:***@127.0.0.1:{switchable.port}/"
    lst = write_list(tmp_path / "l.txt", target)
    events = tmp_path / "events.jsonl"
    w = watch("--every", "0.2s", "--down-after", "3", "--retries", "0",
              "-o", events, lst)
    wait_until("up", lambda: w.value("sitecheck_watch_up", target=shown) == 1)

    def after(n):
        first = switchable.requests
        wait_until(f"{n} more checks", lambda: switchable.requests >= first + n)

    # Two failures in a row are fewer than three: no change.
    with switchable.lock:
        switchable.fail_next = 2
    after(5)
    assert w.value("sitecheck_watch_up", target=shown) == 1
    assert not events.exists() or events.read_text() == ""
    assert " -> " not in w.stderr()
    # Four are enough: down after the third, up after three 200s.
    with switchable.lock:
        switchable.fail_next = 4
    wait_until("down", lambda: w.value("sitecheck_watch_up", target=shown) == 0)
    wait_until("up again",
               lambda: w.value("sitecheck_watch_up", target=shown) == 1)
    lines = [l for l in w.stderr().splitlines() if " -> " in l]
    assert len(lines) == 2, w.stderr()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ " + re.escape(shown)
                        + r": up -> down: 500", lines[0]), lines
    assert lines[1].endswith(": down -> up: 200"), lines
    got = [json.loads(l) for l in events.read_text().splitlines()]
    assert [(e["from"], e["to"], e["status"]) for e in got] == \
        [("up", "down", 500), ("down", "up", 200)], got
    assert all(e["url"] == shown and e["error"] is None for e in got), got
    text = get(w.url + "/metrics")[1]
    assert "s3cret" not in text and "s3cret" not in w.stderr()
    assert "s3cret" not in events.read_text()
    m = w.metrics()
    assert m["sitecheck_watch_state_changes_total"][frozenset()] == 2
    assert m["sitecheck_checks_total"][frozenset({("outcome", "5xx")})] == 6


@pytest.mark.timeout(60)
def test_first_state_down_and_the_reason(tmp_path, watch, refused_url, base):
    lst = write_list(tmp_path / "l.txt", refused_url, base + "/status/404",
                     base + "/", base + "/")
    w = watch("--every", "0.3s", "--retries", "0", lst)
    wait_until("two down", lambda: w.stderr().count(" -> ") >= 2)
    time.sleep(1)
    lines = [l for l in w.stderr().splitlines() if " -> " in l]
    assert len(lines) == 2, w.stderr()  # the 200 comes up silently
    assert any(l.endswith(base + "/status/404: unknown -> down: 404")
               for l in lines), lines
    assert any((refused_url + ": unknown -> down: connect (") in l
               for l in lines), lines
    # The URL listed twice is watched once, and said so.
    assert "is listed twice; watched once" in w.stderr()
    assert w.value("sitecheck_watch_targets") == 3


@pytest.mark.timeout(60)
def test_sighup_reads_the_list_again_and_reopens_o(tmp_path, watch, base):
    a, b = base + "/status/404", base + "/status/410"
    lst = write_list(tmp_path / "l.txt", a)
    events = tmp_path / "events.jsonl"
    w = watch("--every", "0.3s", "-o", events, lst)
    wait_until("a's event", lambda: events.exists() and a in events.read_text())
    os.rename(events, tmp_path / "events.1")  # as logrotate does
    write_list(lst, b)
    w.proc.send_signal(signal.SIGHUP)
    wait_until("b's event", lambda: events.exists() and b in events.read_text())
    old = (tmp_path / "events.1").read_text()
    assert a in old and b not in old
    assert a not in events.read_text()
    m = w.metrics()
    targets = {dict(k)["target"] for k in m["probe_success"]}
    assert targets == {b}, targets
    assert m["sitecheck_watch_targets"][frozenset()] == 1
    # A list that cannot be read keeps the watch as it was.
    os.unlink(lst)
    w.proc.send_signal(signal.SIGHUP)
    wait_until("the warning", lambda: "cannot read" in w.stderr())
    assert w.value("sitecheck_watch_targets") == 1
    assert w.proc.poll() is None
    assert w.stop() == 0


@pytest.mark.timeout(60)
def test_a_slow_round_is_skipped_and_counted(tmp_path, watch, base):
    slow = base + "/delay/1300"
    lst = write_list(tmp_path / "l.txt", slow)
    w = watch("--every", "0.5s", "-t", "5", lst)
    wait_until("skipped rounds",
               lambda: (w.value("sitecheck_watch_skipped_total") or 0) >= 3)
    m = w.metrics()
    checks = m["sitecheck_checks_total"][frozenset({("outcome", "2xx")})]
    skipped = m["sitecheck_watch_skipped_total"][frozenset()]
    # About one check per three rounds: never two at once.
    assert checks >= 1 and checks <= skipped, (checks, skipped)
    assert m["probe_success"][frozenset({("target", slow)})] == 1


# ---------------------------------------------------------------- /probe


@pytest.mark.timeout(60)
def test_probe_allow_list_and_limits(tmp_path, watch, base):
    watched = base + "/status/200"
    lst = write_list(tmp_path / "l.txt", watched)
    w = watch("--every", "1h", "--probe-allow",
              re.escape(base) + r"/delay/[0-9]+", lst)
    status, body = w.probe(watched)
    assert status == 200 and "probe_success 1\n" in body, body
    assert w.probe(watched, module=None)[0] == 200  # http_2xx by default
    assert w.probe(base + "/status/404")[0] == 403
    assert w.probe(base + "/delay/1?x")[0] == 403  # the whole URL must match
    assert w.probe("http://127.0.0.2:1/")[0] == 403
    assert w.probe(watched, module="tcp_connect")[0] == 400
    assert get(w.url + "/probe?module=http_2xx")[0] == 400
    assert w.probe("ftp://127.0.0.1/")[0] == 400
    status, body = w.probe(base + "/delay/10")
    assert status == 200 and "probe_http_status_code 200\n" in body
    # The scrape's timeout bounds the check: 1.2 s - 0.5 s.
    start = time.monotonic()
    status, body = w.probe(base + "/delay/3000", timeout_header=1.2)
    took = time.monotonic() - start
    assert status == 200 and "probe_success 0\n" in body, body
    assert 0.6 < took < 1.2 + SLOW_FACTOR, took
    # At most 100 probes at once, then 503.
    results = []

    def one():
        results.append(w.probe(base + "/delay/3000", timeout_header=6))

    threads = [threading.Thread(target=one) for _ in range(100)]
    for t in threads:
        t.start()
    wait_until("100 probes in flight",
               lambda: w.value("sitecheck_probes_in_flight") == 100)
    status, body = w.probe(watched)
    assert status == 503, body
    for t in threads:
        t.join(20)
    assert len(results) == 100 and all(s == 200 for s, _ in results)
    m = w.metrics()
    assert m["sitecheck_probe_requests_total"][
        frozenset({("code", "503")})] == 1
    assert m["sitecheck_probe_requests_total"][
        frozenset({("code", "403")})] == 3


# ------------------------------------------------------- hostile scrapes


@pytest.mark.timeout(60)
def test_hostile_scrapes_do_not_stall_metrics(tmp_path, watch, base):
    lst = write_list(tmp_path / "l.txt", base + "/")
    w = watch("--every", "1s", lst)

    def quick_metrics(source=None):
        """How long a whole /metrics took to come."""
        start = time.monotonic()
        status, body = get(w.url + "/metrics", timeout=5, source=source)
        assert status == 200 and "sitecheck_watch_targets 1\n" in body
        return time.monotonic() - start

    # A slowloris dribbles its head while /metrics answers at once.
    slow = socket.create_connection(("127.0.0.1", w.port))
    slow.sendall(b"GET /metrics HTTP/1.1\r\n")
    for i in range(10):
        slow.sendall(b"X-a: b\r\n"[i % 8:i % 8 + 1])
        assert quick_metrics() < 1 * SLOW_FACTOR
        time.sleep(0.2)
    # A silent connection is closed after the idle time (10 s).
    idle = socket.create_connection(("127.0.0.1", w.port))
    idle.settimeout(20)
    start = time.monotonic()
    assert idle.recv(100) == b""
    assert 8 < time.monotonic() - start < 15
    idle.close()
    slow.close()
    # A 1 MB request line is refused, and nothing else suffers.
    big = socket.create_connection(("127.0.0.1", w.port))
    big.settimeout(10)
    try:
        big.sendall(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n")
    except OSError:
        pass  # closed on us mid-line: refused too
    try:
        reply = big.recv(100)
    except OSError:
        reply = b""
    big.close()
    assert reply == b"" or reply.startswith(b"HTTP/1.1 414"), reply
    assert quick_metrics() < 1 * SLOW_FACTOR
    # 500 connections held open: those past the per-address limit are
    # closed, and a scraper from another address is still served.
    held = []
    for _ in range(500):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", w.port))
        except BlockingIOError:
            pass
        held.append(s)
    time.sleep(0.5)
    assert quick_metrics(source="127.0.0.2") < 2 * SLOW_FACTOR
    for s in held:
        s.close()

    def served_again():
        try:  # until the server has seen the closes, it may refuse
            return quick_metrics() < 1 * SLOW_FACTOR
        except (OSError, http.client.HTTPException):
            return False

    wait_until("a scrape from 127.0.0.1 again", served_again)
    assert w.proc.poll() is None
    assert w.stop() == 0


# ------------------------------------------------ a real Prometheus


def need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} is not installed: `make test-deps` (scripts/"
                    f"deps.sh test) installs it from Debian")
    return path


def start_and_wait(argv, log, ready_url, what):
    """Starts argv with output to log and waits until ready_url answers
    200; fails with the log's tail if it does not within 30 s."""
    with open(log, "wb") as f:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if get(ready_url, timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    pytest.fail(f"{what} did not start: {open(log, errors='replace').read()[-2000:]}")


@pytest.fixture
def prometheus(tmp_path):
    binary = need("prometheus")
    procs = []

    def start(config):
        port = free_port()
        cfg = tmp_path / "prometheus.yml"
        cfg.write_text(config)
        proc = start_and_wait(
            [binary, f"--config.file={cfg}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            tmp_path / "prometheus.log", f"http://127.0.0.1:{port}/-/ready",
            "prometheus")
        procs.append(proc)
        return f"http://127.0.0.1:{port}"

    yield start
    for p in procs:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def query(prom, expr):
    """{(job, target or instance): value} of an instant query."""
    status, body = get(prom + "/api/v1/query?" +
                       urllib.parse.urlencode({"query": expr}))
    assert status == 200, body
    data = json.loads(body)
    assert data["status"] == "success", data
    out = {}
    for r in data["data"]["result"]:
        m = r["metric"]
        who = m.get("target") if m["job"] == "watch" else m.get("instance")
        out[(m["job"], who)] = float(r["value"][1])
    return out


@pytest.mark.timeout(120)
def test_prometheus_scrapes_metrics_and_probe(tmp_path, watch, base,
                                              switchable, prometheus):
    ok, missing, flaky = base + "/", base + "/status/404", switchable.url
    lst = write_list(tmp_path / "l.txt", ok, missing, flaky)
    w = watch("--every", "1s", "--retries", "0", "-t", "2", lst)
    prom = prometheus(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: watch
    static_configs:
      - targets: ['127.0.0.1:{w.port}']
  - job_name: probe
    metrics_path: /probe
    params:
      module: [http_2xx]
    static_configs:
      - targets: ['{ok}', '{missing}', '{flaky}']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{w.port}
""")

    def both(expr, want):
        got = query(prom, expr)
        return all(got.get((job, t)) == v for (t, v) in want.items()
                   for job in ("watch", "probe")) and got

    wait_until("Prometheus to see every target", lambda: both(
        "probe_success", {ok: 1, missing: 0, flaky: 1}), 40)
    assert both("probe_http_status_code", {ok: 200, missing: 404, flaky: 200})
    switchable.stop()
    wait_until("the flaky server down", lambda: both(
        "probe_success", {ok: 1, missing: 0, flaky: 0}), 30)
    assert both("probe_http_status_code", {flaky: 0})
    switchable.start()
    wait_until("the flaky server up again", lambda: both(
        "probe_success", {ok: 1, missing: 0, flaky: 1}), 30)
    assert both("probe_http_status_code", {ok: 200, missing: 404, flaky: 200})
    # sitecheck's own metrics reach it too, and no scrape failed.
    assert query(prom, "sitecheck_watch_targets") == {("watch", None): 3}
    up = query(prom, "up")
    assert up and all(v == 1 for v in up.values()), up


# --------------------------------------- side by side with blackbox_exporter


def make_chain(d):
    """A CA (30 days), an intermediate it signs that expires first (1 day)
    and a leaf for IP 127.0.0.1 the intermediate signs (10 days). Returns
    (ca.pem, chain.pem with the leaf then the intermediate, leaf.key)."""
    def ossl(*args):
        subprocess.run(["openssl", *map(str, args)], check=True,
                       capture_output=True, timeout=60)
    ca_ext, int_ext, leaf_ext = d / "ca.ext", d / "int.ext", d / "leaf.ext"
    ca_ext.write_text("basicConstraints=critical,CA:TRUE\n"
                      "keyUsage=critical,keyCertSign,cRLSign\n")
    int_ext.write_text("basicConstraints=critical,CA:TRUE,pathlen:0\n"
                       "keyUsage=critical,keyCertSign,cRLSign\n")
    leaf_ext.write_text("basicConstraints=CA:FALSE\n"
                        "subjectAltName=IP:127.0.0.1\n"
                        "extendedKeyUsage=serverAuth\n")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         d / "ca.key", "-out", d / "ca.pem", "-days", "30", "-subj",
         "/CN=sitecheck test CA", "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext",
         "keyUsage=critical,keyCertSign,cRLSign")
    for name, signer, days, ext, cn in (
            ("int", "ca", 1, int_ext, "sitecheck test intermediate"),
            ("leaf", "int", 10, leaf_ext, "127.0.0.1")):
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout",
             d / f"{name}.key", "-out", d / f"{name}.csr", "-subj", f"/CN={cn}")
        ossl("x509", "-req", "-in", d / f"{name}.csr", "-CA",
             d / f"{signer}.pem", "-CAkey", d / f"{signer}.key",
             "-CAcreateserial", "-out", d / f"{name}.pem", "-days", days,
             "-extfile", ext)
    chain = d / "chain.pem"
    chain.write_text((d / "leaf.pem").read_text() + (d / "int.pem").read_text())
    return d / "ca.pem", chain, d / "leaf.key"


def not_after(pem):
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                          str(pem)], check=True, capture_output=True,
                         timeout=30).stdout.decode()
    return ssl.cert_time_to_seconds(out.strip().split("=", 1)[1])


COMPARED = ("probe_success", "probe_http_status_code", "probe_http_redirects",
            "probe_http_version", "probe_http_ssl",
            "probe_ssl_earliest_cert_expiry")


@pytest.mark.timeout(120)
def test_probe_matches_blackbox_exporter(tmp_path, watch, base, refused_url,
                                         tls_cert, tls_recorder):
    binary = need("prometheus-blackbox-exporter")
    # Two servers' CAs in one bundle: the self-signed one's, and a chain's
    # whose intermediate expires before its leaf.
    ca, chain, key = make_chain(tmp_path)
    cert = tmp_path / "cas.pem"
    cert.write_text(open(tls_cert[0]).read() + ca.read_text())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(chain), str(key))
    chained = Recorder(ctx)
    cfg = tmp_path / "blackbox.yml"
    cfg.write_text(f"""
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      tls_config:
        ca_file: {cert}
""")
    port = free_port()
    bb = start_and_wait([binary, f"--config.file={cfg}",
                         f"--web.listen-address=127.0.0.1:{port}"],
                        tmp_path / "blackbox.log", f"http://127.0.0.1:{port}/",
                        "prometheus-blackbox-exporter")
    try:
        lst = write_list(tmp_path / "l.txt", base + "/")
        w = watch("--every", "1h", "--probe-allow", ".*", "--cacert", cert, lst)
        targets = {
            "200": base + "/",
            "404": base + "/status/404",
            "redirects": base + "/redirect/3",
            "refused": refused_url,
            "timeout": base + "/hang",
            "tls": f"https://127.0.0.1:{tls_recorder.port}/",
            "tls-chain": f"https://127.0.0.1:{chained.port}/",
        }
        for name, target in targets.items():
            q = urllib.parse.urlencode({"target": target,
                                        "module": "http_2xx"})
            h = {"X-Prometheus-Scrape-Timeout-Seconds": "2"}
            s1, ours = get(w.url + "/probe?" + q, h, 30)
            s2, theirs = get(f"http://127.0.0.1:{port}/probe?" + q, h, 30)
            assert s1 == 200 and s2 == 200, (name, ours, theirs)
            ours, theirs = parse_metrics(ours), parse_metrics(theirs)
            assert set(ours) <= set(theirs), \
                (name, sorted(set(ours) - set(theirs)))
            for metric in COMPARED:
                assert ours.get(metric) == theirs.get(metric), \
                    (name, metric, ours.get(metric), theirs.get(metric))
            # The phases have blackbox_exporter's labels.
            assert set(ours["probe_http_duration_seconds"]) == \
                set(theirs["probe_http_duration_seconds"]), name
        # Spot checks that the comparison compared something.
        s, tls = w.probe(targets["tls"])
        assert "probe_ssl_earliest_cert_expiry " in tls
        assert "probe_http_ssl 1\n" in tls and "probe_success 1\n" in tls
        m = parse_metrics(w.probe(targets["tls-chain"])[1])
        earliest = m["probe_ssl_earliest_cert_expiry"][frozenset()]
        assert earliest == not_after(tmp_path / "int.pem")
        assert earliest < not_after(tmp_path / "leaf.pem")
    finally:
        chained.close()
        bb.terminate()
        bb.wait(10)
