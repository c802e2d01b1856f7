"""Nothing lost, nothing hangs: signals, output faults, resource limits, a
worker killed mid-run, and big hostile inputs, in every model."""

import json
import os
import resource
import signal
import subprocess
import time

import pytest

from conftest import (BIN, concurrency_args, model_args, parse_jsonl,
                      tally_of, tally_text, vm_hwm_kb, with_defaults)


def spawn(model, args, stdin=subprocess.DEVNULL, preexec_fn=None):
    return subprocess.Popen([BIN, *with_defaults([*model_args(model), *args])],
                            stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=preexec_fn)


def wait4(proc, timeout):
    """Waits for proc, returning (rc, peak_rss_kb, stdout, stderr); the peak
    is the last VmHWM seen while polling every 10 ms (it only grows)."""
    deadline = time.monotonic() + timeout
    peak = 0
    while True:
        hwm = vm_hwm_kb(proc.pid)
        if hwm:
            peak = max(peak, hwm)
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("sitecheck did not exit in time")
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read(), proc.stderr.read()
    return proc.returncode, peak, out, err


# ---------------------------------------------------------------- signals


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130),
                                      (signal.SIGTERM, 143)])
def test_signal_stops_and_reports_what_completed(model, base, tmp_path, sig,
                                                  code):
    out = tmp_path / "r.jsonl"
    listing = tmp_path / "l.txt"
    # Quick URLs complete at once; slow ones are still in flight at the
    # signal; the rest of the list is never read.
    lines = [f"{base}/?{i}" for i in range(4)] + \
            [f"{base}/delay/20000?{i}" for i in range(200)]
    listing.write_text("\n".join(lines) + "\n")
    p = spawn(model, [*concurrency_args(model, 8), "-o", str(out),
                      str(listing)])
    time.sleep(1.0)
    sent = time.monotonic()
    p.send_signal(sig)
    rc, _, stdout, stderr = wait4(p, 10)
    took = time.monotonic() - sent
    assert rc == code, stderr
    assert took < 2.5, f"took {took:.2f} s to stop"
    records = parse_jsonl(out.read_bytes())
    assert len(records) >= 1
    assert all(r["status"] == 200 for r in records), records
    tally = json.loads(stdout)
    assert sum(tally.values()) == len(records)
    assert stdout.decode() == tally_text(tally_of(records))


def test_slow_producer_does_not_hold_up_checks_in_flight(model, base):
    # The first URL answers at once; the producer sends the second 1.5 s
    # later. Reading waits for it on its own thread, so the first check's
    # clock (and its record) does not include the producer's pause.
    p = spawn(model, ["-o", "-", "-"], stdin=subprocess.PIPE)
    p.stdin.write(f"{base}/?first\n".encode())
    p.stdin.flush()
    time.sleep(1.5)
    p.stdin.write(f"{base}/?second\n".encode())
    p.stdin.close()
    rc, _, stdout, stderr = wait4(p, 20)
    assert rc == 0, stderr
    records = [json.loads(line) for line in stdout.decode().splitlines()
               if line.startswith('{"url"')]
    by_url = {r["url"].split("?")[1]: r for r in records}
    assert set(by_url) == {"first", "second"}, records
    assert by_url["first"]["status"] == 200
    assert by_url["first"]["time_ms"] < 1000, by_url["first"]


def test_silent_pipe_still_stops_on_sigint(model):
    r, w = os.pipe()
    try:
        p = spawn(model, ["-"], stdin=r)
        time.sleep(0.5)
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        rc, _, stdout, stderr = wait4(p, 10)
        assert rc == 130, stderr
        assert time.monotonic() - sent < 2.5
        assert stdout == b"{}\n", stdout
    finally:
        os.close(r)
        os.close(w)


def test_second_sigint_exits_at_once(base, tmp_path):
    # The event model's first SIGINT waits for the next tick to stop; two
    # in a row must still end with 130 and no crash.
    listing = tmp_path / "l.txt"
    listing.write_text(f"{base}/delay/20000\n" * 50)
    p = spawn("event", [str(listing)])
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGINT)
    rc, _, _, err = wait4(p, 5)
    assert rc == 130, err


# ----------------------------------------------------------- output faults


def test_full_disk_is_an_error_not_a_crash(model, base):
    p = spawn(model, ["-o", "/dev/full"], stdin=subprocess.PIPE)
    p.stdin.write((f"{base}/\n" * 50).encode())
    p.stdin.close()
    rc, _, _, err = wait4(p, 20)
    assert rc == 2, err
    assert b"No space left on device" in err


def test_closed_pipe_stops_quietly_not_a_crash(model, base, tmp_path):
    """The reader of the records goes away mid-run: sitecheck stops and
    exits 141 (128 + SIGPIPE) without a word, as a shell filter does."""
    listing = tmp_path / "l.txt"
    listing.write_text("".join(f"{base}/delay/100?{i}\n" for i in range(400)))
    p = spawn(model, [*concurrency_args(model, 50), "-o", "-", str(listing)])
    p.stdout.readline()      # one record arrives...
    p.stdout.close()         # ...then the reader goes away
    deadline = time.monotonic() + 30
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert p.returncode is not None, "sitecheck hung on a closed pipe"
    err = p.stderr.read()
    assert p.returncode == 141, err
    assert err == b"", err


# ---------------------------------------------------------------- limits


def test_low_open_file_limit_still_checks_every_url(model, base, tmp_path):
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    listing = tmp_path / "l.txt"
    listing.write_text("".join(f"{base}/delay/20?{i}\n" for i in range(300)))
    out = tmp_path / "r.jsonl"
    p = spawn(model, [*concurrency_args(model, 1000), "-o", str(out),
                      str(listing)], preexec_fn=low_limit)
    rc, _, stdout, err = wait4(p, 60)
    assert rc == 0, err
    assert stdout == b'{"200": 300}\n'
    assert len(parse_jsonl(out.read_bytes())) == 300
    if not model.startswith("serial"):
        assert b"warning" in err and b"open-file limit" in err


def test_killed_worker_costs_only_its_url(base, tmp_path):
    listing = tmp_path / "l.txt"
    listing.write_text("".join(f"{base}/delay/1500?{i}\n" for i in range(6)))
    out = tmp_path / "r.jsonl"
    p = spawn("process", ["-c", "3", "-o", str(out), str(listing)])
    time.sleep(0.5)
    with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
        workers = [int(x) for x in f.read().split()]
    assert len(workers) == 3
    os.kill(workers[0], signal.SIGKILL)
    rc, _, stdout, err = wait4(p, 20)
    assert rc == 0, err
    records = parse_jsonl(out.read_bytes())
    assert sorted(r["line"] for r in records) == list(range(1, 7))
    died = [r for r in records if r["error"] == "other"]
    assert len(died) == 1, records
    assert "worker process died" in died[0]["detail"]
    assert json.loads(stdout) == {"200": 5, "other": 1}


# ------------------------------------------------------------ big inputs


def test_ten_thousand_mixed_lines(model, base, tmp_path):
    kinds = [f"{base}/", f"{base}/status/404", f"{base}/garbage",
             f"{base}/empty", "ftp://x/", "http://a b/", "bad\x00nul",
             "http://x.invalid/", f"{base}/redirect/1", "\xff\xfe\"\\"]
    expect = {"200": 2000, "404": 1000, "protocol": 2000,
              "invalid_url": 4000, "dns": 1000}
    data = b"".join((kinds[i % 10] + "\n").encode("utf-8", "surrogateescape")
                    if "\xff" not in kinds[i % 10] else b'\xff\xfe"\\\n'
                    for i in range(10000))
    listing = tmp_path / "l.txt"
    listing.write_bytes(b"# header comment\n\n" + data)
    out = tmp_path / "r.jsonl"
    # --retries 0: one try per line, so the serial model stays quick.
    p = spawn(model, [*concurrency_args(model, 100), "--retries", "0",
                      "-o", str(out), str(listing)])
    rc, _, stdout, err = wait4(p, 120)
    assert rc == 0, err
    records = parse_jsonl(out.read_bytes())
    assert len(records) == 10000
    assert sorted(r["line"] for r in records) == list(range(3, 10003))
    assert json.loads(stdout) == expect


def test_huge_line_without_newline_keeps_memory_bounded(base, tmp_path):
    listing = tmp_path / "l.txt"
    with open(listing, "wb") as f:
        f.write(f"{base}/\n".encode())
        chunk = b"x" * (1 << 20)
        for _ in range(100):            # 100 MB, no newline
            f.write(chunk)
    out = tmp_path / "r.jsonl"
    p = spawn("event", ["-o", str(out), str(listing)])
    rc, maxrss_kb, stdout, err = wait4(p, 60)
    assert rc == 0, err
    assert json.loads(stdout) == {"200": 1, "invalid_url": 1}
    assert maxrss_kb < 60 * 1024, f"peak RSS {maxrss_kb} KB"
    rec = [r for r in parse_jsonl(out.read_bytes()) if r["error"]][0]
    assert len(rec["url"]) == 8192 and "8192" in rec["detail"]


def _hosts_name_for_loopback():
    """A name /etc/hosts maps to 127.0.0.1 that libcurl does not answer by
    itself (so the threaded resolver runs, but no DNS server is asked)."""
    try:
        with open("/etc/hosts") as f:
            for line in f:
                fields = line.split("#")[0].split()
                if len(fields) >= 2 and fields[0] == "127.0.0.1":
                    for name in fields[1:]:
                        if "localhost" not in name:
                            return name
    except OSError:
        pass
    return None


def test_low_open_file_limit_with_name_lookups(base, tmp_path):
    name = _hosts_name_for_loopback()
    if not name:
        pytest.skip("no /etc/hosts name for 127.0.0.1 besides localhost")
    port = base.rsplit(":", 1)[1]

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    listing = tmp_path / "l.txt"
    listing.write_text("".join(f"http://{name}:{port}/delay/20?{i}\n"
                               for i in range(300)))
    p = spawn("event", ["-c", "1000", str(listing)], preexec_fn=low_limit)
    rc, _, stdout, err = wait4(p, 60)
    assert rc == 0, err
    assert stdout == b'{"200": 300}\n', err


@pytest.mark.parametrize("resolver", ["cares", "curl"])
def test_low_open_file_limit_with_reuse_and_many_hosts(model, base, tmp_path,
                                                       resolver):
    # With a per-host limit connections are kept for reuse; over many
    # distinct hosts those idle connections must not eat the descriptors
    # the next checks need, with either resolver.
    # Hosts come back (each twice), so connections are worth keeping.
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    port = base.rsplit(":", 1)[1]
    listing = tmp_path / "l.txt"
    listing.write_text("".join(f"http://h{i % 150}.localhost:{port}/delay/20"
                               f"?{i}\n" for i in range(300)))
    p = spawn(model, [*concurrency_args(model, 1000), "--per-host", "8",
                      "--resolver", resolver, str(listing)],
              preexec_fn=low_limit)
    rc, _, stdout, err = wait4(p, 60)
    assert rc == 0, err
    assert stdout == b'{"200": 300}\n', err
