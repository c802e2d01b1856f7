"""`sitecheck report`: records from a real run against the simulated web
turned into one HTML file, read back with an HTML parser (and once in a
real headless Chromium): failing URLs listed, hostile strings escaped, no
link but http(s) ones, nothing loaded from anywhere; bad input; bounded
work on big inputs. These do not depend on the concurrency model, so they
run once."""

import base64
import hashlib
import html.parser
import http.server
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

import pytest

from conftest import BIN, ROOT, _is_sanitized, run

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE_SERVER = "<script>alert('server')</script>"


class Page(html.parser.HTMLParser):
    """Everything the tests look at in a report: each start tag with its
    attributes, the failure table's rows (data-k and cell texts), the
    text of elements by id, the script and the CSP."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.rows = []          # failure table: (data-k, [cell texts])
        self.text_by_id = {}
        self.scripts = []
        self.csp = None
        self._in_ft = False
        self._row = None
        self._cell = None
        self._ids = []          # open elements with an id: [id, text]
        self._script = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "meta" and a.get("http-equiv") == \
                "Content-Security-Policy":
            self.csp = a.get("content")
        if tag == "script":
            self._script = []
        if tag == "table" and a.get("id") == "ft":
            self._in_ft = True
        if self._in_ft and tag == "tr" and "data-k" in a:
            self._row = (a["data-k"], [])
        if self._row is not None and tag == "td":
            self._cell = []
        if "id" in a:
            self._ids.append([a["id"], tag, []])

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        if tag == "td" and self._cell is not None:
            self._row[1].append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag == "table":
            self._in_ft = False
        if self._ids and self._ids[-1][1] == tag:
            i, _, text = self._ids.pop()
            self.text_by_id[i] = "".join(text)

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        if self._cell is not None:
            self._cell.append(data)
        for entry in self._ids:
            entry[2].append(data)


def report(records_paths, out, *extra, timeout=60):
    return subprocess.run([BIN, "report", *extra, "-o", str(out),
                           *[str(p) for p in records_paths]],
                          capture_output=True, text=True, timeout=timeout)


def assert_safe(text):
    """The report's safety rules, checked on the parsed document."""
    page = Page(text)
    # Exactly one script, inline, allowed by its hash in the CSP.
    scripts = [a for t, a in page.tags if t == "script"]
    assert len(scripts) == 1 and not scripts[0], scripts
    assert page.csp and page.csp.startswith("default-src 'none';"), page.csp
    digest = base64.b64encode(
        hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page.csp, page.csp
    assert "unsafe-eval" not in page.csp
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs)
            if name in ("src", "href", "action", "formaction", "xlink:href"):
                assert value is not None and (
                    value.startswith("#") or
                    re.match(r"https?://", value, re.I)), (tag, attrs)
            if name == "style":
                assert "url(" not in value, (tag, attrs)
        assert tag not in ("iframe", "object", "embed", "img", "link",
                           "base", "form"), (tag, attrs)
    assert "<script>alert" not in text
    return page


# ----------------------------------------------------------- a mixed run


class _Hostile(http.server.BaseHTTPRequestHandler):
    """500 with a hostile Server header; /js redirects to javascript:."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/js"):
            self.send_response(302)
            self.send_header("Location", "javascript:alert(7)")
        else:
            self.send_response(500)
        self.send_header("Server", HOSTILE_SERVER)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def mixed(base, tmp_path_factory):
    """A real run over the simulated web's behaviours plus a hostile
    server: (records, records path, report path, report text, urls)."""
    from conftest import serve_in_thread
    httpd = serve_in_thread(_Hostile)
    hostile = f"http://127.0.0.1:{httpd.server_address[1]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://user:hunter2@127.0.0.1:{s.getsockname()[1]}/"
    d = tmp_path_factory.mktemp("report")
    urls = [f"{base}/", f"{base}/status/404", f"{base}/status/500",
            f"{base}/redirect/2", f"{base}/redirect/2/status/404",
            f"{base}/loop", f"{base}/hang", f"{base}/garbage",
            f"{base}/empty", f"{base}/delay/200", f"{base}/status/503",
            f"{base}/status/404?q=<script>alert(1)</script>",
            f"{hostile}/x", f"{hostile}/js", refused,
            "http://nowhere.invalid/", "not a url"]
    recs = d / "recs.jsonl"
    res = run("-t", "1", "--retries", "0", "--max-redirects", "3",
              input="\n".join(urls) + "\n", out_file=recs)
    httpd.shutdown()
    httpd.server_close()
    assert res.rc == 0, res.err
    assert len(res.records) == len(urls)
    out = d / "r.html"
    p = report([recs], out)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    return res.records, recs, out, out.read_text("utf-8"), urls


def not_ok(rec):
    return not (rec["status"] and 200 <= rec["status"] <= 299)


@pytest.mark.timeout(90)
def test_failing_urls_are_listed(mixed):
    records, _, _, text, _ = mixed
    page = assert_safe(text)
    failing = [r for r in records if not_ok(r)]
    assert len(failing) == 14
    assert len(page.rows) == len(failing)
    shown = {cells[1] for _, cells in page.rows}
    for r in failing:
        url = r["url"].replace(":hunter2@", ":***@")
        assert url in shown, (url, shown)
    # Each row says where its URL was found: the list's line (stdin).
    lines = {r["line"] for r in failing}
    assert {cells[-1] for _, cells in page.rows} == \
        {f"stdin:{n}" for n in lines}
    # Each row's filter key is its status or class; a class per button.
    keys = {r["error"] or str(r["status"]) for r in failing}
    assert {k for k, _ in page.rows} == keys
    buttons = {a.get("data-k") for t, a in page.tags
               if t == "button" and "data-k" in a}
    assert buttons == keys | {""}
    # Summary counts.
    assert re.search(r"<b>17</b>records", text)
    assert re.search(r"<b>3</b>OK", text)
    assert re.search(r"<b>14</b>not OK", text)


@pytest.mark.timeout(90)
def test_hostile_strings_are_escaped(mixed):
    records, _, _, text, _ = mixed
    assert any(r["server"] == HOSTILE_SERVER for r in records)
    assert_safe(text)
    # The URL's script is there as text, the Server header not at all.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "alert('server')" not in text and "alert(&#39;server" not in text
    assert "hunter2" not in text


@pytest.mark.timeout(90)
def test_links_only_to_http(mixed):
    _, _, _, text, _ = mixed
    page = assert_safe(text)
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    assert any(h.startswith("http://127.0.0.1:") for h in hrefs)
    assert "http://nowhere.invalid/" in hrefs
    # "not a url" is shown as text, never as a link.
    assert "not a url" not in hrefs
    assert any(cells[1] == "not a url" for _, cells in page.rows)


@pytest.mark.timeout(90)
def test_charts_chains_and_percentiles(mixed):
    records, _, _, text, _ = mixed
    page = Page(text)
    rects = [a for t, a in page.tags if t == "rect"]
    keys = {r["error"] or str(r["status"]) for r in records}
    assert len(rects) >= len(keys) + 3  # status bars, histogram, phases
    # The redirect chain that ends in 404 is listed hop by hop.
    chain = next(r for r in records if r["url"].endswith("/redirect/2/status/404"))
    assert len(chain["chain"]) == 3
    section = text[text.index('id="chains"'):text.index('id="certs"')]
    for hop in chain["chain"]:
        assert f'href="{hop["url"]}"' in section
    # p50 as shown lies within 1% (plus display rounding) of the exact one.
    times = sorted(r["time_ms"] for r in records
                   if r["attempts"] and r["duplicate_of"] is None)
    exact = times[math.ceil(0.5 * len(times)) - 1]
    shown = page.text_by_id["p50"]
    value = float(shown.split()[0]) * (1000 if shown.endswith(" s") else 1)
    assert abs(value - exact) <= 0.01 * exact + 0.51, (shown, exact)


# --------------------------------------------- hand-written hostile records


def write_records(path, recs, extra_lines=()):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
        for line in extra_lines:
            f.write(line + "\n")


@pytest.mark.timeout(60)
def test_hostile_records(tmp_path):
    recs = [
        {"url": "javascript:alert(1)", "line": 1, "status": None,
         "error": "invalid_url", "detail": "<img src=x onerror=alert(2)>",
         "time_ms": 0, "attempts": 0},
        {"url": 'http://h/"><script>alert(3)</script>', "line": 2,
         "status": 404, "error": None, "detail": None, "time_ms": 5,
         "server": HOSTILE_SERVER, "content_type": "<b>ct</b>",
         "input": 'list"><script>alert(4)</script>',
         "referrers": ["javascript:alert(5)", "http://ref/"],
         "chain": [{"url": "http://h/a", "status": 302},
                   {"url": "data:text/html,<script>alert(6)</script>",
                    "status": 404}]},
        {"url": "https://u:pass:word@h/x", "line": 3, "status": 503,
         "error": None, "time_ms": 7, "ok": False, "extra": {"x": 1},
         "cert_days_left": 2, "cert_expiry": "2026-12-09T00:00:00Z"},
        {"url": "http://fine/", "line": 4, "status": 500, "ok": True,
         "time_ms": 3},
        # Numbers out of every range, and of the wrong type.
        {"url": "http://n/", "line": -5, "status": 1e300, "time_ms": 1e308,
         "redirects": "x", "attempts": [], "cert_days_left": -1e300,
         "cert_expiry": 1e300, "dns_ms": -1, "duplicate_of": 2.5e30,
         "chain": [{"url": "http://n/", "status": 1e300}, 7, {"url": None}]},
    ]
    path = tmp_path / "h.jsonl"
    write_records(path, recs)
    out = tmp_path / "h.html"
    p = report([path], out, "--title", "<i>title</i>")
    assert p.returncode == 0, p.stderr
    text = out.read_text("utf-8")
    page = assert_safe(text)
    assert "<i>title" not in text and "&lt;i&gt;title" in text
    assert "alert(" in text  # shown, as text
    for bad in ("<img", "<b>ct", "pass:word", "word@", "alert('server"):
        assert bad not in text, bad
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    assert not [h for h in hrefs if "alert" in h and not h.startswith("http")]
    assert "http://ref/" not in hrefs  # only the first referrer is shown
    # ... as text (it is no http(s) URL), with how many more there are.
    assert any(cells[-1] == "on javascript:alert(5) and 1 more"
               for _, cells in page.rows), page.rows
    assert "https://u:***@h/x" in {cells[1] for _, cells in page.rows}
    # ok wins over the status: 503 with ok false fails, 500 with ok true
    # does not.
    assert sorted(k for k, _ in page.rows) == ["404", "503", "invalid_url",
                                               "unknown"]
    titles = [a["title"] for t, a in page.tags if t == "td" and "title" in a]
    assert titles == ['list"><script>alert(4)</script>']
    assert re.search(r'<td>h</td><td class="n">2</td><td>2026-12-09 00:00',
                     text)


# ------------------------------------------------------------ bad input


@pytest.mark.timeout(60)
def test_missing_file(tmp_path):
    out = tmp_path / "r.html"
    good = tmp_path / "good.jsonl"
    write_records(good, [{"url": "http://a/", "status": 200}])
    p = report([good, tmp_path / "nope.jsonl"], out)
    assert p.returncode == 2
    assert p.stderr.startswith("sitecheck: cannot read ")
    assert "nope.jsonl" in p.stderr and p.stderr.count("\n") == 1
    assert not out.exists()
    assert os.listdir(tmp_path) == ["good.jsonl"]  # no temporary left


@pytest.mark.timeout(60)
def test_not_json_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "mixed.jsonl"
    write_records(path, [{"url": "http://a/", "status": 404},
                         {"url": "http://b/", "status": 200}],
                  extra_lines=["not json", "[1, 2]", '{"no": "url"}', "",
                               '{"url": "http://c/", "status": 500}'])
    out = tmp_path / "r.html"
    p = report([path], out)
    assert p.returncode == 0
    assert p.stderr == (f"sitecheck: warning: {path}: skipped 3 lines that "
                        f"are not a JSON record (the first: line 3)\n")
    text = out.read_text("utf-8")
    assert re.search(r"<b>3</b>records", text)
    assert re.search(r"<b>3</b>lines skipped", text)
    assert_safe(text)
    # -q drops the warning, not the count.
    p = report([path], out, "-q")
    assert p.returncode == 0 and p.stderr == ""


@pytest.mark.timeout(60)
def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    out = tmp_path / "r.html"
    p = report([path], out)
    assert p.returncode == 0 and p.stderr == ""
    text = out.read_text("utf-8")
    assert re.search(r"<b>0</b>records", text)
    assert "No failures." in text
    assert_safe(text)


@pytest.mark.timeout(60)
def test_usage_errors(tmp_path):
    path = tmp_path / "r.jsonl"
    write_records(path, [{"url": "http://a/", "status": 200}])
    p = subprocess.run([BIN, "report", str(path)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "-o FILE.html is required" in p.stderr
    p = subprocess.run([BIN, "report", "-o", str(tmp_path / "x.html")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "no records file" in p.stderr
    p = report([path], tmp_path / "x.html", "--bogus")
    assert p.returncode == 2 and "bad option --bogus" in p.stderr
    csv = tmp_path / "r.csv"
    csv.write_text("url,line,status\nhttp://a/,1,200\n")
    p = report([csv], tmp_path / "c.html")
    assert p.returncode == 2 and "CSV" in p.stderr
    assert not (tmp_path / "c.html").exists()
    p = report([path], tmp_path / "no-such-dir" / "x.html")
    assert p.returncode == 2 and p.stderr.startswith("sitecheck: cannot "
                                                     "write ")
    if os.path.exists("/dev/full"):  # a device is written in place
        p = report([path], "/dev/full")
        assert p.returncode == 2 and p.stderr == (
            "sitecheck: cannot write /dev/full: No space left on device\n")
    # Records on stdin, report on stdout.
    p = subprocess.run([BIN, "report", "-o", "-", "-"],
                       input='{"url": "http://a/", "status": 404}\n',
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "http://a/" in p.stdout
    assert p.stdout.endswith("</html>\n")


@pytest.mark.timeout(60)
def test_a_list_named_report_needs_a_path(tmp_path, base):
    (tmp_path / "report").write_text(f"{base}/\n")
    p = subprocess.run([BIN, "--per-host", "0", "./report"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout == '{"200": 1}\n', p


# ------------------------------------------------------------ big inputs


@pytest.mark.timeout(180)
def test_many_records_many_hosts(tmp_path):
    """250,000 records over more than 100,000 hosts: the host table of
    check time says it is approximate, the failure table stops at 10,000 rows with a
    note, and p50/p90/p99 match the exact ones within 1%."""
    path = tmp_path / "big.jsonl"
    with open(path, "w") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_records.py"),
                        "250000", "--hosts", "2000000"], stdout=f,
                       check=True, timeout=120)
    out = tmp_path / "big.html"
    p = report([path], out, timeout=150)
    assert p.returncode == 0, p.stderr
    text = out.read_text("utf-8")
    page = Page(text)
    assert len(page.rows) == 10000
    times, bad = [], 0
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            bad += not_ok(r)
            if r["attempts"]:
                times.append(r["time_ms"])
    m = re.search(r"\u2026 and ([0-9,]+) more \(the first 10,000", text)
    assert m and int(m.group(1).replace(",", "")) == bad - 10000
    # Time is counted for every host (more than 100,000 of them), failures
    # for those that failed (fewer): one table is approximate, one exact.
    most, slowest = text[text.index("<h3>Most failures"):].split(
        "<h3>Slowest answers", 1)
    assert "<b>approximate</b>" not in most
    assert "<b>approximate</b>" in slowest
    assert "error \u2264" in slowest
    times.sort()
    for q in ("p50", "p90", "p99"):
        exact = times[math.ceil(int(q[1:]) / 100 * len(times)) - 1]
        shown = page.text_by_id[q]
        value = float(shown.split()[0]) * (1000 if shown.endswith(" s")
                                           else 1)
        assert abs(value - exact) <= 0.01 * exact + 0.51, (q, shown, exact)


# ------------------------------------------------------- a real browser


def _browser():
    """A headless Chromium under chromedriver, or skip without one."""
    if _is_sanitized(BIN):
        pytest.skip("the browser test runs once, not under sanitizers")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    chromium = shutil.which("chromium")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        pytest.skip("chromium and chromium-driver are not installed "
                    "(make test-deps)")
    profile = tempfile.mkdtemp(prefix="sitecheck-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless", "--no-sandbox", "--disable-gpu",
              "--disable-quic", "--no-first-run",
              "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--window-size=1280,900", f"--user-data-dir={profile}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs",
                        {"performance": "ALL", "browser": "ALL"})
    drv = webdriver.Chrome(service=Service(driver_bin), options=opts)
    return drv, profile


@pytest.mark.timeout(180)
def test_in_a_real_browser(mixed):
    from selenium.webdriver.common.by import By
    records, _, out, _, _ = mixed
    drv, profile = _browser()
    try:
        drv.get(out.as_uri())
        assert drv.title == "sitecheck report"

        def lines():
            return [r.find_element(By.CSS_SELECTOR, "td").text
                    for r in drv.find_elements(By.CSS_SELECTOR, "#ft tbody tr")
                    if r.is_displayed()]

        # The failing URLs and the chart bars are there.
        body = drv.find_element(By.ID, "ft").text
        for r in records:
            if not_ok(r):
                assert r["url"].replace(":hunter2@", ":***@") in body
        assert len(drv.find_elements(By.CSS_SELECTOR, "svg#keys rect")) == \
            len({r["error"] or str(r["status"]) for r in records})
        assert drv.find_elements(By.CSS_SELECTOR, "svg#hist rect")
        assert drv.find_elements(By.CSS_SELECTOR, "svg#phases rect")

        # Clicking "line" sorts by line number, clicking again reverses.
        before = lines()
        head = drv.find_element(By.CSS_SELECTOR, "#ft thead th")
        head.click()
        up = lines()
        assert up == sorted(before, key=int) and up != before
        head.click()
        assert lines() == sorted(before, key=int, reverse=True)

        # A class filter hides the other rows.
        drv.find_element(By.CSS_SELECTOR,
                         '#filter button[data-k="protocol"]').click()
        shown = drv.find_elements(By.CSS_SELECTOR, "#ft tbody tr")
        visible = [r for r in shown if r.is_displayed()]
        assert len(visible) == 2 and len(shown) == 14
        assert all(r.get_attribute("data-k") == "protocol" for r in visible)
        assert drv.find_element(By.ID, "shown").text == "2"
        drv.find_element(By.CSS_SELECTOR, '#filter button[data-k=""]').click()
        assert len(lines()) == 14

        # Nothing was fetched: no resource entries, and the only request
        # the browser logged for the report's document is the report itself
        # (the start-up tab's requests belong to chrome:// documents).
        assert drv.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        requests = []
        for entry in drv.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                params = msg["params"]
                if not params.get("documentURL", "").startswith("chrome"):
                    requests.append(params["request"]["url"])
        assert requests == [out.as_uri()], requests
        errors = [e for e in drv.get_log("browser")
                  if e["level"] == "SEVERE"]
        assert not errors, errors

        # A picture of it for people: build/report.png.
        height = drv.execute_script(
            "return document.documentElement.scrollHeight")
        drv.set_window_size(1280, min(height + 150, 8000))
        os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
        drv.save_screenshot(os.path.join(ROOT, "build", "report.png"))
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


# ------------------------------------------ where each failure was found

# A site of the simulated web where one missing page, p/30.html, is linked
# from five places: broken.html and four pages (chosen by the seed).
WHERE_SITE = "/site/30/1494/"
MISSING = "p/30.html"


class _Links(html.parser.HTMLParser):
    """The links of a page, resolved as a browser would (<base> too)."""

    def __init__(self, url, text):
        super().__init__(convert_charrefs=True)
        self.base, self.links = url, set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "base" and a.get("href"):
            self.base = urllib.parse.urljoin(self.base, a["href"])
        elif tag == "a" and a.get("href") is not None:
            self.links.add(urllib.parse.urldefrag(
                urllib.parse.urljoin(self.base, a["href"]))[0])


def pages_linking_to(records, target):
    """The crawled pages (fetched again here) whose links include target."""
    found = set()
    for r in records:
        if r["status"] == 200 and (r["content_type"] or "").startswith(
                "text/html") and r["url"].startswith("http://127.0.0.1:"):
            with urllib.request.urlopen(r["url"], timeout=10) as f:
                text = f.read().decode("utf-8", "replace")
            if target in _Links(r["url"], text).links:
                found.add(r["url"])
    return found


@pytest.fixture(scope="module")
def crawled(base, tmp_path_factory):
    """A crawl of the generated site with --report and -o: (Result, live
    report path, records path, the missing page's URL, the pages that
    link to it)."""
    d = tmp_path_factory.mktemp("where")
    live, recs = d / "live.html", d / "crawl.jsonl"
    res = run("--crawl", base + WHERE_SITE, "-t", "2", "--retries", "0",
              "--report", live, out_file=recs)
    assert res.rc == 0, res.err
    missing = base + WHERE_SITE + MISSING
    linking = pages_linking_to(res.records, missing)
    assert len(linking) == 5, linking
    return res, live, recs, missing, linking


def where_cell(page, url):
    """The "where found" cell of url's row in a parsed report."""
    cells = [c for _, c in page.rows if c[1] == url]
    assert len(cells) == 1, (url, page.rows)
    return cells[0][-1]


@pytest.mark.timeout(180)
def test_a_crawls_report_names_where_failures_were_found(crawled):
    """--report during a crawl: the missing page's row names the first
    three places that link to it and how many more, counted at the end of
    the run; the failure list agrees; sort, filter and the search box
    work, and the page still loads nothing, in a real browser."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    res, live, _, missing, linking = crawled
    lines = [x for x in res.err.splitlines() if f"  {missing}  " in x]
    assert len(lines) == 1, res.err
    m = re.search(r"  on (\S+) and 4 more  Not Found$", lines[0])
    assert m, lines[0]
    first = m.group(1)
    text = live.read_text("utf-8")
    assert_safe(text)
    drv, profile = _browser()
    try:
        drv.get(live.as_uri())
        heads = [h.text for h in drv.find_elements(By.CSS_SELECTOR,
                                                   "#ft thead th")]
        assert heads[-1].startswith("where found"), heads
        rows = {r.find_elements(By.TAG_NAME, "td")[1].text: r
                for r in drv.find_elements(By.CSS_SELECTOR, "#ft tbody tr")}
        assert len(rows) == sum(not r["ok"] for r in res.records)
        cell = rows[missing].find_elements(By.TAG_NAME, "td")[-1]
        m = re.fullmatch(r"on (\S+), (\S+), (\S+) and 2 more", cell.text)
        assert m, cell.text
        named = list(m.groups())
        assert named[0] == first
        assert len(set(named)) == 3 and set(named) <= linking, named
        # Each place is a link to that page.
        hrefs = [a.get_attribute("href")
                 for a in cell.find_elements(By.TAG_NAME, "a")]
        assert hrefs == named
        # Every other link's row names where it was found too.
        for url, row in rows.items():
            assert row.find_elements(By.TAG_NAME, "td")[-1].text.startswith(
                "on " + base_of(missing)), (url, row.text)

        def shown():
            return {r.find_elements(By.TAG_NAME, "td")[1].text
                    for r in drv.find_elements(By.CSS_SELECTOR,
                                               "#ft tbody tr")
                    if r.is_displayed()}

        # The search box shows the rows that hold its text: here the
        # failures found on the broken links page.
        q = drv.find_element(By.ID, "q")
        q.send_keys("broken.html")
        on_broken = {u for u, r in rows.items()
                     if "broken.html" in r.text}
        assert missing in on_broken and shown() == on_broken
        assert drv.find_element(By.ID, "shown").text == str(len(on_broken))
        # With a class filter too: both apply.
        drv.find_element(By.CSS_SELECTOR,
                         '#filter button[data-k="404"]').click()
        assert shown() == {u for u in on_broken
                           if rows[u].get_attribute("data-k") == "404"}
        q.send_keys(*[Keys.BACKSPACE] * len("broken.html"))
        drv.find_element(By.CSS_SELECTOR, '#filter button[data-k=""]').click()
        assert shown() == set(rows)
        # Sorting by where found orders the rows by that text.
        drv.find_elements(By.CSS_SELECTOR, "#ft thead th")[-1].click()
        order = [r.find_elements(By.TAG_NAME, "td")[-1].text
                 for r in drv.find_elements(By.CSS_SELECTOR, "#ft tbody tr")]
        assert len(order) == len(rows)
        assert drv.execute_script(
            "var t = arguments[0];"
            "for (var i = 1; i < t.length; i++)"
            "  if (t[i - 1].localeCompare(t[i]) > 0) return false;"
            "return true;", order), order
        assert drv.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def base_of(url):
    """scheme://host:port/ of url."""
    p = urllib.parse.urlsplit(url)
    return f"{p.scheme}://{p.netloc}/"


@pytest.mark.timeout(120)
def test_a_report_from_records_names_where_failures_were_found(crawled,
                                                                tmp_path):
    """`sitecheck report` has only the records: each row names the
    record's source and how many more places it knew of then."""
    res, _, recs, missing, linking = crawled
    out = tmp_path / "r.html"
    p = report([recs], out)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    page = assert_safe(out.read_text("utf-8"))
    failing = [r for r in res.records if not r["ok"]]
    assert len(page.rows) == len(failing) > 5
    for r in failing:
        assert r["source"] and r["referrers"] >= 1, r
        more = r["referrers"] - 1
        want = f"on {r['source']}" + (f" and {more} more" if more else "")
        assert where_cell(page, r["url"]) == want
    assert next(r for r in failing if r["url"] == missing)["source"] in linking
    # A URL given as an argument, and records that say nothing of it.
    write_records(tmp_path / "a.jsonl", [
        {"url": "http://a/", "line": 1, "status": 404, "input": None,
         "source": None, "referrers": 0},
        {"url": "http://b/", "line": 2, "status": 404}])
    p = report([tmp_path / "a.jsonl"], out)
    assert p.returncode == 0, p.stderr
    page = assert_safe(out.read_text("utf-8"))
    assert where_cell(page, "http://a/") == "(argument)"
    assert where_cell(page, "http://b/") == ""


HOSTILE_PAGE = "/p'q\"<script>alert(1)</script>.html"


class _HostileReferrer(http.server.BaseHTTPRequestHandler):
    """/ links to a page whose path holds quotes and a script element;
    that page links to /gone, a 404."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = urllib.parse.unquote(self.path)
        if path == "/":
            body = ('<a href="/p\'q&quot;&lt;script&gt;alert(1)&lt;/script'
                    '&gt;.html">x</a>\n')
        elif path == HOSTILE_PAGE:
            body = '<p>\n<a href="/gone">gone</a>\n'
        else:
            body = None
        data = (body or "not found\n").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type",
                         "text/html" if body else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.mark.timeout(180)
def test_a_hostile_referring_page_is_shown_escaped(tmp_path):
    """A referring page's URL with quotes and <script> in its path is
    shown as text and as a link to itself, in the report of the run and
    in one made from its records; no script of it runs."""
    from conftest import serve_in_thread
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    httpd = serve_in_thread(_HostileReferrer)
    site = f"http://127.0.0.1:{httpd.server_address[1]}"
    live, recs, later = (tmp_path / "live.html", tmp_path / "r.jsonl",
                         tmp_path / "later.html")
    try:
        res = run("--crawl", site + "/", "--report", live, out_file=recs)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert res.rc == 0, res.err
    referrer = site + HOSTILE_PAGE
    gone = next(r for r in res.records if r["url"] == site + "/gone")
    assert gone["status"] == 404 and gone["source"] == referrer
    p = report([recs], later)
    assert p.returncode == 0, p.stderr
    for path in (live, later):
        text = path.read_text("utf-8")
        page = assert_safe(text)
        assert where_cell(page, site + "/gone") == "on " + referrer
        assert "<script>alert(1)" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    drv, profile = _browser()
    try:
        for path in (live, later):
            drv.get(path.as_uri())
            row = [r for r in drv.find_elements(By.CSS_SELECTOR,
                                                "#ft tbody tr")
                   if r.find_elements(By.TAG_NAME, "td")[1].text ==
                   site + "/gone"]
            cell = row[0].find_elements(By.TAG_NAME, "td")[-1]
            assert cell.text == "on " + referrer
            a = cell.find_element(By.TAG_NAME, "a")
            assert a.text == referrer
            # The browser reads the href back as the URL it is.
            assert urllib.parse.unquote(a.get_attribute("href")) == referrer
            # Nothing of it ran: no alert, the one script is the report's.
            with pytest.raises(NoAlertPresentException):
                drv.switch_to.alert
            assert drv.execute_script("return document.scripts.length") == 1
            errors = [e for e in drv.get_log("browser")
                      if e["level"] == "SEVERE"]
            assert not errors, errors
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
