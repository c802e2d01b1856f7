"""The process model: records as whole as the other models give them,
workers started only as jobs need them, and a run that ends even when no
worker can be started."""

import http.server
import json
import os
import resource
import subprocess
import time

import pytest

from conftest import (BIN, KNOWN_MODELS, model_args, parse_jsonl,
                      serve_in_thread, with_defaults)

LONG_PATH = "/p/" + "a" * 20000  # a 20 KB URL


class _LongHandler(http.server.BaseHTTPRequestHandler):
    """/long redirects to a 20 KB path, which answers 200."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.paths.append(self.path)
        if self.path == "/long":
            self.send_response(302)
            self.send_header("Location", LONG_PATH)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def long_web():
    httpd = serve_in_thread(_LongHandler)
    httpd.paths = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def run_model(model, args, stdin):
    argv = [BIN, *with_defaults([*model_args(model), "-o", "-", *args])]
    p = subprocess.run(argv, input=stdin.encode(), capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return parse_jsonl(p.stdout)


def test_long_urls_and_chains_are_whole_in_every_model(base, long_web):
    # A 20 KB final URL (more than an input line may hold, so reached by a
    # redirect), and a chain of 100 responses of 2 KB URLs: every model
    # must give the same strings, whole.
    port = long_web.server_address[1]
    web = f"http://127.0.0.1:{port}"
    tail = "delay/0/" * 250
    lines = [f"{web}/long", f"{base}/redirect/99/{tail}"]
    fields = ("url", "status", "error", "final_url", "redirects", "chain")
    seen = {}
    for model in KNOWN_MODELS:
        recs = run_model(model, ["--max-redirects", "100"],
                         "\n".join(lines) + "\n")
        recs.sort(key=lambda r: r["line"])
        seen[model] = [{f: r[f] for f in fields} for r in recs]
    long_final, chained = seen["event"]
    assert long_final["status"] == 200, long_final
    assert long_final["final_url"] == web + LONG_PATH
    assert long_final["redirects"] == 1
    assert chained["status"] == 200 and chained["redirects"] == 99, chained
    assert len(chained["chain"]) == 100
    assert chained["final_url"] == f"{base}/redirect/0/{tail}"
    for model in KNOWN_MODELS:
        assert seen[model] == seen["event"], model
    assert long_web.paths.count(LONG_PATH) == len(KNOWN_MODELS)


# ------------------------------------------------------- starting workers


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def tcp_socket_inodes():
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                inodes.update(line.split()[9] for line in f)
        except OSError:
            pass
    return inodes


@pytest.mark.parametrize("urls", [1, 10])
def test_workers_start_only_as_jobs_need_them(base, urls):
    listing = "".join(f"{base}/delay/1500?{i}\n" for i in range(urls))
    p = subprocess.Popen([BIN, *with_defaults(["-m", "process", "-c", "400"])],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(listing.encode())
        p.stdin.close()
        time.sleep(0.8)  # every check is in flight, none has finished
        workers = children(p.pid)
        tasks = os.listdir(f"/proc/{p.pid}/task")
        fds = [os.readlink(f"/proc/{p.pid}/fd/{fd}")
               for fd in os.listdir(f"/proc/{p.pid}/fd")]
        tcp = tcp_socket_inodes()
        assert p.wait(timeout=20) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert len(workers) == urls, workers
    # The parent never checks: one thread (no resolver or reader thread)
    # and no TCP connection of its own, only its workers' socket pairs.
    assert len(tasks) == 1, tasks
    sockets = [f[len("socket:["):-1] for f in fds if f.startswith("socket:")]
    assert len(sockets) == urls, fds
    assert not tcp.intersection(sockets), fds
    assert p.stdout.read() == f'{{"200": {urls}}}\n'.encode()


def with_process_limit(n):
    """A preexec_fn that allows the user n processes. Root is exempt from
    RLIMIT_NPROC, so as root the run becomes nobody's, who has no other
    process (the list comes on stdin and records go to stdout, so nobody
    needs no file of ours)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    return limit


def nobody_processes():
    p = subprocess.run(["ps", "-u", "65534", "--no-headers"],
                       capture_output=True, timeout=10)
    return len(p.stdout.splitlines())


def run_limited(base, n, urls):
    listing = "".join(f"{base}/delay/200?{i}\n" for i in range(urls))
    # An ASan build's leak check runs in a process of its own at exit,
    # which the limit would not allow either.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(
        filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    start = time.monotonic()
    p = subprocess.run([BIN, *with_defaults(["-m", "process", "-c", "8",
                                             "-o", "-"])],
                       input=listing.encode(), capture_output=True, env=env,
                       preexec_fn=with_process_limit(n), timeout=30)
    assert p.returncode == 0, p.stderr
    return parse_jsonl(p.stdout), p.stderr.decode(), time.monotonic() - start


def test_no_worker_can_start_every_line_still_gets_a_record(base):
    # The run's own process is the only one allowed (beside the user's
    # other processes, e.g. a web server's workers): every fork fails.
    records, err, elapsed = run_limited(base, 1 + nobody_processes(), 12)
    assert sorted(r["line"] for r in records) == list(range(1, 13))
    for r in records:
        assert r["error"] == "other", r
        assert "worker process could not be started" in r["detail"], r
    assert err.count("cannot start a worker process") == 1, err
    assert elapsed < 10


@pytest.mark.skipif(os.geteuid() != 0,
                    reason="needs a user with no other process (root)")
def test_workers_that_cannot_start_leave_their_jobs_to_the_others(base):
    # The run's process and two workers; the third fork fails, and its
    # job waits for the two instead.
    records, err, elapsed = run_limited(base, 3 + nobody_processes(), 12)
    assert sorted(r["line"] for r in records) == list(range(1, 13))
    assert all(r["status"] == 200 for r in records), records
    assert "cannot start more than 2 worker processes" in err, err
    assert elapsed < 10
