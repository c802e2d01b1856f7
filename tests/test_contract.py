"""The input/output contract: line handling, records, tally, summary line,
output formats, --fail-on and concurrency, in every model."""

import csv
import io
import selectors
import socket
import subprocess
import time

import pytest

from conftest import (BIN, CLASSES, RUN_TIMEOUT, SLOW_FACTOR, SUMMARY_RE,
                      assert_record_shape, concurrency_args, key_of,
                      model_args, parse_jsonl, tally_of, tally_text)


def test_tally_format_and_order(sc, base, refused_url):
    urls = [base + "/status/500", "ftp://ftp.invalid/x", base + "/",
            "http://nonexistent.invalid/", base + "/hang",
            base + "/status/404", base + "/loop", refused_url,
            base + "/garbage", base + "/", base + "/status/201"]
    res = sc("-t", "1", input="\n".join(urls) + "\n")
    assert res.rc == 0, res.err
    assert res.out == ('{"200": 2, "201": 1, "404": 1, "500": 1, '
                       '"connect": 1, "dns": 1, "invalid_url": 1, '
                       '"protocol": 1, "timeout": 1, '
                       '"too_many_redirects": 1}\n')
    assert tally_of(res.records) == res.tally


def test_summary_line(sc, base):
    res = sc(input=f"{base}/\n{base}/status/404\n# not counted\n{base}/\n")
    assert res.rc == 0
    m = SUMMARY_RE.search(res.err)
    assert m, f"no summary line in {res.err!r}"
    assert int(m.group(1)) == 3


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_quiet_suppresses_summary(sc, base, flag):
    res = sc(flag, input=f"{base}/\n")
    assert res.rc == 0
    assert res.err == "", res.err
    assert res.out == '{"200": 1}\n'


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n   \n\t# comments\n"],
                         ids=["empty", "blank", "comments"])
def test_empty_input_gives_empty_tally(sc, text):
    res = sc(input=text)
    assert res.rc == 0, res.err
    assert res.out == "{}\n"
    assert res.records == []
    m = SUMMARY_RE.search(res.err)
    assert m and m.group(1) == "0", res.err


def test_without_output_stdout_is_only_the_tally(sc, base):
    res = sc(input=f"{base}/\n", records=False)
    assert res.out == '{"200": 1}\n'


def test_hostile_input_one_record_per_line(sc, base):
    lines = [
        b"\xef\xbb\xbf" + f"{base}/".encode(),       # 1 BOM
        b"",                                           # 2 blank
        b"   \t ",                                     # 3 blank
        b"# a comment",                                # 4
        b"   # an indented comment",                   # 5
        f"  {base}/status/404  \r".encode(),           # 6 CRLF, padded
        b"\r",                                         # 7 CRLF blank
        f"{base}/".encode(),                           # 8 duplicate of 1
        b"ftp://ftp.invalid/x",                        # 9 bad scheme
        b"http://space.invalid/a b",                   # 10 space inside
        b"http://nul.invalid/a\x00b",                  # 11 NUL byte
        b"http://bad\xff\xfeutf8.invalid/",            # 12 invalid UTF-8
        b"http://long.invalid/" + b"a" * 9000,         # 13 > 8192 bytes
        b"http://",                                    # 14 no host
        b"nonexistent.invalid",                        # 15 no scheme
        f"{base}/#fragment".encode(),                  # 16 not a comment
        f"{base}/status/201".encode(),                 # 17 no final newline
    ]
    res = sc("-t", "2", input=b"\n".join(lines))
    assert res.rc == 0, res.err
    for rec in res.records:
        assert_record_shape(rec)
    got = {}
    for rec in res.records:
        assert rec["line"] not in got, f"two records for line {rec['line']}"
        got[rec["line"]] = rec
    assert sorted(got) == [1, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]

    def expect(line, key, url=None):
        rec = got[line]
        assert key_of(rec) == key, rec
        if url is not None:
            assert rec["url"] == url, rec

    expect(1, "200", f"{base}/")
    expect(6, "404", f"{base}/status/404")
    expect(8, "200", f"{base}/")
    expect(9, "invalid_url", "ftp://ftp.invalid/x")
    expect(10, "invalid_url", "http://space.invalid/a b")
    expect(11, "invalid_url")
    assert got[12]["error"] in ("invalid_url", "dns"), got[12]
    assert got[12]["url"].startswith("http://bad"), got[12]
    assert got[12]["url"].endswith("utf8.invalid/"), got[12]
    expect(13, "invalid_url")
    expect(14, "invalid_url", "http://")
    expect(15, "dns", "nonexistent.invalid")
    expect(16, "200", f"{base}/#fragment")
    expect(17, "201", f"{base}/status/201")
    for line in (9, 10, 11, 13, 14):
        assert got[line]["status"] is None, got[line]
        assert got[line]["redirects"] == 0, got[line]
    assert res.out == tally_text(tally_of(res.records))
    assert sum(res.tally.values()) == 12
    m = SUMMARY_RE.search(res.err)
    assert m and m.group(1) == "12", res.err


def test_record_fields_of_a_success(sc, base):
    res = sc(input=f"{base}/\n")
    assert len(res.records) == 1
    rec = res.records[0]
    assert_record_shape(rec)
    assert rec["url"] == f"{base}/" and rec["line"] == 1
    assert rec["status"] == 200 and rec["error"] is None
    assert rec["final_url"] == f"{base}/"
    assert rec["redirects"] == 0
    assert rec["ip"] == "127.0.0.1"


def test_missing_scheme_gets_https(sc, tls_recorder):
    # Only a TLS server answers 200 to a line without a scheme.
    line = f"127.0.0.1:{tls_recorder.port}/s"
    res = sc("-k", "-t", "5", input=line + "\n")
    assert res.rc == 0, res.err
    [rec] = res.records
    assert rec["url"] == line, rec
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert rec["final_url"] == f"https://{line}", rec
    assert [s[:2] for s in tls_recorder.seen] == [("GET", "/s")]


@pytest.mark.parametrize("how", ["implicit", "dash"])
def test_stdin_input(sc, base, how):
    args = ["-"] if how == "dash" else []
    res = sc(*args, input=f"# c\n{base}/status/202\n")
    assert res.rc == 0, res.err
    assert res.out == '{"202": 1}\n'
    assert [(r["line"], r["status"]) for r in res.records] == [(2, 202)]


def test_multiple_files_and_stdin(sc, base, tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text(f"{base}/status/201\n{base}/status/202\n")
    b.write_text(f"# first line is a comment\n{base}/status/203\n")
    res = sc(a, "-", b, input=f"\n\n\n{base}/status/204\n")
    assert res.rc == 0, res.err
    got = sorted((r["status"], r["line"], r["url"]) for r in res.records)
    assert got == [(201, 1, f"{base}/status/201"),
                   (202, 2, f"{base}/status/202"),
                   (203, 2, f"{base}/status/203"),
                   (204, 4, f"{base}/status/204")]
    assert res.out == '{"201": 1, "202": 1, "203": 1, "204": 1}\n'


def test_output_dash_puts_records_on_stdout(sc, base):
    res = sc("-o", "-", input=f"{base}/\n{base}/status/404\n", records=False)
    assert res.rc == 0, res.err
    records = parse_jsonl(res.out_bytes)
    assert sorted(r["status"] for r in records) == [200, 404]
    for rec in records:
        assert_record_shape(rec)
    tallies = [line for line in res.err.splitlines() if line.startswith("{")]
    assert tallies == ['{"200": 1, "404": 1}'], res.err
    assert SUMMARY_RE.search(res.err), res.err


def test_csv_output(sc, base, tmp_path):
    out = tmp_path / "out.csv"
    odd = 'http://odd.invalid/a,"b"'
    res = sc("--format", "csv", "-o", out, records=False,
             input=f"{base}/status/404\nftp://ftp.invalid/\n{odd}\n")
    assert res.rc == 0, res.err
    text = out.read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # The core columns come first, in this order; the richer ones follow.
    assert rows[0][:9] == ["url", "line", "status", "error", "detail",
                           "time_ms", "final_url", "redirects", "ip"]
    width = len(rows[0])
    assert len(rows) == 4 and all(len(r) == width for r in rows), rows
    by_line = {int(r[1]): dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_line[1]["url"] == f"{base}/status/404"
    assert by_line[1]["status"] == "404"
    assert by_line[1]["error"] not in CLASSES
    assert by_line[1]["ip"] == "127.0.0.1"
    float(by_line[1]["time_ms"])
    assert by_line[2]["error"] == "invalid_url"
    assert by_line[2]["redirects"] == "0"
    assert by_line[3]["url"] == odd
    assert by_line[3]["error"] in ("invalid_url", "dns")
    counts = {}
    for row in by_line.values():
        key = row["error"] or row["status"]
        counts[key] = counts.get(key, 0) + 1
    assert res.out == tally_text(counts)


def test_failures_alone_still_exit_0(sc, refused_url):
    res = sc(input=f"{refused_url}\nftp://ftp.invalid/\n")
    assert res.rc == 0, res.err
    assert res.out == '{"connect": 1, "invalid_url": 1}\n'


# urls (paths on the simulated web, or "REFUSED"), --fail-on list, exit code
FAIL_ON = [
    (["/status/404"], "404", 1),
    (["/status/404"], "500", 0),
    (["/", "/status/404"], "4xx", 1),
    (["/status/503"], "4xx", 0),
    (["/status/503"], "5xx", 1),
    (["/hang"], "timeout", 1),
    (["/garbage"], "timeout", 0),
    (["REFUSED"], "error", 1),
    (["/status/404", "/status/500"], "error", 0),
    (["/", "/status/500"], "404,5xx", 1),
    (["/"], "404,5xx,error", 0),
]


@pytest.mark.parametrize("paths,items,rc", FAIL_ON,
                         ids=[f"{'+'.join(p)}:{i}" for p, i, _ in FAIL_ON])
def test_fail_on(sc, base, refused_url, paths, items, rc):
    urls = [refused_url if p == "REFUSED" else base + p for p in paths]
    res = sc("-t", "1", "--fail-on", items,
             input="".join(u + "\n" for u in urls))
    assert res.rc == rc, f"rc={res.rc}, records={res.records}"
    assert sum(res.tally.values()) == len(urls), "the run must complete"


@pytest.mark.parametrize("flag", ["--progress", "--no-progress"])
def test_progress_stays_off_stdout(sc, base, flag):
    res = sc(flag, input=f"{base}/\n{base}/delay/200\n")
    assert res.rc == 0, res.err
    assert res.out == '{"200": 2}\n'


def test_thousand_urls_at_high_concurrency(sc, base, model):
    if model.startswith("serial"):
        pytest.skip("the serial model checks one URL at a time")
    res = sc("-q", *concurrency_args(model, 1000), "-t", "8",
             input=f"{base}/delay/200\n" * 1000, timeout=40)
    assert res.rc == 0, res.err
    assert res.out == '{"200": 1000}\n'
    assert sorted(r["line"] for r in res.records) == list(range(1, 1001))
    assert res.elapsed < 8 * SLOW_FACTOR, f"took {res.elapsed:.2f} s"


def test_concurrency_bound(sc, base, model):
    # 6 checks of 400 ms each at -c 2 (in total, whatever --loops) need at
    # least 3 rounds; serial (which takes no -c) needs 6.
    res = sc(*concurrency_args(model, 2), input=f"{base}/delay/400\n" * 6)
    assert res.out == '{"200": 6}\n', res.err
    least = 2.3 if model.startswith("serial") else 1.1
    assert res.elapsed >= least, f"ran more at once: {res.elapsed:.2f} s"
    if not model.startswith("serial"):
        res = sc("-c", "6", input=f"{base}/delay/400\n" * 6)
        assert res.out == '{"200": 6}\n'
        assert res.elapsed < 1.1, f"-c 6 ran serially: {res.elapsed:.2f} s"


def _first_request_count(n, args):
    """Runs sitecheck on n URLs of a loopback server, all in flight at once,
    and returns how many connections the server had when the first request
    arrived: the checks started before any request left."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4096)
    lsock.setblocking(False)
    port = lsock.getsockname()[1]
    lines = "".join(f"http://127.0.0.1:{port}/p{i}\n" for i in range(n))
    p = subprocess.Popen([BIN, "-q", "--per-host", "0", *args, "-c", str(n)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    conns, at_first, answered = [], None, 0

    def accept_all():
        while True:
            try:
                c, _ = lsock.accept()
            except BlockingIOError:
                return
            c.setblocking(False)
            conns.append(c)
            sel.register(c, selectors.EVENT_READ)

    try:
        p.stdin.write(lines.encode())
        p.stdin.close()
        p.stdin = None
        deadline = time.monotonic() + RUN_TIMEOUT
        while answered < n and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.05):
                if key.fileobj is lsock:
                    accept_all()
                    continue
                c = key.fileobj
                try:
                    data = c.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(c)
                    continue
                if at_first is None:
                    accept_all()  # every connect made so far
                    at_first = len(conns)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
                sel.unregister(c)
                c.close()
                answered += 1
        out, err = p.communicate(timeout=RUN_TIMEOUT)
    finally:
        p.kill()
        sel.close()
        for c in conns:
            c.close()
        lsock.close()
    assert p.returncode == 0, err
    assert out == b'{"200": %d}\n' % n, out
    return at_first


def test_first_requests_leave_before_the_last_checks_start(model):
    # An event loop adds at most 64 checks in flight a round (beyond the
    # slots the round freed) and sends the requests of connected sockets
    # in between (engine_event.c, START_MORE_PER_ROUND). Starting all
    # 1,000 at once made every request wait until the last connect: the
    # server then had all 1,000 (one loop), or at least a loop's 500,
    # before the first request came; a check's "connect" then read 725 ms
    # at -c 10000 on loopback. Now 64-108.
    if not model.startswith("event"):
        pytest.skip("the event loop's rounds")
    n = 1000
    at_first = _first_request_count(n, model_args(model))
    assert at_first <= n // 4, at_first
