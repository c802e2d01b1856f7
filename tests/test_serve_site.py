"""The generated website of `sitecheck serve` (/site/N/SEED/..., the
traps under /site/, /robots.txt), read with Python's own HTTP client on
loopback: the same seed gives the same bytes, every page is reachable, the
hazards are where the routes say, the gzipped sitemaps are valid gzip of
the plain ones, the endless routes stream without growing serve's memory,
and no link leaves 127.0.0.0/8 or the `.invalid` domain.

These are about the server, so they run once, not per model (one test
checks a few site URLs with sitecheck itself, in every model)."""

import gzip
import http.client
import ipaddress
import re
import socket
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser

import pytest

from conftest import _ServeProcess, concurrency_args, tally_text

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


# ------------------------------------------------------------- helpers


def fetch(url, method="GET", http10=False, limit=None):
    """(status, headers as a lower-case dict, body) of one request, no
    redirect followed; with limit, reads at most that many body bytes."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    if http10:
        conn._http_vsn, conn._http_vsn_str = 10, "HTTP/1.0"
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""))
        resp = conn.getresponse()
        body = resp.read(limit) if limit else resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def ok(url):
    status, headers, body = fetch(url)
    assert status == 200, (url, status)
    return headers, body


class Links(HTMLParser):
    """Every href/src value (browser-cleaned: outer spaces, tabs and
    newlines dropped), the first <base href>, and every id and a name."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.base = [], set(), None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "base" and self.base is None and a.get("href") is not None:
            self.base = a["href"]
        for key in ("href", "src"):
            v = attrs_first(attrs, key)
            if v is not None:
                self.links.append(clean(v))


def attrs_first(attrs, key):
    for k, v in attrs:
        if k == key:
            return v
    return None


def clean(v):
    return re.sub(r"[\t\n\r]", "", v.strip(" \t\n\r\f"))


def parse_page(url, body, charset="utf-8"):
    """(absolute links without fragments, fragments by absolute URL, ids)
    of an HTML page at url."""
    p = Links()
    p.feed(body.decode(charset, "replace"))
    p.close()
    base = urllib.parse.urljoin(url, p.base) if p.base is not None else url
    links, frags = [], {}
    for v in p.links:
        # As a browser does: non-ASCII as UTF-8, percent-encoded.
        absolute = urllib.parse.quote(urllib.parse.urljoin(base, v),
                                      safe=":/?#[]@!$&'()*+,;=%")
        target, _, frag = absolute.partition("#")
        links.append(target)
        if frag:
            frags.setdefault(target, set()).add(frag)
    return links, frags, p.ids


def charset_of(headers):
    m = re.search(r"charset=([\w-]+)", headers.get("content-type", ""))
    return m.group(1) if m else "utf-8"


def crawl(root):
    """Reads every HTML page under root (a directory URL) reachable from
    it, as a crawler would; returns {url: (status, headers, body)} of every
    URL seen under root (pages and not) and the set of every link found
    anywhere (absolute, without fragment)."""
    seen, links, queue = {}, set(), [root]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        status, headers, body = fetch(url)
        seen[url] = (status, headers, body)
        if status in (301, 302):
            found = [urllib.parse.urljoin(url, headers["location"])]
        elif status == 200 and headers["content-type"].startswith("text/html"):
            found, _, _ = parse_page(url, body, charset_of(headers))
        else:
            found = []
        for link in found:
            links.add(link)
            if link.startswith(root) and link not in seen:
                queue.append(link)
    return seen, links


def allowed_host(url):
    """True if url's host is in 127.0.0.0/8 (or ::1) or under .invalid, or
    url is not a network URL at all (mailto:, javascript:)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme in ("mailto",):
        return u.path.endswith(".invalid")
    if u.scheme == "javascript":
        return True
    assert u.scheme in ("http", "https"), url
    host = u.hostname
    if host.endswith(".invalid"):
        return True
    return ipaddress.ip_address(host).is_loopback


# ------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(base):
    """A site of 40 pages, seed 3, crawled once: (root, seen, links)."""
    root = f"{base}/site/40/3/"
    seen, links = crawl(root)
    return root, seen, links


def test_same_seed_same_bytes_other_seed_other_links(base, tmp_path):
    paths = ["", "p/0.html", "p/17.html", "relative.html", "sitemap.xml",
             "sitemap.xml.gz", "sitemap-index.xml.gz", "malformed.html"]
    first = {p: ok(f"{base}/site/60/9/{p}")[1] for p in paths}
    assert {p: ok(f"{base}/site/60/9/{p}")[1] for p in paths} == first
    # A second server (another port) makes the same bytes but for the
    # origin in absolute links.
    other = _ServeProcess("127.0.0.1:0", str(tmp_path))
    try:
        port_a, port_b = base.rsplit(":", 1)[1], other.url.rsplit(":", 1)[1]
        for p in paths:
            body = ok(f"{other.url}/site/60/9/{p}")[1]
            if p.endswith(".gz"):
                body, want = gzip.decompress(body), gzip.decompress(first[p])
            else:
                want = first[p]
            assert body == want.replace(f":{port_a}/".encode(),
                                        f":{port_b}/".encode()), p
    finally:
        assert other.stop() == 0
    seeded = [parse_page(f"{base}/site/60/{s}/p/{k}.html",
                         ok(f"{base}/site/60/{s}/p/{k}.html")[1])[0]
              for s in (9, 10) for k in range(10)]
    strip = [sorted(x.rsplit("/", 1)[1] for x in links) for links in seeded]
    assert strip[:10] != strip[10:], "the seed chooses no link"


def test_every_page_is_reachable_and_links_its_children(site, base):
    root, seen, links = site
    pages = {u for u, (st, _, _) in seen.items()
             if st == 200 and re.search(r"/p/\d+\.html$", u)}
    assert pages == {f"{root}p/{k}.html" for k in range(40)}
    for k in range(40):
        url = f"{root}p/{k}.html"
        page_links, frags, ids = parse_page(url, seen[url][2])
        assert {"top", "sec1", "sec2"} <= ids
        assert root in page_links, "no link home"
        for child in (2 * k + 1, 2 * k + 2):
            if child < 40:
                assert f"{root}p/{child}.html" in page_links
        assert len(page_links) <= 7, page_links
    assert ok(f"{root}p/39.html")
    assert fetch(f"{root}p/40.html")[0] == 404


def test_missing_pages_and_fragments_come_from_the_seed(base):
    """One page in eight links a page that is not there and one in eight
    a fragment that is not there, chosen by the seed."""
    root = f"{base}/site/400/5/"
    missing, bad_frags = set(), 0
    for k in range(400):
        url = f"{root}p/{k}.html"
        links, frags, _ = parse_page(url, ok(url)[1])
        for link in links:
            m = re.search(r"/p/(\d+)\.html$", link)
            if m and int(m.group(1)) >= 400:
                missing.add(link)
        bad_frags += sum(1 for fs in frags.values() for f in fs
                         if f.startswith("gone-"))
    assert 20 <= len(missing) <= 80, len(missing)
    assert 20 <= bad_frags <= 80, bad_frags
    for link in sorted(missing)[:5]:
        assert fetch(link)[0] == 404


def test_nothing_links_outside_loopback_or_invalid(site, base):
    root, seen, links = site
    extra = set()
    for path in ("/site/traps.html", "/site/endless/1",
                 "/site/many/5/distinct.html", "/site/many/5/same.html"):
        extra |= set(parse_page(base + path, ok(base + path)[1])[0])
    for sm in ("sitemap.xml", "sitemap-index.xml"):
        extra |= {e.text for e in ET.fromstring(ok(root + sm)[1]).iter()
                  if e.tag == SITEMAP_NS + "loc"}
    extra.add(urllib.parse.urljoin(root, fetch(root + "away.html")[1]["location"]))
    bad = sorted(u for u in links | extra if not allowed_host(u))
    assert bad == []
    # What the links are: this site, serve's own routes, other loopback
    # hosts, a dead port, a .invalid host, mail and script.
    hosts = {urllib.parse.urlsplit(u).netloc for u in links}
    port = base.rsplit(":", 1)[1]
    assert {f"127.0.0.1:{port}", f"127.0.0.2:{port}", f"127.0.0.3:{port}",
            "127.0.0.1:1", "nowhere.invalid"} <= hosts, hosts


def test_broken_links_page(site, base):
    root, seen, links = site
    want = {f"{root}p/40.html": 404, f"{base}/status/410": 410,
            f"{base}/status/500": 500}
    page_links = set(parse_page(root + "broken.html",
                                seen[root + "broken.html"][2])[0])
    assert set(want) <= page_links
    assert {"http://127.0.0.1:1/", "http://nowhere.invalid/",
            "mailto:nobody@example.invalid", "javascript:void(0)"} <= page_links
    for url, code in want.items():
        assert fetch(url)[0] == code
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 1), timeout=5).close()


def test_redirects(site, base):
    root = site[0]

    def hops(url, limit=10):
        out = []
        for _ in range(limit):
            status, headers, _ = fetch(url)
            out.append(status)
            if status not in (301, 302):
                return out, url
            url = urllib.parse.urljoin(url, headers["location"])
        return out, url

    assert hops(root + "moved/5.html") == ([301, 200], root + "p/5.html")
    assert hops(root + "chain/3/6.html") == ([302, 302, 301, 200],
                                             root + "p/6.html")
    assert hops(root + "chain/1/6.html") == ([301, 200], root + "p/6.html")
    assert fetch(root + "chain/0/6.html")[0] == 404
    statuses, _ = hops(root + "loop/a.html", 6)
    assert statuses == [302] * 6
    assert fetch(root + "loop/a.html")[1]["location"] == "b.html"
    assert fetch(root + "loop/b.html")[1]["location"] == "a.html"
    assert hops(root + "gone.html") == ([301, 404], root + "p/40.html")
    port = base.rsplit(":", 1)[1]
    assert fetch(root + "away.html")[1]["location"] == \
        f"http://127.0.0.2:{port}/site/40/3/"
    status, headers, _ = fetch(f"{base}/site/40/3")
    assert (status, headers["location"]) == (301, "/site/40/3/")
    status, headers, _ = fetch(root + "private")
    assert (status, headers["location"]) == (301, "private/")
    linked = set(parse_page(root + "redirects.html",
                            ok(root + "redirects.html")[1])[0])
    assert {root + p for p in ("moved/1.html", "chain/3/2.html",
                               "loop/a.html", "away.html",
                               "gone.html")} <= linked


def robots_allows(rules, path):
    """RFC 9309: the longest matching rule wins, Allow on a tie; '*' is
    any run of characters, '$' the end."""
    best = (-1, True)
    for kind, pattern in rules:
        rx = "".join(".*" if c == "*" else "$" if c == "$" else re.escape(c)
                     for c in pattern)
        if re.match(rx, path):
            rank = (len(pattern), kind == "allow")
            if rank > best:
                best = rank
    return best[1]


def test_robots_txt_disallows_the_private_subtree(site, base):
    root = site[0]
    headers, body = ok(base + "/robots.txt")
    assert headers["content-type"].startswith("text/plain")
    lines = [ln.split("#")[0].strip() for ln in body.decode().splitlines()]
    lines = [ln for ln in lines if ln]
    assert lines[0] == "User-agent: *"
    rules = [(k.strip().lower(), v.strip()) for k, v in
             (ln.split(":", 1) for ln in lines[1:])]
    assert all(k in ("allow", "disallow") for k, _ in rules), rules
    path = urllib.parse.urlsplit(root).path
    for p, allowed in (("", True), ("p/0.html", True), ("private/", False),
                       ("private/secret.html", False),
                       ("private/allowed.html", True)):
        assert robots_allows(rules, path + p) == allowed, p
        assert fetch(root + p)[0] == 200, p  # there, so robots.txt matters
    assert {root + "private/", root + "private/allowed.html"} <= site[2]


def sitemap_locs(body):
    root = ET.fromstring(body)
    return root.tag, [e.text for e in root.iter() if e.tag == SITEMAP_NS + "loc"]


def test_sitemaps_plain_and_gzipped(base):
    root = f"{base}/site/2500/1/"
    plain = ok(root + "sitemap.xml")
    gz = ok(root + "sitemap.xml.gz")
    assert plain[0]["content-type"] == "application/xml"
    assert gz[0]["content-type"] == "application/gzip"
    assert gz[1][:2] == b"\x1f\x8b"
    assert gzip.decompress(gz[1]) == plain[1]
    tag, locs = sitemap_locs(plain[1])
    assert tag == SITEMAP_NS + "urlset"
    pages = [root] + [f"{root}p/{k}.html" for k in range(2500)]
    assert locs == pages
    for suffix in ("", ".gz"):
        body = ok(root + "sitemap-index.xml" + suffix)[1]
        tag, parts = sitemap_locs(gzip.decompress(body) if suffix else body)
        assert tag == SITEMAP_NS + "sitemapindex"
        assert parts == [f"{root}sitemap-{j}.xml{suffix}" for j in range(3)]
        listed = []
        for part in parts:
            body = ok(part)[1]
            listed += sitemap_locs(gzip.decompress(body) if suffix else body)[1]
        assert listed == pages[1:]
    assert fetch(root + "sitemap-3.xml")[0] == 404


def test_gzip_bomb_is_small_and_inflates_past_50_mb(base):
    headers, body = ok(base + "/site/bomb/64.xml.gz")
    assert headers["content-type"] == "application/gzip"
    assert len(body) < 200_000, len(body)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total, head, rest = 0, b"", body
    while rest:
        out = d.decompress(rest, 1 << 20)
        rest = d.unconsumed_tail
        if not head:
            head = out[:200]
        total += len(out)
    total += len(d.flush())
    assert d.eof
    assert total > 50_000_000, total
    assert head.startswith(b"<?xml") and b"<urlset" in head


def test_billion_laughs_sitemap(base):
    headers, body = ok(base + "/site/laughs.xml")
    text = body.decode()
    assert headers["content-type"] == "application/xml"
    assert len(body) < 2000
    assert "<!DOCTYPE urlset [" in text
    assert re.search(r'<!ENTITY lol9 "(&lol8;){10}">', text)
    assert "<loc>" in text and "&lol9;" in text


def test_base_href_relative_paths_and_fragments(site, base):
    root, seen, _ = site
    links = set(parse_page(root + "base.html", seen[root + "base.html"][2])[0])
    assert {root + "p/3.html", root + "p/4.html", root + "broken.html"} <= links
    links = set(parse_page(root + "base-abs.html",
                           seen[root + "base-abs.html"][2])[0])
    assert {root + "p/5.html", root + "relative.html"} <= links
    links = parse_page(root + "relative.html", seen[root + "relative.html"][2])[0]
    assert set(links) == {root + f"p/{k}.html" for k in range(10)} | {
        root + "relative.html?q=1", root + "relative.html?q=2&r=3", root}
    assert fetch(root + "relative.html?q=1")[2] == seen[root + "relative.html"][2]
    links, frags, ids = parse_page(root + "fragments.html",
                                   seen[root + "fragments.html"][2])
    assert {"a", "b", "n1", "été"} <= ids
    here = frags[root + "fragments.html"]
    assert {"a", "b", "n1", "nope", "missing"} <= here
    assert {urllib.parse.unquote(f) for f in here} - {"nope", "missing"} <= ids
    assert frags[root + "p/0.html"] == {"top", "sec9"}


def test_encodings(site, base):
    root, seen, _ = site
    status, headers, body = seen[root + "latin1.html"]
    assert headers["content-type"] == "text/html; charset=ISO-8859-1"
    assert b'href="enc/caf\xe9.html"' in body
    status, headers, body = seen[root + "bom.html"]
    assert headers["content-type"] == "text/html"
    assert body.startswith(b"\xef\xbb\xbf<!DOCTYPE html>")
    assert b'href="enc/caf\xc3\xa9.html"' in body
    body = seen[root + "invalid.html"][2]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert b"\x00" in body and b'href="enc/\xff.html"' in body
    # The UTF-8 spelling works, any other is a 404.
    assert fetch(root + "enc/caf%C3%A9.html")[0] == 200
    assert fetch(root + "enc/caf%c3%a9.html")[0] == 200
    for bad in ("caf%E9.html", "caf.html", "caf%C3%A9.htm", "%FF.html"):
        assert fetch(root + "enc/" + bad)[0] == 404, bad
    assert root + "enc/caf%C3%A9.html" in parse_page(
        root + "bom.html", seen[root + "bom.html"][2])[0]


def test_malformed_page(site):
    root, seen, _ = site
    body = seen[root + "malformed.html"][2]
    links = set(parse_page(root + "malformed.html", body)[0])
    assert {root + f"p/{k}.html" for k in range(1, 9)} <= links
    assert b"<!-- <a href=\"commented.html\">" in body
    assert b"<script>var s = \"<a href='scripted.html'>\";</script>" in body
    assert body.rstrip().endswith(b'<a href="truncated.html"')
    for trap in ("commented.html", "scripted.html", "truncated.html"):
        assert fetch(root + trap)[0] == 404


def test_other_hosts_use_the_same_port(site, base):
    root, seen, _ = site
    port = base.rsplit(":", 1)[1]
    links = set(parse_page(root + "hosts.html", seen[root + "hosts.html"][2])[0])
    assert links == {f"http://127.0.0.2:{port}/site/40/3/",
                     f"http://127.0.0.3:{port}/site/40/3/p/0.html",
                     f"http://127.0.0.2:{port}/status/404"}


def test_traps(base):
    links = parse_page(base + "/site/traps.html", ok(base + "/site/traps.html")[1])[0]
    for link in links:
        status, _, _ = fetch(link, limit=1000)
        assert status == 200, link
    for k in (1, 2, 10 ** 15):
        url = f"{base}/site/endless/{k}"
        assert parse_page(url, ok(url)[1])[0] == [f"{base}/site/endless/{k + 1}"]
    same = parse_page(base + "/site/many/250/same.html",
                      ok(base + "/site/many/250/same.html")[1])[0]
    assert same == [base + "/site/many/250/0.html"] * 250
    distinct = parse_page(base + "/site/many/250/distinct.html",
                          ok(base + "/site/many/250/distinct.html")[1])[0]
    assert distinct == [f"{base}/site/many/250/{k}.html" for k in range(250)]
    assert fetch(base + "/site/many/250/249.html")[0] == 200
    assert fetch(base + "/site/many/250/250.html")[0] == 404


@pytest.mark.parametrize("path", [
    "/site/0/1/", "/site/10000001/1/", "/site/010/1/", "/site/10/1/p/10.html",
    "/site/10/1/p/01.html", "/site/10/1/nothing.html", "/site/10/1/sitemap-1.xml",
    "/site/many/0/same.html", "/site/bomb/0.xml.gz", "/site/bomb/4097.xml.gz",
    "/site/10/1//p/1.html", "/site/", "/site",
])
def test_unknown_site_paths_are_404(base, path):
    assert fetch(base + path)[0] == 404


def test_framing_head_http10_and_keepalive(base):
    url = base + "/site/30/2/p/4.html"
    body = ok(url)[1]
    status, headers, head_body = fetch(url, method="HEAD")
    assert (status, head_body) == (200, b"")
    assert headers["transfer-encoding"] == "chunked"
    status, headers, body10 = fetch(url, http10=True)
    assert (status, body10) == (200, body)
    assert "transfer-encoding" not in headers and "content-length" not in headers
    # Chunked bodies end cleanly: the connection serves the next request.
    conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]),
                                      timeout=10)
    try:
        socks = set()
        for path in ("/site/30/2/p/4.html", "/site/30/2/sitemap.xml.gz",
                     "/site/30/2/moved/1.html", "/robots.txt", "/"):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            socks.add(id(conn.sock))
            assert resp.status in (200, 301), path
        assert len(socks) == 1
    finally:
        conn.close()
    # Composes with serve's other segments.
    t0 = time.monotonic()
    assert fetch(base + "/delay/300/site/30/2/p/4.html")[2] == body
    assert time.monotonic() - t0 >= 0.28


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("path", ["/site/forever.html",
                                  "/site/many/3000000/distinct.html",
                                  "/site/1000000/1/sitemap.xml"])
def test_endless_routes_stream_in_bounded_memory(server, base, path):
    """A client reads 50 MB of a body that has no end, or is far longer
    than any buffer: serve's resident memory stays within 4 MB of where
    it started, also while the client pauses."""
    port = int(base.rsplit(":", 1)[1])
    before = vm_rss_kb(server.proc.pid)
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        got, peak = 0, before
        while got < 50_000_000:
            chunk = s.recv(1 << 16)
            assert chunk, f"closed after {got} bytes"
            got += len(chunk)
            if got % (1 << 22) < len(chunk):
                peak = max(peak, vm_rss_kb(server.proc.pid))
        time.sleep(0.5)  # a paused reader: serve must not read ahead
        peak = max(peak, vm_rss_kb(server.proc.pid))
    assert peak - before < 4096, f"VmRSS {before} -> {peak} KiB"


def test_https_site_links_https(serve_with, tls_cert):
    import ssl
    srv = serve_with("--tls", f"127.0.0.1:0,{tls_cert[0]},{tls_cert[1]}")
    ctx = ssl.create_default_context(cafile=str(tls_cert[0]))
    u = urllib.parse.urlsplit(srv.url)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                       timeout=10)
    try:
        conn.request("GET", "/site/5/1/hosts.html")
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 200
    links = parse_page(srv.url + "/site/5/1/hosts.html", body)[0]
    assert f"https://127.0.0.2:{u.port}/site/5/1/" in links


def test_sitecheck_checks_the_site(sc, base, model):
    """The real client reads the chunked pages, follows the site's
    redirects and sees its broken links (every model)."""
    root = f"{base}/site/40/3/"
    urls = [root, root + "p/39.html", root + "p/40.html", root + "chain/3/2.html",
            root + "loop/a.html", root + "gone.html", root + "sitemap.xml.gz",
            base + "/robots.txt", root + "enc/caf%C3%A9.html"]
    res = sc(*concurrency_args(model, 4), input="\n".join(urls) + "\n")
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 6, "404": 2, "too_many_redirects": 1})
    by_url = {r["url"]: r for r in res.records}
    assert by_url[root + "chain/3/2.html"]["redirects"] == 3
    assert by_url[root + "chain/3/2.html"]["final_url"] == root + "p/2.html"
    assert by_url[root + "gone.html"]["status"] == 404
