"""Command line: help, version, usage errors and bad input/output paths.

These are about option parsing, so they run once, not per model. Every
error case feeds a URL of a local recording server on stdin and asserts
that no request reached it: errors are detected before any request."""

import filecmp
import os
import re
import resource
import subprocess

import pytest

from conftest import BIN, ROOT, SUMMARY_RE, run


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
    ["--check-timeout", "0"],
    ["--check-timeout", "later"],
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


HELP_TOPICS = ["Checking", "Politeness", "Network", "Output", "Models",
               "General"]
# "  -c, --concurrency N", "      --dedup", "  -4": an option's first line.
HELP_LABEL = re.compile(r"^  (?:(-\w)(?:, |\s)|    )(--[a-z][a-z0-9-]*)?(.*)")


def help_topics(text):
    """--help's options by topic: {topic: {name: value name or ''}}, in
    the order of the text; an option's name is its long one if it has
    one."""
    topics, current = {}, None
    for line in text.split("\n"):
        if re.fullmatch(r"[A-Z][a-z]+:", line):
            current = topics.setdefault(line[:-1], {})
            continue
        m = HELP_LABEL.match(line)
        if m and current is not None and (m.group(1) or m.group(2)):
            rest = m.group(3)
            value = rest.split("  ")[0].strip() if rest.startswith(" ") \
                else ""
            current[m.group(2) or m.group(1)] = value
    return topics


def test_help_groups_options_by_topic():
    res = run("--help")
    assert res.rc == 0 and res.err == "", res.err
    long_lines = [l for l in res.out.split("\n") if len(l) > 80]
    assert long_lines == [], "help not wrapped to 80 columns"
    topics = help_topics(res.out)
    assert list(topics) == HELP_TOPICS, list(topics)
    where = {}
    for topic, opts in topics.items():
        assert opts, f"topic {topic} lists no option"
        for name in opts:
            assert name not in where, f"{name} under {where[name]} and {topic}"
            where[name] = topic
    expect = {"--timeout": "Checking", "--retries": "Checking",
              "--header": "Checking", "--per-host": "Politeness",
              "--host-rate": "Politeness", "--resolver": "Network",
              "-4": "Network", "--proxy": "Network",
              "--output": "Output", "--fail-on": "Output",
              "--quiet": "Output", "--model": "Models",
              "--concurrency": "Models", "--loops": "Models",
              "--help": "General", "--version": "General"}
    assert {k: where.get(k) for k in expect} == expect
    assert topics["Models"]["--model"] == "event|thread|process|serial"
    assert topics["Output"]["--format"] == "jsonl|csv"
    assert topics["Checking"]["--dedup"] == ""


def test_help_shows_defaults_and_repeatable():
    out = " ".join(run("--help").out.split())  # unwrapped
    for text in ("--timeout SEC time limit of one try of a check, its "
                 "redirects and name lookups included (default 10)",
                 "--check-timeout SEC time limit of a whole check: every "
                 "try, the waits between them and the HEAD to GET fallback "
                 "(default: no limit)",
                 "--per-host N checks in flight per host name, 0 = no "
                 "limit (default 8)",
                 "(default: event 256, thread 128, process 3, serial 1)",
                 "--header 'N: V' extra request header (repeatable)",
                 "-A, --user-agent STR User-Agent header (default "
                 "sitecheck/"):
        assert text in out, text


def test_every_option_in_help_is_one_getopt_knows():
    """Each long option --help lists is accepted as written there: one
    with a value name asks for a value when it has none, a flag runs."""
    topics = help_topics(run("--help").out)
    opts = {n: v for t in topics.values() for n, v in t.items()
            if n.startswith("--") and n not in ("--help", "--version")}
    assert len(opts) >= 25, opts
    for name, value in opts.items():
        res = run(name, input="")
        if value:
            assert res.rc == 2 and res.err == \
                f"sitecheck: option '{name}' needs a value " \
                f"(see sitecheck --help)\n", (name, res.err)
        else:
            assert res.rc == 0 and res.out == "{}\n", (name, res.rc, res.err)


@pytest.mark.parametrize("quiet", [False, True], ids=["warns", "quiet"])
def test_warning_is_one_line_and_quiet_drops_it(quiet):
    """The open-file-limit warning is one whole "sitecheck: warning:" line
    before the summary and counts lines; -q drops them all and nothing
    else is printed."""
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    argv = [BIN, "-c", "1000", *(["-q"] if quiet else [])]
    p = subprocess.run(argv, input=b"", capture_output=True, timeout=30,
                       preexec_fn=low_limit)
    err = p.stderr.decode()
    assert p.returncode == 0 and p.stdout == b"{}\n", err
    if quiet:
        assert err == ""
        return
    lines = err.split("\n")
    assert re.fullmatch(r"sitecheck: warning: the open-file limit \(64\) "
                        r"allows \d+ checks in flight, not 1000; using \d+",
                        lines[0]), err
    assert SUMMARY_RE.fullmatch(lines[1]), err
    assert lines[2:] == ["0 OK, 0 not OK", ""], err
