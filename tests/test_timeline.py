"""Timelines: when each check ran and who ran it (the records' start_ms
and worker), drawn by the report module as one timeline per run. The
records are checked in every model; the pictures once: from `sitecheck
report` over real runs' records, and from `sitecheck demo --report` on
the talk's 31 sites, read back with an HTML parser and once in a real
headless Chromium (which keeps build/demo.png for people to look at)."""

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, concurrency_args, loops_of, run
from test_report import Page, _browser, assert_safe, report

WORKER_RE = {"serial": r"serial", "thread": r"thread \d+",
             "process": r"process \d+", "event": r"loop \d+"}


def most_at_once(spans, slack=0.2):
    """The most (start, end) spans in flight at once. A record rounds its
    start and its time to 0.1 ms each, so spans that touch within 0.2 ms
    do not overlap (as report.c counts them)."""
    events = sorted([(s, 1) for s, _ in spans] +
                    [(max(s, e - slack), -1) for s, e in spans])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


@pytest.mark.timeout(60)
def test_records_say_when_and_who(sc, model, base):
    """Six checks of 300 ms with 3 in flight (serial: one at a time): each
    record says when its check started and which worker ran it, and the
    spans show the model's concurrency. A line decided without a check
    has neither."""
    urls = [f"{base}/delay/300?{i}" for i in range(6)] + ["not a url"]
    res = sc(*concurrency_args(model, 3), input="\n".join(urls) + "\n")
    assert res.rc == 0, res.err
    assert len(res.records) == 7
    name = model.partition(":")[0]
    checked = [r for r in res.records if r["url"] != "not a url"]
    decided = [r for r in res.records if r["url"] == "not a url"][0]
    assert decided["start_ms"] is None and decided["worker"] is None
    for r in checked:
        assert re.fullmatch(WORKER_RE[name], r["worker"]), r
        assert isinstance(r["start_ms"], float) and r["start_ms"] >= 0, r
        # Within the run: it started after the run did and answered
        # before the process exited.
        assert r["start_ms"] + r["time_ms"] <= res.elapsed * 1000 + 1, r
    spans = [(r["start_ms"], r["start_ms"] + r["time_ms"]) for r in checked]
    workers = {r["worker"] for r in checked}
    if name == "serial":
        assert workers == {"serial"}
        assert most_at_once(spans) == 1
        assert min(s for s, _ in spans) < 300  # the first one at once
    else:
        assert most_at_once(spans) == 3, spans
        if name == "event":
            assert workers <= {f"loop {i}" for i in range(loops_of(model))}
        else:
            assert workers == {f"{name} {i}" for i in range(3)}, workers
        # Three at once, twice: the second three start as the first end
        # (with two loops, the one without the host's lane takes its
        # share later: lanes.c).
        firsts = sorted(s for s, _ in spans)
        assert firsts[3] >= 290, firsts
        if loops_of(model) == 1:
            assert firsts[2] < 150, firsts


@pytest.mark.timeout(90)
def test_report_draws_a_timeline_per_file(tmp_path, base):
    """Records of two real runs (serial and event) and an old file without
    start times: one timeline per file that has them, on one time axis,
    a bar per check; the serial bars line up one after another."""
    urls = "".join(f"{base}/delay/{50 * (i % 4 + 1)}?{i}\n" for i in range(8))
    files = []
    for model in ("serial", "event"):
        path = tmp_path / f"{model}.jsonl"
        res = run("-m", model, input=urls, out_file=path)
        assert res.rc == 0, res.err
        files.append(path)
    old = tmp_path / "old.jsonl"
    with open(old, "w") as f:
        for r in res.records:
            r = dict(r)
            del r["start_ms"], r["worker"]
            f.write(json.dumps(r) + "\n")
    out = tmp_path / "r.html"
    p = report([*files, old], out)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = out.read_text("utf-8")
    page = assert_safe(text)
    tls = [a for t, a in page.tags if t == "div" and a.get("class") == "tl"]
    assert [a["data-label"] for a in tls] == [str(f) for f in files]
    assert '<a href="#timeline">timeline</a>' in text
    bars = {}
    for label in ("tl-1", "tl-2"):
        part = text[text.index(f'id="{label}"'):]
        part = part[:part.index("</svg>")]
        bars[label] = [(float(s), float(e)) for s, e in re.findall(
            r'data-start="([0-9.]+)" data-end="([0-9.]+)"', part)]
        assert len(bars[label]) == 8
    assert most_at_once(bars["tl-1"]) == 1
    assert most_at_once(bars["tl-2"]) == 8
    assert "<th>workers</th><td>1 (serial)</td>" in text
    assert "<th>workers</th><td>1 loop</td>" in text
    # One axis: both charts have the same ticks, set by the serial run.
    ticks = [re.findall(r">([0-9.]+ m?s)</text>", text[text.index(
        f'id="{t}"'):]) for t in ("tl-1", "tl-2")]
    assert ticks[0][:4] == ticks[1][:4]
    # Old records alone: no timeline at all.
    p = report([old], out)
    assert p.returncode == 0
    text = out.read_text("utf-8")
    assert 'id="timeline"' not in text and "#timeline" not in text


@pytest.mark.timeout(90)
def test_many_checks_draw_checks_in_flight(tmp_path):
    """Past 2,000 checks a timeline is a step chart of checks in flight,
    not a bar per check; a run of 2,000 keeps its bars."""
    def write(path, n):
        with open(path, "w") as f:
            for i in range(n):
                f.write(json.dumps({
                    "url": f"http://h{i % 50}.test/{i}", "line": i + 1,
                    "status": 200, "time_ms": 40.0, "attempts": 1,
                    "start_ms": i * 2.0, "worker": f"thread {i % 20}"}) + "\n")
    big, small = tmp_path / "big.jsonl", tmp_path / "small.jsonl"
    write(big, 5000)
    write(small, 2000)
    out = tmp_path / "r.html"
    p = report([big, small], out)
    assert p.returncode == 0, p.stderr
    text = out.read_text("utf-8")
    first = text[text.index('id="tl-1"'):text.index('id="tl-2"')]
    second = text[text.index('id="tl-2"'):]
    assert first.count('class="bar"') == 0
    assert first.count('class="inflight"') == 1
    assert "20.0 in flight at most" in first  # 40 ms every 2 ms
    assert "<th>workers</th><td>20 threads</td>" in first
    assert second.count('class="bar"') == 2000
    assert 'class="inflight"' not in second
    assert_safe(text)


@pytest.mark.timeout(60)
def test_demo_report_usage(tmp_path):
    """A report that cannot be written is found before the runs start."""
    for args in (["--report"], ["--report", "-"],
                 ["--report", str(tmp_path / "no" / "such.html")]):
        p = subprocess.run([BIN, "demo", "--scale", "0.05", *args],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (args, p)
        assert p.stdout == "", (args, p.stdout)
        assert p.stderr.startswith("sitecheck demo: "), p.stderr
    p = subprocess.run([BIN, "demo", "--help"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and "--report FILE" in p.stdout


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    """`sitecheck demo --scale 0.05 --report`: (stdout, page path, text)."""
    d = tmp_path_factory.mktemp("demo")
    out = d / "demo.html"
    p = subprocess.run([BIN, "demo", "--scale", "0.05", "--report", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout, out, out.read_text("utf-8")


@pytest.mark.timeout(150)
def test_demo_report(demo_page):
    """The demo's page: one timeline per model with a bar per site, the
    table's figures beside each, and nothing else of a report."""
    stdout, out, text = demo_page
    assert stdout.endswith(f"\ntimelines of the four runs: {out}\n")
    page = assert_safe(text)
    tls = [a for t, a in page.tags if t == "div" and a.get("class") == "tl"]
    assert [a["data-label"] for a in tls] == ["serial", "process", "thread",
                                             "event"]
    assert text.count('<rect class="bar"') == 31 * 4
    for label in ("wall", "CPU", "peak memory", "workers", "speed-up"):
        assert f"<th>{label}</th>" in text, label
    # The table's wall times, as the page shows them.
    walls = re.findall(r"^(serial|process|thread|event) +\S+(?: loop)? +"
                       r"([0-9.]+) s", stdout, re.M)
    assert len(walls) == 4, stdout
    for model, wall in walls:
        part = text[text.index(f'data-label="{model}"'):]
        shown = re.search(r"<th>wall</th><td>([0-9.]+) (m?s)</td>", part)
        ms = float(shown.group(1)) * (1 if shown.group(2) == "ms" else 1000)
        assert abs(ms - float(wall) * 1000) <= 10, (model, shown, wall)
    assert 'id="failures"' not in text and "<nav>" not in text


@pytest.mark.timeout(180)
def test_demo_report_in_a_real_browser(demo_page):
    """In Chromium: 31 bars per model; the serial bars follow one another
    without overlapping, in time and on screen; the event loop's all
    overlap; 3 processes never run more than 3 at once. The page is kept
    as build/demo.png."""
    _, out, _ = demo_page
    drv, profile = _browser()
    try:
        drv.set_window_size(1150, 900)
        drv.get(out.as_uri())
        assert drv.title == "sitecheck demo: four ways to check a website"
        bars = {}
        for n, model in enumerate(("serial", "process", "thread", "event"), 1):
            assert drv.execute_script(
                f"return document.getElementById('tl-{n}').dataset.label"
            ) == model
            bars[model] = drv.execute_script(
                "return Array.from(document.querySelectorAll("
                f"'#tl-{n} rect.bar')).map(function (r) {{"
                "  var b = r.getBoundingClientRect();"
                "  return [b.left, b.right, b.width, b.height,"
                "          +r.getAttribute('data-start'),"
                "          +r.getAttribute('data-end')]; })")
            assert len(bars[model]) == 31, model
            assert all(b[2] >= 0.5 and b[3] >= 1 for b in bars[model])
        serial = sorted(bars["serial"], key=lambda b: b[4])
        for prev, nxt in zip(serial, serial[1:]):
            assert nxt[4] >= prev[5] - 0.2, (prev, nxt)  # in time
            assert nxt[0] >= prev[1] - 1, (prev, nxt)    # on screen (px)
        event = bars["event"]
        assert max(b[4] for b in event) < min(b[5] for b in event)
        assert max(b[0] for b in event) < min(b[1] for b in event)
        assert most_at_once([(b[4], b[5]) for b in bars["process"]]) == 3
        # One axis for all: the serial run is the longest on screen, the
        # event loop's the shortest by far.
        right = {m: max(b[1] for b in v) for m, v in bars.items()}
        left = min(b[0] for b in bars["serial"])
        assert right["serial"] - left > 5 * (right["event"] - left)
        # Nothing was fetched from anywhere.
        assert drv.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        assert not [e for e in drv.get_log("browser")
                    if e["level"] == "SEVERE"]
        height = drv.execute_script(
            "return document.documentElement.scrollHeight")
        drv.set_window_size(1150, min(height + 150, 8000))
        os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
        drv.save_screenshot(os.path.join(ROOT, "build", "demo.png"))
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
