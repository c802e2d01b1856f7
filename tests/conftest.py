"""Harness for the sitecheck integration tests.

Runs the real binary ($SITECHECK_BIN or ./sitecheck) against its own
simulated web (`sitecheck serve`), once per concurrency model listed in
$SITECHECK_MODELS (comma list, default "event"; "event:2" means
`-m event --loops 2`). Only loopback addresses are ever contacted; the only
other host names used end in `.invalid`, which sitecheck answers as `dns`
without a lookup.
"""

import collections
import dataclasses
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

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SITECHECK_BIN") or os.path.join(ROOT, "sitecheck")

RUN_TIMEOUT = 30  # seconds for one sitecheck run (pytest-timeout is 60)


def _is_sanitized(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return b"__asan_init" in data or b"__tsan_init" in data
    except OSError:
        return False


# Throughput bounds are loosened for an AddressSanitizer build (make check
# runs the suite against one), which forks and starts much more slowly.
SLOW_FACTOR = 3 if _is_sanitized(BIN) else 1

CLASSES = ("connect", "dns", "invalid_url", "missing_file", "other",
           "protocol", "timeout",
           "tls", "too_many_redirects")
RECORD_FIELDS = ("url", "line", "status", "error", "detail", "time_ms",
                 "final_url", "redirects", "ip")
SUMMARY_RE = re.compile(
    r"checked (\d+) URLs in [0-9.]+ seconds \([0-9.]+ URLs/s\)")

KNOWN_MODELS = ("event", "thread", "process", "serial")


def _parse_models(spec):
    models = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, loops = item.partition(":")
        if name not in KNOWN_MODELS or (loops and not loops.isdigit()):
            raise pytest.UsageError(
                f"SITECHECK_MODELS: bad entry {item!r} (want e.g. event, "
                f"thread, process, serial, event:2)")
        models.append(item)
    return models or ["event"]


MODELS = _parse_models(os.environ.get("SITECHECK_MODELS", "event"))


def loops_of(model):
    """`event:2` -> 2, any other model -> 1."""
    return int(model.partition(":")[2] or 1)


def model_args(model):
    """`event:2` -> ['-m', 'event', '--loops', '2']."""
    name, _, loops = model.partition(":")
    args = ["-m", name]
    if loops:
        args += ["--loops", loops]
    return args


def concurrency_args(model, n):
    """`-c n`, except for serial, which rejects -c above 1 (by design)."""
    return [] if model.startswith("serial") else ["-c", str(n)]


def pytest_generate_tests(metafunc):
    if "model" in metafunc.fixturenames:
        metafunc.parametrize("model", MODELS, ids=MODELS)


# --------------------------------------------------------------- running


@dataclasses.dataclass
class Result:
    rc: int
    out: str          # stdout, decoded (replacement for bad UTF-8)
    err: str          # stderr, decoded
    records: list     # parsed records of -o FILE (JSONL), [] without one
    elapsed: float    # wall-clock seconds of the whole run
    out_bytes: bytes

    def __iter__(self):  # rc, out, err, records = run(...)
        return iter((self.rc, self.out, self.err, self.records))

    @property
    def tally(self):
        """The tally printed on stdout, as an ordered dict."""
        assert self.out.endswith("\n"), f"stdout not one line: {self.out!r}"
        assert self.out.count("\n") == 1, f"stdout not one line: {self.out!r}"
        return json.loads(self.out)


def parse_jsonl(data):
    """Every line must be UTF-8 JSON; returns the list of objects."""
    text = data.decode("utf-8")  # raises on invalid UTF-8: that is a bug
    assert text == "" or text.endswith("\n"), "records must end in newline"
    return [json.loads(line) for line in text.splitlines()]


def serve_in_thread(handler, addr="127.0.0.1"):
    """Starts a ThreadingHTTPServer for handler on addr:<free port>
    (backlog 512, so bursts of connects are never dropped) in a daemon
    thread. Returns the server; stop it with .shutdown() and
    .server_close()."""
    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 512
        daemon_threads = True

    httpd = Server((addr, 0), handler)
    threading.Thread(target=httpd.serve_forever,
                     kwargs={"poll_interval": 0.05}, daemon=True).start()
    return httpd


def serve_tls_in_thread(handler, cert, key, ctx=None):
    """serve_in_thread over TLS offering HTTP/1.1 only (ALPN), with ctx
    or a new context for cert and key. The handler completes each
    handshake itself (self.request.do_handshake() in setup), so a slow
    or failing one holds up only its own connection's thread."""
    if ctx is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        ctx.set_alpn_protocols(["http/1.1"])
    httpd = serve_in_thread(handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                   do_handshake_on_connect=False)
    return httpd


def vm_hwm_kb(pid):
    """Peak RSS (VmHWM, KiB) of pid's current program, or 0 once it exited.
    Unlike wait4's ru_maxrss it leaves out what the forking parent (this
    big pytest process) had mapped before exec."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def with_defaults(args):
    """Most tests send many URLs to the one simulated web on 127.0.0.1, to
    exercise the engines, not the politeness limits: they run with
    `--per-host 0` unless they choose a --per-host themselves (the
    politeness tests do)."""
    if any(a.startswith("--per-host") for a in args) or \
            (args and args[0] in ("serve", "demo", "report", "watch")):
        return args
    return ["--per-host", "0", *args]


def run(*args, input=None, out_file=None, fmt_records=True,
        timeout=RUN_TIMEOUT):
    """Runs sitecheck with args; input is str/bytes for stdin (None: empty
    stdin). With out_file, adds `-o out_file` and parses its JSONL records."""
    if isinstance(input, str):
        input = input.encode("utf-8")
    argv = [BIN, *with_defaults([str(a) for a in args])]
    if out_file is not None:
        argv += ["-o", str(out_file)]
    start = time.monotonic()
    proc = subprocess.run(argv, input=input if input is not None else b"",
                          capture_output=True, timeout=timeout)
    elapsed = time.monotonic() - start
    records = []
    if out_file is not None and fmt_records and os.path.exists(out_file):
        with open(out_file, "rb") as f:
            records = parse_jsonl(f.read())
    return Result(proc.returncode,
                  proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"),
                  records, elapsed, proc.stdout)


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    if not os.access(BIN, os.X_OK):
        pytest.fail(f"sitecheck binary not found at {BIN} "
                    f"(run `make sitecheck` or set SITECHECK_BIN)")


@pytest.fixture
def sc(model, tmp_path):
    """Runs sitecheck under the current model with `-o` into tmp_path; the
    Result carries the parsed records. Pass records=False for no -o."""
    counter = iter(range(1_000_000))

    def call(*args, input=None, records=True, timeout=RUN_TIMEOUT):
        out = tmp_path / f"records-{next(counter)}.jsonl" if records else None
        return run(*model_args(model), *args, input=input, out_file=out,
                   timeout=timeout)

    return call


def key_of(record):
    """The tally key a record counts under."""
    return record["error"] if record["error"] else str(record["status"])


def tally_text(counts):
    """The exact stdout the contract demands for these counts."""
    codes = sorted((k for k in counts if k.isdigit()), key=int)
    classes = sorted(k for k in counts if not k.isdigit())
    body = ", ".join(f'"{k}": {counts[k]}' for k in codes + classes)
    return "{" + body + "}\n"


def tally_of(records):
    return collections.Counter(key_of(r) for r in records)


def assert_record_shape(rec):
    """Field set and types every record must have."""
    for field in RECORD_FIELDS:
        assert field in rec, f"record lacks {field!r}: {rec}"
    assert isinstance(rec["url"], str)
    assert isinstance(rec["line"], int) and rec["line"] >= 1
    assert rec["status"] is None or isinstance(rec["status"], int)
    assert rec["error"] is None or rec["error"] in CLASSES, rec
    assert rec["status"] is not None or rec["error"] is not None, rec
    if rec["error"] is not None:
        assert isinstance(rec["detail"], str) and rec["detail"], rec
    else:
        assert rec["detail"] is None or isinstance(rec["detail"], str)
    assert isinstance(rec["time_ms"], (int, float)) and rec["time_ms"] >= 0
    assert rec["final_url"] is None or isinstance(rec["final_url"], str)
    assert isinstance(rec["redirects"], int) and rec["redirects"] >= 0
    assert rec["ip"] is None or isinstance(rec["ip"], str)


def check_one(sc, url, *args, timeout=RUN_TIMEOUT):
    """Checks a single URL; asserts exactly one well-formed record and a
    tally of exactly {key: 1}. Returns (record, Result)."""
    res = sc(*args, input=url + "\n", timeout=timeout)
    assert res.rc == 0, f"rc={res.rc} stderr={res.err!r}"
    assert len(res.records) == 1, res.records
    rec = res.records[0]
    assert_record_shape(rec)
    assert rec["url"] == url and rec["line"] == 1, rec
    assert res.out == tally_text({key_of(rec): 1}), (res.out, rec)
    return rec, res


# ----------------------------------------------------------- the servers


class _ServeProcess:
    def __init__(self, listen, workdir):
        self.out_path = os.path.join(workdir, "serve.out")
        self.err_path = os.path.join(workdir, "serve.err")
        with open(self.out_path, "wb") as out, \
                open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([BIN, "serve", "--listen", listen],
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        self.url = self._wait_for_banner()

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _wait_for_banner(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as f:
                data = f.read()
            if b"\n" in data:
                line = data.split(b"\n", 1)[0].decode()
                m = re.fullmatch(r"listening on (http://\S+:\d+)", line)
                if not m:
                    self.stop()
                    raise RuntimeError(f"unexpected serve banner {line!r}")
                return m.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"sitecheck serve exited "
                                   f"{self.proc.returncode}: {self.stderr()}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("sitecheck serve printed no banner within 10 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


@pytest.fixture(scope="session")
def server(tmp_path_factory, _binary_exists):
    srv = _ServeProcess("127.0.0.1:0",
                        str(tmp_path_factory.mktemp("serve4")))
    yield srv
    rc = srv.stop()
    assert rc == 0, f"sitecheck serve exited {rc} on SIGTERM: {srv.stderr()}"


@pytest.fixture(scope="session")
def base(server):
    """http://127.0.0.1:PORT of the simulated web."""
    assert server.url.startswith("http://127.0.0.1:")
    return server.url


@pytest.fixture(scope="session")
def base6(tmp_path_factory, _binary_exists):
    """http://[::1]:PORT of a second simulated web, or skip without IPv6."""
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        pytest.skip("IPv6 loopback unavailable")
    srv = _ServeProcess("[::1]:0", str(tmp_path_factory.mktemp("serve6")))
    assert srv.url.startswith("http://[::1]:")
    yield srv.url
    rc = srv.stop()
    assert rc == 0, f"sitecheck serve [::1] exited {rc}: {srv.stderr()}"


@pytest.fixture
def refused_url():
    """A loopback URL on a port nobody listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, body):
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append((self.command, self.path, headers))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self._answer(b"ok\n")

    def do_HEAD(self):
        self._answer(b"ok\n")

    def log_message(self, *args):
        pass


class Recorder:
    """A loopback HTTP server (in this process) that answers 200 and
    remembers each request as (method, path, lower-cased headers)."""

    def __init__(self, context=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     _RecordingHandler)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket,
                                                    server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def seen(self):
        return self.httpd.seen

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """(cert.pem, key.pem): a self-signed certificate for IP 127.0.0.1."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def tls_recorder(tls_cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tls_cert[0]), str(tls_cert[1]))
    rec = Recorder(ctx)
    yield rec
    rec.close()


# ------------------------------------- a simulated web with many listeners


class MultiServe(_ServeProcess):
    """`sitecheck serve ARGS...` with any number of --listen and --tls
    listeners; .urls holds the banner URLs in the order printed."""

    def __init__(self, args, workdir):
        self.args = [str(a) for a in args]
        self.count = sum(a in ("--listen", "--tls") for a in self.args)
        self.out_path = os.path.join(workdir, "serve.out")
        self.err_path = os.path.join(workdir, "serve.err")
        with open(self.out_path, "wb") as out, \
                open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([BIN, "serve", *self.args],
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        self.urls = self._wait_for_banners()
        self.url = self.urls[0]

    def _wait_for_banners(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").split("\n")[:-1]
            if len(lines) >= self.count:
                urls = []
                for line in lines:
                    m = re.fullmatch(r"listening on (https?://\S+:\d+)", line)
                    if not m:
                        self.stop()
                        raise RuntimeError(f"unexpected serve banner {line!r}")
                    urls.append(m.group(1))
                return urls
            if self.proc.poll() is not None:
                raise RuntimeError(f"sitecheck serve exited "
                                   f"{self.proc.returncode}: {self.stderr()}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"sitecheck serve printed no {self.count} banner "
                           f"lines within 10 s")


@pytest.fixture(scope="session")
def serve_with(tmp_path_factory, _binary_exists):
    """serve_with(*args) starts `sitecheck serve *args` (several --listen /
    --tls allowed) and returns its MultiServe; every one started is stopped
    at the end of the session and must exit 0 on SIGTERM."""
    started = []

    def start(*args):
        srv = MultiServe(args, str(tmp_path_factory.mktemp("serve-multi")))
        started.append(srv)
        return srv

    yield start
    for srv in started:
        rc = srv.stop()
        assert rc == 0, f"sitecheck serve {srv.args} exited {rc}: " \
                        f"{srv.stderr()}"


def ipv6_loopback_available():
    """True if [::1] can be bound (IPv6 tests skip otherwise)."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False
