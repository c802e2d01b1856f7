"""Links, pages and sites: arguments, --links, local files, --crawl.

Every site here is a small routing table served by a Python HTTP server on
127.0.0.1 (a route is a path and what it answers), run in this process.
Hostile inputs (a page that never ends, a million links, a gzip bomb,
entity expansion) are generated as they are sent, so they cost the test
little; each run is time-limited.
"""

import gzip
import http.server
import json
import os
import re
import subprocess
import time

import pytest

from conftest import BIN, CLASSES, SUMMARY_RE, run, serve_in_thread, \
    tally_of, tally_text

PAGE = "text/html; charset=utf-8"


class Site:
    """A routing table on 127.0.0.1: routes[path] is (status, type, body)
    with body bytes, a str, or a callable(handler) that writes the body
    itself; (3xx, location) for a redirect. .hits counts requests."""

    def __init__(self, routes):
        self.routes = dict(routes)
        self.hits = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path
                site.hits[path] = site.hits.get(path, 0) + 1
                route = site.routes.get(path)
                if route is None:
                    self._send(404, "text/plain", b"not found\n")
                    return
                status, second = route[0], route[1]
                if 300 <= status < 400:
                    self.send_response(status)
                    self.send_header("Location", second)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = route[2]
                if callable(body):
                    self.send_response(status)
                    self.send_header("Content-Type", second)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    try:
                        body(self)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                if isinstance(body, str):
                    body = body.encode()
                self._send(status, second, body)

            def _send(self, status, ctype, body):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = serve_in_thread(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site():
    made = []

    def make(routes):
        s = Site(routes)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def html(*links, extra=""):
    body = "".join(f'<a href="{h}">x</a>\n' for h in links)
    return f"<!doctype html><html><body>\n{body}{extra}</body></html>\n"


def by_url(records):
    return {r["url"]: r for r in records}


def summary_lines(err):
    """The stderr lines after the contract's summary line."""
    lines = err.splitlines()
    for i, line in enumerate(lines):
        if SUMMARY_RE.fullmatch(line):
            return lines[i + 1:]
    raise AssertionError(f"no summary line in {err!r}")


# ------------------------------------------------------------ arguments


def test_url_argument_is_one_url(sc, site):
    s = site({"/": (200, PAGE, html("/a", "/b"))})
    res = sc(s.url + "/")
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 1})
    assert len(res.records) == 1
    rec = res.records[0]
    assert rec["url"] == s.url + "/" and rec["status"] == 200
    assert rec["source"] is None and rec["referrers"] == 0
    assert s.hits == {"/": 1}  # status only: its links are not checked


def test_nonsense_argument_is_a_usage_error(tmp_path, recorder):
    res = run("no-such-file.txt")
    assert res.rc == 2
    assert "no-such-file.txt" in res.err and "http" in res.err
    assert res.out == ""
    res = run(str(tmp_path))  # a directory
    assert res.rc == 2 and "Is a directory" in res.err


def test_file_named_like_a_url_is_a_file(tmp_path, site, monkeypatch):
    s = site({})
    monkeypatch.chdir(tmp_path)
    os.makedirs("http:", exist_ok=True)
    (tmp_path / "http:" / "x").write_text(s.url + "/nope\n")
    res = run("http://x")  # "http:" + "/x": an existing file
    assert res.rc == 0, res.err
    assert res.out == tally_text({"404": 1})


def test_list_file_unchanged(sc, site, tmp_path):
    s = site({"/a": (200, "text/plain", "a")})
    lst = tmp_path / "urls.txt"
    lst.write_text(f"{s.url}/a\n{s.url}/a\nmailto:x@y.z\n")
    res = sc(str(lst))
    assert res.out == tally_text({"200": 2, "invalid_url": 1})
    assert [r["line"] for r in sorted(res.records, key=lambda r: r["line"])] \
        == [1, 2, 3]
    assert all(r["source"] is None and r["referrers"] is None
               for r in res.records)
    assert "is an HTML page" not in res.err


# ------------------------------------------------------------ --links


def test_links_of_a_page(sc, site):
    s = site({
        "/page": (200, PAGE, html(
            "/a", "/a#frag", "/a?q=1", "b", "mailto:x@y.z", "tel:+1",
            "javascript:void(0)", "data:text/plain,x", "ftp://f/x",
            "http://h.invalid/", extra='<img src="/a">')),
        "/a": (200, "text/plain", "a"),
        "/a?q=1": (200, "text/plain", "a"),
    })
    res = sc("--links", s.url + "/page")
    assert res.rc == 0, res.err
    recs = by_url(res.records)
    assert set(recs) == {s.url + "/page", s.url + "/a", s.url + "/a?q=1",
                         s.url + "/b", "http://h.invalid/"}
    assert res.out == tally_text({"200": 3, "404": 1, "dns": 1})
    a = recs[s.url + "/a"]
    assert a["source"] == s.url + "/page" and a["referrers"] == 1
    assert a["line"] == 2
    assert recs[s.url + "/page"]["source"] is None
    assert s.hits["/a"] == 1  # once, however often it is linked
    lines = summary_lines(res.err)
    assert "read 1 page" in lines
    assert ("skipped 5 links: 1 mailto, 1 tel, 1 javascript, 1 data, "
            "1 other scheme") in lines


def test_object_data_is_a_link(sc, site):
    """<object data> is checked like the other embedded resources,
    resolved against the page's <base>."""
    s = site({
        "/dir/page": (200, PAGE,
                      '<!doctype html><html><head><base href="/media/">'
                      '</head><body>\n<p>\n<object data="clip.mp4" '
                      'type="video/mp4"></object>\n'
                      '<object data="gone.pdf#page=2"></object>\n'
                      '</body></html>\n'),
        "/media/clip.mp4": (200, "video/mp4", b"\0" * 16),
    })
    res = sc("--links", s.url + "/dir/page")
    assert res.rc == 0, res.err
    recs = by_url(res.records)
    assert set(recs) == {s.url + "/dir/page", s.url + "/media/clip.mp4",
                         s.url + "/media/gone.pdf"}
    assert recs[s.url + "/media/clip.mp4"]["status"] == 200
    gone = recs[s.url + "/media/gone.pdf"]
    assert gone["status"] == 404 and gone["line"] == 4
    assert gone["source"] == s.url + "/dir/page"


def test_links_of_a_sitemap_index_and_gzip(sc, site):
    urlset = ('<?xml version="1.0" encoding="UTF-8"?>'
              '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              '<url><loc>{0}/p1</loc></url><url><loc>{0}/p2</loc></url>'
              '</urlset>')
    s = site({})
    s.routes.update({
        "/sitemap.xml": (200, "application/xml",
                         '<sitemapindex xmlns="http://www.sitemaps.org/'
                         'schemas/sitemap/0.9"><sitemap><loc>{0}/a.xml'
                         '</loc></sitemap><sitemap><loc>{0}/b.xml.gz</loc>'
                         '</sitemap></sitemapindex>'.format(s.url)),
        "/a.xml": (200, "text/xml", urlset.format(s.url)),
        "/b.xml.gz": (200, "application/octet-stream",
                      gzip.compress(urlset.format(s.url).replace(
                          "/p2", "/p3").encode())),
        "/p1": (200, PAGE, "1"), "/p2": (200, PAGE, "2"),
    })
    res = sc("--links", s.url + "/sitemap.xml")
    assert res.rc == 0, res.err
    assert set(by_url(res.records)) == {
        s.url + u for u in ("/sitemap.xml", "/a.xml", "/b.xml.gz", "/p1",
                            "/p2", "/p3")}
    assert res.out == tally_text({"200": 5, "404": 1})
    p1 = by_url(res.records)[s.url + "/p1"]
    assert p1["referrers"] >= 1
    assert p1["source"] in (s.url + "/a.xml", s.url + "/b.xml.gz")


def test_links_of_a_local_sitemap_gz(sc, site, tmp_path):
    s = site({"/p": (200, PAGE, "p")})
    path = tmp_path / "map.xml.gz"
    path.write_bytes(gzip.compress(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>{s.url}/p</loc></url><url><loc>{s.url}/q</loc></url>'
        f'</urlset>'.encode()))
    res = sc(str(path))
    assert res.rc == 0, res.err
    assert "map.xml.gz is a sitemap: checking its links" in res.err
    assert res.out == tally_text({"200": 1, "404": 1})
    q = by_url(res.records)[s.url + "/q"]
    assert q["source"] == f"{path}:1"


# ------------------------------------------------------- local files


def test_local_markdown_and_missing_files(sc, site, tmp_path):
    s = site({"/web": (200, PAGE, "w")})
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("x")
    md = tmp_path / "README.md"
    md.write_text(f"# Title\n\n[there](docs/there.md) [gone](gone.md)\n"
                  f"[web]({s.url}/web) [again](docs/there.md#top)\n"
                  f"`[not a link](code.md)` [mail](mailto:a@b.c)\n"
                  f"![img](img/missing.png)\n")
    res = sc(str(md))
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 1, "missing_file": 2, "ok": 1})
    recs = by_url(res.records)
    gone = recs[f"file://{tmp_path}/gone.md"]
    assert gone["error"] == "missing_file" and gone["status"] is None
    assert gone["source"] == f"{md}:3" and gone["line"] == 3
    there = recs[f"file://{tmp_path}/docs/there.md"]
    assert there["error"] is None and there["status"] is None
    assert there["referrers"] == 1  # the #top link is the same URL
    assert "README.md is a Markdown document" in res.err
    assert "skipped 1 link: 1 mailto" in summary_lines(res.err)
    # --fail-on error counts a missing file.
    assert sc("--fail-on", "missing_file", str(md)).rc == 1


def test_local_html_with_base(sc, site, tmp_path):
    s = site({"/docs/a.html": (200, PAGE, "a")})
    page = tmp_path / "index.html"
    page.write_text(html("a.html", "b.html"))
    res = sc("--base", s.url + "/docs/", str(page))
    assert res.out == tally_text({"200": 1, "404": 1})
    assert s.hits == {"/docs/a.html": 1, "/docs/b.html": 1}


def test_input_format_forces_a_list(sc, site, tmp_path):
    s = site({"/a": (200, "text/plain", "a")})
    page = tmp_path / "links.html"
    page.write_text(f"{s.url}/a\n")
    res = sc("--input-format", "list", str(page))
    assert res.out == tally_text({"200": 1})
    assert "checking its links" not in res.err
    # Without it, the name says HTML: the text has no links.
    res = sc(str(page))
    assert res.out == tally_text({})
    assert "links.html is an HTML page" in res.err


def test_utf16_list_is_decoded(sc, site, tmp_path):
    s = site({"/a": (200, "text/plain", "a")})
    for enc, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        lst = tmp_path / f"urls-{enc}.txt"
        lst.write_bytes(bom + f"{s.url}/a\r\n{s.url}/b\r\n".encode(enc))
        res = sc(str(lst))
        assert res.out == tally_text({"200": 1, "404": 1}), (enc, res.err)
        assert sorted(r["url"] for r in res.records) == \
            [f"{s.url}/a", f"{s.url}/b"]


def test_utf16_html_file(sc, site, tmp_path):
    s = site({"/a": (200, "text/plain", "a")})
    page = tmp_path / "page.html"
    page.write_bytes(b"\xff\xfe" + html(f"{s.url}/a").encode("utf-16-le"))
    res = sc(str(page))
    assert res.out == tally_text({"200": 1}), res.err


# ------------------------------------------------------------- crawl

def small_site(site):
    s = site({})
    u = s.url
    s.routes.update({
        "/docs/": (301, u + "/docs/index.html"),
        "/docs/index.html": (200, PAGE, html(
            "a.html", "b.html#part", "missing.html", "../outside.html",
            "deep/c.html", "private/p.html", "mailto:w@x.y",
            "http://other.invalid/")),
        "/docs/a.html": (200, PAGE, html("index.html", "b.html", "img.png",
                                         "loop1")),
        "/docs/b.html": (200, PAGE, '<h1 id="part">b</h1>' + html("a.html")),
        "/docs/deep/c.html": (200, PAGE, html("d.html")),
        "/docs/deep/d.html": (200, PAGE, html("e.html")),
        "/docs/deep/e.html": (200, PAGE, "e"),
        "/docs/private/p.html": (200, PAGE, html("secret.html")),
        "/docs/img.png": (200, "image/png", "png"),
        "/docs/loop1": (302, u + "/docs/loop2"),
        "/docs/loop2": (302, u + "/docs/loop1"),
        "/outside.html": (200, PAGE, html("/never-read.html")),
        "/robots.txt": (200, "text/plain",
                        "User-agent: *\nDisallow: /docs/private/\n"),
    })
    return s


def test_crawl_reads_the_site_in_scope(sc, site):
    s = small_site(site)
    res = sc("--crawl", s.url + "/docs/", "--max-redirects", "5")
    assert res.rc == 0, res.err
    urls = set(by_url(res.records))
    want = {s.url + p for p in (
        "/docs/", "/docs/index.html", "/docs/a.html", "/docs/b.html",
        "/docs/missing.html",
        "/outside.html", "/docs/deep/c.html", "/docs/deep/d.html",
        "/docs/deep/e.html", "/docs/img.png", "/docs/loop1")}
    want.add("http://other.invalid/")
    assert urls == want
    # /docs/ and /docs/index.html (linked from a.html) are two URLs.
    assert res.out == tally_text({"200": 9, "404": 1, "dns": 1,
                                  "too_many_redirects": 1})
    assert "/never-read.html" not in s.hits  # out of scope: not read
    assert "/docs/private/p.html" not in s.hits  # robots.txt
    assert s.hits["/robots.txt"] == 1
    # Each URL once (/docs/index.html also as /docs/'s redirect target).
    assert max(n for p, n in s.hits.items() if "loop" not in p) <= 2
    lines = summary_lines(res.err)
    assert "read 7 pages" in lines
    # index.html is read twice (as /docs/ too): its mailto counts twice.
    assert "skipped 3 links: 2 mailto, 1 robots" in lines
    b = by_url(res.records)[s.url + "/docs/b.html"]
    assert b["source"] == s.url + "/docs/"  # the start page, as linked


def test_crawl_gives_the_same_records_in_every_model(site, tmp_path):
    s = small_site(site)
    seen = {}
    for model in ("event", "thread", "process", "serial"):
        out = tmp_path / f"{model}.jsonl"
        res = run("-m", model, "--crawl", s.url + "/docs/", out_file=out)
        assert res.rc == 0, (model, res.err)
        seen[model] = sorted((r["url"], r["status"], r["error"])
                             for r in res.records)
    assert seen["thread"] == seen["event"]
    assert seen["process"] == seen["event"]
    assert seen["serial"] == seen["event"]


def test_crawl_ignore_robots_depth_and_exclude(sc, site):
    s = small_site(site)
    res = sc("--crawl", s.url + "/docs/index.html", "--ignore-robots")
    assert "/robots.txt" not in s.hits
    assert s.url + "/docs/private/p.html" in by_url(res.records)
    assert s.url + "/docs/private/secret.html" in by_url(res.records)
    s.hits.clear()
    res = sc("--crawl", s.url + "/docs/index.html", "--depth", "1")
    urls = set(by_url(res.records))
    assert s.url + "/docs/deep/d.html" in urls  # on c.html (depth 1)
    assert s.url + "/docs/deep/e.html" not in urls  # d.html was not read
    s.hits.clear()
    res = sc("--crawl", s.url + "/docs/index.html",
             "--exclude", r"/deep/|\.png$", "--exclude", "invalid")
    urls = set(by_url(res.records))
    assert not any("/deep/" in u or u.endswith(".png") or "invalid" in u
                   for u in urls)
    assert "/docs/deep/c.html" not in s.hits
    assert re.search(r"\b3 excluded\b", res.err), res.err
    res = sc("--crawl", s.url + "/docs/index.html", "--include", "/deep/",
             "--exclude", "/deep/")
    urls = set(by_url(res.records))
    assert s.url + "/docs/deep/c.html" in urls
    assert s.url + "/docs/a.html" not in urls  # --include alone decides


def test_crawl_exclude_loopback_and_private(sc, site):
    s = site({"/": (200, PAGE, html("http://10.1.2.3/", "http://[fd00::1]/",
                                    "http://localhost:1/", "/x"))})
    res = sc("--crawl", s.url + "/", "--exclude-private", "--exclude-loopback")
    # The start page is given: always checked. Its loopback links are not.
    assert set(by_url(res.records)) == {s.url + "/"}
    assert "skipped 4 links: 2 private, 2 loopback" in summary_lines(res.err)


def test_crawl_robots_unreachable_reads_nothing_more(sc, site):
    s = site({"/": (200, PAGE, html("/a")),
              "/a": (200, PAGE, html("/b")),
              "/robots.txt": (503, "text/plain", "down")})
    res = sc("--crawl", s.url + "/", "--retries", "0")
    assert set(by_url(res.records)) == {s.url + "/"}
    assert "robots.txt could not be read" in res.err
    assert "/a" not in s.hits


def test_crawl_max_pages_on_an_endless_site(sc, site):
    def endless(h):
        n = int(h.path.rsplit("/", 1)[1] or 0)
        h.wfile.write(html(f"/next/{n + 1}").encode())

    s = site({"/": (200, PAGE, html("/next/1"))})
    for n in range(1, 200):
        s.routes[f"/next/{n}"] = (200, PAGE, endless)
    res = sc("--crawl", s.url + "/", "--max-pages", "20", "--ignore-robots")
    assert res.rc == 0, res.err
    assert len(res.records) == 21  # 20 pages read, and the last one's link
    assert "stopped reading pages at --max-pages 20" in summary_lines(res.err)


def test_page_that_never_ends_is_cut(sc, site):
    def forever(h):
        h.wfile.write(b"<html><body><a href='/a'>a</a>")
        block = b"<p>" + b"x" * 4093 + b"</p>"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            h.wfile.write(block)

    s = site({"/": (200, PAGE, forever), "/a": (200, PAGE, "a")})
    start = time.monotonic()
    res = sc("--crawl", s.url + "/", "--max-page-size", "256k",
             "--ignore-robots")
    assert time.monotonic() - start < 15
    assert res.out == tally_text({"200": 2}), res.err
    assert "read only its first 262144 bytes" in res.err


def test_malformed_html(sc, site):
    s = site({"/": (200, PAGE,
                    "<html><a href='/a'>x<a href=/b>y<div><<<a href=\"/c"
                    "\x00\xff</p></span><a href='/d'")})
    res = sc("--links", s.url + "/")
    assert res.rc == 0, res.err
    assert {s.url + "/a", s.url + "/b"} <= set(by_url(res.records))


def test_a_million_repeated_links_are_cheap(sc, site):
    def repeated(h):
        line = b'<a href="/same">s</a>\n'
        chunk = line * 10000
        for _ in range(100):
            h.wfile.write(chunk)

    s = site({"/": (200, PAGE, repeated), "/same": (200, PAGE, "s")})
    res = sc("--links", s.url + "/", "--max-page-size", "100M",
             timeout=50)
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 2})
    assert by_url(res.records)[s.url + "/same"]["referrers"] == 1


def test_a_million_distinct_links_stop_at_max_urls(sc, site):
    def distinct(h):
        for k in range(100):
            h.wfile.write("".join(
                f'<a href="http://h{k}-{i}.invalid/">x</a>'
                for i in range(10000)).encode())

    s = site({"/": (200, PAGE, distinct)})
    res = sc("--links", s.url + "/", "--max-urls", "5000",
             "--max-page-size", "100M", timeout=50)
    assert res.rc == 0, res.err
    assert len(res.records) == 5000  # the page and 4999 links (dns)
    assert "stopped discovering at --max-urls 5000 distinct URLs" in \
        summary_lines(res.err)


def test_gzip_bomb_sitemap(sc, site):
    xml = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b'<url><loc>http://x.invalid/</loc></url>'
           + b" " * (200 * 1024 * 1024))
    bomb = gzip.compress(xml, 9)
    assert len(bomb) < 1024 * 1024
    s = site({"/sitemap.xml.gz": (200, "application/gzip", bomb)})
    start = time.monotonic()
    res = sc("--links", s.url + "/sitemap.xml.gz")
    assert time.monotonic() - start < 20
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 1, "dns": 1})
    assert "sitemap:" in res.err


def test_xml_entity_expansion_is_refused(sc, site):
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                     for i in range(1, 10))
           + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           '<url><loc>http://x/&lol9;</loc></url></urlset>')
    s = site({"/sitemap.xml": (200, "application/xml", lol)})
    res = sc("--links", s.url + "/sitemap.xml")
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 1})
    assert "sitemap:" in res.err


def test_fail_on_applies_to_links(sc, site):
    s = site({"/": (200, PAGE, html("/gone"))})
    res = sc("--links", s.url + "/", "--fail-on", "4xx")
    assert res.rc == 1
    assert res.out == tally_text({"200": 1, "404": 1})


def test_links_and_crawl_usage_errors(recorder):
    for args in (["--crawl", "ftp://x/"], ["--links", "missing-file"],
                 ["--include", "("], ["--max-page-size", "lots"],
                 ["--input-format", "pdf", "x"]):
        res = run(*args)
        assert res.rc == 2, (args, res.err)
        assert res.err.startswith("sitecheck: "), res.err
    assert recorder.seen == []


def test_check_fragments(sc, site):
    s = site({"/": (200, PAGE, html("/a#top", "/a#nope", "/a#n%20a", "#self",
                                    "/img.png#x", "/b#gone",
                                    extra='<p id="self">s</p>')),
              "/a": (200, PAGE, '<h1 id="top">t</h1><a name="n a">x</a>'),
              "/b": (404, PAGE, "no"),
              "/img.png": (200, "image/png", "png")})
    res = sc("--crawl", s.url + "/", "--check-fragments", "--ignore-robots")
    assert res.rc == 0, res.err
    # Fragments are dropped from the results: one per URL.
    assert res.out == tally_text({"200": 3, "404": 1})
    lines = summary_lines(res.err)
    assert f"fragment not found: {s.url}/a#nope (linked from {s.url}/)" \
        in lines
    # Pages read only: /img.png is not HTML, /b was not read (404).
    assert "checked 4 fragments: 1 not found" in lines
    res = sc("--crawl", s.url + "/", "--ignore-robots")
    assert not any("fragment" in line for line in summary_lines(res.err))


def test_failure_list_names_where_links_were_found(sc, site, tmp_path):
    """A link that is not OK is listed with the first place that linked to
    it and how many more did (counted by the end of the run); a URL given
    as an argument says so."""
    s = site({"/ok": (200, "text/plain", "ok")})
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    a.write_text(f'<a href="{s.url}/gone">x</a>\n<a href="{s.url}/ok">y</a>\n'
                 f'<a href="missing.html">m</a>\n')
    b.write_text(f'<p>\n<a href="{s.url}/gone">again</a>\n')
    res = sc(str(a), str(b), f"{s.url}/gone2")
    lines = summary_lines(res.err)
    gone = [x for x in lines if f"{s.url}/gone " in x + " "]
    assert len(gone) == 1, lines
    assert f"on {a}:1 and 1 more" in gone[0], gone[0]
    assert any(f"{s.url}/gone2  (argument)" in x for x in lines), lines
    assert any(f"missing.html  on {a}:3" in x for x in lines), lines
