"""The progress line on a terminal (stderr on a pseudo-terminal), in every
model: when it shows, what it says (the total, the percentage, the
failures, why jobs wait), that it never outgrows the terminal, and the
line an interrupted run adds after the summary.

The raw bytes written to the terminal are split on CR, LF and the
erase-line sequence; every piece must be a well-formed progress line no
wider than the terminal (less one column) or one of sitecheck's own
lines. Assertions are on content, never on timings: each run is long
enough for a few 200 ms ticks even on a loaded machine, and a test that
waits for a line waits for its content, with a deadline.
"""

import fcntl
import http.server
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time

import pytest

from conftest import BIN, RUN_TIMEOUT, concurrency_args, model_args, run, \
    serve_in_thread

NUM = r"\d{1,3}(?:,\d{3})*"
DUR = r"(?:\d+(?:\.\d)? s|\d+m\d\ds|\d+h\d\dm)"
REASON = (rf"(?: for the per-host limit of {NUM}"
          rf"| for the per-host rate of [\d.]+/s"
          rf"| for the rate of [\d.]+/s"
          rf"| for a free slot of {NUM}"
          rf"| \((?:per-host|host rate|rate|slots)\))")
PROGRESS_RE = re.compile(
    rf"{NUM}/(?:{NUM}|\?)(?: done)?(?: \(\d+%\))?"
    rf"(?:, ETA {DUR})?"
    rf"(?:, {NUM} failed)?"
    rf"(?:, {NUM} running(?:, (?:{NUM}|the next) waiting{REASON}?)?)?"
    rf"(?:, (?:\d+\.\d|{NUM}) URLs/s)?"
    rf"(?:, {DUR})?")
OWN_LINES = ("checked ", "interrupted by ", "sitecheck: ")
SUMMARY_RE = re.compile(r"checked (\d+) URLs in [0-9.]+ seconds "
                        r"\([0-9.]+ URLs/s\)")


class PtyRun:
    """sitecheck with stderr on a pseudo-terminal of cols columns (stdout
    a pipe); a thread collects what the terminal gets."""

    def __init__(self, args, cols, stdin=subprocess.DEVNULL):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", 24, cols, 0, 0))
        self.cols = cols
        self.proc = subprocess.Popen([BIN, *[str(a) for a in args]],
                                     stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=slave)
        os.close(slave)
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every end of the terminal is closed
                return
            if not data:
                return
            with self.lock:
                self.raw += data

    def text(self):
        with self.lock:
            return bytes(self.raw).decode("ascii", "replace")

    def wait_for(self, pattern, timeout=RUN_TIMEOUT):
        """Waits until a progress line matches pattern (a regex searched
        in each); returns that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in progress_lines(self.text()):
                if re.search(pattern, line):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.kill()
        pytest.fail(f"no progress line matching {pattern!r}: "
                    f"{self.text()!r}")

    def finish(self, timeout=RUN_TIMEOUT):
        """Waits for the exit; returns (rc, stdout, what the terminal
        got)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"sitecheck did not end: {self.text()!r}")
        out = self.proc.stdout.read().decode()
        self.proc.stdout.close()
        self.reader.join(10)
        os.close(self.master)
        return rc, out, self.text()


def pieces(text):
    return [p for p in re.split(r"\r|\n|\x1b\[K", text) if p]


# The lines after the summary that give the OK/not-OK counts and list
# the results that are not OK (a status or class, then the URL).
AFTER_SUMMARY_RE = re.compile(r"\d+ OK, \d+ not OK.*|(?:\d{3}|[a-z_]+) {2,}\S.*")


def is_own(piece):
    plain = re.sub(r"\x1b\[[0-9;]*m", "", piece)  # colour on a terminal
    return piece.startswith(OWN_LINES) or bool(AFTER_SUMMARY_RE.fullmatch(plain))


def progress_lines(text):
    return [p for p in pieces(text) if not is_own(p)]


def check_terminal(text, cols):
    """Every piece is a whole progress line within cols - 1 columns, or one
    of sitecheck's lines; returns the progress lines."""
    lines = progress_lines(text)
    for line in lines:
        assert PROGRESS_RE.fullmatch(line), f"not a progress line: {line!r}"
        assert len(line) <= cols - 1, f"{len(line)} columns: {line!r}"
    return lines


def own_lines(text):
    """sitecheck's whole lines on the terminal, in order, but for the
    counts and the failure list after the summary (test_failures.py)."""
    return [p for p in pieces(text) if p.startswith(OWN_LINES)]


def write_list(path, urls):
    path.write_text("".join(u + "\n" for u in urls))
    return path


def slow_args(model, n):
    return [*model_args(model), *concurrency_args(model, n)]


# ------------------------------------------------------------ when it shows


def test_line_on_a_terminal_not_on_a_pipe(model, base, tmp_path):
    listing = write_list(tmp_path / "l.txt",
                         [f"{base}/delay/400?{i}" for i in range(4)])
    args = [*slow_args(model, 2), "--per-host", "0", listing]
    p = PtyRun(args, 120)
    rc, out, text = p.finish()
    assert rc == 0, text
    assert out == '{"200": 4}\n'
    lines = check_terminal(text, 120)
    assert any(line.startswith(("0/4 done", "1/4 done", "2/4 done",
                                "3/4 done")) for line in lines), text
    assert own_lines(text) == [SUMMARY_RE.search(text).group(0)], text
    # The line is cleared before the summary: what follows the last erase
    # is the summary and the lines after it, nothing of the line.
    assert text.rsplit("\x1b[K", 1)[-1].lstrip("\r").startswith("checked ")

    res = run(*args)
    assert res.rc == 0 and res.out == '{"200": 4}\n'
    assert "\r" not in res.err and "\x1b" not in res.err, res.err
    assert SUMMARY_RE.fullmatch(res.err.split("\n")[0]), res.err

    res = run(*args, "--progress")
    assert res.rc == 0 and res.out == '{"200": 4}\n'
    assert "\x1b[K" in res.err and progress_lines(res.err), res.err

    p = PtyRun([*args, "--no-progress"], 120)
    rc, out, text = p.finish()
    assert rc == 0 and out == '{"200": 4}\n'
    assert "\x1b" not in text and not progress_lines(text), text


# ----------------------------------------------------------- what it says


def test_total_percentage_and_interrupted_line(model, base, tmp_path):
    # More lines than the scheduler reads ahead: the total can only come
    # from the count in the background. Ten quick ones give a rate.
    n = 6000
    urls = [f"{base}/?{i}" for i in range(10)] + \
           [f"{base}/delay/20000?{i}" for i in range(n - 10)]
    listing = write_list(tmp_path / "l.txt", urls)
    p = PtyRun([*slow_args(model, 4), "--per-host", "0", "--retries", "0",
                listing], 120)
    line = p.wait_for(r"^10/6,000 done \(0%\), ETA ")
    assert ", 0 failed, " in line, line
    p.proc.send_signal(signal.SIGINT)
    rc, out, text = p.finish()
    assert rc == 130, text
    check_terminal(text, 120)
    lines = own_lines(text)
    assert len(lines) == 2, text
    done = int(SUMMARY_RE.fullmatch(lines[0]).group(1))
    assert done >= 10
    assert lines[1] == f"interrupted by SIGINT: {n - done} of {n} URLs " \
                       f"unchecked", text


def test_stdin_total_unknown_and_interrupted_line(model, base):
    r, w = os.pipe()
    try:
        p = PtyRun([*slow_args(model, 4), "--per-host", "0", "-"], 120,
                   stdin=r)
        os.write(w, f"{base}/?quick\n{base}/delay/20000\n".encode())
        p.wait_for(r"^[01]/\? done, 0 failed, ")
        p.proc.send_signal(signal.SIGINT)
        rc, out, text = p.finish()
    finally:
        os.close(r)
        os.close(w)
    assert rc == 130, text
    check_terminal(text, 120)
    assert own_lines(text)[1:] == [
        "interrupted by SIGINT: the rest of the input went unchecked"], text


def test_failures_are_counted(model, base, refused_url, tmp_path):
    listing = write_list(tmp_path / "l.txt", [
        f"{base}/status/404", f"{base}/status/500", refused_url, "not a url",
        f"{base}/status/204", f"{base}/delay/1500"])
    p = PtyRun([*slow_args(model, 8), "--per-host", "0", "--retries", "0",
                listing], 120)
    p.wait_for(r"^5/6 done \(83%\), ETA [^,]+, 4 failed, 1 running, ")
    rc, out, text = p.finish()
    assert rc == 0, text
    lines = check_terminal(text, 120)
    counts = [int(m.group(1)) for x in lines
              for m in [re.search(r", (\d+) failed", x)] if m]
    assert counts and max(counts) == 4, text


@pytest.mark.parametrize("cols", [40, 120])
def test_never_wider_than_the_terminal(model, base, tmp_path, cols):
    # One host, one check at a time for it: the rest wait for the
    # per-host limit, the longest line there is.
    listing = write_list(tmp_path / "l.txt",
                         [f"{base}/delay/300?{i}" for i in range(7)])
    p = PtyRun([*slow_args(model, 4), "--per-host", "1", listing], cols)
    rc, out, text = p.finish()
    assert rc == 0, text
    assert out == '{"200": 7}\n'
    lines = check_terminal(text, cols)
    assert lines, text
    if cols == 120 and not model.startswith("serial"):
        # (serial reads the next line only once its one check is done:
        # nothing is ever queued)
        assert any(re.search(rf", 1 running, [1-6] waiting for the per-host "
                             rf"limit of 1, ", x) for x in lines), text
    else:
        assert any(re.match(r"\d/7 ", x) for x in lines), text


def test_warning_mid_run_goes_around_the_line(model):
    """A warning printed while the line is shown (the crawl's robots.txt
    answers 503, after a second, in the parent in every model) clears
    the line, stands on a line of its own, and the line is drawn again
    right after it."""
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path == "/robots.txt":
                time.sleep(1.0)  # a few ticks of the line first
                status, body = 503, b"down\n"
            else:
                status, body = 200, b'<html><a href="/a">a</a></html>\n'
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = serve_in_thread(Handler)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        p = PtyRun([*slow_args(model, 4), "--retries", "0", "--crawl",
                    url + "/"], 120)
        rc, out, text = p.finish()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert rc == 0, text
    # (the crawl's own lines follow the summary)
    check_terminal(text[:text.index("checked ")], 120)
    warning = (f"sitecheck: warning: {url}/robots.txt could not be read "
               f"(server error): no page of the site is read")
    assert text.count(warning) == 1, text
    at = text.index(warning)
    assert text[:at].endswith("\r\x1b[K"), f"glued to the line: {text!r}"
    rest = text[at + len(warning):]
    assert rest.startswith("\r\n"), text  # the terminal's CR LF for LF
    redrawn = re.match(r"[^\r\n\x1b]*", rest[2:]).group(0)
    assert PROGRESS_RE.fullmatch(redrawn), f"not drawn again: {text!r}"


def test_interrupted_line_without_the_progress_line(model, base, tmp_path):
    """Not on a terminal: the interrupted line still follows the summary
    (the file's lines are counted once interrupted); -q drops it with
    the summary."""
    listing = write_list(tmp_path / "l.txt",
                         [f"{base}/delay/20000?{i}" for i in range(20)])
    for quiet in ([], ["-q"]):
        p = subprocess.Popen([BIN, *slow_args(model, 4), "--per-host", "0",
                              *quiet, str(listing)],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        assert p.returncode == 130, err
        err = err.decode()
        if quiet:
            assert err == "", err
        else:
            assert re.fullmatch(
                r"checked 0 URLs in [0-9.]+ seconds \([0-9.]+ URLs/s\)\n"
                r"0 OK, 0 not OK\n"
                r"interrupted by SIGINT: 20 of 20 URLs unchecked\n", err), err
