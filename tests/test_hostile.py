"""Hostile and unusual servers, beyond what test_server_behaviours.py
covers, in every model:

- bodies: an endless body costs little (bytes the server could send, peak
  memory), and trouble after a complete head (a body cut off before its
  first byte, a broken chunked body, a body that never comes) keeps the
  status;
- heads: endless header lines stay within the time limit and bounded
  memory; a header line over libcurl's limit is `protocol`; heads real servers send (HTTP/1.0, no reason phrase, bare LF line
  ends, unusual codes, 1xx before the final status) give the final status;
- redirects: to another host (127.0.0.2) and across address families,
  never off http(s) (checked by a listener that must see no connection),
  loops of every shape;
- network: refused IPv6 ports, redirects to refused ports, .invalid names
  in every spelling, IPv6 literals;
- records: header values with terminal escapes, C1 and bidi controls, and
  spreadsheet formulas reach JSON Lines and CSV harmless; passwords in URLs
  (the list's, a redirect's, a proxy's in libcurl's message) are masked;
  -H values are printed nowhere.

Peak memory is taken from /proc/PID/status VmHWM of sitecheck and every
process it forks (the process model's workers), polled while it runs."""

import base64
import csv
import http.client
import http.server
import io
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import (BIN, SLOW_FACTOR, check_one, ipv6_loopback_available,
                      model_args, parse_jsonl, run, serve_in_thread,
                      vm_hwm_kb)

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def hosts(serve_with):
    """(http://127.0.0.1:P1, http://127.0.0.2:P2): one simulated web on two
    loopback addresses, so a redirect can go to a different host."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound")
    srv = serve_with("--listen", "127.0.0.1:0", "--listen", "127.0.0.2:0")
    one, two = srv.urls
    assert one.startswith("http://127.0.0.1:"), srv.urls
    assert two.startswith("http://127.0.0.2:"), srv.urls
    return one, two


def q(url):
    """url as the value of /redirect-to?url=."""
    return urllib.parse.quote(url, safe="")


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def body_bytes_sent(base):
    """The simulated web's /stats counter: filler body bytes it has queued
    for /bytes (and /slowbody, /badbody) since it started."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    try:
        conn.request("GET", "/stats")
        body = conn.getresponse().read()
    finally:
        conn.close()
    m = re.fullmatch(rb"body_bytes (\d+)\n", body)
    assert m, body
    return int(m.group(1))


# ------------------------------------------------------- measured runs


def _process_tree(root):
    """root and every descendant pid, from /proc/*/stat."""
    parent = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        parent[int(name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def run_measured(model, tmp_path, url, *args, timeout=30):
    """Checks url with `sitecheck -o FILE args`, polling the peak RSS of it
    and of every process it forks. Returns (record, elapsed, peak_kb)."""
    out = tmp_path / f"measured-{time.monotonic_ns()}.jsonl"
    argv = [BIN, *model_args(model), *[str(a) for a in args], "-o", str(out)]
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(url.encode() + b"\n")
    p.stdin.close()
    peak = 0
    while True:
        for pid in _process_tree(p.pid):
            peak = max(peak, vm_hwm_kb(pid))
        if p.poll() is not None:
            break
        if time.monotonic() - start > timeout:
            p.kill()
            p.wait()
            pytest.fail(f"sitecheck did not exit within {timeout} s")
        time.sleep(0.01)
    elapsed = time.monotonic() - start
    err = p.stderr.read().decode("utf-8", "replace")
    p.stdout.close()
    p.stderr.close()
    assert p.returncode == 0, (p.returncode, err)
    records = parse_jsonl(out.read_bytes())
    assert len(records) == 1, records
    return records[0], elapsed, peak


@pytest.fixture
def baseline_kb(model, tmp_path, hosts):
    """Peak RSS (KiB) of checking a plain 200 in this model."""
    rec, _, peak = run_measured(model, tmp_path, hosts[0] + "/")
    assert rec["status"] == 200, rec
    return peak


def rss_bound(baseline_kb):
    """Peak RSS (KiB) a hostile check may reach: 32 MiB over a plain one
    (at least 16 MiB, as polling may miss a very short run's peak). A
    client that kept a flood of headers or a 10^10-byte body would need
    far more."""
    return max(baseline_kb, 16 * 1024) + 32 * 1024


def ok(rec, status=200):
    return rec["status"] == status and rec["error"] is None


def failed(rec, cls):
    return (rec["error"] == cls and rec["status"] is None
            and isinstance(rec["detail"], str) and rec["detail"].strip())


# -------------------------------------------------------------- bodies


def test_endless_body_is_neither_read_nor_buffered(model, tmp_path, hosts,
                                                   baseline_kb):
    """A 10^10-byte body: the status at once, and the server could only
    queue what the socket buffers hold before sitecheck hung up."""
    before = body_bytes_sent(hosts[0])
    rec, elapsed, peak = run_measured(model, tmp_path,
                                      hosts[0] + "/bytes/10000000000",
                                      "-t", "10")
    time.sleep(0.2)  # let the server see the close
    sent = body_bytes_sent(hosts[0]) - before
    assert ok(rec), rec
    assert elapsed < 1.5 * SLOW_FACTOR, f"took {elapsed:.2f} s"
    assert sent < 64 * MIB, f"server queued {sent / MIB:.0f} MiB of the body"
    assert peak < rss_bound(baseline_kb), \
        f"peak RSS {peak} KiB vs {baseline_kb} KiB for a plain 200"


# path, extra args, expected status, max wall seconds
AFTER_HEAD = [
    ("/shortbody", [], 200, 3),             # FIN before the first body byte
    ("/status/404/shortbody", [], 404, 3),
    ("/badchunk", [], 200, 3),              # chunk size "zz"
    ("/status/410/badchunk", [], 410, 3),
    ("/stallbody", ["-t", "1.5"], 200, 6),  # the body never starts
]


@pytest.mark.parametrize("path,args,status,limit", AFTER_HEAD,
                         ids=[a[0] for a in AFTER_HEAD])
def test_trouble_after_the_head_keeps_the_status(sc, hosts, path, args,
                                                 status, limit):
    rec, res = check_one(sc, hosts[0] + path, *args)
    assert ok(rec, status), rec
    assert rec["final_url"] == hosts[0] + path, rec
    assert res.elapsed < limit, f"took {res.elapsed:.2f} s"


# --------------------------------------------------------------- heads


def test_endless_headers_bounded_time_and_memory(model, tmp_path, hosts,
                                                 baseline_kb):
    rec, elapsed, peak = run_measured(model, tmp_path,
                                      hosts[0] + "/headers-flood", "-t", "2")
    assert rec["error"] in ("timeout", "protocol"), rec
    assert failed(rec, rec["error"]), rec
    # -t per attempt; at most one retry (the default) and its backoff.
    assert elapsed < 2 * 2 + 3, f"took {elapsed:.2f} s"
    assert peak < rss_bound(baseline_kb), \
        f"peak RSS {peak} KiB vs {baseline_kb} KiB for a plain 200"


class _BigHeadHandler(http.server.BaseHTTPRequestHandler):
    """Answers with a 200 KB header line (/line) or a 200 KB status line
    (/status): more than libcurl takes in one line of a head."""
    protocol_version = "HTTP/1.1"

    def _answer(self):
        big = b"a" * 200_000
        if self.path.startswith("/status"):
            head = b"HTTP/1.1 200 OK" + big + b"\r\n"
        else:
            head = b"HTTP/1.1 200 OK\r\nX-Big: " + big + b"\r\n"
        try:
            self.wfile.write(head + b"Content-Length: 3\r\n\r\nok\n")
        except OSError:
            pass  # the client gave up at its limit
        self.close_connection = True

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def big_head():
    httpd = serve_in_thread(_BigHeadHandler)
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("path", ["/line", "/status"])
@pytest.mark.parametrize("args", [[], ["-X", "HEAD"]], ids=["get", "head"])
def test_oversized_head_is_protocol(sc, big_head, path, args):
    """A head line over libcurl's limit is the server's protocol fault (not
    `other`, "Out of memory"), and not worth a retry."""
    rec, _ = check_one(sc, big_head + path, *args)
    assert failed(rec, "protocol"), rec
    assert "response head too large" in rec["detail"], rec
    assert rec["attempts"] == 1, rec


# path, extra args, expected final status
REAL_HEADS = [
    ("/status/299", [], 299),
    ("/status/599", [], 599),
    ("/status/999", [], 999),
    ("/noreason", [], 200),                 # "HTTP/1.1 200" and nothing else
    ("/noreason/status/404", [], 404),
    ("/noreason/status/299", [], 299),
    ("/lf", [], 200),                       # LF instead of CRLF throughout
    ("/lf/status/404", [], 404),
    ("/lf/http10", [], 200),
    ("/http10/noreason", [], 200),
    ("/http10/status/299", [], 299),
    ("/info100/status/299", [], 299),       # 100 and 103 first
    ("/info100/http10", [], 200),
    ("/info100/lf", [], 200),
    ("/info100/noreason/status/204", [], 204),
    ("/info100/status/404", [], 404),
    ("/info100/redirect/2", [], 200),
    ("/info100/redirect/2", ["--no-follow"], 302),
    ("/info100", ["-X", "HEAD"], 200),
    ("/lf", ["-X", "HEAD"], 200),
    ("/noreason/status/299", ["-X", "HEAD"], 299),
]


@pytest.mark.parametrize("path,args,status", REAL_HEADS,
                         ids=[f"{h[0]}{' ' + ' '.join(h[1]) if h[1] else ''}"
                              for h in REAL_HEADS])
def test_real_world_heads_give_their_final_status(sc, hosts, path, args,
                                                  status):
    rec, res = check_one(sc, hosts[0] + path, *args)
    assert ok(rec, status), rec
    assert res.elapsed < 3, f"took {res.elapsed:.2f} s"
    if "/redirect/" in path and "--no-follow" not in args:
        assert rec["redirects"] == 2, rec
        assert rec["final_url"] == hosts[0] + "/info100/redirect/0", rec


# ----------------------------------------------------------- redirects


def test_redirect_to_another_host(sc, hosts):
    one, two = hosts
    rec, _ = check_one(sc, f"{one}/redirect-to?url={q(two + '/status/203')}")
    assert ok(rec, 203), rec
    assert rec["final_url"] == two + "/status/203", rec
    assert rec["redirects"] == 1 and rec["ip"] == "127.0.0.2", rec


def test_redirect_chain_on_another_host(sc, hosts):
    one, two = hosts
    rec, _ = check_one(sc, f"{one}/redirect-to?url={q(two + '/redirect/2')}")
    assert ok(rec), rec
    assert rec["final_url"] == two + "/redirect/0", rec
    assert rec["redirects"] == 3 and rec["ip"] == "127.0.0.2", rec


def test_redirect_there_and_back(sc, hosts):
    one, two = hosts
    back = f"{two}/redirect-to?url={q(one + '/status/201')}"
    rec, _ = check_one(sc, f"{one}/redirect-to?url={q(back)}")
    assert ok(rec, 201), rec
    assert rec["final_url"] == one + "/status/201", rec
    assert rec["redirects"] == 2 and rec["ip"] == "127.0.0.1", rec


def test_redirect_to_an_ipv6_host(sc, hosts, base6):
    rec, _ = check_one(sc, f"{hosts[0]}/redirect-to?url="
                           f"{q(base6 + '/status/203')}")
    assert ok(rec, 203), rec
    assert rec["final_url"] == base6 + "/status/203", rec
    assert rec["redirects"] == 1 and rec["ip"] == "::1", rec


@pytest.fixture
def trap():
    """A listener no check may ever reach: yields its port; fails the test
    if anything connected to it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.setblocking(False)
    yield s.getsockname()[1]
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        conn = None
    s.close()
    if conn is not None:
        conn.close()
        pytest.fail("a redirect off http(s) was followed: the trap was hit")


OFF_WEB = ["ftp://127.0.0.1:{trap}/x", "FTP://127.0.0.1:{trap}/x",
           "gopher://127.0.0.1:{trap}/", "dict://127.0.0.1:{trap}/d:x",
           "telnet://127.0.0.1:{trap}/", "file:///etc/passwd",
           "FILE:///etc/passwd", "file:/etc/passwd", "data:text/plain,hi",
           "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFF_WEB)
def test_off_web_redirect_is_never_followed(sc, hosts, trap, target):
    url = f"{hosts[0]}/redirect-to?url={q(target.format(trap=trap))}"
    rec, res = check_one(sc, url, "-t", "3")
    assert ok(rec, 302), rec
    assert rec["detail"], "the record should say the redirect was not followed"
    assert res.elapsed < 2.5, f"took {res.elapsed:.2f} s"


@pytest.mark.parametrize("target", ["file:///etc/passwd",
                                    "ftp://127.0.0.1:{trap}/x"])
def test_off_web_redirect_record_counts_no_redirect(sc, hosts, trap, target):
    """The 302 is the final answer: it came from the URL checked, and no
    redirect was followed (README: final_url "the URL that gave the final
    answer", redirects "redirects followed")."""
    url = f"{hosts[0]}/redirect-to?url={q(target.format(trap=trap))}"
    rec, _ = check_one(sc, url, "-t", "3")
    assert ok(rec, 302), rec
    assert rec["redirects"] == 0 and rec["final_url"] == url, rec


@pytest.mark.parametrize("code", [301, 303, 307, 308])
def test_off_web_redirect_keeps_its_code(sc, hosts, trap, code):
    url = (f"{hosts[0]}/status/{code}/redirect-to?"
           f"url={q(f'ftp://127.0.0.1:{trap}/x')}")
    rec, _ = check_one(sc, url, "-t", "3")
    assert ok(rec, code), rec
    assert rec["detail"], rec


def test_off_web_redirect_after_a_hop(sc, hosts, trap):
    one, two = hosts
    hop = f"{two}/redirect-to?url={q(f'ftp://127.0.0.1:{trap}/x')}"
    rec, _ = check_one(sc, f"{one}/redirect-to?url={q(hop)}", "-t", "3")
    assert ok(rec, 302), rec
    assert rec["ip"] == "127.0.0.2" and rec["detail"], rec
    assert rec["redirects"] == 1 and rec["final_url"] == hop, rec


@pytest.mark.parametrize("how", ["other-host", "head", "max-3", "max-0"])
def test_redirect_loops(sc, hosts, how):
    one, two = hosts
    url, args, most = {
        "other-host": (f"{one}/redirect-to?url={q(two + '/loop')}", [], 10),
        "head": (f"{one}/loop", ["-X", "HEAD"], 10),
        "max-3": (f"{one}/loop", ["--max-redirects", "3"], 3),
        "max-0": (f"{one}/redirect/1", ["--max-redirects", "0"], 0),
    }[how]
    rec, res = check_one(sc, url, *args)
    assert failed(rec, "too_many_redirects"), rec
    assert rec["redirects"] <= most, rec
    assert res.elapsed < 3, f"took {res.elapsed:.2f} s"


# ------------------------------------------------------------- network


def test_refused_ipv6_port_is_connect(sc):
    if not ipv6_loopback_available():
        pytest.skip("IPv6 loopback unavailable")
    port = free_port(socket.AF_INET6, "::1")
    rec, res = check_one(sc, f"http://[::1]:{port}/", "-t", "2")
    assert failed(rec, "connect"), rec
    assert res.elapsed < 3, f"took {res.elapsed:.2f} s"


def test_redirect_to_a_refused_port_is_connect(sc, hosts):
    target = f"http://127.0.0.1:{free_port()}/x"
    rec, res = check_one(sc, f"{hosts[0]}/redirect-to?url={q(target)}",
                         "-t", "2")
    assert rec["error"] == "connect" and rec["detail"], rec
    assert rec["redirects"] == 1 and rec["final_url"] == target, rec
    assert res.elapsed < 3, f"took {res.elapsed:.2f} s"


@pytest.mark.parametrize("host", ["NonExistent.INVALID", "a.b.c.example.invalid",
                                  "trailing-dot.invalid.", "invalid"])
def test_invalid_domain_in_any_spelling_is_dns(sc, host):
    # The --resolve pin sends a lookup that should never happen to a
    # refused loopback port (class connect) instead of to a DNS server.
    port = free_port()
    url = f"http://{host}:{port}/x"
    rec, res = check_one(sc, url, "-t", "2",
                         "--resolve", f"{host}:{port}:127.0.0.1")
    assert failed(rec, "dns"), rec
    assert rec["ip"] is None, rec
    assert res.elapsed < 2, f"took {res.elapsed:.2f} s"


def test_ipv6_literal_with_relative_redirects(sc, base6):
    rec, _ = check_one(sc, base6 + "/redirect/2")
    assert ok(rec), rec
    assert rec["final_url"] == base6 + "/redirect/0", rec
    assert rec["redirects"] == 2 and rec["ip"] == "::1", rec


def test_ipv6_literal_spelled_out(sc, base6):
    port = urllib.parse.urlsplit(base6).port
    rec, _ = check_one(sc, f"http://[0:0:0:0:0:0:0:1]:{port}/status/204")
    assert ok(rec, 204), rec
    assert rec["ip"] == "::1", rec


# ------------------------------------------- records a server cannot abuse

# Header values as a hostile server sends them, byte for byte: terminal
# escapes (colour, window title, clear screen), DEL, C1 CSI (U+009B),
# RIGHT-TO-LEFT OVERRIDE (U+202E), LINE SEPARATOR (U+2028).
EVIL_SERVER = b"evil\x1b[31mRED\x1b]0;pwned\x07\x1b[2J"
EVIL_CTYPE = b"text/html\x1b]0;x\x07\xc2\x9b2J\xe2\x80\xae\x7f\xe2\x80\xa8"
# path: (status line, header lines); {port} is the server's own port.
HOSTILE_REPLIES = {
    "/evil": (b"200 OK", [b"Server: " + EVIL_SERVER,
                          b"Content-Type: " + EVIL_CTYPE]),
    "/formula": (b"200 OK", [b"Server: =cmd|' /C calc'!A0",
                             b"Content-Type: @SUM(1+1)"]),
    "/minus": (b"200 OK", [b"Server: -2+3", b"Content-Type: +1"]),
    "/leak": (b"302 Found",
              [b"Location: http://bob:hunter2@127.0.0.1:{port}/ok"]),
    "/ok": (b"200 OK", []),
}


class _HostileHandler(http.server.BaseHTTPRequestHandler):
    """Answers each path of HOSTILE_REPLIES with exactly its header bytes,
    and remembers the request headers it was sent."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.seen.append(dict(self.headers.items()))
        status, lines = HOSTILE_REPLIES.get(self.path.split("?")[0],
                                            (b"404 Not Found", []))
        port = str(self.server.server_address[1]).encode()
        head = b"HTTP/1.1 " + status + b"\r\n" + b"".join(
            line.replace(b"{port}", port) + b"\r\n" for line in lines)
        self.wfile.write(head + b"Content-Length: 3\r\n"
                         b"Connection: close\r\n\r\nok\n")
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hostile():
    """http://127.0.0.1:PORT of a server that answers HOSTILE_REPLIES;
    .seen lists the headers of every request it got."""
    httpd = serve_in_thread(_HostileHandler)
    httpd.seen = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url_of(httpd, path):
    return f"http://127.0.0.1:{httpd.server_address[1]}{path}"


def run_both(model, lines, *args):
    """Runs the lines with `-o -` as JSON Lines and as CSV. Returns
    (records, csv_rows as dicts, jsonl Result, csv Result); both runs
    must exit 0 with one record per line."""
    text = "".join(line + "\n" for line in lines)
    j = run(*model_args(model), "-o", "-", *args, input=text)
    c = run(*model_args(model), "--format", "csv", "-o", "-", *args,
            input=text)
    assert j.rc == 0 and c.rc == 0, (j.err, c.err)
    records = sorted(parse_jsonl(j.out_bytes), key=lambda r: r["line"])
    rows = list(csv.DictReader(io.StringIO(c.out_bytes.decode("utf-8"),
                                           newline="")))
    rows.sort(key=lambda r: int(r["line"]))
    assert len(records) == len(rows) == len(lines), (records, rows)
    return records, rows, j, c


HIDDEN = [b"\x1b", b"\x07", b"\x7f", b"\xc2\x9b", b"\xe2\x80\xae"]
FFFD = "\ufffd"


def test_terminal_escapes_never_reach_the_records(model, hostile):
    """Server and Content-Type with escapes, and a list line with one (its
    invalid_url record's url): escaped in JSON, U+FFFD in CSV."""
    records, rows, j, c = run_both(model, [url_of(hostile, "/evil"),
                                           "http://x/\x1b[31m"])
    for raw in HIDDEN + [b"\xe2\x80\xa8"]:
        assert raw not in j.out_bytes, raw
    for esc in (rb"\u001b[31mRED\u001b]0;pwned\u0007\u001b[2J",
                rb"\u009b2J\u202e\u007f\u2028", rb'"http://x/\u001b[31m"'):
        assert esc in j.out_bytes, esc
    # JSON loses nothing: the values decode to what the server sent.
    assert records[0]["server"] == EVIL_SERVER.decode()
    assert records[0]["content_type"] == EVIL_CTYPE.decode()
    assert records[1]["url"] == "http://x/\x1b[31m"
    assert records[1]["error"] == "invalid_url"

    for raw in HIDDEN:
        assert raw not in c.out_bytes, raw
    assert not re.search(rb"[\x00-\x09\x0b-\x1f]", c.out_bytes), c.out_bytes
    assert rows[0]["server"] == f"evil{FFFD}[31mRED{FFFD}]0;pwned{FFFD}" \
                                f"{FFFD}[2J"
    assert rows[0]["content_type"] == \
        f"text/html{FFFD}]0;x{FFFD}{FFFD}2J{FFFD}{FFFD}\u2028"
    assert rows[1]["url"] == f"http://x/{FFFD}[31m"
    assert rows[0]["status"] == "200" and rows[1]["error"] == "invalid_url"


def test_csv_formulas_are_neutralised(model, hostile):
    """Text fields that start with = + - @ get a ' first (OWASP); numbers
    stay numbers; JSON keeps the text as it is."""
    formula_line = '=HYPERLINK("http://127.0.0.1:9/?"&A1,"x")'
    records, rows, _, c = run_both(model, [url_of(hostile, "/formula"),
                                           url_of(hostile, "/minus"),
                                           formula_line, "-1+1"])
    assert rows[0]["server"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["content_type"] == "'@SUM(1+1)"
    assert rows[1]["server"] == "'-2+3" and rows[1]["content_type"] == "'+1"
    assert rows[2]["url"] == "'" + formula_line
    assert rows[3]["url"] == "'-1+1"
    assert b"\"'=cmd|' /C calc'!A0\"," in c.out_bytes
    for row in rows:
        for col in ("line", "time_ms", "redirects", "attempts", "status",
                    "content_length", "dns_ms", "connect_ms", "ttfb_ms"):
            assert re.fullmatch(r"(-?\d+(\.\d)?)?", row[col]), (col, row)
    assert records[0]["server"] == "=cmd|' /C calc'!A0"
    assert records[1]["content_type"] == "+1"
    assert records[2]["url"] == formula_line


def test_passwords_in_urls_are_masked(model, hostile):
    """The list's password and the one a server puts in a redirect's
    Location are masked in url, final_url and chain; the query is not;
    the password was still used."""
    before = len(hostile.seen)
    url = url_of(hostile, "/leak?key=k1").replace("http://",
                                                  "http://alice:s3cret@")
    records, rows, j, c = run_both(model, [url])
    masked = url.replace("s3cret", "***")
    final = url_of(hostile, "/ok").replace("http://", "http://bob:***@")
    rec = records[0]
    assert rec["url"] == masked and rec["status"] == 200, rec
    assert rec["final_url"] == final, rec
    assert [h["url"] for h in rec["chain"]] == [masked, final], rec
    assert rows[0]["url"] == masked and rows[0]["final_url"] == final
    assert json.loads(rows[0]["chain"]) == rec["chain"]
    for res in (j, c):
        for secret in (b"s3cret", b"hunter2"):
            assert secret not in res.out_bytes
            assert secret.decode() not in res.err
    auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert auth in [h.get("Authorization") for h in hostile.seen[before:]]


def test_password_in_a_message_is_masked(model, hostile):
    """libcurl quotes the proxy URL in its message (detail): its password
    is masked, and its escape is escaped (JSON) or replaced (CSV)."""
    proxy = "foo://carol:pw3cret@127.0.0.1:9/\x1b[2J"
    records, rows, j, c = run_both(model, [url_of(hostile, "/ok")],
                                   "-x", proxy, "--retries", "0")
    masked = "foo://carol:***@127.0.0.1:9/"
    assert records[0]["error"] and masked + "\x1b[2J" in \
        records[0]["detail"], records
    assert masked + FFFD + "[2J" in rows[0]["detail"], rows
    for res in (j, c):
        assert b"pw3cret" not in res.out_bytes and "pw3cret" not in res.err
        assert b"\x1b" not in res.out_bytes


def test_header_values_are_never_printed(model, hostile, tmp_path,
                                         refused_url):
    """-H values are sent, and appear in no record, tally, summary or
    progress line: a check that succeeds, one refused, a redirect, an
    invalid line, a .invalid host."""
    secret = "X-Api-Key: supersecret-H-value"
    before = len(hostile.seen)
    lines = [url_of(hostile, "/ok"), url_of(hostile, "/leak"), refused_url,
             "http://[bad", "http://nothing.invalid/"]
    text = "".join(line + "\n" for line in lines)
    outs = []
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"records.{fmt}"
        res = run(*model_args(model), "-H", secret, "--format", fmt,
                  "--progress", "--retries", "0", "-o", out, input=text)
        assert res.rc == 0, res.err
        outs += [out.read_bytes(), res.out_bytes, res.err.encode()]
        res = run(*model_args(model), "-H", secret, "--format", fmt,
                  "--retries", "0", "-o", "-", input=text)
        assert res.rc == 0, res.err
        outs += [res.out_bytes, res.err.encode()]
    assert outs[0].count(b"\n") == len(lines), outs[0]
    for data in outs:
        assert b"supersecret" not in data, data
    sent = [h.get("X-Api-Key") for h in hostile.seen[before:]]
    assert sent and all(v == "supersecret-H-value" for v in sent), sent
