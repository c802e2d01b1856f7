"""Which URLs failed, and why: the lines after the summary on stderr
(counts, the failure list, --show all|none, its cap), -q, colour, what
counts as OK (--accept, --fail-on not-ok), the records' input and ok
fields, a closed pipe (exit 141), hostile text on stderr and --report,
in every model."""

import csv
import io
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import (BIN, CLASSES, SUMMARY_RE, concurrency_args,
                      model_args, parse_jsonl, run, with_defaults)

ESC = "\x1b"
LABEL = r"(\d{3}|" + "|".join(CLASSES) + r")"


def after_summary(err):
    """The stderr lines after the summary line (which must be there)."""
    lines = err.split("\n")
    i = next(i for i, line in enumerate(lines) if SUMMARY_RE.fullmatch(line))
    assert lines[-1] == "", err
    return lines[i + 1:-1]


def listed(lines):
    """(label, url, where, reason) of each list line, "" for no reason."""
    out = []
    for line in lines:
        m = re.fullmatch(LABEL + r" +(\S+)  (\S+:\d+)(?:  (.*))?", line)
        assert m, f"not a list line: {line!r}"
        out.append((m.group(1), m.group(2), m.group(3), m.group(4) or ""))
    return out


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


# -------------------------------------------------------- the failure list


def test_failures_are_listed_after_the_summary(model, base, tmp_path):
    """The first failing line completes last; the list is still in line
    order, each with its status or class, URL, FILE:LINE and reason."""
    lst = write(tmp_path / "list.txt", [
        f"{base}/delay/600/status/404", f"{base}/", f"{base}/status/500",
        "not a url", f"{base}/redirect/2", f"{base}/status/503"])
    res = run(*model_args(model), "--retries", "0",
              "--fail-on", "4xx,5xx,error", lst)
    assert res.rc == 1, res.err
    assert res.out == ('{"200": 2, "404": 1, "500": 1, "503": 1, '
                       '"invalid_url": 1}\n')
    # The contract's line stays the first on stderr.
    first, _, _ = res.err.partition("\n")
    assert SUMMARY_RE.fullmatch(first), res.err
    lines = after_summary(res.err)
    assert lines[0] == ("2 OK, 4 not OK (404: 1, 500: 1, 503: 1, "
                        "invalid_url: 1)"), lines
    # Labels are padded to the widest one listed.
    assert lines[1:3] == [
        f"{'404':11}  {base}/delay/600/status/404  {lst}:1  Not Found",
        f"{'500':11}  {base}/status/500  {lst}:3  Internal Server Error"]
    assert re.fullmatch(f"invalid_url  not a url  {re.escape(str(lst))}:4"
                        r"  \S.*", lines[3]), lines
    assert lines[4:] == [
        f"{'503':11}  {base}/status/503  {lst}:6  Service Unavailable"]


def test_list_orders_by_input_then_line(model, base, tmp_path):
    """Two files and stdin: the list follows the command line's order of
    inputs, then lines, whatever the completion order."""
    a = write(tmp_path / "a.txt", [f"{base}/delay/500/status/410",
                                   f"{base}/status/404"])
    b = write(tmp_path / "b.txt", ["# comment", f"{base}/status/500"])
    res = run(*model_args(model), "--retries", "0", b, "-", a,
              input=f"{base}/delay/300/status/403\n")
    assert res.rc == 0, res.err
    got = [(lab, where) for lab, _, where, _ in
           listed(after_summary(res.err)[1:])]
    assert got == [("500", f"{b}:2"), ("403", "stdin:1"),
                   ("410", f"{a}:1"), ("404", f"{a}:2")], res.err


def test_list_is_capped_in_input_order(model, base, tmp_path):
    """--show-max N keeps the first N by line, though the early lines
    complete last; the rest are counted, and where to find them said."""
    lines = [f"{base}/delay/{400 - 40 * i}/status/404?{i}" for i in range(8)]
    lst = write(tmp_path / "l.txt", lines)
    out = tmp_path / "r.jsonl"
    res = run(*model_args(model), *concurrency_args(model, 8),
              "--show-max", "3", "-o", out, lst)
    assert res.rc == 0, res.err
    after = after_summary(res.err)
    assert after[0] == "0 OK, 8 not OK (404: 8)"
    assert [u for _, u, _, _ in listed(after[1:4])] == lines[:3]
    assert after[4:] == [f"\u2026 and 5 more: all of them are in {out}"]
    # Without -o: how to keep them all; with -o -: where they are.
    res = run(*model_args(model), "--show-max", "1", lst)
    assert after_summary(res.err)[2:] == \
        ["\u2026 and 7 more: use -o FILE to keep them all"]
    res = run(*model_args(model), "--show-max", "0", "-o", "-", lst)
    assert after_summary(res.err) == [
        "0 OK, 8 not OK (404: 8)",
        "\u2026 and 8 more: all of them are in the records on stdout"]


def test_show_all_streams_every_result(model, base):
    text = f"{base}/\n{base}/status/404\nnot a url\n"
    res = run(*model_args(model), "--show", "all", input=text)
    assert res.rc == 0, res.err
    lines = res.err.split("\n")
    i = next(i for i, line in enumerate(lines) if SUMMARY_RE.fullmatch(line))
    # One line per result as it completes, before the summary.
    streamed = sorted(lines[:i])
    assert len(streamed) == 3, res.err
    assert streamed[0].startswith("200  " + base + "/  stdin:1  OK")
    assert streamed[1].startswith("404  " + base + "/status/404  stdin:2")
    assert streamed[2].startswith("invalid_url  not a url  stdin:3  ")
    # After the summary, the counts only: the list was streamed.
    assert lines[i + 1:] == ["1 OK, 2 not OK (404: 1, invalid_url: 1)", ""]


def test_show_none_keeps_the_counts(model, base):
    res = run(*model_args(model), "--show", "none",
              input=f"{base}/status/404\n{base}/\n")
    assert res.rc == 0
    assert after_summary(res.err) == ["1 OK, 1 not OK (404: 1)"]


@pytest.mark.parametrize("extra", [[], ["--fail-on", "404"], ["-o", "-"]],
                         ids=["plain", "fail-on", "records-on-stdout"])
def test_quiet_leaves_stderr_empty(model, base, extra):
    res = run(*model_args(model), "-q", *extra,
              input=f"{base}/status/404\nnot a url\n")
    assert res.err == "", res.err
    assert res.rc == (1 if extra[:1] == ["--fail-on"] else 0)
    if extra[:1] == ["-o"]:
        assert len(parse_jsonl(res.out_bytes)) == 2  # no tally with -q
    else:
        assert res.out == '{"404": 1, "invalid_url": 1}\n'


def test_quiet_with_explicit_show(model, base):
    """-q drops the summary and counts; an explicit --show still lists."""
    res = run(*model_args(model), "-q", "--show", "failures",
              input=f"{base}/status/404\n")
    assert res.err == f"404  {base}/status/404  stdin:1  Not Found\n"


# ------------------------------------------------------------------ colour


def run_on_pty(args, text, env=None):
    """Runs sitecheck with stderr on a pseudo-terminal; returns (rc,
    stdout, what the terminal got)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, *with_defaults(args)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    p.stdin.write(text.encode())
    p.stdin.close()
    got = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            got += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    out = p.stdout.read()
    p.stdout.close()
    return p.wait(10), out, got.decode("utf-8", "replace")


def test_colour_only_on_a_terminal_or_when_asked(model, base):
    text = f"{base}/status/404\nnot a url\n"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    # A pipe: no colour, unless --color always.
    res = run(*model_args(model), input=text)
    assert ESC not in res.err
    res = run(*model_args(model), "--color", "always", input=text)
    assert f"{ESC}[33m404{ESC}[0m          {base}/status/404" in res.err, \
        res.err
    assert f"{ESC}[31minvalid_url{ESC}[0m  not a url" in res.err, res.err
    # Only the labels: the summary and counts lines have none.
    for line in res.err.split("\n")[:2]:
        assert ESC not in line, line
    # A terminal: colour by default, none with NO_COLOR or --color never.
    args = [*model_args(model), "--no-progress"]
    rc, _, tty = run_on_pty(args, text, env)
    assert rc == 0 and f"{ESC}[33m404{ESC}[0m" in tty, tty
    rc, _, tty = run_on_pty(args, text, dict(env, NO_COLOR="1"))
    assert rc == 0 and "404" in tty and ESC not in tty, tty
    rc, _, tty = run_on_pty([*args, "--color", "never"], text, env)
    assert rc == 0 and "404" in tty and ESC not in tty, tty


def test_lines_clear_the_progress_line(model, base, tmp_path):
    """With a progress line up, each streamed line is written whole after
    clearing it: no line is broken by a progress draw."""
    urls = [f"{base}/delay/{20 * (i % 10)}/status/{404 if i % 2 else 200}"
            f"?{i}" for i in range(40)]
    lst = write(tmp_path / "l.txt", urls)
    res = run(*model_args(model), *concurrency_args(model, 4), "--progress",
              "--show", "all", lst)
    assert res.rc == 0, res.err
    assert "\r\x1b[K" in res.err
    seen = set()
    for raw in res.err.split("\n"):
        line = raw.rpartition("\x1b[K")[2]
        m = re.fullmatch(r"(200|404)  (\S+)  (\S+):(\d+)  (OK|Not Found)",
                         line)
        if m:
            assert m.group(2) == urls[int(m.group(4)) - 1], line
            seen.add(int(m.group(4)))
    assert seen == set(range(1, 41)), res.err


# ------------------------------------------------------------- what is OK


def test_accept_decides_ok_not_the_exit_status(model, base):
    text = f"{base}/\n{base}/status/404\n{base}/status/500\n"
    res = run(*model_args(model), "--retries", "0", "--accept", "200,404",
              "-o", "-", input=text)
    assert res.rc == 0, res.err
    ok = {r["status"]: r["ok"] for r in parse_jsonl(res.out_bytes)}
    assert ok == {200: True, 404: True, 500: False}
    assert after_summary(res.err)[:2] == [
        "2 OK, 1 not OK (500: 1)",
        f"500  {base}/status/500  stdin:3  Internal Server Error"]
    # not-ok follows --accept; the other items do not.
    res = run(*model_args(model), "--retries", "0", "--accept", "200-499",
              "--fail-on", "not-ok", input=text)
    assert res.rc == 1
    res = run(*model_args(model), "--retries", "0", "--accept", "2xx,404,500",
              "--fail-on", "not-ok", input=text)
    assert res.rc == 0, res.err
    res = run(*model_args(model), "--accept", "404", "--fail-on", "404",
              input=f"{base}/status/404\n")
    assert res.rc == 1


def test_default_accept_and_no_follow(model, base):
    text = f"{base}/redirect/1\n{base}/status/204\n{base}/status/404\n"
    res = run(*model_args(model), "-o", "-", input=text)
    ok = {r["url"][len(base):]: (r["status"], r["ok"])
          for r in parse_jsonl(res.out_bytes)}
    assert ok == {"/redirect/1": (200, True), "/status/204": (204, True),
                  "/status/404": (404, False)}, ok
    # --no-follow: the redirect itself is the answer, and OK.
    res = run(*model_args(model), "--no-follow", "--fail-on", "not-ok",
              "-o", "-", input=text)
    assert res.rc == 1, res.err
    ok = {r["url"][len(base):]: (r["status"], r["ok"])
          for r in parse_jsonl(res.out_bytes)}
    assert ok == {"/redirect/1": (302, True), "/status/204": (204, True),
                  "/status/404": (404, False)}, ok
    # A failure class is never OK, whatever --accept says.
    res = run(*model_args(model), "--accept", "100-999", "--fail-on",
              "not-ok", "-o", "-", input="not a url\n")
    assert res.rc == 1 and parse_jsonl(res.out_bytes)[0]["ok"] is False


@pytest.mark.parametrize("bad", ["20", "abc", "299-200", "200-", "not-ok"])
def test_bad_accept_is_a_usage_error(bad):
    res = run("--accept", bad, input="")
    assert res.rc == 2 and res.err.startswith(
        f"sitecheck: unknown --accept item '{bad}'"), res.err


# ----------------------------------------------------------- new fields

NEW_FIELDS = ["duplicate_of", "input", "ok", "tried_url", "location"]


def test_records_name_their_input_and_ok(model, base, tmp_path):
    lst = write(tmp_path / "l.txt", [f"{base}/", f"{base}/status/404"])
    res = run(*model_args(model), "-o", "-", lst, "-",
              input=f"{base}/status/201\n")
    recs = sorted(parse_jsonl(res.out_bytes), key=lambda r: r["status"])
    assert [(r["input"], r["line"], r["ok"]) for r in recs] == [
        (str(lst), 1, True), ("-", 1, True), (str(lst), 2, False)]
    for r in recs:
        keys = list(r)
        assert keys[keys.index("duplicate_of"):][:5] == NEW_FIELDS, keys
        assert r["tried_url"] == r["url"] + ("/" if r["url"] == base else "")
        assert r["location"] is None
    res = run(*model_args(model), "-o", "-", "--format", "csv", lst)
    rows = list(csv.reader(io.StringIO(res.out_bytes.decode(), newline="")))
    head = rows[0]
    assert head[head.index("duplicate_of"):][:5] == NEW_FIELDS, head
    by_line = {int(r[1]): dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_line[1]["input"] == str(lst) and by_line[1]["ok"] == "true"
    assert by_line[2]["ok"] == "false"
    assert by_line[2]["tried_url"] == f"{base}/status/404"


def test_tried_url_and_location(model, base, tmp_path):
    """tried_url is the URL requested for the line (https:// added to a
    line without a scheme), null for a line that is not a URL; location is
    where an unfollowed redirect pointed."""
    host = base.split("//", 1)[1]
    lst = write(tmp_path / "l.txt", [f"{base}/redirect/2", f"http://{host}",
                                     "not a url"])
    res = run(*model_args(model), "--no-follow", "-o", "-", lst)
    by_line = {r["line"]: r for r in parse_jsonl(res.out_bytes)}
    assert by_line[1]["status"] == 302
    assert by_line[1]["tried_url"] == f"{base}/redirect/2"
    assert by_line[1]["location"] == "/redirect/1"
    assert by_line[2]["tried_url"] == f"http://{host}/"
    assert by_line[2]["location"] is None
    assert by_line[3]["tried_url"] is None and by_line[3]["location"] is None
    res = run(*model_args(model), "-o", "-", lst)
    by_line = {r["line"]: r for r in parse_jsonl(res.out_bytes)}
    assert by_line[1]["status"] == 200 and by_line[1]["location"] is None


def test_dedup_repeats_keep_their_input(model, base, tmp_path):
    lst = write(tmp_path / "l.txt", [f"{base}/status/404"] * 3)
    res = run(*model_args(model), "--dedup", "-o", "-", lst)
    recs = parse_jsonl(res.out_bytes)
    assert sorted((r["input"], r["line"], r["ok"]) for r in recs) == \
        [(str(lst), n, False) for n in (1, 2, 3)]
    assert [w for _, _, w, _ in listed(after_summary(res.err)[1:])] == \
        [f"{lst}:{n}" for n in (1, 2, 3)]


# ------------------------------------------------------------ closed pipe


def test_closed_pipe_exits_141_quietly(model, base, tmp_path):
    """`sitecheck -o - list | head -3`: once the reader is gone, sitecheck
    stops, prints nothing more and exits 128 + SIGPIPE."""
    lst = write(tmp_path / "l.txt", [f"{base}/?{i}" for i in range(3000)])
    p = subprocess.Popen(
        [BIN, *with_defaults([*model_args(model), "-o", "-", str(lst)])],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-3"], stdin=p.stdout,
                            stdout=subprocess.PIPE)
    p.stdout.close()  # head is the only reader
    out = head.communicate(timeout=30)[0]
    assert len(out.splitlines()) == 3
    assert p.wait(30) == 141
    assert p.stderr.read() == b""


def test_closed_stdout_before_the_tally_exits_141(model, base):
    p = subprocess.Popen([BIN, *with_defaults([*model_args(model)])],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()
    _, err = p.communicate(f"{base}/status/404\n".encode(), timeout=30)
    assert p.returncode == 141 and err == b"", err


# ------------------------------------------------------------ hostile text


def test_hostile_text_never_reaches_stderr_raw(model, base):
    """A list line and a detail (libcurl quoting a proxy URL) full of
    escapes: on stderr they are \\xNN, and the password is masked."""
    lines = [f"{base}/status/404?\x1b[2J\x1b]0;pwned\x07",
             "http://x/\x1b[31m\u202e\u2028", f"{base}/\xa0\x9b"]
    for extra in ([], ["--show", "all"], ["--color", "always"]):
        res = run(*model_args(model), *extra, input="\n".join(lines) + "\n")
        raw = res.err.replace(f"{ESC}[31m", "").replace(f"{ESC}[33m", "") \
            .replace(f"{ESC}[32m", "").replace(f"{ESC}[0m", "")
        for bad in (ESC, "\x07", "\x9b", "\u202e", "\u2028"):
            assert bad not in raw, (bad, res.err)
        assert "?\\x1b[2J\\x1b]0;pwned\\x07" in res.err
        assert "http://x/\\x1b[31m\\xe2\\x80\\xae\\xe2\\x80\\xa8" in res.err
    proxy = "foo://carol:pw3cret@127.0.0.1:9/\x1b[2J"
    res = run(*model_args(model), "-x", proxy, "--retries", "0",
              input=f"{base}/\n")
    assert "pw3cret" not in res.err and ESC not in res.err, res.err
    assert "foo://carol:***@127.0.0.1:9/\\x1b[2J" in res.err, res.err


# ------------------------------------------------------------ the report


def test_report_during_the_run(model, base, tmp_path):
    from test_report import assert_safe
    lines = [f"{base}/", f"{base}/status/404", f"{base}/status/500",
             "not a url", f"http://u:hunter2@127.0.0.1:1/"]
    lst = write(tmp_path / "l.txt", lines)
    html, recs = tmp_path / "r.html", tmp_path / "r.jsonl"
    res = run(*model_args(model), "--retries", "0", "--report", html,
              "-H", "X-Key: s3cret-header", "-o", recs, lst)
    assert res.rc == 0, res.err
    text = html.read_text("utf-8")
    page = assert_safe(text)
    # The same failures as `sitecheck report` finds in the records.
    shown = sorted(cells[1] for _, cells in page.rows)
    assert shown == sorted([f"{base}/status/404", f"{base}/status/500",
                            "not a url", "http://u:***@127.0.0.1:1/"])
    again = tmp_path / "again.html"
    p = subprocess.run([BIN, "report", "-o", str(again), str(recs)],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert sorted(c[1] for _, c in Page_rows(again)) == shown
    assert re.search(r"<b>5</b>records", text)
    assert "hunter2" not in text and "s3cret-header" not in text
    assert "--header &#39;X-Key: ***&#39;" in text, text[:3000]
    # Unwritable: a usage error before any request.
    res = run(*model_args(model), "--report", tmp_path / "no" / "r.html",
              input=f"{base}/\n")
    assert res.rc == 2 and res.err.startswith("sitecheck: cannot write"), \
        res.err
    assert res.out == ""


def Page_rows(path):
    from test_report import Page
    return Page(path.read_text("utf-8")).rows


def test_report_is_written_on_interrupt(model, base, tmp_path):
    from test_report import Page
    lines = [f"{base}/status/404?{i}" for i in range(3)] + \
            [f"{base}/delay/20000?{i}" for i in range(20)]
    lst = write(tmp_path / "l.txt", lines)
    html = tmp_path / "r.html"
    p = subprocess.Popen(
        [BIN, *with_defaults([*model_args(model),
                              *concurrency_args(model, 8), "--report",
                              str(html), str(lst)])],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 130, err
    page = Page(html.read_text("utf-8"))
    assert sorted(c[1] for _, c in page.rows) == lines[:3]


def test_quiet_hides_progress_on_a_terminal(model, base):
    env = dict(os.environ, TERM="xterm")
    text = f"{base}/delay/700\n"
    rc, out, tty = run_on_pty([*model_args(model), "-q"], text, env)
    assert rc == 0 and out == b'{"200": 1}\n' and tty == "", tty
    rc, out, tty = run_on_pty([*model_args(model), "-q", "--progress"], text,
                              env)
    assert rc == 0 and "1 running" in tty, tty
    assert "checked" not in tty
