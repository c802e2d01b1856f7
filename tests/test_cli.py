"""Command line: help, version, usage errors and bad input/output paths.

These are about option parsing, so they run once, not per model. Every
error case feeds a URL of a local recording server on stdin and asserts
that no request reached it: errors are detected before any request."""

import filecmp
import os
import re
import subprocess

import pytest

from conftest import ROOT, run


def assert_usage_error(res, recorder=None):
    assert res.rc == 2, f"rc={res.rc} stderr={res.err!r}"
    assert res.out == "", f"stdout must be empty, got {res.out!r}"
    lines = res.err.strip("\n").split("\n")
    assert len(lines) == 1, f"want a one-line message, got {res.err!r}"
    assert lines[0].startswith("sitecheck: "), res.err
    if recorder is not None:
        assert recorder.seen == [], "a request was sent before the error"


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_prints_usage_on_stdout(flag):
    res = run(flag)
    assert res.rc == 0, res.err
    assert "usage" in res.out.lower(), res.out
    for option in ("--concurrency", "--timeout", "--fail-on", "--model"):
        assert option in res.out, f"{option} missing from help"


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag):
    res = run(flag)
    assert res.rc == 0, res.err
    assert re.match(r"sitecheck \d+\.\d+\.\d+", res.out), res.out


def version_file():
    """The version as the file VERSION, its one source, holds it."""
    with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
        return f.read().strip()


def test_version_agrees_with_version_file_and_man_page():
    res = run("--version")
    m = re.match(r"sitecheck (\S+) \(libcurl ", res.out)
    assert res.rc == 0 and m, res.out
    assert m.group(1) == version_file(), res.out
    with open(os.path.join(ROOT, "sitecheck.1"), encoding="utf-8") as f:
        th = next(line for line in f if line.startswith(".TH "))
    man = re.match(r'\.TH SITECHECK 1 "[^"]*" "sitecheck ([^"]+)"', th)
    assert man, th
    assert man.group(1) == m.group(1), \
        f"sitecheck.1 says {man.group(1)}, sitecheck --version {m.group(1)}"


def test_default_user_agent_carries_the_version(recorder):
    res = run(input=f"http://127.0.0.1:{recorder.port}/ua\n")
    assert res.rc == 0, res.err
    _, _, headers = recorder.seen[-1]
    assert headers.get("user-agent") == f"sitecheck/{version_file()}", headers


# make install may have to build ./sitecheck first.
@pytest.mark.timeout(300)
@pytest.mark.parametrize("prefix", [None, "/opt/sc"])
def test_make_install_and_uninstall(prefix, tmp_path):
    dest = tmp_path / "stage"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFIX", "BINDIR", "MANDIR", "DESTDIR")}
    make = ["make", "-s", "-C", ROOT, f"DESTDIR={dest}"]
    if prefix:
        make.append(f"PREFIX={prefix}")
    root = dest / (prefix or "/usr/local").lstrip("/")
    binary = root / "bin" / "sitecheck"
    page = root / "share" / "man" / "man1" / "sitecheck.1"

    res = subprocess.run(make + ["install"], env=env, capture_output=True,
                         text=True, timeout=280)
    assert res.returncode == 0, res.stderr
    assert sorted(p for p in dest.rglob("*") if p.is_file()) == \
        sorted([binary, page])
    assert binary.stat().st_mode & 0o777 == 0o755
    assert page.stat().st_mode & 0o777 == 0o644
    assert filecmp.cmp(binary, os.path.join(ROOT, "sitecheck"), shallow=False)
    assert filecmp.cmp(page, os.path.join(ROOT, "sitecheck.1"), shallow=False)
    ver = subprocess.run([str(binary), "--version"], capture_output=True,
                         text=True, timeout=30)
    assert ver.stdout.startswith(f"sitecheck {version_file()} "), ver.stdout

    res = subprocess.run(make + ["uninstall"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert [p for p in dest.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("args", [
    ["--no-such-option"],
    ["-c", "0"],
    ["-c", "abc"],
    ["-c"],
    ["-t", "-1"],
    ["-t", "soon"],
    ["--connect-timeout", "x"],
    ["--max-redirects", "many"],
    ["--fail-on", "bogus"],
    ["--fail-on", "404,nope"],
    ["--format", "xml"],
    ["-X", "POST"],
    ["-m", "fibers"],
    ["--loops", "0"],
], ids=lambda a: " ".join(a))
def test_usage_errors_exit_2_before_any_request(args, recorder):
    url = f"http://127.0.0.1:{recorder.port}/\n"
    res = run(*args, input=url)
    assert_usage_error(res, recorder)


def test_missing_input_file(tmp_path, recorder):
    good = tmp_path / "good.txt"
    good.write_text(f"http://127.0.0.1:{recorder.port}/\n")
    res = run(good, tmp_path / "does-not-exist.txt")
    assert_usage_error(res, recorder)
    assert "does-not-exist.txt" in res.err


def test_unreadable_input_file_directory(tmp_path, recorder):
    good = tmp_path / "good.txt"
    good.write_text(f"http://127.0.0.1:{recorder.port}/\n")
    res = run(good, tmp_path)
    assert_usage_error(res, recorder)


@pytest.mark.parametrize("where", ["missing-dir", "directory"])
def test_unwritable_output(where, tmp_path, recorder):
    target = ("/nonexistent/dir/x" if where == "missing-dir"
              else str(tmp_path))
    res = run("-o", target, input=f"http://127.0.0.1:{recorder.port}/\n")
    assert_usage_error(res, recorder)
    assert res.elapsed < 2, f"took {res.elapsed:.2f} s"
