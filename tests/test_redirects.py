"""Redirects as sitecheck follows them itself, and the time limits, in
every model:

- -H headers reach the line's origin (scheme, host, port) and no other
  host unless --location-trusted; same-origin hops keep them;
- the record of a redirect chain (final_url, redirects, chain, ip, ...);
- hops to the same host share one connection;
- a hop to a new host name is looked up by sitecheck's resolver (c-ares,
  against the test dnsmasq), an international name in its ASCII form, a
  .invalid one not at all;
- -t bounds one try (its hops and lookups included), --check-timeout the
  whole check (retries, their waits, a silent DNS server)."""

import http.server
import shutil
import socket
import threading
import time
import urllib.parse

import pytest

from conftest import check_one, serve_in_thread
from dns_helper import DnsServer

CHECK_RAN_OUT = "the check's time limit (--check-timeout) ran out"

needs_dnsmasq = pytest.mark.skipif(
    not shutil.which("dnsmasq") and not shutil.which("/usr/sbin/dnsmasq"),
    reason="dnsmasq not installed")


def q(url):
    """url as the value of a query parameter."""
    return urllib.parse.quote(url, safe="")


class Site:
    """A keep-alive HTTP server on addr (a loopback address) that records
    every request as (method, path, lower-cased headers, client port).
    /go?to=URL answers 302 with Location: URL and a small body; anything
    else 200 "ok"."""

    def __init__(self, addr):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner.lock:
                    owner.seen.append((self.command, self.path, headers,
                                       self.client_address[1]))
                parts = urllib.parse.urlsplit(self.path)
                to = urllib.parse.parse_qs(parts.query).get("to")
                body = b"moved\n" if to else b"ok\n"
                self.send_response(302 if to else 200)
                if to:
                    self.send_header("Location", to[0])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.seen = []
        self.httpd = serve_in_thread(Handler, addr)
        self.url = f"http://{addr}:{self.httpd.server_address[1]}"

    def go(self, to):
        """The URL of this site that redirects to `to`."""
        return f"{self.url}/go?to={q(to)}"

    def keys(self):
        """The X-Api-Key value of each request, in order (None: absent)."""
        return [h.get("x-api-key") for _, _, h, _ in self.seen]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sites():
    """(a, a2, b): sites on 127.0.0.1, on another port of 127.0.0.1, and
    on 127.0.0.2 (another host)."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound")
    made = [Site("127.0.0.1"), Site("127.0.0.1"), Site("127.0.0.2")]
    yield made
    for s in made:
        s.close()


SECRETS = ["-H", "X-Api-Key: k", "-H", "Authorization: Bearer t",
           "-H", "Cookie: c=1"]


def secrets_of(site):
    return [{k: h.get(k) for k in ("x-api-key", "authorization", "cookie")}
            for _, _, h, _ in site.seen]


ALL = {"x-api-key": "k", "authorization": "Bearer t", "cookie": "c=1"}
NONE = {"x-api-key": None, "authorization": None, "cookie": None}


# ------------------------------------------------------- -H and origins


def test_headers_reach_the_origin_and_not_another_host(sc, sites):
    a, _, b = sites
    rec, _ = check_one(sc, a.go(b.url + "/final"), *SECRETS)
    assert rec["status"] == 200 and rec["redirects"] == 1, rec
    assert rec["final_url"] == b.url + "/final" and rec["ip"] == "127.0.0.2"
    assert secrets_of(a) == [ALL]
    assert secrets_of(b) == [NONE]


def test_location_trusted_sends_them_to_every_host(sc, sites):
    a, _, b = sites
    rec, _ = check_one(sc, a.go(b.url + "/final"), *SECRETS,
                       "--location-trusted")
    assert rec["status"] == 200 and rec["redirects"] == 1, rec
    assert secrets_of(a) == [ALL]
    assert secrets_of(b) == [ALL]


@pytest.mark.parametrize("how", ["relative", "absolute", "HEAD"])
def test_same_origin_redirects_keep_them(sc, sites, how):
    a, _, _ = sites
    target = "/final" if how == "relative" else a.url + "/final"
    args = ["-X", "HEAD"] if how == "HEAD" else []
    rec, _ = check_one(sc, a.go(a.go(target)), "-H", "X-Api-Key: k", *args)
    assert rec["status"] == 200 and rec["redirects"] == 2, rec
    assert a.keys() == ["k", "k", "k"]


def test_another_port_is_another_origin(sc, sites):
    a, a2, _ = sites
    rec, _ = check_one(sc, a.go(a2.url + "/x"), "-H", "X-Api-Key: k")
    assert rec["status"] == 200 and rec["redirects"] == 1, rec
    assert a.keys() == ["k"] and a2.keys() == [None]


def test_there_and_back_again(sc, sites):
    a, _, b = sites
    rec, _ = check_one(sc, a.go(b.go(a.url + "/back")), "-H", "X-Api-Key: k")
    assert rec["status"] == 200 and rec["redirects"] == 2, rec
    assert rec["final_url"] == a.url + "/back" and rec["ip"] == "127.0.0.1"
    assert a.keys() == ["k", "k"] and b.keys() == [None]


def test_a_retry_starts_from_the_line(sc, scripted_redirect):
    """A transient failure at the end of a chain: the retry asks the
    line's URL again, and the record shows that last try's chain only."""
    site = scripted_redirect
    rec, _ = check_one(sc, site.url + "/start", "-H", "X-Api-Key: k")
    assert rec["status"] == 200 and rec["attempts"] == 2, rec
    assert [p for p, _ in site.seen] == ["/start", "/flaky", "/start",
                                         "/flaky"]
    assert all(k == "k" for _, k in site.seen)
    assert [c["url"] for c in rec["chain"]] == [site.url + "/start",
                                                 site.url + "/flaky"]


@pytest.fixture
def scripted_redirect():
    """127.0.0.1: /start redirects to /flaky, which answers 503 once and
    200 after; records (path, X-Api-Key) of every request."""
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            server.seen.append((self.path, self.headers.get("X-Api-Key")))
            if self.path == "/start":
                self.send_response(301)
                self.send_header("Location", "/flaky")
            else:
                flaky = sum(p == "/flaky" for p, _ in server.seen)
                self.send_response(503 if flaky == 1 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.seen = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever,
                     kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


# --------------------------------------------------------- the records


def test_redirect_chain_record(sc, base):
    rec, _ = check_one(sc, base + "/redirect/3")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert rec["detail"] is None and rec["attempts"] == 1, rec
    assert rec["final_url"] == base + "/redirect/0", rec
    assert rec["redirects"] == 3 and rec["ip"] == "127.0.0.1", rec
    assert rec["method"] == "GET" and rec["http_version"] == "1.1", rec
    assert rec["content_length"] == 3, rec
    assert rec["chain"] == [{"url": f"{base}/redirect/{n}", "status": s}
                            for n, s in ((3, 302), (2, 302), (1, 302),
                                         (0, 200))], rec
    assert rec["connect_ms"] is not None and rec["ttfb_ms"] is not None


def test_cross_host_chain_record(sc, serve_with):
    srv = serve_with("--listen", "127.0.0.1:0", "--listen", "127.0.0.2:0")
    one, two = srv.urls
    url = f"{one}/status/301/redirect-to?url={q(two + '/redirect/1')}"
    rec, _ = check_one(sc, url, "-X", "HEAD")
    assert rec["status"] == 200 and rec["method"] == "HEAD", rec
    assert rec["final_url"] == two + "/redirect/0", rec
    assert rec["redirects"] == 2 and rec["ip"] == "127.0.0.2", rec
    assert rec["chain"] == [{"url": url, "status": 301},
                            {"url": two + "/redirect/1", "status": 302},
                            {"url": two + "/redirect/0", "status": 200}], rec


def test_empty_location_is_no_redirect(sc, base):
    """libcurl ignores an empty Location, and so does sitecheck: the 302
    is the answer."""
    url = base + "/redirect-to?url="
    rec, _ = check_one(sc, url)
    assert rec["status"] == 302 and rec["redirects"] == 0, rec
    assert rec["final_url"] == url and rec["detail"] is None, rec


def test_location_with_spaces_is_encoded(sc, base):
    rec, _ = check_one(sc, base + "/redirect-to?url=" +
                       q("/status/204?a=b c"))
    assert rec["status"] == 204, rec
    assert rec["final_url"] == base + "/status/204?a=b+c", rec


# ------------------------------------------------------- connections


def test_hops_to_one_host_share_a_connection(sc, sites):
    a, _, _ = sites
    rec, _ = check_one(sc, a.go(a.go(a.go("/end"))))
    assert rec["status"] == 200 and rec["redirects"] == 3, rec
    ports = {port for _, _, _, port in a.seen}
    assert len(a.seen) == 4 and len(ports) == 1, a.seen


def test_head_hops_share_a_connection(sc, sites):
    a, _, _ = sites
    rec, _ = check_one(sc, a.go(a.go("/end")), "-X", "HEAD")
    assert rec["status"] == 200 and rec["method"] == "HEAD", rec
    assert len({port for _, _, _, port in a.seen}) == 1, a.seen


# -------------------------------------------------- name resolution


@pytest.fixture(scope="module")
def dns():
    with DnsServer(names=100, ttl=60, log_queries=True) as server:
        yield server


def queries(dns, name):
    time.sleep(0.2)  # let dnsmasq write its log
    with open(dns.log_path) as f:
        return f.read().count(f"query[A] {name} ")


def port_of(url):
    return url.rsplit(":", 1)[1]


_names = iter(range(10, 100))


def fresh_name():
    """A name of the test zone no earlier test of this module asked for
    (the dnsmasq log then counts this test's queries only)."""
    return f"h{next(_names)}.test"


@needs_dnsmasq
def test_hop_to_a_new_name_is_looked_up_by_sitecheck(sc, base, dns):
    name = fresh_name()
    target = f"http://{name}:{port_of(base)}/status/201"
    rec, _ = check_one(sc, f"{base}/redirect-to?url={q(target)}",
                       "--dns-servers", dns.servers, "-4")
    assert rec["status"] == 201 and rec["final_url"] == target, rec
    assert rec["redirects"] == 1 and rec["dns_ms"] is not None, rec
    assert queries(dns, name) == 1


@needs_dnsmasq
def test_hop_to_another_port_reuses_the_lookup(sc, serve_with, dns):
    srv = serve_with("--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0")
    name = fresh_name()
    first = f"http://{name}:{port_of(srv.urls[0])}"
    second = f"http://{name}:{port_of(srv.urls[1])}/status/204"
    rec, _ = check_one(sc, f"{first}/redirect-to?url={q(second)}",
                       "--dns-servers", dns.servers, "-4")
    assert rec["status"] == 204 and rec["final_url"] == second, rec
    assert queries(dns, name) == 1


@needs_dnsmasq
def test_hop_to_an_unknown_name(sc, base, dns):
    target = f"http://nx5.test:{port_of(base)}/"
    rec, _ = check_one(sc, f"{base}/redirect-to?url={q(target)}",
                       "--dns-servers", dns.servers, "--retries", "2")
    assert rec["error"] == "dns" and "nx5.test" in rec["detail"], rec
    assert rec["redirects"] == 1 and rec["final_url"] == target, rec
    assert rec["attempts"] == 1 and len(rec["chain"]) == 1, rec


@needs_dnsmasq
def test_hop_to_invalid_is_dns_without_a_lookup(sc, base, dns):
    url = f"{base}/redirect-to?url={q('http://x.invalid/')}"
    rec, _ = check_one(sc, url, "--dns-servers", dns.servers)
    assert rec["error"] == "dns" and "RFC 6761" in rec["detail"], rec
    assert rec["final_url"] == url and rec["redirects"] == 0, rec
    time.sleep(0.2)
    with open(dns.log_path) as f:
        assert "invalid" not in f.read()


def test_hop_to_an_international_name(sc, base):
    # *.localhost is loopback without a query (RFC 6761).
    target = f"http://bücher.localhost:{port_of(base)}/status/202"
    rec, _ = check_one(sc, f"{base}/redirect-to?url={q(target)}")
    assert rec["status"] == 202, rec
    assert rec["final_url"] == (f"http://xn--bcher-kva.localhost:"
                                f"{port_of(base)}/status/202"), rec


# ------------------------------------------------------------- time


def test_t_bounds_each_try(sc, base):
    rec, res = check_one(sc, base + "/hang", "-t", "1", "--retries", "1")
    assert rec["error"] == "timeout" and rec["attempts"] == 2, rec
    assert CHECK_RAN_OUT not in rec["detail"], rec
    assert 2.0 <= res.elapsed < 3.5, f"took {res.elapsed:.2f} s"


def test_check_timeout_ends_the_check(sc, base):
    rec, res = check_one(sc, base + "/hang", "-t", "1", "--retries", "1",
                         "--check-timeout", "1.5")
    assert rec["error"] == "timeout" and rec["detail"] == CHECK_RAN_OUT, rec
    assert rec["attempts"] == 2, rec
    assert 1450 <= rec["time_ms"] < 1800, rec
    assert 1.4 <= res.elapsed < 2.5, f"took {res.elapsed:.2f} s"


def test_check_timeout_bounds_the_waits_between_tries(sc, base):
    rec, res = check_one(sc, base + "/status/503", "--retries", "20",
                         "--check-timeout", "1")
    assert rec["status"] == 503, rec
    assert "--check-timeout" in rec["detail"], rec
    assert 2 <= rec["attempts"] < 21 and rec["time_ms"] < 1000, rec
    assert res.elapsed < 1.8, f"took {res.elapsed:.2f} s"


def test_check_timeout_cuts_a_try(sc, base):
    rec, res = check_one(sc, base + "/delay/5000", "--check-timeout", "0.5")
    assert rec["error"] == "timeout" and rec["detail"] == CHECK_RAN_OUT, rec
    assert rec["attempts"] == 1 and 450 <= rec["time_ms"] < 800, rec
    assert res.elapsed < 1.5, f"took {res.elapsed:.2f} s"


def test_t_covers_the_hops_of_a_try(sc, base):
    rec, res = check_one(sc, base + "/delay/600/redirect/1", "-t", "1",
                         "--retries", "0")
    assert rec["error"] == "timeout" and rec["redirects"] == 1, rec
    assert rec["final_url"] == base + "/delay/600/redirect/0", rec
    assert res.elapsed < 1.8, f"took {res.elapsed:.2f} s"


@pytest.fixture
def silent_dns():
    """A UDP port on 127.0.0.1 that takes queries and never answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{s.getsockname()[1]}"
    s.close()


def test_silent_dns_server_within_t(sc, base, silent_dns):
    rec, res = check_one(sc, f"http://h1.test:{port_of(base)}/",
                         "--dns-servers", silent_dns, "-t", "1",
                         "--retries", "0")
    assert rec["error"] == "dns", rec
    assert res.elapsed < 1.8, f"took {res.elapsed:.2f} s"


def test_silent_dns_server_within_check_timeout(sc, base, silent_dns):
    rec, res = check_one(sc, f"http://h1.test:{port_of(base)}/",
                         "--dns-servers", silent_dns, "-t", "5",
                         "--check-timeout", "0.5")
    assert rec["error"] == "timeout" and rec["detail"] == CHECK_RAN_OUT, rec
    assert res.elapsed < 1.3, f"took {res.elapsed:.2f} s"


def test_a_hops_lookup_gets_what_is_left_of_t(sc, base, silent_dns):
    # The first hop takes 600 ms of the second -t allows; the lookup of
    # the next host gets the rest, not a second of its own.
    target = f"http://h2.test:{port_of(base)}/"
    rec, res = check_one(sc, f"{base}/delay/600/redirect-to?url={q(target)}",
                         "--dns-servers", silent_dns, "-t", "1",
                         "--retries", "0")
    assert rec["error"] == "dns" and rec["redirects"] == 1, rec
    assert rec["final_url"] == target, rec
    assert res.elapsed < 1.45, f"took {res.elapsed:.2f} s"
